#include "core/room_registry.hpp"

#include <algorithm>
#include <mutex>

namespace sorak {

bool is_room_id(std::string_view id) {
  return !id.empty() && id.size() <= 18 && std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; });
}

room_registry::room_registry(store& st, std::size_t worker_count, std::size_t ring_capacity)
    : store_(st), worker_count_(worker_count), ring_capacity_(ring_capacity) {}

result<std::shared_ptr<room>> room_registry::open(std::string_view id) {
  {
    std::shared_lock lk(mutex_);
    if (is_room_id(id)) {
      if (auto it = by_room_.find(std::string(id)); it != by_room_.end()) return it->second;
    } else if (auto it = rooms_.find(std::string(id)); it != rooms_.end()) {
      return it->second;
    }
  }
  auto s = is_room_id(id) ? store_.get_stream_by_room(id) : store_.get_stream(id);
  if (!s) return s.err();
  std::unique_lock lk(mutex_);
  if (auto it = rooms_.find(s->id); it != rooms_.end()) return it->second;
  auto recent = store_.latest(s->id, static_cast<int>(ring_capacity_));
  auto r = std::make_shared<room>(*s, worker_count_, ring_capacity_, recent);
  if (auto last = store_.last_created_at(s->id)) {
    std::lock_guard submit(r->submit_mutex());  // not yet shared: taken for the REQUIRES only
    r->advance_clock(*last);
  }
  if (!recent.empty()) r->add_tombstones(store_.deleted_after(s->id, recent.front().id));
  r->moderation().load(store_.list_badges(s->id), store_.list_sanctions(s->id));
  store_.scan_messages(s->id, [&r](const message& m) { r->stats().record(m); });
  rooms_.emplace(s->id, r);
  by_room_.emplace(s->room_id, r);
  return r;
}

std::shared_ptr<room> room_registry::find(std::string_view stream_id) const {
  std::shared_lock lk(mutex_);
  auto it = rooms_.find(std::string(stream_id));
  return it == rooms_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<room>> room_registry::all() const {
  std::shared_lock lk(mutex_);
  std::vector<std::shared_ptr<room>> out;
  out.reserve(rooms_.size());
  for (const auto& [id, r] : rooms_) out.push_back(r);
  return out;
}

}  // namespace sorak
