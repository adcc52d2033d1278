// polls_command.cpp: `sorak polls …`, polls from the terminal (CONTRACT §12):
//   sorak polls list STREAM                        newest first, one JSON line each
//   sorak polls show STREAM POLL_ID                one poll, as drawn: a bar per option
//   sorak polls create STREAM QUESTION OPTION… [--duration 60]   (broadcaster, moderator, admin)
//   sorak polls close STREAM POLL_ID               (broadcaster, moderator, admin)
//   sorak polls vote STREAM POLL_ID OPTION         over the WebSocket, as a viewer (OPTION: 1-based)
// (`sorak poll` is the Showroom-feed poller; these are chat polls.)
#include <boost/json/serialize.hpp>
#include <memory>

#include "cli.hpp"
#include "client/api.hpp"
#include "client/chat_line.hpp"
#include "client/chat_socket.hpp"

namespace sorak::cli {
namespace {

namespace json = boost::json;

struct polls_options {
  std::string stream;
  std::string poll_id;
  std::string question;
  std::vector<std::string> options;
  std::int64_t duration = 60;
  int option = 0;
};

result<std::string> credential(const global_options& g) {
  if (!g.admin_key.empty()) return g.admin_key;
  return require_token(g);
}

result<json::value> call(const global_options& g, std::string_view method, const std::string& path,
                         const json::value* body = nullptr) {
  auto ep = server_endpoint(g);
  if (!ep) return ep.err();
  auto cred = credential(g);
  if (!cred) return cred.err();
  client::api_client api(*ep, *cred);
  return api.call(method, path, {}, body);
}

const json::object* data_of(const json::value& v) {
  const auto* o = v.if_object();
  const auto* d = o ? o->if_contains("data") : nullptr;
  return d ? d->if_object() : nullptr;
}

status print_poll(const result<json::value>& got) {
  if (!got) return got.err();
  const auto* p = data_of(*got);
  if (!p) return error(errc::invalid_response, "the answer holds no poll");
  for (const auto& line : client::format_poll_lines(*p)) print_line(line);
  return ok_value;
}

std::string polls_path(const polls_options& o, std::string_view rest = {}) {
  return client::stream_path(o.stream) + "/polls" + std::string(rest);
}

status run_vote(const global_options& g, const polls_options& o) {
  auto ep = server_endpoint(g);
  if (!ep) return ep.err();
  auto token = require_token(g);
  if (!token) return token.err();
  client::chat_socket socket;
  if (auto h = socket.open(*ep, o.stream, *token); !h) return h.err();
  if (auto s = socket.send(json::object{{"type", "vote"}, {"poll_id", o.poll_id}, {"option", o.option - 1}}); !s) return s;
  for (;;) {
    auto e = socket.next(std::chrono::seconds(10));
    if (e.what == client::chat_event::kind::timeout) return error(errc::timeout, "no answer to the vote within 10 s");
    if (e.what == client::chat_event::kind::closed) return client::close_error(e.close_code, e.close_reason);
    const auto type = e.event.if_contains("type");
    if (!type || !type->is_string()) continue;
    if (type->get_string() == "error") {
      const auto code = e.event.if_contains("code"), msg = e.event.if_contains("message");
      return error::received(0, code && code->is_string() ? std::string(code->get_string()) : "",
                             msg && msg->is_string() ? std::string(msg->get_string()) : "");
    }
    if (type->get_string() == "voted") {
      print_line("voted");
      socket.close();
      return ok_value;
    }
  }
}

}  // namespace

void add_polls_command(CLI::App& app, const global_options& g, command_action& action) {
  auto o = std::make_shared<polls_options>();
  CLI::App* cmd = app.add_subcommand("polls", "chat polls: list, show, create, close, vote");
  cmd->require_subcommand(1);
  auto with_stream = [&](const char* name, const char* help) {
    CLI::App* c = cmd->add_subcommand(name, help);
    c->add_option("stream", o->stream, "stream id or room id")->required();
    return c;
  };

  auto* list = with_stream("list", "the stream's polls, newest first, one JSON line each");
  list->callback([o, &g, &action] {
    action = [o, &g]() -> status {
      auto got = call(g, "GET", polls_path(*o));
      if (!got) return got.err();
      const auto* d = got->is_object() ? got->get_object().if_contains("data") : nullptr;
      if (d && d->is_array())
        for (const auto& p : d->get_array()) print_line(json::serialize(p));
      return ok_value;
    };
  });

  auto* show = with_stream("show", "one poll, a bar per option");
  show->add_option("poll", o->poll_id, "poll id")->required();
  show->callback([o, &g, &action] {
    action = [o, &g] { return print_poll(call(g, "GET", polls_path(*o, "/" + o->poll_id))); };
  });

  auto* create = with_stream("create", "open a poll (broadcaster, moderator, admin)");
  create->add_option("question", o->question, "the question")->required();
  create->add_option("options", o->options, "2 to 5 choices")->required()->expected(2, 5);
  create->add_option("--duration", o->duration, "seconds it stays open (10..3600)")->capture_default_str();
  create->callback([o, &g, &action] {
    action = [o, &g] {
      json::array options;
      for (const auto& x : o->options) options.emplace_back(x);
      const json::value body = json::object{{"question", o->question}, {"options", std::move(options)}, {"duration_seconds", o->duration}};
      auto got = call(g, "POST", polls_path(*o), &body);
      if (got)
        if (const auto* p = data_of(*got)) print_line(json::serialize(*p));
      return got ? status(ok_value) : status(got.err());
    };
  });

  auto* close = with_stream("close", "close a poll now (broadcaster, moderator, admin)");
  close->add_option("poll", o->poll_id, "poll id")->required();
  close->callback([o, &g, &action] {
    action = [o, &g] { return print_poll(call(g, "POST", polls_path(*o, "/" + o->poll_id + "/close"))); };
  });

  auto* vote = with_stream("vote", "vote in a poll, as the token's user");
  vote->add_option("poll", o->poll_id, "poll id")->required();
  vote->add_option("option", o->option, "the choice, counted from 1")->required()->check(CLI::Range(1, 5));
  vote->callback([o, &g, &action] { action = [o, &g] { return run_vote(g, *o); }; });
}

}  // namespace sorak::cli
