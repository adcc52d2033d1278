// engine.hpp: the connection engine behind `sorak bench`'s chat
// scenarios (fanout, slow, idle, connect, ingest). One Asio io_context per thread,
// raw non-blocking TCP sockets in each thread's own epoll set, our own
// WebSocket client framing (and IRC lines), one large read buffer per thread
// shared by all its connections, and no JSON parsing on the receive path
// (see wire.hpp and docs/bench.md). Each thread and its parts (I/O, wire,
// pacing, counting) are described in load_thread.hpp; this file and
// engine.cpp are the driver's side.
//
// The scenario driver (scenarios.cpp) builds a chat_load with every
// connection it will use, then drives it from its own thread: open() groups
// of connections, start_sending(), poll snapshot() while it waits, and
// finish() for the totals. Connection i lives on thread i % threads for its
// whole life; every member function is called from the driver's thread only,
// and reaches the connections by posting to their threads. Counters are
// published by each thread (relaxed atomics) after each batch of work, so a
// snapshot() may lag by one batch.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench/histogram.hpp"
#include "bench/node_latency.hpp"
#include "bench/options.hpp"
#include "bench/proc.hpp"

namespace sorak::bench {

// viewer: reads and counts; sender: sends (and reads, so it is never a slow
// consumer itself); stalled: a viewer that stops reading once it has joined.
enum class conn_role : std::uint8_t { viewer = 0, sender = 1, stalled = 2 };
inline constexpr int role_count = 3;

struct conn_spec {
  conn_role role = conn_role::viewer;
  std::uint8_t node = 0;  // which of load_settings::nodes it connects to
  std::string opening;    // sent once TCP is up: the upgrade request, or IRC NICK/USER
  // platform: the stream it talks in, that stream's audience band (its
  // latency is kept apart, load_settings::bands), and a sender's share of
  // the messages (load_settings::weighted).
  std::uint32_t stream = 0;
  std::uint8_t band = 0;
  double weight = 1;
};

// Deals connections over `nodes` nodes round-robin, each role on its own:
// the k-th viewer (or stalled viewer) goes to node k mod nodes, and so does
// the k-th sender, so every node gets its share of both.
void deal_over_nodes(std::vector<conn_spec>& specs, std::size_t nodes);
// The node of each sender, by sender ordinal (the order the senders have in
// `specs`, as chat_load numbers them): node_latency's table.
std::vector<std::uint8_t> sender_nodes(const std::vector<conn_spec>& specs);

struct load_settings {
  // Where the connections go: one address, or one per node of a server run
  // as several (conn_spec::node picks it). Never empty.
  std::vector<target> nodes;
  wire_protocol protocol = wire_protocol::sorak;
  unsigned threads = 1;
  std::uint32_t size = 100;             // message content bytes
  std::uint32_t stalled_rcvbuf = 8192;  // SO_RCVBUF of stalled connections
  std::string channel = "#bench";       // irc
  bool io_uring = true;                 // batch reads through io_uring where the kernel allows
  // ingest: every message carries a client_id holding its send stamp, and the
  // server's acks are counted and timed (send → ack).
  bool acks = false;
  // sorak, ws: offer permessage-deflate in the upgrade and inflate RSV1 frames.
  bool ws_compression = false;
  // platform: latency kept per band (conn_spec::band) when > 0; each message
  // goes to a sender picked by weight (conn_spec::weight), not in turn; a
  // share of each sender's messages are gifts (load_settings::gift_id), and
  // gifts are traced: each viewer's received ones, each sender's broadcast
  // ones (load_totals::sessions, gifts_broadcast; ws: its sent ones).
  std::uint8_t bands = 0;
  bool weighted = false;
  double gift_share = 0;
  std::string gift_id = "clap";
  // fanout/slow with --delete-rate: viewers (stalled ones too) keep the key of
  // every `message_deleted` event they read (viewer_session::deletions).
  bool trace_deletions = false;
};

// platform: a gift as a sender saw it broadcast in its stream (ws: as it
// sent it). key: the stamp's sender << 32 | seq.
struct gift_seen {
  std::uint32_t stream = 0;
  std::uint64_t key = 0;
  std::int64_t t_ns = 0;  // its send stamp
};
inline std::uint64_t gift_key(std::uint32_t sender, std::uint64_t seq) {
  return (std::uint64_t{sender} << 32) | (seq & 0xFFFFFFFFu);
}

// platform, and fanout/slow with traced events: one viewer connection from
// ready to its end (0: open at the end), the keys of the gifts it read that
// were sent after it was ready, and (load_settings::trace_deletions) the
// keys of the deletions it read (event_trace.hpp). `role`: viewer, or a
// stalled viewer (slow).
struct viewer_session {
  std::uint32_t stream = 0;
  std::int64_t joined_ns = 0;
  std::int64_t left_ns = 0;
  std::vector<std::uint64_t> gifts;
  std::vector<std::uint64_t> deletions;
  conn_role role = conn_role::viewer;
};

// Counters, summed over the threads.
struct load_counters {
  std::uint64_t ready[role_count] = {};  // ever reached the ready state
  std::uint64_t open[role_count] = {};   // ready and still open
  std::uint64_t failed = 0;              // never became ready
  std::uint64_t delivered = 0;           // stamped messages read by viewers
  std::uint64_t stalled_delivered = 0;   // … by stalled viewers (after they resumed)
  std::uint64_t sender_received = 0;
  std::uint64_t foreign = 0;       // messages without a bench stamp (not counted)
  std::uint64_t sent = 0;          // message frames fully written
  std::uint64_t write_failed = 0;  // message frames lost with their connection
  std::uint64_t unsent = 0;        // no sender was left to send them
  std::uint64_t closed = 0;        // ready viewers/senders the server closed
  std::uint64_t stalled_cut = 0;   // stalled viewers the server closed
  std::uint64_t error_events = 0;  // sorak `error` events, IRC error numerics
  std::uint64_t out_of_order = 0;  // a sender's sequence seen twice or backwards
  std::uint64_t acked = 0;         // ingest: acks read by senders
  std::uint64_t viewer_bytes = 0;  // WebSocket frame bytes viewers read once ready (what the wire carried)
  std::uint64_t compressed_frames = 0;  // … of which frames with RSV1 (permessage-deflate), inflated here
  std::uint64_t left = 0;          // platform: viewers the bench closed (leave(), churn)
  std::uint64_t gifts_sent = 0;    // platform: gift frames issued
  std::uint64_t gifts_read = 0;    // platform, fanout/slow: gifts read by viewers (stalled ones too)
  std::uint64_t deletions_read = 0;  // fanout/slow: message_deleted events read by viewers (stalled ones too)
  std::int64_t last_delivery_ns = 0;

