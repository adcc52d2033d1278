#include "bench/wire.hpp"

#include <gtest/gtest.h>

#include "bench/histogram.hpp"
#include "bench/load_wire.hpp"
#include "protocol/ws_frame.hpp"

namespace sorak::bench {
namespace {

TEST(BenchWire, StampedContentHasTheAskedSizeAndParsesBack) {
  std::string content;
  append_stamped_content(content, 123456789012345, 7, 42, 100);
  EXPECT_EQ(content.size(), 100u);
  EXPECT_EQ(content.rfind("t=123456789012345 s=7.42 x", 0), 0u);
  std::size_t hint = 0;
  stamp st;
  ASSERT_TRUE(find_stamp(content, hint, st));
  EXPECT_EQ(st.t_ns, 123456789012345);
  EXPECT_TRUE(st.has_seq);
  EXPECT_EQ(st.sender, 7u);
  EXPECT_EQ(st.seq, 42u);
}

TEST(BenchWire, ShortSizeKeepsTheWholeStamp) {
  std::string content;
  append_stamped_content(content, 5, 0, 1, 3);
  EXPECT_EQ(content, "t=5 s=0.1 ");
}

TEST(BenchWire, FindsTheStampInsideSorakJsonAndRemembersWhere) {
  const std::string a =
      R"({"type":"message","data":{"id":"x","user":{"id":"bench-s000001","display_name":"at=1"},"content":"t=99 s=1.5 xx"}})";
  std::size_t hint = 0;
  stamp st;
  ASSERT_TRUE(find_stamp(a, hint, st));
  EXPECT_EQ(st.t_ns, 99);
  EXPECT_EQ(st.seq, 5u);
  EXPECT_EQ(a.substr(hint, 4), "t=99");
  const std::size_t remembered = hint;
  std::string b = a;
  b.replace(remembered + 2, 2, "77");
  ASSERT_TRUE(find_stamp(b, hint, st));
  EXPECT_EQ(st.t_ns, 77);
  EXPECT_EQ(hint, remembered);
}

TEST(BenchWire, FindsTheStampInAnIrcLine) {
  const std::string line = ":s000001!s000001@127.0.0.1 PRIVMSG #bench :t=31 s=0.9 xxxx";
  std::size_t hint = 12345;  // stale hints are harmless
  stamp st;
  ASSERT_TRUE(find_stamp(line, hint, st));
  EXPECT_EQ(st.t_ns, 31);
  EXPECT_EQ(st.seq, 9u);
  EXPECT_EQ(irc_command(line), "PRIVMSG");
  EXPECT_EQ(irc_command("PING :abc"), "PING");
  EXPECT_TRUE(irc_error_numeric(irc_command(":irc.local 404 v000001 #bench :Cannot send")));
  EXPECT_FALSE(irc_error_numeric(irc_command(":irc.local 366 v000001 #bench :End")));
}

TEST(BenchWire, NoStampNoMatch) {
  std::size_t hint = 0;
  stamp st;
  EXPECT_FALSE(find_stamp(R"({"type":"message","data":{"content":"hello t= there"}})", hint, st));
  EXPECT_FALSE(find_stamp("", hint, st));
}

TEST(BenchWire, ClassifiesSorakEvents) {
  EXPECT_EQ(classify_sorak(R"({"type":"message","data":{}})"), sorak_event::message);
  EXPECT_EQ(classify_sorak(R"({"type":"history","data":[]})"), sorak_event::history);
  EXPECT_EQ(classify_sorak(R"({"type":"error","message":"x","code":"y"})"), sorak_event::error);
  EXPECT_EQ(classify_sorak(R"({"type":"messages","data":{}})"), sorak_event::other);
  EXPECT_EQ(classify_sorak(R"({"type":"viewer_count","data":{"count":1}})"), sorak_event::other);
  EXPECT_EQ(classify_sorak("nope"), sorak_event::other);
}

TEST(BenchWire, AGiftIsToldByTheServersMessageType) {
  const std::string gift =
      R"({"type":"message","data":{"id":"1","content":"t=5 s=1.1 xx","message_type":"gift",)"
      R"("gift":{"gift_id":"clap","gift_name":"Clap","quantity":1,"total_stars":1},"stars":1}})";
  const std::string chat = R"({"type":"message","data":{"id":"2","content":"gift","message_type":"message"}})";
  EXPECT_TRUE(is_gift_message(gift));
  EXPECT_FALSE(is_gift_message(chat));
}

TEST(BenchWire, AGiftFrameCarriesTheStampAsItsContent) {
  load_settings s;
  std::string out, scratch;
  append_message(out, scratch, s, 42, 3, 7, true);
  EXPECT_EQ(scratch.rfind(R"({"type":"gift","gift_id":"clap","quantity":1,"content":"t=42 s=3.7 )", 0), 0u) << scratch;
  EXPECT_EQ(scratch.back(), '}');
}

// The server's own parser must accept and unmask what the bench sends.
TEST(BenchWire, ClientFramesAreMaskedRfc6455Frames) {
  for (std::size_t n : {0u, 5u, 125u, 126u, 300u, 70000u}) {
    const std::string payload(n, 'p');
    std::string frame;
    append_client_frame(frame, 0x1, payload);
    ws_frame_header h;
    ASSERT_EQ(parse_frame_header(reinterpret_cast<const std::uint8_t*>(frame.data()), frame.size(), 1 << 20, h),
              ws_parse::ok);
    EXPECT_TRUE(h.fin);
    EXPECT_EQ(h.opcode, ws_opcode::text);
    ASSERT_EQ(h.payload_length, n);
    std::string body = frame.substr(h.header_length);
    unmask_payload(body.data(), body.size(), h.mask);
    EXPECT_EQ(body, payload);
  }
}

TEST(BenchWire, UpgradeResponseIsChecked) {
  const std::string ok =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "sec-websocket-accept: " +
      expected_accept();
  EXPECT_EQ(check_upgrade_response(ok), 101);
  EXPECT_EQ(check_upgrade_response("HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: wrong"), 0);
  EXPECT_EQ(check_upgrade_response("HTTP/1.1 404 Not Found\r\nContent-Length: 3"), 404);
  EXPECT_EQ(check_upgrade_response("SSH-2.0"), 0);
  const std::string request = upgrade_request("127.0.0.1:8080", "/api/v1/streams/1/chat/ws?token=t");
  EXPECT_EQ(request.rfind("GET /api/v1/streams/1/chat/ws?token=t HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n", 0), 0u);
  EXPECT_EQ(request.substr(request.size() - 4), "\r\n\r\n");
  EXPECT_EQ(request.find("Sec-WebSocket-Extensions"), std::string::npos) << "no offer unless asked";
  const std::string deflate = upgrade_request("127.0.0.1:8080", "/x", true);
  EXPECT_NE(deflate.find("\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"), std::string::npos);
  EXPECT_EQ(deflate.substr(deflate.size() - 4), "\r\n\r\n");
}

TEST(BenchHistogram, PercentilesWithinTheBucketError) {
  latency_histogram h;
  for (std::uint64_t v = 1; v <= 100000; ++v) h.record(v * 1000);  // 1 µs … 100 ms
  EXPECT_EQ(h.count(), 100000u);
  EXPECT_EQ(h.max(), 100000000u);
  auto near = [](double got, double want) { return got >= want && got <= want * 1.032; };
  EXPECT_TRUE(near(static_cast<double>(h.percentile(0.5)), 50e6)) << h.percentile(0.5);
  EXPECT_TRUE(near(static_cast<double>(h.percentile(0.99)), 99e6)) << h.percentile(0.99);
  EXPECT_EQ(h.percentile(1.0), 100000000u);
  const latency_figures f = h.figures_ms();
  EXPECT_NEAR(f.p90, 90.0, 3.0);
  EXPECT_DOUBLE_EQ(f.max, 100.0);
}

TEST(BenchHistogram, BucketsCoverEveryValueInOrder) {
  std::uint64_t previous = 0;
  for (std::size_t i = 1; i < latency_histogram::bucket_count; ++i) {
    const std::uint64_t bound = latency_histogram::upper_bound(i);
    EXPECT_GT(bound, previous);
    EXPECT_EQ(latency_histogram::index_of(bound), i);
    EXPECT_EQ(latency_histogram::index_of(previous + 1), i);
    previous = bound;
  }
  EXPECT_EQ(previous, UINT64_MAX);
  latency_histogram a, b;
  a.record(10);
  b.record(1000000);
  a.merge(b);
  EXPECT_EQ(a.count(), 2u);
  EXPECT_EQ(a.percentile(0.5), 10u);
  EXPECT_EQ(a.max(), 1000000u);
}

TEST(BenchWire, AnAckCarriesItsSendStampBackInTheClientId) {
  std::string id;
  append_ack_client_id(id, 123456789012345, 42);
  EXPECT_EQ(id, "123456789012345.42");
  EXPECT_LE(id.size(), 64u) << "the server takes client_ids of 1 to 64 characters";
  const std::string ack =
      R"({"type":"ack","client_id":")" + id + R"(","data":{"id":"m1","created_at":"2026-11-25T15:04:56.906Z"}})";
  EXPECT_EQ(classify_sorak(ack), sorak_event::ack);
  stamp st;
  ASSERT_TRUE(find_ack_stamp(ack, st));
  EXPECT_EQ(st.t_ns, 123456789012345);
  EXPECT_EQ(st.seq, 42u);
  EXPECT_FALSE(find_ack_stamp(R"({"type":"ack","client_id":"c-1","data":{}})", st)) << "not one of ours";
  EXPECT_FALSE(find_ack_stamp(R"({"type":"ack","client_id":"12.3x","data":{}})", st));
  EXPECT_FALSE(find_ack_stamp(R"({"type":"ack"})", st));
}

TEST(BenchWire, AnErrorEventIsCountedByItsCode) {
  const std::string_view e =
      R"({"type":"error","message":"You are sending messages too fast","code":"rate_limited","retry_after_ms":14120})";
  EXPECT_EQ(classify_sorak(e), sorak_event::error);
  EXPECT_EQ(error_code_of(e), "rate_limited");
  EXPECT_EQ(error_code_of(R"({"type":"error","message":"no code"})"), "unknown");
  EXPECT_EQ(error_code_of(":irc.local 404 v000001 #bench :Cannot send to channel"), "unknown");
}

}  // namespace
}  // namespace sorak::bench
