#include "store/completions.hpp"

#include <exception>

#include <spdlog/spdlog.h>

namespace sorak::store_detail {

completions::completions(std::size_t max_pending)
    : max_pending_(max_pending == 0 ? 1 : max_pending), thread_([this] { run(); }) {}

completions::~completions() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void completions::post(std::function<void()> job) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return jobs_.size() < max_pending_; });
  jobs_.push_back(std::move(job));
  lock.unlock();
  changed_.notify_all();
}

void completions::drain() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return jobs_.empty() && running_ == 0; });
}

void completions::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
    if (jobs_.empty()) return;  // stopping, and everything posted has run
    auto job = std::move(jobs_.front());
    jobs_.pop_front();
    running_ = 1;
    lock.unlock();
    changed_.notify_all();  // a writer waiting for room in the queue
    try {
      job();
    } catch (const std::exception& e) {
      spdlog::error("store: a commit callback threw: {}", e.what());
    } catch (...) {
      spdlog::error("store: a commit callback threw");
    }
    lock.lock();
    running_ = 0;
    changed_.notify_all();
  }
}

}  // namespace sorak::store_detail
