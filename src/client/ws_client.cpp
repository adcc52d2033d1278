// ws_client.cpp: Beast's websocket::stream over a beast::tcp_stream, driven
// on a private io_context one handler at a time until a deadline.
#include "client/ws_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "client/api.hpp"

namespace sorak::client {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using beast::error_code;
using clock_type = std::chrono::steady_clock;

namespace {

error transport_error(std::string_view what, const error_code& ec) {
  const bool timed_out = ec == beast::error::timeout;
  return error(timed_out ? errc::timeout : errc::connection_failed, std::string(what) + ": " + ec.message());
}

std::string host_header(const endpoint& ep) {
  const bool ipv6 = ep.host.find(':') != std::string::npos;
  return (ipv6 ? "[" + ep.host + "]" : ep.host) + ":" + ep.port;
}

}  // namespace

struct ws_client::impl {
  asio::io_context ioc;
  std::unique_ptr<websocket::stream<beast::tcp_stream>> ws_ptr =
      std::make_unique<websocket::stream<beast::tcp_stream>>(ioc);
  websocket::stream<beast::tcp_stream>& ws() { return *ws_ptr; }
  beast::flat_buffer buffer;
  bool open = false;
  bool read_pending = false;  // an async_read is outstanding
  bool read_done = false;     // …and has completed with read_ec
  error_code read_ec;

  // Runs handlers until `done` is true or the deadline passes.
  bool run_until(const bool& done, clock_type::time_point deadline) {
    while (!done && clock_type::now() < deadline) {
      if (ioc.stopped()) ioc.restart();
      if (ioc.run_one_until(deadline) == 0 && ioc.stopped() && !done) return false;  // no work left
    }
    return done;
  }

  void start_read() {
    read_pending = true;
    read_done = false;
    ws().async_read(buffer, [this](error_code ec, std::size_t) {
      read_ec = ec;
      read_pending = false;
      read_done = true;
    });
  }

  // Closes the socket under every pending operation and lets them finish.
  void abort() {
    error_code ignored;
    beast::get_lowest_layer(ws()).socket().close(ignored);
    ioc.restart();
    ioc.run_for(std::chrono::seconds(1));
    open = false;
    read_pending = false;
    read_done = false;
    buffer.clear();
  }

  ws_frame take_read_result() {
    read_done = false;
    ws_frame frame;
    if (read_ec) {
      open = false;
      frame.kind = ws_frame_kind::closed;
      if (read_ec == websocket::error::closed) {
        frame.close_code = static_cast<int>(ws().reason().code);
        frame.close_reason = std::string(ws().reason().reason.data(), ws().reason().reason.size());
      } else {
        frame.close_code = ws_abnormal_closure;
        frame.close_reason = read_ec.message();
      }
      return frame;
    }
    frame.kind = ws().got_text() ? ws_frame_kind::text : ws_frame_kind::timeout;
    if (frame.kind == ws_frame_kind::text) frame.text = beast::buffers_to_string(buffer.data());
    buffer.consume(buffer.size());
    return frame;
  }

