// platform.cpp: the `platform` scenario: a platform's day rather than one
// room (issue 19). --streams streams with --viewers viewers spread over them
// as a Zipf law (the top one --top), each stream chatting at a rate that
// grows with its audience (∝ viewers^--alpha, --rate for the whole platform),
// a --gift-share of each stream's messages sent as gifts, --churn viewers a
// second leaving (the bench closes them) and as many joining a stream drawn
// by the same weights, and --bots REST clients polling history and the
// Showroom API at --bot-rate requests a second in all.
//
// Reported: deliveries/s, latency overall and per audience band
// (platform_plan.hpp), gifts owed to viewers against gifts read, server CPU
// over --duration (not the drain) and RSS, errors (WebSocket error events,
// closes the bench did not ask for, REST answers outside 2xx), and the
// issue's targets as met or not.
//
// --protocol ws runs the same day against a bare relay (the floor,
// bench/peers/floor.cpp) to show what the machine leaves: each stream is a
// room, the path /platform/<stream index> under --url, with no token, no
// stream created and no bots (it has no REST API: --bots 0). The chat lines
// are the ws fanout case's frames, and gifts are among them as ordinary
// frames, as many as with sorak; a viewer tells one by its stamp's sequence
// (is_gift_seq), and since a relay has no gift event to see broadcast, a gift
// is owed from when its sender sent it.
//
// Bounded: streams, viewers, churn and bots all end with --duration; the
// connects with --connect-timeout per group, the last sends with a 10 s
// grace, the drain with --drain. Traffic goes only to --url.
#include <cmath>
#include <functional>
#include <numeric>
#include <random>

#include "bench/connection.hpp"
#include "bench/engine.hpp"
#include "bench/platform_plan.hpp"
#include "bench/proc.hpp"
#include "bench/report.hpp"
#include "bench/rest_load.hpp"
#include "bench/scenario_common.hpp"
#include "bench/scenarios.hpp"
#include "bench/setup.hpp"
#include "bench/wire.hpp"
#include "client/endpoint.hpp"

