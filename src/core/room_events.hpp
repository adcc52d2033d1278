// room_events.hpp: the room_event of each kind of change (sorak/broker.hpp),
// built in one place so that every publisher fills the same fields and
// encodes the viewers' JSON the same way.
//
// Thread-safety: plain functions of their arguments.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <vector>

#include "sorak/broker.hpp"
#include "sorak/store.hpp"
#include "sorak/types.hpp"

namespace sorak {

class room;

// A committed message; `json` is its `message` event, encoded once.
room_event message_posted(std::shared_ptr<const message> msg, std::shared_ptr<const std::string> json);
room_event message_deleted(std::string_view stream_id, std::string_view message_id);
room_event chat_cleared(std::string_view stream_id, std::string_view user_id);
// The stream as stored now; viewers get a `stream_status` event when
// `status_changed`, nothing otherwise (settings speak through notices).
room_event stream_changed(const stream& s, bool status_changed);
room_event badge_changed(std::string_view stream_id, std::string_view user_id, std::optional<stream_badge> badge);
room_event sanction_imposed(const sanction& s);
room_event sanction_lifted(std::string_view stream_id, std::string_view user_id, sanction_kind kind);
// Every badge, sanction and blocked term of the stream as stored (a node's
// read-back after a broker outage); viewers are not told.
room_event moderation_reloaded(std::string_view stream_id, std::vector<badge_grant> badges, std::vector<sanction> sanctions,
                               std::vector<blocked_term> terms);
// The stream's blocked terms after one was added or removed; viewers are not told.
room_event terms_changed(std::string_view stream_id, std::vector<blocked_term> terms);
// A poll as stored now (opened, counted, closed); viewers get a `poll` event
// with its status at `now`.
room_event poll_changed(std::shared_ptr<const poll> p, millis now);
// The message pinned now (null: none); viewers get a `pinned` event.
room_event pin_changed(std::string_view stream_id, std::shared_ptr<const message> pinned);
// The events that bring the open room `r` to what the store holds (the broker's
// message_source::state): the stream as stored (a `stream_status` event when
// its status differs from the room's), its badges, sanctions and blocked
// terms, its pin (a `pinned` event when it differs from the room's), its
// newest poll (a `poll` event when the room shows another state of it), and a
// deletion of each message the room shows that the store has deleted.
// Throws what the store throws.
std::vector<room_event> state_of(const room& r, store& st);
// The stream's pinned message as stored, null when there is none or it has
// been deleted since. Throws what the store throws.
std::shared_ptr<const message> pinned_message(store& st, std::string_view stream_id);

}  // namespace sorak
