// A moderation change reaches a room only through the broker (CONTRACT §6,
// include/sorak/broker.hpp): with a broker that holds events until told to
// deliver them, a ban, a lift, a badge or new settings change nothing in the
// room (a banned user still sends) until the event arrives, and then bite at
// once. This is what makes a ban made on one node hold on every other.
#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <mutex>

#include "core/chat_service.hpp"
#include "core/clock.hpp"
#include "core/moderation_service.hpp"
#include "core/room_registry.hpp"
#include "store/memory_store.hpp"

namespace sorak {
namespace {

// Delivers nothing until release(): the slowest network between two nodes.
class delaying_broker final : public broker {
 public:
  void set_receiver(receiver r) override { receiver_ = std::move(r); }
  void publish(room_event ev) override {
    ev.published_at_us = broker_clock_us();
    std::lock_guard lk(mutex_);
    held_.push_back(std::move(ev));
  }
  void subscribe(const std::string&) override {}
  void unsubscribe(const std::string&) override {}
  // Delivers everything held, in publish order.
  void release() {
    std::deque<room_event> out;
    {
      std::lock_guard lk(mutex_);
      out.swap(held_);
    }
    for (const auto& ev : out) receiver_(ev);
  }
  std::size_t held() const {
    std::lock_guard lk(mutex_);
    return held_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::deque<room_event> held_;
  receiver receiver_;
};

class ModerationThroughBroker : public ::testing::Test {
 protected:
  void SetUp() override {
    broker_.set_receiver([this](const room_event& ev) {
      if (auto r = rooms_.route(ev)) {
        std::lock_guard lk(r->event_mutex());
        r->apply(ev);
      }
    });
    new_stream ns;
    ns.broadcaster_user_id = "owner";
    ns.title = "show";
    stream_ = *store_->create_stream(ns);
    room_ = *rooms_.open(stream_.id);
    fan_.user.id = "fan";
    fan_.user.username = "fan";
  }

  status send(const std::string& text) {
    client_chat c;
    c.content = text;
    return chat_.send_chat(*room_, fan_, c, nullptr);
  }

  std::unique_ptr<store> store_ = make_memory_store();
  delaying_broker broker_;
  room_registry rooms_{*store_, 100};
  chat_service chat_{*store_, broker_, chat_limits{{0, 1}, {0, 1}}, &rooms_};
  moderation_service mods_{*store_, rooms_, chat_};
  stream stream_;
  std::shared_ptr<room> room_;
  principal fan_;
  const mod_actor admin_{true, {}};
};

TEST_F(ModerationThroughBroker, ABanBitesWhenItsEventArrivesNotBefore) {
  sanction_request ban;
  ban.user_id = "fan";
  ban.kind = sanction_kind::ban;
  ASSERT_TRUE(mods_.impose(admin_, stream_.id, ban));
  EXPECT_GT(broker_.held(), 0u) << "the ban is an event on the broker";
  EXPECT_TRUE(send("still here")) << "the room has not heard of the ban yet";
  broker_.release();
  auto refused = send("and now?");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.err().code, "banned");
}

TEST_F(ModerationThroughBroker, ALiftBitesWhenItsEventArrives) {
  sanction_request timeout;
  timeout.user_id = "fan";
  timeout.kind = sanction_kind::timeout;
  timeout.duration_seconds = 600;
  ASSERT_TRUE(mods_.impose(admin_, stream_.id, timeout));
  broker_.release();
  ASSERT_EQ(send("x").err().code, "timed_out");
  ASSERT_TRUE(mods_.lift(admin_, stream_.id, "fan", sanction_kind::timeout));
  EXPECT_EQ(send("x").err().code, "timed_out") << "the lift has not arrived";
  broker_.release();
  EXPECT_TRUE(send("free again"));
}

TEST_F(ModerationThroughBroker, SettingsAndBadgesChangeTheRoomWhenTheirEventsArrive) {
  settings_patch off;
  off.chat_enabled = false;
  ASSERT_TRUE(mods_.change_settings(admin_, stream_.id, off));
  EXPECT_TRUE(room_->info().settings.chat_enabled) << "not yet";
  broker_.release();
  EXPECT_FALSE(room_->info().settings.chat_enabled);
  EXPECT_EQ(send("x").err().code, "chat_disabled");

  ASSERT_TRUE(mods_.grant_badge(admin_, stream_.id, "fan", stream_badge::moderator));
  EXPECT_FALSE(room_->moderation().badge_of("fan")) << "not yet";
  broker_.release();
  EXPECT_EQ(room_->moderation().badge_of("fan"), stream_badge::moderator);
  EXPECT_TRUE(send("moderators may chat when chat is off"));
}

TEST_F(ModerationThroughBroker, ARoomOpenedAfterTheChangeReadsItFromTheStore) {
  sanction_request ban;
  ban.user_id = "fan";
  ban.kind = sanction_kind::ban;
  ASSERT_TRUE(mods_.impose(admin_, stream_.id, ban));
  broker_.release();
  room_.reset();
  ASSERT_EQ(rooms_.close_idle(now_millis() + 1'000'000, 1), 1u) << "nobody holds the room: it closes";
  room_ = *rooms_.open(stream_.id);
  EXPECT_EQ(send("back?").err().code, "banned") << "a reopened room loads the ban from the store";
}

}  // namespace
}  // namespace sorak
