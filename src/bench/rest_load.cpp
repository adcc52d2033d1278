// rest_load.cpp: rest_thread (rest_load.hpp): keep-alive HTTP/1.1 GETs on
// one thread, each connection one request at a time. One of the two
// translation units of the bench that include Asio (with engine's load
// threads, which reach it through load_io).
//
// Responses are not parsed beyond the status line and Content-Length: the
// head is found in the thread's shared read buffer, the body is skipped as it
// arrives, and only an incomplete head is kept per connection. A response
// without Content-Length (chunked, or ended by close) is counted as an error
// and its connection replaced.
#include "bench/rest_load.hpp"

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
#include <chrono>
#include <cstring>
#include <ctime>
#include <map>
#include <thread>

#include "bench/connection.hpp"

namespace sorak::bench {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr std::size_t read_buffer_size = 256 * 1024;
constexpr std::size_t head_limit = 16 * 1024;
constexpr int max_reconnects = 3;  // in a row, per connection, before it gives up

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const char x = (a[i] >= 'A' && a[i] <= 'Z') ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    if (x != b[i]) return false;
  }
  return true;
}

struct response_head {
  int status = 0;
  std::int64_t content_length = -1;
  bool close = false;
};

// Parses "HTTP/1.1 200 OK\r\nName: value\r\n…" (without the blank line).
response_head parse_head(std::string_view head) {
  response_head h;
  const std::size_t sp = head.find(' ');
  if (head.substr(0, 5) != "HTTP/" || sp == std::string_view::npos || sp + 4 > head.size()) return h;
  std::from_chars(head.data() + sp + 1, head.data() + sp + 4, h.status);
  std::size_t pos = head.find('\n');
  while (pos != std::string_view::npos) {
    const std::size_t next = head.find('\n', pos + 1);
    std::string_view line = head.substr(pos + 1, next == std::string_view::npos ? head.npos : next - pos - 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const std::size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      const std::string_view name = line.substr(0, colon);
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      if (iequals(name, "content-length")) {
        std::int64_t n = -1;
        std::from_chars(value.data(), value.data() + value.size(), n);
        h.content_length = n;
      } else if (iequals(name, "connection") && iequals(value, "close")) {
        h.close = true;
      }
    }
    pos = next;
  }
  return h;
}

struct rest_conn {
  rest_conn(asio::io_context& io, std::uint32_t i) : socket(io), timer(io), index(i) {}
  tcp::socket socket;
  asio::steady_timer timer;  // paced: until the next request is due
  std::uint32_t index;       // paced: its place in the stagger
  std::int64_t due_ns = 0;   // paced: when its next request is due
  std::string carry;  // an incomplete response head
  std::uint64_t body_left = 0;
  bool in_body = false;
  bool close_after = false;
  int status = 0;
  int reconnects = 0;
  std::int64_t sent_ns = 0;
  bool done = false;
};

}  // namespace

struct rest_thread::impl {
  impl(tcp::endpoint ep, const std::vector<std::string>& requests, std::uint64_t quota, std::uint64_t offset,
       std::int64_t interval_ns)
      : endpoint_(ep),
        requests_(requests),
        quota_(quota),
        next_request_(offset),
        interval_ns_(interval_ns),
        work_(io_.get_executor()),
        buffer_(new char[read_buffer_size]) {}
  ~impl() { join(); }

  void add_connection() {
    conns_.push_back(std::make_unique<rest_conn>(io_, static_cast<std::uint32_t>(conns_.size())));
  }
  void start() {
    start_ns_ = now_ns();
    asio::post(io_, [this] {
      for (auto& c : conns_) connect(*c);
    });
    thread_ = std::thread([this] { io_.run(); });
  }
  void stop() {
    asio::post(io_, [this] {
      closing_ = true;
      for (auto& c : conns_) {
        error_code ignored;
        c->socket.close(ignored);
        c->timer.cancel();
      }
    });
  }
  void join() {
    if (!thread_.joinable()) return;
    work_.reset();
    io_.stop();
    thread_.join();
  }
  std::uint64_t settled() const { return settled_.load(std::memory_order_relaxed); }
  std::uint64_t quota() const { return quota_; }
  // After join().
  const rest_counts& counts() const { return counts_; }
  const latency_histogram& latency() const { return latency_; }

