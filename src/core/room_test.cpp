// One stream's live state (core/room.hpp): the ring of recent messages that a
// connecting viewer gets as history, `since=` recovery, created_at as an exact
// cursor, client_id de-duplication (CONTRACT §5: a resend is never stored
// twice and is acked again) and the viewer count.
#include "core/room.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <memory>
#include <string>
#include <vector>

#include "protocol/events.hpp"
#include "protocol/json_codec.hpp"

namespace sorak {
namespace {

constexpr millis t0 = 1777111530000;  // 2026-04-25T10:05:30.000Z

stream live_stream() {
  stream s;
  s.id = "stream-1";
  s.room_id = "100001";
  s.broadcaster_user_id = "owner";
  s.title = "show";
  s.created_at = s.started_at = t0 - 60000;
  return s;
}

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

std::uint64_t record(room& r, const message& m) {
  return r.record_message(std::make_shared<const message>(m), event_for(m));
}

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
  room r(live_stream(), 1, 10, {});
  for (int i = 1; i <= 5; ++i) record(r, msg(i, t0 + i));
  EXPECT_EQ(ids_in(r.latest(50)), ids({1, 2, 3, 4, 5}));
  EXPECT_EQ(ids_in(r.latest(2)), ids({4, 5}));
  EXPECT_TRUE(r.latest(0).message_events.empty());
}

TEST(RoomRing, KeepsOnlyTheNewestCapacityMessages) {
  room r(live_stream(), 1, 3, {});
  for (int i = 1; i <= 5; ++i) record(r, msg(i, t0 + i));
  EXPECT_EQ(ids_in(r.latest(50)), ids({3, 4, 5}));
  EXPECT_EQ(r.oldest_recent(), t0 + 3);
  EXPECT_FALSE(r.find_recent("m1").has_value());
  ASSERT_TRUE(r.find_recent("m4").has_value());
  EXPECT_EQ(r.find_recent("m4")->content, "text 4");
}

TEST(RoomRing, FirstHistoryPageComesFromARingHoldingTheWholeStream) {
  room r(live_stream(), 1, 10, {});  // opened with fewer than capacity: it holds everything
  for (int i = 1; i <= 3; ++i) record(r, msg(i, t0 + i));
  bool has_more = true;
  auto page = r.latest_page(50, has_more);
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(ids_in(*page), ids({1, 2, 3}));
  EXPECT_FALSE(has_more);
  page = r.latest_page(2, has_more);
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(ids_in(*page), ids({2, 3}));
  EXPECT_TRUE(has_more);
  EXPECT_EQ(page->first_id, "m2");  // the cursor for the next page
}

TEST(RoomRing, AFullRingAnswersOnlyPagesSmallerThanItself) {
  room r(live_stream(), 1, 3, {});
  for (int i = 1; i <= 5; ++i) record(r, msg(i, t0 + i));  // m1, m2 fell out: the ring is not the whole stream
  bool has_more = false;
  EXPECT_FALSE(r.latest_page(3, has_more).has_value()) << "whether older messages exist is the store's to say";
  auto page = r.latest_page(2, has_more);
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(ids_in(*page), ids({4, 5}));
  EXPECT_TRUE(has_more);
}

TEST(RoomRing, ARoomOpenedOnAFullRingDoesNotClaimTheWholeStream) {
  std::vector<message> recent;
  for (int i = 1; i <= 3; ++i) recent.push_back(msg(i, t0 + i));
  room r(live_stream(), 1, 3, recent);  // the store may hold older ones
  bool has_more = false;
  EXPECT_FALSE(r.latest_page(50, has_more).has_value());
}

TEST(RoomRing, EmptyRoomHasNoHistory) {
  room r(live_stream(), 1, 10, {});
  EXPECT_TRUE(r.latest(50).message_events.empty());
  EXPECT_FALSE(r.oldest_recent().has_value());
  EXPECT_FALSE(r.after("m1", 1000).found);
}

TEST(RoomRing, EventsCarryTheExactMessageEvent) {
  room r(live_stream(), 1, 10, {});
  const message m = msg(1, t0 + 1);
  record(r, m);
  const auto snap = r.latest(1);
  ASSERT_EQ(snap.message_events.size(), 1u);
  EXPECT_EQ(*snap.message_events[0], message_event(encode_message(m)));
}

TEST(RoomRing, SequenceNumbersIncreaseWithEveryEvent) {
  room r(live_stream(), 1, 10, {});
  const auto a = record(r, msg(1, t0 + 1));
  const auto b = record(r, msg(2, t0 + 2));
  const auto c = r.record_deletion("m1");
  const auto d = r.record_other();
  EXPECT_GT(a, 0u);
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_LT(c, d);
  // A viewer that got this snapshot drops events up to its seq.
  EXPECT_EQ(r.latest(50).seq, d);
}

TEST(RoomRing, AMessageNotNewerThanTheNewestIsSkipped) {
  // The fan-out may hand a room a message its load from the store already had.
  room r(live_stream(), 1, 10, {});
  ASSERT_GT(record(r, msg(1, t0 + 10)), 0u);
  EXPECT_EQ(record(r, msg(1, t0 + 10)), 0u);  // the same message again
  EXPECT_EQ(record(r, msg(2, t0 + 10)), 0u);  // same created_at
  EXPECT_EQ(record(r, msg(3, t0 + 5)), 0u);   // older
  EXPECT_EQ(ids_in(r.latest(50)), ids({1}));
  EXPECT_GT(record(r, msg(4, t0 + 11)), 0u);
  EXPECT_EQ(ids_in(r.latest(50)), ids({1, 4}));
}

TEST(RoomRing, DeletionRemovesTheMessageFromHistory) {
  room r(live_stream(), 1, 10, {});
  for (int i = 1; i <= 3; ++i) record(r, msg(i, t0 + i));
  r.record_deletion("m2");
  EXPECT_EQ(ids_in(r.latest(50)), ids({1, 3}));
  EXPECT_FALSE(r.find_recent("m2").has_value());
  EXPECT_EQ(ids_in(r.after("m1", 1000)), ids({3}));
  // Deleting an id the ring does not hold changes nothing.
  r.record_deletion("not-here");
  EXPECT_EQ(ids_in(r.latest(50)), ids({1, 3}));
}

// ---- since= recovery ---------------------------------------------------------------

// ---- the Showroom feed from the ring ------------------------------------------

std::vector<std::string> feed_ids(const room::feed_snapshot& s) {
  std::vector<std::string> out;
  for (const auto& m : s.messages) out.push_back(m->id);
  return out;
}

TEST(RoomFeed, HoldsChatAndGiftsOnlyOldestFirstWhenTheRingHasTheWholeStream) {
  room r(live_stream(), 1, 10, {});
  record(r, msg(1, t0 + 1));
  auto mod = msg(2, t0 + 2);
  mod.type = message_type::moderation;  // "X was timed out" is chat history, not the Showroom feed
  record(r, mod);
  auto gift = msg(3, t0 + 3);
  gift.type = message_type::gift;
  record(r, gift);
  record(r, msg(4, t0 + 4));
  auto all = r.feed(50, std::nullopt);
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(feed_ids(*all), ids({1, 3, 4}));
  auto newest = r.feed(2, std::nullopt);
  ASSERT_TRUE(newest.has_value());
  EXPECT_EQ(feed_ids(*newest), ids({3, 4}));
}

TEST(RoomFeed, AFullRingAnswersOnlyWhatItHoldsAndLeavesTheRestToTheStore) {
  room r(live_stream(), 1, 3, {});
  for (int i = 1; i <= 5; ++i) record(r, msg(i, t0 + i));  // m1, m2 fell out
  EXPECT_FALSE(r.feed(4, std::nullopt).has_value());
  auto page = r.feed(3, std::nullopt);
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(feed_ids(*page), ids({3, 4, 5}));
  // since: the ring knows everything after a time at or after its oldest message
  auto after = r.feed(50, t0 + 3);
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(feed_ids(*after), ids({4, 5}));
  auto capped = r.feed(1, t0 + 3);
  ASSERT_TRUE(capped.has_value());
  EXPECT_EQ(feed_ids(*capped), ids({4})) << "the oldest after since, so a poller walking forward skips none";
  EXPECT_FALSE(r.feed(50, t0 + 2).has_value()) << "m3 is in the ring but an older one after t0+2 may not be";
}

TEST(RoomFeed, SinceOnARingWithTheWholeStreamAndDeletedMessagesLeftOut) {
  room r(live_stream(), 1, 10, {});
  for (int i = 1; i <= 4; ++i) record(r, msg(i, t0 + i));
  r.record_deletion("m3");
  auto after = r.feed(50, t0 - 1000);
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(feed_ids(*after), ids({1, 2, 4}));
  auto none = r.feed(50, t0 + 4);
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->messages.empty());
  auto newest = r.feed(3, std::nullopt);
  ASSERT_TRUE(newest.has_value());
  EXPECT_EQ(feed_ids(*newest), ids({1, 2, 4}));
}

