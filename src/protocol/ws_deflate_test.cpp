// ws_deflate: the permessage-deflate offers Sorak accepts and declines
// (RFC 7692 §7.1), a message deflated and inflated back, and the limit on an
// inflated message (a zip bomb stops at the limit); with ws_reader, the RSV1
// rules of §6 and the same 1009 for a compressed message over the limit as
// for a plain one.
#include "protocol/ws_deflate.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "protocol/ws_reader.hpp"

namespace sorak {
namespace {

// What a client that keeps its window is answered (it may be sent chains),
// and one that asked for server_no_context_takeover.
constexpr std::string_view chained = "permessage-deflate; client_no_context_takeover";
constexpr std::string_view alone = "permessage-deflate; server_no_context_takeover; client_no_context_takeover";

// The header of the answer, and whether it allows chains; "" when declined.
std::pair<std::string, bool> answer(std::string_view offers) {
  auto t = negotiate_deflate(offers);
  return t ? std::pair{t->header, t->chain} : std::pair{std::string(), false};
}

TEST(WsDeflateNegotiation, BrowsersOfferIsAcceptedWithChains) {
  const std::pair<std::string, bool> chains{std::string(chained), true};
  EXPECT_EQ(answer("permessage-deflate; client_max_window_bits"), chains);
  EXPECT_EQ(answer("permessage-deflate"), chains);
  EXPECT_EQ(answer("permessage-deflate; client_max_window_bits=10"), chains);
  EXPECT_EQ(answer("permessage-deflate; client_max_window_bits=\"12\""), chains);
  EXPECT_EQ(answer("permessage-deflate; client_no_context_takeover"), chains);
}

TEST(WsDeflateNegotiation, AClientThatAsksForNoServerContextGetsMessagesOnTheirOwn) {
  const std::pair<std::string, bool> no_chains{std::string(alone), false};
  EXPECT_EQ(answer("  Permessage-Deflate ;client_no_context_takeover ; server_no_context_takeover"), no_chains);
  EXPECT_EQ(answer("permessage-deflate; server_no_context_takeover; client_max_window_bits"), no_chains);
}

TEST(WsDeflateNegotiation, AServerWindowOf15IsEchoed) {
  EXPECT_EQ(answer("permessage-deflate; server_max_window_bits=15").first,
            std::string(chained) + "; server_max_window_bits=15");
  EXPECT_EQ(answer("permessage-deflate; server_max_window_bits=15; server_no_context_takeover").first,
            std::string(alone) + "; server_max_window_bits=15");
}

TEST(WsDeflateNegotiation, OffersWeCannotHonourAreDeclined) {
  EXPECT_FALSE(negotiate_deflate(""));
  EXPECT_FALSE(negotiate_deflate("x-webkit-deflate-frame"));
  EXPECT_FALSE(negotiate_deflate("permessage-deflate; server_max_window_bits=10"));  // a smaller window
  EXPECT_FALSE(negotiate_deflate("permessage-deflate; server_max_window_bits"));     // needs a value
  EXPECT_FALSE(negotiate_deflate("permessage-deflate; client_max_window_bits=7"));
  EXPECT_FALSE(negotiate_deflate("permessage-deflate; client_max_window_bits=016"));
  EXPECT_FALSE(negotiate_deflate("permessage-deflate; client_max_window_bits=abc"));
  EXPECT_FALSE(negotiate_deflate("permessage-deflate; server_no_context_takeover; server_no_context_takeover"));
  EXPECT_FALSE(negotiate_deflate("permessage-deflate; client_no_context_takeover=1"));
  EXPECT_FALSE(negotiate_deflate("permessage-deflate; mystery"));
}

TEST(WsDeflateNegotiation, TheFirstOfferWeCanHonourWins) {
  EXPECT_EQ(answer("permessage-deflate; server_max_window_bits=10, permessage-deflate; client_max_window_bits").first,
            chained);
  EXPECT_EQ(answer("foo, permessage-deflate").first, chained);
  EXPECT_EQ(answer("permessage-deflate; server_no_context_takeover, permessage-deflate").first, alone);
  EXPECT_FALSE(negotiate_deflate("permessage-deflate; x=\"a,b\", foo"));
}

std::string deflated(std::string_view text) {
  std::string out;
  deflate_message(text, out);
  return out;
}

TEST(WsDeflate, AMessageInflatesBackWhole) {
  const std::string text =
      R"({"type":"message","id":"m1","user":{"id":"u1","name":"Ann"},"content":"hello hello hello chat"})";
  const std::string z = deflated(text);
  EXPECT_LT(z.size(), text.size());
  ASSERT_GE(z.size(), 1u);
  std::string back;
  ASSERT_EQ(inflate_message(z, 1024, back), inflate_result::ok);
  EXPECT_EQ(back, text);
  // No context is kept: the same text deflates the same way twice.
  EXPECT_EQ(deflated(text), z);
}

TEST(WsDeflate, TheEmptyMessageRoundTrips) {
  std::string back = "x";
  ASSERT_EQ(inflate_message(deflated(""), 16, back), inflate_result::ok);
  EXPECT_EQ(back, "");
}

TEST(WsDeflate, InflatingStopsAtTheLimit) {
  const std::string bomb_text(10 * 1024 * 1024, 'a');
  const std::string bomb = deflated(bomb_text);
  EXPECT_LT(bomb.size(), 16u * 1024);
  std::string out;
  EXPECT_EQ(inflate_message(bomb, 16 * 1024, out), inflate_result::too_big);
  EXPECT_LE(out.capacity(), 64u * 1024);
  EXPECT_EQ(inflate_message(deflated(std::string(100, 'a')), 100, out), inflate_result::ok);  // exactly the limit
  EXPECT_EQ(inflate_message(deflated(std::string(101, 'a')), 100, out), inflate_result::too_big);
}

TEST(WsDeflate, GarbageIsCorrupt) {
  std::string out;
  EXPECT_EQ(inflate_message(std::string("\xff\xff\xff\xff\xff", 5), 1024, out), inflate_result::corrupt);
}

TEST(WsDeflate, SmallFramesStayPlain) {
  std::string out;
  EXPECT_FALSE(append_deflated_text_frame(out, "{}"));
  EXPECT_EQ(out, std::string("\x81\x02{}", 4));
  out.clear();
  const std::string text(300, 'z');
  EXPECT_TRUE(append_deflated_text_frame(out, text));
  EXPECT_EQ(static_cast<std::uint8_t>(out[0]), 0xC1);  // FIN, RSV1, text
  std::string back;
  ASSERT_EQ(inflate_message(std::string_view(out).substr(2), 1024, back), inflate_result::ok);
  EXPECT_EQ(back, text);
}

// ---- chains ----------------------------------------------------------------------

// A chat line as sorakd sends it: the envelope repeats from line to line.
std::string chat_line(int i) {
  return R"({"type":"message","data":{"id":"01a25123-b769-7000-879b-7bf303e6c4)" + std::to_string(10 + i) +
         R"(","stream_id":"01a25123-b759-7000-8ce6-a0f3e7f54297","user":{"id":"fan-)" + std::to_string(i % 3) +
         R"(","username":"fan)" + std::to_string(i % 3) +
         R"(","display_name":"A fan","avatar_url":"","level":0,"is_premium":false,"badges":[]},"content":"line )" +
         std::to_string(i) +
         R"( of the chat","message_type":"message","gift":null,"stars":0,"reply_to":null,"created_at":"2026-12-07T15:33:44.9)" +
         std::to_string(10 + i) + R"(Z"}})";
}

