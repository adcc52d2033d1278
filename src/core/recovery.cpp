#include "core/recovery.hpp"

#include <limits>

#include "protocol/events.hpp"
#include "protocol/json_codec.hpp"

namespace sorak {

std::optional<std::vector<message>> store_part_for_since(const room& r, store& st, std::string_view since,
                                                          const recovery_limits& lim) {
  if (r.after(since, lim.recovery_max).found) return std::nullopt;
  auto older = st.after(r.stream_id(), since, static_cast<int>(lim.recovery_max) + 1);
  if (!older) return std::vector<message>{};  // unknown id: not recoverable
  return std::move(*older);
}

namespace {

// The store's part up to where the ring starts, then the ring. Not exact when
// the store's part was cut at the limit, or the ring has moved past the
// newest message the store returned since it was read.
history_snapshot merge(const room& r, const std::vector<message>& older, const recovery_limits& lim, bool& exact) {
  auto ring = r.latest(std::numeric_limits<std::size_t>::max());
  const auto oldest_ring = r.oldest_recent();
  history_snapshot snap;
  snap.seq = ring.seq;
  exact = !older.empty() && older.size() <= lim.recovery_max;
  if (exact && oldest_ring && older.back().created_at < *oldest_ring && !r.ring_holds_all()) exact = false;
  if (!exact) return snap;
  for (const auto& m : older) {
    if (oldest_ring && m.created_at >= *oldest_ring) break;  // the ring has it
    snap.message_events.push_back(std::make_shared<const std::string>(message_event(encode_message(m))));
  }
  for (auto& e : ring.message_events) snap.message_events.push_back(std::move(e));
  exact = snap.message_events.size() <= lim.recovery_max;
  return snap;
}

}  // namespace

history_snapshot recover_since(const room& r, std::string_view since, const std::optional<std::vector<message>>& older,
                               const recovery_limits& lim, bool& recovered) {
  auto snap = r.after(since, lim.recovery_max);
  recovered = snap.found;
  if (!recovered && older) snap = merge(r, *older, lim, recovered);
  if (!recovered) snap = r.latest(lim.history_on_connect);
  return snap;
}

}  // namespace sorak
