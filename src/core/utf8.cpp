// utf8.cpp: a table-free strict UTF-8 decoder (RFC 3629 §4 byte ranges).
#include "core/utf8.hpp"

namespace sorak {
namespace {

bool is_continuation(unsigned char c) { return (c & 0xc0) == 0x80; }

// Length of the sequence a lead byte opens, or 0 for a byte that cannot lead
// (a continuation byte, C0/C1 which only make overlong pairs, F5..FF).
std::size_t sequence_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

// The second byte's range depends on the lead: it is what rules out overlong
// three- and four-byte forms, surrogates (ED A0..BF) and code points past
// U+10FFFF (F4 90..BF).
bool second_byte_ok(unsigned char lead, unsigned char second) {
  switch (lead) {
    case 0xe0: return second >= 0xa0 && second <= 0xbf;
    case 0xed: return second >= 0x80 && second <= 0x9f;
    case 0xf0: return second >= 0x90 && second <= 0xbf;
    case 0xf4: return second >= 0x80 && second <= 0x8f;
    default: return is_continuation(second);
  }
}

}  // namespace

bool is_valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto lead = static_cast<unsigned char>(s[i]);
    const std::size_t len = sequence_length(lead);
    if (len == 0 || len > s.size() - i) return false;
    if (len > 1 && !second_byte_ok(lead, static_cast<unsigned char>(s[i + 1]))) return false;
    for (std::size_t k = 2; k < len; ++k) {
      if (!is_continuation(static_cast<unsigned char>(s[i + k]))) return false;
    }
    i += len;
  }
  return true;
}

std::size_t count_code_points(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) n += !is_continuation(static_cast<unsigned char>(c));
  return n;
}

}  // namespace sorak
