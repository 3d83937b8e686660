#pragma once
// JSON-lines framing as a pure state machine: no socket, no allocation.
// Given the bytes received so far and not yet consumed, Next() reports one
// complete line (without its "\n" or "\r\n"), that more bytes are needed, or
// that the current line is over the limit, and how many bytes it consumed.
//
//   LineFramer framer(1 << 20);
//   LineFrame f = framer.Next(buffer);   // kDone: f.line; then drop f.consumed
//   buffer.erase(0, f.consumed);
//
// An over-long line is reported as soon as max_line_bytes + 1 bytes without
// a newline have arrived; its bytes are consumed (and later ones discarded)
// up to and including its newline, after which framing resumes.
//
// Thread safety: none; one framer per connection.

#include <cstddef>
#include <string_view>

namespace otter::server {

enum class FrameStatus {
  kDone,      // one frame is complete
  kNeedMore,  // read more bytes, then call again with the unconsumed ones
  kError,     // the frame is invalid; `error` says why
};

struct LineFrame {
  FrameStatus status = FrameStatus::kNeedMore;
  // Bytes of the buffer passed to Next() to drop before the next call.
  // May be > 0 with kNeedMore (discarded remains of an over-long line).
  std::size_t consumed = 0;
  // kDone: the line without its terminator, a view into the buffer.
  std::string_view line;
  // kError: a message for the client, e.g. "line exceeds 1048576 bytes".
  std::string_view error;
};

class LineFramer {
 public:
  static constexpr std::size_t kDefaultMaxLineBytes = std::size_t{1} << 20;

  // Lines (without their terminator) may hold at most max_line_bytes bytes.
  explicit LineFramer(std::size_t max_line_bytes = kDefaultMaxLineBytes);

  // Examines `buffer`: the bytes received and not consumed yet, starting
  // where the previous call's `consumed` ended. The buffer may grow between
  // calls; bytes already seen are not scanned again.
  LineFrame Next(std::string_view buffer);

  // Changes the limit for lines that have not started yet (config reload).
  void set_max_line_bytes(std::size_t max_line_bytes) { max_line_bytes_ = max_line_bytes; }

  // True while the rest of an over-long line is being discarded.
  bool discarding() const { return discarding_; }

 private:
  std::size_t max_line_bytes_;
  std::size_t scanned_ = 0;  // bytes of the current buffer known to hold no '\n'
  bool discarding_ = false;
};

}  // namespace otter::server
