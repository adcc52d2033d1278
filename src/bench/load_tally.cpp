#include "bench/load_tally.hpp"

#include <algorithm>

namespace sorak::bench {

namespace {

constexpr std::size_t order_table_limit = std::size_t{1} << 23;  // entries per thread
constexpr auto rel = std::memory_order_relaxed;

std::uint64_t elapsed(std::int64_t from, std::int64_t to) {
  return static_cast<std::uint64_t>(std::max<std::int64_t>(0, to - from));
}

}  // namespace

load_counters read_published(const published& p) {
  load_counters c;
  for (int r = 0; r < role_count; ++r) {
    c.ready[r] = p.ready[r].load(rel);
    c.open[r] = p.open[r].load(rel);
  }
  c.failed = p.failed.load(rel);
  c.delivered = p.delivered.load(rel);
  c.stalled_delivered = p.stalled_delivered.load(rel);
  c.sender_received = p.sender_received.load(rel);
  c.foreign = p.foreign.load(rel);
  c.sent = p.sent.load(rel);
  c.write_failed = p.write_failed.load(rel);
  c.unsent = p.unsent.load(rel);
  c.closed = p.closed.load(rel);
  c.stalled_cut = p.stalled_cut.load(rel);
  c.error_events = p.error_events.load(rel);
  c.out_of_order = p.out_of_order.load(rel);
  c.acked = p.acked.load(rel);
  c.viewer_bytes = p.viewer_bytes.load(rel);
  c.compressed_frames = p.compressed_frames.load(rel);
  c.left = p.left.load(rel);
  c.gifts_sent = p.gifts_sent.load(rel);
  c.gifts_read = p.gifts_read.load(rel);
  c.deletions_read = p.deletions_read.load(rel);
  c.last_delivery_ns = p.last_delivery_ns.load(rel);
  return c;
}

void load_tally::plan_order_table(const std::vector<std::unique_ptr<connection>>& conns, std::uint32_t senders) {
  senders_total_ = senders;
  std::size_t viewers = 0;
  for (auto& c : conns) viewers += c->role == conn_role::viewer;
  if (senders == 0 || viewers * senders > order_table_limit) return;  // too large: no order check
  // Sender-major: a sender's entries for the thread's viewers side by side. A
  // message reaches the viewers of its room one after another, and a room's
  // viewers were added together, so their entries share cache lines; viewer-major
  // (each viewer's senders together) took a cache miss per delivery once the
  // table outgrew the cache (platform: 10.5 k viewers × 300 senders, 12.6 MB per
  // thread; check_order was 8 % of the generator's samples).
  order_.assign(viewers * senders, 0);
  order_viewers_ = viewers;
  std::uint32_t slot = 0;
  for (auto& c : conns) {
    if (c->role != conn_role::viewer) continue;
    c->order_slot = slot++;
  }
}

void load_tally::ready(const connection& c, std::int64_t now) {
  const auto r = static_cast<int>(c.role);
  ++local_.ready[r];
  ++local_.open[r];
  connect_latency_.record(elapsed(c.started_ns, now));
}

void load_tally::failed(const std::string& why) {
  ++local_.failed;
  note_error(why);
}

void load_tally::lost(conn_role role, std::uint32_t unsent_msgs, const std::string& why) {
  local_.write_failed += unsent_msgs;
  --local_.open[static_cast<int>(role)];
  if (role == conn_role::stalled) {
    ++local_.stalled_cut;
  } else {
    ++local_.closed;
    note_error(why);
  }
  ++close_codes_[why];
}

void load_tally::left(conn_role role) {
  ++local_.left;
  --local_.open[static_cast<int>(role)];
}

void load_tally::gift_broadcast(const connection& sender, const stamp& st) {
  if (st.has_seq) gifts_broadcast_.push_back(gift_seen{sender.stream, gift_key(st.sender, st.seq), st.t_ns});
}

// A stalled viewer's messages count apart and carry no latency: they waited
// in its socket on purpose. A gift a viewer (stalled or not) reads is kept
// (its key) when it was sent after the viewer was ready: only those had to
// reach it (count_gifts, platform_plan.hpp; count_owed, event_trace.hpp).
void load_tally::sample(connection& c, const stamp& st, std::int64_t now) {
  if (st.gift) {
    ++local_.gifts_read;
    if (st.has_seq && st.t_ns >= c.joined_ns) c.gifts.push_back(gift_key(st.sender, st.seq));
  }
  if (c.role == conn_role::stalled) {
    ++local_.stalled_delivered;
    return;
  }
  ++local_.delivered;
  local_.last_delivery_ns = now;
  const std::uint64_t ns = elapsed(st.t_ns, now);
  latency_.record(ns);
  if (c.band < by_band_.size()) by_band_[c.band].record(ns);
  by_node_.record(c.node, st, ns);
  check_order(c, st);
}

void load_tally::deletion(connection& c, std::uint64_t key) {
  ++local_.deletions_read;
  c.deletions.push_back(key);
}

void load_tally::check_order(const connection& c, const stamp& st) {
  if (!st.has_seq || c.order_slot == no_slot || st.sender >= senders_total_) return;
  std::uint32_t& last = order_[std::size_t{st.sender} * order_viewers_ + c.order_slot];
  if (st.seq <= last) {
    ++local_.out_of_order;
  } else {
    last = static_cast<std::uint32_t>(st.seq);
  }
}

void load_tally::ack(std::string_view payload, std::int64_t now) {
  ++local_.acked;
  stamp st;
  if (find_ack_stamp(payload, st)) ack_latency_.record(elapsed(st.t_ns, now));
}

void load_tally::error_event(std::string_view text) {
  ++local_.error_events;
  const std::string_view code = error_code_of(text);
  auto it = error_codes_.find(code);
  if (it == error_codes_.end()) it = error_codes_.emplace(std::string(code), 0).first;
  ++it->second;
  note_error(std::string(text.substr(0, 200)));
}

void load_tally::note_error(const std::string& why) {
  if (first_error_.empty()) first_error_ = why;
}

void load_tally::publish() {
  for (int r = 0; r < role_count; ++r) {
    pub_.ready[r].store(local_.ready[r], rel);
    pub_.open[r].store(local_.open[r], rel);
  }
  pub_.failed.store(local_.failed, rel);
  pub_.delivered.store(local_.delivered, rel);
  pub_.stalled_delivered.store(local_.stalled_delivered, rel);
  pub_.sender_received.store(local_.sender_received, rel);
  pub_.foreign.store(local_.foreign, rel);
  pub_.sent.store(local_.sent, rel);
  pub_.write_failed.store(local_.write_failed, rel);
  pub_.unsent.store(local_.unsent, rel);
  pub_.closed.store(local_.closed, rel);
  pub_.stalled_cut.store(local_.stalled_cut, rel);
  pub_.error_events.store(local_.error_events, rel);
  pub_.out_of_order.store(local_.out_of_order, rel);
  pub_.acked.store(local_.acked, rel);
  pub_.viewer_bytes.store(local_.viewer_bytes, rel);
  pub_.compressed_frames.store(local_.compressed_frames, rel);
  pub_.left.store(local_.left, rel);
  pub_.gifts_sent.store(local_.gifts_sent, rel);
  pub_.gifts_read.store(local_.gifts_read, rel);
  pub_.deletions_read.store(local_.deletions_read, rel);
  pub_.last_delivery_ns.store(local_.last_delivery_ns, rel);
}

void load_tally::collect(load_totals& t) const {
  t.counters.add(local_);
  t.latency.merge(latency_);
  t.connect_latency.merge(connect_latency_);
  t.ack_latency.merge(ack_latency_);
  t.by_node.merge(by_node_);
  if (t.by_band.size() < by_band_.size()) t.by_band.resize(by_band_.size());
  for (std::size_t b = 0; b < by_band_.size(); ++b) t.by_band[b].merge(by_band_[b]);
  t.gifts_broadcast.insert(t.gifts_broadcast.end(), gifts_broadcast_.begin(), gifts_broadcast_.end());
  for (const auto& [k, v] : error_codes_) t.error_codes[k] += v;
  for (const auto& [k, v] : close_codes_) t.close_codes[k] += v;
  if (t.first_error.empty()) t.first_error = first_error_;
}

}  // namespace sorak::bench
