// Timeouts and bans, chat settings and the moderation log (CONTRACT §6).
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "core/clock.hpp"
#include "core/pagination.hpp"
#include "http/moderation_request.hpp"
#include "http/routes.hpp"
#include "protocol/json_codec.hpp"
#include "protocol/moderation_json.hpp"

namespace sorak {

namespace json = boost::json;

namespace {

// The JSON list key and the path segment of each kind.
const char* plural(sanction_kind k) { return k == sanction_kind::timeout ? "timeouts" : "bans"; }

result<sanction_request> read_sanction(const json::object& body, sanction_kind kind) {
  sanction_request req;
  req.kind = kind;
  auto user_id = user_id_field(body);
  if (!user_id) return user_id.err();
  req.user_id = std::move(*user_id);
  auto reason = optional_text_field(body, "reason", 500);
  if (!reason) return reason.err();
  req.reason = std::move(*reason);
  auto purge = optional_bool_field(body, "purge");
  if (!purge) return purge.err();
  req.purge = purge->value_or(false);
  if (kind == sanction_kind::timeout) {
    auto d = optional_int_field(body, "duration_seconds");
    if (!d) return d.err();
    if (!*d) return error(errc::invalid_field, "duration_seconds is required (1 to 1209600)");
    req.duration_seconds = **d;
  }
  return req;
}

http_response impose(http_request& req, services& svc, sanction_kind kind) {
  auto a = moderation_actor(req, svc);
  if (!a) return error_response(a.err());
  auto body = parse_json_object(req);
  if (!body) return error_response(body.err());
  auto r = read_sanction(*body, kind);
  if (!r) return error_response(r.err());
  auto s = svc.mods.impose(*a, req.params[0], *r);
  if (!s) return error_response(s.err());
  std::string username;
  if (auto u = svc.st.get_user(s->user_id)) username = u->username;
  return json_response(201, to_json(*s, username, now_millis()));
}

http_response lift(http_request& req, services& svc, sanction_kind kind) {
  auto a = moderation_actor(req, svc);
  if (!a) return error_response(a.err());
  if (auto s = svc.mods.lift(*a, req.params[0], req.params[1], kind); !s) return error_response(s.err());
  return no_content();
}

http_response list(http_request& req, services& svc, sanction_kind kind) {
  auto a = moderation_actor(req, svc);
  if (!a) return error_response(a.err());
  auto got = svc.mods.list_sanctions(*a, req.params[0], kind);
  if (!got) return error_response(got.err());
  const millis now = now_millis();
  json::array out;
  for (const auto& v : *got) out.push_back(to_json(v.entry, v.username, now));
  const auto total = out.size();
  return json_response(200, json::object{{plural(kind), std::move(out)}, {"total", total}});
}

http_response get_settings(http_request& req, services& svc) {
  auto a = moderation_actor(req, svc);
  if (!a) return error_response(a.err());
  auto s = svc.mods.settings(*a, req.params[0]);
  if (!s) return error_response(s.err());
  return json_response(200, to_json(*s));
}

result<settings_patch> read_settings(const json::object& body) {
  settings_patch p;
  for (auto [key, target] :
       {std::pair{"slow_mode_seconds", &p.slow_mode_seconds}, std::pair{"max_message_length", &p.max_message_length}}) {
    auto v = optional_int_field(body, key);
    if (!v) return v.err();
    *target = *v;
  }
  for (auto [key, target] :
       {std::pair{"subscribers_only", &p.subscribers_only}, std::pair{"chat_enabled", &p.chat_enabled}}) {
    auto v = optional_bool_field(body, key);
    if (!v) return v.err();
    *target = *v;
  }
  return p;
}

http_response patch_settings(http_request& req, services& svc) {
  auto a = moderation_actor(req, svc);
  if (!a) return error_response(a.err());
  auto body = parse_json_object(req);
  if (!body) return error_response(body.err());
  auto p = read_settings(*body);
  if (!p) return error_response(p.err());
  auto s = svc.mods.change_settings(*a, req.params[0], *p);
  if (!s) return error_response(s.err());
  return json_response(200, to_json(*s));
}

// GET ?limit= (default 100, at most 1000) → {actions: [...]} newest first.
http_response get_log(http_request& req, services& svc) {
  auto a = moderation_actor(req, svc);
  if (!a) return error_response(a.err());
  auto limit = parse_limit(req.query_value("limit"), 100, 1000);
  if (!limit) return error_response(limit.err());
  auto got = svc.mods.log(*a, req.params[0], *limit);
  if (!got) return error_response(got.err());
  json::array out;
  for (const auto& e : *got) out.push_back(to_json(e));
  return json_response(200, json::object{{"actions", std::move(out)}});
}

}  // namespace

void add_moderation_routes(router& r, services& svc) {
  const std::string base = "/api/v1/streams/{stream_id}/";
  for (auto kind : {sanction_kind::timeout, sanction_kind::ban}) {
    const std::string path = base + plural(kind);
    r.add("POST", path, [&svc, kind](http_request& req) { return impose(req, svc, kind); });
    r.add("GET", path, [&svc, kind](http_request& req) { return list(req, svc, kind); });
    r.add("DELETE", path + "/{user_id}", [&svc, kind](http_request& req) { return lift(req, svc, kind); });
  }
  r.add("GET", base + "chat/settings", [&svc](http_request& req) { return get_settings(req, svc); });
  r.add("PATCH", base + "chat/settings", [&svc](http_request& req) { return patch_settings(req, svc); });
  r.add("GET", base + "moderation/log", [&svc](http_request& req) { return get_log(req, svc); });
}

}  // namespace sorak
