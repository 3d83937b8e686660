#include "loader/catalog_rows.h"

#include <simdjson.h>

#include "absl/strings/str_cat.h"
#include "engine/status_macros.h"

namespace otter::loader {
namespace {

using engine::CivilDay;
using engine::Uuid;

// Column lists. Coordinates arrive as two float8 (latitude, longitude);
// a leader's languages and specialties as text[] aggregated per leader,
// sorted so that the result is deterministic.
constexpr char kTourColumns[] =
    "t.id, t.leader_id, t.title, t.slug, t.description, t.category, t.tags, t.price, t.currency, "
    "t.duration_days, t.duration_hours, t.max_participants, t.city, t.country, "
    "ST_Y(t.coordinates::geometry), ST_X(t.coordinates::geometry), t.images, "
    "t.availability_start, t.availability_end, t.blackout_dates, t.total_reviews, "
    "t.average_rating, t.is_active, t.created_at, t.updated_at";
constexpr int kTourColumnCount = 25;

constexpr char kLeaderColumns[] =
    "l.id, l.user_id, l.type, l.display_name, l.bio, l.city, l.country, "
    "ST_Y(l.coordinates::geometry), ST_X(l.coordinates::geometry), l.hourly_rate, l.is_verified, "
    "l.average_rating, l.total_reviews, l.followers_count, l.is_active, l.created_at, "
    "l.personality_traits, lang.codes, lang.levels, spec.names";
constexpr int kLeaderColumnCount = 20;

constexpr int kScheduleColumnCount = 7;
constexpr int kPersonalityTypeColumnCount = 5;
constexpr int kUserTraitsColumnCount = 2;

constexpr char kByIds[] = " = ANY($1::uuid[])";

absl::Status Annotate(const absl::Status& status, std::string_view table, FieldRow row) {
  if (status.ok() || row.empty() || row[0].is_null || row[0].bytes.size() != 16) return status;
  absl::StatusOr<Uuid> key = ReadUuid(row[0], "key");
  if (!key.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(status.message(), " (", std::string(table), " row ",
                                                  key->ToString(), ")"));
}

// A nullable text column: empty when NULL.
absl::StatusOr<std::string> TextOrEmpty(const Field& field, std::string_view column) {
  if (field.is_null) return std::string();
  OTTER_ASSIGN_OR_RETURN(std::string_view text, ReadText(field, column));
  return std::string(text);
}

// Latitude and longitude columns: both NULL (no location) or both set.
absl::StatusOr<std::optional<engine::LatLon>> Location(const Field& lat, const Field& lon,
                                                       std::string_view table) {
  if (lat.is_null && lon.is_null) return std::optional<engine::LatLon>();
  OTTER_ASSIGN_OR_RETURN(double y, ReadFloat8(lat, absl::StrCat(std::string(table), ".coordinates (latitude)")));
  OTTER_ASSIGN_OR_RETURN(double x, ReadFloat8(lon, absl::StrCat(std::string(table), ".coordinates (longitude)")));
  return std::optional<engine::LatLon>(engine::LatLon{y, x});
}

absl::StatusOr<int32_t> RatingX100(const Field& field, std::string_view column) {
  OTTER_ASSIGN_OR_RETURN(int64_t cents, ReadNumericCents(field, column));
  if (cents < 0 || cents > 500) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(column), " must lie in [0, 5], got ",
                                                   cents / 100.0));
  }
  return static_cast<int32_t>(cents);
}

}  // namespace

std::string_view CatalogTableName(CatalogTable table) {
  switch (table) {
    case CatalogTable::kPersonalityTypes: return "personality_types";
    case CatalogTable::kLeaders: return "tour_leaders";
    case CatalogTable::kTours: return "tours";
    case CatalogTable::kSchedules: return "tour_schedules";
    case CatalogTable::kUserTraits: return "user_current_traits";
  }
  return "?";
}

int CatalogColumnCount(CatalogTable table) {
  switch (table) {
    case CatalogTable::kPersonalityTypes: return kPersonalityTypeColumnCount;
    case CatalogTable::kLeaders: return kLeaderColumnCount;
    case CatalogTable::kTours: return kTourColumnCount;
    case CatalogTable::kSchedules: return kScheduleColumnCount;
    case CatalogTable::kUserTraits: return kUserTraitsColumnCount;
  }
  return 0;
}

