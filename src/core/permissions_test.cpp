// The permission table (core/permissions.hpp): the rules of CONTRACT §6 read
// back role by role.
#include "core/permissions.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace sorak {
namespace {

using enum stream_role;
const std::vector<stream_role> all_roles = {admin, broadcaster, moderator, vip, subscriber, viewer};

std::vector<stream_role> actors_of(mod_action a) {
  std::vector<stream_role> out;
  for (auto r : all_roles)
    if (may_perform(r, a)) out.push_back(r);
  return out;
}

std::vector<stream_role> targets_of(stream_role actor, mod_action a) {
  std::vector<stream_role> out;
  for (auto t : all_roles)
    if (may_perform_on(actor, a, t)) out.push_back(t);
  return out;
}

TEST(Permissions, OnlyTheBroadcasterAndTheAdminManageBadges) {
  for (auto a : {mod_action::grant_badge, mod_action::revoke_badge})
    EXPECT_EQ(actors_of(a), (std::vector{admin, broadcaster})) << to_string(a);
}

TEST(Permissions, EveryoneMayListBadges) { EXPECT_EQ(actors_of(mod_action::list_badges), all_roles); }

TEST(Permissions, StaffModerates) {
  for (auto a :
       {mod_action::delete_message, mod_action::timeout, mod_action::untimeout, mod_action::ban, mod_action::unban,
        mod_action::list_sanctions, mod_action::read_settings, mod_action::change_settings, mod_action::read_log,
        mod_action::manage_terms, mod_action::pin, mod_action::manage_polls})
    EXPECT_EQ(actors_of(a), (std::vector{admin, broadcaster, moderator})) << to_string(a);
}

TEST(Permissions, OnlyStaffIsExemptFromBlockedTerms) {
  for (auto r : all_roles)
    EXPECT_EQ(is_exempt(r, chat_rule::blocked_terms), r == admin || r == broadcaster || r == moderator) << to_string(r);
}

TEST(Permissions, ModeratorsCannotActOnTheBroadcasterOrOtherModerators) {
  for (auto a :
       {mod_action::delete_message, mod_action::timeout, mod_action::untimeout, mod_action::ban, mod_action::unban})
    EXPECT_EQ(targets_of(moderator, a), (std::vector{vip, subscriber, viewer})) << to_string(a);
}

TEST(Permissions, NobodyTimesOutOrBansTheBroadcaster) {
  for (auto actor : {admin, broadcaster})
    for (auto a : {mod_action::timeout, mod_action::ban})
      EXPECT_EQ(targets_of(actor, a), (std::vector{moderator, vip, subscriber, viewer})) << to_string(a);
}

TEST(Permissions, TheOwnersMayDeleteAnyonesMessage) {
  EXPECT_EQ(targets_of(broadcaster, mod_action::delete_message), all_roles);
  EXPECT_EQ(targets_of(admin, mod_action::delete_message), all_roles);
}

TEST(Permissions, ViewersVipsAndSubscribersMayNotModerate) {
  for (auto actor : {vip, subscriber, viewer}) {
    EXPECT_FALSE(may_perform(actor, mod_action::timeout));
    EXPECT_FALSE(may_perform_on(actor, mod_action::delete_message, viewer));
  }
}

TEST(ChatExemptions, BroadcasterAndModeratorsFromEverythingVipsFromSlowModeOnly) {
  for (auto rule :
       {chat_rule::chat_disabled, chat_rule::subscribers_only, chat_rule::slow_mode, chat_rule::user_rate_limit}) {
    EXPECT_TRUE(is_exempt(broadcaster, rule));
    EXPECT_TRUE(is_exempt(moderator, rule));
    EXPECT_FALSE(is_exempt(subscriber, rule));
    EXPECT_FALSE(is_exempt(viewer, rule));
  }
  EXPECT_TRUE(is_exempt(vip, chat_rule::slow_mode));
  EXPECT_FALSE(is_exempt(vip, chat_rule::chat_disabled));
  EXPECT_FALSE(is_exempt(vip, chat_rule::subscribers_only));
  EXPECT_FALSE(is_exempt(vip, chat_rule::user_rate_limit));
}

}  // namespace
}  // namespace sorak
