#include "store/profile_memo.hpp"

namespace sorak {

std::uint64_t profile_memo::note(const user_profile& u) {
  constexpr std::size_t max_remembered = 100'000;  // bounds memory; a miss only costs a write
  std::string key = u.username;
  for (const auto* part : {&u.display_name, &u.avatar_url}) key.append(1, '\x1f').append(*part);
  key.append(1, '\x1f').append(std::to_string(u.level)).append(u.is_premium ? "\x1fp" : "\x1f-");
  for (const auto& b : u.badges) key.append(1, '\x1e').append(b);
  std::lock_guard lock(mutex_);
  auto [it, inserted] = last_.try_emplace(u.id, key);
  if (!inserted && it->second == key) return 0;
  it->second = std::move(key);
  if (last_.size() > max_remembered) last_.clear();
  const std::uint64_t ticket = ++tickets_;
  queued_[u.id] = pending_profile{u, ticket};
  return ticket;
}

void profile_memo::forget(const std::string& id, std::uint64_t ticket) {
  std::lock_guard lock(mutex_);
  auto it = queued_.find(id);
  if (it != queued_.end() && it->second.ticket == ticket) queued_.erase(it);
}

std::optional<user_profile> profile_memo::pending(std::string_view id) const {
  std::lock_guard lock(mutex_);
  auto it = queued_.find(std::string(id));
  if (it == queued_.end()) return std::nullopt;
  return it->second.profile;
}

}  // namespace sorak
