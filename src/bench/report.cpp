#include "bench/report.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace sorak::bench {

namespace json = boost::json;

const char* scenario_name(scenario s) {
  switch (s) {
    case scenario::fanout:
      return "fanout";
    case scenario::idle:
      return "idle";
    case scenario::connect:
      return "connect";
    case scenario::slow:
      return "slow";
    case scenario::rest:
      return "rest";
    case scenario::ingest:
      return "ingest";
    case scenario::platform:
      return "platform";
  }
  return "?";
}

const char* protocol_name(wire_protocol p) {
  switch (p) {
    case wire_protocol::sorak:
      return "sorak";
    case wire_protocol::irc:
      return "irc";
    case wire_protocol::ws:
      return "ws";
  }
  return "?";
}

namespace {

double round_to(double v, int digits) {
  const double scale = std::pow(10.0, digits);
  return std::round(v * scale) / scale;
}

// JSON text with numbers as people write them (Boost.JSON would print 5E1):
// integral values without a fraction, others with at most 6 decimals.
void append_number(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.6f", v);
    char* end = buf + std::strlen(buf);
    while (end > buf && end[-1] == '0') --end;
    if (end > buf && end[-1] == '.') --end;
    *end = '\0';
  }
  out += buf;
}

void append_json(std::string& out, const json::value& v) {
  switch (v.kind()) {
    case json::kind::double_:
      append_number(out, v.get_double());
      return;
    case json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, item] : v.get_object()) {
        if (!first) out += ',';
        first = false;
        out += json::serialize(json::string_view(key));
        out += ':';
        append_json(out, item);
      }
      out += '}';
      return;
    }
    case json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& item : v.get_array()) {
        if (!first) out += ',';
        first = false;
        append_json(out, item);
      }
      out += ']';
      return;
    }
    default:
      out += json::serialize(v);
      return;
  }
}

