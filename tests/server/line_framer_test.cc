#include "server/line_framer.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace otter::server {
namespace {

// Feeds `input` in pieces cut at `cuts` and collects every line and error.
std::vector<std::string> Frame(LineFramer& framer, const std::string& input,
                               const std::vector<std::size_t>& cuts) {
  std::vector<std::string> out;
  std::string buffer;
  std::size_t fed = 0;
  auto drain = [&] {
    for (;;) {
      LineFrame f = framer.Next(buffer);
      if (f.status == FrameStatus::kDone) out.emplace_back(f.line);
      if (f.status == FrameStatus::kError) out.push_back("<error>");
      buffer.erase(0, f.consumed);
      if (f.status == FrameStatus::kNeedMore) return;
    }
  };
  for (std::size_t cut : cuts) {
    buffer.append(input, fed, cut - fed);
    fed = cut;
    drain();
  }
  buffer.append(input, fed, std::string::npos);
  drain();
  return out;
}

TEST(LineFramerTest, SplitsLinesAndStripsCrLf) {
  LineFramer framer(100);
  EXPECT_EQ(Frame(framer, "{\"op\":\"ping\"}\n{}\r\n\nabc", {}),
            (std::vector<std::string>{"{\"op\":\"ping\"}", "{}", ""}));
}

TEST(LineFramerTest, SameLinesWhateverTheSplitPosition) {
  const std::string input = "{\"id\":1}\r\n{\"id\":22}\n\n{\"id\":333}\r\n";
  const std::vector<std::string> expected = {"{\"id\":1}", "{\"id\":22}", "", "{\"id\":333}"};
  for (std::size_t a = 0; a <= input.size(); ++a) {
    for (std::size_t b = a; b <= input.size(); ++b) {
      LineFramer framer(64);
      EXPECT_EQ(Frame(framer, input, {a, b}), expected) << "cuts " << a << "," << b;
    }
  }
}

TEST(LineFramerTest, LineOfExactlyTheLimitIsAccepted) {
  LineFramer framer(8);
  EXPECT_EQ(Frame(framer, "12345678\n12345678\r\n", {}),
            (std::vector<std::string>{"12345678", "12345678"}));
}

TEST(LineFramerTest, OverLongLineIsReportedBeforeItsNewlineArrives) {
  LineFramer framer(8);
  LineFrame f = framer.Next("123456789");
  EXPECT_EQ(f.status, FrameStatus::kError);
  EXPECT_EQ(f.consumed, 9u);
  EXPECT_TRUE(framer.discarding());
  // The rest of the line is discarded, then framing resumes.
  f = framer.Next("abcdef");
  EXPECT_EQ(f.status, FrameStatus::kNeedMore);
  EXPECT_EQ(f.consumed, 6u);
  f = framer.Next("gh\n{}\n");
  EXPECT_EQ(f.status, FrameStatus::kDone);
  EXPECT_EQ(f.line, "{}");
  EXPECT_EQ(f.consumed, 6u);
  EXPECT_FALSE(framer.discarding());
}

TEST(LineFramerTest, TrailingCarriageReturnAtTheLimitWaitsForItsNewline) {
  LineFramer framer(4);
  EXPECT_EQ(framer.Next("1234\r").status, FrameStatus::kNeedMore);
  LineFrame f = framer.Next("1234\r\n");
  EXPECT_EQ(f.status, FrameStatus::kDone);
  EXPECT_EQ(f.line, "1234");
  EXPECT_EQ(framer.Next("1234\rx").status, FrameStatus::kError);
}

TEST(LineFramerTest, OverLongLinesResynchroniseAtEverySplit) {
  const std::string input = "{}\n" + std::string(50, 'x') + "\n{\"a\":1}\n";
  for (std::size_t a = 0; a <= input.size(); ++a) {
    LineFramer framer(16);
    EXPECT_EQ(Frame(framer, input, {a}),
              (std::vector<std::string>{"{}", "<error>", "{\"a\":1}"}))
        << "cut " << a;
  }
}

TEST(LineFramerTest, RandomBytesNeverBreakTheContract) {
  const uint32_t seed = std::random_device{}();
  SCOPED_TRACE(testing::Message() << "seed " << seed);
  std::mt19937 rng(seed);
  for (int round = 0; round < 200; ++round) {
    LineFramer framer(1 + rng() % 64);
    std::string buffer;
    for (int step = 0; step < 50; ++step) {
      const std::size_t n = rng() % 40;
      for (std::size_t i = 0; i < n; ++i) buffer.push_back(static_cast<char>(rng() % 4 == 0 ? '\n' : rng()));
      for (;;) {
        LineFrame f = framer.Next(buffer);
        ASSERT_LE(f.consumed, buffer.size());
        if (f.status == FrameStatus::kDone) {
          ASSERT_EQ(f.line.find('\n'), std::string_view::npos);
        }
        buffer.erase(0, f.consumed);
        if (f.status == FrameStatus::kNeedMore) break;
      }
    }
  }
}

}  // namespace
}  // namespace otter::server
