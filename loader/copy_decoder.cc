#include "loader/copy_decoder.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"

namespace otter::loader {
namespace {

// "PGCOPY\n\377\r\n\0": the signature every binary COPY stream starts with.
constexpr char kSignature[11] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', '\377', '\r', '\n', '\0'};
constexpr size_t kHeaderFixedSize = sizeof(kSignature) + 4 + 4;
// Flags bits 16-31 mark format changes a reader must not ignore (bit 16:
// OIDs are included, which this decoder does not support).
constexpr uint32_t kCriticalFlagBits = 0xFFFF0000u;

// PostgreSQL's epoch (2000-01-01) in unix days and unix microseconds.
constexpr int64_t kPostgresEpochDays = 10957;
constexpr int64_t kPostgresEpochMicros = kPostgresEpochDays * 86400 * int64_t{1000000};

// Element type oids a text[] may carry: text, varchar, bpchar, name.
constexpr uint32_t kTextOid = 25;
constexpr uint32_t kVarcharOid = 1043;
constexpr uint32_t kBpcharOid = 1042;
constexpr uint32_t kNameOid = 19;

uint16_t LoadU16(const char* p) {
  uint16_t v;
  std::memcpy(&v, p, sizeof v);
  return __builtin_bswap16(v);
}
uint32_t LoadU32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return __builtin_bswap32(v);
}
uint64_t LoadU64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return __builtin_bswap64(v);
}

absl::Status NullError(std::string_view column) {
  return absl::InvalidArgumentError(absl::StrCat(std::string(column), " is NULL"));
}

// Checks that `field` is non-NULL and exactly `size` bytes long.
absl::Status CheckFixed(const Field& field, size_t size, std::string_view type,
                        std::string_view column) {
  if (field.is_null) return NullError(column);
  if (field.bytes.size() != size) {
    return absl::DataLossError(absl::StrCat(std::string(column), ": a binary ", std::string(type),
                                            " has ", size, " bytes, got ", field.bytes.size()));
  }
  return absl::OkStatus();
}

}  // namespace

// ---------------------------------------------------------------------------
// Framing.

absl::Status CopyDecoder::Feed(std::string_view bytes,
                               absl::FunctionRef<absl::Status(FieldRow)> on_tuple) {
  if (!error_.ok()) return error_;
  size_t pos = 0;
  absl::Status status;
  if (pending_.empty()) {
    status = ParseAll(bytes, &pos, on_tuple);
    if (status.ok()) pending_.assign(bytes.substr(pos));
  } else {
    // Rare: a unit split across chunks. Parse from the joined bytes.
    pending_.append(bytes);
    status = ParseAll(pending_, &pos, on_tuple);
    if (status.ok()) pending_.erase(0, pos);
  }
  if (!status.ok()) error_ = status;
  return status;
}

absl::Status CopyDecoder::ParseAll(std::string_view data, size_t* pos,
                                   absl::FunctionRef<absl::Status(FieldRow)> on_tuple) {
  while (*pos < data.size()) {
    if (trailer_seen_) {
      return absl::DataLossError(absl::StrCat("binary COPY: ", data.size() - *pos,
                                              " bytes after the trailer"));
    }
    absl::StatusOr<Step> step = ParseOne(data, pos, on_tuple);
    if (!step.ok()) return step.status();
    if (*step == Step::kNeedMore) break;
  }
  return absl::OkStatus();
}

