#include "server/frame_codec.h"

#include <algorithm>
#include <cstring>

namespace otter::server {
namespace {

uint64_t LoadLe(std::string_view bytes, std::size_t at, std::size_t width) {
  uint64_t value = 0;
  for (std::size_t i = 0; i < width; ++i) {
    value |= uint64_t{static_cast<unsigned char>(bytes[at + i])} << (8 * i);
  }
  return value;
}

void StoreLe(char* out, uint64_t value, std::size_t width) {
  for (std::size_t i = 0; i < width; ++i) out[i] = static_cast<char>((value >> (8 * i)) & 0xFF);
}

void AppendLe(std::string& out, uint64_t value, std::size_t width) {
  char bytes[8];
  StoreLe(bytes, value, width);
  out.append(bytes, width);
}

}  // namespace

Handshake ParseHandshake(std::string_view buffer) {
  Handshake h;
  const std::size_t check = std::min(buffer.size(), sizeof(kBinaryMagic));
  if (std::memcmp(buffer.data(), kBinaryMagic, check) != 0) {
    h.status = FrameStatus::kError;
    h.error = "bad handshake magic";
    return h;
  }
  if (buffer.size() < kHandshakeHeaderBytes) return h;
  h.version = static_cast<uint16_t>(LoadLe(buffer, 4, 2));
  const std::size_t token_len = LoadLe(buffer, 6, 2);
  if (h.version != kProtocolVersion) {
    h.status = FrameStatus::kError;
    h.error = "unsupported protocol version";
    return h;
  }
  if (token_len > kMaxTokenBytes) {
    h.status = FrameStatus::kError;
    h.error = "handshake token exceeds 1024 bytes";
    return h;
  }
  if (buffer.size() < kHandshakeHeaderBytes + token_len) return h;
  h.status = FrameStatus::kDone;
  h.consumed = kHandshakeHeaderBytes + token_len;
  h.token = buffer.substr(kHandshakeHeaderBytes, token_len);
  return h;
}

std::string EncodeHandshake(std::string_view token, uint16_t version) {
  std::string out(reinterpret_cast<const char*>(kBinaryMagic), sizeof(kBinaryMagic));
  AppendLe(out, version, 2);
  AppendLe(out, token.size(), 2);
  out.append(token);
  return out;
}

std::string EncodeHandshakeReply() { return EncodeHandshake({}); }

FrameCodec::FrameCodec(std::size_t max_payload_bytes) : max_payload_bytes_(max_payload_bytes) {}

BinaryFrame FrameCodec::Next(std::string_view buffer) const {
  BinaryFrame f;
  if (buffer.size() < 4) return f;
  const uint64_t length = LoadLe(buffer, 0, 4);
  if (length < kFrameMinLength) {
    f.status = FrameStatus::kError;
    f.error = "frame length is shorter than its id and op";
    f.consumed = buffer.size();
    return f;
  }
  if (length - kFrameMinLength > max_payload_bytes_) {
    f.status = FrameStatus::kError;
    f.error = "frame exceeds the size limit";
    f.consumed = buffer.size();
    return f;
  }
  if (buffer.size() < 4 + length) return f;
  f.status = FrameStatus::kDone;
  f.consumed = 4 + length;
  f.id = LoadLe(buffer, 4, 8);
  f.op = static_cast<uint16_t>(LoadLe(buffer, 12, 2));
  f.payload = buffer.substr(kFrameHeaderBytes, length - kFrameMinLength);
  return f;
}

void AppendFrameHeader(std::string& out, uint64_t id, uint16_t op, std::size_t payload_size) {
  AppendLe(out, kFrameMinLength + payload_size, 4);
  AppendLe(out, id, 8);
  AppendLe(out, op, 2);
}

void PatchFrameLength(std::string& out, std::size_t header_at) {
  const std::size_t length = out.size() - header_at - 4;
  StoreLe(out.data() + header_at, length, 4);
}

}  // namespace otter::server
