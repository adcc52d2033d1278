// The store contract (include/sorak/store.hpp): one suite that every store
// implementation passes. Add a new store by adding a row to `all_stores` below.
//
// Messages are appended and then waited for through their own `done` callback
// (not flush), so every read here also checks read-your-writes: once `done`
// ran, the message is visible.
#include <algorithm>
#include <cctype>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <ostream>
#include <future>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "sorak/store.hpp"
#include "store/memory_store.hpp"
#include "store/pg_scratch_db.hpp"
#include "store/pg_store.hpp"
#include "store/sqlite_store.hpp"

namespace sorak {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct store_kind {
  std::string name;
  std::function<std::unique_ptr<store>(const fs::path& dir)> open;
  // Run after the store is closed, with the same dir: frees what open made
  // outside it (a database).
  std::function<void(const fs::path& dir)> cleanup = {};
};

// gtest names a parameter in test listings (and ctest's names) by printing it.
void PrintTo(const store_kind& k, std::ostream* os) { *os << k.name; }

// Each test's own database, named after its (unique) temporary directory.
std::string database_for(const fs::path& dir) {
  std::string name = "sorak_t_";
  for (char c : dir.filename().string().substr(std::string("sorak-store-contract-").size()))
    if (std::isxdigit(static_cast<unsigned char>(c))) name.push_back(static_cast<char>(std::tolower(c)));
  return name;
}

std::unique_ptr<store> open_postgres_for_test(const fs::path& dir) {
  auto server = pg::test_server_url();
  if (!server) {
    ADD_FAILURE() << pg::how_to_start_postgres();
    return nullptr;
  }
  auto url = pg::create_scratch_database(*server, database_for(dir));
  if (!url) {
    ADD_FAILURE() << "cannot create a test database on " << *server << ": " << url.err().message;
    return nullptr;
  }
  auto s = open_postgres_store(*url);
  if (!s) ADD_FAILURE() << s.err().message;
  return s ? std::move(*s) : nullptr;
}

void drop_postgres_for_test(const fs::path& dir) {
  auto server = pg::test_server_url();
  if (!server) return;
  auto s = pg::drop_scratch_database(*server, database_for(dir));
  if (!s) ADD_FAILURE() << "cannot drop " << database_for(dir) << ": " << s.err().message;
}

const store_kind all_stores[] = {
    {"memory", [](const fs::path&) { return make_memory_store(); }},
    {"sqlite",
     [](const fs::path& dir) -> std::unique_ptr<store> {
       auto s = open_sqlite_store((dir / "sorak.db").string());
       if (!s) ADD_FAILURE() << s.err().message;
       return s ? std::move(*s) : nullptr;
     }},
    // Needs a server: SORAK_TEST_POSTGRES_URL (pg_scratch_db.hpp); fails loudly without one.
    {"postgres", open_postgres_for_test, drop_postgres_for_test},
};

// ---- helpers ----------------------------------------------------------------

new_stream stream_request(std::string title, std::optional<std::string> room_id = std::nullopt,
                          std::optional<member_info> member = std::nullopt) {
  new_stream ns;
  ns.broadcaster_user_id = "broadcaster-1";
  ns.title = std::move(title);
  ns.room_name = "room";
  ns.member = std::move(member);
  ns.room_id = std::move(room_id);
  return ns;
}

stream_patch ending() {
  stream_patch p;
  p.status = stream_status::ended;
  return p;
}

stream_patch retitling(std::string title) {
  stream_patch p;
  p.title = std::move(title);
  return p;
}

std::vector<std::string> ids_of(const std::vector<message>& ms) {
  std::vector<std::string> out;
  for (const auto& m : ms) out.push_back(m.id);
  return out;
}

void expect_same_user(const user_profile& a, const user_profile& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.username, b.username);
  EXPECT_EQ(a.display_name, b.display_name);
  EXPECT_EQ(a.avatar_url, b.avatar_url);
  EXPECT_EQ(a.level, b.level);
  EXPECT_EQ(a.is_premium, b.is_premium);
  EXPECT_EQ(a.badges, b.badges);
}

void expect_same_message(const message& a, const message& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.stream_id, b.stream_id);
  expect_same_user(a.user, b.user);
  EXPECT_EQ(a.content, b.content);
  EXPECT_EQ(a.type, b.type);
  ASSERT_EQ(a.gift.has_value(), b.gift.has_value());
  if (a.gift) {
    EXPECT_EQ(a.gift->gift_id, b.gift->gift_id);
    EXPECT_EQ(a.gift->gift_name, b.gift->gift_name);
    EXPECT_EQ(a.gift->quantity, b.gift->quantity);
    EXPECT_EQ(a.gift->total_stars, b.gift->total_stars);
  }
  EXPECT_EQ(a.stars, b.stars);
  EXPECT_EQ(a.reply_to, b.reply_to);
  EXPECT_EQ(a.created_at, b.created_at);
  EXPECT_EQ(a.client_id, b.client_id);
  EXPECT_EQ(a.deleted, b.deleted);
}

void expect_same_stream(const stream& a, const stream& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.room_id, b.room_id);
  EXPECT_EQ(a.broadcaster_user_id, b.broadcaster_user_id);
  EXPECT_EQ(a.room_name, b.room_name);
  EXPECT_EQ(a.title, b.title);
  ASSERT_EQ(a.member.has_value(), b.member.has_value());
  if (a.member) {
    EXPECT_EQ(a.member->name, b.member->name);
    EXPECT_EQ(a.member->nickname, b.member->nickname);
    EXPECT_EQ(a.member->team, b.member->team);
  }
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.created_at, b.created_at);
  EXPECT_EQ(a.started_at, b.started_at);
  EXPECT_EQ(a.ended_at, b.ended_at);
  EXPECT_EQ(a.settings.slow_mode_seconds, b.settings.slow_mode_seconds);
  EXPECT_EQ(a.settings.max_message_length, b.settings.max_message_length);
  EXPECT_EQ(a.settings.subscribers_only, b.settings.subscribers_only);
  EXPECT_EQ(a.settings.chat_enabled, b.settings.chat_enabled);
}

class store_contract : public ::testing::TestWithParam<store_kind> {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sorak-store-contract-" + new_uuid_v7());
    fs::create_directories(dir_);
    store_ = GetParam().open(dir_);
    ASSERT_NE(store_, nullptr);
  }

  void TearDown() override {
    store_.reset();
    if (GetParam().cleanup) GetParam().cleanup(dir_);
    fs::remove_all(dir_);
  }

  stream create(std::string title = "a stream", std::optional<std::string> room_id = std::nullopt) {
    auto s = store_->create_stream(stream_request(std::move(title), std::move(room_id)));
    EXPECT_TRUE(s.ok()) << (s ? "" : s.err().message);
    return s ? *s : stream{};
  }

  // Each call is one millisecond after the last: created_at grows within a stream.
  message make_message(const stream& s, std::string content, bool deleted = false) {
    message m;
    m.id = new_uuid_v7();
    m.stream_id = s.id;
    m.user.id = "u-1";
    m.user.username = "alice";
    m.user.display_name = "Alice";
    m.user.level = 3;
    m.content = std::move(content);
    m.created_at = next_millis_++;
    m.deleted = deleted;
    return m;
  }

  // Appends and waits for `done`; returns the message as stored, or the error.
  result<message> append_and_wait(const message& m) {
    auto p = std::make_shared<std::promise<result<message>>>();
    auto f = p->get_future();
    store_->append(m, [p](result<message> s) { p->set_value(std::move(s)); });
    if (f.wait_for(10s) != std::future_status::ready) return error(errc::internal, "done never ran");
    return f.get();
  }

  void append_ok(const message& m) {
    auto s = append_and_wait(m);
    ASSERT_TRUE(s.ok()) << s.err().message;
  }

  // Appends n messages "m0".."m{n-1}" and returns them in append order.
  std::vector<message> append_many(const stream& s, int n) {
    std::vector<message> out;
    for (int i = 0; i < n; ++i) out.push_back(make_message(s, "m" + std::to_string(i)));
    std::atomic<int> ok{0};
    for (const auto& m : out) store_->append(m, [&ok](const result<message>& st) { ok += st.ok() ? 1 : 0; });
    store_->flush();
    EXPECT_EQ(ok.load(), n);
    return out;
  }

  fs::path dir_;
  std::unique_ptr<store> store_;
  millis next_millis_ = 1777111530123;  // 2026-04-25T10:05:30.123Z
};

// ---- streams ----------------------------------------------------------------

