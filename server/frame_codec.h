#pragma once
// Binary frames as a pure state machine, the twin of LineFramer.
//
// A binary client first sends a handshake:
//   magic  u8[4]  F9 'O' 'T' 'R'  (0xF9 never occurs in UTF-8, so it can
//                                  never start a JSON line)
//   version u16 LE               kProtocolVersion
//   token_len u16 LE             0, or the length of the auth token that follows
//   token  u8[token_len]
// then frames, in both directions:
//   length u32 LE   bytes after this field: 10 + payload size
//   id     u64 LE   request id, echoed in the response
//   op     u16 LE   an Op code (request.h); responses echo it
//   payload         the op's fields as a JSON object (may be empty = {})
//
//   FrameCodec codec(1 << 20);
//   BinaryFrame f = codec.Next(buffer);  // kDone: f.id, f.op, f.payload
//
// Thread safety: none; one codec per connection.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "server/line_framer.h"

namespace otter::server {

inline constexpr unsigned char kBinaryMagic[4] = {0xF9, 'O', 'T', 'R'};
inline constexpr uint16_t kProtocolVersion = 1;
inline constexpr std::size_t kHandshakeHeaderBytes = 8;
inline constexpr std::size_t kFrameHeaderBytes = 14;  // length + id + op
inline constexpr std::size_t kFrameMinLength = 10;    // id + op
inline constexpr std::size_t kMaxTokenBytes = 1024;

// True when `first_byte` starts a binary handshake rather than a JSON line.
inline bool IsBinaryFirstByte(unsigned char first_byte) { return first_byte == kBinaryMagic[0]; }

struct Handshake {
  FrameStatus status = FrameStatus::kNeedMore;
  std::size_t consumed = 0;
  uint16_t version = 0;
  std::string_view token;  // kDone: a view into the buffer (may be empty)
  std::string_view error;  // kError: "bad magic", "unsupported protocol version"...
};

// Parses the handshake at the start of `buffer`. Pure.
Handshake ParseHandshake(std::string_view buffer);

// The server's handshake reply: magic, kProtocolVersion, token_len 0.
std::string EncodeHandshakeReply();
// A client handshake (for tests and client code).
std::string EncodeHandshake(std::string_view token, uint16_t version = kProtocolVersion);

struct BinaryFrame {
  FrameStatus status = FrameStatus::kNeedMore;
  std::size_t consumed = 0;
  uint64_t id = 0;
  uint16_t op = 0;
  std::string_view payload;  // kDone: a view into the buffer
  std::string_view error;    // kError
};

class FrameCodec {
 public:
  // Frames whose payload exceeds max_payload_bytes are errors.
  explicit FrameCodec(std::size_t max_payload_bytes = LineFramer::kDefaultMaxLineBytes);

  // Examines the unconsumed bytes. A length under kFrameMinLength or over the
  // limit is an error reported from the header alone; after it the stream
  // cannot be resynchronised (consumed is the whole buffer) and the caller
  // closes the connection after answering.
  BinaryFrame Next(std::string_view buffer) const;

  void set_max_payload_bytes(std::size_t n) { max_payload_bytes_ = n; }

 private:
  std::size_t max_payload_bytes_;
};

// Appends a frame header for `payload_size` bytes of payload to `out`.
void AppendFrameHeader(std::string& out, uint64_t id, uint16_t op, std::size_t payload_size);
// Rewrites the length field of the frame header starting at out[header_at]
// once the payload that follows it is complete.
void PatchFrameLength(std::string& out, std::size_t header_at);

}  // namespace otter::server
