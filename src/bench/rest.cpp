// rest.cpp: the `rest` scenario: keep-alive HTTP/1.1 GETs against the
// history pages or the Showroom-style API, one request at a time per
// connection. The second (and last) translation unit of the bench that
// includes Asio.
//
// Responses are not parsed beyond the status line and Content-Length: the
// head is found in the thread's shared read buffer, the body is skipped as it
// arrives, and only an incomplete head is kept per connection. A response
// without Content-Length (chunked, or ended by close) is counted as an error
// and its connection replaced.
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
#include <chrono>
#include <cstring>
#include <ctime>
#include <map>
#include <thread>

#include "bench/histogram.hpp"
#include "bench/proc.hpp"
#include "bench/scenarios.hpp"
#include "bench/setup.hpp"
#include "client/endpoint.hpp"

namespace sorak::bench {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr std::size_t read_buffer_size = 256 * 1024;
constexpr std::size_t head_limit = 16 * 1024;
constexpr std::uint32_t default_rest_concurrency = 64;
constexpr int max_reconnects = 3;  // in a row, per connection, before it gives up

std::int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

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
  explicit rest_conn(asio::io_context& io) : socket(io) {}
  tcp::socket socket;
  std::string carry;  // an incomplete response head
  std::uint64_t body_left = 0;
  bool in_body = false;
  bool close_after = false;
  int status = 0;
  int reconnects = 0;
  std::int64_t sent_ns = 0;
  bool done = false;
};

struct rest_counts {
  std::uint64_t completed = 0, ok = 0, transport_errors = 0;
  std::map<int, std::uint64_t> statuses;
  std::string first_error;
};

// One thread: its io_context, its share of the connections and requests.
class rest_thread {
 public:
  rest_thread(tcp::endpoint ep, const std::vector<std::string>& requests, std::uint64_t quota, std::uint64_t offset)
      : endpoint_(ep),
        requests_(requests),
        quota_(quota),
        next_request_(offset),
        work_(io_.get_executor()),
        buffer_(new char[read_buffer_size]) {}
  ~rest_thread() { join(); }

  void add_connection() { conns_.push_back(std::make_unique<rest_conn>(io_)); }
  void start() {
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

 private:
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
      send_next(c);
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
    send_next(c);
  }

  const tcp::endpoint endpoint_;
  const std::vector<std::string>& requests_;
  const std::uint64_t quota_;
  std::uint64_t issued_ = 0;
  std::uint64_t next_request_;
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

std::string get_request(const target& where, const std::string& path_and_query, const std::string& bearer) {
  std::string r = "GET " + where.path + path_and_query + " HTTP/1.1\r\nHost: " + where.host_port + "\r\n";
  if (!bearer.empty()) r += "Authorization: Bearer " + bearer + "\r\n";
  r += "User-Agent: sorak-bench\r\nAccept: application/json\r\n\r\n";
  return r;
}

// One ready request per room.
result<std::vector<std::string>> build_requests(const bench_options& o, const target& where,
                                                const progress_fn& progress, boost::json::object& extra) {
  auto secret = find_secret(o);
  if (!secret) return secret.err();
  const std::uint32_t rooms = std::max<std::uint32_t>(1, o.rooms);
  progress("preparing " + std::to_string(rooms) + " stream(s)");
  auto streams = prepare_streams(o, where, *secret, rooms);
  if (!streams) return streams.err();
  if (o.seed_messages > 0 && o.stream.empty()) {
    progress("posting " + std::to_string(o.seed_messages) + " messages into each stream");
    for (const auto& s : *streams) {
      if (auto seeded = seed_messages(where, s, *secret, o.seed_messages); !seeded) return seeded.err();
    }
  }
  auto token = mint_tokens(*secret, 'r', 0, 1);
  if (!token) return token.err();
  std::string apikey = o.apikey;
  if (o.kind == rest_kind::showroom && apikey.empty()) {
    if (o.admin_key.empty())
      return error(errc::missing_apikey, 
                                "rest --kind showroom needs --apikey, or the admin key (--admin-key or SORAK_ADMIN_KEY) "
                                "to create one");
    progress("creating an API key");
    auto made = create_api_key(where, o.admin_key);
    if (!made) return made.err();
    apikey = std::move(*made);
  }
  std::vector<std::string> requests;
  for (const auto& s : *streams) {
    if (o.kind == rest_kind::history) {
      requests.push_back(get_request(where, client::stream_path(s.id) + "/chat/history?limit=50", token->front()));
    } else {
      requests.push_back(get_request(where,
                                     "/api/jkt48/chat-stream-sr?room_id=" + client::url_encode(s.room_id) +
                                         "&apikey=" + client::url_encode(apikey),
                                     {}));
    }
  }
  extra["rooms"] = rooms;
  extra["kind"] = o.kind == rest_kind::history ? "history" : "showroom";
  return requests;
}

}  // namespace

