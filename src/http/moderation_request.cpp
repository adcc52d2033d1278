#include "http/moderation_request.hpp"

#include "core/utf8.hpp"
#include "http/auth_guard.hpp"

namespace sorak {

namespace json = boost::json;

namespace {
error invalid_field(std::string msg) { return error(errc::invalid_field, std::move(msg)); }

const json::value* field(const json::object& body, std::string_view key) {
  auto it = body.find(key);
  if (it == body.end() || it->value().is_null()) return nullptr;
  return &it->value();
}
}  // namespace

result<mod_actor> moderation_actor(const http_request& req, services& svc) {
  auto who = authenticate(req, svc);
  if (!who) return who.err();
  mod_actor a;
  a.admin = who->admin;
  if (who->user) {
    a.user = who->user->user;
    svc.st.remember_user(a.user);
  }
  return a;
}

result<std::string> user_id_field(const json::object& body) {
  const auto* v = field(body, "user_id");
  if (!v || !v->is_string()) return invalid_field("user_id is required and must be a string");
  std::string id(v->get_string());
  if (id.empty() || !is_valid_utf8(id) || count_code_points(id) > 64)
    return invalid_field("user_id must be 1 to 64 characters");
  return id;
}

result<std::string> optional_text_field(const json::object& body, std::string_view key, std::size_t max_bytes) {
  const auto* v = field(body, key);
  if (!v) return std::string();
  if (!v->is_string()) return invalid_field(std::string(key) + " must be a string");
  std::string s(v->get_string());
  if (!is_valid_utf8(s) || s.size() > max_bytes)
    return invalid_field(std::string(key) + " must be at most " + std::to_string(max_bytes) + " bytes");
  return s;
}

result<std::optional<std::int64_t>> optional_int_field(const json::object& body, std::string_view key) {
  const auto* v = field(body, key);
  if (!v) return std::optional<std::int64_t>();
  if (v->is_int64()) return std::optional(v->get_int64());
  if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return std::optional(static_cast<std::int64_t>(v->get_uint64()));
  return invalid_field(std::string(key) + " must be a whole number");
}

result<std::optional<bool>> optional_bool_field(const json::object& body, std::string_view key) {
  const auto* v = field(body, key);
  if (!v) return std::optional<bool>();
  if (!v->is_bool()) return invalid_field(std::string(key) + " must be true or false");
  return std::optional(v->get_bool());
}

}  // namespace sorak
