// The HTTP side of the server: the listener and one http_session per
// connection (Boost.Beast), which answers REST requests from the route table
// and turns chat WebSocket upgrades into ws_sessions, over plain TCP or TLS
// (net/tls.hpp). All Beast HTTP code lives in this one translation unit.
#include <sys/socket.h>

#include <optional>
#include <type_traits>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <spdlog/spdlog.h>

#include "net/blocking_pool.hpp"
#include "net/services.hpp"
#include "core/log_text.hpp"
#include "core/metrics.hpp"
#include "http/router.hpp"
#include "http/routes.hpp"
#include "net/client_address.hpp"
#include "net/ip_limits.hpp"
#include "net/listener.hpp"
#include "net/tls.hpp"
#include "net/worker_pool.hpp"
#include "net/ws_session.hpp"
#include "protocol/ws_deflate.hpp"
#include "protocol/ws_frame.hpp"

namespace sorak {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

// After an error response the server closes, but first reads and discards
// what the client is still sending (a huge header block, say) for at most
// this long: closing with unread bytes sends a reset, which can destroy the
// response before the client reads it.
constexpr auto linger_timeout = std::chrono::seconds(2);
// When accept fails (out of descriptors), wait this long before the next try
// instead of spinning.
constexpr auto accept_retry_delay = std::chrono::milliseconds(50);
// The first read of a connection asks for this much.
constexpr std::size_t first_read_bytes = 4096;
// How often idle per-address entries are swept (ip_limits::sweep).
constexpr auto ip_sweep_interval = std::chrono::seconds(5);

// The ranges of --trusted-proxy (checked when the config was read).
trusted_proxies trusted_from(const std::vector<std::string>& ranges) {
  std::vector<address_range> out;
  for (const auto& r : ranges)
    if (auto parsed = parse_address_range(r)) out.push_back(*parsed);
  return trusted_proxies(std::move(out));
}

ip_key key_of(const asio::ip::address& a) {
  return (a.is_v4() ? asio::ip::make_address_v6(asio::ip::v4_mapped, a.to_v4()) : a.to_v6()).to_bytes();
}

// What every session of the listener shares.
struct session_context {
  services& svc;
  const router& routes;
  ip_limits& limits;
  const trusted_proxies& proxies;
};

// One HTTP connection, plain (Tls = false: a beast::tcp_stream) or TLS (a
// tls_transport, which an upgrade hands on to the ws_session). The transport
// is chosen here, once per connection.
template <bool Tls>
class http_session : public std::enable_shared_from_this<http_session<Tls>> {
  using holder = std::conditional_t<Tls, std::unique_ptr<tls_transport>, beast::tcp_stream>;

 public:
  http_session(holder conn, worker& w, session_context& ctx)
      : conn_(std::move(conn)),
        buffer_(ctx.svc.config.max_header_bytes + 8192),  // room for the largest header block allowed
        worker_(w),
        svc_(ctx.svc),
        routes_(ctx.routes),
        limits_(ctx.limits),
        proxies_(ctx.proxies) {
    // Beast reads 512 bytes into an empty buffer; an upgrade request with a
    // token is longer, and a second read (and a wait) would follow. A
    // browser's request fits in this, read at once.
    buffer_.reserve(first_read_bytes);
  }

  void run() {
    if constexpr (Tls) {
      lowest().expires_after(request_timeout());
      conn_->stream.async_handshake(asio::ssl::stream_base::server,
                                    [self = this->shared_from_this()](error_code ec) { self->on_handshake(ec); });
    } else {
      do_read();
    }
  }

 private:
  auto& io() {
    if constexpr (Tls) return conn_->stream;
    else return conn_;
  }
  beast::tcp_stream& lowest() {
    if constexpr (Tls) return conn_->stream.next_layer();
    else return conn_;
  }
  std::chrono::milliseconds request_timeout() const { return std::chrono::milliseconds(svc_.config.http_timeout_ms); }

