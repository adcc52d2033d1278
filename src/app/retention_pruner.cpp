#include "app/retention_pruner.hpp"

#include <spdlog/spdlog.h>

#include <stdexcept>

#include "core/clock.hpp"
#include "core/metrics.hpp"
#include "core/stream_stats.hpp"

namespace sorak {

namespace {

constexpr millis day_ms = 86'400'000;

}  // namespace

retention_pruner::retention_pruner(store& st, std::int64_t days, std::chrono::seconds interval)
    : store_(st), days_(days), interval_(interval) {}

retention_pruner::~retention_pruner() { stop(); }

void retention_pruner::start() { thread_ = std::thread([this] { run(); }); }

void retention_pruner::stop() {
  {
    std::lock_guard lk(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void retention_pruner::run() {
  std::unique_lock lk(mutex_);
  while (!stopping_) {
    lk.unlock();
    pass();
    lk.lock();
    wake_.wait_for(lk, interval_, [this] { return stopping_; });
  }
}

// The fold throws once stop() was called: the store rolls that batch back
// and the pass ends, so shutting down never waits for a long backlog.
void retention_pruner::pass() {
  const millis cutoff = now_millis() - days_ * day_ms;
  const auto started = std::chrono::steady_clock::now();
  const stats_fold fold = [this](std::string_view, const std::string& baseline, const std::vector<message>& rows) {
    {
      std::lock_guard lk(mutex_);
      if (stopping_) throw std::runtime_error("sorakd is stopping");
    }
    return fold_stats_baseline(baseline, rows);
  };
  auto r = store_.prune_messages(cutoff, fold);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  if (!r) {
    std::lock_guard lk(mutex_);
    if (stopping_)
      spdlog::info("retention: pass stopped after {} ms (shutting down)", ms.count());
    else
      spdlog::error("retention: pass failed after {} ms: {}", ms.count(), r.err().message);
    return;
  }
  metrics::retention_pruned_messages().fetch_add(r->messages, std::memory_order_relaxed);
  spdlog::info("retention: pruned {} messages older than {} from {} streams ({} partitions dropped) in {} ms",
               r->messages, format_rfc3339_ms(cutoff), r->streams, r->partitions_dropped, ms.count());
}

}  // namespace sorak