TEST(RoomAfter, GivesEveryMessageAfterTheIdOldestFirst) {
  room r(live_stream(), 1, 10, {});
  for (int i = 1; i <= 5; ++i) record(r, msg(i, t0 + i));
  auto snap = r.after("m2", 1000);
  EXPECT_TRUE(snap.found);
  EXPECT_EQ(ids_in(snap), ids({3, 4, 5}));
}

TEST(RoomAfter, TheNewestIdIsFoundWithNothingMissed) {
  room r(live_stream(), 1, 10, {});
  for (int i = 1; i <= 3; ++i) record(r, msg(i, t0 + i));
  auto snap = r.after("m3", 1000);
  EXPECT_TRUE(snap.found);
  EXPECT_TRUE(snap.message_events.empty());
}

TEST(RoomAfter, UnknownIdIsNotFound) {
  room r(live_stream(), 1, 10, {});
  for (int i = 1; i <= 3; ++i) record(r, msg(i, t0 + i));
  auto snap = r.after("m99", 1000);
  EXPECT_FALSE(snap.found);
  EXPECT_TRUE(snap.message_events.empty());
}

TEST(RoomAfter, AnIdThatFellOutOfTheRingIsNotFound) {
  room r(live_stream(), 1, 3, {});
  for (int i = 1; i <= 5; ++i) record(r, msg(i, t0 + i));
  EXPECT_FALSE(r.after("m1", 1000).found);
  EXPECT_TRUE(r.after("m3", 1000).found);
}

