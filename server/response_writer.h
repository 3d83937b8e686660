#pragma once
// A small, fast JSON writer for responses. It appends to a caller's string
// (the connection's output buffer), escapes strings per RFC 8259, and keeps
// commas right by itself. Every response starts with BeginResponse() and
// ends with Finish(), which adds the fields every response carries.
//
//   ResponseWriter w(&out);
//   w.BeginResponse("7", /*ok=*/true);
//   w.Key("total"); w.Uint(137);
//   w.Finish(/*took_us=*/412, /*as_of=*/9001);   // {"id":7,"ok":true,"total":137,"took_us":412,"as_of":9001}
//
// Thread safety: none; one writer per connection.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/uuid.h"

namespace otter::server {

class ResponseWriter {
 public:
  // Appends to *out, which must outlive the writer.
  explicit ResponseWriter(std::string* out) : out_(out) {}

  // Starts a response object: {"id":<id_json>,"ok":<ok>. `id_json` is the
  // request id as JSON text ("7", "\"abc\"", "null"). Requires that no
  // response is open.
  void BeginResponse(std::string_view id_json, bool ok);
  // Drops everything written since BeginResponse() (to answer an error
  // instead), leaving no response open.
  void Abandon();
  // Adds "took_us" and "as_of" and closes the response object. Requires an
  // open response with every nested object and array closed.
  void Finish(uint64_t took_us, uint64_t as_of);
  // True between BeginResponse() and Finish()/Abandon().
  bool open() const { return depth_ > 0; }

  // Members: Key() then one value; in arrays, values alone.
  void Key(std::string_view key);
  void String(std::string_view value);
  void Int(int64_t value);
  void Uint(uint64_t value);
  // Shortest round-trip form; NaN and infinities are written as null.
  void Double(double value);
  void Bool(bool value);
  void Null();
  void Uuid(const engine::Uuid& value);
  // A value that is already valid JSON text, copied as is.
  void RawJson(std::string_view json);
  void BeginObject();
  void EndObject();
  void BeginArray();
  void EndArray();

  // Appends `value` to `out` as a quoted, escaped JSON string.
  static void AppendEscaped(std::string& out, std::string_view value);

 private:
  void BeforeValue();

  static constexpr int kMaxDepth = 63;
  std::string* out_;
  std::size_t start_ = 0;  // where the open response begins in *out_
  int depth_ = 0;          // open objects and arrays, the response included
  uint64_t has_member_ = 0;  // bit d: the container at depth d has a member
  bool after_key_ = false;
};

}  // namespace otter::server
