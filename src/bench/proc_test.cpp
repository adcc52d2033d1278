#include "bench/proc.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

namespace sorak::bench {
namespace {

server_figures measured(double cpu_s, double cores, double rss) {
  server_figures f;
  f.measured = true;
  f.cpu_s = cpu_s;
  f.cpu_cores = cores;
  f.rss_mb = rss;
  f.rss_start_mb = rss / 2;
  f.rss_end_mb = rss;
  return f;
}

TEST(SumFigures, AddsTheNodesUp) {
  const server_figures sum = sum_figures({measured(1.5, 0.15, 20), measured(2.5, 0.25, 30)});
  EXPECT_TRUE(sum.measured);
  EXPECT_DOUBLE_EQ(sum.cpu_s, 4.0);
  EXPECT_DOUBLE_EQ(sum.cpu_cores, 0.4);
  EXPECT_DOUBLE_EQ(sum.rss_mb, 50);
  EXPECT_DOUBLE_EQ(sum.rss_start_mb, 25);
  EXPECT_DOUBLE_EQ(sum.rss_end_mb, 50);
}

TEST(SumFigures, OneUnmeasuredProcessLeavesTheSumUnmeasured) {
  const server_figures sum = sum_figures({measured(1, 0.1, 10), server_figures{}});
  EXPECT_FALSE(sum.measured);
  EXPECT_EQ(sum.cpu_s, 0);
  EXPECT_FALSE(sum_figures({}).measured);
}

TEST(ServerMonitor, SeveralPidsAreSummedAndKeptApart) {
  server_monitor m({getpid(), 0, getpid()});  // 0 is no process
  ASSERT_TRUE(m.enabled());
  EXPECT_EQ(m.pids(), (std::vector<int>{getpid(), getpid()}));
  m.start_window();
  volatile double spin = 0;
  for (int i = 0; i < 20'000'000; ++i) spin = spin + i;
  m.end_window();
  const std::vector<server_figures> each = m.each(1.0);
  ASSERT_EQ(each.size(), 2u);
  const server_figures sum = m.figures(1.0);
  EXPECT_TRUE(sum.measured);
  EXPECT_DOUBLE_EQ(sum.cpu_s, each[0].cpu_s + each[1].cpu_s);
  EXPECT_DOUBLE_EQ(sum.rss_end_mb, each[0].rss_end_mb + each[1].rss_end_mb);
}

TEST(ServerMonitor, NoPidMeasuresNothing) {
  server_monitor m({});
  EXPECT_FALSE(m.enabled());
  m.start_window();
  m.end_window();
  EXPECT_FALSE(m.figures(1.0).measured);
  EXPECT_TRUE(m.each(1.0).empty());
}

}  // namespace
}  // namespace sorak::bench