  void add(const load_counters& o);
};

struct load_totals {
  load_counters counters;
  latency_histogram latency;                         // viewers: now − stamp, every delivered message
  latency_histogram connect_latency;                 // TCP connect start → ready
  latency_histogram ack_latency;                     // ingest: message written → its ack read
  node_latency by_node;                              // several nodes: latency, sender's node vs viewer's
  std::vector<latency_histogram> by_band;            // load_settings::bands > 0: latency per band
  std::vector<viewer_session> sessions;              // gifts or deletions traced: every viewer that was ready
  std::vector<gift_seen> gifts_broadcast;            // … and every gift a sender saw broadcast
  std::map<std::string, std::uint64_t> error_codes;  // sorak `error` events by code
  std::map<std::string, std::uint64_t> close_codes;  // "1008 slow consumer" → n
  std::string first_error;
  bool io_uring_reads = false;  // every thread read through io_uring
};

class chat_load {
 public:
  chat_load(load_settings settings, std::vector<conn_spec> conns);
  ~chat_load();
  chat_load(const chat_load&) = delete;
  chat_load& operator=(const chat_load&) = delete;

  // Opens connections [first, first + count), at most `concurrency` at once
  // (split evenly over the threads), and waits until each is ready or failed,
  // or until `timeout_s` has passed (the rest then fail as timed out).
  // With `rate` > 0 they start on a fixed schedule of `rate` per second (open
  // loop): a connection's latency counts from its scheduled start, so time it
  // waited behind the cap or a slow server is not hidden.
  void open(std::uint32_t first, std::uint32_t count, std::uint32_t concurrency, double timeout_s, double rate = 0);
  // The same, open loop at `rate` per second, without waiting: returns at once.
  void start_opening(std::uint32_t first, std::uint32_t count, std::uint32_t concurrency, double rate);
  // Connection i, when ready, leaves: the bench closes it (counted as `left`,
  // not as closed by the server). Returns at once.
  void leave(std::uint32_t i);

  // Sends `total` messages, spread evenly over `duration_s` and over the ready
  // senders (load_settings::weighted: by weight), paced by a 1 ms timer on
  // each thread. Returns at once.
  void start_sending(std::uint64_t total, double duration_s);

  // Closed loop (ingest): every ready sender keeps `window` messages in
  // flight, sending the next as soon as one is acked or refused, until
  // `duration_s` has passed. Needs load_settings::acks. Returns at once.
  void start_closed_loop(std::uint32_t window, double duration_s);

  // Stalled viewers read again: what they read counts as stalled_delivered,
  // and a close from the server as stalled_cut.
  void resume_stalled();

  load_counters snapshot() const;

  // Closes every connection, stops the threads and merges what they counted.
  // Call once; the other functions must not be called after.
  load_totals finish();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace sorak::bench
