// moderation_state.hpp: what one room remembers about moderation, so every
// message is checked at send time without a database read: the moderator and
// VIP badges granted in the stream, its timeouts and bans, its blocked terms,
// and when each user last sent (for slow mode).
//
// The store is the truth; this is a cache of it, loaded from the store when
// the room opens and then changed only by room::apply, from the events
// moderation_service publishes after writing the store. So a timeout or a
// ban bites on the user's next message on every open connection of every
// node once its event arrives, and lifting it works the same way.
//
// Thread-safety: every method may be called from any thread; one internal
// mutex, taken alone (no other lock is held under it, and it is not held while
// calling out).
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/permissions.hpp"
#include "sorak/result.hpp"
#include "sorak/types.hpp"

namespace sorak {

// The outcome of claiming a slow-mode slot: when refused, how long to wait;
// when allowed, what to restore if the message is refused later after all.
struct slow_mode_claim {
  bool allowed = true;
  millis retry_after_ms = 0;
  millis claimed_at = 0;
  std::optional<millis> previous;
};

class moderation_state {
 public:
  // Replaces everything with what the store holds.
  void load(const std::vector<badge_grant>& badges, const std::vector<sanction>& sanctions);

  // ---- badges ---------------------------------------------------------------
  std::optional<stream_badge> badge_of(std::string_view user_id) const;
  // nullopt removes the user's badge.
  void set_badge(std::string_view user_id, std::optional<stream_badge> badge);
  // The user's role in stream `s`; `global_badges` are their token's badges.
  stream_role role_of(std::string_view user_id, const std::vector<std::string>& global_badges, const stream& s) const;

  // ---- timeouts and bans ------------------------------------------------------
  void set_sanction(const sanction& s);
  void lift(std::string_view user_id, sanction_kind kind);
  // ok when the user may send at `now`; else 403 `banned`, or 403 `timed_out`
  // with seconds_left (rounded up, at least 1).
  status check_sender(std::string_view user_id, millis now) const;
  // The sanction of that kind in force at `now` (an expired timeout is none).
  std::optional<sanction> active(std::string_view user_id, sanction_kind kind, millis now) const;

  // ---- slow mode ---------------------------------------------------------------
  // Allowed when the user's last accepted message is at least window_ms old
  // (or none): then `now` becomes their last. Refused: 429 wait in retry_after_ms.
  slow_mode_claim claim_slow_mode(std::string_view user_id, millis window_ms, millis now);
  // Undoes an allowed claim whose message was refused by a later check.
  void release_slow_mode(std::string_view user_id, const slow_mode_claim& c);
  // A message of the user committed at `at`, through whichever node: slow mode
  // counts from the latest, so it holds across nodes.
  void note_sent(std::string_view user_id, millis at);

  // ---- blocked terms (CONTRACT §12) ------------------------------------------------
  // Replaces the stream's blocked terms.
  void set_terms(const std::vector<blocked_term>& terms);
  // ok when `content` contains none of them (case- and width-insensitively,
  // core/term_fold.hpp); else 400 `blocked_term`.
  status check_terms(std::string_view content) const;

  // Drops expired timeouts and last-sent times older than `keep_ms`.
  void sweep(millis now, millis keep_ms);

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, stream_badge> badges_;  // GUARDED_BY(mutex_)
  std::unordered_map<std::string, sanction> bans_;        // GUARDED_BY(mutex_)
  std::unordered_map<std::string, sanction> timeouts_;    // GUARDED_BY(mutex_)
  std::unordered_map<std::string, millis> last_sent_;     // GUARDED_BY(mutex_)
  // Folded forms; replaced whole, so a check reads them without holding mutex_.
  std::shared_ptr<const std::vector<std::string>> terms_;  // GUARDED_BY(mutex_)
};

}  // namespace sorak
