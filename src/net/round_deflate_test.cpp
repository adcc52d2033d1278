// A round's deflated counterpart (net/viewer.hpp): made once and shared by
// every viewer that negotiated permessage-deflate, the same events in the same
// order, each frame inflating back to the plain one; offsets of the plain
// round map to the same event boundary in it; the thinned "essentials" of it
// are made once too.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "net/viewer.hpp"
#include "protocol/ws_deflate.hpp"
#include "protocol/ws_frame.hpp"

namespace sorak {
namespace {

std::string event_json(int i, const char* type) {
  return std::string(R"({"type":")") + type + R"(","data":{"id":"m)" + std::to_string(i) +
         R"(","content":"a chat line like people write, number )" + std::to_string(i) + R"( of the round"}})";
}

// A round of three events; the second is a plain chat line.
sealed_round make_round(std::vector<std::string>& jsons) {
  sealed_round r;
  std::string bytes;
  for (int i = 1; i <= 3; ++i) {
    jsons.push_back(event_json(i, i == 2 ? "message" : "gift"));
    append_frame(bytes, ws_opcode::text, jsons.back());
    r.marks.push_back({static_cast<std::uint64_t>(i), bytes.size(), i == 2 ? std::make_shared<const message>() : nullptr});
  }
  r.bytes = std::make_shared<const std::string>(std::move(bytes));
  return r;
}

// The messages in a run of server frames, inflated where RSV1 says so.
std::vector<std::string> read_frames(std::string_view bytes) {
  std::vector<std::string> out;
  while (!bytes.empty()) {
    const bool rsv1 = static_cast<std::uint8_t>(bytes[0]) & 0x40;
    std::size_t len = static_cast<std::uint8_t>(bytes[1]) & 0x7F, head = 2;
    if (len == 126) {
      len = (static_cast<std::uint8_t>(bytes[2]) << 8) | static_cast<std::uint8_t>(bytes[3]);
      head = 4;
    }
    std::string payload(bytes.substr(head, len));
    if (rsv1) {
      std::string plain;
      EXPECT_EQ(inflate_message(payload, 1 << 20, plain), inflate_result::ok);
      payload = plain;
    }
    out.push_back(payload);
    bytes.remove_prefix(head + len);
  }
  return out;
}

TEST(RoundDeflate, MadeOnceSharedAndInflatesToTheSameEvents) {
  std::vector<std::string> jsons;
  const sealed_round r = make_round(jsons);
  const frame_bytes& z = r.deflated();
  EXPECT_EQ(r.deflated().get(), z.get()) << "one deflated buffer per round, shared by every viewer";
  EXPECT_LT(z->size(), r.bytes->size());
  EXPECT_EQ(static_cast<std::uint8_t>((*z)[0]), 0xC1) << "FIN, RSV1, text";
  EXPECT_EQ(read_frames(*z), jsons);
}

TEST(RoundDeflate, APlainBoundaryMapsToTheSameEventInTheDeflatedRound) {
  std::vector<std::string> jsons;
  const sealed_round r = make_round(jsons);
  EXPECT_EQ(r.deflated_offset(0), 0u);
  const std::size_t after_first = r.deflated_offset(r.marks[0].end);
  EXPECT_EQ(read_frames(std::string_view(*r.deflated()).substr(after_first)),
            (std::vector<std::string>{jsons[1], jsons[2]}));
  EXPECT_EQ(r.deflated_offset(r.marks[2].end), r.deflated()->size());
}

TEST(RoundDeflate, TheThinnedEssentialsAreDeflatedOnceToo) {
  std::vector<std::string> jsons;
  const sealed_round r = make_round(jsons);
  std::vector<const round_mark*> dropped;
  const frame_bytes kept = r.essentials(0, dropped, true);
  ASSERT_TRUE(kept);
  EXPECT_EQ(dropped.size(), 1u);
  EXPECT_EQ(read_frames(*kept), (std::vector<std::string>{jsons[0], jsons[2]}));
  EXPECT_EQ(r.essentials(0, dropped, true).get(), kept.get()) << "shared by every thinned viewer";
  EXPECT_NE(r.essentials(0, dropped, false).get(), kept.get()) << "the plain essentials are another buffer";
  EXPECT_EQ(read_frames(*r.essentials(r.marks[0].end, dropped, true)), std::vector<std::string>{jsons[2]});
}

TEST(RoundDeflate, TheChainIsMadeOnceSmallerAndReadWholeByAClientThatKeepsItsWindow) {
  std::vector<std::string> jsons;
  const sealed_round r = make_round(jsons);
  const frame_bytes& c = r.chained();
  EXPECT_EQ(r.chained().get(), c.get()) << "one chain per round, shared by every viewer that takes chains";
  EXPECT_LT(c->size(), r.deflated()->size()) << "the events' envelopes repeat";
  inflate_stream client;
  std::string bytes = *c, back;
  std::vector<std::string> got;
  while (!bytes.empty()) {
    ASSERT_EQ(static_cast<std::uint8_t>(bytes[0]), 0xC1);
    const std::size_t len = static_cast<std::uint8_t>(bytes[1]) & 0x7F;
    ASSERT_LT(len, 126u);
    ASSERT_EQ(client.next(std::string_view(bytes).substr(2, len), 1 << 20, back), inflate_result::ok);
    got.push_back(back);
    bytes.erase(0, 2 + len);
  }
  EXPECT_EQ(got, jsons);
}

TEST(RoundDeflate, AFrameThatDeflatesNoSmallerStaysPlain) {
  std::string out;
  EXPECT_FALSE(append_deflated_text_frame(out, R"({"type":"pong"})"));
  EXPECT_EQ(static_cast<std::uint8_t>(out[0]), 0x81);
}

}  // namespace
}  // namespace sorak
