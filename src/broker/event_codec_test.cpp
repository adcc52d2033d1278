#include "broker/event_codec.hpp"

#include <gtest/gtest.h>

#include <map>

namespace sorak {
namespace {

message full_message() {
  message m;
  m.id = "0190a1b2-0000-7000-8000-000000000001";
  m.stream_id = "s1";
  m.user = {"u1", "alice", "Alice \"A\" ✨", "https://a/x.png", 12, true, {"moderator", "vip"}};
  m.content = "こんにちは\n\"quoted\" \\ back";
  m.type = message_type::gift;
  m.gift = gift_info{"star", "Star", 3, 30};
  m.stars = 30;
  m.reply_to = "0190a1b2-0000-7000-8000-000000000000";
  m.created_at = 1733500000123;
  m.client_id = "c-1";
  m.deleted = false;
  m.seq = 42;
  return m;
}

TEST(EventCodec, AMessageEventArrivesWithEveryFieldAndTheEnvelope) {
  room_event ev;
  ev.stream_id = "s1";
  ev.kind = event_kind::message;
  ev.msg = std::make_shared<const message>(full_message());
  ev.json = std::make_shared<const std::string>(R"({"type":"message","data":{}})");
  ev.published_at_us = 1733500000123456;
  const auto bytes = encode_wire_event({"node-a", "e1", 7}, ev);
  auto back = decode_wire_event(bytes);
  ASSERT_TRUE(back) << back.err().message;
  EXPECT_EQ(back->from.node, "node-a");
  EXPECT_EQ(back->from.epoch, "e1");
  EXPECT_EQ(back->from.n, 7u);
  const room_event& got = back->event;
  EXPECT_EQ(got.kind, event_kind::message);
  EXPECT_EQ(got.published_at_us, 1733500000123456);
  ASSERT_TRUE(got.json);
  EXPECT_EQ(*got.json, *ev.json);
  ASSERT_TRUE(got.msg);
  const message& m = *got.msg;
  const message want = full_message();
  EXPECT_EQ(m.id, want.id);
  EXPECT_EQ(m.user.display_name, want.user.display_name);
  EXPECT_EQ(m.user.badges, want.user.badges);
  EXPECT_TRUE(m.user.is_premium);
  EXPECT_EQ(m.user.level, 12);
  EXPECT_EQ(m.content, want.content);
  EXPECT_EQ(m.type, message_type::gift);
  ASSERT_TRUE(m.gift);
  EXPECT_EQ(m.gift->quantity, 3);
  EXPECT_EQ(m.gift->total_stars, 30);
  EXPECT_EQ(m.reply_to, want.reply_to);
  EXPECT_EQ(m.created_at, want.created_at);
  EXPECT_EQ(m.client_id, "c-1");
  EXPECT_EQ(m.seq, 42);
}

TEST(EventCodec, StreamBadgeAndSanctionEventsArriveWhole) {
  stream s;
  s.id = "s1";
  s.room_id = "100001";
  s.broadcaster_user_id = "b";
  s.room_name = "room";
  s.title = "title";
  s.member = member_info{"Name", "nick", "Team K"};
  s.status = stream_status::ended;
  s.created_at = 1;
  s.started_at = 2;
  s.ended_at = 3;
  s.settings = {30, 200, true, false};
  room_event changed;
  changed.stream_id = "s1";
  changed.kind = event_kind::stream_changed;
  changed.info = s;
  auto got = decode_wire_event(encode_wire_event({"n", "e", 1}, changed));
  ASSERT_TRUE(got);
  ASSERT_TRUE(got->event.info);
  EXPECT_EQ(got->event.info->status, stream_status::ended);
  EXPECT_EQ(got->event.info->ended_at, std::optional<millis>(3));
  EXPECT_EQ(got->event.info->settings.slow_mode_seconds, 30);
  EXPECT_FALSE(got->event.info->settings.chat_enabled);
  ASSERT_TRUE(got->event.info->member);
  EXPECT_EQ(got->event.info->member->team, "Team K");
  EXPECT_FALSE(got->event.json) << "no viewer text was sent, none arrives";

  room_event badge;
  badge.stream_id = "s1";
  badge.kind = event_kind::badge_changed;
  badge.target = "u2";
  badge.badge = stream_badge::vip;
  got = decode_wire_event(encode_wire_event({"n", "e", 2}, badge));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->event.badge, std::optional(stream_badge::vip));
  EXPECT_EQ(got->event.target, "u2");

  room_event revoked = badge;
  revoked.badge.reset();
  got = decode_wire_event(encode_wire_event({"n", "e", 3}, revoked));
  ASSERT_TRUE(got);
  EXPECT_FALSE(got->event.badge) << "a revoked badge stays revoked";

  room_event timeout;
  timeout.stream_id = "s1";
  timeout.kind = event_kind::sanction_imposed;
  timeout.sanction_set = sanction{"x", "s1", "u3", sanction_kind::timeout, "spam", "m1", 10, 610};
  got = decode_wire_event(encode_wire_event({"n", "e", 4}, timeout));
  ASSERT_TRUE(got);
  ASSERT_TRUE(got->event.sanction_set);
  EXPECT_EQ(got->event.sanction_set->expires_at, std::optional<millis>(610));
  EXPECT_EQ(got->event.sanction_set->reason, "spam");

  room_event lifted;
  lifted.stream_id = "s1";
  lifted.kind = event_kind::sanction_lifted;
  lifted.target = "u3";
  lifted.lifted = sanction_kind::ban;
  got = decode_wire_event(encode_wire_event({"n", "e", 5}, lifted));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->event.lifted, sanction_kind::ban);
}

