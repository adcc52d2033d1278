// histogram.hpp: a log-linear latency histogram, in the manner of
// HdrHistogram, small and cheap enough to record every delivered message.
//
// Values are nanoseconds. Below 64 ns each value has its own bucket; above,
// every power of two is split into 32 equal buckets, so a percentile is off by
// at most 1/32 (3.1 %) of its value. 1920 buckets cover all of uint64; record()
// is a count-leading-zeros, a shift and an increment. The maximum is exact.
//
// Thread-safety: one owner per histogram (the bench gives each thread its
// own); merge() them after the threads have stopped.
#pragma once

#include <array>
#include <cstdint>

#include "bench/options.hpp"

namespace sorak::bench {

class latency_histogram {
 public:
  static constexpr int sub_bits = 5;
  static constexpr std::uint64_t sub_count = 1u << sub_bits;  // buckets per power of two
  static constexpr std::size_t linear_limit = 2 * sub_count;  // values below are exact
  static constexpr std::size_t bucket_count = linear_limit + (64 - sub_bits - 1) * sub_count;

  void record(std::uint64_t ns) {
    ++counts_[index_of(ns)];
    ++count_;
    if (ns > max_) max_ = ns;
  }
  void merge(const latency_histogram& other);

  std::uint64_t count() const { return count_; }
  std::uint64_t max() const { return max_; }
  // The smallest recorded-bucket bound v such that at least p (0..1) of the
  // values are ≤ v; never above max(). 0 when empty.
  std::uint64_t percentile(double p) const;
  latency_figures figures_ms() const;

  static std::size_t index_of(std::uint64_t v) {
    if (v < linear_limit) return static_cast<std::size_t>(v);
    const int top = 63 - __builtin_clzll(v);  // ≥ sub_bits + 1
    const int shift = top - sub_bits;
    return linear_limit + static_cast<std::size_t>(top - sub_bits - 1) * sub_count +
           static_cast<std::size_t>((v >> shift) - sub_count);
  }
  // The largest value that falls into bucket i.
  static std::uint64_t upper_bound(std::size_t i);

 private:
  std::array<std::uint64_t, bucket_count> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t max_ = 0;
};

}  // namespace sorak::bench