TEST_P(store_contract, create_stream_fills_in_id_room_and_times) {
  millis before = now_millis();
  new_stream ns{.broadcaster_user_id = "b-7", .title = "Evening show", .room_name = "Theater",
                .member = member_info{"Freya Jayawardana", "Freya", "Team J"}, .room_id = std::nullopt};
  auto s = store_->create_stream(ns);
  millis after = now_millis();
  ASSERT_TRUE(s.ok()) << s.err().message;
  EXPECT_TRUE(looks_like_uuid(s->id));
  EXPECT_GE(uuid_v7_millis(s->id), before);
  EXPECT_EQ(s->room_id, "100001");
  EXPECT_EQ(s->broadcaster_user_id, "b-7");
  EXPECT_EQ(s->title, "Evening show");
  EXPECT_EQ(s->room_name, "Theater");
  ASSERT_TRUE(s->member.has_value());
  EXPECT_EQ(s->member->nickname, "Freya");
  EXPECT_EQ(s->status, stream_status::live);
  EXPECT_GE(s->created_at, before);
  EXPECT_LE(s->created_at, after);
  EXPECT_EQ(s->started_at, s->created_at);
  EXPECT_FALSE(s->ended_at.has_value());
  EXPECT_EQ(s->settings.max_message_length, 500);
  EXPECT_TRUE(s->settings.chat_enabled);

  auto got = store_->get_stream(s->id);
  ASSERT_TRUE(got.ok());
  expect_same_stream(*got, *s);
}

TEST_P(store_contract, room_ids_are_assigned_from_100001_up) {
  EXPECT_EQ(create("one").room_id, "100001");
  EXPECT_EQ(create("two").room_id, "100002");
  EXPECT_EQ(create("three").room_id, "100003");
}

TEST_P(store_contract, a_given_room_id_is_kept_and_later_ones_go_above_it) {
  EXPECT_EQ(create("given", "200000").room_id, "200000");
  EXPECT_EQ(create("next").room_id, "200001");
}

TEST_P(store_contract, a_taken_room_id_is_409_room_taken) {
  stream first = create("first");
  auto again = store_->create_stream(stream_request("second", first.room_id));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.err().http_status, 409);
  EXPECT_EQ(again.err().code, "room_taken");
  auto by_room = store_->get_stream_by_room(first.room_id);
  ASSERT_TRUE(by_room.ok());
  EXPECT_EQ(by_room->id, first.id);
  EXPECT_EQ(store_->list_streams(std::nullopt).size(), 1u);
}

TEST_P(store_contract, concurrent_creates_get_distinct_consecutive_room_ids) {
  std::mutex mutex;
  std::set<std::string> rooms;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        auto s = store_->create_stream(stream_request("t"));
        ASSERT_TRUE(s.ok());
        std::lock_guard lock(mutex);
        rooms.insert(s->room_id);
      }
    });
  for (auto& t : threads) t.join();
  ASSERT_EQ(rooms.size(), 40u);
  EXPECT_EQ(*rooms.begin(), "100001");
  EXPECT_EQ(*rooms.rbegin(), "100040");
}

TEST_P(store_contract, get_stream_by_id_and_by_room) {
  stream a = create("a");
  stream b = create("b");
  auto by_id = store_->get_stream(b.id);
  ASSERT_TRUE(by_id.ok());
  expect_same_stream(*by_id, b);
  auto by_room = store_->get_stream_by_room(a.room_id);
  ASSERT_TRUE(by_room.ok());
  expect_same_stream(*by_room, a);
}

TEST_P(store_contract, unknown_stream_is_404_stream_not_found) {
  create();
  for (auto r : {store_->get_stream(new_uuid_v7()), store_->get_stream_by_room("999999"),
                 store_->update_stream(new_uuid_v7(), retitling("x"))}) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.err().http_status, 404);
    EXPECT_EQ(r.err().code, "stream_not_found");
  }
}

TEST_P(store_contract, list_streams_is_newest_first_and_filters_by_status) {
  stream a = create("a");
  stream b = create("b");
  stream c = create("c");
  ASSERT_TRUE(store_->update_stream(b.id, ending()).ok());
  auto ids = [](const std::vector<stream>& ss) {
    std::vector<std::string> out;
    for (const auto& s : ss) out.push_back(s.id);
    return out;
  };
  EXPECT_EQ(ids(store_->list_streams(std::nullopt)), (std::vector{c.id, b.id, a.id}));
  EXPECT_EQ(ids(store_->list_streams(stream_status::live)), (std::vector{c.id, a.id}));
  EXPECT_EQ(ids(store_->list_streams(stream_status::ended)), (std::vector{b.id}));
}

TEST_P(store_contract, update_stream_changes_only_the_given_fields) {
  stream s = create("old title");
  chat_settings settings{.slow_mode_seconds = 30, .max_message_length = 200, .subscribers_only = true,
                         .chat_enabled = false};
  stream_patch p = retitling("new title");
  p.member = std::optional(member_info{"Name", "Nick", "Team KIII"});
  p.settings = settings;
  auto u = store_->update_stream(s.id, p);
  ASSERT_TRUE(u.ok()) << u.err().message;
  EXPECT_EQ(u->title, "new title");
  EXPECT_EQ(u->room_name, s.room_name);
  EXPECT_EQ(u->room_id, s.room_id);
  EXPECT_EQ(u->status, stream_status::live);
  auto got = store_->get_stream(s.id);
  ASSERT_TRUE(got.ok());
  expect_same_stream(*got, *u);
  EXPECT_EQ(got->settings.slow_mode_seconds, 30);
  EXPECT_FALSE(got->settings.chat_enabled);
  ASSERT_TRUE(got->member.has_value());
  EXPECT_EQ(got->member->team, "Team KIII");
}

TEST_P(store_contract, update_stream_can_clear_the_member) {
  auto s = store_->create_stream(stream_request("t", std::nullopt, member_info{"N", "n", "T"}));
  ASSERT_TRUE(s.ok());
  stream_patch clear;
  clear.member = std::optional<member_info>();  // engaged outer, empty inner: clear it
  ASSERT_TRUE(store_->update_stream(s->id, clear).ok());
  auto got = store_->get_stream(s->id);
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->member.has_value());
}

TEST_P(store_contract, ending_a_stream_sets_ended_at_once) {
  stream s = create();
  millis before = now_millis();
  auto ended = store_->update_stream(s.id, ending());
  ASSERT_TRUE(ended.ok());
  EXPECT_EQ(ended->status, stream_status::ended);
  ASSERT_TRUE(ended->ended_at.has_value());
  EXPECT_GE(*ended->ended_at, before);

  std::this_thread::sleep_for(5ms);
  stream_patch end_again = ending();
  end_again.title = "after the end";
  auto again = store_->update_stream(s.id, end_again);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->ended_at, ended->ended_at);
  auto got = store_->get_stream(s.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->status, stream_status::ended);
  EXPECT_EQ(got->ended_at, ended->ended_at);
  EXPECT_EQ(got->title, "after the end");
}

TEST_P(store_contract, a_stream_ends_no_earlier_than_its_last_message) {
  stream s = create();
  message ahead = make_message(s, "stamped ahead of the clock by a burst");
  ahead.created_at = now_millis() + 10'000;
  auto stored = append_and_wait(ahead);
  ASSERT_TRUE(stored.ok());
  auto ended = store_->update_stream(s.id, ending());
  ASSERT_TRUE(ended.ok());
  EXPECT_EQ(ended->ended_at, std::optional<millis>(stored->created_at));
  stream quiet = create("quiet");
  const millis before = now_millis();
  auto q = store_->update_stream(quiet.id, ending());
  EXPECT_GE(*q->ended_at, before);
  EXPECT_LE(*q->ended_at, now_millis());
}

// ---- users ------------------------------------------------------------------

TEST_P(store_contract, remember_user_keeps_the_last_profile) {
  user_profile first{.id = "u-9", .username = "bob", .display_name = "Bob", .avatar_url = "https://a/1.png",
                     .level = 1, .is_premium = false, .badges = {"verified"}};
  user_profile second{.id = "u-9", .username = "bobby", .display_name = "Bobby B", .avatar_url = "https://a/2.png",
                      .level = 12, .is_premium = true, .badges = {"subscriber"}};
  store_->remember_user(first);
  store_->remember_user(second);
  store_->flush();  // remember_user does not wait for its commit
  auto got = store_->get_user("u-9");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->username, "bobby");
  EXPECT_EQ(got->display_name, "Bobby B");
  EXPECT_EQ(got->avatar_url, "https://a/2.png");
  EXPECT_EQ(got->level, 12);
  EXPECT_TRUE(got->is_premium);
  EXPECT_FALSE(store_->get_user("nobody").has_value());
}

// ---- messages: append and read back -------------------------------------------

TEST_P(store_contract, every_message_field_round_trips) {
  stream s = create();
  message parent = make_message(s, "first!");
  append_ok(parent);
  message m = make_message(s, "thanks \"everyone\" 🎉\nsecond line\ttab");
  m.user = {.id = "u-42", .username = "gifter", .display_name = "Big Gifter ✨", .avatar_url = "https://cdn/a.png",
            .level = 57, .is_premium = true, .badges = {"moderator", "subscriber", "verified"}};
  m.type = message_type::gift;
  m.gift = gift_info{.gift_id = "star", .gift_name = "Star", .quantity = 5, .total_stars = 50};
  m.stars = 50;
  m.reply_to = parent.id;
  m.client_id = "client-abc-123";
  append_ok(m);

  auto got = store_->get_message(s.id, m.id);
  ASSERT_TRUE(got.ok()) << got.err().message;
  expect_same_message(*got, m);
  auto plain = store_->get_message(s.id, parent.id);
  ASSERT_TRUE(plain.ok());
  expect_same_message(*plain, parent);
  auto page = store_->history(s.id, 50, std::nullopt);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->messages.size(), 2u);
  expect_same_message(page->messages[1], m);
}

