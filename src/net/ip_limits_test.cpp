#include "net/ip_limits.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace sorak {
namespace {

ip_key addr(std::uint8_t last) {
  ip_key k{};
  k[10] = k[11] = 0xff;  // v4-mapped 127.0.0.x
  k[12] = 127;
  k[15] = last;
  return k;
}

TEST(IpLimits, OffAdmitsEverythingAndTracksNothing) {
  auto lp = std::make_shared<ip_limits>(0, rate_limit{0, 1});
  auto& l = *lp;
  EXPECT_FALSE(l.enabled());
  std::vector<ip_slot> slots;
  for (int i = 0; i < 1000; ++i) {
    auto r = l.admit(addr(1), 0);
    ASSERT_TRUE(r);
    slots.push_back(std::move(*r));
  }
  EXPECT_EQ(l.tracked(), 0u);
}

TEST(IpLimits, ConnectionCapRefusesThenAdmitsAfterAClose) {
  auto lp = std::make_shared<ip_limits>(3, rate_limit{0, 1});
  auto& l = *lp;
  std::vector<ip_slot> slots;
  for (int i = 0; i < 3; ++i) slots.push_back(std::move(*l.admit(addr(1), 0)));
  auto refused = l.admit(addr(1), 0);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.err().http_status, 429);
  EXPECT_EQ(refused.err().code, "too_many_connections");
  EXPECT_GT(refused.err().retry_after_ms, 0);
  EXPECT_TRUE(l.admit(addr(2), 0)) << "another address has its own budget";
  slots.pop_back();  // one closes
  auto again = l.admit(addr(1), 0);
  ASSERT_TRUE(again);
  slots.push_back(std::move(*again));
}

TEST(IpLimits, EntriesGoAwayWhenTheLastConnectionCloses) {
  auto lp = std::make_shared<ip_limits>(10, rate_limit{0, 1});
  auto& l = *lp;
  {
    std::vector<ip_slot> slots;
    for (std::uint8_t a = 1; a <= 50; ++a) slots.push_back(std::move(*l.admit(addr(a), 0)));
    EXPECT_EQ(l.tracked(), 50u);
  }
  EXPECT_EQ(l.tracked(), 0u);
}

TEST(IpLimits, ConnectRateSlidesAndDoesNotCountRefusals) {
  auto lp = std::make_shared<ip_limits>(0, rate_limit{2, 10});
  auto& l = *lp;
  const std::int64_t t0 = 1'000'000'000'000;  // ahead of the steady clock: closing keeps the window
  ASSERT_TRUE(l.admit(addr(1), t0 + 1000));     // each connection closes at once: the rate still counts it
  ASSERT_TRUE(l.admit(addr(1), t0 + 2000));
  auto refused = l.admit(addr(1), t0 + 3000);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.err().code, "connect_rate_limited");
  EXPECT_EQ(refused.err().retry_after_ms, 8000);  // the upgrade at +1000 leaves the window at +11000
  EXPECT_FALSE(l.admit(addr(1), t0 + 10999));
  EXPECT_TRUE(l.admit(addr(1), t0 + 11000)) << "refusals did not count";
  EXPECT_TRUE(l.admit(addr(2), t0 + 11000)) << "another address has its own window";
}

TEST(IpLimits, ExpiredRateWindowsAreSwept) {
  auto lp = std::make_shared<ip_limits>(0, rate_limit{5, 1});
  auto& l = *lp;
  const std::int64_t t0 = 1'000'000'000'000;  // far ahead of the steady clock: release() keeps the windows
  for (std::uint8_t a = 0; a < 200; ++a) (void)l.admit(addr(a), t0);  // each slot is released at once
  EXPECT_EQ(l.tracked(), 200u) << "upgrades in the window keep their address";
  l.sweep(t0 + 999);
  EXPECT_EQ(l.tracked(), 200u);
  auto open = l.admit(addr(7), t0 + 500);
  l.sweep(t0 + 1000);
  EXPECT_EQ(l.tracked(), 1u) << "only the address with an open connection stays";
  open = error(errc::internal, "closed");
  l.sweep(t0 + 1500);
  EXPECT_EQ(l.tracked(), 0u);
}

}  // namespace
}  // namespace sorak
