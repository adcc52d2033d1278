// The HTTP side of the server: the listener and one http_session per
// connection (Boost.Beast), which answers REST requests from the route table
// and turns chat WebSocket upgrades into ws_sessions. All Beast HTTP code
// lives in this one translation unit.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/url/parse.hpp>
#include <spdlog/spdlog.h>

#include "app/services.hpp"
#include "http/router.hpp"
#include "http/routes.hpp"
#include "net/listener.hpp"
#include "net/worker_pool.hpp"
#include "net/ws_session.hpp"
#include "protocol/ws_frame.hpp"

namespace sorak {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr auto http_idle_timeout = std::chrono::seconds(30);

// Target → path and decoded query. False when the target does not parse.
bool parse_target(std::string_view target, http_request& out) {
  auto u = boost::urls::parse_origin_form(target);
  if (!u) return false;
  out.path = u->path();
  for (auto p : u->params()) out.query.emplace(p.key, p.value);
  return true;
}

class http_session : public std::enable_shared_from_this<http_session> {
 public:
  http_session(tcp::socket socket, worker& w, services& svc, const router& routes)
      : stream_(std::move(socket)),
        buffer_(svc.config.max_header_bytes + 8192),  // room for the largest header block allowed
        worker_(w),
        svc_(svc),
        routes_(routes) {}

  void run() { do_read(); }

 private:
  void do_read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(svc_.config.max_header_bytes));
    parser_->body_limit(svc_.config.max_body_bytes);
    stream_.expires_after(http_idle_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(error_code ec) {
    if (ec == http::error::end_of_stream) return shutdown();
    if (ec == http::error::body_limit) return send_and_close(error{413, "payload_too_large", "The request body is too large"});
    if (ec == http::error::header_limit) return send_and_close(error{431, "headers_too_large", "The request headers are too large"});
    if (ec) {
      if (ec != beast::error::timeout && ec != asio::error::operation_aborted && ec != asio::error::connection_reset)
        send_and_close(error::bad_request("bad_request", "The request is not valid HTTP"));
      return;
    }
    auto& req = parser_->get();
    if (beast::websocket::is_upgrade(req)) return upgrade(req);
    if (is_chat_ws_path(req.target()))
      return respond(error_response({426, "upgrade_required", "This endpoint speaks WebSocket; send an upgrade request"}),
                     req.keep_alive(), req.version());
    respond(handle(req), req.keep_alive(), req.version(), req.method() == http::verb::head);
  }

  http_response handle(http::request<http::string_body>& req) {
    http_request r;
    r.method = std::string(req.method_string());
    if (!parse_target(req.target(), r)) return error_response(error::bad_request("bad_request", "The request target does not parse"));
    r.authorization = std::string(req[http::field::authorization]);
    r.content_type = std::string(req[http::field::content_type]);
    r.body = std::move(req.body());
    try {
      return routes_.dispatch(r);
    } catch (const std::exception& e) {  // a bug must not take the server down
      spdlog::error("http: {} {} threw: {}", r.method, r.path, e.what());
      return error_response(error::internal("Internal error"));
    }
  }

  void respond(http_response r, bool keep_alive, unsigned version, bool head = false) {
    auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(r.status), version);
    res->set(http::field::server, "sorak");
    if (!r.content_type.empty()) res->set(http::field::content_type, r.content_type);
    res->set(http::field::cache_control, "no-store");
    for (auto& [k, v] : r.headers) res->set(k, v);
    res->body() = std::move(r.body);
    res->keep_alive(keep_alive && !svc_.shutting_down.load());
    res->prepare_payload();
    if (head) res->body().clear();  // Content-Length stays that of the GET body
    http::async_write(stream_, *res, [self = shared_from_this(), res](error_code ec, std::size_t) {
      if (ec) return;
      if (!res->keep_alive()) return self->shutdown();
      self->do_read();
    });
  }

  bool is_chat_ws_path(std::string_view target) const {
    http_request r;
    std::vector<std::string> params;
    return parse_target(target, r) && routes_.match(chat_ws_pattern, r.path, params);
  }

  void send_and_close(const error& e) { respond(error_response(e), false, 11); }

