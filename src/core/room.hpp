// room.hpp: the live state of one stream's chat on this node.
//
// A room holds (1) the stream as last seen, (2) a ring of its most recent
// messages, each kept as its encoded `message` event, which serves history on
// connect and `since=` recovery without a database read, (3) the clock that
// makes created_at strictly increasing, (4) the client_id de-duplication table,
// (5) per worker, the list of that worker's local viewers and (6) its
// moderation state (badges, timeouts, bans, slow mode; core/moderation_state.hpp).
//
// Thread-safety and lock order (docs/locking.md): submit_mutex() is held
// across store.append, whose callback may run inline and publish, so the
// order is submit → dedup, submit → fanout → ring; info_mutex_ is taken
// alone. Only submit is held while calling out. The local viewer list of worker w is touched only on worker
// w's thread; its size is mirrored in an atomic so the fan-out can skip
// workers without viewers.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/moderation_state.hpp"
#include "core/stream_stats.hpp"
#include "core/viewer.hpp"
#include "sorak/result.hpp"
#include "sorak/types.hpp"

namespace sorak {

using shared_json = std::shared_ptr<const std::string>;

struct ack_info {
  std::string id;
  millis created_at = 0;
};
using ack_callback = std::function<void(const result<ack_info>&)>;

struct history_snapshot {
  std::vector<shared_json> message_events;  // oldest first
  std::uint64_t seq = 0;                    // last room event included
  bool found = true;                        // for after(): the id was in the ring
  std::string first_id;                     // latest_page(): id of the oldest message in it
};

class room {
 public:
  room(stream info, std::size_t worker_count, std::size_t ring_capacity, const std::vector<message>& recent);
  room(const room&) = delete;
  room& operator=(const room&) = delete;

  const std::string& stream_id() const { return stream_id_; }

  // ---- stream state -------------------------------------------------------
  stream info() const;
  void set_info(const stream& s);
  bool ended() const { return ended_.load(std::memory_order_acquire); }

  // ---- sending (callers hold submit_mutex() across stamp and store append,
  // so messages reach the store in created_at order) -----------------------
  std::mutex& submit_mutex() { return submit_mutex_; }
  // REQUIRES: submit_mutex() held. Strictly increasing: max(now, last + 1).
  millis next_created_at(millis now);
  // Makes every later created_at greater than `t` (the newest stored one,
  // deleted messages included). REQUIRES: submit_mutex() held.
  void advance_clock(millis t) { last_created_at_ = std::max(last_created_at_, t); }

  // ---- moderation ---------------------------------------------------------
  moderation_state& moderation() { return moderation_; }
  const moderation_state& moderation() const { return moderation_; }

  // ---- analytics (core/stream_stats.hpp: filled when the room opens, then
  // once per committed message; its own lock) --------------------------------
  stream_stats& stats() { return stats_; }
  const stream_stats& stats() const { return stats_; }

  // client_id de-duplication (5 minutes). begin() returns true when the
  // message is new (the caller stores it and later calls commit or fail);
  // false when a message with this key is stored or in flight, in which case
  // `ack` runs (now, or when the first copy commits).
  bool dedup_begin(const std::string& key, millis now, ack_callback ack);
  // True when a message with this key is stored or in flight (then `ack` runs
  // as for dedup_begin); false, changing nothing, when the key is new.
  bool dedup_known(const std::string& key, millis now, ack_callback ack);
  void dedup_commit(const std::string& key, const ack_info& info);
  void dedup_fail(const std::string& key, const error& e);
  void dedup_sweep(millis now);
  static std::string dedup_key(std::string_view user_id, std::string_view client_id);

  // ---- events (called by the fan-out, in event order) ---------------------
  // Held by the fan-out across recording an event and posting it to the
  // workers, so workers receive a room's events in sequence order.
  std::mutex& fanout_mutex() { return fanout_mutex_; }
  // Adds a committed message to the ring. Returns its event sequence number,
  // or 0 when the ring already holds it (created_at not after the newest).
  std::uint64_t record_message(std::shared_ptr<const message> m, shared_json message_event);
  std::uint64_t record_deletion(std::string_view message_id);
  // Drops every ring message of `user_id` (a purge: chat_cleared).
  std::uint64_t record_clear(std::string_view user_id);
  // Remembers where deleted messages were (loaded with the ring when the room
  // opens: deleted messages newer than its oldest message), so that after()
  // finds them.
  void add_tombstones(const std::vector<message>& deleted);
  std::uint64_t record_other();

