// webhook_json.hpp: what a webhook receiver is sent for a room_event
// (docs/api.md, "Webhooks"): which of the kinds it subscribes to the event is,
// and the JSON body, built from the same objects the WebSocket events carry.
//
// Thread-safety: plain functions of their arguments.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "sorak/broker.hpp"
#include "sorak/types.hpp"

namespace sorak {

// The kind a webhook subscribes to for `ev`; nullopt for what receivers are
// not sent (system and moderation notices, which repeat a moderation event;
// a node's read-back of moderation state).
std::optional<webhook_event> webhook_event_of(const room_event& ev);

// The body for one delivery:
// {"id":DELIVERY_ID,"event":"message","type":"message","stream_id":…,"occurred_at":RFC3339,"data":{…}}
// `type` names what happened within the kind (for `moderation`: timeout, ban,
// timeout_lifted, ban_lifted, badge, blocked_terms, pinned), `data` is what the
// WebSocket event of that change carries. REQUIRES: webhook_event_of(ev).
std::string webhook_body(std::string_view delivery_id, const room_event& ev, millis occurred_at);

}  // namespace sorak
