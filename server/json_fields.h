#pragma once
// Typed readers of simdjson on-demand values for the request parsers, with
// the errors the protocol promises: kInvalidArgument naming the field by its
// JSON path ("near.lat must be a number", "leader_ids[3]: invalid UUID
// \"abc\": …", "duplicate field \"filters.price\""), user text echoed at
// most 64 bytes long and never cut inside a UTF-8 sequence.
//
//   OTTER_ASSIGN_OR_RETURN(double lat, json::ReadNumber(value, "near.lat"));
//   OTTER_RETURN_IF_ERROR(json::ForEachMember(object, "near", [&](std::string_view key,
//                                                               od::value& v) { … }));
//
// Thread safety: pure functions.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "simdjson.h"

#include "engine/catalog/civil_day.h"
#include "engine/status_macros.h"
#include "engine/uuid.h"

namespace otter::server::json {

namespace od = simdjson::ondemand;

absl::Status Invalid(const std::string& message);
// "malformed JSON: <simdjson's message>".
absl::Status Malformed(simdjson::error_code e);
// `text`, cut to at most 64 bytes for an error message.
std::string Echo(std::string_view text);
// The path of member `key` of the object at `path` ("" for the body).
std::string Join(std::string_view path, std::string_view key);
// The path of element `i` of the array at `path`: "leader_ids[3]".
std::string At(std::string_view path, size_t i);
// "unknown field \"key\" in path" (or without " in …" at the top level).
absl::Status Unknown(std::string_view path, std::string_view key);

absl::StatusOr<od::json_type> TypeOf(od::value& v);
// Each fails with "<path> must be …" when `v` has another type.
absl::StatusOr<od::object> ReadObject(od::value& v, std::string_view path);
absl::StatusOr<std::string_view> ReadString(od::value& v, std::string_view path);
absl::StatusOr<bool> ReadBool(od::value& v, std::string_view path);
// A finite number.
absl::StatusOr<double> ReadNumber(od::value& v, std::string_view path);
// An integral number (10 and 1e1 are, 10.5 is not), clamped to [lo, hi].
// Callers pass bounds just outside the field's valid range, so that a value
// too large for any integer type still fails the field's own range check.
absl::StatusOr<int64_t> ReadInteger(od::value& v, std::string_view path, int64_t lo, int64_t hi);
// A money amount in currency units (120, 129.5), exactly in cents, from the
// number's text: more than 2 decimals (or an exponent) is an error.
absl::StatusOr<int64_t> ReadCents(od::value& v, std::string_view path);
// Element i of the array at `path`, a string. Its path is spelled out only
// for an error: arrays may be long.
absl::StatusOr<std::string_view> ReadStringElement(od::value& item, std::string_view path,
                                                   size_t i);
// `text` as a UUID; the error names path().
absl::StatusOr<engine::Uuid> ParseUuid(std::string_view text,
                                       absl::FunctionRef<std::string()> path);
absl::StatusOr<engine::Uuid> ReadUuid(od::value& v, std::string_view path);
// An ISO date, "2026-07-01".
absl::StatusOr<engine::CivilDay> ReadDate(od::value& v, std::string_view path);
// A string, or an array of strings ("water" or ["water", "food"]).
absl::StatusOr<std::vector<std::string>> ReadStringList(od::value& v, std::string_view path);
// `s` without trailing JSON whitespace.
std::string_view TrimRight(std::string_view s);

// Moves the value of `result` into *out, or returns its error.
template <typename T, typename U>
absl::Status Assign(absl::StatusOr<T> result, U* out) {
  if (!result.ok()) return result.status();
  *out = std::move(*result);
  return absl::OkStatus();
}

// Calls `member(key, value)` for each member of `object` (at `path`) whose
// value is not null, in order; a name given twice is an error. Objects stay
// small: every caller stops at its first unknown name or past its bound.
template <typename Member>
absl::Status ForEachMember(od::object object, std::string_view path, Member&& member) {
  absl::InlinedVector<std::string_view, 16> seen;
  for (auto field : object) {
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) return Malformed(e);
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
      return Invalid(absl::StrCat("duplicate field \"", Echo(Join(path, key)), "\""));
    }
    seen.push_back(key);
    od::value value;
    if (auto e = field.value().get(value)) return Malformed(e);
    OTTER_ASSIGN_OR_RETURN(const od::json_type type, TypeOf(value));
    if (type == od::json_type::null) continue;
    OTTER_RETURN_IF_ERROR(member(key, value));
  }
  return absl::OkStatus();
}

// Calls `element(i, value)` for each element of the array `v` at `path`.
template <typename Element>
absl::Status ForEachElement(od::value& v, std::string_view path, Element&& element) {
  OTTER_ASSIGN_OR_RETURN(const od::json_type type, TypeOf(v));
  if (type != od::json_type::array) {
    return Invalid(absl::StrCat(std::string(path), " must be an array"));
  }
  od::array array;
  if (auto e = v.get_array().get(array)) return Malformed(e);
  size_t i = 0;
  for (auto item : array) {
    od::value value;
    if (auto e = item.get(value)) return Malformed(e);
    OTTER_RETURN_IF_ERROR(element(i++, value));
  }
  return absl::OkStatus();
}

}  // namespace otter::server::json