// The payloads of a run of server frames (each < 126 bytes long or 16-bit length).
std::vector<std::string> payloads_of(std::string_view bytes) {
  std::vector<std::string> out;
  while (bytes.size() >= 2) {
    std::size_t len = static_cast<std::uint8_t>(bytes[1]) & 0x7F, head = 2;
    if (len == 126) {
      len = (static_cast<std::uint8_t>(bytes[2]) << 8) | static_cast<std::uint8_t>(bytes[3]);
      head = 4;
    }
    EXPECT_EQ(static_cast<std::uint8_t>(bytes[0]), 0xC1) << "every frame of a chain is deflated (RSV1)";
    out.emplace_back(bytes.substr(head, len));
    bytes.remove_prefix(head + len);
  }
  return out;
}

TEST(WsDeflateChain, AClientThatKeepsItsWindowReadsEveryMessageOfEveryChain) {
  deflate_chain chain;
  inflate_stream client;  // one per connection, never reset
  // What the connection got before: a message deflated on its own.
  std::string back;
  ASSERT_EQ(client.next(deflated(chat_line(0)), 1 << 16, back), inflate_result::ok);
  EXPECT_EQ(back, chat_line(0));
  for (int round = 0; round < 3; ++round) {
    chain.begin();
    std::string frames;
    for (int i = 1; i <= 5; ++i) chain.append_text_frame(frames, chat_line(round * 10 + i));
    const auto parts = payloads_of(frames);
    ASSERT_EQ(parts.size(), 5u);
    for (int i = 1; i <= 5; ++i) {
      ASSERT_EQ(client.next(parts[static_cast<std::size_t>(i - 1)], 1 << 16, back), inflate_result::ok);
      EXPECT_EQ(back, chat_line(round * 10 + i));
    }
  }
}

TEST(WsDeflateChain, LinesAfterTheFirstCostAFractionOfALoneOne) {
  deflate_chain chain;
  chain.begin();
  std::string frames;
  for (int i = 1; i <= 8; ++i) chain.append_text_frame(frames, chat_line(i));
  const auto parts = payloads_of(frames);
  const std::size_t lone = deflated(chat_line(8)).size();
  EXPECT_LT(chat_line(8).size(), 2 * lone + 40) << "a lone line deflates to about half";
  EXPECT_LT(parts.back().size() * 3, lone) << parts.back().size() << " bytes against " << lone;
}

