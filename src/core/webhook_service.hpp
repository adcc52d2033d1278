// webhook_service.hpp: the admin's webhooks (CONTRACT §12): registering one
// (its URL checked, a secret made), listing, removing, and its delivery log.
// Delivery itself is net/webhook_dispatcher's.
//
// Thread-safety: every method may be called from any thread; each blocks for
// one store call.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sorak/result.hpp"
#include "sorak/store.hpp"

namespace sorak {

class webhook_service {
 public:
  webhook_service(store& st, bool allow_private) : store_(st), allow_private_(allow_private) {}

  // 400 `invalid_url` / `private_url` for the URL; 400 `invalid_field` when
  // events is empty, names an unknown kind or one twice; 404 `stream_not_found`
  // for an unknown stream_id. The answer holds the secret.
  result<webhook> create(std::string_view url, const std::vector<std::string>& events,
                         const std::optional<std::string>& stream_id);
  std::vector<webhook> list() { return store_.list_webhooks(); }
  result<webhook> get(std::string_view id) { return store_.get_webhook(id); }
  // 404 `webhook_not_found`.
  status remove(std::string_view id);
  // Newest first; 404 `webhook_not_found`.
  result<std::vector<webhook_delivery>> deliveries(std::string_view id, int limit);

  // Told after every change, so this node's dispatcher reloads at once (the
  // others within their reload period).
  void on_change(std::function<void()> f) { changed_ = std::move(f); }

 private:
  store& store_;
  bool allow_private_;
  std::function<void()> changed_;
};

}  // namespace sorak
