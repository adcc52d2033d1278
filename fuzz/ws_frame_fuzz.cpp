// ws_frame_fuzz: the bytes a client writes after the upgrade → the frame
// parser, unmasking, fragment reassembly and the UTF-8 check, in the order
// protocol/ws_reader applies them (16 KiB limit); ws_reader_fuzz drives the
// reader itself.
// Invariants: every accepted header is consistent with RFC 6455 (client
// frames masked, control frames FIN and ≤ 125 bytes, payload ≤ the limit);
// parsing never reads past the buffer (ASan); a reassembled message is never
// larger than the limit.
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "core/utf8.hpp"
#include "fuzz_check.hpp"
#include "protocol/ws_frame.hpp"

using namespace sorak;

namespace {
constexpr std::size_t max_payload = 16 * 1024;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The session parses in place (unmasking rewrites the bytes): work on a copy
  // of exactly `size` bytes so ASan sees any read past the end.
  std::vector<char> buf(data, data + size);
  std::string fragments;
  std::optional<ws_opcode> fragment_op;
  std::size_t pos = 0;
  while (pos < size) {
    ws_frame_header h;
    const auto r = parse_frame_header(reinterpret_cast<const std::uint8_t*>(buf.data() + pos), size - pos,
                                      max_payload, h);
    if (r != ws_parse::ok) break;  // incomplete, or the session closes (1002 / 1009)
    FUZZ_CHECK(h.masked);
    FUZZ_CHECK(h.header_length == 6 || h.header_length == 8 || h.header_length == 14);
    FUZZ_CHECK(h.payload_length <= max_payload);
    const auto op = static_cast<std::uint8_t>(h.opcode);
    FUZZ_CHECK(op <= 0x2 || (op >= 0x8 && op <= 0xA));
    if (op >= 0x8) FUZZ_CHECK(h.fin && h.payload_length <= 125);
    const std::size_t total = h.header_length + h.payload_length;
    if (size - pos < total) break;
    char* payload = buf.data() + pos + h.header_length;
    unmask_payload(payload, h.payload_length, h.mask);
    pos += total;
    const std::string_view p(payload, h.payload_length);
    if (h.opcode == ws_opcode::close) {
      if (p.size() >= 2) {
        const auto code = static_cast<std::uint16_t>((std::uint8_t(p[0]) << 8) | std::uint8_t(p[1]));
        const std::string echo = encode_close(code, p.substr(2));
        FUZZ_CHECK(echo.size() <= 2 + 125);  // a control frame the peer can parse
      }
      break;
    }
    if (op >= 0x8) continue;  // ping / pong
    if (h.opcode == ws_opcode::continuation) {
      if (!fragment_op) break;  // 1002
    } else {
      if (fragment_op) break;  // 1002
      fragment_op = h.opcode;
      fragments.clear();
    }
    if (fragments.size() + p.size() > max_payload) break;  // 1009
    fragments.append(p);
    FUZZ_CHECK(fragments.size() <= max_payload);
    if (!h.fin) continue;
    if (*fragment_op == ws_opcode::text && is_valid_utf8(fragments)) {
      const std::size_t n = count_code_points(fragments);
      FUZZ_CHECK(n <= fragments.size());
    }
    fragment_op.reset();
    fragments.clear();
  }
  // The server's own frames: a text frame of this payload has the right length.
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  const std::string f = encode_frame(ws_opcode::text, raw);
  const std::size_t header = size < 126 ? 2 : size <= 0xFFFF ? 4 : 10;
  FUZZ_CHECK(f.size() == header + size);
  FUZZ_CHECK(std::memcmp(f.data() + header, raw.data(), size) == 0);
  return 0;
}
