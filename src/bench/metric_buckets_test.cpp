#include "bench/metric_buckets.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace sorak::bench {
namespace {

constexpr std::string_view metrics_text =
    "# HELP sorak_store_commit_seconds Store group commits\n"
    "# TYPE sorak_store_commit_seconds histogram\n"
    "sorak_store_commit_seconds_bucket{le=\"0.001\"} 10\n"
    "sorak_store_commit_seconds_bucket{le=\"0.0025\"} 60\n"
    "sorak_store_commit_seconds_bucket{le=\"0.005\"} 99\n"
    "sorak_store_commit_seconds_bucket{le=\"+Inf\"} 100\n"
    "sorak_store_commit_seconds_sum 0.2\n"
    "sorak_store_commit_seconds_count 100\n"
    "sorak_broker_lag_seconds_bucket{le=\"0.001\"} 7\n";

TEST(BenchMetricBuckets, ReadsOneHistogramsBucketsInOrder) {
  const auto b = parse_histogram_buckets(metrics_text, "sorak_store_commit_seconds");
  ASSERT_EQ(b.size(), 4u);
  EXPECT_EQ(b[0].le, "0.001");
  EXPECT_EQ(b[0].count, 10u);
  EXPECT_EQ(b[3].le, "+Inf");
  EXPECT_EQ(b[3].count, 100u);
  EXPECT_TRUE(parse_histogram_buckets(metrics_text, "sorak_missing").empty());
}

TEST(BenchMetricBuckets, TheDifferenceIsWhatHappenedBetweenTwoScrapes) {
  const auto before = parse_histogram_buckets(metrics_text, "sorak_store_commit_seconds");
  std::vector<metric_bucket> after = before;
  after[1].count += 5;  // five commits between 1 and 2.5 ms
  after[2].count += 5;
  after[3].count += 5;
  const auto d = bucket_difference(after, before);
  ASSERT_EQ(d.size(), 4u);
  EXPECT_EQ(d[0].count, 0u);
  EXPECT_EQ(d[1].count, 5u);
  EXPECT_EQ(d[3].count, 5u);
  EXPECT_EQ(bucket_difference(after, {})[3].count, 105u) << "no earlier scrape: everything counts";
}

TEST(BenchMetricBuckets, AQuantileIsTheBoundOfTheBucketItFallsIn) {
  const auto b = parse_histogram_buckets(metrics_text, "sorak_store_commit_seconds");
  EXPECT_DOUBLE_EQ(bucket_quantile_bound(b, 0.10), 0.001);
  EXPECT_DOUBLE_EQ(bucket_quantile_bound(b, 0.50), 0.0025);
  EXPECT_DOUBLE_EQ(bucket_quantile_bound(b, 0.99), 0.005);
  EXPECT_TRUE(std::isinf(bucket_quantile_bound(b, 1.0)));
  EXPECT_LT(bucket_quantile_bound({{"0.001", 0}, {"+Inf", 0}}, 0.5), 0) << "no observations";
}

}  // namespace
}  // namespace sorak::bench
