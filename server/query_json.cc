#include "server/query_json.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/catalog/civil_day.h"
#include "engine/catalog/records.h"
#include "engine/catalog/tour_filter.h"
#include "engine/status_macros.h"
#include "engine/traits.h"

namespace otter::server {
namespace {

namespace od = simdjson::ondemand;
using engine::GeoBox;
using engine::Uuid;
using engine::query::DistanceDecaySpec;
using engine::query::IndexKind;
using engine::query::NearSpec;
using engine::query::PersonalitySpec;
using engine::query::RankSpec;
using engine::query::SortOrder;
using engine::query::SortSpec;

constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();
// User text echoed in a message is cut to this many bytes.
constexpr size_t kEchoBytes = 64;

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

// The path of member `key` of the object at `path` ("" for the body).
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

bool IsEnvelope(std::string_view key) { return key == "id" || key == "op" || key == "after"; }

// Moves the value of `result` into *out, or returns its error.
template <typename T, typename U>
absl::Status Assign(absl::StatusOr<T> result, U* out) {
  if (!result.ok()) return result.status();
  *out = std::move(*result);
  return absl::OkStatus();
}

absl::StatusOr<od::json_type> TypeOf(od::value& v) {
  od::json_type type;
  if (auto e = v.type().get(type)) return Malformed(e);
  return type;
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

// An integral number (10 and 1e1 are, 10.5 is not), clamped to [lo, hi].
// Callers pass bounds just outside the field's valid range, so that a value
// too large for any integer type still fails the field's own range check.
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

// A money amount in currency units (120, 129.5), exactly in cents, from the
// number's text: more than 2 decimals (or an exponent) is an error.
absl::StatusOr<int64_t> ReadCents(od::value& v, std::string_view path) {
  OTTER_ASSIGN_OR_RETURN(const od::json_type type, TypeOf(v));
  if (type != od::json_type::number) {
    return Invalid(absl::StrCat(std::string(path), " must be a number"));
  }
  return engine::ParseCents(TrimRight(v.raw_json_token()), path);
}

// Element i of the array at `path`, a string. Its path is spelled out only
// for an error: arrays may be long.
absl::StatusOr<std::string_view> ReadStringElement(od::value& item, std::string_view path,
                                                   size_t i) {
  OTTER_ASSIGN_OR_RETURN(const od::json_type type, TypeOf(item));
  std::string_view text;
  if (type == od::json_type::string && !item.get_string().get(text)) return text;
  return ReadString(item, At(path, i));
}

absl::StatusOr<Uuid> ParseUuid(std::string_view text, absl::FunctionRef<std::string()> path) {
  absl::StatusOr<Uuid> id = Uuid::Parse(text);
  if (!id.ok()) return Invalid(absl::StrCat(path(), ": ", std::string(id.status().message())));
  return *id;
}

absl::StatusOr<Uuid> ReadUuid(od::value& v, std::string_view path) {
  OTTER_ASSIGN_OR_RETURN(const std::string_view text, ReadString(v, path));
  return ParseUuid(text, [&] { return std::string(path); });
}

absl::StatusOr<engine::CivilDay> ReadDate(od::value& v, std::string_view path) {
  OTTER_ASSIGN_OR_RETURN(const std::string_view text, ReadString(v, path));
  return engine::ParseIsoDate(Echo(text), path);
}

// A string, or an array of strings ("water" or ["water", "food"]).
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

absl::StatusOr<IndexKind> ReadIndex(od::value& v) {
  OTTER_ASSIGN_OR_RETURN(const std::string_view name, ReadString(v, "index"));
  if (name == "tours") return IndexKind::kTours;
  if (name == "leaders") return IndexKind::kLeaders;
  return Invalid(absl::StrCat("index must be \"tours\" or \"leaders\", got \"", Echo(name), "\""));
}

absl::StatusOr<int> ReadLimit(od::value& v, int max) {
  OTTER_ASSIGN_OR_RETURN(const int64_t limit, ReadInteger(v, "limit", 0, max + 1));
  return static_cast<int>(limit);
}

absl::StatusOr<int> ReadOffset(od::value& v) {
  OTTER_ASSIGN_OR_RETURN(const int64_t offset,
                         ReadInteger(v, "offset", -1, engine::query::kMaxDepth + 1));
  return static_cast<int>(offset);
}

// Reads the numbers `names` of the object `v` at `path`, all required.
template <size_t N>
absl::Status ReadRequiredNumbers(od::value& v, std::string_view path,
                                 const std::array<std::string_view, N>& names,
                                 const std::array<double*, N>& out) {
  OTTER_ASSIGN_OR_RETURN(od::object object, ReadObject(v, path));
  std::array<bool, N> seen{};
  OTTER_RETURN_IF_ERROR(ForEachMember(object, path, [&](std::string_view key, od::value& value) {
    for (size_t i = 0; i < N; ++i) {
      if (key != names[i]) continue;
      seen[i] = true;
      return Assign(ReadNumber(value, Join(path, key)), out[i]);
    }
    return Unknown(path, key);
  }));
  for (size_t i = 0; i < N; ++i) {
    if (!seen[i]) return Invalid(absl::StrCat(Join(path, names[i]), " is required"));
  }
  return absl::OkStatus();
}

absl::StatusOr<NearSpec> ReadNear(od::value& v) {
  NearSpec near;
  OTTER_RETURN_IF_ERROR(ReadRequiredNumbers<3>(v, "near", {"lat", "lon", "radius_km"},
                                               {&near.lat, &near.lon, &near.radius_km}));
  return near;
}

absl::StatusOr<GeoBox> ReadBox(od::value& v) {
  GeoBox box;
  OTTER_RETURN_IF_ERROR(ReadRequiredNumbers<4>(v, "bbox", {"south", "west", "north", "east"},
                                               {&box.south, &box.west, &box.north, &box.east}));
  return box;
}

// A trait object ({"adventurous": 0.9, ...}) at `path`.
absl::Status ReadTraits(od::value& v, std::string_view path,
                        std::vector<std::pair<std::string, double>>* traits) {
  OTTER_ASSIGN_OR_RETURN(od::object object, ReadObject(v, path));
  const std::string where(path);
  OTTER_RETURN_IF_ERROR(
      ForEachMember(object, path, [&](std::string_view key, od::value& value) -> absl::Status {
        if (traits->size() == static_cast<size_t>(engine::kMaxTraits)) {
          return Invalid(absl::StrCat(where, ": at most ", engine::kMaxTraits, " traits"));
        }
        if (key.empty()) return Invalid(absl::StrCat(where, ": empty trait name"));
        const std::string name = Join(path, Echo(key));
        OTTER_ASSIGN_OR_RETURN(const double x, ReadNumber(value, name));
        if (!(x >= 0 && x <= 1)) return Invalid(absl::StrCat(name, " must be within [0, 1]"));
        traits->emplace_back(std::string(key), x);
        return absl::OkStatus();
      }));
  if (traits->empty()) return Invalid(absl::StrCat(where, " must not be empty"));
  return absl::OkStatus();
}

absl::StatusOr<PersonalitySpec> ReadPersonality(od::value& v) {
  OTTER_ASSIGN_OR_RETURN(od::object object, ReadObject(v, "personality"));
  PersonalitySpec spec;
  OTTER_RETURN_IF_ERROR(ForEachMember(
      object, "personality", [&](std::string_view key, od::value& value) -> absl::Status {
        if (key == "user_id") return Assign(ReadUuid(value, "personality.user_id"), &spec.user_id);
        if (key == "traits") return ReadTraits(value, "personality.traits", &spec.traits);
        return Unknown("personality", key);
      }));
  return spec;
}

// The personality of match and score: `personality`, or its members at the
// top level.
struct PersonalityForms {
  std::optional<PersonalitySpec> personality;
  PersonalitySpec top_level;

  // Reads member `key` when it is one of the three; *taken says whether it was.
  absl::Status Read(std::string_view key, od::value& v, bool* taken) {
    *taken = true;
    if (key == "personality") return Assign(ReadPersonality(v), &personality);
    if (key == "user_id") return Assign(ReadUuid(v, "user_id"), &top_level.user_id);
    if (key == "traits") return ReadTraits(v, "traits", &top_level.traits);
    *taken = false;
    return absl::OkStatus();
  }

  absl::StatusOr<PersonalitySpec> Resolve() && {
    const bool top = top_level.user_id.has_value() || top_level.has_traits();
    if (personality.has_value() && top) {
      return Invalid("personality: give personality or a top-level user_id or traits, not both");
    }
    if (top_level.user_id.has_value() && top_level.has_traits()) {
      return Invalid("user_id: give user_id or traits, not both");
    }
    return personality.has_value() ? std::move(*personality) : std::move(top_level);
  }
};

absl::Status ReadPrice(od::value& v, engine::TourFilterSpec* spec) {
  OTTER_ASSIGN_OR_RETURN(od::object object, ReadObject(v, "filters.price"));
  return ForEachMember(object, "filters.price", [&](std::string_view key, od::value& value) {
    if (key == "min") return Assign(ReadCents(value, "filters.price.min"), &spec->price_min_cents);
    if (key == "max") return Assign(ReadCents(value, "filters.price.max"), &spec->price_max_cents);
    return Unknown("filters.price", key);
  });
}

absl::Status ReadDuration(od::value& v, engine::TourFilterSpec* spec) {
  constexpr std::string_view kPath = "filters.duration";
  OTTER_ASSIGN_OR_RETURN(od::object object, ReadObject(v, kPath));
  return ForEachMember(object, kPath, [&](std::string_view key, od::value& value) -> absl::Status {
    const std::string path = Join(kPath, key);
    // Days below 0 stay negative for the filter's own check.
    if (key == "min_days" || key == "max_days") {
      OTTER_ASSIGN_OR_RETURN(const int64_t days, ReadInteger(value, path, -1, kInt32Max));
      (key == "min_days" ? spec->duration_min_days : spec->duration_max_days) =
          static_cast<int32_t>(days);
      return absl::OkStatus();
    }
    if (key == "min_hours") return Assign(ReadNumber(value, path), &spec->duration_min_hours);
    if (key == "max_hours") return Assign(ReadNumber(value, path), &spec->duration_max_hours);
    return Unknown(kPath, key);
  });
}

absl::Status ReadRating(od::value& v, engine::TourFilterSpec* spec) {
  OTTER_ASSIGN_OR_RETURN(od::object object, ReadObject(v, "filters.rating"));
  return ForEachMember(object, "filters.rating", [&](std::string_view key, od::value& value) {
    if (key == "min") return Assign(ReadNumber(value, "filters.rating.min"), &spec->rating_min);
    return Unknown("filters.rating", key);
  });
}

// ["en", "pt"] (any of them) or {"any": [...], "all": [...]}.
absl::Status ReadLanguages(od::value& v, engine::LeaderFilterSpec* spec) {
  constexpr std::string_view kPath = "filters.languages";
  OTTER_ASSIGN_OR_RETURN(const od::json_type type, TypeOf(v));
  if (type == od::json_type::array) return Assign(ReadStringList(v, kPath), &spec->languages_any);
  if (type != od::json_type::object) {
    return Invalid("filters.languages must be an array of language codes or an object");
  }
  OTTER_ASSIGN_OR_RETURN(od::object object, ReadObject(v, kPath));
  return ForEachMember(object, kPath, [&](std::string_view key, od::value& value) {
    if (key == "any") {
      return Assign(ReadStringList(value, "filters.languages.any"), &spec->languages_any);
    }
    if (key == "all") {
      return Assign(ReadStringList(value, "filters.languages.all"), &spec->languages_all);
    }
    return Unknown(kPath, key);
  });
}

absl::Status ReadLeaderTypes(od::value& v, engine::LeaderFilterSpec* spec) {
  constexpr std::string_view kPath = "filters.leader_type";
  OTTER_ASSIGN_OR_RETURN(const od::json_type type, TypeOf(v));
  OTTER_ASSIGN_OR_RETURN(const std::vector<std::string> names, ReadStringList(v, kPath));
  for (size_t i = 0; i < names.size(); ++i) {
    absl::StatusOr<engine::LeaderType> leader_type = engine::ParseLeaderType(names[i]);
    if (!leader_type.ok()) {
      const std::string path = type == od::json_type::array ? At(kPath, i) : std::string(kPath);
      return engine::ParseLeaderType(Echo(names[i]), path).status();
    }
    spec->types.push_back(*leader_type);
  }
  return absl::OkStatus();
}

absl::Status ReadAvailable(od::value& v, engine::TourFilterSpec* spec) {
  constexpr std::string_view kPath = "filters.available";
  OTTER_ASSIGN_OR_RETURN(od::object object, ReadObject(v, kPath));
  std::optional<engine::CivilDay> from;
  std::optional<engine::CivilDay> to;
  engine::AvailabilitySpec available;
  OTTER_RETURN_IF_ERROR(
      ForEachMember(object, kPath, [&](std::string_view key, od::value& value) -> absl::Status {
        if (key == "from") return Assign(ReadDate(value, "filters.available.from"), &from);
        if (key == "to") return Assign(ReadDate(value, "filters.available.to"), &to);
        if (key == "participants") {
          // 0 and below stay 0 for the filter's own check.
          OTTER_ASSIGN_OR_RETURN(
              const int64_t participants,
              ReadInteger(value, "filters.available.participants", 0, kInt32Max));
          available.participants = static_cast<int32_t>(participants);
          return absl::OkStatus();
        }
        return Unknown(kPath, key);
      }));
  if (!from.has_value()) return Invalid("filters.available.from is required");
  available.from = *from;
  available.to = to.value_or(*from);
  spec->available = available;
  return absl::OkStatus();
}

// The `filters` object, every field a tour or leader search knows, in one
// spec; which of them the op takes is decided once the whole body is read.
// *raw_json (when given) receives the object's JSON text.
absl::StatusOr<engine::TourFilterSpec> ReadFilters(od::value& v, std::string* raw_json) {
  OTTER_ASSIGN_OR_RETURN(od::object object, ReadObject(v, "filters"));
  if (raw_json != nullptr) {
    std::string_view text;
    if (auto e = object.raw_json().get(text)) return Malformed(e);
    *raw_json = std::string(TrimRight(text));
    bool unused = false;
    if (auto e = object.reset().get(unused)) return Malformed(e);
  }
  engine::TourFilterSpec spec;
  OTTER_RETURN_IF_ERROR(
      ForEachMember(object, "filters", [&](std::string_view key, od::value& value) -> absl::Status {
        if (key == "category") {
          return Assign(ReadStringList(value, "filters.category"), &spec.categories);
        }
        if (key == "price") return ReadPrice(value, &spec);
        if (key == "duration") return ReadDuration(value, &spec);
        if (key == "rating") return ReadRating(value, &spec);
        if (key == "languages") return ReadLanguages(value, &spec.leader);
        if (key == "specialties") {
          return Assign(ReadStringList(value, "filters.specialties"), &spec.leader.specialties_any);
        }
        if (key == "leader_type") return ReadLeaderTypes(value, &spec.leader);
        if (key == "verified") {
          return Assign(ReadBool(value, "filters.verified"), &spec.leader.verified_only);
        }
        if (key == "available") return ReadAvailable(value, &spec);
        return Unknown("filters", key);
      }));
  return spec;
}

// The filters a leader search takes; the tour-only ones stay in *spec.
engine::query::LeaderSearchFilterSpec TakeLeaderFilters(engine::TourFilterSpec* spec) {
  engine::query::LeaderSearchFilterSpec leader;
  leader.leader = std::move(spec->leader);
  leader.rating_min = spec->rating_min;
  leader.price_min_cents = spec->price_min_cents;
  leader.price_max_cents = spec->price_max_cents;
  spec->leader = {};
  spec->rating_min.reset();
  spec->price_min_cents.reset();
  spec->price_max_cents.reset();
  return leader;
}

absl::StatusOr<std::vector<SortSpec>> ReadSort(od::value& v) {
  std::vector<SortSpec> sort;
  OTTER_RETURN_IF_ERROR(ForEachElement(v, "sort", [&](size_t i, od::value& item) -> absl::Status {
    if (i == 8) return Invalid("sort: at most 8 keys");
    const std::string path = At("sort", i);
    OTTER_ASSIGN_OR_RETURN(const od::json_type type, TypeOf(item));
    if (type == od::json_type::string) {
      OTTER_ASSIGN_OR_RETURN(const std::string_view key, ReadString(item, path));
      sort.push_back(SortSpec{std::string(key), SortOrder::kDefault});
      return absl::OkStatus();
    }
    const std::string one_member =
        absl::StrCat(path, " must be a key name or an object like {\"price\": \"desc\"}");
    if (type != od::json_type::object) return Invalid(one_member);
    OTTER_ASSIGN_OR_RETURN(od::object object, ReadObject(item, path));
    std::optional<SortSpec> spec;
    OTTER_RETURN_IF_ERROR(
        ForEachMember(object, path, [&](std::string_view key, od::value& value) -> absl::Status {
          if (spec.has_value()) return Invalid(one_member);
          const std::string order_path = Join(path, Echo(key));
          const std::string bad_order = absl::StrCat(order_path, " must be \"asc\" or \"desc\"");
          OTTER_ASSIGN_OR_RETURN(const od::json_type order_type, TypeOf(value));
          if (order_type != od::json_type::string) return Invalid(bad_order);
          OTTER_ASSIGN_OR_RETURN(const std::string_view order, ReadString(value, order_path));
          if (order != "asc" && order != "desc") return Invalid(bad_order);
          spec = SortSpec{std::string(key),
                          order == "asc" ? SortOrder::kAscending : SortOrder::kDescending};
          return absl::OkStatus();
        }));
    if (!spec.has_value()) return Invalid(one_member);
    sort.push_back(std::move(*spec));
    return absl::OkStatus();
  }));
  return sort;
}

absl::StatusOr<DistanceDecaySpec> ReadDecay(od::value& v) {
  constexpr std::string_view kPath = "rank.distance";
  OTTER_ASSIGN_OR_RETURN(od::object object, ReadObject(v, kPath));
  DistanceDecaySpec decay;
  OTTER_RETURN_IF_ERROR(
      ForEachMember(object, kPath, [&](std::string_view key, od::value& value) -> absl::Status {
        const std::string path = Join(kPath, key);
        if (key == "decay") return Assign(ReadString(value, path), &decay.decay);
        if (key == "scale_km") return Assign(ReadNumber(value, path), &decay.scale_km);
        if (key == "offset_km") return Assign(ReadNumber(value, path), &decay.offset_km);
        if (key == "decay_at_scale") return Assign(ReadNumber(value, path), &decay.decay_at_scale);
        if (key == "weight") return Assign(ReadNumber(value, path), &decay.weight);
        return Unknown(kPath, key);
      }));
  return decay;
}

absl::StatusOr<RankSpec> ReadRank(od::value& v) {
  OTTER_ASSIGN_OR_RETURN(od::object object, ReadObject(v, "rank"));
  RankSpec rank;
  OTTER_RETURN_IF_ERROR(
      ForEachMember(object, "rank", [&](std::string_view key, od::value& value) -> absl::Status {
        const std::string path = Join("rank", key);
        if (key == "text") return Assign(ReadNumber(value, path), &rank.text);
        if (key == "distance") return Assign(ReadDecay(value), &rank.distance);
        if (key == "compatibility") return Assign(ReadNumber(value, path), &rank.compatibility);
        if (key == "rating") return Assign(ReadNumber(value, path), &rank.rating);
        if (key == "popularity") return Assign(ReadNumber(value, path), &rank.popularity);
        return Unknown("rank", key);
      }));
  return rank;
}

absl::StatusOr<std::vector<std::string>> ReadFacets(od::value& v) {
  std::vector<std::string> facets;
  OTTER_RETURN_IF_ERROR(ForEachElement(v, "facets", [&](size_t i, od::value& item) -> absl::Status {
    const std::string path = At("facets", i);
    OTTER_ASSIGN_OR_RETURN(const std::string_view name, ReadString(item, path));
    if (name != "category" && name != "price" && name != "duration" && name != "language") {
      return Invalid(absl::StrCat(path, ": unknown facet \"", Echo(name), "\""));
    }
    if (std::find(facets.begin(), facets.end(), name) != facets.end()) {
      return Invalid(absl::StrCat(path, ": facet \"", std::string(name), "\" given twice"));
    }
    facets.emplace_back(name);
    return absl::OkStatus();
  }));
  return facets;
}

// A list of ids at `path`, at most `max`.
absl::StatusOr<std::vector<Uuid>> ReadUuids(od::value& v, std::string_view path, size_t max) {
  std::vector<Uuid> ids;
  OTTER_RETURN_IF_ERROR(ForEachElement(v, path, [&](size_t i, od::value& item) -> absl::Status {
    if (i == max) return Invalid(absl::StrCat(std::string(path), ": at most ", max, " ids"));
    OTTER_ASSIGN_OR_RETURN(const std::string_view text, ReadStringElement(item, path, i));
    OTTER_ASSIGN_OR_RETURN(const Uuid id, ParseUuid(text, [&] { return At(path, i); }));
    ids.push_back(id);
    return absl::OkStatus();
  }));
  return ids;
}

// Paging and explain, shared by search and match.
struct Paging {
  int* limit;
  int* offset;
  std::optional<std::string>* cursor;
  bool* explain;

  // Reads member `key` when it is one of the four; *taken says whether it was.
  absl::Status Read(std::string_view key, od::value& v, bool* taken) const {
    *taken = true;
    if (key == "limit") return Assign(ReadLimit(v, engine::query::kMaxLimit), limit);
    if (key == "offset") return Assign(ReadOffset(v), offset);
    if (key == "cursor") return Assign(ReadString(v, "cursor"), cursor);
    if (key == "explain") return Assign(ReadBool(v, "explain"), explain);
    *taken = false;
    return absl::OkStatus();
  }
};

}  // namespace

QueryJsonParser::QueryJsonParser() = default;

absl::StatusOr<od::object> QueryJsonParser::Begin(std::string_view body) {
  padded_.resize(body.size() + simdjson::SIMDJSON_PADDING);
  std::memcpy(padded_.data(), body.data(), body.size());
  simdjson::padded_string_view view(padded_.data(), body.size(), padded_.size());
  if (auto e = parser_.iterate(view).get(document_)) return Malformed(e);
  od::object object;
  if (auto e = document_.get_object().get(object)) {
    return e == simdjson::INCORRECT_TYPE ? Invalid("request must be a JSON object") : Malformed(e);
  }
  return object;
}

absl::StatusOr<engine::query::SearchRequest> QueryJsonParser::ParseSearch(
    std::string_view body, std::string* filters_json) {
  OTTER_ASSIGN_OR_RETURN(od::object object, Begin(body));
  engine::query::SearchRequest r;
  engine::TourFilterSpec filters;
  if (filters_json != nullptr) *filters_json = "{}";
  const Paging paging{&r.limit, &r.offset, &r.cursor, &r.explain};
  OTTER_RETURN_IF_ERROR(
      ForEachMember(object, "", [&](std::string_view key, od::value& v) -> absl::Status {
        if (IsEnvelope(key)) return absl::OkStatus();
        bool taken = false;
        OTTER_RETURN_IF_ERROR(paging.Read(key, v, &taken));
        if (taken) return absl::OkStatus();
        if (key == "index") return Assign(ReadIndex(v), &r.index);
        if (key == "q") return Assign(ReadString(v, "q"), &r.q);
        if (key == "near") return Assign(ReadNear(v), &r.near);
        if (key == "bbox") return Assign(ReadBox(v), &r.bbox);
        if (key == "filters") return Assign(ReadFilters(v, filters_json), &filters);
        if (key == "personality") return Assign(ReadPersonality(v), &r.personality);
        if (key == "sort") return Assign(ReadSort(v), &r.sort);
        if (key == "rank") return Assign(ReadRank(v), &r.rank);
        if (key == "facets") return Assign(ReadFacets(v), &r.facets);
        return Unknown("", key);
      }));
  if (r.index == IndexKind::kLeaders) r.leader_filters = TakeLeaderFilters(&filters);
  // A leader search keeps the tour-only fields here for Validate() to name.
  r.tour_filters = std::move(filters);
  OTTER_RETURN_IF_ERROR(r.Validate());
  return r;
}

absl::StatusOr<engine::query::MatchRequest> QueryJsonParser::ParseMatch(std::string_view body) {
  OTTER_ASSIGN_OR_RETURN(od::object object, Begin(body));
  engine::query::MatchRequest r;
  PersonalityForms personality;
  engine::TourFilterSpec filters;
  const Paging paging{&r.limit, &r.offset, &r.cursor, &r.explain};
  OTTER_RETURN_IF_ERROR(
      ForEachMember(object, "", [&](std::string_view key, od::value& v) -> absl::Status {
        if (IsEnvelope(key)) return absl::OkStatus();
        bool taken = false;
        OTTER_RETURN_IF_ERROR(personality.Read(key, v, &taken));
        if (!taken) OTTER_RETURN_IF_ERROR(paging.Read(key, v, &taken));
        if (taken) return absl::OkStatus();
        if (key == "near") return Assign(ReadNear(v), &r.near);
        if (key == "filters") return Assign(ReadFilters(v, nullptr), &filters);
        return Unknown("", key);
      }));
  OTTER_ASSIGN_OR_RETURN(r.personality, std::move(personality).Resolve());
  r.filters = TakeLeaderFilters(&filters);
  if (!filters.categories.empty()) return Invalid("filters.category is not available for match");
  if (filters.duration_min_days || filters.duration_max_days || filters.duration_min_hours ||
      filters.duration_max_hours) {
    return Invalid("filters.duration is not available for match");
  }
  if (filters.available.has_value()) return Invalid("filters.available is not available for match");
  OTTER_RETURN_IF_ERROR(r.Validate());
  return r;
}

absl::StatusOr<engine::query::ScoreRequest> QueryJsonParser::ParseScore(std::string_view body) {
  OTTER_ASSIGN_OR_RETURN(od::object object, Begin(body));
  engine::query::ScoreRequest r;
  PersonalityForms personality;
  bool has_leader_ids = false;
  OTTER_RETURN_IF_ERROR(
      ForEachMember(object, "", [&](std::string_view key, od::value& v) -> absl::Status {
        if (IsEnvelope(key)) return absl::OkStatus();
        bool taken = false;
        OTTER_RETURN_IF_ERROR(personality.Read(key, v, &taken));
        if (taken) return absl::OkStatus();
        if (key == "leader_ids") {
          has_leader_ids = true;
          return Assign(ReadUuids(v, "leader_ids", engine::query::kMaxScoreLeaders), &r.leader_ids);
        }
        return Unknown("", key);
      }));
  OTTER_ASSIGN_OR_RETURN(r.personality, std::move(personality).Resolve());
  if (!has_leader_ids) return Invalid("leader_ids is required");
  OTTER_RETURN_IF_ERROR(r.Validate());
  return r;
}

absl::StatusOr<engine::query::SuggestRequest> QueryJsonParser::ParseSuggest(std::string_view body) {
  OTTER_ASSIGN_OR_RETURN(od::object object, Begin(body));
  engine::query::SuggestRequest r;
  bool has_prefix = false;
  OTTER_RETURN_IF_ERROR(
      ForEachMember(object, "", [&](std::string_view key, od::value& v) -> absl::Status {
        if (IsEnvelope(key)) return absl::OkStatus();
        if (key == "index") return Assign(ReadIndex(v), &r.index);
        if (key == "prefix") {
          has_prefix = true;
          return Assign(ReadString(v, "prefix"), &r.prefix);
        }
        if (key == "limit") return Assign(ReadLimit(v, engine::query::kMaxSuggestLimit), &r.limit);
        return Unknown("", key);
      }));
  if (!has_prefix) return Invalid("prefix is required");
  OTTER_RETURN_IF_ERROR(r.Validate());
  return r;
}

absl::StatusOr<engine::query::GetRequest> QueryJsonParser::ParseGet(std::string_view body) {
  OTTER_ASSIGN_OR_RETURN(od::object object, Begin(body));
  engine::query::GetRequest r;
  std::optional<Uuid> id;
  OTTER_RETURN_IF_ERROR(
      ForEachMember(object, "", [&](std::string_view key, od::value& v) -> absl::Status {
        if (IsEnvelope(key)) return absl::OkStatus();
        if (key == "index") return Assign(ReadIndex(v), &r.index);
        if (key == "doc_id") return Assign(ReadUuid(v, "doc_id"), &id);
        return Unknown("", key);
      }));
  if (!id.has_value()) return Invalid("doc_id is required");
  r.id = *id;
  return r;
}

absl::StatusOr<RecomputeRequest> QueryJsonParser::ParseRecompute(std::string_view body) {
  OTTER_ASSIGN_OR_RETURN(od::object object, Begin(body));
  RecomputeRequest r;
  OTTER_RETURN_IF_ERROR(
      ForEachMember(object, "", [&](std::string_view key, od::value& v) -> absl::Status {
        if (IsEnvelope(key)) return absl::OkStatus();
        if (key == "user_ids") {
          return Assign(ReadUuids(v, "user_ids", kMaxRecomputeUsers), &r.user_ids);
        }
        if (key == "k") {
          OTTER_ASSIGN_OR_RETURN(const int64_t k,
                                 ReadInteger(v, "k", 0, static_cast<int64_t>(kMaxRecomputeK) + 1));
          if (k < 1 || k > static_cast<int64_t>(kMaxRecomputeK)) {
            return Invalid(absl::StrCat("k must be within [1, ", kMaxRecomputeK, "]"));
          }
          r.k = static_cast<size_t>(k);
          return absl::OkStatus();
        }
        return Unknown("", key);
      }));
  return r;
}

}  // namespace otter::server
