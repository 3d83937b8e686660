// Commit-to-visible latency of the change follower (SPEC: a change is
// visible within 50 ms of its commit). A ChangeFollower follows the
// database while another connection commits a steady stream of single-row
// price updates, round-robin over up to 10,000 random tours, each with a
// price no tour had before. An update's latency runs from its COMMIT
// returning to the writer to the follower publishing the first Snapshot
// that shows the new price (seen in the publish callback, right after the
// SnapshotHolder has it).
//
//   change_visibility_benchmark --db URL [--rate 200] [--seconds 20]
//
// It changes tours.price (and updated_at) of the tours it picks: run it on
// a scratch database (e.g. one made by scripts/db-create). It prints the
// machine's load average before and after: the tail depends on it.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "engine/snapshot.h"
#include "engine/uuid.h"
#include "loader/change_follower.h"
#include "loader/pg_connection.h"

namespace otter::loader {
namespace {

using Clock = std::chrono::steady_clock;

// Prices the benchmark writes: far above any generated price, one per write.
constexpr int64_t kFirstPriceCents = 1'234'567'800;

struct Write {
  engine::Uuid tour;
  int64_t price_cents = 0;
  Clock::time_point committed;
  Clock::time_point visible;
  bool is_committed = false;
  bool is_visible = false;
};

// The writes and which of them the follower has not shown yet.
class Tracker {
 public:
  // Registers a write before it is sent (the follower may see it before
  // the writer hears back); returns its index.
  size_t Add(const engine::Uuid& tour, int64_t price_cents) {
    std::lock_guard<std::mutex> lock(mu_);
    Write write;
    write.tour = tour;
    write.price_cents = price_cents;
    writes_.push_back(write);
    pending_.push_back(writes_.size() - 1);
    return writes_.size() - 1;
  }
  void Committed(size_t index, Clock::time_point at) {
    std::lock_guard<std::mutex> lock(mu_);
    writes_[index].committed = at;
    writes_[index].is_committed = true;
  }
  // Called on the follower's thread after each publication.
  void Published(const engine::Snapshot& snapshot) {
    const Clock::time_point now = Clock::now();
    std::lock_guard<std::mutex> lock(mu_);
    std::erase_if(pending_, [&](size_t i) {
      Write& w = writes_[i];
      const std::optional<uint32_t> doc = snapshot.catalog().FindTour(w.tour);
      const engine::TourRecord* record = doc ? snapshot.catalog().tour(*doc) : nullptr;
      if (record == nullptr || record->price_cents != w.price_cents) return false;
      w.visible = now;
      w.is_visible = true;
      return true;
    });
  }
  size_t pending() const {
    std::lock_guard<std::mutex> lock(mu_);
    return pending_.size();
  }
  // Latencies in ms of the committed writes that became visible, sorted;
  // a write seen before its COMMIT returned counts 0.
  std::vector<double> Latencies(size_t* not_visible) const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<double> ms;
    *not_visible = 0;
    for (const Write& w : writes_) {
      if (!w.is_committed) continue;
      if (!w.is_visible) {
        ++*not_visible;
        continue;
      }
      ms.push_back(std::max(0.0, std::chrono::duration<double, std::milli>(w.visible - w.committed).count()));
    }
    std::sort(ms.begin(), ms.end());
    return ms;
  }

 private:
  mutable std::mutex mu_;
  std::vector<Write> writes_;
  std::vector<size_t> pending_;
};

double Percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  const size_t i = std::min(sorted.size() - 1, static_cast<size_t>(q * double(sorted.size() - 1) + 0.5));
  return sorted[i];
}

// "load average 1.23 1.50 1.61" (1, 5 and 15 minutes).
std::string LoadAverage() {
  double load[3] = {0, 0, 0};
  if (getloadavg(load, 3) != 3) return "load average unknown";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "load average %.2f %.2f %.2f", load[0], load[1], load[2]);
  return buffer;
}

int Usage() {
  std::fprintf(stderr, "usage: change_visibility_benchmark --db URL [--rate UPDATES_PER_S] [--seconds S]\n");
  return 2;
}

