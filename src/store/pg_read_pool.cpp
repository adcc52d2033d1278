#include "store/pg_read_pool.hpp"

namespace sorak::pg {

read_pool::lease::~lease() {
  if (db_) pool_->give_back(std::move(db_));
}

read_pool::read_pool(std::string url, conn_options opts, std::size_t max_open)
    : url_(std::move(url)), opts_(opts), max_open_(max_open == 0 ? 1 : max_open) {}

result<read_pool::lease> read_pool::acquire() {
  {
    std::unique_lock lock(mutex_);
    const bool ready =
        returned_.wait_for(lock, opts_.query_timeout, [&] { return !idle_.empty() || open_ < max_open_; });
    if (!ready) return error(errc::store_unavailable, "postgres: every read connection stayed busy");
    if (!idle_.empty()) {
      auto db = std::move(idle_.back());
      idle_.pop_back();
      return lease(this, std::move(db), /*reused=*/true);
    }
    ++open_;  // a slot for the connection opened below, outside the lock
  }
  return open_new();
}

// Only a connection actually tried moves the gate: a read refused while it is
// shut must not shut it again, or reads coming more often than the pause (a
// readiness probe, steady history traffic) would keep it shut for good and the
// pool would never reconnect.
result<read_pool::lease> read_pool::open_new() {
  const bool attempt = gate_.wait_left().count() == 0;
  auto db = attempt ? pg_connection::open(url_, opts_)
                    : result<std::unique_ptr<pg_connection>>(error(errc::store_unavailable, "postgres: unreachable"));
  if (db) {
    gate_.succeeded();
    return lease(this, std::move(*db), /*reused=*/false);
  }
  if (attempt && db.err().is(errc::store_unavailable)) gate_.failed();
  {
    std::lock_guard lock(mutex_);
    --open_;
  }
  returned_.notify_one();
  return db.err();
}

void read_pool::release_memory() {
  std::vector<std::unique_ptr<pg_connection>> closing;
  {
    std::lock_guard lock(mutex_);
    closing.swap(idle_);
    open_ -= closing.size();
  }
  returned_.notify_all();
  // Closed here, outside the lock; the next read opens a connection again.
}

void read_pool::give_back(std::unique_ptr<pg_connection> db) {
  std::vector<std::unique_ptr<pg_connection>> closing;  // closed after the lock is released
  {
    std::lock_guard lock(mutex_);
    if (db->broken()) closing.swap(idle_);
    // A connection left inside a transaction (a read that failed halfway) is
    // not reused either: its next user would see that transaction.
    if (db->broken() || db->in_transaction()) {
      closing.push_back(std::move(db));
      open_ -= closing.size();
    } else {
      idle_.push_back(std::move(db));
    }
  }
  returned_.notify_all();
}

}  // namespace sorak::pg
