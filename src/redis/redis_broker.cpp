// The Redis broker (redis_broker.hpp): hiredis's asynchronous client on an
// Asio thread of its own.
//
// hiredis asks its event loop to watch the socket for reading or writing
// (the ev hooks below); an Asio stream_descriptor waits for that and calls
// redisAsyncHandleRead / redisAsyncHandleWrite. hiredis closes the socket
// itself, so the descriptor is released, never closed, and a context it freed
// (its cleanup hook ran) is never touched again.
#include "redis/redis_broker.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/url/parse.hpp>

#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include "broker/event_codec.hpp"
#include "core/ids.hpp"
#include "core/room_events.hpp"
#include "protocol/events.hpp"
#include "protocol/json_codec.hpp"

namespace sorak {

namespace asio = boost::asio;
using std::chrono::milliseconds;
using clock_type = std::chrono::steady_clock;

result<redis_address> parse_redis_url(const std::string& url) {
  auto u = boost::urls::parse_uri(url);
  if (!u || u->scheme() != "redis" || u->host().empty() || (u->path() != "" && u->path() != "/") ||
      u->has_query() || u->has_userinfo())
    return error(errc::invalid_broker, "--broker " + url + ": expected memory or redis://HOST:PORT");
  redis_address a;
  a.host = std::string(u->host());
  if (u->has_port()) {
    const int port = static_cast<int>(u->port_number());
    if (port <= 0 || port > 65535) return error(errc::invalid_broker, "--broker " + url + ": bad port");
    a.port = port;
  }
  return a;
}

namespace {

constexpr milliseconds tick{250};           // reconnect attempts, heartbeats, stall checks
constexpr int ticks_per_heartbeat = 4;      // one heartbeat a second
constexpr milliseconds stall_after{3000};   // no heartbeat back for this long: reconnect
constexpr milliseconds hold_for{100};       // a message waits this long for those before it
constexpr milliseconds node_silent_after{4000};  // another node not heard for this long is not alive
constexpr milliseconds node_forgotten_after{60000};  // and its counts are dropped after this long
constexpr std::string_view nodes_channel = "sorak:nodes";  // every node's heartbeat

std::string channel_of(std::string_view stream_id) { return "sorak:stream:" + std::string(stream_id); }
constexpr std::string_view stream_prefix = "sorak:stream:";

}  // namespace

struct redis_broker::impl : std::enable_shared_from_this<impl> {
  // One hiredis connection and the Asio side of its socket.
  struct conn {
    impl* owner = nullptr;
    bool subscriber = false;
    redisAsyncContext* ac = nullptr;  // null once hiredis freed it
    std::unique_ptr<asio::posix::stream_descriptor> sd;
    bool want_read = false, want_write = false, reading = false, writing = false;
    bool up = false;  // connected: commands may be sent
    clock_type::time_point up_since;
    std::set<std::string> resubscribing;  // subscriber: channels not yet confirmed since connecting
  };

  impl(redis_address where, std::string node_id)
      : where_(std::move(where)), guard_(io_.get_executor()), timer_(io_), hold_timer_(io_), node_(std::move(node_id)),
        epoch_(new_uuid_v7()) {}

  void start() {
    auto self = shared_from_this();
    asio::post(io_, [self] {
      self->connect(self->pub_, false);
      self->connect(self->sub_, true);
      self->arm_timer();
    });
    thread_ = std::thread([this] { io_.run(); });
  }

  void stop() {
    asio::post(io_, [this] {
      stopping_ = true;
      timer_.cancel();
      hold_timer_.cancel();
      drop(pub_);
      drop(sub_);
      guard_.reset();
    });
    if (thread_.joinable()) thread_.join();
  }

  // ---- the public side (any thread) ------------------------------------------------

  // This node's changed counts go out at once (as a report on the nodes'
  // channel); the table is kept for the full report others may ask for.
  void count_viewers(std::vector<std::pair<std::string, std::int64_t>> changed) {
    asio::post(io_, [self = shared_from_this(), changed = std::move(changed)]() mutable {
      for (const auto& [stream, n] : changed) {
        if (n == 0)
          self->mine_.erase(stream);
        else
          self->mine_[stream] = n;
      }
      self->report(std::move(changed));
    });
  }