  // TLS: a client that spoke plain HTTP to this port gets a plain-HTTP 400
  // (OpenSSL read no TLS record and sent nothing, so the socket is clean);
  // any other failed handshake is just closed.
  void on_handshake(error_code ec) {
    if constexpr (Tls) {
      if (!ec) return do_read();
      if (!is_plain_http_on_tls(ec)) {
        spdlog::debug("tls: handshake failed: {}", ec.message());
        return lowest().close();
      }
      auto text = std::make_shared<std::string>(
          "HTTP/1.1 400 Bad Request\r\nServer: sorak\r\nContent-Type: application/json\r\nConnection: close\r\n");
      const std::string body = error_response(error(errc::https_required)).body;
      text->append("Content-Length: ").append(std::to_string(body.size())).append("\r\n\r\n").append(body);
      metrics::count_http_response(400);
      asio::async_write(lowest().socket(), asio::buffer(*text),
                        [self = this->shared_from_this(), text](error_code, std::size_t) { self->linger_close(); });
    }
  }

  void do_read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(svc_.config.max_header_bytes));
    parser_->body_limit(svc_.config.max_body_bytes);
    // One deadline for the whole request: a client trickling its headers
    // (slowloris) is cut when it passes, however steadily bytes arrive.
    lowest().expires_after(request_timeout());
    http::async_read(io(), buffer_, *parser_,
                     [self = this->shared_from_this()](error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(error_code ec) {
    if (ec == http::error::end_of_stream) return close_gracefully();
    if (ec == http::error::body_limit) return send_and_close(error(errc::payload_too_large));
    if (ec == http::error::header_limit) return send_and_close(error(errc::headers_too_large));
    if (ec) {
      if (ec == beast::error::timeout || ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
          ec == asio::ssl::error::stream_truncated || ec == asio::error::eof)
        return lowest().close();
      return send_and_close(error(errc::bad_request, "The request is not valid HTTP"));
    }
    auto& req = parser_->get();
    if (beast::websocket::is_upgrade(req)) return upgrade(req);
    if (is_chat_ws_path(req.target()))
      return respond(error_response(error(errc::upgrade_required)), req.keep_alive(), req.version());
    handle(req);
  }

  // Handlers may read the store: they run on the blocking pool, and the
  // answer is written from this connection's worker.
  void handle(http::request<http::string_body>& req) {
    auto r = std::make_shared<http_request>();
    r->method = std::string(req.method_string());
    const bool keep_alive = req.keep_alive(), head = req.method() == http::verb::head;
    const unsigned version = req.version();
    if (!parse_request_target(req.target(), *r))
      return respond(error_response(error(errc::bad_request, "The request target does not parse")), keep_alive, version, head);
    r->authorization = std::string(req[http::field::authorization]);
    r->content_type = std::string(req[http::field::content_type]);
    r->body = std::move(req.body());
    svc_.blocking.post([self = this->shared_from_this(), r, keep_alive, version, head] {
      auto res = std::make_shared<http_response>(self->dispatch(*r));
      asio::post(self->worker_.ioc, [self, res, keep_alive, version, head] {
        self->respond(std::move(*res), keep_alive, version, head);
      });
    });
  }

  http_response dispatch(http_request& r) {
    try {
      return routes_.dispatch(r);
    } catch (const std::exception& e) {  // a bug must not take the server down
      spdlog::error("http: {} {} threw: {}", log_quoted(r.method), log_quoted(r.path), e.what());
      return error_response(error(errc::internal, "Internal error"));
    }
  }

  void respond(http_response r, bool keep_alive, unsigned version, bool head = false) {
    metrics::count_http_response(r.status);
    if (r.shared_body) {
      // The shared bytes stay alive until the write completes.
      auto res = std::make_shared<http::response<http::span_body<const char>>>(static_cast<http::status>(r.status),
                                                                               version);
      res->body() = {r.shared_body->data(), r.shared_body->size()};
      return send(std::move(res), r, keep_alive, head, std::move(r.shared_body));
    }
    auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(r.status), version);
    res->body() = std::move(r.body);
    send(std::move(res), r, keep_alive, head, nullptr);
  }

  template <class Body>
  void send(std::shared_ptr<http::response<Body>> res, http_response& r, bool keep_alive, bool head,
            std::shared_ptr<const std::string> keep) {
    res->set(http::field::server, "sorak");
    if (!r.content_type.empty()) res->set(http::field::content_type, r.content_type);
    res->set(http::field::cache_control, "no-store");
    for (auto& [k, v] : r.headers) res->set(k, v);
    res->keep_alive(keep_alive && !svc_.shutting_down.load());
    res->prepare_payload();
    if (head) res->body() = {};  // Content-Length stays that of the GET body
    lowest().expires_after(request_timeout());  // a client that does not read its answer is cut too
    http::async_write(io(), *res, [self = this->shared_from_this(), res, keep](error_code ec, std::size_t) {
      if (ec) return self->lowest().close();
      if (!res->keep_alive()) return self->close_gracefully();
      self->do_read();
    });
  }

  bool is_chat_ws_path(std::string_view target) const {
    http_request r;
    std::vector<std::string> params;
    return parse_request_target(target, r) && routes_.match(chat_ws_pattern, r.path, params);
  }

  void send_and_close(const error& e) { respond(error_response(e), false, 11); }

  // TLS: close_notify first (bounded by the deadline); then the TCP close.
  void close_gracefully() {
    if constexpr (Tls) {
      lowest().expires_after(linger_timeout);
      conn_->stream.async_shutdown([self = this->shared_from_this()](error_code) { self->linger_close(); });
    } else {
      linger_close();
    }
  }

  // Half-closes, then discards whatever the client still sends until it
  // closes too or linger_timeout passes; the socket closes when this session
  // goes away.
  void linger_close() {
    error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
    lowest().expires_after(linger_timeout);
    drain();
  }

  void drain() {
    buffer_.clear();
    lowest().async_read_some(buffer_.prepare(8192), [self = this->shared_from_this()](error_code ec, std::size_t) {
      if (!ec) self->drain();
    });
  }

  // The permessage-deflate answer to the request's offers, when the server
  // compresses at all and one offer can be honoured (else no extension).
  std::optional<deflate_terms> deflate_answer(const http::request<http::string_body>& req) const {
    if (svc_.config.ws_compression == server_config::ws_compression_mode::off) return std::nullopt;
    std::string offers;
    const auto [first, last] = req.equal_range(http::field::sec_websocket_extensions);
    for (auto f = first; f != last; ++f) {
      if (!offers.empty()) offers += ',';
      offers.append(f->value().data(), f->value().size());
    }
    return offers.empty() ? std::nullopt : negotiate_deflate(offers);
  }

  void upgrade(http::request<http::string_body>& req) {
    http_request r;
    std::vector<std::string> params;
    if (!parse_request_target(req.target(), r) || !routes_.match(chat_ws_pattern, r.path, params))
      return send_and_close(error(errc::not_found, "No WebSocket endpoint at this path"));
    const auto key = req[http::field::sec_websocket_key];
    if (key.empty() || req[http::field::sec_websocket_version] != "13")
      return send_and_close(error(errc::bad_upgrade, "A WebSocket upgrade needs Sec-WebSocket-Key and version 13"));
    if (svc_.shutting_down.load()) return send_and_close(error(errc::shutting_down, "The server is shutting down"));
    ip_slot slot;
    if (limits_.enabled()) {
      error_code ec;
      const auto peer = lowest().socket().remote_endpoint(ec);
      if (ec) return lowest().close();
      ip_key who = key_of(peer.address());
      if (!proxies_.empty()) {  // behind a reverse proxy: the client it names (client_address.hpp)
        std::string forwarded;
        const auto [first, last] = req.equal_range("X-Forwarded-For");
        for (auto f = first; f != last; ++f) {
          if (!forwarded.empty()) forwarded += ',';
          forwarded.append(f->value().data(), f->value().size());
        }
        who = client_address(who, forwarded, proxies_);
      }
      auto admitted = limits_.admit(who);
      if (!admitted) {
        spdlog::info("ws: upgrade from {} refused: {}", ip_text(who), admitted.err().code);
        return send_and_close(admitted.err());
      }
      slot = std::move(*admitted);
    }
    ws_target target;
    target.stream = params[0];
    if (auto t = r.query_value("token")) target.token = std::string(*t);
    if (auto s = r.query_value("since"); s && !s->empty()) target.since = std::string(*s);
    if (auto l = r.query_value("lossless")) target.lossless = *l == "true" || *l == "1";
    std::string handshake =
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ";
    handshake.append(websocket_accept_key(key)).append("\r\n");
    if (auto terms = deflate_answer(req)) {
      handshake.append("Sec-WebSocket-Extensions: ").append(terms->header).append("\r\n");
      target.deflate = true;
      target.deflate_chain = terms->chain;
    }
    handshake.append("\r\n");
    const auto leftover = buffer_.data();
    std::string_view rest(static_cast<const char*>(leftover.data()), leftover.size());
    lowest().expires_never();
    std::shared_ptr<ws_session> session;
    if constexpr (Tls)
      session = std::make_shared<ws_session>(std::move(conn_), worker_, svc_, std::move(slot));
    else
      session = std::make_shared<ws_session>(conn_.release_socket(), worker_, svc_, std::move(slot));
    session->start(std::move(handshake), rest, std::move(target));
  }

  holder conn_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  worker& worker_;
  services& svc_;
  const router& routes_;
  ip_limits& limits_;
  const trusted_proxies& proxies_;
};

}  // namespace

