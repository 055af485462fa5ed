// The shared part of the capture-reading commands: see common.hpp.
#include "common.hpp"

#include <arpa/inet.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "sipscope/json_writer.hpp"

namespace sipscope::cli {

// ---- arguments -------------------------------------------------------------------------------

std::string_view arg_cursor::name() const noexcept {
  std::string_view s = a_[i_];
  if (s.starts_with("--"))
    if (auto eq = s.find('='); eq != std::string_view::npos) return s.substr(0, eq);
  return s;
}

bool arg_cursor::flag(std::string_view n) {
  if (done() || a_[i_] != n) return false;
  ++i_;
  return true;
}

bool arg_cursor::option(std::string_view n, std::string& value, std::string& error) {
  if (done() || name() != n) return false;
  std::string_view s = a_[i_];
  if (s.size() > n.size()) {   // --name=value
    value = std::string(s.substr(n.size() + 1));
    ++i_;
    return true;
  }
  if (i_ + 1 >= a_.size()) {
    error = "option ";
    error += n;
    error += " needs a value";
    ++i_;
    return true;
  }
  value = std::string(a_[i_ + 1]);
  i_ += 2;
  return true;
}

const std::string_view common_usage =
    "Input:\n"
    "  FILE...             pcap, pcapng or gzip-compressed captures ('-' reads stdin); several\n"
    "                      files are merged by packet time (e.g. a ring buffer's files)\n"
    "  -f, --filter BPF    capture filter in pcap-filter(7) syntax, applied to every frame\n"
    "  -q, --quiet         no progress bar and no summary on stderr\n"
    "  --leg-header NAME   one more header that carries the other leg's Call-ID through a\n"
    "                      B2BUA (X-CID, X-Call-ID, X-Orig-Call-ID, X-Leg-ID are known)\n"
    "  --leg-pattern RE    B2BUA legs whose Call-IDs share RE's first group, e.g.\n"
    "                      '^(.*)-b2b-[0-9]+$' (ECMAScript regex; default: off)\n"
    "  --limit NAME=VALUE  a resource limit (may be repeated; K, M, G multiply by 1024):\n"
    "                      message-size, headers, header-items, multipart-depth,\n"
    "                      tcp-flows, tcp-flow-buffer, tcp-buffer, fragments,\n"
    "                      fragments-per-source, fragment-bytes, records, streams,\n"
    "                      messages-per-record, transactions-per-record; '--limit list'\n"
    "                      prints each with its default (docs/LIMITS.md). A hit is a\n"
    "                      diagnostic (its *_limit kind in the summary), never an abort\n"
    "\n"
    "Filters (a record is kept when it passes all of those given; lists are comma-separated,\n"
    "options may be repeated):\n"
    "  --call-id ID        this Call-ID (exact)\n"
    "  --from TEXT         the From user or URI contains TEXT (case-insensitive)\n"
    "  --to TEXT           the To user or URI contains TEXT\n"
    "  --user TEXT         either side (From or To) contains TEXT\n"
    "  --state STATE       calls: calling, ringing, in-call, completed, cancelled, busy,\n"
    "                      rejected, failed, no-answer, redirected; other records: pending,\n"
    "                      ok, failed, registered, unregistered\n"
    "  --status CODE       final status: 486, 4xx, 5xx, or a range 400-499\n"
    "  --since TIME        records that start at or after TIME: ISO 8601 UTC\n"
    "                      (2024-05-01T10:00:00.5Z), a UTC time of day on the capture's first\n"
    "                      date (10:00:00), or seconds from the capture start (90, 1.5)\n"
    "  --until TIME        records that start at or before TIME (same forms)\n"
    "  --host IP[:PORT]    a message of the record was sent from or to this address\n"
    "                      (IPv6 with a port: [2001:db8::1]:5060)\n"
    "  --match REGEX       ECMAScript regex searched in the raw text of every SIP message of\n"
    "                      the record (start line, headers, body), as sngrep's match does\n"
    "                      (e.g. --match 'X-Tenant: acme' or --match 'a=inactive')\n"
    "\n"
    "Exit conditions:\n"
    "  --fail-on EXPR      exit 1 when a listed record matches any of the comma-separated\n"
    "                      conditions: failed (a call ended failed, rejected, busy or\n"
    "                      no-answer), state=STATE, status>=500 (also > < <= = !=),\n"
    "                      loss>X (a stream lost more than X %), jitter>MS (mean jitter of a\n"
    "                      stream), mos<X (a stream's MOS below X), pdd>MS (post-dial delay)\n";

namespace {

// The knobs behind --limit: where each value goes. The default is read from the libraries'
// default-constructed options, so the table can never disagree with them.
struct limit_slot {
  std::string_view name;
  std::string_view what;
  std::uint64_t min;
  std::uint64_t (*get)(const capture::module_limits&, const cr::correlator_options&);
  void (*set)(capture::module_limits&, cr::correlator_options&, std::uint64_t);
};

using ml = capture::module_limits;
using co = cr::correlator_options;

const limit_slot limit_slots[] = {
    {"message-size", "bytes of one SIP message; a larger one is dropped (sip_size_limit)", 64,
     [](const ml&, const co& c) -> std::uint64_t { return c.sip.max_message_size; },
     [](ml& m, co& c, std::uint64_t v) { c.sip.max_message_size = m.sip.max_message_size = v; }},
    {"headers", "header fields of one SIP message; more make it malformed (sip_header_limit)", 1,
     [](const ml&, const co& c) -> std::uint64_t { return c.sip.max_headers; },
     [](ml& m, co& c, std::uint64_t v) { c.sip.max_headers = m.sip.max_headers = v; }},
    {"header-items", "list elements (Via, Route, ...) of one SIP message, over all headers (sip_header_limit)", 1,
     [](const ml&, const co& c) -> std::uint64_t { return c.sip.max_items; },
     [](ml& m, co& c, std::uint64_t v) { c.sip.max_items = m.sip.max_items = v; }},
    {"multipart-depth", "nesting of multipart bodies; deeper parts are not decoded (multipart_depth_limit)", 0,
     [](const ml&, const co& c) -> std::uint64_t { return c.sip.max_multipart_depth; },
     [](ml& m, co& c, std::uint64_t v) { c.sip.max_multipart_depth = m.sip.max_multipart_depth = v; }},
    {"tcp-flows", "TCP connections tracked at once; the least recent is closed (tcp_flow_limit)", 1,
     [](const ml& m, const co&) -> std::uint64_t { return m.tcp.max_flows; },
     [](ml& m, co&, std::uint64_t v) { m.tcp.max_flows = v; }},
    {"tcp-flow-buffer", "out-of-order bytes buffered per TCP flow; beyond, the hole is skipped (tcp_buffer_limit)", 0,
     [](const ml& m, const co&) -> std::uint64_t { return m.tcp.flow_buffer_limit; },
     [](ml& m, co&, std::uint64_t v) { m.tcp.flow_buffer_limit = v; }},
    {"tcp-buffer", "out-of-order bytes buffered over all TCP flows (tcp_buffer_limit)", 0,
     [](const ml& m, const co&) -> std::uint64_t { return m.tcp.total_buffer_limit; },
     [](ml& m, co&, std::uint64_t v) { m.tcp.total_buffer_limit = v; }},
    {"fragments", "IP datagrams in reassembly at once; the oldest is dropped (fragment_limit)", 1,
     [](const ml& m, const co&) -> std::uint64_t { return m.defrag.max_datagrams; },
     [](ml& m, co&, std::uint64_t v) { m.defrag.max_datagrams = v; }},
    {"fragments-per-source", "IP datagrams in reassembly from one source address (fragment_limit)", 1,
     [](const ml& m, const co&) -> std::uint64_t { return m.defrag.max_per_source; },
     [](ml& m, co&, std::uint64_t v) { m.defrag.max_per_source = v; }},
    {"fragment-bytes", "bytes of IP fragments buffered in total (fragment_limit)", 0,
     [](const ml& m, const co&) -> std::uint64_t { return m.defrag.max_bytes; },
     [](ml& m, co&, std::uint64_t v) { m.defrag.max_bytes = v; }},
    {"records", "calls and other records in progress in memory; the least recent is reported early (record_limit)", 1,
     [](const ml&, const co& c) -> std::uint64_t { return c.max_records; },
     [](ml&, co& c, std::uint64_t v) { c.max_records = static_cast<std::uint32_t>(v); }},
    {"streams", "RTP streams tracked at once; a new one is not tracked (stream_limit)", 1,
     [](const ml&, const co& c) -> std::uint64_t { return c.max_streams; },
     [](ml&, co& c, std::uint64_t v) { c.max_streams = v; }},
    {"messages-per-record", "SIP messages kept per record; further ones are counted only (message_limit)", 1,
     [](const ml&, const co& c) -> std::uint64_t { return c.max_messages_per_record; },
     [](ml&, co& c, std::uint64_t v) { c.max_messages_per_record = static_cast<std::uint32_t>(v); }},
    {"transactions-per-record", "transactions remembered per record; the oldest is forgotten (transaction_limit)", 1,
     [](const ml&, const co& c) -> std::uint64_t { return c.max_transactions_per_record; },
     [](ml&, co& c, std::uint64_t v) { c.max_transactions_per_record = static_cast<std::uint32_t>(v); }},
};

const limit_slot* find_limit(std::string_view name) {
  for (const limit_slot& l : limit_slots)
    if (l.name == name) return &l;
  return nullptr;
}

}  // namespace

std::vector<limit_info> known_limits() {
  const ml m;
  const co c;
  std::vector<limit_info> out;
  for (const limit_slot& l : limit_slots) out.push_back({l.name, l.get(m, c), l.what});
  return out;
}

bool parse_limit(std::string_view text, std::string& name, std::uint64_t& value, std::string& error) {
  const auto eq = text.find('=');
  if (eq == std::string_view::npos) {
    error = "--limit wants NAME=VALUE, e.g. records=500000 ('--limit list' shows the names)";
    return false;
  }
  name = std::string(text.substr(0, eq));
  const limit_slot* slot = find_limit(name);
  if (!slot) {
    error = "--limit: unknown limit '" + name + "' ('--limit list' shows the names)";
    return false;
  }
  std::string_view v = text.substr(eq + 1);
  std::uint64_t mult = 1;
  if (!v.empty()) {
    switch (v.back()) {
      case 'K': case 'k': mult = 1ull << 10; break;
      case 'M': case 'm': mult = 1ull << 20; break;
      case 'G': case 'g': mult = 1ull << 30; break;
      default: break;
    }
    if (mult != 1) v.remove_suffix(1);
  }
  std::uint64_t n = 0;
  bool ok = !v.empty() && v.size() <= 12;
  for (char ch : v) {
    if (ch < '0' || ch > '9') { ok = false; break; }
    n = n * 10 + static_cast<std::uint64_t>(ch - '0');
  }
  // 2^32 - 1 at most: some limits are 32-bit counters, and no sane limit is larger
  if (ok && n > 0xffffffffull / mult) ok = false;
  if (ok) n *= mult;
  if (!ok || n < slot->min) {
    error = "--limit " + name + ": expected a whole number from " + std::to_string(slot->min) +
            " to 4294967295 (K, M, G suffixes allowed), not '" + std::string(text.substr(eq + 1)) + "'";
    return false;
  }
  value = n;
  return true;
}

// The table users need to choose a value: name, default, what happens at the limit.
void print_known_limits() {
  for (const limit_info& l : known_limits())
    std::printf("%-24s %12llu  %.*s\n", std::string(l.name).c_str(), static_cast<unsigned long long>(l.default_value),
                static_cast<int>(l.what.size()), l.what.data());
}

void apply_limits(const common_options& o, capture::module_limits& m, cr::correlator_options& c) {
  for (const auto& [name, value] : o.limits)
    if (const limit_slot* slot = find_limit(name)) slot->set(m, c, value);
}

std::vector<std::string> split_list(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    auto comma = s.find(',');
    std::string_view one = s.substr(0, comma);
    if (!one.empty()) out.emplace_back(one);
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

namespace {

bool parse_number(std::string_view s, double& out) {
  if (s.empty()) return false;
  std::string t(s);
  char* end = nullptr;
  errno = 0;
  out = std::strtod(t.c_str(), &end);
  return end && *end == '\0' && errno == 0 && std::isfinite(out);
}

// "486", "4xx", "400-499" -> [lo, hi].
bool parse_status(std::string_view s, std::pair<int, int>& out) {
  auto digits = [](std::string_view d) {
    return !d.empty() && std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (s.size() == 3 && s[0] >= '1' && s[0] <= '6' && (s.substr(1) == "xx" || s.substr(1) == "XX")) {
    out = {(s[0] - '0') * 100, (s[0] - '0') * 100 + 99};
    return true;
  }
  if (auto dash = s.find('-'); dash != std::string_view::npos) {
    if (!digits(s.substr(0, dash)) || !digits(s.substr(dash + 1)) || dash > 3 || s.size() - dash - 1 > 3) return false;
    out = {std::atoi(std::string(s.substr(0, dash)).c_str()), std::atoi(std::string(s.substr(dash + 1)).c_str())};
    return out.first <= out.second;
  }
  if (!digits(s) || s.size() > 3) return false;
  int n = std::atoi(std::string(s).c_str());
  out = {n, n};
  return true;
}

// Normalises an IP address text to the form endpoint::to_string() gives (RFC 5952 for IPv6).
bool normalise_ip(const std::string& in, std::string& out) {
  unsigned char buf[16];
  char text[INET6_ADDRSTRLEN];
  if (inet_pton(AF_INET, in.c_str(), buf) == 1) {
    out = inet_ntop(AF_INET, buf, text, sizeof text);
    return true;
  }
  if (inet_pton(AF_INET6, in.c_str(), buf) == 1) {
    out = inet_ntop(AF_INET6, buf, text, sizeof text);
    return true;
  }
  return false;
}

bool parse_host(std::string_view s, std::pair<std::string, int>& out) {
  std::string ip;
  int port = -1;
  auto set_port = [&](std::string_view p) {
    if (p.empty() || p.size() > 5 || !std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return false;
    port = std::atoi(std::string(p).c_str());
    return port <= 65535;
  };
  if (s.starts_with("[")) {
    auto close = s.find(']');
    if (close == std::string_view::npos) return false;
    ip = std::string(s.substr(1, close - 1));
    std::string_view rest = s.substr(close + 1);
    if (!rest.empty() && (rest[0] != ':' || !set_port(rest.substr(1)))) return false;
  } else if (std::count(s.begin(), s.end(), ':') == 1) {
    auto colon = s.find(':');
    ip = std::string(s.substr(0, colon));
    if (!set_port(s.substr(colon + 1))) return false;
  } else {
    ip = std::string(s);
  }
  std::string norm;
  if (!normalise_ip(ip, norm)) return false;
  out = {norm, port};
  return true;
}

bool resolve_time(const std::string& s, capture::timestamp_ns start, capture::timestamp_ns& out);

bool parse_fail_on(std::string_view expr, std::vector<fail_condition>& out, std::string& bad) {
  for (const std::string& one : split_list(expr)) {
    fail_condition c;
    c.source = one;
    if (one == "failed") {
      c.w = fail_condition::what::failed;
      out.push_back(c);
      continue;
    }
    auto op_at = one.find_first_of("<>=!");
    if (op_at == std::string::npos || op_at == 0) { bad = one; return false; }
    std::string key = one.substr(0, op_at);
    std::size_t op_len = (op_at + 1 < one.size() && one[op_at + 1] == '=') ? 2 : 1;
    std::string op = one.substr(op_at, op_len);
    std::string val = one.substr(op_at + op_len);
    if (op == "<") c.o = fail_condition::op::lt;
    else if (op == "<=") c.o = fail_condition::op::le;
    else if (op == "=" || op == "==") c.o = fail_condition::op::eq;
    else if (op == "!=") c.o = fail_condition::op::ne;
    else if (op == ">=") c.o = fail_condition::op::ge;
    else if (op == ">") c.o = fail_condition::op::gt;
    else { bad = one; return false; }
    if (key == "state") {
      if (c.o != fail_condition::op::eq && c.o != fail_condition::op::ne) { bad = one; return false; }
      c.w = fail_condition::what::state;
      c.text = val;
      std::replace(c.text.begin(), c.text.end(), '_', '-');
      out.push_back(c);
      continue;
    }
    if (key == "status") c.w = fail_condition::what::status;
    else if (key == "loss") c.w = fail_condition::what::loss;
    else if (key == "jitter") c.w = fail_condition::what::jitter;
    else if (key == "mos") c.w = fail_condition::what::mos;
    else if (key == "pdd") c.w = fail_condition::what::pdd;
    else { bad = one; return false; }
    if (!val.empty() && val.back() == '%' && c.w == fail_condition::what::loss) val.pop_back();
    if (!parse_number(val, c.number)) { bad = one; return false; }
    out.push_back(c);
  }
  return !out.empty();
}

}  // namespace

int usage_error(const common_options& o, const std::string& msg) {
  std::fprintf(stderr, "sipscope %s: %s\nTry 'sipscope %s --help'.\n", o.command.c_str(), msg.c_str(),
               o.command.c_str());
  return exit_usage;
}

bool parse_kinds(std::string_view list, std::vector<cr::record_kind>& out, std::string& bad) {
  static constexpr cr::record_kind all[] = {cr::record_kind::call,    cr::record_kind::registration,
                                            cr::record_kind::options, cr::record_kind::message,
                                            cr::record_kind::subscription, cr::record_kind::refer,
                                            cr::record_kind::other};
  for (const std::string& one : split_list(list)) {
    bool found = false;
    for (cr::record_kind k : all)
      if (cr::to_string(k) == one || (one == "register" && k == cr::record_kind::registration)) {
        out.push_back(k);
        found = true;
      }
    if (!found) { bad = one; return false; }
  }
  return true;
}

parsed parse_common(arg_cursor& c, common_options& o) {
  std::string_view s = c.current();
  if (s == "-" || !s.starts_with("-")) {
    o.files.emplace_back(s);
    c.next();
    return parsed::mine;
  }
  if (c.flag("-q") || c.flag("--quiet")) { o.quiet = true; return parsed::mine; }
  if (c.flag("--all")) { o.f.all_kinds = true; return parsed::mine; }
  std::string v, err;
  auto fail = [&](const std::string& m) {
    usage_error(o, m);
    return parsed::error;
  };
  if (c.option("-f", v, err) || c.option("--filter", v, err)) {
    if (!err.empty()) return fail(err);
    o.bpf = v;
    return parsed::mine;
  }
  if (c.option("--leg-header", v, err)) {
    if (!err.empty()) return fail(err);
    o.leg_headers.push_back(v);
    return parsed::mine;
  }
  if (c.option("--limit", v, err)) {
    if (!err.empty()) return fail(err);
    if (v == "list") {
      print_known_limits();
      std::fflush(stdout);
      std::exit(0);
    }
    std::string name;
    std::uint64_t value = 0;
    if (!parse_limit(v, name, value, err)) return fail(err);
    o.limits.emplace_back(name, value);
    return parsed::mine;
  }
  if (c.option("--leg-pattern", v, err)) {
    if (!err.empty()) return fail(err);
    try {
      std::regex test(v, std::regex::ECMAScript);
    } catch (const std::regex_error&) {
      return fail("--leg-pattern: not a valid regular expression: " + v);
    }
    o.leg_pattern = v;
    return parsed::mine;
  }
  if (c.option("--format", v, err)) {
    if (!err.empty()) return fail(err);
    o.format = v;
    return parsed::mine;
  }
  if (c.option("--color", v, err) || c.option("--colour", v, err)) {
    if (!err.empty()) return fail(err);
    if (v != "auto" && v != "always" && v != "never") return fail("--color takes auto, always or never");
    o.color = v;
    return parsed::mine;
  }
  if (c.option("--call-id", v, err)) {
    if (!err.empty()) return fail(err);
    o.f.call_ids.push_back(v);
    return parsed::mine;
  }
  if (c.option("--from", v, err) || c.option("--to", v, err) || c.option("--user", v, err)) {
    if (!err.empty()) return fail(err);
    std::string_view n = s.starts_with("--from") ? "from" : s.starts_with("--to") ? "to" : "user";
    auto& list = n == "from" ? o.f.from : n == "to" ? o.f.to : o.f.user;
    for (auto& one : split_list(v)) list.push_back(one);
    return parsed::mine;
  }
  if (c.option("--state", v, err)) {
    if (!err.empty()) return fail(err);
    static constexpr std::string_view known[] = {"calling", "ringing", "in-call", "completed", "cancelled",
                                                 "busy", "rejected", "failed", "no-answer", "redirected",
                                                 "pending", "ok", "registered", "unregistered"};
    for (std::string one : split_list(v)) {
      std::replace(one.begin(), one.end(), '_', '-');
      if (std::find(std::begin(known), std::end(known), one) == std::end(known))
        return fail("unknown state '" + one + "' (see --help for the list)");
      o.f.states.push_back(one);
    }
    return parsed::mine;
  }
  if (c.option("--status", v, err)) {
    if (!err.empty()) return fail(err);
    for (const std::string& one : split_list(v)) {
      std::pair<int, int> r;
      if (!parse_status(one, r)) return fail("bad --status '" + one + "' (examples: 486, 4xx, 500-599)");
      o.f.statuses.push_back(r);
    }
    return parsed::mine;
  }
  if (c.option("--since", v, err) || c.option("--until", v, err)) {
    if (!err.empty()) return fail(err);
    capture::timestamp_ns t;
    if (!resolve_time(v, 0, t))
      return fail("bad time '" + v + "' (forms: 2024-05-01T10:00:00Z, 10:00:00, or seconds such as 90)");
    (s.starts_with("--since") ? o.f.since : o.f.until) = v;
    return parsed::mine;
  }
  if (c.option("--host", v, err)) {
    if (!err.empty()) return fail(err);
    for (const std::string& one : split_list(v)) {
      std::pair<std::string, int> h;
      if (!parse_host(one, h)) return fail("bad --host '" + one + "' (IP, IP:PORT or [IPv6]:PORT)");
      o.f.hosts.push_back(h);
    }
    return parsed::mine;
  }
  if (c.option("--match", v, err)) {
    if (!err.empty()) return fail(err);
    try {
      o.f.match.emplace(v, std::regex::ECMAScript | std::regex::optimize);
    } catch (const std::regex_error& e) {
      return fail("bad --match regex '" + v + "': " + e.what());
    }
    o.f.match_text = v;
    return parsed::mine;
  }
  if (c.option("--kind", v, err)) {
    if (!err.empty()) return fail(err);
    std::string bad;
    if (!parse_kinds(v, o.f.kinds, bad))
      return fail("unknown kind '" + bad + "' (call, registration, options, message, subscription, refer, other)");
    return parsed::mine;
  }
  if (c.option("--fail-on", v, err)) {
    if (!err.empty()) return fail(err);
    std::string bad;
    if (!parse_fail_on(v, o.fail_on, bad))
      return fail("bad --fail-on condition '" + bad +
                  "' (failed, state=STATE, status>=500, loss>X, jitter>MS, mos<X, pdd>MS)");
    return parsed::mine;
  }
  if (s == "--") {
    c.next();
    while (!c.done()) { o.files.emplace_back(c.current()); c.next(); }
    return parsed::mine;
  }
  return parsed::not_mine;
}

bool finish_common(common_options& o) {
  if (o.files.empty()) {
    usage_error(o, "no FILE given (a pcap, pcapng or .gz capture; '-' reads stdin)");
    return false;
  }
  return true;
}

// ---- running the capture -------------------------------------------------------------------

namespace {

// Progress on stderr for big inputs: bytes, rate, ETA, redrawn at most 10 times a second.
class progress_bar {
 public:
  explicit progress_bar(bool enabled) : enabled_(enabled), start_(clock::now()) {}
  ~progress_bar() { clear(); }
  void update(std::uint64_t done, std::uint64_t total) {
    if (!enabled_ || total < threshold) return;
    auto now = clock::now();
    if (shown_ && now - last_ < std::chrono::milliseconds(100) && done < total) return;
    last_ = now;
    shown_ = true;
    const double secs = std::chrono::duration<double>(now - start_).count();
    const double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
    const double frac = std::min(1.0, static_cast<double>(done) / static_cast<double>(total));
    const int bar = 24;
    const int fill = static_cast<int>(frac * bar);
    std::string line = "\r[";
    line.append(static_cast<std::size_t>(fill), '#');
    line.append(static_cast<std::size_t>(bar - fill), ' ');
    char buf[160];
    std::string eta = "--:--";
    if (rate > 0 && done > 0) {
      const auto left = static_cast<long long>(static_cast<double>(total - std::min(done, total)) / rate);
      char e[32];
      std::snprintf(e, sizeof e, "%lld:%02lld", left / 60, left % 60);
      eta = e;
    }
    std::snprintf(buf, sizeof buf, "] %3.0f%%  %.1f/%.1f MB  %.1f MB/s  ETA %s\033[K", frac * 100,
                  static_cast<double>(done) / 1e6, static_cast<double>(total) / 1e6, rate / 1e6, eta.c_str());
    line += buf;
    std::fputs(line.c_str(), stderr);
    std::fflush(stderr);
  }
  void clear() {
    if (!shown_) return;
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
    shown_ = false;
  }

 private:
  using clock = std::chrono::steady_clock;
  static constexpr std::uint64_t threshold = 20'000'000;
  bool enabled_;
  bool shown_ = false;
  clock::time_point start_, last_;
};

class run_handler : public capture::handler {
 public:
  run_handler(cr::correlator& c, run_result& r, progress_bar& p) : c_(c), r_(r), p_(p) {}
  void on_sip(const capture::sip_event& e) override {
    if (!started_) { started_ = true; r_.capture_start = e.time; }
    c_.on_sip(e);
  }
  void on_udp(const capture::udp_event& e) override {
    if (!started_) { started_ = true; r_.capture_start = e.time; }
    c_.on_udp(e);
  }
  void on_diag(const capture::diag_event& e) override {
    diag_summary& d = r_.diags[e.kind];
    if (d.count++ == 0) {
      d.first = e.frame;
      d.error = e.error;
      whats_[e.kind] = std::string(e.what);
    }
    c_.on_diag(e);
    if (diag) diag(e);
  }
  void on_icmp(const capture::icmp_event& e) override { c_.on_icmp(e); }
  void on_tcp(const capture::tcp_event& e) override { c_.on_tcp(e); }
  std::function<void(const capture::diag_event&)> diag;
  void on_progress(std::uint64_t done, std::uint64_t total) override { p_.update(done, total); }
  const std::map<capture::diag_kind, std::string>& whats() const { return whats_; }

 private:
  cr::correlator& c_;
  run_result& r_;
  progress_bar& p_;
  bool started_ = false;
  std::map<capture::diag_kind, std::string> whats_;
};

bool is_file_level(capture::diag_kind k) {
  return k == capture::diag_kind::cannot_open || k == capture::diag_kind::not_a_capture;
}

// "a.pcap" or "frame 12 of a.pcap" (file names only when several inputs).
std::string where(const common_options& o, const capture::frame_ref& f) {
  std::string file = f.file < o.files.size() ? o.files[f.file] : std::string("?");
  if (file == "-") file = "<stdin>";
  if (f.number == 0) return file;
  std::string s = "frame ";
  s += std::to_string(f.number);
  if (o.files.size() > 1) {
    s += " of ";
    s += file;
  }
  return s;
}

// Parses --since/--until: ISO 8601 UTC, a time of day on the capture's first date, or seconds
// from the capture start.
bool resolve_time(const std::string& s, capture::timestamp_ns start, capture::timestamp_ns& out) {
  double secs;
  if (parse_number(s, secs)) {
    out = start + static_cast<capture::timestamp_ns>(secs * 1e9);
    return true;
  }
  std::tm tm{};
  const char* rest = nullptr;
  if (s.size() >= 10 && s[4] == '-') {
    rest = strptime(s.c_str(), "%Y-%m-%d", &tm);
    if (!rest) return false;
    if (*rest == 'T' || *rest == ' ') {
      rest = strptime(rest + 1, "%H:%M:%S", &tm);
      if (!rest) return false;
    }
  } else {
    std::time_t day = static_cast<std::time_t>(start / 1'000'000'000);
    if (start < 0 || !gmtime_r(&day, &tm)) return false;
    rest = strptime(s.c_str(), "%H:%M:%S", &tm);
    if (!rest) return false;
  }
  double frac = 0;
  if (*rest == '.') {
    const char* p = rest + 1;
    double scale = 0.1;
    while (*p >= '0' && *p <= '9') { frac += (*p - '0') * scale; scale /= 10; ++p; }
    rest = p;
  }
  if (*rest == 'Z') ++rest;
  if (*rest != '\0') return false;
  const std::time_t t = timegm(&tm);
  out = static_cast<capture::timestamp_ns>(t) * 1'000'000'000 + static_cast<capture::timestamp_ns>(frac * 1e9);
  return true;
}

bool icontains(std::string_view hay, std::string_view needle) {
  if (needle.empty()) return true;
  auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
  });
  return it != hay.end();
}

bool party_has(const cr::party& p, const std::string& t) {
  return icontains(p.user, t) || icontains(p.uri, t) || icontains(p.display, t);
}

}  // namespace

bool run_capture(const common_options& o, const record_sink& take, run_result& out) {
  return run_capture(o, take, out, run_extras{});
}

bool run_capture(const common_options& o, const record_sink& take, run_result& out, const run_extras& x) {
  // Files are checked first, so that a typo fails at once and names the file.
  bool bad = false;
  int stdin_count = 0;
  for (const std::string& f : o.files) {
    if (!x.interface.empty()) break;
    if (f == "-") { ++stdin_count; continue; }
    struct stat st{};
    if (::stat(f.c_str(), &st) != 0) {
      std::fprintf(stderr, "sipscope %s: cannot open '%s': %s (give the path of a pcap, pcapng or .gz capture)\n",
                   o.command.c_str(), f.c_str(), std::strerror(errno));
      bad = true;
    } else if (S_ISDIR(st.st_mode)) {
      std::fprintf(stderr, "sipscope %s: '%s' is a directory (give the capture files in it, e.g. '%s'/*.pcap)\n",
                   o.command.c_str(), f.c_str(), f.c_str());
      bad = true;
    } else if (::access(f.c_str(), R_OK) != 0) {
      std::fprintf(stderr, "sipscope %s: cannot read '%s': %s (check its permissions, or run as a user who may read it)\n",
                   o.command.c_str(), f.c_str(), std::strerror(errno));
      bad = true;
    }
  }
  if (stdin_count > 1) {
    usage_error(o, "'-' (stdin) given more than once");
    return false;
  }
  if (bad) {
    out.io_error = true;
    return false;
  }

  capture::module_limits mlim;
  cr::correlator_options copts = x.correlator;
  apply_limits(o, mlim, copts);
  capture::pipeline_options po;
  po.filter = o.bpf;
  po.live = x.live;
  po.standard_modules = false;   // installed below, with the --limit values
  capture::pipeline p(po);
  capture::standard_modules mods(mlim);
  mods.install(p);
  if (!x.interface.empty()) p.add_interface(x.interface);
  else
    for (const std::string& f : o.files) p.add_file(f);
  std::string err;
  if (!p.ready(err)) {
    usage_error(o, o.bpf.empty() ? err : "bad capture filter '" + o.bpf + "': " + err);
    return false;
  }

  std::optional<capture::timestamp_ns> since, until;
  bool times_resolved = false;
  bool time_error = false;
  run_handler* diag_counter = nullptr;   // limits hit in the correlator count as diagnostics
  copts.on_limit = [&diag_counter](const capture::diag_event& e) {
    if (diag_counter) diag_counter->on_diag(e);
  };
  for (const std::string& h : o.leg_headers) copts.leg_headers.push_back(h);
  if (!o.leg_pattern.empty()) copts.leg_call_id_pattern = o.leg_pattern;
  if (o.f.match) copts.text_match = o.f.match_text;
  cr::correlator c(copts);
  c.set_sink([&](cr::record&& r) {
    ++out.records_seen;
    if (!times_resolved) {
      times_resolved = true;
      capture::timestamp_ns t;
      if (o.f.since) {
        if (resolve_time(*o.f.since, out.capture_start, t)) since = t;
        else time_error = true;
      }
      if (o.f.until) {
        if (resolve_time(*o.f.until, out.capture_start, t)) until = t;
        else time_error = true;
      }
    }
    if (time_error) return;
    if (since && r.first_time < *since) return;
    if (until && r.first_time > *until) return;
    if (!record_passes(o.f, r, out.capture_start, o.default_kinds)) return;
    ++out.records_kept;
    take(std::move(r));
  });
  progress_bar bar(!o.quiet && ::isatty(STDERR_FILENO));
  run_handler h(c, out, bar);
  h.diag = x.diag;
  diag_counter = &h;
  if (x.running) x.running(&p);
  const bool ran = p.run(h);
  if (x.running) x.running(nullptr);
  c.finish();
  bar.clear();
  if (x.finished) x.finished(c);
  out.pipeline = p.stats();
  out.correlator = c.stats();

  // Time filters are checked up front as far as they can be without the capture.
  if (time_error) {
    usage_error(o, "bad --since/--until time (forms: 2024-05-01T10:00:00Z, 10:00:00, or seconds such as 90)");
    return false;
  }
  for (const auto& [kind, d] : out.diags) {
    if (!is_file_level(kind)) continue;
    out.io_error = true;
    const std::string file = where(o, capture::frame_ref{d.first.file, 0, 0});
    const auto& w = h.whats();
    auto it = w.find(kind);
    const std::string what = it == w.end() ? std::string(capture::to_string(kind)) : it->second;
    if (kind == capture::diag_kind::not_a_capture)
      std::fprintf(stderr, "sipscope %s: '%s' is not a capture: %s (give a pcap or pcapng file, or convert it with editcap)\n",
                   o.command.c_str(), file.c_str(), what.c_str());
    else
      std::fprintf(stderr, "sipscope %s: cannot open '%s': %s\n", o.command.c_str(), file.c_str(), what.c_str());
    if (d.count > 1)
      std::fprintf(stderr, "sipscope %s: (%llu inputs in all had this problem)\n", o.command.c_str(),
                   static_cast<unsigned long long>(d.count));
  }
  return ran;
}

void print_run_summary(const common_options& o, const run_result& r, std::string_view what) {
  if (o.quiet) return;
  const auto& ps = r.pipeline;
  const auto& cs = r.correlator;
  std::string line = "sipscope ";
  line += o.command;
  line += ": ";
  line += std::to_string(ps.files);
  line += ps.files == 1 ? " file, " : " files, ";
  line += std::to_string(ps.frames);
  line += " frames";
  if (ps.filtered_out) {
    line += " (";
    line += std::to_string(ps.filtered_out);
    line += " filtered out)";
  }
  line += ", ";
  line += std::to_string(cs.sip_messages);
  line += " SIP messages";
  if (cs.sip_malformed || cs.sip_unusable) {
    line += " (";
    line += std::to_string(cs.sip_malformed);
    line += " malformed, ";
    line += std::to_string(cs.sip_unusable);
    line += " without Call-ID/CSeq)";
  }
  line += ", ";
  line += std::to_string(cs.rtp_packets);
  line += " RTP packets; ";
  line += what;
  std::fprintf(stderr, "%s\n", line.c_str());
  std::string diags;
  for (const auto& [kind, d] : r.diags) {
    if (is_file_level(kind)) continue;
    if (!diags.empty()) diags += ", ";
    diags += std::to_string(d.count);
    diags += ' ';
    diags += capture::to_string(kind);
    diags += " (first: ";
    diags += where(o, d.first);
    diags += ')';
  }
  if (!diags.empty()) std::fprintf(stderr, "sipscope %s: capture diagnostics: %s\n", o.command.c_str(), diags.c_str());
}

std::string_view state_text(const cr::record& r) {
  return r.kind == cr::record_kind::call ? cr::to_string(r.state) : cr::to_string(r.outcome);
}

bool record_passes(const filters& f, const cr::record& r, capture::timestamp_ns, const std::vector<cr::record_kind>& kinds_default) {
  if (!f.all_kinds) {
    const auto& kinds = f.kinds.empty() ? kinds_default : f.kinds;
    if (!kinds.empty() && std::find(kinds.begin(), kinds.end(), r.kind) == kinds.end()) return false;
  }
  if (!f.call_ids.empty() && std::find(f.call_ids.begin(), f.call_ids.end(), r.call_id) == f.call_ids.end())
    return false;
  auto any_of = [](const std::vector<std::string>& list, auto pred) {
    return list.empty() || std::any_of(list.begin(), list.end(), pred);
  };
  if (!any_of(f.from, [&](const std::string& t) { return party_has(r.caller, t); })) return false;
  if (!any_of(f.to, [&](const std::string& t) { return party_has(r.callee, t); })) return false;
  if (!any_of(f.user, [&](const std::string& t) { return party_has(r.caller, t) || party_has(r.callee, t); }))
    return false;
  if (!any_of(f.states, [&](const std::string& s) { return state_text(r) == s; })) return false;
  if (!f.statuses.empty() &&
      std::none_of(f.statuses.begin(), f.statuses.end(),
                   [&](const auto& p) { return r.final_status >= p.first && r.final_status <= p.second; }))
    return false;
  if (!f.hosts.empty()) {
    auto hit = [&](const capture::endpoint& e) {
      std::string ip = e.ip.to_string();
      return std::any_of(f.hosts.begin(), f.hosts.end(),
                         [&](const auto& h) { return h.first == ip && (h.second < 0 || h.second == e.port); });
    };
    if (std::none_of(r.messages.begin(), r.messages.end(),
                     [&](const cr::message_entry& m) { return hit(m.src) || hit(m.dst); }))
      return false;
  }
  if (f.match) {
    const std::regex& re = *f.match;
    auto m = [&](const std::string& s) { return !s.empty() && std::regex_search(s, re); };
    bool hit = r.text_matches > 0 || m(r.call_id) || m(r.request_uri) || m(r.caller.uri) || m(r.callee.uri) || m(r.caller.display) ||
               m(r.callee.display) || m(r.asserted) ||
               std::any_of(r.user_agents.begin(), r.user_agents.end(), m) ||
               std::any_of(r.messages.begin(), r.messages.end(), [&](const cr::message_entry& e) { return m(e.summary) || m(e.sdp); });
    if (!hit) return false;
  }
  return true;
}

namespace {

bool compare(double a, fail_condition::op o, double b) {
  switch (o) {
    case fail_condition::op::lt: return a < b;
    case fail_condition::op::le: return a <= b;
    case fail_condition::op::eq: return a == b;
    case fail_condition::op::ne: return a != b;
    case fail_condition::op::ge: return a >= b;
    case fail_condition::op::gt: return a > b;
  }
  return false;
}

}  // namespace

bool fails(const std::vector<fail_condition>& conds, const cr::record& r, std::string& why) {
  char buf[64];
  for (const fail_condition& c : conds) {
    switch (c.w) {
      case fail_condition::what::failed:
        if (r.kind == cr::record_kind::call &&
            (r.state == cr::call_state::failed || r.state == cr::call_state::rejected ||
             r.state == cr::call_state::busy || r.state == cr::call_state::no_answer)) {
          why = "failed: ";
          why += cr::to_string(r.state);
          if (r.final_status) { why += ' '; why += std::to_string(r.final_status); }
          return true;
        }
        break;
      case fail_condition::what::state:
        if ((state_text(r) == c.text) == (c.o == fail_condition::op::eq)) {
          why = c.source;
          why += " (";
          why += state_text(r);
          why += ')';
          return true;
        }
        break;
      case fail_condition::what::status:
        if (r.final_status && compare(r.final_status, c.o, c.number)) {
          why = c.source;
          why += " (";
          why += std::to_string(r.final_status);
          why += ')';
          return true;
        }
        break;
      case fail_condition::what::pdd:
        if (r.kind == cr::record_kind::call && r.post_dial_delay_ms() >= 0 &&
            compare(static_cast<double>(r.post_dial_delay_ms()), c.o, c.number)) {
          why = c.source;
          why += " (";
          why += std::to_string(r.post_dial_delay_ms());
          why += " ms)";
          return true;
        }
        break;
      case fail_condition::what::loss:
      case fail_condition::what::jitter:
      case fail_condition::what::mos:
        for (const cr::stream_info& s : r.streams) {
          double v = c.w == fail_condition::what::loss     ? s.lost_percent()
                     : c.w == fail_condition::what::jitter ? s.mean_jitter_ms
                                                           : s.mos;
          if (c.w == fail_condition::what::mos && s.mos <= 0) continue;   // unknown
          if (compare(v, c.o, c.number)) {
            std::snprintf(buf, sizeof buf, " (%.2f, stream ", v);
            why = c.source;
            why += buf;
            why += s.src.to_string();
            why += " -> ";
            why += s.dst.to_string();
            why += ')';
            return true;
          }
        }
        break;
    }
  }
  return false;
}

int apply_fail_on(const common_options& o, const std::vector<const cr::record*>& recs) {
  if (o.fail_on.empty()) return exit_ok;
  std::size_t n = 0;
  std::string why;
  for (const cr::record* r : recs) {
    if (!fails(o.fail_on, *r, why)) continue;
    if (++n <= 10 && !o.quiet)
      std::fprintf(stderr, "sipscope %s: --fail-on: record %llu (%s, Call-ID %s): %s\n", o.command.c_str(),
                   static_cast<unsigned long long>(r->index), std::string(cr::to_string(r->kind)).c_str(),
                   printable(r->call_id).c_str(), why.c_str());
  }
  if (n > 10 && !o.quiet)
    std::fprintf(stderr, "sipscope %s: --fail-on: ... %zu records in all\n", o.command.c_str(), n);
  return n ? exit_findings : exit_ok;
}

// ---- text ------------------------------------------------------------------------------------

int terminal_columns(std::FILE* f, int fallback) {
  struct winsize ws{};
  if (::isatty(::fileno(f)) && ::ioctl(::fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  if (const char* c = std::getenv("COLUMNS")) {
    int n = std::atoi(c);
    if (n > 0) return n;
  }
  return fallback;   // not a terminal, no $COLUMNS: the caller's choice (0: no limit)
}

bool use_color(const std::string& mode, std::FILE* f) {
  if (mode == "always") return true;
  if (mode == "never") return false;
  if (const char* nc = std::getenv("NO_COLOR"); nc && *nc) return false;
  const char* term = std::getenv("TERM");
  if (term && std::string_view(term) == "dumb") return false;
  return ::isatty(::fileno(f));
}

bool utf8_terminal() {
  for (const char* v : {"LC_ALL", "LC_CTYPE", "LANG"}) {
    const char* s = std::getenv(v);
    if (s && *s) {
      std::string_view t(s);
      return t.find("UTF-8") != std::string_view::npos || t.find("utf8") != std::string_view::npos ||
             t.find("utf-8") != std::string_view::npos || t.find("UTF8") != std::string_view::npos;
    }
  }
  return false;
}

std::string printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      std::size_t n = utf8_sequence_length(s, i);
      // C1 controls (U+0080..U+009F) can drive a terminal too.
      if (n == 0 || (n == 2 && c == 0xC2 && static_cast<unsigned char>(s[i + 1]) < 0xA0)) {
        out.push_back('?');
        i += n ? n : 1;
      } else {
        out.append(s.substr(i, n));
        i += n;
      }
      continue;
    }
    out.push_back(c < 0x20 || c == 0x7F ? '?' : static_cast<char>(c));
    ++i;
  }
  return out;
}

std::size_t text_width(std::string_view s) {
  std::size_t w = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++w;
  return w;
}

namespace {
// Byte length of the first `cols` code points.
std::size_t prefix_bytes(std::string_view s, std::size_t cols) {
  std::size_t w = 0, i = 0;
  for (; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (w == cols) break;
      ++w;
    }
  }
  return i;
}
}  // namespace

std::string truncate(std::string_view s, std::size_t width, bool middle) {
  const std::size_t w = text_width(s);
  if (w <= width) return std::string(s);
  if (width == 0) return {};
  const std::string_view ell = utf8_terminal() ? "\u2026" : "~";
  if (width == 1) return std::string(ell);
  if (!middle) {
    std::string out(s.substr(0, prefix_bytes(s, width - 1)));
    out += ell;
    return out;
  }
  const std::size_t head = (width - 1) / 2 + (width - 1) % 2;
  const std::size_t tail = width - 1 - head;
  std::string out(s.substr(0, prefix_bytes(s, head)));
  out += ell;
  out += s.substr(prefix_bytes(s, w - tail));
  return out;
}

std::string pad(std::string_view s, std::size_t width, bool right_align) {
  const std::size_t w = text_width(s);
  std::string out;
  if (w >= width) return std::string(s);
  if (right_align) out.append(width - w, ' ');
  out += s;
  if (!right_align) out.append(width - w, ' ');
  return out;
}

std::string short_uri(const std::string& uri, std::size_t width) {
  std::string s = printable(uri);
  if (text_width(s) <= width) return s;
  for (std::string_view scheme : {"sip:", "sips:", "tel:"})
    if (s.starts_with(scheme)) {
      s.erase(0, scheme.size());
      break;
    }
  if (text_width(s) <= width) return s;
  if (auto semi = s.find(';'); semi != std::string::npos) s.erase(semi);
  if (text_width(s) <= width) return s;
  // user@host: the user is what tells calls apart, so the end goes; host:port without a user
  // is cut in the middle, keeping the port.
  if (s.find('@') != std::string::npos) return truncate(s, width);
  return truncate(s, width, true);
}

std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string utc_time(capture::timestamp_ns t, bool with_date) {
  std::int64_t ms = t / 1'000'000;
  std::int64_t sec = ms / 1000;
  std::int64_t frac = ms % 1000;
  if (frac < 0) { frac += 1000; --sec; }
  std::time_t tt = static_cast<std::time_t>(sec);
  std::tm tm{};
  if (!gmtime_r(&tt, &tm)) return "?";
  char buf[48];
  if (with_date)
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d.%03lld", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(frac));
  else
    std::snprintf(buf, sizeof buf, "%02d:%02d:%02d.%03lld", tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(frac));
  return buf;
}

std::string utc_date(capture::timestamp_ns t) {
  std::int64_t sec = t / 1'000'000'000;
  if (t < 0 && t % 1'000'000'000) --sec;
  std::time_t tt = static_cast<std::time_t>(sec);
  std::tm tm{};
  if (!gmtime_r(&tt, &tm)) return "?";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
  return buf;
}

std::string ms_text(std::int64_t ms) {
  if (ms < 0) return "-";
  char buf[32];
  if (ms < 1000) std::snprintf(buf, sizeof buf, "%lld ms", static_cast<long long>(ms));
  else if (ms < 60'000) std::snprintf(buf, sizeof buf, "%.2f s", static_cast<double>(ms) / 1000.0);
  else if (ms < 3'600'000)
    std::snprintf(buf, sizeof buf, "%lld:%02lld", static_cast<long long>(ms / 60'000), static_cast<long long>(ms / 1000 % 60));
  else
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", static_cast<long long>(ms / 3'600'000),
                  static_cast<long long>(ms / 60'000 % 60), static_cast<long long>(ms / 1000 % 60));
  return buf;
}

stream_worst worst_streams(const cr::record& r) {
  stream_worst w;
  for (const cr::stream_info& s : r.streams) {
    w.any = true;
    w.loss_percent = std::max(w.loss_percent, s.lost_percent());
    w.jitter_ms = std::max(w.jitter_ms, s.max_jitter_ms);
    if (s.mos > 0 && (w.mos == 0 || s.mos < w.mos)) w.mos = s.mos;
  }
  return w;
}

void print_json_items(std::size_t n, bool lines, const std::function<void(json_writer&, std::size_t)>& write) {
  if (!lines) {
    json_writer w(true);
    w.begin_array();
    for (std::size_t i = 0; i < n; ++i) write(w, i);
    w.end_array();
    std::fwrite(w.str().data(), 1, w.str().size(), stdout);
    std::fputc('\n', stdout);
  } else {
    for (std::size_t i = 0; i < n; ++i) {
      json_writer w(false);
      write(w, i);
      std::fwrite(w.str().data(), 1, w.str().size(), stdout);
      std::fputc('\n', stdout);
    }
  }
  std::fflush(stdout);
}

}  // namespace sipscope::cli
