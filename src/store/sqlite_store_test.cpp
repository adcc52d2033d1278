// What sqlite_store promises beyond the store contract: durability across a
// restart, `done` only after commit, group commit under concurrent appends,
// reads that never wait for the writer, and a writer that survives a failed
// commit. The shared contract is in tests/contract/store_contract_test.cpp.
#include "store/sqlite_store.hpp"

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/ids.hpp"

namespace sorak {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// A connection of the test's own, independent of the store's pool: what it sees
// is what any other process would see in the file.
class raw_connection {
 public:
  explicit raw_connection(const fs::path& path) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK);
    sqlite3_busy_timeout(db_, 5000);
  }
  ~raw_connection() { sqlite3_close(db_); }
  raw_connection(const raw_connection&) = delete;
  raw_connection& operator=(const raw_connection&) = delete;

  int exec(const char* sql) { return sqlite3_exec(db_, sql, nullptr, nullptr, nullptr); }

  // The single integer a query returns, or -1; `param` binds ?1 when given.
  std::int64_t scalar(const char* sql, const std::string* param = nullptr) {
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db_, sql, -1, &st, nullptr);
    if (param) sqlite3_bind_text(st, 1, param->c_str(), -1, SQLITE_TRANSIENT);
    std::int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return n;
  }

  std::int64_t count_message(const std::string& id) { return scalar("SELECT count(*) FROM messages WHERE id = ?1", &id); }

 private:
  sqlite3* db_ = nullptr;
};

class sqlite_store_test : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sorak-sqlite-test-" + new_uuid_v7());
    path_ = dir_ / "var" / "sorak.db";
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<sqlite_store> open(const sqlite_options& opts = {}) {
    auto s = sqlite_store::open(path_.string(), opts);
    EXPECT_TRUE(s.ok()) << (s ? "" : s.err().message);
    return s ? std::move(*s) : nullptr;
  }

  static stream create(store& st, const std::string& title) {
    new_stream ns;
    ns.broadcaster_user_id = "b";
    ns.title = title;
    auto s = st.create_stream(ns);
    EXPECT_TRUE(s.ok());
    return s ? *s : stream{};
  }

  message make_message(const stream& s, std::string content) {
    message m;
    m.id = new_uuid_v7();
    m.stream_id = s.id;
    m.user.id = "u-1";
    m.user.username = "alice";
    m.user.badges = {"subscriber"};
    m.content = std::move(content);
    std::lock_guard lock(clock_mutex_);
    m.created_at = next_millis_++;
    return m;
  }

  fs::path dir_;
  fs::path path_;
  std::mutex clock_mutex_;
  millis next_millis_ = 1777111530123;
};

TEST_F(sqlite_store_test, creates_missing_parent_directories) {
  ASSERT_FALSE(fs::exists(path_.parent_path()));
  auto st = open();
  ASSERT_NE(st, nullptr);
  EXPECT_TRUE(fs::exists(path_));
}

TEST_F(sqlite_store_test, a_path_that_cannot_be_a_database_is_an_error_not_a_crash) {
  fs::create_directories(dir_);
  { std::ofstream(dir_ / "a-file") << "x"; }
  auto st = open_sqlite_store((dir_ / "a-file" / "sorak.db").string());
  ASSERT_FALSE(st.ok());
  EXPECT_FALSE(st.err().message.empty());
}

