// One stream's live state (core/room.hpp): the ring of recent messages that a
// connecting viewer gets as history, `since=` recovery, created_at as an exact
// cursor, client_id de-duplication (CONTRACT §5: a resend is never stored
// twice and is acked again), and room::apply, the one way a room changes:
// messages (counted once in the statistics), moderation and every node's
// viewer count. Who watches a room, per worker, is net/audience_test.cpp.
#include "core/room.hpp"
#include "core/room_test_support.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/room_events.hpp"
#include "protocol/events.hpp"
#include "protocol/json_codec.hpp"

namespace sorak {
namespace {

using test_support::live_stream;
using test_support::open_room;
using test_support::t0;
using test_support::other_nodes_counts;

message msg(int n, millis created_at, std::string client_id = {}) {
  message m;
  m.id = "m" + std::to_string(n);
  m.stream_id = "stream-1";
  m.user.id = "viewer-1";
  m.user.username = "v1";
  m.content = "text " + std::to_string(n);
  m.created_at = created_at;
  m.client_id = std::move(client_id);
  return m;
}

shared_json event_for(const message& m) {
  return std::make_shared<const std::string>(message_event(encode_message(m)));
}

// Applies one event the way the broker's receiver does.
std::uint64_t apply_event(room& r, const room_event& ev) {
  std::lock_guard lk(r.event_mutex());
  return r.apply(ev);
}

std::uint64_t record(room& r, const message& m) {
  return apply_event(r, message_posted(std::make_shared<const message>(m), event_for(m)));
}

std::uint64_t delete_message(room& r, std::string_view id) { return apply_event(r, message_deleted("stream-1", id)); }

// An event with a frame of its own but no change to the ring (the stream's
// status, unchanged here): it only moves the room's sequence number.
std::uint64_t other_event(room& r) { return apply_event(r, stream_changed(r.info(), true)); }

// The message ids in a snapshot, in order, read back from the JSON a viewer gets.
std::vector<std::string> ids_in(const history_snapshot& s) {
  std::vector<std::string> out;
  for (const auto& ev : s.message_events) {
    auto v = boost::json::parse(*ev);
    out.emplace_back(v.at("data").at("id").as_string());
  }
  return out;
}

std::vector<std::string> ids(std::initializer_list<int> ns) {
  std::vector<std::string> out;
  for (int n : ns) out.push_back("m" + std::to_string(n));
  return out;
}

// ---- ring of recent messages ---------------------------------------------------

TEST(RoomRing, LatestIsOldestFirstAndCappedAtN) {
  auto r = open_room(10);
  for (int i = 1; i <= 5; ++i) record(*r, msg(i, t0 + i));
  EXPECT_EQ(ids_in(r->latest(50)), ids({1, 2, 3, 4, 5}));
  EXPECT_EQ(ids_in(r->latest(2)), ids({4, 5}));
  EXPECT_TRUE(r->latest(0).message_events.empty());
}

TEST(RoomRing, KeepsOnlyTheNewestCapacityMessages) {
  auto r = open_room(3);
  for (int i = 1; i <= 5; ++i) record(*r, msg(i, t0 + i));
  EXPECT_EQ(ids_in(r->latest(50)), ids({3, 4, 5}));
  EXPECT_EQ(r->oldest_recent(), t0 + 3);
  EXPECT_FALSE(r->find_recent("m1").has_value());
  ASSERT_TRUE(r->find_recent("m4").has_value());
  EXPECT_EQ(r->find_recent("m4")->content, "text 4");
}

TEST(RoomRing, FirstHistoryPageComesFromARingHoldingTheWholeStream) {
  auto r = open_room(10);  // opened with fewer than capacity: it holds everything
  for (int i = 1; i <= 3; ++i) record(*r, msg(i, t0 + i));
  bool has_more = true;
  auto page = r->latest_page(50, has_more);
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(ids_in(*page), ids({1, 2, 3}));
  EXPECT_FALSE(has_more);
  page = r->latest_page(2, has_more);
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(ids_in(*page), ids({2, 3}));
  EXPECT_TRUE(has_more);
  EXPECT_EQ(page->first_id, "m2");  // the cursor for the next page
}

TEST(RoomRing, AFullRingAnswersOnlyPagesSmallerThanItself) {
  auto r = open_room(3);
  for (int i = 1; i <= 5; ++i) record(*r, msg(i, t0 + i));  // m1, m2 fell out: the ring is not the whole stream
  bool has_more = false;
  EXPECT_FALSE(r->latest_page(3, has_more).has_value()) << "whether older messages exist is the store's to say";
  auto page = r->latest_page(2, has_more);
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(ids_in(*page), ids({4, 5}));
  EXPECT_TRUE(has_more);
}

TEST(RoomRing, ARoomOpenedOnAFullRingDoesNotClaimTheWholeStream) {
  std::vector<message> recent;
  for (int i = 1; i <= 3; ++i) recent.push_back(msg(i, t0 + i));
  auto r = open_room(3, recent);  // the store may hold older ones
  bool has_more = false;
  EXPECT_FALSE(r->latest_page(50, has_more).has_value());
}

TEST(RoomRing, EmptyRoomHasNoHistory) {
  auto r = open_room(10);
  EXPECT_TRUE(r->latest(50).message_events.empty());
  EXPECT_FALSE(r->oldest_recent().has_value());
  EXPECT_FALSE(r->after("m1", 1000).found);
}

TEST(RoomRing, EventsCarryTheExactMessageEvent) {
  auto r = open_room(10);
  const message m = msg(1, t0 + 1);
  record(*r, m);
  const auto snap = r->latest(1);
  ASSERT_EQ(snap.message_events.size(), 1u);
  EXPECT_EQ(*snap.message_events[0], message_event(encode_message(m)));
}

TEST(RoomRing, SequenceNumbersIncreaseWithEveryEvent) {
  auto r = open_room(10);
  const auto a = record(*r, msg(1, t0 + 1));
  const auto b = record(*r, msg(2, t0 + 2));
  const auto c = delete_message(*r, "m1");
  const auto d = other_event(*r);
  EXPECT_GT(a, 0u);
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_LT(c, d);
  // A viewer that got this snapshot drops events up to its seq.
  EXPECT_EQ(r->latest(50).seq, d);
}

TEST(RoomRing, AMessageNotNewerThanTheNewestIsSkipped) {
  // The fan-out may hand a room a message its load from the store already had.
  auto r = open_room(10);
  ASSERT_GT(record(*r, msg(1, t0 + 10)), 0u);
  EXPECT_EQ(record(*r, msg(1, t0 + 10)), 0u);  // the same message again
  EXPECT_EQ(record(*r, msg(2, t0 + 10)), 0u);  // same created_at
  EXPECT_EQ(record(*r, msg(3, t0 + 5)), 0u);   // older
  EXPECT_EQ(ids_in(r->latest(50)), ids({1}));
  EXPECT_GT(record(*r, msg(4, t0 + 11)), 0u);
  EXPECT_EQ(ids_in(r->latest(50)), ids({1, 4}));
}

TEST(RoomRing, DeletionRemovesTheMessageFromHistory) {
  auto r = open_room(10);
  for (int i = 1; i <= 3; ++i) record(*r, msg(i, t0 + i));
  delete_message(*r, "m2");
  EXPECT_EQ(ids_in(r->latest(50)), ids({1, 3}));
  EXPECT_FALSE(r->find_recent("m2").has_value());
  EXPECT_EQ(ids_in(r->after("m1", 1000)), ids({3}));
  // Deleting an id the ring does not hold changes nothing.
  delete_message(*r, "not-here");
  EXPECT_EQ(ids_in(r->latest(50)), ids({1, 3}));
}

// ---- since= recovery ---------------------------------------------------------------

// ---- the Showroom feed from the ring ------------------------------------------

std::vector<std::string> feed_ids(const room::feed_snapshot& s) {
  std::vector<std::string> out;
  for (const auto& m : s.messages) out.push_back(m->id);
  return out;
}

TEST(RoomFeed, HoldsChatAndGiftsOnlyOldestFirstWhenTheRingHasTheWholeStream) {
  auto r = open_room(10);
  record(*r, msg(1, t0 + 1));
  auto mod = msg(2, t0 + 2);
  mod.type = message_type::moderation;  // "X was timed out" is chat history, not the Showroom feed
  record(*r, mod);
  auto gift = msg(3, t0 + 3);
  gift.type = message_type::gift;
  record(*r, gift);
  record(*r, msg(4, t0 + 4));
  auto all = r->feed(50, std::nullopt);
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(feed_ids(*all), ids({1, 3, 4}));
  auto newest = r->feed(2, std::nullopt);
  ASSERT_TRUE(newest.has_value());
  EXPECT_EQ(feed_ids(*newest), ids({3, 4}));
}

TEST(RoomFeed, AFullRingAnswersOnlyWhatItHoldsAndLeavesTheRestToTheStore) {
  auto r = open_room(3);
  for (int i = 1; i <= 5; ++i) record(*r, msg(i, t0 + i));  // m1, m2 fell out
  EXPECT_FALSE(r->feed(4, std::nullopt).has_value());
  auto page = r->feed(3, std::nullopt);
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(feed_ids(*page), ids({3, 4, 5}));
  // since: the ring knows everything after a time at or after its oldest message
  auto after = r->feed(50, t0 + 3);
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(feed_ids(*after), ids({4, 5}));
  auto capped = r->feed(1, t0 + 3);
  ASSERT_TRUE(capped.has_value());
  EXPECT_EQ(feed_ids(*capped), ids({4})) << "the oldest after since, so a poller walking forward skips none";
  EXPECT_FALSE(r->feed(50, t0 + 2).has_value()) << "m3 is in the ring but an older one after t0+2 may not be";
}

TEST(RoomFeed, SinceOnARingWithTheWholeStreamAndDeletedMessagesLeftOut) {
  auto r = open_room(10);
  for (int i = 1; i <= 4; ++i) record(*r, msg(i, t0 + i));
  delete_message(*r, "m3");
  auto after = r->feed(50, t0 - 1000);
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(feed_ids(*after), ids({1, 2, 4}));
  auto none = r->feed(50, t0 + 4);
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->messages.empty());
  auto newest = r->feed(3, std::nullopt);
  ASSERT_TRUE(newest.has_value());
  EXPECT_EQ(feed_ids(*newest), ids({1, 2, 4}));
}

TEST(RoomAfter, GivesEveryMessageAfterTheIdOldestFirst) {
  auto r = open_room(10);
  for (int i = 1; i <= 5; ++i) record(*r, msg(i, t0 + i));
  auto snap = r->after("m2", 1000);
  EXPECT_TRUE(snap.found);
  EXPECT_EQ(ids_in(snap), ids({3, 4, 5}));
}

TEST(RoomAfter, TheNewestIdIsFoundWithNothingMissed) {
  auto r = open_room(10);
  for (int i = 1; i <= 3; ++i) record(*r, msg(i, t0 + i));
  auto snap = r->after("m3", 1000);
  EXPECT_TRUE(snap.found);
  EXPECT_TRUE(snap.message_events.empty());
}

TEST(RoomAfter, UnknownIdIsNotFound) {
  auto r = open_room(10);
  for (int i = 1; i <= 3; ++i) record(*r, msg(i, t0 + i));
  auto snap = r->after("m99", 1000);
  EXPECT_FALSE(snap.found);
  EXPECT_TRUE(snap.message_events.empty());
}

TEST(RoomAfter, AnIdThatFellOutOfTheRingIsNotFound) {
  auto r = open_room(3);
  for (int i = 1; i <= 5; ++i) record(*r, msg(i, t0 + i));
  EXPECT_FALSE(r->after("m1", 1000).found);
  EXPECT_TRUE(r->after("m3", 1000).found);
}

TEST(RoomAfter, MoreThanMaxMissedIsNotFoundExactlyMaxIs) {
  auto r = open_room(10);
  for (int i = 1; i <= 5; ++i) record(*r, msg(i, t0 + i));
  auto exact = r->after("m2", 3);  // m3, m4, m5: exactly max
  EXPECT_TRUE(exact.found);
  EXPECT_EQ(ids_in(exact), ids({3, 4, 5}));
  auto over = r->after("m1", 3);  // four missed, max three
  EXPECT_FALSE(over.found);
  EXPECT_TRUE(over.message_events.empty());
}

// ---- created_at ---------------------------------------------------------------------

TEST(RoomCreatedAt, StrictlyIncreasingWithinOneMillisecond) {
  auto r = open_room(10);
  std::lock_guard lk(r->submit_mutex());
  millis last = r->next_created_at(t0);
  EXPECT_EQ(last, t0);
  for (int i = 0; i < 1000; ++i) {
    const millis next = r->next_created_at(t0);
    EXPECT_EQ(next, last + 1);  // bumped by exactly 1 ms on a tie
    last = next;
  }
}

TEST(RoomCreatedAt, FollowsTheClockWhenItMovesAheadAndNeverGoesBack) {
  auto r = open_room(10);
  std::lock_guard lk(r->submit_mutex());
  EXPECT_EQ(r->next_created_at(t0), t0);
  EXPECT_EQ(r->next_created_at(t0 + 500), t0 + 500);
  // The wall clock stepped back (NTP): created_at still increases.
  EXPECT_EQ(r->next_created_at(t0 - 10000), t0 + 501);
}

TEST(RoomCreatedAt, ContinuesAfterTheNewestLoadedMessage) {
  // After a restart the clock may read earlier than the last stored message.
  auto r = open_room(10, {msg(1, t0 + 1), msg(2, t0 + 5000)});
  std::lock_guard lk(r->submit_mutex());
  EXPECT_EQ(r->next_created_at(t0), t0 + 5001);
}

TEST(RoomLoad, RecentMessagesFromTheStoreBecomeTheRing) {
  auto r = open_room(10, {msg(1, t0 + 1), msg(2, t0 + 2), msg(3, t0 + 3)});
  EXPECT_EQ(ids_in(r->latest(50)), ids({1, 2, 3}));
  EXPECT_EQ(ids_in(r->after("m1", 1000)), ids({2, 3}));
  // The fan-out delivering m3 again (it raced the load) does not double it.
  EXPECT_EQ(record(*r, msg(3, t0 + 3)), 0u);
  EXPECT_EQ(ids_in(r->latest(50)), ids({1, 2, 3}));
}

TEST(RoomLoad, EndedStreamIsEndedAndAStreamChangedEventUpdatesIt) {
  stream s = live_stream();
  s.status = stream_status::ended;
  auto ended = open_room(10, {}, s);
  EXPECT_TRUE(ended->ended());

  auto r = open_room(10);
  EXPECT_FALSE(r->ended());
  stream changed = live_stream();
  changed.title = "new title";
  changed.status = stream_status::ended;
  EXPECT_GT(apply_event(*r, stream_changed(changed, true)), 0u) << "viewers are told the status";
  EXPECT_TRUE(r->ended());
  EXPECT_EQ(r->info().title, "new title");
  EXPECT_EQ(r->stream_id(), "stream-1");
}

TEST(RoomLoad, ASettingsChangeUpdatesTheStreamWithoutAFrameOfItsOwn) {
  auto r = open_room(10);
  stream changed = r->info();
  changed.settings.slow_mode_seconds = 30;
  const auto seq = r->seq();
  EXPECT_EQ(apply_event(*r, stream_changed(changed, false)), 0u) << "settings speak through notices";
  EXPECT_EQ(r->seq(), seq);
  EXPECT_EQ(r->info().settings.slow_mode_seconds, 30);
  EXPECT_FALSE(r->ended());
}

// ---- client_id de-duplication ----------------------------------------------------------

struct ack_log {
  std::vector<result<ack_info>> acks;
  ack_callback callback() {
    return [this](const result<ack_info>& r) { acks.push_back(r); };
  }
};

TEST(RoomDedup, AFirstSendIsNewAndADifferentClientIdOrUserIsNewToo) {
  auto r = open_room(10);
  ack_log log;
  EXPECT_TRUE(r->dedup_begin(room::dedup_key("u1", "c1"), t0, log.callback()));
  EXPECT_TRUE(r->dedup_begin(room::dedup_key("u1", "c2"), t0, log.callback()));
  // Another user's client may pick the same client_id.
  EXPECT_TRUE(r->dedup_begin(room::dedup_key("u2", "c1"), t0, log.callback()));
  EXPECT_TRUE(log.acks.empty());
}

TEST(RoomDedup, KeysOfDifferentUsersAndClientIdsNeverCollide) {
  EXPECT_NE(room::dedup_key("ab", "c"), room::dedup_key("a", "bc"));
  EXPECT_EQ(room::dedup_key("a", "bc"), room::dedup_key("a", "bc"));
}

TEST(RoomDedup, AResendWhileInFlightWaitsAndIsAckedOnceTheFirstCommits) {
  auto r = open_room(10);
  const std::string key = room::dedup_key("u1", "c1");
  ack_log first, resend;
  ASSERT_TRUE(r->dedup_begin(key, t0, first.callback()));
  EXPECT_FALSE(r->dedup_begin(key, t0 + 5, resend.callback()));
  EXPECT_TRUE(resend.acks.empty()) << "acked before the message was stored";
  r->dedup_commit(key, {"msg-1", t0 + 1});
  ASSERT_EQ(resend.acks.size(), 1u);
  ASSERT_TRUE(resend.acks[0]);
  EXPECT_EQ(resend.acks[0]->id, "msg-1");
  EXPECT_EQ(resend.acks[0]->created_at, t0 + 1);
  // The first sender's ack is the caller's job, not the table's.
  EXPECT_TRUE(first.acks.empty());
  // Committing does not ack the waiter a second time later.
  r->dedup_commit(key, {"msg-1", t0 + 1});
  EXPECT_EQ(resend.acks.size(), 1u);
}

TEST(RoomDedup, SeveralResendsInFlightAreEachAckedOnce) {
  auto r = open_room(10);
  const std::string key = room::dedup_key("u1", "c1");
  ack_log first, a, b;
  ASSERT_TRUE(r->dedup_begin(key, t0, first.callback()));
  EXPECT_FALSE(r->dedup_begin(key, t0, a.callback()));
  EXPECT_FALSE(r->dedup_begin(key, t0, b.callback()));
  r->dedup_commit(key, {"msg-1", t0});
  ASSERT_EQ(a.acks.size(), 1u);
  ASSERT_EQ(b.acks.size(), 1u);
  EXPECT_EQ(a.acks[0]->id, "msg-1");
  EXPECT_EQ(b.acks[0]->id, "msg-1");
}

TEST(RoomDedup, AResendAfterCommitIsAckedAtOnceWithTheSameIdAndTime) {
  auto r = open_room(10);
  const std::string key = room::dedup_key("u1", "c1");
  ack_log first, resend;
  ASSERT_TRUE(r->dedup_begin(key, t0, first.callback()));
  r->dedup_commit(key, {"msg-1", t0 + 3});
  EXPECT_FALSE(r->dedup_begin(key, t0 + 60000, resend.callback()));
  ASSERT_EQ(resend.acks.size(), 1u);
  ASSERT_TRUE(resend.acks[0]);
  EXPECT_EQ(resend.acks[0]->id, "msg-1");
  EXPECT_EQ(resend.acks[0]->created_at, t0 + 3);
}

TEST(RoomDedup, AfterFiveMinutesTheSameClientIdIsNewAgain) {
  auto r = open_room(10);
  const std::string key = room::dedup_key("u1", "c1");
  ack_log log;
  ASSERT_TRUE(r->dedup_begin(key, t0, log.callback()));
  r->dedup_commit(key, {"msg-1", t0});
  EXPECT_FALSE(r->dedup_begin(key, t0 + client_id_window_ms - 1, log.callback()));
  EXPECT_EQ(log.acks.size(), 1u);
  EXPECT_TRUE(r->dedup_begin(key, t0 + client_id_window_ms, log.callback()));
  EXPECT_EQ(log.acks.size(), 1u);  // a new message: no ack from the table
  EXPECT_EQ(client_id_window_ms, 5 * 60 * 1000);
}

TEST(RoomDedup, FailReleasesWaitersWithTheErrorAndTheClientIdCanBeSentAgain) {
  auto r = open_room(10);
  const std::string key = room::dedup_key("u1", "c1");
  ack_log first, resend;
  ASSERT_TRUE(r->dedup_begin(key, t0, first.callback()));
  ASSERT_FALSE(r->dedup_begin(key, t0, resend.callback()));
  error e(errc::internal, "store failed");
  r->dedup_fail(key, e);
  ASSERT_EQ(resend.acks.size(), 1u);
  ASSERT_FALSE(resend.acks[0]);
  EXPECT_EQ(resend.acks[0].err().code, "internal");
  EXPECT_EQ(resend.acks[0].err().message, "store failed");
  // Nothing was stored, so the next send with this client_id is stored.
  EXPECT_TRUE(r->dedup_begin(key, t0 + 1, first.callback()));
  // Failing an unknown key is harmless.
  r->dedup_fail(room::dedup_key("u9", "zz"), e);
}

TEST(RoomDedup, SweepForgetsExpiredClientIdsOnly) {
  auto r = open_room(10);
  const std::string old_key = room::dedup_key("u1", "old");
  const std::string fresh_key = room::dedup_key("u1", "fresh");
  const std::string flying_key = room::dedup_key("u1", "flying");
  ack_log log;
  ASSERT_TRUE(r->dedup_begin(old_key, t0, log.callback()));
  r->dedup_commit(old_key, {"m-old", t0});
  ASSERT_TRUE(r->dedup_begin(fresh_key, t0 + 200000, log.callback()));
  r->dedup_commit(fresh_key, {"m-fresh", t0 + 200000});
  ASSERT_TRUE(r->dedup_begin(flying_key, t0, log.callback()));  // never committed

  r->dedup_sweep(t0 + client_id_window_ms);

  // A message still being stored keeps its entry: a resend still waits for it.
  ack_log waiting;
  EXPECT_FALSE(r->dedup_begin(flying_key, t0 + client_id_window_ms, waiting.callback()));
  EXPECT_TRUE(waiting.acks.empty());
  // Within its window the fresh one is still acked, not stored again.
  ack_log fresh;
  EXPECT_FALSE(r->dedup_begin(fresh_key, t0 + client_id_window_ms, fresh.callback()));
  ASSERT_EQ(fresh.acks.size(), 1u);
  EXPECT_EQ(fresh.acks[0]->id, "m-fresh");
  EXPECT_TRUE(r->dedup_begin(old_key, t0 + client_id_window_ms, log.callback()));
}

TEST(RoomDedup, ABusyRoomHoldsAboutAWindowOfClientIdsNotEveryOneEverSent) {
  // A room chatting for an hour at 10 messages/s, swept as the server sweeps
  // (every few seconds): it keeps its last window of client_ids (and at most
  // one sweep interval more), not all 36,000.
  auto r = open_room(10);
  ack_log log;
  std::size_t most = 0;
  const millis every = 100;
  for (millis t = t0; t < t0 + 3'600'000; t += every) {
    const std::string key = room::dedup_key("u1", "c" + std::to_string(t));
    ASSERT_TRUE(r->dedup_begin(key, t, log.callback()));
    r->dedup_commit(key, {"m" + std::to_string(t), t});
    if ((t - t0) % 2000 == 0) r->dedup_sweep(t);
    most = std::max(most, r->dedup_entries());
  }
  const auto window = static_cast<std::size_t>(client_id_window_ms / every);
  const auto slack = static_cast<std::size_t>((dedup_sweep_every_ms + 2000) / every);
  EXPECT_GE(most, window);
  EXPECT_LE(most, window + slack);
  // The last ones are still acked, not stored again.
  ack_log resend;
  const millis last = t0 + 3'600'000 - every;
  EXPECT_FALSE(r->dedup_begin(room::dedup_key("u1", "c" + std::to_string(last)), last + 1, resend.callback()));
  ASSERT_EQ(resend.acks.size(), 1u);
  EXPECT_EQ(resend.acks[0]->id, "m" + std::to_string(last));
}

TEST(RoomDedup, ClientIdsOfLoadedMessagesAreRemembered) {
  // A client that resends after a server restart is acked, not stored twice.
  const message stored = msg(1, t0, "c-1");
  auto r = open_room(10, {stored});
  ack_log log;
  EXPECT_FALSE(r->dedup_begin(room::dedup_key("viewer-1", "c-1"), t0 + 1000, log.callback()));
  ASSERT_EQ(log.acks.size(), 1u);
  ASSERT_TRUE(log.acks[0]);
  EXPECT_EQ(log.acks[0]->id, "m1");
  EXPECT_EQ(log.acks[0]->created_at, t0);
  // …but only for five minutes after it was sent.
  EXPECT_TRUE(r->dedup_begin(room::dedup_key("viewer-1", "c-1"), t0 + client_id_window_ms, log.callback()));
}

// ---- apply: moderation ---------------------------------------------------------------

sanction sanction_on(std::string user, sanction_kind kind, std::optional<millis> expires_at = std::nullopt) {
  sanction s;
  s.id = "s-" + user;
  s.stream_id = "stream-1";
  s.user_id = std::move(user);
  s.kind = kind;
  s.moderator_id = "owner";
  s.created_at = t0;
  s.expires_at = expires_at;
  return s;
}

TEST(RoomApply, ABanBitesOnlyOnceItsEventIsAppliedAndItsLiftUndoesIt) {
  auto r = open_room(10);
  EXPECT_TRUE(r->moderation().check_sender("troll", t0)) << "nothing before the event";
  const auto seq = r->seq();
  EXPECT_EQ(apply_event(*r, sanction_imposed(sanction_on("troll", sanction_kind::ban))), 0u)
      << "no frame of its own: the chat is told by a notice message";
  EXPECT_EQ(r->seq(), seq);
  const status refused = r->moderation().check_sender("troll", t0 + 1);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.err().code, "banned");
  EXPECT_TRUE(r->moderation().check_sender("fan", t0 + 1)) << "only that user";
  EXPECT_EQ(apply_event(*r, sanction_lifted("stream-1", "troll", sanction_kind::timeout)), 0u);
  EXPECT_FALSE(r->moderation().check_sender("troll", t0 + 2)) << "lifting a timeout leaves the ban";
  EXPECT_EQ(apply_event(*r, sanction_lifted("stream-1", "troll", sanction_kind::ban)), 0u);
  EXPECT_TRUE(r->moderation().check_sender("troll", t0 + 3));
}