absl::StatusOr<CopyDecoder::Step> CopyDecoder::ParseOne(
    std::string_view data, size_t* pos, absl::FunctionRef<absl::Status(FieldRow)> on_tuple) {
  const char* p = data.data() + *pos;
  const size_t available = data.size() - *pos;
  if (!header_seen_) {
    if (available < kHeaderFixedSize) {
      // Reject a wrong signature as early as its bytes allow.
      if (std::memcmp(p, kSignature, std::min(available, sizeof kSignature)) != 0) {
        return absl::DataLossError("binary COPY: the stream does not start with the PGCOPY signature");
      }
      return Step::kNeedMore;
    }
    if (std::memcmp(p, kSignature, sizeof kSignature) != 0) {
      return absl::DataLossError("binary COPY: the stream does not start with the PGCOPY signature");
    }
    const uint32_t flags = LoadU32(p + sizeof kSignature);
    if ((flags & kCriticalFlagBits) != 0) {
      return absl::DataLossError(absl::StrCat(
          "binary COPY: unsupported header flags 0x", absl::Hex(flags),
          " (OIDs or a newer format version)"));
    }
    const int32_t extension = static_cast<int32_t>(LoadU32(p + sizeof kSignature + 4));
    if (extension < 0) {
      return absl::DataLossError(absl::StrCat("binary COPY: negative header extension length ", extension));
    }
    if (available - kHeaderFixedSize < static_cast<size_t>(extension)) return Step::kNeedMore;
    *pos += kHeaderFixedSize + static_cast<size_t>(extension);
    header_seen_ = true;
    return Step::kDone;
  }

  if (available < 2) return Step::kNeedMore;
  const int16_t count = static_cast<int16_t>(LoadU16(p));
  if (count == -1) {
    *pos += 2;
    trailer_seen_ = true;
    return Step::kDone;
  }
  const int64_t tuple = tuples_ + 1;
  if (count < 0) {
    return absl::DataLossError(absl::StrCat("binary COPY: tuple ", tuple, " has field count ", count));
  }
  if (expected_fields_ != 0 && count != expected_fields_) {
    return absl::DataLossError(absl::StrCat("binary COPY: tuple ", tuple, " has ", count,
                                            " fields, expected ", expected_fields_));
  }
  fields_.resize(static_cast<size_t>(count));
  size_t offset = 2;
  for (int i = 0; i < count; ++i) {
    if (available - offset < 4) return Step::kNeedMore;
    const int32_t length = static_cast<int32_t>(LoadU32(p + offset));
    offset += 4;
    if (length == -1) {
      fields_[static_cast<size_t>(i)] = Field{{}, true};
      continue;
    }
    if (length < 0) {
      return absl::DataLossError(absl::StrCat("binary COPY: tuple ", tuple, " field ", i + 1,
                                              " has length ", length));
    }
    if (available - offset < static_cast<size_t>(length)) return Step::kNeedMore;
    fields_[static_cast<size_t>(i)] = Field{std::string_view(p + offset, static_cast<size_t>(length)), false};
    offset += static_cast<size_t>(length);
  }
  *pos += offset;
  ++tuples_;
  if (absl::Status s = on_tuple(FieldRow(fields_)); !s.ok()) return s;
  return Step::kDone;
}

