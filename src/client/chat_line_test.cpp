// chat_line_test.cpp: the seed's display format, line by line.
#include "client/chat_line.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace sorak::client {
namespace {

boost::json::object parse_object(std::string_view text) { return boost::json::parse(text).as_object(); }

boost::json::object chat_message(std::string_view user_json, std::string_view content) {
  return parse_object(R"({"id":"m1","stream_id":"s1","user":)" + std::string(user_json) + R"(,"content":")" +
                      std::string(content) +
                      R"(","message_type":"message","gift":null,"stars":0,"reply_to":null,)"
                      R"("created_at":"2026-04-25T10:05:30.123Z"})");
}

TEST(ChatLine, PremiumUserGetsDiamondBeforeLevel) {
  const auto msg = chat_message(
      R"({"id":"u1","username":"alice","display_name":"Alice","avatar_url":"","level":12,"is_premium":true,"badges":[]})",
      "hello");
  EXPECT_EQ(format_chat_line(msg, display_zone::utc), "💬 [10:05:30] 💎Lv.12 Alice: hello");
}

TEST(ChatLine, RegularUserHasNoDiamond) {
  const auto msg = chat_message(
      R"({"id":"u2","username":"bob","display_name":"Bob","level":3,"is_premium":false,"badges":[]})", "hi all");
  EXPECT_EQ(format_chat_line(msg, display_zone::utc), "💬 [10:05:30] Lv.3 Bob: hi all");
}

TEST(ChatLine, FallsBackToUsernameWhenDisplayNameIsEmpty) {
  const auto msg = chat_message(R"({"id":"u3","username":"carol","display_name":"","level":0})", "yo");
  EXPECT_EQ(format_chat_line(msg, display_zone::utc), "💬 [10:05:30] Lv.0 carol: yo");
}

TEST(ChatLine, GiftLineNamesQuantityGiftAndStars) {
  const auto msg = parse_object(
      R"({"id":"m2","user":{"id":"u2","username":"bob","display_name":"Bob","level":3,"is_premium":false},)"
      R"("content":"","message_type":"gift","gift":{"gift_id":"star","gift_name":"Star","quantity":5,)"
      R"("total_stars":50},"stars":50,"created_at":"2026-04-25T10:05:31.000Z"})");
  EXPECT_EQ(format_chat_line(msg, display_zone::utc), "🎁 [10:05:31] Lv.3 Bob sent 5x Star (50 stars)");
}

TEST(ChatLine, AReplyQuotesItsParentsAuthorAndTheStartOfItsText) {
  const auto parent = chat_message(R"({"id":"u3","username":"carol","display_name":"Carol","level":0})",
                                   "what song is this? the one with the long intro and the guitar");
  EXPECT_EQ(format_reply_quote(&parent), "   ↩ Carol: what song is this? the one with the long…");
  auto short_one = chat_message(R"({"id":"u3","username":"carol","display_name":"","level":0})", "");
  short_one["content"] = "こんにちは\nみんな";
  EXPECT_EQ(format_reply_quote(&short_one), "   ↩ carol: こんにちは みんな");
  EXPECT_EQ(format_reply_quote(nullptr), "   ↩ (deleted message)");
}

TEST(ChatLine, APollIsItsQuestionThenABarPerOption) {
  auto open = parse_object(
      R"({"id":"p1","question":"Next song?","options":[{"text":"Aitakatta","votes":3},{"text":"River","votes":1}],)"
      R"("total_votes":4,"status":"open","ends_at":"2026-04-25T10:06:30.000Z","closed_at":null})");
  const auto lines = format_poll_lines(open, display_zone::utc);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "📊 Next song? (4 votes, open until 10:06:30)");
  EXPECT_EQ(lines[1], "     Aitakatta  ███████████████░░░░░  3  75%");
  EXPECT_EQ(lines[2], "     River  █████░░░░░░░░░░░░░░░  1  25%");
  open["status"] = "closed";
  const auto final_lines = format_poll_lines(open, display_zone::utc);
  EXPECT_EQ(final_lines[0], "📊 Next song? (4 votes, final result)");
  EXPECT_EQ(final_lines[1].rfind("   ★ Aitakatta  ", 0), 0u) << final_lines[1];
  open["total_votes"] = 0;
  for (auto& o : open["options"].as_array()) o.as_object()["votes"] = 0;
  EXPECT_EQ(format_poll_lines(open, display_zone::utc)[1], "     Aitakatta  ░░░░░░░░░░░░░░░░░░░░  0  0%");
}

TEST(ChatLine, MultiLineContentStaysOnOneLine) {
  auto msg = chat_message(R"({"id":"u1","display_name":"A","level":1})", "");
  msg["content"] = "one\ntwo\tthree\r\nfour";
  EXPECT_EQ(format_chat_line(msg, display_zone::utc), "💬 [10:05:30] Lv.1 A: one two three  four");
}

TEST(ChatLine, UnreadableTimeIsShownAsDashes) {
  auto msg = chat_message(R"({"id":"u1","display_name":"A","level":1})", "x");
  msg["created_at"] = "yesterday";
  EXPECT_EQ(format_chat_line(msg, display_zone::utc), "💬 [--:--:--] Lv.1 A: x");
}

TEST(ChatLine, OffsetTimestampsAreShownInTheChosenZone) {
  auto msg = chat_message(R"({"id":"u1","display_name":"A","level":1})", "x");
  msg["created_at"] = "2026-04-25T19:05:30.000+09:00";
  EXPECT_EQ(format_chat_line(msg, display_zone::utc), "💬 [10:05:30] Lv.1 A: x");
}

TEST(EventLine, ShortLinesForEvents) {
  auto line = [](std::string_view json) { return format_event_line(parse_object(json), display_zone::utc); };
  EXPECT_EQ(line(R"({"type":"viewer_count","data":{"count":3}})"), "· 3 viewers");
  EXPECT_EQ(line(R"({"type":"viewer_count","data":{"count":1}})"), "· 1 viewer");
  EXPECT_EQ(line(R"({"type":"message_deleted","data":{"message_id":"m9"}})"), "· message m9 deleted");
  EXPECT_EQ(line(R"({"type":"stream_status","data":{"status":"ended"}})"), "· stream ended");
  EXPECT_EQ(line(R"({"type":"skipped","data":{"count":212,"from_id":"m1","to_id":"m9"}})"),
            "· 212 messages skipped (fell behind): m1 … m9 are in the history");
  EXPECT_EQ(line(R"({"type":"pong"})"), std::nullopt);
  EXPECT_EQ(line(R"({"type":"ack","client_id":"c","data":{"id":"m1"}})"), std::nullopt);
}

TEST(EventLine, MessageEventUsesTheChatLine) {
  const auto event = parse_object(
      R"({"type":"message","data":{"id":"m1","user":{"display_name":"Alice","level":2,"is_premium":true},)"
      R"("content":"hey","message_type":"message","created_at":"2026-04-25T00:00:00.000Z"}})");
  EXPECT_EQ(format_event_line(event, display_zone::utc), "💬 [00:00:00] 💎Lv.2 Alice: hey");
}

}  // namespace
}  // namespace sorak::client
