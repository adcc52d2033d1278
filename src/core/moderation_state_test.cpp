// A room's moderation state (core/moderation_state.hpp): roles, timeouts and
// bans as the sender check sees them, and slow-mode slots.
#include "core/moderation_state.hpp"

#include <gtest/gtest.h>

namespace sorak {
namespace {

constexpr millis t0 = 1'777'111'530'000;

sanction make(std::string user, sanction_kind kind, std::optional<millis> expires = std::nullopt) {
  sanction s;
  s.id = "s-" + user;
  s.stream_id = "stream";
  s.user_id = std::move(user);
  s.kind = kind;
  s.created_at = t0;
  s.expires_at = expires;
  return s;
}

stream owned_by(std::string owner) {
  stream s;
  s.id = "stream";
  s.broadcaster_user_id = std::move(owner);
  return s;
}

TEST(ModerationState, RolesComeFromOwnershipThenTheGrantThenTheTokensSubscriberBadge) {
  moderation_state m;
  badge_grant g;
  g.user_id = "mod";
  g.badge = stream_badge::moderator;
  badge_grant v = g;
  v.user_id = "vip";
  v.badge = stream_badge::vip;
  m.load({g, v}, {});
  const stream s = owned_by("owner");
  EXPECT_EQ(m.role_of("owner", {}, s), stream_role::broadcaster);
  EXPECT_EQ(m.role_of("mod", {}, s), stream_role::moderator);
  EXPECT_EQ(m.role_of("vip", {"subscriber"}, s), stream_role::vip);
  EXPECT_EQ(m.role_of("fan", {"verified", "subscriber"}, s), stream_role::subscriber);
  EXPECT_EQ(m.role_of("fan", {"verified"}, s), stream_role::viewer);
  m.set_badge("mod", std::nullopt);
  EXPECT_EQ(m.role_of("mod", {}, s), stream_role::viewer);
  m.set_badge("fan", stream_badge::moderator);
  EXPECT_EQ(m.badge_of("fan"), stream_badge::moderator);
}

TEST(ModerationState, ATimeoutRefusesWithSecondsLeftRoundedUpUntilItEnds) {
  moderation_state m;
  m.set_sanction(make("u", sanction_kind::timeout, t0 + 2'500));
  auto s = m.check_sender("u", t0);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.err().code, "timed_out");
  EXPECT_EQ(s.err().http_status, 403);
  EXPECT_EQ(s.err().seconds_left, 3);
  EXPECT_EQ(m.check_sender("u", t0 + 2'499).err().seconds_left, 1);
  EXPECT_TRUE(m.check_sender("u", t0 + 2'500));
  EXPECT_TRUE(m.check_sender("someone-else", t0));
}

TEST(ModerationState, ABanRefusesUntilLiftedAndOutranksATimeout) {
  moderation_state m;
  m.set_sanction(make("u", sanction_kind::timeout, t0 + 10'000));
  m.set_sanction(make("u", sanction_kind::ban));
  EXPECT_EQ(m.check_sender("u", t0 + 1'000'000'000).err().code, "banned");
  EXPECT_EQ(m.check_sender("u", t0).err().code, "banned");
  m.lift("u", sanction_kind::ban);
  EXPECT_EQ(m.check_sender("u", t0).err().code, "timed_out");
  m.lift("u", sanction_kind::timeout);
  EXPECT_TRUE(m.check_sender("u", t0));
}

TEST(ModerationState, LoadReplacesEverything) {
  moderation_state m;
  m.set_sanction(make("old", sanction_kind::ban));
  m.load({}, {make("new", sanction_kind::ban)});
  EXPECT_TRUE(m.check_sender("old", t0));
  EXPECT_FALSE(m.check_sender("new", t0));
  EXPECT_TRUE(m.active("new", sanction_kind::ban, t0).has_value());
  EXPECT_FALSE(m.active("new", sanction_kind::timeout, t0).has_value());
}

TEST(ModerationState, SlowModeAllowsOneMessagePerWindowPerUser) {
  moderation_state m;
  EXPECT_TRUE(m.claim_slow_mode("u", 3'000, t0).allowed);
  auto refused = m.claim_slow_mode("u", 3'000, t0 + 1'000);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_ms, 2'000);
  EXPECT_TRUE(m.claim_slow_mode("v", 3'000, t0 + 1'000).allowed) << "per user";
  EXPECT_TRUE(m.claim_slow_mode("u", 3'000, t0 + 3'000).allowed);
}

TEST(ModerationState, AMessageTakenByAnotherNodeStartsTheSlowModeWindowToo) {
  moderation_state m;
  m.note_sent("u", t0);  // u's message through another node, committed at t0
  auto refused = m.claim_slow_mode("u", 3'000, t0 + 1'000);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_ms, 2'000);
  EXPECT_TRUE(m.claim_slow_mode("u", 3'000, t0 + 3'000).allowed);
  m.note_sent("u", t0 + 2'000);
  EXPECT_FALSE(m.claim_slow_mode("u", 3'000, t0 + 3'500).allowed) << "an older one never moves the window back";
}

TEST(ModerationState, AReleasedClaimGivesTheSlotBack) {
  moderation_state m;
  ASSERT_TRUE(m.claim_slow_mode("u", 3'000, t0).allowed);
  auto second = m.claim_slow_mode("u", 3'000, t0 + 5'000);
  ASSERT_TRUE(second.allowed);
  m.release_slow_mode("u", second);  // e.g. the rate limit refused that message
  auto third = m.claim_slow_mode("u", 3'000, t0 + 5'001);
  EXPECT_TRUE(third.allowed) << "the window counts from the last message actually sent";
  auto first_only = moderation_state{};
  auto c = first_only.claim_slow_mode("w", 3'000, t0);
  first_only.release_slow_mode("w", c);
  EXPECT_TRUE(first_only.claim_slow_mode("w", 3'000, t0 + 1).allowed);
}

TEST(ModerationState, SweepDropsExpiredTimeoutsAndOldSlowModeEntries) {
  moderation_state m;
  m.set_sanction(make("u", sanction_kind::timeout, t0 + 1'000));
  m.set_sanction(make("b", sanction_kind::ban));
  ASSERT_TRUE(m.claim_slow_mode("u", 60'000, t0).allowed);
  m.sweep(t0 + 200'000, 120'000);
  EXPECT_FALSE(m.active("u", sanction_kind::timeout, t0).has_value());
  EXPECT_TRUE(m.active("b", sanction_kind::ban, t0).has_value()) << "bans stay";
  EXPECT_TRUE(m.claim_slow_mode("u", 60'000, t0 + 1).allowed) << "the old last-sent time is gone";
}

}  // namespace
}  // namespace sorak
