#include "bench/load_pacing.hpp"

#include <algorithm>

namespace sorak::bench {

// ---- open_schedule -------------------------------------------------------------

void open_schedule::begin(std::vector<connection*> group, std::uint32_t limit, double rate, std::int64_t now) {
  queue_ = std::move(group);
  next_ = 0;
  limit_ = std::max<std::uint32_t>(1, limit);
  interval_ns_ = rate > 0 ? 1e9 / rate : 0;
  start_ns_ = now;
}

std::int64_t open_schedule::next_due_ns() const {
  if (!paced()) return 0;
  return start_ns_ + static_cast<std::int64_t>(static_cast<double>(next_) * interval_ns_);
}

connection& open_schedule::take() {
  ++in_progress_;
  return *queue_[next_++];
}

connection* open_schedule::take_any() {
  if (next_ >= queue_.size()) return nullptr;
  return &take();
}

// ---- send_schedule -------------------------------------------------------------

void send_schedule::begin(std::uint64_t quota, std::int64_t start_ns, std::int64_t duration_ns) {
  quota_ = quota;
  issued_ = 0;
  start_ns_ = start_ns;
  duration_ns_ = std::max<std::int64_t>(1, duration_ns);
}

std::uint64_t send_schedule::due(std::int64_t now) const {
  if (now >= start_ns_ + duration_ns_) return quota_;
  if (now <= start_ns_) return 0;
  return static_cast<std::uint64_t>(static_cast<unsigned __int128>(quota_) * static_cast<std::uint64_t>(now - start_ns_) /
                                    static_cast<std::uint64_t>(duration_ns_));
}

std::uint64_t send_schedule::give_up() {
  const std::uint64_t rest = quota_ - issued_;
  issued_ = quota_;
  return rest;
}

connection* send_schedule::next_sender() {
  if (weighted_) return next_weighted();
  for (std::size_t tries = 0; tries < senders_.size(); ++tries) {
    connection* s = senders_[next_sender_++ % senders_.size()];
    if (s->state == phase::ready) return s;
  }
  return nullptr;
}

connection* send_schedule::next_weighted() {
  connection* best = nullptr;
  double total = 0;
  for (connection* s : senders_) {
    if (s->state != phase::ready) continue;
    s->credit += s->weight;
    total += s->weight;
    if (!best || s->credit > best->credit) best = s;
  }
  if (best) best->credit -= total;
  return best;
}

}  // namespace sorak::bench
