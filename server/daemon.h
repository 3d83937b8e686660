#pragma once
// otterd's parts wired together: with a database, the change follower
// (bulk load, then LISTEN/NOTIFY) publishing snapshots, the engine ops
// answering from them, the search recorder and the match-score recompute
// writing back; without one, the protocol core alone (engine ops answer
// `unavailable`).
//
//   OTTER_ASSIGN_OR_RETURN(std::unique_ptr<Daemon> daemon, Daemon::Create(config));
//   if (absl::Status s = daemon->Start(); !s.ok()) …   // binds, starts loading
//   return daemon->Run();                              // until SIGTERM
//
// Order of shutdown: the server drains its connections first, then the
// follower stops, then the recorder writes what is queued and the
// recompute service cancels what is left.
//
// Thread safety: construct, Start() and Run() from one thread.

#include <functional>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/snapshot.h"
#include "loader/change_follower.h"
#include "server/applied_position.h"
#include "server/config.h"
#include "server/dispatcher.h"
#include "server/engine_ops.h"
#include "server/recompute_service.h"
#include "server/search_recorder.h"
#include "server/server.h"

namespace otter::server {

// The follower's status as the dispatcher reports health.
class FollowerHealth final : public HealthProvider {
 public:
  explicit FollowerHealth(const loader::ChangeFollower* follower) : follower_(follower) {}
  HealthReport Health() const override;

 private:
  const loader::ChangeFollower* follower_;
};

class Daemon final : public StatsSource {
 public:
  // Builds the parts `config` asks for. Errors: invalid options of the
  // database parts.
  static absl::StatusOr<std::unique_ptr<Daemon>> Create(Config config);
  ~Daemon() override;
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Produces the configuration again on SIGHUP.
  void set_reloader(std::function<absl::StatusOr<Config>()> reloader) {
    server_->set_reloader(std::move(reloader));
  }

  // Binds the listeners (printing "listening on …") and, with a database,
  // starts loading in the background. Errors: a bind failure, invalid
  // database options.
  absl::Status Start();

  // Serves until SIGTERM has drained the connections, then stops the
  // database parts; returns the exit code.
  int Run();

  // The `stats` members of the engine and the database parts.
  void WriteStats(ResponseWriter& writer) const override;

 private:
  explicit Daemon(Config config) : config_(std::move(config)) {}
  // Called on the follower's thread after each publish.
  void OnPublish(const loader::FollowerPublication& publication);

  Config config_;
  engine::SnapshotHolder snapshots_;
  AppliedPosition applied_;
  std::unique_ptr<RecomputeService> recompute_;
  std::unique_ptr<PgSearchRecorder> recorder_;
  std::unique_ptr<loader::ChangeFollower> follower_;
  std::unique_ptr<HealthProvider> health_;
  std::unique_ptr<EngineOps> ops_;
  std::unique_ptr<Server> server_;
};

}  // namespace otter::server
