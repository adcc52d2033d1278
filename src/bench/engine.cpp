// engine.cpp: the Asio side of `sorak bench`'s chat scenarios. One of
// the two translation units of the bench that include Asio (the other is
// rest.cpp).
//
// Each thread runs one io_context. Its connections are raw non-blocking TCP
// sockets kept in the thread's own epoll set, edge-triggered, and Asio waits
// on that set's descriptor: a readable socket costs one recv, a batch of them
// one re-arm, and a connection costs socket, connect, epoll_ctl, getsockopt,
// send and close (an Asio socket adds an ioctl, a poll and two more epoll_ctl
// per connection, async_wait an epoll_ctl per event, and async_receive an
// EAGAIN recv per event). Asio also runs the send timer and what the driver
// posts.
//
// Edge-triggered without reading to EAGAIN: a TCP recv that returns less
// than it was given has emptied the receive queue (tcp_recvmsg stops only
// when the queue and the socket backlog are empty), so any later byte raises
// a new edge.
//
// Batched reads (the default, --io-uring): after epoll_wait, the recv of
// every ready connection goes into one io_uring submission, each into its
// own slot of the thread's batch buffer, so a batch of 256 sockets costs one
// system call instead of 256 (see read_batch). Where io_uring is refused, or
// with --io-uring false, each ready socket is read with its own recv.
//
// Reading: bytes go into the thread's shared buffer; complete frames are
// handled in place, and only an incomplete frame at the end is copied into
// the connection's `carry`, put back in front of the next read. A frame
// larger than carry_limit is classified from its first bytes and the rest
// skipped. Writing: send() at once; what the socket does not take waits in
// `out` for the next EPOLLOUT edge.
#include "bench/engine.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <liburing.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <thread>

#include "bench/wire.hpp"

namespace sorak::bench {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr std::size_t read_buffer_size = 512 * 1024;
constexpr std::size_t carry_limit = 64 * 1024;  // larger frames are skipped past their first bytes
constexpr std::size_t head_limit = 16 * 1024;   // an upgrade response head
constexpr std::size_t irc_line_limit = 16 * 1024;
constexpr int reads_per_event = 4;  // then yield to the other connections
constexpr int batch_size = 256;     // ready sockets taken per epoll_wait
constexpr auto send_tick = std::chrono::milliseconds(1);
// Open-loop connecting: a wake-up starts every connection due within this
// much, rather than one timer per connection (at 12 k/s a timerfd re-arm and
// an epoll wake every 83 µs cost the generator ~8 % of its CPU). One started
// before its time counts from its actual start, one started late from its
// schedule, so no connection is reported faster than it was.
constexpr std::int64_t pace_batch_ns = 1'000'000;
constexpr std::size_t order_table_limit = std::size_t{1} << 23;  // entries per thread
constexpr std::uint32_t no_slot = UINT32_MAX;

std::int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

enum class phase : std::uint8_t { waiting, connecting, upgrading, registering, joining, ready, closed };

struct connection {
  connection() = default;
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  ~connection() {
    if (fd >= 0) ::close(fd);
  }

  int fd = -1;
  std::string opening;       // freed once sent
  std::string carry;         // an incomplete frame, line or response head
  std::string out;           // bytes the socket has not taken yet
  std::size_t out_done = 0;  // … of which the first out_done are sent
  std::uint64_t skip = 0;    // bytes left of an oversized frame
  std::int64_t started_ns = 0;
  std::uint64_t next_seq = 1;
  std::uint32_t out_msgs = 0;          // message frames in `out`
  std::uint32_t order_slot = no_slot;  // viewers: first entry in the thread's order table
  std::uint32_t sender_ordinal = 0;    // senders: 0 … senders-1
  conn_role role = conn_role::viewer;
  phase state = phase::waiting;
  bool reading = true;  // false: a stalled viewer that has stopped
};

std::string os_error(const char* what, int err) { return std::string(what) + ": " + std::strerror(err); }

// Counters a thread publishes for the driver; one cache line per thread so
// the threads never share one.
struct alignas(64) published {
  std::atomic<std::uint64_t> ready[role_count] = {};
  std::atomic<std::uint64_t> open[role_count] = {};
  std::atomic<std::uint64_t> failed{0}, delivered{0}, stalled_delivered{0}, sender_received{0}, foreign{0};
  std::atomic<std::uint64_t> sent{0}, write_failed{0}, unsent{0}, closed{0}, stalled_cut{0}, error_events{0};
  std::atomic<std::uint64_t> out_of_order{0};
  std::atomic<std::int64_t> last_delivery_ns{0};
};

}  // namespace

void load_counters::add(const load_counters& o) {
  for (int r = 0; r < role_count; ++r) {
    ready[r] += o.ready[r];
    open[r] += o.open[r];
  }
  failed += o.failed;
  delivered += o.delivered;
  stalled_delivered += o.stalled_delivered;
  sender_received += o.sender_received;
  foreign += o.foreign;
  sent += o.sent;
  write_failed += o.write_failed;
  unsent += o.unsent;
  closed += o.closed;
  stalled_cut += o.stalled_cut;
  error_events += o.error_events;
  out_of_order += o.out_of_order;
  last_delivery_ns = std::max(last_delivery_ns, o.last_delivery_ns);
}

