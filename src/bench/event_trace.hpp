// event_trace.hpp: the events fanout and slow trace (issue 19's saturation
// clause "each viewer has every gift and moderation event"): gifts, which
// the senders send among their chat lines (--gift-share), and deletions,
// which a moderator makes over REST during the run (--delete-rate,
// moderator.hpp). A viewer keeps the key of every one it reads
// (viewer_session); after the run count_owed() says which were owed to it
// and which it did not read. The server thins a slow viewer by leaving chat
// lines out, never these, so a thinned viewer must still have them all.
//
// Pure functions and value types; any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "bench/engine.hpp"

namespace sorak::bench {

// An event as it was sent: its key (gift_key() of a gift's stamp, or
// deletion_key() of the deleted message's id) and when (CLOCK_MONOTONIC ns:
// a gift's send stamp, or the moment the moderator asked for a deletion).
struct traced_event {
  std::uint64_t key = 0;
  std::int64_t t_ns = 0;
};

// A 64-bit key for a message id (FNV-1a): viewers keep keys, not strings.
std::uint64_t deletion_key(std::string_view message_id);

// The deleted message's id in a `message_deleted` event
// ({"type":"message_deleted","data":{"message_id":"…"}}, docs/api.md);
// false for any other frame.
bool find_deleted_id(std::string_view payload, std::string_view& message_id);

struct owed_count {
  std::uint64_t owed = 0;           // (viewer, event) pairs that had to be read
  std::uint64_t delivered = 0;      // … of which the viewer read
  std::uint64_t viewers = 0;        // sessions counted
  std::uint64_t viewers_short = 0;  // … of which missed at least one
  std::uint64_t missing() const { return owed - delivered; }
};

// Every event is owed to every session that was ready when it was sent
// (t ≥ joined) and still open `grace_ns` after it (t ≤ left − grace; a
// session still open at the end has left_ns 0 and `end_ns` stands in): one
// sent just before a viewer was cut may have been on its way. `read` picks
// the keys a session read (&viewer_session::gifts or ::deletions). Events
// are counted once per key (several senders may report one gift); a key a
// viewer read twice counts once. Sessions in `only_role` alone when it is
// set (the stalled viewers of slow, counted apart).
owed_count count_owed(const std::vector<viewer_session>& sessions, std::vector<traced_event> events,
                      std::vector<std::uint64_t> viewer_session::*read, std::int64_t grace_ns, std::int64_t end_ns,
                      const conn_role* only_role = nullptr);
// The same over the sessions `counted` picks (platform: one stream's viewers,
// count_gifts in platform_plan.hpp).
owed_count count_owed_where(const std::vector<viewer_session>& sessions, std::vector<traced_event> events,
                            std::vector<std::uint64_t> viewer_session::*read, std::int64_t grace_ns,
                            std::int64_t end_ns, const std::function<bool(const viewer_session&)>& counted);

}  // namespace sorak::bench
