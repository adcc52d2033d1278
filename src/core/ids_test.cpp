#include "core/ids.hpp"

#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

#include "core/clock.hpp"

namespace sorak {
namespace {

TEST(Ids, CanonicalLowercaseV7Layout) {
  const std::string id = new_uuid_v7();
  ASSERT_EQ(id.size(), 36u);
  EXPECT_TRUE(looks_like_uuid(id));
  EXPECT_EQ(id[8], '-');
  EXPECT_EQ(id[13], '-');
  EXPECT_EQ(id[18], '-');
  EXPECT_EQ(id[23], '-');
  EXPECT_EQ(id[14], '7') << id;                            // version
  EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos) << id;  // RFC 9562 variant
  EXPECT_EQ(id.find_first_of("ABCDEF"), std::string::npos) << id;
}

TEST(Ids, EmbeddedMillisAreNow) {
  const millis before = now_millis();
  const std::string id = new_uuid_v7();
  const millis after = now_millis();
  const millis embedded = uuid_v7_millis(id);
  // The counter may borrow a few ms ahead under load, never fall behind.
  EXPECT_GE(embedded, before);
  EXPECT_LE(embedded, after + 50);
}

TEST(Ids, StrictlyIncreasingInOneThread) {
  std::string previous = new_uuid_v7();
  for (int i = 0; i < 100000; ++i) {
    std::string next = new_uuid_v7();
    ASSERT_LT(previous, next) << "at " << i;
    previous = std::move(next);
  }
}

TEST(Ids, UniqueAndOrderedAcrossThreads) {
  constexpr int threads = 4, per_thread = 50000;
  std::vector<std::vector<std::string>> made(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      made[t].reserve(per_thread);
      for (int i = 0; i < per_thread; ++i) made[t].push_back(new_uuid_v7());
    });
  }
  for (auto& w : workers) w.join();
  std::set<std::string> all;
  for (const auto& seq : made) {
    for (std::size_t i = 1; i < seq.size(); ++i) ASSERT_LT(seq[i - 1], seq[i]);
    all.insert(seq.begin(), seq.end());
  }
  EXPECT_EQ(all.size(), static_cast<std::size_t>(threads * per_thread));
}

TEST(Ids, MillisOfKnownId) {
  // 0x017f22e279b0 = 1645557742000 ms (the RFC 9562 appendix example time).
  EXPECT_EQ(uuid_v7_millis("017f22e2-79b0-7cc3-98c4-dc0c0c07398f"), 1645557742000);
  EXPECT_EQ(uuid_v7_millis("017F22E2-79B0-7CC3-98C4-DC0C0C07398F"), 1645557742000);
}

TEST(Ids, MillisRefusesOtherVersionsAndGarbage) {
  EXPECT_EQ(uuid_v7_millis("550e8400-e29b-41d4-a716-446655440000"), -1);  // v4
  EXPECT_EQ(uuid_v7_millis("017f22e2-79b0-7cc3-08c4-dc0c0c07398f"), -1);  // wrong variant
  EXPECT_EQ(uuid_v7_millis("not-a-uuid"), -1);
  EXPECT_EQ(uuid_v7_millis(""), -1);
}

TEST(Ids, LooksLikeUuid) {
  EXPECT_TRUE(looks_like_uuid("550e8400-e29b-41d4-a716-446655440000"));
  EXPECT_TRUE(looks_like_uuid("550E8400-E29B-41D4-A716-446655440000"));
  EXPECT_FALSE(looks_like_uuid("550e8400e29b41d4a716446655440000"));      // no dashes
  EXPECT_FALSE(looks_like_uuid("550e8400-e29b-41d4-a716-44665544000"));   // short
  EXPECT_FALSE(looks_like_uuid("550e8400-e29b-41d4-a716-4466554400000")); // long
  EXPECT_FALSE(looks_like_uuid("550e8400-e29b-41d4-a716-44665544000g"));  // not hex
  EXPECT_FALSE(looks_like_uuid("550e8400-e29b-41d4a-716-446655440000"));  // dash moved
  EXPECT_FALSE(looks_like_uuid("{50e8400-e29b-41d4-a716-44665544000}"));
}

}  // namespace
}  // namespace sorak
