// The binary COPY decoder on hand-built byte strings (the format is
// PostgreSQL's documented wire format), truncations and random bytes. The
// catalog reader's tests check the same decoders against a real server.

#include "loader/copy_decoder.h"

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace otter::loader {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

void Be16(std::string* out, uint16_t v) {
  out->push_back(static_cast<char>(v >> 8));
  out->push_back(static_cast<char>(v));
}
void Be32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}
void Be64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

std::string Header() {
  std::string h("PGCOPY\n\377\r\n\0", 11);
  Be32(&h, 0);  // flags
  Be32(&h, 0);  // extension length
  return h;
}

// A tuple of the given fields (nullopt: NULL).
std::string Tuple(const std::vector<std::optional<std::string>>& fields) {
  std::string t;
  Be16(&t, static_cast<uint16_t>(fields.size()));
  for (const auto& f : fields) {
    if (!f) {
      Be32(&t, 0xFFFFFFFFu);
    } else {
      Be32(&t, static_cast<uint32_t>(f->size()));
      t += *f;
    }
  }
  return t;
}

std::string Trailer() {
  std::string t;
  Be16(&t, 0xFFFF);
  return t;
}

// The binary numeric with these base-10000 digits.
std::string NumericBytes(int16_t weight, uint16_t sign, int16_t dscale, std::vector<int16_t> digits) {
  std::string b;
  Be16(&b, static_cast<uint16_t>(digits.size()));
  Be16(&b, static_cast<uint16_t>(weight));
  Be16(&b, sign);
  Be16(&b, static_cast<uint16_t>(dscale));
  for (int16_t d : digits) Be16(&b, static_cast<uint16_t>(d));
  return b;
}

Field F(const std::string& bytes) { return Field{bytes, false}; }
const Field kNull{{}, true};

