// RFC 6455 framing as a browser sees it: what the server writes must be a
// frame any WebSocket client reads, and what a client writes is accepted or
// refused exactly as §5 of the RFC (and CONTRACT §5's 16 KiB limit) says.
#include "protocol/ws_frame.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace sorak {
namespace {

constexpr std::size_t limit_16k = 16 * 1024;
constexpr std::uint8_t mask_key[4] = {0x37, 0xfa, 0x21, 0x3d};

std::uint8_t byte(const std::string& s, std::size_t i) { return static_cast<std::uint8_t>(s[i]); }

// A client frame as a browser writes it: masked, with the shortest length form
// unless `length_form` forces 126 or 127.
std::vector<std::uint8_t> client_frame(std::uint8_t first_byte, std::string_view payload, int length_form = 0,
                                       bool masked = true) {
  std::vector<std::uint8_t> f{first_byte};
  const std::uint64_t n = payload.size();
  const std::uint8_t mask_bit = masked ? 0x80 : 0x00;
  if (length_form == 0 && n < 126) {
    f.push_back(static_cast<std::uint8_t>(mask_bit | n));
  } else if (length_form == 126 || (length_form == 0 && n <= 0xFFFF)) {
    f.push_back(mask_bit | 126);
    f.push_back(static_cast<std::uint8_t>(n >> 8));
    f.push_back(static_cast<std::uint8_t>(n));
  } else {
    f.push_back(mask_bit | 127);
    for (int shift = 56; shift >= 0; shift -= 8) f.push_back(static_cast<std::uint8_t>(n >> shift));
  }
  if (masked) f.insert(f.end(), mask_key, mask_key + 4);
  for (std::size_t i = 0; i < payload.size(); ++i)
    f.push_back(static_cast<std::uint8_t>(payload[i]) ^ (masked ? mask_key[i % 4] : 0));
  return f;
}

// A header with only a (huge) announced length, as a client that lies about
// the size sends it: the payload never needs to arrive for the verdict.
std::vector<std::uint8_t> header_only(std::uint8_t first_byte, std::uint64_t announced) {
  std::vector<std::uint8_t> f{first_byte, 0x80 | 127};
  for (int shift = 56; shift >= 0; shift -= 8) f.push_back(static_cast<std::uint8_t>(announced >> shift));
  f.insert(f.end(), mask_key, mask_key + 4);
  return f;
}

ws_parse parse(const std::vector<std::uint8_t>& f, ws_frame_header& h, std::size_t max = limit_16k) {
  return parse_frame_header(f.data(), f.size(), max, h);
}

// ---- server frames ------------------------------------------------------------

TEST(WsEncode, SmallTextFrameIsFinUnmaskedWithOneByteLength) {
  const std::string f = encode_frame(ws_opcode::text, R"({"type":"pong"})");
  ASSERT_EQ(f.size(), 2u + 15u);
  EXPECT_EQ(byte(f, 0), 0x81);  // FIN + text, no RSV bits
  EXPECT_EQ(byte(f, 1), 15);    // mask bit clear: servers never mask
  EXPECT_EQ(f.substr(2), R"({"type":"pong"})");
}

TEST(WsEncode, LengthUsesTheShortestFormAtEachBoundary) {
  struct row {
    std::size_t n;
    std::size_t header;
    std::uint8_t len7;
  };
  for (const row r : {row{0, 2, 0}, row{125, 2, 125}, row{126, 4, 126}, row{65535, 4, 126},
                      row{65536, 10, 127}, row{100000, 10, 127}}) {
    const std::string payload(r.n, 'x');
    const std::string f = encode_frame(ws_opcode::binary, payload);
    ASSERT_EQ(f.size(), r.header + r.n) << r.n;
    EXPECT_EQ(byte(f, 0), 0x82) << r.n;
    EXPECT_EQ(byte(f, 1), r.len7) << r.n;
    std::uint64_t len = r.len7;
    if (r.len7 == 126) len = (std::uint64_t(byte(f, 2)) << 8) | byte(f, 3);
    if (r.len7 == 127) {
      len = 0;
      for (int i = 0; i < 8; ++i) len = (len << 8) | byte(f, 2 + i);
    }
    EXPECT_EQ(len, r.n);
    EXPECT_EQ(f.substr(r.header), payload) << r.n;
  }
}

TEST(WsEncode, AppendFrameWritesSeveralFramesBackToBack) {
  std::string out;
  append_frame(out, ws_opcode::text, "a");
  append_frame(out, ws_opcode::text, "bc");
  EXPECT_EQ(out, std::string("\x81\x01" "a" "\x81\x02" "bc", 7));
}

TEST(WsEncode, SharedTextFrameHoldsTheSameBytesAsEncodeFrame) {
  const shared_frame f = make_text_frame(R"({"type":"viewer_count","data":{"count":3}})");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(*f, encode_frame(ws_opcode::text, R"({"type":"viewer_count","data":{"count":3}})"));
}

TEST(WsEncode, CloseFrameCarriesBigEndianCodeThenReason) {
  const std::string f = encode_close(close_code::unauthorized, "invalid token");
  ASSERT_EQ(f.size(), 2u + 2u + 13u);
  EXPECT_EQ(byte(f, 0), 0x88);  // FIN + close
  EXPECT_EQ(byte(f, 1), 15);
  EXPECT_EQ((byte(f, 2) << 8) | byte(f, 3), 4001);
  EXPECT_EQ(f.substr(4), "invalid token");
}

TEST(WsEncode, CloseReasonIsCutToFitTheControlFrameLimit) {
  // A control frame may carry at most 125 bytes (RFC 6455 §5.5); a longer one
  // makes browsers fail the connection instead of showing the close code.
  const std::string f = encode_close(close_code::policy, std::string(300, 'r'));
  EXPECT_EQ(byte(f, 1), 125);
  ASSERT_EQ(f.size(), 2u + 125u);
  EXPECT_EQ((byte(f, 2) << 8) | byte(f, 3), 1008);
  EXPECT_EQ(f.substr(4), std::string(123, 'r'));
  // At the boundary: 123 bytes of reason fit exactly, 124 do not.
  for (std::size_t n : {123u, 124u, 125u}) {
    const std::string g = encode_close(close_code::normal, std::string(n, 'q'));
    EXPECT_EQ(byte(g, 1), 125) << n;
    EXPECT_EQ(g.size(), 2u + 125u) << n;
  }
}

TEST(WsEncode, CloseCodesAreTheOnesTheContractNames) {
  EXPECT_EQ(close_code::going_away, 1001);
  EXPECT_EQ(close_code::invalid_payload, 1007);
  EXPECT_EQ(close_code::policy, 1008);
  EXPECT_EQ(close_code::too_big, 1009);
  EXPECT_EQ(close_code::unauthorized, 4001);
  EXPECT_EQ(close_code::unknown_stream, 4004);
}

// ---- client frames ------------------------------------------------------------

TEST(WsParse, MaskedTextFrameParsesAndUnmasksToTheSentText) {
  const std::string text = R"({"type":"message","content":"hi"})";
  auto f = client_frame(0x81, text);
  ws_frame_header h;
  ASSERT_EQ(parse(f, h), ws_parse::ok);
  EXPECT_TRUE(h.fin);
  EXPECT_EQ(h.opcode, ws_opcode::text);
  EXPECT_TRUE(h.masked);
  EXPECT_EQ(h.payload_length, text.size());
  EXPECT_EQ(h.header_length, 6u);
  ASSERT_EQ(f.size(), h.header_length + text.size());
  std::string payload(reinterpret_cast<const char*>(f.data() + h.header_length), h.payload_length);
  unmask_payload(payload.data(), payload.size(), h.mask);
  EXPECT_EQ(payload, text);
}

TEST(WsParse, ExtendedLengthsParse) {
  ws_frame_header h;
  const std::string mid(300, 'm');
  auto f16 = client_frame(0x81, mid);
  ASSERT_EQ(parse(f16, h), ws_parse::ok);
  EXPECT_EQ(h.payload_length, 300u);
  EXPECT_EQ(h.header_length, 8u);

  // The 64-bit form is legal for any length, even a small one.
  auto f64 = client_frame(0x82, "abc", 127);
  ASSERT_EQ(parse(f64, h), ws_parse::ok);
  EXPECT_EQ(h.opcode, ws_opcode::binary);
  EXPECT_EQ(h.payload_length, 3u);
  EXPECT_EQ(h.header_length, 14u);
}

TEST(WsParse, EveryProperPrefixOfAHeaderIsIncomplete) {
  for (auto f : {client_frame(0x81, "hello"), client_frame(0x81, std::string(300, 'x')),
                 client_frame(0x81, "abc", 127)}) {
    ws_frame_header probe;
    ASSERT_EQ(parse(f, probe), ws_parse::ok);
    for (std::size_t n = 0; n < probe.header_length; ++n) {
      ws_frame_header h;
      EXPECT_EQ(parse_frame_header(f.data(), n, limit_16k, h), ws_parse::incomplete) << n;
    }
  }
}

TEST(WsParse, HeaderIsOkBeforeThePayloadArrives) {
  // The session reads a frame in pieces: the header alone must be enough.
  auto f = client_frame(0x81, std::string(1000, 'p'));
  ws_frame_header h;
  EXPECT_EQ(parse_frame_header(f.data(), 8, limit_16k, h), ws_parse::ok);
  EXPECT_EQ(h.payload_length, 1000u);
}

TEST(WsParse, UnmaskedClientFrameIsAProtocolError) {
  auto f = client_frame(0x81, "hi", 0, /*masked=*/false);
  ws_frame_header h;
  EXPECT_EQ(parse(f, h), ws_parse::protocol_error);
}

TEST(WsParse, RsvBitsWithoutAnExtensionAreAProtocolError) {
  for (std::uint8_t rsv : {0x40, 0x20, 0x10}) {
    auto f = client_frame(static_cast<std::uint8_t>(0x81 | rsv), "hi");
    ws_frame_header h;
    EXPECT_EQ(parse(f, h), ws_parse::protocol_error) << int(rsv);
  }
}

TEST(WsParse, ReservedOpcodesAreAProtocolError) {
  for (std::uint8_t op : {0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
    auto f = client_frame(static_cast<std::uint8_t>(0x80 | op), "");
    ws_frame_header h;
    EXPECT_EQ(parse(f, h), ws_parse::protocol_error) << int(op);
  }
}

TEST(WsParse, EveryDefinedOpcodeIsAccepted) {
  for (auto op : {ws_opcode::text, ws_opcode::binary, ws_opcode::close, ws_opcode::ping, ws_opcode::pong}) {
    auto f = client_frame(static_cast<std::uint8_t>(0x80 | static_cast<std::uint8_t>(op)), "x");
    ws_frame_header h;
    ASSERT_EQ(parse(f, h), ws_parse::ok) << int(op);
    EXPECT_EQ(h.opcode, op);
  }
  // A fragmented message: a first frame without FIN, then a continuation.
  ws_frame_header first, rest;
  ASSERT_EQ(parse(client_frame(0x01, "par"), first), ws_parse::ok);
  EXPECT_FALSE(first.fin);
  ASSERT_EQ(parse(client_frame(0x80, "t"), rest), ws_parse::ok);
  EXPECT_EQ(rest.opcode, ws_opcode::continuation);
  EXPECT_TRUE(rest.fin);
}

TEST(WsParse, ControlFramesMustBeFinAndAtMost125Bytes) {
  ws_frame_header h;
  EXPECT_EQ(parse(client_frame(0x89, std::string(125, 'p')), h), ws_parse::ok);
  EXPECT_EQ(parse(client_frame(0x89, std::string(126, 'p')), h), ws_parse::protocol_error);
  EXPECT_EQ(parse(client_frame(0x88, std::string(126, 'c')), h), ws_parse::protocol_error);
  EXPECT_EQ(parse(client_frame(0x8A, std::string(200, 'p')), h), ws_parse::protocol_error);
  // A fragmented ping (no FIN) is not allowed either.
  EXPECT_EQ(parse(client_frame(0x09, "p"), h), ws_parse::protocol_error);
  EXPECT_EQ(parse(client_frame(0x08, ""), h), ws_parse::protocol_error);
}

TEST(WsParse, PayloadUpTo16KiBIsOkOneByteMoreIsTooBig) {
  ws_frame_header h;
  EXPECT_EQ(parse(client_frame(0x81, std::string(limit_16k, 'a')), h), ws_parse::ok);
  EXPECT_EQ(h.payload_length, limit_16k);
  EXPECT_EQ(parse(client_frame(0x81, std::string(limit_16k + 1, 'a')), h), ws_parse::too_big);
}

TEST(WsParse, AHugeAnnouncedLengthIsRefusedFromTheHeaderAlone) {
  // The server must not wait for (or allocate) gigabytes a client announces.
  ws_frame_header h;
  auto f = header_only(0x82, std::uint64_t(1) << 40);
  EXPECT_EQ(parse(f, h), ws_parse::too_big);
  // Even without the mask bytes yet: ten bytes are enough to know.
  EXPECT_EQ(parse_frame_header(f.data(), 10, limit_16k, h), ws_parse::too_big);
  auto max = header_only(0x81, ~std::uint64_t(0));
  EXPECT_EQ(parse(max, h), ws_parse::too_big);
}

TEST(WsParse, TheLimitIsTheCallersMaxPayload) {
  ws_frame_header h;
  auto f = client_frame(0x81, std::string(100, 'a'));
  EXPECT_EQ(parse(f, h, 100), ws_parse::ok);
  EXPECT_EQ(parse(f, h, 99), ws_parse::too_big);
}

TEST(WsParse, TwoFramesInOneReadParseOneAfterTheOther) {
  auto a = client_frame(0x81, R"({"type":"ping"})");
  auto b = client_frame(0x81, R"({"type":"message","content":"x"})");
  std::vector<std::uint8_t> both = a;
  both.insert(both.end(), b.begin(), b.end());
  ws_frame_header h1, h2;
  ASSERT_EQ(parse(both, h1), ws_parse::ok);
  const std::size_t next = h1.header_length + h1.payload_length;
  ASSERT_EQ(next, a.size());
  ASSERT_EQ(parse_frame_header(both.data() + next, both.size() - next, limit_16k, h2), ws_parse::ok);
  std::string second(reinterpret_cast<const char*>(both.data() + next + h2.header_length), h2.payload_length);
  unmask_payload(second.data(), second.size(), h2.mask);
  EXPECT_EQ(second, R"({"type":"message","content":"x"})");
}

TEST(WsUnmask, UnmaskingInPiecesWithOffsetsEqualsUnmaskingAtOnce) {
  const std::string text = "a payload that arrives in several reads";
  auto f = client_frame(0x81, text);
  ws_frame_header h;
  ASSERT_EQ(parse(f, h), ws_parse::ok);
  std::string masked(reinterpret_cast<const char*>(f.data() + h.header_length), h.payload_length);
  std::string pieces = masked;
  std::size_t offset = 0;
  for (std::size_t chunk : {3u, 1u, 7u, 100u}) {
    const std::size_t n = std::min(chunk, pieces.size() - offset);
    unmask_payload(pieces.data() + offset, n, h.mask, offset);
    offset += n;
  }
  EXPECT_EQ(pieces, text);
  // Masking is its own inverse.
  unmask_payload(pieces.data(), pieces.size(), h.mask);
  EXPECT_EQ(pieces, masked);
}

// ---- handshake ----------------------------------------------------------------

TEST(WsHandshake, AcceptKeyMatchesTheRfc6455Example) {
  EXPECT_EQ(websocket_accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WsHandshake, AcceptKeyForAnotherKey) {
  // Computed independently: base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")).
  EXPECT_EQ(websocket_accept_key("AQIDBAUGBwgJCgsMDQ4PEA=="), "C/0nmHhBztSRGR1CwL6Tf4ZjwpY=");
}

}  // namespace
}  // namespace sorak
