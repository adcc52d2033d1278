// ack_wait.hpp: sending one chat message and waiting for the server's
// verdict on it: an ack carrying the stored id, a refusal (an `error` event),
// a request to retry later (rate_limited, slow_mode), or a lost connection.
//
// The server answers a sender's messages in order and the CLI has at most one
// in flight, so the first ack with our client_id, or the first error, is the
// answer. Single-threaded.
#pragma once

#include <boost/json/object.hpp>

#include <chrono>
#include <string>

#include "client/chat_socket.hpp"
#include "sorak/result.hpp"

namespace sorak::cli {

enum class ack_status { acked, refused, retry_later, connection_lost };

struct ack_result {
  ack_status status = ack_status::connection_lost;
  std::string message_id;                  // acked
  error why;                               // refused, connection_lost
  std::chrono::milliseconds retry_after{0};  // retry_later
};

// Sends `event` (which carries client_id) and waits at most `timeout` for the
// outcome; a closed socket or a timeout counts as a lost connection
// (resending with the same client_id is safe).
ack_result send_and_wait(client::chat_socket& socket, const boost::json::object& event,
                         std::chrono::milliseconds timeout);

// Keeps reading (so pings are answered) and discards events for `pause`.
void pause_reading(client::chat_socket& socket, std::chrono::milliseconds pause);

}  // namespace sorak::cli
