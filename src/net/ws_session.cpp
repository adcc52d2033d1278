#include "net/ws_session.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "net/services.hpp"
#include "core/clock.hpp"
#include "core/log_text.hpp"
#include "core/metrics.hpp"
#include "core/room_reads.hpp"
#include "net/blocking_pool.hpp"
#include "net/fanout.hpp"
#include "net/tls.hpp"
#include "net/worker_pool.hpp"
#include "protocol/events.hpp"
#include "protocol/json_codec.hpp"
#include "protocol/ws_deflate.hpp"
#include "protocol/ws_frame.hpp"

namespace sorak {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {
constexpr int max_read_rounds = 8;
constexpr millis close_linger_ms = 5000;
// A connection refused this many times in a row by the rate limit is flooding.
int flood_threshold(const rate_limit& l) { return std::max(10, 2 * l.messages); }

std::uint32_t message_limit(const server_config& c) {
  return static_cast<std::uint32_t>(std::min<std::size_t>(c.max_frame_bytes, UINT32_MAX));
}

const frame_bytes& ping_frame() {
  static const frame_bytes f = std::make_shared<const std::string>(encode_frame(ws_opcode::ping, {}));
  return f;
}
}  // namespace

ws_session::ws_session(asio::ip::tcp::socket socket, worker& w, services& svc, ip_slot slot)
    : socket_(std::move(socket)),
      slot_(std::move(slot)),
      worker_(w),
      svc_(svc),
      reader_(message_limit(svc.config)) {}

ws_session::ws_session(std::unique_ptr<tls_transport> tls, worker& w, services& svc, ip_slot slot)
    : socket_(w.ioc),
      tls_(std::move(tls)),
      slot_(std::move(slot)),
      worker_(w),
      svc_(svc),
      reader_(message_limit(svc.config)) {}

asio::ip::tcp::socket& ws_session::tcp_socket() { return tls_ ? tls_->stream.next_layer().socket() : socket_; }

ws_session::~ws_session() {
  leave_room();
  if (state_ != state::finished) worker_.remove_session(this);
}

// ---- joining -------------------------------------------------------------------

void ws_session::start(std::string handshake, std::string_view leftover, ws_target target) {
  last_received_ = last_ping_ = now_millis();
  worker_.add_session(this);
  // TCP_NODELAY and the send buffer size come from the listening socket.
  enqueue(std::make_shared<const std::string>(std::move(handshake)));
  if (target.deflate) {
    deflate_ = true;
    chain_ = target.deflate_chain;
    reader_.accept_deflate();
    metrics::local().ws_deflate_sessions.add();
  }
  reader_.hold(leftover);
  auto who = svc_.tokens.verify(target.token);
  if (!who) return close(close_code::unauthorized, who.err().message);
  who_ = std::move(*who);
  lossless_ = target.lossless;
  open_room(std::move(target));
}

// The room may have to be loaded from the store (a long stream takes a
// while), and `since=` older than the ring needs a store read: both run on
// the blocking pool, and the session carries on on its worker. Frames the
// client sends meanwhile wait in the socket. An open room whose ring can
// answer is joined at once.
void ws_session::open_room(ws_target target) {
  // The usual case: the room is open and the ring answers; no store read, no hop.
  if (auto r = svc_.rooms.find_open(target.stream); r && (!target.since || r->after(*target.since, limits().recovery_max).found))
    return on_room_open(r, target, std::nullopt);
  svc_.blocking.post([self = shared_from_this(), target = std::move(target)]() mutable {
    auto r = self->svc_.rooms.open(target.stream);
    std::optional<std::vector<message>> older;
    if (r && target.since) older = store_part_for_since(**r, self->svc_.st, *target.since, self->limits());
    asio::post(self->worker_.ioc, [self, r = std::move(r), target = std::move(target), older = std::move(older)] {
      self->on_room_open(r, target, older);
    });
  });
}

recovery_limits ws_session::limits() const { return {svc_.config.recovery_max, svc_.config.history_on_connect}; }

void ws_session::on_room_open(const result<std::shared_ptr<room>>& r, const ws_target& target,
                              const std::optional<std::vector<message>>& older) {
  if (state_ != state::open) return;
  if (!r) {
    if (r.err().id == errc::stream_not_found || r.err().id == errc::room_not_found)
      return close(close_code::unknown_stream, "Unknown stream");
    // The store did not answer (or the room could not be built): not final, the client comes back.
    spdlog::warn("ws: stream {} could not be opened: {}", log_quoted(target.stream), r.err().message);
    return close(close_code::try_again_later,
                 r.err().id == errc::store_unavailable ? "store_unavailable" : "Could not open the room");
  }
  room_ = *r;
  audience_ = svc_.fan->join(room_);
  spdlog::debug("ws: join user={} stream={}", log_quoted(who_.user.id), room_->stream_id());
  svc_.st.remember_user(who_.user);
  send_history(target, older);
  start_reading();
}

void ws_session::start_reading() {
  // Frames may already wait in `leftover`: parse them first. Bytes already in
  // the socket are reported by the wait (do_read re-arms the descriptor).
  if (reader_.held().empty()) return do_read();
  reading_ = true;
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    self->reading_ = false;
    if (self->tls_)
      self->on_tls_read(0);
    else
      self->on_readable();
  });
}

