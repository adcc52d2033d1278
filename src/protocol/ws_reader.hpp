// ws_reader.hpp: the read side of RFC 6455 for one connection, without a socket.
//
// Fed the bytes a client writes after the upgrade, it yields in order whole
// messages (text or binary, reassembled from fragments), control frames
// (ping, pong, close) and protocol errors, each error with the close code to
// send. It checks what the header parser (ws_frame.hpp: RSV bits, opcodes,
// masking, control frame rules, the frame limit) cannot: fragment order, the
// message limit, UTF-8 of text messages and close reasons, close codes.
//
// Zero-copy: the caller reads into a buffer of its own (a worker's shared read
// buffer), after the bytes held() gives back, and the reader unmasks and
// parses that buffer in place; an unfragmented message is a view into it.
// Between reads it keeps only an incomplete frame (hold()) and the fragments
// of an unfinished message, so an idle connection holds no buffer.
//
// After an error or a close frame from the peer, or once drop_messages() is
// called (the caller is closing), data frames are dropped unread and only
// control frames come out: a closing connection only waits for the peer's close.
//
// Thread-safety: none; a connection's reader is used by its one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "protocol/ws_frame.hpp"

namespace sorak {

// One thing the reader found. `data` points into the caller's buffer or into
// the reader, and is valid until the next call to next() or hold().
struct ws_event {
  enum class kind : std::uint8_t {
    need_more,  // no whole frame left in the input
    text,       // a whole text message, valid UTF-8
    binary,     // a whole binary message
    ping,
    pong,
    close,  // the peer's close frame
    error,  // a protocol error: send a close frame with `code` and `data`
  };
  kind what = kind::need_more;
  // text/binary: the message; ping/pong: the payload; close: the peer's
  // reason; error: the reason to send.
  std::string_view data;
  // close: the code to answer with (the peer's; 1000 when it gave none; 1002
  // for a one-byte body or a code no endpoint may send; 1007 for a reason that
  // is not UTF-8). error: 1002 framing or fragment order, 1007 text that is
  // not UTF-8, 1009 a frame or message over the limit.
  std::uint16_t code = 0;
};

class ws_reader {
 public:
  // `max_message_bytes` bounds every frame's payload and every reassembled message.
  explicit ws_reader(std::uint32_t max_message_bytes) : max_(max_message_bytes) {}

  // permessage-deflate was negotiated (protocol/ws_deflate.hpp, no context
  // takeover): a message whose first frame has RSV1 is inflated on its own,
  // and the limit applies to its inflated size too (1009 "message too large",
  // as for one sent plain; inflating stops at the limit). Without it RSV1 is
  // a protocol error (1002).
  void accept_deflate() { deflate_ = true; }

  // The bytes kept by the last hold() (an incomplete frame, usually none). The
  // caller copies them to the front of its buffer and reads after them.
  std::string_view held() const { return partial_; }
  // Keeps `rest` (what next() left of the input) for the next read; keeping
  // nothing frees the storage.
  void hold(std::string_view rest);

  // Takes the next frame off the front of `input`, unmasking it in place, and
  // says what it was; frames that complete nothing (a fragment, a dropped data
  // frame) are taken silently. need_more leaves an incomplete frame in
  // `input`. After a header the reader cannot frame past (1002, 1009) the
  // rest of `input` is taken too.
  ws_event next(std::span<char>& input);

  // Drops data frames from now on (see the top of this file).
  void drop_messages();

 private:
  ws_event on_data_frame(ws_opcode op, std::string_view payload, bool fin, bool rsv1);
  // The whole message `whole` as the application sees it (inflated when it
  // came compressed), checked; or the error.
  ws_event finish_message(ws_opcode op, std::string_view whole);
  ws_event fail(std::uint16_t code, std::string_view reason);
  void forget_fragments();

  std::string partial_;    // an incomplete frame carried to the next read
  std::string fragments_;  // the message being reassembled
  std::string inflated_;   // the last compressed message, inflated
  std::uint32_t max_;
  ws_opcode fragment_op_ = ws_opcode::continuation;  // continuation: no message open
  bool dropping_ = false;
  bool deflate_ = false;     // permessage-deflate negotiated
  bool compressed_ = false;  // the open message's first frame had RSV1
};

}  // namespace sorak
