#include "protocol/ws_reader.hpp"

#include "core/utf8.hpp"
#include "protocol/ws_deflate.hpp"

namespace sorak {

namespace {

// RFC 6455 §7.4: the codes an endpoint may put in a close frame.
bool sendable_close_code(std::uint16_t code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

ws_event peer_close(std::string_view payload) {
  std::uint16_t code = close_code::normal;
  if (payload.size() >= 2)
    code = static_cast<std::uint16_t>((std::uint8_t(payload[0]) << 8) | std::uint8_t(payload[1]));
  const std::string_view reason = payload.size() > 2 ? payload.substr(2) : std::string_view{};
  if (payload.size() == 1 || !sendable_close_code(code))
    code = close_code::protocol_error;
  else if (!is_valid_utf8(reason))
    code = close_code::invalid_payload;
  return {ws_event::kind::close, reason, code};
}

}  // namespace

void ws_reader::hold(std::string_view rest) {
  partial_.assign(rest);
  if (partial_.empty()) partial_.shrink_to_fit();
}

void ws_reader::drop_messages() {
  dropping_ = true;
  fragment_op_ = ws_opcode::continuation;
  compressed_ = false;
  forget_fragments();
}

ws_event ws_reader::next(std::span<char>& input) {
  if (fragment_op_ == ws_opcode::continuation) forget_fragments();  // the last message was handed out
  for (;;) {
    ws_frame_header h;
    const auto r = parse_frame_header(reinterpret_cast<const std::uint8_t*>(input.data()), input.size(), max_, h, deflate_);
    if (r == ws_parse::incomplete) return {};
    if (r != ws_parse::ok) {
      input = input.subspan(input.size());  // no frame boundary can be trusted after this header
      return r == ws_parse::too_big ? fail(close_code::too_big, "frame too large")
                                    : fail(close_code::protocol_error, "protocol error");
    }
    const std::size_t total = h.header_length + h.payload_length;
    if (input.size() < total) return {};
    char* payload = input.data() + h.header_length;
    unmask_payload(payload, h.payload_length, h.mask);
    input = input.subspan(total);
    const std::string_view p(payload, h.payload_length);
    switch (h.opcode) {
      case ws_opcode::ping:
        return {ws_event::kind::ping, p};
      case ws_opcode::pong:
        return {ws_event::kind::pong, p};
      case ws_opcode::close:
        drop_messages();  // nothing may follow a close (RFC 6455 §5.5.1)
        return peer_close(p);
      default:
        break;
    }
    if (dropping_) continue;
    const ws_event e = on_data_frame(h.opcode, p, h.fin, h.rsv1);
    if (e.what != ws_event::kind::need_more) return e;
  }
}

// A fragment is copied into fragments_; a message in one frame stays where it
// was read and is handed out as a view.
ws_event ws_reader::on_data_frame(ws_opcode op, std::string_view payload, bool fin, bool rsv1) {
  const bool open = fragment_op_ != ws_opcode::continuation;
  if (op == ws_opcode::continuation && !open) return fail(close_code::protocol_error, "unexpected continuation frame");
  if (op != ws_opcode::continuation && open) return fail(close_code::protocol_error, "expected a continuation frame");
  if (!open) {
    fragment_op_ = op;
    compressed_ = rsv1;
  }
  if (fragments_.size() + payload.size() > max_) return fail(close_code::too_big, "message too large");
  std::string_view whole = payload;
  if (!fragments_.empty() || !fin) {
    fragments_.append(payload);
    if (!fin) return {};
    whole = fragments_;
  }
  const ws_opcode message_op = fragment_op_;
  fragment_op_ = ws_opcode::continuation;  // fragments_ is forgotten on the next call
  return finish_message(message_op, whole);
}

ws_event ws_reader::finish_message(ws_opcode op, std::string_view whole) {
  if (compressed_) {
    compressed_ = false;
    const inflate_result r = inflate_message(whole, max_, inflated_);
    if (r == inflate_result::too_big) return fail(close_code::too_big, "message too large");
    if (r == inflate_result::corrupt) return fail(close_code::invalid_payload, "invalid compressed data");
    whole = inflated_;
  }
  if (op == ws_opcode::binary) return {ws_event::kind::binary, whole};
  if (!is_valid_utf8(whole)) return fail(close_code::invalid_payload, "text is not valid UTF-8");
  return {ws_event::kind::text, whole};
}

ws_event ws_reader::fail(std::uint16_t code, std::string_view reason) {
  drop_messages();
  return {ws_event::kind::error, reason, code};
}

// A reassembly buffer of up to 1 KiB is kept for the next fragmented message;
// a larger one is freed.
void ws_reader::forget_fragments() {
  fragments_.clear();
  if (fragments_.capacity() > 1024) fragments_.shrink_to_fit();
  if (inflated_.capacity() > 1024) inflated_ = std::string();
}

}  // namespace sorak
