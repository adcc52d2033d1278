// chat_socket.cpp: JSON events over ws_client.
#include "client/chat_socket.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace sorak::client {
namespace {

using clock_type = std::chrono::steady_clock;

std::chrono::milliseconds time_left(clock_type::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
  return left.count() > 0 ? left : std::chrono::milliseconds(0);
}

bool has_type(const boost::json::object& event, std::string_view type) {
  const auto* t = event.if_contains("type");
  return t && t->is_string() && t->get_string() == type;
}

}  // namespace

error close_error(int code, std::string_view reason) {
  std::string msg = "the server closed the connection";
  if (!reason.empty()) msg += ": " + std::string(reason);
  // The code users see is the close code itself, as the server sent it.
  error e(is_final_close(code) ? errc::closed_for_good : errc::connection_closed, std::move(msg));
  e.code = std::to_string(code);
  return e;
}

bool is_final_close(int code) { return code == 4001 || code == 4004; }

bool is_final_close(const error& e) { return e.is(errc::closed_for_good); }

std::string chat_ws_target(const endpoint& ep, std::string_view stream, std::string_view token,
                           std::string_view since) {
  query_params query{{"token", std::string(token)}};
  if (!since.empty()) query.emplace_back("since", std::string(since));
  return make_target(ep, stream_path(stream) + "/chat/ws", query);
}

result<boost::json::object> chat_socket::open(const endpoint& ep, std::string_view stream, std::string_view token,
                                              std::string_view since, std::chrono::milliseconds timeout) {
  const auto deadline = clock_type::now() + timeout;
  if (auto st = ws_.connect(ep, chat_ws_target(ep, stream, token, since), timeout); !st) return st.err();
  for (;;) {
    chat_event e = next(time_left(deadline));
    if (e.what == chat_event::kind::closed) return close_error(e.close_code, e.close_reason);
    if (e.what == chat_event::kind::timeout) {
      ws_.close(1000);
      return error(errc::timeout, "no history from the server within " + std::to_string(timeout.count()) + " ms");
    }
    if (has_type(e.event, "history")) return std::move(e.event);
  }
}

chat_event chat_socket::next(std::chrono::milliseconds timeout) {
  ws_frame frame = ws_.read_text(timeout);
  chat_event e;
  if (frame.kind == ws_frame_kind::timeout) return e;
  if (frame.kind == ws_frame_kind::closed) {
    e.what = chat_event::kind::closed;
    e.close_code = frame.close_code;
    e.close_reason = std::move(frame.close_reason);
    return e;
  }
  e.what = chat_event::kind::event;
  boost::system::error_code ec;
  boost::json::value doc = boost::json::parse(frame.text, ec);
  if (!ec && doc.is_object()) e.event = std::move(doc.get_object());
  e.raw = std::move(frame.text);
  return e;
}

status chat_socket::send(const boost::json::object& event) { return ws_.write_text(boost::json::serialize(event)); }

void chat_socket::close(int code) { ws_.close(code); }

}  // namespace sorak::client
