#include "bench/load_io.hpp"

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace sorak::bench {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr std::size_t read_buffer_size = 512 * 1024;
constexpr std::size_t slot_size = 64 * 1024;  // of the batch buffer, per connection read in a batch
constexpr int reads_per_event = 4;            // then yield to the other connections
constexpr std::uint32_t source_addresses = 1000;

bool is_closed(const connection& c) { return c.state == phase::closed || c.fd < 0; }

}  // namespace

load_io::load_io(asio::io_context& io, const load_settings& settings, std::vector<sockaddr_in> peers, io_events& events)
    : io_(io),
      settings_(settings),
      peers_(std::move(peers)),
      events_(events),
      ready_set_(io, epoll_create1(EPOLL_CLOEXEC)),
      buffer_(new char[read_buffer_size]),
      ring_(settings.io_uring ? make_ring() : nullptr),
      slots_(ring_ ? new char[slot_size * load_io_batch] : nullptr) {}

load_io::~load_io() = default;

io_uring* load_io::make_ring() {
  auto* r = new io_uring;
  io_uring_params p{};
  p.flags = IORING_SETUP_COOP_TASKRUN;
  if (io_uring_queue_init_params(load_io_batch, r, &p) < 0) {
    delete r;
    return nullptr;
  }
  return r;
}

void load_io::ring_deleter::operator()(io_uring* r) const {
  io_uring_queue_exit(r);
  delete r;
}

void load_io::stop() {
  stopping_ = true;
  error_code ignored;
  ready_set_.cancel(ignored);
}

void load_io::close_socket(connection& c) {
  if (c.fd < 0) return;
  ::close(c.fd);
  c.fd = -1;
}

// ==== connecting ===============================================================

void load_io::connect(connection& c) {
  c.state = phase::connecting;
  c.started_ns = now_ns();
  c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c.fd < 0) return events_.failed(c, os_error("socket", errno));
  set_options(c);
  const sockaddr_in& peer = peers_.at(c.node);
  bind_source(c.fd, peer);
  if (::connect(c.fd, reinterpret_cast<const sockaddr*>(&peer), sizeof peer) != 0 && errno != EINPROGRESS) {
    return events_.failed(c, os_error("connect", errno));
  }
  watch(c);
}

void load_io::set_options(connection& c) {
  const int one = 1;
  // Viewers only answer pings: only senders need their small writes sent at once.
  if (c.role == conn_role::sender) ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (c.role == conn_role::stalled) {
    const int size = static_cast<int>(settings_.stalled_rcvbuf);
    ::setsockopt(c.fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  }
}

// Writable: the connect is done, one way or the other. Registered once for
// everything; edges need no re-arming.
void load_io::watch(connection& c) {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.ptr = &c;
  if (epoll_ctl(ready_set_.native_handle(), EPOLL_CTL_ADD, c.fd, &ev) != 0) {
    events_.failed(c, os_error("epoll_ctl", errno));
  }
}

// On loopback, connections come from many source addresses (127.1.0.1 up,
// 1000 of them) as a real crowd does: from one address, connect() has to
// search a single ephemeral port range that tens of thousands of open and
// TIME_WAIT connections fill, and the generator, not the server, becomes the
// bottleneck of a connect storm. The kernel picks the port at connect time
// (IP_BIND_ADDRESS_NO_PORT), per source address.
void load_io::bind_source(int fd, const sockaddr_in& peer) {
  if ((ntohl(peer.sin_addr.s_addr) >> 24) != 127) return;
  const std::uint32_t k = source_next_++ % source_addresses;
  sockaddr_in src{};
  src.sin_family = AF_INET;
  src.sin_addr.s_addr = htonl((127u << 24) | (1u << 16) | ((k / 250) << 8) | (k % 250 + 1));
  const int one = 1;
  ::setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
  ::bind(fd, reinterpret_cast<const sockaddr*>(&src), sizeof src);  // on failure connect picks as before
}

void load_io::on_connected(connection& c) {
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err != 0) return events_.failed(c, os_error("connect", err));
  c.state = settings_.protocol == wire_protocol::irc ? phase::registering : phase::upgrading;
  c.out.swap(c.opening);
  std::string().swap(c.opening);
  flush(c);
}

// ==== writing ==================================================================

void load_io::flush(connection& c) {
  if (c.state == phase::closed || c.state == phase::connecting) return;
  while (c.out_done < c.out.size()) {
    const ssize_t n = ::send(c.fd, c.out.data() + c.out_done, c.out.size() - c.out_done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n <= 0) return events_.lost(c, os_error("write", errno));
    c.out_done += static_cast<std::size_t>(n);
  }
  if (c.out_done != c.out.size()) return;
  c.out.clear();
  c.out_done = 0;
  events_.sent(c.out_msgs);
  c.out_msgs = 0;
}

// ==== the epoll set ============================================================

void load_io::arm_batch() {
  ready_set_.async_wait(asio::posix::descriptor_base::wait_read, [this](const error_code& ec) {
    if (!ec && !stopping_) on_batch();
  });
}

void load_io::on_batch() {
  epoll_event events[load_io_batch];
  const int n = epoll_wait(ready_set_.native_handle(), events, load_io_batch, 0);
  if (ring_) {
    read_batch(events, n);
  } else {
    for (int i = 0; i < n && !stopping_; ++i) on_event(*static_cast<connection*>(events[i].data.ptr), events[i].events);
  }
  events_.batch_done();
  if (stopping_) return;
  if (n == load_io_batch) {
    asio::post(io_, [this] { on_batch(); });  // more are ready: after the other handlers
  } else {
    arm_batch();
  }
}

