// moderation_service: timeouts and bans, chat settings and the log (the
// shared steps are in moderation_service.cpp).
#include <algorithm>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/room_events.hpp"
#include "core/moderation_service.hpp"

namespace sorak {

namespace {

error invalid_field(std::string msg) { return error(errc::invalid_field, std::move(msg)); }

constexpr std::size_t max_user_id = 64;
constexpr std::size_t max_reason = 500;

status validate(const sanction_request& req) {
  if (req.user_id.empty() || req.user_id.size() > max_user_id)
    return invalid_field("user_id must be 1 to 64 characters");
  if (req.reason.size() > max_reason) return invalid_field("reason must be at most 500 bytes");
  if (req.kind == sanction_kind::timeout && (req.duration_seconds < 1 || req.duration_seconds > max_timeout_seconds))
    return invalid_field("duration_seconds must be 1 to 1209600");
  return ok_value;
}

status validate(const settings_patch& p) {
  if (p.slow_mode_seconds && (*p.slow_mode_seconds < 0 || *p.slow_mode_seconds > 120))
    return invalid_field("slow_mode_seconds must be 0 to 120");
  if (p.max_message_length && (*p.max_message_length < 1 || *p.max_message_length > 2000))
    return invalid_field("max_message_length must be 1 to 2000");
  return ok_value;
}

chat_settings apply(chat_settings s, const settings_patch& p) {
  if (p.slow_mode_seconds) s.slow_mode_seconds = static_cast<int>(*p.slow_mode_seconds);
  if (p.max_message_length) s.max_message_length = static_cast<int>(*p.max_message_length);
  if (p.subscribers_only) s.subscribers_only = *p.subscribers_only;
  if (p.chat_enabled) s.chat_enabled = *p.chat_enabled;
  return s;
}

mod_action action_of(sanction_kind k, bool lifting) {
  if (k == sanction_kind::timeout) return lifting ? mod_action::untimeout : mod_action::timeout;
  return lifting ? mod_action::unban : mod_action::ban;
}

std::string with_reason(std::string text, const std::string& reason) {
  if (!reason.empty()) text.append(": ").append(reason);
  return text;
}

// What the chat is told about a settings change, one sentence per change.
std::vector<std::string> describe(const chat_settings& before, const chat_settings& after) {
  std::vector<std::string> out;
  if (before.slow_mode_seconds != after.slow_mode_seconds)
    out.push_back(after.slow_mode_seconds
                      ? "Slow mode is on: one message every " + std::to_string(after.slow_mode_seconds) + " seconds"
                      : std::string("Slow mode is off"));
  if (before.subscribers_only != after.subscribers_only)
    out.emplace_back(after.subscribers_only ? "Subscribers-only chat is on" : "Subscribers-only chat is off");
  if (before.chat_enabled != after.chat_enabled) out.emplace_back(after.chat_enabled ? "Chat is on" : "Chat is off");
  if (before.max_message_length != after.max_message_length)
    out.push_back("Messages may now be up to " + std::to_string(after.max_message_length) + " characters");
  return out;
}

}  // namespace

// ---- timeouts and bans -----------------------------------------------------------

result<sanction> moderation_service::impose(const mod_actor& a, std::string_view stream, const sanction_request& req) {
  const mod_action action = action_of(req.kind, false);
  auto c = enter(a, stream, action);
  if (!c) return c.err();
  if (auto s = validate(req); !s) return s.err();
  if (auto s = check_target(*c, action, req.user_id); !s) return s.err();
  sanction s;
  s.id = new_uuid_v7();
  s.stream_id = c->info.id;
  s.user_id = req.user_id;
  s.kind = req.kind;
  s.reason = req.reason;
  s.moderator_id = a.admin ? std::string(admin_actor_id) : a.user.id;
  s.created_at = now_millis();
  if (req.kind == sanction_kind::timeout) s.expires_at = s.created_at + req.duration_seconds * 1000;
  if (auto st = store_.put_sanction(s); !st) return st.err();
  chat_.publish(sanction_imposed(s));  // bites from the next message after it reaches each node's room
  if (req.purge) {
    auto purged = store_.delete_user_messages(c->info.id, req.user_id);
    if (!purged) return purged.err();
    chat_.publish(chat_cleared(c->info.id, req.user_id));
    unpin_if(*c, [&](const message& pinned) { return pinned.user.id == req.user_id; });
  }
  moderation_action entry;
  entry.action = to_string(req.kind);
  entry.target_user_id = req.user_id;
  entry.reason = req.reason;
  if (req.kind == sanction_kind::timeout) entry.duration_seconds = req.duration_seconds;
  record(*c, a, std::move(entry));
  const std::string who = name_of(req.user_id);
  const std::string by = a.admin ? "Admin" : (a.user.display_name.empty() ? a.user.id : a.user.display_name);
  post(*c, a,
       with_reason(req.kind == sanction_kind::timeout
                       ? who + " was timed out for " + std::to_string(req.duration_seconds) + " seconds by " + by
                       : who + " was banned by " + by,
                   req.reason));
  return s;
}

status moderation_service::lift(const mod_actor& a, std::string_view stream, std::string_view user_id,
                                sanction_kind kind) {
  const mod_action action = action_of(kind, true);
  auto c = enter(a, stream, action);
  if (!c) return c.err();
  if (auto s = check_target(*c, action, user_id); !s) return s;
  if (auto s = store_.lift_sanction(c->info.id, user_id, kind); !s) return s;
  chat_.publish(sanction_lifted(c->info.id, user_id, kind));
  moderation_action entry;
  entry.action = kind == sanction_kind::timeout ? "untimeout" : "unban";
  entry.target_user_id = user_id;
  record(*c, a, std::move(entry));
  const std::string who = name_of(user_id);
  post(*c, a, kind == sanction_kind::timeout ? who + "'s timeout was lifted" : who + " was unbanned");
  return ok_value;
}

result<std::vector<sanction_view>> moderation_service::list_sanctions(const mod_actor& a, std::string_view stream,
                                                                      sanction_kind kind) {
  auto c = enter(a, stream, mod_action::list_sanctions);
  if (!c) return c.err();
  const millis now = now_millis();
  std::vector<sanction_view> out;
  for (auto& s : store_.list_sanctions(c->info.id)) {
    if (s.kind != kind || (s.expires_at && *s.expires_at <= now)) continue;
    auto u = store_.get_user(s.user_id);
    out.push_back({std::move(s), u ? u->username : std::string()});
  }
  return out;
}

// ---- chat settings ----------------------------------------------------------------

result<chat_settings> moderation_service::settings(const mod_actor& a, std::string_view stream) {
  auto c = enter(a, stream, mod_action::read_settings);
  if (!c) return c.err();
  return c->info.settings;
}

result<chat_settings> moderation_service::change_settings(const mod_actor& a, std::string_view stream,
                                                          const settings_patch& p) {
  auto c = enter(a, stream, mod_action::change_settings);
  if (!c) return c.err();
  if (auto s = validate(p); !s) return s.err();
  auto current = store_.get_stream(c->info.id);  // the room's copy may lag a concurrent PATCH
  if (!current) return current.err();
  stream_patch patch;
  patch.settings = apply(current->settings, p);
  auto updated = store_.update_stream(c->info.id, patch);
  if (!updated) return updated.err();
  chat_.publish(stream_changed(*updated, false));
  const auto changes = describe(current->settings, updated->settings);
  if (!changes.empty()) {
    moderation_action entry;
    entry.action = "update_settings";
    for (const auto& line : changes) entry.reason.append(entry.reason.empty() ? "" : "; ").append(line);
    record(*c, a, entry);
    for (const auto& line : changes) post(*c, a, line);
  }
  return updated->settings;
}

// ---- the log --------------------------------------------------------------------------

result<std::vector<moderation_action>> moderation_service::log(const mod_actor& a, std::string_view stream, int limit) {
  auto c = enter(a, stream, mod_action::read_log);
  if (!c) return c.err();
  return store_.moderation_log(c->info.id, std::max(limit, 1));
}

}  // namespace sorak
