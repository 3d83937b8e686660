#include "server/request.h"

#include <array>
#include <cstring>
#include <span>

#include "absl/strings/str_cat.h"
#include "server/response_writer.h"

namespace otter::server {
namespace {

using simdjson::error_code;
namespace od = simdjson::ondemand;

constexpr std::array<std::string_view, kOpCount> kOpNames = {
    "", "ping", "health", "stats", "search", "match", "score", "suggest", "get",
    "recompute_matches", "auth"};

// The fields each op accepts besides the envelope (id, op, after). The
// engine's request structs (engine/query/search_request.h) define their
// meaning; this table only rejects misspellings early.
constexpr std::string_view kSearchFields[] = {
    "index", "q", "near", "bbox", "filters", "personality", "sort", "rank",
    "facets", "limit", "offset", "cursor", "explain"};
constexpr std::string_view kMatchFields[] = {"personality", "user_id", "traits", "near", "filters",
                                             "limit", "offset", "cursor", "explain"};
constexpr std::string_view kScoreFields[] = {"personality", "user_id", "traits", "leader_ids"};
constexpr std::string_view kSuggestFields[] = {"index", "prefix", "limit"};
constexpr std::string_view kGetFields[] = {"index", "doc_id"};
constexpr std::string_view kRecomputeFields[] = {"user_ids", "k"};
constexpr std::string_view kAuthFields[] = {"token"};

std::span<const std::string_view> OpFields(Op op) {
  switch (op) {
    case Op::kSearch: return kSearchFields;
    case Op::kMatch: return kMatchFields;
    case Op::kScore: return kScoreFields;
    case Op::kSuggest: return kSuggestFields;
    case Op::kGet: return kGetFields;
    case Op::kRecomputeMatches: return kRecomputeFields;
    case Op::kAuth: return kAuthFields;
    case Op::kPing:
    case Op::kHealth:
    case Op::kStats: return {};
  }
  return {};
}

bool IsOpField(Op op, std::string_view key) {
  for (std::string_view f : OpFields(op)) {
    if (f == key) return true;
  }
  return false;
}

bool IsEngineOp(Op op) { return op >= Op::kSearch && op <= Op::kRecomputeMatches; }

absl::Status Invalid(std::string_view message) {
  return absl::InvalidArgumentError(std::string(message));
}

absl::Status Malformed(error_code e) {
  return absl::InvalidArgumentError(absl::StrCat("malformed JSON: ", simdjson::error_message(e)));
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// One pass over the bytes before simdjson sees them: rejects nesting deeper
// than kMaxJsonDepth (far below simdjson's default of 1024) and anything
// after the top-level value. Syntax is simdjson's business.
absl::Status CheckStructure(std::string_view text) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxJsonDepth) {
        return Invalid(absl::StrCat("JSON nesting exceeds ", kMaxJsonDepth, " levels"));
      }
    } else if (c == '}' || c == ']') {
      if (--depth == 0) {
        for (std::size_t j = i + 1; j < text.size(); ++j) {
          if (!IsSpace(text[j])) return Invalid("malformed JSON: content after the request object");
        }
        return absl::OkStatus();
      }
    }
  }
  return absl::OkStatus();
}

