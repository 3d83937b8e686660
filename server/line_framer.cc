#include "server/line_framer.h"

#include <algorithm>
#include <cstring>

namespace otter::server {

LineFramer::LineFramer(std::size_t max_line_bytes) : max_line_bytes_(max_line_bytes) {}

LineFrame LineFramer::Next(std::string_view buffer) {
  LineFrame frame;
  std::size_t start = 0;
  if (discarding_) {
    const void* nl = std::memchr(buffer.data(), '\n', buffer.size());
    if (nl == nullptr) {
      frame.consumed = buffer.size();
      return frame;
    }
    start = static_cast<std::size_t>(static_cast<const char*>(nl) - buffer.data()) + 1;
    discarding_ = false;
    scanned_ = 0;
  }
  std::string_view rest = buffer.substr(start);
  // A line may be max_line_bytes_ long plus "\r\n": look no further than that.
  const std::size_t window = std::min(rest.size(), max_line_bytes_ + 2);
  std::size_t from = std::min(scanned_, window);
  const void* nl = std::memchr(rest.data() + from, '\n', window - from);
  if (nl != nullptr) {
    std::size_t end = static_cast<std::size_t>(static_cast<const char*>(nl) - rest.data());
    std::size_t length = end;
    if (length > 0 && rest[length - 1] == '\r') --length;
    scanned_ = 0;
    frame.consumed = start + end + 1;
    if (length > max_line_bytes_) {
      frame.status = FrameStatus::kError;
      frame.error = "line exceeds the size limit";
      return frame;
    }
    frame.status = FrameStatus::kDone;
    frame.line = rest.substr(0, length);
    return frame;
  }
  scanned_ = window;
  // Without a newline in the window, the line is over the limit once the
  // window is full, except for a final '\r' that may be half of "\r\n".
  const bool full = rest.size() > max_line_bytes_ + 1 ||
                    (rest.size() == max_line_bytes_ + 1 && rest.back() != '\r');
  if (full) {
    frame.status = FrameStatus::kError;
    frame.error = "line exceeds the size limit";
    scanned_ = 0;
    // Drop the line through its newline if it is here, else discard on.
    const void* end = std::memchr(rest.data() + window, '\n', rest.size() - window);
    if (end != nullptr) {
      frame.consumed = start + static_cast<std::size_t>(static_cast<const char*>(end) - rest.data()) + 1;
    } else {
      frame.consumed = buffer.size();
      discarding_ = true;
    }
    return frame;
  }
  frame.consumed = start;
  return frame;
}

}  // namespace otter::server
