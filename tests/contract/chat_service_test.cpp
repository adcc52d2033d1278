// What happens to one chat message (core/chat_service.hpp, CONTRACT §2, §5,
// §6), with the in-memory store and a broker that records what it is asked to
// publish: a valid message is stored once, broadcast once with the exact
// Message JSON and acked with the same id; every refusal carries its code and
// reaches no one. The broker hands what it publishes to a receiver that
// applies it to the room, as the server's does (a room changes only by the
// events it is delivered: room::apply). Also room_registry
// (core/room_registry.hpp) over the store.
//
// Lives in tests/contract because it needs memory_store (sorak_store), which
// the core_tests binary does not link.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/chat_service.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/room_events.hpp"
#include "core/room_registry.hpp"
#include "protocol/events.hpp"
#include "protocol/json_codec.hpp"
#include "protocol/stats_json.hpp"
#include "store/memory_store.hpp"

namespace sorak {
namespace {

namespace json = boost::json;

// ---- test doubles ---------------------------------------------------------------------

// Records every published event, then hands it to the receiver, if one was
// set (synchronously, on the publishing thread, as local_broker does).
class recording_broker final : public broker {
 public:
  void set_receiver(receiver r) override { receiver_ = std::move(r); }
  void publish(room_event ev) override {
    ev.published_at_us = broker_clock_us();
    {
      std::lock_guard lk(mutex_);
      events_.push_back(ev);
    }
    if (receiver_) receiver_(ev);
  }
  void subscribe(const std::string& stream_id) override {
    std::lock_guard lk(mutex_);
    subscribed_.insert(stream_id);
  }
  void unsubscribe(const std::string& stream_id) override {
    std::lock_guard lk(mutex_);
    subscribed_.erase(stream_id);
  }
  std::vector<room_event> events() const {
    std::lock_guard lk(mutex_);
    return events_;
  }
  bool subscribed(const std::string& stream_id) const {
    std::lock_guard lk(mutex_);
    return subscribed_.count(stream_id) > 0;
  }

 private:
  mutable std::mutex mutex_;
  receiver receiver_;
  std::vector<room_event> events_;
  std::set<std::string> subscribed_;
};

// What the server's receiver does with an event (in spirit): the open room it
// belongs to applies it.
void apply_to_rooms(broker& br, room_registry& rooms) {
  br.set_receiver([&rooms](const room_event& ev) {
    if (auto r = rooms.route(ev)) {
      std::lock_guard lk(r->event_mutex());
      r->apply(ev);
    }
  });
}

// The message events among `events`, in order.
std::vector<room_event> messages_in(const std::vector<room_event>& events) {
  std::vector<room_event> out;
  for (const auto& ev : events)
    if (ev.kind == event_kind::message) out.push_back(ev);
  return out;
}

// A store whose group commit has not happened yet: append() holds the message
// until commit_all() (which stores it in the memory store) or fail_all().
class held_store final : public store {
 public:
  result<stream> create_stream(const new_stream& s) override { return inner_->create_stream(s); }
  result<stream> get_stream(std::string_view id) override { return inner_->get_stream(id); }
  result<stream> get_stream_by_room(std::string_view id) override { return inner_->get_stream_by_room(id); }
  std::vector<stream> list_streams(std::optional<stream_status> f) override { return inner_->list_streams(f); }
  result<stream> update_stream(std::string_view id, const stream_patch& p) override {
    return inner_->update_stream(id, p);
  }
  status import_stream(const stream& s) override { return inner_->import_stream(s); }
  void remember_user(const user_profile& u) override { inner_->remember_user(u); }
  std::vector<user_profile> list_users() override { return inner_->list_users(); }
  std::optional<user_profile> get_user(std::string_view id) override { return inner_->get_user(id); }
  void append(message m, append_callback done) override { held_.emplace_back(std::move(m), std::move(done)); }
  result<history_page> history(std::string_view s, int limit, std::optional<std::string_view> before) override {
    return inner_->history(s, limit, before);
  }
  std::vector<message> latest(std::string_view s, int n) override { return inner_->latest(s, n); }
  result<std::vector<message>> after(std::string_view s, std::string_view id, int max) override {
    return inner_->after(s, id, max);
  }
  result<message> get_message(std::string_view s, std::string_view id) override {
    return inner_->get_message(s, id);
  }
  std::optional<millis> last_created_at(std::string_view s) override {
    if (auto hook = std::exchange(before_last_created_at, nullptr)) hook();
    return inner_->last_created_at(s);
  }
  std::vector<message> deleted_after(std::string_view s, std::string_view id) override {
    return inner_->deleted_after(s, id);
  }
  result<message> delete_message(std::string_view s, std::string_view id) override {
    return inner_->delete_message(s, id);
  }
  result<blocked_term> add_blocked_term(const blocked_term& t) override { return inner_->add_blocked_term(t); }
  result<blocked_term> remove_blocked_term(std::string_view s, std::string_view id) override {
    return inner_->remove_blocked_term(s, id);
  }
  std::vector<blocked_term> list_blocked_terms(std::string_view s) override { return inner_->list_blocked_terms(s); }
  status put_pin(const pin_record& p) override { return inner_->put_pin(p); }
  status clear_pin(std::string_view s) override { return inner_->clear_pin(s); }
  std::optional<pin_record> get_pin(std::string_view s) override { return inner_->get_pin(s); }
  result<poll> create_poll(const poll& p) override { return inner_->create_poll(p); }
  std::vector<poll_vote> list_votes(std::string_view s, std::string_view id) override { return inner_->list_votes(s, id); }
  status import_poll(const poll& p, const std::vector<poll_vote>& v) override { return inner_->import_poll(p, v); }
  std::vector<message> messages_between(std::string_view s, millis from, millis to, int limit) override {
    return inner_->messages_between(s, from, to, limit);
  }
  result<poll> get_poll(std::string_view s, std::string_view id) override { return inner_->get_poll(s, id); }
  std::vector<poll> list_polls(std::string_view s, int limit) override { return inner_->list_polls(s, limit); }
  status add_vote(std::string_view s, std::string_view id, std::string_view u, int o, millis at) override {
    return inner_->add_vote(s, id, u, o, at);
  }
  result<poll> close_poll(std::string_view s, std::string_view id, millis at) override {
    return inner_->close_poll(s, id, at);
  }
  result<std::vector<std::string>> delete_user_messages(std::string_view s, std::string_view u) override {
    return inner_->delete_user_messages(s, u);
  }
  result<badge_grant> grant_badge(const badge_grant& g) override { return inner_->grant_badge(g); }
  status revoke_badge(std::string_view s, std::string_view u) override { return inner_->revoke_badge(s, u); }
  std::vector<badge_grant> list_badges(std::string_view s) override { return inner_->list_badges(s); }
  status put_sanction(const sanction& x) override { return inner_->put_sanction(x); }
  status lift_sanction(std::string_view s, std::string_view u, sanction_kind k) override {
    return inner_->lift_sanction(s, u, k);
  }
  std::vector<sanction> list_sanctions(std::string_view s) override { return inner_->list_sanctions(s); }
  status log_action(const moderation_action& a) override { return inner_->log_action(a); }
  std::vector<moderation_action> moderation_log(std::string_view s, int limit) override {
    return inner_->moderation_log(s, limit);
  }
  std::vector<message> chat_feed(std::string_view s, int limit, std::optional<millis> since) override {
    return inner_->chat_feed(s, limit, since);
  }
  void scan_messages(std::string_view s, const std::function<void(const message&)>& each) override {
    if (during_scan) during_scan(s);
    inner_->scan_messages(s, each);
  }
  status put_api_key(const api_key& k) override { return inner_->put_api_key(k); }
  std::vector<api_key> list_api_keys() override { return inner_->list_api_keys(); }
  std::optional<api_key> find_api_key(std::string_view h) override { return inner_->find_api_key(h); }
  status revoke_api_key(std::string_view id, millis at) override { return inner_->revoke_api_key(id, at); }
  status create_webhook(const webhook& w) override { return inner_->create_webhook(w); }
  std::vector<webhook> list_webhooks() override { return inner_->list_webhooks(); }
  result<webhook> get_webhook(std::string_view id) override { return inner_->get_webhook(id); }
  status delete_webhook(std::string_view id) override { return inner_->delete_webhook(id); }
  status add_deliveries(const std::vector<webhook_delivery>& ds) override { return inner_->add_deliveries(ds); }
  std::vector<webhook_delivery> claim_deliveries(millis now, std::string_view owner, millis until, int limit) override {
    return inner_->claim_deliveries(now, owner, until, limit);
  }
  status finish_deliveries(const std::vector<delivery_outcome>& o) override { return inner_->finish_deliveries(o); }
  std::vector<webhook_delivery> list_deliveries(std::string_view id, int limit) override {
    return inner_->list_deliveries(id, limit);
  }
  std::int64_t prune_deliveries(millis before) override { return inner_->prune_deliveries(before); }
  result<prune_report> prune_messages(millis cutoff, const stats_fold& fold) override {
    return inner_->prune_messages(cutoff, fold);
  }
  std::optional<std::string> stats_baseline(std::string_view s) override { return inner_->stats_baseline(s); }
  std::vector<stream_baseline> list_baselines() override { return inner_->list_baselines(); }
  status import_baseline(const stream_baseline& b) override { return inner_->import_baseline(b); }
  void flush() override {}