  void shutdown() {
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  void upgrade(http::request<http::string_body>& req) {
    http_request r;
    std::vector<std::string> params;
    if (!parse_target(req.target(), r) || !routes_.match(chat_ws_pattern, r.path, params))
      return send_and_close(error::not_found("not_found", "No WebSocket endpoint at this path"));
    const auto key = req[http::field::sec_websocket_key];
    if (key.empty() || req[http::field::sec_websocket_version] != "13")
      return send_and_close(error::bad_request("bad_upgrade", "A WebSocket upgrade needs Sec-WebSocket-Key and version 13"));
    if (svc_.shutting_down.load()) return send_and_close(error::unavailable("The server is shutting down"));
    ws_target target;
    target.stream = params[0];
    if (auto t = r.query_value("token")) target.token = std::string(*t);
    if (auto s = r.query_value("since"); s && !s->empty()) target.since = std::string(*s);
    std::string handshake =
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ";
    handshake.append(websocket_accept_key(key)).append("\r\n\r\n");
    const auto leftover = buffer_.data();
    std::string_view rest(static_cast<const char*>(leftover.data()), leftover.size());
    stream_.expires_never();
    auto session = std::make_shared<ws_session>(stream_.release_socket(), worker_, svc_);
    session->start(std::move(handshake), rest, std::move(target));
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  worker& worker_;
  services& svc_;
  const router& routes_;
};

}  // namespace

// One acceptor per worker, all on the same listening socket (each holds a
// dup of it, registered in its own worker's epoll): a connection is accepted
// by whichever worker is free and served on that worker from the first byte,
// with no hand-off between threads. A quiet worker wakes for a connection the
// other one takes: with a few workers that costs less than a post per
// connection.
struct listener::impl : std::enable_shared_from_this<listener::impl> {
  impl(services& svc, const router& routes) : svc(svc), routes(routes) {
    for (std::size_t w = 0; w < svc.workers.size(); ++w) acceptors.emplace_back(svc.workers.at(w).ioc);
  }

  void do_accept(std::size_t i) {
    acceptors[i].async_accept([self = shared_from_this(), i](error_code ec, tcp::socket socket) {
      auto& acceptor = self->acceptors[i];
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      if (!ec) {
        socket.set_option(tcp::no_delay(true), ec);
        std::make_shared<http_session>(std::move(socket), self->svc.workers.at(i), self->svc, self->routes)->run();
      } else {
        spdlog::warn("accept: {}", ec.message());
      }
      self->do_accept(i);
    });
  }

  services& svc;
  const router& routes;
  std::vector<tcp::acceptor> acceptors;  // [w] runs on worker w; [0] owns the bound socket
};

listener::listener(services& svc, const router& routes) : impl_(std::make_shared<impl>(svc, routes)) {}
listener::~listener() { stop(); }

result<std::uint16_t> listener::start(const std::string& host, std::uint16_t port) {
  error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) return error::bad_request("invalid_listen", "Cannot parse listen address " + host);
  tcp::endpoint ep(address, port);
  auto& a = impl_->acceptors.at(0);
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return error::internal("Cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message());
  for (std::size_t i = 1; i < impl_->acceptors.size() && !ec; ++i) {
    const int fd = ::dup(a.native_handle());
    if (fd < 0) return error::internal("Cannot share the listening socket: " + std::string(std::strerror(errno)));
    impl_->acceptors[i].assign(ep.protocol(), fd, ec);
    if (ec) ::close(fd);
  }
  if (ec) return error::internal("Cannot share the listening socket: " + ec.message());
  const auto bound = a.local_endpoint(ec).port();
  for (std::size_t i = 0; i < impl_->acceptors.size(); ++i)
    asio::post(impl_->acceptors[i].get_executor(), [i, self = impl_] { self->do_accept(i); });
  return bound;
}

void listener::stop() {
  if (!impl_) return;
  for (auto& acceptor : impl_->acceptors) {
    asio::post(acceptor.get_executor(), [&acceptor, keep = impl_] {
      error_code ignored;
      acceptor.close(ignored);
    });
  }
}

}  // namespace sorak
