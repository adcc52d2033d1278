// sqlite_read_pool.hpp: read-only connections handed out to reading threads.
//
// Internal to src/store/. WAL lets readers run while the writer commits, so a
// read never waits for a group commit: it leases a connection of its own, opened
// on demand, and gives it back when the lease ends. At most `max_idle`
// connections are kept between reads; any more are closed. Thread-safe: the
// idle list is guarded by a mutex held only to push or pop, never while a
// connection opens or a query runs.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "sorak/result.hpp"
#include "store/sqlite_db.hpp"

namespace sorak::sqlite {

class read_pool {
 public:
  class lease {
   public:
    lease(read_pool* pool, std::unique_ptr<sqlite_db> db) : pool_(pool), db_(std::move(db)) {}
    lease(lease&&) noexcept = default;
    lease& operator=(lease&&) = delete;
    ~lease();
    sqlite_db& db() { return *db_; }

   private:
    read_pool* pool_;
    std::unique_ptr<sqlite_db> db_;
  };

  read_pool(std::string path, int busy_timeout_ms, std::size_t max_idle);
  // REQUIRES: no lease is outstanding.
  ~read_pool() = default;

  result<lease> acquire();
  // Closes the idle connections, and with them their page caches.
  void release_memory();

 private:
  void give_back(std::unique_ptr<sqlite_db> db);

  const std::string path_;
  const sqlite_db::options options_;
  const std::size_t max_idle_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<sqlite_db>> idle_;  // GUARDED_BY(mutex_)
};

}  // namespace sorak::sqlite
