#include "net/webhook_dispatcher.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/webhook_rules.hpp"
#include "protocol/webhook_json.hpp"

namespace sorak {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using beast::error_code;

namespace {

constexpr auto reload_period = std::chrono::milliseconds(2000);
constexpr millis claim_period = 1000;
constexpr millis prune_period = 60 * 60 * 1000;
constexpr millis log_kept = 7LL * 24 * 60 * 60 * 1000;  // finished deliveries stay in the log a week
constexpr int claim_batch = 200;
constexpr std::size_t lane_limit = 1000;             // deliveries waiting in one lane; more wait in the store
constexpr std::uint64_t max_answer_bytes = 1 << 20;  // a receiver's answer body is read and ignored

std::uint32_t bit(webhook_event e) { return 1u << static_cast<unsigned>(e); }

bool wants(const webhook& w, webhook_event e, const std::string& stream_id) {
  if (w.stream_id && *w.stream_id != stream_id) return false;
  return std::find(w.events.begin(), w.events.end(), e) != w.events.end();
}

// The delivery put back unattempted: due at `at`, its last answer kept.
delivery_outcome put_back(const webhook_delivery& d, millis at) {
  return {d.id, delivery_status::pending, d.attempts, at, d.last_attempt_at, d.response_status, d.error, 0};
}

struct queued_event {
  room_event ev;
  millis at;
};

struct job {
  std::shared_ptr<const webhook> hook;
  webhook_delivery delivery;
};

// What one POST came to.
struct answer {
  int status = 0;     // the receiver's HTTP status; 0 when none came
  std::string error;  // "" when it answered 2xx
};

using plain_stream = beast::tcp_stream;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

}  // namespace

// ---- the HTTP side: one lane per webhook, on the HTTP thread ----------------------------

struct lane {
  explicit lane(asio::io_context& ioc) : wake(ioc) {}
  std::shared_ptr<const webhook> hook;
  std::optional<webhook_target> target;  // nullopt: the URL no longer parses (every attempt fails)
  std::deque<webhook_delivery> queue;
  asio::steady_timer wake;
  bool closed = false;
  bool url_changed = false;  // reconnect to the new URL before the next attempt
  int failures = 0;  // in a row
  millis paused_until = 0;
  std::string last_error;  // of the last failed attempt
  std::unique_ptr<plain_stream> plain;
  std::unique_ptr<tls_stream> tls;
  beast::flat_buffer buffer;

  bool connected() const { return plain || tls; }
  // Makes the operation in flight end (operation_aborted); the lane's own
  // coroutine destroys the streams once it resumes.
  void cancel_io() {
    error_code ignored;
    if (plain) plain->socket().close(ignored);
    if (tls) beast::get_lowest_layer(*tls).socket().close(ignored);
  }
  // Only from the lane's coroutine, between attempts.
  void disconnect() {
    error_code ignored;
    if (plain) plain->socket().close(ignored);
    if (tls) beast::get_lowest_layer(*tls).socket().close(ignored);
    plain.reset();
    tls.reset();
    buffer.clear();
  }
};

struct webhook_dispatcher::impl {
  impl(store& s, webhook_options o) : st(s), opts(std::move(o)), tls_ctx(ssl::context::tls_client) {
    tls_ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                        ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    error_code ec;
    tls_ctx.set_default_verify_paths(ec);
    if (ec) spdlog::warn("webhooks: no default CA certificates ({}); https receivers will fail", ec.message());
    if (!opts.ca_file.empty()) {
      tls_ctx.load_verify_file(opts.ca_file, ec);
      if (ec) spdlog::error("webhooks: --webhook-ca-file {}: {}", opts.ca_file, ec.message());
    }
    tls_ctx.set_verify_mode(ssl::verify_peer);
  }

