#include "store/sqlite_writer.hpp"

#include <algorithm>
#include <exception>

#include <spdlog/spdlog.h>

#include "core/metrics.hpp"

namespace sorak::sqlite {

namespace {

void run_done(const write_op& op, const status& s) {
  if (!op.done) return;
  // A throwing callback is a caller's bug, but letting it end the writer would
  // lose every later message; log it and go on.
  try {
    op.done(s);
  } catch (const std::exception& e) {
    spdlog::error("store: an append callback threw: {}", e.what());
  } catch (...) {
    spdlog::error("store: an append callback threw");
  }
}

error rolled_back() { return error(errc::internal, "SQLite rolled the group's transaction back"); }

}  // namespace

group_writer::group_writer(std::unique_ptr<sqlite_db> db, std::size_t max_group,
                           std::chrono::milliseconds background_linger)
    : db_(std::move(db)),
      max_group_(max_group == 0 ? 1 : max_group),
      background_linger_(background_linger),
      thread_([this] { run(); }) {}

group_writer::~group_writer() { stop(); }

bool group_writer::enqueue(write_op&& op) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return false;
    // A lingering writer needs waking only for an op that ends the linger.
    wake = queue_.empty() || !op.background || queue_.size() + 1 >= max_group_;
    if (!op.background) ++urgent_queued_;
    queue_.push_back(std::move(op));
    ++queued_;
  }
  if (wake) work_ready_.notify_one();
  return true;
}

void group_writer::flush() {
  std::unique_lock lock(mutex_);
  const std::uint64_t target = queued_;
  if (finished_ >= target) return;
  ++flushes_waiting_;
  work_ready_.notify_one();  // ends a linger
  group_done_.wait(lock, [&] { return finished_ >= target; });
  --flushes_waiting_;
}

void group_writer::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_ready_.notify_one();
  if (thread_.joinable()) thread_.join();
  completions_.drain();
}

std::uint64_t group_writer::commit_count() const {
  std::lock_guard lock(mutex_);
  return commits_;
}

void group_writer::run() {
  for (;;) {
    auto group = take_group();
    if (group.empty()) return;
    auto results = commit_group(group);
    // The callbacks run on the completions thread while this one begins the
    // next group; finished_ moves (and flush() returns) once they ran.
    completions_.post([this, group = std::move(group), results = std::move(results)] {
      for (std::size_t i = 0; i < group.size(); ++i) run_done(group[i], results[i]);
      {
        std::lock_guard lock(mutex_);
        finished_ += group.size();
      }
      group_done_.notify_all();
    });
  }
}

std::vector<write_op> group_writer::take_group() {
  std::unique_lock lock(mutex_);
  work_ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
  const auto commit_now = [&] {
    return stopping_ || urgent_queued_ > 0 || flushes_waiting_ > 0 || queue_.size() >= max_group_;
  };
  if (!commit_now() && background_linger_.count() > 0)
    work_ready_.wait_for(lock, background_linger_, commit_now);
  std::vector<write_op> group;
  const std::size_t n = std::min(queue_.size(), max_group_);
  group.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (!queue_.front().background) --urgent_queued_;
    group.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return group;
}

std::vector<status> group_writer::commit_group(std::vector<write_op>& group) {
  const auto started = std::chrono::steady_clock::now();
  status begun = db_->exec("BEGIN IMMEDIATE");
  std::vector<status> results(group.size(), begun);
  status committed = begun;
  if (begun) {
    apply_each(group, results);
    committed = commit();
  }
  if (committed) {
    std::lock_guard lock(mutex_);
    ++commits_;
  } else {
    spdlog::error("store: a group of {} writes failed: {}", group.size(), committed.err().message);
    for (auto& r : results)
      if (r) r = committed;
  }
  metrics::store_commit_seconds().observe(std::chrono::steady_clock::now() - started);
  return results;
}

// An op that fails leaves the others standing (a failed statement undoes only
// itself); if SQLite abandoned the whole transaction (disk full, I/O error) the
// ops after that point fail too, rather than run outside any transaction.
void group_writer::apply_each(std::vector<write_op>& group, std::vector<status>& results) {
  for (std::size_t i = 0; i < group.size(); ++i) {
    results[i] = db_->in_transaction() ? group[i].apply(*db_) : status(rolled_back());
  }
}

status group_writer::commit() {
  if (!db_->in_transaction()) return rolled_back();
  status s = db_->exec("COMMIT");
  if (!s && db_->in_transaction()) db_->exec("ROLLBACK");
  return s;
}

}  // namespace sorak::sqlite
