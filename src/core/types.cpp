#include "sorak/types.hpp"

#include <array>

namespace sorak {

const char* to_string(stream_status s) { return s == stream_status::live ? "live" : "ended"; }

const char* to_string(message_type t) {
  switch (t) {
    case message_type::message: return "message";
    case message_type::gift: return "gift";
    case message_type::system: return "system";
    case message_type::moderation: return "moderation";
  }
  return "message";
}

const char* to_string(stream_badge b) { return b == stream_badge::moderator ? "moderator" : "vip"; }

const char* to_string(sanction_kind k) { return k == sanction_kind::timeout ? "timeout" : "ban"; }

std::optional<stream_badge> parse_stream_badge(std::string_view s) {
  if (s == "moderator") return stream_badge::moderator;
  if (s == "vip") return stream_badge::vip;
  return std::nullopt;
}

std::optional<sanction_kind> parse_sanction_kind(std::string_view s) {
  if (s == "timeout") return sanction_kind::timeout;
  if (s == "ban") return sanction_kind::ban;
  return std::nullopt;
}

std::optional<stream_status> parse_stream_status(std::string_view s) {
  if (s == "live") return stream_status::live;
  if (s == "ended") return stream_status::ended;
  return std::nullopt;
}

std::optional<message_type> parse_message_type(std::string_view s) {
  if (s == "message") return message_type::message;
  if (s == "gift") return message_type::gift;
  if (s == "system") return message_type::system;
  if (s == "moderation") return message_type::moderation;
  return std::nullopt;
}

namespace {
constexpr std::array<const char*, webhook_event_count> webhook_event_names{"message", "gift", "deletion",
                                                                         "moderation", "stream", "poll"};
}  // namespace

const char* to_string(webhook_event e) { return webhook_event_names[static_cast<std::size_t>(e)]; }

std::optional<webhook_event> parse_webhook_event(std::string_view s) {
  for (std::size_t i = 0; i < webhook_event_names.size(); ++i)
    if (s == webhook_event_names[i]) return static_cast<webhook_event>(i);
  return std::nullopt;
}

const char* to_string(delivery_status s) {
  switch (s) {
    case delivery_status::pending: return "pending";
    case delivery_status::delivered: return "delivered";
    case delivery_status::failed: return "failed";
  }
  return "pending";
}

std::optional<delivery_status> parse_delivery_status(std::string_view s) {
  if (s == "pending") return delivery_status::pending;
  if (s == "delivered") return delivery_status::delivered;
  if (s == "failed") return delivery_status::failed;
  return std::nullopt;
}

}  // namespace sorak
