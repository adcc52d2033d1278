#include "core/permissions.hpp"

#include <array>
#include <cstdint>
#include <initializer_list>

namespace sorak {

namespace {

using role_set = std::uint8_t;

constexpr role_set bit(stream_role r) { return static_cast<role_set>(1u << static_cast<unsigned>(r)); }
constexpr role_set roles(std::initializer_list<stream_role> rs) {
  role_set s = 0;
  for (auto r : rs) s |= bit(r);
  return s;
}

using enum stream_role;
constexpr role_set everyone = roles({admin, broadcaster, moderator, vip, subscriber, viewer});
constexpr role_set staff = roles({admin, broadcaster, moderator});
constexpr role_set owners = roles({admin, broadcaster});
// Anyone but the stream's owner: nobody times out, bans or badges the broadcaster.
constexpr role_set all_but_owner = roles({moderator, vip, subscriber, viewer});
// What a moderator may act on: not the broadcaster, not another moderator.
constexpr role_set below_moderator = roles({vip, subscriber, viewer});

// One rule: `actors` may perform the action, on `targets` (every role, for
// actions without a target).
struct rule {
  mod_action action;
  role_set actors;
  role_set targets;
};

// THE table. An actor role absent from a row may not perform the action. A
// row's targets apply to every actor in it, so actions where moderators reach
// fewer targets than the owners take two rows.
constexpr rule table[] = {
    {mod_action::grant_badge, owners, all_but_owner},
    {mod_action::revoke_badge, owners, everyone},
    {mod_action::list_badges, everyone, everyone},
    {mod_action::delete_message, owners, everyone},
    {mod_action::delete_message, bit(moderator), below_moderator},
    {mod_action::timeout, owners, all_but_owner},
    {mod_action::timeout, bit(moderator), below_moderator},
    {mod_action::untimeout, owners, all_but_owner},
    {mod_action::untimeout, bit(moderator), below_moderator},
    {mod_action::ban, owners, all_but_owner},
    {mod_action::ban, bit(moderator), below_moderator},
    {mod_action::unban, owners, all_but_owner},
    {mod_action::unban, bit(moderator), below_moderator},
    {mod_action::list_sanctions, staff, everyone},
    {mod_action::read_settings, staff, everyone},
    {mod_action::change_settings, staff, everyone},
    {mod_action::read_log, staff, everyone},
    {mod_action::manage_terms, staff, everyone},
    {mod_action::pin, staff, everyone},
    {mod_action::manage_polls, staff, everyone},
};

// Who is exempt from each chat rule.
struct exemption {
  chat_rule rule;
  role_set exempt;
};

constexpr exemption exemptions[] = {
    {chat_rule::chat_disabled, roles({admin, broadcaster, moderator})},
    {chat_rule::subscribers_only, roles({admin, broadcaster, moderator})},
    {chat_rule::slow_mode, roles({admin, broadcaster, moderator, vip})},
    {chat_rule::user_rate_limit, roles({admin, broadcaster, moderator})},
    {chat_rule::blocked_terms, roles({admin, broadcaster, moderator})},
};

}  // namespace

bool is_exempt(stream_role sender, chat_rule rule) {
  for (const auto& e : exemptions)
    if (e.rule == rule) return (e.exempt & bit(sender)) != 0;
  return false;
}

bool may_perform(stream_role actor, mod_action action) {
  for (const auto& r : table)
    if (r.action == action && (r.actors & bit(actor))) return true;
  return false;
}

bool may_perform_on(stream_role actor, mod_action action, stream_role target) {
  for (const auto& r : table)
    if (r.action == action && (r.actors & bit(actor)) && (r.targets & bit(target))) return true;
  return false;
}

const char* to_string(stream_role r) {
  switch (r) {
    case admin:
      return "admin";
    case broadcaster:
      return "broadcaster";
    case moderator:
      return "moderator";
    case vip:
      return "vip";
    case subscriber:
      return "subscriber";
    case viewer:
      return "viewer";
  }
  return "viewer";
}

const char* to_string(mod_action a) {
  static constexpr std::array<const char*, 15> names = {
      "grant_badge", "revoke_badge", "list_badges",    "delete_message", "timeout",         "untimeout",
      "ban",         "unban",        "list_sanctions", "read_settings",  "change_settings", "read_log",
      "manage_terms", "pin", "manage_polls"};
  return names[static_cast<std::size_t>(a)];
}

}  // namespace sorak
