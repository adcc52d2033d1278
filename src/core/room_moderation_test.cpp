// What moderation does to a room's ring (core/room.hpp): deletions and purges
// leave history on connect and `since=` recovery exact, and the clock never
// goes back below a deleted message.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <memory>
#include <string>
#include <vector>

#include "core/room.hpp"
#include "protocol/events.hpp"
#include "protocol/json_codec.hpp"

namespace sorak {
namespace {

constexpr millis t0 = 1777111530000;

stream live_stream() {
  stream s;
  s.id = "stream-1";
  s.broadcaster_user_id = "owner";
  return s;
}

message msg(int n, std::string user = "viewer-1") {
  message m;
  m.id = "m" + std::to_string(n);
  m.stream_id = "stream-1";
  m.user.id = std::move(user);
  m.content = "text " + std::to_string(n);
  m.created_at = t0 + n;
  return m;
}

void record(room& r, const message& m) {
  r.record_message(std::make_shared<const message>(m),
                   std::make_shared<const std::string>(message_event(encode_message(m))));
}

std::vector<std::string> ids_in(const history_snapshot& s) {
  std::vector<std::string> out;
  for (const auto& ev : s.message_events) out.emplace_back(boost::json::parse(*ev).at("data").at("id").as_string());
  return out;
}

TEST(RoomModeration, SinceADeletedMessageStillRecoversWhatCameAfterIt) {
  room r(live_stream(), 1, 10, {});
  for (int i = 1; i <= 4; ++i) record(r, msg(i));
  r.record_deletion("m2");
  auto snap = r.after("m2", 1000);
  EXPECT_TRUE(snap.found);
  EXPECT_EQ(ids_in(snap), (std::vector<std::string>{"m3", "m4"}));
}

TEST(RoomModeration, AClearDropsEveryMessageOfThatUserAndOnlyThose) {
  room r(live_stream(), 1, 10, {});
  record(r, msg(1, "spammer"));
  record(r, msg(2, "fan"));
  record(r, msg(3, "spammer"));
  record(r, msg(4, "fan"));
  const auto before = r.latest(50).seq;
  EXPECT_GT(r.record_clear("spammer"), before) << "a clear is a room event with its own sequence number";
  EXPECT_EQ(ids_in(r.latest(50)), (std::vector<std::string>{"m2", "m4"}));
  EXPECT_EQ(ids_in(r.after("m1", 1000)), (std::vector<std::string>{"m2", "m4"}));
  EXPECT_EQ(ids_in(r.after("m3", 1000)), (std::vector<std::string>{"m4"}));
  bool has_more = true;
  auto page = r.latest_page(50, has_more);
  ASSERT_TRUE(page.has_value());
  EXPECT_FALSE(has_more);
  EXPECT_EQ(ids_in(*page), (std::vector<std::string>{"m2", "m4"}));
}

TEST(RoomModeration, TombstonesLoadedFromTheStoreAreFoundAfterARestart) {
  // The store's latest non-deleted messages, m2 having been deleted before the restart.
  room r(live_stream(), 1, 10, {msg(1), msg(3)});
  EXPECT_FALSE(r.after("m2", 1000).found) << "without the tombstone nothing tells where m2 was";
  message gone = msg(2);
  gone.deleted = true;
  r.add_tombstones({gone});
  auto snap = r.after("m2", 1000);
  EXPECT_TRUE(snap.found);
  EXPECT_EQ(ids_in(snap), (std::vector<std::string>{"m3"}));
}

TEST(RoomModeration, TombstonesGoOnceTheRingHasMovedPastThem) {
  room r(live_stream(), 1, 3, {});
  for (int i = 1; i <= 3; ++i) record(r, msg(i));
  r.record_deletion("m2");
  EXPECT_TRUE(r.after("m2", 1000).found);
  for (int i = 4; i <= 6; ++i) record(r, msg(i));
  EXPECT_FALSE(r.after("m2", 1000).found) << "older than the ring: the store answers";
}

TEST(RoomModeration, TheClockStartsAboveTheNewestStoredMessageDeletedOnesIncluded) {
  room r(live_stream(), 1, 10, {msg(1)});
  std::lock_guard lk(r.submit_mutex());
  r.advance_clock(t0 + 50);  // a deleted message newer than anything in the ring
  EXPECT_EQ(r.next_created_at(t0), t0 + 51);
  r.advance_clock(t0 + 10);  // never back
  EXPECT_EQ(r.next_created_at(t0), t0 + 52);
}

}  // namespace
}  // namespace sorak
