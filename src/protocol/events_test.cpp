// The JSON a client receives (CONTRACT §2 Message and Stream, §5 server
// events), parsed back with Boost.JSON and checked field by field and type by
// type: clients written against the seed API switch on these exact names.
#include "protocol/events.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "protocol/json_codec.hpp"

namespace sorak {
namespace {

namespace json = boost::json;

// 2026-04-25T10:05:30.123Z
constexpr millis t_0530_123 = 1777111530123;

json::object parse_object(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) {
    ADD_FAILURE() << "not a JSON object: " << text;
    return {};
  }
  return v.get_object();
}

std::set<std::string> keys_of(const json::object& o) {
  std::set<std::string> out;
  for (const auto& kv : o) out.emplace(kv.key());
  return out;
}

user_profile alice() {
  user_profile u;
  u.id = "user-1";
  u.username = "alice";
  u.display_name = "Alice ☆";
  u.avatar_url = "https://example.com/a.png";
  u.level = 12;
  u.is_premium = true;
  u.badges = {"broadcaster", "verified"};
  return u;
}

message chat_message() {
  message m;
  m.id = "0196699c-7d6b-7000-8000-000000000001";
  m.stream_id = "0196699c-0000-7000-8000-0000000000aa";
  m.user = alice();
  m.content = "hello \"world\"\nline two 🎉";
  m.type = message_type::message;
  m.created_at = t_0530_123;
  m.client_id = "my-own-id";
  return m;
}

const std::set<std::string> message_fields{"id",       "stream_id", "user",    "content",   "message_type",
                                           "gift",     "stars",     "reply_to", "created_at"};

// ---- Message (CONTRACT §2) -----------------------------------------------------------

TEST(MessageJson, HasExactlyTheContractFieldsWithTheirTypes) {
  const json::object o = parse_object(encode_message(chat_message()));
  // client_id is the sender's own; deleted messages are never sent: neither is on the wire.
  EXPECT_EQ(keys_of(o), message_fields);
  ASSERT_TRUE(o.at("id").is_string());
  EXPECT_EQ(o.at("id").get_string(), "0196699c-7d6b-7000-8000-000000000001");
  ASSERT_TRUE(o.at("stream_id").is_string());
  EXPECT_EQ(o.at("stream_id").get_string(), "0196699c-0000-7000-8000-0000000000aa");
  ASSERT_TRUE(o.at("content").is_string());
  EXPECT_EQ(o.at("content").get_string(), "hello \"world\"\nline two 🎉");
  ASSERT_TRUE(o.at("message_type").is_string());
  EXPECT_EQ(o.at("message_type").get_string(), "message");
  EXPECT_TRUE(o.at("gift").is_null());
  ASSERT_TRUE(o.at("stars").is_int64());
  EXPECT_EQ(o.at("stars").get_int64(), 0);
  EXPECT_TRUE(o.at("reply_to").is_null());
  ASSERT_TRUE(o.at("created_at").is_string());
  EXPECT_EQ(o.at("created_at").get_string(), "2026-04-25T10:05:30.123Z");
}

TEST(MessageJson, UserIsTheSnapshotWithBadges) {
  const json::object o = parse_object(encode_message(chat_message()));
  ASSERT_TRUE(o.at("user").is_object());
  const json::object& u = o.at("user").get_object();
  EXPECT_EQ(keys_of(u), (std::set<std::string>{"id", "username", "display_name", "avatar_url", "level",
                                                "is_premium", "badges"}));
  EXPECT_EQ(u.at("id").as_string(), "user-1");
  EXPECT_EQ(u.at("username").as_string(), "alice");
  EXPECT_EQ(u.at("display_name").as_string(), "Alice ☆");
  EXPECT_EQ(u.at("avatar_url").as_string(), "https://example.com/a.png");
  ASSERT_TRUE(u.at("level").is_int64());
  EXPECT_EQ(u.at("level").get_int64(), 12);
  ASSERT_TRUE(u.at("is_premium").is_bool());
  EXPECT_TRUE(u.at("is_premium").get_bool());
  ASSERT_TRUE(u.at("badges").is_array());
  const json::array& b = u.at("badges").get_array();
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].as_string(), "broadcaster");
  EXPECT_EQ(b[1].as_string(), "verified");
}

TEST(MessageJson, NoBadgesIsAnEmptyArrayNotNull) {
  message m = chat_message();
  m.user.badges.clear();
  m.user.is_premium = false;
  m.user.level = 0;
  const json::object u = parse_object(encode_message(m)).at("user").as_object();
  ASSERT_TRUE(u.at("badges").is_array());
  EXPECT_TRUE(u.at("badges").get_array().empty());
  ASSERT_TRUE(u.at("is_premium").is_bool());
  EXPECT_FALSE(u.at("is_premium").get_bool());
  ASSERT_TRUE(u.at("level").is_int64());
  EXPECT_EQ(u.at("level").get_int64(), 0);
}