TEST(RoomApply, ATimeoutBitesUntilItExpiresOrIsLifted) {
  auto r = open_room(10);
  EXPECT_TRUE(r->moderation().check_sender("chatty", t0));
  apply_event(*r, sanction_imposed(sanction_on("chatty", sanction_kind::timeout, t0 + 60000)));
  const status refused = r->moderation().check_sender("chatty", t0 + 1000);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.err().code, "timed_out");
  EXPECT_TRUE(r->moderation().check_sender("chatty", t0 + 60001)) << "expired";
  apply_event(*r, sanction_lifted("stream-1", "chatty", sanction_kind::timeout));
  EXPECT_TRUE(r->moderation().check_sender("chatty", t0 + 1000));
}

TEST(RoomApply, ABadgeEventGrantsTheBadgeAndARevokingOneRemovesIt) {
  auto r = open_room(10);
  const stream s = r->info();
  EXPECT_FALSE(r->moderation().badge_of("fan").has_value());
  EXPECT_EQ(r->moderation().role_of("fan", {}, s), stream_role::viewer);
  EXPECT_EQ(apply_event(*r, badge_changed("stream-1", "fan", stream_badge::moderator)), 0u);
  EXPECT_EQ(r->moderation().badge_of("fan"), stream_badge::moderator);
  EXPECT_EQ(r->moderation().role_of("fan", {}, s), stream_role::moderator);
  apply_event(*r, badge_changed("stream-1", "fan", std::nullopt));
  EXPECT_FALSE(r->moderation().badge_of("fan").has_value());
  EXPECT_EQ(r->moderation().role_of("fan", {}, s), stream_role::viewer);
}

