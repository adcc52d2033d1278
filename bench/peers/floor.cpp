// floor.cpp: the "floor" peer of `make bench`: the least a WebSocket broadcast server can do on
// this machine, so the benchmark can show how much of a latency figure is the kernel's and the
// load generator's, not the server's.
//
// Every text frame a client sends is relayed to every other client in the same room. A room is
// the path of the upgrade request's target without its query string: "/platform/7?token=x" is
// room "/platform/7", and every client of "/" (as in the fanout cases) is in one room. Nothing is
// stored, parsed beyond the frame header and the request line, checked or rate-limited; there is
// no authentication and no history. What it does do is what any broadcast server must: one worker
// thread per core, each with its own epoll and its own SO_REUSEPORT listening socket, and its own
// list of its connections in each room; a frame is encoded once and shared; each pass of a worker
// joins what arrived since its last pass room by room (one copy of each frame per worker, none per
// viewer) and writes each of its connections its room's part in one send, the pass's sends
// submitted together through an io_uring (Sorak's send_ring), as sorakd's flush rounds do.
// Unpaced, a pass starts as soon as there is something to send. A connection whose unsent bytes
// pass 8 MiB is closed.
//
// Usage: sorak-floor PORT [WORKERS] [--paced]   (127.0.0.1 only; prints a line when listening;
//        TERM stops it). --paced: a pass waits as long as the last one took, up to 20 ms, as
//        Sorak's worker does (src/net/worker_pool.cpp), trading latency for CPU.
// Started and stopped by bench/peers/floor.sh. Room ids are never freed: a bench peer's rooms are
// few and live as long as it does.
#include "net/send_ring.hpp"
#include "protocol/ws_frame.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

