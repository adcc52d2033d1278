// room_reads.hpp: the reads the room's ring answers, else the store: the
// history a reconnecting viewer is sent (seed 004 `since=`), REST history's
// first page and the Showroom feed. Each tries the ring first and goes to the
// store only when the ring cannot answer exactly; the pages every caller
// shares are built once per room change (room::cached).
//
// `since=` (CONTRACT §5): a viewer reconnecting with since=<message id> gets every message after it
// (at most recovery_max) and `recovered: true`, or the newest
// history_on_connect messages and `recovered: false` when that cannot be
// done exactly. The ring answers when it holds the id (or its tombstone);
// otherwise the store is read once, off the event loops
// (store_part_for_since), and the result merged with the ring on the
// viewer's worker after it has registered (recover_since), so nothing
// committed in between is missed or doubled (the snapshot's seq).
//
// Thread-safety: plain functions; the room and store are thread-safe. Those
// taking a store may block on it: call them off the event loops.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "core/room.hpp"
#include "sorak/store.hpp"

namespace sorak {

struct recovery_limits {
  std::size_t recovery_max = 1000;
  std::size_t history_on_connect = 50;
};

// The store's messages after `since`, when the ring cannot answer (nullopt
// when it can). Blocking: call it off the event loops.
std::optional<std::vector<message>> store_part_for_since(const room& r, store& st, std::string_view since,
                                                          const recovery_limits& lim);

// The history for since=`since`; `older` is what store_part_for_since read.
// `recovered` tells whether it is exact. Call after the viewer registered.
history_snapshot recover_since(const room& r, std::string_view since, const std::optional<std::vector<message>>& older,
                               const recovery_limits& lim, bool& recovered);

// GET …/chat/history without `before`: the body (seed 004's page JSON), from
// the ring when it holds the page (built once per room change), else the
// store (whose error it passes on).
result<shared_json> first_history_page(const room& r, store& st, std::size_t limit);

// A page the store read (any `before`), as REST history's body.
std::string history_page_body(const history_page& page);

// The Showroom feed's chat_messages array, serialized (newest first): the
// ring when it can answer (the newest page built once per room change and
// shared by every poller), else the store's chat_feed.
shared_json showroom_feed(const room& r, store& st, std::size_t limit, std::optional<millis> since);

}  // namespace sorak