namespace sorak::bench {

namespace {

namespace json = boost::json;

constexpr double send_grace_s = 10.0;  // how long after --duration the senders may still be writing
// A gift sent less than this before a viewer left is not owed to it (it may
// have been on its way); a gift later than this is late anyway.
constexpr double gift_grace_s = 1.0;
constexpr double p99_target_ms = 100;
constexpr double cpu_target_cores = 1.0;
constexpr std::uint64_t churn_seed = 1919;
constexpr double bot_grace_s = 2.0;  // after --duration, for the bots' last answers

// ==== the plan ==================================================================

struct audience {
  std::vector<std::uint32_t> viewers;  // per stream
  std::vector<double> rates;           // messages/s per stream
  std::vector<std::uint32_t> spares;   // the stream of each viewer that joins during the run
};

result<audience> plan_audience(const bench_options& o) {
  auto viewers = zipf_viewers(o.streams, o.viewers, o.top);
  if (!viewers) return viewers.err();
  audience a;
  a.viewers = std::move(*viewers);
  a.rates = chat_rates(a.viewers, o.rate, o.alpha);
  weighted_picker pick(a.viewers, churn_seed);
  const auto joins = static_cast<std::uint32_t>(std::ceil(o.churn * o.duration_s));
  for (std::uint32_t i = 0; i < joins; ++i) a.spares.push_back(pick.pick());
  return a;
}

// ==== connections ===============================================================

// How a connection opens, given its role, its stream and k: a viewer's
// ordinal (the first viewers, then those that join), a sender's stream.
using opening_fn = std::function<std::string(conn_role role, std::uint32_t stream, std::uint32_t k)>;

// sorak: the stream's chat path with a token of its own for each connection.
result<opening_fn> sorak_openings(const target& where, const std::vector<bench_stream>& streams, const audience& a,
                                  const std::string& secret, const progress_fn& progress) {
  const std::uint32_t viewers =
      std::accumulate(a.viewers.begin(), a.viewers.end(), static_cast<std::uint32_t>(a.spares.size()));
  progress("minting " + std::to_string(viewers + streams.size()) + " tokens");
  auto viewer_tokens = mint_tokens(secret, 'v', 0, viewers);
  if (!viewer_tokens) return viewer_tokens.err();
  auto sender_tokens = mint_tokens(secret, 's', 0, streams.size());
  if (!sender_tokens) return sender_tokens.err();
  return opening_fn([where, streams, viewer = std::move(*viewer_tokens), sender = std::move(*sender_tokens)](
                        conn_role role, std::uint32_t stream, std::uint32_t k) {
    const std::string path = where.path + client::stream_path(streams[stream].id) + "/chat/ws?token=";
    const std::string& token = role == conn_role::sender ? sender[k] : viewer[k];
    return upgrade_request(where.host_port, path + client::url_encode(token));
  });
}

// ws: the relay's room of the stream, /platform/<stream index>; no token.
opening_fn room_openings(const target& where) {
  return [where](conn_role, std::uint32_t stream, std::uint32_t) {
    return upgrade_request(where.host_port, where.path + "/platform/" + std::to_string(stream));
  };
}

// Viewers [0, V) stream by stream, then one sender per stream (sender i in
// stream i, weighted by its rate), then the viewers that join during the run.
std::vector<conn_spec> platform_specs(const audience& a, const opening_fn& opening) {
  const auto streams = static_cast<std::uint32_t>(a.viewers.size());
  auto spec = [&](conn_role role, std::uint32_t stream, std::uint32_t k) {
    conn_spec s;
    s.role = role;
    s.stream = stream;
    s.band = static_cast<std::uint8_t>(band_of(a.viewers[stream]));
    s.opening = opening(role, stream, k);
    return s;
  };
  std::vector<conn_spec> specs;
  specs.reserve(std::accumulate(a.viewers.begin(), a.viewers.end(), a.spares.size() + streams));
  std::uint32_t k = 0;
  for (std::uint32_t s = 0; s < streams; ++s) {
    for (std::uint32_t i = 0; i < a.viewers[s]; ++i) specs.push_back(spec(conn_role::viewer, s, k++));
  }
  for (std::uint32_t s = 0; s < streams; ++s) {
    specs.push_back(spec(conn_role::sender, s, s));
    specs.back().weight = a.rates[s];
  }
  for (std::uint32_t s : a.spares) specs.push_back(spec(conn_role::viewer, s, k++));
  return specs;
}

// ==== bots ======================================================================

// History and Showroom requests, alternating, one of each per stream.
result<std::vector<std::string>> bot_requests(const bench_options& o, const target& where,
                                              const std::vector<bench_stream>& streams, const std::string& secret,
                                              const progress_fn& progress) {
  auto token = mint_tokens(secret, 'r', 0, 1);
  if (!token) return token.err();
  std::string apikey = o.apikey;
  if (apikey.empty()) {
    if (o.admin_key.empty()) {
      return error(errc::missing_apikey,
                   "platform's bots poll the Showroom API: give --apikey, or the admin key (--admin-key or "
                   "SORAK_ADMIN_KEY) to create one, or --bots 0");
    }
    progress("creating an API key for the bots");
    auto made = create_api_key(where, o.admin_key);
    if (!made) return made.err();
    apikey = std::move(*made);
  }
  std::vector<std::string> requests;
  for (const bench_stream& s : streams) {
    requests.push_back(get_request(where, client::stream_path(s.id) + "/chat/history?limit=50", token->front()));
    requests.push_back(get_request(
        where, "/api/jkt48/chat-stream-sr?room_id=" + client::url_encode(s.room_id) + "&apikey=" + apikey, {}));
  }
  return requests;
}

// The bots on one thread, each one request per bots/bot_rate seconds, for the run.
std::unique_ptr<rest_thread> make_bots(const bench_options& o, const target& where,
                                       const std::vector<std::string>& requests) {
  if (o.bots == 0 || !(o.bot_rate > 0)) return nullptr;
  const auto interval_ns = static_cast<std::int64_t>(1e9 * o.bots / o.bot_rate);
  const auto quota = static_cast<std::uint64_t>(std::llround(o.bot_rate * o.duration_s));
  auto bots = std::make_unique<rest_thread>(where, requests, quota, 0, interval_ns);
  for (std::uint32_t i = 0; i < o.bots; ++i) bots->add_connection();
  return bots;
}

// ==== churn =====================================================================

// Viewers leave at --churn a second, each picked at random among those still
// watching; the viewer that joins at the same moment (chat_load opens the
// spares on the same schedule) takes its place among them.
class churn_driver {
 public:
  churn_driver(std::uint32_t viewers, std::uint32_t first_spare, std::uint32_t spares, double rate)
      : first_spare_(first_spare), spares_(spares), rate_(rate), rng_(churn_seed) {
    watching_.resize(viewers);
    for (std::uint32_t i = 0; i < viewers; ++i) watching_[i] = i;
  }
  void start(chat_load& load, std::uint32_t concurrency) {
    start_ = clock_type::now();
    if (spares_ > 0) load.start_opening(first_spare_, spares_, concurrency, rate_);
  }
  // Every leave due by now.
  void step(chat_load& load) {
    const auto due = static_cast<std::uint64_t>(seconds_since(start_) * rate_);
    while (left_ < due && left_ < spares_ && !watching_.empty()) {
      const std::size_t k = std::uniform_int_distribution<std::size_t>(0, watching_.size() - 1)(rng_);
      load.leave(watching_[k]);
      watching_[k] = first_spare_ + static_cast<std::uint32_t>(left_++);
    }
  }
  std::uint64_t leaves() const { return left_; }