  void connect(rest_conn& c) {
    if (closing_) return;
    if (issued_ >= quota_) {
      c.done = true;
      return;
    }
    error_code ec;
    c.socket.close(ec);
    c.socket.open(tcp::v4(), ec);
    if (!ec) c.socket.non_blocking(true, ec);
    if (!ec) c.socket.set_option(tcp::no_delay(true), ec);
    if (ec) {
      transport_error(c, "socket: " + ec.message(), false);
      return;
    }
    c.carry.clear();
    c.in_body = false;
    c.sent_ns = 0;
    c.socket.async_connect(endpoint_, [this, &c](const error_code& e) {
      if (closing_) return;
      if (e) {
        transport_error(c, "connect: " + e.message(), false);
        return;
      }
      send_when_due(c);
      arm_read(c);
    });
  }

  void send_next(rest_conn& c) {
    if (closing_) return;
    if (issued_ >= quota_) {
      c.done = true;
      error_code ignored;
      c.socket.close(ignored);
      return;
    }
    ++issued_;
    const std::string& request = requests_[next_request_++ % requests_.size()];
    c.sent_ns = now_ns();
    asio::async_write(c.socket, asio::buffer(request), [this, &c](const error_code& ec, std::size_t) {
      if (ec && ec != asio::error::operation_aborted && !closing_) transport_error(c, "write: " + ec.message(), true);
    });
  }

  // A failed connect, write or read: the request in flight (if any) is lost;
  // the connection is replaced, a few times at most in a row.
  void transport_error(rest_conn& c, const std::string& why, bool request_lost) {
    if (c.done) return;
    if (request_lost) {
      ++counts_.transport_errors;
      settle();
    }
    if (counts_.first_error.empty()) counts_.first_error = why;
    error_code ignored;
    c.socket.close(ignored);
    if (++c.reconnects > max_reconnects) {
      c.done = true;
      give_up_if_last();
      return;
    }
    asio::post(io_, [this, &c] { connect(c); });
  }

  // When every connection has given up, the requests left can never be
  // made: count them as transport errors so the driver stops waiting.
  void give_up_if_last() {
    for (auto& c : conns_) {
      if (!c->done) return;
    }
    counts_.transport_errors += quota_ - issued_;
    issued_ = quota_;
    settled_.store(quota_, std::memory_order_relaxed);
  }

  void settle() { settled_.store(counts_.completed + counts_.transport_errors, std::memory_order_relaxed); }

  void arm_read(rest_conn& c) {
    c.socket.async_wait(tcp::socket::wait_read, [this, &c](const error_code& ec) {
      if (closing_ || c.done) return;
      if (ec) {
        if (ec != asio::error::operation_aborted) transport_error(c, "wait: " + ec.message(), true);
        return;
      }
      on_readable(c);
    });
  }

  void on_readable(rest_conn& c) {
    char* const buf = buffer_.get();
    std::size_t have = c.carry.size();
    if (have) std::memcpy(buf, c.carry.data(), have);
    c.carry.clear();
    for (;;) {
      error_code ec;
      const std::size_t n = c.socket.read_some(asio::buffer(buf + have, read_buffer_size - have), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) break;
      if (ec) {
        // The server may close an idle keep-alive connection: only a response
        // cut short is an error.
        const bool mid_request = c.in_body || have != 0 || c.sent_ns != 0;
        if (mid_request) {
          transport_error(c, ec == asio::error::eof ? "the server closed the connection" : "read: " + ec.message(),
                          true);
        } else {
          asio::post(io_, [this, &c] { connect(c); });
        }
        return;
      }
      const bool short_read = n < read_buffer_size - have;
      have += n;
      const std::size_t used = consume(c, buf, have);
      if (c.done || !c.socket.is_open()) return;
      have -= used;
      if (have) std::memmove(buf, buf + used, have);
      // A short TCP read emptied the socket; async_wait re-checks readiness
      // when it re-arms, so nothing is missed by not reading to EAGAIN.
      if (short_read) break;
    }
    c.carry.assign(buf, have);
    arm_read(c);
  }

