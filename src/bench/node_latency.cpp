#include "bench/node_latency.hpp"

#include <utility>

namespace sorak::bench {

void node_latency::plan(std::vector<std::uint8_t> sender_nodes, std::size_t nodes) {
  enabled_ = nodes > 1;
  sender_nodes_ = enabled_ ? std::move(sender_nodes) : std::vector<std::uint8_t>{};
}

void node_latency::merge(const node_latency& other) {
  enabled_ = enabled_ || other.enabled_;
  same_.merge(other.same_);
  cross_.merge(other.cross_);
  unplaced_ += other.unplaced_;
}

}  // namespace sorak::bench
