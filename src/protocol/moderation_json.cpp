#include "protocol/moderation_json.hpp"

#include <algorithm>

#include "core/clock.hpp"

namespace sorak {

namespace json = boost::json;

namespace {
json::value text_or_null(const std::string& s) {
  if (s.empty()) return nullptr;
  return json::value(s);
}
}  // namespace

json::object to_json(const badge_grant& g) {
  return {{"id", g.id},
          {"user_id", g.user_id},
          {"username", g.username},
          {"badge_type", to_string(g.badge)},
          {"granted_at", format_rfc3339_ms(g.granted_at)}};
}

json::object to_json(const sanction& s, std::string_view username, millis now) {
  json::object o{{"id", s.id},
                 {"user_id", s.user_id},
                 {"username", username},
                 {"reason", text_or_null(s.reason)},
                 {"moderator_id", s.moderator_id},
                 {"created_at", format_rfc3339_ms(s.created_at)}};
  if (s.expires_at) {
    o["duration_seconds"] = (*s.expires_at - s.created_at) / 1000;
    o["expires_at"] = format_rfc3339_ms(*s.expires_at);
    o["seconds_left"] = std::max<millis>(0, (*s.expires_at - now + 999) / 1000);
  }
  return o;
}

json::object to_json(const moderation_action& a) {
  json::value duration = nullptr;
  if (a.duration_seconds) duration = *a.duration_seconds;
  return {{"id", a.id},
          {"action", a.action},
          {"moderator_id", a.moderator_id},
          {"target_user_id", text_or_null(a.target_user_id)},
          {"message_id", text_or_null(a.message_id)},
          {"reason", text_or_null(a.reason)},
          {"duration_seconds", std::move(duration)},
          {"created_at", format_rfc3339_ms(a.created_at)}};
}

}  // namespace sorak
