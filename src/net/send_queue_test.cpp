// send_queue: what a short write, a gather limit and a slow-consumer cut
// leave in one connection's queue, byte for byte.
#include "net/send_queue.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sorak {
namespace {

send_queue::frame bytes_of(std::string s) { return std::make_shared<const std::string>(std::move(s)); }

// What one writev of the iovecs gather() fills (at most `max` of them) would send.
std::string gathered(const send_queue& q, std::size_t max = max_iov) {
  std::vector<iovec> iov(max);
  std::string out;
  const std::size_t n = q.gather(iov.data(), max);
  for (std::size_t i = 0; i < n; ++i) out.append(static_cast<const char*>(iov[i].iov_base), iov[i].iov_len);
  return out;
}

TEST(SendQueue, StartsEmpty) {
  send_queue q;
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.bytes(), 0u);
  EXPECT_FALSE(q.head_partly_sent());
  EXPECT_EQ(gathered(q), "");
}

TEST(SendQueue, PushCountsBytesAndGatherKeepsOrder) {
  send_queue q;
  q.push(bytes_of("abc"));
  q.push(bytes_of("de"));
  q.push(bytes_of("f"));
  EXPECT_FALSE(q.empty());
  EXPECT_EQ(q.bytes(), 6u);
  EXPECT_EQ(gathered(q), "abcdef");
}

TEST(SendQueue, GatherSharesTheFramesBytes) {
  send_queue q;
  auto f = bytes_of("shared");
  q.push(f);
  iovec iov[1];
  ASSERT_EQ(q.gather(iov, 1), 1u);
  EXPECT_EQ(iov[0].iov_base, f->data());  // no copy
}

TEST(SendQueue, PartialSendResumesInsideTheFrame) {
  send_queue q;
  q.push(bytes_of("hello"));
  q.push(bytes_of("world"));
  q.consume(3);
  EXPECT_TRUE(q.head_partly_sent());
  EXPECT_EQ(q.bytes(), 7u);
  EXPECT_EQ(gathered(q), "loworld");
  q.consume(2);  // exactly the rest of the first frame
  EXPECT_FALSE(q.head_partly_sent());
  EXPECT_EQ(gathered(q), "world");
  q.consume(5);
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.bytes(), 0u);
}

TEST(SendQueue, ConsumeAcrossSeveralFramesStopsInTheNext) {
  send_queue q;
  for (const char* s : {"ab", "cd", "ef", "gh"}) q.push(bytes_of(s));
  q.consume(5);
  EXPECT_TRUE(q.head_partly_sent());
  EXPECT_EQ(q.bytes(), 3u);
  EXPECT_EQ(gathered(q), "fgh");
}

TEST(SendQueue, GatherStopsAtMaxIovAndTheRestFollows) {
  send_queue q;
  std::string all;
  for (std::size_t i = 0; i < max_iov + 10; ++i) {
    const std::string s(1, static_cast<char>('a' + i % 26));
    all += s;
    q.push(bytes_of(s));
  }
  iovec iov[max_iov];
  EXPECT_EQ(q.gather(iov, max_iov), max_iov);
  q.consume(max_iov);
  EXPECT_EQ(q.bytes(), 10u);
  EXPECT_EQ(gathered(q), all.substr(max_iov));
}

TEST(SendQueue, GatherWithASmallerMax) {
  send_queue q;
  for (const char* s : {"ab", "cd", "ef"}) q.push(bytes_of(s));
  q.consume(1);
  EXPECT_EQ(gathered(q, 2), "bcd");
}

TEST(SendQueue, DropUnsentKeepsAPartlySentFrame) {
  send_queue q;
  for (const char* s : {"12345", "abc", "xyz"}) q.push(bytes_of(s));
  q.consume(2);
  q.drop_unsent();
  EXPECT_EQ(q.bytes(), 3u);  // the rest of "12345" only
  EXPECT_EQ(gathered(q), "345");
  q.push(bytes_of("close"));  // the cut's close frame follows it
  EXPECT_EQ(q.bytes(), 8u);
  EXPECT_EQ(gathered(q), "345close");
}

TEST(SendQueue, DropUnsentBetweenFramesForgetsEverything) {
  send_queue q;
  for (const char* s : {"ab", "cd", "ef"}) q.push(bytes_of(s));
  q.consume(2);
  q.drop_unsent();
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.bytes(), 0u);
  EXPECT_FALSE(q.head_partly_sent());
}

TEST(SendQueue, DropUnsentReleasesTheFrames) {
  send_queue q;
  auto f = bytes_of("round");
  q.push(f);
  EXPECT_EQ(f.use_count(), 2);
  q.drop_unsent();
  EXPECT_EQ(f.use_count(), 1);
}

TEST(SendQueue, MoveToCopiesWholeFramesUpToTheLimit) {
  send_queue q;
  for (const char* s : {"aaaa", "bbbb", "cccc"}) q.push(bytes_of(s));
  std::string out;
  q.move_to(out, 5);  // stops once out holds 5 or more: whole frames only
  EXPECT_EQ(out, "aaaabbbb");
  EXPECT_EQ(q.bytes(), 4u);
  EXPECT_EQ(gathered(q), "cccc");
  out.clear();
  q.move_to(out, 100);
  EXPECT_EQ(out, "cccc");
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.bytes(), 0u);
}

TEST(SendQueue, ClearForgetsEverything) {
  send_queue q;
  q.push(bytes_of("abc"));
  q.consume(1);
  q.clear();
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.bytes(), 0u);
  EXPECT_FALSE(q.head_partly_sent());
}

TEST(SendQueue, CompactKeepsUnsentFramesInOrder) {
  send_queue q;
  std::string all;
  for (int i = 0; i < 200; ++i) {
    const std::string s = std::to_string(i) + ",";
    all += s;
    q.push(bytes_of(s));
  }
  std::size_t sent = 0;
  for (int i = 0; i < 150; ++i) sent += std::to_string(i).size() + 1;
  q.consume(sent + 1);  // 150 frames and one byte of the next
  q.compact();
  EXPECT_TRUE(q.head_partly_sent());
  EXPECT_EQ(q.bytes(), all.size() - sent - 1);
  EXPECT_EQ(gathered(q, 100), all.substr(sent + 1));
}

}  // namespace
}  // namespace sorak
