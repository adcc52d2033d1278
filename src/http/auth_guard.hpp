// auth_guard.hpp: who is calling a REST endpoint.
//
// `Authorization: Bearer X` where X is the admin key (compared in constant
// time) or a user JWT. No credential → 401 `unauthorized`; a bad token → 401
// `invalid_token` / `token_expired`. Pure apart from reading services.
#pragma once

#include <optional>

#include "net/services.hpp"
#include "http/message.hpp"

namespace sorak {

struct caller {
  bool admin = false;
  std::optional<principal> user;  // set unless admin
};

result<caller> authenticate(const http_request& req, const services& svc);
// The admin key only: 401 without (or with a bad) credential, 403 `forbidden`
// for a valid user token.
status require_admin(const http_request& req, const services& svc);
// A reader of a stream's analytics: a Bearer credential (user or admin) or a
// Showroom API key in ?apikey= (which counts toward that key's rate limit).
status authenticate_reader(const http_request& req, services& svc);

}  // namespace sorak
