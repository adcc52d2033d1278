// Blocked terms, the pinned message, and one message by id (CONTRACT §12).
//   GET    /api/v1/streams/{id}/chat/blocked-terms            staff → {data: [term…]}
//   POST   /api/v1/streams/{id}/chat/blocked-terms {term}     staff → 201 {data: term}
//   DELETE /api/v1/streams/{id}/chat/blocked-terms/{term_id}  staff → 204
//   GET    /api/v1/streams/{id}/chat/pin                      any reader → {data: Message|null}
//   POST   /api/v1/streams/{id}/chat/pin {message_id}         staff → {data: Message}
//   DELETE /api/v1/streams/{id}/chat/pin                      staff → 204
//   GET    /api/v1/streams/{id}/chat/messages/{message_id}    any reader → {data: Message}
//   GET    /api/v1/streams/{id}/chat/replay?from=S&to=S       any reader → {data: [Message + offset_ms], …}
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <cmath>
#include <cstdlib>

#include "core/room_registry.hpp"
#include "http/auth_guard.hpp"
#include "http/moderation_request.hpp"
#include "http/routes.hpp"
#include "protocol/json_codec.hpp"
#include "core/clock.hpp"

namespace sorak {

namespace json = boost::json;

namespace {

json::object term_json(const blocked_term& t) {
  return {{"id", t.id}, {"term", t.term}, {"created_by", t.created_by}, {"created_at", format_rfc3339_ms(t.created_at)}};
}

// {"data": <encoded message>} or {"data": null}.
http_response data_message(int status, const message* m) {
  http_response res;
  res.status = status;
  res.body = std::string(R"({"data":)") + (m ? encode_message(*m) : std::string("null")) + "}";
  return res;
}

http_response list_terms(http_request& req, services& svc) {
  auto a = moderation_actor(req, svc);
  if (!a) return error_response(a.err());
  auto got = svc.mods.blocked_terms(*a, req.params[0]);
  if (!got) return error_response(got.err());
  json::array out;
  for (const auto& t : *got) out.push_back(term_json(t));
  return json_response(200, json::object{{"data", std::move(out)}});
}

http_response add_term(http_request& req, services& svc) {
  auto a = moderation_actor(req, svc);
  if (!a) return error_response(a.err());
  auto body = parse_json_object(req);
  if (!body) return error_response(body.err());
  const auto* term = body->if_contains("term");
  if (!term || !term->is_string()) return error_response(error(errc::invalid_field, "term is required (a string)"));
  auto got = svc.mods.add_blocked_term(*a, req.params[0], term->get_string());
  if (!got) return error_response(got.err());
  return json_response(201, json::object{{"data", term_json(*got)}});
}

http_response remove_term(http_request& req, services& svc) {
  auto a = moderation_actor(req, svc);
  if (!a) return error_response(a.err());
  if (auto s = svc.mods.remove_blocked_term(*a, req.params[0], req.params[1]); !s) return error_response(s.err());
  return no_content();
}

http_response get_pin(http_request& req, services& svc) {
  if (auto who = authenticate(req, svc); !who) return error_response(who.err());
  auto got = svc.mods.pinned(req.params[0]);
  if (!got) return error_response(got.err());
  return data_message(200, got->get());
}

http_response put_pin(http_request& req, services& svc) {
  auto a = moderation_actor(req, svc);
  if (!a) return error_response(a.err());
  auto body = parse_json_object(req);
  if (!body) return error_response(body.err());
  const auto* id = body->if_contains("message_id");
  if (!id || !id->is_string() || id->get_string().empty())
    return error_response(error(errc::invalid_field, "message_id is required (a message id of this stream)"));
  auto got = svc.mods.pin(*a, req.params[0], id->get_string());
  if (!got) return error_response(got.err());
  return data_message(200, &*got);
}

http_response delete_pin(http_request& req, services& svc) {
  auto a = moderation_actor(req, svc);
  if (!a) return error_response(a.err());
  if (auto s = svc.mods.unpin(*a, req.params[0]); !s) return error_response(s.err());
  return no_content();
}

// A reply's parent, for a client that does not have it: a deleted message is
// not served (404), so a quote of it says so.
http_response get_message(http_request& req, services& svc) {
  if (auto who = authenticate(req, svc); !who) return error_response(who.err());
  auto room = svc.rooms.open(req.params[0]);
  if (!room) return error_response(room.err());
  if (auto m = (*room)->find_recent(req.params[1])) return data_message(200, &*m);
  auto m = svc.st.get_message((*room)->stream_id(), req.params[1]);
  if (!m || m->deleted) return error_response(error(errc::message_not_found, "no such message in this stream"));
  return data_message(200, &*m);
}

// Seconds from a query parameter: a non-negative number (decimals allowed).
result<std::optional<double>> seconds_param(const http_request& req, const char* name) {
  auto v = req.query_value(name);
  if (!v || v->empty()) return std::optional<double>{};
  char* end = nullptr;
  const std::string text(*v);
  const double d = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !(d >= 0) || d > 1e9)
    return error(errc::invalid_field, std::string(name) + " must be a number of seconds, 0 or more");
  return std::optional<double>{d};
}

// Chat replay (CONTRACT §12): the messages from `from` to `to` seconds after
// the stream started, each with its offset_ms, oldest first; at most 500 per
// answer (has_more: ask again from the last offset).
http_response replay(http_request& req, services& svc) {
  if (auto who = authenticate(req, svc); !who) return error_response(who.err());
  constexpr int most = 500;
  constexpr double widest_s = 3600;
  auto from = seconds_param(req, "from");
  if (!from) return error_response(from.err());
  auto to = seconds_param(req, "to");
  if (!to) return error_response(to.err());
  const double from_s = from->value_or(0);
  const double to_s = to->value_or(from_s + 300);
  if (to_s <= from_s || to_s - from_s > widest_s)
    return error_response(error(errc::invalid_field, "to must be after from, at most 3600 seconds after it"));
  auto room = svc.rooms.open(req.params[0]);
  if (!room) return error_response(room.err());
  const stream info = (*room)->info();
  const auto at = [&](double s) { return info.started_at + static_cast<millis>(std::llround(s * 1000)); };
  auto got = svc.st.messages_between(info.id, at(from_s), at(to_s), most + 1);
  const bool has_more = got.size() > static_cast<std::size_t>(most);
  if (has_more) got.resize(most);
  std::string body = R"({"data":[)";
  for (std::size_t i = 0; i < got.size(); ++i) {
    auto m = to_json(got[i]);
    m["offset_ms"] = got[i].created_at - info.started_at;
    if (i) body += ',';
    body += boost::json::serialize(m);
  }
  body += "],\"started_at\":\"" + format_rfc3339_ms(info.started_at) + "\",\"ended_at\":";
  body += info.ended_at ? "\"" + format_rfc3339_ms(*info.ended_at) + "\"" : std::string("null");
  body += has_more ? R"(,"has_more":true})" : R"(,"has_more":false})";
  http_response res;
  res.body = std::move(body);
  return res;
}

}  // namespace

void add_chat_tool_routes(router& r, services& svc) {
  const std::string base = "/api/v1/streams/{stream_id}/chat/";
  r.add("GET", base + "blocked-terms", [&svc](http_request& req) { return list_terms(req, svc); });
  r.add("POST", base + "blocked-terms", [&svc](http_request& req) { return add_term(req, svc); });
  r.add("DELETE", base + "blocked-terms/{term_id}", [&svc](http_request& req) { return remove_term(req, svc); });
  r.add("GET", base + "pin", [&svc](http_request& req) { return get_pin(req, svc); });
  r.add("POST", base + "pin", [&svc](http_request& req) { return put_pin(req, svc); });
  r.add("DELETE", base + "pin", [&svc](http_request& req) { return delete_pin(req, svc); });
  r.add("GET", base + "messages/{message_id}", [&svc](http_request& req) { return get_message(req, svc); });
  r.add("GET", base + "replay", [&svc](http_request& req) { return replay(req, svc); });
}

}  // namespace sorak
