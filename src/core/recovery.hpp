// recovery.hpp: the history a connecting viewer is sent, from the room's
// ring, else the store (seed 004 `since=`, CONTRACT §5).
//
// A viewer reconnecting with since=<message id> gets every message after it
// (at most recovery_max) and `recovered: true`, or the newest
// history_on_connect messages and `recovered: false` when that cannot be
// done exactly. The ring answers when it holds the id (or its tombstone);
// otherwise the store is read once, off the event loops
// (store_part_for_since), and the result merged with the ring on the
// viewer's worker after it has registered (recover_since), so nothing
// committed in between is missed or doubled (the snapshot's seq).
//
// Thread-safety: plain functions; the room and store are thread-safe.
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

}  // namespace sorak
