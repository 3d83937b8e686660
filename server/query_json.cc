#include "server/query_json.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/catalog/civil_day.h"
#include "engine/catalog/records.h"
#include "engine/catalog/tour_filter.h"
#include "engine/status_macros.h"
#include "engine/traits.h"
#include "server/json_fields.h"

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

bool IsEnvelope(std::string_view key) { return key == "id" || key == "op" || key == "after"; }

absl::StatusOr<IndexKind> ReadIndex(od::value& v) {
  OTTER_ASSIGN_OR_RETURN(const std::string_view name, json::ReadString(v, "index"));
  if (name == "tours") return IndexKind::kTours;
  if (name == "leaders") return IndexKind::kLeaders;
  return json::Invalid(
      absl::StrCat("index must be \"tours\" or \"leaders\", got \"", json::Echo(name), "\""));
}

absl::StatusOr<int> ReadLimit(od::value& v, int max) {
  OTTER_ASSIGN_OR_RETURN(const int64_t limit, json::ReadInteger(v, "limit", 0, max + 1));
  return static_cast<int>(limit);
}

absl::StatusOr<int> ReadOffset(od::value& v) {
  OTTER_ASSIGN_OR_RETURN(const int64_t offset,
                         json::ReadInteger(v, "offset", -1, engine::query::kMaxDepth + 1));
  return static_cast<int>(offset);
}

