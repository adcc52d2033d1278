// API keys for the Showroom-style API (CONTRACT §3): the admin creates, lists
// and revokes them. The key itself is in the creation answer only.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "core/clock.hpp"
#include "http/auth_guard.hpp"
#include "http/routes.hpp"

namespace sorak {

namespace json = boost::json;

namespace {

json::object key_json(const api_key& k) {
  return {{"id", k.id},
          {"name", k.name},
          {"prefix", k.prefix},
          {"created_at", format_rfc3339_ms(k.created_at)},
          {"revoked_at", k.revoked_at ? json::value(format_rfc3339_ms(*k.revoked_at)) : json::value(nullptr)}};
}

http_response create(http_request& req, services& svc) {
  if (auto s = require_admin(req, svc); !s) return error_response(s.err());
  auto body = parse_json_object(req);
  if (!body) return error_response(body.err());
  auto name = body->find("name");
  if (name == body->end() || !name->value().is_string())
    return error_response(error(errc::invalid_field, "name must be a string"));
  auto made = svc.api_keys.create(name->value().get_string());
  if (!made) return error_response(made.err());
  json::object out = key_json(made->key);
  out["key"] = made->secret;
  return json_response(201, out);
}

http_response list(http_request& req, services& svc) {
  if (auto s = require_admin(req, svc); !s) return error_response(s.err());
  json::array keys;
  for (const auto& k : svc.api_keys.list()) keys.push_back(key_json(k));
  return json_response(200, json::object{{"api_keys", std::move(keys)}});
}

http_response revoke(http_request& req, services& svc) {
  if (auto s = require_admin(req, svc); !s) return error_response(s.err());
  if (auto s = svc.api_keys.revoke(req.params[0]); !s) return error_response(s.err());
  return no_content();
}

}  // namespace

void add_api_key_routes(router& r, services& svc) {
  r.add("POST", "/api/v1/admin/api-keys", [&svc](http_request& req) { return create(req, svc); });
  r.add("GET", "/api/v1/admin/api-keys", [&svc](http_request& req) { return list(req, svc); });
  r.add("DELETE", "/api/v1/admin/api-keys/{id}", [&svc](http_request& req) { return revoke(req, svc); });
}

}  // namespace sorak
