#include "protocol/webhook_json.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "core/room_events.hpp"
#include "protocol/json_codec.hpp"
#include "protocol/events.hpp"

namespace sorak {
namespace {

namespace json = boost::json;

std::shared_ptr<const message> chat(message_type type) {
  auto m = std::make_shared<message>();
  m->id = "m-1";
  m->stream_id = "s-1";
  m->user.id = "u-1";
  m->user.username = "alice";
  m->content = "hello";
  m->type = type;
  m->created_at = 1777111530123;
  m->seq = 7;
  if (type == message_type::gift) {
    m->gift = gift_info{"rose", "Rose", 3, 30};
    m->stars = 30;
  }
  return m;
}

TEST(WebhookJson, ChatAndGiftsAreTheirOwnKindsAndNoticesAreNotSent) {
  auto ev = message_posted(chat(message_type::message), nullptr);
  EXPECT_EQ(webhook_event_of(ev), webhook_event::message);
  EXPECT_EQ(webhook_event_of(message_posted(chat(message_type::gift), nullptr)), webhook_event::gift);
  EXPECT_FALSE(webhook_event_of(message_posted(chat(message_type::system), nullptr)).has_value());
  EXPECT_FALSE(webhook_event_of(message_posted(chat(message_type::moderation), nullptr)).has_value());
  EXPECT_FALSE(webhook_event_of(moderation_reloaded("s-1", {}, {}, {})).has_value());
  EXPECT_EQ(webhook_event_of(message_deleted("s-1", "m-1")), webhook_event::deletion);
  EXPECT_EQ(webhook_event_of(chat_cleared("s-1", "u-1")), webhook_event::deletion);
  EXPECT_EQ(webhook_event_of(sanction_lifted("s-1", "u-1", sanction_kind::ban)), webhook_event::moderation);
  EXPECT_EQ(webhook_event_of(pin_changed("s-1", nullptr)), webhook_event::moderation);
}

TEST(WebhookJson, TheBodyCarriesTheDeliveryIdAndTheSameObjectViewersGet) {
  auto m = chat(message_type::gift);
  auto body = json::parse(webhook_body("d-1", message_posted(m, nullptr), m->created_at)).as_object();
  EXPECT_EQ(body.at("id").as_string(), "d-1");
  EXPECT_EQ(body.at("event").as_string(), "gift");
  EXPECT_EQ(body.at("type").as_string(), "gift");
  EXPECT_EQ(body.at("stream_id").as_string(), "s-1");
  EXPECT_EQ(body.at("occurred_at").as_string(), "2026-04-25T10:05:30.123Z");
  EXPECT_EQ(body.at("data"), json::value(to_json(*m)));
}

TEST(WebhookJson, ModerationNamesWhatHappened) {
  sanction s{.id = "x", .stream_id = "s-1", .user_id = "u-2", .kind = sanction_kind::timeout, .reason = "spam",
             .moderator_id = "u-1", .created_at = 1000, .expires_at = 61'000};
  auto t = json::parse(webhook_body("d", sanction_imposed(s), 1000)).as_object();
  EXPECT_EQ(t.at("event").as_string(), "moderation");
  EXPECT_EQ(t.at("type").as_string(), "timeout");
  EXPECT_EQ(t.at("data").at("user_id").as_string(), "u-2");
  auto lifted = json::parse(webhook_body("d", sanction_lifted("s-1", "u-2", sanction_kind::ban), 1000)).as_object();
  EXPECT_EQ(lifted.at("type").as_string(), "ban_lifted");
  auto del = json::parse(webhook_body("d", message_deleted("s-1", "m-9"), 1000)).as_object();
  EXPECT_EQ(del.at("event").as_string(), "deletion");
  EXPECT_EQ(del.at("type").as_string(), "message_deleted");
  EXPECT_EQ(del.at("data").at("message_id").as_string(), "m-9");
  auto badge = json::parse(webhook_body("d", badge_changed("s-1", "u-3", stream_badge::vip), 1000)).as_object();
  EXPECT_EQ(badge.at("type").as_string(), "badge");
  EXPECT_EQ(badge.at("data").at("badge").as_string(), "vip");
}

}  // namespace
}  // namespace sorak
