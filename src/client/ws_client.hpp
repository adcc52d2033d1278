// ws_client.hpp: a small blocking WebSocket client (ws:// only) for the CLI
// and tests.
//
// connect() performs the opening handshake; read_text() waits at most a given
// time for the next text message, answering server pings meanwhile (so keep
// calling it while idle); write_text() and close() block until done. A read
// that timed out stays pending and the next read_text() continues it, so no
// message is lost to a timeout. The end of the connection, orderly or not, is
// reported by read_text() as a `closed` frame: the server's close code and
// reason, or 1006 and the transport error.
//
// Thread-safety: a ws_client is used by one thread at a time.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "client/endpoint.hpp"
#include "sorak/result.hpp"

namespace sorak::client {

enum class ws_frame_kind { text, timeout, closed };

struct ws_frame {
  ws_frame_kind kind = ws_frame_kind::timeout;
  std::string text;          // kind == text
  int close_code = 0;        // kind == closed; 1006 when the connection just dropped
  std::string close_reason;  // kind == closed
};

// Close code used when the connection ended without a close frame.
inline constexpr int ws_abnormal_closure = 1006;

class ws_client {
 public:
  ws_client();
  ~ws_client();
  ws_client(const ws_client&) = delete;
  ws_client& operator=(const ws_client&) = delete;

  // A refused upgrade comes back with the HTTP status and the server's JSON
  // `error`/`code` when it sent one; transport failures with http_status 0.
  status connect(const endpoint& ep, std::string_view target,
                 std::chrono::milliseconds timeout = std::chrono::seconds(10));
  status connect(std::string_view ws_url, std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // Binary messages are skipped. REQUIRES: connect() succeeded.
  ws_frame read_text(std::chrono::milliseconds timeout);
  status write_text(std::string_view text, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Sends a close frame and waits (at most `timeout`) for the server's; then
  // the socket is closed. Does nothing when the connection is already closed.
  void close(int code = 1000, std::string_view reason = {},
             std::chrono::milliseconds timeout = std::chrono::seconds(5));
  bool is_open() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace sorak::client
