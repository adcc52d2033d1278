#include "protocol/json_codec.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include "core/clock.hpp"

namespace sorak {

namespace json = boost::json;

namespace {
json::value optional_time(const std::optional<millis>& t) {
  if (!t) return nullptr;
  return json::value(format_rfc3339_ms(*t));
}
}  // namespace

json::object to_json(const user_profile& u) {
  json::array badges;
  for (const auto& b : u.badges) badges.emplace_back(b);
  return {{"id", u.id},
          {"username", u.username},
          {"display_name", u.display_name},
          {"avatar_url", u.avatar_url},
          {"level", u.level},
          {"is_premium", u.is_premium},
          {"badges", std::move(badges)}};
}

json::object to_json(const message& m) {
  json::value gift = nullptr;
  if (m.gift) {
    gift = json::object{{"gift_id", m.gift->gift_id},
                        {"gift_name", m.gift->gift_name},
                        {"quantity", m.gift->quantity},
                        {"total_stars", m.gift->total_stars}};
  }
  json::value reply_to = nullptr;
  if (m.reply_to) reply_to = json::value(*m.reply_to);
  return {{"id", m.id},
          {"stream_id", m.stream_id},
          {"user", to_json(m.user)},
          {"content", m.content},
          {"message_type", to_string(m.type)},
          {"gift", std::move(gift)},
          {"stars", m.stars},
          {"reply_to", std::move(reply_to)},
          {"created_at", format_rfc3339_ms(m.created_at)}};
}

json::object to_json(const chat_settings& s) {
  return {{"slow_mode_seconds", s.slow_mode_seconds},
          {"max_message_length", s.max_message_length},
          {"subscribers_only", s.subscribers_only},
          {"chat_enabled", s.chat_enabled}};
}

json::value to_json(const std::optional<member_info>& m) {
  if (!m) return nullptr;
  return json::object{{"name", m->name}, {"nickname", m->nickname}, {"team", m->team}};
}

json::object to_json(const stream& s) {
  return {{"id", s.id},
          {"room_id", s.room_id},
          {"broadcaster_user_id", s.broadcaster_user_id},
          {"room_name", s.room_name},
          {"title", s.title},
          {"member", to_json(s.member)},
          {"status", to_string(s.status)},
          {"created_at", format_rfc3339_ms(s.created_at)},
          {"started_at", format_rfc3339_ms(s.started_at)},
          {"ended_at", optional_time(s.ended_at)},
          {"settings", to_json(s.settings)},
          {"playback_url", s.playback_url ? json::value(*s.playback_url) : json::value(nullptr)}};
}

std::string encode_message(const message& m) { return json::serialize(to_json(m)); }

json::object to_json(const poll& p, millis now) {
  json::array options;
  for (const auto& o : p.options) options.push_back(json::object{{"text", o.text}, {"votes", o.votes}});
  const bool open = p.open_at(now);
  json::value closed_at = nullptr;
  if (!open) closed_at = json::value(format_rfc3339_ms(p.closed_at.value_or(p.ends_at)));
  return {{"id", p.id},
          {"stream_id", p.stream_id},
          {"question", p.question},
          {"options", std::move(options)},
          {"total_votes", p.total_votes()},
          {"status", open ? "open" : "closed"},
          {"created_by", p.created_by},
          {"created_at", format_rfc3339_ms(p.created_at)},
          {"ends_at", format_rfc3339_ms(p.ends_at)},
          {"closed_at", std::move(closed_at)}};
}

}  // namespace sorak