TEST_P(store_contract, each_message_type_round_trips) {
  stream s = create();
  for (auto t : {message_type::message, message_type::gift, message_type::system, message_type::moderation}) {
    message m = make_message(s, to_string(t));
    m.type = t;
    append_ok(m);
    auto got = store_->get_message(s.id, m.id);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got->type, t);
  }
}

TEST_P(store_contract, done_runs_once_per_message_in_append_order) {
  stream s = create();
  std::vector<message> ms;
  for (int i = 0; i < 300; ++i) ms.push_back(make_message(s, "m" + std::to_string(i)));
  std::mutex mutex;
  std::vector<std::string> order;
  for (const auto& m : ms)
    store_->append(m, [&, id = m.id](const result<message>& st) {
      EXPECT_TRUE(st.ok());
      std::lock_guard lock(mutex);
      order.push_back(id);
    });
  store_->flush();
  std::lock_guard lock(mutex);
  EXPECT_EQ(order, ids_of(ms));
}

// `sorak migrate-store` writes streams as they were and reads every profile.
TEST_P(store_contract, an_imported_stream_keeps_its_id_room_and_times) {
  stream s;
  s.id = new_uuid_v7();
  s.room_id = "777001";
  s.broadcaster_user_id = "b-9";
  s.room_name = "Hall";
  s.title = "Imported";
  s.status = stream_status::ended;
  s.created_at = s.started_at = 1000;
  s.ended_at = 2000;
  s.settings.slow_mode_seconds = 7;
  ASSERT_TRUE(store_->import_stream(s));
  auto got = store_->get_stream_by_room("777001");
  ASSERT_TRUE(got);
  expect_same_stream(*got, s);
  stream again = s;
  again.id = new_uuid_v7();
  auto taken = store_->import_stream(again);
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.err().code, "room_taken");
  auto next = store_->create_stream(stream_request("after"));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->room_id, "777002") << "new rooms are numbered above imported ones";
}

TEST_P(store_contract, list_users_returns_every_remembered_profile) {
  store_->remember_user({.id = "u-b", .username = "bob", .display_name = "Bob"});
  store_->remember_user({.id = "u-a", .username = "alice", .display_name = "Alice", .badges = {"verified"}});
  store_->remember_user({.id = "u-a", .username = "alice", .display_name = "Alice A", .badges = {"verified"}});
  store_->flush();
  auto users = store_->list_users();
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[0].id, "u-a");
  EXPECT_EQ(users[0].display_name, "Alice A");
  EXPECT_EQ(users[0].badges, std::vector<std::string>{"verified"});
  EXPECT_EQ(users[1].id, "u-b");
}

// Issue 16: the store numbers each stream's messages 1, 2, 3… at commit, each
// stream on its own, and hands the numbers back in `done`; reads return them.
TEST_P(store_contract, each_stream_numbers_its_messages_from_one_without_gaps) {
  stream a = create("a");
  stream b = create("b");
  std::vector<std::int64_t> seqs_a, seqs_b;
  for (int i = 0; i < 5; ++i) {
    auto x = append_and_wait(make_message(a, "a" + std::to_string(i)));
    ASSERT_TRUE(x) << x.err().message;
    seqs_a.push_back(x->seq);
    if (i % 2 == 0) {
      auto y = append_and_wait(make_message(b, "b" + std::to_string(i)));
      ASSERT_TRUE(y) << y.err().message;
      seqs_b.push_back(y->seq);
    }
  }
  EXPECT_EQ(seqs_a, (std::vector<std::int64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(seqs_b, (std::vector<std::int64_t>{1, 2, 3}));
  auto page = store_->history(a.id, 10, std::nullopt);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->messages.size(), 5u);
  for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ(page->messages[i].seq, static_cast<std::int64_t>(i + 1));
  auto newest_b = store_->latest(b.id, 1);
  ASSERT_EQ(newest_b.size(), 1u);
  auto one = store_->get_message(b.id, newest_b[0].id);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->seq, 3);
}

// A message stamped earlier than the stream's newest (another node's clock is
// behind) is stored after it, with created_at raised above it: time never goes
// backwards within a stream, and `since` readers never skip it.
TEST_P(store_contract, a_message_stamped_behind_the_stream_is_raised_above_its_newest) {
  stream s = create();
  message first = make_message(s, "first");
  append_ok(first);
  message late = make_message(s, "late");
  late.created_at = first.created_at - 500;
  auto stored = append_and_wait(late);
  ASSERT_TRUE(stored) << stored.err().message;
  EXPECT_EQ(stored->seq, 2);
  EXPECT_EQ(stored->created_at, first.created_at + 1);
  auto feed = store_->chat_feed(s.id, 10, first.created_at);
  ASSERT_EQ(feed.size(), 1u);
  EXPECT_EQ(feed[0].id, late.id);
  EXPECT_EQ(store_->last_created_at(s.id), first.created_at + 1);
}

TEST_P(store_contract, a_message_id_already_stored_is_refused_and_the_first_kept) {
  stream s = create();
  message m = make_message(s, "original");
  append_ok(m);
  message copy = m;
  copy.content = "impostor";
  copy.created_at = next_millis_++;
  auto st = append_and_wait(copy);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.err().http_status, 409);
  EXPECT_EQ(st.err().code, "duplicate_message");
  auto got = store_->get_message(s.id, m.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->content, "original");
  EXPECT_EQ(store_->latest(s.id, 10).size(), 1u);
}

TEST_P(store_contract, get_message_unknown_or_of_another_stream_is_404) {
  stream a = create("a");
  stream b = create("b");
  message m = make_message(a, "in a");
  append_ok(m);
  for (auto r : {store_->get_message(a.id, new_uuid_v7()), store_->get_message(b.id, m.id)}) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.err().http_status, 404);
    EXPECT_EQ(r.err().code, "message_not_found");
  }
}

TEST_P(store_contract, streams_do_not_see_each_others_messages) {
  stream a = create("a");
  stream b = create("b");
  message ma = make_message(a, "in a");
  message mb = make_message(b, "in b");
  append_ok(ma);
  append_ok(mb);
  EXPECT_EQ(ids_of(store_->latest(a.id, 10)), std::vector{ma.id});
  auto page = store_->history(b.id, 10, std::nullopt);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(ids_of(page->messages), std::vector{mb.id});
}

// ---- history ------------------------------------------------------------------

TEST_P(store_contract, history_is_oldest_first_without_a_next_page_when_all_fit) {
  stream s = create();
  std::vector<message> ms;
  for (int i = 0; i < 5; ++i) {
    ms.push_back(make_message(s, "m" + std::to_string(i)));
    append_ok(ms.back());
  }
  auto page = store_->history(s.id, 50, std::nullopt);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(ids_of(page->messages), ids_of(ms));
  EXPECT_FALSE(page->has_more);
  EXPECT_FALSE(page->next_cursor.has_value());
}

TEST_P(store_contract, history_of_a_stream_without_messages_is_empty) {
  stream s = create();
  auto page = store_->history(s.id, 50, std::nullopt);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->messages.empty());
  EXPECT_FALSE(page->has_more);
}

TEST_P(store_contract, history_pages_hold_the_newest_limit_and_point_at_older_ones) {
  stream s = create();
  auto ms = append_many(s, 10);
  auto first = store_->history(s.id, 3, std::nullopt);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(ids_of(first->messages), (std::vector{ms[7].id, ms[8].id, ms[9].id}));
  EXPECT_TRUE(first->has_more);
  EXPECT_EQ(first->next_cursor, ms[7].id);

  auto second = store_->history(s.id, 3, *first->next_cursor);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(ids_of(second->messages), (std::vector{ms[4].id, ms[5].id, ms[6].id}));
  EXPECT_TRUE(second->has_more);

  auto exact = store_->history(s.id, 4, ms[4].id);  // exactly the 4 oldest remain
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(ids_of(exact->messages), (std::vector{ms[0].id, ms[1].id, ms[2].id, ms[3].id}));
  EXPECT_FALSE(exact->has_more);
  EXPECT_FALSE(exact->next_cursor.has_value());

  auto none = store_->history(s.id, 3, ms[0].id);  // nothing is older than the oldest
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->messages.empty());
  EXPECT_FALSE(none->has_more);
}

TEST_P(store_contract, history_limit_is_respected) {
  stream s = create();
  append_many(s, 120);
  for (int limit : {1, 7, 50, 100}) {
    auto page = store_->history(s.id, limit, std::nullopt);
    ASSERT_TRUE(page.ok());
    EXPECT_EQ(page->messages.size(), static_cast<std::size_t>(limit));
    EXPECT_TRUE(page->has_more);
  }
}