std::string CatalogSelectSql(CatalogTable table, bool by_ids) {
  const std::string_view filter = by_ids ? kByIds : "";
  auto where = [&](std::string_view column) {
    return by_ids ? absl::StrCat(" WHERE ", std::string(column), std::string(filter)) : std::string();
  };
  switch (table) {
    case CatalogTable::kPersonalityTypes:
      return absl::StrCat("SELECT p.id, p.code, p.name, p.traits, p.is_active FROM personality_types AS p",
                          where("p.id"));
    case CatalogTable::kLeaders:
      // The per-leader aggregates are joined (one scan each, hashed) rather
      // than correlated subqueries (one index probe per leader and list);
      // the re-fetch restricts them to the same ids.
      return absl::StrCat(
          "SELECT ", kLeaderColumns, " FROM tour_leaders AS l ",
          "LEFT JOIN (SELECT leader_id, array_agg(language_code ORDER BY language_code) AS codes, "
          "array_agg(proficiency ORDER BY language_code) AS levels FROM leader_languages",
          where("leader_id"), " GROUP BY leader_id) AS lang ON lang.leader_id = l.id ",
          "LEFT JOIN (SELECT leader_id, array_agg(specialty ORDER BY specialty) AS names "
          "FROM leader_specialties",
          where("leader_id"), " GROUP BY leader_id) AS spec ON spec.leader_id = l.id", where("l.id"));
    case CatalogTable::kTours:
      return absl::StrCat("SELECT ", kTourColumns, " FROM tours AS t", where("t.id"));
    case CatalogTable::kSchedules:
      return absl::StrCat(
          "SELECT s.id, s.tour_id, s.start_date, s.end_date, s.max_participants, "
          "s.current_participants, s.status FROM tour_schedules AS s",
          where("s.id"));
    case CatalogTable::kUserTraits:
      // The view is the one definition of "current" (latest completed_at,
      // then created_at, then id): DISTINCT ON (user_id) over the results.
      return absl::StrCat("SELECT c.user_id, c.traits FROM user_current_traits AS c", where("c.user_id"));
  }
  return std::string();
}

// ---------------------------------------------------------------------------
// JSON columns, parsed with simdjson's On Demand API (error codes, no
// exceptions). Strings it returns live in the parser until the next parse.

class CatalogRowDecoder::Json {
 public:
  absl::Status StringArray(std::string_view text, std::string_view column, std::vector<std::string>* out) {
    simdjson::ondemand::document doc;
    simdjson::ondemand::array array;
    if (auto e = Iterate(text, &doc); e) return Error(column, e);
    if (auto e = doc.get_array().get(array); e) return Error(column, e);
    for (auto element : array) {
      std::string_view s;
      if (auto e = element.get_string().get(s); e) return Error(column, e);
      out->emplace_back(s);
    }
    return absl::OkStatus();
  }

  // tours.images: strings (URLs), or objects carrying a "url" string.
  absl::Status Images(std::string_view text, std::string_view column, std::vector<std::string>* out) {
    simdjson::ondemand::document doc;
    simdjson::ondemand::array array;
    if (auto e = Iterate(text, &doc); e) return Error(column, e);
    if (auto e = doc.get_array().get(array); e) return Error(column, e);
    for (auto element : array) {
      simdjson::ondemand::json_type type;
      if (auto e = element.type().get(type); e) return Error(column, e);
      std::string_view url;
      if (type == simdjson::ondemand::json_type::object) {
        if (auto e = element.find_field_unordered("url").get_string().get(url); e) {
          return absl::InvalidArgumentError(absl::StrCat(std::string(column),
                                                         ": an image object needs a \"url\" string"));
        }
      } else if (auto e = element.get_string().get(url); e) {
        return Error(column, e);
      }
      out->emplace_back(url);
    }
    return absl::OkStatus();
  }

  absl::Status DateArray(std::string_view text, std::string_view column, std::vector<CivilDay>* out) {
    simdjson::ondemand::document doc;
    simdjson::ondemand::array array;
    if (auto e = Iterate(text, &doc); e) return Error(column, e);
    if (auto e = doc.get_array().get(array); e) return Error(column, e);
    for (auto element : array) {
      std::string_view s;
      if (auto e = element.get_string().get(s); e) return Error(column, e);
      OTTER_ASSIGN_OR_RETURN(CivilDay day, engine::ParseIsoDate(s, column));
      out->push_back(day);
    }
    return absl::OkStatus();
  }

