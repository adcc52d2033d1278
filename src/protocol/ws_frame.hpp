// ws_frame.hpp: RFC 6455 framing, written here rather than through
// Beast's websocket::stream so that the broadcast path can write ready-made
// frames shared by every viewer, many per write (see docs/architecture.md).
//
// Server frames are never masked and never fragmented. Client frames must be
// masked. Pure functions; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace sorak {

enum class ws_opcode : std::uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

// Close codes Sorak sends (RFC 6455 §7.4 plus the application range).
namespace close_code {
inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t going_away = 1001;
inline constexpr std::uint16_t protocol_error = 1002;
inline constexpr std::uint16_t invalid_payload = 1007;  // text that is not UTF-8
inline constexpr std::uint16_t policy = 1008;           // flood, slow consumer
inline constexpr std::uint16_t too_big = 1009;          // frame or message > limit
inline constexpr std::uint16_t internal = 1011;
inline constexpr std::uint16_t try_again_later = 1013;  // the store did not answer: reconnect
inline constexpr std::uint16_t unauthorized = 4001;
inline constexpr std::uint16_t unknown_stream = 4004;
}  // namespace close_code

// An encoded server frame: immutable, shared by every connection that sends it.
using shared_frame = std::shared_ptr<const std::string>;

// Appends one complete unmasked frame (FIN set) to `out`; `rsv1` marks its
// payload as deflated (permessage-deflate, protocol/ws_deflate.hpp).
void append_frame(std::string& out, ws_opcode op, std::string_view payload, bool rsv1 = false);
std::string encode_frame(ws_opcode op, std::string_view payload);
shared_frame make_text_frame(std::string_view json);
// A close frame: 2-byte code + reason (cut to fit the 125-byte control limit).
std::string encode_close(std::uint16_t code, std::string_view reason);

// The header of one client frame.
struct ws_frame_header {
  bool fin = false;
  bool rsv1 = false;  // a compressed message's first frame (permessage-deflate)
  ws_opcode opcode = ws_opcode::text;
  bool masked = false;
  std::uint8_t mask[4] = {0, 0, 0, 0};
  std::uint64_t payload_length = 0;
  std::size_t header_length = 0;
};

enum class ws_parse {
  incomplete,      // need more bytes for the header
  ok,              // header parsed
  protocol_error,  // RSV bits, unknown opcode, unmasked, bad control frame
  too_big,         // payload_length > max_payload
};

// Parses the header at `data`. Checks everything knowable from the header
// alone: RSV bits clear (RSV1 may be set with `allow_rsv1`, on a text, binary
// frame only: RFC 7692 §6), known opcode, mask bit set, control frames FIN and
// ≤ 125 bytes, payload ≤ max_payload.
ws_parse parse_frame_header(const std::uint8_t* data, std::size_t size, std::size_t max_payload,
                            ws_frame_header& out, bool allow_rsv1 = false);

// XORs `size` bytes with the mask, starting at byte `offset` of the payload.
void unmask_payload(char* data, std::size_t size, const std::uint8_t mask[4], std::size_t offset = 0);

// The Sec-WebSocket-Accept value for a Sec-WebSocket-Key.
std::string websocket_accept_key(std::string_view client_key);

}  // namespace sorak
