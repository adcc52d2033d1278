// The Broker contract (include/sorak/broker.hpp), run on every implementation:
// per-stream order with nothing lost or doubled, what a subscriber gets after
// subscribe, publish never waiting for the work a receiver hands on, and the
// published_at stamp the lag metric measures from. Run on the in-process
// broker and on the Redis broker (a throwaway redis-server started by the test
// process: redis_test_server.hpp).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "broker/local_broker.hpp"
#include "redis/redis_broker.hpp"
#include "redis_test_server.hpp"

namespace sorak {
namespace {

struct local_broker_impl {
  static std::unique_ptr<broker> make() { return std::make_unique<local_broker>(); }
};

struct redis_broker_impl {
  static std::unique_ptr<broker> make() {
    auto& server = testing::redis_test_server::get();
    EXPECT_TRUE(server.ok()) << "redis-server did not start (scripts/redis-test.sh)";
    static int nodes = 0;
    auto b = std::make_unique<redis_broker>(server.address(), "contract-node-" + std::to_string(++nodes));
    EXPECT_TRUE(b->wait_connected(std::chrono::seconds(10))) << "not connected to " << server.url();
    return b;
  }
};

// What one receiver saw, safe to read from the test thread.
struct seen_events {
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<room_event> events;
  void add(const room_event& ev) {
    std::lock_guard lk(mutex);
    events.push_back(ev);
    cv.notify_all();
  }
  // Waits (bounded) until `n` events have arrived; returns a copy.
  std::vector<room_event> wait_for(std::size_t n) {
    std::unique_lock lk(mutex);
    cv.wait_for(lk, std::chrono::seconds(10), [&] { return events.size() >= n; });
    return events;
  }
};

// An event numbered n by its publisher: a deletion whose target reads
// "PUBLISHER/N" (the broker carries the target as it is).
room_event numbered(const std::string& stream, std::int64_t publisher, std::int64_t n) {
  room_event ev;
  ev.stream_id = stream;
  ev.kind = event_kind::message_deleted;
  ev.target = std::to_string(publisher) + "/" + std::to_string(n);
  return ev;
}
std::string publisher_of(const room_event& ev) { return ev.target.substr(0, ev.target.find('/')); }
std::int64_t number_of(const room_event& ev) { return std::stoll(ev.target.substr(ev.target.find('/') + 1)); }

template <class Impl>
class BrokerContract : public ::testing::Test {
 protected:
  void SetUp() override {
    broker_ = Impl::make();
    broker_->set_receiver([this](const room_event& ev) { seen_.add(ev); });
  }
  seen_events seen_;  // before the broker: a broker's own thread, which fills it, stops first
  std::unique_ptr<broker> broker_;
};

using implementations = ::testing::Types<local_broker_impl, redis_broker_impl>;
TYPED_TEST_SUITE(BrokerContract, implementations);

TYPED_TEST(BrokerContract, ASubscriberGetsEveryEventPublishedAfterSubscribeInOrder) {
  this->broker_->subscribe("s1");
  for (int i = 0; i < 100; ++i) this->broker_->publish(numbered("s1", 0, i));
  const auto got = this->seen_.wait_for(100);
  std::vector<std::int64_t> counts;
  for (const auto& ev : got)
    if (ev.stream_id == "s1") counts.push_back(number_of(ev));
  ASSERT_EQ(counts.size(), 100u) << "nothing lost, nothing doubled";
  for (int i = 0; i < 100; ++i) EXPECT_EQ(counts[i], i);
}

TYPED_TEST(BrokerContract, EventsOfOnePublisherKeepTheirOrderPerStreamUnderConcurrentPublishers) {
  constexpr int publishers = 4, per_publisher = 5000;
  for (const char* s : {"a", "b"}) this->broker_->subscribe(s);
  std::vector<std::thread> threads;
  for (int p = 0; p < publishers; ++p)
    threads.emplace_back([this, p] {
      for (int i = 0; i < per_publisher; ++i) this->broker_->publish(numbered(i % 2 ? "a" : "b", p, i));
    });
  for (auto& t : threads) t.join();
  const auto got = this->seen_.wait_for(publishers * per_publisher);
  ASSERT_EQ(got.size(), static_cast<std::size_t>(publishers * per_publisher));
  std::map<std::pair<std::string, std::string>, std::int64_t> last;
  for (const auto& ev : got) {
    auto key = std::make_pair(ev.stream_id, publisher_of(ev));
    auto it = last.find(key);
    if (it != last.end()) {
      EXPECT_GT(number_of(ev), it->second) << "stream " << ev.stream_id << " publisher " << key.second;
    }
    last[key] = number_of(ev);
  }
}

TYPED_TEST(BrokerContract, PublishStampsTheTimeItTookTheEvent) {
  this->broker_->subscribe("s1");
  const auto before = broker_clock_us();
  this->broker_->publish(numbered("s1", 0, 1));
  const auto after = broker_clock_us();
  const auto got = this->seen_.wait_for(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_GE(got[0].published_at_us, before);
  EXPECT_LE(got[0].published_at_us, after);
}

TYPED_TEST(BrokerContract, TheEventArrivesWhole) {
  this->broker_->subscribe("s1");
  room_event ev;
  ev.stream_id = "s1";
  ev.kind = event_kind::sanction_imposed;
  ev.target = "u1";
  ev.json = std::make_shared<const std::string>(R"({"type":"x"})");
  sanction s;
  s.id = "sid";
  s.stream_id = "s1";
  s.user_id = "u1";
  s.kind = sanction_kind::ban;
  s.reason = "spam";
  ev.sanction_set = s;
  this->broker_->publish(ev);
  const auto got = this->seen_.wait_for(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].kind, event_kind::sanction_imposed);
  EXPECT_EQ(*got[0].json, R"({"type":"x"})");
  ASSERT_TRUE(got[0].sanction_set);
  EXPECT_EQ(got[0].sanction_set->reason, "spam");
  EXPECT_EQ(got[0].sanction_set->kind, sanction_kind::ban);
}

// The receiver hands each event to a consumer thread (as the fan-out posts to
// the workers); the consumer is held until every publish has returned, so a
// broker whose publish waited for the consumer would never get there.
TYPED_TEST(BrokerContract, PublishNeverWaitsForTheWorkTheReceiverHandsOn) {
  std::mutex m;
  std::condition_variable cv;
  std::deque<room_event> queue;
  bool publishing_done = false;
  std::atomic<int> consumed{0};
  auto br = TypeParam::make();
  br->set_receiver([&](const room_event& ev) {
    std::lock_guard lk(m);
    queue.push_back(ev);
    cv.notify_all();
  });
  br->subscribe("s1");
  std::thread consumer([&] {
    std::unique_lock lk(m);
    cv.wait_for(lk, std::chrono::seconds(20), [&] { return publishing_done; });
    while (!queue.empty() || consumed.load() < 1000) {
      if (queue.empty() && !cv.wait_for(lk, std::chrono::seconds(10), [&] { return !queue.empty(); })) break;
      queue.pop_front();
      ++consumed;
    }
  });
  for (int i = 0; i < 1000; ++i) br->publish(numbered("s1", 0, i));
  {
    std::lock_guard lk(m);
    publishing_done = true;
    EXPECT_EQ(consumed.load(), 0) << "every publish returned before the consumer took anything";
  }
  cv.notify_all();
  consumer.join();
  EXPECT_EQ(consumed.load(), 1000);
}

}  // namespace
}  // namespace sorak
