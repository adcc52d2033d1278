#include "store/sqlite_rows.hpp"

#include "store/row_parts.hpp"

namespace sorak::sqlite {

namespace {

using store_detail::decode_badges;
using store_detail::encode_badges;
using store_detail::read_gift;
using store_detail::read_member;

}  // namespace

void bind_stream(statement& st, const stream& s) {
  const auto& m = s.member;
  st.bind_all(s.id, s.room_id, s.broadcaster_user_id, s.room_name, s.title,
              m ? std::optional(m->name) : std::nullopt, m ? std::optional(m->nickname) : std::nullopt,
              m ? std::optional(m->team) : std::nullopt, to_string(s.status), s.created_at, s.started_at,
              s.ended_at, s.settings.slow_mode_seconds, s.settings.max_message_length,
              s.settings.subscribers_only, s.settings.chat_enabled, s.playback_url);
}

stream read_stream(const statement& st) {
  row_reader r(st);
  stream s;
  s.id = r.text();
  s.room_id = r.text();
  s.broadcaster_user_id = r.text();
  s.room_name = r.text();
  s.title = r.text();
  s.member = read_member(r);
  s.status = parse_stream_status(r.text()).value_or(stream_status::live);
  s.created_at = r.int64();
  s.started_at = r.int64();
  s.ended_at = r.optional_int64();
  s.settings.slow_mode_seconds = static_cast<int>(r.int64());
  s.settings.max_message_length = static_cast<int>(r.int64());
  s.settings.subscribers_only = r.boolean();
  s.settings.chat_enabled = r.boolean();
  s.playback_url = r.optional_text();
  return s;
}

void bind_message(statement& st, const message& m) {
  const auto& u = m.user;
  const auto& g = m.gift;
  st.bind_all(m.id, m.stream_id, u.id, u.username, u.display_name, u.avatar_url, u.level, u.is_premium,
              encode_badges(u.badges), m.content, to_string(m.type),
              g ? std::optional(g->gift_id) : std::nullopt, g ? std::optional(g->gift_name) : std::nullopt,
              g ? std::optional<std::int64_t>(g->quantity) : std::nullopt,
              g ? std::optional(g->total_stars) : std::nullopt, m.stars, m.reply_to, m.created_at,
              m.client_id, m.deleted, m.seq);
}

message read_message(const statement& st) {
  row_reader r(st);
  message m;
  m.id = r.text();
  m.stream_id = r.text();
  m.user.id = r.text();
  m.user.username = r.text();
  m.user.display_name = r.text();
  m.user.avatar_url = r.text();
  m.user.level = r.int64();
  m.user.is_premium = r.boolean();
  m.user.badges = decode_badges(r.text());
  m.content = r.text();
  m.type = parse_message_type(r.text()).value_or(message_type::message);
  m.gift = read_gift(r);
  m.stars = r.int64();
  m.reply_to = r.optional_text();
  m.created_at = r.int64();
  m.client_id = r.text();
  m.deleted = r.boolean();
  m.seq = r.int64();
  return m;
}

result<std::vector<message>> read_messages(statement& st) { return read_rows<message>(st, read_message); }

void bind_user(statement& st, const user_profile& u) {
  st.bind_all(u.id, u.username, u.display_name, u.avatar_url, u.level, u.is_premium, encode_badges(u.badges));
}

user_profile read_user(const statement& st) {
  row_reader r(st);
  user_profile u;
  u.id = r.text();
  u.username = r.text();
  u.display_name = r.text();
  u.avatar_url = r.text();
  u.level = r.int64();
  u.is_premium = r.boolean();
  u.badges = decode_badges(r.text());
  return u;
}

void bind_badge(statement& st, const badge_grant& g) {
  st.bind_all(g.stream_id, g.user_id, g.id, to_string(g.badge), g.granted_by, g.granted_at);
}

badge_grant read_badge(const statement& st) {
  row_reader r(st);
  badge_grant g;
  g.stream_id = r.text();
  g.user_id = r.text();
  g.id = r.text();
  g.badge = parse_stream_badge(r.text()).value_or(stream_badge::vip);
  g.granted_by = r.text();
  g.granted_at = r.int64();
  return g;
}

void bind_sanction(statement& st, const sanction& s) {
  st.bind_all(s.stream_id, s.user_id, to_string(s.kind), s.id, s.reason, s.moderator_id, s.created_at, s.expires_at);
}

sanction read_sanction(const statement& st) {
  row_reader r(st);
  sanction s;
  s.stream_id = r.text();
  s.user_id = r.text();
  s.kind = parse_sanction_kind(r.text()).value_or(sanction_kind::ban);
  s.id = r.text();
  s.reason = r.text();
  s.moderator_id = r.text();
  s.created_at = r.int64();
  s.expires_at = r.optional_int64();
  return s;
}

void bind_action(statement& st, const moderation_action& a) {
  st.bind_all(a.id, a.stream_id, a.action, a.moderator_id, a.target_user_id, a.message_id, a.reason,
              a.duration_seconds, a.created_at);
}

moderation_action read_action(const statement& st) {
  row_reader r(st);
  moderation_action a;
  a.id = r.text();
  a.stream_id = r.text();
  a.action = r.text();
  a.moderator_id = r.text();
  a.target_user_id = r.text();
  a.message_id = r.text();
  a.reason = r.text();
  a.duration_seconds = r.optional_int64();
  a.created_at = r.int64();
  return a;
}

}  // namespace sorak::sqlite
