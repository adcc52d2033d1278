// rest.cpp: the `rest` scenario: keep-alive HTTP/1.1 GETs against the
// history pages or the Showroom-style API, one request at a time per
// connection, as fast as the answers come (rest_load.hpp does the I/O).
#include <atomic>
#include <chrono>
#include <thread>

#include "bench/proc.hpp"
#include "bench/rest_load.hpp"
#include "bench/scenarios.hpp"
#include "bench/setup.hpp"
#include "client/endpoint.hpp"

namespace sorak::bench {

namespace {

constexpr std::uint32_t default_rest_concurrency = 64;

// One ready request per room.
result<std::vector<std::string>> build_requests(const bench_options& o, const target& where,
                                                const progress_fn& progress, boost::json::object& extra) {
  auto secret = find_secret(o);
  if (!secret) return secret.err();
  const std::uint32_t rooms = std::max<std::uint32_t>(1, o.rooms);
  progress("preparing " + std::to_string(rooms) + " stream(s)");
  auto streams = prepare_streams(o, where, *secret, rooms);
  if (!streams) return streams.err();
  if (o.seed_messages > 0 && o.stream.empty()) {
    progress("posting " + std::to_string(o.seed_messages) + " messages into each stream");
    for (const auto& s : *streams) {
      if (auto seeded = seed_messages(where, s, *secret, o.seed_messages); !seeded) return seeded.err();
    }
  }
  auto token = mint_tokens(*secret, 'r', 0, 1);
  if (!token) return token.err();
  std::string apikey = o.apikey;
  if (o.kind == rest_kind::showroom && apikey.empty()) {
    if (o.admin_key.empty())
      return error(errc::missing_apikey, 
                                "rest --kind showroom needs --apikey, or the admin key (--admin-key or SORAK_ADMIN_KEY) "
                                "to create one");
    progress("creating an API key");
    auto made = create_api_key(where, o.admin_key);
    if (!made) return made.err();
    apikey = std::move(*made);
  }
  std::vector<std::string> requests;
  for (const auto& s : *streams) {
    if (o.kind == rest_kind::history) {
      requests.push_back(get_request(where, client::stream_path(s.id) + "/chat/history?limit=50", token->front()));
    } else {
      requests.push_back(get_request(where,
                                     "/api/jkt48/chat-stream-sr?room_id=" + client::url_encode(s.room_id) +
                                         "&apikey=" + client::url_encode(apikey),
                                     {}));
    }
  }
  extra["rooms"] = rooms;
  extra["kind"] = o.kind == rest_kind::history ? "history" : "showroom";
  return requests;
}

}  // namespace

result<bench_result> run_rest(const bench_options& o, const progress_fn& progress) {
  const auto started = std::chrono::steady_clock::now();
  auto where = parse_target(o.url, wire_protocol::sorak);
  if (!where) return where.err();
  const std::uint32_t concurrency = o.concurrency ? o.concurrency : default_rest_concurrency;
  if (concurrency > connection_budget()) {
    return error(errc::usage, "--concurrency " + std::to_string(concurrency) + " does not fit the descriptor limit");
  }
  bench_result r;
  r.scenario = scenario_name(o.what);
  r.label = o.label;
  r.protocol = "http";
  auto requests = build_requests(o, *where, progress, r.extra);
  if (!requests) return requests.err();

  const unsigned nthreads = std::max(1u, o.threads);
  std::vector<std::unique_ptr<rest_thread>> threads;
  std::uint64_t given = 0;
  for (unsigned t = 0; t < nthreads; ++t) {
    const std::uint64_t quota = t + 1 == nthreads ? o.requests - given : o.requests / nthreads;
    threads.push_back(std::make_unique<rest_thread>(*where, *requests, quota, given));
    given += quota;
  }
  for (std::uint32_t i = 0; i < concurrency; ++i) threads[i % nthreads]->add_connection();

  server_monitor monitor(o.server_pids);
  progress("sending " + std::to_string(o.requests) + " requests over " + std::to_string(concurrency) +
           " keep-alive connections");
  monitor.start_window();
  const double own_cpu_start = own_cpu_seconds();
  const auto run_start = std::chrono::steady_clock::now();
  for (auto& t : threads) t->start();
  const auto deadline = run_start + std::chrono::duration<double>(o.rest_timeout_s);
  auto next_sample = run_start;
  for (;;) {
    std::uint64_t settled = 0;
    for (auto& t : threads) settled += t->settled();
    const auto now = std::chrono::steady_clock::now();
    if (settled >= o.requests || now >= deadline) break;
    if (now >= next_sample) {
      monitor.poll();
      next_sample = now + std::chrono::milliseconds(100);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  const double window_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - run_start).count();
  monitor.end_window();
  const double own_cpu_s = own_cpu_seconds() - own_cpu_start;
  for (auto& t : threads) t->stop();
  for (auto& t : threads) t->join();

  latency_histogram latency;
  rest_counts sum;
  for (auto& t : threads) {
    latency.merge(t->latency());
    const rest_counts& c = t->counts();
    sum.completed += c.completed;
    sum.ok += c.ok;
    sum.transport_errors += c.transport_errors;
    for (const auto& [status, n] : c.statuses) sum.statuses[status] += n;
    if (sum.first_error.empty()) sum.first_error = c.first_error;
  }
  r.connections = concurrency;
  r.connected = concurrency;
  r.latency = latency.figures_ms();
  r.server = monitor.figures(window_s);
  r.client_cpu_s = own_cpu_s;
  r.client_cpu_cores = window_s > 0 ? own_cpu_s / window_s : 0;
  const std::uint64_t not_done = o.requests - std::min(o.requests, sum.completed + sum.transport_errors);
  r.error_kinds["http_status"] = sum.completed - sum.ok;
  r.error_kinds["transport"] = sum.transport_errors;
  r.error_kinds["timed_out"] = not_done;
  for (const auto& [kind, n] : r.error_kinds) r.errors += n;
  r.first_error = sum.first_error;
  boost::json::object statuses;
  for (const auto& [status, n] : sum.statuses) statuses[std::to_string(status)] = n;
  r.extra["requests"] = o.requests;
  r.extra["completed"] = sum.completed;
  r.extra["ok"] = sum.ok;
  r.extra["statuses"] = std::move(statuses);
  r.extra["requests_per_s"] = window_s > 0 ? std::round(static_cast<double>(sum.completed) / window_s) : 0.0;
  r.duration_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return r;
}

}  // namespace sorak::bench
