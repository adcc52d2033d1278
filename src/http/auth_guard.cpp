#include "http/auth_guard.hpp"

namespace sorak {

result<caller> authenticate(const http_request& req, const services& svc) {
  const auto credential = req.bearer();
  if (credential.empty())
    return error::unauthorized("unauthorized", "Send Authorization: Bearer <token>");
  if (!svc.config.admin_key.empty() && constant_time_equal(credential, svc.config.admin_key))
    return caller{true, std::nullopt};
  auto who = svc.tokens.verify(credential);
  if (!who) return who.err();
  return caller{false, std::move(*who)};
}

}  // namespace sorak
