#include "store/pg_writer.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>

#include "core/clock.hpp"
#include "core/metrics.hpp"
#include "store/pg_queries.hpp"
#include "store/pg_schema.hpp"

namespace sorak::pg {

struct op_outcome {
  status st = ok_value;
  std::optional<message> stored;  // an append that succeeded: the message as stored
};

namespace {

// A throwing callback is a caller's bug, but letting it end the writer would
// lose every later message; log it and go on.
void run_callback(write_op& op, op_outcome& o) {
  try {
    if (op.append) {
      if (op.appended) op.appended(o.st ? result<message>(std::move(*o.stored)) : result<message>(o.st.err()));
    } else if (op.done) {
      op.done(o.st);
    }
  } catch (const std::exception& e) {
    spdlog::error("store: a write callback threw: {}", e.what());
  } catch (...) {
    spdlog::error("store: a write callback threw");
  }
}

}  // namespace

group_writer::group_writer(std::string url, conn_options conn, std::unique_ptr<pg_connection> db, writer_options opts,
                           std::set<std::int64_t> known_months)
    : url_(std::move(url)),
      conn_options_(conn),
      opts_(opts),
      db_(std::move(db)),
      known_months_(std::move(known_months)),
      thread_([this] { run(); }) {}

group_writer::~group_writer() { stop(); }

bool group_writer::enqueue(write_op&& op) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return false;
    // A lingering writer needs waking only for an op that ends the linger.
    wake = queue_.empty() || !op.background || queue_.size() + 1 >= opts_.max_group;
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

void group_writer::forget_months_before(std::int64_t month) {
  std::lock_guard lock(mutex_);
  forget_before_ = std::max(forget_before_, month);
}

void group_writer::run() {
  for (;;) {
    auto group = take_group();
    if (group.empty()) return;
    auto out = commit_group(group);
    // The callbacks run on the completions thread while this one begins the
    // next group; finished_ moves (and flush() returns) once they ran.
    completions_.post([this, group = std::move(group), out = std::move(out)]() mutable {
      for (std::size_t i = 0; i < group.size(); ++i) run_callback(group[i], out[i]);
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
    return stopping_ || urgent_queued_ > 0 || flushes_waiting_ > 0 || queue_.size() >= opts_.max_group;
  };
  if (!commit_now() && opts_.background_linger.count() > 0)
    work_ready_.wait_for(lock, opts_.background_linger, commit_now);
  std::vector<write_op> group;
  const std::size_t n = std::min(queue_.size(), std::max<std::size_t>(opts_.max_group, 1));
  group.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (!queue_.front().background) --urgent_queued_;
    group.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return group;
}

// ---- one group ----------------------------------------------------------------

std::vector<op_outcome> group_writer::commit_group(std::vector<write_op>& group) {
  const auto started = std::chrono::steady_clock::now();
  std::vector<op_outcome> out(group.size());
  months_in_txn_.clear();
  bool commit_sent = false;
  status s = write_group(group, out, commit_sent);
  if (!s && commit_sent && (!db_ || db_->broken())) {
    const int backend_pid = db_ ? db_->backend_pid() : 0;
    db_.reset();
    auto stored = committed_after_all(group, out, backend_pid);
    if (stored && *stored) {
      spdlog::warn("store: a group of {} writes whose COMMIT got no answer is stored: acked", group.size());
      s = ok_value;
    } else {
      spdlog::error("store: a group of {} writes whose COMMIT got no answer is {}", group.size(),
                    stored ? "not stored" : "in doubt (the server could not be asked)");
    }
  }
  if (s) {
    known_months_.insert(months_in_txn_.begin(), months_in_txn_.end());
    std::lock_guard lock(mutex_);
    ++commits_;
  } else {
    spdlog::error("store: a group of {} writes failed: {}", group.size(), s.err().message);
    if (db_ && db_->in_transaction()) db_->exec("ROLLBACK");
    if (db_ && db_->broken()) db_.reset();  // the next group reconnects
    for (auto& o : out)
      if (o.st) o.st = s;
  }
  metrics::store_commit_seconds().observe(std::chrono::steady_clock::now() - started);
  return out;
}

status group_writer::write_group(std::vector<write_op>& group, std::vector<op_outcome>& out, bool& commit_sent) {
  if (std::all_of(group.begin(), group.end(), [](const write_op& op) { return op.append.has_value(); }))
    return write_appends(group, out, commit_sent);
  if (auto s = begin(); !s) return s;
  if (auto s = apply_all(group, out); !s) return s;
  // Only COMMIT's own success acks, or the group's rows found afterwards
  // (committed_after_all): never a success the server did not keep.
  commit_sent = true;
  return db_->commit();
}

// The group is all or nothing, so one new message of it tells: its id at its
// created_at (one partition, one index probe). While the server process that
// had the group still runs (it may be finishing the COMMIT: a deadline passed,
// or it has not yet noticed the cut), the answer could still change, so the
// writer waits for it to end. A group without a new message (only
// control-plane writes, or duplicates) cannot be told apart, and fails.
result<bool> group_writer::committed_after_all(const std::vector<write_op>& group, const std::vector<op_outcome>& out,
                                               int backend_pid) {
  const message* probe = nullptr;
  for (std::size_t i = 0; i < group.size() && !probe; ++i)
    if (out[i].st && out[i].stored) probe = &*out[i].stored;
  if (!probe) return error(errc::store_unavailable, "postgres: the group's COMMIT got no answer");
  const auto give_up = std::chrono::steady_clock::now() + opts_.in_doubt_window;
  for (;;) {
    status s = connected();
    if (s) {
      auto r = db_->query(
          "SELECT EXISTS (SELECT 1 FROM messages WHERE id = $1 AND created_at = $2), "
          "EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $3)",
          pg_params().add_all(probe->id, probe->created_at, std::int64_t{backend_pid}));
      if (r && r->text(0, 0) == "t") return true;
      if (r && r->text(0, 1) == "f") return false;
      s = r ? status(error(errc::store_unavailable, "postgres: the group's COMMIT got no answer")) : status(r.err());
    }
    if (std::chrono::steady_clock::now() >= give_up) return s.err();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // connected() spaces the attempts further
  }
}

// A connection that broke while idle (the server restarted, a proxy cut it)
// is found out by the first statement of the next group; nothing of the group
// reached the server yet, so it is tried once more on a new connection.
status group_writer::begin() {
  for (int attempt = 0;; ++attempt) {
    const bool reused = db_ && !db_->broken();
    status s = connected();
    if (s) s = partitions_ahead();
    if (s) s = db_->exec("BEGIN");
    if (s || !reused || attempt > 0 || !db_ || !db_->found_dead()) return s;
    db_.reset();
  }
}

// A group of appends only (the usual one) is one round trip when the writer's
// cached heads cover it (BEGIN, the checked write and COMMIT together), else
// two: BEGIN goes out with the first statements and COMMIT with the last. A
// connection found dead by the first trip is replaced once, as begin() does;
// when that trip carried the COMMIT, only once the group is known not stored.
status group_writer::write_appends(std::vector<write_op>& group, std::vector<op_outcome>& out, bool& commit_sent) {
  std::vector<std::size_t> all(group.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  for (int attempt = 0;; ++attempt) {
    const bool reused = db_ && !db_->broken();
    status s = connected();
    if (s) s = partitions_ahead();
    bool one_trip = false;
    if (s) {
      auto pending = all;
      s = flush_appends(group, pending, out,
                        append_txn{.own = true, .commit_sent = &commit_sent, .one_trip = &one_trip});
    }
    if (s || !reused || attempt > 0 || !db_ || !db_->found_dead() || (commit_sent && !one_trip)) return s;
    if (commit_sent) {
      const int backend_pid = db_->backend_pid();
      db_.reset();
      auto stored = committed_after_all(group, out, backend_pid);
      commit_sent = false;  // answered here: commit_group need not ask again
      if (!stored) return stored.err();
      if (*stored) return ok_value;
      for (std::size_t i = 0; i < group.size(); ++i) {  // flush_appends moved them there
        if (out[i].stored) *group[i].append = std::move(*out[i].stored);
        out[i] = op_outcome{};
      }
      continue;
    }
    db_.reset();
  }
}

// Runs the ops in order: consecutive appends are written together, each
// control-plane write after the appends queued before it.
status group_writer::apply_all(std::vector<write_op>& group, std::vector<op_outcome>& out) {
  std::vector<std::size_t> pending;
  for (std::size_t i = 0; i < group.size(); ++i) {
    if (group[i].append) {
      pending.push_back(i);
      continue;
    }
    if (auto s = flush_appends(group, pending, out); !s) return s;
    out[i].st = group[i].apply(*db_);
    // An op that broke the transaction (or the connection) fails the group.
    if (!out[i].st && (db_->aborted() || db_->broken())) return out[i].st;
  }
  return flush_appends(group, pending, out);
}

status group_writer::flush_appends(std::vector<write_op>& group, std::vector<std::size_t>& pending,
                                   std::vector<op_outcome>& out, append_txn txn) {
  if (pending.empty()) return ok_value;
  std::vector<message*> ms;
  ms.reserve(pending.size());
  for (std::size_t i : pending) ms.push_back(&*group[i].append);
  std::vector<bool> duplicate(ms.size(), false);
  status s = insert_appends(*db_, ms, duplicate, {known_months_, months_in_txn_}, opts_.multi_row_insert, txn, &heads_);
  // After a COMMIT that got no answer the messages as numbered are kept:
  // committed_after_all looks one of them up.
  if (!s && !(txn.commit_sent && *txn.commit_sent)) return s;
  for (std::size_t k = 0; k < pending.size(); ++k) {
    auto& o = out[pending[k]];
    if (duplicate[k])
      o.st = error(errc::duplicate_message, "message " + ms[k]->id + " is already stored");
    else
      o.stored = std::move(*ms[k]);  // the op's copy is not read again: its callback gets this one
  }
  pending.clear();
  return s;
}

// The writer's connection, opened again after it broke (spaced by the gate).
status group_writer::connected() {
  if (db_ && !db_->broken()) return ok_value;
  db_.reset();
  if (auto wait = gate_.wait_left(); wait.count() > 0) std::this_thread::sleep_for(wait);
  auto db = pg_connection::open(url_, conn_options_);
  if (!db) {
    gate_.failed();
    return db.err();
  }
  gate_.succeeded();
  db_ = std::move(*db);
  return ok_value;
}

// The partition for next month is made outside any group (its DDL locks the
// table), so the first message of a month rarely has to wait for it.
status group_writer::partitions_ahead() {
  std::int64_t forget = 0;
  {
    std::lock_guard lock(mutex_);
    forget = forget_before_;
  }
  if (forget > forgotten_before_) {
    known_months_.erase(known_months_.begin(), known_months_.lower_bound(forget));
    forgotten_before_ = forget;
  }
  const std::int64_t next = month_of(now_millis()) + 1;
  if (known_months_.count(next)) return ok_value;
  for (std::int64_t m : {next - 1, next}) {
    if (known_months_.count(m)) continue;
    if (auto s = ensure_partition(*db_, m); !s) return s;
    known_months_.insert(m);
  }
  return ok_value;
}

}  // namespace sorak::pg
