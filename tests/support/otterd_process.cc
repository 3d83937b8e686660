#include "tests/support/otterd_process.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "gtest/gtest.h"
#include "server/frame_codec.h"

namespace otter::testing {

TempDir::TempDir() : path_(::testing::TempDir() + "otterd_test.XXXXXX") {
  EXPECT_NE(mkdtemp(path_.data()), nullptr) << path_;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

Otterd::Otterd(std::string binary, std::vector<std::string> extra) {
  unix_path_ = dir_.path() + "/otterd.sock";
  std::vector<std::string> args = {std::move(binary), "--listen", "127.0.0.1:0", "--unix",
                                   unix_path_,        "--threads", "2"};
  args.insert(args.end(), extra.begin(), extra.end());
  int out[2];
  EXPECT_EQ(pipe(out), 0);
  pid_ = fork();
  if (pid_ == 0) {
    dup2(out[1], 1);
    const int err = open((dir_.path() + "/stderr.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(err, 2);
    close(out[0]);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out[1]);
  stdout_ = fdopen(out[0], "r");
  char line[512];
  // Two "listening on" lines: TCP, then the unix socket.
  for (int i = 0; i < 2 && std::fgets(line, sizeof(line), stdout_) != nullptr; ++i) {
    std::string text(line);
    const std::string tcp = "listening on 127.0.0.1:";
    if (text.rfind(tcp, 0) == 0) port_ = std::stoi(text.substr(tcp.size()));
  }
  EXPECT_GT(port_, 0) << "otterd did not report its port; stderr: " << Stderr();
}

Otterd::~Otterd() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (stdout_ != nullptr) fclose(stdout_);
}

std::string Otterd::Stderr() const {
  std::ifstream in(dir_.path() + "/stderr.log");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

int Otterd::WaitExit(std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return status;
    }
    usleep(10000);
  }
  return -1;
}

uint64_t Otterd::Rss() const {
  std::ifstream in("/proc/" + std::to_string(pid_) + "/statm");
  uint64_t size = 0, resident = 0;
  in >> size >> resident;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

Client Client::Tcp(int port) {
  Client c(socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  c.connected_ = connect(c.fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  return c;
}

Client Client::Unix(const std::string& path) {
  Client c(socket(AF_UNIX, SOCK_STREAM, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  c.connected_ = connect(c.fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  return c;
}

Client::Client(Client&& other) noexcept
    : fd_(other.fd_), connected_(other.connected_), buffer_(std::move(other.buffer_)) {
  other.fd_ = -1;
}

Client::~Client() {
  if (fd_ >= 0) close(fd_);
}

void Client::Send(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::string Client::ReadLine(int timeout_ms) {
  for (;;) {
    if (std::size_t nl = buffer_.find('\n'); nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return line;
    }
    if (std::string r = Fill(timeout_ms); !r.empty()) return r;
  }
}

std::string Client::Call(std::string_view json, int timeout_ms) {
  Send(std::string(json) + "\n");
  return ReadLine(timeout_ms);
}

std::string Client::ReadBytes(std::size_t n, int timeout_ms) {
  while (buffer_.size() < n) {
    if (!Fill(timeout_ms).empty()) break;
  }
  std::string out = buffer_.substr(0, std::min(n, buffer_.size()));
  buffer_.erase(0, out.size());
  return out;
}

std::pair<uint64_t, std::string> Client::ReadFrame(int timeout_ms) {
  std::string header = ReadBytes(server::kFrameHeaderBytes, timeout_ms);
  if (header.size() < server::kFrameHeaderBytes) return {0, "<eof>"};
  uint32_t length = 0;
  uint64_t id = 0;
  std::memcpy(&length, header.data(), 4);
  std::memcpy(&id, header.data() + 4, 8);
  return {id, ReadBytes(length - server::kFrameMinLength, timeout_ms)};
}

bool Client::AtEof(int timeout_ms) { return buffer_.empty() && Fill(timeout_ms) == "<eof>"; }

std::string Client::Fill(int timeout_ms) {
  pollfd p{fd_, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) <= 0) return "<timeout>";
  char chunk[65536];
  const ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
  if (n <= 0) return "<eof>";
  buffer_.append(chunk, static_cast<std::size_t>(n));
  return "";
}

std::string Frame(uint64_t id, uint16_t op, std::string_view payload) {
  std::string out;
  server::AppendFrameHeader(out, id, op, payload.size());
  out.append(payload);
  return out;
}

}  // namespace otter::testing
