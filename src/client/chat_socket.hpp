// chat_socket.hpp: one client connection to a stream's chat WebSocket
// (`/api/v1/streams/{id}/chat/ws?token=…[&since=…]`), speaking JSON events.
//
// open() connects and waits for the `history` event the server sends first.
// A connection the server closes before history (4001 bad token, 4004
// unknown stream) comes back as an error whose `code` is the close code as
// text ("4001") and whose message carries the server's reason.
//
// Thread-safety: a chat_socket is used by one thread at a time.
#pragma once

#include <boost/json/object.hpp>

#include <chrono>
#include <string>
#include <string_view>

#include "client/endpoint.hpp"
#include "client/ws_client.hpp"
#include "sorak/result.hpp"

namespace sorak::client {

struct chat_event {
  enum class kind { event, timeout, closed };
  kind what = kind::timeout;
  boost::json::object event;  // what == event; empty when the text was not a JSON object
  std::string raw;            // what == event: the text as received
  int close_code = 0;         // what == closed
  std::string close_reason;   // what == closed
};

// The error for a connection closed with `code` and `reason`.
error close_error(int code, std::string_view reason);
// True for the close codes after which reconnecting cannot help (4001, 4004).
bool is_final_close(int code);
// True for a close_error() made from such a code.
bool is_final_close(const error& e);

// "/api/v1/streams/{id}/chat/ws?token=…[&since=…]" under the endpoint's base path.
std::string chat_ws_target(const endpoint& ep, std::string_view stream, std::string_view token,
                           std::string_view since = {});

class chat_socket {
 public:
  // Returns the history event ({"type":"history","data":[…], "recovered"?}).
  result<boost::json::object> open(const endpoint& ep, std::string_view stream, std::string_view token,
                                   std::string_view since = {},
                                   std::chrono::milliseconds timeout = std::chrono::seconds(10));
  chat_event next(std::chrono::milliseconds timeout);
  status send(const boost::json::object& event);
  void close(int code = 1000);
  bool is_open() const { return ws_.is_open(); }

 private:
  ws_client ws_;
};

}  // namespace sorak::client
