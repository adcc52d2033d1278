// rate_limiter.cpp: a sliding-window log per key, in locked shards.
#include "core/rate_limiter.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace sorak {
namespace {

// Bounds that keep one key's log small (N int64) and the window meaningful.
constexpr int max_messages = 100000;
constexpr int max_seconds = 86400;

bool parse_int(std::string_view text, int& out) {
  if (text.empty() || text.front() < '0' || text.front() > '9') return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

// Lets the maps find a std::string key from a string_view without a copy.
struct key_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// Times of the most recent allowed events, oldest first; never more than the
// largest N the key was checked with.
struct event_log {
  std::vector<millis> times;
  std::size_t keep = 0;  // the largest N seen: older times can never matter

  // Events in the window (now - window, now], counted from the newest back.
  std::size_t count_since(millis now, millis window) const {
    std::size_t n = 0;
    for (auto it = times.rbegin(); it != times.rend() && *it > now - window; ++it) ++n;
    return n;
  }

  void record(millis now, std::size_t n) {
    if (n > keep) keep = n;
    // Callers read the clock before taking the shard lock, so times may come a
    // little out of order; keeping the log sorted keeps the counts exact.
    times.insert(std::upper_bound(times.begin(), times.end(), now), now);
    if (times.size() > keep) times.erase(times.begin(), times.end() - static_cast<std::ptrdiff_t>(keep));
  }

  millis last() const { return times.empty() ? 0 : times.back(); }
};

rate_decision decide(event_log& log, const rate_limit& limit, millis now) {
  const auto n = static_cast<std::size_t>(limit.messages);
  const millis window = static_cast<millis>(limit.seconds < 1 ? 1 : limit.seconds) * 1000;
  if (log.count_since(now, window) < n) {
    log.record(now, n);
    return {true, 0};
  }
  // The window holds N events; the oldest of those N is the next to leave.
  const millis oldest = log.times[log.times.size() - n];
  const millis wait = oldest + window - now;
  return {false, wait < 1 ? 1 : wait};
}

constexpr std::size_t shard_count = 64;

struct shard {
  mutable std::mutex mutex;
  std::unordered_map<std::string, event_log, key_hash, std::equal_to<>> logs;  // GUARDED_BY(mutex)
};

}  // namespace

bool parse_rate_limit(std::string_view text, rate_limit& out) {
  if (text == "0") {
    out = rate_limit{0, 1};
    return true;
  }
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return false;
  rate_limit parsed;
  if (!parse_int(text.substr(0, slash), parsed.messages) ||
      !parse_int(text.substr(slash + 1), parsed.seconds)) {
    return false;
  }
  if (parsed.messages > max_messages || parsed.seconds < 1 || parsed.seconds > max_seconds) return false;
  out = parsed;
  return true;
}

struct rate_limiter::impl {
  std::array<shard, shard_count> shards;

  shard& shard_for(std::string_view key) { return shards[key_hash{}(key) % shard_count]; }
};

rate_limiter::rate_limiter() : impl_(new impl) {}

rate_limiter::~rate_limiter() { delete impl_; }

rate_decision rate_limiter::check(std::string_view key, const rate_limit& limit, millis now) {
  if (!limit.enabled()) return {true, 0};
  shard& s = impl_->shard_for(key);
  std::lock_guard lock(s.mutex);
  auto it = s.logs.find(key);
  if (it == s.logs.end()) it = s.logs.emplace(std::string(key), event_log{}).first;
  return decide(it->second, limit, now);
}

void rate_limiter::note(std::string_view key, const rate_limit& limit, millis at) {
  if (!limit.enabled()) return;
  shard& s = impl_->shard_for(key);
  std::lock_guard lock(s.mutex);
  auto it = s.logs.find(key);
  if (it == s.logs.end()) it = s.logs.emplace(std::string(key), event_log{}).first;
  it->second.record(at, static_cast<std::size_t>(limit.messages));
}

void rate_limiter::sweep(millis now, millis max_window_ms) {
  for (shard& s : impl_->shards) {
    std::lock_guard lock(s.mutex);
    std::erase_if(s.logs, [&](const auto& entry) { return entry.second.last() <= now - max_window_ms; });
  }
}

std::size_t rate_limiter::size() const {
  std::size_t n = 0;
  for (const shard& s : impl_->shards) {
    std::lock_guard lock(s.mutex);
    n += s.logs.size();
  }
  return n;
}

}  // namespace sorak
