// load_wire.hpp: the wire part of a load thread. wire_reader turns the bytes
// a connection has read into events: the upgrade response, WebSocket frames
// or IRC lines, and in them a sample message and its stamp (wire.hpp holds
// the byte-level helpers). With load_settings::ws_compression a frame with
// RSV1 (permessage-deflate; the server sends every message in one frame) is
// inflated before it is looked at. append_message writes what a sender sends.
//
// No I/O and no counting: replies (pong, JOIN) are appended to the
// connection's `out` and handed to wire_events::send, and everything else the
// bytes say goes to wire_events. Thread rule: a wire_reader belongs to one
// load thread and is called on it only, with that thread's connections.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "bench/connection.hpp"
#include "bench/engine.hpp"
#include "bench/wire.hpp"

namespace sorak::bench {

// What the bytes said. Any of them may close the connection (phase::closed);
// the reader stops at once when one did.
class wire_events {
 public:
  virtual void joined(connection& c, std::int64_t now) = 0;  // now ready
  virtual void sample(connection& c, const stamp& st, std::int64_t now) = 0;  // a stamped message, to a viewer
  virtual void foreign(connection& c) = 0;                   // a message without a stamp, to a viewer
  // load_settings::trace_deletions: a message_deleted event to a viewer; key: deletion_key() of its id.
  virtual void deletion(connection& c, std::uint64_t key) = 0;
  virtual void sender_echo(connection& c) = 0;               // a message, to a sender
  virtual void gift_broadcast(connection& c, const stamp& st) = 0;  // a traced gift, to a sender
  virtual void ack(connection& c, std::string_view payload, std::int64_t now) = 0;  // sorak `ack` event
  virtual void error_event(connection& c, std::string_view text) = 0;  // the server reported an error
  virtual void failed(connection& c, const std::string& why) = 0;  // before ready
  virtual void lost(connection& c, const std::string& why) = 0;    // the connection ended
  virtual void send(connection& c) = 0;                            // c.out has a reply
  // A whole WebSocket frame of `bytes` (head included) was read; `compressed`: RSV1.
  virtual void frame_read(connection& c, std::size_t bytes, bool compressed) = 0;

 protected:
  ~wire_events() = default;
};

class wire_reader {
 public:
  wire_reader(const load_settings& settings, wire_events& events) : settings_(settings), events_(events) {}

  // Handles what is complete in d[0, n); returns the bytes used (the rest is
  // an incomplete frame, line or response head to read again with more).
  std::size_t consume(connection& c, char* d, std::size_t n, std::int64_t now);

 private:
  std::size_t consume_upgrade(connection& c, char* d, std::size_t n, std::int64_t now);
  std::size_t consume_frames(connection& c, const char* d, std::size_t n, std::int64_t now);
  std::size_t skip_oversized(connection& c, std::size_t n);
  void on_oversized(connection& c, std::uint8_t opcode, std::string_view head_part, std::uint64_t len,
                    std::int64_t now);
  void on_frame(connection& c, std::uint8_t opcode, std::string_view payload, std::int64_t now);
  void on_text(connection& c, std::string_view payload, std::int64_t now);
  void on_close(connection& c, std::string_view payload);
  void on_deletion(connection& c, std::string_view payload);
  std::size_t consume_lines(connection& c, const char* d, std::size_t n, std::int64_t now);
  void on_line(connection& c, std::string_view line, std::int64_t now);
  void on_registering(connection& c, std::string_view cmd, std::string_view line, std::int64_t now);
  void on_message(connection& c, std::string_view payload, std::int64_t now);

  // The payload of an RSV1 frame, inflated into inflated_; false (and the
  // connection lost) when it does not inflate.
  bool inflate(connection& c, std::string_view payload);

  const load_settings& settings_;
  wire_events& events_;
  std::size_t stamp_hint_ = 0;  // where the last stamp was (find_stamp)
  std::string inflated_;        // the last compressed frame, inflated (one per thread, reused)
};

// The message frame (sorak, ws) or PRIVMSG line (irc) of sender `sender`
// with sequence `seq`, stamped `now`, appended to `out`; `scratch` is reused.
// With load_settings::acks (sorak) the message also carries the client_id
// append_ack_client_id() makes, so the server acks it. `gift` (sorak only):
// a gift event of load_settings::gift_id instead, the stamp as its content
// (ws sends a gift as any other frame: its sequence tells it, is_gift_seq).
void append_message(std::string& out, std::string& scratch, const load_settings& s, std::int64_t now,
                    std::uint32_t sender, std::uint64_t seq, bool gift = false);

}  // namespace sorak::bench
