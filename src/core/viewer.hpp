// viewer.hpp: one open chat connection as a room sees it.
//
// A viewer belongs to exactly one worker thread; rooms call deliver() only on
// that thread (through the fan-out, which posts one task per worker per event,
// never one per viewer).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace sorak {

// A ready-to-send frame, immutable and shared by every viewer that sends it.
using frame_bytes = std::shared_ptr<const std::string>;

class viewer {
 public:
  // This viewer's position in its room's list on its worker; kept by room so
  // that leaving is O(1). Not for anyone else to touch.
  std::size_t room_slot = 0;

  // `seq` is the room's event sequence number: a viewer drops events it
  // already has in the history snapshot it was sent on connect.
  virtual void deliver(const frame_bytes& frame, std::uint64_t seq) = 0;
  // A viewer_count event; a viewer skips a count equal to the last one it got
  // (it is sent the count on connect, so the next periodic one may repeat it).
  virtual void deliver_viewer_count(const frame_bytes& frame, std::int64_t count) = 0;

 protected:
  ~viewer() = default;
};

}  // namespace sorak
