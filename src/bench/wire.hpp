// wire.hpp: the bytes `sorak bench` puts on the wire and looks for in
// what comes back, for each protocol it speaks. No I/O here.
//
// Every message the bench sends carries a stamp at the start of its content:
//   "t=<CLOCK_MONOTONIC ns> s=<sender>.<seq> " then 'x' up to the asked size.
// CLOCK_MONOTONIC is one clock for every process on a machine, so a receiver
// computes latency as now − t without any clock exchange. The receive path
// never parses JSON: it classifies a frame by its first bytes and finds the
// stamp with one compare at a remembered offset, or memmem.
//
// Pure functions on values; any thread.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace sorak::bench {

// ---- client → server ----------------------------------------------------

// One masked client frame (FIN set) appended to `out`. The mask key is fixed:
// RFC 6455 only needs the server to unmask, and a fixed key costs nothing.
void append_client_frame(std::string& out, std::uint8_t opcode, std::string_view payload);

// "t=<ns> s=<sender>.<seq> " padded with 'x' to at least `size` bytes.
void append_stamped_content(std::string& out, std::int64_t t_ns, std::uint32_t sender, std::uint64_t seq,
                            std::uint32_t size);

// The HTTP/1.1 upgrade request for `target` (path and query) on `host_port`;
// `deflate`: offering permessage-deflate as browsers do (the server may take context).
std::string upgrade_request(std::string_view host_port, std::string_view target, bool deflate = false);
// The Sec-WebSocket-Accept a server must answer upgrade_request() with.
const std::string& expected_accept();

// Checks an upgrade response head (everything before the blank line):
// returns 101 when it switches protocols with the right accept key, the HTTP
// status when it refused, and 0 when it is not HTTP or the key is wrong.
int check_upgrade_response(std::string_view head);

// ---- server → client ----------------------------------------------------

// What a frame of the sorak protocol is, from its first bytes.
enum class sorak_event { message, history, ack, error, other };
inline sorak_event classify_sorak(std::string_view payload) {
  constexpr std::string_view prefix = R"({"type":")";
  if (payload.size() < prefix.size() + 5 || std::memcmp(payload.data(), prefix.data(), prefix.size()) != 0) {
    return sorak_event::other;
  }
  const char* rest = payload.data() + prefix.size();
  const std::size_t left = payload.size() - prefix.size();
  auto is = [&](std::string_view word) {
    return left > word.size() && std::memcmp(rest, word.data(), word.size()) == 0 && rest[word.size()] == '"';
  };
  if (is("message")) return sorak_event::message;
  if (is("history")) return sorak_event::history;
  if (is("ack")) return sorak_event::ack;
  if (is("error")) return sorak_event::error;
  return sorak_event::other;
}

struct stamp {
  std::int64_t t_ns = 0;
  std::uint32_t sender = 0;
  std::uint64_t seq = 0;
  bool has_seq = false;
  bool gift = false;  // the message is a gift (platform: set by the reader, not parsed from the stamp)
};

// A sorak message event that is a gift: the server marks it
// "message_type":"gift" (docs/api.md, Gifts and stars).
inline bool is_gift_message(std::string_view payload) {
  constexpr std::string_view marker = R"("message_type":"gift")";
  return memmem(payload.data(), payload.size(), marker.data(), marker.size()) != nullptr;
}

namespace detail {
// Reads digits at p (≤ 19 of them); returns the position after them, or
// nullptr when there is no digit.
inline const char* read_number(const char* p, const char* end, std::uint64_t& out) {
  std::uint64_t v = 0;
  const char* start = p;
  while (p < end && p - start < 19 && static_cast<unsigned char>(*p - '0') < 10)
    v = v * 10 + static_cast<unsigned>(*p++ - '0');
  if (p == start) return nullptr;
  out = v;
  return p;
}

inline bool read_stamp_at(const char* p, const char* end, stamp& out) {
  std::uint64_t t = 0;
  p = read_number(p + 2, end, t);  // past "t="
  if (!p) return false;
  out.t_ns = static_cast<std::int64_t>(t);
  out.has_seq = false;
  if (end - p > 4 && p[0] == ' ' && p[1] == 's' && p[2] == '=') {
    std::uint64_t sender = 0, seq = 0;
    const char* q = read_number(p + 3, end, sender);
    if (q && q < end && *q == '.' && read_number(q + 1, end, seq)) {
      out.sender = static_cast<std::uint32_t>(sender);
      out.seq = seq;
      out.has_seq = true;
    }
  }
  return true;
}

// "t=" that starts the content: at the start of the payload, or after '"'
// (sorak JSON), ':' (IRC trailing parameter) or ' '.
inline bool stamp_starts_at(const char* base, std::size_t off, std::size_t size) {
  if (off + 2 >= size || base[off] != 't' || base[off + 1] != '=') return false;
  if (static_cast<unsigned char>(base[off + 2] - '0') >= 10) return false;
  if (off == 0) return true;
  const char before = base[off - 1];
  return before == '"' || before == ':' || before == ' ';
}
}  // namespace detail

// Finds the stamp in a received message. `hint` is the offset where the last
// one was found (messages of one run have the same layout, so this is one
// compare); it is updated when the stamp is elsewhere.
inline bool find_stamp(std::string_view payload, std::size_t& hint, stamp& out) {
  const char* base = payload.data();
  const std::size_t size = payload.size();
  if (detail::stamp_starts_at(base, hint, size)) return detail::read_stamp_at(base + hint, base + size, out);
  std::size_t from = 0;
  while (from + 2 < size) {
    const void* hit = memmem(base + from, size - from, "t=", 2);
    if (!hit) return false;
    const std::size_t off = static_cast<std::size_t>(static_cast<const char*>(hit) - base);
    if (detail::stamp_starts_at(base, off, size)) {
      hint = off;
      return detail::read_stamp_at(base + off, base + size, out);
    }
    from = off + 1;
  }
  return false;
}

// ---- acks (the ingest scenario) -------------------------------------------

// The client_id an ingest sender gives a message: "<t_ns>.<seq>", its send
// stamp and the sender's sequence (unique per user, as the server's
// de-duplication needs), so an ack carries its own send time back and no
// sender keeps a table of messages in flight. Appended to `out`.
void append_ack_client_id(std::string& out, std::int64_t t_ns, std::uint64_t seq);

// The send stamp in an ack event's client_id ({"type":"ack","client_id":"<t_ns>.<seq>",…});
// false when there is none of that form.
bool find_ack_stamp(std::string_view ack_payload, stamp& out);

// The "code" of a sorak error event ({"type":"error","message":"…","code":"rate_limited"}),
// or "unknown" when it has none.
std::string_view error_code_of(std::string_view error_payload);

// IRC: the command of a line ":prefix CMD params" or "CMD params".
inline std::string_view irc_command(std::string_view line) {
  std::size_t start = 0;
  if (!line.empty() && line[0] == ':') {
    const std::size_t sp = line.find(' ');
    if (sp == std::string_view::npos) return {};
    start = sp + 1;
  }
  const std::size_t end = line.find(' ', start);
  return line.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
}

// True for a three-digit IRC numeric reply from 400 to 599 (an error).
inline bool irc_error_numeric(std::string_view cmd) {
  return cmd.size() == 3 && (cmd[0] == '4' || cmd[0] == '5') && static_cast<unsigned char>(cmd[1] - '0') < 10 &&
         static_cast<unsigned char>(cmd[2] - '0') < 10;
}

}  // namespace sorak::bench
