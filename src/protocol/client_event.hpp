// client_event.hpp: decoding client → server WebSocket events (CONTRACT §5).
//
// decode_client_event never throws: a malformed event is an error value with
// code `invalid_format`, `unknown_type` or `invalid_client_id`; the session
// answers it with an `error` event and keeps the connection. Pure; any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "sorak/result.hpp"

namespace sorak {

struct client_ping {};

// What a `gift` event asks for; priced against the catalog by the chat service.
struct gift_order {
  std::string gift_id;
  long long quantity = 1;
};

struct client_chat {
  std::string content;  // as sent; validated later by validate_content
  std::string client_id;
  std::optional<std::string> reply_to;
  std::optional<gift_order> gift;  // set for a gift (then the content may be empty)
};

struct client_gift {
  std::string gift_id;
  long long quantity = 1;
  std::string content;
  std::string client_id;
  std::optional<std::string> reply_to;
};

// `{"type":"vote","poll_id":"…","option":N}` (CONTRACT §12): N is the 0-based
// index of the option.
struct client_vote {
  std::string poll_id;
  long long option = 0;
};

using client_event = std::variant<client_ping, client_chat, client_gift, client_vote>;

inline constexpr std::size_t max_client_id_length = 64;

result<client_event> decode_client_event(std::string_view text);

// A gift event as the chat message that carries it (one path for both).
client_chat as_chat(client_gift g);

}  // namespace sorak