TEST_P(store_contract, walking_next_cursor_yields_each_of_250_messages_once_in_order) {
  stream s = create();
  auto ms = append_many(s, 250);
  std::vector<std::string> walked;  // built back to front: each page is older than the last
  std::optional<std::string> cursor;
  int pages = 0;
  for (;;) {
    auto page = store_->history(s.id, 40, cursor);
    ASSERT_TRUE(page.ok()) << page.err().message;
    ASSERT_LE(++pages, 20) << "the walk does not end";
    auto ids = ids_of(page->messages);
    walked.insert(walked.begin(), ids.begin(), ids.end());
    if (!page->has_more) break;
    ASSERT_TRUE(page->next_cursor.has_value());
    cursor = page->next_cursor;
  }
  EXPECT_EQ(pages, 7);  // 6 × 40 + 10
  EXPECT_EQ(walked, ids_of(ms));
}

TEST_P(store_contract, an_unknown_cursor_or_one_from_another_stream_is_400_invalid_cursor) {
  stream a = create("a");
  stream b = create("b");
  message in_b = make_message(b, "in b");
  append_ok(in_b);
  append_ok(make_message(a, "in a"));
  for (const std::string& cursor : {new_uuid_v7(), in_b.id, std::string("not-an-id")}) {
    auto page = store_->history(a.id, 10, cursor);
    ASSERT_FALSE(page.ok()) << cursor;
    EXPECT_EQ(page.err().http_status, 400);
    EXPECT_EQ(page.err().code, "invalid_cursor");
  }
}

TEST_P(store_contract, deleted_messages_are_left_out_of_every_listing) {
  stream s = create();
  message gone_first = make_message(s, "deleted, oldest", true);
  message kept1 = make_message(s, "kept 1");
  message gone_mid = make_message(s, "deleted, middle", true);
  message kept2 = make_message(s, "kept 2");
  for (const auto& m : {gone_first, kept1, gone_mid, kept2}) append_ok(m);

  auto page = store_->history(s.id, 50, std::nullopt);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(ids_of(page->messages), (std::vector{kept1.id, kept2.id}));
  // Only a deleted message is older than the page: there is nothing more to show.
  auto two = store_->history(s.id, 2, std::nullopt);
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(ids_of(two->messages), (std::vector{kept1.id, kept2.id}));
  EXPECT_FALSE(two->has_more);
  EXPECT_EQ(ids_of(store_->latest(s.id, 10)), (std::vector{kept1.id, kept2.id}));
  auto after = store_->after(s.id, kept1.id, 10);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(ids_of(*after), std::vector{kept2.id});
  // A deleted message is still a valid cursor and can still be looked up.
  auto older = store_->history(s.id, 10, gone_mid.id);
  ASSERT_TRUE(older.ok());
  EXPECT_EQ(ids_of(older->messages), std::vector{kept1.id});
  auto got = store_->get_message(s.id, gone_mid.id);
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->deleted);
}

// ---- latest and after -----------------------------------------------------------

TEST_P(store_contract, latest_returns_the_n_newest_oldest_first) {
  stream s = create();
  auto ms = append_many(s, 10);
  EXPECT_EQ(ids_of(store_->latest(s.id, 3)), (std::vector{ms[7].id, ms[8].id, ms[9].id}));
  EXPECT_EQ(ids_of(store_->latest(s.id, 50)), ids_of(ms));
  EXPECT_TRUE(store_->latest(s.id, 0).empty());
  EXPECT_TRUE(store_->latest(new_uuid_v7(), 10).empty());
}

TEST_P(store_contract, after_returns_up_to_max_messages_strictly_after_the_id) {
  stream s = create();
  auto ms = append_many(s, 10);
  auto some = store_->after(s.id, ms[3].id, 4);
  ASSERT_TRUE(some.ok());
  EXPECT_EQ(ids_of(*some), (std::vector{ms[4].id, ms[5].id, ms[6].id, ms[7].id}));
  auto rest = store_->after(s.id, ms[3].id, 1000);
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(rest->size(), 6u);
  auto none = store_->after(s.id, ms[9].id, 10);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_P(store_contract, after_an_unknown_id_or_one_from_another_stream_is_404) {
  stream a = create("a");
  stream b = create("b");
  message in_b = make_message(b, "in b");
  append_ok(in_b);
  for (const std::string& id : {new_uuid_v7(), in_b.id}) {
    auto r = store_->after(a.id, id, 10);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.err().http_status, 404);
    EXPECT_EQ(r.err().code, "message_not_found");
  }
}

// ---- moderation -------------------------------------------------------------------

TEST_P(store_contract, remember_user_keeps_the_global_badges) {
  store_->remember_user({.id = "u-b", .username = "b", .badges = {"verified"}});
  store_->remember_user({.id = "u-b", .username = "b", .badges = {"verified", "subscriber"}});
  store_->flush();
  auto got = store_->get_user("u-b");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->badges, (std::vector<std::string>{"verified", "subscriber"}));
}

TEST_P(store_contract, delete_message_marks_it_once_and_only_in_its_stream) {
  stream s = create();
  stream other = create("other");
  message m = make_message(s, "rude");
  append_ok(m);
  auto wrong = store_->delete_message(other.id, m.id);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.err().code, "message_not_found");
  auto gone = store_->delete_message(s.id, m.id);
  ASSERT_TRUE(gone.ok()) << gone.err().message;
  EXPECT_TRUE(gone->deleted);
  EXPECT_EQ(gone->content, "rude");
  EXPECT_TRUE(store_->latest(s.id, 10).empty());
  auto again = store_->delete_message(s.id, m.id);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.err().http_status, 404);
}

TEST_P(store_contract, delete_user_messages_marks_every_message_of_that_user_in_that_stream) {
  stream s = create();
  stream other = create("other");
  message a1 = make_message(s, "a1");
  message b1 = make_message(s, "b1");
  b1.user.id = "u-2";
  message a2 = make_message(s, "a2");
  message elsewhere = make_message(other, "a in other");
  for (const auto& m : {a1, b1, a2, elsewhere}) append_ok(m);
  auto ids = store_->delete_user_messages(s.id, "u-1");
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, (std::vector{a1.id, a2.id}));
  EXPECT_EQ(ids_of(store_->latest(s.id, 10)), std::vector{b1.id});
  EXPECT_EQ(store_->latest(other.id, 10).size(), 1u);
  auto none = store_->delete_user_messages(s.id, "u-1");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_P(store_contract, last_created_at_counts_deleted_messages_and_deleted_after_lists_them) {
  stream s = create();
  EXPECT_FALSE(store_->last_created_at(s.id).has_value());
  message kept = make_message(s, "kept");
  message gone1 = make_message(s, "gone 1", true);
  message kept2 = make_message(s, "kept 2");
  message gone2 = make_message(s, "gone 2", true);
  for (const auto& m : {kept, gone1, kept2, gone2}) append_ok(m);
  EXPECT_EQ(store_->last_created_at(s.id), gone2.created_at);
  EXPECT_EQ(ids_of(store_->deleted_after(s.id, kept.id)), (std::vector{gone1.id, gone2.id}));
  EXPECT_EQ(ids_of(store_->deleted_after(s.id, kept2.id)), std::vector{gone2.id});
  EXPECT_TRUE(store_->deleted_after(s.id, new_uuid_v7()).empty());
}

// ---- the Showroom-style feed, the statistics scan and API keys ------------------

TEST_P(store_contract, chat_feed_holds_chat_and_gifts_newest_or_oldest_after_since) {
  stream s = create();
  stream other = create("other");
  message a = make_message(s, "a");
  message notice = make_message(s, "a moderation notice");
  notice.type = message_type::moderation;
  message g = make_message(s, "");
  g.type = message_type::gift;
  g.gift = gift_info{"star", "Star", 5, 50};
  g.stars = 50;
  message gone = make_message(s, "deleted", true);
  message b = make_message(s, "b");
  message c = make_message(s, "c");
  for (const auto& m : {a, notice, g, gone, b, c}) append_ok(m);
  append_ok(make_message(other, "elsewhere"));
  EXPECT_EQ(ids_of(store_->chat_feed(s.id, 50, std::nullopt)), (std::vector{a.id, g.id, b.id, c.id}));
  EXPECT_EQ(ids_of(store_->chat_feed(s.id, 2, std::nullopt)), (std::vector{b.id, c.id}));
  // With since: the OLDEST `limit` strictly after it.
  EXPECT_EQ(ids_of(store_->chat_feed(s.id, 2, a.created_at)), (std::vector{g.id, b.id}));
  EXPECT_EQ(ids_of(store_->chat_feed(s.id, 2, a.created_at - 1)), (std::vector{a.id, g.id}));
  EXPECT_EQ(ids_of(store_->chat_feed(s.id, 10, gone.created_at)), (std::vector{b.id, c.id}));
  EXPECT_TRUE(store_->chat_feed(s.id, 10, c.created_at).empty());
  auto feed = store_->chat_feed(s.id, 1, a.created_at);
  ASSERT_EQ(feed.size(), 1u);
  expect_same_message(feed[0], g);
}

