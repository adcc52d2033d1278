#include "core/stream_stats.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace sorak {

namespace {

constexpr millis minute_ms = 60'000;

millis minute_of(millis t) { return t - ((t % minute_ms) + minute_ms) % minute_ms; }

bool more_messages(const user_tally& a, const user_tally& b) {
  return a.messages != b.messages ? a.messages > b.messages : a.user.id < b.user.id;
}

bool more_stars(const user_tally& a, const user_tally& b) {
  return a.stars != b.stars ? a.stars > b.stars : a.user.id < b.user.id;
}

template <class Less>
std::vector<user_tally> top_of(std::vector<user_tally> all, std::size_t n, Less less) {
  n = std::min(n, all.size());
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n), all.end(), less);
  all.resize(n);
  return all;
}

}  // namespace

void stream_stats::record(const message& m) {
  if (m.type != message_type::message && m.type != message_type::gift) return;
  std::lock_guard lk(mutex_);
  if (m.created_at <= last_recorded_) return;
  last_recorded_ = m.created_at;
  const bool gift = m.type == message_type::gift;
  ++total_;
  (gift ? gift_messages_ : chats_) += 1;
  stars_ += m.stars;
  auto& u = users_[m.user.id];
  u.user = m.user;
  ++u.messages;
  u.stars += m.stars;
  auto& minute = minutes_[minute_of(m.created_at)];
  minute.minute = minute_of(m.created_at);
  ++minute.messages;
  minute.stars += m.stars;
  if (!gift || !m.gift) return;
  ++u.gifts;
  ++minute.gifts;
  auto& g = gifts_[m.gift->gift_id];
  g.gift_id = m.gift->gift_id;
  g.gift_name = m.gift->gift_name;
  ++g.messages;
  g.quantity += m.gift->quantity;
  g.stars += m.stars;
}

void stream_stats::sample_viewers(std::int64_t count, millis now) {
  std::lock_guard lk(mutex_);
  peak_viewers_ = std::max(peak_viewers_, count);
  if (count <= 0 && minutes_.find(minute_of(now)) == minutes_.end()) return;  // no empty minutes just for zero
  auto& minute = minutes_[minute_of(now)];
  minute.minute = minute_of(now);
  minute.viewers = std::max(minute.viewers, count);
}

viewer_samples stream_stats::viewers() const {
  std::lock_guard lk(mutex_);
  viewer_samples v{peak_viewers_, {}};
  for (const auto& [start, m] : minutes_)
    if (m.viewers > 0) v.minutes.emplace_back(start, m.viewers);
  return v;
}

void stream_stats::restore_viewers(const viewer_samples& v) {
  std::lock_guard lk(mutex_);
  peak_viewers_ = std::max(peak_viewers_, v.peak);
  for (const auto& [start, n] : v.minutes) {
    auto& minute = minutes_[start];
    minute.minute = start;
    minute.viewers = std::max(minute.viewers, n);
  }
}

stats_snapshot stream_stats::snapshot(std::size_t top, millis from, millis to) const {
  stats_snapshot s;
  std::vector<user_tally> users;
  {
    std::lock_guard lk(mutex_);
    s.total_messages = total_;
    s.chat_messages = chats_;
    s.gift_count = gift_messages_;
    s.total_stars = stars_;
    s.unique_users = static_cast<std::int64_t>(users_.size());
    s.peak_viewers = peak_viewers_;
    for (const auto& [id, g] : gifts_) s.gifts.push_back(g);
    if (top > 0) {  // the Showroom feed asks for totals only: no copy of every user
      users.reserve(users_.size());
      for (const auto& [id, u] : users_) users.push_back(u);
    }
    millis first = minute_of(from);
    const millis last = minute_of(std::max(from, to));
    first = std::max(first, last - static_cast<millis>(max_timeline_minutes - 1) * minute_ms);
    auto it = minutes_.lower_bound(first);
    for (millis t = first; t <= last; t += minute_ms) {
      if (it != minutes_.end() && it->first == t) {
        s.timeline.push_back(it->second);
        ++it;
      } else {
        s.timeline.push_back(minute_tally{t});
      }
    }
  }
  std::sort(s.gifts.begin(), s.gifts.end(), [](const gift_tally& a, const gift_tally& b) {
    return a.stars != b.stars ? a.stars > b.stars : a.gift_id < b.gift_id;
  });
  s.top_chatters = top_of(users, top, more_messages);
  std::erase_if(users, [](const user_tally& u) { return u.stars == 0 && u.gifts == 0; });
  s.top_gifters = top_of(std::move(users), top, more_stars);
  return s;
}

std::vector<user_tally> stream_stats::top_gifters(std::size_t limit) const {
  std::vector<user_tally> users;
  {
    std::lock_guard lk(mutex_);
    for (const auto& [id, u] : users_)
      if (u.stars > 0 || u.gifts > 0) users.push_back(u);
  }
  return top_of(std::move(users), limit, more_stars);
}

double messages_per_minute(std::int64_t total, millis started_at, millis until) {
  const double minutes = std::max<double>(1.0, static_cast<double>(until - started_at) / 60'000.0);
  return std::round(static_cast<double>(total) / minutes * 10.0) / 10.0;
}

std::vector<std::string> top_gift_ids(const std::vector<gift_tally>& gifts, std::size_t n) {
  std::vector<std::string> out;
  for (const auto& g : gifts) {
    if (out.size() == n) break;
    out.push_back(g.gift_id);
  }
  return out;
}

std::string format_duration(millis span) {
  const std::int64_t total = std::max<millis>(span, 0) / 1000;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld", static_cast<long long>(total / 3600),
                static_cast<long long>(total / 60 % 60), static_cast<long long>(total % 60));
  return buf;
}

}  // namespace sorak
