#include "bench/load/request_json.h"

#include <charconv>

#include "absl/strings/str_cat.h"
#include "server/frame_codec.h"
#include "server/response_writer.h"

namespace otter::load {
namespace {

void AppendString(std::string& out, std::string_view value) {
  server::ResponseWriter::AppendEscaped(out, value);
}

void AppendNear(std::string& out, const Query& q) {
  absl::StrAppend(&out, "\"near\":{\"lat\":", FormatDouble(q.point->lat),
                  ",\"lon\":", FormatDouble(q.point->lon),
                  ",\"radius_km\":", FormatDouble(q.radius_km), "}");
}

}  // namespace

std::string FormatDouble(double value) {
  char buffer[32];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, end);
}

server::Op OpOf(QueryKind kind) {
  switch (kind) {
    case QueryKind::kPing:
      return server::Op::kPing;
    case QueryKind::kHealth:
      return server::Op::kHealth;
    case QueryKind::kGeo:
    case QueryKind::kText:
    case QueryKind::kCombined:
      return server::Op::kSearch;
    case QueryKind::kPersonality:
      return server::Op::kMatch;
    case QueryKind::kSuggest:
      return server::Op::kSuggest;
    case QueryKind::kGet:
      return server::Op::kGet;
  }
  return server::Op::kPing;
}

std::string RequestFields(const Query& q) {
  std::string out = "{";
  switch (q.kind) {
    case QueryKind::kPing:
    case QueryKind::kHealth:
      break;
    case QueryKind::kGeo:
      out += "\"index\":\"tours\",";
      AppendNear(out, q);
      absl::StrAppend(&out, ",\"sort\":[\"distance\"],\"limit\":", q.limit);
      break;
    case QueryKind::kText:
      out += "\"index\":\"tours\",\"q\":";
      AppendString(out, q.text);
      absl::StrAppend(&out, ",\"sort\":[\"relevance\"],\"limit\":", q.limit);
      break;
    case QueryKind::kCombined:
      out += "\"index\":\"tours\",\"q\":";
      AppendString(out, q.text);
      out += ",";
      AppendNear(out, q);
      out += ",\"filters\":{\"category\":[";
      AppendString(out, q.category);
      absl::StrAppend(&out, "],\"price\":{\"max\":", q.price_max, "}}");
      if (!q.user_id.empty()) {
        out += ",\"personality\":{\"user_id\":";
        AppendString(out, q.user_id);
        out += "}";
      }
      absl::StrAppend(&out, ",\"sort\":[\"relevance\"],\"limit\":", q.limit);
      break;
    case QueryKind::kPersonality:
      out += "\"personality\":{\"user_id\":";
      AppendString(out, q.user_id);
      absl::StrAppend(&out, "},\"limit\":", q.limit);
      break;
    case QueryKind::kSuggest:
      out += "\"index\":\"tours\",\"prefix\":";
      AppendString(out, q.text);
      absl::StrAppend(&out, ",\"limit\":", q.limit);
      break;
    case QueryKind::kGet:
      out +=
          q.leader_index ? "\"index\":\"leaders\",\"doc_id\":" : "\"index\":\"tours\",\"doc_id\":";
      AppendString(out, q.doc_id);
      break;
  }
  out += "}";
  return out;
}

std::string JsonLine(server::Op op, std::string_view fields, uint64_t id) {
  std::string line =
      absl::StrCat("{\"id\":", id, ",\"op\":\"", std::string(server::OpName(op)), "\"");
  if (fields.size() > 2)
    absl::StrAppend(&line, ",", std::string(fields.substr(1, fields.size() - 2)));
  line += "}\n";
  return line;
}

void AppendFrame(std::string& out, server::Op op, std::string_view fields, uint64_t id) {
  const std::string_view payload = fields == "{}" ? std::string_view() : fields;
  server::AppendFrameHeader(out, id, static_cast<uint16_t>(op), payload.size());
  out.append(payload);
}

}  // namespace otter::load