result<bench_result> run_rest(const bench_options& o, const progress_fn& progress) {
  const auto started = std::chrono::steady_clock::now();
  auto where = parse_target(o.url, wire_protocol::sorak);
  if (!where) return where.err();
  const std::uint32_t concurrency = o.concurrency ? o.concurrency : default_rest_concurrency;
  if (concurrency > connection_budget()) {
    return error(errc::usage, "--concurrency " + std::to_string(concurrency) + " does not fit the descriptor limit");
  }
  bench_result r;
  r.scenario = scenario_name(o.what);
  r.label = o.label;
  r.protocol = "http";
  auto requests = build_requests(o, *where, progress, r.extra);
  if (!requests) return requests.err();

  const unsigned nthreads = std::max(1u, o.threads);
  const tcp::endpoint ep(asio::ip::make_address_v4(where->address), where->port);
  std::vector<std::unique_ptr<rest_thread>> threads;
  std::uint64_t given = 0;
  for (unsigned t = 0; t < nthreads; ++t) {
    const std::uint64_t quota = t + 1 == nthreads ? o.requests - given : o.requests / nthreads;
    threads.push_back(std::make_unique<rest_thread>(ep, *requests, quota, given));
    given += quota;
  }
  for (std::uint32_t i = 0; i < concurrency; ++i) threads[i % nthreads]->add_connection();

  server_monitor monitor(o.server_pids);
  progress("sending " + std::to_string(o.requests) + " requests over " + std::to_string(concurrency) +
           " keep-alive connections");
  monitor.start_window();
  const double own_cpu_start = own_cpu_seconds();
  const auto run_start = std::chrono::steady_clock::now();
  for (auto& t : threads) t->start();
  const auto deadline = run_start + std::chrono::duration<double>(o.rest_timeout_s);
  auto next_sample = run_start;
  for (;;) {
    std::uint64_t settled = 0;
    for (auto& t : threads) settled += t->settled();
    const auto now = std::chrono::steady_clock::now();
    if (settled >= o.requests || now >= deadline) break;
    if (now >= next_sample) {
      monitor.poll();
      next_sample = now + std::chrono::milliseconds(100);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  const double window_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - run_start).count();
  monitor.end_window();
  const double own_cpu_s = own_cpu_seconds() - own_cpu_start;
  for (auto& t : threads) t->stop();
  for (auto& t : threads) t->join();

  latency_histogram latency;
  rest_counts sum;
  for (auto& t : threads) {
    latency.merge(t->latency());
    const rest_counts& c = t->counts();
    sum.completed += c.completed;
    sum.ok += c.ok;
    sum.transport_errors += c.transport_errors;
    for (const auto& [status, n] : c.statuses) sum.statuses[status] += n;
    if (sum.first_error.empty()) sum.first_error = c.first_error;
  }
  r.connections = concurrency;
  r.connected = concurrency;
  r.latency = latency.figures_ms();
  r.server = monitor.figures(window_s);
  r.client_cpu_s = own_cpu_s;
  r.client_cpu_cores = window_s > 0 ? own_cpu_s / window_s : 0;
  const std::uint64_t not_done = o.requests - std::min(o.requests, sum.completed + sum.transport_errors);
  r.error_kinds["http_status"] = sum.completed - sum.ok;
  r.error_kinds["transport"] = sum.transport_errors;
  r.error_kinds["timed_out"] = not_done;
  for (const auto& [kind, n] : r.error_kinds) r.errors += n;
  r.first_error = sum.first_error;
  boost::json::object statuses;
  for (const auto& [status, n] : sum.statuses) statuses[std::to_string(status)] = n;
  r.extra["requests"] = o.requests;
  r.extra["completed"] = sum.completed;
  r.extra["ok"] = sum.ok;
  r.extra["statuses"] = std::move(statuses);
  r.extra["requests_per_s"] = window_s > 0 ? std::round(static_cast<double>(sum.completed) / window_s) : 0.0;
  r.duration_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return r;
}

}  // namespace sorak::bench
