// load_tally.hpp: what one load thread counts (engine.hpp's load_counters,
// the latency histograms, close reasons, the first error) and the per-viewer
// order table that catches a sender's sequence seen twice or backwards.
//
// Thread rule: every member function but counters() is called on the owning
// load thread only. publish() copies the counts into relaxed atomics that
// any thread may read through counters() and read_published(); a reader may
// lag by one batch of work.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bench/connection.hpp"
#include "bench/engine.hpp"
#include "bench/node_latency.hpp"
#include "bench/wire.hpp"

namespace sorak::bench {

// Counters a thread publishes for the driver; one cache line per thread so
// the threads never share one.
struct alignas(64) published {
  std::atomic<std::uint64_t> ready[role_count] = {};
  std::atomic<std::uint64_t> open[role_count] = {};
  std::atomic<std::uint64_t> failed{0}, delivered{0}, stalled_delivered{0}, sender_received{0}, foreign{0};
  std::atomic<std::uint64_t> sent{0}, write_failed{0}, unsent{0}, closed{0}, stalled_cut{0}, error_events{0};
  std::atomic<std::uint64_t> out_of_order{0}, acked{0}, viewer_bytes{0}, compressed_frames{0};
  std::atomic<std::uint64_t> left{0}, gifts_sent{0}, gifts_read{0}, deletions_read{0};
  std::atomic<std::int64_t> last_delivery_ns{0};
};

// What `p` holds now (relaxed loads); any thread.
load_counters read_published(const published& p);

class load_tally {
 public:
  // Gives each viewer its slots in the order table, once every connection
  // is added; a table over order_table_limit entries is not kept (no check).
  void plan_order_table(const std::vector<std::unique_ptr<connection>>& conns, std::uint32_t senders);
  // The node of each sender ordinal, when the connections go to several nodes.
  void plan_nodes(std::vector<std::uint8_t> sender_nodes, std::size_t nodes) {
    by_node_.plan(std::move(sender_nodes), nodes);
  }
  // Keeps latency per band as well (load_settings::bands).
  void plan_bands(std::uint8_t bands) { by_band_.resize(bands); }

  void ready(const connection& c, std::int64_t now);                           // reached phase::ready
  void failed(const std::string& why);                                          // never became ready
  void lost(conn_role role, std::uint32_t unsent_msgs, const std::string& why);  // ready, then ended
  void sample(connection& c, const stamp& st, std::int64_t now);               // stamped, to a viewer
  void left(conn_role role);                                                   // closed by the bench (leave)
  void gift_sent() { ++local_.gifts_sent; }
  void gift_broadcast(const connection& sender, const stamp& st);             // a sender saw (ws: sent) its gift
  void foreign() { ++local_.foreign; }                                          // a message without a stamp
  void deletion(connection& c, std::uint64_t key);                             // a message_deleted event, to a viewer
  void sender_echo() { ++local_.sender_received; }
  void error_event(std::string_view text);  // a sorak `error` event or IRC error numeric
  void ack(std::string_view payload, std::int64_t now);  // a sorak `ack` event, timed by its client_id
  void sent(std::uint32_t msgs) { local_.sent += msgs; }
  // A whole frame of `bytes` read by a ready viewer; `compressed`: it had RSV1.
  void viewer_frame(std::size_t bytes, bool compressed) {
    local_.viewer_bytes += bytes;
    local_.compressed_frames += compressed ? 1 : 0;
  }
  void unsent(std::uint64_t msgs) { local_.unsent += msgs; }
  void note_error(const std::string& why);  // kept when it is the first

  void publish();
  const published& counters() const { return pub_; }
  // What this thread counted, added to `t`; after the thread has stopped.
  void collect(load_totals& t) const;

 private:
  void check_order(const connection& c, const stamp& st);

  load_counters local_;
  latency_histogram latency_;
  latency_histogram connect_latency_;
  latency_histogram ack_latency_;
  node_latency by_node_;
  std::vector<latency_histogram> by_band_;
  std::vector<gift_seen> gifts_broadcast_;
  std::map<std::string, std::uint64_t, std::less<>> error_codes_;
  std::vector<std::uint32_t> order_;
  std::uint32_t senders_total_ = 0;
  std::size_t order_viewers_ = 0;  // viewers in the order table: its row length
  std::map<std::string, std::uint64_t> close_codes_;
  std::string first_error_;
  published pub_;
};

}  // namespace sorak::bench
