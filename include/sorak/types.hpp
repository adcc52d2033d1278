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
  millis created_at = 0;  // strictly increasing within one stream
  std::string client_id;  // the sender's own id for de-duplication; empty if none
  bool deleted = false;
};

const char* to_string(stream_status s);
const char* to_string(message_type t);
std::optional<stream_status> parse_stream_status(std::string_view s);
std::optional<message_type> parse_message_type(std::string_view s);

}  // namespace sorak
