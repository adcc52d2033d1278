// copy_store (`sorak migrate-store`): every kind of row arrives as it was, and
// a destination that already holds streams is refused.
#include "store/store_copy.hpp"

#include <filesystem>
#include <future>

#include <gtest/gtest.h>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "store/memory_store.hpp"
#include "store/sqlite_store.hpp"

namespace sorak {
namespace {

namespace fs = std::filesystem;

class store_copy_test : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sorak-copy-test-" + new_uuid_v7());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<store> sqlite(const std::string& name) {
    auto st = open_sqlite_store((dir_ / name).string());
    EXPECT_TRUE(st) << (st ? "" : st.err().message);
    return st ? std::move(*st) : nullptr;
  }

  message msg(const stream& s, std::string content, millis at) {
    message m;
    m.id = new_uuid_v7();
    m.stream_id = s.id;
    m.user = {.id = "u-1", .username = "alice", .display_name = "Alice", .avatar_url = "https://a/1.png",
              .level = 4, .is_premium = true, .badges = {"subscriber"}};
    m.content = std::move(content);
    m.created_at = at;
    return m;
  }

  // Two streams (one ended, with a member and settings), messages of every
  // type (a deleted one, a gift, a reply), a badge, both sanctions, log
  // entries, two profiles and a live and a revoked API key.
  void fill(store& st) {
    auto a = st.create_stream({.broadcaster_user_id = "b-1", .title = "Evening", .room_name = "Theater",
                               .member = member_info{"Mion", "mion", "team K"}, .room_id = "300123"});
    ASSERT_TRUE(a);
    auto b = st.create_stream({.broadcaster_user_id = "b-2", .title = "Morning", .room_name = "Studio"});
    ASSERT_TRUE(b);
    stream_patch end;
    end.status = stream_status::ended;
    end.settings = chat_settings{.slow_mode_seconds = 5, .max_message_length = 120, .subscribers_only = true,
                                 .chat_enabled = false};
    ASSERT_TRUE(st.update_stream(b->id, end));
    st.remember_user({.id = "u-1", .username = "alice", .display_name = "Alice", .level = 4, .badges = {"verified"}});
    st.remember_user({.id = "u-2", .username = "bob", .display_name = "Bob"});
    const millis t = 1777111530123;
    message hello = msg(*a, "hello", t);
    hello.client_id = "c-1";
    message gift = msg(*a, "a rose", t + 1);
    gift.type = message_type::gift;
    gift.gift = gift_info{"rose", "Rose", 3, 30};
    gift.stars = 30;
    message gone = msg(*a, "oops", t + 2);
    gone.deleted = true;
    message reply = msg(*a, "thanks", t + 3);
    reply.reply_to = gift.id;
    message other = msg(*b, "other stream", t + 4);
    for (const auto& m : {hello, gift, gone, reply, other}) st.append(m, nullptr);
    st.flush();
    ASSERT_TRUE(st.grant_badge({.id = new_uuid_v7(), .stream_id = a->id, .user_id = "u-2",
                                .badge = stream_badge::moderator, .granted_by = "b-1", .granted_at = t}));
    ASSERT_TRUE(st.put_sanction({.id = new_uuid_v7(), .stream_id = a->id, .user_id = "u-3",
                                 .kind = sanction_kind::ban, .reason = "spam", .moderator_id = "u-2",
                                 .created_at = t + 10}));
    ASSERT_TRUE(st.put_sanction({.id = new_uuid_v7(), .stream_id = a->id, .user_id = "u-4",
                                 .kind = sanction_kind::timeout, .moderator_id = "u-2", .created_at = t + 11,
                                 .expires_at = t + 611}));
    for (int i = 0; i < 3; ++i)
      ASSERT_TRUE(st.log_action({.id = new_uuid_v7(), .stream_id = a->id, .action = "ban", .moderator_id = "u-2",
                                 .target_user_id = "u-" + std::to_string(i), .reason = "r" + std::to_string(i),
                                 .created_at = t + 20 + i}));
    ASSERT_TRUE(st.put_api_key({.id = new_uuid_v7(), .name = "overlay", .key_hash = "aa", .prefix = "sk_a",
                                .created_at = t}));
    ASSERT_TRUE(st.put_api_key({.id = new_uuid_v7(), .name = "old", .key_hash = "bb", .prefix = "sk_b",
                                .created_at = t + 1, .revoked_at = t + 2}));
    ASSERT_TRUE(st.create_webhook({.id = new_uuid_v7(), .url = "https://bots.example.org/hook",
                                   .events = {webhook_event::gift, webhook_event::poll}, .stream_id = "s-x",
                                   .secret = "whsec_" + std::string(64, 'c'), .created_at = t}));
  }

