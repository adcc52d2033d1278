// moderation_request.hpp: what the moderation routes read from a request:
// the caller as a moderation actor (401 without credentials) and typed body
// fields (400 `invalid_field` with a sentence naming the field).
// Pure apart from reading services; any thread.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "net/services.hpp"
#include "core/moderation_service.hpp"
#include "http/message.hpp"

namespace sorak {

// The caller; a user's profile is remembered (their global badges count for
// the badges endpoint and for how moderators may treat them).
result<mod_actor> moderation_actor(const http_request& req, services& svc);

// A user id: a string of 1 to 64 characters. Required.
result<std::string> user_id_field(const boost::json::object& body);
// An optional string of at most max_bytes (null or absent → "").
result<std::string> optional_text_field(const boost::json::object& body, std::string_view key, std::size_t max_bytes);
// An optional whole number / boolean (absent or null → nullopt).
result<std::optional<std::int64_t>> optional_int_field(const boost::json::object& body, std::string_view key);
result<std::optional<bool>> optional_bool_field(const boost::json::object& body, std::string_view key);

}  // namespace sorak
