#include "app/dev_mode.hpp"

#include <openssl/rand.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "core/api_keys.hpp"
#include "sorak/auth.hpp"

namespace sorak {

namespace fs = std::filesystem;

namespace {

constexpr const char* demo_broadcaster = "demo-broadcaster";

std::string random_hex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes));
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

// The first line of `path`, or empty.
std::string read_kept(const fs::path& path) {
  std::string s;
  if (std::ifstream in(path); in) std::getline(in, s);
  return s;
}

// Writes `value` to `path`, readable by the owner only.
status keep(const fs::path& path, const std::string& value) {
  std::ofstream out(path, std::ios::trunc);
  if (!out) return error(errc::internal, "Cannot write " + path.string());
  out << value << '\n';
  out.close();
  ::chmod(path.c_str(), 0600);
  return ok_value;
}

// Reads data_dir/name, or writes a new random secret there.
result<std::string> kept_secret(const fs::path& dir, const char* name) {
  const fs::path path = dir / name;
  if (std::string s = read_kept(path); !s.empty()) return s;
  std::string s = random_hex(32);
  if (auto k = keep(path, s); !k) return k.err();
  return s;
}

// The dev API key for the Showroom-style API (CONTRACT §1): the store keeps
// only its hash, so its text is kept in data_dir/dev-api-key for the banner.
// Made again when the file is missing or the key was revoked.
result<std::string> dev_api_key(const server_config& cfg, store& st, api_key_service& keys) {
  const fs::path path = fs::path(cfg.data_dir) / "dev-api-key";
  if (std::string s = read_kept(path); !s.empty()) {
    auto known = st.find_api_key(sha256_hex(s));
    if (known && !known->revoked_at) return s;
  }
  auto made = keys.create("dev mode");
  if (!made) return made.err();
  if (auto k = keep(path, made->secret); !k) return k.err();
  return made->secret;
}

result<stream> demo_stream(store& st) {
  for (const auto& s : st.list_streams(stream_status::live))
    if (s.broadcaster_user_id == demo_broadcaster) return s;
  new_stream ns;
  ns.broadcaster_user_id = demo_broadcaster;
  ns.title = "Sorak demo stream";
  ns.room_name = "Demo room";
  ns.member = member_info{"Demo Idol", "demo", "Team S"};
  return st.create_stream(ns);
}

}  // namespace

status load_dev_secrets(server_config& cfg) {
  std::error_code ec;
  fs::create_directories(cfg.data_dir, ec);
  if (ec) return error(errc::internal, "Cannot create " + cfg.data_dir + ": " + ec.message());
  if (cfg.jwt_secret.empty()) {
    auto s = kept_secret(cfg.data_dir, "jwt-secret");
    if (!s) return s.err();
    cfg.jwt_secret = *s;
  }
  if (cfg.admin_key.empty()) {
    auto s = kept_secret(cfg.data_dir, "admin-key");
    if (!s) return s.err();
    cfg.admin_key = *s;
  }
  return ok_value;
}

status print_dev_banner(const server_config& cfg, store& st, api_key_service& keys, std::uint16_t port) {
  auto demo = demo_stream(st);
  if (!demo) return demo.err();
  auto api_key = dev_api_key(cfg, st, keys);
  if (!api_key) return api_key.err();
  token_claims broadcaster{demo_broadcaster, "broadcaster", "Demo Broadcaster", "", 50, true, {"verified"}, false,
                           30 * 24 * 3600};
  token_claims viewer{"demo-viewer", "viewer", "Demo Viewer", "", 3, false, {}, false, 30 * 24 * 3600};
  const std::string host = cfg.listen_host == "0.0.0.0" ? "127.0.0.1" : cfg.listen_host;
  std::cout << "Sorak dev mode (secrets kept in " << cfg.data_dir << ")\n"
            << "  web URL:            http://" << host << ':' << port << "/\n"
            << "  demo stream id:     " << demo->id << '\n'
            << "  demo room id:       " << demo->room_id << '\n'
            << "  broadcaster token:  " << mint_token(broadcaster, cfg.jwt_secret) << '\n'
            << "  viewer token:       " << mint_token(viewer, cfg.jwt_secret) << '\n'
            << "  API key:            " << *api_key << "   (Showroom API: ?apikey=)\n"
            << "  admin key:          " << cfg.admin_key << '\n'
            << "Try:  ./build/sorak watch " << demo->room_id << " --url http://" << host << ':' << port
            << " --token <viewer token>\n"
            << std::flush;
  return ok_value;
}

}  // namespace sorak