namespace {

constexpr std::size_t max_pending = 8u << 20;
constexpr std::size_t max_frame = 64u << 10;
constexpr std::size_t max_request = 8u << 10;

struct relayed {
  std::shared_ptr<const std::string> frame;  // a ready server frame
  std::uint64_t origin = 0;                  // connection id of the sender (not sent back to it)
  std::uint32_t room = 0;                    // the sender's room: only its members get it
};

struct connection {
  int fd = -1;
  std::uint64_t id = 0;
  bool upgraded = false;
  bool writing = false;          // EPOLLOUT armed: `out` holds bytes the socket did not take
  bool doomed = false;           // its send failed: dropped at the end of the pass
  std::uint64_t origin_pass = 0;  // the pass of its worker that carries a frame it sent
  std::uint32_t room = 0;         // room_ids::of(its upgrade path), once upgraded
  std::size_t index = 0;          // position in its worker's members_[room] while upgraded
  std::string in;
  std::string out;
};

// The room of an upgrade request: the target of its request line ("GET /path?query HTTP/1.1")
// without the query string; "/" when there is none.
std::string_view room_path(std::string_view head) {
  const std::size_t start = head.find(' ');
  if (start == std::string_view::npos) return "/";
  const std::size_t end = head.find_first_of(" \r", start + 1);
  std::string_view target = head.substr(start + 1, end == std::string_view::npos ? head.npos : end - start - 1);
  target = target.substr(0, target.find('?'));
  return target.empty() ? std::string_view("/") : target;
}

// Dense ids for room paths, shared by the workers (taken once per upgrade, under a lock).
class room_ids {
 public:
  std::uint32_t of(std::string_view path) {
    std::lock_guard lock(mutex_);
    const auto [it, added] = ids_.try_emplace(std::string(path), static_cast<std::uint32_t>(ids_.size()));
    return it->second;
  }

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, std::uint32_t> ids_;
};
room_ids rooms;

class worker;
std::vector<std::unique_ptr<worker>> workers;
std::atomic<std::uint64_t> next_id{1};
bool paced = false;  // --paced: Sorak's rule, a pass waits as long as the last one took (≤ 20 ms)

class worker {
 public:
  explicit worker(int port) {
    ep_ = ::epoll_create1(EPOLL_CLOEXEC);
    wake_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    listen_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const int one = 1;
    ::setsockopt(listen_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    ::setsockopt(listen_, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    ::setsockopt(listen_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // inherited by accepted sockets
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (ep_ < 0 || wake_ < 0 || listen_ < 0 || ::bind(listen_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_, 4096) != 0) {
      std::fprintf(stderr, "sorak-floor: 127.0.0.1:%d: %s\n", port, std::strerror(errno));
      std::exit(1);
    }
    watch(listen_, EPOLLIN, listen_);
    watch(wake_, EPOLLIN, wake_);
  }

  // Queues a frame for this worker's connections; wakes the worker if it was idle.
  // `own`: posted by this worker itself, which delivers after its current events anyway.
  void post(const relayed& r, bool own) {
    bool was_empty;
    {
      std::lock_guard lock(inbox_mutex_);
      was_empty = inbox_.empty();
      inbox_.push_back(r);
    }
    if (was_empty && !own) {
      const std::uint64_t one = 1;
      [[maybe_unused]] auto n = ::write(wake_, &one, sizeof one);
    }
  }

  // On the worker's own thread, before anything else.
  void start() { ring_ = sorak::send_ring::create(1024); }
  bool through_ring() const { return ring_ != nullptr; }

  void run() {
    epoll_event events[256];
    for (;;) {
      const int n = ::epoll_wait(ep_, events, 256, timeout());
      for (int i = 0; i < n; ++i) {
        const int fd = static_cast<int>(events[i].data.u64 >> 32);
        if (fd == listen_) {
          accept_all();
        } else if (fd == wake_) {
          std::uint64_t count;
          [[maybe_unused]] auto r = ::read(wake_, &count, sizeof count);
        } else if (auto it = conns_.find(fd); it != conns_.end()) {
          connection& c = *it->second;
          if (events[i].events & (EPOLLERR | EPOLLHUP)) { drop(c); continue; }
          if ((events[i].events & EPOLLOUT) && !flush(c)) continue;
          if (events[i].events & EPOLLIN) read_from(c);
        }
      }
      deliver();
    }
  }

 private:
  void watch(int fd, std::uint32_t events, int key) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = static_cast<std::uint64_t>(key) << 32;
    ::epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev);
  }
  void rewatch(connection& c, bool writing) {
    c.writing = writing;
    epoll_event ev{};
    ev.events = EPOLLIN | (writing ? EPOLLOUT : 0u);
    ev.data.u64 = static_cast<std::uint64_t>(c.fd) << 32;
    ::epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
  }

  void accept_all() {
    for (;;) {
      const int fd = ::accept4(listen_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;
      auto c = std::make_unique<connection>();
      c->fd = fd;
      c->id = next_id.fetch_add(1, std::memory_order_relaxed);
      watch(fd, EPOLLIN, fd);
      conns_[fd] = std::move(c);
    }
  }

  void drop(connection& c) {
    if (c.upgraded) {
      std::vector<connection*>& members = members_[c.room];
      connection* last = members.back();
      members[c.index] = last;
      last->index = c.index;
      members.pop_back();
    }
    ::close(c.fd);
    conns_.erase(c.fd);  // destroys c
  }

  // Sends what the socket takes now; the rest waits for EPOLLOUT. False when `c` was dropped.
  bool send_now(connection& c, const char* data, std::size_t size) {
    if (c.writing) {
      c.out.append(data, size);
    } else {
      const ssize_t n = ::send(c.fd, data, size, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) { drop(c); return false; }
      const std::size_t sent = n > 0 ? static_cast<std::size_t>(n) : 0;
      if (sent == size) return true;
      c.out.assign(data + sent, size - sent);
      rewatch(c, true);
    }
    if (c.out.size() > max_pending) { drop(c); return false; }
    return true;
  }

  bool flush(connection& c) {
    while (!c.out.empty()) {
      const ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
      if (n <= 0) { drop(c); return false; }
      c.out.erase(0, static_cast<std::size_t>(n));
    }
    rewatch(c, false);
    return true;
  }

  void read_from(connection& c) {
    char buf[16384];
    const ssize_t n = ::recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) { drop(c); return; }
    if (n < 0) return;
    c.in.append(buf, static_cast<std::size_t>(n));
    if (!c.upgraded && !upgrade(c)) return;
    frames(c);
  }

  // Answers the HTTP upgrade request once it is whole. False when not (yet) upgraded or dropped.
  bool upgrade(connection& c) {
    const std::size_t end = c.in.find("\r\n\r\n");
    if (end == std::string::npos) {
      if (c.in.size() > max_request) drop(c);
      return false;
    }
    std::string_view head(c.in.data(), end + 2);
    std::string_view key;
    for (std::size_t at = head.find("\r\n"); at != std::string_view::npos && at + 2 < head.size();) {
      const std::size_t next = head.find("\r\n", at + 2);
      std::string_view line = head.substr(at + 2, next - at - 2);
      constexpr std::string_view name = "sec-websocket-key:";
      if (line.size() > name.size() &&
          std::equal(name.begin(), name.end(), line.begin(), [](char a, char b) { return a == (b | 0x20); })) {
        key = line.substr(name.size());
        while (!key.empty() && key.front() == ' ') key.remove_prefix(1);
        while (!key.empty() && key.back() == ' ') key.remove_suffix(1);
      }
      at = next;
    }
    if (key.empty()) {
      static constexpr std::string_view bad = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      [[maybe_unused]] auto n = ::send(c.fd, bad.data(), bad.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      drop(c);
      return false;
    }
    const std::string reply = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Accept: " + sorak::websocket_accept_key(key) + "\r\n\r\n";
    join(c, rooms.of(room_path(head)));
    c.in.erase(0, end + 4);
    return send_now(c, reply.data(), reply.size());
  }

  void join(connection& c, std::uint32_t room) {
    if (room >= members_.size()) {
      members_.resize(room + 1);
      room_pass_.resize(room + 1);
      room_frames_.resize(room + 1);
    }
    c.upgraded = true;
    c.room = room;
    c.index = members_[room].size();
    members_[room].push_back(&c);
  }

  // Relays every whole text frame in c.in; answers ping and close.
  void frames(connection& c) {
    std::size_t used = 0;
    for (;;) {
      sorak::ws_frame_header h;
      const auto* data = reinterpret_cast<const std::uint8_t*>(c.in.data() + used);
      const auto parsed = sorak::parse_frame_header(data, c.in.size() - used, max_frame, h);
      if (parsed == sorak::ws_parse::incomplete) break;
      if (parsed != sorak::ws_parse::ok || !h.fin) { drop(c); return; }
      if (c.in.size() - used - h.header_length < h.payload_length) break;
      char* payload = c.in.data() + used + h.header_length;
      const std::size_t size = static_cast<std::size_t>(h.payload_length);
      sorak::unmask_payload(payload, size, h.mask);
      used += h.header_length + size;
      const std::string_view text(payload, size);
      if (h.opcode == sorak::ws_opcode::text) {
        const relayed r{sorak::make_text_frame(text), c.id, c.room};
        c.origin_pass = pass_ + 1;  // this worker's next pass carries it: not back to c
        for (auto& w : workers) w->post(r, w.get() == this);
      } else if (h.opcode == sorak::ws_opcode::ping) {
        const std::string pong = sorak::encode_frame(sorak::ws_opcode::pong, text);
        if (!send_now(c, pong.data(), pong.size())) return;
      } else if (h.opcode == sorak::ws_opcode::close) {
        const std::string bye = sorak::encode_close(sorak::close_code::normal, "");
        [[maybe_unused]] auto n = ::send(c.fd, bye.data(), bye.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        drop(c);
        return;
      }
    }
    c.in.erase(0, used);
  }

  // One pass: everything posted since the last one, in one send per connection (its room's
  // frames), the pass's sends submitted to the kernel together through an io_uring (Sorak's
  // send_ring; per-connection send() where io_uring is refused).
  void deliver() {
    if (paced && next_pass_ > std::chrono::steady_clock::now()) return;  // the timeout wakes us
    {
      std::lock_guard lock(inbox_mutex_);
      if (inbox_.empty()) return;
      batch_.swap(inbox_);
    }
    const auto start = std::chrono::steady_clock::now();
    ++pass_;
    join_by_room();
    collect_sends();
    if (ring_) {
      send_through_ring();
    } else {
      for (const pending_send& p : sends_) send_now(*p.to, p.data.data(), p.data.size());  // may drop p.to alone
    }
    batch_.clear();
    if (paced) {
      const auto end = std::chrono::steady_clock::now();
      const auto took = end - start;
      next_pass_ = took >= std::chrono::microseconds(500) ? end + std::min<std::chrono::steady_clock::duration>(took, std::chrono::milliseconds(20)) : end;
    }
  }

  // The pass's frames joined room by room, each room's in the order they arrived, for the rooms
  // this worker has connections in: one copy of each frame per worker, shared by the room.
  void join_by_room() {
    active_.clear();
    for (const relayed& r : batch_) {
      if (r.room >= members_.size() || members_[r.room].empty()) continue;
      if (room_pass_[r.room] != pass_) {
        room_pass_[r.room] = pass_;
        room_frames_[r.room].clear();
        active_.push_back(r.room);
      }
      room_frames_[r.room] += *r.frame;
    }
  }

  // What each connection of an active room gets: its room's frames, or, for one that sent some
  // in this pass, the room's frames without its own (built apart in mine_).
  void collect_sends() {
    sends_.clear();
    mine_.clear();
    mine_.reserve(batch_.size());  // the strings must not move while sends_ points into them
    for (std::uint32_t room : active_) {
      for (connection* c : members_[room]) {
        std::string_view data = room_frames_[room];
        if (c->origin_pass == pass_) {
          std::string& m = mine_.emplace_back();
          for (const relayed& r : batch_) if (r.room == room && r.origin != c->id) m += *r.frame;
          data = m;
        }
        if (!data.empty()) sends_.push_back({c, data});
      }
    }
  }

  void send_through_ring() {
    if (iov_.size() < sends_.size()) { iov_.resize(sends_.size()); msg_.resize(sends_.size()); }
    for (std::size_t from = 0; from < sends_.size();) {
      const std::size_t to = std::min(sends_.size(), from + ring_->capacity());
      for (std::size_t i = from; i < to; ++i) {
        connection& c = *sends_[i].to;
        const std::string_view data = sends_[i].data;
        if (c.writing) { c.out.append(data); continue; }
        iov_[i] = {const_cast<char*>(data.data()), data.size()};
        msg_[i] = {};
        msg_[i].msg_iov = &iov_[i];
        msg_[i].msg_iovlen = 1;
        ring_->add(c.fd, &msg_[i], i);
      }
      ring_->run([&](std::uint64_t i, int result) {
        connection& c = *sends_[i].to;
        const std::size_t size = iov_[i].iov_len;
        if (result < 0 && result != -EAGAIN) { c.doomed = true; return; }
        const std::size_t sent = result > 0 ? static_cast<std::size_t>(result) : 0;
        if (sent == size) return;
        c.out.assign(static_cast<const char*>(iov_[i].iov_base) + sent, size - sent);
        rewatch(c, true);
      });
      from = to;
    }
    std::vector<connection*> cut;  // each connection is in sends_ once
    for (const pending_send& p : sends_) if (p.to->doomed || p.to->out.size() > max_pending) cut.push_back(p.to);
    for (connection* c : cut) drop(*c);
  }

  // Milliseconds epoll_wait may sleep: until the paced pass is due when frames are waiting.
  int timeout() {
    if (!paced) return -1;
    {
      std::lock_guard lock(inbox_mutex_);
      if (inbox_.empty()) return -1;
    }
    const auto left = next_pass_ - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return 0;
    return static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(left).count());
  }

  struct pending_send {
    connection* to;
    std::string_view data;  // into room_frames_ or mine_
  };

  std::unique_ptr<sorak::send_ring> ring_;  // made by the worker's thread: one issuer per ring
  std::vector<iovec> iov_;
  std::vector<msghdr> msg_;
  std::vector<pending_send> sends_;
  std::vector<std::string> mine_;
  std::chrono::steady_clock::time_point next_pass_{};
  int ep_ = -1, wake_ = -1, listen_ = -1;
  std::unordered_map<int, std::unique_ptr<connection>> conns_;
  // By room id: this worker's upgraded connections in it, the last pass that had frames for it,
  // and those frames joined (kept for their capacity).
  std::vector<std::vector<connection*>> members_;
  std::vector<std::uint64_t> room_pass_;
  std::vector<std::string> room_frames_;
  std::vector<std::uint32_t> active_;  // the rooms with frames in this pass
  std::mutex inbox_mutex_;
  std::vector<relayed> inbox_;
  std::vector<relayed> batch_;
  std::uint64_t pass_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  int count = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  int positional = 0;
  bool ok = argc >= 2;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--paced") paced = true;
    else if (positional == 0 && ++positional) port = std::atoi(argv[i]);
    else if (positional == 1 && ++positional) count = std::atoi(argv[i]);
    else ok = false;
  }
  if (!ok || port <= 0 || port > 65535 || count <= 0 || count > 64) {
    std::fprintf(stderr, "usage: sorak-floor PORT [WORKERS] [--paced]\n");
    return 2;
  }
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  ::pthread_sigmask(SIG_BLOCK, &stop, nullptr);  // the workers inherit the mask; main waits below
  std::signal(SIGPIPE, SIG_IGN);
  for (int i = 0; i < count; ++i) workers.push_back(std::make_unique<worker>(port));
  std::atomic<int> started{0};
  for (auto& w : workers) {
    std::thread([&w, &started] {
      w->start();
      started.fetch_add(1);
      started.notify_one();
      w->run();
    }).detach();
  }
  for (int n = started.load(); n < count; n = started.load()) started.wait(n);
  std::printf("sorak-floor listening on ws://127.0.0.1:%d/ with %d workers%s, writes through %s\n", port, count,
              paced ? ", paced" : "", workers.front()->through_ring() ? "io_uring" : "send()");
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop, &sig);
  std::_Exit(0);
}