  status connect(const endpoint& ep, std::string_view target, std::chrono::milliseconds timeout);
};

status ws_client::impl::connect(const endpoint& ep, std::string_view target, std::chrono::milliseconds timeout) {
  const auto deadline = clock_type::now() + timeout;
  tcp::resolver resolver(ioc);
  error_code ec;
  const auto endpoints = resolver.resolve(ep.host, ep.port, ec);
  if (ec) return transport_error("cannot resolve " + ep.host, ec);
  bool done = false;
  auto& tcp_layer = beast::get_lowest_layer(ws());
  tcp_layer.expires_after(timeout);
  tcp_layer.async_connect(endpoints, [&](error_code e, const tcp::endpoint&) { ec = e, done = true; });
  if (!run_until(done, deadline + std::chrono::seconds(1)) || ec) {
    abort();
    return transport_error("cannot connect to " + host_header(ep), ec ? ec : beast::error::timeout);
  }
  tcp_layer.expires_never();
  auto opts = websocket::stream_base::timeout::suggested(beast::role_type::client);
  opts.handshake_timeout = timeout;
  ws().set_option(opts);
  // permessage-deflate as browsers offer it: a busy stream's events reach a
  // CLI viewer as the server's shared DEFLATE chains (a ninth of the bytes);
  // a server that declines sends them plain.
  websocket::permessage_deflate deflate;
  deflate.client_enable = true;
  ws().set_option(deflate);
  ws().set_option(websocket::stream_base::decorator(
      [](websocket::request_type& req) { req.set(http::field::user_agent, "sorak-cli"); }));
  websocket::response_type res;
  done = false;
  ws().async_handshake(res, host_header(ep), target, [&](error_code e) { ec = e, done = true; });
  if (!run_until(done, deadline + std::chrono::seconds(1)) || ec) {
    abort();
    if (res.result_int() != 0 && res.result() != http::status::switching_protocols) {
      return error_from_http(static_cast<int>(res.result_int()), res.body());
    }
    return transport_error("WebSocket handshake with " + host_header(ep), ec ? ec : beast::error::timeout);
  }
  open = true;
  return ok_value;
}

ws_client::ws_client() : impl_(std::make_unique<impl>()) {}

ws_client::~ws_client() {
  if (impl_->open || impl_->read_pending) impl_->abort();
}

status ws_client::connect(const endpoint& ep, std::string_view target, std::chrono::milliseconds timeout) {
  if (impl_->open || impl_->read_pending) impl_->abort();
  // A stream cannot be reused after a close: every connection gets a fresh one.
  impl_->ws_ptr = std::make_unique<websocket::stream<beast::tcp_stream>>(impl_->ioc);
  return impl_->connect(ep, target, timeout);
}

status ws_client::connect(std::string_view ws_url, std::chrono::milliseconds timeout) {
  auto located = split_url(ws_url);
  if (!located) return located.err();
  return connect(located->ep, located->target, timeout);
}

ws_frame ws_client::read_text(std::chrono::milliseconds timeout) {
  const auto deadline = clock_type::now() + timeout;
  for (;;) {
    if (!impl_->open && !impl_->read_done) {
      return ws_frame{ws_frame_kind::closed, {}, ws_abnormal_closure, "not connected"};
    }
    if (!impl_->read_pending && !impl_->read_done) impl_->start_read();
    if (!impl_->run_until(impl_->read_done, deadline)) return ws_frame{};
    ws_frame frame = impl_->take_read_result();
    if (frame.kind != ws_frame_kind::timeout) return frame;  // a binary message is skipped
  }
}

status ws_client::write_text(std::string_view text, std::chrono::milliseconds timeout) {
  if (!impl_->open) return error(errc::connection_failed, "the WebSocket connection is closed");
  bool done = false;
  error_code ec;
  impl_->ws().text(true);
  impl_->ws().async_write(asio::buffer(text.data(), text.size()), [&](error_code e, std::size_t) {
    ec = e;
    done = true;
  });
  if (!impl_->run_until(done, clock_type::now() + timeout)) {
    impl_->abort();
    return transport_error("WebSocket write", beast::error::timeout);
  }
  if (ec) return transport_error("WebSocket write", ec);
  return ok_value;
}

void ws_client::close(int code, std::string_view reason, std::chrono::milliseconds timeout) {
  if (!impl_->open) {
    if (impl_->read_pending) impl_->abort();
    return;
  }
  bool done = false;
  websocket::close_reason why(static_cast<websocket::close_code>(code), reason);
  impl_->ws().async_close(why, [&](error_code) { done = true; });
  impl_->run_until(done, clock_type::now() + timeout);
  impl_->abort();
}

bool ws_client::is_open() const { return impl_->open; }

}  // namespace sorak::client
