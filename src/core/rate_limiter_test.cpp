#include "core/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace sorak {
namespace {

const rate_limit twenty_per_30{20, 30};

TEST(RateLimitParse, AcceptsMessagesPerSeconds) {
  rate_limit l;
  ASSERT_TRUE(parse_rate_limit("20/30", l));
  EXPECT_EQ(l.messages, 20);
  EXPECT_EQ(l.seconds, 30);
  EXPECT_TRUE(l.enabled());
  ASSERT_TRUE(parse_rate_limit("100/1", l));
  EXPECT_EQ(l.messages, 100);
  EXPECT_EQ(l.seconds, 1);
}

TEST(RateLimitParse, ZeroTurnsItOff) {
  rate_limit l{20, 30};
  ASSERT_TRUE(parse_rate_limit("0", l));
  EXPECT_FALSE(l.enabled());
  l = {20, 30};
  ASSERT_TRUE(parse_rate_limit("0/30", l));
  EXPECT_FALSE(l.enabled());
}

TEST(RateLimitParse, RefusesBadText) {
  for (const char* bad : {"", "20", "20/", "/30", "20/0", "-1/30", "20/-5", "a/b", "20/30/40", " 20/30",
                          "20 /30", "+20/30", "20/30s", "99999999999/30", "1.5/30"}) {
    rate_limit l{7, 9};
    EXPECT_FALSE(parse_rate_limit(bad, l)) << bad;
    EXPECT_EQ(l.messages, 7) << "left untouched on failure: " << bad;
    EXPECT_EQ(l.seconds, 9);
  }
}

TEST(RateLimiter, AllowsNThenRefusesWithExactRetryAfter) {
  rate_limiter limiter;
  const millis t0 = 1'000'000;
  for (int i = 0; i < 20; ++i) {
    EXPECT_TRUE(limiter.check("alice", twenty_per_30, t0 + i * 100).allowed) << i;
  }
  const millis now = t0 + 5000;
  const rate_decision d = limiter.check("alice", twenty_per_30, now);
  EXPECT_FALSE(d.allowed);
  // The first event (t0) leaves the window at t0 + 30 s.
  EXPECT_EQ(d.retry_after_ms, t0 + 30000 - now);
}

TEST(RateLimiter, EventsNotedFromElsewhereCountAgainstTheKey) {
  rate_limiter rl;
  const rate_limit three{3, 10};
  rl.note("k", three, 1'000);  // two messages the user sent through another node
  rl.note("k", three, 2'000);
  EXPECT_TRUE(rl.check("k", three, 3'000).allowed);
  const auto refused = rl.check("k", three, 4'000);
  EXPECT_FALSE(refused.allowed) << "three in the window, two of them from elsewhere";
  EXPECT_EQ(refused.retry_after_ms, 7'000);
  EXPECT_TRUE(rl.check("other", three, 4'000).allowed) << "per key";
  rl.note("off", rate_limit{0, 1}, 1'000);
  EXPECT_EQ(rl.size(), 2u) << "a limit that is off notes nothing";
}

TEST(RateLimiter, SlidingWindowFreesOneSlotPerExpiredEvent) {
  rate_limiter limiter;
  const millis t0 = 1'000'000;
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(limiter.check("alice", twenty_per_30, t0 + i * 1000).allowed);
  EXPECT_FALSE(limiter.check("alice", twenty_per_30, t0 + 29999).allowed);
  // At t0 + 30 s the first event is out of (now - 30 s, now]; exactly one slot opens.
  EXPECT_TRUE(limiter.check("alice", twenty_per_30, t0 + 30000).allowed);
  const rate_decision d = limiter.check("alice", twenty_per_30, t0 + 30000);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after_ms, 1000);  // the event at t0 + 1 s leaves next
  EXPECT_TRUE(limiter.check("alice", twenty_per_30, t0 + 31000).allowed);
}

TEST(RateLimiter, RefusedEventsAreNotCounted) {
  rate_limiter limiter;
  const rate_limit two_per_10{2, 10};
  ASSERT_TRUE(limiter.check("k", two_per_10, 0).allowed);
  ASSERT_TRUE(limiter.check("k", two_per_10, 1).allowed);
  for (int i = 0; i < 100; ++i) ASSERT_FALSE(limiter.check("k", two_per_10, 5000).allowed);
  // Had the refusals counted, the window would still be full here.
  EXPECT_TRUE(limiter.check("k", two_per_10, 10000).allowed);
}

TEST(RateLimiter, KeysAreIndependent) {
  rate_limiter limiter;
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(limiter.check("alice", twenty_per_30, 1000).allowed);
  EXPECT_FALSE(limiter.check("alice", twenty_per_30, 1000).allowed);
  EXPECT_TRUE(limiter.check("bob", twenty_per_30, 1000).allowed);
  EXPECT_EQ(limiter.size(), 2u);
}

TEST(RateLimiter, OffWhenMessagesIsZero) {
  rate_limiter limiter;
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(limiter.check("k", rate_limit{0, 30}, 1000).allowed);
  EXPECT_EQ(limiter.size(), 0u) << "an unlimited key should not cost memory";
}

TEST(RateLimiter, LargerLimitPerCallIsHonoured) {
  // A user promoted to moderator mid-window gets the larger budget at once.
  rate_limiter limiter;
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(limiter.check("u", twenty_per_30, 1000).allowed);
  ASSERT_FALSE(limiter.check("u", twenty_per_30, 1000).allowed);
  const rate_limit hundred_per_30{100, 30};
  for (int i = 0; i < 80; ++i) ASSERT_TRUE(limiter.check("u", hundred_per_30, 1000).allowed) << i;
  EXPECT_FALSE(limiter.check("u", hundred_per_30, 1000).allowed);
  // And back as a viewer, the 100 remembered events still count against 20.
  EXPECT_FALSE(limiter.check("u", twenty_per_30, 2000).allowed);
}

TEST(RateLimiter, ConcurrentCallersNeverExceedTheLimit) {
  rate_limiter limiter;
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        if (limiter.check("shared", twenty_per_30, 5000 + i % 7).allowed) ++allowed;
        limiter.check("own-" + std::to_string(i % 50), twenty_per_30, 5000);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(allowed.load(), 20);
  EXPECT_EQ(limiter.size(), 51u);
}

TEST(RateLimiter, SweepDropsIdleKeysOnly) {
  rate_limiter limiter;
  limiter.check("old", twenty_per_30, 1000);
  limiter.check("recent", twenty_per_30, 50000);
  ASSERT_EQ(limiter.size(), 2u);
  limiter.sweep(60000, 30000);
  EXPECT_EQ(limiter.size(), 1u);
  // The surviving key kept its history: only 19 more fit in its window.
  for (int i = 0; i < 19; ++i) ASSERT_TRUE(limiter.check("recent", twenty_per_30, 60000).allowed);
  EXPECT_FALSE(limiter.check("recent", twenty_per_30, 60000).allowed);
  limiter.sweep(200000, 30000);
  EXPECT_EQ(limiter.size(), 0u);
}

}  // namespace
}  // namespace sorak
