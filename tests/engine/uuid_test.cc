#include "engine/uuid.h"

#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace otter::engine {
namespace {

using ::testing::HasSubstr;

TEST(UuidTest, ParsesCanonicalFormAndFormatsItBack) {
  absl::StatusOr<Uuid> id = Uuid::Parse("123e4567-e89b-12d3-a456-426614174000");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->bytes()[0], 0x12);
  EXPECT_EQ(id->bytes()[15], 0x00);
  EXPECT_EQ(id->ToString(), "123e4567-e89b-12d3-a456-426614174000");
}

TEST(UuidTest, AcceptsUppercaseBracesAndUnhyphenatedFormsLikePostgres) {
  const std::string canonical = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11";
  for (const char* text : {"A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11",
                           "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",
                           "a0eebc999c0b4ef8bb6d6bb9bd380a11"}) {
    absl::StatusOr<Uuid> id = Uuid::Parse(text);
    ASSERT_TRUE(id.ok()) << text << ": " << id.status();
    EXPECT_EQ(id->ToString(), canonical) << text;
  }
}

TEST(UuidTest, RejectsMalformedTextNamingTheProblem) {
  struct Case {
    const char* text;
    const char* message;
  };
  for (const Case& c : {Case{"", "expected 36 characters"},
                        Case{"123e4567-e89b-12d3-a456-42661417400", "expected 36 characters"},
                        Case{"123e4567+e89b-12d3-a456-426614174000", "expected '-' at position 8"},
                        Case{"123e4567-e89b-12d3-a456-42661417400g", "non-hexadecimal"}}) {
    absl::StatusOr<Uuid> id = Uuid::Parse(c.text);
    ASSERT_FALSE(id.ok()) << c.text;
    EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(id.status().message(), HasSubstr(c.message)) << c.text;
  }
}

TEST(UuidTest, RandomBytesRoundTripThroughText) {
  const unsigned seed = std::random_device{}();
  std::mt19937 rng(seed);
  for (int i = 0; i < 1000; ++i) {
    std::array<uint8_t, 16> bytes;
    for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng());
    const Uuid id(bytes);
    absl::StatusOr<Uuid> parsed = Uuid::Parse(id.ToString());
    ASSERT_TRUE(parsed.ok()) << "seed " << seed;
    EXPECT_EQ(*parsed, id) << "seed " << seed;
  }
}

}  // namespace
}  // namespace otter::engine
