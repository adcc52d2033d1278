// room.hpp: the live state of one stream's chat on this node (core: no
// sockets, no workers).
//
// A room holds (1) the stream as last seen, (2) a ring of its most recent
// messages, each kept as its encoded `message` event, which serves history on
// connect and `since=` recovery without a database read, (3) the clock that
// makes created_at strictly increasing, (4) the client_id de-duplication table,
// (5) its moderation state (badges, timeouts, bans, slow mode;
// core/moderation_state.hpp), (6) its statistics and (7) every node's count of
// its viewers. It is built from a room_snapshot read from the store
// (room_registry) and then changed only by apply(room_event): the events the
// broker delivers, the same on every node. Who watches it on this node, and
// on which worker, is net's business (net/audience.hpp).
//
// Thread-safety and lock order (docs/locking.md): submit_mutex() is held
// across store.append, whose callback may run inline and publish, so the
// order is submit → event → ring; dedup, info, view and the moderation and
// stats locks are taken alone. event_mutex() orders a room's events: apply()
// and the caller's posting to the workers happen under it.
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
#include <unordered_set>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "core/moderation_state.hpp"
#include "core/stream_stats.hpp"
#include "sorak/broker.hpp"
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

// What the store holds of a stream when its room opens (room_registry reads
// it without holding any lock that delivery needs).
struct room_snapshot {
  stream info;
  std::vector<message> recent;    // the newest ring_capacity messages, oldest first (deleted left out)
  std::vector<message> deleted;   // deleted messages newer than recent's oldest (tombstones)
  std::vector<badge_grant> badges;
  std::vector<sanction> sanctions;
  std::vector<blocked_term> terms;
  std::shared_ptr<const message> pinned;  // null: nothing pinned
  std::shared_ptr<const poll> poll_now;   // the stream's newest poll when it is open; else null
};

class room : public std::enable_shared_from_this<room> {
 public:
  // `others` (the broker), when given, counts the stream's viewers on the
  // other nodes (viewer_total adds them).
  room(room_snapshot snap, std::size_t ring_capacity, const broker* others = nullptr);
  // Ends loading: `last_created_at` is the newest stored message's (deleted
  // ones included), read BEFORE everything else, so later created_ats are
  // greater and events of messages up to it (kept while the room opened)
  // change nothing; later ones are applied, and those the reads also saw
  // are counted once (the ring and the statistics skip what they have).
  // REQUIRES: before the room is shared.
  void finish_loading(std::optional<millis> last_created_at);
  room(const room&) = delete;
  room& operator=(const room&) = delete;

  const std::string& stream_id() const { return stream_id_; }

  // ---- stream state -------------------------------------------------------
  stream info() const;
  // The user's role in this stream (moderation_state::role_of on the current
  // info), without copying the stream.
  stream_role role_of(std::string_view user_id, const std::vector<std::string>& global_badges) const;
  bool ended() const { return ended_.load(std::memory_order_acquire); }

  // ---- sending (callers hold submit_mutex() across stamp and store append,
  // so messages reach the store in created_at order) -----------------------
  std::mutex& submit_mutex() { return submit_mutex_; }
  // REQUIRES: submit_mutex() held. Strictly increasing: max(now, last + 1).
  millis next_created_at(millis now);

  // ---- moderation ---------------------------------------------------------
  moderation_state& moderation() { return moderation_; }
  const moderation_state& moderation() const { return moderation_; }

  // ---- the pinned message ------------------------------------------------------
  // Null when nothing is pinned.
  std::shared_ptr<const message> pinned() const;
  // Its `pinned` event (null when nothing is pinned), for a new connection
  // right after its history.
  shared_json pinned_event_json() const;

  // ---- polls (CONTRACT §12) -----------------------------------------------------
  // The newest poll this room was told of (open or closed), or null.
  std::shared_ptr<const poll> current_poll() const;
  // Its `poll` event while it is not closed (for a new connection, after its
  // history and pin); null otherwise.
  shared_json open_poll_event_json() const;
  // A vote was taken on this node: its counts go out at the next poll tick
  // (core/poll_service.hpp), however many votes came meanwhile.
  void mark_poll_dirty() { poll_dirty_.store(true, std::memory_order_release); }
  bool take_poll_dirty() { return poll_dirty_.exchange(false, std::memory_order_acq_rel); }

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
  // Drops the client_ids whose window has passed, at most once every
  // dedup_sweep_every_ms (other calls return at once).
  void dedup_sweep(millis now);
  std::size_t dedup_entries() const;  // client_ids held, live, in flight or not swept yet
  static std::string dedup_key(std::string_view user_id, std::string_view client_id);