TEST(RoomAfter, MoreThanMaxMissedIsNotFoundExactlyMaxIs) {
  room r(live_stream(), 1, 10, {});
  for (int i = 1; i <= 5; ++i) record(r, msg(i, t0 + i));
  auto exact = r.after("m2", 3);  // m3, m4, m5: exactly max
  EXPECT_TRUE(exact.found);
  EXPECT_EQ(ids_in(exact), ids({3, 4, 5}));
  auto over = r.after("m1", 3);  // four missed, max three
  EXPECT_FALSE(over.found);
  EXPECT_TRUE(over.message_events.empty());
}

// ---- created_at ---------------------------------------------------------------------

TEST(RoomCreatedAt, StrictlyIncreasingWithinOneMillisecond) {
  room r(live_stream(), 1, 10, {});
  std::lock_guard lk(r.submit_mutex());
  millis last = r.next_created_at(t0);
  EXPECT_EQ(last, t0);
  for (int i = 0; i < 1000; ++i) {
    const millis next = r.next_created_at(t0);
    EXPECT_EQ(next, last + 1);  // bumped by exactly 1 ms on a tie
    last = next;
  }
}

TEST(RoomCreatedAt, FollowsTheClockWhenItMovesAheadAndNeverGoesBack) {
  room r(live_stream(), 1, 10, {});
  std::lock_guard lk(r.submit_mutex());
  EXPECT_EQ(r.next_created_at(t0), t0);
  EXPECT_EQ(r.next_created_at(t0 + 500), t0 + 500);
  // The wall clock stepped back (NTP): created_at still increases.
  EXPECT_EQ(r.next_created_at(t0 - 10000), t0 + 501);
}

