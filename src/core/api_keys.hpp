// api_keys.hpp: keys for the Showroom-style API (CONTRACT §3, §9).
//
// The admin creates a key (the key itself is returned once and never again),
// lists and revokes them. Only the SHA-256 of a key is stored, so a copy of
// the database does not leak usable keys. check() is what every Showroom
// request runs: 401 `unauthorized` without a key, 401 `invalid_api_key` for
// an unknown or revoked one, 429 `rate_limited` (with retry_after_ms) past the
// per-key limit.
//
// Known keys are remembered in memory for up to key_cache_ttl_ms, so a
// Showroom poll does not read the store: a key revoked through revoke() stops
// working at once; one revoked behind this service's back (another process on
// the same database) within key_cache_ttl_ms. Unknown keys are never
// remembered, so guessing cannot grow the cache.
//
// Thread-safety: every method may be called from any thread (the store, the
// key cache and the rate limiter lock internally).
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/rate_limiter.hpp"
#include "sorak/result.hpp"
#include "sorak/store.hpp"

namespace sorak {

struct new_api_key {
  api_key key;         // as stored
  std::string secret;  // the key itself: "sk_" + 40 hex digits
};

class api_key_service {
 public:
  api_key_service(store& st, rate_limit per_key);

  // 400 `invalid_field` for a name that is empty or over 100 characters.
  result<new_api_key> create(std::string_view name);
  std::vector<api_key> list();
  status revoke(std::string_view id);
  result<api_key> check(std::string_view secret, millis now);
  // Drops idle rate-limit keys.
  void sweep(millis now);

 private:
  // The key with this hash: from the cache while fresh, else the store.
  std::optional<api_key> find(const std::string& hash, millis now);

  struct cached_key {
    api_key key;
    millis expires_at = 0;
  };
  store& store_;
  const rate_limit limit_;
  rate_limiter rate_;
  std::mutex cache_mutex_;
  std::unordered_map<std::string, cached_key> cache_;  // GUARDED_BY(cache_mutex_), by key_hash
  std::uint64_t revocations_ = 0;  // GUARDED_BY(cache_mutex_): a read that raced a revoke is not cached
};

inline constexpr millis key_cache_ttl_ms = 10'000;

// Lowercase hex SHA-256 of `text`.
std::string sha256_hex(std::string_view text);
// A new key: "sk_" followed by 40 random hex digits (160 bits).
std::string generate_api_key_secret();

}  // namespace sorak