// Reads the numbers `names` of the object `v` at `path`, all required.
template <size_t N>
absl::Status ReadRequiredNumbers(od::value& v, std::string_view path,
                                 const std::array<std::string_view, N>& names,
                                 const std::array<double*, N>& out) {
  OTTER_ASSIGN_OR_RETURN(od::object object, json::ReadObject(v, path));
  std::array<bool, N> seen{};
  OTTER_RETURN_IF_ERROR(
      json::ForEachMember(object, path, [&](std::string_view key, od::value& value) {
        for (size_t i = 0; i < N; ++i) {
          if (key != names[i]) continue;
          seen[i] = true;
          return json::Assign(json::ReadNumber(value, json::Join(path, key)), out[i]);
        }
        return json::Unknown(path, key);
      }));
  for (size_t i = 0; i < N; ++i) {
    if (!seen[i]) return json::Invalid(absl::StrCat(json::Join(path, names[i]), " is required"));
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
  OTTER_ASSIGN_OR_RETURN(od::object object, json::ReadObject(v, path));
  const std::string where(path);
  OTTER_RETURN_IF_ERROR(json::ForEachMember(
      object, path, [&](std::string_view key, od::value& value) -> absl::Status {
        if (traits->size() == static_cast<size_t>(engine::kMaxTraits)) {
          return json::Invalid(absl::StrCat(where, ": at most ", engine::kMaxTraits, " traits"));
        }
        if (key.empty()) return json::Invalid(absl::StrCat(where, ": empty trait name"));
        const std::string name = json::Join(path, json::Echo(key));
        OTTER_ASSIGN_OR_RETURN(const double x, json::ReadNumber(value, name));
        if (!(x >= 0 && x <= 1)) return json::Invalid(absl::StrCat(name, " must be within [0, 1]"));
        traits->emplace_back(std::string(key), x);
        return absl::OkStatus();
      }));
  if (traits->empty()) return json::Invalid(absl::StrCat(where, " must not be empty"));
  return absl::OkStatus();
}

absl::StatusOr<PersonalitySpec> ReadPersonality(od::value& v) {
  OTTER_ASSIGN_OR_RETURN(od::object object, json::ReadObject(v, "personality"));
  PersonalitySpec spec;
  OTTER_RETURN_IF_ERROR(json::ForEachMember(
      object, "personality", [&](std::string_view key, od::value& value) -> absl::Status {
        if (key == "user_id")
          return json::Assign(json::ReadUuid(value, "personality.user_id"), &spec.user_id);
        if (key == "traits") return ReadTraits(value, "personality.traits", &spec.traits);
        return json::Unknown("personality", key);
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
    if (key == "personality") return json::Assign(ReadPersonality(v), &personality);
    if (key == "user_id") return json::Assign(json::ReadUuid(v, "user_id"), &top_level.user_id);
    if (key == "traits") return ReadTraits(v, "traits", &top_level.traits);
    *taken = false;
    return absl::OkStatus();
  }

  absl::StatusOr<PersonalitySpec> Resolve() && {
    const bool top = top_level.user_id.has_value() || top_level.has_traits();
    if (personality.has_value() && top) {
      return json::Invalid(
          "personality: give personality or a top-level user_id or traits, not both");
    }
    if (top_level.user_id.has_value() && top_level.has_traits()) {
      return json::Invalid("user_id: give user_id or traits, not both");
    }
    return personality.has_value() ? std::move(*personality) : std::move(top_level);
  }
};

absl::Status ReadPrice(od::value& v, engine::TourFilterSpec* spec) {
  OTTER_ASSIGN_OR_RETURN(od::object object, json::ReadObject(v, "filters.price"));
  return json::ForEachMember(object, "filters.price", [&](std::string_view key, od::value& value) {
    if (key == "min")
      return json::Assign(json::ReadCents(value, "filters.price.min"), &spec->price_min_cents);
    if (key == "max")
      return json::Assign(json::ReadCents(value, "filters.price.max"), &spec->price_max_cents);
    return json::Unknown("filters.price", key);
  });
}

absl::Status ReadDuration(od::value& v, engine::TourFilterSpec* spec) {
  constexpr std::string_view kPath = "filters.duration";
  OTTER_ASSIGN_OR_RETURN(od::object object, json::ReadObject(v, kPath));
  return json::ForEachMember(
      object, kPath, [&](std::string_view key, od::value& value) -> absl::Status {
        const std::string path = json::Join(kPath, key);
        // Days below 0 stay negative for the filter's own check.
        if (key == "min_days" || key == "max_days") {
          OTTER_ASSIGN_OR_RETURN(const int64_t days, json::ReadInteger(value, path, -1, kInt32Max));
          (key == "min_days" ? spec->duration_min_days : spec->duration_max_days) =
              static_cast<int32_t>(days);
          return absl::OkStatus();
        }
        if (key == "min_hours")
          return json::Assign(json::ReadNumber(value, path), &spec->duration_min_hours);
        if (key == "max_hours")
          return json::Assign(json::ReadNumber(value, path), &spec->duration_max_hours);
        return json::Unknown(kPath, key);
      });
}

absl::Status ReadRating(od::value& v, engine::TourFilterSpec* spec) {
  OTTER_ASSIGN_OR_RETURN(od::object object, json::ReadObject(v, "filters.rating"));
  return json::ForEachMember(object, "filters.rating", [&](std::string_view key, od::value& value) {
    if (key == "min")
      return json::Assign(json::ReadNumber(value, "filters.rating.min"), &spec->rating_min);
    return json::Unknown("filters.rating", key);
  });
}

// ["en", "pt"] (any of them) or {"any": [...], "all": [...]}.
absl::Status ReadLanguages(od::value& v, engine::LeaderFilterSpec* spec) {
  constexpr std::string_view kPath = "filters.languages";
  OTTER_ASSIGN_OR_RETURN(const od::json_type type, json::TypeOf(v));
  if (type == od::json_type::array)
    return json::Assign(json::ReadStringList(v, kPath), &spec->languages_any);
  if (type != od::json_type::object) {
    return json::Invalid("filters.languages must be an array of language codes or an object");
  }
  OTTER_ASSIGN_OR_RETURN(od::object object, json::ReadObject(v, kPath));
  return json::ForEachMember(object, kPath, [&](std::string_view key, od::value& value) {
    if (key == "any") {
      return json::Assign(json::ReadStringList(value, "filters.languages.any"),
                          &spec->languages_any);
    }
    if (key == "all") {
      return json::Assign(json::ReadStringList(value, "filters.languages.all"),
                          &spec->languages_all);
    }
    return json::Unknown(kPath, key);
  });
}

absl::Status ReadLeaderTypes(od::value& v, engine::LeaderFilterSpec* spec) {
  constexpr std::string_view kPath = "filters.leader_type";
  OTTER_ASSIGN_OR_RETURN(const od::json_type type, json::TypeOf(v));
  OTTER_ASSIGN_OR_RETURN(const std::vector<std::string> names, json::ReadStringList(v, kPath));
  for (size_t i = 0; i < names.size(); ++i) {
    absl::StatusOr<engine::LeaderType> leader_type = engine::ParseLeaderType(names[i]);
    if (!leader_type.ok()) {
      const std::string path =
          type == od::json_type::array ? json::At(kPath, i) : std::string(kPath);
      return engine::ParseLeaderType(json::Echo(names[i]), path).status();
    }
    spec->types.push_back(*leader_type);
  }
  return absl::OkStatus();
}

absl::Status ReadAvailable(od::value& v, engine::TourFilterSpec* spec) {
  constexpr std::string_view kPath = "filters.available";
  OTTER_ASSIGN_OR_RETURN(od::object object, json::ReadObject(v, kPath));
  std::optional<engine::CivilDay> from;
  std::optional<engine::CivilDay> to;
  engine::AvailabilitySpec available;
  OTTER_RETURN_IF_ERROR(json::ForEachMember(
      object, kPath, [&](std::string_view key, od::value& value) -> absl::Status {
        if (key == "from")
          return json::Assign(json::ReadDate(value, "filters.available.from"), &from);
        if (key == "to") return json::Assign(json::ReadDate(value, "filters.available.to"), &to);
        if (key == "participants") {
          // 0 and below stay 0 for the filter's own check.
          OTTER_ASSIGN_OR_RETURN(
              const int64_t participants,
              json::ReadInteger(value, "filters.available.participants", 0, kInt32Max));
          available.participants = static_cast<int32_t>(participants);
          return absl::OkStatus();
        }
        return json::Unknown(kPath, key);
      }));
  if (!from.has_value()) return json::Invalid("filters.available.from is required");
  available.from = *from;
  available.to = to.value_or(*from);
  spec->available = available;
  return absl::OkStatus();
}

// The `filters` object, every field a tour or leader search knows, in one
// spec; which of them the op takes is decided once the whole body is read.
// *raw_json (when given) receives the object's JSON text.
absl::StatusOr<engine::TourFilterSpec> ReadFilters(od::value& v, std::string* raw_json) {
  OTTER_ASSIGN_OR_RETURN(od::object object, json::ReadObject(v, "filters"));
  if (raw_json != nullptr) {
    std::string_view text;
    if (auto e = object.raw_json().get(text)) return json::Malformed(e);
    *raw_json = std::string(json::TrimRight(text));
    bool unused = false;
    if (auto e = object.reset().get(unused)) return json::Malformed(e);
  }
  engine::TourFilterSpec spec;
  OTTER_RETURN_IF_ERROR(json::ForEachMember(
      object, "filters", [&](std::string_view key, od::value& value) -> absl::Status {
        if (key == "category") {
          return json::Assign(json::ReadStringList(value, "filters.category"), &spec.categories);
        }
        if (key == "price") return ReadPrice(value, &spec);
        if (key == "duration") return ReadDuration(value, &spec);
        if (key == "rating") return ReadRating(value, &spec);
        if (key == "languages") return ReadLanguages(value, &spec.leader);
        if (key == "specialties") {
          return json::Assign(json::ReadStringList(value, "filters.specialties"),
                              &spec.leader.specialties_any);
        }
        if (key == "leader_type") return ReadLeaderTypes(value, &spec.leader);
        if (key == "verified") {
          return json::Assign(json::ReadBool(value, "filters.verified"),
                              &spec.leader.verified_only);
        }
        if (key == "available") return ReadAvailable(value, &spec);
        return json::Unknown("filters", key);
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
  OTTER_RETURN_IF_ERROR(
      json::ForEachElement(v, "sort", [&](size_t i, od::value& item) -> absl::Status {
        if (i == 8) return json::Invalid("sort: at most 8 keys");
        const std::string path = json::At("sort", i);
        OTTER_ASSIGN_OR_RETURN(const od::json_type type, json::TypeOf(item));
        if (type == od::json_type::string) {
          OTTER_ASSIGN_OR_RETURN(const std::string_view key, json::ReadString(item, path));
          sort.push_back(SortSpec{std::string(key), SortOrder::kDefault});
          return absl::OkStatus();
        }
        const std::string one_member =
            absl::StrCat(path, " must be a key name or an object like {\"price\": \"desc\"}");
        if (type != od::json_type::object) return json::Invalid(one_member);
        OTTER_ASSIGN_OR_RETURN(od::object object, json::ReadObject(item, path));
        std::optional<SortSpec> spec;
        OTTER_RETURN_IF_ERROR(json::ForEachMember(
            object, path, [&](std::string_view key, od::value& value) -> absl::Status {
              if (spec.has_value()) return json::Invalid(one_member);
              const std::string order_path = json::Join(path, json::Echo(key));
              const std::string bad_order =
                  absl::StrCat(order_path, " must be \"asc\" or \"desc\"");
              OTTER_ASSIGN_OR_RETURN(const od::json_type order_type, json::TypeOf(value));
              if (order_type != od::json_type::string) return json::Invalid(bad_order);
              OTTER_ASSIGN_OR_RETURN(const std::string_view order,
                                     json::ReadString(value, order_path));
              if (order != "asc" && order != "desc") return json::Invalid(bad_order);
              spec = SortSpec{std::string(key),
                              order == "asc" ? SortOrder::kAscending : SortOrder::kDescending};
              return absl::OkStatus();
            }));
        if (!spec.has_value()) return json::Invalid(one_member);
        sort.push_back(std::move(*spec));
        return absl::OkStatus();
      }));
  return sort;
}

absl::StatusOr<DistanceDecaySpec> ReadDecay(od::value& v) {
  constexpr std::string_view kPath = "rank.distance";
  OTTER_ASSIGN_OR_RETURN(od::object object, json::ReadObject(v, kPath));
  DistanceDecaySpec decay;
  OTTER_RETURN_IF_ERROR(json::ForEachMember(
      object, kPath, [&](std::string_view key, od::value& value) -> absl::Status {
        const std::string path = json::Join(kPath, key);
        if (key == "decay") return json::Assign(json::ReadString(value, path), &decay.decay);
        if (key == "scale_km") return json::Assign(json::ReadNumber(value, path), &decay.scale_km);
        if (key == "offset_km")
          return json::Assign(json::ReadNumber(value, path), &decay.offset_km);
        if (key == "decay_at_scale")
          return json::Assign(json::ReadNumber(value, path), &decay.decay_at_scale);
        if (key == "weight") return json::Assign(json::ReadNumber(value, path), &decay.weight);
        return json::Unknown(kPath, key);
      }));
  return decay;
}

absl::StatusOr<RankSpec> ReadRank(od::value& v) {
  OTTER_ASSIGN_OR_RETURN(od::object object, json::ReadObject(v, "rank"));
  RankSpec rank;
  OTTER_RETURN_IF_ERROR(json::ForEachMember(
      object, "rank", [&](std::string_view key, od::value& value) -> absl::Status {
        const std::string path = json::Join("rank", key);
        if (key == "text") return json::Assign(json::ReadNumber(value, path), &rank.text);
        if (key == "distance") return json::Assign(ReadDecay(value), &rank.distance);
        if (key == "compatibility")
          return json::Assign(json::ReadNumber(value, path), &rank.compatibility);
        if (key == "rating") return json::Assign(json::ReadNumber(value, path), &rank.rating);
        if (key == "popularity")
          return json::Assign(json::ReadNumber(value, path), &rank.popularity);
        return json::Unknown("rank", key);
      }));
  return rank;
}

absl::StatusOr<std::vector<std::string>> ReadFacets(od::value& v) {
  std::vector<std::string> facets;
  OTTER_RETURN_IF_ERROR(
      json::ForEachElement(v, "facets", [&](size_t i, od::value& item) -> absl::Status {
        const std::string path = json::At("facets", i);
        OTTER_ASSIGN_OR_RETURN(const std::string_view name, json::ReadString(item, path));
        if (name != "category" && name != "price" && name != "duration" && name != "language") {
          return json::Invalid(absl::StrCat(path, ": unknown facet \"", json::Echo(name), "\""));
        }
        if (std::find(facets.begin(), facets.end(), name) != facets.end()) {
          return json::Invalid(
              absl::StrCat(path, ": facet \"", std::string(name), "\" given twice"));
        }
        facets.emplace_back(name);
        return absl::OkStatus();
      }));
  return facets;
}

// A list of ids at `path`, at most `max`.
absl::StatusOr<std::vector<Uuid>> ReadUuids(od::value& v, std::string_view path, size_t max) {
  std::vector<Uuid> ids;
  OTTER_RETURN_IF_ERROR(
      json::ForEachElement(v, path, [&](size_t i, od::value& item) -> absl::Status {
        if (i == max)
          return json::Invalid(absl::StrCat(std::string(path), ": at most ", max, " ids"));
        OTTER_ASSIGN_OR_RETURN(const std::string_view text, json::ReadStringElement(item, path, i));
        OTTER_ASSIGN_OR_RETURN(const Uuid id,
                               json::ParseUuid(text, [&] { return json::At(path, i); }));
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
    if (key == "limit") return json::Assign(ReadLimit(v, engine::query::kMaxLimit), limit);
    if (key == "offset") return json::Assign(ReadOffset(v), offset);
    if (key == "cursor") return json::Assign(json::ReadString(v, "cursor"), cursor);
    if (key == "explain") return json::Assign(json::ReadBool(v, "explain"), explain);
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
  if (auto e = parser_.iterate(view).get(document_)) return json::Malformed(e);
  od::object object;
  if (auto e = document_.get_object().get(object)) {
    return e == simdjson::INCORRECT_TYPE ? json::Invalid("request must be a JSON object")
                                         : json::Malformed(e);
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
      json::ForEachMember(object, "", [&](std::string_view key, od::value& v) -> absl::Status {
        if (IsEnvelope(key)) return absl::OkStatus();
        bool taken = false;
        OTTER_RETURN_IF_ERROR(paging.Read(key, v, &taken));
        if (taken) return absl::OkStatus();
        if (key == "index") return json::Assign(ReadIndex(v), &r.index);
        if (key == "q") return json::Assign(json::ReadString(v, "q"), &r.q);
        if (key == "near") return json::Assign(ReadNear(v), &r.near);
        if (key == "bbox") return json::Assign(ReadBox(v), &r.bbox);
        if (key == "filters") return json::Assign(ReadFilters(v, filters_json), &filters);
        if (key == "personality") return json::Assign(ReadPersonality(v), &r.personality);
        if (key == "sort") return json::Assign(ReadSort(v), &r.sort);
        if (key == "rank") return json::Assign(ReadRank(v), &r.rank);
        if (key == "facets") return json::Assign(ReadFacets(v), &r.facets);
        return json::Unknown("", key);
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
      json::ForEachMember(object, "", [&](std::string_view key, od::value& v) -> absl::Status {
        if (IsEnvelope(key)) return absl::OkStatus();
        bool taken = false;
        OTTER_RETURN_IF_ERROR(personality.Read(key, v, &taken));
        if (!taken) OTTER_RETURN_IF_ERROR(paging.Read(key, v, &taken));
        if (taken) return absl::OkStatus();
        if (key == "near") return json::Assign(ReadNear(v), &r.near);
        if (key == "filters") return json::Assign(ReadFilters(v, nullptr), &filters);
        return json::Unknown("", key);
      }));
  OTTER_ASSIGN_OR_RETURN(r.personality, std::move(personality).Resolve());
  r.filters = TakeLeaderFilters(&filters);
  if (!filters.categories.empty())
    return json::Invalid("filters.category is not available for match");
  if (filters.duration_min_days || filters.duration_max_days || filters.duration_min_hours ||
      filters.duration_max_hours) {
    return json::Invalid("filters.duration is not available for match");
  }
  if (filters.available.has_value())
    return json::Invalid("filters.available is not available for match");
  OTTER_RETURN_IF_ERROR(r.Validate());
  return r;
}

absl::StatusOr<engine::query::ScoreRequest> QueryJsonParser::ParseScore(std::string_view body) {
  OTTER_ASSIGN_OR_RETURN(od::object object, Begin(body));
  engine::query::ScoreRequest r;
  PersonalityForms personality;
  bool has_leader_ids = false;
  OTTER_RETURN_IF_ERROR(
      json::ForEachMember(object, "", [&](std::string_view key, od::value& v) -> absl::Status {
        if (IsEnvelope(key)) return absl::OkStatus();
        bool taken = false;
        OTTER_RETURN_IF_ERROR(personality.Read(key, v, &taken));
        if (taken) return absl::OkStatus();
        if (key == "leader_ids") {
          has_leader_ids = true;
          return json::Assign(ReadUuids(v, "leader_ids", engine::query::kMaxScoreLeaders),
                              &r.leader_ids);
        }
        return json::Unknown("", key);
      }));
  OTTER_ASSIGN_OR_RETURN(r.personality, std::move(personality).Resolve());
  if (!has_leader_ids) return json::Invalid("leader_ids is required");
  OTTER_RETURN_IF_ERROR(r.Validate());
  return r;
}

absl::StatusOr<engine::query::SuggestRequest> QueryJsonParser::ParseSuggest(std::string_view body) {
  OTTER_ASSIGN_OR_RETURN(od::object object, Begin(body));
  engine::query::SuggestRequest r;
  bool has_prefix = false;
  OTTER_RETURN_IF_ERROR(
      json::ForEachMember(object, "", [&](std::string_view key, od::value& v) -> absl::Status {
        if (IsEnvelope(key)) return absl::OkStatus();
        if (key == "index") return json::Assign(ReadIndex(v), &r.index);
        if (key == "prefix") {
          has_prefix = true;
          return json::Assign(json::ReadString(v, "prefix"), &r.prefix);
        }
        if (key == "limit")
          return json::Assign(ReadLimit(v, engine::query::kMaxSuggestLimit), &r.limit);
        return json::Unknown("", key);
      }));
  if (!has_prefix) return json::Invalid("prefix is required");
  OTTER_RETURN_IF_ERROR(r.Validate());
  return r;
}

absl::StatusOr<engine::query::GetRequest> QueryJsonParser::ParseGet(std::string_view body) {
  OTTER_ASSIGN_OR_RETURN(od::object object, Begin(body));
  engine::query::GetRequest r;
  std::optional<Uuid> id;
  OTTER_RETURN_IF_ERROR(
      json::ForEachMember(object, "", [&](std::string_view key, od::value& v) -> absl::Status {
        if (IsEnvelope(key)) return absl::OkStatus();
        if (key == "index") return json::Assign(ReadIndex(v), &r.index);
        if (key == "doc_id") return json::Assign(json::ReadUuid(v, "doc_id"), &id);
        return json::Unknown("", key);
      }));
  if (!id.has_value()) return json::Invalid("doc_id is required");
  r.id = *id;
  return r;
}

absl::StatusOr<RecomputeRequest> QueryJsonParser::ParseRecompute(std::string_view body) {
  OTTER_ASSIGN_OR_RETURN(od::object object, Begin(body));
  RecomputeRequest r;
  OTTER_RETURN_IF_ERROR(
      json::ForEachMember(object, "", [&](std::string_view key, od::value& v) -> absl::Status {
        if (IsEnvelope(key)) return absl::OkStatus();
        if (key == "user_ids") {
          return json::Assign(ReadUuids(v, "user_ids", kMaxRecomputeUsers), &r.user_ids);
        }
        if (key == "k") {
          OTTER_ASSIGN_OR_RETURN(
              const int64_t k,
              json::ReadInteger(v, "k", 0, static_cast<int64_t>(kMaxRecomputeK) + 1));
          if (k < 1 || k > static_cast<int64_t>(kMaxRecomputeK)) {
            return json::Invalid(absl::StrCat("k must be within [1, ", kMaxRecomputeK, "]"));
          }
          r.k = static_cast<size_t>(k);
          return absl::OkStatus();
        }
        return json::Unknown("", key);
      }));
  return r;
}

}  // namespace otter::server
