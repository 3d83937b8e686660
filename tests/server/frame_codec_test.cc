#include "server/frame_codec.h"

#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace otter::server {
namespace {

std::string Frame(uint64_t id, uint16_t op, std::string_view payload) {
  std::string out;
  AppendFrameHeader(out, id, op, payload.size());
  out.append(payload);
  return out;
}

TEST(FrameCodecTest, MagicFirstByteCanNeverStartAJsonLine) {
  EXPECT_TRUE(IsBinaryFirstByte(0xF9));
  for (unsigned char c : std::string_view("{ \t\r\n[\"0123456789-tfn")) {
    EXPECT_FALSE(IsBinaryFirstByte(c));
  }
}

TEST(FrameCodecTest, HandshakeRoundTripsAtEverySplit) {
  const std::string hs = EncodeHandshake("s3cret");
  for (std::size_t cut = 0; cut < hs.size(); ++cut) {
    Handshake h = ParseHandshake(std::string_view(hs).substr(0, cut));
    EXPECT_EQ(h.status, FrameStatus::kNeedMore) << cut;
  }
  const std::string with_more = hs + "more";
  Handshake h = ParseHandshake(with_more);
  ASSERT_EQ(h.status, FrameStatus::kDone);
  EXPECT_EQ(h.consumed, hs.size());
  EXPECT_EQ(h.token, "s3cret");
  EXPECT_EQ(h.version, kProtocolVersion);
}

TEST(FrameCodecTest, HandshakeRejectsBadMagicVersionAndToken) {
  EXPECT_EQ(ParseHandshake("\xF9OTX").status, FrameStatus::kError);
  Handshake h = ParseHandshake(EncodeHandshake("", 2));
  EXPECT_EQ(h.status, FrameStatus::kError);
  EXPECT_EQ(h.error, "unsupported protocol version");
  EXPECT_EQ(ParseHandshake(EncodeHandshake(std::string(2000, 't'))).status, FrameStatus::kError);
}

TEST(FrameCodecTest, FramesRoundTripAtEverySplit) {
  const std::string stream = Frame(7, 1, "") + Frame(0xFFFFFFFFFFFFFFFFull, 4, "{\"q\":\"kayak\"}");
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    FrameCodec codec(1024);
    std::string buffer = stream.substr(0, cut);
    std::vector<std::pair<uint64_t, std::string>> got;
    auto drain = [&] {
      for (;;) {
        BinaryFrame f = codec.Next(buffer);
        ASSERT_NE(f.status, FrameStatus::kError);
        if (f.status == FrameStatus::kNeedMore) return;
        got.emplace_back(f.id, std::string(f.payload));
        buffer.erase(0, f.consumed);
      }
    };
    drain();
    buffer.append(stream.substr(cut));
    drain();
    ASSERT_EQ(got.size(), 2u) << cut;
    EXPECT_EQ(got[0].first, 7u);
    EXPECT_EQ(got[0].second, "");
    EXPECT_EQ(got[1].first, 0xFFFFFFFFFFFFFFFFull);
    EXPECT_EQ(got[1].second, "{\"q\":\"kayak\"}");
  }
}

TEST(FrameCodecTest, LyingLengthsAreErrorsFromTheHeaderAlone) {
  FrameCodec codec(100);
  std::string too_short = Frame(1, 1, "");
  too_short[0] = 9;  // less than id + op
  EXPECT_EQ(codec.Next(too_short).status, FrameStatus::kError);
  std::string huge("\xFF\xFF\xFF\x7F", 4);  // 2 GiB announced, nothing sent
  BinaryFrame f = codec.Next(huge);
  EXPECT_EQ(f.status, FrameStatus::kError);
  EXPECT_EQ(f.error, "frame exceeds the size limit");
  EXPECT_EQ(codec.Next(Frame(1, 1, std::string(100, 'x'))).status, FrameStatus::kDone);
  EXPECT_EQ(codec.Next(Frame(1, 1, std::string(101, 'x'))).status, FrameStatus::kError);
}

TEST(FrameCodecTest, PatchedLengthMatchesPayload) {
  std::string out = "prefix";
  AppendFrameHeader(out, 42, 3, 0);
  out.append("{\"ok\":true}");
  PatchFrameLength(out, 6);
  BinaryFrame f = FrameCodec().Next(std::string_view(out).substr(6));
  ASSERT_EQ(f.status, FrameStatus::kDone);
  EXPECT_EQ(f.id, 42u);
  EXPECT_EQ(f.op, 3);
  EXPECT_EQ(f.payload, "{\"ok\":true}");
}

TEST(FrameCodecTest, RandomBytesNeverBreakTheContract) {
  const uint32_t seed = std::random_device{}();
  SCOPED_TRACE(testing::Message() << "seed " << seed);
  std::mt19937 rng(seed);
  for (int round = 0; round < 2000; ++round) {
    std::string bytes(rng() % 64, '\0');
    for (char& c : bytes) c = static_cast<char>(rng() % 3 == 0 ? rng() % 16 : rng());
    FrameCodec codec(32);
    BinaryFrame f = codec.Next(bytes);
    ASSERT_LE(f.consumed, bytes.size());
    if (f.status == FrameStatus::kDone) {
      ASSERT_LE(f.payload.size(), 32u);
    }
    Handshake h = ParseHandshake(bytes);
    ASSERT_LE(h.consumed, bytes.size());
  }
}

}  // namespace
}  // namespace otter::server
