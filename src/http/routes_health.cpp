// GET /healthz: the process answers. (/readyz and /metrics: CONTRACT §13, issue 7.)
#include <boost/json/object.hpp>

#include "http/routes.hpp"

namespace sorak {

void add_health_routes(router& r, services& svc) {
  r.add("GET", "/healthz", [&svc](http_request&) {
    if (svc.shutting_down.load()) return error_response(error::unavailable("The server is shutting down"));
    return json_response(200, boost::json::object{{"status", "ok"}});
  });
}

}  // namespace sorak