// One listening socket per worker, all bound to the same port with
// SO_REUSEPORT and each in its own worker's epoll: the kernel spreads new
// connections evenly over the workers (by a hash of the addresses), a
// connection is served on the worker that accepted it from the first byte
// with no hand-off between threads, and a connection wakes only the worker
// it went to. (One shared socket let whichever worker woke first take it: the
// workers ended up uneven, 592 and 418 viewers after a 1 k connect wave, and
// both woke for every connection.)
struct listener::impl : std::enable_shared_from_this<listener::impl> {
  impl(services& svc, const router& routes)
      : limits(std::make_shared<ip_limits>(svc.config.max_connections_per_ip, svc.config.connect_rate_per_ip)),
        proxies(trusted_from(svc.config.trusted_proxies)),
        context{svc, routes, *limits, proxies} {
    for (std::size_t w = 0; w < svc.workers.size(); ++w) {
      acceptors.emplace_back(svc.workers.at(w).ioc);
      retry_timers.emplace_back(svc.workers.at(w).ioc);
    }
    sweep_timer = std::make_unique<asio::steady_timer>(svc.workers.at(0).ioc);
  }

  void do_accept(std::size_t i) {
    acceptors[i].async_accept([self = shared_from_this(), i](error_code ec, tcp::socket socket) {
      auto& acceptor = self->acceptors[i];
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      if (ec) {
        spdlog::warn("accept: {}", ec.message());
        self->retry_timers[i].expires_after(accept_retry_delay);
        self->retry_timers[i].async_wait([self, i](error_code e) {
          if (!e) self->do_accept(i);
        });
        return;
      }
      auto& w = self->context.svc.workers.at(i);
      if (self->tls)
        std::make_shared<http_session<true>>(std::make_unique<tls_transport>(std::move(socket), *self->tls), w,
                                             self->context)
            ->run();
      else
        std::make_shared<http_session<false>>(beast::tcp_stream(std::move(socket)), w, self->context)->run();
      self->do_accept(i);
    });
  }