absl::Status CopyDecoder::Finish() const {
  if (!error_.ok()) return error_;
  if (!header_seen_) return absl::DataLossError("binary COPY: the stream ended before its header");
  if (!trailer_seen_) {
    return absl::DataLossError(absl::StrCat("binary COPY: the stream ended without its trailer after ",
                                            tuples_, " tuples (", pending_.size(),
                                            " bytes of an incomplete tuple left)"));
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Typed readers.

absl::StatusOr<int16_t> ReadInt2(const Field& field, std::string_view column) {
  if (absl::Status s = CheckFixed(field, 2, "int2", column); !s.ok()) return s;
  return static_cast<int16_t>(LoadU16(field.bytes.data()));
}

absl::StatusOr<int32_t> ReadInt4(const Field& field, std::string_view column) {
  if (absl::Status s = CheckFixed(field, 4, "int4", column); !s.ok()) return s;
  return static_cast<int32_t>(LoadU32(field.bytes.data()));
}

absl::StatusOr<int64_t> ReadInt8(const Field& field, std::string_view column) {
  if (absl::Status s = CheckFixed(field, 8, "int8", column); !s.ok()) return s;
  return static_cast<int64_t>(LoadU64(field.bytes.data()));
}

absl::StatusOr<uint64_t> ReadXid8(const Field& field, std::string_view column) {
  if (absl::Status s = CheckFixed(field, 8, "xid8", column); !s.ok()) return s;
  return LoadU64(field.bytes.data());
}

absl::StatusOr<double> ReadFloat8(const Field& field, std::string_view column) {
  if (absl::Status s = CheckFixed(field, 8, "float8", column); !s.ok()) return s;
  const uint64_t bits = LoadU64(field.bytes.data());
  double value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

absl::StatusOr<bool> ReadBool(const Field& field, std::string_view column) {
  if (absl::Status s = CheckFixed(field, 1, "bool", column); !s.ok()) return s;
  const char c = field.bytes[0];
  if (c != 0 && c != 1) {
    return absl::DataLossError(absl::StrCat(std::string(column), ": a binary bool is 0 or 1, got ",
                                            static_cast<int>(static_cast<unsigned char>(c))));
  }
  return c == 1;
}

absl::StatusOr<std::string_view> ReadText(const Field& field, std::string_view column) {
  if (field.is_null) return NullError(column);
  return field.bytes;
}

absl::StatusOr<engine::Uuid> ReadUuid(const Field& field, std::string_view column) {
  if (absl::Status s = CheckFixed(field, 16, "uuid", column); !s.ok()) return s;
  std::array<uint8_t, 16> bytes;
  std::memcpy(bytes.data(), field.bytes.data(), bytes.size());
  return engine::Uuid(bytes);
}

absl::StatusOr<engine::CivilDay> ReadDate(const Field& field, std::string_view column) {
  if (absl::Status s = CheckFixed(field, 4, "date", column); !s.ok()) return s;
  const int32_t days = static_cast<int32_t>(LoadU32(field.bytes.data()));
  if (days == std::numeric_limits<int32_t>::max() || days == std::numeric_limits<int32_t>::min()) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(column), " is an infinite date"));
  }
  const int64_t unix_days = int64_t{days} + kPostgresEpochDays;
  if (unix_days > std::numeric_limits<engine::CivilDay>::max()) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(column), " is out of range: ", days,
                                                   " days after 2000-01-01"));
  }
  return static_cast<engine::CivilDay>(unix_days);
}

absl::StatusOr<int64_t> ReadTimestampMicros(const Field& field, std::string_view column) {
  if (absl::Status s = CheckFixed(field, 8, "timestamp", column); !s.ok()) return s;
  const int64_t micros = static_cast<int64_t>(LoadU64(field.bytes.data()));
  if (micros == std::numeric_limits<int64_t>::max() || micros == std::numeric_limits<int64_t>::min()) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(column), " is an infinite timestamp"));
  }
  int64_t unix_micros;
  if (__builtin_add_overflow(micros, kPostgresEpochMicros, &unix_micros)) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(column), " is out of range: ", micros,
                                                   " microseconds after 2000-01-01"));
  }
  return unix_micros;
}

absl::StatusOr<std::string_view> ReadJsonb(const Field& field, std::string_view column) {
  if (field.is_null) return NullError(column);
  if (field.bytes.empty()) {
    return absl::DataLossError(absl::StrCat(std::string(column), ": a binary jsonb is empty"));
  }
  if (field.bytes[0] != 1) {
    return absl::DataLossError(absl::StrCat(std::string(column), ": unsupported jsonb version ",
                                            static_cast<int>(static_cast<unsigned char>(field.bytes[0]))));
  }
  return field.bytes.substr(1);
}

