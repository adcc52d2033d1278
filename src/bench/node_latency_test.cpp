#include "bench/node_latency.hpp"

#include <gtest/gtest.h>

#include "bench/engine.hpp"

namespace sorak::bench {
namespace {

stamp from_sender(std::uint32_t sender) {
  stamp st;
  st.sender = sender;
  st.seq = 1;
  st.has_seq = true;
  return st;
}

std::vector<conn_spec> specs_of(std::vector<conn_role> roles) {
  std::vector<conn_spec> specs(roles.size());
  for (std::size_t i = 0; i < roles.size(); ++i) specs[i].role = roles[i];
  return specs;
}

TEST(NodeLatency, SplitsBySenderNodeAgainstViewerNode) {
  node_latency split;
  split.plan({0, 1, 0}, 2);  // senders 0 and 2 on node 0, sender 1 on node 1
  ASSERT_TRUE(split.enabled());
  split.record(0, from_sender(0), 1000);
  split.record(0, from_sender(2), 2000);
  split.record(0, from_sender(1), 5000);
  split.record(1, from_sender(0), 7000);
  split.record(1, from_sender(1), 3000);
  EXPECT_EQ(split.same_node().count(), 3u);
  EXPECT_EQ(split.same_node().max(), 3000u);
  EXPECT_EQ(split.cross_node().count(), 2u);
  EXPECT_EQ(split.cross_node().max(), 7000u);
  EXPECT_EQ(split.unplaced(), 0u);
}

TEST(NodeLatency, AStampWithoutAKnownSenderIsUnplaced) {
  node_latency split;
  split.plan({0, 1}, 2);
  split.record(0, from_sender(2), 1000);  // no such sender
  stamp bare;                             // no s=<sender>.<seq>
  split.record(0, bare, 1000);
  EXPECT_EQ(split.unplaced(), 2u);
  EXPECT_EQ(split.same_node().count() + split.cross_node().count(), 0u);
}

TEST(NodeLatency, OneNodeSplitsNothing) {
  node_latency split;
  split.plan({0, 0}, 1);
  EXPECT_FALSE(split.enabled());
  split.record(0, from_sender(0), 1000);
  EXPECT_EQ(split.same_node().count(), 0u);
  EXPECT_EQ(split.unplaced(), 0u);
}

TEST(NodeLatency, MergeAddsThreadsUp) {
  node_latency a, b, total;
  a.plan({0, 1}, 2);
  b.plan({0, 1}, 2);
  a.record(0, from_sender(0), 1000);
  b.record(0, from_sender(1), 9000);
  b.record(1, from_sender(1), 4000);
  total.merge(a);
  total.merge(b);
  EXPECT_TRUE(total.enabled());
  EXPECT_EQ(total.same_node().count(), 2u);
  EXPECT_EQ(total.cross_node().count(), 1u);
  EXPECT_EQ(total.cross_node().max(), 9000u);
}

TEST(DealOverNodes, EachRoleRoundRobinOnItsOwn) {
  using r = conn_role;
  auto specs = specs_of({r::viewer, r::stalled, r::viewer, r::sender, r::sender, r::sender});
  deal_over_nodes(specs, 2);
  std::vector<int> nodes;
  for (const auto& s : specs) nodes.push_back(s.node);
  EXPECT_EQ(nodes, (std::vector<int>{0, 1, 0, 0, 1, 0}));
  EXPECT_EQ(sender_nodes(specs), (std::vector<std::uint8_t>{0, 1, 0}));
}

TEST(DealOverNodes, OneNodeKeepsEveryoneOnIt) {
  auto specs = specs_of({conn_role::viewer, conn_role::sender, conn_role::sender});
  deal_over_nodes(specs, 1);
  for (const auto& s : specs) EXPECT_EQ(s.node, 0);
  deal_over_nodes(specs, 0);  // no nodes given counts as one
  for (const auto& s : specs) EXPECT_EQ(s.node, 0);
}

}  // namespace
}  // namespace sorak::bench
