#include "server/status_mapping.h"

namespace otter::server {

std::string_view WireErrorCode(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kFailedPrecondition:
      return "bad_request";
    case absl::StatusCode::kNotFound:
      return "not_found";
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
      return "unauthorized";
    case absl::StatusCode::kResourceExhausted:
      return "overloaded";
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kAborted:
      return "unavailable";
    default:
      return "internal";
  }
}

void WriteError(ResponseWriter& writer, std::string_view id_json, const absl::Status& status,
                uint64_t took_us, uint64_t as_of) {
  writer.BeginResponse(id_json, /*ok=*/false);
  writer.Key("error");
  writer.BeginObject();
  writer.Key("code");
  writer.String(WireErrorCode(status));
  writer.Key("message");
  if (status.ok()) {
    writer.String("internal error: an OK status was reported as an error");
  } else {
    writer.String(std::string_view(status.message().data(), status.message().size()));
  }
  writer.EndObject();
  writer.Finish(took_us, as_of);
}

}  // namespace otter::server
