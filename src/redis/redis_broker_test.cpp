// The Redis broker between nodes (two or more redis_broker in one process, as
// two sorakd would be): each sees the other's events, messages in the store's
// order, and Redis crashing, coming back or stalling without a word. The
// Broker contract (tests/contract/broker_contract_test.cpp) runs on it too.
#include "redis/redis_broker.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "../../tests/contract/redis_test_server.hpp"

namespace sorak {
namespace {

using namespace std::chrono_literals;

struct inbox {
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<room_event> events;
  broker::receiver receiver() {
    return [this](const room_event& ev) {
      std::lock_guard lk(mutex);
      events.push_back(ev);
      cv.notify_all();
    };
  }
  std::vector<room_event> wait_for(std::size_t n, std::chrono::milliseconds within = 10s) {
    std::unique_lock lk(mutex);
    cv.wait_for(lk, within, [&] { return events.size() >= n; });
    return events;
  }
  std::size_t size() {
    std::lock_guard lk(mutex);
    return events.size();
  }
  // Waits until `n` messages (events with a message) have arrived; returns every event.
  std::vector<room_event> wait_for_messages(std::size_t n, std::chrono::milliseconds within = 10s) {
    std::unique_lock lk(mutex);
    cv.wait_for(lk, within, [&] { return count_of(event_kind::message) >= n; });
    return events;
  }
  std::size_t count(event_kind k) {
    std::lock_guard lk(mutex);
    return count_of(k);
  }

 private:
  std::size_t count_of(event_kind k) const {
    return static_cast<std::size_t>(std::count_if(events.begin(), events.end(), [k](const room_event& e) { return e.kind == k; }));
  }
};

room_event chat(const std::string& stream, std::int64_t seq, const std::string& text) {
  message m;
  m.id = "m" + std::to_string(seq);
  m.stream_id = stream;
  m.content = text;
  m.seq = seq;
  room_event ev;
  ev.stream_id = stream;
  ev.kind = event_kind::message;
  ev.msg = std::make_shared<const message>(m);
  ev.json = std::make_shared<const std::string>(R"({"type":"message"})");
  return ev;
}

std::vector<std::int64_t> seqs(const std::vector<room_event>& evs) {
  std::vector<std::int64_t> out;
  for (const auto& e : evs)
    if (e.msg) out.push_back(e.msg->seq);
  return out;
}

// What the nodes' shared store holds: every message published in a test is
// committed first, as in sorakd.
struct fake_store {
  std::mutex mutex;
  std::vector<message> messages;  // one stream, in seq order
  room_event commit(const room_event& ev) {
    std::lock_guard lk(mutex);
    messages.push_back(*ev.msg);
    return ev;
  }
  result<std::vector<message>> after(const std::string&, const std::string& after_id) {
    std::lock_guard lk(mutex);
    if (after_id.empty()) return messages;
    auto it = std::find_if(messages.begin(), messages.end(), [&](const message& m) { return m.id == after_id; });
    if (it == messages.end()) return error(errc::message_not_found);
    return std::vector<message>(it + 1, messages.end());
  }
  result<std::optional<message>> newest(const std::string&) {
    std::lock_guard lk(mutex);
    if (messages.empty()) return std::optional<message>();
    return std::optional<message>(messages.back());
  }
  // The room's state as the store holds it: one sanction, so a test can see it applied.
  std::atomic<int> state_reads{0};
  result<std::vector<room_event>> state(const std::string& stream_id) {
    ++state_reads;
    sanction ban;
    ban.stream_id = stream_id;
    ban.user_id = "banned-meanwhile";
    ban.kind = sanction_kind::ban;
    room_event ev;
    ev.stream_id = stream_id;
    ev.kind = event_kind::moderation_reloaded;
    ev.moderation = std::make_shared<const moderation_snapshot>(moderation_snapshot{{}, {ban}});
    return std::vector<room_event>{ev};
  }
  broker::message_source source() {
    return {[this](const std::string& s) { return newest(s); },
            [this](const std::string& s, const std::string& after_id) { return after(s, after_id); },
            [this](const std::string& s) { return state(s); }};
  }
};

struct node {
  static inline int count = 0;
  inbox in;  // before the broker: the broker's thread, which fills it, stops first
  std::unique_ptr<redis_broker> broker;
  node(const redis_address& where, fake_store* store)
      : broker(std::make_unique<redis_broker>(where, "node-" + std::to_string(++count))) {
    broker->set_receiver(in.receiver());
    if (store) broker->set_message_source(store->source());
  }
};

class RedisBroker : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server().ok()) << "redis-server did not start (scripts/redis-test.sh)";
    stream_ = "stream-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }
  static testing::redis_test_server& server() { return testing::redis_test_server::get(); }
  std::unique_ptr<node> start_node(const redis_address& where, fake_store* store = nullptr) {
    auto n = std::make_unique<node>(where, store);
    EXPECT_TRUE(n->broker->wait_connected(10s));
    n->broker->subscribe(stream_);
    return n;
  }
  std::string stream_;
};

