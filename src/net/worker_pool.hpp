// worker_pool.hpp: the threads that own connections.
//
// Each worker is one thread running its own io_context; every connection is
// owned by exactly one worker for its whole life and touched only on its
// thread, so per-connection and per-worker state needs no locks. Each worker
// runs a periodic tick (pings, idle and close deadlines) over its WebSocket
// sessions instead of one timer per connection.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <sys/uio.h>

#include <chrono>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "net/send_ring.hpp"
#include "sorak/types.hpp"

namespace sorak {

class ws_session;
class audience;

struct worker {
  explicit worker(std::size_t i) : index(i) {}
  const std::size_t index;
  // Sessions for the tick. REQUIRES: touched on this worker's thread only.
  // Declared before ioc: handlers destroyed with ioc unregister from it.
  std::vector<ws_session*> sessions;
  // Every WebSocket read on this worker lands here first (see ws_session).
  std::vector<char> read_buffer;
  // Sessions with frames queued and no write in flight. Their writes start
  // in one flush task posted behind the work already queued, so every event
  // delivered in the meantime goes out in the same writev: the busier the
  // worker, the more each write gathers.
  //
  // Pacing: a flush round costs one sendmsg per dirty session whatever it
  // carries, so when rounds get long (thousands of viewers) the next one waits
  // as long as the last one took, capped at max_flush_pause. Under load a
  // worker then spends at most half its time in write calls and each call
  // carries every event of the pause; when rounds are short (a quiet room, a
  // few hundred viewers) there is no pause and a frame goes out at once.
  std::vector<std::shared_ptr<ws_session>> dirty;
  // Audiences whose round (net/audience.hpp) on this worker holds events:
  // flush() seals them first, which queues each round on the viewers here.
  std::vector<std::shared_ptr<audience>> rounds;
  std::vector<std::shared_ptr<audience>> sealing;  // flush()'s, kept for its capacity
  bool flush_posted = false;
  std::chrono::steady_clock::time_point last_flush_end{};
  std::chrono::steady_clock::duration last_flush_length{};
  boost::asio::io_context ioc{1};
  std::unique_ptr<boost::asio::steady_timer> tick_timer;
  std::unique_ptr<boost::asio::steady_timer> flush_timer;
  // A round's sendmsg calls go to the kernel as one io_uring submission
  // (net/send_ring.hpp); null where io_uring is unavailable, then each
  // session calls sendmsg itself. The msghdrs and iovecs of the calls in
  // flight live here, reused every round.
  std::unique_ptr<send_ring> ring;
  std::vector<msghdr> ring_msgs;
  std::vector<iovec> ring_iovs;
  std::vector<ws_session*> ring_sessions;
  void add_session(ws_session* s);
  void remove_session(ws_session* s);
  void schedule_flush(std::shared_ptr<ws_session> s);
  void schedule_round(std::shared_ptr<audience> r);
  void request_flush();
  void flush();
  void flush_through_ring(std::vector<std::shared_ptr<ws_session>>& batch);
};

// Rounds shorter than this are never paced; longer ones pause at most
// max_flush_pause before the next.
inline constexpr std::chrono::microseconds min_paced_flush{500};
// Calls per io_uring submission; a longer round is submitted in pieces.
inline constexpr unsigned send_ring_entries = 1024;
inline constexpr std::chrono::milliseconds max_flush_pause{20};

class worker_pool {
 public:
  // `read_buffer_bytes`: size of each worker's shared read buffer; it must
  // hold the largest frame plus its header. `use_ring`: send flush rounds
  // through io_uring where the kernel allows it.
  worker_pool(std::size_t count, std::size_t read_buffer_bytes, bool use_ring = true);
  ~worker_pool();

  std::size_t size() const { return workers_.size(); }
  worker& at(std::size_t i) { return *workers_[i]; }

  // Starts the threads; `tick_ms` is the period of each worker's tick.
  void start(std::int64_t tick_ms);
  // Stops the io_contexts and joins the threads.
  void stop();

 private:
  void schedule_tick(worker& w);

  std::vector<std::unique_ptr<worker>> workers_;
  std::vector<std::thread> threads_;
  std::int64_t tick_ms_ = 1000;
  bool use_ring_ = true;
};

}  // namespace sorak