TEST(WsDeflateChain, IsOnlyValidWholeAClientWithoutTheStartCannotReadIt) {
  deflate_chain chain;
  chain.begin();
  std::string frames;
  for (int i = 1; i <= 3; ++i) chain.append_text_frame(frames, chat_line(i));
  const auto parts = payloads_of(frames);
  std::string back;
  EXPECT_NE(inflate_message(parts[1], 1 << 16, back) == inflate_result::ok && back == chat_line(2), true)
      << "the second line refers back to the first: why a viewer joining mid-round gets lone frames";
}

// ---- with the reader -------------------------------------------------------------

constexpr std::uint8_t mask_key[4] = {0x37, 0xfa, 0x21, 0x3d};

std::string client_frame(std::uint8_t first, std::string_view payload) {
  std::string f;
  f.push_back(static_cast<char>(first));
  const std::size_t n = payload.size();
  if (n < 126) {
    f.push_back(static_cast<char>(0x80 | n));
  } else {
    f.push_back(static_cast<char>(0x80 | 126));
    f.push_back(static_cast<char>(n >> 8));
    f.push_back(static_cast<char>(n));
  }
  f.append(reinterpret_cast<const char*>(mask_key), 4);
  for (std::size_t i = 0; i < n; ++i) f.push_back(static_cast<char>(payload[i] ^ mask_key[i % 4]));
  return f;
}

ws_event read_one(ws_reader& r, std::string& bytes) {
  std::span<char> input(bytes.data(), bytes.size());
  return r.next(input);
}

TEST(WsDeflateReader, ACompressedMessageIsInflated) {
  ws_reader r(1024);
  r.accept_deflate();
  std::string bytes = client_frame(0xC1, deflated(R"({"type":"message","content":"hi"})"));
  const ws_event e = read_one(r, bytes);
  ASSERT_EQ(e.what, ws_event::kind::text);
  EXPECT_EQ(e.data, R"({"type":"message","content":"hi"})");
}

TEST(WsDeflateReader, ACompressedMessageInFragments) {
  ws_reader r(1024);
  r.accept_deflate();
  const std::string z = deflated(std::string(500, 'q'));
  ASSERT_GE(z.size(), 2u);
  std::string bytes = client_frame(0x41, z.substr(0, 1)) + client_frame(0x80, z.substr(1));
  std::span<char> input(bytes.data(), bytes.size());
  const ws_event e = r.next(input);
  ASSERT_EQ(e.what, ws_event::kind::text);
  EXPECT_EQ(e.data, std::string(500, 'q'));
}

TEST(WsDeflateReader, RsvOneWithoutTheExtensionIsAProtocolError) {
  ws_reader r(1024);
  std::string bytes = client_frame(0xC1, deflated("hello"));
  const ws_event e = read_one(r, bytes);
  ASSERT_EQ(e.what, ws_event::kind::error);
  EXPECT_EQ(e.code, 1002);
}

TEST(WsDeflateReader, RsvOneOnAContinuationOrControlFrameIsAProtocolError) {
  for (std::uint8_t bad : {std::uint8_t(0xC9), std::uint8_t(0xC0)}) {  // ping, continuation
    ws_reader r(1024);
    r.accept_deflate();
    std::string bytes = client_frame(bad, "");
    const ws_event e = read_one(r, bytes);
    ASSERT_EQ(e.what, ws_event::kind::error);
    EXPECT_EQ(e.code, 1002);
  }
}

TEST(WsDeflateReader, AnInflatedMessageOverTheLimitGetsWhatAPlainOneGets) {
  ws_reader plain(1024);
  std::string big = client_frame(0x81, std::string(1025, 'a'));
  const ws_event p = read_one(plain, big);
  ws_reader r(1024);
  r.accept_deflate();
  std::string bomb = client_frame(0xC1, deflated(std::string(1025, 'a')));
  ASSERT_LT(bomb.size(), 1024u);
  const ws_event e = read_one(r, bomb);
  ASSERT_EQ(e.what, ws_event::kind::error);
  EXPECT_EQ(e.code, 1009);
  EXPECT_EQ(e.code, p.code);
}

TEST(WsDeflateReader, CorruptDataIsInvalidPayload) {
  ws_reader r(1024);
  r.accept_deflate();
  std::string bytes = client_frame(0xC1, std::string("\xff\xff\xff", 3));
  const ws_event e = read_one(r, bytes);
  ASSERT_EQ(e.what, ws_event::kind::error);
  EXPECT_EQ(e.code, 1007);
}

}  // namespace
}  // namespace sorak
