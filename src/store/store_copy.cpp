#include "store/store_copy.hpp"

#include <algorithm>
#include <atomic>
#include <climits>
#include <map>
#include <mutex>

namespace sorak {

namespace {

// Messages are appended without waiting for each commit; every this many the
// copy waits for the destination to catch up, so its queue stays bounded.
constexpr std::int64_t flush_every = 20'000;

// The first append failure, or a message numbered differently than in the
// source (the destination must not reorder a stream).
class append_errors {
 public:
  // `seq`: the message's number in the source (0: not numbered there).
  void note(std::int64_t seq, const result<message>& stored) {
    if (stored && (seq == 0 || stored->seq == seq)) return;
    std::lock_guard lk(mutex_);
    if (first_) return;
    first_ = stored ? error(errc::internal, "message " + stored->id + " came out as number " +
                                                std::to_string(stored->seq) + " instead of " + std::to_string(seq))
                    : stored.err();
  }
  std::optional<error> first() {
    std::lock_guard lk(mutex_);
    return first_;
  }

 private:
  std::mutex mutex_;
  std::optional<error> first_;
};

result<std::int64_t> copy_messages(store& from, store& to, const stream& s) {
  append_errors errors;
  std::int64_t n = 0;
  from.scan_messages(s.id, [&](const message& m) {
    to.append(m, [&errors, seq = m.seq](result<message> stored) { errors.note(seq, stored); });
    if (++n % flush_every == 0) to.flush();
  });
  to.flush();
  if (auto e = errors.first()) return *e;
  return n;
}

status copy_moderation(store& from, store& to, const stream& s, copy_counts& counts) {
  for (const auto& g : from.list_badges(s.id)) {
    if (auto r = to.grant_badge(g); !r) return r.err();
    ++counts.badges;
  }
  for (const auto& x : from.list_sanctions(s.id)) {
    if (auto r = to.put_sanction(x); !r) return r;
    ++counts.sanctions;
  }
  for (const auto& t : from.list_blocked_terms(s.id)) {
    if (auto r = to.add_blocked_term(t); !r) return r.err();
    ++counts.blocked_terms;
  }
  auto polls = from.list_polls(s.id, INT_MAX);  // newest first
  for (auto it = polls.rbegin(); it != polls.rend(); ++it) {
    const auto votes = from.list_votes(s.id, it->id);
    if (auto r = to.import_poll(*it, votes); !r) return r;
    ++counts.polls;
    counts.votes += static_cast<std::int64_t>(votes.size());
  }
  if (auto pin = from.get_pin(s.id)) {
    if (auto r = to.put_pin(*pin); !r) return r;
    ++counts.pins;
  }
  auto log = from.moderation_log(s.id, INT_MAX);  // newest first
  for (auto it = log.rbegin(); it != log.rend(); ++it) {
    if (auto r = to.log_action(*it); !r) return r;
    ++counts.actions;
  }
  return ok_value;
}

}  // namespace

result<copy_counts> copy_store(store& from, store& to, const std::function<void(const std::string&)>& progress) {
  if (!to.list_streams(std::nullopt).empty())
    return error(errc::invalid_store, "the destination store already holds streams; copy into an empty one");
  copy_counts counts;
  from.flush();
  for (const auto& u : from.list_users()) {
    to.remember_user(u);
    ++counts.users;
  }
  auto streams = from.list_streams(std::nullopt);  // newest first
  std::reverse(streams.begin(), streams.end());
  std::map<std::string, stream_baseline> baselines;
  for (auto& b : from.list_baselines()) baselines.emplace(b.stream_id, std::move(b));
  for (const auto& s : streams) {
    if (auto r = to.import_stream(s); !r) return r.err();
    // Before its messages: they are numbered on from the pruned ones.
    if (auto b = baselines.find(s.id); b != baselines.end()) {
      if (auto r = to.import_baseline(b->second); !r) return r.err();
      ++counts.baselines;
    }
    auto n = copy_messages(from, to, s);
    if (!n) return n.err();
    if (auto r = copy_moderation(from, to, s, counts); !r) return r.err();
    ++counts.streams;
    counts.messages += *n;
    if (progress) progress("stream " + s.id + " (room " + s.room_id + "): " + std::to_string(*n) + " messages");
  }
  for (const auto& k : from.list_api_keys()) {
    if (auto r = to.put_api_key(k); !r) return r.err();
    ++counts.api_keys;
  }
  // Webhooks with their secrets, so receivers keep verifying; not the delivery log.
  for (const auto& w : from.list_webhooks()) {
    if (auto r = to.create_webhook(w); !r) return r.err();
    ++counts.webhooks;
  }
  to.flush();
  return counts;
}

}  // namespace sorak
