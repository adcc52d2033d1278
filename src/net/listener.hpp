// listener.hpp: accepts TCP connections and hands each to a worker.
//
// Every worker accepts on its own listening socket (SO_REUSEPORT, see http_server.cpp); an
// accepted socket is served by the worker that accepted it for its whole
// life: first as HTTP (src/net/http_server.cpp), then, after an upgrade, as a
// ws_session; over TLS when the config names a certificate (net/tls.hpp).
// The listener also owns the per-address abuse caps (net/ip_limits.hpp),
// checked at each upgrade. Thread-safety: start/stop from the thread that
// owns the server.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "sorak/result.hpp"

namespace sorak {

struct services;
class router;

class listener {
 public:
  listener(services& svc, const router& routes);
  ~listener();
  // Loads the TLS certificate (if configured), binds and starts accepting.
  // Returns the bound port (useful with port 0).
  result<std::uint16_t> start(const std::string& host, std::uint16_t port);
  // Stops accepting new connections (open ones are left alone).
  void stop();

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace sorak
