// node_latency.hpp: delivery latency split by the nodes a message went
// through, when `sorak bench fanout` spreads its connections over a server
// run as several nodes (sorakd --broker redis://). `same_node`: the sender
// and the viewer that read the message were connected to one node;
// `cross_node`: to different ones, so the message crossed the broker from the
// sender's node to the viewer's.
//
// The message does not say which node its sender was on: its stamp carries
// the sender's ordinal (wire.hpp), and the table given to plan() holds the
// node of each ordinal, as the scenario dealt them (engine.hpp,
// deal_over_nodes).
//
// Thread rule: one owner, like latency_histogram (each load thread has its
// own); merge() them after the threads have stopped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "bench/histogram.hpp"
#include "bench/wire.hpp"

namespace sorak::bench {

class node_latency {
 public:
  // sender_nodes[i] is the node of sender ordinal i. With fewer than two
  // nodes nothing is split: record() does nothing and enabled() is false.
  void plan(std::vector<std::uint8_t> sender_nodes, std::size_t nodes);
  bool enabled() const { return enabled_; }

  // One delivery, `ns` after its stamp, read by a viewer on `viewer_node`.
  // A stamp without a sender ordinal in the table counts as unplaced.
  void record(std::uint8_t viewer_node, const stamp& st, std::uint64_t ns) {
    if (!enabled_) return;
    if (!st.has_seq || st.sender >= sender_nodes_.size()) {
      ++unplaced_;
      return;
    }
    (sender_nodes_[st.sender] == viewer_node ? same_ : cross_).record(ns);
  }
  void merge(const node_latency& other);

  const latency_histogram& same_node() const { return same_; }
  const latency_histogram& cross_node() const { return cross_; }
  std::uint64_t unplaced() const { return unplaced_; }

 private:
  std::vector<std::uint8_t> sender_nodes_;
  latency_histogram same_;
  latency_histogram cross_;
  std::uint64_t unplaced_ = 0;
  bool enabled_ = false;
};

}  // namespace sorak::bench
