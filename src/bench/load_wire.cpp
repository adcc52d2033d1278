#include "bench/load_wire.hpp"

#include <algorithm>
#include <cstring>

#include "bench/event_trace.hpp"
#include "bench/platform_plan.hpp"
#include "protocol/ws_deflate.hpp"

namespace sorak::bench {

namespace {

constexpr std::size_t carry_limit = 64 * 1024;  // larger frames are skipped past their first bytes
constexpr std::size_t head_limit = 16 * 1024;   // an upgrade response head
constexpr std::size_t irc_line_limit = 16 * 1024;

std::uint8_t byte_at(const char* d, std::size_t i) { return static_cast<std::uint8_t>(d[i]); }

// The head of a server frame: opcode, payload length, head size.
struct frame_head {
  bool rsv1 = false;  // permessage-deflate: a compressed message
  std::uint8_t opcode = 0;
  std::uint64_t len = 0;
  std::size_t size = 2;
};
enum class head_state { whole, incomplete, masked };

// Reads the frame head at d[0, n), n ≥ 2. A server must not mask its frames.
head_state read_head(const char* d, std::size_t n, frame_head& h) {
  if (byte_at(d, 1) & 0x80) return head_state::masked;
  h.opcode = byte_at(d, 0) & 0x0F;
  h.rsv1 = (byte_at(d, 0) & 0x40) != 0;
  h.len = byte_at(d, 1) & 0x7F;
  if (h.len < 126) return head_state::whole;
  h.size = h.len == 126 ? 4 : 10;
  if (n < h.size) return head_state::incomplete;
  h.len = 0;
  for (std::size_t i = 2; i < h.size; ++i) h.len = (h.len << 8) | byte_at(d, i);
  return head_state::whole;
}

// A stamped sorak message that is a gift. The server writes "message_type"
// right after "content", and the content (the stamp, then 'x's up to `size`
// bytes) holds no quote: a compare at stamp + size decides it for every
// viewer's every message, else one memchr past the stamp finds the content's
// end; any other layout is searched whole.
bool gift_after_stamp(std::string_view payload, std::size_t stamp_at, std::size_t size) {
  constexpr std::string_view field = R"(","message_type":")";
  constexpr std::string_view gift = R"(gift")";
  auto field_at = [&](std::size_t at) { return at < payload.size() && payload.substr(at, field.size()) == field; };
  auto gift_at = [&](std::size_t at) { return payload.substr(at + field.size(), gift.size()) == gift; };
  if (field_at(stamp_at + size)) return gift_at(stamp_at + size);
  if (stamp_at < payload.size()) {
    const void* q = std::memchr(payload.data() + stamp_at, '"', payload.size() - stamp_at);
    const auto at = q ? static_cast<std::size_t>(static_cast<const char*>(q) - payload.data()) : payload.size();
    if (field_at(at)) return gift_at(at);
  }
  return is_gift_message(payload);
}

}  // namespace

std::size_t wire_reader::consume(connection& c, char* d, std::size_t n, std::int64_t now) {
  std::size_t used = 0;
  if (c.state == phase::upgrading) {
    used = consume_upgrade(c, d, n, now);
    if (c.state == phase::upgrading || c.state == phase::closed) return used;
  }
  if (settings_.protocol == wire_protocol::irc) return used + consume_lines(c, d + used, n - used, now);
  return used + consume_frames(c, d + used, n - used, now);
}

// ---- the upgrade response ---------------------------------------------------

std::size_t wire_reader::consume_upgrade(connection& c, char* d, std::size_t n, std::int64_t now) {
  const void* end = memmem(d, n, "\r\n\r\n", 4);
  if (!end) {
    if (n > head_limit) events_.failed(c, "the upgrade response head is too large");
    return 0;
  }
  const auto head_len = static_cast<std::size_t>(static_cast<const char*>(end) - d);
  const int status = check_upgrade_response(std::string_view(d, head_len));
  if (status != 101) {
    events_.failed(c, status == 0 ? "not a WebSocket upgrade response"
                                  : "upgrade refused: HTTP " + std::to_string(status));
    return n;
  }
  if (settings_.protocol == wire_protocol::sorak) {
    c.state = phase::joining;  // ready with the history event
  } else {
    events_.joined(c, now);
  }
  return head_len + 4;
}

// ---- WebSocket frames -------------------------------------------------------

