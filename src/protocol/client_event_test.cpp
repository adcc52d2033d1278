// Decoding what a viewer's client sends (CONTRACT §5): the events it may
// send, and the error code it gets back for each kind of malformed event.
#include "protocol/client_event.hpp"

#include <gtest/gtest.h>

#include <string>

namespace sorak {
namespace {

// The error for `text`, failing the test if it decoded.
error error_for(std::string_view text) {
  auto r = decode_client_event(text);
  if (r) {
    ADD_FAILURE() << "decoded, expected an error: " << text;
    return {};
  }
  EXPECT_EQ(r.err().http_status, 400) << text;
  EXPECT_FALSE(r.err().message.empty()) << text;
  return r.err();
}

client_chat chat_from(std::string_view text) {
  auto r = decode_client_event(text);
  if (!r) {
    ADD_FAILURE() << text << " → " << r.err().code;
    return {};
  }
  if (!std::holds_alternative<client_chat>(*r)) {
    ADD_FAILURE() << "not a chat message: " << text;
    return {};
  }
  return std::get<client_chat>(*r);
}

client_gift gift_from(std::string_view text) {
  auto r = decode_client_event(text);
  if (!r) {
    ADD_FAILURE() << text << " → " << r.err().code;
    return {};
  }
  if (!std::holds_alternative<client_gift>(*r)) {
    ADD_FAILURE() << "not a gift: " << text;
    return {};
  }
  return std::get<client_gift>(*r);
}

// ---- the three events -----------------------------------------------------------

TEST(ClientEvent, Ping) {
  auto r = decode_client_event(R"({"type":"ping"})");
  ASSERT_TRUE(r);
  EXPECT_TRUE(std::holds_alternative<client_ping>(*r));
}

TEST(ClientEvent, MessageWithContentOnly) {
  const client_chat c = chat_from(R"({"type":"message","content":"こんにちは 👋"})");
  EXPECT_EQ(c.content, "こんにちは 👋");
  EXPECT_EQ(c.client_id, "");
  EXPECT_FALSE(c.reply_to.has_value());
}

TEST(ClientEvent, MessageContentIsKeptAsSentForLaterValidation) {
  // Trimming and length checks belong to validate_content, with the stream's settings.
  EXPECT_EQ(chat_from(R"({"type":"message","content":"  hi  "})").content, "  hi  ");
  EXPECT_EQ(chat_from(R"({"type":"message","content":""})").content, "");
}

TEST(ClientEvent, MessageWithClientIdAndReplyTo) {
  const client_chat c = chat_from(
      R"({"type":"message","content":"same","client_id":"c-1","reply_to":"0190f3c4-0000-7000-8000-000000000001"})");
  EXPECT_EQ(c.content, "same");
  EXPECT_EQ(c.client_id, "c-1");
  ASSERT_TRUE(c.reply_to.has_value());
  EXPECT_EQ(*c.reply_to, "0190f3c4-0000-7000-8000-000000000001");
}

TEST(ClientEvent, NullClientIdAndReplyToMeanAbsent) {
  const client_chat c = chat_from(R"({"type":"message","content":"x","client_id":null,"reply_to":null})");
  EXPECT_EQ(c.client_id, "");
  EXPECT_FALSE(c.reply_to.has_value());
}

TEST(ClientEvent, FieldOrderAndUnknownFieldsDoNotMatter) {
  const client_chat c = chat_from(R"({"client_id":"k","content":"x","extra":[1,2],"type":"message"})");
  EXPECT_EQ(c.content, "x");
  EXPECT_EQ(c.client_id, "k");
}

TEST(ClientEvent, GiftWithEveryField) {
  const client_gift g = gift_from(
      R"({"type":"gift","gift_id":"star","quantity":5,"content":"for you","client_id":"g-1","reply_to":"m-1"})");
  EXPECT_EQ(g.gift_id, "star");
  EXPECT_EQ(g.quantity, 5);
  EXPECT_EQ(g.content, "for you");
  EXPECT_EQ(g.client_id, "g-1");
  ASSERT_TRUE(g.reply_to.has_value());
  EXPECT_EQ(*g.reply_to, "m-1");
}

TEST(ClientEvent, GiftQuantityDefaultsToOneAndContentToEmpty) {
  const client_gift g = gift_from(R"({"type":"gift","gift_id":"heart"})");
  EXPECT_EQ(g.gift_id, "heart");
  EXPECT_EQ(g.quantity, 1);
  EXPECT_EQ(g.content, "");
  EXPECT_EQ(g.client_id, "");
  EXPECT_FALSE(g.reply_to.has_value());
}

// ---- errors ----------------------------------------------------------------------

TEST(ClientEventError, NotJsonIsInvalidFormat) {
  for (const char* text : {"", "hello", "{", R"({"type":"ping")", R"({"type":'ping'})", "\xff\xfe"}) {
    EXPECT_EQ(error_for(text).code, "invalid_format") << text;
  }
}

TEST(ClientEventError, JsonThatIsNotAnObjectIsInvalidFormat) {
  for (const char* text : {"[]", R"(["ping"])", "42", R"("ping")", "null", "true"}) {
    EXPECT_EQ(error_for(text).code, "invalid_format") << text;
  }
}

TEST(ClientEventError, MissingOrNonStringTypeIsInvalidFormat) {
  for (const char* text : {"{}", R"({"content":"hi"})", R"({"type":null})", R"({"type":1})",
                           R"({"type":["ping"]})", R"({"type":{"name":"ping"}})"}) {
    EXPECT_EQ(error_for(text).code, "invalid_format") << text;
  }
}

TEST(ClientEventError, UnknownTypeNamesTheType) {
  const error e = error_for(R"({"type":"shout","content":"hi"})");
  EXPECT_EQ(e.code, "unknown_type");
  EXPECT_NE(e.message.find("shout"), std::string::npos) << e.message;
  EXPECT_EQ(error_for(R"({"type":"Message","content":"hi"})").code, "unknown_type");
  EXPECT_EQ(error_for(R"({"type":"","content":"hi"})").code, "unknown_type");
}

TEST(ClientEventError, MessageWithoutStringContentIsInvalidFormat) {
  for (const char* text : {R"({"type":"message"})", R"({"type":"message","content":null})",
                           R"({"type":"message","content":42})", R"({"type":"message","content":["a"]})",
                           R"({"type":"message","content":{"text":"a"}})"}) {
    EXPECT_EQ(error_for(text).code, "invalid_format") << text;
  }
}

TEST(ClientEventError, ClientIdMustBeOneTo64Characters) {
  EXPECT_EQ(chat_from(R"({"type":"message","content":"x","client_id":")" + std::string(64, 'c') + "\"}")
                .client_id,
            std::string(64, 'c'));
  EXPECT_EQ(error_for(R"({"type":"message","content":"x","client_id":")" + std::string(65, 'c') + "\"}").code,
            "invalid_client_id");
  EXPECT_EQ(error_for(R"({"type":"message","content":"x","client_id":""})").code, "invalid_client_id");
  EXPECT_EQ(error_for(R"({"type":"gift","gift_id":"star","client_id":""})").code, "invalid_client_id");
}

