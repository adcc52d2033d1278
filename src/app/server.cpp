#include "app/server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <malloc.h>

#include <iostream>
#include <thread>

#include "app/dev_mode.hpp"
#include "app/retention_pruner.hpp"
#include "net/services.hpp"
#include "broker/local_broker.hpp"
#include "redis/redis_broker.hpp"
#include "http/routes.hpp"
#include "core/ids.hpp"
#include "core/room_events.hpp"
#include "net/blocking_pool.hpp"
#include "net/fanout.hpp"
#include "net/poll_clock.hpp"
#include "net/webhook_dispatcher.hpp"
#include "core/webhook_service.hpp"
#include "net/listener.hpp"
#include "net/worker_pool.hpp"
#include "net/ws_session.hpp"

namespace sorak {

namespace {

void setup_logging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("sorakd");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);
}

result<std::unique_ptr<broker>> open_broker(const std::string& url, const std::string& node_id) {
  if (url == "memory") return std::unique_ptr<broker>(std::make_unique<local_broker>());
  auto where = parse_redis_url(url);
  if (!where) return where.err();
  return std::unique_ptr<broker>(std::make_unique<redis_broker>(*where, node_id));
}

// Closes every WebSocket on every worker with 1001 and waits (bounded) for
// the close frames to be written.
void close_all_sessions(worker_pool& workers) {
  for (std::size_t i = 0; i < workers.size(); ++i) {
    auto& w = workers.at(i);
    boost::asio::post(w.ioc, [&w] {
      auto sessions = w.sessions;
      for (auto* s : sessions) s->close(1001, "server shutting down");
    });
  }
  for (int waited = 0; waited < 40; ++waited) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::atomic<std::size_t> open{0};
    std::atomic<std::size_t> answered{0};
    for (std::size_t i = 0; i < workers.size(); ++i) {
      auto& w = workers.at(i);
      boost::asio::post(w.ioc, [&w, &open, &answered] {
        open += w.sessions.size();
        ++answered;
      });
    }
    while (answered.load() < workers.size()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (open.load() == 0) return;
  }
}

}  // namespace

// glibc gives each thread that allocates an arena of its own, up to 8 per
// core, and memory freed in one stays there. Rooms are built on the blocking
// threads and freed on worker 0 when they close: with one arena per core the
// freed rooms go back to a few heaps that malloc_trim can return, instead of
// staying scattered over a dozen (measured: 5 % over the start after 20,000
// rooms opened and closed, against 13 % with glibc's default).
namespace {
void limit_malloc_arenas(unsigned cores) { mallopt(M_ARENA_MAX, static_cast<int>(std::max(2u, cores))); }
}  // namespace