TEST(RoomCreatedAt, ContinuesAfterTheNewestLoadedMessage) {
  // After a restart the clock may read earlier than the last stored message.
  room r(live_stream(), 1, 10, {msg(1, t0 + 1), msg(2, t0 + 5000)});
  std::lock_guard lk(r.submit_mutex());
  EXPECT_EQ(r.next_created_at(t0), t0 + 5001);
}

TEST(RoomLoad, RecentMessagesFromTheStoreBecomeTheRing) {
  room r(live_stream(), 1, 10, {msg(1, t0 + 1), msg(2, t0 + 2), msg(3, t0 + 3)});
  EXPECT_EQ(ids_in(r.latest(50)), ids({1, 2, 3}));
  EXPECT_EQ(ids_in(r.after("m1", 1000)), ids({2, 3}));
  // The fan-out delivering m3 again (it raced the load) does not double it.
  EXPECT_EQ(record(r, msg(3, t0 + 3)), 0u);
  EXPECT_EQ(ids_in(r.latest(50)), ids({1, 2, 3}));
}

TEST(RoomLoad, EndedStreamIsEndedAndSetInfoUpdatesIt) {
  stream s = live_stream();
  s.status = stream_status::ended;
  room ended(s, 1, 10, {});
  EXPECT_TRUE(ended.ended());

  room r(live_stream(), 1, 10, {});
  EXPECT_FALSE(r.ended());
  stream changed = live_stream();
  changed.title = "new title";
  changed.status = stream_status::ended;
  r.set_info(changed);
  EXPECT_TRUE(r.ended());
  EXPECT_EQ(r.info().title, "new title");
  EXPECT_EQ(r.stream_id(), "stream-1");
}

// ---- client_id de-duplication ----------------------------------------------------------

struct ack_log {
  std::vector<result<ack_info>> acks;
  ack_callback callback() {
    return [this](const result<ack_info>& r) { acks.push_back(r); };
  }
};

TEST(RoomDedup, AFirstSendIsNewAndADifferentClientIdOrUserIsNewToo) {
  room r(live_stream(), 1, 10, {});
  ack_log log;
  EXPECT_TRUE(r.dedup_begin(room::dedup_key("u1", "c1"), t0, log.callback()));
  EXPECT_TRUE(r.dedup_begin(room::dedup_key("u1", "c2"), t0, log.callback()));
  // Another user's client may pick the same client_id.
  EXPECT_TRUE(r.dedup_begin(room::dedup_key("u2", "c1"), t0, log.callback()));
  EXPECT_TRUE(log.acks.empty());
}

TEST(RoomDedup, KeysOfDifferentUsersAndClientIdsNeverCollide) {
  EXPECT_NE(room::dedup_key("ab", "c"), room::dedup_key("a", "bc"));
  EXPECT_EQ(room::dedup_key("a", "bc"), room::dedup_key("a", "bc"));
}

TEST(RoomDedup, AResendWhileInFlightWaitsAndIsAckedOnceTheFirstCommits) {
  room r(live_stream(), 1, 10, {});
  const std::string key = room::dedup_key("u1", "c1");
  ack_log first, resend;
  ASSERT_TRUE(r.dedup_begin(key, t0, first.callback()));
  EXPECT_FALSE(r.dedup_begin(key, t0 + 5, resend.callback()));
  EXPECT_TRUE(resend.acks.empty()) << "acked before the message was stored";
  r.dedup_commit(key, {"msg-1", t0 + 1});
  ASSERT_EQ(resend.acks.size(), 1u);
  ASSERT_TRUE(resend.acks[0]);
  EXPECT_EQ(resend.acks[0]->id, "msg-1");
  EXPECT_EQ(resend.acks[0]->created_at, t0 + 1);
  // The first sender's ack is the caller's job, not the table's.
  EXPECT_TRUE(first.acks.empty());
  // Committing does not ack the waiter a second time later.
  r.dedup_commit(key, {"msg-1", t0 + 1});
  EXPECT_EQ(resend.acks.size(), 1u);
}

