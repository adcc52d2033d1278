#include "core/room_registry.hpp"

#include "core/room_events.hpp"

#include <algorithm>

#include "core/clock.hpp"

#include <spdlog/spdlog.h>

namespace sorak {

bool is_room_id(std::string_view id) {
  return !id.empty() && id.size() <= 18 && std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; });
}

room_registry::room_registry(store& st, std::size_t ring_capacity, std::string node_id, broker* br)
    : store_(st), ring_capacity_(ring_capacity), node_id_(std::move(node_id)), broker_(br) {}

// ---- opening -------------------------------------------------------------------

result<std::shared_ptr<room>> room_registry::open(std::string_view id) {
  {
    std::shared_lock lk(mutex_);
    if (const entry* e = lookup(id)) {
      if (e->open) {
        e->open->touch(now_millis());
        return e->open;
      }
      auto o = e->loading;
      lk.unlock();
      return wait_for(o);
    }
  }
  auto s = resolve(id);
  if (!s) return s.err();
  std::shared_ptr<opening> o;
  {
    std::unique_lock lk(mutex_);
    auto& e = rooms_[s->id];
    if (e.open) return e.open;
    if (e.loading) {
      o = e.loading;
      lk.unlock();
      return wait_for(o);
    }
    o = e.loading = std::make_shared<opening>();
  }
  return load(*s, o);
}

result<stream> room_registry::resolve(std::string_view id) {
  return is_room_id(id) ? store_.get_stream_by_room(id) : store_.get_stream(id);
}

result<std::shared_ptr<room>> room_registry::wait_for(const std::shared_ptr<opening>& o) {
  std::unique_lock lk(o->mutex);
  o->done_cv.wait(lk, [&] { return o->done; });
  return o->outcome;
}

// Runs on the caller's thread with no registry lock held. Events published
// from here on are kept by `o` (route), and everything committed before is in
// the store, so the load plus the kept events is the whole room.
result<std::shared_ptr<room>> room_registry::load(const stream& s, const std::shared_ptr<opening>& o) {
  if (broker_) broker_->subscribe(s.id);
  std::shared_ptr<room> r;
  try {
    r = build(s);
  } catch (const std::exception& e) {
    finish(s, o, error(errc::internal, std::string("Could not open the room: ") + e.what()));
    return error(errc::internal, "Could not open the room");
  }
  finish(s, o, r);
  return r;
}

std::shared_ptr<room> room_registry::build(const stream& s) {
  // First: a message committed after this read is newer than it, so its
  // event (kept while the room opens) adds it; one committed before is in the
  // reads below. A message both read and kept is counted once (room::apply).
  const auto last_created_at = store_.last_created_at(s.id);
  room_snapshot snap;
  snap.info = s;
  snap.recent = store_.latest(s.id, static_cast<int>(ring_capacity_));
  if (!snap.recent.empty()) snap.deleted = store_.deleted_after(s.id, snap.recent.front().id);
  snap.badges = store_.list_badges(s.id);
  snap.sanctions = store_.list_sanctions(s.id);
  snap.terms = store_.list_blocked_terms(s.id);
  snap.pinned = pinned_message(store_, s.id);
  if (auto polls = store_.list_polls(s.id, 1); !polls.empty() && polls.front().open_at(now_millis()))
    snap.poll_now = std::make_shared<const poll>(std::move(polls.front()));
  auto r = std::make_shared<room>(std::move(snap), ring_capacity_, broker_);
  fill_stats(s.id, r->stats());
  r->finish_loading(last_created_at);
  return r;
}

// The baseline of the pruned messages (retention), then every message left.
// A prune batch that commits between the two reads changes the baseline: the
// figures are then read again, so no message is missed (record() skips the
// ones a baseline already holds).
void room_registry::fill_stats(const std::string& stream_id, stream_stats& stats) {
  constexpr int attempts = 5;
  for (int i = 0; i < attempts; ++i) {
    const auto baseline = store_.stats_baseline(stream_id);
    if (baseline && !stats.restore(*baseline))
      spdlog::error("room {}: its statistics baseline could not be read", stream_id);
    store_.scan_messages(stream_id, [&stats](const message& m) { stats.record(m); });
    if (store_.stats_baseline(stream_id) == baseline) return;
  }
  spdlog::warn("room {}: retention kept pruning while it opened; its figures may miss a batch", stream_id);
}

