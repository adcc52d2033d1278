// moderation_service: the shared steps (room, role, permission, log, notice),
// badges and message deletion. Timeouts, bans, settings and the log are in
// moderation_sanctions.cpp.
#include "core/moderation_service.hpp"

#include <algorithm>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/room_events.hpp"

namespace sorak {

namespace {

error not_allowed(mod_action action) {
  return error(errc::forbidden, std::string("You may not do this here (") + to_string(action) + ")");
}

error not_allowed_on(mod_action action, stream_role target) {
  return error(errc::forbidden, std::string("You may not do this to a ") + to_string(target) + " (" + to_string(action) + ")");
}

bool has(const std::vector<std::string>& v, std::string_view x) { return std::find(v.begin(), v.end(), x) != v.end(); }

}  // namespace

moderation_service::moderation_service(store& st, room_registry& rooms, chat_service& chat)
    : store_(st), rooms_(rooms), chat_(chat) {}

// ---- shared steps ---------------------------------------------------------------

result<moderation_service::context> moderation_service::enter(const mod_actor& a, std::string_view stream,
                                                              mod_action action) {
  auto r = rooms_.open(stream);
  if (!r) return r.err();
  context c{*r, (*r)->info(), stream_role::admin};
  if (!a.admin) c.actor_role = c.r->moderation().role_of(a.user.id, a.user.badges, c.info);
  if (!may_perform(c.actor_role, action)) return not_allowed(action);
  return c;
}

// A target's role: their stream badge, else the global badges of the last
// profile the server saw for them.
stream_role moderation_service::role_of_user(const context& c, std::string_view user_id) {
  std::vector<std::string> global;
  if (auto u = store_.get_user(user_id)) global = u->badges;
  return c.r->moderation().role_of(user_id, global, c.info);
}

status moderation_service::check_target(const context& c, mod_action action, std::string_view target_user_id) {
  const stream_role target = role_of_user(c, target_user_id);
  if (!may_perform_on(c.actor_role, action, target)) return not_allowed_on(action, target);
  return ok_value;
}

void moderation_service::record(const context& c, const mod_actor& a, moderation_action entry) {
  entry.id = new_uuid_v7();
  entry.stream_id = c.info.id;
  entry.moderator_id = a.admin ? std::string(admin_actor_id) : a.user.id;
  entry.created_at = now_millis();
  // The action itself has happened; a log write that fails is not worth undoing it.
  (void)store_.log_action(entry);
}

// A `moderation` message from the actor (the admin key speaks as "Admin").
void moderation_service::post(const context& c, const mod_actor& a, std::string content) {
  if (c.r->ended()) return;  // chat is closed
  message m;
  m.type = message_type::moderation;
  m.content = std::move(content);
  if (a.admin) {
    m.user.id = admin_actor_id;
    m.user.username = admin_actor_id;
    m.user.display_name = "Admin";
  } else {
    m.user = a.user;
    principal p;
    p.user = a.user;
    m.user.badges = badges_in_stream(p, c.info, c.r->moderation().badge_of(a.user.id));
  }
  chat_.post_notice(*c.r, std::move(m));
}

std::string moderation_service::name_of(std::string_view user_id) {
  auto u = store_.get_user(user_id);
  if (u && !u->display_name.empty()) return u->display_name;
  if (u && !u->username.empty()) return u->username;
  return std::string(user_id);
}

// ---- badges -------------------------------------------------------------------------

result<badge_grant> moderation_service::grant_badge(const mod_actor& a, std::string_view stream,
                                                    std::string_view user_id, stream_badge badge) {
  auto c = enter(a, stream, mod_action::grant_badge);
  if (!c) return c.err();
  if (auto s = check_target(*c, mod_action::grant_badge, user_id); !s) return s.err();
  badge_grant g;
  g.id = new_uuid_v7();
  g.stream_id = c->info.id;
  g.user_id = user_id;
  g.badge = badge;
  g.granted_by = a.admin ? std::string(admin_actor_id) : a.user.id;
  g.granted_at = now_millis();
  auto stored = store_.grant_badge(g);
  if (!stored) return stored.err();
  chat_.publish(badge_changed(c->info.id, user_id, badge));  // bites when it reaches each node's room
  moderation_action entry;
  entry.action = badge == stream_badge::moderator ? "add_moderator" : "add_vip";
  entry.target_user_id = user_id;
  record(*c, a, std::move(entry));
  return stored;
}

status moderation_service::revoke_badge(const mod_actor& a, std::string_view stream, std::string_view user_id) {
  auto c = enter(a, stream, mod_action::revoke_badge);
  if (!c) return c.err();
  if (auto s = check_target(*c, mod_action::revoke_badge, user_id); !s) return s;
  if (auto s = store_.revoke_badge(c->info.id, user_id); !s) return s;
  chat_.publish(badge_changed(c->info.id, user_id, std::nullopt));
  moderation_action entry;
  entry.action = "remove_badge";
  entry.target_user_id = user_id;
  record(*c, a, std::move(entry));
  return ok_value;
}

result<std::vector<badge_grant>> moderation_service::list_badges(const mod_actor& a, std::string_view stream,
                                                                 std::optional<stream_badge> filter) {
  auto c = enter(a, stream, mod_action::list_badges);
  if (!c) return c.err();
  auto all = store_.list_badges(c->info.id);
  if (filter) std::erase_if(all, [&](const badge_grant& g) { return g.badge != *filter; });
  return all;
}

result<std::vector<std::string>> moderation_service::user_badges(const mod_actor& a, std::string_view stream,
                                                                 std::string_view user_id) {
  auto c = enter(a, stream, mod_action::list_badges);
  if (!c) return c.err();
  std::vector<std::string> out;
  if (user_id == c->info.broadcaster_user_id) out.emplace_back("broadcaster");
  if (auto b = c->r->moderation().badge_of(user_id)) out.emplace_back(to_string(*b));
  std::vector<std::string> global;
  if (auto u = store_.get_user(user_id)) global = u->badges;
  for (const char* b : {"subscriber", "verified"})
    if (has(global, b)) out.emplace_back(b);
  return out;
}

// ---- messages -----------------------------------------------------------------------

status moderation_service::delete_message(const mod_actor& a, std::string_view stream, std::string_view message_id) {
  auto c = enter(a, stream, mod_action::delete_message);
  if (!c) return c.err();
  auto m = store_.get_message(c->info.id, message_id);
  if (!m || m->deleted) return error(errc::message_not_found, "no such message in this stream");
  if (auto s = check_target(*c, mod_action::delete_message, m->user.id); !s) return s;
  auto gone = store_.delete_message(c->info.id, message_id);
  if (!gone) return gone.err();
  chat_.publish(message_deleted(c->info.id, message_id));
  unpin_if(*c, [&](const message& pinned) { return pinned.id == message_id; });
  moderation_action entry;
  entry.action = "delete_message";
  entry.target_user_id = m->user.id;
  entry.message_id = message_id;
  record(*c, a, std::move(entry));
  return ok_value;
}

}  // namespace sorak
