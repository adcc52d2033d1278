// broker.hpp: fan-out of room events between sorakd nodes.
//
// A node publishes every event it originates (a committed message, a deletion,
// a stream status change, ...); the broker hands it to the receiver of every
// node, this one included, which updates its rooms and delivers to its local
// viewers. Implementations: local_broker (one process: synchronous, in publish
// order, exactly once) and redis_broker (a later issue: at most once across
// nodes, in order per stream).
//
// Thread-safety: publish may be called from any thread. The receiver must not
// block: it only copies pointers and posts work to the workers.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "sorak/types.hpp"

namespace sorak {

enum class event_kind { message, message_deleted, chat_cleared, stream_status, viewer_count };

struct room_event {
  std::string stream_id;
  event_kind kind = event_kind::message;
  // The server→client event as JSON text (`{"type":…,"data":…}`), encoded once
  // and shared by every node and viewer.
  std::shared_ptr<const std::string> json;
  // For kind == message: the message itself, for each node's ring of recent
  // messages. For message_deleted: the id in msg->id. For chat_cleared: the
  // user whose messages were purged, in msg->user.id. Otherwise empty.
  std::shared_ptr<const message> msg;
};

class broker {
 public:
  using receiver = std::function<void(const room_event&)>;
  virtual ~broker() = default;
  // REQUIRES: called once, before the first publish.
  virtual void set_receiver(receiver r) = 0;
  virtual void publish(room_event ev) = 0;
};

}  // namespace sorak
