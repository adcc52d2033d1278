// routes.hpp: one function per resource adds its routes to the table.
#pragma once

#include "net/services.hpp"
#include "http/router.hpp"

namespace sorak {

void add_health_routes(router& r, services& svc);
void add_metrics_routes(router& r, services& svc);  // called by add_health_routes
void add_stream_routes(router& r, services& svc);
void add_history_routes(router& r, services& svc);
void add_moderator_routes(router& r, services& svc);
void add_moderation_routes(router& r, services& svc);
void add_chat_tool_routes(router& r, services& svc);
void add_openapi_routes(router& r, services& svc);
void add_poll_routes(router& r, services& svc);
void add_gift_routes(router& r, services& svc);
void add_api_key_routes(router& r, services& svc);
void add_webhook_routes(router& r, services& svc);
void add_showroom_routes(router& r, services& svc);
void add_stats_routes(router& r, services& svc);

// Builds the whole table.
router make_router(services& svc);

// The path of the chat WebSocket, handled by the upgrade, not the table.
inline constexpr std::string_view chat_ws_pattern = "/api/v1/streams/{stream_id}/chat/ws";

}  // namespace sorak
