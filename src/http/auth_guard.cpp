#include "http/auth_guard.hpp"

#include "core/clock.hpp"

namespace sorak {

result<caller> authenticate(const http_request& req, const services& svc) {
  const auto credential = req.bearer();
  if (credential.empty())
    return error(errc::unauthorized, "Send Authorization: Bearer <token>");
  if (!svc.config.admin_key.empty() && constant_time_equal(credential, svc.config.admin_key))
    return caller{true, std::nullopt};
  auto who = svc.tokens.verify(credential);
  if (!who) return who.err();
  return caller{false, std::move(*who)};
}

status require_admin(const http_request& req, const services& svc) {
  auto who = authenticate(req, svc);
  if (!who) return who.err();
  if (!who->admin) return error(errc::forbidden, "This needs the admin key");
  return ok_value;
}

status authenticate_reader(const http_request& req, services& svc) {
  if (req.bearer().empty()) {
    if (auto key = req.query_value("apikey"); key && !key->empty()) {
      auto k = svc.api_keys.check(*key, now_millis());
      if (!k) return k.err();
      return ok_value;
    }
  }
  auto who = authenticate(req, svc);
  if (!who) return who.err();
  return ok_value;
}

}  // namespace sorak
