// room_registry.hpp: the rooms open on this node, by stream id and room id.
//
// open() loads a room from the store on first use (the stream, its ring of
// recent messages, the newest created_at, the moderation state and, in one
// walk over the stream's messages, its statistics) and keeps it. Thread-safety: all methods may be called
// from any thread. Opening holds the registry lock exclusively across its
// store reads, so an event for a room being opened waits in find() until the
// ring is loaded and is then recorded once (room::record_message skips what
// the load already had).
#pragma once

#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/room.hpp"
#include "sorak/result.hpp"
#include "sorak/store.hpp"

namespace sorak {

class room_registry {
 public:
  room_registry(store& st, std::size_t worker_count, std::size_t ring_capacity);

  // `id` is a stream id, or a room id (all digits). 404 stream_not_found.
  result<std::shared_ptr<room>> open(std::string_view id);
  // The room if it is open on this node, else null.
  std::shared_ptr<room> find(std::string_view stream_id) const;
  std::vector<std::shared_ptr<room>> all() const;

 private:
  store& store_;
  const std::size_t worker_count_;
  const std::size_t ring_capacity_;
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<room>> rooms_;    // by stream id
  std::unordered_map<std::string, std::shared_ptr<room>> by_room_;  // by room id (never changes)
};

// True when `id` looks like a room id (a decimal number) rather than a stream id.
bool is_room_id(std::string_view id);

}  // namespace sorak
