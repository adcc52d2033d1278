#include "http/routes.hpp"

#include "http/routes_static.hpp"

namespace sorak {

router make_router(services& svc) {
  router r;
  add_health_routes(r, svc);
  add_stream_routes(r, svc);
  add_history_routes(r, svc);
  add_moderator_routes(r, svc);
  add_moderation_routes(r, svc);
  add_chat_tool_routes(r, svc);
  add_openapi_routes(r, svc);
  add_poll_routes(r, svc);
  add_gift_routes(r, svc);
  add_api_key_routes(r, svc);
  add_webhook_routes(r, svc);
  add_showroom_routes(r, svc);
  add_stats_routes(r, svc);
  add_static_routes(r, svc);  // the web pages; add_dev_routes: their dev-mode login
  add_dev_routes(r, svc);
  return r;
}

}  // namespace sorak
