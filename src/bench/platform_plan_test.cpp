#include "bench/platform_plan.hpp"

#include <gtest/gtest.h>

#include <numeric>

namespace sorak::bench {
namespace {

std::uint64_t sum(const std::vector<std::uint32_t>& v) { return std::accumulate(v.begin(), v.end(), std::uint64_t{0}); }

void expect_zipf_shape(const std::vector<std::uint32_t>& v, std::uint32_t streams, std::uint32_t viewers,
                       std::uint32_t top) {
  ASSERT_EQ(v.size(), streams);
  EXPECT_EQ(sum(v), viewers);
  EXPECT_EQ(v.front(), top);
  for (std::size_t i = 0; i < v.size(); ++i) {
    EXPECT_GE(v[i], 1u) << i;
    if (i > 0) EXPECT_LE(v[i], v[i - 1]) << i;
  }
}

TEST(ZipfViewers, TheIssuesPlatformSumsWithTheTopStreamAtTopAndALongTail) {
  auto v = zipf_viewers(300, 15000, 5000);
  ASSERT_TRUE(v);
  expect_zipf_shape(*v, 300, 15000, 5000);
  EXPECT_LE(v->back(), 5u);   // the tail has a few each
  EXPECT_GT((*v)[1], 1000u);  // and the head falls off as 1/i^s
  EXPECT_LT((*v)[1], 2500u);
}

TEST(ZipfViewers, SmallerRunsAndEdgesKeepTheShape) {
  for (auto [streams, viewers, top] : {std::tuple{30u, 1500u, 500u}, std::tuple{1u, 7u, 7u}, std::tuple{5u, 14u, 10u},
                                       std::tuple{4u, 40u, 10u}, std::tuple{10u, 10u, 1u}, std::tuple{7u, 100u, 60u}}) {
    auto v = zipf_viewers(streams, viewers, top);
    ASSERT_TRUE(v) << streams << " " << viewers << " " << top;
    expect_zipf_shape(*v, streams, viewers, top);
  }
}

TEST(ZipfViewers, RefusesWhatNoSplitFits) {
  EXPECT_FALSE(zipf_viewers(10, 13, 5));  // below top + one each
  EXPECT_FALSE(zipf_viewers(10, 51, 5));  // above top in every stream
  EXPECT_FALSE(zipf_viewers(0, 10, 5));
  EXPECT_FALSE(zipf_viewers(3, 10, 0));
}

TEST(ChatRates, GrowWithTheAudienceAndAddUpToTheTotal) {
  const std::vector<std::uint32_t> v{100, 25, 4, 1};
  const auto r = chat_rates(v, 170, 0.5);  // √v: 10, 5, 2, 1 of 18
  ASSERT_EQ(r.size(), 4u);
  EXPECT_NEAR(r[0], 170.0 * 10 / 18, 1e-9);
  EXPECT_NEAR(r[3], 170.0 / 18, 1e-9);
  EXPECT_NEAR(std::accumulate(r.begin(), r.end(), 0.0), 170, 1e-9);
  const auto flat = chat_rates(v, 8, 0);
  for (double x : flat) EXPECT_DOUBLE_EQ(x, 2);
  const auto linear = chat_rates(v, 130, 1);
  EXPECT_DOUBLE_EQ(linear[1], 25);
}

TEST(Bands, SplitAtTenHundredAndAThousand) {
  EXPECT_EQ(band_of(1), 0);
  EXPECT_EQ(band_of(10), 0);
  EXPECT_EQ(band_of(11), 1);
  EXPECT_EQ(band_of(100), 1);
  EXPECT_EQ(band_of(101), 2);
  EXPECT_EQ(band_of(1000), 2);
  EXPECT_EQ(band_of(1001), 3);
  EXPECT_STREQ(band_name(3), ">1000");
}

TEST(GiftSeq, AShareOfEachSendersMessagesTheFirstAmongThem) {
  int gifts = 0;
  for (std::uint64_t seq = 1; seq <= 1000; ++seq) gifts += is_gift_seq(seq, 0.05);
  EXPECT_EQ(gifts, 50);
  EXPECT_TRUE(is_gift_seq(1, 0.05));
  EXPECT_FALSE(is_gift_seq(2, 0.05));
  EXPECT_TRUE(is_gift_seq(21, 0.05));
  EXPECT_FALSE(is_gift_seq(1, 0));
  EXPECT_TRUE(is_gift_seq(7, 1));
}

TEST(WeightedPicker, DrawsInProportionToTheWeights) {
  weighted_picker p({6, 3, 1});
  int n[3] = {};
  for (int i = 0; i < 100000; ++i) ++n[p.pick()];
  EXPECT_NEAR(n[0], 60000, 1500);
  EXPECT_NEAR(n[1], 30000, 1500);
  EXPECT_NEAR(n[2], 10000, 1000);
}

TEST(PlatformOptions, WsRunsAgainstARelayWithoutBotsAndIrcNotAtAll) {
  bench_options o;
  o.what = scenario::platform;
  EXPECT_TRUE(check_platform_options(o));  // sorak, with its bots
  o.protocol = wire_protocol::ws;
  const status bots = check_platform_options(o);
  ASSERT_FALSE(bots);
  EXPECT_EQ(bots.err().id, errc::usage);
  EXPECT_NE(bots.err().message.find("--bots 0"), std::string::npos) << bots.err().message;
  o.bots = 0;
  EXPECT_TRUE(check_platform_options(o));
  o.churn = 0;  // no joins, and still a run
  EXPECT_TRUE(check_platform_options(o));
  o.stream = "01a2133c-0000-7000-8000-000000000000";
  EXPECT_FALSE(check_platform_options(o));  // every stream is the run's own, a room or created
  o.stream.clear();
  o.protocol = wire_protocol::irc;
  EXPECT_FALSE(check_platform_options(o));
}

TEST(CountGifts, OwesAViewerTheGiftsSentWhileItWatched) {
  const std::int64_t s = 1'000'000'000;  // 1 s in ns
  // Stream 0: gifts at 1, 5, 9 and 19 s; stream 1: one at 5 s.
  const std::vector<gift_seen> sent{{0, gift_key(0, 1), 1 * s},
                                    {0, gift_key(0, 21), 5 * s},
                                    {0, gift_key(0, 41), 9 * s},
                                    {0, gift_key(0, 61), 19 * s},
                                    {1, gift_key(1, 1), 5 * s}};
  std::vector<viewer_session> sessions{
      {0, 2 * s, 0, {gift_key(0, 21), gift_key(0, 41), gift_key(0, 61)}, {}},  // all it was owed (5, 9, 19)
      {0, 2 * s, 9 * s + s / 2, {gift_key(0, 21)}, {}},  // left 0.5 s after the 9 s gift: owed only 5
      {0, 0, 0, {gift_key(0, 1), gift_key(0, 21)}, {}},  // missed 9 and 19
      {1, 6 * s, 0, {}, {}},                             // joined after stream 1's only gift
  };
  const gift_count n = count_gifts(sessions, sent, s, 30 * s);
  EXPECT_EQ(n.expected, 3u + 1u + 4u);
  EXPECT_EQ(n.delivered, 3u + 1u + 2u);
  EXPECT_EQ(n.missing(), 2u);
}

}  // namespace
}  // namespace sorak::bench
