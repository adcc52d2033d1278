// config.hpp: everything sorakd can be told, with the contract's defaults.
//
// Filled once at start-up (src/app/config.cpp reads flags and SORAK_* env
// vars) and read-only afterwards, so any thread may read it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/rate_limiter.hpp"

namespace sorak {

struct server_config {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 8080;
  std::string store_url = "sqlite:./var/sorak.db";
  std::string broker_url = "memory";
  std::string jwt_secret;
  std::string admin_key;
  std::string data_dir = "./var";
  std::string web_dir;  // static pages; empty = the copy beside the sources
  unsigned threads = 0;  // 0 = core count
  bool dev = false;
  std::string log_level = "info";

  rate_limit user_rate{20, 30};
  rate_limit privileged_rate{100, 30};

  // Gifts and the Showroom-style API
  std::string gifts_file;                 // --gifts: a JSON catalog; empty = the built-in one
  rate_limit api_key_rate{120, 60};       // requests per API key

  // WebSocket
  std::size_t max_frame_bytes = 16 * 1024;
  std::size_t max_queue_bytes = 1024 * 1024;  // slow-consumer cut-off
  // Past this many bytes queued, a viewer is thinned: its chat lines are left
  // out (everything else still goes) until it catches up, then told `skipped`.
  // 0: max_queue_bytes / 4.
  std::size_t soft_queue_bytes = 0;
  // permessage-deflate (RFC 7692): `shared` accepts a client's offer and
  // deflates each room event once for every viewer that negotiated it; `off`
  // never negotiates.
  enum class ws_compression_mode { off, shared };
  ws_compression_mode ws_compression = ws_compression_mode::shared;
  // SO_SNDBUF of a WebSocket viewer (0: the kernel's autotuned default, up to
  // megabytes). Small, so a viewer that stops reading fills it quickly and the
  // queue above, not the kernel, decides when the viewer is cut.
  int socket_send_buffer = 64 * 1024;
  // Send each worker's flush round as one io_uring submission (falls back to
  // one sendmsg per viewer where the kernel refuses io_uring).
  bool io_uring = true;
  std::int64_t ping_interval_ms = 30'000;
  std::int64_t idle_timeout_ms = 75'000;
  std::int64_t viewer_count_interval_ms = 5'000;
  std::size_t history_on_connect = 50;
  std::size_t recovery_max = 1000;
  std::size_t ring_capacity = 1000;
  // A room with no viewers, requests or events this long is closed and its
  // memory returned (checked every viewer_count_interval_ms); the next viewer
  // opens it again from the store.
  std::int64_t room_idle_seconds = 300;
  // Retention (CONTRACT §12): messages older than this many days are pruned
  // in the background (0: kept forever); a pass at start, then every
  // retention_interval_seconds.
  std::int64_t retention_days = 0;
  std::int64_t retention_interval_seconds = 600;
  // Threads that run store reads and REST handlers off the event loops
  // (0: as many as cores, at least 2).
  unsigned blocking_threads = 0;

  // HTTP
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 64 * 1024;
  // A connection must deliver a whole request (headers and body; for TLS also
  // the handshake) within this long of connecting or of its previous response.
  std::int64_t http_timeout_ms = 30'000;

  // Abuse caps per client address (0 = off; src/net/ip_limits.hpp)
  std::size_t max_connections_per_ip = 0;
  rate_limit connect_rate_per_ip{0, 1};
  // Reverse proxies (ADDRESS or ADDRESS/PREFIX) whose X-Forwarded-For names
  // the client for the caps above (src/net/client_address.hpp).
  std::vector<std::string> trusted_proxies;

  // Native TLS: both set = https and wss on the listen port
  std::string tls_cert_file;
  std::string tls_key_file;
  // Webhooks (CONTRACT §12): private and loopback receivers are refused unless allowed.
  bool webhook_allow_private = false;
  std::int64_t webhook_timeout_ms = 10'000;
  std::string webhook_ca_file;
};

}  // namespace sorak