  // Runs once, the next time last_created_at is read (the last read of a
  // room's load): what another node does meanwhile.
  std::function<void()> before_last_created_at;
  // Runs on every walk over a stream's messages (the long read of opening a room).
  std::function<void(std::string_view)> during_scan;

  std::size_t held() const { return held_.size(); }
  void commit_all() {
    auto held = std::exchange(held_, {});
    for (auto& [m, done] : held) inner_->append(std::move(m), std::move(done));
  }
  void fail_all() {
    auto held = std::exchange(held_, {});
    for (auto& [m, done] : held) done(result<message>(error(errc::internal, "disk full")));
  }

 private:
  std::unique_ptr<store> inner_ = make_memory_store();
  std::vector<std::pair<message, append_callback>> held_;
};

// ---- helpers --------------------------------------------------------------------------

principal user(std::string id, std::vector<std::string> badges = {}) {
  principal p;
  p.user.id = id;
  p.user.username = id + "_name";
  p.user.display_name = "Display " + id;
  p.user.avatar_url = "https://example.com/" + id + ".png";
  p.user.level = 7;
  p.user.is_premium = true;
  p.user.badges = std::move(badges);
  return p;
}

const std::string owner_id = "owner";

new_stream stream_request(std::string title = "Evening show") {
  new_stream ns;
  ns.broadcaster_user_id = owner_id;
  ns.title = std::move(title);
  ns.room_name = "Ami's room";
  return ns;
}

client_chat chat(std::string content, std::string client_id = {}, std::optional<std::string> reply_to = {}) {
  return client_chat{std::move(content), std::move(client_id), std::move(reply_to)};
}

struct acks {
  std::shared_ptr<std::vector<result<ack_info>>> got = std::make_shared<std::vector<result<ack_info>>>();
  ack_callback callback() const {
    return [got = got](const result<ack_info>& r) { got->push_back(r); };
  }
  std::size_t size() const { return got->size(); }
  const result<ack_info>& operator[](std::size_t i) const { return (*got)[i]; }
};

json::object parse_object(const std::string& text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) {
    ADD_FAILURE() << "not a JSON object: " << text;
    return {};
  }
  return v.get_object();
}

std::set<std::string> keys_of(const json::object& o) {
  std::set<std::string> out;
  for (const auto& kv : o) out.emplace(kv.key());
  return out;
}

std::vector<std::string> badges_of(const json::object& data) {
  std::vector<std::string> out;
  for (const auto& b : data.at("user").at("badges").as_array()) out.emplace_back(b.as_string());
  return out;
}

// A stream, its room and a service, over the memory store.
class ChatServiceTest : public ::testing::Test {
 protected:
  explicit ChatServiceTest(chat_limits limits = chat_limits{}) : service_(*store_, broker_, limits) {
    apply_to_rooms(broker_, rooms_);
    auto s = store_->create_stream(stream_request());
    EXPECT_TRUE(s);
    stream_ = *s;
    auto r = rooms_.open(stream_.id);
    EXPECT_TRUE(r);
    room_ = *r;
  }

  status send(const principal& who, client_chat c, const acks& a = {}) {
    return service_.send_chat(*room_, who, std::move(c), a.callback());
  }
  std::size_t stored() { return store_->latest(stream_.id, 10000).size(); }
  std::vector<room_event> published() const { return broker_.events(); }

