// ws_reader_fuzz: the bytes a client writes after the upgrade → ws_reader,
// fed in reads of a size the first input byte picks (0: all at once), the
// way ws_session feeds it: held bytes first, then the new ones, in place.
// Invariants: up to the first protocol error the events are the same however
// the bytes are split; messages are never over the limit and text is UTF-8;
// an error carries 1002, 1007 or 1009 and a close an answer an endpoint may
// send; the reader never holds more than one incomplete frame; parsing never
// reads past the buffer (ASan). Each input is read twice: as a connection
// without permessage-deflate and as one with it (RSV1 messages inflated, the
// limit on their inflated size).
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/utf8.hpp"
#include "fuzz_check.hpp"
#include "protocol/ws_reader.hpp"

using namespace sorak;

namespace {

constexpr std::uint32_t limit = 1024;  // small, so fragments pass it often

struct seen {
  ws_event::kind what;
  std::string data;
  std::uint16_t code;
  bool operator==(const seen&) const = default;
};

bool sendable(std::uint16_t c) {
  return (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) || (c >= 3000 && c <= 4999);
}

void check(const ws_event& e) {
  using kind = ws_event::kind;
  if (e.what == kind::text || e.what == kind::binary) FUZZ_CHECK(e.data.size() <= limit);
  if (e.what == kind::text) FUZZ_CHECK(is_valid_utf8(e.data));
  if (e.what == kind::ping || e.what == kind::pong) FUZZ_CHECK(e.data.size() <= 125);
  if (e.what == kind::error) FUZZ_CHECK(e.code == 1002 || e.code == 1007 || e.code == 1009);
  if (e.what == kind::close) FUZZ_CHECK(sendable(e.code) && e.data.size() <= 123);
}

// Every event until the first error (inclusive): after one, what a later read
// yields depends on where the reads were cut, as it does for the server.
std::vector<seen> read_in_steps(const std::uint8_t* data, std::size_t size, std::size_t step, bool deflate) {
  ws_reader r(limit);
  if (deflate) r.accept_deflate();
  std::vector<seen> out;
  for (std::size_t at = 0; at < size; at += step) {
    const std::size_t n = std::min(step, size - at);
    // Exactly held + n bytes, so ASan sees any read past the end.
    std::vector<char> buf(r.held().begin(), r.held().end());
    buf.insert(buf.end(), data + at, data + at + n);
    std::span<char> input(buf.data(), buf.size());
    for (;;) {
      const ws_event e = r.next(input);
      if (e.what == ws_event::kind::need_more) break;
      check(e);
      out.push_back({e.what, std::string(e.data), e.code});
      if (e.what == ws_event::kind::error) return out;
    }
    r.hold(std::string_view(input.data(), input.size()));
    FUZZ_CHECK(r.held().size() < 14 + limit);  // at most one incomplete frame
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t step = data[0] == 0 ? size : data[0];
  for (bool deflate : {false, true}) {
    const auto whole = read_in_steps(data + 1, size - 1, size, deflate);
    const auto split = read_in_steps(data + 1, size - 1, step, deflate);
    FUZZ_CHECK(whole == split);
  }
  return 0;
}