// ==== one thread ===========================================================

class load_thread {
 public:
  load_thread(const load_settings& s, const sockaddr_in& peer)
      : settings_(s),
        peer_(peer),
        work_(io_.get_executor()),
        ready_set_(io_, epoll_create1(EPOLL_CLOEXEC)),
        tick_(io_),
        pace_(io_),
        buffer_(new char[read_buffer_size]) {}

  ~load_thread() { join(); }

  connection& add(conn_spec spec, std::uint32_t sender_ordinal) {
    conns_.push_back(std::make_unique<connection>());
    connection& c = *conns_.back();
    c.role = spec.role;
    c.opening = std::move(spec.opening);
    c.sender_ordinal = sender_ordinal;
    return c;
  }
  // Sizes the per-viewer order table once every connection is added.
  void plan_order_table(std::uint32_t senders) {
    senders_total_ = senders;
    std::size_t viewers = 0;
    for (auto& c : conns_) viewers += c->role == conn_role::viewer;
    if (senders == 0 || viewers * senders > order_table_limit) return;  // too large: no order check
    order_.assign(viewers * senders, 0);
    std::uint32_t slot = 0;
    for (auto& c : conns_) {
      if (c->role != conn_role::viewer) continue;
      c->order_slot = slot;
      slot += senders;
    }
  }

  void start() {
    arm_batch();
    thread_ = std::thread([this] { io_.run(); });
  }
  void join() {
    if (!thread_.joinable()) return;
    work_.reset();
    io_.stop();
    thread_.join();
  }
  asio::io_context& io() { return io_; }
  const published& counters() const { return pub_; }
  bool reads_through_ring() const { return ring_ != nullptr; }

  // ---- called through post() from the driver -----------------------------

  void open(std::vector<connection*> group, std::uint32_t limit, double rate) {
    queue_ = std::move(group);
    queue_next_ = 0;
    limit_ = std::max<std::uint32_t>(1, limit);
    pace_interval_ns_ = rate > 0 ? 1e9 / rate : 0;
    pace_start_ns_ = now_ns();
    start_more();
    publish();
  }

  // Everything still waiting or half-open fails as timed out.
  void abandon() {
    limit_ = 0;  // settle() must not start the rest
    pace_.cancel();
    while (queue_next_ < queue_.size()) {
      connection& c = *queue_[queue_next_++];
      ++in_progress_;  // failed() settles it
      failed(c, "not started before the connect timeout");
    }
    for (auto& c : conns_) {
      if (c->state != phase::waiting && c->state != phase::ready && c->state != phase::closed) {
        failed(*c, "timed out before it was ready");
      }
    }
    publish();
  }

  void start_sending(std::uint64_t quota, std::int64_t start_ns, std::int64_t duration_ns) {
    quota_ = quota;
    issued_ = 0;
    send_start_ns_ = start_ns;
    send_duration_ns_ = std::max<std::int64_t>(1, duration_ns);
    on_tick();
  }

  void resume_stalled() {
    for (auto& c : conns_) {
      if (c->role != conn_role::stalled || c->state != phase::ready || c->reading) continue;
      restart_reading(*c);
    }
    publish();
  }

  void close_all() {
    closing_ = true;
    tick_.cancel();
    error_code ignored;
    ready_set_.cancel(ignored);
    for (auto& c : conns_) close_socket(*c);
  }

  // After join(): what this thread counted.
  void collect(load_totals& t) const {
    load_counters c = local_;
    t.counters.add(c);
    t.latency.merge(latency_);
    t.connect_latency.merge(connect_latency_);
    for (const auto& [k, v] : close_codes_) t.close_codes[k] += v;
    if (t.first_error.empty()) t.first_error = first_error_;
  }

 private:
  // ---- connecting ----------------------------------------------------------

  void start_more() {
    if (starting_) return;  // failed() → settle() → start_more() while starting
    starting_ = true;
    const std::int64_t now = pace_interval_ns_ > 0 ? now_ns() : 0;
    while (in_progress_ < limit_ && queue_next_ < queue_.size()) {
      std::int64_t due = 0;
      if (pace_interval_ns_ > 0) {
        due = pace_start_ns_ + static_cast<std::int64_t>(static_cast<double>(queue_next_) * pace_interval_ns_);
        if (due > now + pace_batch_ns) {
          arm_pace(due);
          break;
        }
      }
      connection& c = *queue_[queue_next_++];
      start_connect(c);
      // Late: count from the schedule; early (within the batch): from the start.
      if (due != 0 && c.state == phase::connecting) c.started_ns = std::min(c.started_ns, due);
    }
    starting_ = false;
  }

