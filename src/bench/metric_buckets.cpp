#include "bench/metric_buckets.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace sorak::bench {

std::vector<metric_bucket> parse_histogram_buckets(std::string_view text, std::string_view name) {
  const std::string prefix = std::string(name) + "_bucket{le=\"";
  std::vector<metric_bucket> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    const std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    if (line.substr(0, prefix.size()) != prefix) continue;
    const std::size_t close = line.find("\"} ", prefix.size());
    if (close == std::string_view::npos) continue;
    metric_bucket b;
    b.le = std::string(line.substr(prefix.size(), close - prefix.size()));
    const std::string_view number = line.substr(close + 3);
    // Counts are integers; the text format may still write them as "12" or "12.0".
    double v = 0;
    const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), v);
    if (ec != std::errc() || v < 0) continue;
    b.count = static_cast<std::uint64_t>(std::llround(v));
    out.push_back(std::move(b));
  }
  return out;
}

std::vector<metric_bucket> bucket_difference(const std::vector<metric_bucket>& after,
                                             const std::vector<metric_bucket>& before) {
  std::vector<metric_bucket> out;
  out.reserve(after.size());
  for (const auto& a : after) {
    std::uint64_t was = 0;
    for (const auto& b : before) {
      if (b.le == a.le) was = b.count;
    }
    out.push_back({a.le, a.count >= was ? a.count - was : 0});
  }
  return out;
}

double bucket_quantile_bound(const std::vector<metric_bucket>& buckets, double q) {
  if (buckets.empty() || buckets.back().count == 0) return -1;
  const double wanted = q * static_cast<double>(buckets.back().count);
  for (const auto& b : buckets) {
    if (static_cast<double>(b.count) < wanted) continue;
    if (b.le == "+Inf") return std::numeric_limits<double>::infinity();
    return std::strtod(b.le.c_str(), nullptr);
  }
  return std::numeric_limits<double>::infinity();
}

}  // namespace sorak::bench