  void schedule_sweep() {
    sweep_timer->expires_after(ip_sweep_interval);
    sweep_timer->async_wait([self = shared_from_this()](error_code ec) {
      if (ec) return;
      self->limits->sweep();
      self->schedule_sweep();
    });
  }

  std::shared_ptr<ip_limits> limits;  // shared with every ip_slot
  trusted_proxies proxies;
  session_context context;
  std::shared_ptr<asio::ssl::context> tls;  // null: plain HTTP
  std::vector<tcp::acceptor> acceptors;  // [w]: worker w's listening socket, on worker w
  std::vector<asio::steady_timer> retry_timers;
  std::unique_ptr<asio::steady_timer> sweep_timer;  // on worker 0
};

listener::listener(services& svc, const router& routes) : impl_(std::make_shared<impl>(svc, routes)) {}
// REQUIRES: no worker runs (run_server stops them first, or never started
// them). The acceptors and timers belong to every worker's io_context, while
// handlers still queued on those contexts keep impl alive until the contexts
// are destroyed one after another; destroying the io objects then would use a
// service already freed (AddressSanitizer, make test-sanitize). So they go
// now, while every io_context still exists.
listener::~listener() {
  if (!impl_) return;
  impl_->acceptors.clear();
  impl_->retry_timers.clear();
  impl_->sweep_timer.reset();
}