TEST(RoomLoad, BadgesAndSanctionsFromTheStoreAreInForceAtOnce) {
  badge_grant vip;
  vip.stream_id = "stream-1";
  vip.user_id = "friend";
  vip.badge = stream_badge::vip;
  room_snapshot snap;
  snap.info = live_stream();
  snap.badges = {vip};
  snap.sanctions = {sanction_on("troll", sanction_kind::ban)};
  room r(std::move(snap), 10);
  r.finish_loading(std::nullopt);
  EXPECT_EQ(r.moderation().badge_of("friend"), stream_badge::vip);
  EXPECT_FALSE(r.moderation().check_sender("troll", t0));
}

// ---- viewers on every node ---------------------------------------------------------------

TEST(RoomViewerTotal, WhatOtherNodesCountAddsToThisNodesLiveCount) {
  other_nodes_counts others;
  auto r = open_room(10, {}, live_stream(), std::nullopt, &others);
  EXPECT_EQ(r->viewer_total(), 0);
  r->viewers_here() += 2;  // what this node's audience keeps (net/audience_test.cpp)
  EXPECT_EQ(r->viewer_total(), 2);
  others.elsewhere["stream-1"] = 5;
  others.elsewhere["stream-2"] = 100;  // another stream's count is not this room's
  EXPECT_EQ(r->viewer_total(), 7);
  others.elsewhere["stream-1"] = 0;  // they left, or their node stopped counting
  EXPECT_EQ(r->viewer_total(), 2);
}