 private:
  std::vector<std::uint32_t> watching_;
  const std::uint32_t first_spare_, spares_;
  const double rate_;
  std::mt19937_64 rng_;
  clock_type::time_point start_;
  std::uint64_t left_ = 0;
};

// ==== the result ================================================================

struct bot_figures {
  rest_counts counts;
  latency_histogram latency;
};

json::array band_figures(const audience& a, const load_totals& t, bool& all_met) {
  json::array out;
  for (int b = 0; b < band_count; ++b) {
    std::uint64_t streams = 0, viewers = 0;
    double rate = 0;
    for (std::size_t s = 0; s < a.viewers.size(); ++s) {
      if (band_of(a.viewers[s]) != b) continue;
      ++streams;
      viewers += a.viewers[s];
      rate += a.rates[s];
    }
    if (streams == 0) continue;
    const latency_figures f = b < static_cast<int>(t.by_band.size()) ? t.by_band[b].figures_ms() : latency_figures{};
    // A band whose streams got no message is not measured: null, and the target not met.
    const json::value met = f.count > 0 ? json::value(f.p99 <= p99_target_ms) : json::value(nullptr);
    all_met = all_met && met.is_bool() && met.as_bool();
    out.push_back(json::object{{"band", band_name(b)},
                               {"streams", streams},
                               {"viewers", viewers},
                               {"rate", std::round(rate * 100) / 100},
                               {"latency_ms", latency_json(f)},
                               {"p99_met", met}});
  }
  return out;
}

void add_gift_figures(bench_result& r, const bench_options& o, const load_totals& t, const gift_count& g) {
  const load_counters& c = t.counters;
  json::object gifts{{"sent", c.gifts_sent},   {"broadcast_seen", t.gifts_broadcast.size()},
                     {"owed", g.expected},     {"delivered", g.delivered},
                     {"missing", g.missing()}, {"read", c.gifts_read}};
  if (o.protocol == wire_protocol::ws) gifts["told_by"] = "stamp sequence; owed as sent (a relay has no gift event)";
  r.extra["gifts"] = std::move(gifts);
  r.error_kinds["gifts_missing"] = g.missing();
}

void add_bot_figures(bench_result& r, const bench_options& o, const bot_figures& b, std::uint64_t planned) {
  json::object statuses;
  for (const auto& [status, n] : b.counts.statuses) statuses[std::to_string(status)] = n;
  r.extra["bots"] = json::object{{"bots", o.bots},
                                 {"rate", o.bot_rate},
                                 {"requests", planned},
                                 {"completed", b.counts.completed},
                                 {"statuses", std::move(statuses)},
                                 {"latency_ms", latency_json(b.latency.figures_ms())}};
  r.error_kinds["rest_non_2xx"] = b.counts.completed - b.counts.ok;
  r.error_kinds["rest_transport"] = b.counts.transport_errors;
  if (r.first_error.empty()) r.first_error = b.counts.first_error;
}

void add_targets(bench_result& r, const gift_count& g, bool bands_met) {
  const bool gifts_met = g.expected > 0 && g.missing() == 0;
  json::value cpu_met = nullptr;
  if (r.server.measured) cpu_met = r.server.cpu_cores <= cpu_target_cores;
  r.extra["targets"] = json::object{{"every_non_chat_event_delivered", gifts_met},
                                    {"p99_le_100ms_every_band", bands_met},
                                    {"server_cpu_le_1_core", cpu_met}};
  r.extra["targets_met"] = gifts_met && bands_met && cpu_met.is_bool() && cpu_met.as_bool();
}

// ==== the run ===================================================================

// What is ready before the first measured byte.
struct platform_setup {
  target where;
  audience a;
  std::vector<bench_stream> streams;
  std::vector<std::string> bot_requests;
  std::vector<conn_spec> specs;
};

result<platform_setup> prepare(const bench_options& o, const progress_fn& progress) {
  if (auto ok = check_platform_options(o); !ok) return ok.err();
  platform_setup p;
  auto plan = plan_audience(o);
  if (!plan) return plan.err();
  p.a = std::move(*plan);
  if (auto b = check_budget(std::uint64_t{o.viewers} + o.streams + o.bots + 64); !b) return b.err();
  auto where = parse_target(o.url, o.protocol);
  if (!where) return where.err();
  p.where = std::move(*where);
  if (o.protocol == wire_protocol::ws) {
    p.specs = platform_specs(p.a, room_openings(p.where));
    return p;
  }
  auto secret = find_secret(o);
  if (!secret) return secret.err();
  progress("creating " + std::to_string(o.streams) + " streams");
  auto streams = prepare_streams(o, p.where, *secret, o.streams);
  if (!streams) return streams.err();
  p.streams = std::move(*streams);
  if (o.bots > 0) {
    auto made = bot_requests(o, p.where, p.streams, *secret, progress);
    if (!made) return made.err();
    p.bot_requests = std::move(*made);
  }
  auto opening = sorak_openings(p.where, p.streams, p.a, *secret, progress);
  if (!opening) return opening.err();
  p.specs = platform_specs(p.a, *opening);
  return p;
}

// What the run measured, before it becomes a bench_result.
struct platform_run {
  load_totals totals;
  double connect_ms = 0;
  double window_s = 0;   // --duration, as it went
  double own_cpu_s = 0;  // … this process's CPU over it
  std::int64_t send_start_ns = 0;
  std::int64_t end_ns = 0;  // the drain's end: sessions still open count until here
  std::uint64_t leaves = 0;
  server_figures server;
  std::unique_ptr<rest_thread> bots;  // joined
};

// Runs the load for --duration while the churn and the bots go on beside
// it, samples the server meanwhile, and waits for the last sends and the drain.
void run_load(const bench_options& o, platform_setup& p, chat_load& load, platform_run& run,
              const progress_fn& progress) {
  const std::uint32_t concurrency = connect_concurrency(o);
  const auto spares = static_cast<std::uint32_t>(p.a.spares.size());
  server_monitor monitor(o.server_pids);
  monitor.poll();
  progress("connecting " + std::to_string(o.viewers) + " viewers to " + std::to_string(o.streams) +
           " streams (the top one " + std::to_string(o.top) + "), and a sender in each");
  const auto connect_start = clock_type::now();
  load.open(0, o.viewers, concurrency, o.connect_timeout_s);
  load.open(o.viewers, o.streams, concurrency, o.connect_timeout_s);
  run.connect_ms = seconds_since(connect_start) * 1000;

  const auto total = static_cast<std::uint64_t>(std::llround(o.rate * o.duration_s));
  progress("running " + secs(o.duration_s) + ": " + std::to_string(total) + " messages, " + std::to_string(spares) +
           " viewers leaving and joining, " + std::to_string(o.bots) + " bots");
  run.bots = make_bots(o, p.where, p.bot_requests);
  churn_driver churn(o.viewers, o.viewers + o.streams, spares, o.churn);
  monitor.start_window();
  const double own_cpu_start = own_cpu_seconds();
  run.send_start_ns = now_ns();
  const auto send_start = clock_type::now();
  load.start_sending(total, o.duration_s);
  churn.start(load, concurrency);
  if (run.bots) run.bots->start();
  wait_for(
      [&] {
        churn.step(load);
        return seconds_since(send_start) >= o.duration_s;
      },
      o.duration_s + 1, monitor);
  // CPU over the load itself: the drain's quiet seconds would flatter the ≤ 1 core target.
  run.window_s = seconds_since(send_start);
  monitor.end_window();
  run.own_cpu_s = own_cpu_seconds() - own_cpu_start;
  run.leaves = churn.leaves();
  if (run.bots) {
    // The last bots are due just before the end: their answers may take a moment.
    wait_for([&] { return run.bots->settled() >= run.bots->quota(); }, bot_grace_s, monitor);
    run.bots->stop();
  }
  wait_for(
      [&] {
        const load_counters c = load.snapshot();
        return c.sent + c.write_failed + c.unsent >= total;
      },
      send_grace_s, monitor);
  const double drain_s = std::max(o.drain_s, gift_grace_s + 0.5);
  progress("draining (" + secs(drain_s) + ")");
  hold_for(drain_s, monitor);
  run.end_ns = now_ns();
  run.server = monitor.figures(run.window_s);
  if (run.bots) run.bots->join();
  run.totals = load.finish();
}

bench_result platform_result(const bench_options& o, const platform_setup& p, const platform_run& run) {
  const load_totals& t = run.totals;
  const load_counters& c = t.counters;
  bench_result r = base_result(o);
  r.connections = std::uint64_t{o.viewers} + o.streams + p.a.spares.size();
  r.connect_ms = run.connect_ms;
  fill_common(r, t);
  r.sent = c.sent;
  r.delivered = c.delivered;
  const double delivery_window_s = static_cast<double>(c.last_delivery_ns - run.send_start_ns) / 1e9;
  r.deliveries_per_s = delivery_window_s > 0 ? static_cast<double>(c.delivered) / delivery_window_s : 0;
  r.latency = t.latency.figures_ms();
  r.server = run.server;
  r.client_cpu_s = run.own_cpu_s;
  r.client_cpu_cores = run.window_s > 0 ? run.own_cpu_s / run.window_s : 0;
  r.extra["streams"] = o.streams;
  r.extra["viewers"] = o.viewers;
  r.extra["top"] = o.top;
  r.extra["rate"] = o.rate;
  r.extra["alpha"] = o.alpha;
  r.extra["gift_share"] = o.gift_share;
  r.extra["size"] = o.size;
  r.extra["threads"] = std::max(1u, o.threads);
  const std::uint64_t ready = c.ready[static_cast<int>(conn_role::viewer)];
  r.extra["churn"] = json::object{{"rate", o.churn},
                                  {"left", c.left},
                                  {"leaves_asked", run.leaves},
                                  {"joined", ready - std::min<std::uint64_t>(ready, o.viewers)}};
  bool bands_met = true;
  r.extra["bands"] = band_figures(p.a, t, bands_met);
  const gift_count g =
      count_gifts(t.sessions, t.gifts_broadcast, static_cast<std::int64_t>(gift_grace_s * 1e9), run.end_ns);
  add_gift_figures(r, o, t, g);
  if (run.bots) add_bot_figures(r, o, bot_figures{run.bots->counts(), run.bots->latency()}, run.bots->quota());
  r.errors = 0;
  for (const auto& [kind, n] : r.error_kinds) r.errors += n;
  if (r.server.measured && r.server.cpu_s > 0) {
    r.extra["deliveries_per_server_cpu_s"] = std::round(static_cast<double>(c.delivered) / r.server.cpu_s);
  }
  add_targets(r, g, bands_met);
  return r;
}

}  // namespace

result<bench_result> run_platform(const bench_options& o, const progress_fn& progress) {
  const auto started = clock_type::now();
  auto setup = prepare(o, progress);
  if (!setup) return setup.err();
  load_settings settings = settings_for(o, {setup->where});
  settings.bands = band_count;
  settings.weighted = true;
  settings.gift_share = o.gift_share;
  chat_load load(settings, std::move(setup->specs));
  platform_run run;
  run_load(o, *setup, load, run, progress);
  bench_result r = platform_result(o, *setup, run);
  r.duration_s = seconds_since(started);
  return r;
}

}  // namespace sorak::bench
