// What every broker shares (sorak/broker.hpp): the kinds' names and the clock
// published_at is stamped with.
#include <chrono>

#include "sorak/broker.hpp"

namespace sorak {

const char* to_string(event_kind k) {
  switch (k) {
    case event_kind::message: return "message";
    case event_kind::message_deleted: return "message_deleted";
    case event_kind::chat_cleared: return "chat_cleared";
    case event_kind::stream_changed: return "stream_changed";
    case event_kind::badge_changed: return "badge_changed";
    case event_kind::sanction_imposed: return "sanction_imposed";
    case event_kind::sanction_lifted: return "sanction_lifted";
    case event_kind::moderation_reloaded: return "moderation_reloaded";
    case event_kind::terms_changed: return "terms_changed";
    case event_kind::pin_changed: return "pin_changed";
    case event_kind::poll_changed: return "poll_changed";
  }
  return "unknown";
}

std::int64_t broker_clock_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace sorak
