// room_test_support.hpp: the stream and the room the room and audience unit
// tests start from (tests only).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/room.hpp"
#include "sorak/broker.hpp"

namespace sorak::test_support {

// Stands for the broker as far as a room asks it: what the other nodes count
// of each stream (the Redis broker's own tests cover how counts get there).
struct other_nodes_counts final : broker {
  std::map<std::string, std::int64_t> elsewhere;
  void set_receiver(receiver) override {}
  void publish(room_event) override {}
  void subscribe(const std::string&) override {}
  void unsubscribe(const std::string&) override {}
  std::int64_t viewers_elsewhere(const std::string& stream_id) const override {
    auto it = elsewhere.find(stream_id);
    return it == elsewhere.end() ? 0 : it->second;
  }
};

inline constexpr millis t0 = 1777111530000;  // 2026-04-25T10:05:30.000Z

inline stream live_stream() {
  stream s;
  s.id = "stream-1";
  s.room_id = "100001";
  s.broadcaster_user_id = "owner";
  s.title = "show";
  s.created_at = s.started_at = t0 - 60000;
  return s;
}

// A room as the registry opens it: from what the store holds (`recent`, the
// newest messages, oldest first), then finish_loading with the newest stored
// created_at (nullopt: a stream with no stored message before `recent`).
inline std::shared_ptr<room> open_room(std::size_t ring_capacity, std::vector<message> recent = {},
                                       stream info = live_stream(),
                                       std::optional<millis> last_created_at = std::nullopt,
                                       const broker* others = nullptr) {
  room_snapshot snap;
  snap.info = std::move(info);
  snap.recent = std::move(recent);
  auto r = std::make_shared<room>(std::move(snap), ring_capacity, others);
  r->finish_loading(last_created_at);
  return r;
}

}  // namespace sorak::test_support
