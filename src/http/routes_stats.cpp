// GET /api/v1/streams/{id}/stats (CONTRACT §10): a stream's analytics, from
// the room's running aggregates (core/stream_stats.hpp), never a history walk.
#include <algorithm>
#include <boost/json/object.hpp>
#include <string>

#include "core/clock.hpp"
#include "http/auth_guard.hpp"
#include "core/pagination.hpp"
#include "http/routes.hpp"
#include "protocol/showroom_json.hpp"
#include "protocol/stats_json.hpp"

namespace sorak {

namespace {

http_response stats(http_request& req, services& svc) {
  if (auto s = authenticate_reader(req, svc); !s) return error_response(s.err());
  auto room = svc.rooms.open(req.params[0]);
  if (!room) return error_response(room.err());
  // As a limit: 0, negative or not a whole number is refused; over 100 is 100.
  auto parsed = parse_limit(req.query_value("top"), 10, 100);
  if (!parsed) return error_response(error(errc::invalid_top, "top must be a whole number from 1 to 100"));
  const auto top = static_cast<std::size_t>(*parsed);
  const auto& r = *room;
  const stream info = r->info();
  const millis now = now_millis();
  const millis until = info.started_at + stream_elapsed(info, now);
  auto snap = r->stats().snapshot(top, info.started_at, until);
  return json_response(200, stream_stats_json(snap, info, r->viewer_total(), now));
}

}  // namespace

void add_stats_routes(router& r, services& svc) {
  r.add("GET", "/api/v1/streams/{stream_id}/stats", [&svc](http_request& req) { return stats(req, svc); });
}

}  // namespace sorak
