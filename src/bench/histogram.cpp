#include "bench/histogram.hpp"

#include <cmath>

namespace sorak::bench {

void latency_histogram::merge(const latency_histogram& other) {
  for (std::size_t i = 0; i < bucket_count; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  if (other.max_ > max_) max_ = other.max_;
}

std::uint64_t latency_histogram::upper_bound(std::size_t i) {
  if (i < linear_limit) return i;
  const std::size_t octave = (i - linear_limit) / sub_count;  // 0 for [64, 128)
  const std::uint64_t sub = (i - linear_limit) % sub_count;
  const int shift = static_cast<int>(octave) + 1;
  const std::uint64_t lower = (sub_count + sub) << shift;
  return lower + ((std::uint64_t{1} << shift) - 1);
}

std::uint64_t latency_histogram::percentile(double p) const {
  if (count_ == 0) return 0;
  if (p <= 0) p = 0;
  if (p >= 1) return max_;
  auto rank = static_cast<std::uint64_t>(std::ceil(p * static_cast<double>(count_)));
  if (rank == 0) rank = 1;
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < bucket_count; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const std::uint64_t v = upper_bound(i);
      return v < max_ ? v : max_;
    }
  }
  return max_;
}

latency_figures latency_histogram::figures_ms() const {
  constexpr double ms = 1e6;
  latency_figures f;
  f.count = count_;
  f.p50 = static_cast<double>(percentile(0.50)) / ms;
  f.p90 = static_cast<double>(percentile(0.90)) / ms;
  f.p99 = static_cast<double>(percentile(0.99)) / ms;
  f.max = static_cast<double>(max_) / ms;
  return f;
}

}  // namespace sorak::bench
