// Who watches one room on this node (net/audience.hpp): each worker's list of
// local viewers, kept in step with the room's count of this node's viewers
// (room::viewers_here, which viewer_total adds other nodes' counts to), and
// the rounds that carry the room's events to them: a worker's events since
// its last flush, one shared buffer per round, each viewer queuing only its
// share.
#include "net/audience.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/room.hpp"
#include "core/room_test_support.hpp"
#include "net/viewer.hpp"

namespace sorak {
namespace {


// A room as the registry opens it (an empty stream), held by an audience.
std::shared_ptr<room> open_room() { return test_support::open_room(10); }

// The viewers of worker w, in list order.
std::vector<viewer*> viewers_of(audience& a, std::size_t w) {
  std::vector<viewer*> out;
  a.for_each_viewer(w, [&](viewer* v) { out.push_back(v); });
  return out;
}

// ---- viewers -------------------------------------------------------------------------

struct test_viewer final : viewer {
  void deliver_round(const sealed_round&) override {}
  void deliver_viewer_count(const frame_bytes&, const frame_bytes&, std::int64_t) override {}
};

TEST(AudienceViewers, CountsViewersAcrossWorkers) {
  auto r = open_room();
  audience aud(r, 3);
  test_viewer a, b, c;
  EXPECT_EQ(aud.total(), 0);
  EXPECT_EQ(r->viewer_total(), 0);
  aud.add_viewer(0, &a);
  aud.add_viewer(2, &b);
  aud.add_viewer(2, &c);
  EXPECT_EQ(aud.total(), 3);
  EXPECT_EQ(r->viewers_here().load(), 3) << "the room's count of this node's viewers is kept by the audience";
  EXPECT_EQ(r->viewer_total(), 3);
  EXPECT_TRUE(aud.has_viewers(0));
  EXPECT_FALSE(aud.has_viewers(1));
  EXPECT_TRUE(aud.has_viewers(2));
  EXPECT_EQ(viewers_of(aud, 2).size(), 2u);
  EXPECT_EQ(viewers_of(aud, 0), std::vector<viewer*>{&a});
  EXPECT_EQ(aud.the_room(), r);
  EXPECT_EQ(aud.stream_id(), "stream-1");
}

TEST(AudienceViewers, RemovingAViewerTwiceOrFromTheWrongWorkerCountsOnce) {
  auto r = open_room();
  audience aud(r, 2);
  test_viewer a, b;
  aud.add_viewer(0, &a);
  aud.add_viewer(0, &b);
  aud.remove_viewer(1, &a);  // not on worker 1
  EXPECT_EQ(aud.total(), 2);
  EXPECT_EQ(r->viewer_total(), 2);
  aud.remove_viewer(0, &a);
  aud.remove_viewer(0, &a);
  EXPECT_EQ(aud.total(), 1);
  EXPECT_EQ(r->viewer_total(), 1);
  EXPECT_EQ(viewers_of(aud, 0), std::vector<viewer*>{&b});
  aud.remove_viewer(0, &b);
  EXPECT_EQ(aud.total(), 0);
  EXPECT_EQ(r->viewer_total(), 0);
  EXPECT_FALSE(aud.has_viewers(0));
}

TEST(AudienceViewers, TheRoomsTotalIsThisNodesViewersPlusOtherNodesCounts) {
  test_support::other_nodes_counts others;
  others.elsewhere["stream-1"] = 5;
  auto r = test_support::open_room(10, {}, test_support::live_stream(), std::nullopt, &others);
  audience aud(r, 2);
  test_viewer a, b;
  aud.add_viewer(0, &a);
  aud.add_viewer(1, &b);
  EXPECT_EQ(aud.total(), 2) << "the audience counts this node only";
  EXPECT_EQ(r->viewer_total(), 7);
  aud.remove_viewer(1, &b);
  EXPECT_EQ(r->viewer_total(), 6);
}

// ---- rounds: a worker's events since its last flush, one buffer per viewer ----

// Records what it queues the way ws_session does: its share of each round.
struct round_viewer final : viewer {
  std::uint64_t history_seq = 0;
  std::vector<std::string> queued;  // one entry per round (or caught-up tail)
  std::vector<const std::string*> buffers;
  std::size_t events = 0;
  audience* leave_from = nullptr;  // leaves its audience when a round reaches it (a slow consumer's cut)
  void deliver_round(const sealed_round& r) override {
    const std::size_t start = r.start_for(round_offset, history_seq);
    if (start < r.bytes->size()) {
      queued.push_back(r.bytes->substr(start));
      buffers.push_back(start == 0 ? r.bytes.get() : nullptr);
      events += r.events_from(start);
    }
    if (leave_from) leave_from->remove_viewer(0, this);
  }
  void deliver_viewer_count(const frame_bytes&, const frame_bytes&, std::int64_t) override {}
};

TEST(AudienceRounds, EveryViewerQueuesTheWholeRoundAsOneSharedBuffer) {
  audience aud(open_room(), 2);
  round_viewer a, b, other_worker;
  aud.add_viewer(0, &a);
  aud.add_viewer(0, &b);
  aud.add_viewer(1, &other_worker);
  EXPECT_TRUE(aud.append_to_round(0, "one|", 1)) << "the first event of a round asks for a flush";
  EXPECT_FALSE(aud.append_to_round(0, "two|", 2)) << "later ones ride on it";
  EXPECT_FALSE(aud.append_to_round(0, "three|", 3));
  aud.seal_round(0);
  ASSERT_EQ(a.queued, std::vector<std::string>{"one|two|three|"});
  EXPECT_EQ(b.queued, a.queued);
  EXPECT_EQ(a.buffers[0], b.buffers[0]) << "the same bytes, not a copy per viewer";
  EXPECT_EQ(a.events, 3u);
  EXPECT_TRUE(other_worker.queued.empty()) << "worker 1's viewers only get worker 1's round";
  aud.seal_round(0);
  EXPECT_EQ(a.queued.size(), 1u) << "an empty round queues nothing";
  EXPECT_TRUE(aud.append_to_round(0, "four|", 4)) << "a sealed round starts a new one";
  aud.seal_round(0);
  EXPECT_EQ(a.queued.back(), "four|");
}

TEST(AudienceRounds, AViewerJoiningMidRoundGetsOnlyWhatCameAfter) {
  audience aud(open_room(), 1);
  round_viewer early, late;
  aud.add_viewer(0, &early);
  aud.append_to_round(0, "before|", 1);
  aud.add_viewer(0, &late);
  aud.append_to_round(0, "after|", 2);
  aud.seal_round(0);
  EXPECT_EQ(early.queued, std::vector<std::string>{"before|after|"});
  EXPECT_EQ(late.queued, std::vector<std::string>{"after|"});
  EXPECT_EQ(late.events, 1u);
  aud.append_to_round(0, "next|", 3);
  aud.seal_round(0);
  EXPECT_EQ(late.queued.back(), "next|") << "the next round is whole again";
}

TEST(AudienceRounds, EventsInAViewersHistoryAreSkipped) {
  audience aud(open_room(), 1);
  round_viewer v;
  aud.add_viewer(0, &v);
  v.history_seq = 2;  // its history snapshot ran up to seq 2
  aud.append_to_round(0, "e1|", 1);
  aud.append_to_round(0, "e2|", 2);
  aud.append_to_round(0, "e3|", 3);
  aud.seal_round(0);
  EXPECT_EQ(v.queued, std::vector<std::string>{"e3|"});
  EXPECT_EQ(v.events, 1u);
  v.history_seq = 9;
  aud.append_to_round(0, "e4|", 4);
  aud.seal_round(0);
  EXPECT_EQ(v.queued.size(), 1u) << "a round wholly in the history queues nothing";
}

TEST(AudienceRounds, ATakenTailIsNotQueuedAgainWhenTheRoundIsSealed) {
  audience aud(open_room(), 1);
  round_viewer sender, watcher;
  aud.add_viewer(0, &sender);
  aud.add_viewer(0, &watcher);
  aud.append_to_round(0, "m1|", 1);
  aud.append_to_round(0, "m2|", 2);
  std::size_t events = 0;
  // The sender is about to queue its own ack: first what the worker already took.
  EXPECT_EQ(aud.take_round_tail(0, &sender, 0, events), "m1|m2|");
  EXPECT_EQ(events, 2u);
  EXPECT_EQ(aud.take_round_tail(0, &sender, 0, events), "") << "taken once";
  EXPECT_EQ(events, 0u);
  aud.append_to_round(0, "m3|", 3);
  EXPECT_EQ(aud.take_round_tail(0, &watcher, 1, events), "m2|m3|") << "past its history";
  EXPECT_EQ(events, 2u);
  aud.seal_round(0);
  EXPECT_EQ(sender.queued, std::vector<std::string>{"m3|"});
  EXPECT_TRUE(watcher.queued.empty());
  aud.append_to_round(0, "m4|", 4);
  aud.seal_round(0);
  EXPECT_EQ(sender.queued.back(), "m4|");
  EXPECT_EQ(watcher.queued, std::vector<std::string>{"m4|"});
}

TEST(AudienceRounds, AViewerLeavingDuringTheHandOverDoesNotMakeAnotherMissIt) {
  audience aud(open_room(), 1);
  round_viewer cut, a, b;
  cut.leave_from = &aud;
  aud.add_viewer(0, &cut);
  aud.add_viewer(0, &a);
  aud.add_viewer(0, &b);
  aud.append_to_round(0, "x|", 1);
  aud.seal_round(0);
  EXPECT_EQ(cut.queued.size(), 1u);
  EXPECT_EQ(a.queued, std::vector<std::string>{"x|"});
  EXPECT_EQ(b.queued, std::vector<std::string>{"x|"});
  EXPECT_EQ(viewers_of(aud, 0).size(), 2u);
  EXPECT_EQ(aud.the_room()->viewer_total(), 2) << "the cut viewer left the room's count too";
}

}  // namespace
// ---- thinning ---------------------------------------------------------------------

// A round of "g1|c2|c3|d4|c5|": gifts and deletions (no chat pointer) and chat lines.
sealed_round mixed_round() {
  sealed_round r;
  std::string bytes;
  std::uint64_t seq = 0;
  for (std::string frame : {"g1|", "c2|", "c3|", "d4|", "c5|"}) {
    bytes += frame;
    std::shared_ptr<const message> chat;
    if (frame[0] == 'c') {
      message m;
      m.id = frame.substr(0, 2);
      chat = std::make_shared<const message>(std::move(m));
    }
    r.marks.push_back({++seq, bytes.size(), chat});
  }
  r.bytes = std::make_shared<const std::string>(bytes);
  return r;
}

TEST(AudienceThinning, ARoundsEssentialsLeaveOutOnlyChatLinesAndAreMadeOnceForEveryThinnedViewer) {
  const sealed_round r = mixed_round();
  std::vector<const round_mark*> dropped;
  const frame_bytes first = r.essentials(0, dropped);
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, "g1|d4|") << "every event but the chat lines, in order";
  ASSERT_EQ(dropped.size(), 3u);
  EXPECT_EQ(dropped.front()->chat->id, "c2");
  EXPECT_EQ(dropped.back()->chat->id, "c5");
  const frame_bytes second = r.essentials(0, dropped);
  EXPECT_EQ(first.get(), second.get()) << "one buffer shared by every thinned viewer, not a copy each";
  EXPECT_EQ(dropped.size(), 3u) << "each viewer is told what it was spared";
}

TEST(AudienceThinning, AViewerWithOnlyPartOfTheRoundGetsTheEssentialsOfItsPart) {
  const sealed_round r = mixed_round();
  std::vector<const round_mark*> dropped;
  const frame_bytes tail = r.essentials(r.marks[2].end, dropped);  // it has g1 c2 c3 already
  ASSERT_TRUE(tail);
  EXPECT_EQ(*tail, "d4|");
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_EQ(dropped[0]->chat->id, "c5");
  EXPECT_FALSE(r.essentials(r.marks[3].end, dropped)) << "nothing left but a chat line: nothing to queue";
  EXPECT_EQ(dropped.size(), 1u);
}

}  // namespace sorak
