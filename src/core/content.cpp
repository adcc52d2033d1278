// content.cpp: chat text validation (CONTRACT §6 "Content").
#include "core/content.hpp"

#include <cstdint>

#include "core/utf8.hpp"

namespace sorak {
namespace {

// Decodes the code point starting at s[i]. REQUIRES: s is valid UTF-8 and s[i]
// is a lead byte. Sets `len` to the sequence's byte length.
char32_t decode_at(std::string_view s, std::size_t i, std::size_t& len) {
  const auto lead = static_cast<unsigned char>(s[i]);
  len = lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
  if (len == 1) return lead;
  char32_t cp = lead & (0x7f >> len);
  for (std::size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
  return cp;
}

// Start of the code point that ends at s[end - 1]. REQUIRES: valid UTF-8, end > 0.
std::size_t previous_lead(std::string_view s, std::size_t end) {
  std::size_t i = end - 1;
  while (i > 0 && (static_cast<unsigned char>(s[i]) & 0xc0) == 0x80) --i;
  return i;
}

bool is_white_space(char32_t c) {
  switch (c) {
    case U' ': case U'\t': case U'\n': case U'\r': case U'\v': case U'\f':
    case 0x00a0: case 0x1680: case 0x2028: case 0x2029: case 0x202f:
    case 0x205f: case 0x3000: case 0xfeff:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200a;
  }
}

// C0 (but newline and tab, which multi-line chat keeps), DEL and C1.
bool is_refused_control(char32_t c) {
  if (c == U'\n' || c == U'\t') return false;
  return c < 0x20 || (c >= 0x7f && c <= 0x9f);
}

std::string_view trim(std::string_view s) {
  std::size_t begin = 0, len = 0;
  while (begin < s.size() && is_white_space(decode_at(s, begin, len))) begin += len;
  std::size_t end = s.size();
  while (end > begin) {
    const std::size_t lead = previous_lead(s, end);
    if (!is_white_space(decode_at(s, lead, len))) break;
    end = lead;
  }
  return s.substr(begin, end - begin);
}

bool has_refused_control(std::string_view s) {
  std::size_t len = 0;
  for (std::size_t i = 0; i < s.size(); i += len) {
    if (is_refused_control(decode_at(s, i, len))) return true;
  }
  return false;
}

}  // namespace

result<std::string> validate_content(std::string_view raw, int max_code_points) {
  // Validity is checked on the raw text so trimming can decode safely; invalid
  // bytes are never white space, so this cannot turn an empty message into an
  // invalid one.
  if (!is_valid_utf8(raw)) {
    return error(errc::invalid_content, "Message is not valid UTF-8.");
  }
  const std::string_view text = trim(raw);
  if (text.empty()) return error(errc::empty_content, "Message is empty");
  if (has_refused_control(text)) {
    return error(errc::invalid_content, "Message contains a control character.");
  }
  if (count_code_points(text) > static_cast<std::size_t>(max_code_points < 0 ? 0 : max_code_points)) {
    return error(errc::message_too_long, "Message is longer than " +
                                                      std::to_string(max_code_points) + " characters.");
  }
  return std::string(text);
}

}  // namespace sorak
