#include "core/moderation_state.hpp"

#include "core/term_fold.hpp"

#include <algorithm>

namespace sorak {

namespace {
bool expired(const sanction& s, millis now) { return s.expires_at && *s.expires_at <= now; }
}  // namespace

void moderation_state::load(const std::vector<badge_grant>& badges, const std::vector<sanction>& sanctions) {
  std::lock_guard lk(mutex_);
  badges_.clear();
  bans_.clear();
  timeouts_.clear();
  for (const auto& g : badges) badges_[g.user_id] = g.badge;
  for (const auto& s : sanctions) (s.kind == sanction_kind::ban ? bans_ : timeouts_)[s.user_id] = s;
}

// ---- badges -------------------------------------------------------------------

std::optional<stream_badge> moderation_state::badge_of(std::string_view user_id) const {
  std::lock_guard lk(mutex_);
  auto it = badges_.find(std::string(user_id));
  if (it == badges_.end()) return std::nullopt;
  return it->second;
}

void moderation_state::set_badge(std::string_view user_id, std::optional<stream_badge> badge) {
  std::lock_guard lk(mutex_);
  if (badge)
    badges_[std::string(user_id)] = *badge;
  else
    badges_.erase(std::string(user_id));
}

stream_role moderation_state::role_of(std::string_view user_id, const std::vector<std::string>& global_badges,
                                      const stream& s) const {
  if (user_id == s.broadcaster_user_id) return stream_role::broadcaster;
  if (auto b = badge_of(user_id)) return *b == stream_badge::moderator ? stream_role::moderator : stream_role::vip;
  if (std::find(global_badges.begin(), global_badges.end(), "subscriber") != global_badges.end())
    return stream_role::subscriber;
  return stream_role::viewer;
}

// ---- timeouts and bans ------------------------------------------------------------

void moderation_state::set_sanction(const sanction& s) {
  std::lock_guard lk(mutex_);
  (s.kind == sanction_kind::ban ? bans_ : timeouts_)[s.user_id] = s;
}

void moderation_state::lift(std::string_view user_id, sanction_kind kind) {
  std::lock_guard lk(mutex_);
  (kind == sanction_kind::ban ? bans_ : timeouts_).erase(std::string(user_id));
}

std::optional<sanction> moderation_state::active(std::string_view user_id, sanction_kind kind, millis now) const {
  std::lock_guard lk(mutex_);
  const auto& map = kind == sanction_kind::ban ? bans_ : timeouts_;
  auto it = map.find(std::string(user_id));
  if (it == map.end() || expired(it->second, now)) return std::nullopt;
  return it->second;
}

status moderation_state::check_sender(std::string_view user_id, millis now) const {
  if (active(user_id, sanction_kind::ban, now)) return error(errc::banned, "You are banned from this chat");
  auto t = active(user_id, sanction_kind::timeout, now);
  if (!t) return ok_value;
  error e = error(errc::timed_out, "You are timed out in this chat");
  e.seconds_left = std::max<millis>(1, (*t->expires_at - now + 999) / 1000);
  return e;
}

// ---- slow mode ----------------------------------------------------------------------

slow_mode_claim moderation_state::claim_slow_mode(std::string_view user_id, millis window_ms, millis now) {
  slow_mode_claim c;
  c.claimed_at = now;
  std::lock_guard lk(mutex_);
  auto [it, inserted] = last_sent_.try_emplace(std::string(user_id), now);
  if (inserted) return c;
  if (now - it->second < window_ms) {
    c.allowed = false;
    c.retry_after_ms = it->second + window_ms - now;
    return c;
  }
  c.previous = it->second;
  it->second = now;
  return c;
}

void moderation_state::note_sent(std::string_view user_id, millis at) {
  std::lock_guard lk(mutex_);
  auto [it, inserted] = last_sent_.try_emplace(std::string(user_id), at);
  if (!inserted) it->second = std::max(it->second, at);
}

void moderation_state::release_slow_mode(std::string_view user_id, const slow_mode_claim& c) {
  if (!c.allowed) return;
  std::lock_guard lk(mutex_);
  auto it = last_sent_.find(std::string(user_id));
  if (it == last_sent_.end() || it->second != c.claimed_at) return;  // claimed again since
  if (c.previous)
    it->second = *c.previous;
  else
    last_sent_.erase(it);
}

void moderation_state::sweep(millis now, millis keep_ms) {
  std::lock_guard lk(mutex_);
  std::erase_if(timeouts_, [now](const auto& kv) { return expired(kv.second, now); });
  std::erase_if(last_sent_, [&](const auto& kv) { return now - kv.second > keep_ms; });
}

// ---- blocked terms ------------------------------------------------------------------

void moderation_state::set_terms(const std::vector<blocked_term>& terms) {
  auto folded = std::make_shared<std::vector<std::string>>();
  folded->reserve(terms.size());
  for (const auto& t : terms)
    if (!t.folded.empty()) folded->push_back(t.folded);
  std::lock_guard lk(mutex_);
  terms_ = folded->empty() ? nullptr : std::move(folded);
}

status moderation_state::check_terms(std::string_view content) const {
  std::shared_ptr<const std::vector<std::string>> terms;
  {
    std::lock_guard lk(mutex_);
    terms = terms_;
  }
  if (!terms) return ok_value;  // the usual case: no fold at all
  if (find_blocked(fold_term(content), *terms))
    return error(errc::blocked_term, "Your message contains a term that is blocked in this chat");
  return ok_value;
}

}  // namespace sorak
