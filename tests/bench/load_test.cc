// The pure parts of the load generator: the histogram against a sorted
// array, the open-loop scheduler, the mix and the request pool, requests
// checked by otterd's own parsers, and the scan of replies.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "bench/load/flags.h"
#include "bench/load/histogram.h"
#include "bench/load/query.h"
#include "bench/load/rate_scheduler.h"
#include "bench/load/reply.h"
#include "bench/load/request_json.h"
#include "bench/load/request_pool.h"
#include "bench/load/workload_sample.h"
#include "gtest/gtest.h"
#include "server/frame_codec.h"
#include "server/query_json.h"
#include "server/request.h"
#include "server/response_writer.h"

namespace otter::load {
namespace {

using Clock = RateScheduler::Clock;

// The nearest-rank q-quantile of sorted `values`.
uint64_t NearestRank(const std::vector<uint64_t>& sorted, double q) {
  const double wanted = std::ceil(q * static_cast<double>(sorted.size()));
  const std::size_t rank =
      std::clamp<std::size_t>(static_cast<std::size_t>(wanted), 1, sorted.size());
  return sorted[rank - 1];
}

TEST(HistogramTest, BucketsTileTheValuesAndSpanUnderOnePercent) {
  EXPECT_EQ(Histogram::BucketLowerBound(0), 0u);
  for (int b = 1; b < Histogram::kBuckets; ++b) {
    ASSERT_EQ(Histogram::BucketLowerBound(b), Histogram::BucketUpperBound(b - 1) + 1) << b;
    const uint64_t lower = Histogram::BucketLowerBound(b);
    EXPECT_LE(Histogram::BucketUpperBound(b) - lower, lower / 128) << b;
  }
  EXPECT_EQ(Histogram::BucketUpperBound(Histogram::kBuckets - 1), ~uint64_t{0});
  std::mt19937_64 rng(11);
  for (int i = 0; i < 100000; ++i) {
    const uint64_t value = rng() >> (rng() % 64);
    const int bucket = Histogram::BucketOf(value);
    ASSERT_GE(value, Histogram::BucketLowerBound(bucket));
    ASSERT_LE(value, Histogram::BucketUpperBound(bucket));
  }
}

TEST(HistogramTest, PercentilesMatchASortedArrayWithinAQuarterPercent) {
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE(testing::Message() << "seed " << seed);
  std::mt19937_64 rng(seed);
  // Latencies in nanoseconds: log-normal around 400 us, a long tail, and
  // some exact small values.
  std::lognormal_distribution<double> latency(std::log(400'000.0), 1.2);
  Histogram h;
  std::vector<uint64_t> values;
  for (int i = 0; i < 200'000; ++i) {
    const uint64_t v = i % 50 == 0 ? rng() % 300 : static_cast<uint64_t>(latency(rng));
    values.push_back(v);
    h.Record(v);
  }
  std::sort(values.begin(), values.end());
  EXPECT_EQ(h.count(), values.size());
  EXPECT_EQ(h.min(), values.front());
  EXPECT_EQ(h.max(), values.back());
  for (double q : {0.0, 0.001, 0.01, 0.1, 0.5, 0.9, 0.99, 0.999, 0.9999, 1.0}) {
    const uint64_t exact = NearestRank(values, q);
    const uint64_t got = h.Percentile(q);
    EXPECT_LE(std::max(got, exact) - std::min(got, exact), exact / 256)
        << "q " << q << " exact " << exact;
  }
}

TEST(HistogramTest, IsExactForSmallValuesAndZeroWhenEmpty) {
  Histogram h;
  EXPECT_EQ(h.Percentile(0.5), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.min(), 0u);
  std::vector<uint64_t> values;
  for (uint64_t v = 0; v < 256; v += 3) {
    values.push_back(v);
    h.Record(v);
  }
  for (double q : {0.0, 0.25, 0.5, 0.75, 1.0})
    EXPECT_EQ(h.Percentile(q), NearestRank(values, q)) << q;
}

TEST(HistogramTest, MergeEqualsRecordingEverythingInOne) {
  Histogram a, b, all;
  std::mt19937_64 rng(3);
  for (int i = 0; i < 10000; ++i) {
    const uint64_t v = rng() % 10'000'000;
    (i % 3 == 0 ? a : b).Record(v);
    all.Record(v);
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  EXPECT_DOUBLE_EQ(a.mean(), all.mean());
  for (double q : {0.1, 0.5, 0.99, 0.999}) EXPECT_EQ(a.Percentile(q), all.Percentile(q));
}

TEST(RateSchedulerTest, SendTimesFollowTheRateFromTheStartWithoutDrift) {
  const Clock::time_point start = Clock::now();
  RateScheduler schedule(1000, start);
  EXPECT_EQ(schedule.next(), start);
  EXPECT_FALSE(schedule.PopDue(start - std::chrono::nanoseconds(1)).has_value());
  // Polled once after a second: every send due by then, at its own time.
  uint64_t k = 0;
  while (std::optional<Clock::time_point> due = schedule.PopDue(start + std::chrono::seconds(1))) {
    ASSERT_EQ(*due, start + std::chrono::milliseconds(k)) << k;
    ++k;
  }
  EXPECT_EQ(k, 1001u);  // 0 ms .. 1000 ms inclusive
  EXPECT_EQ(schedule.popped(), 1001u);
  // After a million sends at an interval with no exact binary form, the
  // schedule has not drifted.
  RateScheduler odd(3, start);
  const Clock::time_point later = start + std::chrono::seconds(1'000'000 / 3 + 1);
  std::optional<Clock::time_point> last;
  for (int i = 0; i < 1'000'000; ++i) last = odd.PopDue(later);
  ASSERT_TRUE(last.has_value());
  const auto expected = std::chrono::nanoseconds(static_cast<int64_t>(999'999 * (1e9 / 3)));
  EXPECT_LE(std::chrono::abs(*last - (start + expected)), std::chrono::microseconds(1));
}

TEST(RateSchedulerTest, ALateCallerGetsTheScheduledTimesNotTheTimeOfTheCall) {
  const Clock::time_point start = Clock::now();
  RateScheduler schedule(100, start);  // every 10 ms
  ASSERT_TRUE(schedule.PopDue(start).has_value());
  // A caller stalled for 55 ms: five sends are overdue and keep their times,
  // so their latency will include the stall (no coordinated omission).
  const Clock::time_point now = start + std::chrono::milliseconds(55);
  std::vector<Clock::time_point> due;
  while (auto t = schedule.PopDue(now)) due.push_back(*t);
  ASSERT_EQ(due.size(), 5u);
  for (std::size_t i = 0; i < due.size(); ++i)
    EXPECT_EQ(due[i], start + std::chrono::milliseconds(10 * (i + 1)));
  EXPECT_EQ(schedule.next(), start + std::chrono::milliseconds(60));
}

TEST(RateSchedulerTest, ThreadsWithPhasesShareTheRateEvenly) {
  const Clock::time_point start = Clock::now();
  constexpr int kThreads = 3;
  constexpr double kRate = 30'000;
  std::vector<Clock::time_point> all;
  for (int t = 0; t < kThreads; ++t) {
    RateScheduler schedule(kRate / kThreads, start, static_cast<double>(t) / kThreads);
    while (auto due = schedule.PopDue(start + std::chrono::milliseconds(100) -
                                      std::chrono::nanoseconds(1))) {
      all.push_back(*due);
    }
  }
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), 3000u);  // 100 ms at 30,000/s
  const auto interval = std::chrono::nanoseconds(static_cast<int64_t>(1e9 / kRate));
  for (std::size_t i = 1; i < all.size(); ++i) {
    EXPECT_LE(std::chrono::abs((all[i] - all[i - 1]) - interval), std::chrono::nanoseconds(2)) << i;
  }
}

TEST(MixTest, ParsesWeightsAndNamesWhatIsWrong) {
  absl::StatusOr<Mix> mix = ParseMix(kDefaultMix);
  ASSERT_TRUE(mix.ok()) << mix.status();
  EXPECT_EQ(mix->weight(QueryKind::kGeo), 40);
  EXPECT_EQ(mix->weight(QueryKind::kGet), 5);
  EXPECT_EQ(mix->weight(QueryKind::kPing), 0);
  EXPECT_TRUE(mix->NeedsSample());
  EXPECT_EQ(MixToString(*mix), kDefaultMix);

  absl::StatusOr<Mix> pings = ParseMix("ping=1,health=0.5");
  ASSERT_TRUE(pings.ok()) << pings.status();
  EXPECT_FALSE(pings->NeedsSample());

  auto error = [](std::string_view text) { return std::string(ParseMix(text).status().message()); };
  EXPECT_EQ(ParseMix("geoo=1").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(error("geoo=1"),
            "--mix: unknown kind \"geoo\" (known: ping, health, geo, text, combined, personality, "
            "suggest, get)");
  EXPECT_EQ(error("geo=x"), "--mix: the weight of geo must be a non-negative number, got \"x\"");
  EXPECT_EQ(error("geo"), "--mix: the weight of geo must be a non-negative number, got \"\"");
  EXPECT_EQ(error("geo=-1"), "--mix: the weight of geo must be a non-negative number, got \"-1\"");
  EXPECT_EQ(error("geo=1,geo=2"), "--mix: geo is given twice");
  EXPECT_EQ(error("geo=0,text=0"), "--mix: the weights add up to 0");
}

// A sample as the database would give it, with the characters that need
// escaping in JSON and UTF-8 words.
WorkloadSample HandMadeSample() {
  WorkloadSample sample;
  auto tour = [&](std::string id, double lat, double lon, std::string category, std::string price,
                  std::string_view title, std::string_view tags) {
    TourSample t{std::move(id), lat, lon, std::move(category), std::move(price), {}};
    AppendWords(title, &t.words);
    AppendWords(tags, &t.words);
    sample.tours.push_back(std::move(t));
  };
  tour("6f1c0a5e-0000-4000-8000-000000000001", 38.722252, -9.139337, "water", "47.68",
       "Sunset Kayak in Lisbon", "kayak sunset river");
  tour("6f1c0a5e-0000-4000-8000-000000000002", 47.376887, 8.541694, "food \"&\" wine\\", "120.00",
       "Z\xC3\xBCrich Old-Town Caf\xC3\xA9 Walk", "caf\xC3\xA9 walk");
  tour("6f1c0a5e-0000-4000-8000-000000000003", -89.99, 179.98, "nature", "9.99", "Polar Night Walk",
       "");
  sample.user_ids = {"9a1f53bc-a58d-44ae-8fcb-8976ac32d2e0",
                     "1bdbb3b5-3dc8-4e7d-85ec-5974b5e7b709"};
  sample.leader_ids = {"059b1946-0852-4e7a-96a1-b1fa675af8aa"};
  return sample;
}

TEST(AppendWordsTest, WordsAreLowerCasedRunsOfThreeLettersOrMoreWithoutRepeats) {
  std::vector<std::string> words;
  AppendWords("Sunset KAYAK in Lisbon: kayak, 4x4 & Caf\xC3\xA9-Z\xC3\xBCrich", &words);
  EXPECT_EQ(words, (std::vector<std::string>{"sunset", "kayak", "lisbon", "caf\xC3\xA9",
                                             "z\xC3\xBCrich"}));
  AppendWords("river sunset", &words);
  EXPECT_EQ(words.back(), "river");
  EXPECT_EQ(words.size(), 6u);
}

TEST(QueryGeneratorTest, QueriesComeFromTheSample) {
  const WorkloadSample sample = HandMadeSample();
  absl::StatusOr<QueryGenerator> generator = QueryGenerator::Create(&sample, QueryOptions{});
  ASSERT_TRUE(generator.ok()) << generator.status();
  auto nearest_tour = [&](const GeoPoint& p) {
    const TourSample* best = nullptr;
    double best_d = 1e9;
    for (const TourSample& t : sample.tours) {
      const double dlon = std::abs(t.lon - p.lon);
      const double d = std::max(std::abs(t.lat - p.lat), std::min(dlon, 360 - dlon));
      if (d < best_d) best_d = d, best = &t;
    }
    EXPECT_LE(best_d, 0.05 + 1e-6);  // within the jitter
    return best;
  };
  for (int i = 0; i < 500; ++i) {
    const Query geo = generator->Next(QueryKind::kGeo);
    ASSERT_TRUE(geo.point.has_value());
    EXPECT_EQ(geo.radius_km, 25);
    EXPECT_LE(std::abs(geo.point->lat), 90);
    EXPECT_EQ(geo.point->lat, std::round(geo.point->lat * 1e6) / 1e6);
    nearest_tour(*geo.point);

    const Query combined = generator->Next(QueryKind::kCombined);
    const TourSample* tour = nearest_tour(*combined.point);
    ASSERT_NE(tour, nullptr);
    // Words, category and price of that tour: a query it answers.
    for (absl::string_view word : absl::StrSplit(combined.text, ' ')) {
      EXPECT_NE(std::find(tour->words.begin(), tour->words.end(), std::string(word)),
                tour->words.end())
          << word;
    }
    EXPECT_EQ(combined.category, tour->category);
    EXPECT_GE(std::stod(combined.price_max), std::stod(tour->price));
    EXPECT_NE(std::find(sample.user_ids.begin(), sample.user_ids.end(), combined.user_id),
              sample.user_ids.end());

    const Query text = generator->Next(QueryKind::kText);
    const int words = static_cast<int>(std::count(text.text.begin(), text.text.end(), ' ')) + 1;
    EXPECT_GE(words, 1);
    EXPECT_LE(words, 3);

    const Query suggest = generator->Next(QueryKind::kSuggest);
    const std::string last = suggest.text.substr(suggest.text.rfind(' ') + 1);
    bool prefix_of_a_word = false;
    for (const TourSample& t : sample.tours) {
      for (const std::string& w : t.words)
        prefix_of_a_word |= w.size() > last.size() && w.compare(0, last.size(), last) == 0;
    }
    EXPECT_TRUE(prefix_of_a_word) << suggest.text;
  }
}

TEST(QueryGeneratorTest, RefusesASampleWithoutWordsOrUsers) {
  WorkloadSample sample = HandMadeSample();
  sample.user_ids.clear();
  EXPECT_EQ(QueryGenerator::Create(&sample, QueryOptions{}).status().code(),
            absl::StatusCode::kFailedPrecondition);
  sample = HandMadeSample();
  for (TourSample& t : sample.tours) t.words.clear();
  EXPECT_EQ(QueryGenerator::Create(&sample, QueryOptions{}).status().message(),
            "the sample has no tour with a title word of 3+ letters");
}

// The op's fields of `request` as the engine ops read and validate them.
absl::Status ParseOpFields(server::QueryJsonParser& parser, const server::Request& request) {
  switch (request.op) {
    case server::Op::kSearch:
      return parser.ParseSearch(request.body).status();
    case server::Op::kMatch:
      return parser.ParseMatch(request.body).status();
    case server::Op::kSuggest:
      return parser.ParseSuggest(request.body).status();
    case server::Op::kGet:
      return parser.ParseGet(request.body).status();
    default:
      return absl::OkStatus();
  }
}

// Every request of every kind, as a JSON line and as a binary frame, is one
// otterd's request parser accepts with the right op and id, and whose
// fields the engine ops accept.
TEST(RequestPoolTest, OtterdsParsersAcceptEveryRequestInBothEncodings) {
  const WorkloadSample sample = HandMadeSample();
  absl::StatusOr<QueryGenerator> generator = QueryGenerator::Create(&sample, QueryOptions{});
  ASSERT_TRUE(generator.ok()) << generator.status();
  Mix mix;
  mix.weights.fill(1);
  const RequestPool pool = BuildRequestPool(mix, *generator, 4000, 7);
  server::RequestParser parser;
  server::QueryJsonParser fields_parser;
  server::FrameCodec codec;
  for (std::size_t i = 0; i < pool.size(); ++i) {
    const PooledRequest& r = pool[i];
    ASSERT_EQ(r.op, OpOf(r.kind));
    ASSERT_FALSE(r.line.empty());
    ASSERT_EQ(r.line.back(), '\n');
    server::Request request;
    absl::Status s =
        parser.ParseLine(std::string_view(r.line).substr(0, r.line.size() - 1), &request);
    ASSERT_TRUE(s.ok()) << s << "\n" << r.line;
    EXPECT_EQ(request.op, r.op);
    EXPECT_EQ(request.id_json, std::to_string(i));
    s = ParseOpFields(fields_parser, request);
    ASSERT_TRUE(s.ok()) << s << "\n" << r.line;

    std::string frame;
    AppendFrame(frame, r.op, r.fields, 1000 + i);
    const server::BinaryFrame f = codec.Next(frame);
    ASSERT_EQ(f.status, server::FrameStatus::kDone);
    ASSERT_EQ(f.consumed, frame.size());
    s = parser.ParseFrame(f.id, f.op, f.payload, &request);
    ASSERT_TRUE(s.ok()) << s << "\n" << r.fields;
    EXPECT_EQ(request.op, r.op);
    EXPECT_EQ(request.id_json, std::to_string(1000 + i));
    s = ParseOpFields(fields_parser, request);
    ASSERT_TRUE(s.ok()) << s << "\n" << r.fields;
  }
}

TEST(RequestPoolTest, KindsFollowTheMixProportions) {
  const WorkloadSample sample = HandMadeSample();
  absl::StatusOr<QueryGenerator> generator = QueryGenerator::Create(&sample, QueryOptions{});
  ASSERT_TRUE(generator.ok());
  absl::StatusOr<Mix> mix =
      ParseMix("geo=40,text=20,combined=20,personality=10,suggest=5,get=5,ping=0");
  ASSERT_TRUE(mix.ok());
  const RequestPool pool = BuildRequestPool(*mix, *generator, 1000, 1);
  ASSERT_EQ(pool.size(), 1000u);
  std::array<int, kQueryKindCount> counts{};
  for (const PooledRequest& r : pool) ++counts[static_cast<std::size_t>(r.kind)];
  for (QueryKind kind : kAllQueryKinds)
    EXPECT_EQ(counts[static_cast<std::size_t>(kind)], mix->weight(kind) * 10)
        << QueryKindName(kind);
  // Shuffled: the first 100 are not all of one kind.
  EXPECT_LT(std::count_if(pool.begin(), pool.begin() + 100,
                          [](const PooledRequest& r) { return r.kind == QueryKind::kGeo; }),
            100);
}

TEST(RequestJsonTest, FieldsAreTheDocumentedOnes) {
  Query geo;
  geo.kind = QueryKind::kGeo;
  geo.point = GeoPoint{38.722252, -9.139337};
  geo.radius_km = 25;
  EXPECT_EQ(
      RequestFields(geo),
      R"({"index":"tours","near":{"lat":38.722252,"lon":-9.139337,"radius_km":25},"sort":["distance"],"limit":20})");
  Query match;
  match.kind = QueryKind::kPersonality;
  match.user_id = "9a1f53bc-a58d-44ae-8fcb-8976ac32d2e0";
  EXPECT_EQ(JsonLine(OpOf(match.kind), RequestFields(match), 3),
            "{\"id\":3,\"op\":\"match\",\"personality\":{\"user_id\":\"9a1f53bc-a58d-44ae-8fcb-"
            "8976ac32d2e0\"},"
            "\"limit\":20}\n");
  Query ping;
  EXPECT_EQ(RequestFields(ping), "{}");
  EXPECT_EQ(JsonLine(server::Op::kPing, "{}", 9), "{\"id\":9,\"op\":\"ping\"}\n");
  std::string frame;
  AppendFrame(frame, server::Op::kPing, "{}", 9);
  EXPECT_EQ(frame.size(), server::kFrameHeaderBytes);  // no payload
}

TEST(ReplyTest, ScanFindsOkAndTheErrorCodeOfRealReplies) {
  std::string out;
  server::ResponseWriter w(&out);
  w.BeginResponse("\"\\\"ok\\\":false\"", /*ok=*/true);  // an id that spells "ok":false
  w.Key("hits");
  w.BeginArray();
  w.BeginObject();
  w.Key("title");
  w.String("\"ok\":false,\"code\":\"x\"");
  w.EndObject();
  w.EndArray();
  w.Finish(12, 0);
  ReplyStatus s = ScanReplyStatus(out);
  EXPECT_TRUE(s.ok) << out;

  out.clear();
  w.BeginResponse("7", /*ok=*/false);
  w.Key("error");
  w.BeginObject();
  w.Key("code");
  w.String("overloaded");
  w.Key("message");
  w.String("too many connections");
  w.EndObject();
  w.Finish(0, 0);
  s = ScanReplyStatus(out);
  EXPECT_FALSE(s.ok);
  EXPECT_EQ(s.code, "overloaded");

  EXPECT_EQ(ScanReplyStatus("{\"id\":1}").code, "malformed_reply");
  EXPECT_EQ(ScanReplyStatus("{\"id\":1,\"ok\":false}").code, "malformed_reply");
}

TEST(ReplyTest, SearchReplyParserReadsTotalAndHits) {
  std::string out;
  server::ResponseWriter w(&out);
  w.BeginResponse("1", true);
  w.Key("total");
  w.Uint(137);
  w.Key("hits");
  w.BeginArray();
  for (int i = 0; i < 3; ++i) {
    w.BeginObject();
    w.Key("id");
    w.String("id-" + std::to_string(i));
    w.Key("score");
    w.Double(0.5 * i);
    w.Key("distance_km");
    w.Double(1.25 + i);
    w.Key("title");
    w.String("x");
    w.EndObject();
  }
  w.EndArray();
  w.Finish(3, 0);
  SearchReplyParser parser;
  absl::StatusOr<SearchReply> r = parser.Parse(out);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->total, 137u);
  ASSERT_EQ(r->hits.size(), 3u);
  EXPECT_EQ(r->hits[2].id, "id-2");
  EXPECT_EQ(r->hits[2].distance_km, 3.25);
  EXPECT_EQ(r->hits[1].score, 0.5);
  EXPECT_FALSE(r->hits[0].compatibility.has_value());

  r = parser.Parse(R"({"id":1,"ok":false,"error":{"code":"unavailable","message":"loading"}})");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnknown);
  EXPECT_NE(r.status().message().find("unavailable"), std::string_view::npos);
  EXPECT_EQ(parser.Parse(R"({"id":1,"ok":true,"pong":true})").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(parser.Parse("{\"id\":1,").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(FlagsTest, SplitsFlagsAndChecksValues) {
  absl::StatusOr<std::vector<Flag>> flags =
      SplitFlags({"--rate", "5000", "--json", "--max_error_rate=0.01"}, {"json"});
  ASSERT_TRUE(flags.ok()) << flags.status();
  ASSERT_EQ(flags->size(), 3u);
  EXPECT_EQ((*flags)[0].name, "rate");
  EXPECT_EQ((*flags)[0].value, "5000");
  EXPECT_EQ((*flags)[1].name, "json");
  EXPECT_EQ((*flags)[2].name, "max-error-rate");
  EXPECT_EQ((*flags)[2].value, "0.01");
  EXPECT_EQ(SplitFlags({"--rate"}, {}).status().message(), "--rate needs a value");
  EXPECT_EQ(SplitFlags({"rate"}, {}).status().message(), "unexpected argument \"rate\"");
  EXPECT_EQ(ParseNumber(Flag{"rate", "-1"}, 0, 10).status().message(),
            "--rate must be a number within [0, 10], not \"-1\"");
  EXPECT_EQ(ParseInteger(Flag{"threads", "2.5"}, 0, 8).status().message(),
            "--threads must be an integer within [0, 8], not \"2.5\"");
  EXPECT_EQ(*ParseInteger(Flag{"threads", "8"}, 0, 8), 8);

  absl::StatusOr<Endpoint> tcp = ParseEndpoint("localhost:7870");
  ASSERT_TRUE(tcp.ok());
  EXPECT_EQ(tcp->host, "localhost");
  EXPECT_EQ(tcp->port, 7870);
  absl::StatusOr<Endpoint> local = ParseEndpoint("unix:/run/otterd.sock");
  ASSERT_TRUE(local.ok());
  EXPECT_EQ(local->unix_path, "/run/otterd.sock");
  EXPECT_EQ(local->ToString(), "unix:/run/otterd.sock");
  EXPECT_EQ(ParseEndpoint("localhost").status().message(),
            "--connect must be HOST:PORT or unix:PATH, not \"localhost\"");
  EXPECT_FALSE(ParseEndpoint("h:0").ok());
  EXPECT_FALSE(ParseEndpoint("h:70000").ok());
}

}  // namespace
}  // namespace otter::load
