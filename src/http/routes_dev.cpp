// POST /api/v1/dev/token (dev mode only): the web pages' "pick a name" login.
// The server mints a user token with its own secret, as `sorak token` does
// from the terminal. Without --dev the endpoint does not exist (404
// `not_found`, the same answer as any unknown path).
//
//   {"username":"alice","display_name":"Alice Chen"?,"level":12?,"premium":true?}
//   → 201 {"token":"eyJ…","user":{"id":"alice",…},"expires_in":86400}
//
// The username is also the user id (`sub`), so picking a name twice is the
// same user; picking `demo-broadcaster` is the demo stream's broadcaster.
#include <boost/json/object.hpp>

#include "core/utf8.hpp"
#include "http/routes.hpp"
#include "http/routes_static.hpp"
#include "sorak/auth.hpp"

namespace sorak {

namespace json = boost::json;

namespace {

constexpr std::int64_t dev_token_ttl_seconds = 24 * 3600;

error invalid_field(std::string msg) { return error(errc::invalid_field, std::move(msg)); }

bool valid_username(std::string_view s) {
  if (s.empty() || s.size() > 32) return false;
  return s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
         std::string_view::npos;
}

bool valid_display_name(std::string_view s) {
  if (s.empty() || s.size() > 64 || !is_valid_utf8(s)) return false;
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return false;
  return true;
}

result<token_claims> claims_from(const json::object& body) {
  token_claims c;
  auto name = body.if_contains("username");
  if (!name || !name->is_string() || !valid_username(name->get_string()))
    return invalid_field("username must be 1 to 32 letters, digits, '_', '.' or '-'");
  c.sub = c.username = std::string(name->get_string());
  c.display_name = c.username;
  if (auto d = body.if_contains("display_name"); d && !d->is_null()) {
    if (!d->is_string() || !valid_display_name(d->get_string()))
      return invalid_field("display_name must be 1 to 64 bytes of text without control characters");
    c.display_name = std::string(d->get_string());
  }
  if (auto l = body.if_contains("level"); l && !l->is_null()) {
    if (!l->is_int64() || l->get_int64() < 0 || l->get_int64() > 999)
      return invalid_field("level must be a whole number from 0 to 999");
    c.level = l->get_int64();
  }
  if (auto p = body.if_contains("premium"); p && !p->is_null()) {
    if (!p->is_bool()) return invalid_field("premium must be true or false");
    c.premium = p->get_bool();
  }
  c.ttl_seconds = dev_token_ttl_seconds;
  return c;
}

http_response dev_token(http_request& req, services& svc) {
  auto body = parse_json_object(req);
  if (!body) return error_response(body.err());
  auto claims = claims_from(*body);
  if (!claims) return error_response(claims.err());
  const auto& c = *claims;
  json::object user{{"id", c.sub},         {"username", c.username}, {"display_name", c.display_name},
                    {"avatar_url", ""},    {"level", c.level},       {"is_premium", c.premium}};
  return json_response(201, json::object{{"token", mint_token(c, svc.config.jwt_secret)},
                                         {"user", std::move(user)},
                                         {"expires_in", c.ttl_seconds}});
}

}  // namespace

void add_dev_routes(router& r, services& svc) {
  if (!svc.config.dev) return;  // not even a 405: the path does not exist
  r.add("POST", "/api/v1/dev/token", [&svc](http_request& req) { return dev_token(req, svc); });
}

}  // namespace sorak
