// load_thread.hpp: one thread of the chat load (engine.hpp) and the
// connections it owns: an Asio io_context run on its own std::thread, and
// the parts that do the work, each in its own file:
//   load_io      sockets, the epoll set, connect, send, (batched) reads
//   load_wire    bytes → events: upgrade, frames, lines, stamped messages
//   load_pacing  when the next connection starts and the next message is due
//   load_tally   what the thread counts, published for the driver
// load_thread itself holds a connection's life (connecting → ready →
// closed), the two timers (the open-loop connect pace and the 1 ms send
// tick), and ingest's closed loop (a sender's next message goes out when one
// of its window is acked or refused).
//
// Thread rule: add(), plan_order_table(), plan_nodes() and start() are called by the
// driver before start(); join(), counters() and collect() from the driver
// too (collect() after join()). Every other public function runs on the
// load thread: the driver calls it through asio::post(io(), …).
#pragma once

#include <netinet/in.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench/connection.hpp"
#include "bench/engine.hpp"
#include "bench/load_io.hpp"
#include "bench/load_pacing.hpp"
#include "bench/load_tally.hpp"
#include "bench/load_wire.hpp"

namespace sorak::bench {

class load_thread final : private io_events, private wire_events {
 public:
  // `peers`: the address of each node (load_settings::nodes), by node index.
  load_thread(const load_settings& s, const std::vector<sockaddr_in>& peers);
  ~load_thread() { join(); }

  // ---- the driver's thread -------------------------------------------------
  connection& add(conn_spec spec, std::uint32_t sender_ordinal);
  // Sizes the per-viewer order table once every connection is added.
  void plan_order_table(std::uint32_t senders) { tally_.plan_order_table(conns_, senders); }
  // The node of each sender ordinal, to split latency by node (node_latency).
  void plan_nodes(std::vector<std::uint8_t> sender_nodes, std::size_t nodes) {
    tally_.plan_nodes(std::move(sender_nodes), nodes);
  }
  void start();
  void join();
  boost::asio::io_context& io() { return io_; }
  const published& counters() const { return tally_.counters(); }
  bool reads_through_ring() const { return sockets_.reads_through_ring(); }
  // After join(): what this thread counted, added to `t`.
  void collect(load_totals& t) const;

  // ---- the load thread (through post) ---------------------------------------
  // Opens `group`, at most `limit` at a time; `rate` > 0: open loop.
  void open(std::vector<connection*> group, std::uint32_t limit, double rate);
  // Everything still waiting or half-open fails as timed out.
  void abandon();
  void start_sending(std::uint64_t quota, std::int64_t start_ns, std::int64_t duration_ns);
  // ingest, closed loop: each ready sender keeps `window` messages in flight until end_ns.
  void start_closed_loop(std::uint32_t window, std::int64_t end_ns);
  void resume_stalled();
  // A ready viewer leaves (platform churn): closed by us, counted as left.
  void leave(connection& c);
  void close_all();

 private:
  bool closing() const { return sockets_.stopping(); }
  void start_more();
  void start_one(connection& c, std::int64_t due);
  void arm_pace(std::int64_t due_ns);
  void on_tick();
  void issue_due(std::int64_t now);
  void arm_tick();
  void issue_one(connection& s, std::int64_t now);
  void answered(connection& c, std::int64_t now);
  void settle();
  static void release(connection& c);

  // io_events and wire_events
  std::size_t consume(connection& c, char* d, std::size_t n, std::int64_t now) override;
  void failed(connection& c, const std::string& why) override;
  void lost(connection& c, const std::string& why) override;
  void sent(std::uint32_t msgs) override { tally_.sent(msgs); }
  void batch_done() override { tally_.publish(); }
  void joined(connection& c, std::int64_t now) override;
  void sample(connection& c, const stamp& st, std::int64_t now) override { tally_.sample(c, st, now); }
  void foreign(connection&) override { tally_.foreign(); }
  void deletion(connection& c, std::uint64_t key) override { tally_.deletion(c, key); }
  void sender_echo(connection&) override { tally_.sender_echo(); }
  void gift_broadcast(connection& c, const stamp& st) override { tally_.gift_broadcast(c, st); }
  void ack(connection& c, std::string_view payload, std::int64_t now) override;
  void error_event(connection& c, std::string_view text) override;
  void send(connection& c) override { sockets_.flush(c); }
  void frame_read(connection& c, std::size_t bytes, bool compressed) override {
    if (c.role == conn_role::viewer && c.state == phase::ready) tally_.viewer_frame(bytes, compressed);
  }

  const load_settings& settings_;
  // Every descriptor and timer of this thread is used on it alone; only
  // post() comes from elsewhere, so the reactor needs no I/O locking.
  boost::asio::io_context io_{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  load_io sockets_;
  wire_reader wire_;
  boost::asio::steady_timer tick_;  // sending: every send_tick
  boost::asio::steady_timer pace_;  // open-loop connecting: the next scheduled start
  std::vector<std::unique_ptr<connection>> conns_;  // destroyed before sockets_ and io_
  std::thread thread_;

  open_schedule opens_;
  bool starting_ = false;  // in start_more()
  bool pacing_ = false;    // pace_ is armed
  send_schedule sends_;
  // ingest, closed loop: messages each sender keeps in flight, and until when.
  std::uint32_t window_ = 0;
  std::int64_t loop_end_ns_ = 0;
  std::string scratch_;
  load_tally tally_;
};

}  // namespace sorak::bench
