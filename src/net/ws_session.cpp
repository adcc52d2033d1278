#include "net/ws_session.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "app/services.hpp"
#include "core/clock.hpp"
#include "core/log_text.hpp"
#include "core/metrics.hpp"
#include "core/utf8.hpp"
#include "net/tls.hpp"
#include "net/worker_pool.hpp"
#include "protocol/events.hpp"
#include "protocol/json_codec.hpp"
#include "protocol/ws_frame.hpp"

namespace sorak {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {
constexpr int max_read_rounds = 8;
constexpr millis close_linger_ms = 5000;
// A connection refused this many times in a row by the rate limit is flooding.
int flood_threshold(const rate_limit& l) { return std::max(10, 2 * l.messages); }

const frame_bytes& ping_frame() {
  static const frame_bytes f = std::make_shared<const std::string>(encode_frame(ws_opcode::ping, {}));
  return f;
}
}  // namespace

ws_session::ws_session(asio::ip::tcp::socket socket, worker& w, services& svc, ip_slot slot)
    : socket_(std::move(socket)), slot_(std::move(slot)), worker_(w), svc_(svc) {}

ws_session::ws_session(std::unique_ptr<tls_transport> tls, worker& w, services& svc, ip_slot slot)
    : socket_(w.ioc), tls_(std::move(tls)), slot_(std::move(slot)), worker_(w), svc_(svc) {}

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
  partial_.assign(leftover);
  if (!join(target)) return;
  send_history(target);
  // Frames may already wait in `leftover`: parse them first. Bytes already in
  // the socket are reported by the wait (do_read re-arms the descriptor).
  if (partial_.empty()) return do_read();
  reading_ = true;
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    self->reading_ = false;
    if (self->tls_)
      self->on_tls_read(0);
    else
      self->on_readable();
  });
}

bool ws_session::join(const ws_target& target) {
  auto who = svc_.tokens.verify(target.token);
  if (!who) {
    close(close_code::unauthorized, who.err().message);
    return false;
  }
  who_ = std::move(*who);
  auto r = svc_.rooms.open(target.stream);
  if (!r) {
    close(close_code::unknown_stream, "Unknown stream");
    return false;
  }
  room_ = std::move(*r);
  spdlog::debug("ws: join user={} stream={}", log_quoted(who_.user.id), room_->stream_id());
  svc_.st.remember_user(who_.user);
  return true;
}

void ws_session::send_history(const ws_target& target) {
  // Register before the snapshot: any event recorded after the snapshot is
  // then delivered, and events up to snapshot.seq are skipped as duplicates.
  room_->add_viewer(worker_.index, this);
  in_room_ = true;
  std::optional<bool> recovered;
  history_snapshot snap;
  if (target.since) {
    snap = room_->after(*target.since, svc_.config.recovery_max);
    if (!snap.found) {
      // Older than the ring (or unknown): ask the store once.
      auto older = svc_.st.after(room_->stream_id(), *target.since, static_cast<int>(svc_.config.recovery_max) + 1);
      auto ring = room_->latest(svc_.config.ring_capacity);
      const auto oldest_ring = room_->oldest_recent();
      if (older && older->size() <= svc_.config.recovery_max) {
        snap = history_snapshot{};
        snap.seq = ring.seq;
        for (const auto& m : *older) {
          if (oldest_ring && m.created_at >= *oldest_ring) break;  // the ring has it
          snap.message_events.push_back(std::make_shared<const std::string>(message_event(encode_message(m))));
        }
        for (auto& e : ring.message_events) snap.message_events.push_back(std::move(e));
        if (snap.message_events.size() > svc_.config.recovery_max) snap.found = false;
      }
    }
    recovered = snap.found;
    if (!snap.found) snap = room_->latest(svc_.config.history_on_connect);
    history_seq_ = snap.seq;
    enqueue(std::make_shared<const std::string>(encode_frame(ws_opcode::text, history_event(snap.message_events, recovered))));
  } else {
    // The plain history frame is the same for everyone who connects before
    // the next room event: built once, queued by every new viewer. A cached
    // frame is used only when its seq is the room's current one (read after
    // add_viewer), so nothing between the snapshot and the registration is missed.
    const std::size_t n = svc_.config.history_on_connect;
    auto view = room_->cached(room::view::connect_history, n, [&] {
      auto latest = room_->latest(n);
      return room::cached_view{make_text_frame(history_event(latest.message_events, std::nullopt)), latest.seq};
    });
    history_seq_ = view.seq;
    enqueue(std::move(view.body));
  }
  last_viewer_count_ = room_->viewer_total();
  send_json(viewer_count_event(last_viewer_count_));
  if (room_->ended()) send_json(stream_status_event(stream_status::ended));
}

