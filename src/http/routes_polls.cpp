// Polls (CONTRACT §12):
//   POST /api/v1/streams/{id}/polls {question, options[2..5], duration_seconds}  staff → 201 {data: Poll}
//   GET  /api/v1/streams/{id}/polls                                              any reader → {data: [Poll…]}
//   GET  /api/v1/streams/{id}/polls/{poll_id}                                    any reader → {data: Poll}
//   POST /api/v1/streams/{id}/polls/{poll_id}/close                              staff → {data: Poll}
// Votes come over the WebSocket ({"type":"vote"}).
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "core/clock.hpp"
#include "http/auth_guard.hpp"
#include "http/moderation_request.hpp"
#include "http/routes.hpp"
#include "protocol/json_codec.hpp"

namespace sorak {

namespace json = boost::json;

namespace {

result<poll_request> read_poll(const json::object& body) {
  poll_request req;
  const auto* q = body.if_contains("question");
  if (!q || !q->is_string()) return error(errc::invalid_field, "question is required (a string)");
  req.question = std::string(q->get_string());
  const auto* options = body.if_contains("options");
  if (!options || !options->is_array()) return error(errc::invalid_field, "options is required (2 to 5 strings)");
  for (const auto& o : options->get_array()) {
    if (!o.is_string()) return error(errc::invalid_field, "each option must be a string");
    req.options.emplace_back(o.get_string());
  }
  auto d = optional_int_field(body, "duration_seconds");
  if (!d) return d.err();
  if (!*d) return error(errc::invalid_field, "duration_seconds is required (10 to 3600)");
  req.duration_seconds = **d;
  return req;
}

http_response create(http_request& req, services& svc) {
  auto a = moderation_actor(req, svc);
  if (!a) return error_response(a.err());
  auto body = parse_json_object(req);
  if (!body) return error_response(body.err());
  auto r = read_poll(*body);
  if (!r) return error_response(r.err());
  auto p = svc.mods.create_poll(*a, req.params[0], *r);
  if (!p) return error_response(p.err());
  return json_response(201, json::object{{"data", to_json(*p, now_millis())}});
}

http_response close(http_request& req, services& svc) {
  auto a = moderation_actor(req, svc);
  if (!a) return error_response(a.err());
  auto p = svc.mods.close_poll(*a, req.params[0], req.params[1]);
  if (!p) return error_response(p.err());
  return json_response(200, json::object{{"data", to_json(*p, now_millis())}});
}

http_response list(http_request& req, services& svc) {
  if (auto who = authenticate(req, svc); !who) return error_response(who.err());
  auto got = svc.mods.polls(req.params[0]);
  if (!got) return error_response(got.err());
  const millis now = now_millis();
  json::array out;
  for (const auto& p : *got) out.push_back(to_json(p, now));
  return json_response(200, json::object{{"data", std::move(out)}});
}

http_response get_one(http_request& req, services& svc) {
  if (auto who = authenticate(req, svc); !who) return error_response(who.err());
  auto p = svc.mods.poll_of(req.params[0], req.params[1]);
  if (!p) return error_response(p.err());
  return json_response(200, json::object{{"data", to_json(*p, now_millis())}});
}

}  // namespace

void add_poll_routes(router& r, services& svc) {
  const std::string base = "/api/v1/streams/{stream_id}/polls";
  r.add("POST", base, [&svc](http_request& req) { return create(req, svc); });
  r.add("GET", base, [&svc](http_request& req) { return list(req, svc); });
  r.add("GET", base + "/{poll_id}", [&svc](http_request& req) { return get_one(req, svc); });
  r.add("POST", base + "/{poll_id}/close", [&svc](http_request& req) { return close(req, svc); });
}

}  // namespace sorak
