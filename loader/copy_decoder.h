#pragma once
// PostgreSQL's binary wire format, decoded: the framing of
// `COPY ... TO STDOUT (FORMAT binary)` (header, tuples of length-prefixed
// fields, trailer) and typed readers for the fields, which are the types'
// binary send forms, the same bytes a binary-format query result carries.
// A pure function of bytes: no libpq, no allocation per field.
//
//   CopyDecoder decoder(/*expected_fields=*/2);
//   OTTER_RETURN_IF_ERROR(decoder.Feed(chunk, [&](FieldRow row) -> absl::Status {
//     OTTER_ASSIGN_OR_RETURN(int32_t n, ReadInt4(row[0], "tours.duration_days"));
//     ...
//   }));
//   OTTER_RETURN_IF_ERROR(decoder.Finish());  // the trailer was seen
//
// Errors: kDataLoss when the bytes do not follow the format (truncated,
// wrong length, garbage after the trailer), kInvalidArgument when they do
// but the value does not fit what the caller asked (a NULL where a value is
// required, a NaN price, a third fractional digit in cents, an infinite
// date). Messages name the column (readers) or the tuple and field (framing).
//
// Thread safety: CopyDecoder is used by one thread at a time; the readers
// are pure functions.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/catalog/civil_day.h"
#include "engine/uuid.h"

namespace otter::loader {

// One field of a tuple: its bytes, or SQL NULL. Does not own the bytes.
struct Field {
  std::string_view bytes;
  bool is_null = false;
};

// The fields of one tuple, in column order. Valid only during the callback
// (or while the result it was taken from lives).
using FieldRow = absl::Span<const Field>;

// Splits a binary COPY stream into tuples. Chunks may split the stream
// anywhere (libpq hands over one CopyData message per call, which PostgreSQL
// fills with one tuple, the header riding with the first).
class CopyDecoder {
 public:
  // `expected_fields`: the column count every tuple must have (0: any).
  explicit CopyDecoder(int expected_fields = 0) : expected_fields_(expected_fields) {}

  // Consumes `bytes` and calls `on_tuple` for each complete tuple, in order.
  // Returns kDataLoss for a malformed header, a field count other than
  // `expected_fields`, a negative length other than -1, or bytes after the
  // trailer; otherwise the first error `on_tuple` returns. After an error
  // the decoder is poisoned: every later call returns that error.
  absl::Status Feed(std::string_view bytes, absl::FunctionRef<absl::Status(FieldRow)> on_tuple);

  // Call once the stream has ended. Returns kDataLoss when the trailer was
  // not seen (the stream was truncated), naming how many bytes were left.
  absl::Status Finish() const;

  // Tuples decoded so far.
  int64_t tuples() const { return tuples_; }

 private:
  enum class Step { kDone, kNeedMore };
  // Parses one unit (header or tuple or trailer) at data[*pos]; advances
  // *pos past it when complete.
  absl::StatusOr<Step> ParseOne(std::string_view data, size_t* pos,
                                absl::FunctionRef<absl::Status(FieldRow)> on_tuple);
  absl::Status ParseAll(std::string_view data, size_t* pos,
                        absl::FunctionRef<absl::Status(FieldRow)> on_tuple);

  int expected_fields_;
  bool header_seen_ = false;
  bool trailer_seen_ = false;
  int64_t tuples_ = 0;
  absl::Status error_;
  std::string pending_;       // an incomplete unit carried to the next chunk
  std::vector<Field> fields_;  // reused for every tuple
};

// ---------------------------------------------------------------------------
// Typed readers. Each decodes one non-NULL field of the named type; `column`
// names it in errors ("tours.price"). A NULL field is kInvalidArgument
// ("... is NULL"): test Field::is_null first for nullable columns.

absl::StatusOr<int16_t> ReadInt2(const Field& field, std::string_view column);
absl::StatusOr<int32_t> ReadInt4(const Field& field, std::string_view column);
absl::StatusOr<int64_t> ReadInt8(const Field& field, std::string_view column);
absl::StatusOr<double> ReadFloat8(const Field& field, std::string_view column);
absl::StatusOr<bool> ReadBool(const Field& field, std::string_view column);
// text, varchar, char(n), name: the bytes themselves (in the client
// encoding). Does not copy.
absl::StatusOr<std::string_view> ReadText(const Field& field, std::string_view column);
absl::StatusOr<engine::Uuid> ReadUuid(const Field& field, std::string_view column);
// xid8: an unsigned 64-bit transaction id.
absl::StatusOr<uint64_t> ReadXid8(const Field& field, std::string_view column);
// date → days since 1970-01-01. kInvalidArgument for ±infinity.
absl::StatusOr<engine::CivilDay> ReadDate(const Field& field, std::string_view column);
// timestamptz (or timestamp) → unix microseconds. kInvalidArgument for
// ±infinity or a value whose unix microseconds overflow int64.
absl::StatusOr<int64_t> ReadTimestampMicros(const Field& field, std::string_view column);
// jsonb → its JSON text (after the version byte, which must be 1).
absl::StatusOr<std::string_view> ReadJsonb(const Field& field, std::string_view column);
// A one-dimensional text[] (or varchar[]) without NULL elements → its
// elements (views into the field). An empty array gives no element.
absl::StatusOr<std::vector<std::string_view>> ReadTextArray(const Field& field,
                                                            std::string_view column);

// The binary form of `numeric`: value = sign × Σ digits[i] × 10000^(weight-i).
struct Numeric {
  enum class Kind { kFinite, kNaN, kPositiveInfinity, kNegativeInfinity };
  Kind kind = Kind::kFinite;
  bool negative = false;
  int16_t weight = 0;
  int16_t display_scale = 0;   // digits after the decimal point, for display
  std::vector<int16_t> digits;  // base 10000, each in [0, 9999]
};

// Decodes a numeric field. kDataLoss for a wrong length, a digit outside
// [0, 9999], or an unknown sign word.
absl::StatusOr<Numeric> ReadNumeric(const Field& field, std::string_view column);

// The value × 100, exactly: numeric(10,2) money and numeric(3,2) ratings.
// kInvalidArgument for NaN/infinity, a nonzero third fractional digit, or a
// value whose hundredths overflow int64.
absl::StatusOr<int64_t> ReadNumericCents(const Field& field, std::string_view column);

// The value as the nearest double (correctly rounded). kInvalidArgument for
// NaN or infinity.
absl::StatusOr<double> ReadNumericDouble(const Field& field, std::string_view column);

// Conversions of a decoded Numeric (what the two readers above use).
absl::StatusOr<int64_t> NumericToCents(const Numeric& value, std::string_view column);
absl::StatusOr<double> NumericToDouble(const Numeric& value, std::string_view column);

}  // namespace otter::loader
