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

}  // namespace
}  // namespace sorak
