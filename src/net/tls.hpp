// tls.hpp: native TLS (`--tls-cert FILE --tls-key FILE`): https and wss on the
// listen port, OpenSSL through asio::ssl.
//
// A TLS connection's transport is chosen once, when it is accepted: the HTTP
// session (http_server.cpp) reads and writes through tls_transport::stream,
// and after an upgrade the ws_session takes the whole tls_transport over. The
// plain-TCP write path (one non-blocking sendmsg per flush round) is untouched;
// a TLS viewer's flush round gathers its queued frames into `out` and writes
// them as one SSL write (asio::ssl handles WANT_READ/WANT_WRITE and partial
// writes), so records stay large and a round costs one encryption call.
//
// Thread-safety: a tls_transport belongs to one connection on one worker; the
// context is read-only after make_tls_context and shared by every worker.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <array>
#include <memory>
#include <string>

#include "sorak/result.hpp"

namespace sorak {

using tls_stream = boost::asio::ssl::stream<boost::beast::tcp_stream>;

struct tls_transport {
  tls_transport(boost::asio::ip::tcp::socket socket, boost::asio::ssl::context& ctx) : stream(std::move(socket), ctx) {}

  tls_stream stream;
  // WebSocket phase only. Decrypted bytes land here before framing; the
  // session then parses them in its worker's shared buffer like plain reads.
  // Small: client frames are small, and every TLS viewer carries one.
  std::array<char, 4 * 1024> read_buffer;
  // The frames of the write in flight, gathered into one SSL write (at most
  // 64 KiB); given back after a burst so an idle viewer keeps little.
  std::string out;
};

// A server context from PEM files (certificate chain, private key), TLS 1.2
// and up. An error names the file that could not be used.
result<std::shared_ptr<boost::asio::ssl::context>> make_tls_context(const std::string& cert_file,
                                                                     const std::string& key_file);

// True when a failed handshake read a plain-HTTP request (the client spoke
// http:// to the https port): the socket is untouched, so a plain error
// response can still be written on it.
bool is_plain_http_on_tls(const boost::system::error_code& ec);

}  // namespace sorak
