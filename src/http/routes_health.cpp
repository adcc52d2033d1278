// GET /healthz: the process answers. GET /readyz: the node takes traffic —
// the store answers a read, the broker carries events between the nodes, and
// the server is not shutting down (SIGTERM sets
// services::shutting_down before it stops accepting). A load balancer takes
// the node out of rotation on 503. GET /metrics: routes_metrics.cpp.
// (CONTRACT §13, docs/operations.md.)
#include <boost/json/object.hpp>

#include "http/routes.hpp"

namespace sorak {

namespace {

// A read no stream can satisfy: "not found" is the store answering.
bool store_answers(services& svc) {
  auto r = svc.st.get_stream("00000000-0000-7000-8000-000000000000");
  return r || r.err().http_status == 404;
}

}  // namespace

void add_health_routes(router& r, services& svc) {
  r.add("GET", "/healthz", [&svc](http_request&) {
    if (svc.shutting_down.load()) return error_response(error(errc::shutting_down, "The server is shutting down"));
    return json_response(200, boost::json::object{{"status", "ok"}});
  });
  r.add("GET", "/readyz", [&svc](http_request&) {
    if (svc.shutting_down.load()) return error_response(error(errc::shutting_down, "The server is shutting down"));
    if (!store_answers(svc))
      return error_response(error(errc::store_unavailable));
    if (!svc.message_broker.connected()) return error_response(error(errc::broker_unavailable));
    return json_response(200, boost::json::object{{"status", "ready"}});
  });
  add_metrics_routes(r, svc);
}

}  // namespace sorak