TEST(RedisUrl, TakesHostAndPortAndRefusesTheRest) {
  auto a = parse_redis_url("redis://127.0.0.1:6380");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 6380);
  auto d = parse_redis_url("redis://cache.internal/");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->port, 6379);
  for (const char* bad : {"memory2", "http://h:1", "redis://", "redis://h:0", "redis://h:1/db?x=1", "redis://u:p@h:1"}) {
    auto r = parse_redis_url(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.err().id, errc::invalid_broker) << bad;
  }
}

TEST_F(RedisBroker, EachNodeGetsEveryEventOfTheOtherAndItsOwn) {
  fake_store store;
  auto a = start_node(server().address(), &store);
  auto b = start_node(server().address(), &store);
  for (int i = 1; i <= 200; ++i) (i % 2 ? a : b)->broker->publish(store.commit(chat(stream_, i, "hi")));
  for (node* n : {a.get(), b.get()}) {
    const auto got = n->in.wait_for(200);
    EXPECT_EQ(seqs(got).size(), 200u);
    std::vector<std::int64_t> want(200);
    for (int i = 0; i < 200; ++i) want[i] = i + 1;
    EXPECT_EQ(seqs(got), want) << "both nodes see one order";
  }
  EXPECT_EQ(a->broker->gaps(), 0u);
  EXPECT_EQ(b->broker->gaps(), 0u);
}

