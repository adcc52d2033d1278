// The completions thread: callbacks in the order posted, and run on the
// writer's own thread when nothing is waiting (one wake-up fewer per group).
#include "store/completions.hpp"

#include <atomic>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace sorak::store_detail {
namespace {

TEST(completions_test, with_nothing_waiting_a_job_runs_on_the_callers_thread) {
  completions c;
  std::thread::id ran_on;
  c.run_or_post([&] { ran_on = std::this_thread::get_id(); }, true);
  EXPECT_EQ(ran_on, std::this_thread::get_id());
}

TEST(completions_test, behind_a_running_job_a_job_is_queued_and_the_order_holds) {
  completions c;
  std::mutex m;
  std::vector<std::string> order;
  const auto note = [&](std::string s) {
    std::lock_guard lock(m);
    order.push_back(std::move(s));
  };
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> started;
  c.post([&, released] {
    started.set_value();
    released.wait();
    note("first");
  });
  started.get_future().wait();
  std::thread::id ran_on;
  c.run_or_post(
      [&] {
        ran_on = std::this_thread::get_id();
        note("second");
      },
      true);
  release.set_value();
  c.drain();
  EXPECT_EQ(order, (std::vector<std::string>{"first", "second"}));
  EXPECT_NE(ran_on, std::this_thread::get_id()) << "it waited its turn on the completions thread";
}

TEST(completions_test, a_caller_with_work_of_its_own_hands_the_job_over) {
  completions c;
  std::promise<std::thread::id> ran_on;
  c.run_or_post([&] { ran_on.set_value(std::this_thread::get_id()); }, false);
  EXPECT_NE(ran_on.get_future().get(), std::this_thread::get_id());
}

TEST(completions_test, a_job_that_throws_here_is_logged_and_the_caller_goes_on) {
  completions c;
  c.run_or_post([] { throw std::runtime_error("a caller's bug"); }, true);
  bool ran = false;
  c.run_or_post([&] { ran = true; }, true);
  EXPECT_TRUE(ran);
}

}  // namespace
}  // namespace sorak::store_detail
