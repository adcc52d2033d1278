// moderator.hpp: fanout/slow --delete-rate: moderation events during the run.
// The stream's owner (a broadcaster may delete any message) reads the newest
// messages over REST history and deletes the newest chat line it has not
// deleted yet, `rate` times a second, for the sending window; the server
// sends every viewer a `message_deleted` event for each (docs/api.md,
// "Deleting a message"). Each deletion the server answered 204 is kept as a
// traced_event (event_trace.hpp): its message id's key, and the moment it was
// asked for, so the run can say which viewers had to read it.
//
// Its own thread, with one keep-alive HTTP connection; start() once, stop()
// and join() from the same (driver's) thread; the figures after join(), but
// done() from any thread at any time.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench/event_trace.hpp"
#include "bench/proc.hpp"
#include "client/http_client.hpp"

namespace sorak::bench {

class moderator {
 public:
  // `token`: a credential that may delete in `stream` (its owner's).
  moderator(target where, std::string stream, std::string token, double rate);
  ~moderator();
  moderator(const moderator&) = delete;
  moderator& operator=(const moderator&) = delete;

  // Deletes `rate` a second until `duration_s` has passed or stop().
  void start(double duration_s);
  void stop();
  void join();

  std::uint64_t done() const { return done_.load(std::memory_order_relaxed); }

  // After join().
  const std::vector<traced_event>& deletions() const { return deletions_; }
  std::uint64_t asked() const { return asked_; }          // deletions attempted
  std::uint64_t failed() const { return failed_; }        // … refused or lost (history reads that failed too)
  std::uint64_t no_message() const { return no_message_; }  // turns with no chat line to delete yet
  const std::string& first_error() const { return first_error_; }

 private:
  void run(double duration_s);
  void delete_one(client::http_client& http);
  void fail(std::string why);

  const target where_;
  const std::string stream_;
  const std::string token_;
  const double rate_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // under mu_
  std::atomic<std::uint64_t> done_{0};
  std::vector<traced_event> deletions_;
  std::vector<std::string> deleted_ids_;
  std::uint64_t asked_ = 0, failed_ = 0, no_message_ = 0;
  std::string first_error_;
};

}  // namespace sorak::bench