  // Everything `from` holds, `to` holds the same.
  static void expect_same(store& from, store& to) {
    auto streams = from.list_streams(std::nullopt);
    ASSERT_EQ(streams.size(), 2u);
    ASSERT_EQ(to.list_streams(std::nullopt).size(), 2u);
    for (const auto& s : streams) {
      auto copy = to.get_stream_by_room(s.room_id);
      ASSERT_TRUE(copy);
      EXPECT_EQ(copy->id, s.id);
      EXPECT_EQ(copy->title, s.title);
      EXPECT_EQ(copy->status, s.status);
      EXPECT_EQ(copy->created_at, s.created_at);
      EXPECT_EQ(copy->ended_at, s.ended_at);
      EXPECT_EQ(copy->member.has_value(), s.member.has_value());
      EXPECT_EQ(copy->settings.slow_mode_seconds, s.settings.slow_mode_seconds);
      EXPECT_EQ(copy->settings.chat_enabled, s.settings.chat_enabled);
      std::vector<message> want, got;
      from.scan_messages(s.id, [&](const message& m) { want.push_back(m); });
      to.scan_messages(s.id, [&](const message& m) { got.push_back(m); });
      ASSERT_EQ(got.size(), want.size());
      for (std::size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(got[i].id, want[i].id);
        EXPECT_EQ(got[i].seq, want[i].seq);
        EXPECT_EQ(got[i].created_at, want[i].created_at);
        EXPECT_EQ(got[i].deleted, want[i].deleted);
        EXPECT_EQ(got[i].type, want[i].type);
        EXPECT_EQ(got[i].content, want[i].content);
        EXPECT_EQ(got[i].reply_to, want[i].reply_to);
        EXPECT_EQ(got[i].client_id, want[i].client_id);
        EXPECT_EQ(got[i].user.badges, want[i].user.badges);
        EXPECT_EQ(got[i].gift.has_value(), want[i].gift.has_value());
        if (got[i].gift && want[i].gift) EXPECT_EQ(got[i].gift->total_stars, want[i].gift->total_stars);
      }
      auto badges = to.list_badges(s.id);
      ASSERT_EQ(badges.size(), from.list_badges(s.id).size());
      for (std::size_t i = 0; i < badges.size(); ++i) EXPECT_EQ(badges[i].id, from.list_badges(s.id)[i].id);
      auto sanctions = to.list_sanctions(s.id);
      ASSERT_EQ(sanctions.size(), from.list_sanctions(s.id).size());
      for (std::size_t i = 0; i < sanctions.size(); ++i) {
        EXPECT_EQ(sanctions[i].id, from.list_sanctions(s.id)[i].id);
        EXPECT_EQ(sanctions[i].expires_at, from.list_sanctions(s.id)[i].expires_at);
      }
      auto log = to.moderation_log(s.id, 100);
      auto want_log = from.moderation_log(s.id, 100);
      ASSERT_EQ(log.size(), want_log.size());
      for (std::size_t i = 0; i < log.size(); ++i) EXPECT_EQ(log[i].id, want_log[i].id);
    }
    to.flush();
    auto users = to.list_users();
    ASSERT_EQ(users.size(), 2u);
    EXPECT_EQ(users[0].badges, std::vector<std::string>{"verified"});
    auto keys = to.list_api_keys();
    ASSERT_EQ(keys.size(), 2u);
    EXPECT_EQ(keys[1].revoked_at, from.list_api_keys()[1].revoked_at);
    auto hooks = to.list_webhooks();
    ASSERT_EQ(hooks.size(), 1u);
    EXPECT_EQ(hooks[0].id, from.list_webhooks()[0].id);
    EXPECT_EQ(hooks[0].secret, from.list_webhooks()[0].secret);
    EXPECT_EQ(hooks[0].events, from.list_webhooks()[0].events);
    EXPECT_EQ(hooks[0].stream_id, from.list_webhooks()[0].stream_id);
  }

