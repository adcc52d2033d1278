// base64url_test_support.hpp: base64url encoding (RFC 4648 §5, no padding)
// for code that builds tokens by hand to test or fuzz the verifier
// (jwt_test.cpp, fuzz/jwt_fuzz.cpp). The server itself only decodes
// (auth/jwt.cpp); libjwt encodes the tokens it signs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sorak::test_support {

inline std::string base64url(std::string_view in) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (unsigned char c : in) {
    bits = (bits << 8) | c;
    count += 8;
    while (count >= 6) {
      count -= 6;
      out.push_back(alphabet[(bits >> count) & 0x3f]);
    }
  }
  if (count > 0) out.push_back(alphabet[(bits << (6 - count)) & 0x3f]);
  return out;
}

}  // namespace sorak::test_support
