// profile_memo.hpp: which user profiles a store has written, and which it has
// queued but not yet committed.
//
// Internal to src/store/. Every connect remembers its user, but only a change
// is worth a write: note() tells whether `u` differs from the profile last
// queued for u.id. A queued profile is answered from here until its write
// finished, so get_user sees it at once. Thread-safe (one mutex, held only
// inside these calls). Used by sqlite_store and postgres_store alike.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "sorak/types.hpp"

namespace sorak {

class profile_memo {
 public:
  // When `u` differs from the profile last noted for u.id: records it as
  // pending and returns a ticket (> 0) for forget(); else 0.
  std::uint64_t note(const user_profile& u);
  // The write with this ticket finished (committed or failed).
  void forget(const std::string& id, std::uint64_t ticket);
  std::optional<user_profile> pending(std::string_view id) const;

 private:
  struct pending_profile {
    user_profile profile;
    std::uint64_t ticket = 0;
  };
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::string> last_;        // GUARDED_BY(mutex_): id → key of the profile
  std::unordered_map<std::string, pending_profile> queued_;  // GUARDED_BY(mutex_)
  std::uint64_t tickets_ = 0;                                // GUARDED_BY(mutex_)
};

}  // namespace sorak
