// api_key_service (core/api_keys.hpp) over the in-memory store: a key works
// from the moment it is created, stops the moment it is revoked through the
// service, and a key revoked behind the service's back (another process on the
// same database) stops within key_cache_ttl_ms.
//
// Lives in tests/contract because it needs memory_store (sorak_store).
#include <gtest/gtest.h>

#include "core/api_keys.hpp"
#include "core/clock.hpp"
#include "store/memory_store.hpp"

namespace sorak {
namespace {

TEST(ApiKeyService, ACreatedKeyWorksAndARevokedOneStopsAtOnce) {
  auto st = make_memory_store();
  api_key_service keys(*st, rate_limit{});
  auto made = keys.create("overlay");
  ASSERT_TRUE(made);
  const millis now = now_millis();
  ASSERT_TRUE(keys.check(made->secret, now)) << "a new key is good at once";
  ASSERT_TRUE(keys.check(made->secret, now + 1)) << "and again (now from the cache)";
  ASSERT_TRUE(keys.revoke(made->key.id));
  auto after = keys.check(made->secret, now + 2);
  ASSERT_FALSE(after);
  EXPECT_EQ(after.err().code, "invalid_api_key");
}

TEST(ApiKeyService, AKeyRevokedInTheStoreDirectlyStopsWithinTheCacheLifetime) {
  auto st = make_memory_store();
  api_key_service keys(*st, rate_limit{});
  auto made = keys.create("bot");
  ASSERT_TRUE(made);
  const millis now = now_millis();
  ASSERT_TRUE(keys.check(made->secret, now));
  ASSERT_TRUE(st->revoke_api_key(made->key.id, now));  // not through the service
  EXPECT_TRUE(keys.check(made->secret, now + key_cache_ttl_ms - 1)) << "remembered for up to the cache lifetime";
  auto later = keys.check(made->secret, now + key_cache_ttl_ms + 1);
  ASSERT_FALSE(later) << "then the store is asked again";
  EXPECT_EQ(later.err().code, "invalid_api_key");
}

TEST(ApiKeyService, UnknownAndEmptyKeysAreRefusedEveryTime) {
  auto st = make_memory_store();
  api_key_service keys(*st, rate_limit{});
  const millis now = now_millis();
  for (int i = 0; i < 3; ++i) {
    auto r = keys.check("sk_0000000000000000000000000000000000000000", now + i);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.err().code, "invalid_api_key");
  }
  auto empty = keys.check("", now);
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.err().code, "unauthorized");
}

TEST(ApiKeyService, ThePerKeyLimitStillAppliesToCachedKeys) {
  auto st = make_memory_store();
  api_key_service keys(*st, rate_limit{2, 60});
  auto made = keys.create("poller");
  ASSERT_TRUE(made);
  const millis now = now_millis();
  EXPECT_TRUE(keys.check(made->secret, now));
  EXPECT_TRUE(keys.check(made->secret, now + 1));
  auto third = keys.check(made->secret, now + 2);
  ASSERT_FALSE(third);
  EXPECT_EQ(third.err().code, "rate_limited");
}

}  // namespace
}  // namespace sorak
