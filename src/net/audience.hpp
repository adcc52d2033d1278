// audience.hpp: who watches one room on this node, per worker, and the
// rounds that carry the room's events to them.
//
// One audience per open stream on this node (fanout keeps them). For each
// worker it holds that worker's local viewers and the room's open round there:
// the frames of the room's events that reached the worker since its last
// flush, back to back. The worker's flush seals the round into one shared
// buffer that every local viewer queues as one entry (net/viewer.hpp).
//
// Thread-safety: the list and the round of worker w are touched only on
// worker w's thread; their size is mirrored in an atomic so the fan-out (any
// thread) can skip workers without viewers. The room's count of this node's
// viewers (room::viewers_here) is kept up to date here.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/room.hpp"
#include "net/viewer.hpp"

namespace sorak {

class audience {
 public:
  audience(std::shared_ptr<room> r, std::size_t worker_count);
  audience(const audience&) = delete;
  audience& operator=(const audience&) = delete;

  // The room's domain state (core). The audience holds it, so the registry
  // cannot close a room while an audience of it exists.
  const std::shared_ptr<room>& the_room() const { return room_; }
  const std::string& stream_id() const { return room_->stream_id(); }

  // ---- viewers (per worker) ------------------------------------------------
  // REQUIRES: on worker w's thread.
  void add_viewer(std::size_t w, viewer* v);
  void remove_viewer(std::size_t w, viewer* v);
  // Calls f(viewer*) for each viewer of worker w. f may make the viewer leave
  // (a cut closes it), which swaps the last one into its place: none is skipped.
  template <class F>
  void for_each_viewer(std::size_t w, F f) {
    const auto& list = locals_[w].list;
    for (std::size_t i = 0; i < list.size();) {
      viewer* v = list[i];
      f(v);
      if (i < list.size() && list[i] == v) ++i;
    }
  }
  bool has_viewers(std::size_t w) const { return locals_[w].count.load(std::memory_order_acquire) > 0; }
  // Viewers on this node, every worker.
  std::int64_t total() const { return total_.load(std::memory_order_relaxed); }

  // ---- rounds (per worker) ---------------------------------------------------
  // REQUIRES: on worker w's thread. Appends one event's frame; true when the
  // round was empty (the caller schedules the worker's flush, which seals it).
  // `chat`: the message when the event is a plain chat line (a thinned viewer
  // may be spared it), null otherwise.
  bool append_to_round(std::size_t w, std::string_view frame, std::uint64_t seq,
                       std::shared_ptr<const message> chat = nullptr);
  // Hands the round to every viewer of worker w as one shared buffer and
  // starts a new one.
  void seal_round(std::size_t w);
  // What `v` has not queued of the open round (past its history seq), for a
  // viewer about to queue a frame of its own after them; `v` then counts as
  // having queued the whole round. Valid until the round changes. `events`
  // gets the number of events in it.
  std::string_view take_round_tail(std::size_t w, viewer* v, std::uint64_t history_seq, std::size_t& events);

 private:
  struct alignas(64) local_list {
    std::vector<viewer*> list;
    std::atomic<std::size_t> count{0};
    std::string round;                    // the open round's frames
    std::vector<round_mark> round_marks;  // its events
  };

  const std::shared_ptr<room> room_;
  std::unique_ptr<local_list[]> locals_;
  std::atomic<std::int64_t> total_{0};
};

}  // namespace sorak
