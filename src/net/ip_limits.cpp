#include "net/ip_limits.hpp"

#include <algorithm>
#include <chrono>
#include <deque>
#include <functional>
#include <iterator>
#include <mutex>
#include <string_view>
#include <unordered_map>

namespace sorak {

namespace {
constexpr std::size_t shard_count = 16;

struct key_hash {
  std::size_t operator()(const ip_key& k) const noexcept {
    return std::hash<std::string_view>{}(std::string_view(reinterpret_cast<const char*>(k.data()), k.size()));
  }
};

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct entry {
  std::size_t connections = 0;
  std::deque<std::int64_t> connects;  // admitted upgrades in the rate window, oldest first
};
}  // namespace

struct ip_limits::shard {
  std::mutex mutex;
  std::unordered_map<ip_key, entry, key_hash> entries;  // GUARDED_BY(mutex)
};

ip_slot& ip_slot::operator=(ip_slot&& o) noexcept {
  if (this != &o) {
    reset();
    owner_ = std::move(o.owner_);
    key_ = o.key_;
  }
  return *this;
}

void ip_slot::reset() {
  if (owner_) owner_->release(key_);
  owner_.reset();
}

ip_limits::ip_limits(std::size_t max_connections, rate_limit connect_rate)
    : max_connections_(max_connections), connect_rate_(connect_rate), shards_(new shard[shard_count]) {}

ip_limits::~ip_limits() = default;

ip_limits::shard& ip_limits::shard_for(const ip_key& key) { return shards_[key_hash{}(key) % shard_count]; }

result<ip_slot> ip_limits::admit(const ip_key& key) { return admit(key, steady_ms()); }

result<ip_slot> ip_limits::admit(const ip_key& key, std::int64_t now_ms) {
  if (!enabled()) return ip_slot{};
  const std::int64_t window_ms = std::int64_t{connect_rate_.seconds} * 1000;
  auto& s = shard_for(key);
  std::lock_guard lock(s.mutex);
  auto& e = s.entries[key];
  while (!e.connects.empty() && e.connects.front() <= now_ms - window_ms) e.connects.pop_front();
  if (max_connections_ > 0 && e.connections >= max_connections_) {
    error err(errc::too_many_connections,
              "Too many open connections from your address (at most " + std::to_string(max_connections_) + ")");
    err.retry_after_ms = 1000;
    if (e.connections == 0 && e.connects.empty()) s.entries.erase(key);
    return err;
  }
  if (connect_rate_.enabled() && e.connects.size() >= static_cast<std::size_t>(connect_rate_.messages)) {
    error err(errc::connect_rate_limited,
              "Too many new connections from your address (at most " + std::to_string(connect_rate_.messages) +
                  " in " + std::to_string(connect_rate_.seconds) + " s)");
    err.retry_after_ms = std::max<std::int64_t>(1, e.connects.front() + window_ms - now_ms);
    return err;
  }
  ++e.connections;
  if (connect_rate_.enabled()) e.connects.push_back(now_ms);
  return ip_slot(shared_from_this(), key);
}

void ip_limits::release(const ip_key& key) {
  auto& s = shard_for(key);
  std::lock_guard lock(s.mutex);
  auto it = s.entries.find(key);
  if (it == s.entries.end()) return;
  if (it->second.connections > 0) --it->second.connections;
  if (it->second.connections > 0) return;
  // Upgrades still in the rate window keep the entry; a later sweep of the shard takes it.
  const std::int64_t cutoff = steady_ms() - std::int64_t{connect_rate_.seconds} * 1000;
  auto& connects = it->second.connects;
  while (!connects.empty() && connects.front() <= cutoff) connects.pop_front();
  if (connects.empty()) s.entries.erase(it);
}

void ip_limits::sweep() { sweep(steady_ms()); }

void ip_limits::sweep(std::int64_t now_ms) {
  const std::int64_t cutoff = now_ms - std::int64_t{connect_rate_.seconds} * 1000;
  for (std::size_t i = 0; i < shard_count; ++i) {
    auto& s = shards_[i];
    std::lock_guard lock(s.mutex);  // one shard at a time: upgrades elsewhere go on
    for (auto it = s.entries.begin(); it != s.entries.end();) {
      auto& connects = it->second.connects;
      while (!connects.empty() && connects.front() <= cutoff) connects.pop_front();
      it = it->second.connections == 0 && connects.empty() ? s.entries.erase(it) : std::next(it);
    }
  }
}

std::size_t ip_limits::tracked() const {
  std::size_t n = 0;
  for (std::size_t i = 0; i < shard_count; ++i) {
    std::lock_guard lock(shards_[i].mutex);
    n += shards_[i].entries.size();
  }
  return n;
}

}  // namespace sorak
