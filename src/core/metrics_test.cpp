#include "core/metrics.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace sorak::metrics {
namespace {

TEST(Metrics, CountsFromManyThreadsAreSummed) {
  const totals before = sum();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([] {
      for (int i = 0; i < 1000; ++i) local().deliveries.add();
      local().messages_in.add(5);
      local().ws_connections.add(1);
    });
  }
  for (auto& t : threads) t.join();
  const totals after = sum();
  EXPECT_EQ(after.deliveries - before.deliveries, 4000);  // the threads are gone; their counts stay
  EXPECT_EQ(after.messages_in - before.messages_in, 20);
  EXPECT_EQ(after.ws_connections - before.ws_connections, 4);
}

TEST(Metrics, GaugeGoesUpAndDownOnOneThread) {
  const auto before = sum().ws_connections;
  local().ws_connections.add(1);
  local().ws_connections.add(1);
  local().ws_connections.add(-1);
  EXPECT_EQ(sum().ws_connections - before, 1);
  local().ws_connections.add(-1);
}

TEST(Metrics, HttpResponsesByStatusClass) {
  const auto before = sum().http_responses;
  count_http_response(200);
  count_http_response(204);
  count_http_response(404);
  count_http_response(503);
  count_http_response(99);   // not a status: ignored
  count_http_response(600);  // likewise
  const auto after = sum().http_responses;
  EXPECT_EQ(after[1] - before[1], 2);
  EXPECT_EQ(after[3] - before[3], 1);
  EXPECT_EQ(after[4] - before[4], 1);
  EXPECT_EQ(after[0] - before[0], 0);
}

TEST(Metrics, HistogramBucketsAreCumulativeWithLeBounds) {
  histogram h({0.001, 0.01, 0.1});
  h.observe(std::chrono::microseconds(500));  // ≤ 0.001
  h.observe(std::chrono::milliseconds(1));    // exactly on a bound: le counts it there
  h.observe(std::chrono::milliseconds(50));   // ≤ 0.1
  h.observe(std::chrono::seconds(3));         // +Inf only
  const auto s = h.read();
  ASSERT_EQ(s.cumulative.size(), 4u);
  EXPECT_EQ(s.cumulative[0], 2u);
  EXPECT_EQ(s.cumulative[1], 2u);
  EXPECT_EQ(s.cumulative[2], 3u);
  EXPECT_EQ(s.cumulative[3], 4u);
  EXPECT_EQ(s.count, 4u);
  EXPECT_NEAR(s.sum_seconds, 3.0515, 1e-9);
}

TEST(Metrics, HistogramTextFormat) {
  histogram h({0.5, 1});
  h.observe(std::chrono::milliseconds(250));
  std::string out;
  write_histogram(out, "x_seconds", "Help text.", h.read());
  EXPECT_EQ(out,
            "# HELP x_seconds Help text.\n"
            "# TYPE x_seconds histogram\n"
            "x_seconds_bucket{le=\"0.5\"} 1\n"
            "x_seconds_bucket{le=\"1\"} 1\n"
            "x_seconds_bucket{le=\"+Inf\"} 1\n"
            "x_seconds_sum 0.25\n"
            "x_seconds_count 1\n");
}

TEST(Metrics, RenderNamesEveryMetricOnce) {
  std::string out;
  render(out);
  for (const char* name : {"sorak_websocket_connections", "sorak_messages_in_total", "sorak_deliveries_total",
                           "sorak_slow_consumers_cut_total", "sorak_http_requests_total",
                           "sorak_store_commit_seconds", "sorak_broker_lag_seconds",
                           "sorak_retention_pruned_messages_total"}) {
    const std::string type_line = std::string("# TYPE ") + name + " ";
    const auto first = out.find(type_line);
    EXPECT_NE(first, std::string::npos) << name;
    EXPECT_EQ(out.find(type_line, first + 1), std::string::npos) << name;
  }
  EXPECT_NE(out.find("sorak_http_requests_total{code=\"2xx\"} "), std::string::npos);
  EXPECT_EQ(out.back(), '\n');
}

}  // namespace
}  // namespace sorak::metrics