TEST(MessageJson, GiftMessageCarriesGiftObjectAndStars) {
  message m = chat_message();
  m.type = message_type::gift;
  m.gift = gift_info{"star", "Star", 5, 50};
  m.stars = 50;
  const json::object o = parse_object(encode_message(m));
  EXPECT_EQ(o.at("message_type").as_string(), "gift");
  ASSERT_TRUE(o.at("gift").is_object());
  const json::object& g = o.at("gift").get_object();
  EXPECT_EQ(keys_of(g), (std::set<std::string>{"gift_id", "gift_name", "quantity", "total_stars"}));
  EXPECT_EQ(g.at("gift_id").as_string(), "star");
  EXPECT_EQ(g.at("gift_name").as_string(), "Star");
  ASSERT_TRUE(g.at("quantity").is_int64());
  EXPECT_EQ(g.at("quantity").get_int64(), 5);
  ASSERT_TRUE(g.at("total_stars").is_int64());
  EXPECT_EQ(g.at("total_stars").get_int64(), 50);
  ASSERT_TRUE(o.at("stars").is_int64());
  EXPECT_EQ(o.at("stars").get_int64(), 50);
}

TEST(MessageJson, ReplyToIsTheMessageIdString) {
  message m = chat_message();
  m.reply_to = "0196699c-7d6b-7000-8000-000000000000";
  const json::object o = parse_object(encode_message(m));
  ASSERT_TRUE(o.at("reply_to").is_string());
  EXPECT_EQ(o.at("reply_to").get_string(), "0196699c-7d6b-7000-8000-000000000000");
}

TEST(MessageJson, EveryMessageTypeHasItsWireName) {
  const std::pair<message_type, const char*> rows[] = {{message_type::message, "message"},
                                                       {message_type::gift, "gift"},
                                                       {message_type::system, "system"},
                                                       {message_type::moderation, "moderation"}};
  for (const auto& [type, name] : rows) {
    message m = chat_message();
    m.type = type;
    EXPECT_EQ(parse_object(encode_message(m)).at("message_type").as_string(), name);
  }
}

TEST(MessageJson, CreatedAtAlwaysHasThreeFractionDigitsAndZ) {
  message m = chat_message();
  m.created_at = t_0530_123 - 123;  // a whole second
  EXPECT_EQ(parse_object(encode_message(m)).at("created_at").as_string(), "2026-04-25T10:05:30.000Z");
  m.created_at = t_0530_123 - 123 + 7;
  EXPECT_EQ(parse_object(encode_message(m)).at("created_at").as_string(), "2026-04-25T10:05:30.007Z");
}

// ---- Stream (CONTRACT §2, §4) ---------------------------------------------------------

stream live_stream() {
  stream s;
  s.id = "0196699c-0000-7000-8000-0000000000aa";
  s.room_id = "100001";
  s.broadcaster_user_id = "user-1";
  s.room_name = "Ami's room";
  s.title = "Evening show";
  s.status = stream_status::live;
  s.created_at = t_0530_123;
  s.started_at = t_0530_123;
  return s;
}

TEST(StreamJson, HasTheContractFieldsWithTheirTypes) {
  const json::object o = to_json(live_stream());
  EXPECT_EQ(keys_of(o), (std::set<std::string>{"id", "room_id", "broadcaster_user_id", "room_name", "title",
                                                "member", "status", "created_at", "started_at", "ended_at",
                                                "settings", "playback_url"}));
  EXPECT_TRUE(o.at("playback_url").is_null()) << "no video: null";
  ASSERT_TRUE(o.at("room_id").is_string());  // a decimal string, not a number
  EXPECT_EQ(o.at("room_id").get_string(), "100001");
  EXPECT_EQ(o.at("broadcaster_user_id").as_string(), "user-1");
  EXPECT_EQ(o.at("room_name").as_string(), "Ami's room");
  EXPECT_EQ(o.at("title").as_string(), "Evening show");
  EXPECT_EQ(o.at("status").as_string(), "live");
  EXPECT_EQ(o.at("created_at").as_string(), "2026-04-25T10:05:30.123Z");
  EXPECT_EQ(o.at("started_at").as_string(), "2026-04-25T10:05:30.123Z");
  EXPECT_TRUE(o.at("member").is_null());
  EXPECT_TRUE(o.at("ended_at").is_null());
  ASSERT_TRUE(o.at("settings").is_object());
  const json::object& st = o.at("settings").get_object();
  EXPECT_EQ(keys_of(st), (std::set<std::string>{"slow_mode_seconds", "max_message_length", "subscribers_only",
                                                 "chat_enabled"}));
  ASSERT_TRUE(st.at("slow_mode_seconds").is_int64());
  EXPECT_EQ(st.at("slow_mode_seconds").get_int64(), 0);
  ASSERT_TRUE(st.at("max_message_length").is_int64());
  EXPECT_EQ(st.at("max_message_length").get_int64(), 500);
  ASSERT_TRUE(st.at("subscribers_only").is_bool());
  EXPECT_FALSE(st.at("subscribers_only").get_bool());
  ASSERT_TRUE(st.at("chat_enabled").is_bool());
  EXPECT_TRUE(st.at("chat_enabled").get_bool());
}

