// ws_deflate.hpp: permessage-deflate (RFC 7692) as Sorak speaks it. The
// server keeps no compression state per connection: what it sends is deflated
// once and shared by every viewer that negotiated the extension
// (net/viewer.hpp), and what it reads is inflated on its own (the client is
// told client_no_context_takeover), so one inflater per thread serves every
// connection of a worker.
//
// Two ways of deflating what is sent. A message on its own (deflate_message):
// for any client. A chain (deflate_chain): the messages of one round, one
// DEFLATE stream, each message free to refer back to the ones before it in
// the round (a chat line's envelope, its stream id, its sender, repeat from
// line to line), never to anything before the round. A client keeps its
// inflater's window from message to message unless it asked for
// server_no_context_takeover (RFC 7692 §7.1.1.1), so a chain inflates right at
// every client that did not ask, whatever it was sent before the round: that
// is why the chain is shared too.
//
// negotiate_deflate() reads a client's Sec-WebSocket-Extensions offers and
// returns the response header value, or nothing when no offer can be honoured
// (the handshake then goes on without the extension; it never fails).
// deflate_message() and inflate_message() work on message payloads; the
// frame's RSV1 bit is the caller's (ws_frame.hpp).
//
// Thread-safety: pure functions; the deflate and inflate streams are
// thread_local, so any thread may call them.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace sorak {

struct deflate_terms {
  std::string header;         // the Sec-WebSocket-Extensions response value
  bool chain = false;         // the client keeps its window: rounds may go as chains
};

// The terms that accept the first permessage-deflate offer in `offers` (every
// Sec-WebSocket-Extensions header of the request, joined with ','), or nullopt
// when none can be honoured: an unknown or repeated parameter, a malformed
// value, or server_max_window_bits below 15 (the shared frames are made with
// a 32 KiB window). The answer repeats server_no_context_takeover when the
// offer had it (and the client then gets no chains).
std::optional<deflate_terms> negotiate_deflate(std::string_view offers);

// Appends the raw DEFLATE of `payload` to `out`, with the final empty stored
// block's 00 00 ff ff left off (RFC 7692 §7.2.1), as one message with no
// context taken from or left for any other.
void deflate_message(std::string_view payload, std::string& out);

// Appends a text frame of `payload` to `out` for a connection that
// negotiated the extension: deflated with RSV1 set when that makes the frame
// smaller, else as is (the choice is per message, RFC 7692 §6). Returns true
// when it deflated.
bool append_deflated_text_frame(std::string& out, std::string_view payload);
// The same as a new shared frame.
std::shared_ptr<const std::string> make_deflated_text_frame(std::string_view payload);

// The messages of one round as one DEFLATE stream (see the top of the file).
// Use: begin(), then append_text_frame() for each message in order; the
// frames are only valid together, in that order, for a client that keeps its
// window. One per thread is enough (it is reset by begin()).
class deflate_chain {
 public:
  deflate_chain();
  ~deflate_chain();
  deflate_chain(const deflate_chain&) = delete;
  deflate_chain& operator=(const deflate_chain&) = delete;

  void begin();
  // Appends a text frame of `payload`, always deflated (RSV1): a message left
  // plain would not be in the client's window for the next one to refer to.
  void append_text_frame(std::string& out, std::string_view payload);

 private:
  struct state;
  std::unique_ptr<state> s_;
  std::string scratch_;
};

enum class inflate_result { ok, too_big, corrupt };

// Replaces `out` with the inflated `compressed` (a message's payloads joined,
// without the 00 00 ff ff tail). Stops as soon as the output would pass
// `max_bytes` (too_big: a zip bomb costs at most max_bytes of memory);
// corrupt for data that is not DEFLATE or does not end where it should.
inflate_result inflate_message(std::string_view compressed, std::size_t max_bytes, std::string& out);

// A client's inflater that keeps its window from message to message, as a
// client that did not ask for server_no_context_takeover must (sorak bench
// keeps one per connection). After a result other than ok it must be reset.
class inflate_stream {
 public:
  inflate_stream();
  ~inflate_stream();
  inflate_stream(const inflate_stream&) = delete;
  inflate_stream& operator=(const inflate_stream&) = delete;

  void reset();
  // inflate_message(), with the window of the messages before it.
  inflate_result next(std::string_view compressed, std::size_t max_bytes, std::string& out);

 private:
  struct state;
  std::unique_ptr<state> s_;
};

}  // namespace sorak
