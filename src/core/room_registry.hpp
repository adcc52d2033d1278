// room_registry.hpp: the rooms open on this node, by stream id and room id.
//
// open() loads a room from the store on first use (the stream, its ring of
// recent messages, tombstones, the moderation state, one walk over the
// stream's messages for its statistics, then the newest created_at) and keeps
// it. The store reads happen with no registry lock held: while a room loads
// it is "opening", and events the broker delivers for it meanwhile are kept
// and applied, in order, once it has loaded (what the load already read
// changes nothing: room::apply). So opening a long stream never stalls
// delivery to any other room; callers opening the same room wait for the one
// load, callers of other rooms never do.
//
// close_idle() closes rooms that nobody holds (no viewer, no request, no
// message in flight: the registry's is the only reference) and that no event
// has reached for the idle time; their memory goes back, their viewer figures
// (which the store does not have) are kept, and the next open() loads them
// again from the store.
//
// Thread-safety: every method may be called from any thread. open() blocks on
// store reads: call it off the event-loop threads (net's blocking pool).
// Lock order: an opening room's mutex, then the registry's; the registry's
// lock is never held while calling out.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/room.hpp"
#include "sorak/broker.hpp"
#include "sorak/result.hpp"
#include "sorak/store.hpp"

namespace sorak {

class room_registry {
 public:
  // `br`, when given, is told which streams this node needs (subscribe on
  // open, unsubscribe on close). `node_id` names this node's viewer counts.
  room_registry(store& st, std::size_t ring_capacity, std::string node_id = "local", broker* br = nullptr);

  // `id` is a stream id, or a room id (all digits). 404 stream_not_found.
  // Blocks while the room loads (its own load or another caller's).
  result<std::shared_ptr<room>> open(std::string_view id);
  // The room if it is open on this node, else null. Never waits.
  std::shared_ptr<room> find(std::string_view stream_id) const;
  // The same by stream id or room id, marking the room used (as open() does).
  std::shared_ptr<room> find_open(std::string_view id);
  std::vector<std::shared_ptr<room>> all() const;
  std::size_t size() const;

  // The room an event applies to: the open room (the caller applies it under
  // its event_mutex), or null when the room is not open here, or is opening
  // (then the event is kept and applied when it has loaded).
  std::shared_ptr<room> route(const room_event& ev);

  // Closes every room unused since `now - idle_ms` that only the registry
  // holds. Returns how many it closed.
  std::size_t close_idle(millis now, millis idle_ms);

  const std::string& node_id() const { return node_id_; }
  // Viewers of a stream (by stream id) on every node: the open room's total,
  // or, with no room here, what the other nodes count (the broker's).
  std::int64_t viewers(std::string_view stream_id) const;

 private:
  struct opening {
    std::mutex mutex;
    std::condition_variable done_cv;
    bool done = false;                      // GUARDED_BY(mutex)
    result<std::shared_ptr<room>> outcome;  // GUARDED_BY(mutex), once done
    std::vector<room_event> kept;           // GUARDED_BY(mutex): events that arrived while it loaded
    opening() : outcome(error(errc::internal, "room still opening")) {}
  };
  struct entry {
    std::shared_ptr<room> open;
    std::shared_ptr<opening> loading;
  };

  // The entry of a stream id or room id, or null. REQUIRES: mutex_ held.
  const entry* lookup(std::string_view id) const;
  result<stream> resolve(std::string_view id);
  result<std::shared_ptr<room>> wait_for(const std::shared_ptr<opening>& o);
  result<std::shared_ptr<room>> load(const stream& s, const std::shared_ptr<opening>& o);
  std::shared_ptr<room> build(const stream& s);
  // Restores the stream's statistics baseline, then records every stored message.
  void fill_stats(const std::string& stream_id, stream_stats& stats);
  void finish(const stream& s, const std::shared_ptr<opening>& o, result<std::shared_ptr<room>> outcome);

  store& store_;
  const std::size_t ring_capacity_;
  const std::string node_id_;
  broker* broker_;
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, entry> rooms_;         // GUARDED_BY(mutex_), by stream id
  std::unordered_map<std::string, std::string> by_room_;  // GUARDED_BY(mutex_), room id → stream id, open rooms
  std::unordered_map<std::string, viewer_samples> closed_viewers_;  // GUARDED_BY(mutex_), by stream id
};

// True when `id` looks like a room id (a decimal number) rather than a stream id.
bool is_room_id(std::string_view id);

}  // namespace sorak