void ws_session::send_history(const ws_target& target, const std::optional<std::vector<message>>& older) {
  // Register before the snapshot: any event recorded after the snapshot is
  // then delivered, and events up to snapshot.seq are skipped as duplicates.
  audience_->add_viewer(worker_.index, this);
  in_room_ = true;
  if (target.since) {
    bool recovered = false;
    auto snap = recover_since(*room_, *target.since, older, limits(), recovered);
    history_seq_ = snap.seq;
    enqueue(text_frame(history_event(snap.message_events, recovered)));
  } else {
    // The plain history frame is the same for everyone who connects before
    // the next room event: built once, queued by every new viewer. A cached
    // frame is used only when its seq is the room's current one (read after
    // add_viewer), so nothing between the snapshot and the registration is missed.
    const std::size_t n = svc_.config.history_on_connect;
    const auto kind = deflate_ ? room::view::connect_history_deflated : room::view::connect_history;
    auto view = room_->cached(kind, n, [&] {
      auto latest = room_->latest(n);
      return room::cached_view{text_frame(history_event(latest.message_events, std::nullopt)), latest.seq};
    });
    history_seq_ = view.seq;
    enqueue(std::move(view.body));
  }
  // The pin, right after the history (CONTRACT §12). A pin changed since the
  // history's snapshot also arrives as its event: the same state, told twice.
  if (auto pinned = room_->pinned_event_json()) send_json(*pinned);
  if (auto poll = room_->open_poll_event_json()) send_json(*poll);
  last_viewer_count_ = room_->viewer_total();
  send_json(viewer_count_event(last_viewer_count_));
  if (room_->ended()) send_json(stream_status_event(stream_status::ended));
}

// ---- delivery ------------------------------------------------------------------

void ws_session::deliver_round(const sealed_round& round) {
  const std::size_t start = round.start_for(round_offset, history_seq_);
  if (state_ != state::open || start >= round.bytes->size() || cut_if_slow() || thin(round, start)) return;
  if (skipped_) tell_skipped();
  metrics::local().deliveries.add(static_cast<std::int64_t>(round.events_from(start)));
  // Usually the whole round, shared; a viewer that joined or caught up
  // mid-round (take_round_tail) gets its own copy of the rest.
  if (start == 0) return push(!deflate_ ? round.bytes : chain_ ? round.chained() : round.deflated());
  const frame_bytes& bytes = deflate_ ? round.deflated() : round.bytes;
  push(std::make_shared<const std::string>(bytes->substr(deflate_ ? round.deflated_offset(start) : start)));
}

// A live event finding more than max_queue_bytes waiting is not queued: the
// viewer is cut off instead, so nobody waits for a slow reader.
bool ws_session::cut_if_slow() {
  if (queued_bytes() <= svc_.config.max_queue_bytes) return false;
  spdlog::info("ws: slow consumer cut user={} stream={} queued={}", log_quoted(who_.user.id), room_->stream_id(),
               queued_bytes());
  metrics::local().slow_consumers_cut.add();
  drop_unsent();
  close(close_code::policy, "slow consumer");
  return true;
}

namespace {
std::size_t soft_limit(const server_config& c) {
  return c.soft_queue_bytes ? std::min(c.soft_queue_bytes, c.max_queue_bytes) : c.max_queue_bytes / 4;
}
}  // namespace