std::size_t wire_reader::consume_frames(connection& c, const char* d, std::size_t n, std::int64_t now) {
  std::size_t pos = skip_oversized(c, n);
  while (n - pos >= 2 && c.reading) {
    frame_head h;
    const head_state hs = read_head(d + pos, n - pos, h);
    if (hs == head_state::masked) {
      events_.lost(c, "protocol error: a masked server frame");
      return n;
    }
    if (hs == head_state::incomplete) break;
    const std::size_t avail = n - pos - h.size;  // read_head checked n - pos ≥ h.size
    if (h.len > avail) {
      if (h.size + h.len <= carry_limit) break;  // comes whole with the next read
      events_.frame_read(c, h.size + h.len, h.rsv1);
      if (h.rsv1) {  // cannot be inflated from its first bytes: skipped
        c.skip = h.len - avail;
        return n;
      }
      on_oversized(c, h.opcode, std::string_view(d + pos + h.size, avail), h.len, now);
      return n;
    }
    events_.frame_read(c, h.size + h.len, h.rsv1);
    std::string_view payload(d + pos + h.size, static_cast<std::size_t>(h.len));
    if (h.rsv1) {
      if (!inflate(c, payload)) return n;
      payload = inflated_;
    }
    on_frame(c, h.opcode, payload, now);
    pos += h.size + static_cast<std::size_t>(h.len);
    if (c.state == phase::closed) return pos;
  }
  return pos;
}

bool wire_reader::inflate(connection& c, std::string_view payload) {
  constexpr std::size_t inflated_limit = 16 * 1024 * 1024;
  if (!settings_.ws_compression) {
    events_.lost(c, "protocol error: RSV1 set without permessage-deflate");
    return false;
  }
  if (!c.inflater) c.inflater = std::make_unique<inflate_stream>();
  if (c.inflater->next(payload, inflated_limit, inflated_) != inflate_result::ok) {
    events_.lost(c, "protocol error: a compressed frame that does not inflate");
    return false;
  }
  return true;
}

// The rest of an oversized frame at the front of n bytes; returns its part.
std::size_t wire_reader::skip_oversized(connection& c, std::size_t n) {
  if (c.skip == 0) return 0;
  const auto k = static_cast<std::size_t>(std::min<std::uint64_t>(c.skip, n));
  c.skip -= k;
  return k;
}

// A frame too large to carry is classified from its first bytes; the rest
// is skipped as it arrives.
void wire_reader::on_oversized(connection& c, std::uint8_t opcode, std::string_view head_part, std::uint64_t len,
                               std::int64_t now) {
  on_frame(c, opcode, head_part, now);
  c.skip = len - head_part.size();
}

void wire_reader::on_frame(connection& c, std::uint8_t opcode, std::string_view payload, std::int64_t now) {
  switch (opcode) {
    case 0x1:
      on_text(c, payload, now);
      return;
    case 0x2:  // binary
      if (settings_.protocol == wire_protocol::ws) on_message(c, payload, now);
      return;
    case 0x8:
      on_close(c, payload);
      return;
    case 0x9:  // ping
      append_client_frame(c.out, 0xA, payload);
      events_.send(c);
      return;
    default:
      return;  // pong, continuation
  }
}

void wire_reader::on_text(connection& c, std::string_view payload, std::int64_t now) {
  if (settings_.protocol == wire_protocol::ws) {
    on_message(c, payload, now);
    return;
  }
  switch (classify_sorak(payload)) {
    case sorak_event::message:
      on_message(c, payload, now);
      return;
    case sorak_event::history:
      if (c.state == phase::joining) events_.joined(c, now);
      return;
    case sorak_event::ack:
      events_.ack(c, payload, now);
      return;
    case sorak_event::error:
      events_.error_event(c, payload);
      return;
    case sorak_event::other:
      if (settings_.trace_deletions && c.role != conn_role::sender) on_deletion(c, payload);
      return;
  }
}

void wire_reader::on_deletion(connection& c, std::string_view payload) {
  std::string_view id;
  if (find_deleted_id(payload, id)) events_.deletion(c, deletion_key(id));
}

void wire_reader::on_close(connection& c, std::string_view payload) {
  std::string why = "closed by the server";
  if (payload.size() >= 2) {
    const int code = (byte_at(payload.data(), 0) << 8) | byte_at(payload.data(), 1);
    why = std::to_string(code) + " " + std::string(payload.substr(2, 100));
  }
  events_.lost(c, why);
}