std::string json_text(const json::value& v) {
  std::string out;
  append_json(out, v);
  return out;
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// 1234567 → "1,234,567"
std::string grouped(std::uint64_t v) {
  std::string digits = std::to_string(v);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

std::string latency_text(const latency_figures& f) {
  if (f.count == 0) return "(none measured)";
  return "p50 " + fixed(f.p50, 2) + "  p90 " + fixed(f.p90, 2) + "  p99 " + fixed(f.p99, 2) + "  max " +
         fixed(f.max, 2) + " ms  (" + grouped(f.count) + " samples)";
}

std::string row(std::string_view name, const std::string& value) {
  std::string line = "  ";
  line.append(name);
  line.push_back(' ');
  if (line.size() < 22) line.append(22 - line.size(), ' ');
  return line + value;
}

bool is_message_scenario(const std::string& s) { return s == "fanout" || s == "slow"; }

double number_of(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_number() ? v->to_number<double>() : 0;
}

// platform: one line per audience band, from extra["bands"].
void add_band_rows(std::vector<std::string>& lines, const bench_result& r) {
  const json::value* bands = r.extra.if_contains("bands");
  if (!bands || !bands->is_array()) return;
  for (const json::value& b : bands->get_array()) {
    if (!b.is_object() || !b.get_object().contains("latency_ms")) continue;
    const json::object& o = b.get_object();
    const json::object& l = o.at("latency_ms").as_object();
    latency_figures f;
    f.count = static_cast<std::uint64_t>(number_of(l, "count"));
    f.p50 = number_of(l, "p50");
    f.p90 = number_of(l, "p90");
    f.p99 = number_of(l, "p99");
    f.max = number_of(l, "max");
    const std::string name = o.at("band").is_string() ? std::string(o.at("band").get_string()) : "?";
    lines.push_back(row("  " + name + " viewers", latency_text(f) + "  " +
                                                      grouped(static_cast<std::uint64_t>(number_of(o, "streams"))) +
                                                      " streams, " + fixed(number_of(o, "rate"), 1) + " msg/s"));
  }
}

}  // namespace

json::object latency_json(const latency_figures& f) {
  return json::object{{"p50", round_to(f.p50, 3)},
                      {"p90", round_to(f.p90, 3)},
                      {"p99", round_to(f.p99, 3)},
                      {"max", round_to(f.max, 3)},
                      {"count", f.count}};
}

std::vector<std::string> format_table(const bench_result& r) {
  std::vector<std::string> lines;
  std::string title = "sorak bench " + r.scenario + " (" + r.protocol + ")";
  if (!r.label.empty()) title += " — " + r.label;
  lines.push_back(title);
  if (r.scenario == "rest") {
    lines.push_back(row("connections", grouped(r.connections) + " keep-alive"));
  } else {
    lines.push_back(row("connections", grouped(r.connected) + " of " + grouped(r.connections) + " in " +
                                           fixed(r.connect_ms, 0) + " ms"));
  }
  if (r.connect_latency.count > 0) lines.push_back(row("connect latency", latency_text(r.connect_latency)));
  if (is_message_scenario(r.scenario)) {
    lines.push_back(row("sent", grouped(r.sent) + " messages"));
    lines.push_back(row("deliveries", grouped(r.delivered) + " of " + grouped(r.expected) + " expected (ratio " +
                                          fixed(r.ratio, 4) + ")"));
    lines.push_back(row("deliveries/s", grouped(static_cast<std::uint64_t>(r.deliveries_per_s))));
    lines.push_back(row("latency", latency_text(r.latency)));
  } else if (r.scenario == "platform") {
    lines.push_back(row("sent", grouped(r.sent) + " messages"));
    lines.push_back(row("deliveries", grouped(r.delivered)));
    lines.push_back(row("deliveries/s", grouped(static_cast<std::uint64_t>(r.deliveries_per_s))));
    lines.push_back(row("latency", latency_text(r.latency)));
    add_band_rows(lines, r);
  } else if (r.scenario == "ingest") {
    lines.push_back(row("sent", grouped(r.sent) + " messages"));
    lines.push_back(row("ack latency", latency_text(r.latency)));
  } else if (r.scenario == "rest" || r.scenario == "connect") {
    lines.push_back(row("latency", latency_text(r.latency)));
  }
  for (const auto& [key, value] : r.extra) {
    if (r.scenario == "platform" && key == "bands") continue;  // add_band_rows
    lines.push_back(row(std::string(key), json_text(value)));
  }
  if (r.server.measured) {
    std::string s = "cpu " + fixed(r.server.cpu_s, 2) + " s (" + fixed(r.server.cpu_cores, 2) + " cores), rss max " +
                    fixed(r.server.rss_mb, 1) + " MB (" + fixed(r.server.rss_start_mb, 1) + " → " +
                    fixed(r.server.rss_end_mb, 1) + ")";
    if (r.server.rss_per_conn_bytes != 0) s += ", " + fixed(r.server.rss_per_conn_bytes, 0) + " B per connection";
    lines.push_back(row("server", s));
  } else {
    lines.push_back(row("server", "(not measured: pass --server-pid)"));
  }
  lines.push_back(row("client cpu", fixed(r.client_cpu_s, 2) + " s (" + fixed(r.client_cpu_cores, 2) + " cores)"));
  std::string errors = grouped(r.errors);
  for (const auto& [kind, n] : r.error_kinds) {
    if (n != 0) errors += "  " + kind + "=" + grouped(n);
  }
  lines.push_back(row("errors", errors));
  if (!r.first_error.empty()) lines.push_back(row("first error", r.first_error));
  lines.push_back(row("duration", fixed(r.duration_s, 2) + " s"));
  return lines;
}

std::string format_json(const bench_result& r) {
  json::object o;
  o["scenario"] = r.scenario;
  o["label"] = r.label;
  o["protocol"] = r.protocol;
  o["connections"] = r.connections;
  o["connected"] = r.connected;
  o["connect_ms"] = round_to(r.connect_ms, 1);
  o["connect_latency_ms"] = latency_json(r.connect_latency);
  o["sent"] = r.sent;
  o["expected"] = r.expected;
  o["delivered"] = r.delivered;
  o["ratio"] = round_to(r.ratio, 6);
  o["deliveries_per_s"] = round_to(r.deliveries_per_s, 1);
  o["latency_ms"] = latency_json(r.latency);
  json::object server;
  server["measured"] = r.server.measured;
  server["cpu_s"] = round_to(r.server.cpu_s, 3);
  server["cpu_cores"] = round_to(r.server.cpu_cores, 3);
  server["rss_mb"] = round_to(r.server.rss_mb, 2);
  server["rss_start_mb"] = round_to(r.server.rss_start_mb, 2);
  server["rss_end_mb"] = round_to(r.server.rss_end_mb, 2);
  server["rss_per_conn_bytes"] = round_to(r.server.rss_per_conn_bytes, 0);
  o["server"] = std::move(server);
  o["client_cpu_s"] = round_to(r.client_cpu_s, 3);
  o["client_cpu_cores"] = round_to(r.client_cpu_cores, 3);
  o["errors"] = r.errors;
  json::object kinds;
  for (const auto& [kind, n] : r.error_kinds) kinds[kind] = n;
  o["error_kinds"] = std::move(kinds);
  o["first_error"] = r.first_error;
  o["duration_s"] = round_to(r.duration_s, 3);
  for (const auto& [key, value] : r.extra) o[key] = value;
  return json_text(o);
}

}  // namespace sorak::bench
