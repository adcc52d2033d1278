#include "protocol/ws_deflate.hpp"

#include "protocol/ws_frame.hpp"
#include "protocol/http_text.hpp"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <utility>
#include <vector>

namespace sorak {

// ---- negotiation (RFC 7692 §5, §7.1) --------------------------------------------

namespace {

bool same_token(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// Splits `s` at `sep` outside double quotes.
std::vector<std::string_view> split_unquoted(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  bool quoted = false;
  std::size_t from = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '"') quoted = !quoted;
    if (s[i] == sep && !quoted) {
      parts.push_back(s.substr(from, i - from));
      from = i + 1;
    }
  }
  parts.push_back(s.substr(from));
  return parts;
}

// A window-bits value: 8 to 15, plain digits (quotes allowed, §7.1.2), no leading zero.
int window_bits(std::string_view v) {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  if (v.empty() || v.size() > 2 || v[0] == '0') return 0;
  int n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return 0;
    n = n * 10 + (c - '0');
  }
  return n >= 8 && n <= 15 ? n : 0;
}

struct offer_params {
  bool server_no_takeover = false, client_no_takeover = false;
  bool server_bits = false, client_bits = false;  // the parameter was there
};

// One parameter "name[=value]"; false when the offer cannot be honoured.
bool read_param(std::string_view param, offer_params& p) {
  const std::size_t eq = param.find('=');
  const std::string_view name = trim_ows(param.substr(0, eq));
  const bool has_value = eq != std::string_view::npos;
  const std::string_view value = has_value ? trim_ows(param.substr(eq + 1)) : std::string_view{};
  auto once = [](bool& seen) { return !std::exchange(seen, true); };
  if (same_token(name, "server_no_context_takeover")) return !has_value && once(p.server_no_takeover);
  if (same_token(name, "client_no_context_takeover")) return !has_value && once(p.client_no_takeover);
  // Our frames are deflated once with a 32 KiB window for every viewer: a
  // client asking for a smaller one is not offered the extension.
  if (same_token(name, "server_max_window_bits")) return has_value && window_bits(value) == 15 && once(p.server_bits);
  if (same_token(name, "client_max_window_bits")) return (!has_value || window_bits(value) != 0) && once(p.client_bits);
  return false;  // an unknown parameter (§7: decline)
}

std::optional<deflate_terms> answer(std::string_view offer) {
  const auto parts = split_unquoted(offer, ';');
  if (!same_token(trim_ows(parts[0]), "permessage-deflate")) return std::nullopt;
  offer_params p;
  for (std::size_t i = 1; i < parts.size(); ++i)
    if (!read_param(parts[i], p)) return std::nullopt;
  deflate_terms t;
  t.chain = !p.server_no_takeover;
  t.header = "permessage-deflate";
  if (p.server_no_takeover) t.header += "; server_no_context_takeover";  // §7.1.1.1: then it must be answered
  t.header += "; client_no_context_takeover";  // we inflate every client message on its own
  if (p.server_bits) t.header += "; server_max_window_bits=15";  // §7.1.2.1: accepted by echoing it
  return t;
}

}  // namespace

std::optional<deflate_terms> negotiate_deflate(std::string_view offers) {
  for (std::string_view offer : split_unquoted(offers, ','))
    if (auto r = answer(trim_ows(offer))) return r;
  return std::nullopt;
}

// ---- deflate and inflate ------------------------------------------------------------

namespace {

constexpr std::string_view sync_tail{"\x00\x00\xff\xff", 4};

// A raw DEFLATE stream (32 KiB window).
struct deflater {
  z_stream z{};
  deflater() {
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
      throw std::runtime_error("zlib: deflateInit2 failed");
  }
  ~deflater() { deflateEnd(&z); }
  deflater(const deflater&) = delete;
  deflater& operator=(const deflater&) = delete;
};

// Deflates `payload` into `out` as the stream's next message: flushed to a
// byte boundary (Z_SYNC_FLUSH), its 00 00 ff ff tail left off.
void deflate_next(z_stream& z, std::string_view payload, std::string& out) {
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(payload.data()));
  z.avail_in = static_cast<uInt>(payload.size());
  const std::size_t begin = out.size();
  std::size_t used = begin;
  // Room for the whole message at once almost always; the loop covers the rest.
  out.resize(begin + deflateBound(&z, static_cast<uLong>(payload.size())) + 16);
  for (;;) {
    z.next_out = reinterpret_cast<Bytef*>(out.data() + used);
    z.avail_out = static_cast<uInt>(out.size() - used);
    deflate(&z, Z_SYNC_FLUSH);
    used = out.size() - z.avail_out;
    if (z.avail_out != 0) break;
    out.resize(out.size() * 2);
  }
  out.resize(used);
  if (out.size() - begin >= sync_tail.size() && std::string_view(out).substr(out.size() - 4) == sync_tail)
    out.resize(out.size() - 4);
}

}  // namespace

