#include "server/response_writer.h"

#include <cmath>
#include <random>
#include <string>

#include "gtest/gtest.h"
#include "simdjson.h"

namespace otter::server {
namespace {

TEST(ResponseWriterTest, WritesNestedValuesWithCommas) {
  std::string out;
  ResponseWriter w(&out);
  w.BeginResponse("7", true);
  w.Key("total");
  w.Uint(2);
  w.Key("hits");
  w.BeginArray();
  w.BeginObject();
  w.Key("id");
  w.Uuid(engine::Uuid(std::array<uint8_t, 16>{0x6f, 0x1c, 0x0a, 0x5e, 1, 2, 3, 4, 5, 6, 7, 8, 9,
                                              10, 11, 0xff}));
  w.Key("score");
  w.Double(1.5);
  w.EndObject();
  w.BeginObject();
  w.EndObject();
  w.EndArray();
  w.Key("empty");
  w.BeginArray();
  w.EndArray();
  w.Key("n");
  w.Int(-3);
  w.Key("b");
  w.Bool(false);
  w.Key("z");
  w.Null();
  w.Key("nan");
  w.Double(std::nan(""));
  w.Key("raw");
  w.RawJson("[1,2]");
  w.Finish(412, 9001);
  EXPECT_FALSE(w.open());
  EXPECT_EQ(out,
            R"({"id":7,"ok":true,"total":2,"hits":[{"id":"6f1c0a5e-0102-0304-0506-0708090a0bff","score":1.5},{}],"empty":[],"n":-3,"b":false,"z":null,"nan":null,"raw":[1,2],"took_us":412,"as_of":9001})");
}

TEST(ResponseWriterTest, AbandonDropsThePartialResponse) {
  std::string out = "before\n";
  ResponseWriter w(&out);
  w.BeginResponse("1", true);
  w.Key("hits");
  w.BeginArray();
  w.Abandon();
  EXPECT_EQ(out, "before\n");
  w.BeginResponse("1", false);
  w.Finish(0, 0);
  EXPECT_EQ(out, "before\n{\"id\":1,\"ok\":false,\"took_us\":0,\"as_of\":0}");
}

TEST(ResponseWriterTest, EscapedStringsRoundTripThroughSimdjson) {
  const uint32_t seed = std::random_device{}();
  SCOPED_TRACE(testing::Message() << "seed " << seed);
  std::mt19937 rng(seed);
  simdjson::ondemand::parser parser;
  const std::string specials[] = {"", "\"", "\\", "\n\r\t\b\f", std::string(1, '\0'),
                                  "\x01\x1f\x7f", "caf\xC3\xA9 \xF0\x9F\xA6\xA6", "</script>"};
  std::vector<std::string> values(std::begin(specials), std::end(specials));
  for (int i = 0; i < 500; ++i) {
    std::string s(rng() % 20, '\0');
    for (char& c : s) c = static_cast<char>(rng() % 128);  // ASCII keeps it valid UTF-8
    values.push_back(s);
  }
  for (const std::string& value : values) {
    std::string out;
    ResponseWriter w(&out);
    w.BeginResponse("1", true);
    w.Key(value);
    w.String(value);
    w.Finish(0, 0);
    simdjson::padded_string padded(out);
    simdjson::ondemand::document doc;
    ASSERT_EQ(parser.iterate(padded).get(doc), simdjson::SUCCESS) << out;
    simdjson::ondemand::object object;
    ASSERT_EQ(doc.get_object().get(object), simdjson::SUCCESS);
    int members = 0;
    for (auto field : object) {
      std::string_view key;
      ASSERT_EQ(field.unescaped_key().get(key), simdjson::SUCCESS) << out;
      if (++members == 3) {
        EXPECT_EQ(key, value);
        std::string_view got;
        ASSERT_EQ(field.value().get_string().get(got), simdjson::SUCCESS) << out;
        EXPECT_EQ(got, value);
      }
    }
    EXPECT_EQ(members, 5);
  }
}

TEST(ResponseWriterTest, NumbersUseTheirShortestForm) {
  std::string out;
  ResponseWriter w(&out);
  w.BeginResponse("null", true);
  w.Key("a");
  w.Double(0.1);
  w.Key("b");
  w.Int(INT64_MIN);
  w.Key("c");
  w.Uint(UINT64_MAX);
  w.Finish(1, 2);
  EXPECT_EQ(out,
            R"({"id":null,"ok":true,"a":0.1,"b":-9223372036854775808,"c":18446744073709551615,"took_us":1,"as_of":2})");
}

}  // namespace
}  // namespace otter::server
