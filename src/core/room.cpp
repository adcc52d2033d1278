#include "core/room.hpp"

#include <algorithm>

#include "protocol/events.hpp"
#include "protocol/json_codec.hpp"

namespace sorak {

room::room(stream info, std::size_t worker_count, std::size_t ring_capacity, const std::vector<message>& recent)
    : stream_id_(info.id),
      ring_capacity_(std::max<std::size_t>(ring_capacity, 1)),
      info_(std::move(info)),
      locals_(new local_list[worker_count]) {
  ended_.store(info_.status == stream_status::ended);
  ring_complete_ = recent.size() < ring_capacity_;  // the store had no more than this
  const millis window_start = recent.empty() ? 0 : recent.back().created_at - client_id_window_ms;
  for (const auto& m : recent) {
    auto msg = std::make_shared<const message>(m);
    record_message(msg, std::make_shared<const std::string>(message_event(encode_message(m))));
    if (!m.client_id.empty() && m.created_at >= window_start) {
      dedup_entry e;
      e.committed = true;
      e.info = {m.id, m.created_at};
      e.expires_at = m.created_at + client_id_window_ms;
      dedup_.emplace(dedup_key(m.user.id, m.client_id), std::move(e));
    }
  }
  if (!recent.empty()) last_created_at_ = recent.back().created_at;
}

// ---- stream state ----------------------------------------------------------

stream room::info() const {
  std::lock_guard lk(info_mutex_);
  return info_;
}

void room::set_info(const stream& s) {
  std::lock_guard lk(info_mutex_);
  info_ = s;
  ended_.store(s.status == stream_status::ended, std::memory_order_release);
}

millis room::next_created_at(millis now) {
  last_created_at_ = std::max(now, last_created_at_ + 1);
  return last_created_at_;
}

// ---- client_id de-duplication ---------------------------------------------

std::string room::dedup_key(std::string_view user_id, std::string_view client_id) {
  std::string key;
  key.reserve(user_id.size() + client_id.size() + 1);
  key.append(user_id).push_back('\x1f');
  key.append(client_id);
  return key;
}

bool room::dedup_begin(const std::string& key, millis now, ack_callback ack) {
  return !dedup_lookup(key, now, std::move(ack), true);
}

bool room::dedup_known(const std::string& key, millis now, ack_callback ack) {
  return dedup_lookup(key, now, std::move(ack), false);
}

bool room::dedup_lookup(const std::string& key, millis now, ack_callback ack, bool claim) {
  std::unique_lock lk(dedup_mutex_);
  auto it = dedup_.find(key);
  if (it == dedup_.end() || (it->second.committed && it->second.expires_at <= now)) {
    if (claim) dedup_[key] = dedup_entry{};  // in flight; expires_at set on commit
    return false;
  }
  if (!it->second.committed) {
    it->second.waiters.push_back(std::move(ack));
    return true;
  }
  const ack_info info = it->second.info;
  lk.unlock();
  ack(result<ack_info>(info));
  return true;
}

void room::dedup_commit(const std::string& key, const ack_info& info) {
  std::vector<ack_callback> waiters;
  {
    std::lock_guard lk(dedup_mutex_);
    auto& e = dedup_[key];
    e.committed = true;
    e.info = info;
    e.expires_at = info.created_at + client_id_window_ms;
    waiters.swap(e.waiters);
  }
  for (auto& w : waiters) w(result<ack_info>(info));
}

void room::dedup_fail(const std::string& key, const error& err) {
  std::vector<ack_callback> waiters;
  {
    std::lock_guard lk(dedup_mutex_);
    auto it = dedup_.find(key);
    if (it == dedup_.end()) return;
    waiters.swap(it->second.waiters);
    dedup_.erase(it);
  }
  for (auto& w : waiters) w(result<ack_info>(err));
}

void room::dedup_sweep(millis now) {
  std::lock_guard lk(dedup_mutex_);
  std::erase_if(dedup_, [now](const auto& kv) { return kv.second.committed && kv.second.expires_at <= now; });
}

// ---- events ------------------------------------------------------------------

std::uint64_t room::record_message(std::shared_ptr<const message> m, shared_json ev) {
  std::lock_guard lk(ring_mutex_);
  if (!ring_.empty() && m->created_at <= ring_.back().msg->created_at) return 0;
  ring_.push_back({std::move(m), std::move(ev)});
  if (ring_.size() > ring_capacity_) {
    ring_.pop_front();
    ring_complete_ = false;
    if (!tombstones_.empty()) {
      const millis front = ring_.front().msg->created_at;
      std::erase_if(tombstones_, [front](const auto& kv) { return kv.second < front; });
    }
  }
  return ++seq_;
}

template <class Pred>
void room::erase_from_ring(Pred pred) {
  for (auto it = ring_.begin(); it != ring_.end();) {
    if (!pred(*it->msg)) {
      ++it;
      continue;
    }
    tombstones_[it->msg->id] = it->msg->created_at;
    it = ring_.erase(it);
  }
}

std::uint64_t room::record_deletion(std::string_view message_id) {
  std::lock_guard lk(ring_mutex_);
  erase_from_ring([&](const message& m) { return m.id == message_id; });
  return ++seq_;
}

std::uint64_t room::record_clear(std::string_view user_id) {
  std::lock_guard lk(ring_mutex_);
  erase_from_ring([&](const message& m) { return m.user.id == user_id; });
  return ++seq_;
}

void room::add_tombstones(const std::vector<message>& deleted) {
  std::lock_guard lk(ring_mutex_);
  for (const auto& m : deleted) tombstones_[m.id] = m.created_at;
}

std::uint64_t room::record_other() {
  std::lock_guard lk(ring_mutex_);
  return ++seq_;
}

// ---- reads -----------------------------------------------------------------

history_snapshot room::latest(std::size_t n) const {
  std::lock_guard lk(ring_mutex_);
  history_snapshot snap;
  snap.seq = seq_;
  const std::size_t count = std::min(n, ring_.size());
  snap.message_events.reserve(count);
  for (auto it = ring_.end() - static_cast<std::ptrdiff_t>(count); it != ring_.end(); ++it)
    snap.message_events.push_back(it->event);
  return snap;
}

history_snapshot room::after(std::string_view message_id, std::size_t max) const {
  std::lock_guard lk(ring_mutex_);
  history_snapshot snap;
  snap.seq = seq_;
  auto it = std::find_if(ring_.rbegin(), ring_.rend(), [&](const auto& e) { return e.msg->id == message_id; });
  auto from = it.base();  // first entry after the id
  if (it == ring_.rend()) {
    auto gone = tombstones_.find(std::string(message_id));
    if (gone == tombstones_.end()) {
      snap.found = false;
      return snap;
    }
    from = std::find_if(ring_.begin(), ring_.end(), [&](const auto& e) { return e.msg->created_at > gone->second; });
  }
  const auto available = static_cast<std::size_t>(ring_.end() - from);
  if (available > max) {
    snap.found = false;  // more were missed than recovery may carry
    return snap;
  }
  for (; from != ring_.end(); ++from) snap.message_events.push_back(from->event);
  return snap;
}

std::optional<history_snapshot> room::latest_page(std::size_t limit, bool& has_more) const {
  std::lock_guard lk(ring_mutex_);
  if (ring_.size() <= limit && !ring_complete_) return std::nullopt;
  has_more = ring_.size() > limit;
  history_snapshot snap;
  snap.seq = seq_;
  const std::size_t count = std::min(limit, ring_.size());
  snap.message_events.reserve(count);
  for (auto it = ring_.end() - static_cast<std::ptrdiff_t>(count); it != ring_.end(); ++it)
    snap.message_events.push_back(it->event);
  if (count > 0) snap.first_id = (ring_.end() - static_cast<std::ptrdiff_t>(count))->msg->id;
  return snap;
}

namespace {
bool in_feed(const message& m) { return m.type == message_type::message || m.type == message_type::gift; }
}  // namespace

std::optional<room::feed_snapshot> room::feed(std::size_t limit, std::optional<millis> since) const {
  std::lock_guard lk(ring_mutex_);
  feed_snapshot snap;
  snap.seq = seq_;
  if (since) {
    if (!ring_complete_ && (ring_.empty() || ring_.front().msg->created_at > *since)) return std::nullopt;
    auto it = std::upper_bound(ring_.begin(), ring_.end(), *since,
                               [](millis t, const recent_entry& e) { return t < e.msg->created_at; });
    for (; it != ring_.end() && snap.messages.size() < limit; ++it)
      if (in_feed(*it->msg)) snap.messages.push_back(it->msg);
    return snap;
  }
  for (auto it = ring_.rbegin(); it != ring_.rend() && snap.messages.size() < limit; ++it)
    if (in_feed(*it->msg)) snap.messages.push_back(it->msg);
  if (snap.messages.size() < limit && !ring_complete_) return std::nullopt;
  std::reverse(snap.messages.begin(), snap.messages.end());
  return snap;
}

std::uint64_t room::seq() const {
  std::lock_guard lk(ring_mutex_);
  return seq_;
}

room::cached_view room::cached(view v, std::size_t limit, const view_builder& build) const {
  auto& slot = views_[static_cast<std::size_t>(v)];
  const std::uint64_t now = seq();
  {
    std::lock_guard lk(view_mutex_);
    if (slot.body && slot.seq == now && slot.limit == limit) return {slot.body, slot.seq};
  }
  cached_view fresh = build();  // outside the lock: it reads the ring
  if (fresh.body) {
    std::lock_guard lk(view_mutex_);
    if (!slot.body || fresh.seq >= slot.seq) slot = {fresh.seq, limit, fresh.body};
  }
  return fresh;
}

std::optional<millis> room::oldest_recent() const {
  std::lock_guard lk(ring_mutex_);
  if (ring_.empty()) return std::nullopt;
  return ring_.front().msg->created_at;
}

std::optional<message> room::find_recent(std::string_view message_id) const {
  std::lock_guard lk(ring_mutex_);
  for (auto it = ring_.rbegin(); it != ring_.rend(); ++it)
    if (it->msg->id == message_id) return *it->msg;
  return std::nullopt;
}

// ---- local viewers -----------------------------------------------------------

void room::add_viewer(std::size_t w, viewer* v) {
  v->room_slot = locals_[w].list.size();
  v->round_offset = locals_[w].round.size();  // events before it joined are not its
  locals_[w].list.push_back(v);
  locals_[w].count.fetch_add(1, std::memory_order_acq_rel);
  total_.fetch_add(1, std::memory_order_relaxed);
}

void room::remove_viewer(std::size_t w, viewer* v) {
  auto& list = locals_[w].list;
  const std::size_t i = v->room_slot;
  if (i >= list.size() || list[i] != v) return;  // not here (left already, or another worker)
  list[i] = list.back();
  list[i]->room_slot = i;
  list.pop_back();
  locals_[w].count.fetch_sub(1, std::memory_order_acq_rel);
  total_.fetch_sub(1, std::memory_order_relaxed);
}

bool room::append_to_round(std::size_t w, std::string_view frame, std::uint64_t seq) {
  auto& local = locals_[w];
  const bool was_empty = local.round_marks.empty();
  local.round.append(frame);
  local.round_marks.push_back({seq, local.round.size()});
  return was_empty;
}

void room::seal_round(std::size_t w) {
  auto& local = locals_[w];
  if (local.round_marks.empty()) return;
  sealed_round sealed;
  sealed.bytes = std::make_shared<const std::string>(std::move(local.round));
  sealed.marks = std::move(local.round_marks);
  local.round = std::string();
  local.round_marks = {};
  for_each_viewer(w, [&](viewer* v) {
    v->deliver_round(sealed);
    v->round_offset = 0;
  });
}

std::string_view room::take_round_tail(std::size_t w, viewer* v, std::uint64_t history_seq, std::size_t& events) {
  auto& local = locals_[w];
  events = 0;
  const std::size_t end = local.round.size();
  if (v->round_offset >= end) return {};
  const std::size_t start = round_start(local.round_marks, v->round_offset, history_seq);
  v->round_offset = end;
  if (start >= end) return {};
  events = round_events_from(local.round_marks, start);
  return std::string_view(local.round).substr(start);
}

std::size_t round_start(const std::vector<round_mark>& marks, std::size_t offset, std::uint64_t history_seq) {
  std::size_t past_history = 0;
  for (const round_mark& m : marks) {  // seqs increase: stop at the first one not in the history
    if (m.seq > history_seq) break;
    past_history = m.end;
  }
  return std::max(offset, past_history);
}

std::size_t round_events_from(const std::vector<round_mark>& marks, std::size_t start) {
  if (start == 0) return marks.size();  // the usual case, once per viewer per round
  std::size_t n = 0;
  for (auto it = marks.rbegin(); it != marks.rend() && it->end > start; ++it) ++n;
  return n;
}

}  // namespace sorak