TEST_F(sqlite_store_test, everything_survives_closing_and_reopening) {
  stream s;
  std::vector<message> ms;
  {
    auto st = open();
    s = create(*st, "durable");
    stream_patch end;
    end.status = stream_status::ended;
    ASSERT_TRUE(st->update_stream(s.id, end).ok());
    for (int i = 0; i < 20; ++i) {
      ms.push_back(make_message(s, "m" + std::to_string(i)));
      st->append(ms.back(), nullptr);
    }
    user_profile alice;
    alice.id = "u-1";
    alice.display_name = "Alice A.";
    st->remember_user(alice);
    // No flush: closing the store must commit what was queued.
  }
  auto st = open();
  auto got = st->get_stream(s.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->status, stream_status::ended);
  EXPECT_TRUE(got->ended_at.has_value());
  auto latest = st->latest(s.id, 100);
  ASSERT_EQ(latest.size(), 20u);
  EXPECT_EQ(latest.front().id, ms.front().id);
  EXPECT_EQ(latest.back().id, ms.back().id);
  EXPECT_EQ(latest.back().user.badges, std::vector<std::string>{"subscriber"});
  auto user = st->get_user("u-1");
  ASSERT_TRUE(user.has_value());
  EXPECT_EQ(user->display_name, "Alice A.");
  EXPECT_EQ(create(*st, "after restart").room_id, "100002");
}

// A viewer's profile is written in the background and may wait up to 20 ms for
// a commit; what the server saw is readable at once all the same (a moderator
// acting on someone who just joined sees their name and badges).
TEST_F(sqlite_store_test, a_remembered_profile_is_readable_before_its_commit) {
  auto st = open();
  const auto commits = st->commit_count();
  user_profile u{.id = "u-new", .username = "newbie", .display_name = "New B.", .badges = {"verified"}};
  st->remember_user(u);
  auto got = st->get_user("u-new");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->display_name, "New B.");
  EXPECT_EQ(got->badges, std::vector<std::string>{"verified"});
  EXPECT_EQ(st->commit_count(), commits) << "read before the profile's commit";
  u.display_name = "Renamed";
  st->remember_user(u);
  EXPECT_EQ(st->get_user("u-new")->display_name, "Renamed");
  st->flush();
  EXPECT_GT(st->commit_count(), commits);
  EXPECT_EQ(st->get_user("u-new")->display_name, "Renamed");
  raw_connection raw(path_);
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM users WHERE id = 'u-new' AND display_name = 'Renamed'"), 1)
      << "committed to the file after flush";
}

TEST_F(sqlite_store_test, done_runs_in_append_order_after_the_row_is_committed) {
  auto st = open();
  stream s = create(*st, "t");
  raw_connection other(path_);
  std::vector<message> ms;
  for (int i = 0; i < 200; ++i) ms.push_back(make_message(s, "m" + std::to_string(i)));
  std::vector<std::string> order;  // touched only by the writer thread until flush returns
  std::atomic<int> visible{0};
  for (const auto& m : ms)
    st->append(m, [&, id = m.id](const result<message>& result) {
      EXPECT_TRUE(result.ok());
      order.push_back(id);
      if (other.count_message(id) == 1) ++visible;  // committed: another connection sees it
    });
  st->flush();
  EXPECT_EQ(visible.load(), 200);
  ASSERT_EQ(order.size(), ms.size());
  for (std::size_t i = 0; i < ms.size(); ++i) EXPECT_EQ(order[i], ms[i].id) << i;
}

TEST_F(sqlite_store_test, concurrent_appends_lose_nothing_and_share_commits) {
  constexpr int threads = 8;
  constexpr int per_thread = 500;
  auto st = open();
  std::vector<stream> streams;
  for (int t = 0; t < threads; ++t) streams.push_back(create(*st, "s" + std::to_string(t)));
  const std::uint64_t commits_before = st->commit_count();

  std::vector<std::vector<message>> sent(threads);
  std::vector<std::vector<std::string>> acked(threads);  // each written by the writer thread only
  std::atomic<int> failures{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        message m = make_message(streams[t], "t" + std::to_string(t) + "-" + std::to_string(i));
        sent[t].push_back(m);
        st->append(std::move(m), [&, t, id = sent[t].back().id](const result<message>& s) {
          if (!s) ++failures;
          acked[t].push_back(id);
        });
      }
    });
  for (auto& th : pool) th.join();
  st->flush();

  EXPECT_EQ(failures.load(), 0);
  const std::uint64_t commits = st->commit_count() - commits_before;
  EXPECT_GT(commits, 0u);
  EXPECT_LT(commits, static_cast<std::uint64_t>(threads * per_thread)) << "appends were not grouped";
  for (int t = 0; t < threads; ++t) {
    std::vector<std::string> ids;
    for (const auto& m : sent[t]) ids.push_back(m.id);
    EXPECT_EQ(acked[t], ids) << "thread " << t << ": done out of order or missing";
    std::vector<std::string> stored;
    for (const auto& m : st->latest(streams[t].id, per_thread + 1)) stored.push_back(m.id);
    EXPECT_EQ(stored, ids) << "thread " << t;
  }
}