  // A trait object {name: number}; names point into the parser.
  absl::Status Traits(std::string_view text, std::string_view column, std::vector<engine::NamedTrait>* out) {
    out->clear();
    simdjson::ondemand::document doc;
    simdjson::ondemand::object object;
    if (auto e = Iterate(text, &doc); e) return Error(column, e);
    if (auto e = doc.get_object().get(object); e) return Error(column, e);
    for (auto field : object) {
      std::string_view name;
      double value;
      if (auto e = field.unescaped_key().get(name); e) return Error(column, e);
      if (auto e = field.value().get_double().get(value); e) {
        return absl::InvalidArgumentError(absl::StrCat(std::string(column), ": trait \"", std::string(name),
                                                       "\" is not a number"));
      }
      out->push_back(engine::NamedTrait{name, value});
    }
    return absl::OkStatus();
  }

 private:
  // simdjson reads up to SIMDJSON_PADDING bytes past the text: parse a
  // padded copy (the field bytes belong to libpq).
  simdjson::error_code Iterate(std::string_view text, simdjson::ondemand::document* doc) {
    buffer_.assign(text);
    buffer_.resize(text.size() + simdjson::SIMDJSON_PADDING);
    return parser_.iterate(buffer_.data(), text.size(), buffer_.size()).get(*doc);
  }

  static absl::Status Error(std::string_view column, simdjson::error_code e) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(column), ": unexpected JSON (",
                                                   simdjson::error_message(e), ")"));
  }

  simdjson::ondemand::parser parser_;
  std::string buffer_;
};

// ---------------------------------------------------------------------------
// Rows.

CatalogRowDecoder::CatalogRowDecoder(CatalogSink& sink) : sink_(sink), json_(std::make_unique<Json>()) {}
CatalogRowDecoder::~CatalogRowDecoder() = default;

absl::Status CatalogRowDecoder::Decode(CatalogTable table, FieldRow row) {
  if (static_cast<int>(row.size()) != CatalogColumnCount(table)) {
    return absl::DataLossError(absl::StrCat(std::string(CatalogTableName(table)), ": a row has ", row.size(),
                                            " columns, expected ", CatalogColumnCount(table)));
  }
  return Annotate(DecodeRow(table, row), CatalogTableName(table), row);
}

absl::Status CatalogRowDecoder::DecodeRow(CatalogTable table, FieldRow row) {
  switch (table) {
    case CatalogTable::kPersonalityTypes: return PersonalityType(row);
    case CatalogTable::kLeaders: return Leader(row);
    case CatalogTable::kTours: return Tour(row);
    case CatalogTable::kSchedules: return Schedule(row);
    case CatalogTable::kUserTraits: return UserTraits(row);
  }
  return absl::InternalError("unknown catalog table");
}

absl::Status CatalogRowDecoder::PersonalityType(FieldRow row) {
  PersonalityTypeRow type;
  OTTER_ASSIGN_OR_RETURN(type.id, ReadUuid(row[0], "personality_types.id"));
  OTTER_ASSIGN_OR_RETURN(std::string_view code, ReadText(row[1], "personality_types.code"));
  OTTER_ASSIGN_OR_RETURN(std::string_view name, ReadText(row[2], "personality_types.name"));
  type.code = std::string(code);
  type.name = std::string(name);
  OTTER_ASSIGN_OR_RETURN(std::string_view traits, ReadJsonb(row[3], "personality_types.traits"));
  OTTER_RETURN_IF_ERROR(json_->Traits(traits, "personality_types.traits", &traits_));
  for (const engine::NamedTrait& t : traits_) type.traits.emplace_back(std::string(t.name), t.value);
  OTTER_ASSIGN_OR_RETURN(type.is_active, ReadBool(row[4], "personality_types.is_active"));
  return sink_.OnPersonalityType(std::move(type));
}