// Past the soft limit a viewer is behind, and stays behind until its queue is
// down to half of it: a link that drains in steps is not thinned and told
// `skipped` again at every step.
bool ws_session::behind() const {
  if (lossless_) return false;
  const std::size_t soft = soft_limit(svc_.config);
  return queued_bytes() > (skipped_ ? soft / 2 : soft);
}

bool ws_session::thin(const sealed_round& round, std::size_t start) {
  if (!behind()) return false;
  std::vector<const round_mark*> dropped;
  frame_bytes kept = round.essentials(start, dropped, deflate_);
  if (!dropped.empty()) {
    if (!skipped_) {
      skipped_ = std::make_unique<skipped_lines>();
      skipped_->from_id = dropped.front()->chat->id;
      metrics::local().viewers_thinned.add();
    }
    skipped_->count += static_cast<std::int64_t>(dropped.size());
    skipped_->to_id = dropped.back()->chat->id;
  }
  if (kept) {
    metrics::local().deliveries.add(static_cast<std::int64_t>(round.events_from(start) - dropped.size()));
    push(std::move(kept));
  }
  return true;
}

void ws_session::tell_skipped() {
  auto s = std::move(skipped_);
  metrics::local().chat_lines_skipped.add(s->count);
  send_json(skipped_event(s->count, s->from_id, s->to_id));
}

void ws_session::deliver_viewer_count(const frame_bytes& frame, const frame_bytes& deflated, std::int64_t count) {
  if (state_ != state::open || cut_if_slow()) return;
  if (behind()) return;  // a snapshot: the next one will do
  if (skipped_) tell_skipped();  // caught up in a quiet room: told now, not at its next line
  if (count == last_viewer_count_) return;
  last_viewer_count_ = count;
  metrics::local().deliveries.add();
  push(deflate_ ? deflated : frame);  // a snapshot: no need to wait for, or to follow, the open round
}

void ws_session::send_json(std::string json) {
  if (state_ != state::open) return;
  enqueue(text_frame(json));
}

frame_bytes ws_session::text_frame(std::string_view json) const {
  return deflate_ ? make_deflated_text_frame(json) : make_text_frame(json);
}

void ws_session::send_error(const error& e) {
  send_json(error_event(e));
}

void ws_session::enqueue(frame_bytes frame) {
  catch_up_round();
  push(std::move(frame));
}

// A frame of this session's own (an ack, an error, a pong, a close) goes
// after every room event this worker has already taken: first the part of the
// open round this viewer has not queued yet. That part goes plain even to a
// viewer with permessage-deflate (the open round has no deflated counterpart
// yet; the RFC lets each message choose), a copy on a path taken rarely.
void ws_session::catch_up_round() {
  if (!in_room_) return;
  std::size_t events = 0;
  const std::string_view tail = audience_->take_round_tail(worker_.index, this, history_seq_, events);
  if (tail.empty() || state_ != state::open) return;
  metrics::local().deliveries.add(static_cast<std::int64_t>(events));
  push(std::make_shared<const std::string>(tail));
}

void ws_session::push(frame_bytes frame) {
  queue_.push(std::move(frame));
  if (writing_ || flush_scheduled_ || state_ == state::finished) return;
  flush_scheduled_ = true;
  worker_.schedule_flush(shared_from_this());
}

void ws_session::flush() {
  if (begin_flush()) do_write();
}

bool ws_session::begin_flush() {
  flush_scheduled_ = false;
  return !writing_ && !queue_.empty() && state_ != state::finished;
}

int ws_session::native_fd() { return socket_.native_handle(); }

std::size_t ws_session::gather(iovec* iov, std::size_t max) const { return queue_.gather(iov, max); }

std::size_t ws_session::queued_bytes() const {
  return queue_.bytes() + (tls_ && writing_ ? tls_->out.size() : 0);  // the SSL write in flight
}

bool ws_session::sent(ssize_t n, int err) {
  if (n < 0) {
    if (err == EAGAIN || err == EWOULDBLOCK) {
      wait_writable();
    } else {
      finish();
    }
    return false;
  }
  queue_.consume(static_cast<std::size_t>(n));
  if (queue_.head_partly_sent()) {  // the socket took less than offered
    wait_writable();
    return false;
  }
  if (queue_.empty()) {
    on_written_all();
    return false;
  }
  return true;  // more frames queued than one call carries
}

