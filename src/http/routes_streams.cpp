// Streams (CONTRACT §4): create, list, get, patch, end.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "core/utf8.hpp"
#include "http/auth_guard.hpp"
#include "core/room_events.hpp"
#include "http/routes.hpp"
#include "protocol/json_codec.hpp"

namespace sorak {

namespace json = boost::json;

namespace {

constexpr std::size_t max_text_field = 200;

error invalid_field(std::string msg) { return error(errc::invalid_field, std::move(msg)); }

// An optional string field of at most max_text_field code points.
result<std::optional<std::string>> text_field(const json::object& o, std::string_view key, bool required) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) {
    if (required) return invalid_field(std::string(key) + " is required");
    return std::optional<std::string>{};
  }
  if (!it->value().is_string()) return invalid_field(std::string(key) + " must be a string");
  std::string v(it->value().get_string());
  if (!is_valid_utf8(v) || count_code_points(v) > max_text_field)
    return invalid_field(std::string(key) + " must be at most 200 characters");
  return std::optional<std::string>{std::move(v)};
}

// `member`: null, or an object of name/nickname/team strings.
result<std::optional<member_info>> member_field(const json::value& v) {
  if (v.is_null()) return std::optional<member_info>{};
  if (!v.is_object()) return invalid_field("member must be an object or null");
  member_info m;
  std::string* targets[] = {&m.name, &m.nickname, &m.team};
  const char* keys[] = {"name", "nickname", "team"};
  for (int i = 0; i < 3; ++i) {
    auto f = text_field(v.get_object(), keys[i], false);
    if (!f) return f.err();
    if (*f) *targets[i] = std::move(**f);
  }
  return std::optional<member_info>{std::move(m)};
}

// `playback_url`: null (no video), or an http(s) URL of at most 2000 bytes
// (an HLS playlist the chat page plays beside the chat).
result<std::optional<std::string>> playback_url_field(const json::value& v) {
  if (v.is_null()) return std::optional<std::string>{};
  if (!v.is_string()) return invalid_field("playback_url must be an http(s) URL or null");
  std::string url(v.get_string());
  const bool http = url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
  if (!http || url.size() > 2000 || url.size() < 10 || !is_valid_utf8(url) ||
      url.find_first_of(" \t\r\n\"<>") != std::string::npos)
    return invalid_field("playback_url must be an http(s) URL of at most 2000 characters, or null");
  return std::optional<std::string>{std::move(url)};
}

result<stream> find_stream(services& svc, std::string_view id) {
  return is_room_id(id) ? svc.st.get_stream_by_room(id) : svc.st.get_stream(id);
}

// Admin: broadcaster_user_id (required) and room_id (optional).
status admin_fields(const json::object& body, new_stream& ns) {
  auto owner = text_field(body, "broadcaster_user_id", true);
  if (!owner) return owner.err();
  if ((*owner)->empty() || count_code_points(**owner) > 64) return invalid_field("broadcaster_user_id must be 1 to 64 characters");
  ns.broadcaster_user_id = std::move(**owner);
  auto it = body.find("room_id");
  if (it == body.end() || it->value().is_null()) return ok_value;
  std::string room;
  if (it->value().is_string()) room = std::string(it->value().get_string());
  else if (it->value().is_int64() && it->value().get_int64() > 0) room = std::to_string(it->value().get_int64());
  if (!is_room_id(room)) return invalid_field("room_id must be a decimal number");
  ns.room_id = std::move(room);
  return ok_value;
}

// A stream as the API shows it, with the viewers connected to it now on every
// node (room_registry::viewers).
json::value with_viewers(const stream& s, services& svc) {
  json::value v = to_json(s);
  v.as_object()["viewers"] = svc.rooms.viewers(s.id);
  return v;
}