absl::Status CatalogRowDecoder::Leader(FieldRow row) {
  engine::LeaderRecord l;
  OTTER_ASSIGN_OR_RETURN(l.id, ReadUuid(row[0], "tour_leaders.id"));
  OTTER_ASSIGN_OR_RETURN(l.user_id, ReadUuid(row[1], "tour_leaders.user_id"));
  OTTER_ASSIGN_OR_RETURN(std::string_view type, ReadText(row[2], "tour_leaders.type"));
  OTTER_ASSIGN_OR_RETURN(l.type, engine::ParseLeaderType(type, "tour_leaders.type"));
  OTTER_ASSIGN_OR_RETURN(std::string_view display_name, ReadText(row[3], "tour_leaders.display_name"));
  l.display_name = std::string(display_name);
  OTTER_ASSIGN_OR_RETURN(l.bio, TextOrEmpty(row[4], "tour_leaders.bio"));
  OTTER_ASSIGN_OR_RETURN(l.city, TextOrEmpty(row[5], "tour_leaders.city"));
  OTTER_ASSIGN_OR_RETURN(l.country, TextOrEmpty(row[6], "tour_leaders.country"));
  OTTER_ASSIGN_OR_RETURN(l.location, Location(row[7], row[8], "tour_leaders"));
  if (!row[9].is_null) {
    OTTER_ASSIGN_OR_RETURN(l.hourly_rate_cents, ReadNumericCents(row[9], "tour_leaders.hourly_rate"));
  }
  OTTER_ASSIGN_OR_RETURN(l.is_verified, ReadBool(row[10], "tour_leaders.is_verified"));
  OTTER_ASSIGN_OR_RETURN(l.average_rating_x100, RatingX100(row[11], "tour_leaders.average_rating"));
  OTTER_ASSIGN_OR_RETURN(l.total_reviews, ReadInt4(row[12], "tour_leaders.total_reviews"));
  OTTER_ASSIGN_OR_RETURN(l.followers_count, ReadInt4(row[13], "tour_leaders.followers_count"));
  OTTER_ASSIGN_OR_RETURN(l.is_active, ReadBool(row[14], "tour_leaders.is_active"));
  OTTER_ASSIGN_OR_RETURN(l.created_at_us, ReadTimestampMicros(row[15], "tour_leaders.created_at"));
  OTTER_ASSIGN_OR_RETURN(std::string_view traits, ReadJsonb(row[16], "tour_leaders.personality_traits"));
  if (row[17].is_null != row[18].is_null) {
    return absl::DataLossError("leader_languages: codes and proficiencies disagree");
  }
  if (!row[17].is_null) {
    OTTER_ASSIGN_OR_RETURN(std::vector<std::string_view> codes,
                           ReadTextArray(row[17], "leader_languages.language_code"));
    OTTER_ASSIGN_OR_RETURN(std::vector<std::string_view> levels,
                           ReadTextArray(row[18], "leader_languages.proficiency"));
    if (codes.size() != levels.size()) {
      return absl::DataLossError("leader_languages: codes and proficiencies disagree");
    }
    l.languages.reserve(codes.size());
    for (size_t i = 0; i < codes.size(); ++i) {
      OTTER_ASSIGN_OR_RETURN(engine::Proficiency level,
                             engine::ParseProficiency(levels[i], "leader_languages.proficiency"));
      l.languages.push_back(engine::LeaderLanguage{std::string(codes[i]), level});
    }
  }
  if (!row[19].is_null) {
    OTTER_ASSIGN_OR_RETURN(std::vector<std::string_view> names,
                           ReadTextArray(row[19], "leader_specialties.specialty"));
    l.specialties.assign(names.begin(), names.end());
  }
  // Parse the traits before handing the record over, so that a bad trait
  // object fails the row rather than leaving the leader without traits.
  OTTER_RETURN_IF_ERROR(json_->Traits(traits, "tour_leaders.personality_traits", &traits_));
  const Uuid id = l.id;
  OTTER_RETURN_IF_ERROR(sink_.OnLeader(std::move(l)));
  return sink_.OnLeaderTraits(id, traits_);
}

