// send_command.cpp: `sorak send` posts chat messages over the WebSocket and
// waits for each one's ack. Every message carries a fresh client_id, so after
// a dropped connection it is resent on a new one without being stored twice.
#include <iostream>
#include <memory>
#include <thread>

#include "ack_wait.hpp"
#include "cli.hpp"
#include "client/chat_socket.hpp"
#include "core/ids.hpp"

namespace sorak::cli {
namespace {

namespace json = boost::json;
using std::chrono::milliseconds;

constexpr milliseconds ack_timeout{15000};
constexpr int max_reconnects = 5;

struct send_options {
  std::string stream;
  std::vector<std::string> words;
  std::string reply_to;
  bool from_stdin = false;
};

struct send_session {
  client::endpoint ep;
  std::string stream;
  std::string token;
  client::chat_socket socket;

  status connect() {
    auto history = socket.open(ep, stream, token);
    if (!history) return history.err();
    return ok_value;
  }

  // Reconnects with a growing pause; gives up after max_reconnects tries or
  // at once when the server refuses us for good (4001, 4004).
  status reconnect(int& reconnects, const error& why) {
    status st = why;
    while (!st && !client::is_final_close(st.err()) && ++reconnects <= max_reconnects) {
      std::this_thread::sleep_for(milliseconds(250 << reconnects));
      st = connect();
    }
    return st;
  }
};

json::object message_event(const std::string& content, const std::string& client_id, const std::string& reply_to) {
  json::object event{{"type", "message"}, {"content", content}, {"client_id", client_id}};
  if (!reply_to.empty()) event["reply_to"] = reply_to;
  return event;
}

// Sends one message until it is acked or refused; returns the stored id.
result<std::string> deliver(send_session& s, const json::object& event) {
  int reconnects = 0;
  for (;;) {
    ack_result r = send_and_wait(s.socket, event, ack_timeout);
    switch (r.status) {
      case ack_status::acked: return r.message_id;
      case ack_status::refused: return r.why;
      case ack_status::retry_later:
        std::cerr << "sorak: " << r.why.code << ", retrying in " << r.retry_after.count() << " ms" << std::endl;
        pause_reading(s.socket, r.retry_after);
        break;
      case ack_status::connection_lost:
        if (auto st = s.reconnect(reconnects, r.why); !st) return st.err();
        break;
    }
  }
}

status send_line(send_session& s, const std::string& text, const std::string& reply_to) {
  auto id = deliver(s, message_event(text, new_uuid_v7(), reply_to));
  if (!id) return id.err();
  print_line(*id);
  return ok_value;
}

status send_stdin_lines(send_session& s, const std::string& reply_to) {
  std::string line;
  while (std::getline(std::cin, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;  // the server refuses empty messages
    if (auto st = send_line(s, line, reply_to); !st) return st;
  }
  return ok_value;
}

std::string join_words(const std::vector<std::string>& words) {
  std::string text;
  for (const auto& w : words) text += (text.empty() ? "" : " ") + w;
  return text;
}

status run_send(const global_options& g, const send_options& o) {
  if (o.from_stdin == !o.words.empty()) return usage_error("give the message TEXT or --stdin, not both or neither");
  auto ep = server_endpoint(g);
  if (!ep) return ep.err();
  auto token = require_token(g);
  if (!token) return token.err();
  send_session s{*ep, o.stream, *token, {}};
  if (auto st = s.connect(); !st) return st;
  status outcome = o.from_stdin ? send_stdin_lines(s, o.reply_to) : send_line(s, join_words(o.words), o.reply_to);
  s.socket.close(1000);
  return outcome;
}

}  // namespace

void add_send_command(CLI::App& app, const global_options& g, command_action& action) {
  auto o = std::make_shared<send_options>();
  CLI::App* cmd = app.add_subcommand("send", "send chat messages; prints each stored message's id");
  cmd->add_option("stream", o->stream, "stream id or room id")->required();
  cmd->add_option("text", o->words, "the message (words are joined with spaces)");
  cmd->add_option("--reply-to", o->reply_to, "id of the message this one answers");
  cmd->add_flag("--stdin", o->from_stdin, "send each line of standard input as a message");
  cmd->callback([o, &g, &action] { action = [o, &g] { return run_send(g, *o); }; });
}

}  // namespace sorak::cli