  // Expects `s` to be the refusal `code` that reached no one.
  void expect_refused(const status& s, const std::string& code, int http_status, std::size_t published_before,
                      std::size_t stored_before) {
    ASSERT_FALSE(s) << "expected " << code;
    EXPECT_EQ(s.err().code, code);
    EXPECT_EQ(s.err().http_status, http_status) << code;
    EXPECT_FALSE(s.err().message.empty()) << code;
    EXPECT_EQ(published().size(), published_before) << code << " was broadcast";
    EXPECT_EQ(stored(), stored_before) << code << " was stored";
  }

  std::unique_ptr<store> store_ = make_memory_store();
  recording_broker broker_;
  chat_service service_;
  room_registry rooms_{*store_, 1000, "local", &broker_};
  stream stream_;
  std::shared_ptr<room> room_;
};

class UnlimitedChatServiceTest : public ChatServiceTest {
 protected:
  UnlimitedChatServiceTest() : ChatServiceTest(chat_limits{{0, 1}, {0, 1}}) {}
};

class SmallLimitChatServiceTest : public ChatServiceTest {
 protected:
  SmallLimitChatServiceTest() : ChatServiceTest(chat_limits{{3, 30}, {5, 30}}) {}
};

// ---- a valid message ----------------------------------------------------------------------

TEST_F(ChatServiceTest, ValidMessageIsStoredBroadcastOnceWithTheExactMessageJsonAndAcked) {
  const principal viewer = user("u1", {"verified"});
  acks a;
  const millis before = now_millis();
  ASSERT_TRUE(send(viewer, chat("  hello there  ", "c-1"), a));
  const millis after = now_millis();

  const auto events = published();
  ASSERT_EQ(events.size(), 1u);
  const room_event& ev = events[0];
  EXPECT_EQ(ev.kind, event_kind::message);
  EXPECT_EQ(ev.stream_id, stream_.id);
  ASSERT_NE(ev.msg, nullptr);
  ASSERT_NE(ev.json, nullptr);
  // The broadcast bytes are exactly the message event of the stored message.
  EXPECT_EQ(*ev.json, message_event(encode_message(*ev.msg)));

  const json::object o = parse_object(*ev.json);
  EXPECT_EQ(keys_of(o), (std::set<std::string>{"type", "data"}));
  EXPECT_EQ(o.at("type").as_string(), "message");
  const json::object& d = o.at("data").as_object();
  EXPECT_EQ(keys_of(d), (std::set<std::string>{"id", "stream_id", "user", "content", "message_type", "gift",
                                                "stars", "reply_to", "created_at"}));
  const std::string id(d.at("id").as_string());
  EXPECT_TRUE(looks_like_uuid(id)) << id;
  EXPECT_GE(uuid_v7_millis(id), 0) << "not a UUID v7: " << id;
  EXPECT_EQ(d.at("stream_id").as_string(), stream_.id);
  EXPECT_EQ(d.at("content").as_string(), "hello there");  // trimmed
  EXPECT_EQ(d.at("message_type").as_string(), "message");
  EXPECT_TRUE(d.at("gift").is_null());
  ASSERT_TRUE(d.at("stars").is_int64());
  EXPECT_EQ(d.at("stars").get_int64(), 0);
  EXPECT_TRUE(d.at("reply_to").is_null());
  const json::object& u = d.at("user").as_object();
  EXPECT_EQ(u.at("id").as_string(), "u1");
  EXPECT_EQ(u.at("username").as_string(), "u1_name");
  EXPECT_EQ(u.at("display_name").as_string(), "Display u1");
  EXPECT_EQ(u.at("avatar_url").as_string(), "https://example.com/u1.png");
  EXPECT_EQ(u.at("level").as_int64(), 7);
  EXPECT_EQ(u.at("is_premium").as_bool(), true);
  EXPECT_EQ(badges_of(d), std::vector<std::string>{"verified"});
  const millis created_at = ev.msg->created_at;
  EXPECT_GE(created_at, before);
  EXPECT_LE(created_at, after + 1);
  EXPECT_EQ(d.at("created_at").as_string(), format_rfc3339_ms(created_at));

  // The sender's ack names the same message.
  ASSERT_EQ(a.size(), 1u);
  ASSERT_TRUE(a[0]);
  EXPECT_EQ(a[0]->id, id);
  EXPECT_EQ(a[0]->created_at, created_at);

  // And it is what the store holds.
  auto kept = store_->get_message(stream_.id, id);
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->content, "hello there");
  EXPECT_EQ(kept->created_at, created_at);
  EXPECT_EQ(kept->client_id, "c-1");
  EXPECT_EQ(stored(), 1u);
}

TEST_F(ChatServiceTest, TheRoomTakesAStoredMessageFromItsEventAndCountsItOnce) {
  acks a;
  const millis before = now_millis();
  ASSERT_TRUE(send(user("u1"), chat("counted", "c-1"), a));
  ASSERT_EQ(a.size(), 1u);
  ASSERT_TRUE(a[0]);
  EXPECT_TRUE(broker_.subscribed(stream_.id)) << "the registry asks the broker for the stream's events";
  const auto snap = room_->latest(50);
  ASSERT_EQ(snap.message_events.size(), 1u);
  EXPECT_EQ(parse_object(*snap.message_events[0]).at("data").at("id").as_string(), a[0]->id);
  auto stats = room_->stats().snapshot(10, before - 60000, now_millis() + 60000);
  EXPECT_EQ(stats.total_messages, 1);
  EXPECT_EQ(stats.unique_users, 1);
  // The broker delivering the event a second time changes nothing.
  {
    std::lock_guard lk(room_->event_mutex());
    EXPECT_EQ(room_->apply(published().at(0)), 0u);
  }
  stats = room_->stats().snapshot(10, before - 60000, now_millis() + 60000);
  EXPECT_EQ(stats.total_messages, 1);
  EXPECT_EQ(room_->latest(50).message_events.size(), 1u);
}

TEST_F(ChatServiceTest, WithoutClientIdTheMessageIsStillStoredAndBroadcast) {
  acks a;
  ASSERT_TRUE(send(user("u1"), chat("plain"), a));
  ASSERT_EQ(published().size(), 1u);
  EXPECT_EQ(stored(), 1u);
  ASSERT_EQ(a.size(), 1u);  // the session sends no ack without a client_id, but it learns the outcome
  EXPECT_TRUE(a[0]);
}

TEST_F(ChatServiceTest, ReplyToAMessageOfThisStreamIsKept) {
  ASSERT_TRUE(send(user("u1"), chat("question?")));
  const std::string first = published().at(0).msg->id;
  ASSERT_TRUE(send(user("u2"), chat("answer", "", first)));
  const auto events = published();
  ASSERT_EQ(events.size(), 2u);
  const json::object d = parse_object(*events[1].json).at("data").as_object();
  ASSERT_TRUE(d.at("reply_to").is_string());
  EXPECT_EQ(d.at("reply_to").as_string(), first);
}

