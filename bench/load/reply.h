#pragma once
// Reading otterd's replies: the load generator only needs ok / error code,
// found by a scan without parsing; the side-by-side needs a search reply's
// total and hits.
//
//   ReplyStatus s = ScanReplyStatus(line);   // s.ok, or s.code == "overloaded"
//   OTTER_ASSIGN_OR_RETURN(SearchReply r, parser.Parse(line));  // r.total, r.hits[0].id
//
// Thread safety: ScanReplyStatus is pure; a SearchReplyParser is used by one
// thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "simdjson.h"

namespace otter::load {

struct ReplyStatus {
  bool ok = false;
  // The error's code when !ok ("bad_request"...), a view into the reply; or
  // "malformed_reply" when the reply has no top-level "ok" member or no
  // error code.
  std::string_view code;
};

// Reads "ok" and the error code of one reply object. Members of nested
// objects come after "ok" in otterd's replies, and a string value cannot
// hold an unescaped quote, so the first `"ok":` is the top-level member.
ReplyStatus ScanReplyStatus(std::string_view reply);

struct ReplyHit {
  std::string id;
  std::optional<double> score;
  std::optional<double> distance_km;
  std::optional<double> compatibility;
};

struct SearchReply {
  uint64_t total = 0;
  std::vector<ReplyHit> hits;
};

class SearchReplyParser {
 public:
  // Parses a search or match reply. kInvalidArgument for malformed JSON or a
  // missing total or hits; kUnknown carrying the reply's error object when
  // it says "ok": false.
  absl::StatusOr<SearchReply> Parse(std::string_view reply);

 private:
  simdjson::ondemand::parser parser_;
  std::string padded_;
};

}  // namespace otter::load
