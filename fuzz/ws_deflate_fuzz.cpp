// ws_deflate_fuzz: what a client sends that protocol/ws_deflate.cpp parses.
// The first byte picks the part: even, the Sec-WebSocket-Extensions offers
// (negotiate_deflate); odd, a compressed message payload (inflate_message,
// with a 1 KiB limit). Invariants: an answer is always one of our two forms;
// an inflated message is never over the limit and is what deflating it again
// and inflating gives back; nothing reads past the input (ASan).
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "protocol/ws_deflate.hpp"

using namespace sorak;

namespace {

constexpr std::size_t limit = 1024;
// The answers: with server_no_context_takeover exactly when no chains are allowed.
constexpr std::string_view chained = "permessage-deflate; client_no_context_takeover";
constexpr std::string_view alone = "permessage-deflate; server_no_context_takeover; client_no_context_takeover";

void offers(std::string_view text) {
  const auto answer = negotiate_deflate(text);
  if (!answer) return;
  const std::string_view form = answer->chain ? chained : alone;
  FUZZ_CHECK(answer->header == form || answer->header == std::string(form) + "; server_max_window_bits=15");
}

void payload(std::string_view compressed) {
  std::string out;
  const inflate_result r = inflate_message(compressed, limit, out);
  if (r != inflate_result::ok) {
    FUZZ_CHECK(out.empty());
    return;
  }
  FUZZ_CHECK(out.size() <= limit);
  std::string again, back;
  deflate_message(out, again);
  FUZZ_CHECK(inflate_message(again, limit, back) == inflate_result::ok);
  FUZZ_CHECK(back == out);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] % 2 == 0)
    offers(rest);
  else
    payload(rest);
  return 0;
}