TEST_F(ChatServiceTest, ContentOfExactlyTheMaximumLengthInCodePointsIsAccepted) {
  std::string five_hundred;
  for (int i = 0; i < 500; ++i) five_hundred += "あ";  // 1500 bytes, 500 code points
  ASSERT_TRUE(send(user("u1"), chat(five_hundred)));
  EXPECT_EQ(published().size(), 1u);
}

TEST_F(ChatServiceTest, NewlinesAndTabsInsideAMessageAreKept) {
  ASSERT_TRUE(send(user("u1"), chat("line one\n\tline two")));
  const json::object d = parse_object(*published().at(0).json).at("data").as_object();
  EXPECT_EQ(d.at("content").as_string(), "line one\n\tline two");
}

// ---- refusals: the right code, and nothing reaches anyone ------------------------------------

TEST_F(ChatServiceTest, ReadOnlyTokenIsRefused) {
  principal reader = user("u1");
  reader.read_only = true;
  acks a;
  expect_refused(send(reader, chat("hi", "c-1"), a), "read_only", 403, 0, 0);
  EXPECT_EQ(a.size(), 0u);
}

TEST_F(ChatServiceTest, EndedStreamRefusesMessages) {
  stream_patch p;
  p.status = stream_status::ended;
  auto ended = store_->update_stream(stream_.id, p);
  ASSERT_TRUE(ended);
  service_.publish(stream_changed(*ended, true));
  ASSERT_TRUE(room_->ended());
  acks a;
  // Published so far: the stream change only.
  expect_refused(send(user("u1"), chat("hi", "c-1"), a), "stream_ended", 400, 1, 0);
  expect_refused(send(user(owner_id), chat("hi")), "stream_ended", 400, 1, 0);
  EXPECT_EQ(a.size(), 0u);
}

TEST_F(ChatServiceTest, BadContentIsRefusedWithItsCode) {
  const std::pair<std::string, std::string> rows[] = {
      {"", "empty_content"},
      {"   \t\n  ", "empty_content"},
      {"\xe3\x80\x80", "empty_content"},  // an ideographic space alone
      {"bell\x07", "invalid_content"},
      {"esc\x1b[31m red", "invalid_content"},
      {"del\x7f", "invalid_content"},
      {"bad \xff utf-8", "invalid_content"},
      {std::string(501, 'x'), "message_too_long"},
  };
  for (const auto& [content, code] : rows) {
    acks a;
    expect_refused(send(user("u1"), chat(content, "c-" + code), a), code, 400, 0, 0);
    EXPECT_EQ(a.size(), 0u) << code;
  }
}

TEST_F(ChatServiceTest, TheStreamsMaxMessageLengthApplies) {
  stream s = room_->info();
  s.settings.max_message_length = 10;
  service_.publish(stream_changed(s, false));
  ASSERT_EQ(room_->info().settings.max_message_length, 10);
  expect_refused(send(user("u1"), chat("12345678901")), "message_too_long", 400, 1, 0);  // 1: the settings
  ASSERT_TRUE(send(user("u1"), chat("  1234567890  ")));  // 10 after trimming
  EXPECT_EQ(published().size(), 2u);
  EXPECT_EQ(published().back().kind, event_kind::message);
}

TEST_F(ChatServiceTest, ReplyToAnUnknownMessageIsRefused) {
  expect_refused(send(user("u1"), chat("hi", "", "0196699c-7d6b-7000-8000-000000000001")), "invalid_reply_to",
                 400, 0, 0);
  expect_refused(send(user("u1"), chat("hi", "", "")), "invalid_reply_to", 400, 0, 0);
}

TEST_F(ChatServiceTest, ReplyToAMessageOfAnotherStreamIsRefused) {
  auto other = store_->create_stream(stream_request("Other show"));
  ASSERT_TRUE(other);
  auto other_room = rooms_.open(other->id);
  ASSERT_TRUE(other_room);
  ASSERT_TRUE(service_.send_chat(**other_room, user("u1"), chat("elsewhere"), {}));
  const std::string foreign = published().at(0).msg->id;
  expect_refused(send(user("u1"), chat("hi", "", foreign)), "invalid_reply_to", 400, 1, 0);
}

// ---- rate limits ---------------------------------------------------------------------------------

TEST_F(ChatServiceTest, DefaultLimitIsTwentyMessagesPerThirtySecondsPerUser) {
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(send(user("u1"), chat("msg " + std::to_string(i)))) << i;
  acks a;
  const status s = send(user("u1"), chat("one too many", "c-21"), a);
  expect_refused(s, "rate_limited", 429, 20, 20);
  EXPECT_GT(s.err().retry_after_ms, 0);
  EXPECT_LE(s.err().retry_after_ms, 30000);
  EXPECT_EQ(a.size(), 0u);
  // Another viewer is not slowed by u1.
  EXPECT_TRUE(send(user("u2"), chat("me too")));
}

TEST_F(ChatServiceTest, TheBroadcasterHasTheHundredMessageLimit) {
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(send(user(owner_id), chat("msg " + std::to_string(i)))) << i;
  const status s = send(user(owner_id), chat("one too many"));
  expect_refused(s, "rate_limited", 429, 100, 100);
  EXPECT_GT(s.err().retry_after_ms, 0);
}

TEST_F(SmallLimitChatServiceTest, ViewerAndBroadcasterLimitsComeFromTheConfiguredLimits) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(send(user("u1"), chat("v" + std::to_string(i))));
  expect_refused(send(user("u1"), chat("v3")), "rate_limited", 429, 3, 3);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(send(user(owner_id), chat("b" + std::to_string(i)))) << i;
  expect_refused(send(user(owner_id), chat("b5")), "rate_limited", 429, 8, 8);
}

TEST_F(SmallLimitChatServiceTest, TheLimitIsPerStream) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(send(user("u1"), chat("v" + std::to_string(i))));
  ASSERT_FALSE(send(user("u1"), chat("v3")));
  auto other = store_->create_stream(stream_request("Other show"));
  ASSERT_TRUE(other);
  auto other_room = rooms_.open(other->id);
  ASSERT_TRUE(other_room);
  EXPECT_TRUE(service_.send_chat(**other_room, user("u1"), chat("hello other room"), {}));
}

