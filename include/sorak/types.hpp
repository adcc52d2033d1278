// types.hpp: the domain model of CONTRACT §2 as plain value types.
//
// These travel between the store, the rooms and the wire encoders. They hold no
// pointers into shared state, so a copy is safe to hand to another thread.
#pragma once

#include <chrono>
#include <string_view>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sorak {

// Milliseconds since the Unix epoch, UTC. Every timestamp in the model uses it;
// it is rendered as RFC 3339 with milliseconds on the wire.
using millis = std::int64_t;

// A user as carried by their token, snapshotted onto each message they send.
struct user_profile {
  std::string id;            // ≤ 64 chars, the JWT `sub`
  std::string username;
  std::string display_name;
  std::string avatar_url;
  std::int64_t level = 0;
  bool is_premium = false;
  std::vector<std::string> badges;  // in a message: the user's badges in that stream
};

struct member_info {
  std::string name;
  std::string nickname;
  std::string team;
};

enum class stream_status { live, ended };

struct chat_settings {
  int slow_mode_seconds = 0;      // 0..120
  int max_message_length = 500;   // 1..2000 code points
  bool subscribers_only = false;
  bool chat_enabled = true;
};

struct stream {
  std::string id;                   // UUID v7
  std::string room_id;              // decimal string, unique, from 100001 up
  std::string broadcaster_user_id;
  std::string room_name;
  std::string title;
  std::optional<member_info> member;
  stream_status status = stream_status::live;
  millis created_at = 0;
  millis started_at = 0;
  std::optional<millis> ended_at;
  chat_settings settings;
  // Where the video plays (an HLS playlist, http or https), shown beside the
  // chat; nullopt: the chat takes the page.
  std::optional<std::string> playback_url;
};

enum class message_type { message, gift, system, moderation };

struct gift_info {
  std::string gift_id;
  std::string gift_name;
  int quantity = 1;
  std::int64_t total_stars = 0;
};

struct message {
  std::string id;         // UUID v7
  std::string stream_id;
  user_profile user;      // snapshot at send time
  std::string content;
  message_type type = message_type::message;
  std::optional<gift_info> gift;
  std::int64_t stars = 0;
  std::optional<std::string> reply_to;
  millis created_at = 0;  // strictly increasing within one stream (the store makes it so at commit)
  std::string client_id;  // the sender's own id for de-duplication; empty if none
  bool deleted = false;
  // The stream's sequence number, 1, 2, 3… with no gaps, assigned by the store
  // when the message commits, whichever node wrote it (0 before that).
  std::int64_t seq = 0;
};

// ---- moderation (CONTRACT §6) -------------------------------------------------

// A badge the broadcaster grants in one stream. A user holds at most one.
enum class stream_badge { moderator, vip };

struct badge_grant {
  std::string id;  // UUID v7 of the grant
  std::string stream_id;
  std::string user_id;
  std::string username;  // from the user's last seen profile when read back; "" if never seen
  stream_badge badge = stream_badge::moderator;
  std::string granted_by;  // user id of the granter, or "admin"
  millis granted_at = 0;
};

enum class sanction_kind { timeout, ban };

// A timeout or a ban of one user in one stream. A user has at most one of
// each kind per stream; a new one replaces the old.
struct sanction {
  std::string id;  // UUID v7
  std::string stream_id;
  std::string user_id;
  sanction_kind kind = sanction_kind::timeout;
  std::string reason;
  std::string moderator_id;  // user id of the moderator, or "admin"
  millis created_at = 0;
  std::optional<millis> expires_at;  // timeouts only
};

// One line of the moderation log.
struct moderation_action {
  std::string id;  // UUID v7
  std::string stream_id;
  std::string action;  // add_moderator, add_vip, remove_badge, delete_message, timeout, untimeout, ban,
                       // unban, update_settings, add_blocked_term, remove_blocked_term, pin_message,
                       // unpin_message
  std::string moderator_id;
  std::string target_user_id;  // "" when the action has no target user
  std::string message_id;      // delete_message, pin_message, unpin_message
  // add_blocked_term, remove_blocked_term: the term is in `reason`.
  std::string reason;
  std::optional<std::int64_t> duration_seconds;  // timeout only
  millis created_at = 0;
};

// A word or phrase refused in one stream's chat (CONTRACT §12). `folded` is
// `term` case- and width-folded (core/term_fold.hpp): two terms with the same
// folded form are the same term, and a message is matched against it.
struct blocked_term {
  std::string id;  // UUID v7
  std::string stream_id;
  std::string term;    // as the moderator typed it
  std::string folded;  // what messages are matched against
  std::string created_by;  // user id, or "admin"
  millis created_at = 0;
};

