// scenario_common.hpp: what the chat scenarios (scenarios.cpp, ingest.cpp)
// share: waiting while the server is sampled, the descriptor budget, the
// load settings and connect concurrency from the options, and the parts of a
// result every chat scenario fills the same way.
//
// Called on the scenario driver's thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "bench/engine.hpp"
#include "bench/options.hpp"
#include "bench/proc.hpp"
#include "sorak/result.hpp"

namespace sorak::bench {

using clock_type = std::chrono::steady_clock;

inline constexpr auto poll_interval = std::chrono::milliseconds(5);
inline constexpr auto monitor_interval = std::chrono::milliseconds(100);

// "2.5 s"
std::string secs(double s);
double seconds_since(clock_type::time_point t);

// Waits until pred() holds or timeout_s passes, sampling the server's RSS
// meanwhile. False on timeout.
template <class Pred>
bool wait_for(Pred pred, double timeout_s, server_monitor& monitor) {
  const auto deadline = clock_type::now() + std::chrono::duration<double>(timeout_s);
  auto next_sample = clock_type::now();
  for (;;) {
    if (pred()) return true;
    const auto now = clock_type::now();
    if (now >= deadline) return false;
    if (now >= next_sample) {
      monitor.poll();
      next_sample = now + monitor_interval;
    }
    std::this_thread::sleep_for(poll_interval);
  }
}

inline void hold_for(double seconds, server_monitor& monitor) {
  wait_for([] { return false; }, seconds, monitor);
}

// An error when `connections` do not fit this process's descriptor budget.
status check_budget(std::uint64_t connections);
std::uint32_t connect_concurrency(const bench_options& o);
// --url: bench_options::node_urls, or url alone.
std::vector<std::string> node_urls(const bench_options& o);
// `nodes`: where the connections go (one target, or one per node).
load_settings settings_for(const bench_options& o, std::vector<target> nodes);

// scenario, label and protocol from the options.
bench_result base_result(const bench_options& o);
// Errors, connect figures and the stream's close reasons from the totals.
void fill_common(bench_result& r, const load_totals& t);

}  // namespace sorak::bench