absl::StatusOr<std::vector<std::string_view>> ReadTextArray(const Field& field,
                                                            std::string_view column) {
  if (field.is_null) return NullError(column);
  const std::string_view b = field.bytes;
  auto truncated = [&] {
    return absl::DataLossError(absl::StrCat(std::string(column), ": a binary array of ", b.size(),
                                            " bytes is truncated"));
  };
  if (b.size() < 12) return truncated();
  const int32_t ndim = static_cast<int32_t>(LoadU32(b.data()));
  const uint32_t element_type = LoadU32(b.data() + 8);
  if (element_type != kTextOid && element_type != kVarcharOid && element_type != kBpcharOid &&
      element_type != kNameOid) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(column),
                                                   ": expected a text array, got element type oid ",
                                                   element_type));
  }
  std::vector<std::string_view> elements;
  if (ndim == 0) {
    if (b.size() != 12) return absl::DataLossError(absl::StrCat(std::string(column), ": bytes after an empty array"));
    return elements;
  }
  if (ndim != 1) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(column),
                                                   ": expected a one-dimensional array, got ", ndim,
                                                   " dimensions"));
  }
  if (b.size() < 20) return truncated();
  const int32_t count = static_cast<int32_t>(LoadU32(b.data() + 12));
  if (count < 0) {
    return absl::DataLossError(absl::StrCat(std::string(column), ": negative array length ", count));
  }
  // Every element takes at least its 4-byte length: bound the reservation
  // by what the bytes can hold, whatever the count claims.
  elements.reserve(std::min<size_t>(static_cast<size_t>(count), (b.size() - 20) / 4));
  size_t pos = 20;
  for (int32_t i = 0; i < count; ++i) {
    if (b.size() - pos < 4) return truncated();
    const int32_t length = static_cast<int32_t>(LoadU32(b.data() + pos));
    pos += 4;
    if (length == -1) {
      return absl::InvalidArgumentError(absl::StrCat(std::string(column), ": element ", i + 1, " is NULL"));
    }
    if (length < 0) {
      return absl::DataLossError(absl::StrCat(std::string(column), ": element ", i + 1, " has length ", length));
    }
    if (b.size() - pos < static_cast<size_t>(length)) return truncated();
    elements.push_back(b.substr(pos, static_cast<size_t>(length)));
    pos += static_cast<size_t>(length);
  }
  if (pos != b.size()) {
    return absl::DataLossError(absl::StrCat(std::string(column), ": ", b.size() - pos,
                                            " bytes after the array's elements"));
  }
  return elements;
}

// ---------------------------------------------------------------------------
// numeric.

absl::StatusOr<Numeric> ReadNumeric(const Field& field, std::string_view column) {
  if (field.is_null) return NullError(column);
  const std::string_view b = field.bytes;
  if (b.size() < 8) {
    return absl::DataLossError(absl::StrCat(std::string(column), ": a binary numeric has at least 8 bytes, got ",
                                            b.size()));
  }
  const int16_t ndigits = static_cast<int16_t>(LoadU16(b.data()));
  Numeric n;
  n.weight = static_cast<int16_t>(LoadU16(b.data() + 2));
  const uint16_t sign = LoadU16(b.data() + 4);
  n.display_scale = static_cast<int16_t>(LoadU16(b.data() + 6));
  if (ndigits < 0 || b.size() != 8 + 2 * static_cast<size_t>(ndigits)) {
    return absl::DataLossError(absl::StrCat(std::string(column), ": a binary numeric with ", ndigits,
                                            " digits cannot have ", b.size(), " bytes"));
  }
  if (n.display_scale < 0) {
    return absl::DataLossError(absl::StrCat(std::string(column), ": negative numeric display scale ",
                                            n.display_scale));
  }
  switch (sign) {
    case 0x0000: break;
    case 0x4000: n.negative = true; break;
    case 0xC000: n.kind = Numeric::Kind::kNaN; break;
    case 0xD000: n.kind = Numeric::Kind::kPositiveInfinity; break;
    case 0xF000: n.kind = Numeric::Kind::kNegativeInfinity; break;
    default:
      return absl::DataLossError(absl::StrCat(std::string(column), ": unknown numeric sign word 0x",
                                              absl::Hex(sign)));
  }
  n.digits.resize(static_cast<size_t>(ndigits));
  for (int i = 0; i < ndigits; ++i) {
    const int16_t d = static_cast<int16_t>(LoadU16(b.data() + 8 + 2 * i));
    if (d < 0 || d > 9999) {
      return absl::DataLossError(absl::StrCat(std::string(column), ": numeric digit ", i + 1, " is ", d,
                                              ", outside [0, 9999]"));
    }
    n.digits[static_cast<size_t>(i)] = d;
  }
  return n;
}

