// chat_service.hpp: what happens to one chat message between a viewer's
// socket and every viewer's screen, minus the I/O.
//
//   send_chat: checks (read-only, stream ended, content, reply_to,
//   client_id de-duplication, rate limit) → stamps id and created_at under the
//   room's submit lock → encodes the `message` event once → store.append.
//   When the store has committed the message: broker.publish(event), then the
//   sender's ack. Nothing is broadcast before it is durable.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include "core/rate_limiter.hpp"
#include "core/room.hpp"
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
  chat_service(store& st, broker& br, chat_limits limits);

  // Returns the error to show the sender now, or ok: the message is queued and
  // `on_stored` will run once, from the store's writer thread, with the ack
  // (also for a client_id resend, which is not stored again) or an error.
  status send_chat(room& r, const principal& who, client_chat chat, ack_callback on_stored);

  // Tells every node's viewers of a stream about a status change.
  void publish_stream_status(const stream& s);

  // Drops idle rate-limit keys and expired client_ids.
  void sweep(const std::vector<std::shared_ptr<room>>& rooms, millis now);

  const chat_limits& limits() const { return limits_; }
  // The rate limit `who` sends under in stream `s` (the one place that decides
  // who is privileged).
  const rate_limit& limit_for(const principal& who, const stream& s) const;

 private:
  status check_reply_to(room& r, const std::optional<std::string>& reply_to);
  status check_rate(room& r, const principal& who, const rate_limit& limit, millis now);
  void store_and_publish(room& r, message m, std::string dedup_key, ack_callback on_stored);

  store& store_;
  broker& broker_;
  const chat_limits limits_;
  rate_limiter rate_;
};

// The badges a user wears in a stream: broadcaster for the owner, then the
// token's global badges.
std::vector<std::string> badges_in_stream(const principal& who, const stream& s);

}  // namespace sorak