TEST(ClientEventError, NonStringClientIdOrReplyToIsInvalidFormat) {
  for (const char* text : {R"({"type":"message","content":"x","client_id":7})",
                           R"({"type":"message","content":"x","client_id":true})",
                           R"({"type":"message","content":"x","reply_to":123})",
                           R"({"type":"message","content":"x","reply_to":{"id":"m"}})",
                           R"({"type":"gift","gift_id":"star","reply_to":5})"}) {
    EXPECT_EQ(error_for(text).code, "invalid_format") << text;
  }
}

TEST(ClientEventError, GiftWithoutStringGiftIdIsInvalidFormat) {
  for (const char* text : {R"({"type":"gift"})", R"({"type":"gift","gift_id":null})",
                           R"({"type":"gift","gift_id":10,"quantity":1})"}) {
    EXPECT_EQ(error_for(text).code, "invalid_format") << text;
  }
}

TEST(ClientEventError, NonIntegerQuantityIsInvalidQuantity) {
  for (const char* text : {R"({"type":"gift","gift_id":"star","quantity":"5"})",
                           R"({"type":"gift","gift_id":"star","quantity":2.5})",
                           R"({"type":"gift","gift_id":"star","quantity":[5]})",
                           R"({"type":"gift","gift_id":"star","quantity":18446744073709551615})"}) {
    EXPECT_EQ(error_for(text).code, "invalid_quantity") << text;
  }
}

TEST(ClientEventError, NonStringGiftContentIsInvalidFormat) {
  EXPECT_EQ(error_for(R"({"type":"gift","gift_id":"star","content":3})").code, "invalid_format");
}

}  // namespace
}  // namespace sorak