  // ---- reads for new connections -----------------------------------------
  history_snapshot latest(std::size_t n) const;
  // Every ring message after `message_id` (at most max); found=false when the
  // id is not in the ring (a message deleted from the ring is still found).
  history_snapshot after(std::string_view message_id, std::size_t max) const;
  // REST history's first page from the ring when the ring can answer it: it
  // holds more than `limit` messages, or every message of the stream. Then
  // `has_more` tells whether older ones exist. Otherwise nullopt (ask the store).
  std::optional<history_snapshot> latest_page(std::size_t limit, bool& has_more) const;
  // The Showroom feed (store::chat_feed's contract: chat and gift messages
  // only, deleted ones left out) from the ring when the ring can answer:
  // without `since` the newest `limit`; with it the `limit` oldest whose
  // created_at is after *since, which the ring knows when it holds every
  // message of the stream or its oldest message is not after *since.
  // Oldest first, with the ring's seq; nullopt means ask the store.
  struct feed_snapshot {
    std::vector<std::shared_ptr<const message>> messages;  // oldest first
    std::uint64_t seq = 0;
  };
  std::optional<feed_snapshot> feed(std::size_t limit, std::optional<millis> since) const;
  // ---- views of the newest messages, built once per change -----------------
  // The REST first page and the history frame sent on connect are the same
  // bytes for every caller until the next room event, so each is built once
  // (by `build`, from a snapshot it takes) and shared until seq moves on.
  // A view with a null body (the ring could not answer) is not kept.
  enum class view { rest_page, connect_history, showroom_feed };
  struct cached_view {
    shared_json body;
    std::uint64_t seq = 0;  // the snapshot's seq: every event up to it is in body
  };
  using view_builder = std::function<cached_view()>;
  cached_view cached(view v, std::size_t limit, const view_builder& build) const;
  std::uint64_t seq() const;

  // The oldest created_at in the ring, or nullopt when empty.
  std::optional<millis> oldest_recent() const;
  std::optional<message> find_recent(std::string_view message_id) const;

  // ---- local viewers (per worker) -----------------------------------------
  // REQUIRES: on worker w's thread.
  void add_viewer(std::size_t w, viewer* v);
  void remove_viewer(std::size_t w, viewer* v);
  const std::vector<viewer*>& viewers(std::size_t w) const { return locals_[w].list; }
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
  std::int64_t viewer_total() const { return total_.load(std::memory_order_relaxed); }
  // The count last broadcast as viewer_count (used by the periodic sender).
  std::atomic<std::int64_t>& last_sent_viewer_count() { return last_sent_count_; }

  // ---- rounds (per worker) -------------------------------------------------
  // The events that reached worker w since its last flush, their frames back
  // to back. REQUIRES: on worker w's thread, like the viewer list.
  // Appends one event's frame; true when the round was empty (the caller
  // schedules the worker's flush, which seals it).
  bool append_to_round(std::size_t w, std::string_view frame, std::uint64_t seq);
  // Hands the round to every viewer of worker w as one shared buffer and
  // starts a new one.
  void seal_round(std::size_t w);
  // What `v` has not queued of the open round (past its history seq), for a
  // viewer about to queue a frame of its own after them; `v` then counts as
  // having queued the whole round. Valid until the round changes. `events`
  // gets the number of events in it.
  std::string_view take_round_tail(std::size_t w, viewer* v, std::uint64_t history_seq, std::size_t& events);

 private:
  // Finds a live entry (acking or queueing `ack`); else claims the key when
  // `claim`. Returns whether the key was known.
  bool dedup_lookup(const std::string& key, millis now, ack_callback ack, bool claim);
  // REQUIRES: ring_mutex_ held. Removes ring entries matching `pred`, keeping tombstones.
  template <class Pred>
  void erase_from_ring(Pred pred);

  struct recent_entry {
    std::shared_ptr<const message> msg;
    shared_json event;
  };
  struct dedup_entry {
    bool committed = false;
    ack_info info;
    millis expires_at = 0;
    std::vector<ack_callback> waiters;
  };
  struct alignas(64) local_list {
    std::vector<viewer*> list;
    std::atomic<std::size_t> count{0};
    std::string round;                    // the open round's frames
    std::vector<round_mark> round_marks;  // its events
  };

  const std::string stream_id_;
  const std::size_t ring_capacity_;

  mutable std::mutex info_mutex_;
  stream info_;
  std::atomic<bool> ended_{false};

  std::mutex submit_mutex_;
  millis last_created_at_ = 0;  // GUARDED_BY(submit_mutex_)

  std::mutex dedup_mutex_;
  std::unordered_map<std::string, dedup_entry> dedup_;  // GUARDED_BY(dedup_mutex_)

  std::mutex fanout_mutex_;
  mutable std::mutex ring_mutex_;
  std::deque<recent_entry> ring_;  // GUARDED_BY(ring_mutex_), oldest first
  bool ring_complete_ = false;     // GUARDED_BY(ring_mutex_): holds every message of the stream
  std::uint64_t seq_ = 0;          // GUARDED_BY(ring_mutex_)
  // Deleted messages that were in the ring, id → created_at, so a `since=`
  // naming one still finds its place. GUARDED_BY(ring_mutex_); pruned as the
  // ring moves past them.
  std::unordered_map<std::string, millis> tombstones_;

  moderation_state moderation_;
  stream_stats stats_;

  struct view_slot {
    std::uint64_t seq = 0;
    std::size_t limit = 0;
    shared_json body;
  };
  mutable std::mutex view_mutex_;         // never held while ring_mutex_ is taken
  mutable std::array<view_slot, 3> views_;  // GUARDED_BY(view_mutex_), by view

  std::unique_ptr<local_list[]> locals_;
  std::atomic<std::int64_t> total_{0};
  std::atomic<std::int64_t> last_sent_count_{-1};
};

inline constexpr millis client_id_window_ms = 5 * 60 * 1000;

}  // namespace sorak
