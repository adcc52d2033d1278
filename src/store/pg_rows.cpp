#include "store/pg_rows.hpp"

#include "store/row_parts.hpp"

namespace sorak::pg {

namespace {

using store_detail::decode_badges;
using store_detail::encode_badges;
using store_detail::read_gift;
using store_detail::read_member;

using texts = std::vector<std::optional<std::string>>;
using ints = std::vector<std::optional<std::int64_t>>;

}  // namespace

void add_stream(pg_params& p, const stream& s) {
  const auto& m = s.member;
  p.add_all(s.id, s.room_id, s.broadcaster_user_id, s.room_name, s.title, m ? std::optional(m->name) : std::nullopt,
            m ? std::optional(m->nickname) : std::nullopt, m ? std::optional(m->team) : std::nullopt,
            to_string(s.status), s.created_at, s.started_at, s.ended_at, s.settings.slow_mode_seconds,
            s.settings.max_message_length, s.settings.subscribers_only, s.settings.chat_enabled, s.playback_url);
}

stream read_stream(const result_set& rs, int row) {
  row_reader r(rs, row);
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

void add_message(pg_params& p, const message& m) {
  const auto& u = m.user;
  const auto& g = m.gift;
  p.add_all(m.id, m.stream_id, u.id, u.username, u.display_name, u.avatar_url, u.level, u.is_premium,
            encode_badges(u.badges), m.content, to_string(m.type), g ? std::optional(g->gift_id) : std::nullopt,
            g ? std::optional(g->gift_name) : std::nullopt, g ? std::optional<std::int64_t>(g->quantity) : std::nullopt,
            g ? std::optional(g->total_stars) : std::nullopt, m.stars, m.reply_to, m.created_at, m.client_id, m.deleted,
            m.seq);
}

message read_message(const result_set& rs, int row) {
  row_reader r(rs, row);
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

std::vector<message> read_messages(const result_set& r) {
  std::vector<message> out;
  out.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) out.push_back(read_message(r, i));
  return out;
}

pg_params message_arrays(const std::vector<const message*>& ms) {
  texts id, stream_id, user_id, username, display_name, avatar_url, badges, content, type, gift_id, gift_name, reply_to,
      client_id;
  ints level, gift_quantity, gift_total_stars, stars, created_at, seq;
  std::vector<bool> is_premium, deleted;
  for (const message* m : ms) {
    const auto& g = m->gift;
    id.emplace_back(m->id);
    stream_id.emplace_back(m->stream_id);
    user_id.emplace_back(m->user.id);
    username.emplace_back(m->user.username);
    display_name.emplace_back(m->user.display_name);
    avatar_url.emplace_back(m->user.avatar_url);
    level.emplace_back(m->user.level);
    is_premium.push_back(m->user.is_premium);
    badges.emplace_back(encode_badges(m->user.badges));
    content.emplace_back(m->content);
    type.emplace_back(to_string(m->type));
    gift_id.push_back(g ? std::optional(g->gift_id) : std::nullopt);
    gift_name.push_back(g ? std::optional(g->gift_name) : std::nullopt);
    gift_quantity.push_back(g ? std::optional<std::int64_t>(g->quantity) : std::nullopt);
    gift_total_stars.push_back(g ? std::optional(g->total_stars) : std::nullopt);
    stars.emplace_back(m->stars);
    reply_to.push_back(m->reply_to);
    created_at.emplace_back(m->created_at);
    client_id.emplace_back(m->client_id);
    deleted.push_back(m->deleted);
    seq.emplace_back(m->seq);
  }
  pg_params p;
  p.add_all(text_array(id), text_array(stream_id), text_array(user_id), text_array(username), text_array(display_name),
            text_array(avatar_url), int_array(level), bool_array(is_premium), text_array(badges), text_array(content),
            text_array(type), text_array(gift_id), text_array(gift_name), int_array(gift_quantity),
            int_array(gift_total_stars), int_array(stars), text_array(reply_to), int_array(created_at),
            text_array(client_id), bool_array(deleted), int_array(seq));
  return p;
}

void add_user(pg_params& p, const user_profile& u) {
  p.add_all(u.id, u.username, u.display_name, u.avatar_url, u.level, u.is_premium, encode_badges(u.badges));
}

user_profile read_user(const result_set& rs, int row) {
  row_reader r(rs, row);
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

void add_badge(pg_params& p, const badge_grant& g) {
  p.add_all(g.stream_id, g.user_id, g.id, to_string(g.badge), g.granted_by, g.granted_at);
}

badge_grant read_badge(const result_set& rs, int row) {
  row_reader r(rs, row);
  badge_grant g;
  g.stream_id = r.text();
  g.user_id = r.text();
  g.id = r.text();
  g.badge = parse_stream_badge(r.text()).value_or(stream_badge::vip);
  g.granted_by = r.text();
  g.granted_at = r.int64();
  return g;
}

void add_sanction(pg_params& p, const sanction& s) {
  p.add_all(s.stream_id, s.user_id, to_string(s.kind), s.id, s.reason, s.moderator_id, s.created_at, s.expires_at);
}

sanction read_sanction(const result_set& rs, int row) {
  row_reader r(rs, row);
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

void add_action(pg_params& p, const moderation_action& a) {
  p.add_all(a.id, a.stream_id, a.action, a.moderator_id, a.target_user_id, a.message_id, a.reason, a.duration_seconds,
            a.created_at);
}

moderation_action read_action(const result_set& rs, int row) {
  row_reader r(rs, row);
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

void add_api_key(pg_params& p, const api_key& k) {
  p.add_all(k.id, k.name, k.key_hash, k.prefix, k.created_at, k.revoked_at);
}

api_key read_api_key(const result_set& rs, int row) {
  row_reader r(rs, row);
  api_key k;
  k.id = r.text();
  k.name = r.text();
  k.key_hash = r.text();
  k.prefix = r.text();
  k.created_at = r.int64();
  k.revoked_at = r.optional_int64();
  return k;
}

}  // namespace sorak::pg