TEST_F(RedisBroker, AMessagePublishedBeforeTheOneBeforeItWaitsForIt) {
  fake_store store;
  auto a = start_node(server().address(), &store);
  auto b = start_node(server().address(), &store);
  a->broker->publish(store.commit(chat(stream_, 1, "one")));
  ASSERT_EQ(b->in.wait_for(1).size(), 1u);
  // Node b committed seq 3 after node a's seq 2 but published first.
  const room_event two = store.commit(chat(stream_, 2, "two"));
  b->broker->publish(store.commit(chat(stream_, 3, "three")));
  std::this_thread::sleep_for(20ms);
  a->broker->publish(two);
  for (node* n : {a.get(), b.get()}) EXPECT_EQ(seqs(n->in.wait_for_messages(3)), (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_EQ(b->broker->gaps(), 0u);
  EXPECT_EQ(b->broker->recovered(), 0u) << "it came in time: nothing read from the store";
}

TEST_F(RedisBroker, AMessageThatNeverComesHoldsTheNextOnlyBriefly) {
  auto a = start_node(server().address());
  a->broker->publish(chat(stream_, 1, "one"));
  ASSERT_EQ(a->in.wait_for(1).size(), 1u);
  const auto sent = std::chrono::steady_clock::now();
  a->broker->publish(chat(stream_, 3, "three"));  // seq 2 is lost
  EXPECT_EQ(seqs(a->in.wait_for_messages(2)), (std::vector<std::int64_t>{1, 3}));
  EXPECT_LT(std::chrono::steady_clock::now() - sent, 1s);
  EXPECT_EQ(a->broker->gaps(), 1u);
  a->broker->publish(chat(stream_, 4, "four"));
  EXPECT_EQ(seqs(a->in.wait_for_messages(3)), (std::vector<std::int64_t>{1, 3, 4}));
}

TEST_F(RedisBroker, AMessageThatNeverComesIsReadFromTheStoreInItsPlace) {
  fake_store store;
  auto a = start_node(server().address(), &store);
  auto b = start_node(server().address(), &store);
  a->broker->publish(store.commit(chat(stream_, 1, "one")));
  ASSERT_EQ(b->in.wait_for(1).size(), 1u);
  store.commit(chat(stream_, 2, "two: committed, its publish lost"));
  a->broker->publish(store.commit(chat(stream_, 3, "three")));
  const auto got = b->in.wait_for(3);
  EXPECT_EQ(seqs(got), (std::vector<std::int64_t>{1, 2, 3}));
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[1].msg->content, "two: committed, its publish lost");
  ASSERT_TRUE(got[1].json) << "viewers get it as any message";
  EXPECT_NE(got[1].json->find("\"type\":\"message\""), std::string::npos) << *got[1].json;
  EXPECT_GE(b->broker->recovered(), 1u);
  EXPECT_EQ(b->broker->gaps(), 0u);
  b->broker->publish(store.commit(chat(stream_, 4, "four")));
  EXPECT_EQ(seqs(b->in.wait_for_messages(4)), (std::vector<std::int64_t>{1, 2, 3, 4})) << "and nothing twice";
}

TEST_F(RedisBroker, ANodeIsAliveWhileItsHeartbeatComesAndNotFourSecondsAfter) {
  auto a = start_node(server().address());
  auto b = std::make_unique<redis_broker>(server().address(), "node-b-alive");
  ASSERT_TRUE(b->wait_connected(10s));
  const auto until = std::chrono::steady_clock::now() + 3s;
  while (!a->broker->node_alive("node-b-alive") && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(50ms);
  EXPECT_TRUE(a->broker->node_alive("node-b-alive")) << "heard within a heartbeat or two";
  EXPECT_FALSE(a->broker->node_alive("a-node-nobody-runs"));
  b.reset();  // it stops, as a crashed node would
  const auto stopped = std::chrono::steady_clock::now();
  while (a->broker->node_alive("node-b-alive") && std::chrono::steady_clock::now() - stopped < 8s)
    std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(a->broker->node_alive("node-b-alive"));
  const auto after = std::chrono::steady_clock::now() - stopped;
  EXPECT_GT(after, 2s) << "not dropped at the first missed beat";
  EXPECT_LT(after, 6s);
}

// Polls `get` until it returns `want` or `within` passes; returns the last value.
template <class F>
std::int64_t settles_to(F get, std::int64_t want, std::chrono::milliseconds within = 5s) {
  const auto until = std::chrono::steady_clock::now() + within;
  std::int64_t v = get();
  while (v != want && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(20ms);
    v = get();
  }
  return v;
}

TEST_F(RedisBroker, EveryNodeKnowsEveryStreamsViewersOnTheOthersSubscribedOrNot) {
  auto a = std::make_unique<redis_broker>(server().address(), "node-a-counts");
  auto b = std::make_unique<redis_broker>(server().address(), "node-b-counts");
  ASSERT_TRUE(a->wait_connected(10s));
  ASSERT_TRUE(b->wait_connected(10s));
  const std::string s1 = stream_ + "-1", s2 = stream_ + "-2";
  // Neither subscribed to anything: counts reach every node all the same.
  a->count_viewers({{s1, 3}, {s2, 1}});
  b->count_viewers({{s1, 2}});
  EXPECT_EQ(settles_to([&] { return b->viewers_elsewhere(s1); }, 3), 3);
  EXPECT_EQ(settles_to([&] { return b->viewers_elsewhere(s2); }, 1), 1);
  EXPECT_EQ(settles_to([&] { return a->viewers_elsewhere(s1); }, 2), 2) << "each node adds the others', not its own";
  EXPECT_EQ(a->viewers_elsewhere(s2), 0);
  a->count_viewers({{s1, 5}, {s2, 0}});  // a new count replaces the last; 0: none left
  EXPECT_EQ(settles_to([&] { return b->viewers_elsewhere(s1); }, 5), 5);
  EXPECT_EQ(settles_to([&] { return b->viewers_elsewhere(s2); }, 0), 0);

  // A node that starts later learns the whole table (it says hello; the others answer).
  auto c = std::make_unique<redis_broker>(server().address(), "node-c-counts");
  ASSERT_TRUE(c->wait_connected(10s));
  EXPECT_EQ(settles_to([&] { return c->viewers_elsewhere(s1); }, 7), 7) << "a's 5 and b's 2";

  // A node that stops (crashes) stops counting within the node timeout.
  a.reset();
  const auto stopped = std::chrono::steady_clock::now();
  EXPECT_EQ(settles_to([&] { return c->viewers_elsewhere(s1); }, 2, 8s), 2);
  EXPECT_LT(std::chrono::steady_clock::now() - stopped, 6s);
}

TEST_F(RedisBroker, CountsChangedWhileRedisWasDownAreKnownWhenItIsBack) {
  auto a = std::make_unique<redis_broker>(server().address(), "node-a-outage");
  auto b = std::make_unique<redis_broker>(server().address(), "node-b-outage");
  ASSERT_TRUE(a->wait_connected(10s));
  ASSERT_TRUE(b->wait_connected(10s));
  a->count_viewers({{stream_, 4}});
  ASSERT_EQ(settles_to([&] { return b->viewers_elsewhere(stream_); }, 4), 4);
  server().kill9();
  a->count_viewers({{stream_, 9}});  // lost: nobody hears it
  server().restart();
  ASSERT_TRUE(a->wait_connected(15s));
  ASSERT_TRUE(b->wait_connected(15s));
  EXPECT_EQ(settles_to([&] { return b->viewers_elsewhere(stream_); }, 9), 9)
      << "a's whole table goes out again after its reconnect";
}

// A TCP relay in front of Redis whose current connections can be frozen: bytes
// stop flowing both ways while the sockets stay open, as with a proxy that
// hung. Connections made after the freeze flow again.
class freezing_relay {
 public:
  explicit freezing_relay(redis_address to) : to_(std::move(to)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(listener_, 16);
    socklen_t len = sizeof addr;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~freezing_relay() {
    stop_ = true;
    thread_.join();
    ::close(listener_);
    for (auto& p : pairs_) {
      ::close(p.client);
      ::close(p.server);
    }
  }
  redis_address address() const { return {"127.0.0.1", port_}; }
  void freeze() { freeze_ = true; }

 private:
  struct pair {
    int client, server;
    bool frozen = false;
  };
  void run() {
    while (!stop_) {
      std::vector<pollfd> fds{{listener_, POLLIN, 0}};
      for (auto& p : pairs_)
        if (!p.frozen) fds.insert(fds.end(), {{p.client, POLLIN, 0}, {p.server, POLLIN, 0}});
      ::poll(fds.data(), fds.size(), 20);
      if (freeze_.exchange(false))
        for (auto& p : pairs_) p.frozen = true;
      if (fds[0].revents & POLLIN) accept_one();
      for (std::size_t i = 1; i < fds.size(); ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP))) continue;
        for (auto& p : pairs_) {
          if (p.frozen) continue;
          if (fds[i].fd == p.client) forward(p.client, p.server);
          if (fds[i].fd == p.server) forward(p.server, p.client);
        }
      }
    }
  }
  void accept_one() {
    const int c = ::accept(listener_, nullptr, nullptr);
    if (c < 0) return;
    const int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(to_.port));
    ::inet_pton(AF_INET, to_.host.c_str(), &addr.sin_addr);
    if (::connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(c);
      ::close(s);
      return;
    }
    pairs_.push_back({c, s});
  }
  static void forward(int from, int to) {
    char buf[16384];
    const ssize_t n = ::read(from, buf, sizeof buf);
    if (n > 0) (void)!::write(to, buf, static_cast<std::size_t>(n));
  }

  redis_address to_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false}, freeze_{false};
  std::vector<pair> pairs_;  // relay thread only
  std::thread thread_;
};

