#include "app/config.hpp"

#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>

#include "net/client_address.hpp"

namespace sorak {

namespace {

bool split_listen(const std::string& text, server_config& out) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) return false;
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  try {
    const int port = std::stoi(text.substr(colon + 1));
    if (port < 0 || port > 65535) return false;
    out.listen_host = host.empty() ? "0.0.0.0" : host;
    out.listen_port = static_cast<std::uint16_t>(port);
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

std::string read_secret_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw CLI::ValidationError("--jwt-secret-file", "cannot read " + path);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

int parse_config(int argc, char** argv, server_config& out) {
  CLI::App app{"sorakd: the Sorak live-stream chat server"};
  std::string listen = out.listen_host + ":" + std::to_string(out.listen_port);
  std::string secret_file, rate_user = "20/30", rate_mod = "100/30", rate_api = "120/60";
  app.add_option("--listen", listen, "HOST:PORT to listen on (port 0 picks a free one)")->envname("SORAK_LISTEN");
  app.add_option("--store", out.store_url, "sqlite:PATH, or postgres://USER@HOST:PORT/DB (also postgresql://…)")->envname("SORAK_STORE");
  app.add_option("--broker", out.broker_url, "memory")->envname("SORAK_BROKER");
  app.add_option("--jwt-secret", out.jwt_secret, "HS256 secret for user tokens")->envname("SORAK_JWT_SECRET");
  app.add_option("--jwt-secret-file", secret_file, "file holding the JWT secret")->envname("SORAK_JWT_SECRET_FILE");
  app.add_option("--admin-key", out.admin_key, "key for /api/v1/admin/* and admin actions")->envname("SORAK_ADMIN_KEY");
  app.add_option("--threads", out.threads, "worker threads (default: core count)")->envname("SORAK_THREADS");
  app.add_flag("--dev", out.dev, "dev mode: generate missing secrets, create a demo stream, print tokens")->envname("SORAK_DEV");
  app.add_option("--data-dir", out.data_dir, "where dev mode keeps its secrets")->envname("SORAK_DATA_DIR");
  app.add_option("--web-dir", out.web_dir, "directory of the web pages (default: the source tree's web/)")
      ->envname("SORAK_WEB_DIR")
      ->check(CLI::ExistingDirectory);
  app.add_option("--log-level", out.log_level, "trace|debug|info|warn|error")->envname("SORAK_LOG_LEVEL")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  app.add_option("--rate-limit", rate_user, "messages per user per stream, N/SECONDS (0 = off)")->envname("SORAK_RATE_LIMIT");
  app.add_option("--rate-limit-mod", rate_mod, "the same for the broadcaster and moderators")->envname("SORAK_RATE_LIMIT_MOD");
  app.add_option("--gifts", out.gifts_file, "JSON gift catalog {\"gifts\":[{gift_id, gift_name, stars}]}")
      ->envname("SORAK_GIFTS");
  app.add_option("--api-key-rate-limit", rate_api, "Showroom API requests per API key, N/SECONDS (0 = off)")
      ->envname("SORAK_API_KEY_RATE_LIMIT");
  app.add_option("--soft-queue-bytes", out.soft_queue_bytes,
                 "bytes queued for one viewer past which its chat lines are skipped until it catches up "
                 "(0: a quarter of --max-queue-bytes)")
      ->envname("SORAK_SOFT_QUEUE_BYTES");
  using compression = server_config::ws_compression_mode;
  std::string ws_compression = out.ws_compression == compression::off ? "off" : "shared";
  app.add_option("--ws-compression", ws_compression,
                 "permessage-deflate for clients that offer it: shared (each event deflated once for every such "
                 "viewer) or off")
      ->envname("SORAK_WS_COMPRESSION")
      ->check(CLI::IsMember({"off", "shared"}));
  app.add_option("--max-queue-bytes", out.max_queue_bytes, "bytes queued for one viewer before it is cut as a slow consumer")
      ->envname("SORAK_MAX_QUEUE_BYTES");
  app.add_option("--socket-send-buffer", out.socket_send_buffer,
                 "SO_SNDBUF of every connection (WebSocket viewers and HTTP) in bytes (0 = the kernel's default)")
      ->envname("SORAK_SOCKET_SEND_BUFFER")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--io-uring", out.io_uring, "send each worker's writes as one io_uring submission (true|false)")
      ->envname("SORAK_IO_URING");
  app.add_option("--ping-interval-ms", out.ping_interval_ms, "server WebSocket ping period")->envname("SORAK_PING_INTERVAL_MS");
  app.add_option("--idle-timeout-ms", out.idle_timeout_ms, "close a connection silent this long")->envname("SORAK_IDLE_TIMEOUT_MS");
  app.add_option("--viewer-count-interval-ms", out.viewer_count_interval_ms, "viewer_count period")
      ->envname("SORAK_VIEWER_COUNT_INTERVAL_MS");
  app.add_option("--room-idle-seconds", out.room_idle_seconds,
                 "close a room nobody has watched or used this long (its memory returns; the next viewer reopens it)")
      ->envname("SORAK_ROOM_IDLE_SECONDS")
      ->check(CLI::PositiveNumber);
  app.add_option("--retention-days", out.retention_days,
                 "prune messages older than this many days in the background (0 = keep forever)")
      ->envname("SORAK_RETENTION_DAYS")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1'000'000}));
  // For tests and operators who want a pass sooner than the default ten minutes.
  app.add_option("--retention-interval-seconds", out.retention_interval_seconds,
                 "seconds between retention passes (with --retention-days)")
      ->envname("SORAK_RETENTION_INTERVAL_SECONDS")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{86'400}))
      ->group("");  // hidden from --help
  app.add_option("--blocking-threads", out.blocking_threads,
                 "threads for store reads and REST handlers, off the event loops (0 = cores, at least 2)")
      ->envname("SORAK_BLOCKING_THREADS");
  std::string connect_rate = "0";
  app.add_option("--http-timeout-ms", out.http_timeout_ms, "time allowed for a whole HTTP request (and TLS handshake)")
      ->envname("SORAK_HTTP_TIMEOUT_MS");
  app.add_option("--max-connections-per-ip", out.max_connections_per_ip, "open WebSockets per client address (0 = off)")
      ->envname("SORAK_MAX_CONNECTIONS_PER_IP")
      ->check(CLI::Range(0, 10'000'000));
  app.add_option("--connect-rate-per-ip", connect_rate, "WebSocket upgrades per client address, N/SECONDS (0 = off)")
      ->envname("SORAK_CONNECT_RATE_PER_IP");
  app.add_option("--trusted-proxy", out.trusted_proxies,
                 "a reverse proxy (ADDRESS or ADDRESS/PREFIX, repeatable or comma-separated) whose X-Forwarded-For "
                 "names the client for the per-address caps")
      ->envname("SORAK_TRUSTED_PROXIES")
      ->delimiter(',');
  app.add_option("--tls-cert", out.tls_cert_file, "PEM certificate chain: serve https and wss")->envname("SORAK_TLS_CERT");
  app.add_option("--tls-key", out.tls_key_file, "PEM private key of --tls-cert")->envname("SORAK_TLS_KEY");
  app.add_flag("--webhook-allow-private", out.webhook_allow_private,
               "let webhooks post to private and loopback addresses (refused by default)")
      ->envname("SORAK_WEBHOOK_ALLOW_PRIVATE");
  app.add_option("--webhook-timeout-ms", out.webhook_timeout_ms,
                 "time a webhook receiver has to answer one delivery (connect, TLS and answer)")
      ->envname("SORAK_WEBHOOK_TIMEOUT_MS")
      ->check(CLI::Range(100, 120'000));
  app.add_option("--webhook-ca-file", out.webhook_ca_file, "extra CA certificates (PEM) trusted for https webhook receivers")
      ->envname("SORAK_WEBHOOK_CA_FILE")
      ->check(CLI::ExistingFile);
  try {
    app.parse(argc, argv);
    if (!split_listen(listen, out)) throw CLI::ValidationError("--listen", "expected HOST:PORT, got " + listen);
    if (!secret_file.empty()) out.jwt_secret = read_secret_file(secret_file);
    out.ws_compression = ws_compression == "off" ? compression::off : compression::shared;
    if (!parse_rate_limit(rate_user, out.user_rate)) throw CLI::ValidationError("--rate-limit", "expected N/SECONDS or 0");
    if (!parse_rate_limit(rate_mod, out.privileged_rate)) throw CLI::ValidationError("--rate-limit-mod", "expected N/SECONDS or 0");
    if (!parse_rate_limit(rate_api, out.api_key_rate))
      throw CLI::ValidationError("--api-key-rate-limit", "expected N/SECONDS or 0");
    if (!parse_rate_limit(connect_rate, out.connect_rate_per_ip))
      throw CLI::ValidationError("--connect-rate-per-ip", "expected N/SECONDS or 0");
    for (const auto& p : out.trusted_proxies)
      if (auto r = parse_address_range(p); !r) throw CLI::ValidationError("--trusted-proxy", r.err().message);
    if (out.tls_cert_file.empty() != out.tls_key_file.empty())
      throw CLI::ValidationError("--tls-cert", "--tls-cert and --tls-key go together");
    if (out.http_timeout_ms < 10) throw CLI::ValidationError("--http-timeout-ms", "must be at least 10 ms");
    if (out.ping_interval_ms < 10 || out.idle_timeout_ms < 10 || out.viewer_count_interval_ms < 10)
      throw CLI::ValidationError("timers", "intervals must be at least 10 ms");
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  return -1;
}

}  // namespace sorak