// ---- delivery ------------------------------------------------------------------

void ws_session::deliver_round(const sealed_round& round) {
  const std::size_t start = round.start_for(round_offset, history_seq_);
  if (state_ != state::open || start >= round.bytes->size() || cut_if_slow()) return;
  metrics::local().deliveries.add(static_cast<std::int64_t>(round.events_from(start)));
  // Usually the whole round, shared; a viewer that joined or caught up
  // mid-round (take_round_tail) gets its own copy of the rest.
  push(start == 0 ? round.bytes : std::make_shared<const std::string>(round.bytes->substr(start)));
}

// A live event finding more than max_queue_bytes waiting is not queued: the
// viewer is cut off instead, so nobody waits for a slow reader.
bool ws_session::cut_if_slow() {
  if (queued_bytes_ <= svc_.config.max_queue_bytes) return false;
  spdlog::info("ws: slow consumer cut user={} stream={} queued={}", log_quoted(who_.user.id), room_->stream_id(),
               queued_bytes_);
  metrics::local().slow_consumers_cut.add();
  drop_unsent();
  close(close_code::policy, "slow consumer");
  return true;
}

void ws_session::deliver_viewer_count(const frame_bytes& frame, std::int64_t count) {
  if (state_ != state::open || count == last_viewer_count_ || cut_if_slow()) return;
  last_viewer_count_ = count;
  metrics::local().deliveries.add();
  push(frame);  // a snapshot: no need to wait for, or to follow, the open round
}