  std::int64_t viewers_elsewhere(const std::string& stream_id) const {
    const auto now = clock_type::now();
    std::int64_t total = 0;
    std::lock_guard lk(nodes_mutex_);
    for (const auto& [node, counts] : elsewhere_) {
      if (!heard_lately(node, now)) continue;
      if (auto it = counts.find(stream_id); it != counts.end()) total += it->second;
    }
    return total;
  }

  // Events wait in outbox_ for the broker thread; only the first of a batch
  // wakes it, so under load one wake-up (and one write to Redis) carries many.
  void publish(room_event ev) {
    ev.published_at_us = broker_clock_us();
    bool wake;
    {
      std::lock_guard lk(outbox_mutex_);
      wake = outbox_.empty();
      outbox_.push_back(std::move(ev));
    }
    if (wake) asio::post(io_, [self = shared_from_this()] { self->send_outbox(); });
  }

  void subscribe(const std::string& stream_id) {
    // Returns once Redis confirmed, so every later event of the stream reaches us
    // (or at once while Redis is away: the subscription is made on reconnecting).
    auto done = std::make_shared<std::promise<void>>();
    auto confirmed = done->get_future();
    asio::post(io_, [self = shared_from_this(), stream_id, done] { self->add_subscription(stream_id, done); });
    confirmed.wait_for(std::chrono::seconds(2));
  }

  void unsubscribe(const std::string& stream_id) {
    asio::post(io_, [self = shared_from_this(), stream_id] { self->remove_subscription(stream_id); });
  }

  bool connected() const { return pub_up_.load() && sub_up_.load(); }

  bool wait_connected(milliseconds timeout) const {
    std::unique_lock lk(state_mutex_);
    return state_cv_.wait_for(lk, timeout, [&] { return connected(); });
  }

  broker::receiver receiver_;
  broker::message_source source_;

 private:
  // ---- the broker thread -----------------------------------------------------------

  void send_outbox() {
    std::vector<room_event> batch;
    {
      std::lock_guard lk(outbox_mutex_);
      batch.swap(outbox_);
    }
    for (auto& ev : batch) send(std::move(ev));
  }

  void send(room_event ev) {
    const std::uint64_t n = ++published_[ev.stream_id];
    const bool pub = pub_ && pub_->up, sub = sub_ && sub_->up;
    if (pub) {
      const std::string channel = channel_of(ev.stream_id);
      const std::string bytes = encode_wire_event({node_, epoch_, n}, ev);
      redisAsyncCommand(pub_->ac, nullptr, nullptr, "PUBLISH %b %b", channel.data(), channel.size(), bytes.data(),
                        bytes.size());
    }
    // This node's own messages go to its viewers from here, without waiting for
    // Redis to echo them (the echo is dropped): a message carries the store's
    // seq, so in_order puts it in its place among the other nodes' whichever
    // way it came. Other events come back through Redis, so that every node
    // applies two nodes' concurrent changes (a ban and its lifting) in one
    // order; while Redis is away they go from here too.
    if (receiver_ && (is_numbered_message(ev) || !pub || !sub)) {
      ev.origin = node_;
      deliver(node_, epoch_, n, ev);
    }
  }

  static bool is_numbered_message(const room_event& ev) {
    return ev.kind == event_kind::message && ev.msg && ev.msg->seq > 0;
  }

  void deliver(const std::string& node, const std::string& epoch, std::uint64_t n, const room_event& ev) {
    if (node == node_) {  // our own: its counter skips the messages not echoed
      in_order(ev);
      return;
    }
    auto& last = seen_[ev.stream_id][node];
    const bool jumped = last.epoch == epoch && n != last.n + 1;
    if (jumped) {
      ++gaps_;
      spdlog::warn("broker: stream {} missed {} events of node {} ({} after {})", ev.stream_id,
                   n > last.n ? n - last.n - 1 : 0, node, n, last.n);
    }
    last = {epoch, n};
    in_order(ev);
    // What was missed may have been a deletion or a ban: read the room's state
    // back (a missed message is read back by in_order's hold).
    if (jumped) reload_state(ev.stream_id);
  }

