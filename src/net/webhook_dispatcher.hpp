// webhook_dispatcher.hpp: delivers room events to the admin's webhooks
// (CONTRACT §12, docs/api.md "Webhooks"), off the chat path.
//
// offer() is the broker's tap on this node's own publishes, so each event is
// delivered by the node where it happened, once. It copies the event into a
// bounded in-memory queue under a short lock and returns; nothing else runs on
// the caller's thread, and it costs one atomic load while no webhook wants
// the event. Two threads of its own do the rest:
// - the store thread turns queued events into deliveries (one per interested
//   webhook, with its signed body), stores them in batches, claims the
//   deliveries that are due (retries, and those of a node that died with them
//   leased), and records what became of each attempt;
// - the HTTP thread runs one lane per webhook: it POSTs that webhook's
//   deliveries one at a time over a kept-alive connection (http or https),
//   each with a timeout. A receiver that fails (an error, a timeout, anything
//   but 2xx) pauses its lane for retry_delay(failures in a row): 1 s, 2 s, 4 s,
//   … up to 5 minutes; its deliveries wait in the store meanwhile, and are
//   given up after an hour. Other webhooks' lanes go on.
// A dead or slow receiver therefore costs chat nothing: not a thread, not a
// lock held, not memory beyond the queue's bound.
//
// Thread-safety: offer() and reload() may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "sorak/broker.hpp"
#include "sorak/store.hpp"

namespace sorak {

struct webhook_options {
  bool allow_private = false;                // deliver to private and loopback addresses (tests)
  std::chrono::milliseconds timeout{10'000};  // a whole attempt: connect, TLS, request and answer
  std::size_t queue_limit = 10'000;           // events waiting to be stored; beyond it they are dropped, counted
  std::string ca_file;                        // extra CA certificates (PEM) for https receivers
  std::string node_id;                        // this node: whose leases are whose
};

struct webhook_counters {
  std::uint64_t delivered = 0;  // attempts the receiver answered 2xx
  std::uint64_t failed_attempts = 0;
  std::uint64_t given_up = 0;   // deliveries that failed for an hour
  std::uint64_t dropped = 0;    // events lost to a full queue
  std::uint64_t queued = 0;     // events waiting to be stored now
};

class webhook_dispatcher {
 public:
  webhook_dispatcher(store& st, webhook_options opts);
  ~webhook_dispatcher();
  webhook_dispatcher(const webhook_dispatcher&) = delete;
  webhook_dispatcher& operator=(const webhook_dispatcher&) = delete;

  void start();
  // Stores what is queued (so it is sent later, by this node or another),
  // lets the attempts in flight finish within the timeout, and joins.
  void stop();

  // Takes a copy of `ev` when some webhook wants its kind. Never blocks.
  void offer(const room_event& ev);
  // The webhooks changed: read them again now (else every reload period).
  void reload();

  webhook_counters counters() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// A broker that hands every event this node publishes to the dispatcher too.
class webhook_tap final : public broker {
 public:
  webhook_tap(broker& inner, webhook_dispatcher& d) : inner_(inner), dispatcher_(d) {}
  void set_receiver(receiver r) override { inner_.set_receiver(std::move(r)); }
  void publish(room_event ev) override {
    dispatcher_.offer(ev);
    inner_.publish(std::move(ev));
  }
  void subscribe(const std::string& stream_id) override { inner_.subscribe(stream_id); }
  void unsubscribe(const std::string& stream_id) override { inner_.unsubscribe(stream_id); }
  void set_message_source(message_source s) override { inner_.set_message_source(std::move(s)); }
  bool node_alive(const std::string& node_id) const override { return inner_.node_alive(node_id); }
  void count_viewers(std::vector<std::pair<std::string, std::int64_t>> changed) override {
    inner_.count_viewers(std::move(changed));
  }
  std::int64_t viewers_elsewhere(const std::string& stream_id) const override {
    return inner_.viewers_elsewhere(stream_id);
  }
  bool connected() const override { return inner_.connected(); }
  std::uint64_t gaps() const override { return inner_.gaps(); }
  std::uint64_t recovered() const override { return inner_.recovered(); }

 private:
  broker& inner_;
  webhook_dispatcher& dispatcher_;
};

}  // namespace sorak
