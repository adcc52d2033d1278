// http_text.hpp: small pieces of HTTP header text (RFC 9110 §5.6) shared by the
// header readers (forwarded addresses, WebSocket extension offers).
#pragma once

#include <string_view>

namespace sorak {

// `s` without the optional white space (spaces and tabs) at either end.
inline std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace sorak
