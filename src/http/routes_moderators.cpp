// Moderators, VIPs and badges (seed 004, CONTRACT §6), and message deletion.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "http/moderation_request.hpp"
#include "http/routes.hpp"
#include "protocol/moderation_json.hpp"

namespace sorak {

namespace json = boost::json;

namespace {

// The badge a grant names: moderator when badge_type is absent or null; a
// present value must be "moderator" or "vip" (an empty string is neither).
std::optional<stream_badge> granted_badge(const json::object& body, std::string_view type) {
  const auto* v = body.if_contains("badge_type");
  if (!v || v->is_null()) return stream_badge::moderator;
  return parse_stream_badge(type);
}

// POST {user_id, badge_type: moderator|vip} → 201 with the grant.
http_response add(http_request& req, services& svc) {
  auto a = moderation_actor(req, svc);
  if (!a) return error_response(a.err());
  auto body = parse_json_object(req);
  if (!body) return error_response(body.err());
  auto user_id = user_id_field(*body);
  if (!user_id) return error_response(user_id.err());
  auto type = optional_text_field(*body, "badge_type", 16);
  if (!type) return error_response(type.err());
  auto badge = granted_badge(*body, *type);
  if (!badge) return error_response(error(errc::invalid_field, "badge_type must be moderator or vip"));
  auto g = svc.mods.grant_badge(*a, req.params[0], *user_id, *badge);
  if (!g) return error_response(g.err());
  return json_response(201, to_json(*g));
}

http_response remove(http_request& req, services& svc) {
  auto a = moderation_actor(req, svc);
  if (!a) return error_response(a.err());
  if (auto s = svc.mods.revoke_badge(*a, req.params[0], req.params[1]); !s) return error_response(s.err());
  return no_content();
}

// GET [?badge_type=moderator|vip] → {moderators: [...], total}.
http_response list(http_request& req, services& svc) {
  auto a = moderation_actor(req, svc);
  if (!a) return error_response(a.err());
  std::optional<stream_badge> filter;
  if (auto t = req.query_value("badge_type"); t && !t->empty()) {
    filter = parse_stream_badge(*t);
    if (!filter) return error_response(error(errc::invalid_field, "badge_type must be moderator or vip"));
  }
  auto grants = svc.mods.list_badges(*a, req.params[0], filter);
  if (!grants) return error_response(grants.err());
  json::array out;
  for (const auto& g : *grants) out.push_back(to_json(g));
  const auto total = out.size();
  return json_response(200, json::object{{"moderators", std::move(out)}, {"total", total}});
}

// GET …/users/{user_id}/badges → {badges: [...]}.
http_response badges(http_request& req, services& svc) {
  auto a = moderation_actor(req, svc);
  if (!a) return error_response(a.err());
  auto got = svc.mods.user_badges(*a, req.params[0], req.params[1]);
  if (!got) return error_response(got.err());
  json::array out;
  for (const auto& b : *got) out.emplace_back(b);
  return json_response(200, json::object{{"badges", std::move(out)}});
}

http_response delete_message(http_request& req, services& svc) {
  auto a = moderation_actor(req, svc);
  if (!a) return error_response(a.err());
  if (auto s = svc.mods.delete_message(*a, req.params[0], req.params[1]); !s) return error_response(s.err());
  return no_content();
}

}  // namespace

void add_moderator_routes(router& r, services& svc) {
  constexpr std::string_view base = "/api/v1/streams/{stream_id}";
  auto path = [base](std::string_view rest) { return std::string(base) + std::string(rest); };
  r.add("POST", path("/moderators"), [&svc](http_request& req) { return add(req, svc); });
  r.add("GET", path("/moderators"), [&svc](http_request& req) { return list(req, svc); });
  r.add("DELETE", path("/moderators/{user_id}"), [&svc](http_request& req) { return remove(req, svc); });
  r.add("GET", path("/users/{user_id}/badges"), [&svc](http_request& req) { return badges(req, svc); });
  r.add("DELETE", path("/chat/messages/{message_id}"), [&svc](http_request& req) { return delete_message(req, svc); });
}

}  // namespace sorak