result<std::uint16_t> listener::start(const std::string& host, std::uint16_t port) {
  const auto& cfg = impl_->context.svc.config;
  if (!cfg.tls_cert_file.empty()) {
    auto ctx = make_tls_context(cfg.tls_cert_file, cfg.tls_key_file);
    if (!ctx) return ctx.err();
    impl_->tls = std::move(*ctx);
  }
  error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) return error(errc::invalid_listen, "Cannot parse listen address " + host);
  tcp::endpoint ep(address, port);
  const auto failed = [&](const error_code& e) {
    return error(errc::internal, "Cannot listen on " + host + ":" + std::to_string(port) + ": " + e.message());
  };
  // SO_REUSEPORT would let a second server on the same port share it
  // silently; a plain bind first still says the port is taken.
  if (port != 0) {
    tcp::acceptor probe(impl_->acceptors.at(0).get_executor());
    probe.open(ep.protocol(), ec);
    if (!ec) probe.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) probe.bind(ep, ec);
    if (ec) return failed(ec);
  }
  for (auto& a : impl_->acceptors) {
    a.open(ep.protocol(), ec);
    if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) a.set_option(asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>(true), ec);
    // Set once here, inherited by every accepted connection (two system calls
    // fewer per connection): no Nagle delay, and the small send buffer that
    // makes a slow viewer's queue fill in sorakd, where it is bounded and cut.
    if (!ec) a.set_option(tcp::no_delay(true), ec);
    if (!ec && cfg.socket_send_buffer > 0)
      a.set_option(asio::socket_base::send_buffer_size(static_cast<int>(cfg.socket_send_buffer)), ec);
    if (!ec) a.bind(ep, ec);
    if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return failed(ec);
    ep.port(a.local_endpoint(ec).port());  // port 0: the others join the port the first one got
    if (ec) return failed(ec);
  }
  auto& a = impl_->acceptors.at(0);
  const auto bound = a.local_endpoint(ec).port();
  for (std::size_t i = 0; i < impl_->acceptors.size(); ++i)
    asio::post(impl_->acceptors[i].get_executor(), [i, self = impl_] { self->do_accept(i); });
  if (impl_->limits->enabled()) asio::post(impl_->sweep_timer->get_executor(), [self = impl_] { self->schedule_sweep(); });
  return bound;
}

void listener::stop() {
  if (!impl_) return;
  for (std::size_t i = 0; i < impl_->acceptors.size(); ++i) {
    asio::post(impl_->acceptors[i].get_executor(), [i, self = impl_] {
      error_code ignored;
      self->acceptors[i].close(ignored);
      self->retry_timers[i].cancel();
      if (i == 0) self->sweep_timer->cancel();
    });
  }
}

}  // namespace sorak