TEST(RoomDedup, SeveralResendsInFlightAreEachAckedOnce) {
  room r(live_stream(), 1, 10, {});
  const std::string key = room::dedup_key("u1", "c1");
  ack_log first, a, b;
  ASSERT_TRUE(r.dedup_begin(key, t0, first.callback()));
  EXPECT_FALSE(r.dedup_begin(key, t0, a.callback()));
  EXPECT_FALSE(r.dedup_begin(key, t0, b.callback()));
  r.dedup_commit(key, {"msg-1", t0});
  ASSERT_EQ(a.acks.size(), 1u);
  ASSERT_EQ(b.acks.size(), 1u);
  EXPECT_EQ(a.acks[0]->id, "msg-1");
  EXPECT_EQ(b.acks[0]->id, "msg-1");
}

TEST(RoomDedup, AResendAfterCommitIsAckedAtOnceWithTheSameIdAndTime) {
  room r(live_stream(), 1, 10, {});
  const std::string key = room::dedup_key("u1", "c1");
  ack_log first, resend;
  ASSERT_TRUE(r.dedup_begin(key, t0, first.callback()));
  r.dedup_commit(key, {"msg-1", t0 + 3});
  EXPECT_FALSE(r.dedup_begin(key, t0 + 60000, resend.callback()));
  ASSERT_EQ(resend.acks.size(), 1u);
  ASSERT_TRUE(resend.acks[0]);
  EXPECT_EQ(resend.acks[0]->id, "msg-1");
  EXPECT_EQ(resend.acks[0]->created_at, t0 + 3);
}

TEST(RoomDedup, AfterFiveMinutesTheSameClientIdIsNewAgain) {
  room r(live_stream(), 1, 10, {});
  const std::string key = room::dedup_key("u1", "c1");
  ack_log log;
  ASSERT_TRUE(r.dedup_begin(key, t0, log.callback()));
  r.dedup_commit(key, {"msg-1", t0});
  EXPECT_FALSE(r.dedup_begin(key, t0 + client_id_window_ms - 1, log.callback()));
  EXPECT_EQ(log.acks.size(), 1u);
  EXPECT_TRUE(r.dedup_begin(key, t0 + client_id_window_ms, log.callback()));
  EXPECT_EQ(log.acks.size(), 1u);  // a new message: no ack from the table
  EXPECT_EQ(client_id_window_ms, 5 * 60 * 1000);
}

TEST(RoomDedup, FailReleasesWaitersWithTheErrorAndTheClientIdCanBeSentAgain) {
  room r(live_stream(), 1, 10, {});
  const std::string key = room::dedup_key("u1", "c1");
  ack_log first, resend;
  ASSERT_TRUE(r.dedup_begin(key, t0, first.callback()));
  ASSERT_FALSE(r.dedup_begin(key, t0, resend.callback()));
  error e{500, "internal", "store failed"};
  r.dedup_fail(key, e);
  ASSERT_EQ(resend.acks.size(), 1u);
  ASSERT_FALSE(resend.acks[0]);
  EXPECT_EQ(resend.acks[0].err().code, "internal");
  EXPECT_EQ(resend.acks[0].err().message, "store failed");
  // Nothing was stored, so the next send with this client_id is stored.
  EXPECT_TRUE(r.dedup_begin(key, t0 + 1, first.callback()));
  // Failing an unknown key is harmless.
  r.dedup_fail(room::dedup_key("u9", "zz"), e);
}