TEST_P(store_contract, scan_messages_walks_every_message_of_the_stream_in_order) {
  stream s = create();
  stream other = create("other");
  message a = make_message(s, "a");
  message gone = make_message(s, "gone", true);
  message notice = make_message(s, "notice");
  notice.type = message_type::moderation;
  for (const auto& m : {a, gone, notice}) append_ok(m);
  append_ok(make_message(other, "elsewhere"));
  std::vector<message> seen;
  store_->scan_messages(s.id, [&](const message& m) { seen.push_back(m); });
  EXPECT_EQ(ids_of(seen), (std::vector{a.id, gone.id, notice.id}));
  ASSERT_EQ(seen.size(), 3u);
  expect_same_message(seen[1], gone);
  std::size_t none = 0;
  store_->scan_messages(new_uuid_v7(), [&](const message&) { ++none; });
  EXPECT_EQ(none, 0u);
}

TEST_P(store_contract, api_keys_are_put_found_by_hash_listed_and_revoked_once) {
  api_key k{.id = new_uuid_v7(), .name = "dashboard", .key_hash = std::string(64, 'a'), .prefix = "sk_abcd",
            .created_at = 1777111530123};
  api_key k2{.id = new_uuid_v7(), .name = "bot", .key_hash = std::string(64, 'b'), .prefix = "sk_bbbb",
             .created_at = 1777111530999};
  ASSERT_TRUE(store_->put_api_key(k).ok());
  ASSERT_TRUE(store_->put_api_key(k2).ok());
  auto dup = store_->put_api_key(api_key{.id = new_uuid_v7(), .name = "x", .key_hash = k.key_hash, .prefix = "p"});
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.err().code, "api_key_taken");
  auto found = store_->find_api_key(k.key_hash);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->id, k.id);
  EXPECT_EQ(found->name, "dashboard");
  EXPECT_EQ(found->prefix, "sk_abcd");
  EXPECT_EQ(found->created_at, k.created_at);
  EXPECT_FALSE(found->revoked_at.has_value());
  EXPECT_FALSE(store_->find_api_key(std::string(64, 'c')).has_value());
  auto list = store_->list_api_keys();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].id, k.id);
  EXPECT_EQ(list[1].id, k2.id);
  ASSERT_TRUE(store_->revoke_api_key(k.id, 1777111540000).ok());
  EXPECT_EQ(store_->find_api_key(k.key_hash)->revoked_at, 1777111540000);
  auto again = store_->revoke_api_key(k.id, 1777111550000);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.err().code, "api_key_not_found");
  EXPECT_EQ(store_->revoke_api_key(new_uuid_v7(), 1).err().code, "api_key_not_found");
  EXPECT_FALSE(store_->list_api_keys()[1].revoked_at.has_value());
}

badge_grant grant(const stream& s, std::string user, stream_badge b, millis at) {
  return badge_grant{.id = new_uuid_v7(), .stream_id = s.id, .user_id = std::move(user), .badge = b,
                     .granted_by = "broadcaster-1", .granted_at = at};
}

TEST_P(store_contract, badges_are_granted_replaced_listed_and_revoked_per_stream) {
  stream s = create();
  stream other = create("other");
  store_->remember_user({.id = "u-mod", .username = "moddy"});
  store_->flush();
  auto g = store_->grant_badge(grant(s, "u-mod", stream_badge::moderator, 1000));
  ASSERT_TRUE(g.ok()) << g.err().message;
  EXPECT_EQ(g->username, "moddy");
  ASSERT_TRUE(store_->grant_badge(grant(s, "u-vip", stream_badge::vip, 2000)).ok());
  ASSERT_TRUE(store_->grant_badge(grant(other, "u-mod", stream_badge::vip, 3000)).ok());
  // The same badge again keeps the first grant.
  auto same = store_->grant_badge(grant(s, "u-mod", stream_badge::moderator, 5000));
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->id, g->id);
  EXPECT_EQ(same->granted_at, 1000);
  auto list = store_->list_badges(s.id);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].user_id, "u-mod");
  EXPECT_EQ(list[0].badge, stream_badge::moderator);
  EXPECT_EQ(list[0].username, "moddy");
  EXPECT_EQ(list[0].granted_by, "broadcaster-1");
  EXPECT_EQ(list[1].user_id, "u-vip");
  EXPECT_EQ(list[1].username, "");
  // Another badge replaces it.
  auto changed = store_->grant_badge(grant(s, "u-mod", stream_badge::vip, 6000));
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(changed->badge, stream_badge::vip);
  list = store_->list_badges(s.id);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[1].user_id, "u-mod");
  EXPECT_EQ(list[1].badge, stream_badge::vip);
  ASSERT_TRUE(store_->revoke_badge(s.id, "u-mod").ok());
  auto missing = store_->revoke_badge(s.id, "u-mod");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.err().http_status, 404);
  EXPECT_EQ(missing.err().code, "badge_not_found");
  EXPECT_EQ(store_->list_badges(s.id).size(), 1u);
  EXPECT_EQ(store_->list_badges(other.id).size(), 1u);
}

sanction make_sanction(const stream& s, std::string user, sanction_kind kind, millis at,
                       std::optional<millis> expires = std::nullopt) {
  return sanction{.id = new_uuid_v7(), .stream_id = s.id, .user_id = std::move(user), .kind = kind,
                  .reason = "spam", .moderator_id = "m-1", .created_at = at, .expires_at = expires};
}

TEST_P(store_contract, sanctions_round_trip_replace_per_kind_and_lift) {
  stream s = create();
  stream other = create("other");
  sanction t = make_sanction(s, "u-1", sanction_kind::timeout, 1000, 61000);
  sanction b = make_sanction(s, "u-1", sanction_kind::ban, 2000);
  ASSERT_TRUE(store_->put_sanction(t).ok());
  ASSERT_TRUE(store_->put_sanction(b).ok());
  ASSERT_TRUE(store_->put_sanction(make_sanction(other, "u-1", sanction_kind::ban, 3000)).ok());
  auto list = store_->list_sanctions(s.id);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].id, t.id);
  EXPECT_EQ(list[0].kind, sanction_kind::timeout);
  EXPECT_EQ(list[0].reason, "spam");
  EXPECT_EQ(list[0].moderator_id, "m-1");
  EXPECT_EQ(list[0].created_at, 1000);
  EXPECT_EQ(list[0].expires_at, 61000);
  EXPECT_EQ(list[1].id, b.id);
  EXPECT_FALSE(list[1].expires_at.has_value());
  // A new timeout replaces the old one.
  sanction longer = make_sanction(s, "u-1", sanction_kind::timeout, 4000, 604000);
  ASSERT_TRUE(store_->put_sanction(longer).ok());
  list = store_->list_sanctions(s.id);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[1].id, longer.id);
  ASSERT_TRUE(store_->lift_sanction(s.id, "u-1", sanction_kind::timeout).ok());
  auto again = store_->lift_sanction(s.id, "u-1", sanction_kind::timeout);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.err().code, "timeout_not_found");
  auto no_ban = store_->lift_sanction(s.id, "u-2", sanction_kind::ban);
  ASSERT_FALSE(no_ban.ok());
  EXPECT_EQ(no_ban.err().code, "ban_not_found");
  EXPECT_EQ(no_ban.err().http_status, 404);
  ASSERT_EQ(store_->list_sanctions(s.id).size(), 1u);
  EXPECT_EQ(store_->list_sanctions(other.id).size(), 1u);
}

TEST_P(store_contract, the_moderation_log_is_newest_first_per_stream) {
  stream s = create();
  stream other = create("other");
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    moderation_action a{.id = new_uuid_v7(), .stream_id = s.id, .action = "timeout", .moderator_id = "m-1",
                        .target_user_id = "u-" + std::to_string(i), .message_id = "", .reason = "r",
                        .duration_seconds = 60 + i, .created_at = 1000 + i};
    ASSERT_TRUE(store_->log_action(a).ok());
    ids.push_back(a.id);
  }
  moderation_action del{.id = new_uuid_v7(), .stream_id = other.id, .action = "delete_message", .moderator_id = "b",
                        .target_user_id = "u-9", .message_id = "msg-1", .created_at = 5000};
  ASSERT_TRUE(store_->log_action(del).ok());
  auto log = store_->moderation_log(s.id, 3);
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].id, ids[4]);
  EXPECT_EQ(log[2].id, ids[2]);
  EXPECT_EQ(log[0].target_user_id, "u-4");
  EXPECT_EQ(log[0].duration_seconds, 64);
  EXPECT_EQ(log[0].created_at, 1004);
  auto theirs = store_->moderation_log(other.id, 100);
  ASSERT_EQ(theirs.size(), 1u);
  EXPECT_EQ(theirs[0].message_id, "msg-1");
  EXPECT_FALSE(theirs[0].duration_seconds.has_value());
  EXPECT_EQ(theirs[0].reason, "");
}

