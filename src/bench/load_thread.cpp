#include "bench/load_thread.hpp"

#include <algorithm>
#include <chrono>

#include "bench/platform_plan.hpp"

namespace sorak::bench {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr auto send_tick = std::chrono::milliseconds(1);
// Open-loop connecting: a wake-up starts every connection due within this
// much, rather than one timer per connection (at 12 k/s a timerfd re-arm and
// an epoll wake every 83 µs cost the generator ~8 % of its CPU). One started
// before its time counts from its actual start, one started late from its
// schedule, so no connection is reported faster than it was.
constexpr std::int64_t pace_batch_ns = 1'000'000;

}  // namespace

load_thread::load_thread(const load_settings& s, const std::vector<sockaddr_in>& peers)
    : settings_(s),
      work_(io_.get_executor()),
      sockets_(io_, s, peers, *this),
      wire_(s, *this),
      tick_(io_),
      pace_(io_) {
  tally_.plan_bands(s.bands);
  sends_.set_weighted(s.weighted);
}

connection& load_thread::add(conn_spec spec, std::uint32_t sender_ordinal) {
  conns_.push_back(std::make_unique<connection>());
  connection& c = *conns_.back();
  c.role = spec.role;
  c.node = spec.node;
  c.opening = std::move(spec.opening);
  c.sender_ordinal = sender_ordinal;
  c.stream = spec.stream;
  c.band = spec.band;
  c.weight = spec.weight;
  return c;
}

void load_thread::start() {
  sockets_.start();
  thread_ = std::thread([this] { io_.run(); });
}

void load_thread::join() {
  if (!thread_.joinable()) return;
  work_.reset();
  io_.stop();
  thread_.join();
}

// ==== called through post() from the driver ====================================

void load_thread::open(std::vector<connection*> group, std::uint32_t limit, double rate) {
  opens_.begin(std::move(group), limit, rate, now_ns());
  start_more();
  tally_.publish();
}

void load_thread::abandon() {
  opens_.stop();  // settle() must not start the rest
  pace_.cancel();
  while (connection* c = opens_.take_any()) failed(*c, "not started before the connect timeout");
  for (auto& c : conns_) {
    if (c->state != phase::waiting && c->state != phase::ready && c->state != phase::closed) {
      failed(*c, "timed out before it was ready");
    }
  }
  tally_.publish();
}

void load_thread::start_sending(std::uint64_t quota, std::int64_t start_ns, std::int64_t duration_ns) {
  sends_.begin(quota, start_ns, duration_ns);
  on_tick();
}

void load_thread::start_closed_loop(std::uint32_t window, std::int64_t end_ns) {
  window_ = window;
  loop_end_ns_ = end_ns;
  const std::int64_t now = now_ns();
  for (connection* s : sends_.senders()) {
    if (s->state != phase::ready) continue;
    while (s->in_flight < window_) issue_one(*s, now);
    sockets_.flush(*s);
  }
  tally_.publish();
}

void load_thread::resume_stalled() {
  for (auto& c : conns_) {
    if (c->role != conn_role::stalled || c->state != phase::ready || c->reading) continue;
    sockets_.resume(*c);
  }
  tally_.publish();
}

// One still opening leaves as soon as it is ready (joined()), so every leave
// asked for happens.
void load_thread::leave(connection& c) {
  if (c.role == conn_role::sender || c.state == phase::closed) return;
  if (c.state != phase::ready) {
    c.leaving = true;
    return;
  }
  c.state = phase::closed;
  c.left_ns = now_ns();
  load_io::close_socket(c);
  release(c);
  tally_.left(c.role);
  tally_.publish();
}

void load_thread::collect(load_totals& t) const {
  tally_.collect(t);
  if (settings_.gift_share <= 0 && !settings_.trace_deletions) return;
  for (const auto& c : conns_) {
    if (c->role == conn_role::sender || c->joined_ns == 0) continue;
    t.sessions.push_back(viewer_session{c->stream, c->joined_ns, c->left_ns, c->gifts, c->deletions, c->role});
  }
}

void load_thread::close_all() {
  sockets_.stop();
  tick_.cancel();
  for (auto& c : conns_) load_io::close_socket(*c);
}

// ==== connecting ================================================================

void load_thread::start_more() {
  if (starting_) return;  // failed() → settle() → start_more() while starting
  starting_ = true;
  const std::int64_t now = opens_.paced() ? now_ns() : 0;
  while (opens_.may_start()) {
    const std::int64_t due = opens_.next_due_ns();  // 0: closed loop
    if (due > now + pace_batch_ns) {
      arm_pace(due);
      break;
    }
    start_one(opens_.take(), due);
  }
  starting_ = false;
}