TEST(EventCodec, BlockedTermsAndPinsArriveWhole) {
  room_event terms;
  terms.stream_id = "s1";
  terms.kind = event_kind::terms_changed;
  terms.terms = std::make_shared<const std::vector<blocked_term>>(std::vector<blocked_term>{
      {"t1", "s1", "ＢＡＤ", "bad", "m1", 100}, {"t2", "s1", "ばか", "ばか", "admin", 200}});
  auto got = decode_wire_event(encode_wire_event({"n", "e", 1}, terms));
  ASSERT_TRUE(got) << got.err().message;
  EXPECT_EQ(got->event.kind, event_kind::terms_changed);
  ASSERT_TRUE(got->event.terms);
  ASSERT_EQ(got->event.terms->size(), 2u);
  EXPECT_EQ((*got->event.terms)[0].term, "ＢＡＤ");
  EXPECT_EQ((*got->event.terms)[0].folded, "bad");
  EXPECT_EQ((*got->event.terms)[1].created_by, "admin");
  EXPECT_EQ((*got->event.terms)[1].created_at, 200);

  room_event none = terms;  // the last term removed: an empty list, not "no change"
  none.terms = std::make_shared<const std::vector<blocked_term>>();
  got = decode_wire_event(encode_wire_event({"n", "e", 2}, none));
  ASSERT_TRUE(got);
  ASSERT_TRUE(got->event.terms);
  EXPECT_TRUE(got->event.terms->empty());

  room_event pin;
  pin.stream_id = "s1";
  pin.kind = event_kind::pin_changed;
  pin.msg = std::make_shared<const message>(full_message());
  pin.json = std::make_shared<const std::string>("{\"type\":\"pinned\"}");
  got = decode_wire_event(encode_wire_event({"n", "e", 3}, pin));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->event.kind, event_kind::pin_changed);
  ASSERT_TRUE(got->event.msg);
  EXPECT_EQ(got->event.msg->id, full_message().id);
  EXPECT_EQ(*got->event.json, *pin.json);

  room_event unpin = pin;
  unpin.msg = nullptr;
  got = decode_wire_event(encode_wire_event({"n", "e", 4}, unpin));
  ASSERT_TRUE(got);
  EXPECT_FALSE(got->event.msg) << "an unpin stays an unpin";

  room_event counted;
  counted.stream_id = "s1";
  counted.kind = event_kind::poll_changed;
  counted.poll_state = std::make_shared<const poll>(
      poll{"p1", "s1", "Next song?", {{"Aitakatta", 3}, {"ヘビーローテーション", 5}}, "m1", 100, 60100, std::nullopt});
  counted.json = std::make_shared<const std::string>("{}");
  got = decode_wire_event(encode_wire_event({"n", "e", 5}, counted));
  ASSERT_TRUE(got) << got.err().message;
  ASSERT_TRUE(got->event.poll_state);
  EXPECT_EQ(got->event.poll_state->question, "Next song?");
  ASSERT_EQ(got->event.poll_state->options.size(), 2u);
  EXPECT_EQ(got->event.poll_state->options[1].text, "ヘビーローテーション");
  EXPECT_EQ(got->event.poll_state->options[1].votes, 5);
  EXPECT_EQ(got->event.poll_state->ends_at, 60100);
  EXPECT_FALSE(got->event.poll_state->closed_at);
  auto closed = *counted.poll_state;
  closed.closed_at = 30000;
  counted.poll_state = std::make_shared<const poll>(closed);
  got = decode_wire_event(encode_wire_event({"n", "e", 6}, counted));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->event.poll_state->closed_at, std::optional<millis>(30000));
}

TEST(NodeReport, CountsAndFlagsSurviveTheTrip) {
  node_report r;
  r.node = "node-a";
  r.full = true;
  r.hello = true;
  r.counts = {{"s1", 3}, {"s2", 0}, {"s3", 1'000'000}};
  auto got = decode_node_report(encode_node_report(r));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->node, "node-a");
  EXPECT_TRUE(got->full);
  EXPECT_TRUE(got->hello);
  std::map<std::string, std::int64_t> counts(got->counts.begin(), got->counts.end());
  EXPECT_EQ(counts, (std::map<std::string, std::int64_t>{{"s1", 3}, {"s2", 0}, {"s3", 1'000'000}}));

  node_report beat;
  beat.node = "node-b";
  got = decode_node_report(encode_node_report(beat));
  ASSERT_TRUE(got);
  EXPECT_FALSE(got->full);
  EXPECT_FALSE(got->hello);
  EXPECT_TRUE(got->counts.empty());
}

TEST(NodeReport, ReportsThatAreNotReportsAreRefused) {
  for (std::string_view bad : {"", "node-a", "[]", R"({"v":1})", R"({"v":1,"node":7})",
                               R"({"v":1,"node":"a","counts":{"s":"x"}})", R"({"v":1,"node":"a","counts":{"s":-1}})",
                               R"({"v":2,"node":"a"})"}) {
    EXPECT_FALSE(decode_node_report(bad)) << bad;
  }
}

TEST(EventCodec, BytesThatAreNotAnEventAreRefusedNotGuessed) {
  for (std::string_view bad : {"", "[]", "{}", "not json", R"({"v":2})",
                               R"({"v":1,"node":"n","epoch":"e","n":1,"stream":"s","kind":99,"at":1,)"
                               R"("target":"","lifted":0,"count":0})",
                               R"({"v":1,"node":"n","epoch":"e","n":1,"stream":"s","kind":0,"at":1,)"
                               R"("target":"","lifted":0,"count":0,"msg":{"id":1}})"}) {
    auto got = decode_wire_event(bad);
    ASSERT_FALSE(got) << bad;
    EXPECT_EQ(got.err().id, errc::invalid_format);
  }
}

}  // namespace
}  // namespace sorak
