// otter-cli: sends JSON requests to otterd and prints the replies, one line
// each, for people and scripts.
//
//   otter-cli '{"op":"search","q":"kayak","limit":3}'
//   otter-cli --connect unix:/run/otterd.sock '{"op":"health"}'
//   printf '%s\n' '{"op":"ping"}' '{"op":"stats"}' | otter-cli
//
// Requests come from the arguments, or else one per line from stdin. The
// exit status is 0 when every reply has "ok": true, 1 when one has not, and
// 2 when otterd cannot be reached or the usage is wrong.

#include <netdb.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "simdjson.h"

namespace {

constexpr const char* kUsage =
    "usage: otter-cli [--connect HOST:PORT | --connect unix:PATH] [--token-file FILE] [JSON...]\n"
    "Sends each JSON request (or each line of stdin when none is given) to otterd\n"
    "and prints each reply on its own line. --connect defaults to $OTTER_CONNECT,\n"
    "else 127.0.0.1:7870. Exit status: 0 all replies ok, 1 some not ok, 2 no connection.\n";

// Connects to HOST:PORT or unix:PATH; -1 with a message on stderr on failure.
int Connect(const std::string& address) {
  if (address.rfind("unix:", 0) == 0) {
    const std::string path = address.substr(5);
    sockaddr_un addr{};
    if (path.size() >= sizeof(addr.sun_path)) {
      std::fprintf(stderr, "otter-cli: unix socket path too long: %s\n", path.c_str());
      return -1;
    }
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd >= 0 && connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) return fd;
    std::fprintf(stderr, "otter-cli: cannot connect to %s: %s\n", address.c_str(), std::strerror(errno));
    if (fd >= 0) close(fd);
    return -1;
  }
  const std::size_t colon = address.rfind(':');
  if (colon == std::string::npos) {
    std::fprintf(stderr, "otter-cli: --connect must be HOST:PORT or unix:PATH, not \"%s\"\n",
                 address.c_str());
    return -1;
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string port = address.substr(colon + 1);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int e = getaddrinfo(host.c_str(), port.c_str(), &hints, &found); e != 0) {
    std::fprintf(stderr, "otter-cli: cannot resolve %s: %s\n", address.c_str(), gai_strerror(e));
    return -1;
  }
  int fd = -1;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      close(fd);
      fd = -1;
    }
  }
  if (fd < 0) std::fprintf(stderr, "otter-cli: cannot connect to %s: %s\n", address.c_str(), std::strerror(errno));
  freeaddrinfo(found);
  return fd;
}

// A line-oriented conversation over one socket.
class Session {
 public:
  explicit Session(int fd) : fd_(fd) {}
  ~Session() { close(fd_); }

  bool Send(std::string_view line) {
    std::string out(line);
    out.push_back('\n');
    std::string_view rest = out;
    while (!rest.empty()) {
      const ssize_t n = send(fd_, rest.data(), rest.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      rest.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // The next reply line; false when the connection ended first.
  bool Receive(std::string* line) {
    for (;;) {
      if (const std::size_t nl = buffer_.find('\n'); nl != std::string::npos) {
        *line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return true;
      }
      char chunk[65536];
      const ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
      if (n <= 0) return false;
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_;
  std::string buffer_;
};

// Whether a reply says "ok": true.
bool ReplyOk(simdjson::ondemand::parser& parser, const std::string& reply) {
  simdjson::padded_string padded(reply);
  simdjson::ondemand::document doc;
  bool ok = false;
  if (parser.iterate(padded).get(doc)) return false;
  if (doc["ok"].get_bool().get(ok)) return false;
  return ok;
}

std::string JsonString(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\u%04x", c);
      out += escaped;
    } else {
      out.push_back(c);
    }
  }
  return out + "\"";
}

}  // namespace

int main(int argc, char** argv) {
  const char* env_address = std::getenv("OTTER_CONNECT");
  std::string address = env_address != nullptr ? env_address : "127.0.0.1:7870";
  std::string token_file;
  std::vector<std::string> requests;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if ((arg == "--connect" || arg == "--token-file") && i + 1 < argc) {
      (arg == "--connect" ? address : token_file) = argv[++i];
    } else if (arg.rfind("--", 0) == 0) {
      std::fprintf(stderr, "otter-cli: unknown flag %s\n%s", arg.c_str(), kUsage);
      return 2;
    } else {
      requests.push_back(arg);
    }
  }

  const int fd = Connect(address);
  if (fd < 0) return 2;
  Session session(fd);
  simdjson::ondemand::parser parser;
  bool all_ok = true;
  std::string reply;
  // Sends one request and prints its reply; false when the connection ended.
  auto exchange = [&](const std::string& request) {
    if (!session.Send(request) || !session.Receive(&reply)) {
      std::fprintf(stderr, "otter-cli: otterd closed the connection\n");
      return false;
    }
    std::puts(reply.c_str());
    all_ok = all_ok && ReplyOk(parser, reply);
    return true;
  };

  if (!token_file.empty()) {
    std::ifstream in(token_file);
    if (!in) {
      std::fprintf(stderr, "otter-cli: cannot read %s: %s\n", token_file.c_str(), std::strerror(errno));
      return 2;
    }
    std::stringstream content;
    content << in.rdbuf();
    std::string token = content.str();
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
    if (!session.Send("{\"op\":\"auth\",\"token\":" + JsonString(token) + "}") || !session.Receive(&reply)) {
      std::fprintf(stderr, "otter-cli: otterd closed the connection\n");
      return 2;
    }
    if (!ReplyOk(parser, reply)) {
      std::fprintf(stderr, "otter-cli: authentication failed: %s\n", reply.c_str());
      return 2;
    }
  }

  if (!requests.empty()) {
    for (const std::string& request : requests) {
      if (!exchange(request)) return 2;
    }
  } else {
    std::string line;
    while (std::getline(std::cin, line)) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      if (!exchange(line)) return 2;
    }
  }
  std::fflush(stdout);
  return all_ok ? 0 : 1;
}