  // ---- events: the only way the state changes --------------------------------
  // Held by whoever applies an event across apply() and handing the event to
  // the viewers, so viewers receive a room's events in sequence order.
  std::mutex& event_mutex() { return event_mutex_; }
  // Applies one event (broker.hpp). Returns the sequence number viewers know
  // it by, or 0 when they are not sent it (a state change without a frame of
  // its own, or a message the room already had when it was loaded).
  // REQUIRES: event_mutex() held.
  std::uint64_t apply(const room_event& ev);

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
  // connect_history_deflated: the same frame for viewers with permessage-deflate.
  enum class view { rest_page, connect_history, showroom_feed, connect_history_deflated };
  struct cached_view {
    shared_json body;
    std::uint64_t seq = 0;  // the snapshot's seq: every event up to it is in body
  };
  using view_builder = std::function<cached_view()>;
  cached_view cached(view v, std::size_t limit, const view_builder& build) const;
  std::uint64_t seq() const;

  // True when the ring holds every message of the stream.
  bool ring_holds_all() const;
  // The oldest created_at in the ring, or nullopt when empty.
  std::optional<millis> oldest_recent() const;
  std::optional<message> find_recent(std::string_view message_id) const;
  // The id of the oldest message in the ring, or nullopt when empty.
  std::optional<std::string> oldest_recent_id() const;

  // ---- viewers -------------------------------------------------------------
  // Viewers on every node: this node's live count (net/audience keeps it up
  // to date through viewers_here) plus what the other nodes last counted
  // (broker::viewers_elsewhere: live nodes only).
  std::int64_t viewer_total() const;
  std::atomic<std::int64_t>& viewers_here() { return viewers_here_; }
  // The count last sent to viewers as viewer_count (by the periodic sender).
  std::atomic<std::int64_t>& last_sent_viewer_count() { return last_sent_count_; }
  // The count this node last published (by the periodic sender).
  std::atomic<std::int64_t>& last_published_viewer_count() { return last_published_count_; }

  // ---- idle --------------------------------------------------------------------
  // When anyone last used the room (opened it, or an event reached it).
  millis last_active() const { return last_active_.load(std::memory_order_relaxed); }
  void touch(millis now) { last_active_.store(now, std::memory_order_relaxed); }

 private:
  void set_info(const stream& s);
  void set_pin(std::shared_ptr<const message> m, shared_json event);
  void set_poll(std::shared_ptr<const poll> p, shared_json event);
  void advance_clock(millis t);
  std::uint64_t apply_message(const room_event& ev);
  std::uint64_t record_message(std::shared_ptr<const message> m, shared_json message_event);
  std::uint64_t record_deletion(std::string_view message_id);
  std::uint64_t record_clear(std::string_view user_id);
  std::uint64_t record_other();
  void remember_committed(const message& m);
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
  const std::string stream_id_;
  const std::size_t ring_capacity_;
  const broker* const others_;
  // Messages created up to here were in the store when the room was loaded:
  // their events (buffered while it opened) change nothing.
  millis loaded_through_ = 0;

  mutable std::mutex info_mutex_;
  stream info_;
  std::shared_ptr<const message> pinned_;  // GUARDED_BY(info_mutex_)
  shared_json pinned_json_;                // GUARDED_BY(info_mutex_)
  std::shared_ptr<const poll> poll_;       // GUARDED_BY(info_mutex_)
  shared_json poll_json_;                  // GUARDED_BY(info_mutex_)
  std::atomic<bool> poll_dirty_{false};
  std::atomic<bool> slow_mode_on_{false};  // info_.settings.slow_mode_seconds > 0
  std::atomic<bool> ended_{false};

  std::mutex submit_mutex_;
  // The newest created_at stamped or seen. Written under submit_mutex_ by
  // next_created_at and, without it, raised by apply (a message from another
  // node): hence atomic, only ever raised.
  std::atomic<millis> last_created_at_{0};

  mutable std::mutex dedup_mutex_;
  // Open addressing: a busy room holds a window's worth of client_ids (at
  // 20 k messages/s over a node's rooms, millions), and each message looks
  // its key up two to four times.
  boost::unordered_flat_map<std::string, dedup_entry> dedup_;  // GUARDED_BY(dedup_mutex_)
  millis dedup_swept_at_ = 0;                                   // GUARDED_BY(dedup_mutex_)

  std::mutex event_mutex_;
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
  mutable std::array<view_slot, 4> views_;  // GUARDED_BY(view_mutex_), by view

  std::atomic<std::int64_t> viewers_here_{0};
  std::atomic<std::int64_t> last_sent_count_{-1};
  std::atomic<std::int64_t> last_published_count_{-1};
  std::atomic<millis> last_active_{0};
};

inline constexpr millis client_id_window_ms = 5 * 60 * 1000;
// How often a room's expired client_ids are dropped (a sweep walks them all;
// a lookup ignores an expired one anyway): an entry lives at most this much
// longer than its window.
inline constexpr millis dedup_sweep_every_ms = 30 * 1000;

}  // namespace sorak
