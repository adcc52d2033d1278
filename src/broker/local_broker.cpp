#include "broker/local_broker.hpp"

namespace sorak {

void local_broker::publish(room_event ev) {
  if (!receiver_) return;
  ev.published_at_us = broker_clock_us();
  receiver_(ev);
}

}  // namespace sorak
