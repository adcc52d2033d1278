#include "net/audience.hpp"

#include <algorithm>

#include "core/metrics.hpp"
#include "protocol/ws_deflate.hpp"

namespace sorak {

audience::audience(std::shared_ptr<room> r, std::size_t worker_count)
    : room_(std::move(r)), locals_(new local_list[worker_count]) {}

// ---- viewers -------------------------------------------------------------------

void audience::add_viewer(std::size_t w, viewer* v) {
  v->room_slot = locals_[w].list.size();
  v->round_offset = locals_[w].round.size();  // events before it joined are not its
  locals_[w].list.push_back(v);
  locals_[w].count.fetch_add(1, std::memory_order_acq_rel);
  total_.fetch_add(1, std::memory_order_relaxed);
  room_->viewers_here().fetch_add(1, std::memory_order_relaxed);
}

void audience::remove_viewer(std::size_t w, viewer* v) {
  auto& list = locals_[w].list;
  const std::size_t i = v->room_slot;
  if (i >= list.size() || list[i] != v) return;  // not here (left already, or another worker)
  list[i] = list.back();
  list[i]->room_slot = i;
  list.pop_back();
  locals_[w].count.fetch_sub(1, std::memory_order_acq_rel);
  total_.fetch_sub(1, std::memory_order_relaxed);
  room_->viewers_here().fetch_sub(1, std::memory_order_relaxed);
}

// ---- rounds --------------------------------------------------------------------

bool audience::append_to_round(std::size_t w, std::string_view frame, std::uint64_t seq,
                               std::shared_ptr<const message> chat) {
  auto& local = locals_[w];
  const bool was_empty = local.round_marks.empty();
  local.round.append(frame);
  local.round_marks.push_back({seq, local.round.size(), std::move(chat)});
  return was_empty;
}

void audience::seal_round(std::size_t w) {
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

std::string_view audience::take_round_tail(std::size_t w, viewer* v, std::uint64_t history_seq, std::size_t& events) {
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

frame_bytes sealed_round::essentials(std::size_t start, std::vector<const round_mark*>& dropped, bool deflate) const {
  dropped.clear();
  const std::string& from_bytes = deflate ? *deflated() : *bytes;
  const int which = deflate ? 1 : 0;
  std::string kept;
  std::size_t begin = 0;
  for (std::size_t i = 0; i < marks.size(); ++i) {
    const round_mark& m = marks[i];
    const std::size_t from = begin;
    begin = deflate ? deflated_ends_[i] : m.end;
    if (m.end <= start) continue;
    if (m.chat) {
      dropped.push_back(&m);
    } else if (start != 0 || !essentials_made_[which]) {
      kept.append(from_bytes, from, begin - from);
    }
  }
  if (start != 0) return kept.empty() ? nullptr : std::make_shared<const std::string>(std::move(kept));
  if (!essentials_made_[which]) {
    essentials_made_[which] = true;
    if (!kept.empty()) essentials_[which] = std::make_shared<const std::string>(std::move(kept));
  }
  return essentials_[which];
}

namespace {
// The payload of the server frame at the front of `frame` (unmasked, as every
// frame of a round is: protocol/ws_frame.hpp).
std::string_view frame_payload(std::string_view frame) {
  const std::uint8_t len = static_cast<std::uint8_t>(frame[1]) & 0x7F;
  return frame.substr(len < 126 ? 2 : len == 126 ? 4 : 10);
}

// A round's frames deflated (one way or the other): the deflate metrics.
void count_deflated(std::int64_t frames, std::size_t bytes_in, std::size_t bytes_out) {
  metrics::local().ws_frames_deflated.add(frames);
  metrics::local().ws_deflate_bytes_in.add(static_cast<std::int64_t>(bytes_in));
  metrics::local().ws_deflate_bytes_out.add(static_cast<std::int64_t>(bytes_out));
}
}  // namespace

const frame_bytes& sealed_round::deflated() const {
  if (deflated_) return deflated_;
  std::string out;
  out.reserve(bytes->size());
  deflated_ends_.reserve(marks.size());
  std::size_t begin = 0;
  std::int64_t made = 0;
  for (const round_mark& m : marks) {
    if (append_deflated_text_frame(out, frame_payload(std::string_view(*bytes).substr(begin, m.end - begin)))) ++made;
    deflated_ends_.push_back(out.size());
    begin = m.end;
  }
  count_deflated(made, bytes->size(), out.size());
  deflated_ = std::make_shared<const std::string>(std::move(out));
  return deflated_;
}

const frame_bytes& sealed_round::chained() const {
  if (chained_) return chained_;
  thread_local deflate_chain chain;
  chain.begin();
  std::string out;
  out.reserve(bytes->size() / 2);
  std::size_t begin = 0;
  for (const round_mark& m : marks) {
    chain.append_text_frame(out, frame_payload(std::string_view(*bytes).substr(begin, m.end - begin)));
    begin = m.end;
  }
  count_deflated(static_cast<std::int64_t>(marks.size()), bytes->size(), out.size());
  chained_ = std::make_shared<const std::string>(std::move(out));
  return chained_;
}

std::size_t sealed_round::deflated_offset(std::size_t start) const {
  if (start == 0) return 0;
  const auto it = std::lower_bound(marks.begin(), marks.end(), start,
                                   [](const round_mark& m, std::size_t at) { return m.end < at; });
  deflated();
  return it == marks.end() ? deflated_->size() : deflated_ends_[static_cast<std::size_t>(it - marks.begin())];
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
