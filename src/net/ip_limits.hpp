// ip_limits.hpp: the abuse caps per client address (CONTRACT §13).
//
// `--max-connections-per-ip N` bounds the open chat WebSockets of one address;
// `--connect-rate-per-ip N/S` bounds the WebSocket upgrades one address may
// make in any S seconds (a sliding window; refused upgrades are not counted).
// Both are off by default: many real viewers share one address behind
// carrier NAT. A refused upgrade gets 429 with a JSON error.
//
// Cost: one sharded lock at upgrade and one at close, never on the delivery
// path. With both caps off nothing is looked up at all. Memory: an address has
// an entry only while it has open connections or upgrades in its rate window;
// release() drops an entry as soon as both are empty, and sweep() (run every
// few seconds by the listener) drops those whose window emptied since.
//
// Thread-safety: admit() and the ip_slot it returns may be used on any thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/rate_limiter.hpp"
#include "sorak/result.hpp"

namespace sorak {

// An IPv6 address, or an IPv4 address in its v4-mapped IPv6 form.
using ip_key = std::array<std::uint8_t, 16>;

class ip_limits;

// One admitted connection; releases its address's count when destroyed. It
// keeps the limits alive: a session may outlive the listener at shutdown.
class ip_slot {
 public:
  ip_slot() = default;
  ip_slot(std::shared_ptr<ip_limits> owner, const ip_key& key) : owner_(std::move(owner)), key_(key) {}
  ip_slot(ip_slot&& o) noexcept = default;
  ip_slot& operator=(ip_slot&& o) noexcept;
  ip_slot(const ip_slot&) = delete;
  ip_slot& operator=(const ip_slot&) = delete;
  ~ip_slot() { reset(); }
  void reset();

 private:
  std::shared_ptr<ip_limits> owner_;  // null: nothing to release (caps off)
  ip_key key_{};
};

// Create with std::make_shared (admit() hands out shared ownership).
class ip_limits : public std::enable_shared_from_this<ip_limits> {
 public:
  // max_connections 0 = no connection cap; connect_rate.messages 0 = no rate cap.
  ip_limits(std::size_t max_connections, rate_limit connect_rate);
  ~ip_limits();
  ip_limits(const ip_limits&) = delete;
  ip_limits& operator=(const ip_limits&) = delete;

  bool enabled() const { return max_connections_ > 0 || connect_rate_.enabled(); }
  // Admits one upgrade from `key` now (or at `now_ms` on the steady clock's
  // millisecond scale, for tests), or refuses it
  // with a 429 error (code `too_many_connections` or `connect_rate_limited`,
  // with retry_after_ms).
  result<ip_slot> admit(const ip_key& key);
  result<ip_slot> admit(const ip_key& key, std::int64_t now_ms);
  // Forgets addresses with no open connection and an empty rate window.
  void sweep();
  void sweep(std::int64_t now_ms);
  // Addresses with an entry (tests, metrics).
  std::size_t tracked() const;

 private:
  friend class ip_slot;
  void release(const ip_key& key);
  struct shard;
  shard& shard_for(const ip_key& key);

  std::size_t max_connections_;
  rate_limit connect_rate_;
  std::unique_ptr<shard[]> shards_;
};

}  // namespace sorak
