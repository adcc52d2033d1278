// GET /api/v1/streams/{id}/chat/history (CONTRACT §8, seed 004).
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "core/pagination.hpp"
#include "http/auth_guard.hpp"
#include "http/routes.hpp"
#include "protocol/events.hpp"
#include "protocol/json_codec.hpp"

namespace sorak {

namespace json = boost::json;

namespace {

result<stream> find_stream(services& svc, std::string_view id) {
  return is_room_id(id) ? svc.st.get_stream_by_room(id) : svc.st.get_stream(id);
}

http_response history(http_request& req, services& svc) {
  if (auto who = authenticate(req, svc); !who) return error_response(who.err());
  auto s = find_stream(svc, req.params[0]);
  if (!s) return error_response(s.err());
  auto limit = parse_limit(req.query_value("limit"), 50, 100);
  if (!limit) return error_response(limit.err());
  auto before = req.query_value("before");
  if (before && before->empty()) before.reset();
  if (!before) {  // the newest page: from the room's ring when it can answer
    if (auto r = svc.rooms.open(s->id)) {
      bool has_more = false;
      if (auto snap = (*r)->latest_page(static_cast<std::size_t>(*limit), has_more)) {
        http_response res;
        res.body = history_page_json(snap->message_events, has_more, snap->first_id);
        return res;
      }
    }
  }
  auto page = svc.st.history(s->id, *limit, before);
  if (!page) return error_response(page.err());
  json::array messages;
  messages.reserve(page->messages.size());
  for (const auto& m : page->messages) messages.push_back(to_json(m));
  json::value cursor = nullptr;
  if (page->next_cursor) cursor = json::value(*page->next_cursor);
  return json_response(200, json::object{{"messages", std::move(messages)},
                                         {"has_more", page->has_more},
                                         {"next_cursor", std::move(cursor)}});
}

}  // namespace

void add_history_routes(router& r, services& svc) {
  r.add("GET", "/api/v1/streams/{stream_id}/chat/history", [&svc](http_request& req) { return history(req, svc); });
}

}  // namespace sorak
