#pragma once
// A blocking JSON-lines client of otterd, for measuring one query at a time
// (the side-by-side benchmark): send a line, wait for its reply.
//
//   OTTER_ASSIGN_OR_RETURN(BlockingClient client, BlockingClient::Connect(endpoint, token));
//   OTTER_ASSIGN_OR_RETURN(std::string reply, client.Call(R"({"id":1,"op":"ping"})" "\n"));
//
// Thread safety: one thread uses a client.

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "bench/load/flags.h"

namespace otter::load {

class BlockingClient {
 public:
  // Connects to `endpoint` and, with a non-empty `auth_token`, authenticates.
  // kUnavailable when otterd cannot be reached; kPermissionDenied when it
  // refuses the token.
  static absl::StatusOr<BlockingClient> Connect(const Endpoint& endpoint,
                                                std::string_view auth_token);

  BlockingClient(BlockingClient&&) noexcept;
  BlockingClient& operator=(BlockingClient&&) noexcept;
  ~BlockingClient();

  // Sends `line` (one JSON request ending with a newline) and returns the
  // reply line without its newline. kUnavailable when the connection fails.
  absl::StatusOr<std::string> Call(std::string_view line);

 private:
  struct State;
  explicit BlockingClient(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace otter::load