  store& st;
  webhook_options opts;
  millis lease_span() const { return 2 * opts.timeout.count() + 60'000; }

  // ---- shared between threads --------------------------------------------------------
  std::atomic<std::uint32_t> interest{0};  // bit(kind) for every kind some webhook wants
  std::atomic<std::uint64_t> delivered{0}, failed_attempts{0}, given_up{0}, dropped{0};
  std::atomic<std::size_t> queued{0};

  std::mutex queue_mutex;
  std::condition_variable queue_cv;
  std::deque<queued_event> events;  // GUARDED_BY(queue_mutex)
  bool stopping = false;            // GUARDED_BY(queue_mutex)
  bool reload_now = true;           // GUARDED_BY(queue_mutex)

  std::mutex outcome_mutex;
  std::vector<delivery_outcome> outcomes;  // GUARDED_BY(outcome_mutex): from the HTTP thread, to be stored

  struct pause {
    millis until = 0;
    std::string why;  // the failed attempt's error
  };
  std::mutex pause_mutex;
  std::unordered_map<std::string, pause> paused;  // GUARDED_BY(pause_mutex): webhook id → its lane's pause

  // ---- the store thread's own ---------------------------------------------------------
  std::unordered_map<std::string, std::shared_ptr<const webhook>> hooks;
  std::vector<webhook_delivery> unsaved;  // made but not stored yet (the store was down)
  std::thread store_thread;

  // ---- the HTTP thread's own ----------------------------------------------------------
  asio::io_context ioc{1};
  asio::executor_work_guard<asio::io_context::executor_type> guard{ioc.get_executor()};
  ssl::context tls_ctx;
  std::unordered_map<std::string, std::shared_ptr<lane>> lanes;
  std::unordered_set<std::string> in_lanes;  // ids of deliveries queued or in flight here
  bool http_stopping = false;
  std::thread http_thread;
  std::promise<void> http_done;

  // ---- store thread ------------------------------------------------------------------------

  void store_loop() {
    millis last_reload = 0, last_claim = 0, last_prune = 0;
    for (;;) {
      std::deque<queued_event> batch;
      bool stop = false, reload = false;
      {
        std::unique_lock lock(queue_mutex);
        queue_cv.wait_for(lock, std::chrono::milliseconds(100),
                          [this] { return stopping || reload_now || !events.empty(); });
        batch.swap(events);
        queued = 0;
        stop = stopping;
        reload = reload_now;
        reload_now = false;
      }
      const millis now = now_millis();
      if (reload || now - last_reload >= reload_period.count()) {
        load_hooks();
        last_reload = now;
      }
      make_deliveries(batch, now, stop);
      store_outcomes();
      if (stop) return;
      if (now - last_claim >= claim_period) {
        // A full batch: more are due (a backlog after an outage): claim again on the next round.
        last_claim = claim(now) ? 0 : now;
      }
      if (now - last_prune >= prune_period) {
        if (auto n = st.prune_deliveries(now - log_kept); n > 0) spdlog::info("webhooks: {} old deliveries pruned", n);
        last_prune = now;
      }
    }
  }

  void load_hooks() {
    std::unordered_map<std::string, std::shared_ptr<const webhook>> fresh;
    std::uint32_t mask = 0;
    auto listed = st.list_webhooks();
    if (listed.empty() && !hooks.empty()) {
      // None, or the store did not answer (the list reads as empty then): ask for one we know.
      auto probe = st.get_webhook(hooks.begin()->first);
      if (probe || probe.err().id != errc::webhook_not_found) return;  // keep what we have until it answers
    }
    for (auto& w : listed) {
      for (auto e : w.events) mask |= bit(e);
      auto id = w.id;
      auto old = hooks.find(id);
      // Kept as is when unchanged, so lanes keep their connection.
      if (old != hooks.end() && old->second->url == w.url && old->second->secret == w.secret &&
          old->second->events == w.events && old->second->stream_id == w.stream_id)
        fresh.emplace(id, old->second);
      else
        fresh.emplace(id, std::make_shared<const webhook>(std::move(w)));
    }
    hooks = std::move(fresh);
    interest = mask;
    std::unordered_set<std::string> live;
    for (const auto& [id, _] : hooks) live.insert(id);
    asio::post(ioc, [this, live = std::move(live)] { drop_lanes_except(live); });
  }

  void make_deliveries(const std::deque<queued_event>& batch, millis now, bool stopping_now) {
    std::unordered_map<std::string, pause> paused_now;
    {
      std::lock_guard lock(pause_mutex);
      paused_now = paused;
    }
    std::vector<webhook_delivery> made = std::move(unsaved);
    unsaved.clear();
    for (const auto& q : batch) {
      const auto kind = webhook_event_of(q.ev);
      if (!kind) continue;
      for (const auto& [id, w] : hooks) {
        if (!wants(*w, *kind, q.ev.stream_id)) continue;
        webhook_delivery d;
        d.id = new_uuid_v7();
        d.webhook_id = id;
        d.event = *kind;
        d.stream_id = q.ev.stream_id;
        d.payload = webhook_body(d.id, q.ev, q.at);
        d.created_at = q.at;
        auto p = paused_now.find(id);
        if (p != paused_now.end() && p->second.until > now) {
          // Left for whoever claims it when it is due: this node after the pause, or another.
          d.next_attempt_at = p->second.until;
          d.error = "waiting: the receiver is failing (" + p->second.why + ")";
        } else if (stopping_now) {
          d.next_attempt_at = now;
        } else {
          d.next_attempt_at = now;
          d.lease_owner = opts.node_id;
          d.lease_until = now + lease_span();
        }
        made.push_back(std::move(d));
      }
    }
    if (made.empty()) return;
    if (auto s = st.add_deliveries(made); !s) {
      spdlog::warn("webhooks: {} deliveries not stored yet ({}); trying again", made.size(), s.err().message);
      if (made.size() > opts.queue_limit) {
        const auto over = made.size() - opts.queue_limit;
        dropped += over;
        made.erase(made.begin(), made.begin() + static_cast<std::ptrdiff_t>(over));
      }
      unsaved = std::move(made);
      return;
    }
    std::vector<job> jobs;
    for (auto& d : made) {
      if (d.lease_owner.empty()) continue;
      auto w = hooks.find(d.webhook_id);
      if (w != hooks.end()) jobs.push_back({w->second, std::move(d)});
    }
    hand_over(std::move(jobs));
  }

  // True when it took a whole batch.
  bool claim(millis now) {
    auto due = st.claim_deliveries(now, opts.node_id, now + lease_span(), claim_batch);
    if (due.empty()) return false;
    const bool full = due.size() >= static_cast<std::size_t>(claim_batch);
    std::vector<job> jobs;
    std::vector<delivery_outcome> orphans;
    for (auto& d : due) {
      auto w = hooks.find(d.webhook_id);
      if (w == hooks.end()) {
        orphans.push_back(put_back(d, now + claim_period));  // a webhook this node has not loaded yet
        continue;
      }
      jobs.push_back({w->second, std::move(d)});
    }
    if (!orphans.empty()) st.finish_deliveries(orphans);
    hand_over(std::move(jobs));
    return full;
  }

  void store_outcomes() {
    std::vector<delivery_outcome> done;
    {
      std::lock_guard lock(outcome_mutex);
      done.swap(outcomes);
    }
    if (done.empty()) return;
    if (auto s = st.finish_deliveries(done); !s) {
      spdlog::warn("webhooks: {} delivery results not stored yet ({})", done.size(), s.err().message);
      std::lock_guard lock(outcome_mutex);
      outcomes.insert(outcomes.begin(), done.begin(), done.end());
    }
  }

  void hand_over(std::vector<job> jobs) {
    if (jobs.empty()) return;
    asio::post(ioc, [this, jobs = std::move(jobs)]() mutable {
      for (auto& j : jobs) enqueue(std::move(j));
    });
  }

  // ---- HTTP thread -------------------------------------------------------------------------

  void report(delivery_outcome o) {
    std::lock_guard lock(outcome_mutex);
    outcomes.push_back(std::move(o));
  }

  void set_paused(const std::string& id, millis until, const std::string& why = {}) {
    std::lock_guard lock(pause_mutex);
    if (until == 0)
      paused.erase(id);
    else
      paused[id] = {until, why};
  }

  void drop_lanes_except(const std::unordered_set<std::string>& live) {
    for (auto it = lanes.begin(); it != lanes.end();) {
      if (live.count(it->first)) {
        ++it;
        continue;
      }
      auto& l = *it->second;
      l.closed = true;
      for (const auto& d : l.queue) in_lanes.erase(d.id);
      l.queue.clear();
      l.cancel_io();
      l.wake.cancel();
      set_paused(it->first, 0);
      it = lanes.erase(it);
    }
  }

  void enqueue(job j) {
    if (http_stopping) return;
    const std::string& id = j.hook->id;
    auto& slot = lanes[id];
    if (!slot) {
      slot = std::make_shared<lane>(ioc);
      slot->hook = j.hook;
      if (auto t = parse_webhook_url(j.hook->url)) slot->target = *t;
      asio::co_spawn(ioc, run_lane(slot), asio::detached);
    } else if (slot->hook != j.hook) {
      if (slot->hook->url != j.hook->url) slot->url_changed = true;
      slot->hook = j.hook;
    }
    lane& l = *slot;
    if (in_lanes.count(j.delivery.id)) return;  // claimed again while still here
    if (l.queue.size() >= lane_limit) {
      report(put_back(j.delivery, now_millis() + claim_period));
      return;
    }
    in_lanes.insert(j.delivery.id);
    l.queue.push_back(std::move(j.delivery));
    l.wake.cancel();
  }

  asio::awaitable<void> run_lane(std::shared_ptr<lane> l) {
    for (;;) {
      if (l->closed || http_stopping) co_return;
      if (l->queue.empty()) {
        error_code ec;
        l->wake.expires_at(asio::steady_timer::time_point::max());
        co_await l->wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      const millis now = now_millis();
      if (now < l->paused_until) {
        // The receiver is failing: what waits here goes back to the store, due when the pause ends.
        while (!l->queue.empty()) {
          webhook_delivery d = std::move(l->queue.front());
          l->queue.pop_front();
          in_lanes.erase(d.id);
          if (give_up(d.created_at, now)) {
            ++given_up;
            report({d.id, delivery_status::failed, d.attempts, 0, d.last_attempt_at, d.response_status,
                    d.error.empty() ? "the receiver failed for an hour" : d.error, 0});
          } else {
            delivery_outcome o = put_back(d, l->paused_until);
            if (o.error.empty()) o.error = "waiting: the receiver is failing (" + l->last_error + ")";
            report(std::move(o));
          }
        }
        continue;
      }
      if (l->url_changed) {
        l->disconnect();
        l->target.reset();
        if (auto t = parse_webhook_url(l->hook->url)) l->target = *t;
        l->url_changed = false;
      }
      webhook_delivery d = std::move(l->queue.front());
      l->queue.pop_front();
      if (now + opts.timeout.count() > d.lease_until) {
        // Its lease runs out before an attempt could finish: another node may take it.
        in_lanes.erase(d.id);
        report(put_back(d, now));
        continue;
      }
      answer a = co_await attempt(*l, d);
      in_lanes.erase(d.id);
      if (l->closed) co_return;  // the webhook was deleted meanwhile: its rows are gone
      const millis done = now_millis();
      delivery_outcome o{d.id, delivery_status::pending, d.attempts + 1, 0, done, a.status, a.error, 0};
      if (a.error.empty()) {
        ++delivered;
        o.status = delivery_status::delivered;
        o.delivered_at = done;
        if (l->failures) set_paused(l->hook->id, 0);
        l->failures = 0;
        l->paused_until = 0;
      } else {
        ++failed_attempts;
        ++l->failures;
        l->last_error = a.error;
        l->paused_until = done + retry_delay(l->failures);
        set_paused(l->hook->id, l->paused_until, a.error);
        if (give_up(d.created_at, done)) {
          ++given_up;
          o.status = delivery_status::failed;
        } else {
          o.next_attempt_at = l->paused_until;
        }
        spdlog::debug("webhooks: {} to {} failed ({}); next try in {} ms", d.id, l->hook->url, a.error,
                      l->paused_until - done);
      }
      report(std::move(o));
    }
  }

  asio::awaitable<error_code> connect(lane& l) {
    const webhook_target& t = *l.target;
    tcp::resolver resolver(ioc);
    error_code ec;
    auto found = co_await resolver.async_resolve(t.host, t.port, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return ec;
    std::vector<tcp::endpoint> allowed;
    for (const auto& e : found)
      if (opts.allow_private || !is_private_host(e.endpoint().address().to_string()).value_or(false))
        allowed.push_back(e.endpoint());
    if (allowed.empty()) co_return asio::error::access_denied;
    if (t.https) {
      auto s = std::make_unique<tls_stream>(ioc, tls_ctx);
      if (!SSL_set_tlsext_host_name(s->native_handle(), t.host.c_str())) co_return asio::error::invalid_argument;
      s->set_verify_callback(ssl::host_name_verification(t.host));
      beast::get_lowest_layer(*s).expires_after(opts.timeout);
      co_await beast::get_lowest_layer(*s).async_connect(allowed, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return ec;
      co_await s->async_handshake(ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return ec;
      l.tls = std::move(s);
    } else {
      auto s = std::make_unique<plain_stream>(ioc);
      s->expires_after(opts.timeout);
      co_await s->async_connect(allowed, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return ec;
      l.plain = std::move(s);
    }
    co_return error_code{};
  }

  template <class Stream>
  asio::awaitable<error_code> exchange(Stream& s, beast::flat_buffer& buffer, http::request<http::string_body>& req,
                                       int& status, bool& keep_alive) {
    error_code ec;
    beast::get_lowest_layer(s).expires_after(opts.timeout);
    co_await http::async_write(s, req, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return ec;
    http::response_parser<http::string_body> parser;
    parser.body_limit(max_answer_bytes);
    co_await http::async_read(s, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return ec;
    status = static_cast<int>(parser.get().result_int());
    keep_alive = parser.get().keep_alive();
    co_return error_code{};
  }

  static bool stale(const error_code& ec) {
    return ec == http::error::end_of_stream || ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
           ec == asio::error::eof;
  }

  static std::string describe(const error_code& ec) {
    if (ec == beast::error::timeout) return "timeout: no answer in time";
    if (ec == asio::error::access_denied) return "refused: the host resolves to a private or loopback address";
    return ec.message();
  }

  asio::awaitable<answer> attempt(lane& l, const webhook_delivery& d) {
    if (!l.target) co_return answer{0, "the URL is not valid"};
    const webhook_target& t = *l.target;
    http::request<http::string_body> req{http::verb::post, t.target, 11};
    const bool default_port = t.port == (t.https ? "443" : "80");
    const bool v6 = t.host.find(':') != std::string::npos;
    req.set(http::field::host, (v6 ? "[" + t.host + "]" : t.host) + (default_port ? "" : ":" + t.port));
    req.set(http::field::user_agent, "sorak-webhooks/1");
    req.set(http::field::content_type, "application/json");
    req.set("X-Sorak-Event", to_string(d.event));
    req.set("X-Sorak-Delivery", d.id);
    req.set("X-Sorak-Signature", webhook_signature(l.hook->secret, now_millis() / 1000, d.payload));
    req.keep_alive(true);
    req.body() = d.payload;
    req.prepare_payload();
    for (int tries = 0; tries < 2; ++tries) {
      const bool reused = l.connected();
      if (!reused) {
        if (auto ec = co_await connect(l); ec) {
          l.disconnect();
          co_return answer{0, "connect: " + describe(ec)};
        }
      }
      int status = 0;
      bool keep_alive = false;
      error_code ec = l.tls ? co_await exchange(*l.tls, l.buffer, req, status, keep_alive)
                            : co_await exchange(*l.plain, l.buffer, req, status, keep_alive);
      if (ec) {
        l.disconnect();
        if (reused && stale(ec)) continue;  // the receiver had closed the kept-alive connection: once more, anew
        co_return answer{0, describe(ec)};
      }
      if (!keep_alive) l.disconnect();
      if (status >= 200 && status < 300) co_return answer{status, ""};
      co_return answer{status, "HTTP " + std::to_string(status)};
    }
    co_return answer{0, "the receiver closed the connection"};
  }
};

webhook_dispatcher::webhook_dispatcher(store& st, webhook_options opts)
    : impl_(std::make_unique<impl>(st, std::move(opts))) {}

webhook_dispatcher::~webhook_dispatcher() { stop(); }

void webhook_dispatcher::start() {
  auto& i = *impl_;
  i.http_thread = std::thread([&i] {
    i.ioc.run();
    i.http_done.set_value();
  });
  i.store_thread = std::thread([&i] { i.store_loop(); });
}

void webhook_dispatcher::stop() {
  auto& i = *impl_;
  if (!i.store_thread.joinable() && !i.http_thread.joinable()) return;
  if (i.http_thread.joinable()) {
    // Deliveries waiting in a lane go back to the store, due now, for whoever
    // runs next. Attempts in flight are cut: theirs stay leased until the lease
    // runs out, then any node sends them again (a receiver may see one twice;
    // the delivery id tells).
    auto done = i.http_done.get_future();
    asio::post(i.ioc, [&i] {
      i.http_stopping = true;
      const millis now = now_millis();
      for (auto& [id, l] : i.lanes) {
        for (const auto& d : l->queue) i.report(put_back(d, now));
        l->queue.clear();
        l->closed = true;
        l->cancel_io();
        l->wake.cancel();
      }
    });
    i.guard.reset();
    if (done.wait_for(std::chrono::seconds(5)) != std::future_status::ready) i.ioc.stop();
    i.http_thread.join();
  }
  {
    std::lock_guard lock(i.queue_mutex);
    i.stopping = true;
  }
  i.queue_cv.notify_all();
  // Its last round stores the events still queued and every outcome reported.
  if (i.store_thread.joinable()) i.store_thread.join();
}

void webhook_dispatcher::offer(const room_event& ev) {
  auto& i = *impl_;
  const std::uint32_t mask = i.interest.load(std::memory_order_relaxed);
  if (mask == 0) return;
  const auto kind = webhook_event_of(ev);
  if (!kind || !(mask & bit(*kind))) return;
  {
    std::lock_guard lock(i.queue_mutex);
    if (i.stopping) return;
    if (i.events.size() >= i.opts.queue_limit) {
      const auto n = ++i.dropped;
      if ((n & (n - 1)) == 0) spdlog::warn("webhooks: queue full ({} events); {} dropped so far", i.events.size(), n);
      return;
    }
    i.events.push_back({ev, ev.msg ? ev.msg->created_at : now_millis()});
    i.queued = i.events.size();
  }
  i.queue_cv.notify_one();
}

void webhook_dispatcher::reload() {
  {
    std::lock_guard lock(impl_->queue_mutex);
    impl_->reload_now = true;
  }
  impl_->queue_cv.notify_one();
}

webhook_counters webhook_dispatcher::counters() const {
  const auto& i = *impl_;
  return {i.delivered.load(), i.failed_attempts.load(), i.given_up.load(), i.dropped.load(), i.queued.load()};
}

}  // namespace sorak
