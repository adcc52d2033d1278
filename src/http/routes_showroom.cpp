// The Showroom-style API (seed 000, CONTRACT §9): the chat feed of a room,
// the live streams, and recently ended streams with their statistics. Every
// request carries ?apikey= (401 without a valid key, 429 past its limit).
#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <memory>
#include <vector>

#include "core/clock.hpp"
#include "core/pagination.hpp"
#include "core/showroom_since.hpp"
#include "core/room.hpp"
#include "core/room_reads.hpp"
#include "http/routes.hpp"
#include "protocol/plain_json.hpp"
#include "protocol/showroom_json.hpp"

namespace sorak {

namespace json = boost::json;

namespace {

status check_key(const http_request& req, services& svc) {
  auto key = req.query_value("apikey");
  auto k = svc.api_keys.check(key ? *key : std::string_view(), now_millis());
  if (!k) return k.err();
  return ok_value;
}

result<std::optional<millis>> since_param(const http_request& req) {
  return parse_showroom_since(req.query_value("since"));  // src/core/showroom_since.cpp (fuzzed)
}

std::int64_t viewers_of(services& svc, const std::string& stream_id) { return svc.rooms.viewers(stream_id); }

http_response chat_stream(http_request& req, services& svc) {
  if (auto s = check_key(req, svc); !s) return error_response(s.err());
  auto room_id = req.query_value("room_id");
  if (!room_id || room_id->empty())
    return error_response(error(errc::missing_room_id, "room_id is required (see /api/jkt48/live/showroom)"));
  auto room = svc.rooms.open(*room_id);
  if (!room)
    return error_response(error(errc::room_not_found, "No stream has room_id " + std::string(*room_id)));
  auto limit = parse_limit(req.query_value("limit"), 50, 1000);
  if (!limit) return error_response(limit.err());
  auto since = since_param(req);
  if (!since) return error_response(since.err());
  const auto& r = *room;
  const millis now = now_millis();
  const stream info = r->info();
  shared_json messages = showroom_feed(*r, svc.st, static_cast<std::size_t>(*limit), *since);
  // stream_info and stats change with the clock; the messages only with the room.
  http_response res;
  res.body.reserve(messages->size() + 1024);
  res.body += R"({"stream_info":)";
  res.body += json::serialize(showroom_stream_info(info, r->viewer_total(), now));
  res.body += R"(,"chat_messages":)";
  res.body += *messages;
  res.body += R"(,"stats":)";
  res.body += serialize_plain(showroom_stats(r->stats().snapshot(0, now, now), info, now));
  res.body += '}';
  return res;
}

http_response live(http_request& req, services& svc) {
  if (auto s = check_key(req, svc); !s) return error_response(s.err());
  json::array out;
  for (const auto& s : svc.st.list_streams(stream_status::live)) {
    out.push_back(json::object{{"room_id", s.room_id},
                               {"room_name", s.room_name},
                               {"title", s.title},
                               {"status", to_string(s.status)},
                               {"viewers", viewers_of(svc, s.id)},
                               {"started_at", format_rfc3339_ms(s.started_at)},
                               {"member", showroom_member(s)}});
  }
  return json_response(200, json::object{{"live_streams", std::move(out)}});
}

http_response recent(http_request& req, services& svc) {
  if (auto s = check_key(req, svc); !s) return error_response(s.err());
  auto limit = parse_limit(req.query_value("limit"), 10, 100);
  if (!limit) return error_response(limit.err());
  auto ended = svc.st.list_streams(stream_status::ended);
  std::stable_sort(ended.begin(), ended.end(),
                   [](const stream& a, const stream& b) { return a.ended_at.value_or(0) > b.ended_at.value_or(0); });
  if (ended.size() > static_cast<std::size_t>(*limit)) ended.resize(static_cast<std::size_t>(*limit));
  const millis now = now_millis();
  json::array out;
  for (const auto& s : ended) {
    auto room = svc.rooms.open(s.id);  // its statistics live in the room
    if (!room) continue;
    out.push_back(json::object{{"room_id", s.room_id},
                               {"room_name", s.room_name},
                               {"title", s.title},
                               {"status", to_string(s.status)},
                               {"started_at", format_rfc3339_ms(s.started_at)},
                               {"ended_at", format_rfc3339_ms(s.ended_at.value_or(now))},
                               {"duration", format_duration(stream_elapsed(s, now))},
                               {"member", showroom_member(s)},
                               {"stats", showroom_stats((*room)->stats().snapshot(0, now, now), s, now)}});
  }
  return json_response(200, json::object{{"recent", std::move(out)}});
}

}  // namespace

void add_showroom_routes(router& r, services& svc) {
  r.add("GET", "/api/jkt48/chat-stream-sr", [&svc](http_request& req) { return chat_stream(req, svc); });
  r.add("GET", "/api/jkt48/live/showroom", [&svc](http_request& req) { return live(req, svc); });
  r.add("GET", "/api/jkt48/recent", [&svc](http_request& req) { return recent(req, svc); });
}

}  // namespace sorak
