// metric_buckets.hpp: a Prometheus histogram read from a server's /metrics
// text, so a scenario can report what the server measured over its own
// window (the ingest scenario: sorak_store_commit_seconds, scraped before and
// after the timed window, and the difference kept).
//
// Pure functions on values; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sorak::bench {

// One cumulative bucket: its upper bound as written ("0.0025", "+Inf") and
// the count of observations ≤ it.
struct metric_bucket {
  std::string le;
  std::uint64_t count = 0;
};

// The buckets of histogram `name` (lines `name_bucket{le="…"} N`) in the
// order they appear; empty when the text has none.
std::vector<metric_bucket> parse_histogram_buckets(std::string_view metrics_text, std::string_view name);

// after − before, bucket by bucket (matched by bound; a bucket missing from
// `before` counts from 0). Empty when `after` is empty.
std::vector<metric_bucket> bucket_difference(const std::vector<metric_bucket>& after,
                                             const std::vector<metric_bucket>& before);

// The upper bound, in seconds, of the first bucket holding at least q (0..1)
// of the observations: "p50 ≤ this". Infinity when that is the +Inf bucket;
// a negative value when there are no observations.
double bucket_quantile_bound(const std::vector<metric_bucket>& buckets, double q);

}  // namespace sorak::bench