TEST(RoomViewerTotal, WithoutABrokerARoomCountsThisNodeOnly) {
  auto r = open_room(10);
  r->viewers_here() += 3;
  EXPECT_EQ(r->viewer_total(), 3);
}

// ---- apply: messages, counted once ---------------------------------------------------------

stats_snapshot stats_of(const room& r) { return r.stats().snapshot(10, t0 - 60000, t0 + 60000); }

std::int64_t timeline_messages(const stats_snapshot& s) {
  std::int64_t n = 0;
  for (const auto& m : s.timeline) n += m.messages;
  return n;
}

TEST(RoomApply, AMessageAtOrBeforeWhatTheLoadReadChangesNothing) {
  // The store held m1 and, deleted, a newer message at t0+5: events of
  // messages up to t0+5 (buffered while the room opened) are already in it.
  auto r = open_room(10, {msg(1, t0 + 1)}, live_stream(), t0 + 5);
  const auto seq = r->seq();
  EXPECT_EQ(record(*r, msg(2, t0 + 3)), 0u) << "before the load's newest created_at";
  EXPECT_EQ(record(*r, msg(3, t0 + 5)), 0u) << "at it";
  EXPECT_EQ(r->seq(), seq);
  EXPECT_EQ(ids_in(r->latest(50)), ids({1}));
  const auto st = stats_of(*r);
  EXPECT_EQ(st.total_messages, 0) << "the registry's walk over the store counts those, not apply";
  EXPECT_EQ(st.unique_users, 0);
  EXPECT_EQ(timeline_messages(st), 0);
  std::lock_guard lk(r->submit_mutex());
  EXPECT_EQ(r->next_created_at(t0), t0 + 6) << "the clock starts after the load's newest";
}

