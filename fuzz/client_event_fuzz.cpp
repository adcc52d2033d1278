// client_event_fuzz: a WebSocket text message as a client sends it →
// decode_client_event → the content checks every chat message goes through.
// Invariants: never throws or crashes; errors carry the documented codes;
// what is accepted is bounded and valid UTF-8.
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "core/content.hpp"
#include "core/utf8.hpp"
#include "fuzz_check.hpp"
#include "protocol/client_event.hpp"

using namespace sorak;

namespace {

bool documented_code(const std::string& code) {
  return code == "invalid_format" || code == "unknown_type" || code == "invalid_client_id" ||
         code == "invalid_quantity" || code == "invalid_option";
}

void check_content(const std::string& content) {
  for (int max : {1, 500, 2000}) {
    auto v = validate_content(content, max);
    if (!v) {
      const auto& c = v.err().code;
      FUZZ_CHECK(c == "empty_content" || c == "invalid_content" || c == "message_too_long");
      FUZZ_CHECK(v.err().http_status == 400);
      continue;
    }
    FUZZ_CHECK(!v->empty());
    FUZZ_CHECK(is_valid_utf8(*v));
    FUZZ_CHECK(count_code_points(*v) <= static_cast<std::size_t>(max));
    FUZZ_CHECK(v->size() <= content.size());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto ev = decode_client_event(text);
  if (!ev) {
    FUZZ_CHECK(documented_code(ev.err().code));
    FUZZ_CHECK(ev.err().http_status == 400);
    FUZZ_CHECK(!ev.err().message.empty());
    return 0;
  }
  // The session refuses text that is not UTF-8 before decoding; Boost.JSON
  // must not hand back anything else either.
  FUZZ_CHECK(is_valid_utf8(text));
  if (auto* gift = std::get_if<client_gift>(&*ev)) {
    FUZZ_CHECK(gift->client_id.size() <= max_client_id_length);
    const std::string gift_id = gift->gift_id;
    const auto quantity = gift->quantity;
    client_chat chat = as_chat(std::move(*gift));
    FUZZ_CHECK(chat.gift && chat.gift->gift_id == gift_id && chat.gift->quantity == quantity);
    check_content(chat.content);
  } else if (auto* chat = std::get_if<client_chat>(&*ev)) {
    FUZZ_CHECK(chat->client_id.size() <= max_client_id_length);
    FUZZ_CHECK(is_valid_utf8(chat->content));
    if (chat->reply_to) FUZZ_CHECK(is_valid_utf8(*chat->reply_to));
    check_content(chat->content);
  } else if (auto* vote = std::get_if<client_vote>(&*ev)) {
    FUZZ_CHECK(is_valid_utf8(vote->poll_id));  // option: any integer; the store judges it (invalid_option)
  }
  return 0;
}