// Late: count from the schedule; early (within the batch): from the start.
void load_thread::start_one(connection& c, std::int64_t due) {
  sockets_.connect(c);
  if (due != 0 && c.state == phase::connecting) c.started_ns = std::min(c.started_ns, due);
}

void load_thread::arm_pace(std::int64_t due_ns) {
  if (pacing_) return;
  pacing_ = true;
  pace_.expires_after(std::chrono::nanoseconds(std::max<std::int64_t>(0, due_ns - now_ns())));
  pace_.async_wait([this](const error_code& ec) {
    pacing_ = false;
    if (!ec && !opens_.stopped()) start_more();
  });
}

void load_thread::joined(connection& c, std::int64_t now) {
  c.state = phase::ready;
  c.joined_ns = now;
  tally_.ready(c, now);
  if (c.role == conn_role::sender) sends_.add_sender(&c);
  if (c.role == conn_role::stalled) c.reading = false;
  settle();
  if (c.leaving) leave(c);
}

void load_thread::settle() {
  opens_.settled();
  start_more();
}

// ==== ending ====================================================================

// A connection that never became ready.
void load_thread::failed(connection& c, const std::string& why) {
  if (c.state == phase::closed) return;
  c.state = phase::closed;
  load_io::close_socket(c);
  release(c);
  tally_.failed(why);
  settle();
}

// A connection that ended: the server closed it, or it broke.
void load_thread::lost(connection& c, const std::string& why) {
  if (closing() || c.state == phase::closed) return;
  if (c.state != phase::ready) return failed(c, why);
  c.state = phase::closed;
  c.left_ns = now_ns();
  const std::uint32_t unsent = c.out_msgs;
  c.out_msgs = 0;
  load_io::close_socket(c);
  release(c);
  tally_.lost(c.role, unsent, why);
}

void load_thread::release(connection& c) {
  std::string().swap(c.carry);
  std::string().swap(c.out);
  std::string().swap(c.opening);
}

// In the closed loop, what the acks in this read let a sender send goes out
// in one write, before the next connection's read is handled.
std::size_t load_thread::consume(connection& c, char* d, std::size_t n, std::int64_t now) {
  const std::size_t used = wire_.consume(c, d, n, now);
  if (window_ != 0 && c.out_msgs != 0 && c.state == phase::ready) sockets_.flush(c);
  return used;
}

// ==== sending ===================================================================

void load_thread::on_tick() {
  if (closing()) return;
  const std::int64_t now = now_ns();
  issue_due(now);
  for (connection* s : sends_.senders()) {
    if (!s->out.empty()) sockets_.flush(*s);
  }
  tally_.publish();
  if (!sends_.done()) arm_tick();
}

// Appends every message due by `now`, each to the next ready sender.
void load_thread::issue_due(std::int64_t now) {
  const std::uint64_t due = sends_.due(now);
  while (sends_.issued() < due) {
    connection* s = sends_.next_sender();
    if (!s) {
      tally_.unsent(sends_.give_up());
      return;
    }
    issue_one(*s, now);
    sends_.issue();
  }
}

void load_thread::issue_one(connection& s, std::int64_t now) {
  const bool gift = is_gift_seq(s.next_seq, settings_.gift_share);
  if (gift) tally_.gift_sent();
  // ws: a relay has no gift event for the sender to see broadcast, and relays
  // whatever it is sent: the gift is owed from now (platform.cpp).
  if (gift && settings_.protocol == wire_protocol::ws) {
    tally_.gift_broadcast(s, stamp{now, s.sender_ordinal, s.next_seq, true, true});
  }
  append_message(s.out, scratch_, settings_, now, s.sender_ordinal, s.next_seq++, gift);
  ++s.out_msgs;
  if (settings_.acks) ++s.in_flight;
}

// ==== acks (ingest) =============================================================

void load_thread::ack(connection& c, std::string_view payload, std::int64_t now) {
  tally_.ack(payload, now);
  answered(c, now);
}

// A sender's error event refuses one of its messages (none is sent without
// an event to answer); other errors are only counted.
void load_thread::error_event(connection& c, std::string_view text) {
  tally_.error_event(text);
  if (settings_.acks && c.role == conn_role::sender) answered(c, now_ns());
}

// One of c's messages is answered; in the closed loop the next one is queued
// and goes out when this read is handled (consume flushes it).
void load_thread::answered(connection& c, std::int64_t now) {
  if (c.in_flight > 0) --c.in_flight;
  if (window_ == 0 || now >= loop_end_ns_ || c.state != phase::ready) return;
  while (c.in_flight < window_) issue_one(c, now);
}

void load_thread::arm_tick() {
  tick_.expires_after(send_tick);
  tick_.async_wait([this](const error_code& ec) {
    if (!ec) on_tick();
  });
}

}  // namespace sorak::bench