TEST(RoomApply, AMessageAfterTheLoadIsCountedOnceEvenWhenAppliedTwice) {
  auto r = open_room(10, {msg(1, t0 + 1)}, live_stream(), t0 + 5);
  r->viewers_here() += 3;
  const message m = msg(4, t0 + 6, "c-4");
  const room_event ev = message_posted(std::make_shared<const message>(m), event_for(m));
  const auto seq = apply_event(*r, ev);
  EXPECT_GT(seq, 0u);
  auto st = stats_of(*r);
  EXPECT_EQ(st.total_messages, 1);
  EXPECT_EQ(st.chat_messages, 1);
  EXPECT_EQ(st.unique_users, 1);
  EXPECT_EQ(timeline_messages(st), 1);
  EXPECT_EQ(st.peak_viewers, 3) << "the viewers are sampled with the message";

  EXPECT_EQ(apply_event(*r, ev), 0u) << "the same event again";
  EXPECT_EQ(r->seq(), seq);
  st = stats_of(*r);
  EXPECT_EQ(st.total_messages, 1);
  EXPECT_EQ(st.chat_messages, 1);
  EXPECT_EQ(st.unique_users, 1);
  EXPECT_EQ(timeline_messages(st), 1);
  EXPECT_EQ(ids_in(r->latest(50)), ids({1, 4}));

  // And into the client_id table: a resend, through any node, is acked, not stored again.
  ack_log log;
  EXPECT_FALSE(r->dedup_begin(room::dedup_key("viewer-1", "c-4"), t0 + 7, log.callback()));
  ASSERT_EQ(log.acks.size(), 1u);
  ASSERT_TRUE(log.acks[0]);
  EXPECT_EQ(log.acks[0]->id, "m4");
  EXPECT_EQ(log.acks[0]->created_at, t0 + 6);
}

}  // namespace
}  // namespace sorak