// ---- IRC lines ----------------------------------------------------------------

std::size_t wire_reader::consume_lines(connection& c, const char* d, std::size_t n, std::int64_t now) {
  std::size_t pos = 0;
  while (pos < n) {
    const auto* nl = static_cast<const char*>(std::memchr(d + pos, '\n', n - pos));
    if (!nl) break;
    const char* end = nl;
    if (end > d + pos && end[-1] == '\r') --end;
    on_line(c, std::string_view(d + pos, static_cast<std::size_t>(end - (d + pos))), now);
    pos = static_cast<std::size_t>(nl - d) + 1;
    if (c.state == phase::closed || !c.reading) return pos;
  }
  if (n - pos > irc_line_limit) events_.lost(c, "an IRC line is too long");
  return pos;
}

void wire_reader::on_line(connection& c, std::string_view line, std::int64_t now) {
  if (line.substr(0, 5) == "PING ") {
    c.out.append("PONG ").append(line.substr(5)).append("\r\n");
    events_.send(c);
    return;
  }
  if (line.substr(0, 5) == "ERROR") {
    events_.lost(c, std::string(line.substr(0, 200)));
    return;
  }
  const std::string_view cmd = irc_command(line);
  if (cmd == "PRIVMSG") {
    on_message(c, line, now);
  } else if (c.state == phase::registering) {
    on_registering(c, cmd, line, now);
  } else if (irc_error_numeric(cmd)) {
    events_.error_event(c, line);
  }
}

// Registration: welcome (001) → JOIN, end of names (366) → ready.
void wire_reader::on_registering(connection& c, std::string_view cmd, std::string_view line, std::int64_t now) {
  if (cmd == "001") {
    c.out.append("JOIN ").append(settings_.channel).append("\r\n");
    events_.send(c);
  } else if (cmd == "366") {
    events_.joined(c, now);
  } else if (irc_error_numeric(cmd)) {
    events_.failed(c, std::string(line.substr(0, 200)));
  }
}

// ---- messages -----------------------------------------------------------------

// With gifts traced, a gift is told by the server's own marker in the
// event, and a sender reports the gifts it sees broadcast in its stream. A
// ws frame has no marker: there a gift is told by its stamp, as the sender
// chose it (is_gift_seq), and the sender reports it as it sends it
// (load_thread::issue_one).
void wire_reader::on_message(connection& c, std::string_view payload, std::int64_t now) {
  stamp st;
  if (c.role == conn_role::sender) {
    events_.sender_echo(c);
    if (settings_.gift_share > 0 && is_gift_message(payload) && find_stamp(payload, stamp_hint_, st))
      events_.gift_broadcast(c, st);
    return;
  }
  if (!find_stamp(payload, stamp_hint_, st)) {
    events_.foreign(c);
    return;
  }
  if (settings_.gift_share > 0) {
    st.gift = settings_.protocol == wire_protocol::ws ? st.has_seq && is_gift_seq(st.seq, settings_.gift_share)
                                                      : gift_after_stamp(payload, stamp_hint_, settings_.size);
  }
  events_.sample(c, st, now);
}

void append_message(std::string& out, std::string& scratch, const load_settings& s, std::int64_t now,
                    std::uint32_t sender, std::uint64_t seq, bool gift) {
  scratch.clear();
  switch (s.protocol) {
    case wire_protocol::sorak:
      if (gift) {
        scratch.append(R"({"type":"gift","gift_id":")").append(s.gift_id).append(R"(","quantity":1,"content":")");
      } else {
        scratch.append(R"({"type":"message","content":")");
      }
      append_stamped_content(scratch, now, sender, seq, s.size);
      if (s.acks) {
        scratch.append(R"(","client_id":")");
        append_ack_client_id(scratch, now, seq);
      }
      scratch.append("\"}");
      append_client_frame(out, 0x1, scratch);
      break;
    case wire_protocol::ws:
      append_stamped_content(scratch, now, sender, seq, s.size);
      append_client_frame(out, 0x1, scratch);
      break;
    case wire_protocol::irc:
      out.append("PRIVMSG ").append(s.channel).append(" :");
      append_stamped_content(out, now, sender, seq, s.size);
      out.append("\r\n");
      break;
  }
}

}  // namespace sorak::bench
