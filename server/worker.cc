#include "server/worker.h"

#include <utility>

namespace otter::server {

SharedSettings::SharedSettings(RuntimeSettings initial)
    : current_(std::make_shared<const RuntimeSettings>(std::move(initial))) {}

void SharedSettings::Publish(RuntimeSettings settings) {
  auto next = std::make_shared<const RuntimeSettings>(std::move(settings));
  std::lock_guard<std::mutex> lock(mu_);
  current_ = std::move(next);
  generation_.fetch_add(1, std::memory_order_release);
}

std::shared_ptr<const RuntimeSettings> SharedSettings::Load() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

Worker::Worker(SharedSettings* shared, Dispatcher* dispatcher, ServerStats* stats,
               QueryPool* queries, AppliedPosition* applied)
    : dispatcher(dispatcher), stats(stats), queries(queries), applied(applied), shared_(shared) {
  generation_ = shared_->generation();
  cached_ = shared_->Load();
}

const RuntimeSettings& Worker::settings() {
  const uint64_t generation = shared_->generation();
  if (generation != generation_) {
    cached_ = shared_->Load();
    generation_ = generation;
  }
  return *cached_;
}

}  // namespace otter::server
