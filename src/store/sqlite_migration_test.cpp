// Every schema an earlier sorak shipped upgrades to the newest with its data
// intact. Each test builds a file at an old version (the migrations are append
// only, so applying them up to N gives exactly what version N shipped), fills it
// with rows of every kind that version had, written the way that version wrote
// them, and then opens it with today's store.
#include <sqlite3.h>

#include <filesystem>
#include <future>
#include <string>

#include <gtest/gtest.h>

#include "core/ids.hpp"
#include "store/sqlite_db.hpp"
#include "store/sqlite_schema.hpp"
#include "store/sqlite_store.hpp"

namespace sorak {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class sqlite_migration_test : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sorak-migration-test-" + new_uuid_v7());
    fs::create_directories(dir_);
    path_ = (dir_ / "old.db").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A file at schema `version`, as that version of sorak left it.
  void build_at(int version) {
    auto db = sqlite::sqlite_db::open(path_, {});
    ASSERT_TRUE(db) << db.err().message;
    ASSERT_TRUE(sqlite::migrate(**db, version));
    auto v = (*db)->prepare("PRAGMA user_version");
    ASSERT_TRUE(v);
    ASSERT_TRUE(*v->step());
    ASSERT_EQ(v->int64(0), version);
  }

  void exec(const std::string& sql) {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &raw), SQLITE_OK);
    char* msg = nullptr;
    const int rc = sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, &msg);
    std::string text = msg ? msg : "";
    sqlite3_free(msg);
    sqlite3_close(raw);
    ASSERT_EQ(rc, SQLITE_OK) << text << "\n" << sql;
  }

  // Two streams; messages interleaved between them in the global append order,
  // one deleted, one gift, one reply: what version 1 already stored.
  void fill_version_1() {
    exec(R"sql(
INSERT INTO streams VALUES ('s-a', '100001', 'b-1', 'Theater', 'Evening show', 'Mion', 'mion', 'team K',
  'live', 1000, 1000, NULL, 3, 200, 0, 1);
INSERT INTO streams VALUES ('s-b', '100002', 'b-2', 'Studio', 'Morning', NULL, NULL, NULL,
  'ended', 2000, 2000, 9000, 0, 500, 1, 0);
INSERT INTO users (id, username, display_name, avatar_url, level, is_premium, updated_at)
  VALUES ('u-1', 'alice', 'Alice', 'https://a/1.png', 7, 1, 1500);
INSERT INTO messages (seq, id, stream_id, user_id, username, display_name, avatar_url, level, is_premium,
  badges, content, type, gift_id, gift_name, gift_quantity, gift_total_stars, stars, reply_to,
  created_at, client_id, deleted) VALUES
  (1, 'm-a1', 's-a', 'u-1', 'alice', 'Alice', '', 7, 1, '["subscriber"]', 'hello', 'message',
   NULL, NULL, NULL, NULL, 0, NULL, 3001, 'c-1', 0),
  (2, 'm-b1', 's-b', 'u-1', 'alice', 'Alice', '', 7, 1, '[]', 'other stream', 'message',
   NULL, NULL, NULL, NULL, 0, NULL, 3002, '', 0),
  (3, 'm-a2', 's-a', 'u-2', 'bob', 'Bob', '', 1, 0, '[]', 'a rose', 'gift',
   'rose', 'Rose', 3, 30, 30, NULL, 3003, '', 0),
  (4, 'm-a3', 's-a', 'u-2', 'bob', 'Bob', '', 1, 0, '[]', 'oops', 'message',
   NULL, NULL, NULL, NULL, 0, NULL, 3004, '', 1),
  (5, 'm-b2', 's-b', 'u-2', 'bob', 'Bob', '', 1, 0, '[]', 'second', 'message',
   NULL, NULL, NULL, NULL, 0, NULL, 3005, '', 0),
  (6, 'm-a4', 's-a', 'u-1', 'alice', 'Alice', '', 7, 1, '[]', 'thanks!', 'message',
   NULL, NULL, NULL, NULL, 0, 'm-a2', 3006, '', 0);
)sql");
  }

  void fill_version_2() {
    exec(R"sql(
UPDATE users SET badges = '["verified"]' WHERE id = 'u-1';
INSERT INTO stream_badges VALUES ('s-a', 'u-2', 'g-1', 'moderator', 'b-1', 4000);
INSERT INTO sanctions VALUES ('s-a', 'u-3', 'ban', 'x-1', 'spam', 'u-2', 4100, NULL);
INSERT INTO sanctions VALUES ('s-a', 'u-4', 'timeout', 'x-2', '', 'u-2', 4200, 4800);
INSERT INTO moderation_log (id, stream_id, action, moderator_id, target_user_id, message_id, reason,
  duration_seconds, created_at) VALUES
  ('l-1', 's-a', 'delete', 'u-2', 'u-2', 'm-a3', '', NULL, 4050),
  ('l-2', 's-a', 'ban', 'u-2', 'u-3', '', 'spam', NULL, 4100);
)sql");
  }

  void fill_version_3() {
    exec(R"sql(
INSERT INTO api_keys (id, name, key_hash, prefix, created_at, revoked_at) VALUES
  ('k-1', 'overlay', 'aa11', 'sk_live_ab', 5000, NULL),
  ('k-2', 'old bot', 'bb22', 'sk_live_cd', 5100, 5200);
)sql");
  }

  std::unique_ptr<sqlite_store> open_current() {
    auto st = sqlite_store::open(path_);
    EXPECT_TRUE(st) << (st ? "" : st.err().message);
    return st ? std::move(*st) : nullptr;
  }

  // What every version had: streams, the user, the messages in their order,
  // numbered per stream as they were appended, with pages and cursors working.
  void expect_version_1_data(store& st) {
    auto a = st.get_stream("s-a");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->room_id, "100001");
    ASSERT_TRUE(a->member);
    EXPECT_EQ(a->member->team, "team K");
    EXPECT_EQ(a->settings.slow_mode_seconds, 3);
    auto b = st.get_stream_by_room("100002");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->status, stream_status::ended);
    EXPECT_EQ(b->ended_at, 9000);
    EXPECT_TRUE(b->settings.subscribers_only);
    auto u = st.get_user("u-1");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->display_name, "Alice");
    EXPECT_EQ(u->level, 7);

    auto page = st.history("s-a", 10, std::nullopt);
    ASSERT_TRUE(page);
    ASSERT_EQ(page->messages.size(), 3u);  // the deleted one left out
    EXPECT_EQ(page->messages[0].id, "m-a1");
    EXPECT_EQ(page->messages[0].seq, 1);
    EXPECT_EQ(page->messages[0].user.badges, std::vector<std::string>{"subscriber"});
    EXPECT_EQ(page->messages[0].client_id, "c-1");
    EXPECT_EQ(page->messages[1].id, "m-a2");
    EXPECT_EQ(page->messages[1].seq, 2);
    ASSERT_TRUE(page->messages[1].gift);
    EXPECT_EQ(page->messages[1].gift->total_stars, 30);
    EXPECT_EQ(page->messages[2].id, "m-a4");
    EXPECT_EQ(page->messages[2].seq, 4);
    EXPECT_EQ(page->messages[2].reply_to, "m-a2");
    auto older = st.history("s-a", 1, std::string_view("m-a4"));
    ASSERT_TRUE(older);
    ASSERT_EQ(older->messages.size(), 1u);
    EXPECT_EQ(older->messages[0].id, "m-a2");
    EXPECT_TRUE(older->has_more);
    auto after = st.after("s-a", "m-a1", 10);
    ASSERT_TRUE(after);
    ASSERT_EQ(after->size(), 2u);
    EXPECT_EQ((*after)[1].id, "m-a4");
    auto deleted = st.deleted_after("s-a", "m-a1");
    ASSERT_EQ(deleted.size(), 1u);
    EXPECT_EQ(deleted[0].id, "m-a3");
    EXPECT_EQ(deleted[0].seq, 3);
    auto other = st.latest("s-b", 10);
    ASSERT_EQ(other.size(), 2u);
    EXPECT_EQ(other[0].seq, 1);
    EXPECT_EQ(other[1].seq, 2);
    EXPECT_EQ(st.last_created_at("s-a"), 3006);
    auto feed = st.chat_feed("s-a", 10, millis{3001});
    ASSERT_EQ(feed.size(), 2u);
    EXPECT_EQ(feed[0].id, "m-a2");

    // New messages continue each stream's numbering.
    message m;
    m.id = new_uuid_v7();
    m.stream_id = "s-a";
    m.user.id = "u-1";
    m.content = "after the upgrade";
    m.created_at = 3000;  // behind the stream: stored after its newest
    std::promise<result<message>> done;
    st.append(m, [&](result<message> r) { done.set_value(std::move(r)); });
    auto f = done.get_future();
    ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
    auto stored = f.get();
    ASSERT_TRUE(stored) << stored.err().message;
    EXPECT_EQ(stored->seq, 5);
    EXPECT_EQ(stored->created_at, 3007);
  }

  void expect_version_2_data(store& st) {
    auto u = st.get_user("u-1");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->badges, std::vector<std::string>{"verified"});
    auto badges = st.list_badges("s-a");
    ASSERT_EQ(badges.size(), 1u);
    EXPECT_EQ(badges[0].badge, stream_badge::moderator);
    EXPECT_EQ(badges[0].granted_at, 4000);
    auto sanctions = st.list_sanctions("s-a");
    ASSERT_EQ(sanctions.size(), 2u);
    EXPECT_EQ(sanctions[0].kind, sanction_kind::ban);
    EXPECT_EQ(sanctions[1].expires_at, 4800);
    auto log = st.moderation_log("s-a", 10);
    ASSERT_EQ(log.size(), 2u);
    EXPECT_EQ(log[0].id, "l-2");
    EXPECT_EQ(log[1].message_id, "m-a3");
  }

  void expect_version_3_data(store& st) {
    auto keys = st.list_api_keys();
    ASSERT_EQ(keys.size(), 2u);
    EXPECT_EQ(keys[0].name, "overlay");
    EXPECT_FALSE(keys[0].revoked_at);
    auto found = st.find_api_key("bb22");
    ASSERT_TRUE(found);
    EXPECT_EQ(found->revoked_at, 5200);
  }

  // The version table lists every migration once.
  void expect_versions_recorded() {
    auto db = sqlite::sqlite_db::open(path_, {});
    ASSERT_TRUE(db);
    auto st = (*db)->prepare("SELECT group_concat(version) FROM sorak_schema_migrations ORDER BY version");
    ASSERT_TRUE(st);
    ASSERT_TRUE(*st->step());
    std::string want;
    for (int v = 1; v <= sqlite::latest_schema_version(); ++v) want += (v > 1 ? "," : "") + std::to_string(v);
    EXPECT_EQ(st->text(0), want);
  }

  fs::path dir_;
  std::string path_;
};