// ---- views built once per change (the REST first page, the connect history) ----

namespace sorak {
namespace {

// Builds the connect-history view the way a caller does and counts the builds.
room::cached_view history_view(room& r, int& builds) {
  return r.cached(room::view::connect_history, 50, [&] {
    ++builds;
    auto snap = r.latest(50);
    return room::cached_view{std::make_shared<const std::string>(std::to_string(snap.message_events.size())),
                             snap.seq};
  });
}

TEST(RoomViews, EveryCallerSharesOneBuildUntilTheNextEvent) {
  auto r = open_room(100);
  record(*r, msg(1, t0));
  int builds = 0;
  auto first = history_view(*r, builds);
  auto second = history_view(*r, builds);
  EXPECT_EQ(builds, 1);
  EXPECT_EQ(first.body, second.body) << "the same bytes, not a copy";
  EXPECT_EQ(*second.body, "1");
  EXPECT_EQ(second.seq, r->seq());

  record(*r, msg(2, t0 + 1));
  auto third = history_view(*r, builds);
  EXPECT_EQ(builds, 2) << "a new message must rebuild the view";
  EXPECT_EQ(*third.body, "2");
  EXPECT_EQ(third.seq, r->seq());

  other_event(*r);  // any room event moves seq: the view is rebuilt, never stale
  history_view(*r, builds);
  EXPECT_EQ(builds, 3);
}

TEST(RoomViews, AnotherLimitOrAnUnansweredViewIsNotServedFromTheCache) {
  auto r = open_room(100);
  record(*r, msg(1, t0));
  int builds = 0;
  auto build = [&] {
    ++builds;
    return room::cached_view{std::make_shared<const std::string>("page"), r->seq()};
  };
  r->cached(room::view::rest_page, 10, build);
  r->cached(room::view::rest_page, 20, build);
  EXPECT_EQ(builds, 2) << "a page of another size is another view";

  int misses = 0;
  auto none = [&] {
    ++misses;
    return room::cached_view{};
  };
  EXPECT_EQ(r->cached(room::view::connect_history, 10, none).body, nullptr);
  EXPECT_EQ(r->cached(room::view::connect_history, 10, none).body, nullptr);
  EXPECT_EQ(misses, 2) << "a view the ring could not answer is asked again";
  EXPECT_EQ(*r->cached(room::view::rest_page, 20, build).body, "page");
  EXPECT_EQ(builds, 2) << "the views do not share a slot";
}

}  // namespace
}  // namespace sorak