  fs::path dir_;
};

TEST_F(store_copy_test, sqlite_to_sqlite_keeps_every_row) {
  auto from = sqlite("from.db");
  fill(*from);
  auto to = sqlite("to.db");
  auto counts = copy_store(*from, *to, nullptr);
  ASSERT_TRUE(counts) << counts.err().message;
  EXPECT_EQ(counts->streams, 2);
  EXPECT_EQ(counts->messages, 5);
  EXPECT_EQ(counts->users, 2);
  EXPECT_EQ(counts->badges, 1);
  EXPECT_EQ(counts->sanctions, 2);
  EXPECT_EQ(counts->actions, 3);
  EXPECT_EQ(counts->api_keys, 2);
  EXPECT_EQ(counts->webhooks, 1);
  expect_same(*from, *to);
  // The copy goes on numbering where the source stopped.
  auto a = to->get_stream_by_room("300123");
  ASSERT_TRUE(a);
  std::promise<result<message>> done;
  to->append(msg(*a, "next", 0), [&](result<message> r) { done.set_value(std::move(r)); });
  auto next = done.get_future().get();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->seq, 5);
}

TEST_F(store_copy_test, sqlite_to_memory_keeps_every_row) {
  auto from = sqlite("from.db");
  fill(*from);
  auto to = make_memory_store();
  ASSERT_TRUE(copy_store(*from, *to, nullptr));
  expect_same(*from, *to);
}

TEST_F(store_copy_test, a_destination_with_streams_is_refused_untouched) {
  auto from = sqlite("from.db");
  fill(*from);
  auto to = sqlite("to.db");
  ASSERT_TRUE(to->create_stream({.broadcaster_user_id = "x", .title = "already here"}));
  auto counts = copy_store(*from, *to, nullptr);
  ASSERT_FALSE(counts);
  EXPECT_NE(counts.err().message.find("already holds streams"), std::string::npos);
  EXPECT_EQ(to->list_streams(std::nullopt).size(), 1u);
}

TEST_F(store_copy_test, a_pruned_stream_arrives_with_its_baseline_and_numbers_on) {
  auto from = sqlite("from.db");
  fill(*from);
  auto a = from->get_stream_by_room("300123");
  ASSERT_TRUE(a);
  // The first two messages of stream a (hello, the gift) are older than the cutoff.
  const stats_fold fold = [](std::string_view, const std::string& b, const std::vector<message>& rows) {
    return b + std::to_string(rows.size()) + " folded;";
  };
  auto pruned = from->prune_messages(1777111530123 + 2, fold);
  ASSERT_TRUE(pruned) << pruned.err().message;
  ASSERT_EQ(pruned->messages, 2);
  auto to = sqlite("to.db");
  auto counts = copy_store(*from, *to, nullptr);
  ASSERT_TRUE(counts) << counts.err().message;
  EXPECT_EQ(counts->messages, 3);
  EXPECT_EQ(counts->baselines, 1);
  EXPECT_EQ(to->stats_baseline(a->id), "2 folded;");
  std::vector<message> left;
  to->scan_messages(a->id, [&](const message& m) { left.push_back(m); });
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].seq, 3) << "numbered as in the source, after the pruned ones";
  std::promise<result<message>> done;
  to->append(msg(*a, "next", 0), [&](result<message> r) { done.set_value(std::move(r)); });
  auto next = done.get_future().get();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->seq, 5);
}

}  // namespace
}  // namespace sorak