TEST_P(store_contract, blocked_terms_are_added_once_per_folded_form_listed_oldest_first_and_removed) {
  stream s = create();
  stream other = create("other");
  blocked_term bad{new_uuid_v7(), s.id, "Bad", "bad", "m-1", 1000};
  blocked_term jp{new_uuid_v7(), s.id, "ばか", "ばか", "admin", 2000};
  auto added = store_->add_blocked_term(bad);
  ASSERT_TRUE(added.ok()) << added.err().message;
  EXPECT_EQ(added->id, bad.id);
  ASSERT_TRUE(store_->add_blocked_term(jp).ok());
  // Another spelling with the same folded form is the same term; in another stream it is not.
  auto again = store_->add_blocked_term({new_uuid_v7(), s.id, "ＢＡＤ", "bad", "m-2", 3000});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.err().code, "blocked_term_exists");
  EXPECT_EQ(again.err().http_status, 409);
  ASSERT_TRUE(store_->add_blocked_term({new_uuid_v7(), other.id, "bad", "bad", "m-1", 3000}).ok());
  auto list = store_->list_blocked_terms(s.id);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].id, bad.id);
  EXPECT_EQ(list[0].term, "Bad");
  EXPECT_EQ(list[0].folded, "bad");
  EXPECT_EQ(list[0].created_by, "m-1");
  EXPECT_EQ(list[0].created_at, 1000);
  EXPECT_EQ(list[1].term, "ばか");
  auto removed = store_->remove_blocked_term(s.id, bad.id);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(removed->term, "Bad");
  auto twice = store_->remove_blocked_term(s.id, bad.id);
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.err().code, "blocked_term_not_found");
  EXPECT_EQ(twice.err().http_status, 404);
  EXPECT_FALSE(store_->remove_blocked_term(other.id, jp.id).ok()) << "a term is removed only from its stream";
  ASSERT_EQ(store_->list_blocked_terms(s.id).size(), 1u);
  EXPECT_EQ(store_->list_blocked_terms(other.id).size(), 1u);
  // Once removed, the folded form may be added again.
  EXPECT_TRUE(store_->add_blocked_term({new_uuid_v7(), s.id, "BAD", "bad", "m-1", 4000}).ok());
}

TEST_P(store_contract, a_pin_is_one_per_stream_replaced_and_cleared) {
  stream s = create();
  stream other = create("other");
  EXPECT_FALSE(store_->get_pin(s.id).has_value());
  EXPECT_TRUE(store_->clear_pin(s.id).ok()) << "clearing nothing is fine";
  ASSERT_TRUE(store_->put_pin({s.id, "msg-1", "m-1", 1000}).ok());
  ASSERT_TRUE(store_->put_pin({other.id, "msg-9", "admin", 1500}).ok());
  ASSERT_TRUE(store_->put_pin({s.id, "msg-2", "b-1", 2000}).ok());
  auto pin = store_->get_pin(s.id);
  ASSERT_TRUE(pin.has_value());
  EXPECT_EQ(pin->stream_id, s.id);
  EXPECT_EQ(pin->message_id, "msg-2");
  EXPECT_EQ(pin->pinned_by, "b-1");
  EXPECT_EQ(pin->pinned_at, 2000);
  ASSERT_TRUE(store_->clear_pin(s.id).ok());
  EXPECT_FALSE(store_->get_pin(s.id).has_value());
  ASSERT_TRUE(store_->get_pin(other.id).has_value());
  EXPECT_EQ(store_->get_pin(other.id)->message_id, "msg-9");
}

poll make_poll(const stream& s, millis at, millis duration_ms = 60000) {
  return poll{new_uuid_v7(), s.id, "Next song?", {{"Aitakatta", 0}, {"Heavy Rotation", 0}, {"River", 0}}, "m-1",
              at, at + duration_ms, std::nullopt};
}

TEST_P(store_contract, a_poll_counts_one_vote_per_user_and_closes_once) {
  stream s = create();
  stream other = create("other");
  poll p = make_poll(s, 1000);
  auto created = store_->create_poll(p);
  ASSERT_TRUE(created.ok()) << created.err().message;
  EXPECT_EQ(created->options.size(), 3u);
  EXPECT_EQ(created->total_votes(), 0);
  ASSERT_TRUE(store_->add_vote(s.id, p.id, "u-1", 1, 2000).ok());
  ASSERT_TRUE(store_->add_vote(s.id, p.id, "u-2", 1, 2001).ok());
  ASSERT_TRUE(store_->add_vote(s.id, p.id, "u-3", 0, 2002).ok());
  auto again = store_->add_vote(s.id, p.id, "u-1", 2, 2003);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.err().code, "already_voted");
  EXPECT_EQ(again.err().http_status, 409);
  EXPECT_EQ(store_->add_vote(s.id, p.id, "u-4", 3, 2004).err().code, "invalid_option");
  EXPECT_EQ(store_->add_vote(s.id, p.id, "u-4", -1, 2004).err().code, "invalid_option");
  EXPECT_EQ(store_->add_vote(other.id, p.id, "u-4", 0, 2004).err().code, "poll_not_found");
  EXPECT_EQ(store_->add_vote(s.id, "no-such-poll", "u-4", 0, 2004).err().code, "poll_not_found");
  auto got = store_->get_poll(s.id, p.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->question, "Next song?");
  EXPECT_EQ(got->options[0].text, "Aitakatta");
  EXPECT_EQ(got->options[0].votes, 1);
  EXPECT_EQ(got->options[1].votes, 2);
  EXPECT_EQ(got->options[2].votes, 0);
  EXPECT_EQ(got->created_by, "m-1");
  EXPECT_EQ(got->ends_at, 61000);
  EXPECT_FALSE(got->closed_at);
  EXPECT_EQ(store_->get_poll(other.id, p.id).err().code, "poll_not_found");
  // While it is open no other poll opens in the stream; another stream may have one.
  auto second = store_->create_poll(make_poll(s, 3000));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.err().code, "poll_open");
  EXPECT_TRUE(store_->create_poll(make_poll(other, 3000)).ok());
  // Closed early: at the time given, with its counts; once.
  auto closed = store_->close_poll(s.id, p.id, 5000);
  ASSERT_TRUE(closed.ok());
  EXPECT_EQ(closed->closed_at, std::optional<millis>(5000));
  EXPECT_EQ(closed->total_votes(), 3);
  EXPECT_EQ(store_->close_poll(s.id, p.id, 6000).err().code, "poll_closed");
  EXPECT_EQ(store_->add_vote(s.id, p.id, "u-9", 0, 6000).err().code, "poll_closed");
  // A vote after the deadline is refused even before anyone closed it.
  poll next = make_poll(s, 7000, 10000);
  ASSERT_TRUE(store_->create_poll(next).ok());
  EXPECT_EQ(store_->add_vote(s.id, next.id, "u-1", 0, 17000).err().code, "poll_closed");
  // A poll whose deadline passed unnoticed does not keep the next one out: it closes at its deadline.
  poll third = make_poll(s, 20000);
  ASSERT_TRUE(store_->create_poll(third).ok());
  auto expired = store_->get_poll(s.id, next.id);
  EXPECT_EQ(expired->closed_at, std::optional<millis>(17000));
  auto list = store_->list_polls(s.id, 10);
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].id, third.id);
  EXPECT_EQ(list[2].id, p.id);
  EXPECT_EQ(list[2].options[1].votes, 2);
  EXPECT_EQ(store_->list_polls(s.id, 1).size(), 1u);
}

TEST_P(store_contract, a_poll_is_listed_with_its_votes_and_imported_as_it_was) {
  stream s = create();
  poll p = make_poll(s, 1000);
  ASSERT_TRUE(store_->create_poll(p).ok());
  ASSERT_TRUE(store_->add_vote(s.id, p.id, "u-1", 2, 2000).ok());
  ASSERT_TRUE(store_->add_vote(s.id, p.id, "u-2", 0, 3000).ok());
  auto votes = store_->list_votes(s.id, p.id);
  ASSERT_EQ(votes.size(), 2u);
  EXPECT_EQ(votes[0].user_id, "u-1");
  EXPECT_EQ(votes[0].option, 2);
  EXPECT_EQ(votes[0].at, 2000);
  EXPECT_TRUE(store_->list_votes(create("other").id, p.id).empty()) << "votes of a poll of another stream";
  auto closed = store_->close_poll(s.id, p.id, 4000);
  ASSERT_TRUE(closed.ok());
  // Into another stream as a copy: closed, with the same counts.
  stream to = create("copy");
  poll copy = *closed;
  copy.id = new_uuid_v7();
  copy.stream_id = to.id;
  ASSERT_TRUE(store_->import_poll(copy, votes).ok());
  auto got = store_->get_poll(to.id, copy.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->closed_at, std::optional<millis>(4000));
  EXPECT_EQ(got->options[0].votes, 1);
  EXPECT_EQ(got->options[2].votes, 1);
  EXPECT_EQ(store_->list_votes(to.id, copy.id).size(), 2u);
  EXPECT_EQ(store_->add_vote(to.id, copy.id, "u-3", 0, 4500).err().code, "poll_closed");
}

