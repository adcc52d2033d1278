// The group writer's background ops: a viewer's profile write waits for
// company instead of paying for a commit of its own, and nothing that anyone
// waits for (a message, flush(), closing the store) is held up by that.
#include "store/sqlite_writer.hpp"

#include <chrono>
#include <filesystem>
#include <future>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/ids.hpp"

namespace sorak::sqlite {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

class group_writer_test : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sorak-writer-test-" + new_uuid_v7());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<group_writer> open_writer(std::chrono::milliseconds linger) {
    auto db = sqlite_db::open((dir_ / "w.db").string(), {.read_only = false, .busy_timeout_ms = 5000});
    EXPECT_TRUE(db.ok());
    EXPECT_TRUE((*db)->exec("CREATE TABLE t (v TEXT NOT NULL)").ok());
    return std::make_unique<group_writer>(std::move(*db), 1000, linger);
  }

  // An op inserting `v`; `log` records the order in which the ops were told.
  static write_op insert(std::string v, bool background, std::vector<std::string>& log,
                         std::promise<void>* told = nullptr) {
    return write_op{[v](sqlite_db& db) -> status {
                      auto st = db.prepare("INSERT INTO t (v) VALUES (?1)");
                      if (!st) return st.err();
                      return st->bind(1, v).run();
                    },
                    [v, &log, told](const status& s) {
                      EXPECT_TRUE(s.ok());
                      log.push_back(v);
                      if (told) told->set_value();
                    },
                    background};
  }

  fs::path dir_;
};

TEST_F(group_writer_test, background_ops_queued_together_share_one_commit) {
  auto w = open_writer(200ms);
  std::vector<std::string> log;
  std::promise<void> last;
  for (int i = 0; i < 99; ++i) ASSERT_TRUE(w->enqueue(insert("p" + std::to_string(i), true, log)));
  ASSERT_TRUE(w->enqueue(insert("p99", true, log, &last)));
  ASSERT_EQ(last.get_future().wait_for(10s), std::future_status::ready) << "a lingering group must still commit";
  EXPECT_EQ(w->commit_count(), 1u) << "100 profile writes queued within the linger cost one commit";
  ASSERT_EQ(log.size(), 100u);
  EXPECT_EQ(log.front(), "p0");
  EXPECT_EQ(log.back(), "p99");
}

TEST_F(group_writer_test, a_message_behind_background_ops_is_not_held_by_the_linger) {
  auto w = open_writer(30s);
  std::vector<std::string> log;
  std::promise<void> message_done;
  const auto started = clock_type::now();
  ASSERT_TRUE(w->enqueue(insert("profile", true, log)));
  ASSERT_TRUE(w->enqueue(insert("message", false, log, &message_done)));
  ASSERT_EQ(message_done.get_future().wait_for(10s), std::future_status::ready);
  EXPECT_LT(clock_type::now() - started, 10s);
  // The profile queued first committed with the message, and was told first.
  EXPECT_EQ(log, (std::vector<std::string>{"profile", "message"}));
  EXPECT_EQ(w->commit_count(), 1u);
}

TEST_F(group_writer_test, flush_ends_the_linger) {
  auto w = open_writer(30s);
  std::vector<std::string> log;
  ASSERT_TRUE(w->enqueue(insert("profile", true, log)));
  const auto started = clock_type::now();
  w->flush();
  EXPECT_LT(clock_type::now() - started, 10s);
  EXPECT_EQ(log, (std::vector<std::string>{"profile"}));
}

TEST_F(group_writer_test, stopping_commits_a_lingering_op_at_once) {
  auto w = open_writer(30s);
  std::vector<std::string> log;
  ASSERT_TRUE(w->enqueue(insert("profile", true, log)));
  const auto started = clock_type::now();
  w->stop();
  EXPECT_LT(clock_type::now() - started, 10s);
  EXPECT_EQ(log, (std::vector<std::string>{"profile"}));
  EXPECT_EQ(w->commit_count(), 1u);
}

}  // namespace
}  // namespace sorak::sqlite
