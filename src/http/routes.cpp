#include "http/routes.hpp"

namespace sorak {

router make_router(services& svc) {
  router r;
  add_health_routes(r, svc);
  add_stream_routes(r, svc);
  add_history_routes(r, svc);
  add_moderator_routes(r, svc);
  add_moderation_routes(r, svc);
  add_gift_routes(r, svc);
  add_api_key_routes(r, svc);
  add_showroom_routes(r, svc);
  add_stats_routes(r, svc);
  return r;
}

}  // namespace sorak