TEST_P(store_contract, concurrent_votes_of_many_users_are_each_counted_once) {
  stream s = create();
  poll p = make_poll(s, 1000, 600000);
  ASSERT_TRUE(store_->create_poll(p).ok());
  std::atomic<int> accepted{0}, refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int u = 0; u < 25; ++u)
        for (int attempt = 0; attempt < 2; ++attempt) {  // every user votes twice, from two threads
          auto st = store_->add_vote(s.id, p.id, "u-" + std::to_string(u + 25 * (t / 2)), (u + attempt) % 3, 2000);
          (st.ok() ? accepted : refused)++;
        }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(accepted.load(), 50);
  EXPECT_EQ(refused.load(), 150);
  EXPECT_EQ(store_->get_poll(s.id, p.id)->total_votes(), 50);
}

TEST_P(store_contract, a_streams_playback_url_is_kept_changed_and_cleared) {
  new_stream ns{.broadcaster_user_id = "b-1", .title = "with video", .room_name = "r"};
  ns.playback_url = "https://cdn.example/live/index.m3u8";
  auto s = store_->create_stream(ns);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->playback_url, ns.playback_url);
  EXPECT_EQ(store_->get_stream(s->id)->playback_url, ns.playback_url);
  stream_patch p;
  p.playback_url = std::optional<std::string>("http://127.0.0.1:8080/a.m3u8");
  EXPECT_EQ(store_->update_stream(s->id, p)->playback_url, std::optional<std::string>("http://127.0.0.1:8080/a.m3u8"));
  stream_patch title_only;
  title_only.title = "renamed";
  EXPECT_EQ(store_->update_stream(s->id, title_only)->playback_url, std::optional<std::string>("http://127.0.0.1:8080/a.m3u8"))
      << "a patch without it leaves it";
  stream_patch clear;
  clear.playback_url = std::optional<std::string>();
  EXPECT_FALSE(store_->update_stream(s->id, clear)->playback_url.has_value());
  EXPECT_FALSE(store_->get_stream_by_room(s->room_id)->playback_url.has_value());
  EXPECT_FALSE(create("plain").playback_url.has_value());
}

TEST_P(store_contract, messages_between_holds_the_window_oldest_first_without_deleted_ones) {
  stream s = create();
  stream other = create("other");
  std::vector<message> ms;
  for (int i = 0; i < 6; ++i) {
    message m = make_message(s, "m" + std::to_string(i), i == 3);
    m.created_at = 10'000 + i * 1000;
    auto stored = append_and_wait(m);
    ASSERT_TRUE(stored.ok());
    ms.push_back(*stored);
  }
  message elsewhere = make_message(other, "x");
  elsewhere.created_at = 12'500;
  append_ok(elsewhere);
  auto got = store_->messages_between(s.id, 11'000, 14'000, 100);  // from inclusive, to exclusive
  ASSERT_EQ(got.size(), 2u);  // m1, m2 (m3 deleted)
  EXPECT_EQ(got[0].id, ms[1].id);
  EXPECT_EQ(got[1].id, ms[2].id);
  EXPECT_EQ(store_->messages_between(s.id, 0, 100'000, 3).size(), 3u);
  EXPECT_EQ(store_->messages_between(s.id, 0, 100'000, 3)[0].id, ms[0].id);
  EXPECT_TRUE(store_->messages_between(s.id, 16'000, 20'000, 10).empty());
}

// ---- webhooks ------------------------------------------------------------------------

webhook make_webhook(std::string url, std::vector<webhook_event> events, std::optional<std::string> stream_id = {}) {
  return webhook{.id = new_uuid_v7(), .url = std::move(url), .events = std::move(events),
                 .stream_id = std::move(stream_id), .secret = "whsec_" + std::string(64, 'a'), .created_at = 1777111530123};
}

webhook_delivery make_delivery(const webhook& w, millis created, millis next, std::string owner = "", millis lease = 0) {
  webhook_delivery d;
  d.id = new_uuid_v7();
  d.webhook_id = w.id;
  d.event = webhook_event::gift;
  d.stream_id = "s-1";
  d.payload = R"({"id":")" + d.id + R"(","event":"gift","text":"ＢＡＤ \" quoted"})";
  d.created_at = created;
  d.next_attempt_at = next;
  d.lease_owner = std::move(owner);
  d.lease_until = lease;
  return d;
}

TEST_P(store_contract, webhooks_are_created_listed_read_and_deleted) {
  webhook all = make_webhook("https://bots.example.org/hook?x=1", {webhook_event::message, webhook_event::poll});
  webhook one = make_webhook("http://10.0.0.5:8080/", {webhook_event::moderation}, "s-1");
  one.created_at = all.created_at + 1;
  ASSERT_TRUE(store_->create_webhook(all).ok());
  ASSERT_TRUE(store_->create_webhook(one).ok());
  auto list = store_->list_webhooks();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].id, all.id);
  EXPECT_EQ(list[0].url, all.url);
  EXPECT_EQ(list[0].events, all.events);
  EXPECT_FALSE(list[0].stream_id.has_value());
  EXPECT_EQ(list[0].secret, all.secret);
  EXPECT_EQ(list[1].stream_id, std::optional<std::string>("s-1"));
  auto got = store_->get_webhook(one.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->events, std::vector<webhook_event>{webhook_event::moderation});
  EXPECT_EQ(store_->get_webhook("nope").err().code, "webhook_not_found");
  ASSERT_TRUE(store_->add_deliveries({make_delivery(one, 1000, 1000)}).ok());
  ASSERT_TRUE(store_->delete_webhook(one.id).ok());
  EXPECT_EQ(store_->delete_webhook(one.id).err().code, "webhook_not_found");
  EXPECT_TRUE(store_->list_deliveries(one.id, 10).empty());
  EXPECT_EQ(store_->list_webhooks().size(), 1u);
}

