// broker.hpp: every change to a room's state, carried to every node.
//
// Every committed change of a stream (a message, a deletion, a purge, a
// timeout, a ban, a lift, a badge granted or revoked, new settings or status,
// a blocked term added or removed, a pin, a poll opened, counted or closed)
// is one room_event. The node that makes it publishes
// it; the broker hands it to the receiver of every node, this one included,
// which applies it to the room (core/room.hpp, room::apply) and delivers it to
// its local viewers. No node changes a room's state any other way, so a node
// learns of a ban made on another exactly as it learns of its own.
//
// Guarantees every implementation keeps (tests/contract/broker_contract_test):
// - Per stream, events reach a receiver in the order they were published by
//   one thread; nothing is duplicated.
// - A receiver gets every event of a stream published after its
//   subscribe(stream) returned. It may also get events of streams it did not
//   subscribe to (the in-process broker delivers everything); it drops those.
// - publish() never waits for a slow receiver or a network peer beyond
//   handing the event over (the receiver itself must not block: it only
//   takes short locks and posts work to the workers).
// - published_at is stamped by publish(); the receiver's clock minus it is the
//   hop (metrics: sorak_broker_lag_seconds).
// Implementations: local_broker (one process: delivers synchronously on the
// publishing thread, exactly once, in publish order) and redis_broker (a later
// issue: across nodes, in order per stream, with offsets to detect loss).
//
// Thread-safety: publish, subscribe and unsubscribe may be called from any
// thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sorak/result.hpp"
#include "sorak/types.hpp"

namespace sorak {

enum class event_kind {
  message,           // msg: a committed message (chat, gift, notice)
  message_deleted,   // target: the message id
  chat_cleared,      // target: the user whose messages were purged
  stream_changed,    // info: the stream as stored now (status, settings, title)
  badge_changed,     // target: user id; badge: the new one, nullopt when revoked
  sanction_imposed,  // sanction_set: the timeout or ban
  sanction_lifted,   // target: user id; lifted: which kind
  // moderation: every badge, sanction and blocked term of the stream as the
  // store holds them now, replacing the room's (read back after a broker
  // outage, never published).
  moderation_reloaded,
  terms_changed,  // terms: the stream's blocked terms, all of them, after a change
  pin_changed,    // msg: the pinned message, null when unpinned; json: the `pinned` event
  poll_changed,   // poll_state: a poll as stored now (opened, new counts, closed); json: the `poll` event
};

// A stream's badges, sanctions and blocked terms as stored (moderation_reloaded).
struct moderation_snapshot {
  std::vector<badge_grant> badges;
  std::vector<sanction> sanctions;
  std::vector<blocked_term> terms;
};

const char* to_string(event_kind k);

struct room_event {
  std::string stream_id;
  event_kind kind = event_kind::message;
  // What viewers are sent, as JSON text (`{"type":…,"data":…}`), encoded once
  // and shared by every node and viewer; null when viewers are not told
  // (badges, sanctions and settings tell the chat with a notice message of
  // their own).
  std::shared_ptr<const std::string> json;
  std::shared_ptr<const message> msg;
  std::string target;
  std::optional<stream> info;
  std::optional<stream_badge> badge;
  std::optional<sanction> sanction_set;
  sanction_kind lifted = sanction_kind::timeout;
  std::shared_ptr<const moderation_snapshot> moderation;
  std::shared_ptr<const std::vector<blocked_term>> terms;
  std::shared_ptr<const poll> poll_state;
  // Microseconds since the Unix epoch when publish() took the event.
  std::int64_t published_at_us = 0;
  // The node that published it, as the receiving broker knows it (not sent:
  // the Redis broker's envelope carries it); empty from the in-process broker
  // and for messages a broker read back from the store.
  std::string origin;
};

class broker {
 public:
  using receiver = std::function<void(const room_event&)>;
  virtual ~broker() = default;
  // REQUIRES: called once, before the first publish.
  virtual void set_receiver(receiver r) = 0;
  // Stamps published_at_us and hands the event to every node's receiver.
  virtual void publish(room_event ev) = 0;
  // From when this returns, every event of the stream reaches this node.
  virtual void subscribe(const std::string& stream_id) = 0;
  // This node no longer needs the stream's events.
  virtual void unsubscribe(const std::string& stream_id) = 0;
  // Where a broker that can lose messages reads them (the store): where a
  // stream stands when a node subscribes, and what it missed. Brokers that
  // cannot lose one ignore it. Set before the first subscribe.
  struct message_source {
    // The stream's newest committed message, if any.
    std::function<result<std::optional<message>>(const std::string& stream_id)> newest;
    // Up to a bound, its committed messages after `after_id` (from its first
    // when empty), oldest first.
    std::function<result<std::vector<message>>(const std::string& stream_id, const std::string& after_id)> after;
    // Events that bring this node's room of the stream to what the store holds
    // now: its status and settings, its badges and sanctions, deletions of
    // messages the room still shows. For changes other than messages a node
    // missed (empty when the room is not open here).
    std::function<result<std::vector<room_event>>(const std::string& stream_id)> state;
  };
  virtual void set_message_source(message_source) {}
  // Whether the node named `node_id` was heard from lately (its viewer counts
  // stop counting when it was not: it crashed, or its link to the broker did).
  // The in-process broker has no other node and says yes.
  virtual bool node_alive(const std::string& node_id) const { return true; }

  // ---- viewer counts (presence) ---------------------------------------------------
  // Not room events: every node needs every stream's count, also of streams it
  // has no room for (a stream list, the Showroom API), so counts go to every
  // node, not only to those subscribed to the stream.
  //
  // This node's viewers of each stream whose count changed (0: none left).
  // Called by the fan-out every count period; must not block.
  virtual void count_viewers(std::vector<std::pair<std::string, std::int64_t>> changed) {}
  // The viewers the other nodes count of the stream: the sum of their last
  // counts, leaving out nodes not heard from lately. The in-process broker has
  // no other node: 0.
  virtual std::int64_t viewers_elsewhere(const std::string& stream_id) const { return 0; }
  // The broker carries events between the nodes now (readiness: /readyz).
  // The in-process broker always does.
  virtual bool connected() const { return true; }
  // Since start: jumps seen in another node's counters (events lost between
  // the nodes), and messages read back from the store in their place or after
  // an outage (/metrics). The in-process broker loses none.
  virtual std::uint64_t gaps() const { return 0; }
  virtual std::uint64_t recovered() const { return 0; }
};

// Now, in microseconds since the Unix epoch (what published_at_us holds).
std::int64_t broker_clock_us();

}  // namespace sorak
