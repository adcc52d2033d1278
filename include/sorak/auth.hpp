// auth.hpp: user tokens (JWT, HS256) → a principal.
//
// verify() refuses every algorithm but HS256 (above all `none`), bad
// signatures, expired (`exp`) and not-yet-valid (`nbf`) tokens, and tokens
// without `sub` or with a `sub` over 64 characters. Errors are 401 with code
// `invalid_token` or `token_expired`. A token_verifier is immutable after
// construction: any thread may call verify() concurrently.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sorak/result.hpp"
#include "sorak/types.hpp"

namespace sorak {

struct principal {
  user_profile user;    // badges: the token's global badges (verified, subscriber)
  bool read_only = false;
  millis expires_at = 0;  // 0 when the token has no exp
};

// What `sorak token` and the dev mode put into a token.
struct token_claims {
  std::string sub;
  std::string username;
  std::string display_name;
  std::string avatar_url;
  std::int64_t level = 0;
  bool premium = false;
  std::vector<std::string> badges;  // subset of verified, subscriber
  bool read_only = false;
  std::int64_t ttl_seconds = 3600;  // exp = now + ttl; 0 = no exp
};

class token_verifier {
 public:
  explicit token_verifier(std::string secret);
  result<principal> verify(std::string_view jwt) const;

 private:
  std::string secret_;
};

// Signs claims with HS256. Throws std::runtime_error only if libjwt fails.
std::string mint_token(const token_claims& c, std::string_view secret);

// Constant-time comparison for admin keys and the like.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace sorak
