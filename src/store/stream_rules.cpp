#include "store/stream_rules.hpp"

#include "core/clock.hpp"

namespace sorak {

void apply_stream_patch(stream& s, const stream_patch& p) {
  if (p.title) s.title = *p.title;
  if (p.room_name) s.room_name = *p.room_name;
  if (p.member) s.member = *p.member;
  if (p.settings) s.settings = *p.settings;
  if (p.playback_url) s.playback_url = *p.playback_url;
  if (p.status) s.status = *p.status;
  if (s.status == stream_status::ended && !s.ended_at) s.ended_at = now_millis();
}

error badge_not_found() { return error(errc::badge_not_found, "this user holds no moderator or VIP badge here"); }

error sanction_not_found(sanction_kind kind) {
  if (kind == sanction_kind::timeout) return error(errc::timeout_not_found, "this user is not timed out here");
  return error(errc::ban_not_found, "this user is not banned here");
}

}  // namespace sorak
