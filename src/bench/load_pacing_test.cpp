#include "bench/load_pacing.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace sorak::bench {
namespace {

TEST(SendSchedule, SpreadsTheQuotaEvenlyOverTheDuration) {
  send_schedule s;
  s.begin(100, 1000, 1000);
  EXPECT_EQ(s.due(0), 0u);
  EXPECT_EQ(s.due(1000), 0u);
  EXPECT_EQ(s.due(1250), 25u);
  EXPECT_EQ(s.due(1999), 99u);
  EXPECT_EQ(s.due(2000), 100u);
  EXPECT_EQ(s.due(5000), 100u);
}

TEST(SendSchedule, TakesReadySendersInTurnAndGivesUpWithoutThem) {
  connection a, b, c;
  a.state = phase::ready;
  b.state = phase::closed;
  c.state = phase::ready;
  send_schedule s;
  for (connection* x : {&a, &b, &c}) s.add_sender(x);
  s.begin(10, 0, 1);
  EXPECT_EQ(s.next_sender(), &a);
  EXPECT_EQ(s.next_sender(), &c);  // b is closed: skipped
  EXPECT_EQ(s.next_sender(), &a);
  s.issue();
  a.state = c.state = phase::closed;
  EXPECT_EQ(s.next_sender(), nullptr);
  EXPECT_EQ(s.give_up(), 9u);
  EXPECT_TRUE(s.done());
}

TEST(SendSchedule, WeightedPicksFollowTheWeightsAndSkipClosedSenders) {
  connection a, b, c;
  a.state = b.state = c.state = phase::ready;
  a.weight = 3;
  b.weight = 1;
  c.weight = 0.5;
  send_schedule s;
  for (connection* x : {&a, &b, &c}) s.add_sender(x);
  s.set_weighted(true);
  int picks[3] = {};
  for (int i = 0; i < 900; ++i) {
    connection* p = s.next_sender();
    picks[p == &a ? 0 : p == &b ? 1 : 2]++;
  }
  EXPECT_EQ(picks[0], 600);
  EXPECT_EQ(picks[1], 200);
  EXPECT_EQ(picks[2], 100);
  a.state = c.state = phase::closed;
  EXPECT_EQ(s.next_sender(), &b);
  b.state = phase::closed;
  EXPECT_EQ(s.next_sender(), nullptr);
}

TEST(OpenSchedule, OpenLoopDueTimesFollowTheRate) {
  std::vector<std::unique_ptr<connection>> owned;
  std::vector<connection*> group;
  for (int i = 0; i < 3; ++i) group.push_back(owned.emplace_back(std::make_unique<connection>()).get());
  open_schedule s;
  s.begin(group, 2, 1000.0, 5'000'000);  // 1000/s: one per ms
  ASSERT_TRUE(s.paced());
  EXPECT_EQ(s.next_due_ns(), 5'000'000);
  EXPECT_EQ(&s.take(), group[0]);
  EXPECT_EQ(s.next_due_ns(), 6'000'000);
  s.take();
  EXPECT_FALSE(s.may_start());  // the limit: two in progress
  s.settled();
  EXPECT_TRUE(s.may_start());
}

TEST(OpenSchedule, StopHandsOutTheRestPastTheLimit) {
  connection a, b;
  open_schedule s;
  s.begin({&a, &b}, 1, 0, 0);
  EXPECT_FALSE(s.paced());
  EXPECT_EQ(s.next_due_ns(), 0);
  s.take();
  s.stop();
  EXPECT_FALSE(s.may_start());
  EXPECT_EQ(s.take_any(), &b);
  EXPECT_EQ(s.take_any(), nullptr);
}

}  // namespace
}  // namespace sorak::bench