// Applies the kept events, then makes the room visible, under the opening's
// mutex: an event routed meanwhile waits for it and then goes to the room.
void room_registry::finish(const stream& s, const std::shared_ptr<opening>& o, result<std::shared_ptr<room>> outcome) {
  std::lock_guard lk(o->mutex);
  if (outcome) {
    auto& r = *outcome;
    std::lock_guard ev(r->event_mutex());
    for (const auto& e : o->kept) r->apply(e);
    r->touch(now_millis());
  }
  o->kept.clear();
  {
    std::unique_lock reg(mutex_);
    if (outcome) {
      auto kept = closed_viewers_.find(s.id);
      if (kept != closed_viewers_.end()) {
        (*outcome)->stats().restore_viewers(kept->second);
        closed_viewers_.erase(kept);
      }
      rooms_[s.id] = entry{*outcome, nullptr};
      by_room_[s.room_id] = s.id;
    } else {
      rooms_.erase(s.id);
    }
  }
  o->outcome = std::move(outcome);
  o->done = true;
  o->done_cv.notify_all();
}

// ---- lookups -------------------------------------------------------------------

std::shared_ptr<room> room_registry::find(std::string_view stream_id) const {
  std::shared_lock lk(mutex_);
  auto it = rooms_.find(std::string(stream_id));
  return it == rooms_.end() ? nullptr : it->second.open;
}

std::shared_ptr<room> room_registry::find_open(std::string_view id) {
  std::shared_lock lk(mutex_);
  const entry* e = lookup(id);
  if (!e || !e->open) return nullptr;
  e->open->touch(now_millis());
  return e->open;
}

const room_registry::entry* room_registry::lookup(std::string_view id) const {
  std::string stream_id(id);
  if (is_room_id(id)) {
    auto by = by_room_.find(stream_id);
    if (by == by_room_.end()) return nullptr;
    stream_id = by->second;
  }
  auto it = rooms_.find(stream_id);
  return it == rooms_.end() ? nullptr : &it->second;
}

std::shared_ptr<room> room_registry::route(const room_event& ev) {
  std::shared_ptr<opening> o;
  {
    std::shared_lock lk(mutex_);
    auto it = rooms_.find(ev.stream_id);
    if (it == rooms_.end()) return nullptr;  // nobody here needs it; the store has it for later
    if (it->second.open) return it->second.open;
    o = it->second.loading;
  }
  std::lock_guard lk(o->mutex);
  if (!o->done) {
    o->kept.push_back(ev);
    return nullptr;
  }
  return o->outcome ? *o->outcome : nullptr;  // loaded meanwhile: the event comes after the kept ones
}

std::vector<std::shared_ptr<room>> room_registry::all() const {
  std::shared_lock lk(mutex_);
  std::vector<std::shared_ptr<room>> out;
  out.reserve(rooms_.size());
  for (const auto& [id, e] : rooms_)
    if (e.open) out.push_back(e.open);
  return out;
}

std::size_t room_registry::size() const {
  std::shared_lock lk(mutex_);
  return rooms_.size();
}

// ---- closing -------------------------------------------------------------------

std::size_t room_registry::close_idle(millis now, millis idle_ms) {
  std::vector<std::shared_ptr<room>> closed;  // destroyed after the lock is released
  {
    std::unique_lock lk(mutex_);
    for (auto it = rooms_.begin(); it != rooms_.end();) {
      const auto& r = it->second.open;
      // use_count: under the exclusive lock nobody can copy the registry's
      // reference, so 1 means no session, request or commit holds the room.
      if (!r || r.use_count() != 1 || now - r->last_active() < idle_ms) {
        ++it;
        continue;
      }
      if (auto v = r->stats().viewers(); v.peak > 0) closed_viewers_[it->first] = std::move(v);
      by_room_.erase(r->info().room_id);
      closed.push_back(r);
      it = rooms_.erase(it);
    }
    if (!closed.empty()) {  // the tables' bucket arrays shrink with them
      rooms_.rehash(0);
      by_room_.rehash(0);
    }
  }
  if (broker_)
    for (const auto& r : closed) broker_->unsubscribe(r->stream_id());
  return closed.size();
}

std::int64_t room_registry::viewers(std::string_view stream_id) const {
  if (auto r = find(stream_id)) return r->viewer_total();
  return broker_ ? broker_->viewers_elsewhere(std::string(stream_id)) : 0;
}

}  // namespace sorak
