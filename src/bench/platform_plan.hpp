// platform_plan.hpp: the arithmetic of the `platform` scenario (platform.cpp):
// how many viewers each stream gets, how fast each stream chats, which
// audience band a stream is in, which messages are gifts, where a joining
// viewer goes, and, after the run, which gifts a viewer should have had and
// did not get; and which options the scenario takes. No I/O.
//
// Pure functions and small value types; any thread.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "bench/engine.hpp"
#include "sorak/result.hpp"

namespace sorak::bench {

// ---- the options ---------------------------------------------------------------

// At most this many viewers join during a run (--churn × --duration): each is a
// connection made before the run.
inline constexpr double platform_max_joins = 200000;

// An error (errc::usage) for options the platform scenario cannot run with.
// --protocol sorak, or ws for a bare relay (the floor, bench/peers/floor.cpp),
// whose rooms are upgrade paths: it has no REST API, so ws needs --bots 0.
status check_platform_options(const bench_options& o);

// ---- the audience --------------------------------------------------------------

// `viewers` split over `streams` as a Zipf law: stream i (0-based) gets about
// top / (i+1)^s, with s chosen so the counts sum to `viewers` exactly, stream
// 0 has exactly `top`, every stream at least 1, and no stream more than the
// one before it. An error when no such split exists (viewers < top + streams
// - 1, or viewers > top * streams).
result<std::vector<std::uint32_t>> zipf_viewers(std::uint32_t streams, std::uint32_t viewers, std::uint32_t top);

// Messages per second for each stream: total * v^alpha / sum(v^alpha), so a
// stream's chat grows with its audience (alpha 1: in proportion; 0: every
// stream alike). Sums to `total`.
std::vector<double> chat_rates(const std::vector<std::uint32_t>& viewers, double total, double alpha);

// Audience bands: 1–10, 11–100, 101–1000, more than 1000 viewers.
inline constexpr int band_count = 4;
int band_of(std::uint32_t viewers);
const char* band_name(int band);  // "1-10", "11-100", "101-1000", ">1000"

// Draws a stream index with probability proportional to its weight (a
// joining viewer: the streams' initial audiences). Deterministic for a seed.
class weighted_picker {
 public:
  explicit weighted_picker(const std::vector<std::uint32_t>& weights, std::uint64_t seed = 19);
  std::uint32_t pick();

 private:
  std::vector<double> cumulative_;
  std::mt19937_64 rng_;
};

// ---- gifts ---------------------------------------------------------------------

// Whether a sender's message `seq` (1, 2, …) is a gift, so that a share
// `share` of each sender's messages are, the first one among them.
inline bool is_gift_seq(std::uint64_t seq, double share) {
  if (!(share > 0) || seq == 0) return false;
  const auto upto = [share](std::uint64_t n) {
    const double x = static_cast<double>(n) * share;
    const auto f = static_cast<std::uint64_t>(x);
    return static_cast<double>(f) < x ? f + 1 : f;  // ceil
  };
  return upto(seq) > upto(seq - 1);
}

struct gift_count {
  std::uint64_t expected = 0;   // (viewer, gift) pairs that had to be delivered
  std::uint64_t delivered = 0;  // … of which the viewer read
  std::uint64_t missing() const { return expected - delivered; }
};

// Every gift a sender saw broadcast in stream s had to reach every viewer of
// s that was ready before the gift was sent (stamp ≥ joined) and still open
// `grace_ns` after it (stamp ≤ left − grace): later ones are the viewer's
// leaving, not a loss. Sessions still open have left_ns 0: `end_ns` stands in.
// (count_owed_where of event_trace.hpp, stream by stream.)
gift_count count_gifts(const std::vector<viewer_session>& sessions, const std::vector<gift_seen>& broadcast,
                       std::int64_t grace_ns, std::int64_t end_ns);

}  // namespace sorak::bench
