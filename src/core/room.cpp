#include "core/room.hpp"

#include <algorithm>

#include <boost/json/serialize.hpp>

#include "core/clock.hpp"
#include "protocol/events.hpp"
#include "protocol/json_codec.hpp"

namespace sorak {

room::room(room_snapshot snap, std::size_t ring_capacity, const broker* others)
    : stream_id_(snap.info.id),
      ring_capacity_(std::max<std::size_t>(ring_capacity, 1)),
      others_(others),
      info_(std::move(snap.info)) {
  ended_.store(info_.status == stream_status::ended);
  slow_mode_on_.store(info_.settings.slow_mode_seconds > 0);
  moderation_.load(snap.badges, snap.sanctions);
  moderation_.set_terms(snap.terms);
  if (snap.poll_now)
    set_poll(snap.poll_now, std::make_shared<const std::string>(
                                poll_event(boost::json::serialize(to_json(*snap.poll_now, now_millis())))));
  if (snap.pinned)
    set_pin(snap.pinned, std::make_shared<const std::string>(pinned_event(encode_message(*snap.pinned))));
  const auto& recent = snap.recent;
  ring_complete_ = recent.size() < ring_capacity_;  // the store had no more than this
  const millis window_start = recent.empty() ? 0 : recent.back().created_at - client_id_window_ms;
  for (const auto& m : recent) {
    record_message(std::make_shared<const message>(m), std::make_shared<const std::string>(message_event(encode_message(m))));
    if (m.created_at >= window_start) remember_committed(m);  // older ones have expired already
  }
  for (const auto& m : snap.deleted) tombstones_[m.id] = m.created_at;
  if (!recent.empty()) advance_clock(recent.back().created_at);
}

void room::finish_loading(std::optional<millis> last_created_at) {
  if (!last_created_at) return;
  loaded_through_ = *last_created_at;
  advance_clock(*last_created_at);
}

void room::advance_clock(millis t) {
  millis seen = last_created_at_.load(std::memory_order_relaxed);
  while (seen < t && !last_created_at_.compare_exchange_weak(seen, t, std::memory_order_relaxed)) {
  }
}

// ---- stream state ----------------------------------------------------------

stream room::info() const {
  std::lock_guard lk(info_mutex_);
  return info_;
}

stream_role room::role_of(std::string_view user_id, const std::vector<std::string>& global_badges) const {
  std::lock_guard lk(info_mutex_);
  return moderation_.role_of(user_id, global_badges, info_);
}

void room::set_info(const stream& s) {
  std::lock_guard lk(info_mutex_);
  info_ = s;
  ended_.store(s.status == stream_status::ended, std::memory_order_release);
  slow_mode_on_.store(s.settings.slow_mode_seconds > 0, std::memory_order_release);
}

void room::set_pin(std::shared_ptr<const message> m, shared_json event) {
  std::lock_guard lk(info_mutex_);
  pinned_ = std::move(m);
  pinned_json_ = pinned_ ? std::move(event) : nullptr;
}

void room::set_poll(std::shared_ptr<const poll> p, shared_json event) {
  std::lock_guard lk(info_mutex_);
  // A poll's events may cross (counts from one node, the close from another):
  // once closed it stays closed, and older counts never replace newer ones.
  if (poll_ && p && poll_->id == p->id) {
    if (poll_->closed_at && !p->closed_at) return;
    if (!p->closed_at && p->total_votes() < poll_->total_votes()) return;
  }
  poll_ = std::move(p);
  poll_json_ = std::move(event);
}

std::shared_ptr<const poll> room::current_poll() const {
  std::lock_guard lk(info_mutex_);
  return poll_;
}

shared_json room::open_poll_event_json() const {
  std::lock_guard lk(info_mutex_);
  return poll_ && !poll_->closed_at ? poll_json_ : nullptr;
}

std::shared_ptr<const message> room::pinned() const {
  std::lock_guard lk(info_mutex_);
  return pinned_;
}

shared_json room::pinned_event_json() const {
  std::lock_guard lk(info_mutex_);
  return pinned_json_;
}

millis room::next_created_at(millis now) {
  const millis t = std::max(now, last_created_at_.load(std::memory_order_relaxed) + 1);
  advance_clock(t);
  return t;
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
    if (claim) {  // in flight; expires_at set on commit
      if (it == dedup_.end())
        dedup_.try_emplace(key);
      else
        it->second = dedup_entry{};
    }
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

// A committed message with a client_id: a resend of it, through any node, is
// acked instead of stored again (for the rest of the window).
void room::remember_committed(const message& m) {
  if (m.client_id.empty()) return;
  dedup_commit(dedup_key(m.user.id, m.client_id), {m.id, m.created_at});
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
  if (now - dedup_swept_at_ < dedup_sweep_every_ms) return;
  dedup_swept_at_ = now;
  boost::unordered::erase_if(dedup_, [now](const auto& kv) { return kv.second.committed && kv.second.expires_at <= now; });
}

std::size_t room::dedup_entries() const {
  std::lock_guard lk(dedup_mutex_);
  return dedup_.size();
}

// ---- events ------------------------------------------------------------------

std::uint64_t room::apply(const room_event& ev) {
  switch (ev.kind) {
    case event_kind::message:
      return apply_message(ev);
    case event_kind::message_deleted:
      return record_deletion(ev.target);
    case event_kind::chat_cleared:
      return record_clear(ev.target);
    case event_kind::stream_changed:
      if (ev.info) set_info(*ev.info);
      break;
    case event_kind::badge_changed:
      moderation_.set_badge(ev.target, ev.badge);
      break;
    case event_kind::sanction_imposed:
      if (ev.sanction_set) moderation_.set_sanction(*ev.sanction_set);
      break;
    case event_kind::sanction_lifted:
      moderation_.lift(ev.target, ev.lifted);
      break;
    case event_kind::moderation_reloaded:
      if (ev.moderation) {
        moderation_.load(ev.moderation->badges, ev.moderation->sanctions);
        moderation_.set_terms(ev.moderation->terms);
      }
      break;
    case event_kind::terms_changed:
      if (ev.terms) moderation_.set_terms(*ev.terms);
      break;
    case event_kind::pin_changed:
      set_pin(ev.msg, ev.json);
      break;
    case event_kind::poll_changed:
      if (ev.poll_state) set_poll(ev.poll_state, ev.json);
      break;
  }
  return ev.json ? record_other() : 0;
}

// A message is counted once, in the ring, the statistics and the client_id
// table; one the room already had when it was loaded changes nothing.
std::uint64_t room::apply_message(const room_event& ev) {
  if (!ev.msg || ev.msg->created_at <= loaded_through_) return 0;
  advance_clock(ev.msg->created_at);  // a message stamped elsewhere moves this node's clock too
  const std::uint64_t seq = record_message(ev.msg, ev.json);
  if (seq == 0) return 0;
  stats_.record(*ev.msg);
  stats_.sample_viewers(viewer_total(), ev.msg->created_at);
  remember_committed(*ev.msg);
  // Slow mode, whichever node took it: a message sent while it was on (one sent
  // before it was turned on does not start the wait, on any node).
  if (slow_mode_on_.load(std::memory_order_acquire) &&
      (ev.msg->type == message_type::message || ev.msg->type == message_type::gift))
    moderation_.note_sent(ev.msg->user.id, ev.msg->created_at);
  return seq;
}

std::uint64_t room::record_message(std::shared_ptr<const message> m, shared_json ev) {
  std::lock_guard lk(ring_mutex_);
  // The store's sequence orders a stream (created_at rises with it); a message
  // not newer than the ring's newest was counted already.
  if (!ring_.empty()) {
    const message& newest = *ring_.back().msg;
    const bool seen = m->seq > 0 && newest.seq > 0 ? m->seq <= newest.seq : m->created_at <= newest.created_at;
    if (seen) return 0;
  }
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

bool room::ring_holds_all() const {
  std::lock_guard lk(ring_mutex_);
  return ring_complete_;
}

std::optional<millis> room::oldest_recent() const {
  std::lock_guard lk(ring_mutex_);
  if (ring_.empty()) return std::nullopt;
  return ring_.front().msg->created_at;
}

std::optional<std::string> room::oldest_recent_id() const {
  std::lock_guard lk(ring_mutex_);
  if (ring_.empty()) return std::nullopt;
  return ring_.front().msg->id;
}

std::optional<message> room::find_recent(std::string_view message_id) const {
  std::lock_guard lk(ring_mutex_);
  for (auto it = ring_.rbegin(); it != ring_.rend(); ++it)
    if (it->msg->id == message_id) return *it->msg;
  return std::nullopt;
}

// ---- viewers -------------------------------------------------------------------

std::int64_t room::viewer_total() const {
  const std::int64_t here = viewers_here_.load(std::memory_order_relaxed);
  return others_ ? here + others_->viewers_elsewhere(stream_id_) : here;
}

}  // namespace sorak
