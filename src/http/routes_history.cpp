// GET /api/v1/streams/{id}/chat/history (CONTRACT §8, seed 004).
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "core/pagination.hpp"
#include "core/room_reads.hpp"
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
    auto body = first_history_page(*r, svc.st, static_cast<std::size_t>(*limit));
    if (!body) return error_response(body.err());
    http_response res;
    res.shared_body = std::move(*body);  // the page's bytes, not a copy per request
    return res;
  }
  auto page = svc.st.history(r->stream_id(), *limit, before);
  if (!page) return error_response(page.err());
  http_response res;
  res.body = history_page_body(*page);
  return res;
}

}  // namespace

void add_history_routes(router& r, services& svc) {
  r.add("GET", "/api/v1/streams/{stream_id}/chat/history", [&svc](http_request& req) { return history(req, svc); });
}

}  // namespace sorak