void deflate_message(std::string_view payload, std::string& out) {
  thread_local deflater d;
  deflateReset(&d.z);
  deflate_next(d.z, payload, out);
}

bool append_deflated_text_frame(std::string& out, std::string_view payload) {
  thread_local std::string scratch;
  scratch.clear();
  deflate_message(payload, scratch);
  const bool smaller = scratch.size() < payload.size();  // the header can only shrink with it
  append_frame(out, ws_opcode::text, smaller ? std::string_view(scratch) : payload, smaller);
  if (scratch.capacity() > 64 * 1024) scratch = std::string();  // one huge history frame is not kept
  return smaller;
}

std::shared_ptr<const std::string> make_deflated_text_frame(std::string_view payload) {
  std::string out;
  out.reserve(payload.size() + 10);
  append_deflated_text_frame(out, payload);
  return std::make_shared<const std::string>(std::move(out));
}

struct deflate_chain::state : deflater {};

deflate_chain::deflate_chain() : s_(std::make_unique<state>()) {}
deflate_chain::~deflate_chain() = default;

void deflate_chain::begin() { deflateReset(&s_->z); }

void deflate_chain::append_text_frame(std::string& out, std::string_view payload) {
  scratch_.clear();
  deflate_next(s_->z, payload, scratch_);
  append_frame(out, ws_opcode::text, scratch_, true);
  if (scratch_.capacity() > 64 * 1024) scratch_ = std::string();
}

// ---- inflate ---------------------------------------------------------------------

struct inflate_stream::state {
  z_stream z{};
  state() {
    if (inflateInit2(&z, -15) != Z_OK) throw std::runtime_error("zlib: inflateInit2 failed");
  }
  ~state() { inflateEnd(&z); }
  state(const state&) = delete;
  state& operator=(const state&) = delete;
};

inflate_stream::inflate_stream() : s_(std::make_unique<state>()) {}
inflate_stream::~inflate_stream() = default;

void inflate_stream::reset() { inflateReset(&s_->z); }

inflate_result inflate_message(std::string_view compressed, std::size_t max_bytes, std::string& out) {
  thread_local inflate_stream f;
  f.reset();
  return f.next(compressed, max_bytes, out);
}

// Inflates straight into `out`, growing it by doubling up to max_bytes + 1:
// one byte past the limit is how too_big is known.
inflate_result inflate_stream::next(std::string_view compressed, std::size_t max_bytes, std::string& out) {
  z_stream& z = s_->z;
  out.resize(std::min(max_bytes + 1, std::max<std::size_t>(256, 4 * compressed.size())));
  std::size_t used = 0;
  auto fail = [&](inflate_result r) {
    out.clear();
    return r;
  };
  bool ended = false;  // a final block was read: what follows is ignored
  for (std::string_view piece : {compressed, sync_tail}) {
    if (ended) break;
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(piece.data()));
    z.avail_in = static_cast<uInt>(piece.size());
    for (;;) {
      if (used == out.size()) {
        if (used > max_bytes) return fail(inflate_result::too_big);
        out.resize(std::min(max_bytes + 1, 2 * out.size()));
      }
      z.next_out = reinterpret_cast<Bytef*>(out.data() + used);
      z.avail_out = static_cast<uInt>(out.size() - used);
      const int r = inflate(&z, Z_SYNC_FLUSH);
      used = out.size() - z.avail_out;
      if (used > max_bytes) return fail(inflate_result::too_big);
      ended = r == Z_STREAM_END;
      if (ended) break;
      if (r != Z_OK && r != Z_BUF_ERROR) return fail(inflate_result::corrupt);
      if (z.avail_out != 0) break;  // all of this piece that can be inflated was
    }
  }
  out.resize(used);
  return inflate_result::ok;
}

}  // namespace sorak
