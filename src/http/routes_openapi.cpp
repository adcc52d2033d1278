// GET /api/openapi.yaml: the OpenAPI 3.1 description of every REST endpoint
// (docs/openapi.yaml, compiled into this binary, so it describes this very
// build; tests/integration/openapi.test.mjs checks real answers against it).
#include "http/routes.hpp"

namespace sorak {

extern const std::string_view openapi_yaml;

void add_openapi_routes(router& r, services&) {
  r.add("GET", "/api/openapi.yaml", [](http_request&) {
    http_response res;
    res.body = std::string(openapi_yaml);
    res.content_type = "application/yaml";
    return res;
  });
}

}  // namespace sorak
