// local_broker.hpp: the in-process broker (one sorakd, `--broker memory`).
//
// publish() calls the receiver synchronously on the publishing thread, so
// events arrive exactly once and in publish order. Thread-safety: publish may
// be called from any thread; events from one thread keep their order.
#pragma once

#include <memory>

#include "core/metrics.hpp"
#include "sorak/broker.hpp"

namespace sorak {

class local_broker final : public broker {
 public:
  void set_receiver(receiver r) override { receiver_ = std::move(r); }
  void publish(room_event ev) override {
    if (!receiver_) return;
    const auto published = std::chrono::steady_clock::now();  // lag here: the call itself (docs/operations.md)
    metrics::broker_lag_seconds().observe(std::chrono::steady_clock::now() - published);
    receiver_(ev);
  }

 private:
  receiver receiver_;
};

}  // namespace sorak
