#include "store/sqlite_read_pool.hpp"

namespace sorak::sqlite {

read_pool::lease::~lease() {
  if (db_) pool_->give_back(std::move(db_));
}

read_pool::read_pool(std::string path, int busy_timeout_ms, std::size_t max_idle)
    : path_(std::move(path)), options_{.read_only = true, .busy_timeout_ms = busy_timeout_ms},
      max_idle_(max_idle) {}

result<read_pool::lease> read_pool::acquire() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto db = std::move(idle_.back());
      idle_.pop_back();
      return lease(this, std::move(db));
    }
  }
  auto db = sqlite_db::open(path_, options_);
  if (!db) return db.err();
  return lease(this, std::move(*db));
}

void read_pool::release_memory() {
  std::vector<std::unique_ptr<sqlite_db>> closing;
  {
    std::lock_guard lk(mutex_);
    closing.swap(idle_);
  }
  // Closed outside the lock; the next read opens a connection again (its
  // page cache, statements and schema start empty).
}

void read_pool::give_back(std::unique_ptr<sqlite_db> db) {
  std::unique_ptr<sqlite_db> surplus;  // closed after the lock is released
  std::lock_guard lock(mutex_);
  if (idle_.size() < max_idle_)
    idle_.push_back(std::move(db));
  else
    surplus = std::move(db);
}

}  // namespace sorak::sqlite
