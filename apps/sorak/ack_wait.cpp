// ack_wait.cpp: the verdict on one sent message.
#include "ack_wait.hpp"

namespace sorak::cli {
namespace {

namespace json = boost::json;
using clock_type = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string str(const json::object& obj, std::string_view key) {
  const auto* v = obj.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

milliseconds time_left(clock_type::time_point deadline) {
  const auto left = std::chrono::duration_cast<milliseconds>(deadline - clock_type::now());
  return left.count() > 0 ? left : milliseconds(0);
}

// A JSON number as an integer, 0 when it is none.
std::int64_t as_int(const json::value* v) {
  boost::system::error_code ec;
  const auto n = v ? v->to_number<double>(ec) : 0.0;
  return ec ? 0 : static_cast<std::int64_t>(n);
}

ack_result lost(error why) { return ack_result{ack_status::connection_lost, {}, std::move(why), {}}; }

ack_result from_error_event(const json::object& event) {
  error why = error::received(0, str(event, "code"), str(event, "message"));
  if (why.kind().extra == error_extra::retry_after_ms) {
    const std::int64_t after = as_int(event.if_contains("retry_after_ms"));
    const milliseconds wait{after > 0 ? after : 1000};
    return ack_result{ack_status::retry_later, {}, std::move(why), wait};
  }
  if (event.contains("seconds_left")) {
    why.message += " (" + std::to_string(as_int(event.if_contains("seconds_left"))) + " s left)";
  }
  return ack_result{ack_status::refused, {}, std::move(why), {}};
}

// The ack for `client_id`, if `event` is one.
bool is_our_ack(const json::object& event, const std::string& client_id) {
  return str(event, "type") == "ack" && str(event, "client_id") == client_id;
}

std::string acked_id(const json::object& event) {
  const auto* data = event.if_contains("data");
  return data && data->is_object() ? str(data->get_object(), "id") : std::string();
}

}  // namespace

ack_result send_and_wait(client::chat_socket& socket, const json::object& event, milliseconds timeout) {
  if (!socket.is_open()) return lost(error(errc::connection_failed, "the connection was lost"));
  if (auto st = socket.send(event); !st) return lost(st.err());
  const std::string client_id = str(event, "client_id");
  const auto deadline = clock_type::now() + timeout;
  for (;;) {
    client::chat_event e = socket.next(time_left(deadline));
    if (e.what == client::chat_event::kind::timeout) {
      socket.close(1000);
      return lost(error(errc::timeout, "no answer from the server within " + std::to_string(timeout.count()) + " ms"));
    }
    if (e.what == client::chat_event::kind::closed) {
      error why = client::close_error(e.close_code, e.close_reason);
      if (client::is_final_close(e.close_code)) return ack_result{ack_status::refused, {}, std::move(why), {}};
      return lost(std::move(why));
    }
    if (is_our_ack(e.event, client_id)) return ack_result{ack_status::acked, acked_id(e.event), {}, {}};
    if (str(e.event, "type") == "error") return from_error_event(e.event);
  }
}

void pause_reading(client::chat_socket& socket, milliseconds pause) {
  const auto deadline = clock_type::now() + pause;
  while (socket.is_open() && clock_type::now() < deadline) {
    if (socket.next(time_left(deadline)).what == client::chat_event::kind::closed) return;
  }
}

}  // namespace sorak::cli