int run_server(server_config cfg) {
  setup_logging(cfg.log_level);
  if (cfg.dev) {
    if (auto s = load_dev_secrets(cfg); !s) {
      spdlog::critical("{}", s.err().message);
      return 1;
    }
  }
  if (cfg.jwt_secret.empty()) {
    spdlog::critical("No JWT secret: pass --jwt-secret or --jwt-secret-file (or --dev to generate one)");
    return 2;
  }
  auto st = open_store(cfg.store_url);
  if (!st) {
    spdlog::critical("store: {}", st.err().message);
    return 1;
  }
  const std::string node_id = new_uuid_v7();  // this node among the others (events, viewer counts)
  auto br = open_broker(cfg.broker_url, node_id);
  if (!br) {
    spdlog::critical("broker: {}", br.err().message);
    return 2;
  }
  auto gifts = cfg.gifts_file.empty() ? result<gift_catalog>(gift_catalog::defaults())
                                      : gift_catalog::load(cfg.gifts_file);
  if (!gifts) {
    spdlog::critical("--gifts: {}", gifts.err().message);
    return 2;
  }
  const unsigned threads = cfg.threads ? cfg.threads : std::max(1u, std::thread::hardware_concurrency());
  limit_malloc_arenas(std::thread::hardware_concurrency());
  worker_pool workers(threads, cfg.max_frame_bytes + 16 + 64 * 1024, cfg.io_uring);
  blocking_pool blocking(cfg.blocking_threads ? cfg.blocking_threads : std::max(2u, threads));
  // Every event this node publishes is offered to the webhooks too (net/webhook_dispatcher.hpp).
  webhook_dispatcher hooks_out(**st, webhook_options{.allow_private = cfg.webhook_allow_private,
                                                     .timeout = std::chrono::milliseconds(cfg.webhook_timeout_ms),
                                                     .ca_file = cfg.webhook_ca_file,
                                                     .node_id = node_id});
  webhook_tap events(**br, hooks_out);
  room_registry rooms(**st, cfg.ring_capacity, node_id, &events);
  chat_service chat(**st, events, chat_limits{cfg.user_rate, cfg.privileged_rate}, &rooms, &*gifts);
  moderation_service mods(**st, rooms, chat);
  token_verifier tokens(cfg.jwt_secret);
  api_key_service api_keys(**st, cfg.api_key_rate);
  webhook_service webhooks(**st, cfg.webhook_allow_private);
  webhooks.on_change([&hooks_out] { hooks_out.reload(); });
  services svc{cfg, **st, rooms, chat, mods, tokens, workers, *gifts, api_keys, events, blocking};
  fanout fan(svc);
  svc.fan = &fan;
  svc.webhooks = &webhooks;
  svc.webhook_out = &hooks_out;
  (*br)->set_receiver([&fan](const room_event& ev) { fan.on_event(ev); });
  // What a node missed of the broker (an outage, a lost publish) it reads back from the store.
  constexpr int most_recovered = 10'000;  // per stream and outage; more is left to since= and history
  (*br)->set_message_source(broker::message_source{
      [&store = **st](const std::string& stream_id) -> result<std::optional<message>> {
        auto newest = store.latest(stream_id, 1);
        if (newest.empty()) return std::optional<message>();
        return std::optional<message>(std::move(newest.back()));
      },
      [&store = **st](const std::string& stream_id, const std::string& after_id) -> result<std::vector<message>> {
        if (after_id.empty()) return store.latest(stream_id, most_recovered);
        return store.after(stream_id, after_id, most_recovered);
      },
      // And the changes other than messages (deletions, bans, badges, settings, status).
      [&store = **st, &rooms](const std::string& stream_id) -> result<std::vector<room_event>> {
        auto r = rooms.find(stream_id);
        if (!r) return std::vector<room_event>{};
        try {
          return state_of(*r, store);
        } catch (const std::exception& e) {
          return error(errc::store_unavailable, e.what());
        }
      }});
  router routes = make_router(svc);
  listener lst(svc, routes);
  auto port = lst.start(cfg.listen_host, cfg.listen_port);
  if (!port) {
    spdlog::critical("{}", port.err().message);
    return 1;
  }
  const std::int64_t tick = std::clamp<std::int64_t>(std::min(cfg.ping_interval_ms, cfg.idle_timeout_ms) / 4, 10, 1000);
  workers.start(tick);
  fan.start();
  poll_clock polls(svc);
  polls.start();
  hooks_out.start();
  // Only with --retention-days: a thread of its own, never an event loop.
  std::unique_ptr<retention_pruner> pruner;
  if (cfg.retention_days > 0) {
    pruner = std::make_unique<retention_pruner>(**st, cfg.retention_days,
                                                std::chrono::seconds(cfg.retention_interval_seconds));
    pruner->start();
  }
  std::cout << "sorakd listening on " << (cfg.tls_cert_file.empty() ? "http://" : "https://") << cfg.listen_host << ':' << *port << std::endl;
  if (cfg.dev) {
    if (auto s = print_dev_banner(cfg, **st, api_keys, *port); !s) spdlog::error("dev mode: {}", s.err().message);
  }
  spdlog::info("sorakd ready: {} workers, store {}, broker {}", workers.size(), cfg.store_url, cfg.broker_url);

  boost::asio::io_context main_ioc;
  boost::asio::signal_set signals(main_ioc, SIGINT, SIGTERM);
  signals.async_wait([](const boost::system::error_code&, int sig) { spdlog::info("signal {}: shutting down", sig); });
  main_ioc.run();

  // Stop accepting, refuse new messages, store what was accepted (acks and
  // broadcasts go out), then close every viewer with 1001.
  svc.shutting_down = true;
  if (pruner) pruner->stop();
  lst.stop();
  (*st)->flush();
  close_all_sessions(workers);
  blocking.stop();
  workers.stop();
  hooks_out.stop();  // what is queued for the webhooks is stored, for this node or another to send
  (*st)->flush();
  spdlog::info("sorakd stopped");
  return 0;
}

}  // namespace sorak
