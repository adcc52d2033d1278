// error_code.hpp: every error code Sorak speaks, as one table.
//
// Each `errc` names one row: the machine code clients switch on (kept byte for
// byte: clients written against the seeds depend on it), the HTTP status a
// REST answer carries, the sentence users see when the error site has nothing
// more precise to say, and the extra field the WebSocket `error` event carries
// (REST turns a retry_after_ms into a Retry-After header). REST
// (http/message.cpp) and WebSocket (protocol/events.cpp) both render from this
// table, and code that must tell errors apart compares `errc`, never strings.
//
// The rows after `internal` are the command-line client's own failures: the
// server never sends them, and their status 0 means "no HTTP answer".
//
// Everything here is constant data; any thread may read it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sorak {

enum class errc : std::uint8_t {
  // 400: bad input
  bad_request, invalid_json, invalid_field, invalid_format, unknown_type, empty_content, invalid_content,
  message_too_long, invalid_client_id, invalid_reply_to, unknown_gift, invalid_quantity, stream_ended,
  invalid_limit, invalid_cursor, invalid_since, invalid_top, missing_room_id, missing_apikey, invalid_path,
  invalid_method, bad_upgrade, https_required, invalid_url, invalid_listen, invalid_store, invalid_broker,
  invalid_tls_cert, invalid_tls_key, invalid_gift_catalog, blocked_term, invalid_option, private_url,
  // 401: no or invalid credentials
  unauthorized, invalid_token, token_expired, invalid_api_key,
  // 403: not allowed
  forbidden, read_only, banned, timed_out, chat_disabled, subscribers_only,
  // 404: unknown
  not_found, stream_not_found, room_not_found, message_not_found, api_key_not_found, badge_not_found,
  timeout_not_found, ban_not_found, blocked_term_not_found, poll_not_found, webhook_not_found,
  // 409: conflict
  stream_already_ended, room_taken, api_key_taken, duplicate_message, constraint_failed,
  blocked_term_exists, poll_open, poll_closed, already_voted,
  // 405, 426: the wrong verb or protocol for the path
  method_not_allowed, upgrade_required,
  // 413, 431: too large
  payload_too_large, headers_too_large,
  // 429: rate limited
  rate_limited, slow_mode, too_many_connections, connect_rate_limited,
  // 503: unavailable
  shutting_down, store_unavailable, broker_unavailable,
  // 500
  internal,
  // The client's own (status 0)
  usage, timeout, connection_failed, connection_closed, closed_for_good, invalid_response, no_secret,
  mint_failed, seed_refused,
  // A code this build does not know (a newer server's, a proxy's), kept as received.
  unrecognised,
};

// What an error adds beside its code and sentence.
enum class error_extra : std::uint8_t {
  none,
  retry_after_ms,  // WebSocket: top-level "retry_after_ms"; REST: a Retry-After header
  seconds_left,    // WebSocket: top-level "seconds_left" (a timeout's remainder)
};

struct error_kind {
  errc id;
  std::string_view code;  // on the wire: "code" in REST bodies and `error` events
  int http_status;        // 0: never an HTTP answer (the client's own)
  std::string_view sentence;
  error_extra extra = error_extra::none;
};

