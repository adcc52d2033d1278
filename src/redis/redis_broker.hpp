// redis_broker.hpp: the broker across nodes (`--broker redis://HOST:PORT`).
//
// Every node publishes its streams' events to one Redis channel per stream
// (`sorak:stream:<id>`) and subscribes to the channels of the streams it has
// rooms for, its own included: a node applies its own events other than
// messages when Redis gives them back, so every node applies concurrent
// changes (a ban and its lifting through two nodes) in the one order Redis
// gave them. Its own messages go to its viewers at once, without the round
// trip: each carries the store's seq, which puts it in its place among the
// other nodes' (below). Each event carries an envelope (event_codec.hpp): the publishing
// node, its epoch (new at each start) and a counter per stream of that node,
// so a receiver sees a jump when it missed one (counted and logged).
//
// Messages of a stream reach the receiver in the store's sequence: two nodes
// writing one stream publish in the order their commits finished, which
// Redis can pass on the other way round, so a message past the next expected
// one waits up to 100 ms for those before it. Those that still did not come
// (a publish lost with a connection) are read back from the store (the
// message source: every message before a published one is committed), as is
// everything published while the subscriber was away, once it is subscribed
// again. Changes other than messages missed that way (deletions, bans,
// badges, settings) cannot be read back one by one: after an outage, and
// after a jump in another node's counters, each subscribed stream's room is
// brought to what the store holds (message_source::state). The store reads
// run on the broker's thread.
//
// hiredis's asynchronous API runs on the broker's own Asio thread (never a
// worker's): publish() only hands the event over (encoding and sending happen
// on that thread), and received events go to the receiver from it. Two
// connections: one publishes (pipelined), one subscribes. Each is probed with
// PING every second; one that gave no answer for 3 s (a stalled proxy, a
// failover) is dropped and opened again, as is one that broke, every 250 ms
// until Redis answers; the subscriptions are made again on the new one.
// While the publishing connection is down, events go straight to this node's
// own receiver, so its viewers miss nothing of what it publishes; the other
// nodes see the jump in its counters.
//
// Nodes: every node publishes a report (event_codec.hpp: node_report) on
// `sorak:nodes` every second and hears the others'; one not heard for 4 s is
// not alive (node_alive), so its viewer counts stop counting within 10 s of
// its crash. The same heartbeat, heard back, tells a node that its own
// connections work. Viewer counts travel on that channel too, so every node
// knows every stream's count, rooms open here or not: a node's changed counts
// at once (count_viewers), its whole table after it (re)connects, and, since
// it may have missed changes meanwhile, it says hello and every node answers
// with its whole table on its next heartbeat (viewers_elsewhere sums them).
//
// Thread-safety: every public member may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "sorak/broker.hpp"
#include "sorak/result.hpp"

namespace sorak {

struct redis_address {
  std::string host;
  int port = 6379;
};
// redis://HOST[:PORT][/], 400 `invalid_broker` for anything else.
result<redis_address> parse_redis_url(const std::string& url);

class redis_broker final : public broker {
 public:
  // `node_id` names this node to the others (its events, its viewer counts).
  redis_broker(redis_address where, std::string node_id);
  ~redis_broker() override;
  redis_broker(const redis_broker&) = delete;
  redis_broker& operator=(const redis_broker&) = delete;

  void set_receiver(receiver r) override;
  void set_message_source(message_source source) override;
  void publish(room_event ev) override;
  void subscribe(const std::string& stream_id) override;
  void unsubscribe(const std::string& stream_id) override;

  // Both connections are up and every subscription is confirmed on the
  // current one (readiness; /readyz).
  bool connected() const override;
  bool node_alive(const std::string& node_id) const override;
  void count_viewers(std::vector<std::pair<std::string, std::int64_t>> changed) override;
  std::int64_t viewers_elsewhere(const std::string& stream_id) const override;
  // Waits up to `timeout` for connected() (tests, start-up).
  bool wait_connected(std::chrono::milliseconds timeout) const;
  // Jumps seen so far: in a node's counters, or messages that never came.
  std::uint64_t gaps() const override;
  // Messages read back from the store (set_message_source) after they did not come.
  std::uint64_t recovered() const override;
  // Times a stream's state (message_source::state) was read back and applied.
  std::uint64_t states_reloaded() const;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace sorak
