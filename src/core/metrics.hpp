// metrics.hpp: the node's counters, gauges and histograms, rendered for
// Prometheus at GET /metrics (CONTRACT §13, docs/operations.md).
//
// Hot-path counters are per thread: metrics::local() is the calling thread's
// own cache-line-aligned slot, created on the thread's first use and kept
// (with its counts) for the life of the process. Only its thread writes it,
// with a relaxed load and store (a plain increment, no lock prefix); /metrics
// sums every slot with relaxed loads. So a delivery costs one thread-local
// add: no lock, no shared atomic, no cache line bounced between workers.
//
// Histograms are shared and updated with relaxed fetch_add; use them for
// per-commit or per-event work, never per delivery.
//
// Thread-safety: local() from any thread (its slot is the caller's alone);
// histogram::observe and render() from any thread.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace sorak::metrics {

// A count written by one thread and read by any.
class local_counter {
 public:
  // REQUIRES: called only by the slot's owning thread.
  void add(std::int64_t n = 1) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  std::int64_t get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> v_{0};
};

// One thread's share of the node's counters. Gauges (ws_connections) go up
// and down on the same thread: a session opens and closes on its worker.
struct alignas(64) thread_slot {
  local_counter ws_connections;      // gauge: chat WebSockets open on this thread
  local_counter messages_in;         // chat messages and gifts accepted from clients
  local_counter deliveries;          // live event frames queued to a viewer
  local_counter slow_consumers_cut;  // viewers closed with 1008 "slow consumer"
  local_counter viewers_thinned;     // times a viewer fell past the soft limit and had chat lines left out
  local_counter chat_lines_skipped;  // chat lines left out for viewers behind (told in `skipped`)
  local_counter ws_deflate_sessions;   // chat WebSockets that negotiated permessage-deflate
  local_counter ws_frames_deflated;    // event frames deflated once for the viewers that share them
  local_counter ws_deflate_bytes_in;   // bytes of rounds given to the shared deflater
  local_counter ws_deflate_bytes_out;  // … and what came out (deflated frames, or plain where that was smaller)
  std::array<local_counter, 5> http_responses;  // [status / 100 - 1]: 1xx … 5xx
};

namespace detail {
thread_slot* register_slot();
// Constant-initialised, so reading it is one thread-pointer-relative load.
inline thread_local thread_slot* this_thread_slot = nullptr;
}  // namespace detail

// The calling thread's slot (registered on the thread's first call).
inline thread_slot& local() {
  thread_slot* s = detail::this_thread_slot;
  if (!s) [[unlikely]] s = detail::this_thread_slot = detail::register_slot();
  return *s;
}

// Counts one HTTP response by its status class (on the answering thread).
inline void count_http_response(int status) {
  if (status >= 100 && status < 600) local().http_responses[static_cast<std::size_t>(status / 100 - 1)].add();
}

// A cumulative histogram of durations in seconds with fixed bucket bounds.
class histogram {
 public:
  explicit histogram(std::vector<double> upper_bounds_seconds);
  void observe(std::chrono::nanoseconds d);

  struct snapshot {
    std::vector<double> bounds;
    std::vector<std::uint64_t> cumulative;  // one per bound, then +Inf
    double sum_seconds = 0;
    std::uint64_t count = 0;
  };
  snapshot read() const;

 private:
  const std::vector<double> bounds_;
  std::vector<std::atomic<std::uint64_t>> buckets_;  // per bound, then +Inf (not cumulative)
  std::atomic<std::uint64_t> sum_ns_{0};
};

// Observes the time from construction to destruction.
class scoped_timer {
 public:
  explicit scoped_timer(histogram& h) : h_(h), start_(std::chrono::steady_clock::now()) {}
  ~scoped_timer() { h_.observe(std::chrono::steady_clock::now() - start_); }
  scoped_timer(const scoped_timer&) = delete;
  scoped_timer& operator=(const scoped_timer&) = delete;

 private:
  histogram& h_;
  std::chrono::steady_clock::time_point start_;
};

// Store group commits: BEGIN … COMMIT of one group, fsync included.
histogram& store_commit_seconds();
// Broker: from publish() to the node's receiver starting on the event.
histogram& broker_lag_seconds();

// Retention: messages pruned by this node (one pass at a time adds to it).
std::atomic<std::int64_t>& retention_pruned_messages();

// The sum of every thread's slot.
struct totals {
  std::int64_t ws_connections = 0;
  std::int64_t messages_in = 0;
  std::int64_t deliveries = 0;
  std::int64_t slow_consumers_cut = 0;
  std::int64_t viewers_thinned = 0;
  std::int64_t chat_lines_skipped = 0;
  std::int64_t ws_deflate_sessions = 0;
  std::int64_t ws_frames_deflated = 0;
  std::int64_t ws_deflate_bytes_in = 0;
  std::int64_t ws_deflate_bytes_out = 0;
  std::array<std::int64_t, 5> http_responses{};
};
totals sum();

// Prometheus text exposition format 0.0.4 helpers.
void write_header(std::string& out, std::string_view name, std::string_view type, std::string_view help);
void write_sample(std::string& out, std::string_view name, double value, std::string_view labels = {});
// A metric of one unlabelled sample: its HELP and TYPE lines, then the sample.
void write_metric(std::string& out, std::string_view name, std::string_view type, std::string_view help, double value);
void write_histogram(std::string& out, std::string_view name, std::string_view help, const histogram::snapshot& s);

// Every metric this registry owns (counters, gauges, histograms), in text format.
void render(std::string& out);

}  // namespace sorak::metrics
