#include "server/stats.h"

#include <algorithm>
#include <random>
#include <vector>
#include <string>

#include "gtest/gtest.h"

namespace otter::server {
namespace {

TEST(LatencyHistogramTest, BucketsAreExactBelowEightThenWithinAnEighth) {
  for (uint64_t v = 0; v < 8; ++v) EXPECT_EQ(LatencyHistogram::BucketUpperBound(LatencyHistogram::BucketOf(v)), v);
  for (uint64_t v = 8; v < 1'000'000; v = v * 3 / 2 + 1) {
    const int bucket = LatencyHistogram::BucketOf(v);
    const uint64_t upper = LatencyHistogram::BucketUpperBound(bucket);
    EXPECT_GE(upper, v);
    EXPECT_LE(upper - v, v / 8) << v;
    if (bucket > 0) {
      EXPECT_LT(LatencyHistogram::BucketUpperBound(bucket - 1), v);
    }
  }
  EXPECT_LT(LatencyHistogram::BucketOf(~uint64_t{0}), LatencyHistogram::kBuckets);
}

TEST(LatencyHistogramTest, PercentilesMatchASortedOracle) {
  LatencyHistogram h;
  EXPECT_EQ(h.Percentile(0.99), 0u);
  std::vector<uint64_t> values;
  std::mt19937 rng(7);
  for (int i = 0; i < 10000; ++i) {
    values.push_back(rng() % 5000);
    h.Record(values.back());
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.5, 0.9, 0.99}) {
    const uint64_t exact = values[static_cast<std::size_t>(q * values.size())];
    const uint64_t got = h.Percentile(q);
    EXPECT_GE(got, exact);
    EXPECT_LE(got, exact + exact / 8 + 1) << q;
  }
  EXPECT_EQ(h.Percentile(1.0), values.back());
  EXPECT_EQ(h.count(), 10000u);
}

TEST(ServerStatsTest, WritesCountsConnectionsAndMemory) {
  ServerStats stats;
  stats.RecordRequest(Op::kPing, 3, true);
  stats.RecordRequest(Op::kPing, 5, false);
  stats.ConnectionOpened();
  stats.ConnectionRefused();
  std::string out;
  ResponseWriter w(&out);
  w.BeginResponse("1", true);
  stats.WriteTo(w);
  w.Finish(0, 0);
  EXPECT_NE(out.find(R"("ping":{"count":2,"errors":1,"latency_us":{"p50":5,)"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("connections":{"open":1,"accepted":1,"refused":1})"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("rss_bytes":)"), std::string::npos);
  EXPECT_GT(ResidentBytes(), 0u);
}

}  // namespace
}  // namespace otter::server