TEST(StreamJson, EndedStreamWithMember) {
  stream s = live_stream();
  s.status = stream_status::ended;
  s.ended_at = t_0530_123 + 3600000;
  s.member = member_info{"Ami", "ami", "Team J"};
  const json::object o = to_json(s);
  EXPECT_EQ(o.at("status").as_string(), "ended");
  ASSERT_TRUE(o.at("ended_at").is_string());
  EXPECT_EQ(o.at("ended_at").get_string(), "2026-04-25T11:05:30.123Z");
  ASSERT_TRUE(o.at("member").is_object());
  const json::object& m = o.at("member").get_object();
  EXPECT_EQ(keys_of(m), (std::set<std::string>{"name", "nickname", "team"}));
  EXPECT_EQ(m.at("name").as_string(), "Ami");
  EXPECT_EQ(m.at("nickname").as_string(), "ami");
  EXPECT_EQ(m.at("team").as_string(), "Team J");
}

// ---- server → client events (CONTRACT §5) -------------------------------------------

TEST(ServerEvent, MessageEventWrapsTheEncodedMessage) {
  const std::string encoded = encode_message(chat_message());
  const json::object o = parse_object(message_event(encoded));
  EXPECT_EQ(keys_of(o), (std::set<std::string>{"type", "data"}));
  EXPECT_EQ(o.at("type").as_string(), "message");
  ASSERT_TRUE(o.at("data").is_object());
  EXPECT_EQ(o.at("data").get_object(), parse_object(encoded));
}

TEST(ServerEvent, MessageEventDataGivesBackTheMessage) {
  const std::string encoded = encode_message(chat_message());
  EXPECT_EQ(message_event_data(message_event(encoded)), encoded);
}

TEST(ServerEvent, MessageDeleted) {
  const json::object o = parse_object(message_deleted_event("0196699c-7d6b-7000-8000-000000000001"));
  EXPECT_EQ(keys_of(o), (std::set<std::string>{"type", "data"}));
  EXPECT_EQ(o.at("type").as_string(), "message_deleted");
  EXPECT_EQ(keys_of(o.at("data").as_object()), (std::set<std::string>{"message_id"}));
  EXPECT_EQ(o.at("data").at("message_id").as_string(), "0196699c-7d6b-7000-8000-000000000001");
}

TEST(ServerEvent, ChatCleared) {
  const json::object o = parse_object(chat_cleared_event("user \"q\""));
  EXPECT_EQ(o.at("type").as_string(), "chat_cleared");
  EXPECT_EQ(keys_of(o.at("data").as_object()), (std::set<std::string>{"user_id"}));
  EXPECT_EQ(o.at("data").at("user_id").as_string(), "user \"q\"");  // escaped, still valid JSON
}

TEST(ServerEvent, StreamStatusEndedIsExactlyTheContractText) {
  EXPECT_EQ(parse_object(stream_status_event(stream_status::ended)),
            parse_object(R"({"type":"stream_status","data":{"status":"ended"}})"));
  EXPECT_EQ(parse_object(stream_status_event(stream_status::live)).at("data").at("status").as_string(), "live");
}

TEST(ServerEvent, ViewerCountIsAnInteger) {
  const json::object o = parse_object(viewer_count_event(1234567));
  EXPECT_EQ(o.at("type").as_string(), "viewer_count");
  EXPECT_EQ(keys_of(o.at("data").as_object()), (std::set<std::string>{"count"}));
  ASSERT_TRUE(o.at("data").at("count").is_int64());
  EXPECT_EQ(o.at("data").at("count").get_int64(), 1234567);
}

TEST(ServerEvent, PongIsJustTheType) {
  EXPECT_EQ(parse_object(pong_event()), parse_object(R"({"type":"pong"})"));
}

