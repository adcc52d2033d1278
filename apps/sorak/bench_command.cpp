// bench_command.cpp: `sorak bench SCENARIO`, the load generator (see
// docs/bench.md). The engine lives in src/bench/; this file only maps
// options and prints the result: a table, then one JSON line (or only the
// JSON line with --json).
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "bench/report.hpp"
#include "bench/scenarios.hpp"
#include "cli.hpp"

namespace sorak::cli {
namespace {

namespace bench = sorak::bench;

struct bench_command_options {
  bench::bench_options o;
  std::string scenario;
  std::string protocol = "sorak";
  std::string kind = "history";
  std::vector<std::string> urls;  // bench's own --url, given after `bench`
  CLI::App* cmd = nullptr;
};

// platform: its own defaults for the options it shares with other scenarios.
void apply_platform_defaults(bench_command_options& c) {
  using d = bench::platform_defaults;
  bench::bench_options& o = c.o;
  auto unset = [&c](const char* name) { return c.cmd->count(name) == 0; };
  if (unset("--streams")) o.streams = d::streams;
  if (unset("--viewers")) o.viewers = d::viewers;
  if (unset("--rate")) o.rate = d::rate;
  if (unset("--duration")) o.duration_s = d::duration_s;
  if (unset("--drain")) o.drain_s = d::drain_s;
  if (unset("--gift-share")) o.gift_share = d::gift_share;
}

status run_bench_command(const global_options& g, bench_command_options& c) {
  bench::bench_options& o = c.o;
  o.url = c.urls.empty() ? g.url : c.urls.front();
  if (c.urls.size() > 1) o.node_urls = c.urls;
  o.admin_key = g.admin_key;
  static const std::map<std::string, bench::scenario> scenarios = {
      {"fanout", bench::scenario::fanout}, {"idle", bench::scenario::idle}, {"connect", bench::scenario::connect},
      {"slow", bench::scenario::slow},     {"rest", bench::scenario::rest}, {"ingest", bench::scenario::ingest},
      {"platform", bench::scenario::platform}};
  static const std::map<std::string, bench::wire_protocol> protocols = {
      {"sorak", bench::wire_protocol::sorak}, {"irc", bench::wire_protocol::irc}, {"ws", bench::wire_protocol::ws}};
  o.what = scenarios.at(c.scenario);
  o.protocol = protocols.at(c.protocol);
  o.kind = c.kind == "showroom" ? bench::rest_kind::showroom : bench::rest_kind::history;
  if (o.what == bench::scenario::platform) apply_platform_defaults(c);
  if (o.what == bench::scenario::rest && o.protocol != bench::wire_protocol::sorak) {
    return usage_error("the rest scenario measures Sorak's HTTP API; --protocol does not apply");
  }
  const bool quiet = o.json_only;
  auto progress = [quiet](std::string_view line) {
    if (!quiet) std::cerr << "bench: " << line << std::endl;
  };
  auto outcome = bench::run_bench(o, progress);
  if (!outcome) return outcome.err();
  if (!o.json_only) {
    for (const auto& line : bench::format_table(*outcome)) print_line(line);
  }
  print_line(bench::format_json(*outcome));
  return ok_value;
}

}  // namespace

void add_bench_command(CLI::App& app, const global_options& g, command_action& action) {
  auto c = std::make_shared<bench_command_options>();
  bench::bench_options& o = c->o;
  CLI::App* cmd =
      app.add_subcommand("bench", "load generator: fanout, idle, connect, slow, rest, ingest, platform (docs/bench.md)");
  c->cmd = cmd;
  cmd->add_option("scenario", c->scenario, "fanout | idle | connect | slow | rest | ingest | platform")
      ->required()
      ->check(CLI::IsMember({"fanout", "idle", "connect", "slow", "rest", "ingest", "platform"}));
  // After `bench`, --url may name several nodes (given again, or as a comma list); before
  // `bench` it is the global one URL, which stands when this one is not given.
  cmd->add_option("--url", c->urls,
                  "server URL; fanout/slow: several nodes of one server (--url A --url B, or A,B): viewers and "
                  "senders dealt round-robin over them, the stream made through the first")
      ->delimiter(',')
      ->allow_extra_args(false);
  cmd->add_option("--protocol", c->protocol, "sorak | irc | ws")
      ->check(CLI::IsMember({"sorak", "irc", "ws"}))
      ->capture_default_str();
  cmd->add_option("--threads", o.threads, "load threads, one io_context each")
      ->check(CLI::Range(1u, 64u))
      ->capture_default_str();
  cmd->add_option("--ws-compression", o.ws_compression,
                  "sorak/ws: offer permessage-deflate and inflate compressed frames (true|false); the report "
                  "gives wire_bytes_per_delivery either way")
      ->capture_default_str();
  cmd->add_option("--io-uring", o.io_uring,
                  "fanout/slow/idle/connect: each batch of ready sockets read with one io_uring submission "
                  "(false: one recv each)")
      ->capture_default_str();
  auto* secret =
      cmd->add_option("--secret", o.secret, "JWT secret (default: env SORAK_JWT_SECRET, else ./var/jwt-secret)");
  cmd->add_option("--secret-file", o.secret_file, "file holding the JWT secret")->excludes(secret);
  cmd->add_option("--stream", o.stream, "sorak: use this stream (id or room id) instead of creating one");

  cmd->add_option("--viewers", o.viewers, "fanout/slow: viewers; platform: viewers of all streams (default 15000)")
      ->capture_default_str();
  cmd->add_option("--senders", o.senders, "fanout/slow/ingest: senders")->capture_default_str();
  cmd->add_option("--rate", o.rate,
                  "fanout/slow/ingest: messages per second, all senders together (open loop); "
                  "ingest: 0 is a closed loop of --window per sender; platform: the whole platform's chat "
                  "(default 1000), split over the streams by --alpha")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--size", o.size, "fanout/slow/ingest: content bytes per message")->capture_default_str();
  cmd->add_option("--duration", o.duration_s, "fanout/slow/ingest/platform: seconds of sending (platform: default 30)")
      ->check(CLI::Range(0.001, 3600.0))
      ->capture_default_str();
  cmd->add_option("--drain", o.drain_s,
                  "fanout/slow/platform: seconds to wait for stragglers (platform: default 3, at least 1.5; "
                  "fanout/slow with --gift-share or --delete-rate: at least 1.5); "
                  "ingest: for the last acks")
      ->check(CLI::Range(0.0, 600.0))
      ->capture_default_str();
  cmd->add_option("--stalled-share", o.stalled_share, "slow: share of viewers that stop reading")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--stalled-rcvbuf", o.stalled_rcvbuf, "slow: SO_RCVBUF of a stalled viewer, bytes")
      ->capture_default_str();

  cmd->add_option("--streams", o.streams,
                  "ingest: streams created (or --stream for one), senders round-robin over them; "
                  "platform: streams created, one sender in each (default 300)")
      ->check(CLI::Range(1u, 100000u))
      ->capture_default_str();
  cmd->add_option("--window", o.window, "ingest with --rate 0: messages in flight per sender")
      ->check(CLI::Range(1u, 10000u))
      ->capture_default_str();

  cmd->add_option("--connections", o.connections, "idle/connect: connections")->capture_default_str();
  cmd->add_option("--hold", o.hold_s, "idle: seconds to hold them")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  cmd->add_option("--concurrency", o.concurrency,
                  "connections opened at once (default 256, irc 1024); rest: keep-alive connections (default 64)");
  cmd->add_option("--connect-rate", o.connect_rate,
                  "connections started per second, on a schedule that does not wait for the server (open loop); "
                  "--concurrency still caps those in flight. 0: as fast as the concurrency allows")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--connect-timeout", o.connect_timeout_s, "seconds for a group of connections to open")
      ->check(CLI::Range(0.1, 600.0))
      ->capture_default_str();

  cmd->add_option("--requests", o.requests, "rest: requests")->capture_default_str();
  cmd->add_option("--kind", c->kind, "rest: history | showroom")
      ->check(CLI::IsMember({"history", "showroom"}))
      ->capture_default_str();
  cmd->add_option("--rooms", o.rooms, "rest: streams to spread the requests over")->capture_default_str();
  cmd->add_option("--seed-messages", o.seed_messages, "rest: messages posted into each new stream first")
      ->capture_default_str();
  cmd->add_option("--apikey", o.apikey,
                  "rest showroom, platform: the apikey query value (default: one made with the admin key)");
  cmd->add_option("--rest-timeout", o.rest_timeout_s, "rest: seconds before unfinished requests count as errors")
      ->check(CLI::Range(0.1, 3600.0))
      ->capture_default_str();

  cmd->add_option("--top", o.top,
                  "platform: viewers of the largest stream; the rest fall off as a Zipf law (stream i gets "
                  "about top/i^s, s fitted so every stream has at least 1 and all add up to --viewers)")
      ->check(CLI::Range(1u, 1000000u))
      ->capture_default_str();
  cmd->add_option("--alpha", o.alpha,
                  "platform: a stream's chat rate grows with its audience as viewers^alpha (1: in proportion, "
                  "0: every stream alike); the rates add up to --rate")
      ->check(CLI::Range(0.0, 4.0))
      ->capture_default_str();
  cmd->add_option("--gift-share", o.gift_share,
                  "platform (default 0.05), fanout/slow (default 0, sorak only): share of each sender's messages "
                  "sent as gifts; fanout/slow report every gift owed to a viewer and not read")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--delete-rate", o.delete_rate,
                  "fanout/slow (sorak only): the stream's owner deletes the newest chat line over REST this many "
                  "times a second while sending; every deletion owed to a viewer and not read is reported")
      ->check(CLI::Range(0.0, 1000.0))
      ->capture_default_str();
  cmd->add_option("--churn", o.churn,
                  "platform: viewers leaving per second (a random one closes), and as many joining a stream drawn "
                  "by the streams' audiences")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--bots", o.bots,
                  "platform: REST clients polling history and the Showroom API (--protocol ws: give 0, a relay "
                  "has no REST API)")
      ->capture_default_str();
  cmd->add_option("--bot-rate", o.bot_rate, "platform: the bots' requests per second, all together")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();

  cmd->add_option("--channel", o.channel, "irc: the channel")->capture_default_str();
  cmd->add_option("--server-pid", o.server_pids,
                  "server process: CPU and RSS from /proc over the run; several (again, or a comma list): "
                  "one per node, the figures summed, each node's apart in server_processes")
      ->delimiter(',')
      ->allow_extra_args(false);
  cmd->add_option("--aux-pid", o.aux_pids,
                  "fanout/slow: another process the server depends on (Redis): its CPU over the same window, "
                  "reported apart in aux_processes, not added to the server's")
      ->delimiter(',')
      ->allow_extra_args(false);
  cmd->add_flag("--json", o.json_only, "print only the JSON line");
  cmd->add_option("--label", o.label, "copied into the JSON");
  cmd->callback([c, &g, &action] { action = [c, &g] { return run_bench_command(g, *c); }; });
}

}  // namespace sorak::cli