// Decodes `stream` fed in chunks of `chunk` bytes; returns the tuples'
// fields as strings ("NULL" for NULL).
absl::StatusOr<std::vector<std::vector<std::string>>> DecodeAll(const std::string& stream, size_t chunk,
                                                                int expected_fields = 0) {
  CopyDecoder decoder(expected_fields);
  std::vector<std::vector<std::string>> rows;
  for (size_t pos = 0; pos < stream.size(); pos += chunk) {
    absl::Status s = decoder.Feed(std::string_view(stream).substr(pos, chunk), [&](FieldRow row) {
      std::vector<std::string> out;
      for (const Field& f : row) out.push_back(f.is_null ? "NULL" : std::string(f.bytes));
      rows.push_back(std::move(out));
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
  }
  if (absl::Status s = decoder.Finish(); !s.ok()) return s;
  return rows;
}

TEST(CopyDecoderTest, SplitsTuplesAndNullsWhateverTheChunking) {
  const std::string stream = Header() + Tuple({"ab", std::nullopt, ""}) + Tuple({"xyz", "1", "2"}) + Trailer();
  for (size_t chunk : {size_t{1}, size_t{2}, size_t{7}, size_t{19}, stream.size()}) {
    absl::StatusOr<std::vector<std::vector<std::string>>> rows = DecodeAll(stream, chunk, 3);
    ASSERT_TRUE(rows.ok()) << "chunk " << chunk << ": " << rows.status();
    ASSERT_EQ(rows->size(), 2u);
    EXPECT_THAT((*rows)[0], ElementsAre("ab", "NULL", ""));
    EXPECT_THAT((*rows)[1], ElementsAre("xyz", "1", "2"));
  }
}

TEST(CopyDecoderTest, SkipsTheHeaderExtension) {
  std::string header("PGCOPY\n\377\r\n\0", 11);
  Be32(&header, 0);
  Be32(&header, 3);
  header += "ext";
  absl::StatusOr<std::vector<std::vector<std::string>>> rows = DecodeAll(header + Tuple({"v"}) + Trailer(), 4);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_THAT((*rows)[0], ElementsAre("v"));
}

TEST(CopyDecoderTest, TruncatedStreamIsDataLossAtFinish) {
  const std::string stream = Header() + Tuple({"abc", "def"}) + Trailer();
  for (size_t cut = 0; cut < stream.size(); ++cut) {
    absl::StatusOr<std::vector<std::vector<std::string>>> rows = DecodeAll(stream.substr(0, cut), 5);
    ASSERT_FALSE(rows.ok()) << "cut at " << cut;
    EXPECT_EQ(rows.status().code(), absl::StatusCode::kDataLoss) << rows.status();
  }
  absl::StatusOr<std::vector<std::vector<std::string>>> rows = DecodeAll(stream.substr(0, stream.size() - 2), 100);
  EXPECT_THAT(rows.status().message(), HasSubstr("without its trailer after 1 tuples"));
}

TEST(CopyDecoderTest, RejectsBadFramingWithDataLoss) {
  auto code_and_message = [](const std::string& stream, int expected_fields = 0) {
    absl::StatusOr<std::vector<std::vector<std::string>>> rows = DecodeAll(stream, 1000, expected_fields);
    EXPECT_FALSE(rows.ok());
    EXPECT_EQ(rows.status().code(), absl::StatusCode::kDataLoss);
    return std::string(rows.status().message());
  };
  EXPECT_THAT(code_and_message("PGCOPX\n\377\r\n\0xxxxxxxx" + Trailer()), HasSubstr("PGCOPY signature"));
  std::string oids("PGCOPY\n\377\r\n\0", 11);
  Be32(&oids, 1u << 16);
  Be32(&oids, 0);
  EXPECT_THAT(code_and_message(oids + Trailer()), HasSubstr("unsupported header flags"));
  EXPECT_THAT(code_and_message(Header() + Tuple({"a"}) + Trailer(), 2), HasSubstr("tuple 1 has 1 fields, expected 2"));
  std::string bad_length = Header();
  Be16(&bad_length, 1);
  Be32(&bad_length, 0xFFFFFFFEu);  // -2
  EXPECT_THAT(code_and_message(bad_length + Trailer()), HasSubstr("tuple 1 field 1 has length -2"));
  EXPECT_THAT(code_and_message(Header() + Trailer() + "junk"), HasSubstr("4 bytes after the trailer"));
}

TEST(CopyDecoderTest, CallbackErrorStopsAndPoisons) {
  CopyDecoder decoder;
  const std::string stream = Header() + Tuple({"a"}) + Tuple({"b"}) + Trailer();
  int calls = 0;
  absl::Status s = decoder.Feed(stream, [&](FieldRow) {
    ++calls;
    return absl::InvalidArgumentError("tours.price is NaN");
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(decoder.Finish().code(), absl::StatusCode::kInvalidArgument);
}

TEST(CopyReadersTest, FixedWidthIntegersFloatsAndBools) {
  std::string b;
  Be16(&b, static_cast<uint16_t>(-2));
  EXPECT_EQ(*ReadInt2(F(b), "c"), -2);
  b.clear();
  Be32(&b, static_cast<uint32_t>(-123456));
  EXPECT_EQ(*ReadInt4(F(b), "c"), -123456);
  b.clear();
  Be64(&b, static_cast<uint64_t>(int64_t{-5000000000}));
  EXPECT_EQ(*ReadInt8(F(b), "c"), -5000000000);
  EXPECT_EQ(*ReadXid8(F(b), "c"), static_cast<uint64_t>(int64_t{-5000000000}));
  b.clear();
  Be64(&b, 0x400921FB54442D18ull);  // pi
  EXPECT_DOUBLE_EQ(*ReadFloat8(F(b), "c"), 3.141592653589793);
  EXPECT_TRUE(*ReadBool(F(std::string(1, '\1')), "c"));
  EXPECT_FALSE(*ReadBool(F(std::string(1, '\0')), "c"));

  absl::StatusOr<int32_t> wrong = ReadInt4(F("abc"), "tours.duration_days");
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(wrong.status().message(), HasSubstr("tours.duration_days: a binary int4 has 4 bytes, got 3"));
  EXPECT_EQ(ReadBool(F("\2"), "c").status().code(), absl::StatusCode::kDataLoss);

  absl::StatusOr<int32_t> null = ReadInt4(kNull, "tour_schedules.max_participants");
  EXPECT_EQ(null.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(null.status().message(), "tour_schedules.max_participants is NULL");
}

TEST(CopyReadersTest, UuidTextAndJsonb) {
  const std::string raw("\x6f\x1c\x0a\x5e\x00\x01\x40\x02\x80\x03\x00\x00\x00\x00\x00\xff", 16);
  absl::StatusOr<engine::Uuid> id = ReadUuid(F(raw), "tours.id");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->ToString(), "6f1c0a5e-0001-4002-8003-0000000000ff");
  EXPECT_EQ(ReadUuid(F("short"), "tours.id").status().code(), absl::StatusCode::kDataLoss);

  EXPECT_EQ(*ReadText(F("café"), "c"), "café");
  EXPECT_EQ(*ReadText(F(""), "c"), "");

  EXPECT_EQ(*ReadJsonb(F("\1[\"a\"]"), "tours.tags"), "[\"a\"]");
  absl::StatusOr<std::string_view> v2 = ReadJsonb(F("\2{}"), "tours.tags");
  EXPECT_EQ(v2.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(v2.status().message(), HasSubstr("tours.tags: unsupported jsonb version 2"));
  EXPECT_EQ(ReadJsonb(F(""), "tours.tags").status().code(), absl::StatusCode::kDataLoss);
}

TEST(CopyReadersTest, DatesAroundTheEpochsAndInfinity) {
  auto date = [](int32_t pg_days) {
    std::string b;
    Be32(&b, static_cast<uint32_t>(pg_days));
    return ReadDate(F(b), "tours.availability_start");
  };
  EXPECT_EQ(*date(0), engine::DaysFromCivil(2000, 1, 1));
  EXPECT_EQ(*date(-10957), 0);  // 1970-01-01
  EXPECT_EQ(*date(-10958), -1);
  EXPECT_EQ(*date(-36524), engine::DaysFromCivil(1900, 1, 1));  // before both epochs
  EXPECT_EQ(*date(9982), engine::DaysFromCivil(2027, 5, 1));
  absl::StatusOr<engine::CivilDay> inf = date(INT32_MAX);
  EXPECT_EQ(inf.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(inf.status().message(), HasSubstr("tours.availability_start is an infinite date"));
  EXPECT_EQ(date(INT32_MIN).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(CopyReadersTest, TimestampsBecomeUnixMicros) {
  auto ts = [](int64_t pg_micros) {
    std::string b;
    Be64(&b, static_cast<uint64_t>(pg_micros));
    return ReadTimestampMicros(F(b), "tours.created_at");
  };
  EXPECT_EQ(*ts(0), int64_t{946684800} * 1000000);
  EXPECT_EQ(*ts(-int64_t{946684800} * 1000000), 0);
  EXPECT_EQ(*ts(-int64_t{946684800} * 1000000 - 1), -1);  // 1969-12-31T23:59:59.999999
  EXPECT_EQ(ts(INT64_MAX).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ts(INT64_MIN).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ts(INT64_MAX - 5).status().code(), absl::StatusCode::kInvalidArgument);  // overflows
}

TEST(CopyReadersTest, NumericCentsEdgeCases) {
  auto cents = [](int16_t weight, uint16_t sign, int16_t dscale, std::vector<int16_t> digits) {
    return ReadNumericCents(F(NumericBytes(weight, sign, dscale, std::move(digits))), "tours.price");
  };
  EXPECT_EQ(*cents(0, 0x0000, 2, {}), 0);                      // 0.00
  EXPECT_EQ(*cents(1, 0x0000, 2, {1234, 5678, 9000}), 1234567890);  // 12345678.90
  EXPECT_EQ(*cents(-1, 0x0000, 2, {500}), 5);                  // 0.05
  EXPECT_EQ(*cents(0, 0x0000, 2, {4, 7500}), 475);             // 4.75
  EXPECT_EQ(*cents(0, 0x4000, 2, {3, 2500}), -325);            // -3.25
  EXPECT_EQ(*cents(0, 0x0000, 2, {129, 5000}), 12950);         // 129.50
  EXPECT_EQ(*cents(1, 0x0000, 0, {1}), 1000000);               // 10000 (trailing zero digits stripped)
  EXPECT_EQ(*cents(0, 0x4000, 0, {40}), -4000);                // -40
  EXPECT_EQ(*cents(4, 0x0000, 0, {9, 2233, 7203, 6854, 7758}),
            INT64_C(9223372036854775800));  // 92233720368547758.00

  absl::StatusOr<int64_t> third = cents(-1, 0x0000, 3, {10});  // 0.001
  EXPECT_EQ(third.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(third.status().message(), HasSubstr("tours.price has more than two fractional digits"));
  EXPECT_EQ(cents(-2, 0x0000, 6, {1}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(cents(5, 0x0000, 0, {1}).status().code(), absl::StatusCode::kInvalidArgument);  // 1e20
  EXPECT_EQ(cents(4, 0x0000, 0, {99, 0, 0, 0, 0}).status().code(), absl::StatusCode::kInvalidArgument);
  absl::StatusOr<int64_t> nan = cents(0, 0xC000, 0, {});
  EXPECT_EQ(nan.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(nan.status().message(), HasSubstr("tours.price is NaN"));
  EXPECT_EQ(cents(0, 0xD000, 0, {}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(CopyReadersTest, NumericMalformedIsDataLoss) {
  EXPECT_EQ(ReadNumericCents(F("\0\1"), "c").status().code(), absl::StatusCode::kDataLoss);
  std::string short_digits = NumericBytes(0, 0, 0, {1, 2});
  short_digits.pop_back();
  EXPECT_EQ(ReadNumericCents(F(short_digits), "c").status().code(), absl::StatusCode::kDataLoss);
  absl::StatusOr<int64_t> big_digit = ReadNumericCents(F(NumericBytes(0, 0, 0, {10000})), "c");
  EXPECT_EQ(big_digit.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(big_digit.status().message(), HasSubstr("outside [0, 9999]"));
  EXPECT_EQ(ReadNumericCents(F(NumericBytes(0, 0x1234, 0, {1})), "c").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(ReadNumericCents(kNull, "c").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(CopyReadersTest, NumericDoublesAreCorrectlyRounded) {
  auto dbl = [](int16_t weight, uint16_t sign, std::vector<int16_t> digits) {
    return *ReadNumericDouble(F(NumericBytes(weight, sign, 0, std::move(digits))), "tours.duration_hours");
  };
  EXPECT_EQ(dbl(0, 0, {}), 0.0);
  EXPECT_EQ(dbl(0, 0, {2, 5000}), 2.5);
  EXPECT_EQ(dbl(-1, 0, {1000}), 0.1);
  EXPECT_EQ(dbl(0, 0x4000, {3, 1415, 9265, 3589, 7932, 3846}), -3.14159265358979323846);
  EXPECT_EQ(dbl(2, 0, {1}), 1e8);
  EXPECT_EQ(dbl(-3, 0, {12}), 12e-12);
  EXPECT_EQ(ReadNumericDouble(F(NumericBytes(0, 0xC000, 0, {})), "c").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(CopyReadersTest, TextArrays) {
  auto array = [](std::vector<std::optional<std::string>> elements, uint32_t oid = 25) {
    std::string b;
    Be32(&b, elements.empty() ? 0 : 1);
    Be32(&b, 0);
    Be32(&b, oid);
    if (!elements.empty()) {
      Be32(&b, static_cast<uint32_t>(elements.size()));
      Be32(&b, 1);
      for (const auto& e : elements) {
        if (!e) {
          Be32(&b, 0xFFFFFFFFu);
        } else {
          Be32(&b, static_cast<uint32_t>(e->size()));
          b += *e;
        }
      }
    }
    return b;
  };
  const std::string two = array({"en", "fluent"});
  EXPECT_THAT(*ReadTextArray(F(two), "c"), ElementsAre("en", "fluent"));
  EXPECT_TRUE(ReadTextArray(F(array({})), "c")->empty());
  EXPECT_EQ(ReadTextArray(F(array({"a", std::nullopt})), "c").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadTextArray(F(array({"a"}, 23)), "c").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadTextArray(F(two.substr(0, two.size() - 1)), "c").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ReadTextArray(F(two + "x"), "c").status().code(), absl::StatusCode::kDataLoss);
}

// Every reader on every field of whatever the decoder makes of `bytes`:
// errors are fine, crashes (or sanitizer reports) are not.
void DecodeEverything(const std::string& bytes, size_t chunk) {
  CopyDecoder decoder;
  for (size_t pos = 0; pos < bytes.size(); pos += chunk) {
    absl::Status s = decoder.Feed(std::string_view(bytes).substr(pos, chunk), [](FieldRow row) {
      for (const Field& f : row) {
        (void)ReadInt2(f, "c");
        (void)ReadInt4(f, "c");
        (void)ReadInt8(f, "c");
        (void)ReadFloat8(f, "c");
        (void)ReadBool(f, "c");
        (void)ReadText(f, "c");
        (void)ReadUuid(f, "c");
        (void)ReadDate(f, "c");
        (void)ReadTimestampMicros(f, "c");
        (void)ReadJsonb(f, "c");
        (void)ReadTextArray(f, "c");
        (void)ReadNumericCents(f, "c");
        (void)ReadNumericDouble(f, "c");
      }
      return absl::OkStatus();
    });
    if (!s.ok()) break;
  }
  (void)decoder.Finish();
}

TEST(CopyDecoderFuzzTest, RandomAndMutatedBytesNeverCrash) {
  const uint32_t seed = std::random_device{}();
  SCOPED_TRACE(::testing::Message() << "seed " << seed);
  std::mt19937 rng(seed);
  std::string valid = Header();
  valid += Tuple({NumericBytes(1, 0, 2, {1234, 5678, 9000}), std::nullopt, std::string("\1{\"a\":1}"),
                  std::string(16, 'u')});
  std::string arr;
  Be32(&arr, 1);
  Be32(&arr, 0);
  Be32(&arr, 25);
  Be32(&arr, 2);
  Be32(&arr, 1);
  Be32(&arr, 2);
  arr += "en";
  Be32(&arr, 6);
  arr += "fluent";
  valid += Tuple({arr, std::string(8, '\0'), std::string(4, '\x7f'), std::string(1, '\1')});
  valid += Trailer();

  for (int i = 0; i < 20000; ++i) {
    std::string bytes;
    if (i % 2 == 0) {
      // Pure noise, sometimes behind a valid header so that tuples get parsed.
      if (i % 4 == 0) bytes = Header();
      const size_t n = rng() % 96;
      for (size_t k = 0; k < n; ++k) bytes.push_back(static_cast<char>(rng()));
    } else {
      bytes = valid;
      const int flips = 1 + static_cast<int>(rng() % 4);
      for (int k = 0; k < flips; ++k) bytes[rng() % bytes.size()] = static_cast<char>(rng());
      if (rng() % 3 == 0) bytes.resize(rng() % bytes.size());
    }
    DecodeEverything(bytes, 1 + rng() % 40);
  }
}

}  // namespace
}  // namespace otter::loader
