// ws_deflate.hpp: permessage-deflate (RFC 7692) as Sorak speaks it: always
// without context takeover in both directions, so every message is deflated
// and inflated on its own. That is what lets one compressed frame be shared
// by every viewer that negotiated the extension (net/viewer.hpp), and what
// lets one inflater per thread serve every connection of a worker: no
// compression state is kept per connection.
//
// negotiate_deflate() reads a client's Sec-WebSocket-Extensions offers and
// returns the response header value, or nothing when no offer can be honoured
// (the handshake then goes on without the extension; it never fails).
// deflate_message() and inflate_message() work on message payloads; the
// frame's RSV1 bit is the caller's (ws_frame.hpp).
//
// Thread-safety: pure functions; the deflate and inflate streams are
// thread_local, so any thread may call them.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace sorak {

// The value of the Sec-WebSocket-Extensions response that accepts the first
// permessage-deflate offer in `offers` (every Sec-WebSocket-Extensions header
// of the request, joined with ','), or nullopt when none can be honoured: an
// unknown or repeated parameter, a malformed value, or server_max_window_bits
// below 15 (the shared frames are made with a 32 KiB window).
std::optional<std::string> negotiate_deflate(std::string_view offers);

// Appends the raw DEFLATE of `payload` to `out`, with the final empty stored
// block's 00 00 ff ff left off (RFC 7692 §7.2.1), as one message with no
// context taken from or left for any other.
void deflate_message(std::string_view payload, std::string& out);

// Appends a text frame of `payload` to `out` for a connection that
// negotiated the extension: deflated with RSV1 set when that makes the frame
// smaller, else as is (the choice is per message, RFC 7692 §6). Returns true
// when it deflated.
bool append_deflated_text_frame(std::string& out, std::string_view payload);
// The same as a new shared frame.
std::shared_ptr<const std::string> make_deflated_text_frame(std::string_view payload);

enum class inflate_result { ok, too_big, corrupt };

// Replaces `out` with the inflated `compressed` (a message's payloads joined,
// without the 00 00 ff ff tail). Stops as soon as the output would pass
// `max_bytes` (too_big: a zip bomb costs at most max_bytes of memory);
// corrupt for data that is not DEFLATE or does not end where it should.
inflate_result inflate_message(std::string_view compressed, std::size_t max_bytes, std::string& out);

}  // namespace sorak