absl::Status CatalogRowDecoder::Tour(FieldRow row) {
  engine::TourRecord t;
  OTTER_ASSIGN_OR_RETURN(t.id, ReadUuid(row[0], "tours.id"));
  OTTER_ASSIGN_OR_RETURN(t.leader_id, ReadUuid(row[1], "tours.leader_id"));
  OTTER_ASSIGN_OR_RETURN(std::string_view title, ReadText(row[2], "tours.title"));
  t.title = std::string(title);
  OTTER_ASSIGN_OR_RETURN(std::string_view slug, ReadText(row[3], "tours.slug"));
  t.slug = std::string(slug);
  OTTER_ASSIGN_OR_RETURN(t.description, TextOrEmpty(row[4], "tours.description"));
  OTTER_ASSIGN_OR_RETURN(std::string_view category, ReadText(row[5], "tours.category"));
  t.category = std::string(category);
  OTTER_ASSIGN_OR_RETURN(std::string_view tags, ReadJsonb(row[6], "tours.tags"));
  OTTER_RETURN_IF_ERROR(json_->StringArray(tags, "tours.tags", &t.tags));
  OTTER_ASSIGN_OR_RETURN(t.price_cents, ReadNumericCents(row[7], "tours.price"));
  OTTER_ASSIGN_OR_RETURN(std::string_view currency, ReadText(row[8], "tours.currency"));
  t.currency = std::string(currency);
  if (!row[9].is_null) {
    OTTER_ASSIGN_OR_RETURN(t.duration_days, ReadInt4(row[9], "tours.duration_days"));
  }
  if (!row[10].is_null) {
    OTTER_ASSIGN_OR_RETURN(t.duration_hours, ReadNumericDouble(row[10], "tours.duration_hours"));
  }
  if (!row[11].is_null) {
    OTTER_ASSIGN_OR_RETURN(t.max_participants, ReadInt4(row[11], "tours.max_participants"));
  }
  OTTER_ASSIGN_OR_RETURN(t.city, TextOrEmpty(row[12], "tours.city"));
  OTTER_ASSIGN_OR_RETURN(t.country, TextOrEmpty(row[13], "tours.country"));
  OTTER_ASSIGN_OR_RETURN(t.location, Location(row[14], row[15], "tours"));
  OTTER_ASSIGN_OR_RETURN(std::string_view images, ReadJsonb(row[16], "tours.images"));
  OTTER_RETURN_IF_ERROR(json_->Images(images, "tours.images", &t.images));
  if (!row[17].is_null) {
    OTTER_ASSIGN_OR_RETURN(t.availability_start, ReadDate(row[17], "tours.availability_start"));
  }
  if (!row[18].is_null) {
    OTTER_ASSIGN_OR_RETURN(t.availability_end, ReadDate(row[18], "tours.availability_end"));
  }
  OTTER_ASSIGN_OR_RETURN(std::string_view blackout, ReadJsonb(row[19], "tours.blackout_dates"));
  OTTER_RETURN_IF_ERROR(json_->DateArray(blackout, "tours.blackout_dates", &t.blackout_dates));
  OTTER_ASSIGN_OR_RETURN(t.total_reviews, ReadInt4(row[20], "tours.total_reviews"));
  OTTER_ASSIGN_OR_RETURN(t.average_rating_x100, RatingX100(row[21], "tours.average_rating"));
  OTTER_ASSIGN_OR_RETURN(t.is_active, ReadBool(row[22], "tours.is_active"));
  OTTER_ASSIGN_OR_RETURN(t.created_at_us, ReadTimestampMicros(row[23], "tours.created_at"));
  OTTER_ASSIGN_OR_RETURN(t.updated_at_us, ReadTimestampMicros(row[24], "tours.updated_at"));
  return sink_.OnTour(std::move(t));
}

absl::Status CatalogRowDecoder::Schedule(FieldRow row) {
  engine::ScheduleRecord s;
  OTTER_ASSIGN_OR_RETURN(s.id, ReadUuid(row[0], "tour_schedules.id"));
  OTTER_ASSIGN_OR_RETURN(s.tour_id, ReadUuid(row[1], "tour_schedules.tour_id"));
  OTTER_ASSIGN_OR_RETURN(s.start_date, ReadDate(row[2], "tour_schedules.start_date"));
  OTTER_ASSIGN_OR_RETURN(s.end_date, ReadDate(row[3], "tour_schedules.end_date"));
  OTTER_ASSIGN_OR_RETURN(s.max_participants, ReadInt4(row[4], "tour_schedules.max_participants"));
  OTTER_ASSIGN_OR_RETURN(s.current_participants, ReadInt4(row[5], "tour_schedules.current_participants"));
  OTTER_ASSIGN_OR_RETURN(std::string_view status, ReadText(row[6], "tour_schedules.status"));
  OTTER_ASSIGN_OR_RETURN(s.status, engine::ParseScheduleStatus(status, "tour_schedules.status"));
  return sink_.OnSchedule(std::move(s));
}

absl::Status CatalogRowDecoder::UserTraits(FieldRow row) {
  OTTER_ASSIGN_OR_RETURN(Uuid user_id, ReadUuid(row[0], "user_quiz_results.user_id"));
  OTTER_ASSIGN_OR_RETURN(std::string_view traits, ReadJsonb(row[1], "user_quiz_results.traits"));
  OTTER_RETURN_IF_ERROR(json_->Traits(traits, "user_quiz_results.traits", &traits_));
  return sink_.OnUserTraits(user_id, traits_);
}

}  // namespace otter::loader
