// scenarios.cpp: the fanout, slow, idle and connect scenarios, driven
// from the caller's thread over a chat_load (engine.hpp), the helpers they
// share with ingest.cpp (scenario_common.hpp), and the choice of scenario.
#include "bench/scenarios.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <thread>

#include "bench/connection.hpp"
#include "bench/engine.hpp"
#include "bench/event_trace.hpp"
#include "bench/moderator.hpp"
#include "bench/proc.hpp"
#include "bench/report.hpp"
#include "bench/scenario_common.hpp"
#include "bench/setup.hpp"
#include "bench/wire.hpp"
#include "client/endpoint.hpp"

namespace sorak::bench {

namespace {

namespace json = boost::json;

constexpr std::uint32_t default_connect_concurrency = 256;
// An IRC registration waits for the server's timer (InspIRCd: once a
// second), not for CPU: many more may be in progress at once.
constexpr std::uint32_t default_irc_concurrency = 1024;
// idle: let the server finish reacting to the arrivals before the window: each connection's setup,
// and the one viewer_count broadcast the new count causes (sorakd sends it every 5 s by default,
// to every viewer; with 19 k viewers that is 19 k writes, and it is not idle work).
constexpr double settle_s = 6.0;
constexpr double send_grace_s = 10.0;  // how long after --duration the senders may still be writing
constexpr std::size_t max_nodes = 64;
// Traced events (--gift-share, --delete-rate): the shortest drain they get to arrive in.
constexpr double event_grace_s = 1.0;

// ---- connection specs ----------------------------------------------------

struct spec_plan {
  std::uint32_t viewers = 0;
  std::uint32_t senders = 0;
  double stalled_share = 0;
};

bool is_stalled(std::uint32_t i, double share) { return std::floor((i + 1) * share) > std::floor(i * share); }

std::string irc_opening(char role, std::uint32_t index) {
  char nick[16];
  std::snprintf(nick, sizeof nick, "%c%06u", role, index);
  return std::string("NICK ") + nick + "\r\nUSER " + nick + " 0 * :sorak bench\r\n";
}

// Every connection's role, node and opening bytes: viewers first, then
// senders; with several nodes (sorak only) each role is dealt round-robin
// over them, and the stream is created (or looked up) through the first.
result<std::vector<conn_spec>> make_specs(const bench_options& o, const std::vector<target>& nodes,
                                          const spec_plan& plan, const progress_fn& progress, std::string* stream_out) {
  const target& where = nodes.front();
  std::vector<conn_spec> specs(plan.viewers + plan.senders);
  for (std::uint32_t i = 0; i < specs.size(); ++i) {
    const bool sender = i >= plan.viewers;
    specs[i].role =
        sender ? conn_role::sender
               : (plan.stalled_share > 0 && is_stalled(i, plan.stalled_share) ? conn_role::stalled : conn_role::viewer);
  }
  switch (o.protocol) {
    case wire_protocol::irc:
      for (std::uint32_t i = 0; i < specs.size(); ++i) {
        const bool sender = i >= plan.viewers;
        specs[i].opening = irc_opening(sender ? 's' : 'v', sender ? i - plan.viewers : i);
      }
      return specs;
    case wire_protocol::ws: {
      const std::string request = upgrade_request(where.host_port, where.path.empty() ? "/" : where.path, o.ws_compression);
      for (auto& s : specs) s.opening = request;
      return specs;
    }
    case wire_protocol::sorak:
      break;
  }
  deal_over_nodes(specs, nodes.size());
  auto secret = find_secret(o);
  if (!secret) return secret.err();
  auto streams = prepare_streams(o, where, *secret, 1);
  if (!streams) return streams.err();
  const std::string& stream = streams->front().id;
  if (stream_out) *stream_out = stream;
  progress("minting " + std::to_string(specs.size()) + " tokens for stream " + stream);
  auto viewer_tokens = mint_tokens(*secret, 'v', 0, plan.viewers);
  if (!viewer_tokens) return viewer_tokens.err();
  auto sender_tokens = mint_tokens(*secret, 's', 0, plan.senders);
  if (!sender_tokens) return sender_tokens.err();
  const std::string chat_path = client::stream_path(stream) + "/chat/ws?token=";
  for (std::uint32_t i = 0; i < specs.size(); ++i) {
    const target& node = nodes[specs[i].node];
    const std::string& token = i < plan.viewers ? (*viewer_tokens)[i] : (*sender_tokens)[i - plan.viewers];
    specs[i].opening = upgrade_request(node.host_port, node.path + chat_path + client::url_encode(token), o.ws_compression);
  }
  return specs;
}

// Every node's address from --url (one, or several for fanout and slow).
result<std::vector<target>> parse_nodes(const bench_options& o) {
  std::vector<target> nodes;
  for (const std::string& url : node_urls(o)) {
    auto where = parse_target(url, o.protocol);
    if (!where) return where.err();
    nodes.push_back(std::move(*where));
  }
  if (nodes.size() > max_nodes) {
    return error(errc::usage, "at most " + std::to_string(max_nodes) + " nodes (--url)");
  }
  if (nodes.size() > 1 && o.protocol != wire_protocol::sorak) {
    return error(errc::usage, "several --url (nodes) need --protocol sorak: only sorakd runs as several nodes");
  }
  return nodes;
}

}  // namespace

// ==== shared with ingest.cpp (scenario_common.hpp) ============================

std::string secs(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g s", s);
  return buf;
}

double seconds_since(clock_type::time_point t) { return std::chrono::duration<double>(clock_type::now() - t).count(); }

status check_budget(std::uint64_t connections) {
  const std::uint64_t budget = connection_budget();
  if (connections > budget) {
    return error(errc::usage, 
                 std::to_string(connections) + " connections do not fit: this process may open " +
                     std::to_string(budget) + " (RLIMIT_NOFILE less a reserve; 19,900 at most)");
  }
  return ok_value;
}

std::uint32_t connect_concurrency(const bench_options& o) {
  if (o.concurrency != 0) return o.concurrency;
  return o.protocol == wire_protocol::irc ? default_irc_concurrency : default_connect_concurrency;
}

std::vector<std::string> node_urls(const bench_options& o) {
  return o.node_urls.empty() ? std::vector<std::string>{o.url} : o.node_urls;
}

load_settings settings_for(const bench_options& o, std::vector<target> nodes) {
  load_settings s;
  s.nodes = std::move(nodes);
  s.protocol = o.protocol;
  s.threads = std::max(1u, o.threads);
  s.io_uring = o.io_uring;
  s.ws_compression = o.ws_compression;
  s.size = o.size;
  s.stalled_rcvbuf = o.stalled_rcvbuf;
  s.channel = o.channel;
  return s;
}

bench_result base_result(const bench_options& o) {
  bench_result r;
  r.scenario = scenario_name(o.what);
  r.label = o.label;
  r.protocol = protocol_name(o.protocol);
  return r;
}

void fill_common(bench_result& r, const load_totals& t) {
  r.extra["io_uring_reads"] = t.io_uring_reads;
  const load_counters& c = t.counters;
  r.connected = c.ready[0] + c.ready[1] + c.ready[2];
  r.connect_latency = t.connect_latency.figures_ms();
  r.error_kinds["connect_failed"] = c.failed;
  r.error_kinds["closed"] = c.closed;
  r.error_kinds["error_events"] = c.error_events;
  r.error_kinds["write_failed"] = c.write_failed;
  r.error_kinds["unsent"] = c.unsent;
  r.error_kinds["out_of_order"] = c.out_of_order;
  r.errors = 0;
  for (const auto& [kind, n] : r.error_kinds) r.errors += n;
  r.first_error = t.first_error;
  if (!t.error_codes.empty()) {
    json::object codes;
    for (const auto& [code, n] : t.error_codes) codes[code] = n;
    r.extra["error_codes"] = std::move(codes);
  }
  if (!t.close_codes.empty()) {
    json::object closes;
    for (const auto& [why, n] : t.close_codes) closes[why] = n;
    r.extra["closes"] = std::move(closes);
  }
}

// ==== fanout and slow ========================================================

namespace {

// µs of CPU per delivery, rounded to 0.001 µs; null when either is missing.
json::value cpu_us_per_delivery(double cpu_s, std::uint64_t delivered) {
  if (delivered == 0 || !(cpu_s > 0)) return nullptr;
  return std::round(cpu_s * 1e9 / static_cast<double>(delivered)) / 1000;
}

json::array process_figures(const server_monitor& m, double window_s, std::uint64_t delivered) {
  json::array out;
  const std::vector<server_figures> each = m.each(window_s);
  for (std::size_t i = 0; i < each.size(); ++i) {
    const server_figures& f = each[i];
    out.push_back(json::object{{"pid", m.pids()[i]},
                               {"measured", f.measured},
                               {"cpu_s", std::round(f.cpu_s * 1000) / 1000},
                               {"cpu_cores", std::round(f.cpu_cores * 1000) / 1000},
                               {"rss_mb", std::round(f.rss_mb * 100) / 100},
                               {"cpu_us_per_delivery", cpu_us_per_delivery(f.cpu_s, delivered)}});
  }
  return out;
}

// What several nodes add to a fanout result: the node count, the latency
// split by node, the server's CPU per delivery (every run), each server
// process's figures when there are several, and the --aux-pid processes'.
void add_node_figures(bench_result& r, const std::vector<target>& nodes, const load_totals& totals,
                      const server_monitor& monitor, const server_monitor& aux, double window_s) {
  r.extra["nodes"] = nodes.size();
  if (r.server.measured) r.extra["server_cpu_us_per_delivery"] = cpu_us_per_delivery(r.server.cpu_s, r.delivered);
  if (monitor.pids().size() > 1) r.extra["server_processes"] = process_figures(monitor, window_s, r.delivered);
  if (aux.enabled()) r.extra["aux_processes"] = process_figures(aux, window_s, r.delivered);
  if (!totals.by_node.enabled()) return;
  r.extra["same_node"] = latency_json(totals.by_node.same_node().figures_ms());
  r.extra["cross_node"] = latency_json(totals.by_node.cross_node().figures_ms());
  if (totals.by_node.unplaced() != 0) r.extra["unplaced_deliveries"] = totals.by_node.unplaced();
}

// Bytes on the wire and generator CPU per delivery: what permessage-deflate
// changes (--ws-compression). Bytes are whole WebSocket frames read by ready
// viewers (messages, and the few viewer counts and pings among them).
void add_wire_figures(bench_result& r, const bench_options& o, const load_counters& c, double own_cpu_s) {
  if (o.protocol == wire_protocol::irc) return;
  r.extra["ws_compression"] = o.ws_compression;
  if (c.delivered != 0)
    r.extra["wire_bytes_per_delivery"] = std::round(static_cast<double>(c.viewer_bytes) * 10 / static_cast<double>(c.delivered)) / 10;
  if (o.ws_compression) r.extra["compressed_frames"] = c.compressed_frames;
  r.extra["client_cpu_us_per_delivery"] = cpu_us_per_delivery(own_cpu_s, c.delivered);
}

// ---- traced events (--gift-share, --delete-rate) ---------------------------------

status check_traced_events(const bench_options& o) {
  const bool traced = o.gift_share > 0 || o.delete_rate > 0;
  if (traced && o.protocol != wire_protocol::sorak) {
    return error(errc::usage, "--gift-share and --delete-rate are sorak events: --protocol " +
                                  std::string(protocol_name(o.protocol)) + " has no gifts or deletions");
  }
  if (o.gift_share < 0 || o.gift_share > 1) return error(errc::usage, "--gift-share is a share: 0 to 1");
  if (o.delete_rate < 0) return error(errc::usage, "--delete-rate must not be negative");
  return ok_value;
}

// The stream owner's moderator (bench_user('o', 0) owns the streams prepare_streams creates).
result<std::unique_ptr<moderator>> make_moderator(const bench_options& o, const target& where,
                                                  const std::string& stream) {
  if (!(o.delete_rate > 0)) return std::unique_ptr<moderator>();
  auto secret = find_secret(o);
  if (!secret) return secret.err();
  auto owner = mint_tokens(*secret, 'o', 0, 1);
  if (!owner) return owner.err();
  return std::make_unique<moderator>(where, stream, owner->front(), o.delete_rate);
}

json::object owed_json(const owed_count& n) {
  return json::object{{"owed", n.owed},
                      {"delivered", n.delivered},
                      {"missing", n.missing()},
                      {"viewers", n.viewers},
                      {"viewers_short", n.viewers_short}};
}

// What the traced events add to a fanout or slow result: `gifts` and `moderation` (sent, owed
// to viewers, read, missing, and how many viewers missed at least one), the stalled viewers'
// share of them apart (slow), and their misses as errors. Every event sent (all of them are,
// before the drain) is owed to every viewer still connected at the end (issue 19: "each has
// every gift and moderation event"); one the server cut lost its queue with it and is counted in
// viewers_open_at_end (or stalled.cut) instead.
void add_traced_events(bench_result& r, const bench_options& o, const load_totals& t, const moderator* mod,
                       std::int64_t drain_start_ns, bool slow) {
  const auto grace_ns = static_cast<std::int64_t>(event_grace_s * 1e9);
  // count_owed's end, less the grace, is the drain's start: every event sent before it is owed.
  const std::int64_t end_ns = drain_start_ns + grace_ns;
  const conn_role stalled = conn_role::stalled;
  json::object stalled_figures;
  std::vector<viewer_session> open_sessions;
  for (const viewer_session& v : t.sessions) {
    if (v.left_ns == 0) open_sessions.push_back(v);
  }
  if (o.gift_share > 0) {
    std::vector<traced_event> gifts;
    for (const gift_seen& g : t.gifts_broadcast) gifts.push_back(traced_event{g.key, g.t_ns});
    const owed_count n = count_owed(open_sessions, gifts, &viewer_session::gifts, grace_ns, end_ns);
    std::sort(gifts.begin(), gifts.end(), [](const traced_event& a, const traced_event& b) { return a.key < b.key; });
    const auto seen = static_cast<std::uint64_t>(
        std::unique(gifts.begin(), gifts.end(), [](const traced_event& a, const traced_event& b) { return a.key == b.key; }) -
        gifts.begin());
    json::object g = owed_json(n);
    g["share"] = o.gift_share;
    g["sent"] = t.counters.gifts_sent;
    g["broadcast_seen"] = seen;
    g["read"] = t.counters.gifts_read;
    r.extra["gifts"] = std::move(g);
    r.error_kinds["gifts_missing"] = n.missing();
    if (n.missing() != 0 && r.first_error.empty()) {
      r.first_error = std::to_string(n.viewers_short) + " viewers missed a gift owed to them";
    }
    if (slow) {
      const owed_count s = count_owed(open_sessions, gifts, &viewer_session::gifts, grace_ns, end_ns, &stalled);
      stalled_figures["gifts_owed"] = s.owed;
      stalled_figures["gifts_missing"] = s.missing();
    }
  }
  if (mod) {
    const owed_count n = count_owed(open_sessions, mod->deletions(), &viewer_session::deletions, grace_ns, end_ns);
    json::object m = owed_json(n);
    m["kind"] = "delete_message";
    m["rate"] = o.delete_rate;
    m["asked"] = mod->asked();
    m["sent"] = mod->deletions().size();
    m["failed"] = mod->failed();
    m["no_message_yet"] = mod->no_message();
    m["read"] = t.counters.deletions_read;
    if (!mod->first_error().empty()) m["first_error"] = mod->first_error();
    r.extra["moderation"] = std::move(m);
    r.error_kinds["moderation_missing"] = n.missing();
    r.error_kinds["moderation_failed"] = mod->failed();
    if (r.first_error.empty()) {
      if (n.missing() != 0) r.first_error = std::to_string(n.viewers_short) + " viewers missed a deletion owed to them";
      else if (mod->failed() != 0) r.first_error = mod->first_error();
    }
    if (slow) {
      const owed_count s =
          count_owed(open_sessions, mod->deletions(), &viewer_session::deletions, grace_ns, end_ns, &stalled);
      stalled_figures["deletions_owed"] = s.owed;
      stalled_figures["deletions_missing"] = s.missing();
    }
  }
  if (slow && !stalled_figures.empty()) {
    if (auto* st = r.extra.if_contains("stalled"); st && st->is_object()) {
      for (const auto& kv : stalled_figures) st->as_object()[kv.key()] = kv.value();
    }
  }
  r.errors = 0;
  for (const auto& [kind, n] : r.error_kinds) r.errors += n;
}

}  // namespace

result<bench_result> run_fanout(const bench_options& o, const progress_fn& progress) {
  const auto started = clock_type::now();
  const bool slow = o.what == scenario::slow;
  auto nodes = parse_nodes(o);
  if (!nodes) return nodes.err();
  if (o.senders == 0) return error(errc::usage, "--senders must be at least 1");
  if (!(o.rate > 0) || !(o.duration_s > 0)) return error(errc::usage, "--rate and --duration must be positive");
  if (auto b = check_budget(std::uint64_t{o.viewers} + o.senders); !b) return b.err();
  if (auto t = check_traced_events(o); !t) return t.err();

  spec_plan plan{o.viewers, o.senders, slow ? o.stalled_share : 0};
  std::string stream;
  auto specs = make_specs(o, *nodes, plan, progress, &stream);
  if (!specs) return specs.err();
  auto mod = make_moderator(o, nodes->front(), stream);
  if (!mod) return mod.err();
  server_monitor monitor(o.server_pids);
  server_monitor aux(o.aux_pids);
  monitor.poll();

  load_settings settings = settings_for(o, *nodes);
  settings.gift_share = o.gift_share;
  settings.trace_deletions = o.delete_rate > 0;
  chat_load load(std::move(settings), std::move(*specs));
  const std::uint32_t concurrency = connect_concurrency(o);
  progress("connecting " + std::to_string(o.viewers) + " viewers and " + std::to_string(o.senders) + " senders");
  const auto connect_start = clock_type::now();
  load.open(0, o.viewers, concurrency, o.connect_timeout_s);
  load.open(o.viewers, o.senders, concurrency, o.connect_timeout_s);
  const double connect_ms = seconds_since(connect_start) * 1000;
  const load_counters at_start = load.snapshot();
  const std::uint64_t viewers = at_start.open[static_cast<int>(conn_role::viewer)];
  const std::uint64_t stalled = at_start.open[static_cast<int>(conn_role::stalled)];

  const auto total = static_cast<std::uint64_t>(std::llround(o.rate * o.duration_s));
  progress("sending " + std::to_string(total) + " messages over " + secs(o.duration_s) + " to " +
           std::to_string(viewers) + " viewers");
  monitor.start_window();
  aux.start_window();
  const double own_cpu_start = own_cpu_seconds();
  const std::int64_t send_start_ns = now_ns();
  const auto send_start = clock_type::now();
  load.start_sending(total, o.duration_s);
  if (*mod) (*mod)->start(o.duration_s);
  wait_for(
      [&] {
        const load_counters c = load.snapshot();
        return c.sent + c.write_failed + c.unsent >= total;
      },
      o.duration_s + send_grace_s, monitor);
  if (*mod) {
    (*mod)->stop();
    (*mod)->join();
  }
  const std::uint64_t deletions = *mod ? (*mod)->done() : 0;
  // Traced events: every one sent, to every reader, or a drain long enough for the grace.
  const bool traced = o.gift_share > 0 || *mod;
  const double drain_s = traced ? std::max(o.drain_s, event_grace_s + 0.5) : o.drain_s;
  progress("draining (at most " + secs(drain_s) + ")");
  // Traced events: every one was sent by now (the senders are done, the moderator stopped), and
  // the drain is their time to arrive: all are owed to every viewer still connected at the end.
  const std::int64_t drain_start_ns = now_ns();
  wait_for(
      [&] {
        const load_counters c = load.snapshot();
        return c.delivered >= c.sent * viewers && c.deletions_read >= deletions * viewers;
      },
      drain_s, monitor);
  const double window_s = seconds_since(send_start);
  monitor.end_window();
  aux.end_window();
  const double own_cpu_s = own_cpu_seconds() - own_cpu_start;

  if (slow && stalled > 0) {
    progress("reading the stalled viewers again to see which were cut");
    load.resume_stalled();
    wait_for([&] { return load.snapshot().open[static_cast<int>(conn_role::stalled)] == 0; }, std::max(1.0, o.drain_s),
             monitor);
  }
  const load_counters before_close = load.snapshot();
  const load_totals totals = load.finish();
  const load_counters& c = totals.counters;

  bench_result r = base_result(o);
  r.connections = std::uint64_t{o.viewers} + o.senders;
  r.connect_ms = connect_ms;
  fill_common(r, totals);
  r.sent = c.sent;
  r.expected = c.sent * viewers;
  r.delivered = c.delivered;
  r.ratio = r.expected ? static_cast<double>(r.delivered) / static_cast<double>(r.expected) : 0;
  const double delivery_window_s = static_cast<double>(c.last_delivery_ns - send_start_ns) / 1e9;
  r.deliveries_per_s = delivery_window_s > 0 ? static_cast<double>(c.delivered) / delivery_window_s : 0;
  r.latency = totals.latency.figures_ms();
  r.server = monitor.figures(window_s);
  r.client_cpu_s = own_cpu_s;
  r.client_cpu_cores = window_s > 0 ? own_cpu_s / window_s : 0;
  r.extra["viewers"] = viewers;
  // Still connected once the load is over: a viewer that fell behind is thinned, not cut (issue 19).
  r.extra["viewers_open_at_end"] = before_close.open[static_cast<int>(conn_role::viewer)];
  r.extra["senders"] = at_start.ready[static_cast<int>(conn_role::sender)];
  r.extra["rate"] = o.rate;
  r.extra["size"] = o.size;
  r.extra["threads"] = std::max(1u, o.threads);
  if (!stream.empty()) r.extra["stream"] = stream;
  if (c.foreign != 0) r.extra["foreign_messages"] = c.foreign;
  if (r.server.measured && r.server.cpu_s > 0) {
    r.extra["deliveries_per_server_cpu_s"] = std::round(static_cast<double>(c.delivered) / r.server.cpu_s);
  }
  add_wire_figures(r, o, c, own_cpu_s);
  add_node_figures(r, *nodes, totals, monitor, aux, window_s);
  if (slow) {
    r.extra["stalled"] = json::object{
        {"viewers", stalled},
        {"cut", before_close.stalled_cut},
        {"still_open", before_close.open[static_cast<int>(conn_role::stalled)]},
        {"read_after_resume", c.stalled_delivered},
    };
  }
  if (traced) add_traced_events(r, o, totals, mod->get(), drain_start_ns, slow);
  r.duration_s = seconds_since(started);
  return r;
}

// idle and connect: --connections viewers of one stream, within the fd budget.
result<std::unique_ptr<chat_load>> viewers_only(const bench_options& o, const progress_fn& progress) {
  auto where = parse_target(o.url, o.protocol);
  if (!where) return where.err();
  if (auto b = check_budget(o.connections); !b) return b.err();
  const std::vector<target> nodes{*where};
  auto specs = make_specs(o, nodes, spec_plan{o.connections, 0, 0}, progress, nullptr);
  if (!specs) return specs.err();
  return std::make_unique<chat_load>(settings_for(o, nodes), std::move(*specs));
}

// ==== idle ===================================================================

result<bench_result> run_idle(const bench_options& o, const progress_fn& progress) {
  const auto started = clock_type::now();
  auto made = viewers_only(o, progress);
  if (!made) return made.err();
  chat_load& load = **made;
  server_monitor monitor(o.server_pids);
  const double rss_before = monitor.rss_now_mb();

  progress("opening " + std::to_string(o.connections) + " idle connections");
  const auto connect_start = clock_type::now();
  load.open(0, o.connections, connect_concurrency(o), o.connect_timeout_s);
  const double connect_ms = seconds_since(connect_start) * 1000;
  hold_for(settle_s, monitor);
  progress("holding them for " + secs(o.hold_s));
  monitor.start_window();
  const double own_cpu_start = own_cpu_seconds();
  const auto hold_start = clock_type::now();
  hold_for(o.hold_s, monitor);
  const double window_s = seconds_since(hold_start);
  monitor.end_window();
  const double own_cpu_s = own_cpu_seconds() - own_cpu_start;
  const load_counters held = load.snapshot();
  const load_totals totals = load.finish();

  bench_result r = base_result(o);
  r.connections = o.connections;
  r.connect_ms = connect_ms;
  fill_common(r, totals);
  r.server = monitor.figures(window_s);
  const std::uint64_t open = held.open[static_cast<int>(conn_role::viewer)];
  if (r.server.measured && open > 0) {
    r.server.rss_per_conn_bytes = (r.server.rss_end_mb - rss_before) * 1048576.0 / static_cast<double>(open);
    r.server.rss_start_mb = rss_before;
  }
  r.client_cpu_s = own_cpu_s;
  r.client_cpu_cores = window_s > 0 ? own_cpu_s / window_s : 0;
  r.extra["open_at_end"] = open;
  r.extra["hold_s"] = o.hold_s;
  r.duration_s = seconds_since(started);
  return r;
}

// ==== connect ================================================================

result<bench_result> run_connect(const bench_options& o, const progress_fn& progress) {
  const auto started = clock_type::now();
  auto made = viewers_only(o, progress);
  if (!made) return made.err();
  chat_load& load = **made;
  server_monitor monitor(o.server_pids);
  monitor.poll();

  const std::uint32_t concurrency = connect_concurrency(o);
  progress("connecting " + std::to_string(o.connections) + " with at most " + std::to_string(concurrency) + " at a time" +
           (o.connect_rate > 0 ? ", " + std::to_string(static_cast<long long>(o.connect_rate)) + " started per second" : ""));
  monitor.start_window();
  const double own_cpu_start = own_cpu_seconds();
  const auto connect_start = clock_type::now();
  load.open(0, o.connections, concurrency, o.connect_timeout_s, o.connect_rate);
  const double window_s = seconds_since(connect_start);
  monitor.end_window();
  const double own_cpu_s = own_cpu_seconds() - own_cpu_start;
  const load_totals totals = load.finish();

  bench_result r = base_result(o);
  r.connections = o.connections;
  r.connect_ms = window_s * 1000;
  fill_common(r, totals);
  r.latency = r.connect_latency;
  r.server = monitor.figures(window_s);
  r.client_cpu_s = own_cpu_s;
  r.client_cpu_cores = window_s > 0 ? own_cpu_s / window_s : 0;
  r.extra["upgrades_per_s"] = window_s > 0 ? std::round(static_cast<double>(r.connected) / window_s) : 0.0;
  r.extra["concurrency"] = concurrency;
  if (o.connect_rate > 0) r.extra["connect_rate"] = o.connect_rate;
  r.duration_s = seconds_since(started);
  return r;
}

// ==== dispatch ===============================================================

result<bench_result> run_bench(const bench_options& o, const progress_fn& progress) {
  raise_fd_limit();
  const bool spreads = o.what == scenario::fanout || o.what == scenario::slow;
  if (!spreads && o.node_urls.size() > 1) {
    return error(errc::usage, "several --url (nodes) are for fanout and slow only");
  }
  switch (o.what) {
    case scenario::fanout:
    case scenario::slow:
      return run_fanout(o, progress);
    case scenario::idle:
      return run_idle(o, progress);
    case scenario::connect:
      return run_connect(o, progress);
    case scenario::rest:
      return run_rest(o, progress);
    case scenario::ingest:
      return run_ingest(o, progress);
    case scenario::platform:
      return run_platform(o, progress);
  }
  return error(errc::usage, "unknown scenario");
}

}  // namespace sorak::bench