void ws_session::sent_from_ring(int result) {
  if (state_ == state::finished) return;
  if (sent(result < 0 ? -1 : result, result < 0 ? -result : 0)) do_write();
}

void ws_session::do_write() {
  if (tls_) return write_tls();
  if (queue_.empty()) return on_written_all();
  const int fd = socket_.native_handle();
  for (;;) {
    iovec iov[max_iov];
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = gather(iov, max_iov);
    const ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (!sent(n, n < 0 ? errno : 0)) return;
  }
}

// TLS: one SSL write carries every frame queued (up to a bound), copied into
// one buffer so that the records are full (asio::ssl writes one buffer per
// record). Frames queued while it is in flight go in the next; a socket that
// does not take them keeps the write in flight, and the byte-bounded queue
// cuts the viewer exactly as on the plain path.
void ws_session::write_tls() {
  constexpr std::size_t max_write = 64 * 1024;
  queue_.compact();
  auto& out = tls_->out;
  out.clear();
  queue_.move_to(out, max_write);
  if (out.empty()) {
    if (out.capacity() > 4096) out.shrink_to_fit();
    return on_written_all();
  }
  writing_ = true;
  asio::async_write(tls_->stream, asio::buffer(out), [self = shared_from_this()](const error_code& ec, std::size_t n) {
    self->writing_ = false;  // `out` left queued_bytes() with it
    if (ec || self->state_ == state::finished) return self->finish();
    self->do_write();
  });
}

void ws_session::wait_writable() {
  queue_.compact();  // keep a slow reader's queue compact
  writing_ = true;
  socket_.async_wait(asio::ip::tcp::socket::wait_write, [self = shared_from_this()](const error_code& ec) {
    self->writing_ = false;
    if (ec || self->state_ == state::finished) return self->finish();
    self->do_write();
  });
}

void ws_session::on_written_all() {
  queue_.clear();
  if (close_queued_ && !close_sent_) {
    close_sent_ = true;  // the close frame is always the last one queued
    error_code ignored;
    tcp_socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    if (peer_closed_) finish();
  }
}

// Forgets every queued frame the peer has not started to receive, and its
// share of the room's open round; a frame already partly sent stays, so the
// stream of frames stays well formed.
void ws_session::drop_unsent() {
  if (in_room_) {
    std::size_t events = 0;
    audience_->take_round_tail(worker_.index, this, history_seq_, events);
  }
  queue_.drop_unsent();  // an SSL write in flight still counts in queued_bytes()
}

// ---- reading -------------------------------------------------------------------

void ws_session::do_read() {
  if (state_ == state::finished || reading_) return;
  reading_ = true;
  if (tls_) return read_tls();
  socket_.async_wait(asio::ip::tcp::socket::wait_read, [self = shared_from_this()](const error_code& ec) {
    self->reading_ = false;
    if (ec) return self->finish();
    self->on_readable();
  });
}

// Reads into the worker's shared buffer until the socket is drained, a few
// rounds at most so one busy client cannot starve the worker. A read that did
// not fill the buffer took everything there was, so the session waits at once
// instead of asking again for an EAGAIN: the wait re-arms the descriptor in
// the (edge-triggered) epoll set with EPOLL_CTL_MOD, which reports bytes that
// arrived in between. Only an incomplete frame
// is kept by the session's reader, so an idle connection holds no
// read buffer at all.
void ws_session::on_readable() {
  auto& scratch = worker_.read_buffer;
  for (int round = 0; round < max_read_rounds; ++round) {
    if (state_ == state::finished) return;
    const std::size_t have = reader_.held().size();
    std::memcpy(scratch.data(), reader_.held().data(), have);
    // MSG_DONTWAIT: a non-blocking read without setting the descriptor's
    // mode again (Asio made it non-blocking for the HTTP request already).
    const std::size_t space = scratch.size() - have;
    const ssize_t got = ::recv(socket_.native_handle(), scratch.data() + have, space, MSG_DONTWAIT);
    const bool would_block = got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    if (got < 0 && errno == EINTR) continue;
    if ((got < 0 && !would_block) || got == 0) return finish();
    const std::size_t n = got > 0 ? static_cast<std::size_t>(got) : 0;
    const bool drained = would_block || n < space;
    if (n > 0 || round == 0) {
      const std::size_t total = have + n;
      const std::size_t used = read_frames(scratch.data(), total);
      if (state_ == state::finished) return;
      // Only whole frames count as life: a client trickling one frame byte
      // by byte (a WebSocket slowloris) still meets the idle timeout.
      if (used > 0) last_received_ = now_millis();
    }
    if (drained) return do_read();
  }
  reading_ = true;
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    self->reading_ = false;
    self->on_readable();
  });
}

