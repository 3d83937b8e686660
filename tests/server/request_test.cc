#include "server/request.h"

#include <string>

#include "gtest/gtest.h"

namespace otter::server {
namespace {

class RequestTest : public testing::Test {
 protected:
  // The error message of parsing `line`, or "OK".
  std::string Error(std::string_view line) {
    absl::Status s = parser_.ParseLine(line, &request_);
    if (s.ok()) return "OK";
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    return std::string(s.message());
  }

  RequestParser parser_;
  Request request_;
};

TEST_F(RequestTest, ParsesTheEnvelope) {
  ASSERT_EQ(Error(R"( {"id": 7, "op": "ping"} )"), "OK");
  EXPECT_EQ(request_.id_json, "7");
  EXPECT_EQ(request_.op, Op::kPing);
  EXPECT_FALSE(request_.after.has_value());
  EXPECT_TRUE(request_.body.empty());

  ASSERT_EQ(Error(R"({"op":"health","id":"a\"b\u00e9","after":12345678901})"), "OK");
  EXPECT_EQ(request_.id_json, "\"a\\\"b\xC3\xA9\"");
  EXPECT_EQ(request_.op, Op::kHealth);
  EXPECT_EQ(request_.after, 12345678901u);

  ASSERT_EQ(Error(R"({"id":-1.5e3,"op":"stats"})"), "OK");
  EXPECT_EQ(request_.id_json, "-1.5e3");
  ASSERT_EQ(Error(R"({"op":"ping"})"), "OK");
  EXPECT_EQ(request_.id_json, "null");
}

TEST_F(RequestTest, KeepsTheBodyOfEngineOps) {
  const std::string line =
      R"({"id":1,"op":"search","index":"tours","q":"sunset kayak","near":{"lat":38.72,"lon":-9.14,"radius_km":25},"limit":20})";
  ASSERT_EQ(Error(line), "OK");
  EXPECT_EQ(request_.op, Op::kSearch);
  EXPECT_EQ(request_.body, line);
}

TEST_F(RequestTest, AuthCarriesItsToken) {
  ASSERT_EQ(Error(R"({"op":"auth","token":"s3cret"})"), "OK");
  EXPECT_EQ(request_.token, "s3cret");
  EXPECT_EQ(Error(R"({"op":"auth","token":5})"), "token must be a non-empty string");
}

TEST_F(RequestTest, EveryEnvelopeErrorNamesTheField) {
  EXPECT_EQ(Error(""), "request must be a JSON object");
  EXPECT_EQ(Error("   "), "request must be a JSON object");
  EXPECT_EQ(Error("[1,2]"), "request must be a JSON object");
  EXPECT_EQ(Error("\"ping\""), "request must be a JSON object");
  EXPECT_EQ(Error(R"({"id":[1],"op":"ping"})"), "id must be a number or a string");
  EXPECT_EQ(Error(R"({"id":true,"op":"ping"})"), "id must be a number or a string");
  EXPECT_EQ(Error(R"({"id":null,"op":"ping"})"), "id must be a number or a string");
  EXPECT_EQ(Error(R"({"id":1})"), "op is required");
  EXPECT_EQ(Error(R"({"op":7})"), "op must be a string");
  EXPECT_EQ(Error(R"({"op":"serch"})"), "unknown op \"serch\"");
  EXPECT_EQ(Error(R"({"op":"search","limt":5})"), "unknown field \"limt\" for op \"search\"");
  EXPECT_EQ(Error(R"({"limt":5,"op":"search"})"), "unknown field \"limt\" for op \"search\"");
  EXPECT_EQ(Error(R"({"op":"ping","q":"x"})"), "unknown field \"q\" for op \"ping\"");
  EXPECT_EQ(Error(R"({"op":"ping","after":-1})"), "after must be a non-negative integer");
  EXPECT_EQ(Error(R"({"op":"ping","after":"5"})"), "after must be a non-negative integer");
  EXPECT_EQ(Error(R"({"op":"ping","op":"stats"})"), "duplicate field \"op\"");
}

TEST_F(RequestTest, TheIdIsEchoedEvenWhenAnEarlierFieldIsWrong) {
  EXPECT_EQ(Error(R"({"op":"serch","id":42})"), "unknown op \"serch\"");
  EXPECT_EQ(request_.id_json, "42");
}

TEST_F(RequestTest, MalformedAndTruncatedJsonGiveSimdjsonsText) {
  for (const char* line : {R"({"op":"ping")", R"({"op":"ping",})", R"({"op" "ping"})",
                           R"({"op":"ping","x":[1,2,}})", R"({"op":"search","q":tru})",
                           R"({"op":"search","q":"\x"})", R"({"op":"search","limit":1.2.3})",
                           R"({"op":"search","q":"unterminated})"}) {
    std::string message = Error(line);
    EXPECT_EQ(message.rfind("malformed JSON: ", 0), 0u) << line << " -> " << message;
  }
  EXPECT_EQ(Error(R"({"op":"ping"} {"op":"ping"})"),
            "malformed JSON: content after the request object");
}

TEST_F(RequestTest, NestingIsLimitedFarBelowSimdjsonsDefault) {
  std::string deep = R"({"op":"search","filters":)";
  for (int i = 0; i < 15; ++i) deep += "[";
  EXPECT_EQ(Error(deep + std::string(15, ']') + "}"), "OK");
  EXPECT_EQ(Error(deep + "[" + std::string(16, ']') + "}"), "JSON nesting exceeds 16 levels");
  EXPECT_EQ(Error(std::string(100000, '[')), "request must be a JSON object");
  EXPECT_EQ(Error("{\"op\":\"search\",\"q\":" + std::string(100000, '[')),
            "JSON nesting exceeds 16 levels");
  // Brackets inside strings do not count.
  EXPECT_EQ(Error(R"({"op":"search","q":"[[[[[[[[[[[[[[[[[[[[{{{{{{{{{{{{\"["})"), "OK");
}

TEST_F(RequestTest, FramesTakeIdAndOpFromTheHeader) {
  ASSERT_TRUE(parser_.ParseFrame(99, 1, "", &request_).ok());
  EXPECT_EQ(request_.id_json, "99");
  EXPECT_EQ(request_.op, Op::kPing);
  ASSERT_TRUE(parser_.ParseFrame(5, 7, R"({"prefix":"kay","after":3})", &request_).ok());
  EXPECT_EQ(request_.op, Op::kSuggest);
  EXPECT_EQ(request_.after, 3u);
  absl::Status s = parser_.ParseFrame(5, 1, R"({"op":"ping"})", &request_);
  EXPECT_EQ(s.message(), "unknown field \"op\" for op \"ping\"");
  s = parser_.ParseFrame(5, 77, "", &request_);
  EXPECT_EQ(s.message(), "unknown op code 77");
  EXPECT_EQ(request_.id_json, "5");
}

TEST(OpTest, NamesAndCodesRoundTrip) {
  for (uint16_t code = 1; code <= kMaxOpCode; ++code) {
    std::optional<Op> op = OpFromCode(code);
    ASSERT_TRUE(op.has_value());
    EXPECT_EQ(OpFromName(OpName(*op)), op);
  }
  EXPECT_FALSE(OpFromCode(0).has_value());
  EXPECT_FALSE(OpFromName("").has_value());
}

}  // namespace
}  // namespace otter::server
