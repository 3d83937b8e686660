#pragma once
// The one place where an absl::Status becomes a wire error code, and the
// error response that carries it:
//   {"id":7,"ok":false,"error":{"code":"bad_request","message":"…"},"took_us":3,"as_of":0}
//
// Thread safety: stateless functions.

#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "server/response_writer.h"

namespace otter::server {

// The wire code for a non-OK status: bad_request (invalid argument, out of
// range, failed precondition), not_found, unauthorized (unauthenticated,
// permission denied), overloaded (resource exhausted), unavailable
// (unavailable, deadline exceeded, aborted), internal (everything else,
// including an OK status passed by mistake).
std::string_view WireErrorCode(const absl::Status& status);

// Writes one complete error response for request `id_json` (JSON text,
// "null" when unknown) with the status's code and message. Requires that no
// response is open in `writer`.
void WriteError(ResponseWriter& writer, std::string_view id_json, const absl::Status& status,
                uint64_t took_us, uint64_t as_of);

}  // namespace otter::server