  void arm_pace(std::int64_t due_ns) {
    if (pacing_) return;
    pacing_ = true;
    pace_.expires_after(std::chrono::nanoseconds(std::max<std::int64_t>(0, due_ns - now_ns())));
    pace_.async_wait([this](const error_code& ec) {
      pacing_ = false;
      if (!ec && limit_ > 0) start_more();
    });
  }

  void start_connect(connection& c) {
    ++in_progress_;
    c.state = phase::connecting;
    c.started_ns = now_ns();
    c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) {
      failed(c, os_error("socket", errno));
      return;
    }
    const int one = 1;
    // Viewers only answer pings: only senders need their small writes sent at once.
    if (c.role == conn_role::sender) ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (c.role == conn_role::stalled) {
      const int size = static_cast<int>(settings_.stalled_rcvbuf);
      ::setsockopt(c.fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    }
    bind_source(c.fd);
    if (::connect(c.fd, reinterpret_cast<const sockaddr*>(&peer_), sizeof peer_) != 0 && errno != EINPROGRESS) {
      failed(c, os_error("connect", errno));
      return;
    }
    // Writable: the connect is done, one way or the other. Registered once
    // for everything; edges need no re-arming.
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.ptr = &c;
    if (epoll_ctl(ready_set_.native_handle(), EPOLL_CTL_ADD, c.fd, &ev) != 0) failed(c, os_error("epoll_ctl", errno));
  }

  // On loopback, connections come from many source addresses (127.1.0.1 up,
  // 1000 of them) as a real crowd does: from one address, connect() has to
  // search a single ephemeral port range that tens of thousands of open and
  // TIME_WAIT connections fill, and the generator, not the server, becomes
  // the bottleneck of a connect storm. The kernel picks the port at connect
  // time (IP_BIND_ADDRESS_NO_PORT), per source address.
  void bind_source(int fd) {
    if ((ntohl(peer_.sin_addr.s_addr) >> 24) != 127) return;
    const std::uint32_t k = source_next_++ % source_addresses;
    sockaddr_in src{};
    src.sin_family = AF_INET;
    src.sin_addr.s_addr = htonl((127u << 24) | (1u << 16) | ((k / 250) << 8) | (k % 250 + 1));
    const int one = 1;
    ::setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    ::bind(fd, reinterpret_cast<const sockaddr*>(&src), sizeof src);  // on failure connect picks as before
  }