  std::size_t consume(rest_conn& c, const char* d, std::size_t n) {
    std::size_t pos = 0;
    while (pos < n) {
      if (c.in_body) {
        const std::size_t k = static_cast<std::size_t>(std::min<std::uint64_t>(c.body_left, n - pos));
        c.body_left -= k;
        pos += k;
        if (c.body_left == 0) complete(c);
        if (!c.socket.is_open()) return n;
        continue;
      }
      const void* end = memmem(d + pos, n - pos, "\r\n\r\n", 4);
      if (!end) {
        if (n - pos > head_limit) transport_error(c, "a response head is too large", true);
        return pos;
      }
      const auto head_len = static_cast<std::size_t>(static_cast<const char*>(end) - (d + pos));
      const response_head h = parse_head(std::string_view(d + pos, head_len));
      pos += head_len + 4;
      if (h.status == 0 || h.content_length < 0) {
        transport_error(c, h.status == 0 ? "not an HTTP response" : "a response without Content-Length", true);
        return n;
      }
      c.status = h.status;
      c.close_after = h.close;
      c.body_left = static_cast<std::uint64_t>(h.content_length);
      c.in_body = true;
      if (c.body_left == 0) complete(c);
      if (!c.socket.is_open()) return n;
    }
    return pos;
  }

  void complete(rest_conn& c) {
    latency_.record(static_cast<std::uint64_t>(std::max<std::int64_t>(0, now_ns() - c.sent_ns)));
    c.in_body = false;
    c.sent_ns = 0;
    c.reconnects = 0;
    ++counts_.completed;
    ++counts_.statuses[c.status];
    if (c.status >= 200 && c.status <= 299) {
      ++counts_.ok;
    } else if (counts_.first_error.empty()) {
      counts_.first_error = "HTTP " + std::to_string(c.status);
    }
    settle();
    if (c.close_after) {
      error_code ignored;
      c.socket.close(ignored);
      asio::post(io_, [this, &c] { connect(c); });
      return;
    }
    send_when_due(c);
  }

  // Closed loop: at once. Paced: connection k's first request is due at
  // start + k·interval/connections, each next one an interval after the
  // last was due (late ones go at once, so a slow answer does not slow the
  // schedule down).
  void send_when_due(rest_conn& c) {
    if (interval_ns_ == 0) return send_next(c);
    const auto n = static_cast<std::int64_t>(conns_.size());
    c.due_ns = c.due_ns == 0 ? start_ns_ + interval_ns_ * c.index / n : c.due_ns + interval_ns_;
    const std::int64_t wait = c.due_ns - now_ns();
    if (wait <= 0) return send_next(c);
    c.timer.expires_after(std::chrono::nanoseconds(wait));
    c.timer.async_wait([this, &c](const error_code& ec) {
      if (!ec && !closing_ && c.socket.is_open()) send_next(c);
    });
  }

  const tcp::endpoint endpoint_;
  const std::vector<std::string>& requests_;
  const std::uint64_t quota_;
  std::uint64_t issued_ = 0;
  std::uint64_t next_request_;
  const std::int64_t interval_ns_;  // 0: closed loop
  std::int64_t start_ns_ = 0;
  asio::io_context io_{1};
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::unique_ptr<char[]> buffer_;
  std::vector<std::unique_ptr<rest_conn>> conns_;
  std::thread thread_;
  bool closing_ = false;
  rest_counts counts_;
  latency_histogram latency_;
  std::atomic<std::uint64_t> settled_{0};
};


rest_thread::rest_thread(const target& where, const std::vector<std::string>& requests, std::uint64_t quota,
                         std::uint64_t offset, std::int64_t interval_ns)
    : impl_(std::make_unique<impl>(tcp::endpoint(asio::ip::make_address_v4(where.address), where.port), requests,
                                   quota, offset, interval_ns)) {}
rest_thread::~rest_thread() = default;
void rest_thread::add_connection() { impl_->add_connection(); }
void rest_thread::start() { impl_->start(); }
void rest_thread::stop() { impl_->stop(); }
void rest_thread::join() { impl_->join(); }
std::uint64_t rest_thread::settled() const { return impl_->settled(); }
std::uint64_t rest_thread::quota() const { return impl_->quota(); }
const rest_counts& rest_thread::counts() const { return impl_->counts(); }
const latency_histogram& rest_thread::latency() const { return impl_->latency(); }

std::string get_request(const target& where, const std::string& path_and_query, const std::string& bearer) {
  std::string r = "GET " + where.path + path_and_query + " HTTP/1.1\r\nHost: " + where.host_port + "\r\n";
  if (!bearer.empty()) r += "Authorization: Bearer " + bearer + "\r\n";
  r += "User-Agent: sorak-bench\r\nAccept: application/json\r\n\r\n";
  return r;
}


}  // namespace sorak::bench