void load_io::on_event(connection& c, std::uint32_t events) {
  if (settle_event(c, events)) on_readable(c);
}

// Handles an event's connecting and writing side; true when the connection
// is then to read.
bool load_io::settle_event(connection& c, std::uint32_t events) {
  if (is_closed(c)) return false;  // closed earlier in this batch
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

// ==== batched reads (io_uring) =================================================

// The batch's first reads as one io_uring submission: connecting and writing
// are handled per event as without the ring; every connection that is to
// read gets a recv into its own slot of the batch buffer (behind what it
// carried), and the completions are handled in the batch's order. A read that
// filled its slot goes on through on_readable.
void load_io::read_batch(epoll_event* events, int n) {
  const int k = queue_reads(events, n);
  if (k == 0) return;
  wait_reads(k);
  take_reads(k);
}

int load_io::queue_reads(epoll_event* events, int n) {
  int k = 0;
  for (int i = 0; i < n && !stopping_; ++i) {
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
    uses_[k++] = {&c, have};
  }
  return k;
}

// Submits the k reads and waits for all of them.
void load_io::wait_reads(int k) {
  int rc;
  do rc = io_uring_submit_and_wait(ring_.get(), static_cast<unsigned>(k));
  while (rc == -EINTR);
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
    results_[io_uring_cqe_get_data64(cqe)] = cqe->res;
    io_uring_cqe_seen(ring_.get(), cqe);
    --left;
  }
}

void load_io::take_reads(int k) {
  const std::int64_t now = now_ns();
  for (int j = 0; j < k && !stopping_; ++j) take_read(j, now);
}

// Completion j: its bytes are handled in its slot.
void load_io::take_read(int j, std::int64_t now) {
  connection& c = *uses_[j].c;
  if (is_closed(c)) return;
  const int got = results_[j];
  if (got == -EAGAIN || got == -EINTR) return;  // nothing there after all: the next edge says when
  if (got <= 0) return events_.lost(c, got == 0 ? "connection closed by the server" : os_error("read", -got));
  char* buf = slots_.get() + static_cast<std::size_t>(j) * slot_size;
  std::size_t have = uses_[j].have + static_cast<std::size_t>(got);
  const bool full = static_cast<std::size_t>(got) == slot_size - uses_[j].have;
  c.carry.clear();
  if (!take(c, buf, have, now)) return;
  c.carry.assign(buf, have);
  if (full && c.reading) on_readable(c);
}

// ==== reads one socket at a time ===============================================

// Reads what the socket holds into the shared buffer behind the carried bytes
// and handles it; reads again only when a read filled the buffer.
void load_io::on_readable(connection& c) {
  char* const buf = buffer_.get();
  std::size_t have = load_carry(c, buf);
  const read_outcome r = read_more(c, buf, have, false);
  if (r == read_outcome::ended) return;
  c.carry.assign(buf, have);
  if (r == read_outcome::more) read_later(c);
}

void load_io::resume(connection& c) {
  c.reading = true;
  char* const buf = buffer_.get();
  std::size_t have = load_carry(c, buf);
  if (!take(c, buf, have, now_ns())) return;
  const read_outcome r = read_more(c, buf, have, true);
  if (r == read_outcome::ended) return;
  c.carry.assign(buf, have);
  if (r == read_outcome::more) read_later(c);
}

// No edge will come for what is left: come back after the others' turn.
void load_io::read_later(connection& c) {
  asio::post(io_, [this, &c] {
    if (!stopping_ && c.state != phase::closed && c.reading) on_readable(c);
  });
}

// Moves the carried bytes to the front of buf; returns how many.
std::size_t load_io::load_carry(connection& c, char* buf) {
  const std::size_t have = c.carry.size();
  if (have != 0) std::memcpy(buf, c.carry.data(), have);
  c.carry.clear();
  return have;
}

// Reads until a read comes back short (the socket is empty, see the header),
// or with `until_empty` until EAGAIN; at most reads_per_event times (then
// `more`).
load_io::read_outcome load_io::read_more(connection& c, char* buf, std::size_t& have, bool until_empty) {
  for (int round = 0; round < reads_per_event; ++round) {
    if (!c.reading) return read_outcome::drained;  // stalled just now: the rest waits in the socket
    const std::size_t room = read_buffer_size - have;
    const ssize_t got = ::recv(c.fd, buf + have, room, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return read_outcome::drained;
    if (got <= 0) {
      events_.lost(c, got == 0 ? "connection closed by the server" : os_error("read", errno));
      return read_outcome::ended;
    }
    const auto n = static_cast<std::size_t>(got);
    have += n;
    if (!take(c, buf, have, now_ns())) return read_outcome::ended;
    if (n < room && !until_empty) return read_outcome::drained;
  }
  return read_outcome::more;
}

// Handles buf[0, have) and keeps the incomplete rest at the front. False when
// the connection ended.
bool load_io::take(connection& c, char* buf, std::size_t& have, std::int64_t now) {
  const std::size_t used = events_.consume(c, buf, have, now);
  if (c.state == phase::closed) return false;
  have -= used;
  if (have != 0) std::memmove(buf, buf + used, have);
  return true;
}

}  // namespace sorak::bench