  void on_connected(connection& c) {
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err != 0) {
      failed(c, os_error("connect", err));
      return;
    }
    c.state = settings_.protocol == wire_protocol::irc ? phase::registering : phase::upgrading;
    c.out.swap(c.opening);
    std::string().swap(c.opening);
    flush(c);
  }

  void mark_ready(connection& c, std::int64_t now) {
    c.state = phase::ready;
    const auto r = static_cast<int>(c.role);
    ++local_.ready[r];
    ++local_.open[r];
    connect_latency_.record(static_cast<std::uint64_t>(std::max<std::int64_t>(0, now - c.started_ns)));
    if (c.role == conn_role::sender) senders_.push_back(&c);
    if (c.role == conn_role::stalled) c.reading = false;
    settle();
  }

  void settle() {
    if (in_progress_ > 0) --in_progress_;
    start_more();
  }

  // A connection that never became ready.
  void failed(connection& c, const std::string& why) {
    if (c.state == phase::closed) return;
    c.state = phase::closed;
    close_socket(c);
    release(c);
    ++local_.failed;
    note_error(why);
    settle();
  }

  // A connection that ended: the server closed it, or it broke.
  void lost(connection& c, const std::string& why) {
    if (closing_ || c.state == phase::closed) return;
    if (c.state != phase::ready) {
      failed(c, why);
      return;
    }
    c.state = phase::closed;
    local_.write_failed += c.out_msgs;
    c.out_msgs = 0;
    close_socket(c);
    release(c);
    --local_.open[static_cast<int>(c.role)];
    if (c.role == conn_role::stalled) {
      ++local_.stalled_cut;
    } else {
      ++local_.closed;
      note_error(why);
    }
    ++close_codes_[why];
  }

  // Closing the descriptor also takes it out of the epoll set.
  static void close_socket(connection& c) {
    if (c.fd < 0) return;
    ::close(c.fd);
    c.fd = -1;
  }

  static void release(connection& c) {
    std::string().swap(c.carry);
    std::string().swap(c.out);
    std::string().swap(c.opening);
  }

  void note_error(const std::string& why) {
    if (first_error_.empty()) first_error_ = why;
  }

  // ---- reading -------------------------------------------------------------

  // ---- the epoll set ------------------------------------------------------------

  void arm_batch() {
    ready_set_.async_wait(asio::posix::descriptor_base::wait_read, [this](const error_code& ec) {
      if (!ec && !closing_) on_batch();
    });
  }

  void on_batch() {
    epoll_event events[batch_size];
    const int n = epoll_wait(ready_set_.native_handle(), events, batch_size, 0);
    if (ring_) {
      read_batch(events, n);
    } else {
      for (int i = 0; i < n && !closing_; ++i) on_event(*static_cast<connection*>(events[i].data.ptr), events[i].events);
    }
    publish();
    if (closing_) return;
    if (n == batch_size) {
      asio::post(io_, [this] { on_batch(); });  // more are ready: after the other handlers
    } else {
      arm_batch();
    }
  }

  void on_event(connection& c, std::uint32_t events) {
    if (settle_event(c, events)) on_readable(c);
  }

  // Handles an event's connecting and writing side; true when the
  // connection is then to read.
  bool settle_event(connection& c, std::uint32_t events) {
    if (c.state == phase::closed || c.fd < 0) return false;  // closed earlier in this batch
    if (c.state == phase::connecting) {
      if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return false;
      on_connected(c);
      if (c.state == phase::closed || !(events & EPOLLIN)) return false;
    }
    if ((events & EPOLLOUT) && !c.out.empty()) {
      flush(c);
      if (c.state == phase::closed) return false;
    }
    // A stalled viewer ignores its edges; it reads everything when resumed.
    return (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) && c.reading;
  }

  // The batch's first reads as one io_uring submission: connecting and
  // writing are handled per event as before; every connection that is to
  // read gets a recv into its own slot of the batch buffer (behind what it
  // carried), and the completions are handled in the batch's order. A read
  // that filled its slot goes on through on_readable.
  void read_batch(epoll_event* events, int n) {
    struct slot_use { connection* c; std::size_t have; };
    slot_use uses[batch_size];
    int k = 0;
    for (int i = 0; i < n && !closing_; ++i) {
      connection& c = *static_cast<connection*>(events[i].data.ptr);
      if (!settle_event(c, events[i].events)) continue;
      char* buf = slots_.get() + static_cast<std::size_t>(k) * slot_size;
      const std::size_t have = c.carry.size();
      if (have > slot_size / 2) {  // a large carried frame: the usual path
        on_readable(c);
        continue;
      }
      if (have != 0) std::memcpy(buf, c.carry.data(), have);
      io_uring_sqe* sqe = io_uring_get_sqe(ring_.get());
      io_uring_prep_recv(sqe, c.fd, buf + have, slot_size - have, 0);
      io_uring_sqe_set_data64(sqe, static_cast<std::uint64_t>(k));
      uses[k++] = {&c, have};
    }
    if (k == 0) return;
    int rc;
    do rc = io_uring_submit_and_wait(ring_.get(), static_cast<unsigned>(k));
    while (rc == -EINTR);
    int results[batch_size];
    for (int left = k; left > 0;) {
      io_uring_cqe* cqe = nullptr;
      rc = io_uring_wait_cqe(ring_.get(), &cqe);
      if (rc == -EINTR) continue;
      // With k entries in flight and the ring sized for a batch this cannot
      // fail; if it did, the slots could still be written later: stop here.
      if (rc < 0) {
        std::fprintf(stderr, "sorak bench: io_uring: %s (run with --io-uring false)\n", std::strerror(-rc));
        std::abort();
      }
      results[io_uring_cqe_get_data64(cqe)] = cqe->res;
      io_uring_cqe_seen(ring_.get(), cqe);
      --left;
    }
    const std::int64_t now = now_ns();
    for (int j = 0; j < k && !closing_; ++j) {
      connection& c = *uses[j].c;
      if (c.state == phase::closed || c.fd < 0) continue;
      const int got = results[j];
      if (got == -EAGAIN || got == -EINTR) continue;  // nothing there after all: the next edge says when
      if (got <= 0) {
        lost(c, got == 0 ? "connection closed by the server" : os_error("read", -got));
        continue;
      }
      char* buf = slots_.get() + static_cast<std::size_t>(j) * slot_size;
      std::size_t have = uses[j].have + static_cast<std::size_t>(got);
      const bool full = static_cast<std::size_t>(got) == slot_size - uses[j].have;
      c.carry.clear();
      if (!take(c, buf, have, now)) continue;
      c.carry.assign(buf, have);
      if (full && c.reading) on_readable(c);
    }
  }

  // Reads what the socket holds into the shared buffer behind the carried
  // bytes and handles it; reads again only when a read filled the buffer.
  void on_readable(connection& c) {
    char* const buf = buffer_.get();
    std::size_t have = c.carry.size();
    if (have != 0) std::memcpy(buf, c.carry.data(), have);
    c.carry.clear();
    const read_outcome r = read_more(c, buf, have, false);
    if (r == read_outcome::ended) return;
    c.carry.assign(buf, have);
    // No edge will come for what is left: come back after the others' turn.
    if (r == read_outcome::more)
      asio::post(io_, [this, &c] {
        if (!closing_ && c.state != phase::closed && c.reading) on_readable(c);
      });
  }

  enum class read_outcome { drained, more, ended };

  // Reads until a read comes back short (the socket is empty, see the file
  // comment), or with `until_empty` until EAGAIN; at most reads_per_event
  // times (then `more`).
  read_outcome read_more(connection& c, char* buf, std::size_t& have, bool until_empty) {
    for (int round = 0; round < reads_per_event; ++round) {
      if (!c.reading) return read_outcome::drained;  // stalled just now: the rest waits in the socket
      const std::size_t room = read_buffer_size - have;
      const ssize_t got = ::recv(c.fd, buf + have, room, 0);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return read_outcome::drained;
      if (got <= 0) {
        lost(c, got == 0 ? "connection closed by the server" : os_error("read", errno));
        return read_outcome::ended;
      }
      const auto n = static_cast<std::size_t>(got);
      have += n;
      if (!take(c, buf, have, now_ns())) return read_outcome::ended;
      if (n < room && !until_empty) return read_outcome::drained;
    }
    return read_outcome::more;
  }

  // Handles buf[0, have) and keeps the incomplete rest at the front. False
  // when the connection ended.
  bool take(connection& c, char* buf, std::size_t& have, std::int64_t now) {
    const std::size_t used = consume(c, buf, have, now);
    if (c.state == phase::closed) return false;
    have -= used;
    if (have != 0) std::memmove(buf, buf + used, have);
    return true;
  }

  // A stalled viewer reads again: what it carried first, then its socket.
  void restart_reading(connection& c) {
    c.reading = true;
    char* const buf = buffer_.get();
    std::size_t have = c.carry.size();
    if (have != 0) std::memcpy(buf, c.carry.data(), have);
    c.carry.clear();
    if (!take(c, buf, have, now_ns())) return;
    const read_outcome r = read_more(c, buf, have, true);
    if (r == read_outcome::ended) return;
    c.carry.assign(buf, have);
    if (r == read_outcome::more)
      asio::post(io_, [this, &c] {
        if (!closing_ && c.state != phase::closed && c.reading) on_readable(c);
      });
  }

  // Handles what is complete in d[0, n); returns the bytes used.
  std::size_t consume(connection& c, char* d, std::size_t n, std::int64_t now) {
    std::size_t used = 0;
    if (c.state == phase::upgrading) {
      used = consume_upgrade(c, d, n, now);
      if (c.state == phase::upgrading || c.state == phase::closed) return used;
    }
    if (settings_.protocol == wire_protocol::irc) return used + consume_lines(c, d + used, n - used, now);
    return used + consume_frames(c, d + used, n - used, now);
  }

  std::size_t consume_upgrade(connection& c, char* d, std::size_t n, std::int64_t now) {
    const void* end = memmem(d, n, "\r\n\r\n", 4);
    if (!end) {
      if (n > head_limit) failed(c, "the upgrade response head is too large");
      return 0;
    }
    const auto head_len = static_cast<std::size_t>(static_cast<const char*>(end) - d);
    const int status = check_upgrade_response(std::string_view(d, head_len));
    if (status != 101) {
      failed(c, status == 0 ? "not a WebSocket upgrade response" : "upgrade refused: HTTP " + std::to_string(status));
      return n;
    }
    if (settings_.protocol == wire_protocol::sorak) {
      c.state = phase::joining;  // ready with the history event
    } else {
      mark_ready(c, now);
    }
    return head_len + 4;
  }

  std::size_t consume_frames(connection& c, const char* d, std::size_t n, std::int64_t now) {
    std::size_t pos = 0;
    if (c.skip != 0) {
      const std::size_t k = static_cast<std::size_t>(std::min<std::uint64_t>(c.skip, n));
      c.skip -= k;
      pos = k;
    }
    while (n - pos >= 2 && c.reading) {
      const auto b0 = static_cast<std::uint8_t>(d[pos]);
      const auto b1 = static_cast<std::uint8_t>(d[pos + 1]);
      if (b1 & 0x80) {
        lost(c, "protocol error: a masked server frame");
        return n;
      }
      std::uint64_t len = b1 & 0x7F;
      std::size_t hl = 2;
      if (len == 126) {
        if (n - pos < 4) break;
        len = (std::uint64_t(static_cast<std::uint8_t>(d[pos + 2])) << 8) | static_cast<std::uint8_t>(d[pos + 3]);
        hl = 4;
      } else if (len == 127) {
        if (n - pos < 10) break;
        len = 0;
        for (int i = 0; i < 8; ++i) len = (len << 8) | static_cast<std::uint8_t>(d[pos + 2 + i]);
        hl = 10;
      }
      const std::size_t avail = n - pos - hl;  // the checks above guarantee n - pos ≥ hl
      if (len > avail) {
        if (hl + len <= carry_limit) break;  // comes whole with the next read
        on_frame(c, b0 & 0x0F, std::string_view(d + pos + hl, avail), now);
        c.skip = len - avail;
        return n;
      }
      on_frame(c, b0 & 0x0F, std::string_view(d + pos + hl, static_cast<std::size_t>(len)), now);
      pos += hl + static_cast<std::size_t>(len);
      if (c.state == phase::closed) return pos;
    }
    return pos;
  }

  void on_frame(connection& c, std::uint8_t opcode, std::string_view payload, std::int64_t now) {
    switch (opcode) {
      case 0x1:  // text
        if (settings_.protocol == wire_protocol::ws) {
          on_message(c, payload, now);
          return;
        }
        switch (classify_sorak(payload)) {
          case sorak_event::message:
            on_message(c, payload, now);
            return;
          case sorak_event::history:
            if (c.state == phase::joining) mark_ready(c, now);
            return;
          case sorak_event::error:
            ++local_.error_events;
            note_error(std::string(payload.substr(0, 200)));
            return;
          case sorak_event::other:
            return;
        }
        return;
      case 0x2:  // binary
        if (settings_.protocol == wire_protocol::ws) on_message(c, payload, now);
        return;
      case 0x8: {  // close
        std::string why = "closed by the server";
        if (payload.size() >= 2) {
          const int code = (static_cast<std::uint8_t>(payload[0]) << 8) | static_cast<std::uint8_t>(payload[1]);
          why = std::to_string(code) + " " + std::string(payload.substr(2, 100));
        }
        lost(c, why);
        return;
      }
      case 0x9:  // ping
        append_client_frame(c.out, 0xA, payload);
        flush(c);
        return;
      default:
        return;  // pong, continuation
    }
  }

  std::size_t consume_lines(connection& c, const char* d, std::size_t n, std::int64_t now) {
    std::size_t pos = 0;
    while (pos < n) {
      const auto* nl = static_cast<const char*>(std::memchr(d + pos, '\n', n - pos));
      if (!nl) break;
      const char* end = nl;
      if (end > d + pos && end[-1] == '\r') --end;
      on_line(c, std::string_view(d + pos, static_cast<std::size_t>(end - (d + pos))), now);
      pos = static_cast<std::size_t>(nl - d) + 1;
      if (c.state == phase::closed || !c.reading) return pos;
    }
    if (n - pos > irc_line_limit) lost(c, "an IRC line is too long");
    return pos;
  }

  void on_line(connection& c, std::string_view line, std::int64_t now) {
    if (line.substr(0, 5) == "PING ") {
      c.out.append("PONG ").append(line.substr(5)).append("\r\n");
      flush(c);
      return;
    }
    if (line.substr(0, 5) == "ERROR") {
      lost(c, std::string(line.substr(0, 200)));
      return;
    }
    const std::string_view cmd = irc_command(line);
    if (cmd == "PRIVMSG") {
      on_message(c, line, now);
    } else if (c.state == phase::registering) {
      if (cmd == "001") {
        c.out.append("JOIN ").append(settings_.channel).append("\r\n");
        flush(c);
      } else if (cmd == "366") {
        mark_ready(c, now);
      } else if (irc_error_numeric(cmd)) {
        failed(c, std::string(line.substr(0, 200)));
      }
    } else if (irc_error_numeric(cmd)) {
      ++local_.error_events;
      note_error(std::string(line.substr(0, 200)));
    }
  }

  void on_message(connection& c, std::string_view payload, std::int64_t now) {
    if (c.role == conn_role::sender) {
      ++local_.sender_received;
      return;
    }
    stamp st;
    if (!find_stamp(payload, stamp_hint_, st)) {
      ++local_.foreign;
      return;
    }
    if (c.role == conn_role::stalled) {
      ++local_.stalled_delivered;
      return;
    }
    ++local_.delivered;
    local_.last_delivery_ns = now;
    latency_.record(static_cast<std::uint64_t>(std::max<std::int64_t>(0, now - st.t_ns)));
    if (st.has_seq && c.order_slot != no_slot && st.sender < senders_total_) {
      std::uint32_t& last = order_[c.order_slot + st.sender];
      if (st.seq <= last) {
        ++local_.out_of_order;
      } else {
        last = static_cast<std::uint32_t>(st.seq);
      }
    }
  }

  // ---- writing -------------------------------------------------------------

  // Sends what waits in `out`; what the socket does not take stays for the
  // next EPOLLOUT edge. The message frames in `out` count as sent once all of
  // it is sent.
  void flush(connection& c) {
    if (c.state == phase::closed || c.state == phase::connecting) return;
    while (c.out_done < c.out.size()) {
      const ssize_t n = ::send(c.fd, c.out.data() + c.out_done, c.out.size() - c.out_done, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      if (n <= 0) {
        lost(c, os_error("write", errno));
        return;
      }
      c.out_done += static_cast<std::size_t>(n);
    }
    if (c.out_done == c.out.size()) {
      c.out.clear();
      c.out_done = 0;
      local_.sent += c.out_msgs;
      c.out_msgs = 0;
    }
  }

  // ---- sending -------------------------------------------------------------

  void on_tick() {
    if (closing_) return;
    const std::int64_t now = now_ns();
    std::uint64_t due = 0;
    if (now >= send_start_ns_ + send_duration_ns_) {
      due = quota_;
    } else if (now > send_start_ns_) {
      due = static_cast<std::uint64_t>(static_cast<unsigned __int128>(quota_) *
                                       static_cast<std::uint64_t>(now - send_start_ns_) /
                                       static_cast<std::uint64_t>(send_duration_ns_));
    }
    while (issued_ < due) {
      connection* s = next_sender();
      if (!s) {
        local_.unsent += quota_ - issued_;
        issued_ = quota_;
        break;
      }
      append_message(*s, now);
      ++issued_;
    }
    for (connection* s : senders_) {
      if (!s->out.empty()) flush(*s);
    }
    publish();
    if (issued_ < quota_) {
      tick_.expires_after(send_tick);
      tick_.async_wait([this](const error_code& ec) {
        if (!ec) on_tick();
      });
    }
  }

  connection* next_sender() {
    for (std::size_t tries = 0; tries < senders_.size(); ++tries) {
      connection* s = senders_[next_sender_++ % senders_.size()];
      if (s->state == phase::ready) return s;
    }
    return nullptr;
  }

  void append_message(connection& s, std::int64_t now) {
    scratch_.clear();
    switch (settings_.protocol) {
      case wire_protocol::sorak:
        scratch_.append(R"({"type":"message","content":")");
        append_stamped_content(scratch_, now, s.sender_ordinal, s.next_seq++, settings_.size);
        scratch_.append("\"}");
        append_client_frame(s.out, 0x1, scratch_);
        break;
      case wire_protocol::ws:
        append_stamped_content(scratch_, now, s.sender_ordinal, s.next_seq++, settings_.size);
        append_client_frame(s.out, 0x1, scratch_);
        break;
      case wire_protocol::irc:
        s.out.append("PRIVMSG ").append(settings_.channel).append(" :");
        append_stamped_content(s.out, now, s.sender_ordinal, s.next_seq++, settings_.size);
        s.out.append("\r\n");
        break;
    }
    ++s.out_msgs;
  }

  // ---- publishing ------------------------------------------------------------

  void publish() {
    constexpr auto rel = std::memory_order_relaxed;
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
    pub_.last_delivery_ns.store(local_.last_delivery_ns, rel);
  }

  const load_settings& settings_;
  const sockaddr_in peer_;
  static constexpr std::uint32_t source_addresses = 1000;
  std::uint32_t source_next_ = 0;
  // Every descriptor and timer of this thread is used on it alone; only
  // post() comes from elsewhere, so the reactor needs no I/O locking.
  asio::io_context io_{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  asio::posix::stream_descriptor ready_set_;  // the epoll set of the connections' read side
  asio::steady_timer tick_;
  asio::steady_timer pace_;  // open-loop connecting: the next scheduled start
  std::unique_ptr<char[]> buffer_;
  std::vector<std::unique_ptr<connection>> conns_;  // destroyed before io_
  std::thread thread_;
  // Batched reads (read_batch); null with --io-uring false or where the
  // kernel refuses io_uring. Each connection read in a batch gets a slot.
  static constexpr std::size_t slot_size = 64 * 1024;
  std::unique_ptr<io_uring, void (*)(io_uring*)> ring_{settings_.io_uring ? make_ring() : nullptr, &free_ring};
  std::unique_ptr<char[]> slots_{ring_ ? new char[slot_size * batch_size] : nullptr};
  static io_uring* make_ring() {
    auto* r = new io_uring;
    io_uring_params p{};
    p.flags = IORING_SETUP_COOP_TASKRUN;
    if (io_uring_queue_init_params(batch_size, r, &p) < 0) { delete r; return nullptr; }
    return r;
  }
  static void free_ring(io_uring* r) {
    if (!r) return;
    io_uring_queue_exit(r);
    delete r;
  }

  // connecting
  std::vector<connection*> queue_;
  std::size_t queue_next_ = 0;
  std::uint32_t in_progress_ = 0;
  std::uint32_t limit_ = 1;
  bool starting_ = false;
  double pace_interval_ns_ = 0;  // 0: closed loop
  std::int64_t pace_start_ns_ = 0;
  bool pacing_ = false;

  // sending
  std::vector<connection*> senders_;
  std::size_t next_sender_ = 0;
  std::uint64_t quota_ = 0;
  std::uint64_t issued_ = 0;
  std::int64_t send_start_ns_ = 0;
  std::int64_t send_duration_ns_ = 1;
  std::string scratch_;

  // counting
  load_counters local_;
  latency_histogram latency_;
  latency_histogram connect_latency_;
  std::vector<std::uint32_t> order_;
  std::uint32_t senders_total_ = 0;
  std::size_t stamp_hint_ = 0;
  std::map<std::string, std::uint64_t> close_codes_;
  std::string first_error_;
  bool closing_ = false;
  published pub_;
};

// ==== chat_load ==============================================================

struct chat_load::impl {
  load_settings settings;
  std::vector<std::unique_ptr<load_thread>> threads;
  std::vector<connection*> all;  // by index
  bool finished = false;

  load_thread& thread_of(std::size_t i) { return *threads[i % threads.size()]; }

  // Waits until pred() holds or `timeout_s` passes; false on timeout.
  template <class Pred>
  static bool wait_until(Pred pred, double timeout_s) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    while (!pred()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return true;
  }
};

chat_load::chat_load(load_settings settings, std::vector<conn_spec> conns) : impl_(std::make_unique<impl>()) {
  impl_->settings = std::move(settings);
  const load_settings& s = impl_->settings;
  sockaddr_in peer{};
  peer.sin_family = AF_INET;
  peer.sin_port = htons(s.where.port);
  inet_pton(AF_INET, s.where.address.c_str(), &peer.sin_addr);  // parse_target checked it
  const unsigned n = std::max(1u, s.threads);
  for (unsigned t = 0; t < n; ++t) impl_->threads.push_back(std::make_unique<load_thread>(s, peer));
  std::uint32_t senders = 0;
  impl_->all.reserve(conns.size());
  for (std::size_t i = 0; i < conns.size(); ++i) {
    const bool is_sender = conns[i].role == conn_role::sender;
    connection& c = impl_->thread_of(i).add(std::move(conns[i]), is_sender ? senders : 0);
    senders += is_sender;
    impl_->all.push_back(&c);
  }
  for (auto& t : impl_->threads) t->plan_order_table(senders);
  for (auto& t : impl_->threads) t->start();
}

chat_load::~chat_load() {
  if (!impl_->finished) finish();
}

void chat_load::open(std::uint32_t first, std::uint32_t count, std::uint32_t concurrency, double timeout_s,
                     double rate) {
  const std::size_t n = impl_->threads.size();
  std::vector<std::vector<connection*>> groups(n);
  for (std::uint32_t i = first; i < first + count && i < impl_->all.size(); ++i) groups[i % n].push_back(impl_->all[i]);
  const load_counters before = snapshot();
  const std::uint64_t settled_before = before.failed + before.ready[0] + before.ready[1] + before.ready[2];
  const auto per_thread = static_cast<std::uint32_t>((std::max<std::uint32_t>(1, concurrency) + n - 1) / n);
  for (std::size_t t = 0; t < n; ++t) {
    load_thread* th = impl_->threads[t].get();
    const double thread_rate = rate / static_cast<double>(n);
    asio::post(th->io(), [th, g = std::move(groups[t]), per_thread, thread_rate]() mutable {
      th->open(std::move(g), per_thread, thread_rate);
    });
  }
  auto settled = [&] {
    const load_counters now = snapshot();
    return now.failed + now.ready[0] + now.ready[1] + now.ready[2] - settled_before >= count;
  };
  if (impl::wait_until(settled, timeout_s)) return;
  for (auto& t : impl_->threads) {
    load_thread* th = t.get();
    asio::post(th->io(), [th] { th->abandon(); });
  }
  impl::wait_until(settled, 5);
}

void chat_load::start_sending(std::uint64_t total, double duration_s) {
  // Each thread's share follows its ready senders, so every sender sends
  // about the same number of messages.
  const std::size_t n = impl_->threads.size();
  std::vector<std::uint64_t> senders(n);
  std::uint64_t all = 0;
  for (std::size_t t = 0; t < n; ++t) {
    senders[t] =
        impl_->threads[t]->counters().ready[static_cast<int>(conn_role::sender)].load(std::memory_order_relaxed);
    all += senders[t];
  }
  const std::int64_t start = now_ns() + 2000000;  // 2 ms: every thread starts at the same instant
  const auto duration_ns = static_cast<std::int64_t>(duration_s * 1e9);
  std::uint64_t given = 0;
  for (std::size_t t = 0; t < n; ++t) {
    std::uint64_t quota = all == 0 ? (t == 0 ? total : 0) : total * senders[t] / all;
    if (t + 1 == n) quota = total - given;  // the rounding remainder
    given += quota;
    load_thread* th = impl_->threads[t].get();
    asio::post(th->io(), [th, quota, start, duration_ns] { th->start_sending(quota, start, duration_ns); });
  }
}

void chat_load::resume_stalled() {
  for (auto& t : impl_->threads) {
    load_thread* th = t.get();
    asio::post(th->io(), [th] { th->resume_stalled(); });
  }
}

load_counters chat_load::snapshot() const {
  constexpr auto rel = std::memory_order_relaxed;
  load_counters sum;
  for (const auto& t : impl_->threads) {
    const published& p = t->counters();
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
    c.last_delivery_ns = p.last_delivery_ns.load(rel);
    sum.add(c);
  }
  return sum;
}

load_totals chat_load::finish() {
  load_totals totals;
  if (impl_->finished) return totals;
  impl_->finished = true;
  std::atomic<std::size_t> closed{0};
  for (auto& t : impl_->threads) {
    load_thread* th = t.get();
    asio::post(th->io(), [th, &closed] {
      th->close_all();
      closed.fetch_add(1);
    });
  }
  impl::wait_until([&] { return closed.load() == impl_->threads.size(); }, 10);
  for (auto& t : impl_->threads) t->join();
  totals.io_uring_reads = true;
  for (auto& t : impl_->threads) {
    t->collect(totals);
    totals.io_uring_reads = totals.io_uring_reads && t->reads_through_ring();
  }
  return totals;
}

}  // namespace sorak::bench
