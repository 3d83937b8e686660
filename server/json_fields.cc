#include "server/json_fields.h"

#include <algorithm>
#include <cmath>

#include "engine/catalog/records.h"

namespace otter::server::json {
namespace {

// User text echoed in a message is cut to this many bytes.
constexpr size_t kEchoBytes = 64;

}  // namespace

absl::Status Invalid(const std::string& message) { return absl::InvalidArgumentError(message); }

absl::Status Malformed(simdjson::error_code e) {
  return Invalid(absl::StrCat("malformed JSON: ", simdjson::error_message(e)));
}

std::string Echo(std::string_view text) {
  if (text.size() <= kEchoBytes) return std::string(text);
  size_t end = kEchoBytes;
  // Never cut a UTF-8 sequence: back up over continuation bytes.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return std::string(text.substr(0, end));
}

std::string Join(std::string_view path, std::string_view key) {
  std::string out(path);
  if (!out.empty()) out.push_back('.');
  out.append(key);
  return out;
}

std::string At(std::string_view path, size_t i) {
  return absl::StrCat(std::string(path), "[", i, "]");
}

absl::Status Unknown(std::string_view path, std::string_view key) {
  if (path.empty()) return Invalid(absl::StrCat("unknown field \"", Echo(key), "\""));
  return Invalid(absl::StrCat("unknown field \"", Echo(key), "\" in ", std::string(path)));
}

absl::StatusOr<od::json_type> TypeOf(od::value& v) {
  od::json_type type;
  if (auto e = v.type().get(type)) return Malformed(e);
  return type;
}

absl::StatusOr<od::object> ReadObject(od::value& v, std::string_view path) {
  OTTER_ASSIGN_OR_RETURN(const od::json_type type, TypeOf(v));
  if (type != od::json_type::object) {
    return Invalid(absl::StrCat(std::string(path), " must be an object"));
  }
  od::object object;
  if (auto e = v.get_object().get(object)) return Malformed(e);
  return object;
}

absl::StatusOr<std::string_view> ReadString(od::value& v, std::string_view path) {
  OTTER_ASSIGN_OR_RETURN(const od::json_type type, TypeOf(v));
  if (type != od::json_type::string) {
    return Invalid(absl::StrCat(std::string(path), " must be a string"));
  }
  std::string_view text;
  if (auto e = v.get_string().get(text)) return Malformed(e);
  return text;
}

absl::StatusOr<bool> ReadBool(od::value& v, std::string_view path) {
  OTTER_ASSIGN_OR_RETURN(const od::json_type type, TypeOf(v));
  bool value = false;
  if (type != od::json_type::boolean || v.get_bool().get(value)) {
    return Invalid(absl::StrCat(std::string(path), " must be true or false"));
  }
  return value;
}

absl::StatusOr<double> ReadNumber(od::value& v, std::string_view path) {
  OTTER_ASSIGN_OR_RETURN(const od::json_type type, TypeOf(v));
  if (type != od::json_type::number) {
    return Invalid(absl::StrCat(std::string(path), " must be a number"));
  }
  double value = 0;
  if (v.get_double().get(value) || !std::isfinite(value)) {
    return Invalid(absl::StrCat(std::string(path), " must be a finite number"));
  }
  return value;
}

absl::StatusOr<int64_t> ReadInteger(od::value& v, std::string_view path, int64_t lo, int64_t hi) {
  const auto not_integer = [&] {
    return Invalid(absl::StrCat(std::string(path), " must be an integer"));
  };
  OTTER_ASSIGN_OR_RETURN(const od::json_type type, TypeOf(v));
  if (type != od::json_type::number) return not_integer();
  int64_t integer = 0;
  if (!v.get_int64().get(integer)) return std::clamp(integer, lo, hi);
  double value = 0;
  if (v.get_double().get(value)) {
    // Beyond a double's range (1e400): as large as it gets, with its sign.
    return v.raw_json_token().substr(0, 1) == "-" ? lo : hi;
  }
  if (std::trunc(value) != value) return not_integer();
  if (value <= static_cast<double>(lo)) return lo;
  if (value >= static_cast<double>(hi)) return hi;
  return static_cast<int64_t>(value);
}

std::string_view TrimRight(std::string_view s) {
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

absl::StatusOr<int64_t> ReadCents(od::value& v, std::string_view path) {
  OTTER_ASSIGN_OR_RETURN(const od::json_type type, TypeOf(v));
  if (type != od::json_type::number) {
    return Invalid(absl::StrCat(std::string(path), " must be a number"));
  }
  return engine::ParseCents(TrimRight(v.raw_json_token()), path);
}

absl::StatusOr<std::string_view> ReadStringElement(od::value& item, std::string_view path,
                                                   size_t i) {
  OTTER_ASSIGN_OR_RETURN(const od::json_type type, TypeOf(item));
  std::string_view text;
  if (type == od::json_type::string && !item.get_string().get(text)) return text;
  return ReadString(item, At(path, i));
}

absl::StatusOr<engine::Uuid> ParseUuid(std::string_view text,
                                       absl::FunctionRef<std::string()> path) {
  absl::StatusOr<engine::Uuid> id = engine::Uuid::Parse(text);
  if (!id.ok()) return Invalid(absl::StrCat(path(), ": ", std::string(id.status().message())));
  return *id;
}

absl::StatusOr<engine::Uuid> ReadUuid(od::value& v, std::string_view path) {
  OTTER_ASSIGN_OR_RETURN(const std::string_view text, ReadString(v, path));
  return ParseUuid(text, [&] { return std::string(path); });
}

absl::StatusOr<engine::CivilDay> ReadDate(od::value& v, std::string_view path) {
  OTTER_ASSIGN_OR_RETURN(const std::string_view text, ReadString(v, path));
  return engine::ParseIsoDate(Echo(text), path);
}

absl::StatusOr<std::vector<std::string>> ReadStringList(od::value& v, std::string_view path) {
  OTTER_ASSIGN_OR_RETURN(const od::json_type type, TypeOf(v));
  std::vector<std::string> list;
  if (type == od::json_type::string) {
    OTTER_ASSIGN_OR_RETURN(const std::string_view text, ReadString(v, path));
    list.emplace_back(text);
    return list;
  }
  if (type != od::json_type::array) {
    return Invalid(absl::StrCat(std::string(path), " must be a string or an array of strings"));
  }
  OTTER_RETURN_IF_ERROR(ForEachElement(v, path, [&](size_t i, od::value& item) -> absl::Status {
    OTTER_ASSIGN_OR_RETURN(const std::string_view text, ReadStringElement(item, path, i));
    list.emplace_back(text);
    return absl::OkStatus();
  }));
  return list;
}

}  // namespace otter::server::json
