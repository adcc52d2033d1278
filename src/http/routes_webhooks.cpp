// Webhooks (CONTRACT §12, docs/api.md "Webhooks"): the admin registers a
// receiver for kinds of events, lists and removes them, and reads each one's
// delivery log. The secret is in the creation answer only.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>

#include "core/clock.hpp"
#include "core/pagination.hpp"
#include "core/webhook_service.hpp"
#include "http/auth_guard.hpp"
#include "http/routes.hpp"

namespace sorak {

namespace json = boost::json;

namespace {

json::value time_or_null(millis t) { return t ? json::value(format_rfc3339_ms(t)) : json::value(nullptr); }

json::object webhook_json(const webhook& w) {
  json::array events;
  for (auto e : w.events) events.push_back(json::string(to_string(e)));
  return {{"id", w.id},
          {"url", w.url},
          {"events", std::move(events)},
          {"stream_id", w.stream_id ? json::value(*w.stream_id) : json::value(nullptr)},
          {"created_at", format_rfc3339_ms(w.created_at)}};
}

json::object delivery_json(const webhook_delivery& d) {
  json::value payload;
  boost::system::error_code ec;
  payload = json::parse(d.payload, ec);
  if (ec) payload = json::value(d.payload);
  return {{"id", d.id},
          {"event", to_string(d.event)},
          {"stream_id", d.stream_id},
          {"status", to_string(d.status)},
          {"attempts", d.attempts},
          {"response_status", d.response_status ? json::value(d.response_status) : json::value(nullptr)},
          {"error", d.error.empty() ? json::value(nullptr) : json::value(d.error)},
          {"created_at", format_rfc3339_ms(d.created_at)},
          {"last_attempt_at", time_or_null(d.last_attempt_at)},
          {"next_attempt_at",
           d.status == delivery_status::pending ? time_or_null(d.next_attempt_at) : json::value(nullptr)},
          {"delivered_at", time_or_null(d.delivered_at)},
          {"payload", std::move(payload)}};
}

http_response create(http_request& req, services& svc) {
  if (auto s = require_admin(req, svc); !s) return error_response(s.err());
  auto body = parse_json_object(req);
  if (!body) return error_response(body.err());
  auto url = body->find("url");
  if (url == body->end() || !url->value().is_string())
    return error_response(error(errc::invalid_field, "url must be a string"));
  auto events = body->find("events");
  if (events == body->end() || !events->value().is_array())
    return error_response(error(errc::invalid_field, "events must be an array of event kinds"));
  std::vector<std::string> names;
  for (const auto& e : events->value().get_array()) {
    if (!e.is_string()) return error_response(error(errc::invalid_field, "events must be an array of strings"));
    names.emplace_back(e.get_string());
  }
  std::optional<std::string> stream_id;
  if (auto s = body->find("stream_id"); s != body->end() && !s->value().is_null()) {
    if (!s->value().is_string()) return error_response(error(errc::invalid_field, "stream_id must be a string or null"));
    stream_id = std::string(s->value().get_string());
  }
  auto made = svc.webhooks->create(url->value().get_string(), names, stream_id);
  if (!made) return error_response(made.err());
  json::object out = webhook_json(*made);
  out["secret"] = made->secret;
  return json_response(201, out);
}

http_response list(http_request& req, services& svc) {
  if (auto s = require_admin(req, svc); !s) return error_response(s.err());
  json::array hooks;
  for (const auto& w : svc.webhooks->list()) hooks.push_back(webhook_json(w));
  return json_response(200, json::object{{"webhooks", std::move(hooks)}});
}

http_response get_one(http_request& req, services& svc) {
  if (auto s = require_admin(req, svc); !s) return error_response(s.err());
  auto w = svc.webhooks->get(req.params[0]);
  if (!w) return error_response(w.err());
  return json_response(200, webhook_json(*w));
}

http_response remove(http_request& req, services& svc) {
  if (auto s = require_admin(req, svc); !s) return error_response(s.err());
  if (auto s = svc.webhooks->remove(req.params[0]); !s) return error_response(s.err());
  return no_content();
}

http_response deliveries(http_request& req, services& svc) {
  if (auto s = require_admin(req, svc); !s) return error_response(s.err());
  auto limit = parse_limit(req.query_value("limit"), 50, 200);
  if (!limit) return error_response(limit.err());
  auto got = svc.webhooks->deliveries(req.params[0], *limit);
  if (!got) return error_response(got.err());
  json::array out;
  for (const auto& d : *got) out.push_back(delivery_json(d));
  return json_response(200, json::object{{"deliveries", std::move(out)}});
}

}  // namespace

void add_webhook_routes(router& r, services& svc) {
  r.add("POST", "/api/v1/admin/webhooks", [&svc](http_request& req) { return create(req, svc); });
  r.add("GET", "/api/v1/admin/webhooks", [&svc](http_request& req) { return list(req, svc); });
  r.add("GET", "/api/v1/admin/webhooks/{id}", [&svc](http_request& req) { return get_one(req, svc); });
  r.add("DELETE", "/api/v1/admin/webhooks/{id}", [&svc](http_request& req) { return remove(req, svc); });
  r.add("GET", "/api/v1/admin/webhooks/{id}/deliveries", [&svc](http_request& req) { return deliveries(req, svc); });
}

}  // namespace sorak
