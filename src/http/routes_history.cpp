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

http_response history(http_request& req, services& svc) {
  if (auto who = authenticate(req, svc); !who) return error_response(who.err());
  // The room registry knows the stream (by id or room id) without a store read.
  auto room = svc.rooms.open(req.params[0]);
  if (!room) return error_response(room.err());
  const std::shared_ptr<sorak::room>& r = *room;
  auto limit = parse_limit(req.query_value("limit"), 50, 100);
  if (!limit) return error_response(limit.err());
  auto before = req.query_value("before");
  if (before && before->empty()) before.reset();
  if (!before) {  // the newest page: from the room's ring when it can answer, built once per change
    const auto n = static_cast<std::size_t>(*limit);
    auto page = r->cached(room::view::rest_page, n, [&] {
      bool has_more = false;
      auto snap = r->latest_page(n, has_more);
      if (!snap) return room::cached_view{};
      return room::cached_view{std::make_shared<const std::string>(
                                   history_page_json(snap->message_events, has_more, snap->first_id)),
                               snap->seq};
    });
    if (page.body) {
      http_response res;
      res.body = *page.body;
      return res;
    }
  }
  auto page = svc.st.history(r->stream_id(), *limit, before);
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
