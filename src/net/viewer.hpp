// viewer.hpp: one open chat connection as its room's audience sees it.
//
// A viewer belongs to exactly one worker thread; audiences (net/audience.hpp)
// call it only on that thread (the fan-out posts one task per worker per
// event, never one per viewer; the task appends the event to the room's round
// on that worker, and the worker's next flush seals the round and hands it to
// each viewer).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sorak/types.hpp"

namespace sorak {

// A ready-to-send frame, immutable and shared by every viewer that sends it.
using frame_bytes = std::shared_ptr<const std::string>;

// One event of a round: its room sequence number and where its frame ends in
// the round's bytes.
struct round_mark {
  std::uint64_t seq = 0;
  std::size_t end = 0;
  // A plain chat line (message_type message): what a thinned viewer may be
  // spared (net/ws_session.cpp); null for everything else (gifts, moderation,
  // deletions, pins, polls, status), which every viewer gets.
  std::shared_ptr<const message> chat;
};

// A round: the frames of one room's consecutive events that arrived on a
// worker between two of its flushes, back to back in one buffer shared by
// every viewer of the room on that worker. A viewer queues the round as one
// frame (one iovec per write, one queue entry per round, not per event).
//
// Viewers that negotiated permessage-deflate queue the round's deflated
// counterpart instead: the same events in the same order, each frame deflated
// once (RSV1; left plain where deflating does not make it smaller), made on
// the first such viewer's delivery and shared by the rest. Offsets into
// `bytes` (every `start` below) are event boundaries, and the boundary after
// the k-th event maps to the one after the k-th deflated frame. Viewers whose
// client keeps its inflater's window (most: browsers, Node's ws) queue the
// round's chain instead when they get it whole: the same events as one
// DEFLATE stream (protocol/ws_deflate.hpp, deflate_chain), where a chat line
// costs a fraction of a lone one because its envelope repeats the line before
// it. Made once per round too; only valid whole.
struct sealed_round {
  frame_bytes bytes;
  std::vector<round_mark> marks;  // in seq order, each end > the previous

  std::size_t start_for(std::size_t offset, std::uint64_t history_seq) const;
  std::size_t events_from(std::size_t start) const;
  // The deflated counterpart of `bytes`, made once.
  const frame_bytes& deflated() const;
  // The round as one deflate chain, made once: for a viewer that gets the
  // whole round (start 0) and negotiated a chain (deflate_terms::chain).
  const frame_bytes& chained() const;
  // Where the boundary `start` of `bytes` is in deflated().
  std::size_t deflated_offset(std::size_t start) const;
  // The round's frames from `start` (a boundary) without its chat lines, for a
  // viewer being thinned; from 0 made once and shared by every such viewer of
  // the round (null when nothing is left). `dropped` gets the chat lines left
  // out. `deflate`: taken from deflated() (its own shared copy from 0).
  frame_bytes essentials(std::size_t start, std::vector<const round_mark*>& dropped, bool deflate = false) const;

 private:
  mutable frame_bytes essentials_[2];  // from 0, once made: plain, deflated
  mutable bool essentials_made_[2] = {false, false};
  mutable frame_bytes deflated_;                 // once made
  mutable frame_bytes chained_;                  // once made
  mutable std::vector<std::size_t> deflated_ends_;  // per mark, its end in deflated_
};

// Where a viewer's share of a round starts: past `offset` (bytes of the round
// it already queued) and past every event with seq <= `history_seq` (events it
// was sent in its history snapshot). Always an event boundary.
std::size_t round_start(const std::vector<round_mark>& marks, std::size_t offset, std::uint64_t history_seq);
// The events whose frames begin at or after `start` (a boundary).
std::size_t round_events_from(const std::vector<round_mark>& marks, std::size_t start);

inline std::size_t sealed_round::start_for(std::size_t offset, std::uint64_t history_seq) const {
  return round_start(marks, offset, history_seq);
}
inline std::size_t sealed_round::events_from(std::size_t start) const { return round_events_from(marks, start); }

class viewer {
 public:
  // This viewer's position in its room's list on its worker; kept by audience so
  // that leaving is O(1). Not for anyone else to touch.
  std::size_t room_slot = 0;
  // Bytes of the room's open round (on this worker) this viewer has already
  // queued or must not get: set by audience when it joins mid-round or catches
  // up (audience::take_round_tail), back to 0 when the round is sealed. The
  // audience's alone.
  std::size_t round_offset = 0;

  // A sealed round of this viewer's room: the viewer queues its share,
  // round.start_for(round_offset, <its history seq>) to the end.
  virtual void deliver_round(const sealed_round& round) = 0;
  // A viewer_count event; a viewer skips a count equal to the last one it got
  // (it is sent the count on connect, so the next periodic one may repeat it).
  // Counts are snapshots: they need no order against a round's events.
  // `deflated`: the same event for viewers with permessage-deflate, made once.
  virtual void deliver_viewer_count(const frame_bytes& frame, const frame_bytes& deflated, std::int64_t count) = 0;

 protected:
  ~viewer() = default;
};

}  // namespace sorak