TEST_P(store_contract, deliveries_round_trip_and_list_newest_first) {
  webhook w = make_webhook("http://127.0.0.1:9/", {webhook_event::gift});
  ASSERT_TRUE(store_->create_webhook(w).ok());
  std::vector<webhook_delivery> ds;
  for (int i = 0; i < 3; ++i) ds.push_back(make_delivery(w, 1000 + i, 1000 + i, "node-a", 50'000));
  webhook_delivery gone = make_delivery(make_webhook("http://x/", {webhook_event::gift}), 1000, 1000);
  ds.push_back(gone);  // its webhook is not stored: left out
  ASSERT_TRUE(store_->add_deliveries(ds).ok());
  auto log = store_->list_deliveries(w.id, 10);
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].id, ds[2].id);
  EXPECT_EQ(log[2].id, ds[0].id);
  EXPECT_EQ(log[2].payload, ds[0].payload);
  EXPECT_EQ(log[2].event, webhook_event::gift);
  EXPECT_EQ(log[2].status, delivery_status::pending);
  EXPECT_EQ(log[2].lease_owner, "node-a");
  EXPECT_EQ(log[2].lease_until, 50'000);
  EXPECT_EQ(store_->list_deliveries(w.id, 2).size(), 2u);
}

TEST_P(store_contract, claims_take_due_unleased_deliveries_oldest_first_and_never_twice) {
  webhook w = make_webhook("http://127.0.0.1:9/", {webhook_event::gift});
  ASSERT_TRUE(store_->create_webhook(w).ok());
  auto due1 = make_delivery(w, 1000, 2000);
  auto due2 = make_delivery(w, 1001, 2500);
  auto later = make_delivery(w, 1002, 9000);                    // not due at 5000
  auto held = make_delivery(w, 1003, 1000, "node-b", 8000);     // leased until 8000
  auto expired = make_delivery(w, 1004, 1000, "node-c", 4000);  // its node let it lapse
  ASSERT_TRUE(store_->add_deliveries({due1, due2, later, held, expired}).ok());
  auto first = store_->claim_deliveries(5000, "node-a", 65'000, 2);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].id, due1.id);
  EXPECT_EQ(first[1].id, due2.id);
  EXPECT_EQ(first[0].lease_owner, "node-a");
  auto second = store_->claim_deliveries(5000, "node-b", 65'000, 10);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].id, expired.id);
  EXPECT_TRUE(store_->claim_deliveries(5000, "node-c", 65'000, 10).empty());
  // Two claimers racing get disjoint sets.
  std::vector<webhook_delivery> many;
  for (int i = 0; i < 40; ++i) many.push_back(make_delivery(w, 2000 + i, 3000));
  ASSERT_TRUE(store_->add_deliveries(many).ok());
  std::vector<webhook_delivery> a, b;
  std::thread ta([&] { for (int i = 0; i < 10; ++i) for (auto& d : store_->claim_deliveries(5000, "x", 65'000, 3)) a.push_back(d); });
  std::thread tb([&] { for (int i = 0; i < 10; ++i) for (auto& d : store_->claim_deliveries(5000, "y", 65'000, 3)) b.push_back(d); });
  ta.join();
  tb.join();
  std::set<std::string> ids;
  for (const auto& d : a) ids.insert(d.id);
  for (const auto& d : b) EXPECT_TRUE(ids.insert(d.id).second) << "claimed twice: " << d.id;
  EXPECT_EQ(ids.size(), 40u);
}

TEST_P(store_contract, finished_deliveries_keep_their_outcome_and_free_the_lease) {
  webhook w = make_webhook("http://127.0.0.1:9/", {webhook_event::gift});
  ASSERT_TRUE(store_->create_webhook(w).ok());
  auto ok = make_delivery(w, 1000, 1000);
  auto retry = make_delivery(w, 1001, 1000);
  auto dead = make_delivery(w, 1002, 1000);
  ASSERT_TRUE(store_->add_deliveries({ok, retry, dead}).ok());
  ASSERT_EQ(store_->claim_deliveries(1500, "node-a", 99'000, 10).size(), 3u);
  ASSERT_TRUE(store_->finish_deliveries({
                  {ok.id, delivery_status::delivered, 1, 0, 1600, 204, "", 1600},
                  {retry.id, delivery_status::pending, 1, 3600, 1600, 500, "HTTP 500", 0},
                  {dead.id, delivery_status::failed, 7, 0, 1600, 0, "connect: Connection refused", 0},
                  {"unknown-id", delivery_status::delivered, 1, 0, 1600, 200, "", 1600},
              }).ok());
  auto log = store_->list_deliveries(w.id, 10);
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[2].status, delivery_status::delivered);
  EXPECT_EQ(log[2].response_status, 204);
  EXPECT_EQ(log[2].delivered_at, 1600);
  EXPECT_EQ(log[2].attempts, 1);
  EXPECT_EQ(log[1].status, delivery_status::pending);
  EXPECT_EQ(log[1].error, "HTTP 500");
  EXPECT_EQ(log[1].next_attempt_at, 3600);
  EXPECT_EQ(log[1].lease_until, 0);
  EXPECT_EQ(log[0].status, delivery_status::failed);
  EXPECT_EQ(log[0].attempts, 7);
  EXPECT_EQ(log[0].error, "connect: Connection refused");
  // Only the retry is claimable again, and only once it is due.
  EXPECT_TRUE(store_->claim_deliveries(3000, "node-b", 99'000, 10).empty());
  auto again = store_->claim_deliveries(3600, "node-b", 99'000, 10);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].id, retry.id);
  // Pruning takes finished ones created before the cutoff, never a pending one.
  EXPECT_EQ(store_->prune_deliveries(1002), 1);  // ok (created 1000); dead was created at 1002
  EXPECT_EQ(store_->prune_deliveries(5000), 1);  // dead
  auto left = store_->list_deliveries(w.id, 10);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].id, retry.id);
}

// ---- retention ----------------------------------------------------------------

// A fold whose baseline is the ids it was given, in order: "|a|b|c". It also
// notes each call's size, so a test sees every pruned row folded exactly once.
struct id_fold {
  std::mutex mutex;
  std::vector<std::size_t> batches;
  stats_fold fn() {
    return [this](std::string_view, const std::string& baseline, const std::vector<message>& rows) {
      std::lock_guard lk(mutex);
      batches.push_back(rows.size());
      std::string out = baseline;
      for (const auto& m : rows) out += "|" + m.id;
      return out;
    };
  }
};

std::string joined(const std::vector<message>& ms) {
  std::string out;
  for (const auto& m : ms) out += "|" + m.id;
  return out;
}

TEST_P(store_contract, prune_removes_exactly_the_messages_older_than_the_cutoff_and_folds_them_once) {
  stream s = create();
  stream other = create("other");
  std::vector<message> old_s, new_s, old_o, new_o;
  for (int i = 0; i < 5; ++i) old_s.push_back(make_message(s, "old " + std::to_string(i), i == 2));
  old_s[3].type = message_type::moderation;
  old_s[4].type = message_type::gift;
  old_s[4].gift = gift_info{"star", "Star", 2, 20};
  old_s[4].stars = 20;
  for (int i = 0; i < 2; ++i) old_o.push_back(make_message(other, "old other " + std::to_string(i)));
  const millis cutoff = next_millis_;
  for (int i = 0; i < 3; ++i) new_s.push_back(make_message(s, "new " + std::to_string(i)));
  new_o.push_back(make_message(other, "new other"));
  for (auto* list : {&old_s, &old_o, &new_s, &new_o})
    for (const auto& m : *list) append_ok(m);
  ASSERT_TRUE(store_->put_pin({s.id, old_s[1].id, "b-1", 1000}).ok());
  ASSERT_TRUE(store_->put_pin({other.id, new_o[0].id, "b-1", 1000}).ok());

  id_fold fold;
  auto report = store_->prune_messages(cutoff, fold.fn());
  ASSERT_TRUE(report.ok()) << report.err().message;
  EXPECT_EQ(report->messages, 7);
  EXPECT_EQ(report->streams, 2);

  std::vector<message> left;
  store_->scan_messages(s.id, [&](const message& m) { left.push_back(m); });
  EXPECT_EQ(ids_of(left), ids_of(new_s));
  auto page = store_->history(s.id, 100, std::nullopt);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(ids_of(page->messages), ids_of(new_s));
  EXPECT_EQ(ids_of(store_->chat_feed(s.id, 100, std::nullopt)), ids_of(new_s));
  EXPECT_EQ(ids_of(store_->messages_between(s.id, 0, cutoff + 1000, 100)), ids_of(new_s));
  EXPECT_FALSE(store_->get_message(s.id, old_s[4].id).ok());
  EXPECT_EQ(ids_of(store_->chat_feed(other.id, 100, std::nullopt)), ids_of(new_o));
  // Each pruned row went into its stream's baseline once, oldest first, deleted ones too.
  EXPECT_EQ(store_->stats_baseline(s.id), joined(old_s));
  EXPECT_EQ(store_->stats_baseline(other.id), joined(old_o));
  // The pin of a pruned message is gone; the other stream's stays.
  EXPECT_FALSE(store_->get_pin(s.id).has_value());
  ASSERT_TRUE(store_->get_pin(other.id).has_value());
  EXPECT_EQ(store_->get_pin(other.id)->message_id, new_o[0].id);

  // A second pass finds nothing more.
  id_fold again;
  auto second = store_->prune_messages(cutoff, again.fn());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->messages, 0);
  EXPECT_TRUE(again.batches.empty());
  EXPECT_EQ(store_->stats_baseline(s.id), joined(old_s));
  EXPECT_FALSE(store_->stats_baseline(create("untouched").id).has_value());
}

TEST_P(store_contract, a_stream_whose_every_message_was_pruned_numbers_on_after_them) {
  stream s = create();
  std::vector<message> stored;
  for (int i = 0; i < 4; ++i) {
    auto m = append_and_wait(make_message(s, "m" + std::to_string(i)));
    ASSERT_TRUE(m.ok());
    stored.push_back(*m);
  }
  id_fold fold;
  auto report = store_->prune_messages(stored.back().created_at + 1, fold.fn());
  ASSERT_TRUE(report.ok()) << report.err().message;
  EXPECT_EQ(report->messages, 4);
  message late = make_message(s, "after the pruning");
  late.created_at = stored.front().created_at;  // a clock behind: raised above the pruned ones
  auto next = append_and_wait(late);
  ASSERT_TRUE(next.ok()) << next.err().message;
  EXPECT_EQ(next->seq, 5);
  EXPECT_GT(next->created_at, stored.back().created_at);
  auto baselines = store_->list_baselines();
  ASSERT_EQ(baselines.size(), 1u);
  EXPECT_EQ(baselines[0].stream_id, s.id);
  EXPECT_EQ(baselines[0].stats, joined(stored));
  EXPECT_EQ(baselines[0].last_seq, 4);
  EXPECT_EQ(baselines[0].last_created_at, stored.back().created_at);
}

TEST_P(store_contract, prune_goes_in_batches_and_an_imported_baseline_numbers_on) {
  stream s = create();
  const int n = store::prune_batch + 150;
  auto all = append_many(s, n);
  id_fold fold;
  auto report = store_->prune_messages(next_millis_, fold.fn());
  ASSERT_TRUE(report.ok()) << report.err().message;
  EXPECT_EQ(report->messages, n);
  std::size_t folded = 0;
  for (std::size_t b : fold.batches) {
    EXPECT_LE(b, static_cast<std::size_t>(store::prune_batch));
    folded += b;
  }
  EXPECT_EQ(folded, static_cast<std::size_t>(n));
  EXPECT_GE(fold.batches.size(), 2u);
  EXPECT_EQ(store_->stats_baseline(s.id), joined(all));
  EXPECT_TRUE(store_->latest(s.id, 10).empty());

  // migrate-store's way in: a baseline first, then the stream's later messages.
  stream moved = create("moved");
  ASSERT_TRUE(store_->import_baseline({moved.id, "carried", 41, 5000}).ok());
  EXPECT_EQ(store_->stats_baseline(moved.id), "carried");
  message m = make_message(moved, "42nd");
  m.created_at = 4000;
  auto stored = append_and_wait(m);
  ASSERT_TRUE(stored.ok()) << stored.err().message;
  EXPECT_EQ(stored->seq, 42);
  EXPECT_GT(stored->created_at, 5000);
}

INSTANTIATE_TEST_SUITE_P(all, store_contract, ::testing::ValuesIn(all_stores),
                         [](const ::testing::TestParamInfo<store_kind>& info) { return info.param.name; });

}  // namespace
}  // namespace sorak