TEST(ServerEvent, AckCarriesClientIdAtTopLevelAndIdWithCreatedAtInData) {
  const json::object o = parse_object(ack_event("c-1", "0196699c-7d6b-7000-8000-000000000001", t_0530_123));
  EXPECT_EQ(keys_of(o), (std::set<std::string>{"type", "client_id", "data"}));
  EXPECT_EQ(o.at("type").as_string(), "ack");
  EXPECT_EQ(o.at("client_id").as_string(), "c-1");
  ASSERT_TRUE(o.at("data").is_object());
  EXPECT_EQ(keys_of(o.at("data").get_object()), (std::set<std::string>{"id", "created_at"}));
  EXPECT_EQ(o.at("data").at("id").as_string(), "0196699c-7d6b-7000-8000-000000000001");
  EXPECT_EQ(o.at("data").at("created_at").as_string(), "2026-04-25T10:05:30.123Z");
}

TEST(ServerEvent, ErrorHasMessageAndCodeAtTopLevel) {
  const json::object o = parse_object(error_event(error(errc::empty_content, "Message is empty")));
  EXPECT_EQ(keys_of(o), (std::set<std::string>{"type", "message", "code"}));
  EXPECT_EQ(o.at("type").as_string(), "error");
  EXPECT_EQ(o.at("message").as_string(), "Message is empty");
  EXPECT_EQ(o.at("code").as_string(), "empty_content");
}

TEST(ServerEvent, RateLimitedErrorHasTopLevelRetryAfterMs) {
  error e(errc::rate_limited, "Too fast");
  e.retry_after_ms = 1500;
  const json::object o = parse_object(error_event(e));
  EXPECT_EQ(keys_of(o), (std::set<std::string>{"type", "message", "code", "retry_after_ms"}));
  EXPECT_EQ(o.at("code").as_string(), "rate_limited");
  ASSERT_TRUE(o.at("retry_after_ms").is_int64());
  EXPECT_EQ(o.at("retry_after_ms").get_int64(), 1500);
}

TEST(ServerEvent, TimedOutErrorHasTopLevelSecondsLeft) {
  error e(errc::timed_out);
  e.seconds_left = 42;
  const json::object o = parse_object(error_event(e));
  EXPECT_EQ(keys_of(o), (std::set<std::string>{"type", "message", "code", "seconds_left"}));
  EXPECT_EQ(o.at("message").as_string(), "You are timed out");
  ASSERT_TRUE(o.at("seconds_left").is_int64());
  EXPECT_EQ(o.at("seconds_left").get_int64(), 42);
}

std::vector<shared_json> events_for(const std::vector<message>& ms) {
  std::vector<shared_json> out;
  for (const auto& m : ms) out.push_back(std::make_shared<const std::string>(message_event(encode_message(m))));
  return out;
}

std::vector<message> three_messages() {
  std::vector<message> ms;
  for (int i = 0; i < 3; ++i) {
    message m = chat_message();
    m.id = "id-" + std::to_string(i);
    m.content = "text " + std::to_string(i);
    m.created_at = t_0530_123 + i;
    ms.push_back(m);
  }
  return ms;
}

TEST(ServerEvent, HistoryHoldsMessagesOldestFirstWithoutRecoveredOnPlainConnect) {
  const auto ms = three_messages();
  const json::object o = parse_object(history_event(events_for(ms), std::nullopt));
  EXPECT_EQ(keys_of(o), (std::set<std::string>{"type", "data"}));
  EXPECT_EQ(o.at("type").as_string(), "history");
  ASSERT_TRUE(o.at("data").is_array());
  const json::array& data = o.at("data").get_array();
  ASSERT_EQ(data.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    // Each element is the Message itself, not a wrapped event.
    EXPECT_EQ(data[i].as_object(), parse_object(encode_message(ms[i]))) << i;
  }
}

TEST(ServerEvent, HistoryAfterSinceCarriesTopLevelRecovered) {
  const auto evs = events_for(three_messages());
  const json::object yes = parse_object(history_event(evs, true));
  ASSERT_TRUE(yes.at("recovered").is_bool());
  EXPECT_TRUE(yes.at("recovered").get_bool());
  EXPECT_EQ(yes.at("data").as_array().size(), 3u);
  const json::object no = parse_object(history_event({}, false));
  ASSERT_TRUE(no.at("recovered").is_bool());
  EXPECT_FALSE(no.at("recovered").get_bool());
  EXPECT_TRUE(no.at("data").as_array().empty());
}

TEST(ServerEvent, EmptyHistoryIsAnEmptyArray) {
  const json::object o = parse_object(history_event({}, std::nullopt));
  ASSERT_TRUE(o.at("data").is_array());
  EXPECT_TRUE(o.at("data").get_array().empty());
}

}  // namespace
}  // namespace sorak
