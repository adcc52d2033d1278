#include "bench/platform_plan.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <unordered_map>
#include <utility>

#include "bench/event_trace.hpp"

namespace sorak::bench {

namespace {

// The counts for exponent s: top / (i+1)^s rounded, at least 1 (never more
// than top, and never rising, since s ≥ 0).
std::vector<std::uint32_t> zipf_counts(std::uint32_t streams, std::uint32_t top, double s) {
  std::vector<std::uint32_t> v(streams);
  for (std::uint32_t i = 0; i < streams; ++i) {
    const double x = std::round(static_cast<double>(top) / std::pow(static_cast<double>(i + 1), s));
    v[i] = static_cast<std::uint32_t>(std::max(1.0, x));
  }
  v[0] = top;
  return v;
}

std::uint64_t sum_of(const std::vector<std::uint32_t>& v) {
  return std::accumulate(v.begin(), v.end(), std::uint64_t{0});
}

// Takes `excess` viewers off the tail one at a time, each from a stream above
// 1 that stays at least as large as the next one (never stream 0).
void trim(std::vector<std::uint32_t>& v, std::uint64_t excess) {
  while (excess > 0) {
    for (std::size_t i = v.size() - 1; i >= 1 && excess > 0; --i) {
      const bool above_next = i + 1 == v.size() || v[i] > v[i + 1];
      if (v[i] > 1 && above_next) {
        --v[i];
        --excess;
      }
    }
  }
}

}  // namespace

status check_platform_options(const bench_options& o) {
  if (o.protocol == wire_protocol::irc) {
    return error(errc::usage, "platform speaks the sorak protocol, or ws to a bare relay (the floor)");
  }
  if (o.protocol == wire_protocol::ws && o.bots > 0) {
    return error(errc::usage, "platform --protocol ws has no REST API for the bots: give --bots 0");
  }
  if (!o.stream.empty()) return error(errc::usage, "platform creates its own streams: --stream does not apply");
  if (!(o.rate > 0) || !(o.duration_s > 0)) return error(errc::usage, "--rate and --duration must be positive");
  if (o.churn < 0 || o.bot_rate < 0 || o.alpha < 0) {
    return error(errc::usage, "--churn, --bot-rate and --alpha must not be negative");
  }
  if (o.gift_share < 0 || o.gift_share > 1) return error(errc::usage, "--gift-share is a share: 0 to 1");
  if (o.churn * o.duration_s > platform_max_joins) {
    return error(errc::usage, "--churn × --duration asks for more than " +
                                  std::to_string(static_cast<long long>(platform_max_joins)) +
                                  " joins: each is a connection made (and a token minted) before the run");
  }
  return ok_value;
}

result<std::vector<std::uint32_t>> zipf_viewers(std::uint32_t streams, std::uint32_t viewers, std::uint32_t top) {
  if (streams == 0 || top == 0) return error(errc::usage, "--streams and --top must be at least 1");
  const std::uint64_t least = std::uint64_t{top} + streams - 1, most = std::uint64_t{top} * streams;
  if (viewers < least || viewers > most) {
    return error(errc::usage, std::to_string(streams) + " streams with " + std::to_string(top) +
                                  " viewers in the top one need " + std::to_string(least) + " to " +
                                  std::to_string(most) + " viewers in all, not " + std::to_string(viewers));
  }
  // The sum falls as s grows: find the largest s whose counts still reach `viewers`.
  double lo = 0, hi = 64;
  for (int i = 0; i < 100; ++i) {
    const double mid = (lo + hi) / 2;
    (sum_of(zipf_counts(streams, top, mid)) >= viewers ? lo : hi) = mid;
  }
  std::vector<std::uint32_t> v = zipf_counts(streams, top, lo);
  trim(v, sum_of(v) - viewers);
  return v;
}

std::vector<double> chat_rates(const std::vector<std::uint32_t>& viewers, double total, double alpha) {
  std::vector<double> w(viewers.size());
  double sum = 0;
  for (std::size_t i = 0; i < viewers.size(); ++i) sum += w[i] = std::pow(static_cast<double>(viewers[i]), alpha);
  for (double& x : w) x = sum > 0 ? total * x / sum : 0;
  return w;
}

int band_of(std::uint32_t viewers) {
  if (viewers <= 10) return 0;
  if (viewers <= 100) return 1;
  if (viewers <= 1000) return 2;
  return 3;
}

const char* band_name(int band) {
  static const char* const names[band_count] = {"1-10", "11-100", "101-1000", ">1000"};
  return band >= 0 && band < band_count ? names[band] : "?";
}

weighted_picker::weighted_picker(const std::vector<std::uint32_t>& weights, std::uint64_t seed) : rng_(seed) {
  double sum = 0;
  for (std::uint32_t w : weights) cumulative_.push_back(sum += w);
}

std::uint32_t weighted_picker::pick() {
  if (cumulative_.empty()) return 0;
  std::uniform_real_distribution<double> u(0, cumulative_.back());
  const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), u(rng_));
  return static_cast<std::uint32_t>(std::min<std::size_t>(it - cumulative_.begin(), cumulative_.size() - 1));
}

gift_count count_gifts(const std::vector<viewer_session>& sessions, const std::vector<gift_seen>& broadcast,
                       std::int64_t grace_ns, std::int64_t end_ns) {
  std::unordered_map<std::uint32_t, std::vector<traced_event>> by_stream;
  for (const gift_seen& g : broadcast) by_stream[g.stream].push_back({g.key, g.t_ns});
  gift_count n;
  for (auto& [stream, gifts] : by_stream) {
    const owed_count c = count_owed_where(sessions, std::move(gifts), &viewer_session::gifts, grace_ns, end_ns,
                                          [stream = stream](const viewer_session& s) { return s.stream == stream; });
    n.expected += c.owed;
    n.delivered += c.delivered;
  }
  return n;
}

}  // namespace sorak::bench