TEST(RoomDedup, SweepForgetsExpiredClientIdsOnly) {
  room r(live_stream(), 1, 10, {});
  const std::string old_key = room::dedup_key("u1", "old");
  const std::string fresh_key = room::dedup_key("u1", "fresh");
  const std::string flying_key = room::dedup_key("u1", "flying");
  ack_log log;
  ASSERT_TRUE(r.dedup_begin(old_key, t0, log.callback()));
  r.dedup_commit(old_key, {"m-old", t0});
  ASSERT_TRUE(r.dedup_begin(fresh_key, t0 + 200000, log.callback()));
  r.dedup_commit(fresh_key, {"m-fresh", t0 + 200000});
  ASSERT_TRUE(r.dedup_begin(flying_key, t0, log.callback()));  // never committed

  r.dedup_sweep(t0 + client_id_window_ms);

  // A message still being stored keeps its entry: a resend still waits for it.
  ack_log waiting;
  EXPECT_FALSE(r.dedup_begin(flying_key, t0 + client_id_window_ms, waiting.callback()));
  EXPECT_TRUE(waiting.acks.empty());
  // Within its window the fresh one is still acked, not stored again.
  ack_log fresh;
  EXPECT_FALSE(r.dedup_begin(fresh_key, t0 + client_id_window_ms, fresh.callback()));
  ASSERT_EQ(fresh.acks.size(), 1u);
  EXPECT_EQ(fresh.acks[0]->id, "m-fresh");
  EXPECT_TRUE(r.dedup_begin(old_key, t0 + client_id_window_ms, log.callback()));
}

TEST(RoomDedup, ClientIdsOfLoadedMessagesAreRemembered) {
  // A client that resends after a server restart is acked, not stored twice.
  const message stored = msg(1, t0, "c-1");
  room r(live_stream(), 1, 10, {stored});
  ack_log log;
  EXPECT_FALSE(r.dedup_begin(room::dedup_key("viewer-1", "c-1"), t0 + 1000, log.callback()));
  ASSERT_EQ(log.acks.size(), 1u);
  ASSERT_TRUE(log.acks[0]);
  EXPECT_EQ(log.acks[0]->id, "m1");
  EXPECT_EQ(log.acks[0]->created_at, t0);
  // …but only for five minutes after it was sent.
  EXPECT_TRUE(r.dedup_begin(room::dedup_key("viewer-1", "c-1"), t0 + client_id_window_ms, log.callback()));
}

// ---- viewers -------------------------------------------------------------------------

struct test_viewer final : viewer {
  void deliver_round(const sealed_round&) override {}
  void deliver_viewer_count(const frame_bytes&, std::int64_t) override {}
};

TEST(RoomViewers, CountsViewersAcrossWorkers) {
  room r(live_stream(), 3, 10, {});
  test_viewer a, b, c;
  EXPECT_EQ(r.viewer_total(), 0);
  r.add_viewer(0, &a);
  r.add_viewer(2, &b);
  r.add_viewer(2, &c);
  EXPECT_EQ(r.viewer_total(), 3);
  EXPECT_TRUE(r.has_viewers(0));
  EXPECT_FALSE(r.has_viewers(1));
  EXPECT_TRUE(r.has_viewers(2));
  EXPECT_EQ(r.viewers(2).size(), 2u);
  EXPECT_EQ(r.viewers(0), std::vector<viewer*>{&a});
}

