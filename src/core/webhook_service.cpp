#include "core/webhook_service.hpp"

#include <algorithm>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/webhook_rules.hpp"

namespace sorak {

result<webhook> webhook_service::create(std::string_view url, const std::vector<std::string>& events,
                                        const std::optional<std::string>& stream_id) {
  if (auto t = check_webhook_url(url, allow_private_); !t) return t.err();
  if (events.empty())
    return error(errc::invalid_field, "events must list at least one of: message, gift, deletion, moderation, stream, poll");
  webhook w;
  for (const auto& name : events) {
    auto e = parse_webhook_event(name);
    if (!e)
      return error(errc::invalid_field, "unknown event \"" + name +
                                            "\"; events are message, gift, deletion, moderation, stream, poll");
    if (std::find(w.events.begin(), w.events.end(), *e) != w.events.end())
      return error(errc::invalid_field, "event \"" + name + "\" is listed twice");
    w.events.push_back(*e);
  }
  if (stream_id) {
    auto s = store_.get_stream(*stream_id);
    if (!s) return s.err();
  }
  w.id = new_uuid_v7();
  w.url = std::string(url);
  w.stream_id = stream_id;
  w.secret = new_webhook_secret();
  w.created_at = now_millis();
  if (auto s = store_.create_webhook(w); !s) return s.err();
  if (changed_) changed_();
  return w;
}

status webhook_service::remove(std::string_view id) {
  if (auto s = store_.delete_webhook(id); !s) return s;
  if (changed_) changed_();
  return ok_value;
}

result<std::vector<webhook_delivery>> webhook_service::deliveries(std::string_view id, int limit) {
  if (auto w = store_.get_webhook(id); !w) return w.err();
  return store_.list_deliveries(id, limit);
}

}  // namespace sorak
