// local_broker.hpp: the in-process broker (one sorakd, `--broker memory`).
//
// publish() stamps the event and calls the receiver synchronously on the
// publishing thread, so events arrive exactly once and in publish order, and
// published_at_us to receipt is the cost of the call itself. Every event is
// delivered whether or not its stream was subscribed (broker.hpp allows it;
// the room registry drops events of rooms it does not hold), so subscribe
// and unsubscribe change nothing here.
//
// Thread-safety: publish may be called from any thread; events from one
// thread keep their order.
#pragma once

#include "sorak/broker.hpp"

namespace sorak {

class local_broker final : public broker {
 public:
  void set_receiver(receiver r) override { receiver_ = std::move(r); }
  void publish(room_event ev) override;
  void subscribe(const std::string&) override {}
  void unsubscribe(const std::string&) override {}

 private:
  receiver receiver_;
};

}  // namespace sorak
