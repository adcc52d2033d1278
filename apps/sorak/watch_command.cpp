// watch_command.cpp: `sorak watch` follows a stream's chat live.
//
// It prints the history, then every event as it comes. When the connection
// drops it reconnects with a growing pause and asks for `since=<last message
// id>`; if the server cannot recover that far (`recovered: false`) the gap is
// read through REST. Messages are shown only when newer than the last one
// shown (created_at is strictly increasing within a stream), so nothing is
// lost or doubled across reconnects.
#include <algorithm>
#include <csignal>
#include <iostream>
#include <deque>
#include <memory>
#include <unordered_map>
#include <thread>

#include <boost/json/serialize.hpp>

#include "cli.hpp"
#include "client/api.hpp"
#include "client/chat_line.hpp"
#include "client/chat_socket.hpp"
#include "client/history_walk.hpp"
#include "core/clock.hpp"

namespace sorak::cli {
namespace {

namespace json = boost::json;
using std::chrono::milliseconds;

volatile std::sig_atomic_t interrupted = 0;
extern "C" void on_interrupt(int) { interrupted = 1; }

constexpr milliseconds first_backoff{500};
constexpr milliseconds max_backoff{15000};
constexpr int max_gap_pages = 100;

struct watch_options {
  std::string stream;
  bool json = false;
  int count = 0;  // 0: until the stream ends
  bool utc = false;
};

std::string str(const json::object& obj, std::string_view key) {
  const auto* v = obj.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

const json::array* data_array(const json::object& event) {
  const auto* v = event.if_contains("data");
  return v && v->is_array() ? &v->get_array() : nullptr;
}

void sleep_unless_interrupted(milliseconds total) {
  const auto step = milliseconds(100);
  for (milliseconds slept{0}; slept < total && !interrupted; slept += step) std::this_thread::sleep_for(step);
}

class watcher {
 public:
  watcher(watch_options o, client::endpoint ep, std::string token)
      : o_(std::move(o)), ep_(std::move(ep)), token_(std::move(token)) {}

  status run();

 private:
  enum class outcome { finished, lost };

  result<outcome> follow();
  void show_history(const json::object& history, bool resumed);
  void fill_gap();
  void show_message(const json::object& msg, const std::string* raw);
  void show_event(const client::chat_event& e);
  bool stream_has_ended();
  // Replies: the parent quoted above the reply, from the messages shown or
  // fetched once by id; a deleted one says so.
  void show_reply_quote(const json::object& msg);
  void remember(const json::object& msg);
  bool enough() const { return o_.count > 0 && live_shown_ >= o_.count; }
  client::display_zone zone() const { return o_.utc ? client::display_zone::utc : client::display_zone::local; }

  watch_options o_;
  client::endpoint ep_;
  std::string token_;
  client::chat_socket socket_;
  std::string last_id_;
  millis last_created_at_ = -1;
  bool live_ = false;  // the first history has been shown
  int live_shown_ = 0;
  std::string lost_because_;
  // The newest messages shown (and parents fetched), by id; null once deleted.
  std::unordered_map<std::string, std::optional<json::object>> seen_;
  std::deque<std::string> seen_order_;
  static constexpr std::size_t seen_max = 2000;
};

status watcher::run() {
  milliseconds backoff = first_backoff;
  for (bool connected_once = false; !interrupted;) {
    auto history = socket_.open(ep_, o_.stream, token_, last_id_);
    if (!history) {
      if (client::is_final_close(history.err()) || !connected_once) return history.err();
      std::cerr << "sorak: cannot reconnect (" << history.err().message << "); retrying in " << backoff.count()
                << " ms" << std::endl;
      sleep_unless_interrupted(backoff);
      backoff = std::min(backoff * 2, max_backoff);
      continue;
    }
    if (!connected_once) std::cerr << "sorak: watching " << o_.stream << " (Ctrl-C to stop)" << std::endl;
    show_history(*history, connected_once);
    connected_once = true;
    backoff = first_backoff;
    if (enough()) break;
    if (stream_has_ended()) {
      if (!o_.json) print_line("· stream ended");
      break;
    }
    auto out = follow();
    if (!out) return out.err();
    if (*out == outcome::finished) return ok_value;
    std::cerr << "sorak: connection lost (" << lost_because_ << "); reconnecting in " << backoff.count() << " ms"
              << std::endl;
    sleep_unless_interrupted(backoff);
  }
  socket_.close(1000);
  return ok_value;
}

// One connection's life, until the stream ends, --count is reached, Ctrl-C,
// or the connection is lost.
result<watcher::outcome> watcher::follow() {
  while (!interrupted) {
    client::chat_event e = socket_.next(milliseconds(250));
    if (e.what == client::chat_event::kind::timeout) continue;
    if (e.what == client::chat_event::kind::closed) {
      if (client::is_final_close(e.close_code)) return client::close_error(e.close_code, e.close_reason);
      lost_because_ = std::to_string(e.close_code) + (e.close_reason.empty() ? "" : " " + e.close_reason);
      return outcome::lost;
    }
    show_event(e);
    const json::value* data = e.event.if_contains("data");
    const bool ended = str(e.event, "type") == "stream_status" && data && data->is_object() &&
                       str(data->get_object(), "status") == "ended";
    if (ended || enough()) break;
  }
  socket_.close(1000);
  return outcome::finished;
}

void watcher::show_history(const json::object& history, bool resumed) {
  const auto* recovered = history.if_contains("recovered");
  if (resumed && !last_id_.empty() && !(recovered && recovered->is_bool() && recovered->get_bool())) fill_gap();
  if (const json::array* messages = data_array(history)) {
    for (const auto& m : *messages) {
      if (m.is_object()) show_message(m.get_object(), nullptr);
    }
  }
  live_ = true;
}

// Reads, newest page first, back to the last message shown, then shows what
// came after it oldest first.
void watcher::fill_gap() {
  client::api_client api(ep_, token_);
  std::vector<json::array> pages;
  auto st = client::walk_history(api, o_.stream, 100, [&](json::array& page) {
    pages.push_back(std::move(page));
    const auto reached = std::any_of(pages.back().begin(), pages.back().end(), [&](const json::value& m) {
      const auto at = m.is_object() ? parse_rfc3339(str(m.get_object(), "created_at")) : std::nullopt;
      return at && *at <= last_created_at_;
    });
    return !reached && pages.size() < max_gap_pages;
  });
  if (!st) std::cerr << "sorak: some messages may be missing: " << st.err().message << std::endl;
  for (auto page = pages.rbegin(); page != pages.rend(); ++page) {
    for (const auto& m : *page) {
      if (m.is_object()) show_message(m.get_object(), nullptr);
    }
  }
}

void watcher::show_message(const json::object& msg, const std::string* raw) {
  const auto at = parse_rfc3339(str(msg, "created_at"));
  if (at && *at <= last_created_at_) return;  // shown already
  if (at) last_created_at_ = *at;
  last_id_ = str(msg, "id");
  if (o_.json) {
    print_line(raw ? *raw : json::serialize(json::object{{"type", "message"}, {"data", msg}}));
  } else {
    show_reply_quote(msg);
    print_line(client::format_chat_line(msg, zone()));
  }
  remember(msg);
  if (live_) ++live_shown_;
}

void watcher::show_event(const client::chat_event& e) {
  const std::string type = str(e.event, "type");
  const json::value* data = e.event.if_contains("data");
  if (type == "message" && data && data->is_object()) return show_message(data->get_object(), &e.raw);
  if (type == "history") return show_history(e.event, true);
  if (type == "message_deleted" && data && data->is_object())
    if (auto it = seen_.find(str(data->get_object(), "message_id")); it != seen_.end()) it->second.reset();
  if (o_.json) return print_line(e.raw);
  if (auto line = client::format_event_line(e.event, zone())) print_line(*line);
}

void watcher::remember(const json::object& msg) {
  const std::string id = str(msg, "id");
  if (id.empty() || seen_.count(id)) return;
  seen_.emplace(id, msg);
  seen_order_.push_back(id);
  if (seen_order_.size() > seen_max) {
    seen_.erase(seen_order_.front());
    seen_order_.pop_front();
  }
}

void watcher::show_reply_quote(const json::object& msg) {
  const std::string parent_id = str(msg, "reply_to");
  if (parent_id.empty()) return;
  auto it = seen_.find(parent_id);
  if (it == seen_.end()) {
    // Older than what this watch has shown: asked once, remembered (a 404 is a deleted parent).
    client::api_client api(ep_, token_);
    auto got = api.call("GET", client::stream_path(o_.stream) + "/chat/messages/" + parent_id);
    std::optional<json::object> parent;
    if (got && got->is_object())
      if (const auto* d = got->get_object().if_contains("data"); d && d->is_object()) parent = d->get_object();
    if (!got && !got.err().is(errc::message_not_found)) return;  // cannot tell: no quote rather than a wrong one
    seen_order_.push_back(parent_id);
    it = seen_.emplace(parent_id, std::move(parent)).first;
  }
  print_line(client::format_reply_quote(it->second ? &*it->second : nullptr));
}

bool watcher::stream_has_ended() {
  client::api_client api(ep_, {});
  auto s = api.call("GET", client::stream_path(o_.stream));
  return s && s->is_object() && str(s->get_object(), "status") == "ended";
}

status run_watch(const global_options& g, const watch_options& o) {
  auto ep = server_endpoint(g);
  if (!ep) return ep.err();
  auto token = require_token(g);
  if (!token) return token.err();
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  return watcher(o, *ep, *token).run();
}

}  // namespace

void add_watch_command(CLI::App& app, const global_options& g, command_action& action) {
  auto o = std::make_shared<watch_options>();
  CLI::App* cmd = app.add_subcommand("watch", "print a stream's chat live (history first); Ctrl-C to stop");
  cmd->add_option("stream", o->stream, "stream id or room id")->required();
  cmd->add_flag("--json", o->json, "print events as JSON lines (history as one message event per line)");
  cmd->add_option("--count", o->count, "exit after N live messages")->check(CLI::NonNegativeNumber);
  cmd->add_flag("--utc", o->utc, "show times in UTC instead of local time");
  cmd->callback([o, &g, &action] { action = [o, &g] { return run_watch(g, *o); }; });
}

}  // namespace sorak::cli
