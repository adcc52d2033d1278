// ws_reader: the bytes a client writes after the upgrade → messages, control
// frames and protocol errors, exactly as RFC 6455 (§5, §7.4) and the 16 KiB
// limit say, however the bytes are split across reads.
#include "protocol/ws_reader.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace sorak {
namespace {

constexpr std::uint32_t limit = 16 * 1024;
constexpr std::uint8_t mask_key[4] = {0x12, 0x9c, 0x4e, 0xa7};
using kind = ws_event::kind;

// A client frame as a browser writes it: masked unless told otherwise.
std::string frame(ws_opcode op, std::string_view payload, bool fin = true, bool masked = true) {
  std::string f;
  f.push_back(static_cast<char>((fin ? 0x80 : 0) | static_cast<std::uint8_t>(op)));
  const std::uint64_t n = payload.size();
  const char mask_bit = masked ? char(0x80) : char(0);
  if (n < 126) {
    f.push_back(static_cast<char>(mask_bit | n));
  } else if (n <= 0xFFFF) {
    f.push_back(static_cast<char>(mask_bit | 126));
    f.push_back(static_cast<char>(n >> 8));
    f.push_back(static_cast<char>(n));
  } else {
    f.push_back(static_cast<char>(mask_bit | 127));
    for (int shift = 56; shift >= 0; shift -= 8) f.push_back(static_cast<char>(n >> shift));
  }
  if (masked) f.append(reinterpret_cast<const char*>(mask_key), 4);
  for (std::size_t i = 0; i < n; ++i) f.push_back(static_cast<char>(payload[i] ^ (masked ? mask_key[i % 4] : 0)));
  return f;
}

std::string close_frame(std::uint16_t code, std::string_view reason) {
  std::string p{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
  p.append(reason);
  return frame(ws_opcode::close, p);
}

// One event, copied out of the buffers it points into.
struct seen {
  kind what;
  std::string data;
  std::uint16_t code;
  bool operator==(const seen&) const = default;
};

std::ostream& operator<<(std::ostream& os, const seen& s) {
  return os << "{" << int(s.what) << ", \"" << s.data << "\", " << s.code << "}";
}

// Feeds `bytes` in reads of at most `step` bytes, the way ws_session does:
// the held bytes first, then the new ones, parsed in place in one buffer.
std::vector<seen> read_all(ws_reader& r, const std::string& bytes, std::size_t step) {
  std::vector<seen> out;
  for (std::size_t at = 0; at < bytes.size(); at += step) {
    const std::string_view fresh = std::string_view(bytes).substr(at, step);
    std::string buf(r.held());
    buf.append(fresh);
    std::span<char> input(buf.data(), buf.size());
    for (;;) {
      const ws_event e = r.next(input);
      if (e.what == kind::need_more) break;
      out.push_back({e.what, std::string(e.data), e.code});
    }
    r.hold(std::string_view(input.data(), input.size()));
  }
  return out;
}

std::vector<seen> read_all(const std::string& bytes, std::size_t step = SIZE_MAX) {
  ws_reader r(limit);
  return read_all(r, bytes, step);
}

seen text(std::string s) { return {kind::text, std::move(s), 0}; }
seen error(std::uint16_t code, std::string reason) { return {kind::error, std::move(reason), code}; }

// ---- messages ---------------------------------------------------------------

TEST(WsReader, OneTextFrameIsOneMessage) {
  EXPECT_EQ(read_all(frame(ws_opcode::text, R"({"type":"ping"})")), std::vector{text(R"({"type":"ping"})")});
}

TEST(WsReader, AnUnfragmentedMessageIsAViewIntoTheCallersBuffer) {
  ws_reader r(limit);
  std::string buf = frame(ws_opcode::text, "hello");
  std::span<char> input(buf.data(), buf.size());
  const ws_event e = r.next(input);
  ASSERT_EQ(e.what, kind::text);
  EXPECT_EQ(e.data, "hello");
  EXPECT_EQ(e.data.data(), buf.data() + 6);  // unmasked in place, not copied
  EXPECT_TRUE(input.empty());
}

TEST(WsReader, SeveralFramesInOneReadComeOutInOrder) {
  const std::string bytes = frame(ws_opcode::text, "a") + frame(ws_opcode::binary, "b") + frame(ws_opcode::text, "");
  EXPECT_EQ(read_all(bytes), (std::vector{text("a"), seen{kind::binary, "b", 0}, text("")}));
}

TEST(WsReader, FragmentedMessageIsReassembled) {
  const std::string bytes = frame(ws_opcode::text, "Hel", false) + frame(ws_opcode::continuation, "lo, ", false) +
                            frame(ws_opcode::continuation, "world");
  EXPECT_EQ(read_all(bytes), std::vector{text("Hello, world")});
}

TEST(WsReader, EmptyFirstFragment) {
  const std::string bytes = frame(ws_opcode::text, "", false) + frame(ws_opcode::continuation, "xy");
  EXPECT_EQ(read_all(bytes), std::vector{text("xy")});
}

TEST(WsReader, FragmentedBinaryMessage) {
  const std::string bytes = frame(ws_opcode::binary, "\xff", false) + frame(ws_opcode::continuation, "\xfe");
  EXPECT_EQ(read_all(bytes), (std::vector{seen{kind::binary, "\xff\xfe", 0}}));
}

TEST(WsReader, ControlFramesBetweenFragmentsComeOutFirst) {
  const std::string bytes = frame(ws_opcode::text, "ab", false) + frame(ws_opcode::ping, "p1") +
                            frame(ws_opcode::continuation, "cd", false) + frame(ws_opcode::pong, "") +
                            frame(ws_opcode::continuation, "ef");
  EXPECT_EQ(read_all(bytes), (std::vector{seen{kind::ping, "p1", 0}, seen{kind::pong, "", 0}, text("abcdef")}));
}

TEST(WsReader, MessagesAfterAFragmentedOneAreIndependent) {
  const std::string bytes = frame(ws_opcode::text, "a", false) + frame(ws_opcode::continuation, "b") +
                            frame(ws_opcode::text, "c") + frame(ws_opcode::text, "d", false) +
                            frame(ws_opcode::continuation, "e");
  EXPECT_EQ(read_all(bytes), (std::vector{text("ab"), text("c"), text("de")}));
}

// ---- split reads ----------------------------------------------------------------

TEST(WsReader, AFrameSplitAtEveryByteGivesTheSameEvents) {
  const std::string payload(300, 'x');  // a 16-bit length form
  const std::string bytes = frame(ws_opcode::text, "first") + frame(ws_opcode::text, payload, false) +
                            frame(ws_opcode::ping, "pp") + frame(ws_opcode::continuation, "tail") +
                            close_frame(1000, "bye");
  const auto whole = read_all(bytes);
  ASSERT_EQ(whole.size(), 4u);
  for (std::size_t step = 1; step < bytes.size(); ++step) EXPECT_EQ(read_all(bytes, step), whole) << step;
  // And split once at every byte.
  for (std::size_t cut = 1; cut < bytes.size(); ++cut) {
    ws_reader r(limit);
    auto got = read_all(r, bytes.substr(0, cut), SIZE_MAX);
    const auto rest = read_all(r, bytes.substr(cut), SIZE_MAX);
    got.insert(got.end(), rest.begin(), rest.end());
    EXPECT_EQ(got, whole) << cut;
  }
}

TEST(WsReader, HoldsOnlyTheIncompleteFrame) {
  ws_reader r(limit);
  const std::string f = frame(ws_opcode::text, "hello");
  read_all(r, f + f.substr(0, 3), SIZE_MAX);
  EXPECT_EQ(r.held(), f.substr(0, 3));
  EXPECT_EQ(read_all(r, f.substr(3), SIZE_MAX), std::vector{text("hello")});
  EXPECT_TRUE(r.held().empty());
}

TEST(WsReader, AnIncompleteHeaderTakesNothing) {
  ws_reader r(limit);
  std::string buf = frame(ws_opcode::text, std::string(200, 'y')).substr(0, 3);
  std::span<char> input(buf.data(), buf.size());
  EXPECT_EQ(r.next(input).what, kind::need_more);
  EXPECT_EQ(input.size(), 3u);
}

// ---- close frames -----------------------------------------------------------------

TEST(WsReader, CloseCarriesThePeersCodeAndReason) {
  EXPECT_EQ(read_all(close_frame(1001, "going")), (std::vector{seen{kind::close, "going", 1001}}));
  EXPECT_EQ(read_all(close_frame(4000, "")), (std::vector{seen{kind::close, "", 4000}}));
}

TEST(WsReader, CloseWithoutABodyAnswers1000) {
  EXPECT_EQ(read_all(frame(ws_opcode::close, "")), (std::vector{seen{kind::close, "", 1000}}));
}

TEST(WsReader, MalformedCloseAnswers1002Or1007) {
  EXPECT_EQ(read_all(frame(ws_opcode::close, "\x03")).at(0).code, 1002);  // one-byte body
  for (std::uint16_t bad : {0, 999, 1004, 1005, 1006, 1015, 2999, 5000})
    EXPECT_EQ(read_all(close_frame(bad, "")).at(0).code, 1002) << bad;
  for (std::uint16_t good : {1000, 1003, 1007, 1014, 3000, 4999})
    EXPECT_EQ(read_all(close_frame(good, "")).at(0).code, good) << good;
  EXPECT_EQ(read_all(close_frame(1000, "\xc3\x28")).at(0).code, 1007);  // reason not UTF-8
}

TEST(WsReader, DataAfterACloseIsDropped) {
  const std::string bytes =
      close_frame(1000, "") + frame(ws_opcode::text, "late") + frame(ws_opcode::ping, "") + close_frame(1000, "");
  EXPECT_EQ(read_all(bytes),
            (std::vector{seen{kind::close, "", 1000}, seen{kind::ping, "", 0}, seen{kind::close, "", 1000}}));
}

// ---- errors -------------------------------------------------------------------------

TEST(WsReader, UnmaskedClientFrameIs1002AndTakesTheRest) {
  ws_reader r(limit);
  std::string buf = frame(ws_opcode::text, "hi", true, false) + frame(ws_opcode::text, "after");
  std::span<char> input(buf.data(), buf.size());
  const ws_event e = r.next(input);
  EXPECT_EQ(e.what, kind::error);
  EXPECT_EQ(e.code, 1002);
  EXPECT_TRUE(input.empty());
  EXPECT_EQ(r.next(input).what, kind::need_more);
}

TEST(WsReader, ReservedBitsAndUnknownOpcodesAre1002) {
  std::string rsv = frame(ws_opcode::text, "x");
  rsv[0] = static_cast<char>(rsv[0] | 0x40);
  EXPECT_EQ(read_all(rsv), std::vector{error(1002, "protocol error")});
  std::string op = frame(ws_opcode::text, "x");
  op[0] = static_cast<char>(0x83);
  EXPECT_EQ(read_all(op), std::vector{error(1002, "protocol error")});
  EXPECT_EQ(read_all(frame(ws_opcode::ping, "p", false)), std::vector{error(1002, "protocol error")});
  EXPECT_EQ(read_all(frame(ws_opcode::ping, std::string(126, 'p'))), std::vector{error(1002, "protocol error")});
}

TEST(WsReader, OversizeFrameIs1009BeforeItsPayloadArrives) {
  const std::string f = frame(ws_opcode::text, std::string(limit + 1, 'x'));
  EXPECT_EQ(read_all(f.substr(0, 14)), std::vector{error(1009, "frame too large")});
  EXPECT_EQ(read_all(frame(ws_opcode::text, std::string(limit, 'x'))).at(0).what, kind::text);
}

TEST(WsReader, OversizeMessageAcrossFragmentsIs1009) {
  const std::string half(limit / 2, 'x');
  const std::string bytes = frame(ws_opcode::text, half, false) + frame(ws_opcode::continuation, half, false) +
                            frame(ws_opcode::continuation, "!");
  EXPECT_EQ(read_all(bytes), std::vector{error(1009, "message too large")});
  const std::string exact = frame(ws_opcode::text, half, false) + frame(ws_opcode::continuation, half);
  EXPECT_EQ(read_all(exact).at(0).data.size(), limit);
}

TEST(WsReader, BadUtf8AcrossFragmentsIs1007) {
  // Each fragment is a valid prefix or suffix: only the whole message is wrong.
  const std::string bytes = frame(ws_opcode::text, "ok \xe2\x82", false) + frame(ws_opcode::continuation, "\x28");
  EXPECT_EQ(read_all(bytes), std::vector{error(1007, "text is not valid UTF-8")});
}

TEST(WsReader, Utf8SplitAcrossFragmentsIsFine) {
  const std::string bytes = frame(ws_opcode::text, "\xe2\x82", false) + frame(ws_opcode::continuation, "\xac");
  EXPECT_EQ(read_all(bytes), std::vector{text("\xe2\x82\xac")});
}

TEST(WsReader, BinaryIsNotCheckedForUtf8) {
  EXPECT_EQ(read_all(frame(ws_opcode::binary, "\xc3\x28")), (std::vector{seen{kind::binary, "\xc3\x28", 0}}));
}

TEST(WsReader, ContinuationWithoutAMessageIs1002) {
  EXPECT_EQ(read_all(frame(ws_opcode::continuation, "x")), std::vector{error(1002, "unexpected continuation frame")});
}

TEST(WsReader, NewMessageInsideAFragmentedOneIs1002) {
  const std::string bytes = frame(ws_opcode::text, "a", false) + frame(ws_opcode::text, "b");
  EXPECT_EQ(read_all(bytes), std::vector{error(1002, "expected a continuation frame")});
}

TEST(WsReader, AfterAnErrorOnlyControlFramesComeOut) {
  const std::string bytes = frame(ws_opcode::continuation, "x") + frame(ws_opcode::text, "dropped") +
                            frame(ws_opcode::ping, "p") + close_frame(1000, "");
  EXPECT_EQ(read_all(bytes), (std::vector{error(1002, "unexpected continuation frame"), seen{kind::ping, "p", 0},
                                          seen{kind::close, "", 1000}}));
}

TEST(WsReader, DropMessagesForgetsAnOpenMessage) {
  ws_reader r(limit);
  read_all(r, frame(ws_opcode::text, "a", false), SIZE_MAX);
  r.drop_messages();
  const std::string bytes = frame(ws_opcode::continuation, "b") + frame(ws_opcode::text, "c") + close_frame(1001, "");
  EXPECT_EQ(read_all(r, bytes, SIZE_MAX), (std::vector{seen{kind::close, "", 1001}}));
}

}  // namespace
}  // namespace sorak