// Reads `v` to its end so that a syntax error anywhere in it is found.
// Depth is bounded by CheckStructure().
error_code Walk(od::value v) {
  od::json_type type;
  if (auto e = v.type().get(type)) return e;
  switch (type) {
    case od::json_type::object: {
      od::object object;
      if (auto e = v.get_object().get(object)) return e;
      for (auto field : object) {
        std::string_view key;
        if (auto e = field.unescaped_key().get(key)) return e;
        od::value child;
        if (auto e = field.value().get(child)) return e;
        if (auto e = Walk(child)) return e;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::array: {
      od::array array;
      if (auto e = v.get_array().get(array)) return e;
      for (auto element : array) {
        od::value child;
        if (auto e = element.get(child)) return e;
        if (auto e = Walk(child)) return e;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::string: return v.get_string().error();
    case od::json_type::number: return v.get_double().error();
    case od::json_type::boolean: return v.get_bool().error();
    case od::json_type::null: {
      bool is_null = false;
      if (auto e = v.is_null().get(is_null)) return e;
      return is_null ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR;
    }
  }
  return simdjson::INCORRECT_TYPE;
}

std::string_view TrimRight(std::string_view s) {
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string_view OpName(Op op) {
  const auto code = static_cast<uint16_t>(op);
  return code < kOpNames.size() ? kOpNames[code] : std::string_view();
}

std::optional<Op> OpFromName(std::string_view name) {
  for (uint16_t code = 1; code < kOpNames.size(); ++code) {
    if (kOpNames[code] == name) return static_cast<Op>(code);
  }
  return std::nullopt;
}

std::optional<Op> OpFromCode(uint16_t code) {
  if (code == 0 || code > kMaxOpCode) return std::nullopt;
  return static_cast<Op>(code);
}

RequestParser::RequestParser() = default;

absl::Status RequestParser::ParseLine(std::string_view line, Request* out) {
  *out = Request();
  return Parse(line, /*from_frame=*/false, out);
}

absl::Status RequestParser::ParseFrame(uint64_t id, uint16_t op, std::string_view payload,
                                       Request* out) {
  *out = Request();
  out->id_json = std::to_string(id);
  std::optional<Op> known = OpFromCode(op);
  if (!known) return Invalid(absl::StrCat("unknown op code ", op));
  out->op = *known;
  if (TrimRight(payload).empty()) payload = "{}";
  return Parse(payload, /*from_frame=*/true, out);
}

absl::Status RequestParser::Parse(std::string_view text, bool from_frame, Request* out) {
  std::size_t first = 0;
  while (first < text.size() && IsSpace(text[first])) ++first;
  if (first == text.size() || text[first] != '{') return Invalid("request must be a JSON object");
  if (absl::Status s = CheckStructure(text); !s.ok()) return s;

  padded_.resize(text.size() + simdjson::SIMDJSON_PADDING);
  std::memcpy(padded_.data(), text.data(), text.size());
  simdjson::padded_string_view view(padded_.data(), text.size(), padded_.size());
  od::document doc;
  if (auto e = parser_.iterate(view).get(doc)) return Malformed(e);
  od::object object;
  if (auto e = doc.get_object().get(object)) return Malformed(e);

  // The first problem with the envelope; the walk goes on so that the id
  // can still be echoed and syntax errors still win.
  absl::Status problem;
  bool seen_id = false, seen_op = from_frame, seen_after = false;
  for (auto field : object) {
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) return Malformed(e);
    od::value value;
    if (auto e = field.value().get(value)) return Malformed(e);
    od::json_type type;
    if (auto e = value.type().get(type)) return Malformed(e);
    const bool envelope = !from_frame && (key == "id" || key == "op");
    if (envelope || key == "after") {
      bool& seen = key == "id" ? seen_id : key == "op" ? seen_op : seen_after;
      if (seen && problem.ok()) problem = Invalid(absl::StrCat("duplicate field \"", std::string(key), "\""));
      seen = true;
    }
    if (envelope && key == "id") {
      if (type == od::json_type::number) {
        out->id_json = std::string(TrimRight(value.raw_json_token()));
        if (auto e = value.get_double().error()) return Malformed(e);
        continue;
      }
      if (type == od::json_type::string) {
        std::string_view id;
        if (auto e = value.get_string().get(id)) return Malformed(e);
        out->id_json.clear();
        ResponseWriter::AppendEscaped(out->id_json, id);
        continue;
      }
      if (problem.ok()) problem = Invalid("id must be a number or a string");
    } else if (envelope && key == "op") {
      if (type == od::json_type::string) {
        std::string_view name;
        if (auto e = value.get_string().get(name)) return Malformed(e);
        if (std::optional<Op> op = OpFromName(name)) {
          out->op = *op;
        } else if (problem.ok()) {
          problem = Invalid(absl::StrCat("unknown op \"", std::string(name.substr(0, 64)), "\""));
        }
        continue;
      }
      if (problem.ok()) problem = Invalid("op must be a string");
    } else if (key == "after") {
      uint64_t after = 0;
      if (type == od::json_type::number && !value.get_uint64().get(after)) {
        out->after = after;
        continue;
      }
      if (problem.ok()) problem = Invalid("after must be a non-negative integer");
    } else if (key == "token" && type == od::json_type::string) {
      std::string_view token;
      if (auto e = value.get_string().get(token)) return Malformed(e);
      out->token = std::string(token);
      continue;
    }
    if (auto e = Walk(value)) return Malformed(e);
  }
  if (!problem.ok()) return problem;
  if (!seen_op) return Invalid("op is required");

  // Second pass, now that the op is known: every field must be one it takes.
  doc.rewind();
  if (auto e = doc.get_object().get(object)) return Malformed(e);
  for (auto field : object) {
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) return Malformed(e);
    if (key == "after" || (!from_frame && (key == "id" || key == "op"))) continue;
    if (!IsOpField(out->op, key)) {
      return Invalid(absl::StrCat("unknown field \"", std::string(key.substr(0, 64)),
                                  "\" for op \"", std::string(OpName(out->op)), "\""));
    }
  }
  if (out->op == Op::kAuth && out->token.empty()) return Invalid("token must be a non-empty string");
  if (IsEngineOp(out->op)) out->body = std::string(text);
  return absl::OkStatus();
}

}  // namespace otter::server