TEST_F(sqlite_migration_test, a_version_1_database_upgrades_with_its_data) {
  build_at(1);
  fill_version_1();
  auto st = open_current();
  ASSERT_NE(st, nullptr);
  expect_version_1_data(*st);
  EXPECT_TRUE(st->list_badges("s-a").empty());
  EXPECT_TRUE(st->list_api_keys().empty());
  st.reset();
  expect_versions_recorded();
}

TEST_F(sqlite_migration_test, a_version_2_database_upgrades_with_its_data) {
  build_at(2);
  fill_version_1();
  fill_version_2();
  auto st = open_current();
  ASSERT_NE(st, nullptr);
  expect_version_1_data(*st);
  expect_version_2_data(*st);
  st.reset();
  expect_versions_recorded();
}

TEST_F(sqlite_migration_test, a_version_3_database_upgrades_with_its_data) {
  build_at(3);
  fill_version_1();
  fill_version_2();
  fill_version_3();
  auto st = open_current();
  ASSERT_NE(st, nullptr);
  expect_version_1_data(*st);
  expect_version_2_data(*st);
  expect_version_3_data(*st);
  st.reset();
  expect_versions_recorded();
}

TEST_F(sqlite_migration_test, opening_an_upgraded_database_again_changes_nothing) {
  build_at(1);
  fill_version_1();
  { ASSERT_NE(open_current(), nullptr); }
  auto st = open_current();
  ASSERT_NE(st, nullptr);
  auto page = st->history("s-a", 10, std::nullopt);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->messages.size(), 3u);
  EXPECT_EQ(page->messages.back().seq, 4);
  st.reset();
  expect_versions_recorded();
}

}  // namespace
}  // namespace sorak