namespace {

absl::Status NotFinite(const Numeric& value, std::string_view column) {
  const char* what = value.kind == Numeric::Kind::kNaN                ? "NaN"
                     : value.kind == Numeric::Kind::kPositiveInfinity ? "Infinity"
                                                                      : "-Infinity";
  return absl::InvalidArgumentError(absl::StrCat(std::string(column), " is ", what, ", not a finite number"));
}

}  // namespace

absl::StatusOr<int64_t> NumericToCents(const Numeric& value, std::string_view column) {
  if (value.kind != Numeric::Kind::kFinite) return NotFinite(value, column);
  auto overflow = [&] {
    return absl::InvalidArgumentError(absl::StrCat(std::string(column),
                                                   " is too large for an int64 count of hundredths"));
  };
  // Accumulate negatively: the int64 range holds one more negative value.
  int64_t cents = 0;
  for (size_t i = 0; i < value.digits.size(); ++i) {
    const int64_t digit = value.digits[i];
    if (digit == 0) continue;
    const int exponent = value.weight - static_cast<int>(i);  // of 10000
    int64_t term;
    if (exponent >= 0) {
      if (exponent > 4) return overflow();  // 10000^5 × 100 > 2^63
      int64_t scale = 100;
      for (int e = 0; e < exponent; ++e) scale *= 10000;
      if (__builtin_mul_overflow(digit, scale, &term)) return overflow();
    } else if (exponent == -1 && digit % 100 == 0) {
      term = digit / 100;  // hundredths: .05 is the digit 0500
    } else {
      return absl::InvalidArgumentError(absl::StrCat(std::string(column),
                                                     " has more than two fractional digits"));
    }
    if (__builtin_sub_overflow(cents, term, &cents)) return overflow();
  }
  if (value.negative) return cents;
  if (cents == std::numeric_limits<int64_t>::min()) return overflow();
  return -cents;
}

absl::StatusOr<double> NumericToDouble(const Numeric& value, std::string_view column) {
  if (value.kind != Numeric::Kind::kFinite) return NotFinite(value, column);
  if (value.digits.empty()) return 0.0;
  // The exact decimal "[-]<base-10000 digits, 4 decimal digits each>e<exp>",
  // rounded once by from_chars: correctly rounded whatever the length.
  std::string text;
  text.reserve(value.digits.size() * 4 + 16);
  if (value.negative) text.push_back('-');
  for (int16_t d : value.digits) {
    const char group[4] = {static_cast<char>('0' + d / 1000), static_cast<char>('0' + d / 100 % 10),
                           static_cast<char>('0' + d / 10 % 10), static_cast<char>('0' + d % 10)};
    text.append(group, 4);
  }
  const int exponent = (value.weight - static_cast<int>(value.digits.size()) + 1) * 4;
  absl::StrAppend(&text, "e", exponent);
  double result = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), result);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(column), " does not fit a double"));
  }
  return result;
}

absl::StatusOr<int64_t> ReadNumericCents(const Field& field, std::string_view column) {
  absl::StatusOr<Numeric> n = ReadNumeric(field, column);
  if (!n.ok()) return n.status();
  return NumericToCents(*n, column);
}

absl::StatusOr<double> ReadNumericDouble(const Field& field, std::string_view column) {
  absl::StatusOr<Numeric> n = ReadNumeric(field, column);
  if (!n.ok()) return n.status();
  return NumericToDouble(*n, column);
}

}  // namespace otter::loader