// The message pinned at the top of a stream's chat (CONTRACT §12), as stored:
// the message itself is read through its id (a deleted one is no pin).
struct pin_record {
  std::string stream_id;
  std::string message_id;
  std::string pinned_by;  // user id, or "admin"
  millis pinned_at = 0;
};

// A poll of a stream (CONTRACT §12): 2 to 5 options, one vote per user, open
// until its deadline or until staff close it.
struct poll_option {
  std::string text;
  std::int64_t votes = 0;
};

struct poll_vote {
  std::string user_id;
  int option = 0;
  millis at = 0;
};

struct poll {
  std::string id;  // UUID v7
  std::string stream_id;
  std::string question;
  std::vector<poll_option> options;
  std::string created_by;  // user id, or "admin"
  millis created_at = 0;
  millis ends_at = 0;
  std::optional<millis> closed_at;  // when it closed (its deadline, or an early close)
  // Open at `now`: not closed, deadline not passed.
  bool open_at(millis now) const { return !closed_at && now < ends_at; }
  std::int64_t total_votes() const {
    std::int64_t n = 0;
    for (const auto& o : options) n += o.votes;
    return n;
  }
};

// ---- gifts and API keys (CONTRACT §3, §7) -------------------------------------

// One entry of the gift catalog: what a gift is called and what one is worth.
struct gift_kind {
  std::string gift_id;    // e.g. "star"
  std::string gift_name;  // e.g. "Star"
  std::int64_t stars = 0;  // per unit
};

// A key for the Showroom-style API. Only a SHA-256 hash of the key is kept;
// the key itself is shown once, when it is created.
struct api_key {
  std::string id;        // UUID v7
  std::string name;      // what the admin called it
  std::string key_hash;  // lowercase hex SHA-256 of the key
  std::string prefix;    // the key's first characters, to tell keys apart in a list
  millis created_at = 0;
  std::optional<millis> revoked_at;
};

// ---- webhooks (CONTRACT §12) -----------------------------------------------------

// What a webhook may subscribe to; each room_event maps to at most one.
enum class webhook_event { message, gift, deletion, moderation, stream, poll };
inline constexpr int webhook_event_count = 6;

// A receiver the admin registered: every event of the kinds in `events`
// (of every stream, or of `stream_id` only) is POSTed to `url`, signed with `secret`.
struct webhook {
  std::string id;  // UUID v7
  std::string url;
  std::vector<webhook_event> events;     // at least one, no repeats
  std::optional<std::string> stream_id;  // nullopt: every stream
  std::string secret;                    // HMAC-SHA256 key of the signature header
  millis created_at = 0;
};

enum class delivery_status { pending, delivered, failed };

// One event for one webhook: created pending, attempted until the receiver
// answers 2xx (delivered) or an hour has passed (failed).
struct webhook_delivery {
  std::string id;  // UUID v7; the X-Sorak-Delivery header, the same on every retry
  std::string webhook_id;
  webhook_event event = webhook_event::message;
  std::string stream_id;
  std::string payload;  // the JSON body, exactly as POSTed
  millis created_at = 0;
  delivery_status status = delivery_status::pending;
  int attempts = 0;
  millis next_attempt_at = 0;    // pending: not sent again before this
  millis last_attempt_at = 0;    // 0: never attempted
  int response_status = 0;       // the receiver's last HTTP status, 0 when none
  std::string error;             // why the last attempt failed, "" when it did not
  millis delivered_at = 0;       // 0: not delivered
  // A node sending it now holds it until lease_until (others leave it alone);
  // 0 when no node does.
  std::string lease_owner;
  millis lease_until = 0;
};

// What became of one attempt (or of a delivery put back without one).
struct delivery_outcome {
  std::string id;
  delivery_status status = delivery_status::pending;
  int attempts = 0;
  millis next_attempt_at = 0;
  millis last_attempt_at = 0;
  int response_status = 0;
  std::string error;
  millis delivered_at = 0;
};

const char* to_string(webhook_event e);
const char* to_string(delivery_status s);
std::optional<webhook_event> parse_webhook_event(std::string_view s);
std::optional<delivery_status> parse_delivery_status(std::string_view s);

const char* to_string(stream_status s);
const char* to_string(message_type t);
const char* to_string(stream_badge b);
const char* to_string(sanction_kind k);
std::optional<stream_status> parse_stream_status(std::string_view s);
std::optional<message_type> parse_message_type(std::string_view s);
std::optional<stream_badge> parse_stream_badge(std::string_view s);
std::optional<sanction_kind> parse_sanction_kind(std::string_view s);

}  // namespace sorak
