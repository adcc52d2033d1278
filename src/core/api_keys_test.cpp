#include "core/api_keys.hpp"

#include <gtest/gtest.h>

namespace sorak {
namespace {

TEST(api_keys, sha256_matches_the_standard_vectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(api_keys, secrets_are_prefixed_random_hex) {
  const auto a = generate_api_key_secret();
  const auto b = generate_api_key_secret();
  EXPECT_EQ(a.size(), 43u);
  EXPECT_EQ(a.rfind("sk_", 0), 0u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef", 3), std::string::npos);
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace sorak