  // Messages of a stream go to the receiver in the store's sequence. Two nodes
  // writing one stream publish in the order their commits finished, which
  // Redis may pass on the other way round: a message past the next expected
  // one waits (up to hold_for) for those before it.
  void in_order(const room_event& ev) {
    if (!receiver_) return;
    if (ev.kind != event_kind::message || !ev.msg || ev.msg->seq <= 0) {
      receiver_(ev);
      return;
    }
    stream_order& o = order_[ev.stream_id];
    const std::int64_t seq = ev.msg->seq;
    if (o.next == 0 || seq == o.next) {
      receiver_(ev);
      o.next = seq + 1;
      o.last_id = ev.msg->id;
      release(o);
    } else if (seq < o.next) {
      // Handed on already (read from the store), or given up for lost: the
      // room, which counts a stream's messages by seq, would drop it.
    } else {
      if (o.held.empty()) o.held_since = clock_type::now();
      o.held.emplace(seq, ev);
      arm_hold_timer();
    }
  }

  struct stream_order {
    std::int64_t next = 0;  // the seq expected next; 0 before the first
    std::string last_id;    // the message before it
    std::map<std::int64_t, room_event> held;
    clock_type::time_point held_since;
  };

  void release(stream_order& o) {
    while (!o.held.empty() && o.held.begin()->first <= o.next) {
      auto node = o.held.extract(o.held.begin());
      if (node.key() < o.next) continue;  // read from the store meanwhile
      ++o.next;
      o.last_id = node.mapped().msg->id;
      receiver_(node.mapped());
    }
  }

  // Reads the stream's messages after the last one handed on from the store
  // and hands on, in order, those not handed on yet. False when it could not.
  bool recover(const std::string& stream_id, stream_order& o) {
    if (!source_.after || o.next == 0 || !receiver_) return false;
    auto got = source_.after(stream_id, o.last_id);
    if (!got) {
      spdlog::warn("broker: stream {}: reading what was missed from the store failed: {}", stream_id,
                   got.err().message);
      return false;
    }
    std::size_t n = 0;
    for (message& m : *got) {
      if (m.seq < o.next) continue;
      auto msg = std::make_shared<const message>(std::move(m));
      auto json = std::make_shared<const std::string>(message_event(encode_message(*msg)));
      ++recovered_;  // counted before the receiver sees it
      receiver_(message_posted(msg, json));
      o.next = msg->seq + 1;
      o.last_id = msg->id;
      ++n;
    }
    if (n > 0) {
      spdlog::info("broker: stream {}: {} messages missed on the broker read from the store", stream_id, n);
    }
    return true;
  }