TEST_F(sqlite_store_test, reads_do_not_wait_while_the_writer_is_stuck) {
  auto st = open();
  stream s = create(*st, "t");
  message first = make_message(s, "committed before the lock");
  st->append(first, nullptr);
  st->flush();

  raw_connection locker(path_);
  ASSERT_EQ(locker.exec("BEGIN IMMEDIATE"), SQLITE_OK);  // takes the file's write lock
  std::promise<status> done;
  message blocked = make_message(s, "waits for the lock");
  st->append(blocked, [&](const result<message>& r) { done.set_value(r ? status(ok_value) : status(r.err())); });
  auto committed = done.get_future();
  std::this_thread::sleep_for(100ms);  // the writer is now waiting in BEGIN

  auto reads = std::async(std::launch::async, [&] {
    auto got = st->get_stream(s.id);
    auto page = st->history(s.id, 50, std::nullopt);
    auto latest = st->latest(s.id, 50);
    return got.ok() && page.ok() && page->messages.size() == 1 && latest.size() == 1;
  });
  ASSERT_EQ(reads.wait_for(2s), std::future_status::ready) << "a read waited for the writer";
  EXPECT_TRUE(reads.get());
  EXPECT_EQ(committed.wait_for(0s), std::future_status::timeout) << "the writer was not actually stuck";

  ASSERT_EQ(locker.exec("ROLLBACK"), SQLITE_OK);
  ASSERT_EQ(committed.wait_for(5s), std::future_status::ready);
  EXPECT_TRUE(committed.get().ok());
  EXPECT_TRUE(st->get_message(s.id, blocked.id).ok());
}

TEST_F(sqlite_store_test, a_failed_commit_fails_its_group_and_the_writer_goes_on) {
  auto st = open({.busy_timeout_ms = 50});
  stream s = create(*st, "t");
  raw_connection locker(path_);
  ASSERT_EQ(locker.exec("BEGIN IMMEDIATE"), SQLITE_OK);  // the writer cannot get the lock in time

  std::vector<message> lost;
  std::atomic<int> errors{0};
  for (int i = 0; i < 3; ++i) {
    lost.push_back(make_message(s, "lost " + std::to_string(i)));
    st->append(lost.back(), [&](const result<message>& r) { errors += r.ok() ? 0 : 1; });
  }
  st->flush();
  EXPECT_EQ(errors.load(), 3);
  auto refused = st->create_stream(new_stream{});
  EXPECT_FALSE(refused.ok());

  ASSERT_EQ(locker.exec("ROLLBACK"), SQLITE_OK);
  message after = make_message(s, "after the lock");
  std::promise<status> done;
  st->append(after, [&](const result<message>& r) { done.set_value(r ? status(ok_value) : status(r.err())); });
  auto f = done.get_future();
  ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
  EXPECT_TRUE(f.get().ok());
  // What was reported failed is not shown; what was reported stored is.
  auto latest = st->latest(s.id, 10);
  ASSERT_EQ(latest.size(), 1u);
  EXPECT_EQ(latest[0].id, after.id);
}

TEST_F(sqlite_store_test, a_database_from_a_newer_sorak_is_refused) {
  { ASSERT_NE(open(), nullptr); }
  {
    raw_connection raw(path_);
    ASSERT_EQ(raw.exec("PRAGMA user_version = 999"), SQLITE_OK);
  }
  auto st = sqlite_store::open(path_.string());
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.err().message.find("newer"), std::string::npos) << st.err().message;
}

}  // namespace
}  // namespace sorak