TEST_F(RedisBroker, AConnectionThatStallsSilentlyIsReplacedWithinFiveSeconds) {
  freezing_relay relay(server().address());
  auto a = start_node(relay.address());
  auto b = start_node(server().address());
  a->broker->publish(chat(stream_, 1, "before"));
  ASSERT_EQ(b->in.wait_for(1).size(), 1u);

  relay.freeze();  // a's connections stay open and carry nothing
  const auto frozen = std::chrono::steady_clock::now();
  while (a->broker->connected() && std::chrono::steady_clock::now() - frozen < 6s) std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(a->broker->connected()) << "the stall was noticed";
  ASSERT_TRUE(a->broker->wait_connected(6s));
  EXPECT_LT(std::chrono::steady_clock::now() - frozen, 5s) << "and a new connection made within 5 s";

  a->broker->publish(chat(stream_, 2, "after"));
  EXPECT_EQ(seqs(b->in.wait_for_messages(2)), (std::vector<std::int64_t>{1, 2})) << "the other node hears a again";
  b->broker->publish(chat(stream_, 3, "to a"));
  EXPECT_EQ(seqs(a->in.wait_for_messages(3)).back(), 3) << "a hears the other node again: it subscribed anew";
}

// Last: it restarts the process's Redis.
TEST_F(RedisBroker, RedisKilledAndRestartedNodesReconnectByThemselvesAndReadWhatTheyMissed) {
  fake_store store;
  auto a = start_node(server().address(), &store);
  auto b = start_node(server().address(), &store);
  a->broker->publish(store.commit(chat(stream_, 1, "before")));
  ASSERT_EQ(b->in.wait_for(1).size(), 1u);

  server().kill9();
  const auto down = std::chrono::steady_clock::now();
  while ((a->broker->connected() || b->broker->connected()) && std::chrono::steady_clock::now() - down < 5s)
    std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(a->broker->connected());
  // While Redis is away a node's own viewers still get what it publishes.
  a->broker->publish(store.commit(chat(stream_, 2, "while down")));
  EXPECT_EQ(seqs(a->in.wait_for_messages(2)), (std::vector<std::int64_t>{1, 2}));

  server().restart();
  ASSERT_TRUE(a->broker->wait_connected(10s));
  ASSERT_TRUE(b->broker->wait_connected(10s)) << "connected again means subscribed again";
  a->broker->publish(store.commit(chat(stream_, 3, "after")));
  EXPECT_EQ(seqs(b->in.wait_for_messages(3)), (std::vector<std::int64_t>{1, 2, 3}))
      << "events flow again with nobody restarted, and what b missed came from the store, in its place";
  EXPECT_GE(b->broker->recovered(), 1u);
  EXPECT_EQ(seqs(a->in.wait_for_messages(3)), (std::vector<std::int64_t>{1, 2, 3})) << "a had its own, once";
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(b->in.count(event_kind::message), 3u) << "nothing twice";
  // Changes other than messages made meanwhile (a ban here) come back as the stream's state.
  EXPECT_GE(b->broker->states_reloaded(), 1u);
  const auto got = b->in.wait_for(4);
  auto reload = std::find_if(got.begin(), got.end(), [](const room_event& e) { return e.kind == event_kind::moderation_reloaded; });
  ASSERT_NE(reload, got.end()) << "the stream's state went to the receiver";
  ASSERT_TRUE(reload->moderation);
  ASSERT_EQ(reload->moderation->sanctions.size(), 1u);
  EXPECT_EQ(reload->moderation->sanctions[0].user_id, "banned-meanwhile");
}

}  // namespace
}  // namespace sorak
