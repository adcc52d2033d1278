// What moderation does to a room's ring (core/room.hpp): deletions and purges,
// applied as the broker delivers them (room::apply), leave history on connect
// and `since=` recovery exact, and the clock never goes back below a deleted
// message.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/room.hpp"
#include "core/room_events.hpp"
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

// A room as the registry opens it: from the store's newest messages
// (`recent`) and deleted ones newer than their oldest (`deleted`), then the
// newest stored created_at (nullopt: the newest of `recent`).
std::shared_ptr<room> open_room(std::size_t ring_capacity, std::vector<message> recent = {},
                                std::vector<message> deleted = {},
                                std::optional<millis> last_created_at = std::nullopt) {
  room_snapshot snap;
  snap.info = live_stream();
  snap.recent = std::move(recent);
  snap.deleted = std::move(deleted);
  auto r = std::make_shared<room>(std::move(snap), ring_capacity);
  r->finish_loading(last_created_at);
  return r;
}

// Applies one event the way the broker's receiver does.
std::uint64_t apply_event(room& r, const room_event& ev) {
  std::lock_guard lk(r.event_mutex());
  return r.apply(ev);
}

void record(room& r, const message& m) {
  apply_event(r, message_posted(std::make_shared<const message>(m),
                          std::make_shared<const std::string>(message_event(encode_message(m)))));
}

std::vector<std::string> ids_in(const history_snapshot& s) {
  std::vector<std::string> out;
  for (const auto& ev : s.message_events) out.emplace_back(boost::json::parse(*ev).at("data").at("id").as_string());
  return out;
}

TEST(RoomModeration, SinceADeletedMessageStillRecoversWhatCameAfterIt) {
  auto r = open_room(10);
  for (int i = 1; i <= 4; ++i) record(*r, msg(i));
  apply_event(*r, message_deleted("stream-1", "m2"));
  auto snap = r->after("m2", 1000);
  EXPECT_TRUE(snap.found);
  EXPECT_EQ(ids_in(snap), (std::vector<std::string>{"m3", "m4"}));
}

TEST(RoomModeration, AClearDropsEveryMessageOfThatUserAndOnlyThose) {
  auto r = open_room(10);
  record(*r, msg(1, "spammer"));
  record(*r, msg(2, "fan"));
  record(*r, msg(3, "spammer"));
  record(*r, msg(4, "fan"));
  const auto before = r->latest(50).seq;
  EXPECT_GT(apply_event(*r, chat_cleared("stream-1", "spammer")), before)
      << "a clear is a room event with its own sequence number";
  EXPECT_EQ(ids_in(r->latest(50)), (std::vector<std::string>{"m2", "m4"}));
  EXPECT_EQ(ids_in(r->after("m1", 1000)), (std::vector<std::string>{"m2", "m4"}));
  EXPECT_EQ(ids_in(r->after("m3", 1000)), (std::vector<std::string>{"m4"}));
  bool has_more = true;
  auto page = r->latest_page(50, has_more);
  ASSERT_TRUE(page.has_value());
  EXPECT_FALSE(has_more);
  EXPECT_EQ(ids_in(*page), (std::vector<std::string>{"m2", "m4"}));
}

TEST(RoomModeration, TombstonesLoadedFromTheStoreAreFoundAfterARestart) {
  // The store's latest non-deleted messages, m2 having been deleted before the restart.
  auto without = open_room(10, {msg(1), msg(3)});
  EXPECT_FALSE(without->after("m2", 1000).found) << "without the tombstone nothing tells where m2 was";
  message gone = msg(2);
  gone.deleted = true;
  auto r = open_room(10, {msg(1), msg(3)}, {gone});
  auto snap = r->after("m2", 1000);
  EXPECT_TRUE(snap.found);
  EXPECT_EQ(ids_in(snap), (std::vector<std::string>{"m3"}));
}

TEST(RoomModeration, TombstonesGoOnceTheRingHasMovedPastThem) {
  auto r = open_room(3);
  for (int i = 1; i <= 3; ++i) record(*r, msg(i));
  apply_event(*r, message_deleted("stream-1", "m2"));
  EXPECT_TRUE(r->after("m2", 1000).found);
  for (int i = 4; i <= 6; ++i) record(*r, msg(i));
  EXPECT_FALSE(r->after("m2", 1000).found) << "older than the ring: the store answers";
}

TEST(RoomModeration, TheClockStartsAboveTheNewestStoredMessageDeletedOnesIncluded) {
  auto r = open_room(10, {msg(1)}, {}, t0 + 50);  // a deleted message newer than anything in the ring
  {
    std::lock_guard lk(r->submit_mutex());
    EXPECT_EQ(r->next_created_at(t0), t0 + 51);
    EXPECT_EQ(r->next_created_at(t0), t0 + 52);
  }
  auto older = open_room(10, {msg(20)}, {}, t0 + 10);  // never back below the ring's newest
  std::lock_guard lk(older->submit_mutex());
  EXPECT_EQ(older->next_created_at(t0), t0 + 21);
}

}  // namespace
}  // namespace sorak
