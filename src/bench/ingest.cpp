// ingest.cpp: the `ingest` scenario: many senders, each its own user joined
// to one of many streams, every message with a client_id, and the server's
// acks counted and timed. It measures durable ingest: the server acks a
// message only once it is stored (docs/api.md, "ack and client_id
// de-duplication"), so acks per second are messages accepted and committed.
//
// Open loop (--rate R > 0): R messages per second in all, round-robin over the
// senders, whatever the server does, each timed from its scheduled send, so
// a server that falls behind shows it as ack latency. Closed loop (--rate 0):
// each sender keeps --window messages in flight and sends the next when one
// is acked or refused: the ceiling, at a latency the window sets.
//
// The senders also receive their streams' broadcasts (their own messages and
// the other senders'); they read them so their sockets never back up, and do
// not count them. The server's own commit times come from its /metrics,
// scraped before the sending and after the drain.
#include <cmath>

#include "bench/engine.hpp"
#include "bench/metric_buckets.hpp"
#include "bench/proc.hpp"
#include "bench/scenario_common.hpp"
#include "bench/scenarios.hpp"
#include "bench/setup.hpp"
#include "bench/wire.hpp"
#include "client/endpoint.hpp"
#include "client/http_client.hpp"

namespace sorak::bench {

namespace {

namespace json = boost::json;

constexpr double send_grace_s = 10.0;  // open loop: how long after --duration the senders may still be writing
constexpr std::string_view commit_histogram = "sorak_store_commit_seconds";

status check_ingest_options(const bench_options& o) {
  if (o.protocol != wire_protocol::sorak) return error(errc::usage, "ingest speaks the sorak protocol only");
  if (o.senders == 0 || o.streams == 0) return error(errc::usage, "--senders and --streams must be at least 1");
  if (!(o.duration_s > 0) || o.rate < 0)
    return error(errc::usage, "--duration must be positive and --rate not negative");
  if (o.rate == 0 && o.window == 0) return error(errc::usage, "a closed loop (--rate 0) needs --window of at least 1");
  return check_budget(o.senders);
}

// One sender per connection, sender i in stream i mod streams, each with its own user's token.
result<std::vector<conn_spec>> ingest_specs(const bench_options& o, const target& where,
                                            const std::vector<bench_stream>& streams, const std::string& secret,
                                            const progress_fn& progress) {
  progress("minting " + std::to_string(o.senders) + " tokens");
  auto tokens = mint_tokens(secret, 's', 0, o.senders);
  if (!tokens) return tokens.err();
  std::vector<conn_spec> specs(o.senders);
  for (std::uint32_t i = 0; i < o.senders; ++i) {
    const std::string path = where.path + client::stream_path(streams[i % streams.size()].id) + "/chat/ws?token=";
    specs[i].role = conn_role::sender;
    specs[i].opening = upgrade_request(where.host_port, path + client::url_encode((*tokens)[i]), o.ws_compression);
  }
  return specs;
}

// The server's commit histogram now; empty when /metrics cannot be read
// (the figures are then left out, the run goes on).
std::vector<metric_bucket> scrape_commits(const target& where) {
  client::http_client http(client::endpoint{where.address, std::to_string(where.port), where.path},
                           std::chrono::seconds(5));
  auto got = http.request("GET", where.path + "/metrics");
  if (!got || got->status != 200) return {};
  return parse_histogram_buckets(got->body, commit_histogram);
}

json::value bound_ms(double seconds) {
  if (seconds < 0) return nullptr;
  if (std::isinf(seconds)) return "+Inf";
  return seconds * 1000;
}

void add_commit_figures(bench_result& r, const std::vector<metric_bucket>& before,
                        const std::vector<metric_bucket>& after) {
  if (after.empty()) return;
  const auto window = bucket_difference(after, before);
  json::array buckets;
  for (const auto& b : window) buckets.push_back(json::array{json::value(b.le), json::value(b.count)});
  r.extra["commits"] = window.back().count;
  r.extra["commit_buckets"] = std::move(buckets);
  // Bucket bounds: "half of the commits took at most this".
  r.extra["commit_p50_ms"] = bound_ms(bucket_quantile_bound(window, 0.5));
  r.extra["commit_p99_ms"] = bound_ms(bucket_quantile_bound(window, 0.99));
}

// Sends for --duration: open loop at --rate, or the closed loop; returns
// the acks read by the end of --duration.
std::uint64_t send_for_duration(const bench_options& o, chat_load& load, server_monitor& monitor) {
  const auto start = clock_type::now();
  if (o.rate > 0) {
    load.start_sending(static_cast<std::uint64_t>(std::llround(o.rate * o.duration_s)), o.duration_s);
  } else {
    load.start_closed_loop(o.window, o.duration_s);
  }
  hold_for(o.duration_s - seconds_since(start), monitor);
  return load.snapshot().acked;
}

// Waits until every message is written (open loop) and every written one is
// acked or refused, at most send_grace_s and --drain.
void drain(const bench_options& o, chat_load& load, server_monitor& monitor) {
  if (o.rate > 0) {
    const auto total = static_cast<std::uint64_t>(std::llround(o.rate * o.duration_s));
    wait_for(
        [&] {
          const load_counters c = load.snapshot();
          return c.sent + c.write_failed + c.unsent >= total;
        },
        send_grace_s, monitor);
  }
  wait_for(
      [&] {
        const load_counters c = load.snapshot();
        return c.acked + c.error_events >= c.sent;
      },
      o.drain_s, monitor);
}

}  // namespace

result<bench_result> run_ingest(const bench_options& o, const progress_fn& progress) {
  const auto started = clock_type::now();
  if (auto ok = check_ingest_options(o); !ok) return ok.err();
  auto where = parse_target(o.url, o.protocol);
  if (!where) return where.err();
  auto secret = find_secret(o);
  if (!secret) return secret.err();
  progress(o.stream.empty() ? "creating " + std::to_string(o.streams) + " streams" : "looking up stream " + o.stream);
  auto streams = prepare_streams(o, *where, *secret, o.streams);
  if (!streams) return streams.err();
  auto specs = ingest_specs(o, *where, *streams, *secret, progress);
  if (!specs) return specs.err();

  load_settings settings = settings_for(o, {*where});
  settings.acks = true;
  server_monitor monitor(o.server_pids);
  monitor.poll();
  chat_load load(settings, std::move(*specs));
  progress("connecting " + std::to_string(o.senders) + " senders to " + std::to_string(streams->size()) + " streams");
  const auto connect_start = clock_type::now();
  load.open(0, o.senders, connect_concurrency(o), o.connect_timeout_s);
  const double connect_ms = seconds_since(connect_start) * 1000;
  const std::uint64_t ready = load.snapshot().ready[static_cast<int>(conn_role::sender)];

  const auto commits_before = scrape_commits(*where);
  progress(o.rate > 0
               ? "sending " + std::to_string(static_cast<long long>(o.rate)) + " messages/s for " + secs(o.duration_s)
               : "sending, " + std::to_string(o.window) + " in flight per sender, for " + secs(o.duration_s));
  monitor.start_window();
  const double own_cpu_start = own_cpu_seconds();
  const auto send_start = clock_type::now();
  const std::uint64_t acked_in_window = send_for_duration(o, load, monitor);
  const double window_s = seconds_since(send_start);
  monitor.end_window();
  const double own_cpu_s = own_cpu_seconds() - own_cpu_start;
  progress("waiting for the last acks (at most " + secs(o.drain_s) + ")");
  drain(o, load, monitor);
  const auto commits_after = scrape_commits(*where);
  const load_totals totals = load.finish();
  const load_counters& c = totals.counters;

  bench_result r = base_result(o);
  r.connections = o.senders;
  r.connect_ms = connect_ms;
  fill_common(r, totals);
  r.sent = c.sent;
  r.latency = totals.ack_latency.figures_ms();
  const std::uint64_t answered = c.acked + c.error_events;
  r.error_kinds["unacked"] = c.sent > answered ? c.sent - answered : 0;
  r.errors += r.error_kinds["unacked"];
  r.server = monitor.figures(window_s);
  r.client_cpu_s = own_cpu_s;
  r.client_cpu_cores = window_s > 0 ? own_cpu_s / window_s : 0;
  r.extra["acked"] = c.acked;
  r.extra["acked_in_window"] = acked_in_window;
  r.extra["acked_per_s"] = window_s > 0 ? std::round(static_cast<double>(acked_in_window) / window_s) : 0.0;
  r.extra["loop"] = o.rate > 0 ? "open" : "closed";
  if (o.rate > 0) r.extra["rate"] = o.rate;
  if (o.rate == 0) r.extra["window"] = o.window;
  r.extra["streams"] = streams->size();
  r.extra["senders"] = ready;
  r.extra["size"] = o.size;
  r.extra["threads"] = std::max(1u, o.threads);
  r.extra["broadcasts_read"] = c.sender_received;
  if (r.server.measured && r.server.cpu_s > 0) {
    r.extra["acked_per_server_cpu_s"] = std::round(static_cast<double>(acked_in_window) / r.server.cpu_s);
  }
  add_commit_figures(r, commits_before, commits_after);
  r.duration_s = seconds_since(started);
  return r;
}

}  // namespace sorak::bench