TEST_F(SmallLimitChatServiceTest, AResendOfAStoredMessageIsAckedEvenWhenOverTheLimit) {
  // A client that reconnects and resends must get its ack, not a rate_limited error.
  acks first;
  ASSERT_TRUE(send(user("u1"), chat("one", "c-1"), first));
  ASSERT_TRUE(send(user("u1"), chat("two")));
  ASSERT_TRUE(send(user("u1"), chat("three")));
  ASSERT_FALSE(send(user("u1"), chat("four")));
  acks resend;
  ASSERT_TRUE(send(user("u1"), chat("one", "c-1"), resend));
  ASSERT_EQ(resend.size(), 1u);
  ASSERT_TRUE(resend[0]);
  EXPECT_EQ(resend[0]->id, first[0]->id);
  EXPECT_EQ(stored(), 3u);
}

TEST(ChatServiceRateLimit, ARateLimitedClientIdIsNotRememberedAsSent) {
  // Refused, so never stored: once the window has passed, the same client_id is stored.
  auto st = make_memory_store();
  recording_broker br;
  chat_service service(*st, br, chat_limits{{1, 1}, {1, 1}});
  room_registry rooms(*st, 100);
  apply_to_rooms(br, rooms);
  auto s = st->create_stream(stream_request());
  ASSERT_TRUE(s);
  auto r = rooms.open(s->id);
  ASSERT_TRUE(r);
  ASSERT_TRUE(service.send_chat(**r, user("u1"), chat("first"), {}));
  acks refused;
  auto no = service.send_chat(**r, user("u1"), chat("second", "c-2"), refused.callback());
  ASSERT_FALSE(no);
  EXPECT_EQ(no.err().code, "rate_limited");
  EXPECT_EQ(refused.size(), 0u);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  acks again;
  ASSERT_TRUE(service.send_chat(**r, user("u1"), chat("second", "c-2"), again.callback()));
  ASSERT_EQ(again.size(), 1u);
  EXPECT_TRUE(again[0]);
  EXPECT_EQ(br.events().size(), 2u);
  EXPECT_EQ(st->latest(s->id, 100).size(), 2u);
}

// ---- badges --------------------------------------------------------------------------------------

TEST_F(ChatServiceTest, TheBroadcasterWearsTheBroadcasterBadgeFirst) {
  ASSERT_TRUE(send(user(owner_id, {"verified", "subscriber"}), chat("welcome")));
  ASSERT_TRUE(send(user("u1", {"subscriber"}), chat("hi")));
  ASSERT_TRUE(send(user("u2"), chat("hey")));
  const auto events = published();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(badges_of(parse_object(*events[0].json).at("data").as_object()),
            (std::vector<std::string>{"broadcaster", "verified", "subscriber"}));
  EXPECT_EQ(badges_of(parse_object(*events[1].json).at("data").as_object()),
            (std::vector<std::string>{"subscriber"}));
  EXPECT_TRUE(badges_of(parse_object(*events[2].json).at("data").as_object()).empty());
}

TEST(BadgesInStream, OnlyTheOwnerOfThisStreamIsItsBroadcaster) {
  stream s;
  s.broadcaster_user_id = "owner";
  EXPECT_EQ(badges_in_stream(user("owner"), s), std::vector<std::string>{"broadcaster"});
  EXPECT_EQ(badges_in_stream(user("owner", {"verified"}), s), (std::vector<std::string>{"broadcaster", "verified"}));
  EXPECT_EQ(badges_in_stream(user("someone", {"verified"}), s), std::vector<std::string>{"verified"});
  s.broadcaster_user_id = "another";
  EXPECT_TRUE(badges_in_stream(user("owner"), s).empty());
}

// ---- client_id de-duplication ---------------------------------------------------------------------

TEST_F(ChatServiceTest, AResendWithTheSameClientIdIsStoredOnceAndAckedAgain) {
  acks first, second;
  ASSERT_TRUE(send(user("u1"), chat("only once", "c-1"), first));
  ASSERT_TRUE(send(user("u1"), chat("only once", "c-1"), second));
  EXPECT_EQ(stored(), 1u);
  EXPECT_EQ(published().size(), 1u);
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(second.size(), 1u);
  ASSERT_TRUE(first[0]);
  ASSERT_TRUE(second[0]);
  EXPECT_EQ(second[0]->id, first[0]->id);
  EXPECT_EQ(second[0]->created_at, first[0]->created_at);
}

// Regression: a client that reconnects after the stream ended and resends
// must still learn that its message landed.
TEST_F(ChatServiceTest, AResendAfterTheStreamEndedIsAckedNotRefused) {
  acks first, second;
  ASSERT_TRUE(send(user("u1"), chat("just before the end", "c-1"), first));
  stream_patch p;
  p.status = stream_status::ended;
  auto ended = store_->update_stream(stream_.id, p);
  ASSERT_TRUE(ended);
  service_.publish(stream_changed(*ended, true));
  ASSERT_TRUE(room_->ended());
  ASSERT_TRUE(send(user("u1"), chat("just before the end", "c-1"), second));
  EXPECT_EQ(stored(), 1u);
  ASSERT_EQ(second.size(), 1u);
  ASSERT_TRUE(second[0]);
  EXPECT_EQ(second[0]->id, first[0]->id);
  // A new client_id is refused as usual.
  acks third;
  expect_refused(send(user("u1"), chat("after", "c-2"), third), "stream_ended", 400, 2, 1);  // the message, the end
}

TEST_F(ChatServiceTest, TheSameClientIdFromTwoUsersIsTwoMessages) {
  ASSERT_TRUE(send(user("u1"), chat("mine", "c-1")));
  ASSERT_TRUE(send(user("u2"), chat("mine too", "c-1")));
  EXPECT_EQ(stored(), 2u);
  EXPECT_EQ(published().size(), 2u);
}