http_response create(http_request& req, services& svc) {
  auto who = authenticate(req, svc);
  if (!who) return error_response(who.err());
  auto body = parse_json_object(req);
  if (!body) return error_response(body.err());
  new_stream ns;
  auto title = text_field(*body, "title", true);
  if (!title) return error_response(title.err());
  ns.title = std::move(**title);
  if (ns.title.find_first_not_of(" \t\r\n") == std::string::npos) return error_response(invalid_field("title must not be empty"));
  auto room_name = text_field(*body, "room_name", false);
  if (!room_name) return error_response(room_name.err());
  ns.room_name = *room_name ? std::move(**room_name) : ns.title;
  if (auto it = body->find("member"); it != body->end()) {
    auto m = member_field(it->value());
    if (!m) return error_response(m.err());
    ns.member = std::move(*m);
  }
  if (auto it = body->find("playback_url"); it != body->end()) {
    auto url = playback_url_field(it->value());
    if (!url) return error_response(url.err());
    ns.playback_url = std::move(*url);
  }
  if (who->admin) {
    if (auto s = admin_fields(*body, ns); !s) return error_response(s.err());
  } else {
    if (body->contains("room_id") || body->contains("broadcaster_user_id"))
      return error_response(error(errc::forbidden, "Only the admin may choose room_id or broadcaster_user_id"));
    ns.broadcaster_user_id = who->user->user.id;
    svc.st.remember_user(who->user->user);
  }
  auto s = svc.st.create_stream(ns);
  if (!s) return error_response(s.err());
  return json_response(201, with_viewers(*s, svc));
}

http_response list(http_request& req, services& svc) {
  std::optional<stream_status> filter;
  if (auto st = req.query_value("status"); st && !st->empty()) {
    filter = parse_stream_status(*st);
    if (!filter) return error_response(invalid_field("status must be live or ended"));
  }
  const auto room = req.query_value("room_id");
  json::array out;
  for (const auto& s : svc.st.list_streams(filter)) {
    if (room && !room->empty() && s.room_id != *room) continue;
    out.push_back(with_viewers(s, svc));
  }
  return json_response(200, json::object{{"streams", std::move(out)}});
}

http_response get_one(http_request& req, services& svc) {
  auto s = find_stream(svc, req.params[0]);
  if (!s) return error_response(s.err());
  return json_response(200, with_viewers(*s, svc));
}

// Builds the patch from the body; ended → live is refused.
result<stream_patch> read_patch(const json::object& body, const stream& current) {
  stream_patch p;
  auto title = text_field(body, "title", false);
  if (!title) return title.err();
  p.title = std::move(*title);
  if (p.title && p.title->find_first_not_of(" \t\r\n") == std::string::npos) return invalid_field("title must not be empty");
  auto room_name = text_field(body, "room_name", false);
  if (!room_name) return room_name.err();
  p.room_name = std::move(*room_name);
  if (auto it = body.find("member"); it != body.end()) {
    auto m = member_field(it->value());
    if (!m) return m.err();
    p.member = std::move(*m);
  }
  if (auto it = body.find("playback_url"); it != body.end()) {
    auto url = playback_url_field(it->value());
    if (!url) return url.err();
    p.playback_url = std::move(*url);
  }
  if (auto it = body.find("status"); it != body.end()) {
    if (!it->value().is_string()) return invalid_field("status must be live or ended");
    auto st = parse_stream_status(it->value().get_string());
    if (!st) return invalid_field("status must be live or ended");
    if (*st == stream_status::live && current.status == stream_status::ended)
      return error(errc::stream_already_ended);
    p.status = st;
  }
  return p;
}

http_response patch(http_request& req, services& svc) {
  auto who = authenticate(req, svc);
  if (!who) return error_response(who.err());
  auto current = find_stream(svc, req.params[0]);
  if (!current) return error_response(current.err());
  if (!who->admin && who->user->user.id != current->broadcaster_user_id)
    return error_response(error(errc::forbidden, "Only the broadcaster may change this stream"));
  auto body = parse_json_object(req);
  if (!body) return error_response(body.err());
  auto p = read_patch(*body, *current);
  if (!p) return error_response(p.err());
  auto updated = svc.st.update_stream(current->id, *p);
  if (!updated) return error_response(updated.err());
  svc.chat.publish(stream_changed(*updated, updated->status != current->status));
  return json_response(200, with_viewers(*updated, svc));
}

}  // namespace

void add_stream_routes(router& r, services& svc) {
  r.add("POST", "/api/v1/streams", [&svc](http_request& req) { return create(req, svc); });
  r.add("GET", "/api/v1/streams", [&svc](http_request& req) { return list(req, svc); });
  r.add("GET", "/api/v1/streams/{stream_id}", [&svc](http_request& req) { return get_one(req, svc); });
  r.add("PATCH", "/api/v1/streams/{stream_id}", [&svc](http_request& req) { return patch(req, svc); });
}

}  // namespace sorak