// TLS: the SSL layer may hold decrypted bytes the socket no longer shows, so
// the session reads through it (into its own buffer) rather than waiting for
// readiness, then frames what it got in the worker's buffer like plain reads.
void ws_session::read_tls() {
  tls_->stream.async_read_some(asio::buffer(tls_->read_buffer), [self = shared_from_this()](const error_code& ec, std::size_t n) {
    self->reading_ = false;
    if (ec || self->state_ == state::finished) return self->finish();
    self->on_tls_read(n);
  });
}

void ws_session::on_tls_read(std::size_t n) {
  if (state_ == state::finished) return;
  auto& scratch = worker_.read_buffer;
  const std::size_t have = reader_.held().size();
  std::memcpy(scratch.data(), reader_.held().data(), have);
  std::memcpy(scratch.data() + have, tls_->read_buffer.data(), n);
  const std::size_t used = read_frames(scratch.data(), have + n);
  if (state_ == state::finished) return;
  if (used > 0) last_received_ = now_millis();  // whole frames only, as on_readable
  do_read();
}

std::size_t ws_session::read_frames(char* data, std::size_t size) {
  std::span<char> input(data, size);
  while (state_ != state::finished) {
    const ws_event e = reader_.next(input);
    if (e.what == ws_event::kind::need_more) break;
    on_event(e);
  }
  reader_.hold(std::string_view(input.data(), input.size()));
  return size - input.size();
}

// Closing: the reader yields no more messages (close() told it), and only the
// peer's close frame counts.
void ws_session::on_event(const ws_event& e) {
  using kind = ws_event::kind;
  switch (e.what) {
    case kind::ping:
      if (state_ == state::open) enqueue(std::make_shared<const std::string>(encode_frame(ws_opcode::pong, e.data)));
      return;
    case kind::close:
      return on_peer_close(e.code);
    case kind::error:
      return close(e.code, e.data);
    case kind::binary:
      if (state_ == state::open) send_error(error(errc::invalid_format, "Binary frames are not accepted; send JSON text"));
      return;
    case kind::text:
      if (state_ == state::open) on_message(e.data);
      return;
    case kind::pong:
    case kind::need_more:
      return;
  }
}

// `code` is the peer's, or the reader's 1002 / 1007 for a malformed close frame.
void ws_session::on_peer_close(std::uint16_t code) {
  peer_closed_ = true;
  if (state_ == state::open)
    close(code, "");
  else if (close_sent_)
    finish();
}

// ---- chat events -----------------------------------------------------------------

void ws_session::on_message(std::string_view text) {
  auto ev = decode_client_event(text);
  if (!ev) return send_error(ev.err());
  if (std::holds_alternative<client_ping>(*ev)) return send_json(pong_event());
  if (auto* chat = std::get_if<client_chat>(&*ev)) return on_chat(std::move(*chat));
  if (auto* gift = std::get_if<client_gift>(&*ev)) return on_chat(as_chat(std::move(*gift)));
  if (auto* vote = std::get_if<client_vote>(&*ev)) return on_vote(std::move(*vote));
}

// A vote is a store write: it runs on the blocking pool and reports back
// here (`voted` to this viewer alone; the counts reach everyone with the next
// poll tick). A few may be in flight per connection; more are refused.
void ws_session::on_vote(client_vote vote) {
  constexpr int max_votes_in_flight = 4;
  if (votes_in_flight_ >= max_votes_in_flight)
    return send_error(error(errc::rate_limited, "Wait for the answer to your last vote"));
  ++votes_in_flight_;
  auto weak = weak_from_this();
  auto executor = socket_.get_executor();
  svc_.blocking.post([weak, executor, room = room_, who = who_, vote = std::move(vote), &chat = svc_.chat] {
    auto s = chat.vote(*room, who, vote.poll_id, vote.option);
    asio::post(executor, [weak, s, vote] {
      auto self = weak.lock();
      if (!self) return;
      --self->votes_in_flight_;
      if (self->state_ != state::open) return;
      if (!s) return self->send_error(s.err());
      self->send_json(voted_event(vote.poll_id, vote.option));
    });
  });
}

