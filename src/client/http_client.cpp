// http_client.cpp: Beast's HTTP over a beast::tcp_stream, driven to
// completion on a private io_context so each call blocks like a sync call but
// honours the stream's timeout.
#include "client/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace sorak::client {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using beast::error_code;

namespace {

constexpr std::uint64_t max_body_bytes = 64 * 1024 * 1024;

error transport_error(const endpoint& ep, std::string_view what, const error_code& ec) {
  const bool timed_out = ec == beast::error::timeout;
  std::string msg = std::string(what) + " " + ep.host + ":" + ep.port + ": " + ec.message();
  return error(timed_out ? errc::timeout : errc::connection_failed, std::move(msg));
}

std::string host_header(const endpoint& ep) {
  const bool ipv6 = ep.host.find(':') != std::string::npos;
  return (ipv6 ? "[" + ep.host + "]" : ep.host) + ":" + ep.port;
}

bool is_idempotent(http::verb v) {
  return v == http::verb::get || v == http::verb::head || v == http::verb::put ||
         v == http::verb::delete_ || v == http::verb::options;
}

// The peer closed a kept-alive connection before answering: worth one retry.
bool is_stale_connection(const error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == asio::error::eof;
}

}  // namespace

struct http_client::impl {
  endpoint ep;
  std::chrono::milliseconds timeout;
  asio::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
  bool connected = false;

  // Runs the io_context until the operation started by `start` completes.
  template <class Start>
  error_code run(Start start) {
    error_code result;
    start([&result](error_code ec, auto&&...) { result = ec; });
    ioc.restart();
    ioc.run();
    return result;
  }

  error_code connect() {
    tcp::resolver resolver(ioc);
    error_code ec;
    const auto endpoints = resolver.resolve(ep.host, ep.port, ec);
    if (ec) return ec;
    stream.expires_after(timeout);
    ec = run([&](auto handler) { stream.async_connect(endpoints, std::move(handler)); });
    connected = !ec;
    buffer.clear();
    return ec;
  }

  void disconnect() {
    error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.close();
    connected = false;
  }

  error_code exchange(http::request<http::string_body>& req, http::response_parser<http::string_body>& parser) {
    stream.expires_after(timeout);
    error_code ec = run([&](auto handler) { http::async_write(stream, req, std::move(handler)); });
    if (ec) return ec;
    stream.expires_after(timeout);
    return run([&](auto handler) { http::async_read(stream, buffer, parser, std::move(handler)); });
  }

  result<http_response> send(http::request<http::string_body>& req) {
    const bool reused = connected;
    if (!connected) {
      if (auto ec = connect()) return transport_error(ep, "cannot connect to", ec);
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(max_body_bytes);
    if (auto ec = exchange(req, parser)) {
      disconnect();
      if (reused && is_stale_connection(ec) && is_idempotent(req.method())) return send(req);
      return transport_error(ep, "request to", ec);
    }
    auto& res = parser.get();
    if (!res.keep_alive()) disconnect();
    http_response out;
    out.status = static_cast<int>(res.result_int());
    out.content_type = std::string(res[http::field::content_type]);
    out.body = std::move(res.body());
    return out;
  }
};

http_client::http_client(endpoint ep, std::chrono::milliseconds timeout) : impl_(std::make_unique<impl>()) {
  impl_->ep = std::move(ep);
  impl_->timeout = timeout;
}

http_client::~http_client() {
  if (impl_ && impl_->connected) impl_->disconnect();
}

result<http_response> http_client::request(std::string_view method, std::string_view target,
                                           const std::vector<http_header>& headers, std::string_view body) {
  const http::verb verb = http::string_to_verb(method);
  if (verb == http::verb::unknown) {
    return error(errc::invalid_method, "unknown HTTP method " + std::string(method));
  }
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, host_header(impl_->ep));
  req.set(http::field::user_agent, "sorak-cli");
  req.set(http::field::accept, "application/json");
  req.keep_alive(true);
  for (const auto& h : headers) req.set(h.name, h.value);
  if (!body.empty() || verb == http::verb::post || verb == http::verb::patch || verb == http::verb::put) {
    if (req[http::field::content_type].empty()) req.set(http::field::content_type, "application/json");
    req.body() = std::string(body);
  }
  req.prepare_payload();
  return impl_->send(req);
}

}  // namespace sorak::client
