// rate_limiter.hpp: "at most N events per S seconds" per key, a sliding window.
//
// For each key the limiter keeps the times of the last N allowed events; an
// event is allowed when fewer than N fall in the window (now - S, now]. A
// refused event is not counted. Thread-safe: keys are spread over internally
// locked shards, so two users never contend on one lock. Memory: N int64 per
// active key; sweep() drops keys idle for longer than the window.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sorak/types.hpp"

namespace sorak {

struct rate_limit {
  int messages = 0;  // 0 = no limit
  int seconds = 1;
  bool enabled() const { return messages > 0; }
};

// Parses "20/30" (or "0" for off). Returns false on bad text.
bool parse_rate_limit(std::string_view text, rate_limit& out);

struct rate_decision {
  bool allowed = true;
  millis retry_after_ms = 0;  // when refused: until the oldest event leaves the window
};

class rate_limiter {
 public:
  rate_limiter();
  ~rate_limiter();
  rate_limiter(const rate_limiter&) = delete;
  rate_limiter& operator=(const rate_limiter&) = delete;

  // Records the event if allowed under `limit` (which may differ per call, e.g.
  // by role; a key keeps at most the largest N it was checked with).
  rate_decision check(std::string_view key, const rate_limit& limit, millis now);
  // Records an event that happened elsewhere (another node took it) at `at`,
  // allowed or not: later checks of the key count it.
  void note(std::string_view key, const rate_limit& limit, millis at);
  // Forgets keys with no event in the last `max_window_ms`.
  void sweep(millis now, millis max_window_ms);
  std::size_t size() const;

 private:
  struct impl;
  impl* impl_;
};

}  // namespace sorak