void ws_session::on_chat(client_chat chat) {
  if (svc_.shutting_down.load()) return send_error(error(errc::shutting_down, "The server is shutting down; send again after reconnecting"));
  std::string client_id = chat.client_id;
  auto weak = weak_from_this();
  auto executor = socket_.get_executor();
  auto on_stored = [weak, executor, client_id](const result<ack_info>& r) {
    asio::post(executor, [weak, client_id, r] {
      if (auto self = weak.lock()) self->on_stored(client_id, r);
    });
  };
  // A reply to a message older than the ring needs a store read to check it:
  // that send runs on the blocking pool and reports back here.
  if (chat.reply_to && !room_->find_recent(*chat.reply_to)) {
    svc_.blocking.post([weak, executor, room = room_, who = who_, chat = std::move(chat), on_stored, &chat_svc = svc_.chat]() mutable {
      auto s = chat_svc.send_chat(*room, who, std::move(chat), std::move(on_stored));
      asio::post(executor, [weak, s] {
        if (auto self = weak.lock(); self && self->state_ == state::open) self->on_sent(s);
      });
    });
    return;
  }
  on_sent(svc_.chat.send_chat(*room_, who_, std::move(chat), std::move(on_stored)));
}

void ws_session::on_sent(const status& s) {
  if (s) {
    metrics::local().messages_in.add();
    refused_in_a_row_ = 0;
    return;
  }
  if (s.err().is(errc::rate_limited)) {
    const auto& limit = svc_.chat.limit_for(who_, room_->info());
    if (++refused_in_a_row_ >= flood_threshold(limit)) {
      close(close_code::policy, "rate limit flood");
      return;
    }
  }
  send_error(s.err());
}

void ws_session::on_stored(const std::string& client_id, const result<ack_info>& r) {
  if (!r) {
    // The store being down is the client's to know (CONTRACT §13): it may
    // resend with the same client_id once the node is ready again.
    if (r.err().is(errc::store_unavailable) || r.err().is(errc::shutting_down)) return send_error(r.err());
    return send_error(error(errc::internal, "The message could not be stored; send it again"));
  }
  if (!client_id.empty()) send_json(ack_event(client_id, r->id, r->created_at));
}

// ---- closing -------------------------------------------------------------------

void ws_session::close(std::uint16_t code, std::string_view reason) {
  if (state_ != state::open) return;
  catch_up_round();  // what the worker already took goes before the close frame
  state_ = state::closing;
  spdlog::debug("ws: close user={} code={} reason={}", log_quoted(who_.user.id), code, log_quoted(reason));
  leave_room();
  close_deadline_ = now_millis() + close_linger_ms;
  close_queued_ = true;
  reader_.drop_messages();  // from now on only the peer's close frame counts
  enqueue(std::make_shared<const std::string>(encode_close(code, reason)));
  if (!reading_) do_read();  // wait for the peer's close
}

void ws_session::on_tick(millis now) {
  if (state_ == state::closing) {
    if (now >= close_deadline_) finish();
    return;
  }
  if (state_ != state::open) return;
  if (now - last_received_ >= svc_.config.idle_timeout_ms) return close(close_code::going_away, "idle timeout");
  if (now - last_ping_ >= svc_.config.ping_interval_ms) {
    last_ping_ = now;
    enqueue(ping_frame());
  }
}

void ws_session::leave_room() {
  if (!audience_) return;
  audience_->remove_viewer(worker_.index, this);
  in_room_ = false;
  audience_.reset();
  room_.reset();
}

void ws_session::finish() {
  if (state_ == state::finished) return;
  state_ = state::finished;
  leave_room();
  worker_.remove_session(this);
  error_code ignored;
  if (tls_)
    tls_->stream.next_layer().close();
  else
    socket_.close(ignored);
}

}  // namespace sorak
