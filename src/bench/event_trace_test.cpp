#include "bench/event_trace.hpp"

#include <gtest/gtest.h>

namespace sorak::bench {
namespace {

constexpr std::int64_t s = 1'000'000'000;

viewer_session session(std::int64_t joined, std::int64_t left, std::vector<std::uint64_t> deletions,
                       conn_role role = conn_role::viewer) {
  viewer_session v;
  v.joined_ns = joined;
  v.left_ns = left;
  v.deletions = std::move(deletions);
  v.role = role;
  return v;
}

TEST(FindDeletedId, ReadsTheIdOfAMessageDeletedEvent) {
  std::string_view id;
  ASSERT_TRUE(find_deleted_id(R"({"type":"message_deleted","data":{"message_id":"01a2-7000-bb89"}})", id));
  EXPECT_EQ(id, "01a2-7000-bb89");
}

TEST(FindDeletedId, IgnoresEveryOtherEvent) {
  std::string_view id;
  EXPECT_FALSE(find_deleted_id(R"({"type":"message","data":{"message_id":"x"}})", id));
  EXPECT_FALSE(find_deleted_id(R"({"type":"viewer_count","data":{"count":3}})", id));
  EXPECT_FALSE(find_deleted_id(R"({"type":"message_deleted","data":{}})", id));
  EXPECT_FALSE(find_deleted_id(R"({"type":"message_deleted","data":{"message_id":""}})", id));
  EXPECT_FALSE(find_deleted_id(R"({"type":"skipped","data":{"count":2,"from_id":"a","to_id":"b"}})", id));
}

TEST(DeletionKey, IsStableAndTellsIdsApart) {
  EXPECT_EQ(deletion_key("01a2133d-49ad-7010"), deletion_key("01a2133d-49ad-7010"));
  EXPECT_NE(deletion_key("01a2133d-49ad-7010"), deletion_key("01a2133d-49ad-7011"));
}

// Three deletions at 10 s, 20 s and 30 s; the run ends at 40 s, grace 1 s.
TEST(CountOwed, EveryEventSentWhileAViewerWasConnectedIsOwedToIt) {
  const std::uint64_t a = deletion_key("a"), b = deletion_key("b"), c = deletion_key("c");
  const std::vector<traced_event> sent{{a, 10 * s}, {b, 20 * s}, {c, 30 * s}};
  const std::vector<viewer_session> sessions{
      session(1 * s, 0, {a, b, c}),          // all three: nothing missing
      session(1 * s, 0, {c, a}),             // b missing, read out of order
      session(15 * s, 0, {b, c}),            // joined after a: a not owed
      session(1 * s, 25 * s, {a}),           // cut at 25 s: c not owed, b missing
      session(1 * s, 20 * s + s / 2, {a}),   // cut 0.5 s after b: within the grace, b not owed
  };
  const owed_count n = count_owed(sessions, sent, &viewer_session::deletions, s, 40 * s);
  EXPECT_EQ(n.viewers, 5u);
  EXPECT_EQ(n.owed, 3u + 3u + 2u + 2u + 1u);
  EXPECT_EQ(n.delivered, 3u + 2u + 2u + 1u + 1u);
  EXPECT_EQ(n.missing(), 2u);
  EXPECT_EQ(n.viewers_short, 2u);
}

TEST(CountOwed, AnEventReportedBySeveralSendersIsOwedOnce) {
  const std::uint64_t g = gift_key(3, 1);
  // Ten senders of one stream each saw the gift broadcast: one event.
  std::vector<traced_event> seen(10, traced_event{g, 5 * s});
  viewer_session v;
  v.joined_ns = 1 * s;
  v.gifts = {g, g};  // read twice: counted once
  const owed_count n = count_owed({v}, seen, &viewer_session::gifts, s, 10 * s);
  EXPECT_EQ(n.owed, 1u);
  EXPECT_EQ(n.delivered, 1u);
  EXPECT_EQ(n.missing(), 0u);
}

TEST(CountOwed, TheLastSecondBeforeTheEndIsNotOwed) {
  const std::vector<traced_event> sent{{deletion_key("late"), 39 * s + s / 2}};
  const owed_count n = count_owed({session(1 * s, 0, {})}, sent, &viewer_session::deletions, s, 40 * s);
  EXPECT_EQ(n.owed, 0u);
  EXPECT_EQ(n.viewers_short, 0u);
}

TEST(CountOwed, OneRoleAlone) {
  const std::uint64_t a = deletion_key("a");
  const std::vector<viewer_session> sessions{session(1 * s, 0, {a}), session(1 * s, 0, {}, conn_role::stalled)};
  const conn_role stalled = conn_role::stalled;
  const owed_count n = count_owed(sessions, {{a, 5 * s}}, &viewer_session::deletions, s, 40 * s, &stalled);
  EXPECT_EQ(n.viewers, 1u);
  EXPECT_EQ(n.owed, 1u);
  EXPECT_EQ(n.missing(), 1u);
}

TEST(CountOwed, NothingSentNothingOwed) {
  const owed_count n = count_owed({session(1 * s, 0, {})}, {}, &viewer_session::deletions, s, 40 * s);
  EXPECT_EQ(n.owed, 0u);
  EXPECT_EQ(n.missing(), 0u);
  EXPECT_EQ(n.viewers, 1u);
}

}  // namespace
}  // namespace sorak::bench
