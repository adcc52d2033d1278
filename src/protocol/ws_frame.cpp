#include "protocol/ws_frame.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cstring>

namespace sorak {

void append_frame(std::string& out, ws_opcode op, std::string_view payload, bool rsv1) {
  const std::size_t n = payload.size();
  out.push_back(static_cast<char>(0x80 | (rsv1 ? 0x40 : 0) | static_cast<std::uint8_t>(op)));
  if (n < 126) {
    out.push_back(static_cast<char>(n));
  } else if (n <= 0xFFFF) {
    out.push_back(static_cast<char>(126));
    out.push_back(static_cast<char>((n >> 8) & 0xFF));
    out.push_back(static_cast<char>(n & 0xFF));
  } else {
    out.push_back(static_cast<char>(127));
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((std::uint64_t(n) >> shift) & 0xFF));
  }
  out.append(payload);
}

std::string encode_frame(ws_opcode op, std::string_view payload) {
  std::string out;
  out.reserve(payload.size() + 10);
  append_frame(out, op, payload);
  return out;
}

shared_frame make_text_frame(std::string_view json) {
  return std::make_shared<const std::string>(encode_frame(ws_opcode::text, json));
}

std::string encode_close(std::uint16_t code, std::string_view reason) {
  if (reason.size() > 123) {
    std::size_t cut = 123;
    while (cut > 0 && (static_cast<unsigned char>(reason[cut]) & 0xC0) == 0x80) --cut;  // keep UTF-8 whole
    reason = reason.substr(0, cut);
  }
  std::string payload;
  payload.push_back(static_cast<char>(code >> 8));
  payload.push_back(static_cast<char>(code & 0xFF));
  payload.append(reason);
  return encode_frame(ws_opcode::close, payload);
}

namespace {
bool known_opcode(std::uint8_t op) { return op <= 0x2 || (op >= 0x8 && op <= 0xA); }
}  // namespace

ws_parse parse_frame_header(const std::uint8_t* p, std::size_t size, std::size_t max_payload,
                            ws_frame_header& h, bool allow_rsv1) {
  if (size < 2) return ws_parse::incomplete;
  if (p[0] & 0x30) return ws_parse::protocol_error;  // no extension uses RSV2 or RSV3
  const std::uint8_t op = p[0] & 0x0F;
  if (!known_opcode(op)) return ws_parse::protocol_error;
  h.rsv1 = (p[0] & 0x40) != 0;
  // RSV1 only with permessage-deflate, and only on a message's first frame.
  if (h.rsv1 && (!allow_rsv1 || op == 0x0 || op >= 0x8)) return ws_parse::protocol_error;
  h.fin = (p[0] & 0x80) != 0;
  h.opcode = static_cast<ws_opcode>(op);
  h.masked = (p[1] & 0x80) != 0;
  if (!h.masked) return ws_parse::protocol_error;  // RFC 6455 §5.1: clients mask
  std::uint64_t len = p[1] & 0x7F;
  std::size_t pos = 2;
  if (len == 126) {
    if (size < 4) return ws_parse::incomplete;
    len = (std::uint64_t(p[2]) << 8) | p[3];
    pos = 4;
  } else if (len == 127) {
    if (size < 10) return ws_parse::incomplete;
    len = 0;
    for (int i = 0; i < 8; ++i) len = (len << 8) | p[2 + i];
    pos = 10;
  }
  const bool control = op >= 0x8;
  if (control && (!h.fin || len > 125)) return ws_parse::protocol_error;
  if (len > max_payload) return ws_parse::too_big;
  if (size < pos + 4) return ws_parse::incomplete;
  std::memcpy(h.mask, p + pos, 4);
  h.payload_length = len;
  h.header_length = pos + 4;
  return ws_parse::ok;
}

void unmask_payload(char* data, std::size_t size, const std::uint8_t mask[4], std::size_t offset) {
  for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<char>(data[i] ^ mask[(offset + i) & 3]);
}

std::string websocket_accept_key(std::string_view client_key) {
  static constexpr std::string_view guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  std::string input(client_key);
  input.append(guid);
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  unsigned char out[4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1];
  const int n = EVP_EncodeBlock(out, digest, SHA_DIGEST_LENGTH);
  return std::string(reinterpret_cast<char*>(out), static_cast<std::size_t>(n));
}

}  // namespace sorak
