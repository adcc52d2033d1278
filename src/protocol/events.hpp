// events.hpp: server → client WebSocket events as JSON text (CONTRACT §5).
//
// Each function returns the complete event, ready to frame. Message payloads
// are passed in already encoded (encode_message) so a message is serialized
// once however many events and viewers carry it. Pure; any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sorak/result.hpp"
#include "sorak/types.hpp"

namespace sorak {

using shared_json = std::shared_ptr<const std::string>;

std::string message_event(std::string_view encoded_message);
std::string message_deleted_event(std::string_view message_id);
// `{"type":"pinned","data":Message}`, or `"data":null` when `encoded_message`
// is empty (nothing is pinned).
std::string pinned_event(std::string_view encoded_message);
// `{"type":"poll","data":Poll}` (encoded_poll: json_codec to_json(poll)).
std::string poll_event(std::string_view encoded_poll);
// To the voter alone: `{"type":"voted","data":{"poll_id":"…","option":N}}`.
std::string voted_event(std::string_view poll_id, long long option);
std::string chat_cleared_event(std::string_view user_id);
std::string stream_status_event(stream_status s);
std::string viewer_count_event(std::int64_t count);
std::string pong_event();
// `{"type":"skipped","data":{"count":N,"from_id":…,"to_id":…}}`: chat lines a
// slow viewer was spared (the first and last of them); it may read them from
// REST history.
std::string skipped_event(std::int64_t count, std::string_view from_id, std::string_view to_id);
std::string ack_event(std::string_view client_id, std::string_view id, millis created_at);
// {"type":"error","message":…,"code":…} plus the top-level number the error's
// row in error_table names (retry_after_ms or seconds_left), if any.
std::string error_event(const error& e);
// {"type":"history","data":[…]} with "recovered" when `recovered` is set.
// `message_events` are message_event() texts; their data parts are joined.
std::string history_event(const std::vector<shared_json>& message_events, std::optional<bool> recovered);

}  // namespace sorak

namespace sorak {
// The REST history page {"messages":[…],"has_more":…,"next_cursor":…} joined
// from message_event() texts, without decoding them.
std::string history_page_json(const std::vector<shared_json>& message_events, bool has_more,
                              std::string_view next_cursor);
// The `data` part of an event made by message_event(), without copying.
std::string_view message_event_data(std::string_view message_event_json);
}  // namespace sorak