  void arm_hold_timer() {
    if (hold_armed_) return;
    hold_armed_ = true;
    hold_timer_.expires_after(hold_for);
    hold_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      self->hold_armed_ = false;
      if (!ec && !self->stopping_) self->release_overdue();
    });
  }

  // What waited too long goes out in order; the messages before it are missed
  // (counted: what a node missed is for it to read from the store).
  void release_overdue() {
    const auto now = clock_type::now();
    bool waiting = false;
    for (auto& [stream_id, o] : order_) {
      if (o.held.empty()) continue;
      if (now - o.held_since < hold_for) {
        waiting = true;
        continue;
      }
      const std::int64_t first = o.held.begin()->first;
      // Everything before the first held one is committed (a stream's seq is
      // given at commit, in order): the store has it, or it was deleted since.
      if (!recover(stream_id, o) || o.next < first) {
        if (o.next < first) {
          ++gaps_;
          spdlog::warn("broker: stream {} messages {}..{} did not arrive", stream_id, o.next, first - 1);
        }
        o.next = std::max(o.next, first);
      }
      release(o);
      if (!o.held.empty()) {
        o.held_since = now;
        waiting = true;
      }
    }
    if (waiting) arm_hold_timer();
  }

  // Where the stream stands in the store: the first message expected is the
  // one after its newest (one published before the subscription took effect
  // is read back when the next arrives). Unknown, the first to arrive counts.
  void start_order(const std::string& stream_id) {
    if (!source_.newest) return;
    auto newest = source_.newest(stream_id);
    if (!newest) {
      spdlog::warn("broker: stream {}: where it stands is unknown: {}", stream_id, newest.err().message);
      return;
    }
    stream_order& o = order_[stream_id];
    o.next = *newest ? (*newest)->seq + 1 : 1;
    o.last_id = *newest ? (*newest)->id : std::string();
  }

  // Subscribed again after an outage: what was published meanwhile never comes.
  void recover_all() {
    for (auto& [stream_id, o] : order_) {
      if (!subscriptions_.count(stream_id)) continue;
      recover(stream_id, o);
      reload_state(stream_id);
    }
  }

  // Changes other than messages that were published meanwhile cannot be read
  // back one by one: the room is brought to what the store holds instead
  // (message_source::state), after an outage and after a jump in another
  // node's counters.
  void reload_state(const std::string& stream_id) {
    if (!source_.state || !receiver_) return;
    auto events = source_.state(stream_id);
    if (!events) {
      spdlog::warn("broker: stream {}: reading its state from the store failed: {}", stream_id, events.err().message);
      return;
    }
    for (const auto& ev : *events) receiver_(ev);
    ++reloaded_;
  }

  void add_subscription(const std::string& stream_id, std::shared_ptr<std::promise<void>> done) {
    auto [it, fresh] = subscriptions_.try_emplace(stream_id, 0);
    ++it->second;
    if (fresh) start_order(stream_id);
    if (!fresh || !sub_ || !sub_->up) {
      done->set_value();
      return;
    }
    pending_confirm_[channel_of(stream_id)].push_back(std::move(done));
    send_subscribe({stream_id});
  }

  void remove_subscription(const std::string& stream_id) {
    auto it = subscriptions_.find(stream_id);
    if (it == subscriptions_.end() || --it->second > 0) return;
    subscriptions_.erase(it);
    seen_.erase(stream_id);
    order_.erase(stream_id);
    if (sub_ && sub_->up) {
      const std::string channel = channel_of(stream_id);
      redisAsyncCommand(sub_->ac, nullptr, nullptr, "UNSUBSCRIBE %b", channel.data(), channel.size());
    }
  }

  void send_subscribe(const std::vector<std::string>& stream_ids) {
    for (const auto& id : stream_ids) {
      const std::string channel = channel_of(id);
      redisAsyncCommand(sub_->ac, &impl::on_subscribed_reply, nullptr, "SUBSCRIBE %b", channel.data(),
                        channel.size());
    }
  }

  // Every reply of the subscriber connection: confirmations and messages.
  static void on_subscribed_reply(redisAsyncContext* ac, void* r, void*) {
    auto* reply = static_cast<redisReply*>(r);
    auto* c = static_cast<conn*>(ac->data);
    if (!reply || !c || reply->type != REDIS_REPLY_ARRAY || reply->elements < 3) return;
    const std::string_view kind(reply->element[0]->str ? reply->element[0]->str : "", reply->element[0]->len);
    const std::string_view channel(reply->element[1]->str ? reply->element[1]->str : "", reply->element[1]->len);
    impl& self = *c->owner;
    if (kind == "subscribe") {
      // The subscriber is ready (connected() is true) once every channel it had
      // is confirmed again: from then on nothing published is missed.
      if (!c->resubscribing.empty() && c->resubscribing.erase(std::string(channel)) && c->resubscribing.empty()) {
        self.set_up(true, true);
        self.recover_all();
      }
      auto it = self.pending_confirm_.find(std::string(channel));
      if (it != self.pending_confirm_.end()) {
        for (auto& p : it->second) p->set_value();
        self.pending_confirm_.erase(it);
      }
      return;
    }
    if (kind != "message" || reply->element[2]->type != REDIS_REPLY_STRING) return;
    const std::string_view payload(reply->element[2]->str, reply->element[2]->len);
    if (channel == nodes_channel) {
      self.on_report(payload);
      return;
    }
    if (!channel.starts_with(stream_prefix)) return;
    auto w = decode_wire_event(payload);
    if (!w) {
      spdlog::warn("{}", w.err().message);
      return;
    }
    if (!self.subscriptions_.count(w->event.stream_id)) return;  // unsubscribed meanwhile
    if (w->from.node == self.node_ && is_numbered_message(w->event)) return;  // delivered when sent
    w->event.origin = w->from.node;
    self.deliver(w->from.node, w->from.epoch, w->from.n, w->event);
  }

  // ---- the nodes' channel: heartbeats and viewer counts -----------------------------

  // Publishes this node's report: `counts` as given (changed ones), or the
  // whole table when a full one is due. Broker thread.
  void report(std::vector<std::pair<std::string, std::int64_t>> counts) {
    if (!pub_ || !pub_->up) return;  // a full report follows the reconnect
    node_report r;
    r.node = node_;
    r.hello = say_hello_;
    r.full = send_full_;
    if (r.full) counts.assign(mine_.begin(), mine_.end());
    r.counts = std::move(counts);
    const std::string payload = encode_node_report(r);
    redisAsyncCommand(pub_->ac, nullptr, nullptr, "PUBLISH %b %b", nodes_channel.data(), nodes_channel.size(),
                      payload.data(), payload.size());
    say_hello_ = send_full_ = false;
  }

  void on_report(std::string_view payload) {
    auto r = decode_node_report(payload);
    if (!r) {
      spdlog::warn("{}", r.err().message);
      return;
    }
    const auto now = clock_type::now();
    if (r->node == node_) {
      last_heartbeat_ = now;
      return;
    }
    if (r->hello) send_full_ = true;  // our next heartbeat carries the whole table
    std::lock_guard lk(nodes_mutex_);
    nodes_heard_[r->node] = now;
    auto& counts = elsewhere_[r->node];
    if (r->full) counts.clear();
    for (auto& [stream, n] : r->counts) {
      if (n == 0)
        counts.erase(stream);
      else
        counts[std::move(stream)] = n;
    }
  }

  // Nodes gone for a minute: their entries go (node ids are new at each start).
  void forget_gone_nodes() {
    const auto now = clock_type::now();
    std::lock_guard lk(nodes_mutex_);
    for (auto it = nodes_heard_.begin(); it != nodes_heard_.end();) {
      if (now - it->second < node_forgotten_after) {
        ++it;
        continue;
      }
      elsewhere_.erase(it->first);
      it = nodes_heard_.erase(it);
    }
  }

 public:
  bool node_alive(const std::string& node_id) const {
    if (node_id == node_) return true;
    std::lock_guard lk(nodes_mutex_);
    return heard_lately(node_id, clock_type::now());
  }

 private:
  // Another node heard from within node_silent_after. REQUIRES: nodes_mutex_ held.
  bool heard_lately(const std::string& node_id, clock_type::time_point now) const {
    auto it = nodes_heard_.find(node_id);
    return it != nodes_heard_.end() && now - it->second < node_silent_after;
  }

 public:

 private:

  // ---- connections ---------------------------------------------------------------

  void connect(std::shared_ptr<conn>& slot, bool subscriber) {
    redisAsyncContext* ac = redisAsyncConnect(where_.host.c_str(), where_.port);
    if (!ac) return;
    if (ac->err) {
      log_down(subscriber, ac->errstr);
      redisAsyncFree(ac);
      return;
    }
    auto c = std::make_shared<conn>();
    c->owner = this;
    c->subscriber = subscriber;
    c->ac = ac;
    c->sd = std::make_unique<asio::posix::stream_descriptor>(io_, ac->c.fd);
    ac->data = c.get();
    ac->ev.data = c.get();
    ac->ev.addRead = [](void* d) { static_cast<conn*>(d)->owner->watch(static_cast<conn*>(d), true, true); };
    ac->ev.delRead = [](void* d) { static_cast<conn*>(d)->owner->watch(static_cast<conn*>(d), true, false); };
    ac->ev.addWrite = [](void* d) { static_cast<conn*>(d)->owner->watch(static_cast<conn*>(d), false, true); };
    ac->ev.delWrite = [](void* d) { static_cast<conn*>(d)->owner->watch(static_cast<conn*>(d), false, false); };
    ac->ev.cleanup = [](void* d) { static_cast<conn*>(d)->owner->freed(static_cast<conn*>(d)); };
    slot = c;
    redisAsyncSetConnectCallback(ac, &impl::on_connect);
    redisAsyncSetDisconnectCallback(ac, &impl::on_disconnect);
  }

  static void on_connect(const redisAsyncContext* ac, int status) {
    auto* c = static_cast<conn*>(ac->data);
    if (!c) return;
    impl& self = *c->owner;
    if (status != REDIS_OK) {
      self.log_down(c->subscriber, ac->errstr);
      return;  // hiredis frees the context; the next tick tries again
    }
    c->up = true;
    c->up_since = clock_type::now();
    self.send_full_ = self.say_hello_ = true;
    if (self.was_down_[c->subscriber]) spdlog::info("broker: redis {} connection is back", c->subscriber ? "subscriber" : "publisher");
    self.was_down_[c->subscriber] = false;
    if (!c->subscriber) {
      self.set_up(false, true);
      return;
    }
    self.last_heartbeat_ = clock_type::now();
    c->resubscribing.insert(std::string(nodes_channel));
    redisAsyncCommand(c->ac, &impl::on_subscribed_reply, nullptr, "SUBSCRIBE %b", nodes_channel.data(),
                      nodes_channel.size());
    std::vector<std::string> ids;
    for (const auto& [id, refs] : self.subscriptions_) {
      ids.push_back(id);
      c->resubscribing.insert(channel_of(id));
    }
    self.send_subscribe(ids);
  }

  static void on_disconnect(const redisAsyncContext* ac, int status) {
    auto* c = static_cast<conn*>(ac->data);
    if (!c) return;
    c->up = false;
    c->owner->set_up(c->subscriber, false);
    if (!c->owner->stopping_) c->owner->log_down(c->subscriber, status == REDIS_OK ? "closed" : ac->errstr);
  }

  void log_down(bool subscriber, const char* why) {
    if (was_down_[subscriber]) return;  // once per outage
    was_down_[subscriber] = true;
    spdlog::warn("broker: redis {} connection to {}:{} is down: {}", subscriber ? "subscriber" : "publisher",
                 where_.host, where_.port, why ? why : "");
  }

  void set_up(bool subscriber, bool up) {
    {
      std::lock_guard lk(state_mutex_);
      (subscriber ? sub_up_ : pub_up_).store(up);
    }
    state_cv_.notify_all();
  }

  // hiredis wants (or no longer wants) to hear when the socket is readable/writable.
  void watch(conn* c, bool read, bool on) {
    (read ? c->want_read : c->want_write) = on;
    if (on) arm(c, read);
  }

  void arm(conn* c, bool read) {
    bool& busy = read ? c->reading : c->writing;
    if (busy || !c->sd) return;
    busy = true;
    auto keep = c->subscriber ? sub_ : pub_;  // the handler keeps the conn alive
    if (keep.get() != c) {
      busy = false;
      return;
    }
    c->sd->async_wait(read ? asio::posix::stream_descriptor::wait_read : asio::posix::stream_descriptor::wait_write,
                      [this, keep, read](const boost::system::error_code& ec) {
                        conn* c = keep.get();
                        (read ? c->reading : c->writing) = false;
                        if (ec || !c->ac) return;
                        if (read && c->want_read)
                          redisAsyncHandleRead(c->ac);
                        else if (!read && c->want_write)
                          redisAsyncHandleWrite(c->ac);
                        if (c->ac && (read ? c->want_read : c->want_write)) arm(c, read);
                      });
  }

  // hiredis freed the context (and will close the socket): forget both.
  void freed(conn* c) {
    c->ac = nullptr;
    c->up = false;
    c->want_read = c->want_write = false;
    if (c->sd) {
      c->sd->cancel();
      c->sd->release();
    }
    set_up(c->subscriber, false);
  }

  void drop(std::shared_ptr<conn>& slot) {
    if (slot && slot->ac) redisAsyncFree(slot->ac);  // runs freed() via the cleanup hook
    slot.reset();
  }

  // ---- the tick: reconnect, heartbeat, stall check ------------------------------------

  void arm_timer() {
    timer_.expires_after(tick);
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec || self->stopping_) return;
      self->on_tick();
      self->arm_timer();
    });
  }

  void on_tick() {
    for (bool subscriber : {false, true}) {
      auto& slot = subscriber ? sub_ : pub_;
      if (slot && !slot->ac) slot.reset();
      if (!slot) connect(slot, subscriber);
    }
    if (++ticks_ % ticks_per_heartbeat == 0) {
      report({});
      forget_gone_nodes();
    }
    // Both up for a while, yet our own heartbeat stopped coming back: one of them
    // stalled without breaking. Both are opened again.
    if (pub_ && pub_->up && sub_ && sub_->up) {
      const auto now = clock_type::now();
      const auto since = std::max({pub_->up_since, sub_->up_since, last_heartbeat_});
      if (now - since > stall_after) {
        spdlog::warn("broker: no heartbeat back from redis for {} ms: reconnecting", stall_after.count());
        was_down_[false] = was_down_[true] = true;
        drop(pub_);
        drop(sub_);
      }
    }
  }

  redis_address where_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  asio::steady_timer timer_;
  asio::steady_timer hold_timer_;
  std::thread thread_;
  const std::string node_, epoch_;

  // Broker thread only.
  std::shared_ptr<conn> pub_, sub_;
  bool stopping_ = false;
  bool hold_armed_ = false;
  std::unordered_map<std::string, stream_order> order_;
  bool was_down_[2] = {false, false};
  std::uint64_t ticks_ = 0;
  clock_type::time_point last_heartbeat_{};
  std::unordered_map<std::string, std::uint64_t> published_;  // per stream: the last n this node sent
  std::unordered_map<std::string, std::int64_t> mine_;         // this node's viewers per stream (non-zero)
  // After a (re)connect: the next report carries the whole table (others may
  // have missed changes) and asks every node for theirs (we may have).
  bool send_full_ = true;
  bool say_hello_ = true;
  struct last_seen {
    std::string epoch;
    std::uint64_t n = 0;
  };
  std::unordered_map<std::string, std::map<std::string, last_seen>> seen_;  // stream → node → last
  std::map<std::string, int> subscriptions_;                                  // stream → subscribe() calls
  std::unordered_map<std::string, std::vector<std::shared_ptr<std::promise<void>>>> pending_confirm_;

 public:
  std::atomic<std::uint64_t> gaps_{0};
  std::atomic<std::uint64_t> recovered_{0};
  std::atomic<std::uint64_t> reloaded_{0};

 private:
  std::atomic<bool> pub_up_{false}, sub_up_{false};
  std::mutex outbox_mutex_;
  std::vector<room_event> outbox_;  // GUARDED_BY(outbox_mutex_): published, not yet sent
  mutable std::mutex nodes_mutex_;
  std::unordered_map<std::string, clock_type::time_point> nodes_heard_;  // GUARDED_BY(nodes_mutex_)
  // Every other node's last viewer counts, by node, then stream.
  std::unordered_map<std::string, std::unordered_map<std::string, std::int64_t>> elsewhere_;  // GUARDED_BY(nodes_mutex_)
  mutable std::mutex state_mutex_;
  mutable std::condition_variable state_cv_;
};

