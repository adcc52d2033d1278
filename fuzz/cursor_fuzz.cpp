// cursor_fuzz: the small values clients put in query strings → their parsers:
// `limit` (parse_limit), message-id cursors (`before`, `since` on the
// WebSocket: looks_like_uuid, uuid_v7_millis) and timestamps (the Showroom
// `since`: parse_showroom_since → parse_rfc3339, and format_rfc3339_ms).
// Invariants: each parser agrees with a plain reference reading of its rule
// (docs/api.md), and a parsed timestamp in years 0000–9999 formats and parses
// back to the same millisecond.
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/pagination.hpp"
#include "core/showroom_since.hpp"
#include "fuzz_check.hpp"

using namespace sorak;

namespace {

// limit: optional '-', then one or more digits, nothing else; > 0; clamped.
void check_limit(std::string_view s) {
  constexpr int max = 100;
  auto r = parse_limit(s, 50, max);
  bool digits = !s.empty();
  std::size_t i = (!s.empty() && s[0] == '-') ? 1 : 0;
  if (i == s.size()) digits = false;
  for (std::size_t j = i; j < s.size(); ++j) digits &= s[j] >= '0' && s[j] <= '9';
  if (!digits || i == 1) {
    // Not plain digits, or negative: refused.
    FUZZ_CHECK(!r);
    FUZZ_CHECK(r.err().code == "invalid_limit");
    return;
  }
  bool nonzero = false;
  for (char c : s) nonzero |= c != '0';
  if (!nonzero) {
    FUZZ_CHECK(!r);
    return;
  }
  FUZZ_CHECK(r);
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec == std::errc::result_out_of_range || v > static_cast<std::uint64_t>(max)) {
    FUZZ_CHECK(*r == max);
  } else {
    FUZZ_CHECK(*r == static_cast<int>(v));
  }
  auto absent = parse_limit(std::nullopt, 50, max);
  FUZZ_CHECK(absent && *absent == 50);
}

bool hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

void check_uuid(std::string_view s) {
  bool shaped = s.size() == 36;
  for (std::size_t i = 0; shaped && i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    shaped = dash ? s[i] == '-' : hex(s[i]);
  }
  FUZZ_CHECK(looks_like_uuid(s) == shaped);
  const millis ms = uuid_v7_millis(s);
  const bool v7 = shaped && s[14] == '7' && std::string_view("89abAB").find(s[19]) != std::string_view::npos;
  if (!v7) {
    FUZZ_CHECK(ms == -1);
    return;
  }
  // The first 48 bits, big-endian hex: the id's own 12 digits either side of the dash.
  millis expected = 0;
  for (char c : std::string(s.substr(0, 8)) + std::string(s.substr(9, 4))) {
    expected = expected * 16 + (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
  }
  FUZZ_CHECK(ms == expected && ms < (millis(1) << 48));
}

void check_timestamp(std::string_view s) {
  auto since = parse_showroom_since(s);
  const auto t = parse_rfc3339(s);
  if (s.empty()) {
    FUZZ_CHECK(since && !*since);
    return;
  }
  FUZZ_CHECK(static_cast<bool>(since) == t.has_value());
  if (!t) {
    FUZZ_CHECK(since.err().code == "invalid_since");
    return;
  }
  FUZZ_CHECK(**since == *t);
  // Years 0000–9999 (UTC): -62167219200000 … 253402300799999.
  if (*t < -62167219200000LL || *t > 253402300799999LL) return;
  const std::string text = format_rfc3339_ms(*t);
  FUZZ_CHECK(text.size() == 24 && text.back() == 'Z');
  const auto again = parse_rfc3339(text);
  FUZZ_CHECK(again && *again == *t);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view s(reinterpret_cast<const char*>(data), size);
  check_limit(s);
  check_uuid(s);
  check_timestamp(s);
  return 0;
}