void ws_session::send_json(std::string json) {
  if (state_ != state::open) return;
  enqueue(std::make_shared<const std::string>(encode_frame(ws_opcode::text, json)));
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
// open round this viewer has not queued yet.
void ws_session::catch_up_round() {
  if (!in_room_) return;
  std::size_t events = 0;
  const std::string_view tail = room_->take_round_tail(worker_.index, this, history_seq_, events);
  if (tail.empty() || state_ != state::open) return;
  metrics::local().deliveries.add(static_cast<std::int64_t>(events));
  push(std::make_shared<const std::string>(tail));
}

void ws_session::push(frame_bytes frame) {
  queued_bytes_ += frame->size();
  pending_.push_back(std::move(frame));
  if (writing_ || flush_scheduled_ || state_ == state::finished) return;
  flush_scheduled_ = true;
  worker_.schedule_flush(shared_from_this());
}

void ws_session::flush() {
  if (begin_flush()) do_write();
}

bool ws_session::begin_flush() {
  flush_scheduled_ = false;
  return !writing_ && !pending_.empty() && state_ != state::finished;
}

int ws_session::native_fd() { return socket_.native_handle(); }

std::size_t ws_session::gather(iovec* iov, std::size_t max) const {
  std::size_t count = 0;
  for (std::size_t i = pending_head_; i < pending_.size() && count < max; ++i, ++count) {
    const std::string& f = *pending_[i];
    const std::size_t skip = count == 0 ? head_offset_ : 0;
    iov[count] = {const_cast<char*>(f.data()) + skip, f.size() - skip};
  }
  return count;
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
  // Pop what went out whole; remember how far into the next frame it got.
  std::size_t left = static_cast<std::size_t>(n);
  queued_bytes_ -= std::min(queued_bytes_, left);
  while (left > 0) {
    const std::size_t rest = pending_[pending_head_]->size() - head_offset_;
    if (left < rest) {
      head_offset_ += left;
      break;
    }
    left -= rest;
    head_offset_ = 0;
    pending_[pending_head_++].reset();
  }
  if (head_offset_ > 0) {  // the socket took less than offered
    wait_writable();
    return false;
  }
  if (pending_head_ >= pending_.size()) {
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
  if (pending_head_ >= pending_.size()) return on_written_all();
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
  compact_pending();
  auto& out = tls_->out;
  out.clear();
  while (pending_head_ < pending_.size() && out.size() < max_write) {
    out.append(*pending_[pending_head_]);
    pending_[pending_head_++].reset();
  }
  if (out.empty()) {
    if (out.capacity() > 4096) out.shrink_to_fit();
    return on_written_all();
  }
  writing_ = true;
  asio::async_write(tls_->stream, asio::buffer(out), [self = shared_from_this()](const error_code& ec, std::size_t n) {
    self->writing_ = false;
    self->queued_bytes_ -= std::min(self->queued_bytes_, n);
    if (ec || self->state_ == state::finished) return self->finish();
    self->do_write();
  });
}

void ws_session::compact_pending() {
  if (pending_head_ >= 64 && pending_head_ * 2 >= pending_.size()) {  // keep a slow reader's queue compact
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(pending_head_));
    pending_head_ = 0;
  }
}

void ws_session::wait_writable() {
  compact_pending();
  writing_ = true;
  socket_.async_wait(asio::ip::tcp::socket::wait_write, [self = shared_from_this()](const error_code& ec) {
    self->writing_ = false;
    if (ec || self->state_ == state::finished) return self->finish();
    self->do_write();
  });
}

void ws_session::on_written_all() {
  pending_.clear();
  pending_head_ = 0;
  queued_bytes_ = 0;
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
    room_->take_round_tail(worker_.index, this, history_seq_, events);
  }
  const std::size_t keep = pending_head_ + (head_offset_ > 0 ? 1 : 0);
  pending_.resize(std::max(keep, pending_head_));
  queued_bytes_ = head_offset_ > 0 ? pending_[pending_head_]->size() - head_offset_ : 0;
  if (tls_ && writing_) queued_bytes_ += tls_->out.size();  // the SSL write in flight
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
// is copied into the session's own `partial_`, so an idle connection holds no
// read buffer at all.
void ws_session::on_readable() {
  auto& scratch = worker_.read_buffer;
  for (int round = 0; round < max_read_rounds; ++round) {
    if (state_ == state::finished) return;
    const std::size_t have = partial_.size();
    std::memcpy(scratch.data(), partial_.data(), have);
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
      const std::size_t used = parse_frames(scratch.data(), total);
      if (state_ == state::finished) return;
      // Only whole frames count as life: a client trickling one frame byte
      // by byte (a WebSocket slowloris) still meets the idle timeout.
      if (used > 0) last_received_ = now_millis();
      partial_.assign(scratch.data() + used, total - used);
      if (partial_.empty()) partial_.shrink_to_fit();
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
  const std::size_t have = partial_.size();
  std::memcpy(scratch.data(), partial_.data(), have);
  std::memcpy(scratch.data() + have, tls_->read_buffer.data(), n);
  const std::size_t used = parse_frames(scratch.data(), have + n);
  if (state_ == state::finished) return;
  if (used > 0) last_received_ = now_millis();  // whole frames only, as on_readable
  partial_.assign(scratch.data() + used, have + n - used);
  if (partial_.empty()) partial_.shrink_to_fit();
  do_read();
}

std::size_t ws_session::parse_frames(char* data, std::size_t size) {
  std::size_t pos = 0;
  while (state_ != state::finished) {
    ws_frame_header h;
    auto r = parse_frame_header(reinterpret_cast<const std::uint8_t*>(data + pos), size - pos,
                                svc_.config.max_frame_bytes, h);
    if (r == ws_parse::incomplete) break;
    if (r == ws_parse::too_big) {
      close(close_code::too_big, "frame too large");
      return size;
    }
    if (r == ws_parse::protocol_error) {
      close(close_code::protocol_error, "protocol error");
      return size;
    }
    const std::size_t total = h.header_length + h.payload_length;
    if (size - pos < total) break;
    char* payload = data + pos + h.header_length;
    unmask_payload(payload, h.payload_length, h.mask);
    pos += total;
    on_frame(h.opcode, std::string_view(payload, h.payload_length), h.fin);  // closing: only a close frame counts
  }
  return state_ == state::open || state_ == state::closing ? pos : size;
}

void ws_session::on_frame(ws_opcode op, std::string_view payload, bool fin) {
  switch (op) {
    case ws_opcode::ping:
      if (state_ == state::open) enqueue(std::make_shared<const std::string>(encode_frame(ws_opcode::pong, payload)));
      return;
    case ws_opcode::pong:
      return;
    case ws_opcode::close: {
      peer_closed_ = true;
      if (state_ == state::open) {
        // Echo the peer's code (none: 1000). RFC 6455 §7.4: a one-byte body
        // or a code no endpoint may send is a protocol error, a reason that is
        // not UTF-8 is invalid data.
        std::uint16_t code = close_code::normal;
        if (payload.size() >= 2) code = static_cast<std::uint16_t>((std::uint8_t(payload[0]) << 8) | std::uint8_t(payload[1]));
        const bool sendable = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
        if (payload.size() == 1 || !sendable) code = close_code::protocol_error;
        else if (payload.size() > 2 && !is_valid_utf8(payload.substr(2))) code = close_code::invalid_payload;
        close(code, "");
      } else if (close_sent_) {
        finish();
      }
      return;
    }
    default:
      break;
  }
  if (state_ != state::open) return;  // closing: data frames are dropped
  if (op == ws_opcode::continuation) {
    if (!fragment_op_) {
      close(close_code::protocol_error, "unexpected continuation frame");
      return;
    }
  } else if (fragment_op_) {
    close(close_code::protocol_error, "expected a continuation frame");
    return;
  } else {
    fragment_op_ = op;
    fragments_.clear();
  }
  if (fragments_.size() + payload.size() > svc_.config.max_frame_bytes) {
    close(close_code::too_big, "message too large");
    return;
  }
  if (!fin && fragments_.empty() && op != ws_opcode::continuation) {
    fragments_.assign(payload);
    return;
  }
  std::string_view whole = payload;
  if (!fragments_.empty() || !fin) {
    fragments_.append(payload);
    if (!fin) return;
    whole = fragments_;
  }
  const ws_opcode message_op = *fragment_op_;
  fragment_op_.reset();
  if (message_op == ws_opcode::binary) {
    send_error(error::bad_request("invalid_format", "Binary frames are not accepted; send JSON text"));
  } else if (!is_valid_utf8(whole)) {
    close(close_code::invalid_payload, "text is not valid UTF-8");
    return;
  } else {
    on_message(whole);
  }
  fragments_.clear();
  if (fragments_.capacity() > 1024) fragments_.shrink_to_fit();
}

// ---- chat events -----------------------------------------------------------------

void ws_session::on_message(std::string_view text) {
  auto ev = decode_client_event(text);
  if (!ev) return send_error(ev.err());
  if (std::holds_alternative<client_ping>(*ev)) return send_json(pong_event());
  if (auto* chat = std::get_if<client_chat>(&*ev)) return on_chat(std::move(*chat));
  if (auto* gift = std::get_if<client_gift>(&*ev)) return on_chat(as_chat(std::move(*gift)));
}

void ws_session::on_chat(client_chat chat) {
  if (svc_.shutting_down.load()) return send_error(error::unavailable("The server is shutting down; send again after reconnecting"));
  std::string client_id = chat.client_id;
  auto weak = weak_from_this();
  auto executor = socket_.get_executor();
  auto on_stored = [weak, executor, client_id](const result<ack_info>& r) {
    asio::post(executor, [weak, client_id, r] {
      if (auto self = weak.lock()) self->on_stored(client_id, r);
    });
  };
  auto s = svc_.chat.send_chat(*room_, who_, std::move(chat), std::move(on_stored));
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
  if (!r) return send_error(error{500, "internal", "The message could not be stored; send it again"});
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
  if (!room_) return;
  room_->remove_viewer(worker_.index, this);
  in_room_ = false;
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