redis_broker::redis_broker(redis_address where, std::string node_id)
    : impl_(std::make_shared<impl>(std::move(where), std::move(node_id))) {
  impl_->start();
}

redis_broker::~redis_broker() { impl_->stop(); }

void redis_broker::set_receiver(receiver r) { impl_->receiver_ = std::move(r); }
void redis_broker::set_message_source(message_source source) { impl_->source_ = std::move(source); }
void redis_broker::publish(room_event ev) { impl_->publish(std::move(ev)); }
void redis_broker::subscribe(const std::string& stream_id) { impl_->subscribe(stream_id); }
void redis_broker::unsubscribe(const std::string& stream_id) { impl_->unsubscribe(stream_id); }
bool redis_broker::connected() const { return impl_->connected(); }
bool redis_broker::node_alive(const std::string& node_id) const { return impl_->node_alive(node_id); }
void redis_broker::count_viewers(std::vector<std::pair<std::string, std::int64_t>> changed) {
  impl_->count_viewers(std::move(changed));
}
std::int64_t redis_broker::viewers_elsewhere(const std::string& stream_id) const {
  return impl_->viewers_elsewhere(stream_id);
}
bool redis_broker::wait_connected(milliseconds timeout) const { return impl_->wait_connected(timeout); }
std::uint64_t redis_broker::gaps() const { return impl_->gaps_.load(); }
std::uint64_t redis_broker::recovered() const { return impl_->recovered_.load(); }
std::uint64_t redis_broker::states_reloaded() const { return impl_->reloaded_.load(); }

}  // namespace sorak
