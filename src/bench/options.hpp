// options.hpp: what `sorak bench` is asked to do, and what it found.
//
// bench_options is filled by the CLI (apps/sorak/bench_command.cpp) and read
// by the scenarios (scenarios.cpp, ingest.cpp, rest.cpp); bench_result is filled
// by a scenario and printed by bench_report. Plain values: any thread may use
// its own copy.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace sorak::bench {

enum class scenario { fanout, idle, connect, slow, rest, ingest, platform };
// sorak: our WebSocket chat; irc: plain IRC in one channel; ws: a raw
// WebSocket broadcast server (every text frame is sent to every other client).
enum class wire_protocol { sorak, irc, ws };
enum class rest_kind { history, showroom };

struct bench_options {
  scenario what = scenario::fanout;
  wire_protocol protocol = wire_protocol::sorak;
  std::string url = "http://127.0.0.1:8080";  // the global --url, or the first of several
  // fanout and slow: every node of a server run as several (sorakd --broker redis://),
  // url first; viewers and senders are dealt round-robin over them. Empty: url alone.
  std::vector<std::string> node_urls;
  std::string admin_key;                       // the global --admin-key / SORAK_ADMIN_KEY
  unsigned threads = 1;
  bool io_uring = true;  // chat scenarios: each batch of reads as one io_uring submission
  // sorak, ws: offer permessage-deflate (as browsers do) and inflate compressed frames (off by
  // default, so runs stay comparable with figures from before it existed).
  bool ws_compression = false;

  // sorak: signing secret for the tokens the bench mints, and the stream.
  std::string secret;
  std::string secret_file;
  std::string stream;  // empty: create one

  // fanout and slow (senders, rate, size, duration and drain: ingest too)
  std::uint32_t viewers = 100;
  std::uint32_t senders = 10;
  double rate = 100;         // messages per second, all senders together; ingest: 0 is closed loop
  std::uint32_t size = 100;  // content bytes per message
  double duration_s = 10;
  double drain_s = 5;
  double stalled_share = 0.05;          // slow
  std::uint32_t stalled_rcvbuf = 8192;  // slow: SO_RCVBUF of a stalled viewer
  // fanout and slow, sorak only: events the server never thins, traced to every viewer
  // (event_trace.hpp): --gift-share of each sender's messages sent as gifts (0: none; platform
  // shares the option, with its own default), and the stream's owner deleting a chat line over
  // REST --delete-rate times a second (0: never; moderator.hpp).
  double delete_rate = 0;

  // ingest
  std::uint32_t streams = 1;  // senders spread round-robin over this many streams
  std::uint32_t window = 4;   // closed loop (--rate 0): messages in flight per sender

  // idle and connect
  std::uint32_t connections = 1000;
  double hold_s = 10;
  std::uint32_t concurrency = 0;  // 0: the scenario's default
  double connect_timeout_s = 60;
  double connect_rate = 0;  // connections started per second (open loop); 0: as fast as concurrency allows

  // rest
  std::uint64_t requests = 10000;
  rest_kind kind = rest_kind::history;
  std::uint32_t rooms = 1;
  std::uint32_t seed_messages = 50;  // posted into each room before a history run
  std::string apikey;                // showroom
  double rest_timeout_s = 120;

  // platform (platform.cpp): --streams, --viewers, --rate (the whole platform's
  // chat), --size, --duration and --drain as above, with the defaults below
  // when not given (bench_command.cpp), and:
  std::uint32_t top = 5000;   // viewers of the largest stream
  double alpha = 0.5;         // a stream's chat rate ∝ its viewers^alpha
  double gift_share = 0;      // of each stream's messages (platform_defaults::gift_share when not given)
  double churn = 200;         // viewers leaving, and as many joining, per second
  std::uint32_t bots = 100;   // REST clients polling history and the Showroom API
  double bot_rate = 100;      // their requests per second, all together

  // irc and ws
  std::string channel = "#bench";

  // reporting
  std::vector<int> server_pids;  // the server's processes (one per node): their CPU and RSS, summed
  std::vector<int> aux_pids;     // processes measured apart over the same window (Redis): not summed in
  bool json_only = false;
  std::string label;
};

// The platform scenario's defaults for the options it shares with others.
struct platform_defaults {
  static constexpr std::uint32_t streams = 300;
  static constexpr std::uint32_t viewers = 15000;
  static constexpr double rate = 1000;
  static constexpr double duration_s = 30;
  static constexpr double drain_s = 3;
  static constexpr double gift_share = 0.05;
};

// Latency percentiles in milliseconds.
struct latency_figures {
  std::uint64_t count = 0;
  double p50 = 0, p90 = 0, p99 = 0, max = 0;
};

// The server process, read from /proc over the measured window.
struct server_figures {
  bool measured = false;
  double cpu_s = 0;
  double cpu_cores = 0;  // cpu_s / window
  double rss_mb = 0;     // largest VmRSS seen during the run
  double rss_start_mb = 0;
  double rss_end_mb = 0;
  double rss_per_conn_bytes = 0;  // idle: (after - before) / connections
};

struct bench_result {
  std::string scenario;
  std::string label;
  std::string protocol;
  std::uint64_t connections = 0;  // attempted
  std::uint64_t connected = 0;    // reached the ready state
  double connect_ms = 0;          // wall time to open them all
  latency_figures connect_latency;

  std::uint64_t sent = 0;
  std::uint64_t expected = 0;
  std::uint64_t delivered = 0;
  double ratio = 0;
  double deliveries_per_s = 0;
  latency_figures latency;  // fanout/slow: end to end; connect: connect; rest: request

  server_figures server;
  double client_cpu_s = 0;  // this process, over the same window as the server
  double client_cpu_cores = 0;

  std::uint64_t errors = 0;
  std::map<std::string, std::uint64_t> error_kinds;  // connect_failed, closed, error_events, …
  std::string first_error;
  double duration_s = 0;

  // Figures only one scenario has (stalled viewers, requests/s, statuses…).
  boost::json::object extra;
};

const char* scenario_name(scenario s);
const char* protocol_name(wire_protocol p);

}  // namespace sorak::bench