TEST(RoomViewers, RemovingAViewerTwiceOrFromTheWrongWorkerCountsOnce) {
  room r(live_stream(), 2, 10, {});
  test_viewer a, b;
  r.add_viewer(0, &a);
  r.add_viewer(0, &b);
  r.remove_viewer(1, &a);  // not on worker 1
  EXPECT_EQ(r.viewer_total(), 2);
  r.remove_viewer(0, &a);
  r.remove_viewer(0, &a);
  EXPECT_EQ(r.viewer_total(), 1);
  EXPECT_EQ(r.viewers(0), std::vector<viewer*>{&b});
  r.remove_viewer(0, &b);
  EXPECT_EQ(r.viewer_total(), 0);
  EXPECT_FALSE(r.has_viewers(0));
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
  room r(live_stream(), 1, 100, {});
  record(r, msg(1, t0));
  int builds = 0;
  auto first = history_view(r, builds);
  auto second = history_view(r, builds);
  EXPECT_EQ(builds, 1);
  EXPECT_EQ(first.body, second.body) << "the same bytes, not a copy";
  EXPECT_EQ(*second.body, "1");
  EXPECT_EQ(second.seq, r.seq());

  record(r, msg(2, t0 + 1));
  auto third = history_view(r, builds);
  EXPECT_EQ(builds, 2) << "a new message must rebuild the view";
  EXPECT_EQ(*third.body, "2");
  EXPECT_EQ(third.seq, r.seq());

  r.record_other();  // any room event moves seq: the view is rebuilt, never stale
  history_view(r, builds);
  EXPECT_EQ(builds, 3);
}

TEST(RoomViews, AnotherLimitOrAnUnansweredViewIsNotServedFromTheCache) {
  room r(live_stream(), 1, 100, {});
  record(r, msg(1, t0));
  int builds = 0;
  auto build = [&] {
    ++builds;
    return room::cached_view{std::make_shared<const std::string>("page"), r.seq()};
  };
  r.cached(room::view::rest_page, 10, build);
  r.cached(room::view::rest_page, 20, build);
  EXPECT_EQ(builds, 2) << "a page of another size is another view";

  int misses = 0;
  auto none = [&] {
    ++misses;
    return room::cached_view{};
  };
  EXPECT_EQ(r.cached(room::view::connect_history, 10, none).body, nullptr);
  EXPECT_EQ(r.cached(room::view::connect_history, 10, none).body, nullptr);
  EXPECT_EQ(misses, 2) << "a view the ring could not answer is asked again";
  EXPECT_EQ(*r.cached(room::view::rest_page, 20, build).body, "page");
  EXPECT_EQ(builds, 2) << "the views do not share a slot";
}

}  // namespace
}  // namespace sorak

// ---- rounds: a worker's events since its last flush, one buffer per viewer ----

