#include "bench/load/reply.h"

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/status_macros.h"

namespace otter::load {
namespace {

namespace od = simdjson::ondemand;

constexpr std::string_view kMalformed = "malformed_reply";

absl::Status Malformed(simdjson::error_code e, std::string_view where) {
  return absl::InvalidArgumentError(
      absl::StrCat("reply: ", std::string(where), ": ", simdjson::error_message(e)));
}

absl::StatusOr<ReplyHit> ParseHit(od::value value) {
  od::object object;
  if (auto e = value.get_object().get(object)) return Malformed(e, "hits[]");
  ReplyHit hit;
  for (auto field : object) {
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) return Malformed(e, "hits[] key");
    double number = 0;
    if (key == "id") {
      std::string_view id;
      if (auto e = field.value().get_string().get(id)) return Malformed(e, "hits[].id");
      hit.id = std::string(id);
    } else if (key == "score") {
      if (auto e = field.value().get_double().get(number)) return Malformed(e, "hits[].score");
      hit.score = number;
    } else if (key == "distance_km") {
      if (auto e = field.value().get_double().get(number))
        return Malformed(e, "hits[].distance_km");
      hit.distance_km = number;
    } else if (key == "compatibility") {
      if (auto e = field.value().get_double().get(number))
        return Malformed(e, "hits[].compatibility");
      hit.compatibility = number;
    }
  }
  return hit;
}

}  // namespace

ReplyStatus ScanReplyStatus(std::string_view reply) {
  const std::size_t ok = reply.find("\"ok\":");
  if (ok == std::string_view::npos) return ReplyStatus{false, kMalformed};
  const std::string_view value = reply.substr(ok + 5);
  if (value.starts_with("true")) return ReplyStatus{true, {}};
  constexpr std::string_view kCode = "\"code\":\"";
  const std::size_t code = value.find(kCode);
  if (code == std::string_view::npos) return ReplyStatus{false, kMalformed};
  const std::size_t start = code + kCode.size();
  const std::size_t end = value.find('"', start);
  if (end == std::string_view::npos) return ReplyStatus{false, kMalformed};
  return ReplyStatus{false, value.substr(start, end - start)};
}

absl::StatusOr<SearchReply> SearchReplyParser::Parse(std::string_view reply) {
  padded_.resize(reply.size() + simdjson::SIMDJSON_PADDING);
  std::memcpy(padded_.data(), reply.data(), reply.size());
  od::document doc;
  if (auto e = parser_.iterate(padded_.data(), reply.size(), padded_.size()).get(doc)) {
    return Malformed(e, "document");
  }
  od::object object;
  if (auto e = doc.get_object().get(object)) return Malformed(e, "document");
  SearchReply out;
  bool ok = false;
  bool has_total = false;
  bool has_hits = false;
  std::string error;
  for (auto field : object) {
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) return Malformed(e, "key");
    if (key == "ok") {
      if (auto e = field.value().get_bool().get(ok)) return Malformed(e, "ok");
    } else if (key == "error") {
      od::object error_object;
      std::string_view raw;
      if (auto e = field.value().get_object().get(error_object)) return Malformed(e, "error");
      if (auto e = error_object.raw_json().get(raw)) return Malformed(e, "error");
      error = std::string(raw);
    } else if (key == "total") {
      if (auto e = field.value().get_uint64().get(out.total)) return Malformed(e, "total");
      has_total = true;
    } else if (key == "hits") {
      od::array hits;
      if (auto e = field.value().get_array().get(hits)) return Malformed(e, "hits");
      for (auto element : hits) {
        od::value value;
        if (auto e = element.get(value)) return Malformed(e, "hits[]");
        OTTER_ASSIGN_OR_RETURN(ReplyHit hit, ParseHit(value));
        out.hits.push_back(std::move(hit));
      }
      has_hits = true;
    }
  }
  if (!ok) return absl::UnknownError(absl::StrCat("otterd answered an error: ", error));
  if (!has_total || !has_hits) return absl::InvalidArgumentError("reply: no total or no hits");
  return out;
}

}  // namespace otter::load
