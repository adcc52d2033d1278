// chat_line.hpp: one chat message or event as one line of terminal text, in
// the display format of the Showroom seed (`formatShowroomChatMessage`):
//
//   💬 [10:05:30] 💎Lv.12 Alice: hello
//   🎁 [10:05:31] Lv.3 Bob sent 5x Star (50 stars)
//
// 💎 only for premium users; the time is the message's created_at in the
// chosen zone. Other events become short lines starting with `·`.
//
// Pure functions (the local zone is read through localtime_r): any thread may
// call them.
#pragma once

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <vector>

namespace sorak::client {

enum class display_zone { local, utc };

// A Message object (docs/api.md) → its line, without a newline.
std::string format_chat_line(const boost::json::object& message, display_zone zone = display_zone::local);

// The line shown above a reply (CONTRACT §12): "   ↩ Alice: what song is…", the
// parent's author and the start of its text (at most 40 code points), or
// "   ↩ (deleted message)" when `parent` is null (deleted, or not found).
std::string format_reply_quote(const boost::json::object* parent);

// A Poll object (docs/api.md) as lines: the question and its state, then a
// bar per option:
//   📊 Next song? (8 votes, open until 10:06:30)
//      Aitakatta        ███████░░░░░░░░░░░░░  3  38%
std::vector<std::string> format_poll_lines(const boost::json::object& poll, display_zone zone = display_zone::local);

// A server→client WebSocket event → its line, or nullopt for events with
// nothing to show (history, ack, pong, unknown types). `message` events are
// formatted by format_chat_line().
std::optional<std::string> format_event_line(const boost::json::object& event,
                                             display_zone zone = display_zone::local);

}  // namespace sorak::client
