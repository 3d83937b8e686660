#include "server/status_mapping.h"

#include <string>

#include "gtest/gtest.h"

namespace otter::server {
namespace {

TEST(StatusMappingTest, EveryCodeMapsToOneWireCode) {
  EXPECT_EQ(WireErrorCode(absl::InvalidArgumentError("x")), "bad_request");
  EXPECT_EQ(WireErrorCode(absl::OutOfRangeError("x")), "bad_request");
  EXPECT_EQ(WireErrorCode(absl::FailedPreconditionError("x")), "bad_request");
  EXPECT_EQ(WireErrorCode(absl::NotFoundError("x")), "not_found");
  EXPECT_EQ(WireErrorCode(absl::UnauthenticatedError("x")), "unauthorized");
  EXPECT_EQ(WireErrorCode(absl::PermissionDeniedError("x")), "unauthorized");
  EXPECT_EQ(WireErrorCode(absl::ResourceExhaustedError("x")), "overloaded");
  EXPECT_EQ(WireErrorCode(absl::UnavailableError("x")), "unavailable");
  EXPECT_EQ(WireErrorCode(absl::DeadlineExceededError("x")), "unavailable");
  EXPECT_EQ(WireErrorCode(absl::AbortedError("x")), "unavailable");
  EXPECT_EQ(WireErrorCode(absl::InternalError("x")), "internal");
  EXPECT_EQ(WireErrorCode(absl::UnknownError("x")), "internal");
  EXPECT_EQ(WireErrorCode(absl::DataLossError("x")), "internal");
  EXPECT_EQ(WireErrorCode(absl::OkStatus()), "internal");
}

TEST(StatusMappingTest, ErrorResponseHasTheDocumentedShape) {
  std::string out;
  ResponseWriter w(&out);
  WriteError(w, "\"r1\"", absl::InvalidArgumentError("near.lat must be within [-90, 90]"), 3, 17);
  EXPECT_EQ(out,
            R"({"id":"r1","ok":false,"error":{"code":"bad_request","message":"near.lat must be within [-90, 90]"},"took_us":3,"as_of":17})");
}

}  // namespace
}  // namespace otter::server
