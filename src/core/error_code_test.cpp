// error_code_test.cpp: the error table against what CONTRACT.md and today's
// clients expect, and the WebSocket rendering from it.
#include "sorak/error_code.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "protocol/events.hpp"
#include "sorak/result.hpp"

namespace sorak {
namespace {

// Every code the server sends, with the status it has always answered with
// (CONTRACT.md §3: 400 bad input, 401 credentials, 403 not allowed, 404
// unknown, 409 conflict, 413 too large, 429 rate limited, 503 shutting down).
const std::map<std::string, std::set<int>> server_codes = {
    {"bad_request", {400}}, {"invalid_json", {400}}, {"invalid_field", {400}}, {"invalid_format", {400}},
    {"unknown_type", {400}}, {"empty_content", {400}}, {"invalid_content", {400}}, {"message_too_long", {400}},
    {"invalid_client_id", {400}}, {"invalid_reply_to", {400}}, {"unknown_gift", {400}},
    {"invalid_quantity", {400}}, {"stream_ended", {400, 409}}, {"invalid_limit", {400}},
    {"invalid_cursor", {400}}, {"invalid_since", {400}}, {"invalid_top", {400}}, {"missing_room_id", {400}},
    {"missing_apikey", {400}}, {"invalid_path", {400}}, {"invalid_method", {400}}, {"bad_upgrade", {400}},
    {"https_required", {400}}, {"invalid_url", {400}}, {"invalid_listen", {400}}, {"invalid_store", {400}},
    {"invalid_broker", {400}}, {"invalid_tls_cert", {400}}, {"invalid_tls_key", {400}},
    {"invalid_gift_catalog", {400}}, {"blocked_term", {400}}, {"blocked_term_not_found", {404}},
    {"blocked_term_exists", {409}}, {"invalid_option", {400}}, {"poll_not_found", {404}}, {"private_url", {400}}, {"webhook_not_found", {404}}, {"poll_open", {409}},
    {"poll_closed", {409}}, {"already_voted", {409}}, {"unauthorized", {401}}, {"invalid_token", {401}},
    {"token_expired", {401}}, {"invalid_api_key", {401}}, {"forbidden", {403}}, {"read_only", {403}},
    {"banned", {403}}, {"timed_out", {403}}, {"chat_disabled", {403}}, {"subscribers_only", {403}},
    {"not_found", {404}}, {"stream_not_found", {404}}, {"room_not_found", {404}}, {"message_not_found", {404}},
    {"api_key_not_found", {404}}, {"badge_not_found", {404}}, {"timeout_not_found", {404}},
    {"ban_not_found", {404}}, {"room_taken", {409}}, {"api_key_taken", {409}}, {"duplicate_message", {409}},
    {"constraint_failed", {409}}, {"method_not_allowed", {405}}, {"upgrade_required", {426}}, {"payload_too_large", {413}}, {"headers_too_large", {431}},
    {"rate_limited", {429}}, {"slow_mode", {429}}, {"too_many_connections", {429}},
    {"connect_rate_limited", {429}}, {"shutting_down", {503}}, {"store_unavailable", {503}}, {"broker_unavailable", {503}},
    {"internal", {500}},
};

TEST(ErrorTable, EveryServerCodeKeepsItsStatus) {
  std::set<std::string> seen;
  for (const error_kind& k : error_table) {
    if (k.http_status == 0) continue;  // the client's own
    seen.insert(std::string(k.code));
    auto it = server_codes.find(std::string(k.code));
    ASSERT_NE(it, server_codes.end()) << k.code << " is not a code the server is known to send";
    EXPECT_TRUE(it->second.count(k.http_status)) << k.code << " answers " << k.http_status;
  }
  for (const auto& [code, statuses] : server_codes) EXPECT_TRUE(seen.count(code)) << code << " has no row";
}

TEST(ErrorTable, ContractWebSocketCodesCarryTheirExtras) {
  // CONTRACT.md §5: the codes an `error` event has at least.
  for (std::string_view code :
       {"invalid_format", "unknown_type", "empty_content", "invalid_content", "message_too_long", "banned",
        "read_only", "unknown_gift", "invalid_quantity", "stream_ended", "chat_disabled", "subscribers_only",
        "blocked_term"}) {
    EXPECT_NE(errc_from_code(code), errc::unrecognised) << code;
    EXPECT_EQ(kind_of(errc_from_code(code)).extra, error_extra::none) << code;
  }
  EXPECT_EQ(kind_of(errc::rate_limited).extra, error_extra::retry_after_ms);
  EXPECT_EQ(kind_of(errc::slow_mode).extra, error_extra::retry_after_ms);
  EXPECT_EQ(kind_of(errc::timed_out).extra, error_extra::seconds_left);
}

TEST(ErrorTable, EveryRowHasACodeAndASentence) {
  std::set<std::string_view> codes;
  for (const error_kind& k : error_table) {
    EXPECT_FALSE(k.code.empty());
    EXPECT_FALSE(k.sentence.empty()) << k.code;
    // Only stream_ended is spelled twice (400 for chat, 409 for reopening).
    if (!codes.insert(k.code).second) {
      EXPECT_EQ(k.code, "stream_ended");
    }
  }
}

TEST(Error, NamesItsCodeOnceAndTakesTheRestFromTheTable) {
  const error e(errc::room_taken);
  EXPECT_EQ(e.http_status, 409);
  EXPECT_EQ(e.code, "room_taken");
  EXPECT_EQ(e.message, "This room_id is taken");
  EXPECT_EQ(error(errc::stream_already_ended).http_status, 409);
  EXPECT_EQ(error(errc::stream_already_ended).code, "stream_ended");
  EXPECT_EQ(error(errc::invalid_cursor, "no such cursor").message, "no such cursor");
}

TEST(Error, ReceivedKeepsTheWireCodeAndFindsItsRow) {
  const error known = error::received(429, "slow_mode", "wait");
  EXPECT_TRUE(known.is(errc::slow_mode));
  EXPECT_EQ(known.code, "slow_mode");
  const error other = error::received(418, "teapot", "short and stout");
  EXPECT_TRUE(other.is(errc::unrecognised));
  EXPECT_EQ(other.code, "teapot");
  EXPECT_EQ(other.http_status, 418);
}

TEST(ErrorEvent, RendersTodaysJson) {
  EXPECT_EQ(error_event(error(errc::empty_content, "Message is empty")),
            R"({"type":"error","message":"Message is empty","code":"empty_content"})");
  error slow(errc::slow_mode);
  slow.retry_after_ms = 2500;
  EXPECT_EQ(error_event(slow),
            R"({"type":"error","message":"Slow mode is on: wait before sending again","code":"slow_mode",)"
            R"("retry_after_ms":2500})");
  error out(errc::timed_out, "You are timed out for 60 more seconds");
  out.seconds_left = 60;
  EXPECT_EQ(error_event(out),
            R"({"type":"error","message":"You are timed out for 60 more seconds","code":"timed_out",)"
            R"("seconds_left":60})");
}

}  // namespace
}  // namespace sorak