int Main(int argc, char** argv) {
  std::string url;
  int rate = 200;
  int seconds = 20;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--db" && i + 1 < argc) {
      url = argv[++i];
    } else if (arg == "--rate" && i + 1 < argc) {
      if (!absl::SimpleAtoi(argv[++i], &rate) || rate <= 0) return Usage();
    } else if (arg == "--seconds" && i + 1 < argc) {
      if (!absl::SimpleAtoi(argv[++i], &seconds) || seconds <= 0) return Usage();
    } else {
      return Usage();
    }
  }
  if (url.empty()) return Usage();
  std::printf("command:");
  for (int i = 0; i < argc; ++i) std::printf(" %s", argv[i]);
  std::printf("\n");

  absl::StatusOr<PgConnection> writer = PgConnection::Connect(url);
  if (!writer.ok()) {
    std::fprintf(stderr, "%s\n", std::string(writer.status().message()).c_str());
    return 1;
  }
  std::vector<engine::Uuid> tours;
  {
    absl::StatusOr<PgResult> r = writer->Exec("SELECT id FROM tours ORDER BY random() LIMIT 10000");
    if (!r.ok() || r->rows() == 0) {
      std::fprintf(stderr, "no tours to update: %s\n", r.ok() ? "the table is empty" : std::string(r.status().message()).c_str());
      return 1;
    }
    for (int i = 0; i < r->rows(); ++i) tours.push_back(*engine::Uuid::Parse(r->Get(i, 0)));
  }

  Tracker tracker;
  engine::SnapshotHolder holder;
  ChangeFollowerOptions options;
  options.conninfo = url;
  options.on_publish = [&](const FollowerPublication& p) { tracker.Published(*p.snapshot); };
  options.log = [](FollowerLogLevel level, std::string_view event, absl::Span<const FollowerLogField> fields) {
    if (level < FollowerLogLevel::kWarn) return;
    std::string line(event);
    for (const auto& [key, value] : fields) absl::StrAppend(&line, " ", std::string(key), "=", std::string(value));
    std::fprintf(stderr, "follower: %s\n", line.c_str());
  };
  ChangeFollower follower(options, holder);
  if (absl::Status s = follower.Start(); !s.ok()) {
    std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
    return 1;
  }
  const Clock::time_point load_start = Clock::now();
  while (follower.Status().state != FollowerState::kReady) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::printf("follower ready after %.3f s; writing %d updates/s for %d s over %zu tours; %s\n",
              std::chrono::duration<double>(Clock::now() - load_start).count(), rate, seconds, tours.size(),
              LoadAverage().c_str());

  const auto interval = std::chrono::nanoseconds(1'000'000'000 / rate);
  const Clock::time_point start = Clock::now();
  const int total = rate * seconds;
  int failed = 0;
  for (int n = 0; n < total; ++n) {
    std::this_thread::sleep_until(start + n * interval);
    const engine::Uuid& tour = tours[static_cast<size_t>(n) % tours.size()];
    const int64_t cents = kFirstPriceCents + n;
    const size_t index = tracker.Add(tour, cents);
    absl::StatusOr<PgResult> r = writer->Exec("UPDATE tours SET price = $2::numeric / 100 WHERE id = $1",
                                              {tour.ToString(), absl::StrCat(cents)});
    if (!r.ok()) {
      ++failed;
      continue;
    }
    tracker.Committed(index, Clock::now());
  }
  const double write_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const Clock::time_point drain_deadline = Clock::now() + std::chrono::seconds(5);
  while (tracker.pending() > static_cast<size_t>(failed) && Clock::now() < drain_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }

  size_t not_visible = 0;
  const std::vector<double> ms = tracker.Latencies(&not_visible);
  const FollowerStatus status = follower.Status();
  follower.Stop();
  std::printf("after the writes: %s\n", LoadAverage().c_str());
  double sum = 0;
  for (double v : ms) sum += v;
  std::printf("%zu updates committed in %.2f s (%.0f/s), %d failed, %zu not visible after 5 s\n",
              ms.size() + not_visible, write_seconds, double(ms.size() + not_visible) / write_seconds, failed,
              not_visible);
  std::printf("commit -> visible (ms): p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f  mean %.2f\n",
              Percentile(ms, 0.50), Percentile(ms, 0.90), Percentile(ms, 0.99), Percentile(ms, 0.999),
              ms.empty() ? 0.0 : ms.back(), ms.empty() ? 0.0 : sum / double(ms.size()));
  std::printf("follower: %llu notifications, %llu catch-ups, %llu publishes, %llu log rows, %llu prunes\n",
              static_cast<unsigned long long>(status.counters.notifications),
              static_cast<unsigned long long>(status.counters.catch_ups),
              static_cast<unsigned long long>(status.counters.publishes),
              static_cast<unsigned long long>(status.counters.log_rows),
              static_cast<unsigned long long>(status.counters.prunes));
  return not_visible == 0 && failed == 0 ? 0 : 1;
}

}  // namespace
}  // namespace otter::loader

int main(int argc, char** argv) { return otter::loader::Main(argc, argv); }
