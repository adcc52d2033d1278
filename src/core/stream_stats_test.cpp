#include "core/stream_stats.hpp"

#include <gtest/gtest.h>

namespace sorak {
namespace {

constexpr millis t0 = 1'780'000'040'000;  // 20 s into a minute

message chat(std::string user, millis at) {
  message m;
  m.id = "m" + std::to_string(at);
  m.user.id = user;
  m.user.display_name = "User " + user;
  m.type = message_type::message;
  m.created_at = at;
  return m;
}

message gift(std::string user, millis at, std::string id, int quantity, std::int64_t each) {
  message m = chat(std::move(user), at);
  m.type = message_type::gift;
  m.gift = gift_info{id, id + "!", quantity, each * quantity};
  m.stars = each * quantity;
  return m;
}

TEST(stream_stats, totals_users_gifts_and_minutes) {
  stream_stats s;
  s.record(chat("a", t0));
  s.record(gift("b", t0 + 1, "star", 3, 10));
  s.record(chat("a", t0 + 50'000));  // the next minute
  s.record(gift("a", t0 + 50'001, "heart", 2, 5));
  s.record(gift("c", t0 + 50'002, "clap", 40, 1));
  message notice = chat("mod", t0 + 50'003);
  notice.type = message_type::moderation;
  s.record(notice);
  auto snap = s.snapshot(10, t0, t0 + 60'000);
  EXPECT_EQ(snap.total_messages, 5);
  EXPECT_EQ(snap.chat_messages, 2);
  EXPECT_EQ(snap.gift_count, 3);
  EXPECT_EQ(snap.total_stars, 30 + 10 + 40);
  EXPECT_EQ(snap.unique_users, 3);
  EXPECT_EQ(top_gift_ids(snap.gifts, 3), (std::vector<std::string>{"clap", "star", "heart"}));
  EXPECT_EQ(snap.gifts[0].quantity, 40);
  ASSERT_EQ(snap.timeline.size(), 2u);
  EXPECT_EQ(snap.timeline[0].messages, 2);
  EXPECT_EQ(snap.timeline[1].messages, 3);
  EXPECT_EQ(snap.timeline[1].gifts, 2);
  EXPECT_EQ(snap.timeline[1].stars, 50);
  ASSERT_EQ(snap.top_chatters.size(), 3u);
  EXPECT_EQ(snap.top_chatters[0].user.id, "a");
  EXPECT_EQ(snap.top_chatters[0].messages, 3);
  ASSERT_EQ(snap.top_gifters.size(), 3u);
  EXPECT_EQ(snap.top_gifters[0].user.id, "c");
  EXPECT_EQ(s.top_gifters(1).size(), 1u);
}

TEST(stream_stats, a_message_not_newer_than_the_last_is_counted_once) {
  stream_stats s;
  s.record(chat("a", t0));
  s.record(chat("a", t0));  // the rebuild and the commit both saw it
  s.record(chat("a", t0 - 5));
  EXPECT_EQ(s.snapshot(1, t0, t0).total_messages, 1);
}

TEST(stream_stats, viewers_peak_and_empty_minutes) {
  stream_stats s;
  s.sample_viewers(4, t0);
  s.sample_viewers(9, t0 + 120'000);
  s.sample_viewers(2, t0 + 121'000);
  auto snap = s.snapshot(5, t0, t0 + 180'000);
  EXPECT_EQ(snap.peak_viewers, 9);
  ASSERT_EQ(snap.timeline.size(), 4u);
  EXPECT_EQ(snap.timeline[0].viewers, 4);
  EXPECT_EQ(snap.timeline[1].viewers, 0);
  EXPECT_EQ(snap.timeline[2].viewers, 9);
  EXPECT_EQ(snap.timeline[1].minute - snap.timeline[0].minute, 60'000);
  EXPECT_TRUE(snap.top_gifters.empty());
}

TEST(stream_stats, the_timeline_keeps_the_newest_day) {
  stream_stats s;
  auto snap = s.snapshot(1, t0, t0 + 3 * 24 * 3'600'000);
  EXPECT_EQ(snap.timeline.size(), stream_stats::max_timeline_minutes);
}

TEST(stream_stats, messages_per_minute_and_duration) {
  EXPECT_EQ(messages_per_minute(30, 0, 60'000 * 10), 3.0);
  EXPECT_EQ(messages_per_minute(3, 0, 5'000), 3.0);  // at least one minute
  EXPECT_EQ(messages_per_minute(1547, 0, 85 * 60'000), 18.2);
  EXPECT_EQ(format_duration((1 * 3600 + 45 * 60 + 30) * 1000 + 999), "01:45:30");
  EXPECT_EQ(format_duration(-5), "00:00:00");
}

// What a statistics request shows: every figure the pages and the API draw.
void expect_same_figures(const stream_stats& a, const stream_stats& b, millis from, millis to) {
  auto x = a.snapshot(100, from, to);
  auto y = b.snapshot(100, from, to);
  EXPECT_EQ(x.total_messages, y.total_messages);
  EXPECT_EQ(x.chat_messages, y.chat_messages);
  EXPECT_EQ(x.gift_count, y.gift_count);
  EXPECT_EQ(x.total_stars, y.total_stars);
  EXPECT_EQ(x.unique_users, y.unique_users);
  ASSERT_EQ(x.gifts.size(), y.gifts.size());
  for (std::size_t i = 0; i < x.gifts.size(); ++i) {
    EXPECT_EQ(x.gifts[i].gift_id, y.gifts[i].gift_id);
    EXPECT_EQ(x.gifts[i].gift_name, y.gifts[i].gift_name);
    EXPECT_EQ(x.gifts[i].quantity, y.gifts[i].quantity);
    EXPECT_EQ(x.gifts[i].stars, y.gifts[i].stars);
  }
  for (auto [p, q] : {std::pair{&x.top_chatters, &y.top_chatters}, std::pair{&x.top_gifters, &y.top_gifters}}) {
    ASSERT_EQ(p->size(), q->size());
    for (std::size_t i = 0; i < p->size(); ++i) {
      EXPECT_EQ((*p)[i].user.id, (*q)[i].user.id);
      EXPECT_EQ((*p)[i].user.display_name, (*q)[i].user.display_name);
      EXPECT_EQ((*p)[i].user.level, (*q)[i].user.level);
      EXPECT_EQ((*p)[i].user.badges, (*q)[i].user.badges);
      EXPECT_EQ((*p)[i].messages, (*q)[i].messages);
      EXPECT_EQ((*p)[i].gifts, (*q)[i].gifts);
      EXPECT_EQ((*p)[i].stars, (*q)[i].stars);
    }
  }
  ASSERT_EQ(x.timeline.size(), y.timeline.size());
  for (std::size_t i = 0; i < x.timeline.size(); ++i) {
    EXPECT_EQ(x.timeline[i].minute, y.timeline[i].minute);
    EXPECT_EQ(x.timeline[i].messages, y.timeline[i].messages);
    EXPECT_EQ(x.timeline[i].gifts, y.timeline[i].gifts);
    EXPECT_EQ(x.timeline[i].stars, y.timeline[i].stars);
  }
}

std::vector<message> a_stream_of_messages() {
  std::vector<message> out;
  for (int i = 0; i < 40; ++i) {
    const millis at = t0 + i * 7'000;
    const std::string who = "u" + std::to_string(i % 4);
    out.push_back(i % 5 == 0 ? gift(who, at, i % 10 == 0 ? "star" : "heart", 1 + i % 3, 10) : chat(who, at));
    out.back().user.level = i;  // the profile changes: the newest one is kept
    out.back().user.badges = {i % 2 ? "vip" : "subscriber"};
  }
  return out;
}

TEST(stream_stats, save_and_restore_keep_every_message_figure) {
  stream_stats all;
  for (const auto& m : a_stream_of_messages()) all.record(m);
  stream_stats back;
  ASSERT_TRUE(back.restore(all.save()));
  expect_same_figures(all, back, t0, t0 + 40 * 7'000);
  EXPECT_EQ(back.save(), all.save());
}

TEST(stream_stats, a_baseline_plus_the_rest_counts_what_all_messages_count) {
  const auto ms = a_stream_of_messages();
  stream_stats all;
  for (const auto& m : ms) all.record(m);
  // Pruned in two batches, then the room opens: baseline, then the messages left.
  std::string baseline = fold_stats_baseline("", {ms.begin(), ms.begin() + 10});
  baseline = fold_stats_baseline(baseline, {ms.begin() + 10, ms.begin() + 25});
  stream_stats reopened;
  ASSERT_TRUE(reopened.restore(baseline));
  for (const auto& m : ms) reopened.record(m);  // the folded ones again too: not newer, ignored
  expect_same_figures(all, reopened, t0, t0 + 40 * 7'000);
  EXPECT_EQ(reopened.snapshot(1, t0, t0).total_messages, 40);
}

TEST(stream_stats, restore_refuses_text_it_cannot_read_and_keeps_what_it_had) {
  stream_stats s;
  s.record(chat("a", t0));
  EXPECT_FALSE(s.restore("not json"));
  EXPECT_FALSE(s.restore(R"({"v":99})"));
  EXPECT_FALSE(s.restore(R"({"v":1,"last":5})"));
  EXPECT_EQ(s.snapshot(1, t0, t0).total_messages, 1);
}

TEST(stream_stats, restore_keeps_the_viewer_samples) {
  stream_stats s;
  s.sample_viewers(7, t0);
  stream_stats other;
  other.record(chat("a", t0 + 1));
  ASSERT_TRUE(s.restore(other.save()));
  auto snap = s.snapshot(5, t0, t0);
  EXPECT_EQ(snap.peak_viewers, 7);
  ASSERT_EQ(snap.timeline.size(), 1u);
  EXPECT_EQ(snap.timeline[0].viewers, 7);
  EXPECT_EQ(snap.timeline[0].messages, 1);
}

}  // namespace
}  // namespace sorak
