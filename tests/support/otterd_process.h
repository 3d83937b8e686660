#pragma once
// End-to-end test helpers: a real otterd child process and a blocking
// client socket that speaks JSON lines and binary frames.
//
//   Otterd daemon(OTTERD_PATH, {"--db", db->url()});   // port 0, a unix socket
//   Client c = Client::Tcp(daemon.port());
//   std::string reply = c.Call(R"({"id":1,"op":"ping"})");
//
// Thread safety: none; one test thread uses them.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace otter::testing {

// A new folder under the test's temporary directory, removed with its
// content on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A running otterd on 127.0.0.1 port 0 and a unix socket in a temporary
// folder, with `extra` arguments; killed (if still alive) and reaped, and
// the folder removed, on destruction. The constructor returns once otterd reported its addresses.
class Otterd {
 public:
  Otterd(std::string binary, std::vector<std::string> extra = {});
  ~Otterd();
  Otterd(const Otterd&) = delete;
  Otterd& operator=(const Otterd&) = delete;

  int port() const { return port_; }
  const std::string& unix_path() const { return unix_path_; }
  const std::string& dir() const { return dir_.path(); }
  pid_t pid() const { return pid_; }
  // What otterd wrote to stderr so far (its log).
  std::string Stderr() const;
  // Waits for the process to exit; returns its wait status, or -1 on timeout.
  int WaitExit(std::chrono::milliseconds timeout);
  // Resident memory of the daemon in bytes.
  uint64_t Rss() const;

 private:
  TempDir dir_;
  std::string unix_path_;
  pid_t pid_ = -1;
  FILE* stdout_ = nullptr;
  int port_ = 0;
};

// A blocking client socket with a read buffer and deadlines.
class Client {
 public:
  static Client Tcp(int port);
  static Client Unix(const std::string& path);
  Client(Client&& other) noexcept;
  ~Client();

  bool connected() const { return connected_; }
  int fd() const { return fd_; }
  void Send(std::string_view bytes);
  // One line without its newline; "<eof>" or "<timeout>" otherwise.
  std::string ReadLine(int timeout_ms = 5000);
  // Sends `json` as one line and returns the reply line.
  std::string Call(std::string_view json, int timeout_ms = 5000);
  // Exactly n bytes, or fewer at EOF/timeout.
  std::string ReadBytes(std::size_t n, int timeout_ms = 5000);
  // One binary frame's id and payload; id 0 and "<eof>" when none came.
  std::pair<uint64_t, std::string> ReadFrame(int timeout_ms = 5000);
  bool AtEof(int timeout_ms = 5000);

 private:
  explicit Client(int fd) : fd_(fd) {}
  // Reads what arrives; "" on data, "<timeout>" or "<eof>" otherwise.
  std::string Fill(int timeout_ms);

  int fd_;
  bool connected_ = false;
  std::string buffer_;
};


// A binary request frame.
std::string Frame(uint64_t id, uint16_t op, std::string_view payload);

}  // namespace otter::testing
