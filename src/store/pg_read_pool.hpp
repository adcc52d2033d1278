// pg_read_pool.hpp: PostgreSQL connections leased to reading threads.
//
// Internal to src/store/. At most `max_open` connections exist at once; they
// are opened on demand (the first read opens the first). A reader that finds
// them all leased waits for one, up to the query timeout, then fails with 503.
// A connection that broke is closed when its lease ends instead of returned,
// and so are the idle ones (what broke one, a restart, broke them all);
// while the server is unreachable, reconnect_gate spaces the attempts and
// reads fail at once with 503. Thread-safe: the mutex is held only to take or
// return a connection, never while one opens or a query runs.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "sorak/result.hpp"
#include "store/pg_conn.hpp"

namespace sorak::pg {

class read_pool {
 public:
  class lease {
   public:
    lease(read_pool* pool, std::unique_ptr<pg_connection> db, bool reused)
        : pool_(pool), db_(std::move(db)), reused_(reused) {}
    lease(lease&& o) noexcept : pool_(o.pool_), db_(std::move(o.db_)), reused_(o.reused_) {}
    lease& operator=(lease&&) = delete;
    ~lease();
    pg_connection& db() { return *db_; }
    // True when the connection waited idle in the pool: it may have broken
    // meanwhile without anyone noticing, so a read that finds it broken may
    // fairly be tried again on a new one.
    bool reused() const { return reused_; }

   private:
    read_pool* pool_;
    std::unique_ptr<pg_connection> db_;
    bool reused_;
  };

  read_pool(std::string url, conn_options opts, std::size_t max_open);
  // REQUIRES: no lease is outstanding.
  ~read_pool() = default;

  result<lease> acquire();
  // Closes the idle connections (each holds a server process and its caches).
  void release_memory();

 private:
  void give_back(std::unique_ptr<pg_connection> db);
  result<lease> open_new();

  const std::string url_;
  const conn_options opts_;
  const std::size_t max_open_;
  reconnect_gate gate_;
  std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<pg_connection>> idle_;  // GUARDED_BY(mutex_)
  std::size_t open_ = 0;                              // GUARDED_BY(mutex_): idle + leased + opening
};

}  // namespace sorak::pg
