// chat_service.hpp: what happens to one chat message between a viewer's
// socket and every viewer's screen, minus the I/O.
//
//   send_chat: checks (read-only, stream ended, ban / timeout, chat off,
//   subscribers-only, content, reply_to, client_id de-duplication, slow mode,
//   rate limit) → stamps id and created_at under the
//   room's submit lock → encodes the `message` event once → store.append.
//   When the store has committed the message: broker.publish(event) (every
//   node's room, this one's included, applies it: ring, statistics, client_id
//   table), then the sender's ack. Nothing is broadcast before it is durable.
//
//   A gift (CONTRACT §7) takes the same path: a client_chat with `gift` set is
//   priced against the catalog (unknown_gift, invalid_quantity), may have
//   empty content, and is stored as message_type gift with its stars.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include "core/gift_catalog.hpp"
#include "core/rate_limiter.hpp"
#include "core/room.hpp"
#include "core/room_registry.hpp"
#include "protocol/client_event.hpp"
#include "sorak/auth.hpp"
#include "sorak/broker.hpp"
#include "sorak/store.hpp"

namespace sorak {

struct chat_limits {
  rate_limit user{20, 30};
  rate_limit privileged{100, 30};  // broadcaster and moderators
};

class chat_service {
 public:
  // `rooms`, when given, lets limit_for(principal, stream) see the stream's
  // moderators (their messages go under the privileged limit).
  // `gifts`, when given, is the catalog gifts are priced from (else the defaults).
  chat_service(store& st, broker& br, chat_limits limits, const room_registry* rooms = nullptr,
               const gift_catalog* gifts = nullptr);

  // Returns the error to show the sender now, or ok: the message is queued and
  // `on_stored` will run once, from the store's writer thread, with the ack
  // (also for a client_id resend, which is not stored again) or an error.
  status send_chat(room& r, const principal& who, client_chat chat, ack_callback on_stored);

  // A gift posted by a platform server-to-server (the admin API): no token
  // checks, rate limit or slow mode, but the stream must be live and the gift,
  // quantity and content valid. Returns the error now, or ok and `on_stored`
  // runs once with the stored message's id (or an error).
  status post_gift(room& r, const user_profile& from, gift_order order, std::string content, ack_callback on_stored);

  const gift_catalog& gifts() const { return *gifts_; }

  // Stores a message the server makes (a `moderation` notice: m.type, m.user
  // and m.content set by the caller) in the room's order and broadcasts it
  // once committed. Returns at once.
  void post_notice(room& r, message m);
  // Hands a committed change (core/room_events.hpp) to every node, this one
  // included; rooms change when it arrives.
  void publish(room_event ev);
  // A message another node took (its event reached this node): the sender's
  // rate limit counts it here too, so a user's allowance holds across nodes.
  void note_remote_message(room& r, const message& m);

  // Drops idle rate-limit keys and expired client_ids; samples each room's
  // viewer count for its statistics.
  void sweep(const std::vector<std::shared_ptr<room>>& rooms, millis now);

  // ---- polls (CONTRACT §12; chat_polls.cpp) -------------------------------------
  // A viewer's one vote in the room's poll: blocks for the store's commit (run
  // it on the blocking pool). Errors: read_only, banned, timed_out,
  // poll_not_found, poll_closed, invalid_option, already_voted.
  status vote(room& r, const principal& who, std::string_view poll_id, long long option);
  // The poll tick (every poll_tick_ms, on the blocking pool): the counts of each
  // poll voted on through this node since the last tick go out as one `poll`
  // event, so events never outpace the tick however fast votes arrive; a poll
  // whose deadline passed is closed (by whichever node gets there first) and
  // its final result goes out.
  void poll_tick(const std::vector<std::shared_ptr<room>>& rooms, millis now);
  static constexpr millis poll_tick_ms = 500;

  const chat_limits& limits() const { return limits_; }
  // The rate limit `who` sends under in stream `s` (the one place that decides
  // who is privileged: permissions.hpp, chat_rule::user_rate_limit).
  const rate_limit& limit_for(const principal& who, const stream& s) const;
  const rate_limit& limit_for(stream_role sender) const;

 private:
  status check_settings(const principal& who, stream_role role, const chat_settings& settings);
  // The ring first; a message older than it is looked up in the store, a
  // blocking read: callers on an event loop send such a reply from the
  // blocking pool (ws_session::on_chat).
  status check_reply_to(room& r, const std::optional<std::string>& reply_to);
  // The message text: validated content, or "" for a gift sent without any.
  result<std::string> checked_content(const client_chat& chat, int max_length) const;
  status check_rate(room& r, const principal& who, const rate_limit& limit, millis now);
  void store_and_publish(room& r, message m, std::string dedup_key, ack_callback on_stored);

  store& store_;
  broker& broker_;
  const chat_limits limits_;
  const room_registry* rooms_;
  const gift_catalog* gifts_;
  rate_limiter rate_;
};

// The badges a user wears in a stream: broadcaster for the owner, then the
// moderator or VIP badge granted there, then the token's global badges.
std::vector<std::string> badges_in_stream(const principal& who, const stream& s,
                                          std::optional<stream_badge> granted = std::nullopt);

}  // namespace sorak