namespace sorak {
namespace {

// Records what it queues the way ws_session does: its share of each round.
struct round_viewer final : viewer {
  std::uint64_t history_seq = 0;
  std::vector<std::string> queued;  // one entry per round (or caught-up tail)
  std::vector<const std::string*> buffers;
  std::size_t events = 0;
  room* leave_from = nullptr;  // leaves its room when a round reaches it (a slow consumer's cut)
  void deliver_round(const sealed_round& r) override {
    const std::size_t start = r.start_for(round_offset, history_seq);
    if (start < r.bytes->size()) {
      queued.push_back(r.bytes->substr(start));
      buffers.push_back(start == 0 ? r.bytes.get() : nullptr);
      events += r.events_from(start);
    }
    if (leave_from) leave_from->remove_viewer(0, this);
  }
  void deliver_viewer_count(const frame_bytes&, std::int64_t) override {}
};

TEST(RoomRounds, EveryViewerQueuesTheWholeRoundAsOneSharedBuffer) {
  room r(live_stream(), 2, 10, {});
  round_viewer a, b, other_worker;
  r.add_viewer(0, &a);
  r.add_viewer(0, &b);
  r.add_viewer(1, &other_worker);
  EXPECT_TRUE(r.append_to_round(0, "one|", 1)) << "the first event of a round asks for a flush";
  EXPECT_FALSE(r.append_to_round(0, "two|", 2)) << "later ones ride on it";
  EXPECT_FALSE(r.append_to_round(0, "three|", 3));
  r.seal_round(0);
  ASSERT_EQ(a.queued, std::vector<std::string>{"one|two|three|"});
  EXPECT_EQ(b.queued, a.queued);
  EXPECT_EQ(a.buffers[0], b.buffers[0]) << "the same bytes, not a copy per viewer";
  EXPECT_EQ(a.events, 3u);
  EXPECT_TRUE(other_worker.queued.empty()) << "worker 1's viewers only get worker 1's round";
  r.seal_round(0);
  EXPECT_EQ(a.queued.size(), 1u) << "an empty round queues nothing";
  EXPECT_TRUE(r.append_to_round(0, "four|", 4)) << "a sealed round starts a new one";
  r.seal_round(0);
  EXPECT_EQ(a.queued.back(), "four|");
}

TEST(RoomRounds, AViewerJoiningMidRoundGetsOnlyWhatCameAfter) {
  room r(live_stream(), 1, 10, {});
  round_viewer early, late;
  r.add_viewer(0, &early);
  r.append_to_round(0, "before|", 1);
  r.add_viewer(0, &late);
  r.append_to_round(0, "after|", 2);
  r.seal_round(0);
  EXPECT_EQ(early.queued, std::vector<std::string>{"before|after|"});
  EXPECT_EQ(late.queued, std::vector<std::string>{"after|"});
  EXPECT_EQ(late.events, 1u);
  r.append_to_round(0, "next|", 3);
  r.seal_round(0);
  EXPECT_EQ(late.queued.back(), "next|") << "the next round is whole again";
}

TEST(RoomRounds, EventsInAViewersHistoryAreSkipped) {
  room r(live_stream(), 1, 10, {});
  round_viewer v;
  r.add_viewer(0, &v);
  v.history_seq = 2;  // its history snapshot ran up to seq 2
  r.append_to_round(0, "e1|", 1);
  r.append_to_round(0, "e2|", 2);
  r.append_to_round(0, "e3|", 3);
  r.seal_round(0);
  EXPECT_EQ(v.queued, std::vector<std::string>{"e3|"});
  EXPECT_EQ(v.events, 1u);
  v.history_seq = 9;
  r.append_to_round(0, "e4|", 4);
  r.seal_round(0);
  EXPECT_EQ(v.queued.size(), 1u) << "a round wholly in the history queues nothing";
}

TEST(RoomRounds, ATakenTailIsNotQueuedAgainWhenTheRoundIsSealed) {
  room r(live_stream(), 1, 10, {});
  round_viewer sender, watcher;
  r.add_viewer(0, &sender);
  r.add_viewer(0, &watcher);
  r.append_to_round(0, "m1|", 1);
  r.append_to_round(0, "m2|", 2);
  std::size_t events = 0;
  // The sender is about to queue its own ack: first what the worker already took.
  EXPECT_EQ(r.take_round_tail(0, &sender, 0, events), "m1|m2|");
  EXPECT_EQ(events, 2u);
  EXPECT_EQ(r.take_round_tail(0, &sender, 0, events), "") << "taken once";
  EXPECT_EQ(events, 0u);
  r.append_to_round(0, "m3|", 3);
  EXPECT_EQ(r.take_round_tail(0, &watcher, 1, events), "m2|m3|") << "past its history";
  EXPECT_EQ(events, 2u);
  r.seal_round(0);
  EXPECT_EQ(sender.queued, std::vector<std::string>{"m3|"});
  EXPECT_TRUE(watcher.queued.empty());
  r.append_to_round(0, "m4|", 4);
  r.seal_round(0);
  EXPECT_EQ(sender.queued.back(), "m4|");
  EXPECT_EQ(watcher.queued, std::vector<std::string>{"m4|"});
}

TEST(RoomRounds, AViewerLeavingDuringTheHandOverDoesNotMakeAnotherMissIt) {
  room r(live_stream(), 1, 10, {});
  round_viewer cut, a, b;
  cut.leave_from = &r;
  r.add_viewer(0, &cut);
  r.add_viewer(0, &a);
  r.add_viewer(0, &b);
  r.append_to_round(0, "x|", 1);
  r.seal_round(0);
  EXPECT_EQ(cut.queued.size(), 1u);
  EXPECT_EQ(a.queued, std::vector<std::string>{"x|"});
  EXPECT_EQ(b.queued, std::vector<std::string>{"x|"});
  EXPECT_EQ(r.viewers(0).size(), 2u);
}

}  // namespace
}  // namespace sorak
