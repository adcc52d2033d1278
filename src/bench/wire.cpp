#include "bench/wire.hpp"

#include <charconv>

#include "protocol/ws_frame.hpp"

namespace sorak::bench {

namespace {

constexpr std::uint8_t mask_key[4] = {0x5A, 0x3C, 0x96, 0xE1};
// Any 16 bytes, base64: RFC 6455 asks for a nonce, which only guards against
// caching proxies; there are none on loopback.
constexpr std::string_view websocket_key = "c29yYWstYmVuY2gtMDAwMQ==";

bool iequals_prefix(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char a = text[i];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if (a != prefix[i]) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

void append_client_frame(std::string& out, std::uint8_t opcode, std::string_view payload) {
  const std::size_t n = payload.size();
  char header[14];
  std::size_t hl = 0;
  header[hl++] = static_cast<char>(0x80 | opcode);
  if (n < 126) {
    header[hl++] = static_cast<char>(0x80 | n);
  } else if (n <= 0xFFFF) {
    header[hl++] = static_cast<char>(0x80 | 126);
    header[hl++] = static_cast<char>(n >> 8);
    header[hl++] = static_cast<char>(n & 0xFF);
  } else {
    header[hl++] = static_cast<char>(0x80 | 127);
    for (int shift = 56; shift >= 0; shift -= 8) header[hl++] = static_cast<char>((std::uint64_t(n) >> shift) & 0xFF);
  }
  std::memcpy(header + hl, mask_key, 4);
  hl += 4;
  const std::size_t at = out.size();
  out.resize(at + hl + n);
  char* p = out.data() + at;
  std::memcpy(p, header, hl);
  p += hl;
  for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<char>(payload[i] ^ mask_key[i & 3]);
}

void append_stamped_content(std::string& out, std::int64_t t_ns, std::uint32_t sender, std::uint64_t seq,
                            std::uint32_t size) {
  const std::size_t start = out.size();
  auto number = [&out](auto v) {
    char digits[24];
    const auto r = std::to_chars(digits, digits + sizeof digits, v);
    out.append(digits, static_cast<std::size_t>(r.ptr - digits));
  };
  out.append("t=");
  number(t_ns);
  out.append(" s=");
  number(sender);
  out.push_back('.');
  number(seq);
  out.push_back(' ');
  const std::size_t stamp_len = out.size() - start;
  if (size > stamp_len) out.append(size - stamp_len, 'x');
}

void append_ack_client_id(std::string& out, std::int64_t t_ns, std::uint64_t seq) {
  char digits[48];
  auto r = std::to_chars(digits, digits + 20, t_ns);
  *r.ptr++ = '.';
  r = std::to_chars(r.ptr, digits + sizeof digits, seq);
  out.append(digits, static_cast<std::size_t>(r.ptr - digits));
}

namespace {
// The string value after `key` (`"name":"`), up to its closing quote; empty when absent.
std::string_view string_field(std::string_view payload, std::string_view key) {
  const std::size_t at = payload.find(key);
  if (at == std::string_view::npos) return {};
  const std::size_t start = at + key.size();
  const std::size_t end = payload.find('"', start);
  if (end == std::string_view::npos) return {};
  return payload.substr(start, end - start);
}
}  // namespace

bool find_ack_stamp(std::string_view ack_payload, stamp& out) {
  const std::string_view id = string_field(ack_payload, R"("client_id":")");
  const char* end = id.data() + id.size();
  std::uint64_t t = 0, seq = 0;
  const char* p = detail::read_number(id.data(), end, t);
  if (!p || p == end || *p != '.') return false;
  p = detail::read_number(p + 1, end, seq);
  if (!p || p != end) return false;
  out.t_ns = static_cast<std::int64_t>(t);
  out.seq = seq;
  out.has_seq = true;
  return true;
}

std::string_view error_code_of(std::string_view error_payload) {
  const std::string_view code = string_field(error_payload, R"("code":")");
  return code.empty() ? std::string_view("unknown") : code;
}

std::string upgrade_request(std::string_view host_port, std::string_view target, bool deflate) {
  std::string r;
  r.reserve(target.size() + 260);
  r.append("GET ").append(target).append(" HTTP/1.1\r\nHost: ").append(host_port);
  r.append("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ").append(websocket_key);
  r.append("\r\nSec-WebSocket-Version: 13\r\nUser-Agent: sorak-bench\r\n");
  // The bench never compresses what it sends, so any answer's client parameters hold. It
  // offers what browsers offer and keeps each connection's inflater window from message to
  // message (connection::inflater), so the server may send its rounds as chains.
  if (deflate) r.append("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n");
  r.append("\r\n");
  return r;
}

const std::string& expected_accept() {
  static const std::string accept = websocket_accept_key(websocket_key);
  return accept;
}

int check_upgrade_response(std::string_view head) {
  // "HTTP/1.1 101 Switching Protocols"
  if (head.size() < 12 || head.substr(0, 5) != "HTTP/") return 0;
  const std::size_t sp = head.find(' ');
  if (sp == std::string_view::npos || sp + 4 > head.size()) return 0;
  int status = 0;
  const auto [end, ec] = std::from_chars(head.data() + sp + 1, head.data() + sp + 4, status);
  if (ec != std::errc() || end != head.data() + sp + 4) return 0;
  if (status != 101) return status;
  std::size_t pos = head.find('\n');
  while (pos != std::string_view::npos && pos + 1 < head.size()) {
    const std::size_t next = head.find('\n', pos + 1);
    const std::string_view line = head.substr(pos + 1, next == std::string_view::npos ? head.npos : next - pos - 1);
    if (iequals_prefix(line, "sec-websocket-accept:")) {
      return trim(line.substr(21)) == expected_accept() ? 101 : 0;
    }
    pos = next;
  }
  return 0;
}

}  // namespace sorak::bench
