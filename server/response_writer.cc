#include "server/response_writer.h"

#include <cassert>
#include <charconv>
#include <cmath>

namespace otter::server {
namespace {

constexpr char kHex[] = "0123456789abcdef";

}  // namespace

void ResponseWriter::AppendEscaped(std::string& out, std::string_view value) {
  out.push_back('"');
  std::size_t run = 0;  // start of the pending run of bytes that need no escape
  for (std::size_t i = 0; i < value.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(value[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(value.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      case '\b': out.append("\\b"); break;
      case '\f': out.append("\\f"); break;
      default: {
        const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
        out.append(esc, sizeof(esc));
      }
    }
  }
  out.append(value.data() + run, value.size() - run);
  out.push_back('"');
}

void ResponseWriter::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  const uint64_t bit = uint64_t{1} << depth_;
  if (has_member_ & bit) out_->push_back(',');
  has_member_ |= bit;
}

void ResponseWriter::BeginResponse(std::string_view id_json, bool ok) {
  assert(depth_ == 0);
  start_ = out_->size();
  out_->append("{\"id\":");
  out_->append(id_json);
  out_->append(ok ? ",\"ok\":true" : ",\"ok\":false");
  depth_ = 1;
  has_member_ = uint64_t{1} << 1;
  after_key_ = false;
}

void ResponseWriter::Abandon() {
  out_->resize(start_);
  depth_ = 0;
  has_member_ = 0;
  after_key_ = false;
}

void ResponseWriter::Finish(uint64_t took_us, uint64_t as_of) {
  assert(depth_ == 1 && !after_key_);
  Key("took_us");
  Uint(took_us);
  Key("as_of");
  Uint(as_of);
  out_->push_back('}');
  depth_ = 0;
  has_member_ = 0;
}

void ResponseWriter::Key(std::string_view key) {
  assert(!after_key_);
  BeforeValue();
  AppendEscaped(*out_, key);
  out_->push_back(':');
  after_key_ = true;
}

void ResponseWriter::String(std::string_view value) {
  BeforeValue();
  AppendEscaped(*out_, value);
}

void ResponseWriter::Int(int64_t value) {
  BeforeValue();
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  out_->append(buf, end);
}

void ResponseWriter::Uint(uint64_t value) {
  BeforeValue();
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  out_->append(buf, end);
}

void ResponseWriter::Double(double value) {
  BeforeValue();
  if (!std::isfinite(value)) {
    out_->append("null");
    return;
  }
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  out_->append(buf, end);
}

void ResponseWriter::Bool(bool value) {
  BeforeValue();
  out_->append(value ? "true" : "false");
}

void ResponseWriter::Null() {
  BeforeValue();
  out_->append("null");
}

void ResponseWriter::Uuid(const engine::Uuid& value) {
  BeforeValue();
  char text[38];
  text[0] = '"';
  std::size_t at = 1;
  const auto& bytes = value.bytes();
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text[at++] = '-';
    text[at++] = kHex[bytes[i] >> 4];
    text[at++] = kHex[bytes[i] & 0xF];
  }
  text[at++] = '"';
  out_->append(text, at);
}

void ResponseWriter::RawJson(std::string_view json) {
  BeforeValue();
  out_->append(json);
}

void ResponseWriter::BeginObject() {
  BeforeValue();
  assert(depth_ < kMaxDepth);
  out_->push_back('{');
  ++depth_;
  has_member_ &= ~(uint64_t{1} << depth_);
}

void ResponseWriter::EndObject() {
  assert(depth_ > 1 && !after_key_);
  out_->push_back('}');
  --depth_;
}

void ResponseWriter::BeginArray() {
  BeforeValue();
  assert(depth_ < kMaxDepth);
  out_->push_back('[');
  ++depth_;
  has_member_ &= ~(uint64_t{1} << depth_);
}

void ResponseWriter::EndArray() {
  assert(depth_ > 1 && !after_key_);
  out_->push_back(']');
  --depth_;
}

}  // namespace otter::server
