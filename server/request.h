#pragma once
// Requests: the op codes, the validated envelope, and the parser that turns
// one JSON request (a line, or a binary frame's payload) into it.
//
//   RequestParser parser;                      // one per thread
//   Request request;
//   absl::Status s = parser.ParseLine(R"({"id":7,"op":"ping"})", &request);
//
// The parser uses simdjson's on-demand API with error codes (no
// exceptions). It checks the envelope (id, op, after), that every field is
// one the op knows, and that the whole text is well-formed JSON nested at
// most kMaxJsonDepth deep; the op's own fields are kept as JSON text for the
// dispatcher, which validates their meaning.
//
// Thread safety: RequestParser is not thread-safe (one per thread); Request
// is a value.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "simdjson.h"

namespace otter::server {

// Op codes, also the binary frame's op field.
enum class Op : uint16_t {
  kPing = 1,
  kHealth = 2,
  kStats = 3,
  kSearch = 4,
  kMatch = 5,
  kScore = 6,
  kSuggest = 7,
  kGet = 8,
  kRecomputeMatches = 9,
  kAuth = 10,
};
inline constexpr uint16_t kMaxOpCode = 10;
inline constexpr std::size_t kOpCount = kMaxOpCode + 1;  // index 0 unused

// The op's wire name ("recompute_matches"); "" for a code outside the enum.
std::string_view OpName(Op op);
// The op named `name`, or nullopt.
std::optional<Op> OpFromName(std::string_view name);
// The op with binary code `code`, or nullopt.
std::optional<Op> OpFromCode(uint16_t code);

inline constexpr int kMaxJsonDepth = 16;

struct Request {
  // The id as JSON text, echoed in the response: a number as sent, a string
  // re-escaped, or "null" when absent (or unreadable on error).
  std::string id_json = "null";
  Op op = Op::kPing;
  // Answer only once the engine has applied this change-log position.
  std::optional<uint64_t> after;
  // kAuth: the shared secret.
  std::string token;
  // The whole request object as JSON text; the dispatcher reads the op's
  // own fields from it.
  std::string body;
};

class RequestParser {
 public:
  RequestParser();

  // Parses one JSON-lines request into *out. Returns OK, or kInvalidArgument
  // with a message for the client naming the problem: "request must be a
  // JSON object", "id must be a number or a string", "op is required",
  // "unknown op \"serch\"", "unknown field \"limt\" for op \"search\"",
  // "JSON nesting exceeds 16 levels", "malformed JSON: <simdjson's text>"...
  // On error, out->id_json is the id when it could be read, else "null".
  absl::Status ParseLine(std::string_view line, Request* out);

  // Parses a binary frame's payload (the op's fields as a JSON object, or
  // empty for none) for a request whose id and op came in the frame header.
  // Same errors; "id" and "op" inside the payload are rejected as unknown.
  absl::Status ParseFrame(uint64_t id, uint16_t op, std::string_view payload, Request* out);

 private:
  absl::Status Parse(std::string_view text, bool from_frame, Request* out);

  simdjson::ondemand::parser parser_;
  std::string padded_;  // the text plus simdjson's padding
};

}  // namespace otter::server