// One row per errc, in the enum's order (checked below).
inline constexpr std::array error_table{
    error_kind{errc::bad_request, "bad_request", 400, "The request is not valid"},
    error_kind{errc::invalid_json, "invalid_json", 400, "The request body must be a JSON object"},
    error_kind{errc::invalid_field, "invalid_field", 400, "A field of the request is not valid"},
    error_kind{errc::invalid_format, "invalid_format", 400, "The event is not valid JSON"},
    error_kind{errc::unknown_type, "unknown_type", 400, "Unknown event type"},
    error_kind{errc::empty_content, "empty_content", 400, "The message is empty"},
    error_kind{errc::invalid_content, "invalid_content", 400, "The message contains characters that are not allowed"},
    error_kind{errc::message_too_long, "message_too_long", 400, "The message is too long"},
    error_kind{errc::invalid_client_id, "invalid_client_id", 400, "client_id must be a string of at most 64 characters"},
    error_kind{errc::invalid_reply_to, "invalid_reply_to", 400, "reply_to must name a message in this stream"},
    error_kind{errc::unknown_gift, "unknown_gift", 400, "No such gift"},
    error_kind{errc::invalid_quantity, "invalid_quantity", 400, "quantity must be a whole number from 1 to 100"},
    error_kind{errc::stream_ended, "stream_ended", 400, "The stream has ended; chat is closed"},
    error_kind{errc::invalid_limit, "invalid_limit", 400, "limit is not valid"},
    error_kind{errc::invalid_cursor, "invalid_cursor", 400, "The cursor is not a message of this stream"},
    error_kind{errc::invalid_since, "invalid_since", 400, "since must be an RFC 3339 timestamp"},
    error_kind{errc::invalid_top, "invalid_top", 400, "top is not valid"},
    error_kind{errc::missing_room_id, "missing_room_id", 400, "room_id is required"},
    error_kind{errc::missing_apikey, "missing_apikey", 400, "apikey is required"},
    error_kind{errc::invalid_path, "invalid_path", 400, "The path is not valid"},
    error_kind{errc::invalid_method, "invalid_method", 400, "The method is not valid"},
    error_kind{errc::bad_upgrade, "bad_upgrade", 400, "This is not a valid WebSocket upgrade"},
    error_kind{errc::https_required, "https_required", 400, "This port speaks HTTPS; use https:// (or wss://)"},
    error_kind{errc::invalid_url, "invalid_url", 400, "The URL is not valid"},
    error_kind{errc::invalid_listen, "invalid_listen", 400, "--listen is not valid"},
    error_kind{errc::invalid_store, "invalid_store", 400, "--store is not valid"},
    error_kind{errc::invalid_broker, "invalid_broker", 400, "--broker is not valid"},
    error_kind{errc::invalid_tls_cert, "invalid_tls_cert", 400, "The TLS certificate cannot be used"},
    error_kind{errc::invalid_tls_key, "invalid_tls_key", 400, "The TLS key cannot be used"},
    error_kind{errc::invalid_gift_catalog, "invalid_gift_catalog", 400, "The gift catalog is not valid"},
    error_kind{errc::blocked_term, "blocked_term", 400, "The message contains a term that is blocked in this chat"},
    error_kind{errc::invalid_option, "invalid_option", 400, "option must be the index of one of the poll's options"},
    error_kind{errc::private_url, "private_url", 400,
               "The URL names a private or loopback address; the server refuses those (--webhook-allow-private)"},
    error_kind{errc::unauthorized, "unauthorized", 401, "Authentication is required"},
    error_kind{errc::invalid_token, "invalid_token", 401, "The token is not valid"},
    error_kind{errc::token_expired, "token_expired", 401, "The token has expired."},
    error_kind{errc::invalid_api_key, "invalid_api_key", 401, "The API key is unknown or revoked"},
    error_kind{errc::forbidden, "forbidden", 403, "You may not do this here"},
    error_kind{errc::read_only, "read_only", 403, "This token may read the chat but not send"},
    error_kind{errc::banned, "banned", 403, "You are banned from this chat"},
    error_kind{errc::timed_out, "timed_out", 403, "You are timed out", error_extra::seconds_left},
    error_kind{errc::chat_disabled, "chat_disabled", 403, "Chat is turned off"},
    error_kind{errc::subscribers_only, "subscribers_only", 403, "Chat is for subscribers only"},
    error_kind{errc::not_found, "not_found", 404, "Not found"},
    error_kind{errc::stream_not_found, "stream_not_found", 404, "No such stream"},
    error_kind{errc::room_not_found, "room_not_found", 404, "No such room"},
    error_kind{errc::message_not_found, "message_not_found", 404, "No such message"},
    error_kind{errc::api_key_not_found, "api_key_not_found", 404, "No such API key"},
    error_kind{errc::badge_not_found, "badge_not_found", 404, "this user holds no moderator or VIP badge here"},
    error_kind{errc::timeout_not_found, "timeout_not_found", 404, "this user is not timed out here"},
    error_kind{errc::ban_not_found, "ban_not_found", 404, "this user is not banned here"},
    error_kind{errc::blocked_term_not_found, "blocked_term_not_found", 404, "No such blocked term in this stream"},
    error_kind{errc::poll_not_found, "poll_not_found", 404, "No such poll in this stream"},
    error_kind{errc::webhook_not_found, "webhook_not_found", 404, "No such webhook"},
    // The same wire code as stream_ended: reopening an ended stream is a conflict.
    error_kind{errc::stream_already_ended, "stream_ended", 409,
               "An ended stream cannot go live again; create a new stream"},
    error_kind{errc::room_taken, "room_taken", 409, "This room_id is taken"},
    error_kind{errc::api_key_taken, "api_key_taken", 409, "An API key with this name exists"},
    error_kind{errc::duplicate_message, "duplicate_message", 409, "This message is stored already"},
    error_kind{errc::constraint_failed, "constraint_failed", 409, "The change conflicts with stored data"},
    error_kind{errc::blocked_term_exists, "blocked_term_exists", 409, "This term is blocked in this stream already"},
    error_kind{errc::poll_open, "poll_open", 409, "This stream has an open poll already; close it first"},
    error_kind{errc::poll_closed, "poll_closed", 409, "This poll is closed"},
    error_kind{errc::already_voted, "already_voted", 409, "You have voted in this poll already"},
    error_kind{errc::method_not_allowed, "method_not_allowed", 405, "This path does not take this method"},
    error_kind{errc::upgrade_required, "upgrade_required", 426,
               "This endpoint speaks WebSocket; send an upgrade request"},
    error_kind{errc::payload_too_large, "payload_too_large", 413, "The request body is too large"},
    error_kind{errc::headers_too_large, "headers_too_large", 431, "The request headers are too large"},
    error_kind{errc::rate_limited, "rate_limited", 429, "You are sending messages too fast",
               error_extra::retry_after_ms},
    error_kind{errc::slow_mode, "slow_mode", 429, "Slow mode is on: wait before sending again",
               error_extra::retry_after_ms},
    error_kind{errc::too_many_connections, "too_many_connections", 429,
               "Too many open connections from your address", error_extra::retry_after_ms},
    error_kind{errc::connect_rate_limited, "connect_rate_limited", 429,
               "Too many new connections from your address", error_extra::retry_after_ms},
    error_kind{errc::shutting_down, "shutting_down", 503, "The server is shutting down"},
    error_kind{errc::store_unavailable, "store_unavailable", 503, "The store does not answer"},
    error_kind{errc::broker_unavailable, "broker_unavailable", 503, "The broker between the nodes does not answer"},
    error_kind{errc::internal, "internal", 500, "Something went wrong on the server"},
    error_kind{errc::usage, "usage", 0, "The command line is not valid"},
    error_kind{errc::timeout, "timeout", 0, "The server did not answer in time"},
    error_kind{errc::connection_failed, "connection_failed", 0, "Cannot reach the server"},
    error_kind{errc::connection_closed, "connection_closed", 0, "the server closed the connection"},
    error_kind{errc::closed_for_good, "closed_for_good", 0, "the server refused the connection"},
    error_kind{errc::invalid_response, "invalid_response", 0, "The server's answer is not valid"},
    error_kind{errc::no_secret, "no_secret", 0, "No JWT secret to sign with"},
    error_kind{errc::mint_failed, "mint_failed", 0, "Cannot sign a token"},
    error_kind{errc::seed_refused, "seed_refused", 0, "The server refused a seed message"},
    error_kind{errc::unrecognised, "unrecognised", 0, "The server sent an error this client does not know"},
};

constexpr const error_kind& kind_of(errc id) { return error_table[static_cast<std::size_t>(id)]; }

static_assert(error_table.size() == static_cast<std::size_t>(errc::unrecognised) + 1);
static_assert([] {
  for (std::size_t i = 0; i < error_table.size(); ++i)
    if (static_cast<std::size_t>(error_table[i].id) != i) return false;
  return true;
}(), "error_table rows must follow the errc order");

// The row whose wire code is `code` (the first, for stream_ended), or
// errc::unrecognised. For clients reading a server's answer.
constexpr errc errc_from_code(std::string_view code) {
  for (const error_kind& k : error_table)
    if (k.code == code) return k.id;
  return errc::unrecognised;
}

}  // namespace sorak