TEST(ChatServiceHeldStore, NothingIsBroadcastOrAckedBeforeTheStoreCommits) {
  held_store st;
  recording_broker br;
  chat_service service(st, br, chat_limits{});
  room_registry rooms(st, 1000);
  apply_to_rooms(br, rooms);
  auto s = st.create_stream(stream_request());
  ASSERT_TRUE(s);
  auto r = rooms.open(s->id);
  ASSERT_TRUE(r);

  acks first, resend;
  ASSERT_TRUE(service.send_chat(**r, user("u1"), chat("hello", "c-1"), first.callback()));
  // The client resends (it reconnected) while the first copy is still being stored.
  ASSERT_TRUE(service.send_chat(**r, user("u1"), chat("hello", "c-1"), resend.callback()));
  EXPECT_EQ(st.held(), 1u) << "the resend was queued for storing too";
  EXPECT_TRUE(br.events().empty()) << "broadcast before it was durable";
  EXPECT_EQ(first.size(), 0u);
  EXPECT_EQ(resend.size(), 0u);

  EXPECT_TRUE((*r)->latest(50).message_events.empty()) << "in the room before it was durable";
  st.commit_all();
  ASSERT_EQ(br.events().size(), 1u);
  EXPECT_EQ((*r)->latest(50).message_events.size(), 1u) << "the room has it once its event arrived";
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(resend.size(), 1u);
  ASSERT_TRUE(first[0]);
  ASSERT_TRUE(resend[0]);
  EXPECT_EQ(resend[0]->id, first[0]->id);
  EXPECT_EQ(resend[0]->created_at, first[0]->created_at);
  EXPECT_EQ(first[0]->id, br.events()[0].msg->id);
  EXPECT_EQ(st.latest(s->id, 100).size(), 1u);
}

TEST(ChatServiceHeldStore, AFailedStoreReachesNoOneAndTheClientIdCanBeSentAgain) {
  held_store st;
  recording_broker br;
  chat_service service(st, br, chat_limits{});
  room_registry rooms(st, 1000);
  apply_to_rooms(br, rooms);
  auto s = st.create_stream(stream_request());
  ASSERT_TRUE(s);
  auto r = rooms.open(s->id);
  ASSERT_TRUE(r);

  acks first, resend;
  ASSERT_TRUE(service.send_chat(**r, user("u1"), chat("hello", "c-1"), first.callback()));
  ASSERT_TRUE(service.send_chat(**r, user("u1"), chat("hello", "c-1"), resend.callback()));
  st.fail_all();
  EXPECT_TRUE(br.events().empty());
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(resend.size(), 1u);
  EXPECT_FALSE(first[0]);
  EXPECT_FALSE(resend[0]);
  EXPECT_EQ(st.latest(s->id, 100).size(), 0u);

  // Sending again with the same client_id stores it now.
  acks again;
  ASSERT_TRUE(service.send_chat(**r, user("u1"), chat("hello", "c-1"), again.callback()));
  EXPECT_EQ(st.held(), 1u);
  st.commit_all();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_TRUE(again[0]);
  EXPECT_EQ(br.events().size(), 1u);
  EXPECT_EQ(st.latest(s->id, 100).size(), 1u);
}

// ---- created_at ---------------------------------------------------------------------------------

TEST_F(UnlimitedChatServiceTest, CreatedAtIsStrictlyIncreasingAcrossManySendsInOneMillisecond) {
  constexpr int n = 2000;  // far more than one millisecond holds at this rate
  for (int i = 0; i < n; ++i) ASSERT_TRUE(send(user("u" + std::to_string(i % 7)), chat("m" + std::to_string(i))));
  const auto events = published();
  ASSERT_EQ(events.size(), static_cast<std::size_t>(n));
  std::set<std::string> ids, stamps;
  for (int i = 1; i < n; ++i) {
    ASSERT_LT(events[i - 1].msg->created_at, events[i].msg->created_at) << i;
    ASSERT_LT(events[i - 1].msg->id, events[i].msg->id) << i;
  }
  for (const auto& ev : events) {
    ids.insert(ev.msg->id);
    stamps.emplace(parse_object(*ev.json).at("data").at("created_at").as_string());
  }
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(n));
  EXPECT_EQ(stamps.size(), static_cast<std::size_t>(n)) << "two messages share a created_at on the wire";
  // The store holds them in the same order, so a timestamp is an exact cursor.
  const auto kept = store_->latest(stream_.id, n);
  ASSERT_EQ(kept.size(), static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) EXPECT_EQ(kept[i].id, events[i].msg->id) << i;
}

TEST_F(ChatServiceTest, PublishStreamStatusBroadcastsTheEndedEvent) {
  stream s = stream_;
  s.status = stream_status::ended;
  service_.publish(stream_changed(s, true));
  const auto events = published();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, event_kind::stream_changed);
  ASSERT_TRUE(events[0].info.has_value());
  EXPECT_EQ(events[0].info->status, stream_status::ended);
  EXPECT_TRUE(room_->ended()) << "the room applied it";
  EXPECT_EQ(events[0].stream_id, stream_.id);
  ASSERT_NE(events[0].json, nullptr);
  EXPECT_EQ(parse_object(*events[0].json), parse_object(R"({"type":"stream_status","data":{"status":"ended"}})"));
}

// ---- room_registry ---------------------------------------------------------------------------------

TEST_F(ChatServiceTest, RegistryOpensTheSameRoomByStreamIdAndByRoomId) {
  EXPECT_EQ(stream_.room_id, "100001");
  auto by_room = rooms_.open(stream_.room_id);
  ASSERT_TRUE(by_room);
  EXPECT_EQ(by_room->get(), room_.get());
  auto again = rooms_.open(stream_.id);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->get(), room_.get());
  EXPECT_EQ(rooms_.find(stream_.id).get(), room_.get());
  EXPECT_EQ(rooms_.all().size(), 1u);
  EXPECT_EQ((*by_room)->info().title, "Evening show");
}

TEST(RoomRegistry, OpeningByRoomIdFirstAlsoServesTheStreamId) {
  auto st = make_memory_store();
  auto s = st->create_stream(stream_request());
  ASSERT_TRUE(s);
  room_registry rooms(*st, 100);
  EXPECT_EQ(rooms.find(s->id), nullptr);
  auto by_room = rooms.open(s->room_id);
  ASSERT_TRUE(by_room);
  EXPECT_EQ((*by_room)->stream_id(), s->id);
  auto by_id = rooms.open(s->id);
  ASSERT_TRUE(by_id);
  EXPECT_EQ(by_id->get(), by_room->get());
}

TEST(RoomRegistry, UnknownStreamOrRoomIs404StreamNotFound) {
  auto st = make_memory_store();
  ASSERT_TRUE(st->create_stream(stream_request()));
  room_registry rooms(*st, 100);
  for (const char* id : {"0196699c-7d6b-7000-8000-000000000001", "999999", "not-a-stream", "100002"}) {
    auto r = rooms.open(id);
    ASSERT_FALSE(r) << id;
    EXPECT_EQ(r.err().http_status, 404) << id;
    EXPECT_EQ(r.err().code, "stream_not_found") << id;
  }
  EXPECT_TRUE(rooms.all().empty());
}

TEST(RoomRegistry, IsRoomIdTellsRoomIdsFromStreamIds) {
  EXPECT_TRUE(is_room_id("100001"));
  EXPECT_FALSE(is_room_id("0196699c-7d6b-7000-8000-000000000001"));
  EXPECT_FALSE(is_room_id(""));
  EXPECT_FALSE(is_room_id("12a"));
}

TEST(RoomRegistry, AnEndedStreamOpensEndedAndRefusesMessages) {
  auto st = make_memory_store();
  auto s = st->create_stream(stream_request());
  ASSERT_TRUE(s);
  stream_patch p;
  p.status = stream_status::ended;
  ASSERT_TRUE(st->update_stream(s->id, p));
  room_registry rooms(*st, 100);
  auto r = rooms.open(s->room_id);
  ASSERT_TRUE(r);
  EXPECT_TRUE((*r)->ended());
  recording_broker br;
  chat_service service(*st, br, chat_limits{});
  auto refused = service.send_chat(**r, user("u1"), chat("late"), {});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.err().code, "stream_ended");
  EXPECT_TRUE(br.events().empty());
}

TEST(RoomRegistry, AReopenedRegistryRebuildsTheRingFromTheStore) {
  // A restart: a fresh registry over the same (durable) store.
  auto st = make_memory_store();
  auto s = st->create_stream(stream_request());
  ASSERT_TRUE(s);
  recording_broker br;
  std::vector<std::string> sent;
  acks first;
  {
    room_registry rooms(*st, 3);
    apply_to_rooms(br, rooms);
    chat_service service(*st, br, chat_limits{{0, 1}, {0, 1}});
    auto r = rooms.open(s->id);
    ASSERT_TRUE(r);
    for (int i = 0; i < 5; ++i) {
      const acks a = i == 4 ? first : acks{};  // copies share the record
      ASSERT_TRUE(service.send_chat(**r, user("u1"), chat("m" + std::to_string(i), "c-" + std::to_string(i)),
                                    a.callback()));
    }
    for (const auto& ev : br.events()) sent.push_back(ev.msg->id);
  }
  ASSERT_EQ(sent.size(), 5u);

  room_registry reopened(*st, 3);
  apply_to_rooms(br, reopened);  // the restarted process's receiver
  chat_service service(*st, br, chat_limits{{0, 1}, {0, 1}});
  auto r = reopened.open(s->room_id);
  ASSERT_TRUE(r);
  // The newest three, oldest first, as a connecting viewer receives them.
  const auto snap = (*r)->latest(50);
  ASSERT_EQ(snap.message_events.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(parse_object(*snap.message_events[i]).at("data").at("id").as_string(), sent[2 + i]) << i;
  }
  // since= recovery works from the rebuilt ring.
  const auto since = (*r)->after(sent[3], 1000);
  EXPECT_TRUE(since.found);
  ASSERT_EQ(since.message_events.size(), 1u);

  // A client that resends its last message after the restart is acked, not stored twice.
  acks resend;
  ASSERT_TRUE(service.send_chat(**r, user("u1"), chat("m4", "c-4"), resend.callback()));
  ASSERT_EQ(resend.size(), 1u);
  ASSERT_TRUE(resend[0]);
  EXPECT_EQ(resend[0]->id, sent[4]);
  EXPECT_EQ(resend[0]->created_at, first[0]->created_at);
  EXPECT_EQ(st->latest(s->id, 100).size(), 5u);

  // A new message sorts after everything stored before the restart.
  const std::size_t before = br.events().size();
  ASSERT_TRUE(service.send_chat(**r, user("u1"), chat("after restart"), {}));
  ASSERT_EQ(br.events().size(), before + 1);
  EXPECT_GT(br.events().back().msg->created_at, first[0]->created_at);
}

TEST(RoomRegistry, AfterARestartCreatedAtStaysAboveADeletedNewestMessage) {
  auto st = make_memory_store();
  auto s = st->create_stream(stream_request());
  ASSERT_TRUE(s);
  // The newest stored message is deleted and (clock skew) an hour ahead.
  message kept;
  kept.id = new_uuid_v7();
  kept.stream_id = s->id;
  kept.user.id = "u1";
  kept.content = "kept";
  kept.created_at = now_millis();
  message gone = kept;
  gone.id = new_uuid_v7();
  gone.content = "gone";
  gone.created_at = kept.created_at + 3'600'000;
  gone.deleted = true;
  st->append(kept, {});
  st->append(gone, {});
  room_registry rooms(*st, 100);
  recording_broker br;
  apply_to_rooms(br, rooms);
  chat_service service(*st, br, chat_limits{{0, 1}, {0, 1}});
  auto r = rooms.open(s->id);
  ASSERT_TRUE(r);
  ASSERT_TRUE(service.send_chat(**r, user("u2"), chat("after the restart"), {}));
  ASSERT_EQ(br.events().size(), 1u);
  EXPECT_GT(br.events()[0].msg->created_at, gone.created_at);
}

// A message committed by another node while this one opens the room: its
// event arrives while the room loads (it is kept), and the load may or may not
// have read it; either way the room has it once. (Found failing when
// last_created_at was read after the other reads.)
TEST(RoomRegistry, AMessageCommittedWhileTheRoomLoadsIsInItsRingAndStatsOnce) {
  held_store st;
  recording_broker br;
  room_registry rooms(st, 100, "local", &br);
  apply_to_rooms(br, rooms);
  auto s = st.create_stream(stream_request());
  ASSERT_TRUE(s);
  auto stored_message = [&](std::string content, millis created_at) {
    message m;
    m.id = new_uuid_v7();
    m.stream_id = s->id;
    m.user.id = "u1";
    m.content = std::move(content);
    m.created_at = created_at;
    return m;
  };
  const millis now = now_millis();
  const message before = stored_message("before", now - 1000);
  st.append(before, {});
  st.commit_all();
  // Another node commits a message and publishes its event while this node
  // reads the stream to open the room (after the ring, before the newest
  // created_at).
  const message during = stored_message("during", now);
  st.before_last_created_at = [&] {
    st.append(during, [&](result<message> stored) {
      ASSERT_TRUE(stored);
      br.publish(message_posted(std::make_shared<const message>(*stored),
                                std::make_shared<const std::string>(message_event(encode_message(*stored)))));
    });
    st.commit_all();
  };
  auto r = rooms.open(s->id);
  ASSERT_TRUE(r);
  ASSERT_EQ(br.events().size(), 1u) << "the event was published while the room was opening";
  std::vector<std::string> ring;
  for (const auto& ev : (*r)->latest(50).message_events)
    ring.emplace_back(parse_object(*ev).at("data").at("id").as_string());
  EXPECT_EQ(ring, (std::vector<std::string>{before.id, during.id})) << "the connect history misses a stored message";
  EXPECT_EQ((*r)->stats().snapshot(10, now - 60000, now + 60000).total_messages, 2);
  EXPECT_EQ(st.latest(s->id, 100).size(), 2u);
}

// A room that takes long to load (a long stream's walk over its messages)
// holds up only those who open that room: another room opens, and its events
// are applied, while the first is still loading; the first room's events
// from meanwhile are kept and in it once it has loaded.
TEST(RoomRegistry, ALongOpenStallsNoOtherRoomAndLosesNoEventOfItsOwn) {
  held_store st;
  recording_broker br;
  room_registry rooms(st, 100, "local", &br);
  apply_to_rooms(br, rooms);
  auto slow = st.create_stream(stream_request());
  auto quick = st.create_stream(stream_request());
  ASSERT_TRUE(slow && quick);
  std::promise<void> release;
  std::promise<void> loading;
  auto released = release.get_future().share();
  st.during_scan = [&, slow_id = slow->id](std::string_view id) {
    if (id != slow_id) return;
    loading.set_value();
    released.wait();
  };
  auto opening = std::async(std::launch::async, [&] { return rooms.open(slow->id); });
  loading.get_future().wait();  // the slow room is in the middle of its load
  auto quick_room = std::async(std::launch::async, [&] { return rooms.open(quick->id); });
  ASSERT_EQ(quick_room.wait_for(std::chrono::seconds(10)), std::future_status::ready)
      << "opening another room waited for the slow one";
  auto q = quick_room.get();
  ASSERT_TRUE(q);
  chat_service service(st, br, chat_limits{{0, 1}, {0, 1}}, &rooms);
  ASSERT_TRUE(service.send_chat(**q, user("u1"), chat("delivered while the other loads"), {}));
  st.commit_all();
  EXPECT_EQ((*q)->latest(10).message_events.size(), 1u) << "the quick room applied its event at once";
  service.publish(message_deleted(slow->id, "nothing-yet"));  // an event of the loading room
  message late;
  late.id = new_uuid_v7();
  late.stream_id = slow->id;
  late.user.id = "u2";
  late.content = "sent while its room loads";
  late.created_at = now_millis();
  service.publish(message_posted(std::make_shared<const message>(late),
                                 std::make_shared<const std::string>(message_event(encode_message(late)))));
  release.set_value();
  ASSERT_EQ(opening.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  auto r = opening.get();
  ASSERT_TRUE(r);
  const auto history = (*r)->latest(10);
  ASSERT_EQ(history.message_events.size(), 1u) << "the event kept while loading is in the room";
  EXPECT_EQ(parse_object(*history.message_events[0]).at("data").at("id").as_string(), late.id);
}

TEST(RoomRegistry, AnIdleRoomNobodyHoldsClosesAndItsStatisticsSurvive) {
  auto st = make_memory_store();
  auto s = st->create_stream(stream_request());
  ASSERT_TRUE(s);
  room_registry rooms(*st, 100);
  recording_broker br;
  apply_to_rooms(br, rooms);
  chat_service service(*st, br, chat_limits{{0, 1}, {0, 1}}, &rooms);
  auto r = *rooms.open(s->id);
  for (const char* who : {"u1", "u2", "u1"}) ASSERT_TRUE(service.send_chat(*r, user(who), chat("hello"), {}));
  client_chat gift = chat("");
  gift.gift = gift_order{"star", 3};
  ASSERT_TRUE(service.send_chat(*r, user("u3"), gift, {}));
  const millis now = now_millis();
  r->stats().sample_viewers(42, now);  // the viewer figures, which the store does not keep
  const auto figures = [&](const room& x) {
    const auto snap = x.stats().snapshot(10, now - 120'000, now + 60'000);
    return boost::json::serialize(stream_stats_json(snap, x.info(), 0, now));
  };
  const std::string before = figures(*r);

  EXPECT_EQ(rooms.close_idle(now + 1'000'000, 1), 0u) << "a room someone holds stays open";
  std::weak_ptr<room> gone = r;
  r.reset();
  EXPECT_EQ(rooms.close_idle(now, 60'000), 0u) << "a room used a moment ago stays open";
  EXPECT_EQ(rooms.close_idle(now + 1'000'000, 60'000), 1u);
  EXPECT_TRUE(gone.expired()) << "its memory is returned";
  EXPECT_EQ(rooms.find(s->id), nullptr);
  EXPECT_EQ(rooms.size(), 0u);

  auto again = rooms.open(s->id);
  ASSERT_TRUE(again);
  EXPECT_EQ(figures(**again), before) << "the same statistics after the room closed and opened again";
  EXPECT_EQ((*again)->latest(10).message_events.size(), 4u);
}

TEST(ChatServiceModeration, ABannedOrTimedOutSenderReachesNoOneAndModeratorsGetTheirTier) {
  auto st = make_memory_store();
  auto s = st->create_stream(stream_request());
  ASSERT_TRUE(s);
  room_registry rooms(*st, 100);
  recording_broker br;
  apply_to_rooms(br, rooms);
  chat_service service(*st, br, chat_limits{{1, 30}, {3, 30}}, &rooms);
  auto r = rooms.open(s->id);
  ASSERT_TRUE(r);
  // What moderation_service publishes once the store has the ban and the badge.
  sanction ban{.id = "b", .stream_id = s->id, .user_id = "banned", .kind = sanction_kind::ban};
  service.publish(sanction_imposed(ban));
  auto refused = service.send_chat(**r, user("banned"), chat("hi"), {});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.err().code, "banned");
  service.publish(badge_changed(s->id, "m", stream_badge::moderator));
  EXPECT_EQ(service.limit_for(user("m"), *s).messages, 3);
  EXPECT_EQ(service.limit_for(user("v"), *s).messages, 1);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(service.send_chat(**r, user("m"), chat("m" + std::to_string(i)), {}));
  EXPECT_EQ(service.send_chat(**r, user("m"), chat("one too many"), {}).err().code, "rate_limited");
  ASSERT_EQ(br.events().size(), 5u) << "the ban, the badge and three messages";
  const auto events = messages_in(br.events());
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(badges_of(parse_object(*events[0].json).at("data").as_object()), std::vector<std::string>{"moderator"});
}

}  // namespace
}  // namespace sorak
