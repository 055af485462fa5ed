// sipscope stats: counts over a capture, what `tshark -q -z sip,stat` gives (requests by method,
// responses by code, retransmissions, setup time) and more (hosts, transports, malformed
// messages, capture diagnostics, records by kind, calls by state). Every figure is a count of
// what the pipeline and the correlator report; nothing is decoded here.
#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "commands.hpp"
#include "common.hpp"
#include "sipscope/json_writer.hpp"

namespace sipscope::cli {
namespace {

constexpr std::string_view stats_usage_head =
    "usage: sipscope stats [OPTIONS] FILE...\n"
    "\n"
    "Count what the captures hold: SIP requests by method and responses by status code (with\n"
    "retransmissions apart, as `tshark -q -z sip,stat`), setup times, messages per host\n"
    "(IP:port, sent and received), transports, messages with parse errors or warnings, capture\n"
    "diagnostics by kind (with the first frame of each), records by kind and calls by state.\n"
    "With filters, the SIP counts cover the records that pass them; the capture figures always\n"
    "cover every frame.\n"
    "\n"
    "Output:\n"
    "  --format table      sections of aligned counts (default)\n"
    "  --format json       one JSON object (snake_case members, counts as numbers)\n"
    "  --kind KINDS        count only these kinds of record (default: every kind)\n"
    "  -h, --help          this text\n"
    "\n";

constexpr std::string_view stats_usage_tail =
    "\n"
    "Exit status: 0 success, 1 a --fail-on condition matched, 2 usage or I/O error.\n"
    "\n"
    "Examples:\n"
    "  sipscope stats trace.pcap\n"
    "  sipscope stats --format json ring-*.pcap | jq '.responses'\n"
    "  sipscope stats --host 192.0.2.10 trace.pcapng\n"
    "  sipscope stats -f 'udp port 5060' --since 10:00 --until 11:00 trace.pcap\n";

struct options {
  common_options c;
};

std::optional<int> parse_args(args a, options& o) {
  o.c.command = "stats";
  arg_cursor c(a);
  while (!c.done()) {
    if (c.flag("-h") || c.flag("--help")) {
      std::fwrite(stats_usage_head.data(), 1, stats_usage_head.size(), stdout);
      std::fwrite(common_usage.data(), 1, common_usage.size(), stdout);
      std::fwrite(stats_usage_tail.data(), 1, stats_usage_tail.size(), stdout);
      return exit_ok;
    }
    switch (parse_common(c, o.c)) {
      case parsed::mine: continue;
      case parsed::error: return exit_usage;
      case parsed::not_mine: break;
    }
    return usage_error(o.c, "unknown option '" + std::string(c.current()) + "'");
  }
  if (o.c.format.empty()) o.c.format = "table";
  if (o.c.format != "table" && o.c.format != "json")
    return usage_error(o.c, "unknown format '" + o.c.format + "' (table or json)");
  if (!finish_common(o.c)) return exit_usage;
  return std::nullopt;
}

struct counter {
  std::uint64_t n = 0, resent = 0;
};
struct host_counts {
  std::uint64_t sent = 0, received = 0;
};
struct setup_times {
  std::uint64_t n = 0;
  std::int64_t sum = 0, min = 0, max = 0;
  void add(std::int64_t ms) {
    if (ms < 0) return;
    if (n == 0 || ms < min) min = ms;
    if (n == 0 || ms > max) max = ms;
    sum += ms;
    ++n;
  }
};

// What the sink keeps of each record: counts only, so a long capture is not held in memory.
struct tally {
  std::uint64_t messages = 0, indexed = 0, resent = 0, with_errors = 0, with_warnings = 0, dropped = 0;
  std::map<std::string, counter> methods;                   // requests
  std::map<std::uint16_t, counter> codes;                   // responses
  std::map<std::uint16_t, std::string> reasons;             // first reason phrase seen per code
  std::map<std::string, host_counts> hosts;                 // "IP:port"
  std::map<std::string, std::uint64_t> transports;
  std::map<std::string, std::uint64_t> kinds;
  std::map<std::string, std::uint64_t> call_states;
  std::map<std::string, std::uint64_t> other_states;        // "registration ok"...
  setup_times setup, pdd;
  std::uint64_t findings = 0;
  std::map<std::string, std::uint64_t> finding_kinds;

  void add(const cr::record& r) {
    kinds[std::string(cr::to_string(r.kind))]++;
    if (r.kind == cr::record_kind::call) {
      call_states[std::string(cr::to_string(r.state))]++;
      setup.add(r.setup_ms());
      pdd.add(r.post_dial_delay_ms());
    } else {
      std::string k(cr::to_string(r.kind));
      k += ' ';
      k += cr::to_string(r.outcome);
      other_states[k]++;
    }
    messages += r.sip_messages;
    dropped += r.dropped_messages;
    for (const cr::finding& f : r.findings) { ++findings; finding_kinds[f.kind]++; }
    for (const cr::message_entry& m : r.messages) {
      ++indexed;
      if (m.retransmission) ++resent;
      if (m.errors) ++with_errors;
      if (m.warnings) ++with_warnings;
      if (m.request) {
        counter& c = methods[m.method];
        ++c.n;
        c.resent += m.retransmission;
      } else {
        counter& c = codes[m.status];
        ++c.n;
        c.resent += m.retransmission;
        if (!reasons.count(m.status)) {
          reasons[m.status] = printable(m.reason);
        }
      }
      hosts[m.src.to_string()].sent++;
      hosts[m.dst.to_string()].received++;
      transports[std::string(capture::to_string(m.proto))]++;
    }
  }
};

std::string fixed(double d, int decimals) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, d);
  return buf;
}

void print_table(const common_options& o, const tally& t, const run_result& rr) {
  std::string out;
  auto row = [&](std::string_view label, const std::string& value, std::size_t w = 28) {
    out += "  ";
    out += pad(label, w);
    out += ' ';
    out += value;
    out += '\n';
  };
  auto n = [](std::uint64_t v) { return std::to_string(v); };
  const auto& ps = rr.pipeline;
  const auto& cs = rr.correlator;

  out += "Capture\n";
  row("files", n(ps.files));
  row("frames", n(ps.frames) + (ps.filtered_out ? " (" + n(ps.filtered_out) + " filtered out by -f)" : std::string()));
  row("bytes", n(ps.bytes));
  std::string links;
  for (const auto& [lt, count] : ps.per_link_type) {
    if (!links.empty()) links += ", ";
    links += capture::link_type_name(lt);
    links += ' ';
    links += n(count);
  }
  if (!links.empty()) row("link types", links);
  row("UDP datagrams (not SIP)", n(ps.udp_datagrams));
  row("TCP segments", n(ps.tcp_segments));
  if (ps.ip_fragments) row("IP fragments", n(ps.ip_fragments));
  if (ps.tunnelled) row("tunnelled frames", n(ps.tunnelled));
  row("RTP / RTCP packets", n(cs.rtp_packets) + " / " + n(cs.rtcp_packets));

  out += "\nSIP messages\n";
  row("messages", n(cs.sip_messages));
  row("retransmissions", n(cs.retransmissions));
  row("malformed", n(cs.sip_malformed));
  row("unusable (no Call-ID/CSeq)", n(cs.sip_unusable));
  row("with parse errors", n(t.with_errors));
  row("with warnings", n(t.with_warnings));
  if (t.messages != cs.sip_messages) row("in the records counted", n(t.messages));
  if (t.dropped) row("not indexed (record cap)", n(t.dropped));

  out += "\nRequests by method                  count  resent\n";
  {
    std::vector<std::pair<std::string, counter>> v(t.methods.begin(), t.methods.end());
    std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second.n > b.second.n; });
    for (const auto& [m, c] : v) {
      char buf[128];
      std::snprintf(buf, sizeof buf, "  %-32s %6llu  %6llu\n", truncate(printable(m), 32).c_str(),
                    static_cast<unsigned long long>(c.n), static_cast<unsigned long long>(c.resent));
      out += buf;
    }
    if (v.empty()) out += "  (none)\n";
  }
  out += "\nResponses by status                 count  resent\n";
  {
    for (auto it = t.codes.rbegin(); it != t.codes.rend(); ++it) {
      const auto& [code, c] = *it;
      std::string label = std::to_string(code);
      auto r = t.reasons.find(code);
      if (r != t.reasons.end() && !r->second.empty()) {
        label += ' ';
        label += r->second;
      }
      char buf[128];
      std::snprintf(buf, sizeof buf, "  %-32s %6llu  %6llu\n", pad(truncate(label, 32), 32).c_str(),
                    static_cast<unsigned long long>(c.n), static_cast<unsigned long long>(c.resent));
      out += buf;
    }
    if (t.codes.empty()) out += "  (none)\n";
  }

  out += "\nCall setup (INVITE to 2xx / to first 18x or final)\n";
  auto times = [&](std::string_view label, const setup_times& s) {
    if (!s.n) { row(label, "-"); return; }
    row(label, "avg " + fixed(static_cast<double>(s.sum) / static_cast<double>(s.n), 0) + " ms, min " +
                   std::to_string(s.min) + " ms, max " + std::to_string(s.max) + " ms (" + n(s.n) + (s.n == 1 ? " call)" : " calls)"));
  };
  times("setup time", t.setup);
  times("post-dial delay", t.pdd);

  out += "\nHosts (IP:port)                        sent  received\n";
  {
    std::vector<std::pair<std::string, host_counts>> v(t.hosts.begin(), t.hosts.end());
    std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
      return a.second.sent + a.second.received > b.second.sent + b.second.received;
    });
    for (const auto& [h, c] : v) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "  %-34s %6llu  %8llu\n", h.c_str(), static_cast<unsigned long long>(c.sent),
                    static_cast<unsigned long long>(c.received));
      out += buf;
    }
    if (v.empty()) out += "  (none)\n";
  }
  out += "\nTransports\n";
  for (const auto& [tr, c] : t.transports) row(tr, n(c));
  if (t.transports.empty()) out += "  (none)\n";

  out += "\nRecords by kind\n";
  for (const auto& [k, c] : t.kinds) row(k, n(c));
  if (t.kinds.empty()) out += "  (none)\n";
  if (!t.call_states.empty()) {
    out += "\nCalls by state\n";
    for (const auto& [s, c] : t.call_states) row(s, n(c));
  }
  if (!t.other_states.empty()) {
    out += "\nOther records by outcome\n";
    for (const auto& [s, c] : t.other_states) row(s, n(c));
  }
  if (!t.finding_kinds.empty()) {
    out += "\nFindings\n";
    for (const auto& [k, c] : t.finding_kinds) row(printable(k), n(c));
  }

  out += "\nCapture diagnostics\n";
  bool any = false;
  for (const auto& [kind, d] : rr.diags) {
    any = true;
    std::string v = n(d.count);
    v += d.error ? "" : " (informational)";
    v += ", first ";
    if (d.first.number) {
      v += "frame ";
      v += n(d.first.number);
    } else {
      v += "at file level";
    }
    if (o.files.size() > 1) {
      v += " of ";
      v += d.first.file < o.files.size() ? o.files[d.first.file] : std::string("?");
    }
    row(capture::to_string(kind), v);
  }
  if (!any) out += "  (none)\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
}

void print_json(const common_options& o, const tally& t, const run_result& rr) {
  json_writer w(true);
  const auto& ps = rr.pipeline;
  const auto& cs = rr.correlator;
  w.begin_object();
  w.key("capture").begin_object();
  w.member("files", ps.files).member("frames", ps.frames).member("bytes", ps.bytes);
  w.member("filtered_out", ps.filtered_out).member("udp_datagrams", ps.udp_datagrams);
  w.member("tcp_segments", ps.tcp_segments).member("ip_fragments", ps.ip_fragments);
  w.member("tunnelled", ps.tunnelled).member("rtp_packets", cs.rtp_packets).member("rtcp_packets", cs.rtcp_packets);
  w.key("link_types").begin_object();
  for (const auto& [lt, count] : ps.per_link_type) w.member(capture::link_type_name(lt), count);
  w.end_object();
  w.end_object();
  w.key("sip").begin_object();
  w.member("messages", cs.sip_messages).member("retransmissions", cs.retransmissions);
  w.member("malformed", cs.sip_malformed).member("unusable", cs.sip_unusable);
  w.member("with_errors", t.with_errors).member("with_warnings", t.with_warnings);
  w.member("in_records", t.messages).member("not_indexed", t.dropped);
  w.end_object();
  w.key("requests").begin_object();
  for (const auto& [m, c] : t.methods) {
    w.key(m).begin_object();
    w.member("count", c.n).member("resent", c.resent);
    w.end_object();
  }
  w.end_object();
  w.key("responses").begin_object();
  for (const auto& [code, c] : t.codes) {
    w.key(std::to_string(code)).begin_object();
    w.member("count", c.n).member("resent", c.resent);
    auto r = t.reasons.find(code);
    w.member("reason", r == t.reasons.end() ? std::string() : r->second);
    w.end_object();
  }
  w.end_object();
  auto times = [&](std::string_view k, const setup_times& s) {
    w.key(k).begin_object();
    w.member("calls", s.n);
    if (s.n) {
      w.key("avg_ms").value_fixed(static_cast<double>(s.sum) / static_cast<double>(s.n), 1);
      w.member("min_ms", s.min).member("max_ms", s.max);
    }
    w.end_object();
  };
  times("setup_time", t.setup);
  times("post_dial_delay", t.pdd);
  w.key("hosts").begin_object();
  for (const auto& [h, c] : t.hosts) {
    w.key(h).begin_object();
    w.member("sent", c.sent).member("received", c.received);
    w.end_object();
  }
  w.end_object();
  w.key("transports").begin_object();
  for (const auto& [tr, c] : t.transports) w.member(tr, c);
  w.end_object();
  w.key("records").begin_object();
  for (const auto& [k, c] : t.kinds) w.member(k, c);
  w.end_object();
  w.key("calls_by_state").begin_object();
  for (const auto& [s, c] : t.call_states) w.member(s, c);
  w.end_object();
  w.key("other_by_outcome").begin_object();
  for (const auto& [s, c] : t.other_states) w.member(s, c);
  w.end_object();
  w.key("findings").begin_object();
  for (const auto& [k, c] : t.finding_kinds) w.member(k, c);
  w.end_object();
  w.key("diagnostics").begin_object();
  for (const auto& [kind, d] : rr.diags) {
    w.key(capture::to_string(kind)).begin_object();
    w.member("count", d.count).member("error", d.error);
    w.member("first_frame", d.first.number);
    w.member("first_file", d.first.file < o.files.size() ? o.files[d.first.file] : std::string());
    w.end_object();
  }
  w.end_object();
  w.end_object();
  std::fwrite(w.str().data(), 1, w.str().size(), stdout);
  std::fputc('\n', stdout);
}

}  // namespace

int cmd_stats(args a) {
  options o;
  if (auto rc = parse_args(a, o)) return *rc;
  tally t;
  run_result rr;
  std::uint64_t fail_matches = 0;
  std::string why;
  const bool ok = run_capture(o.c, [&](cr::record&& r) {
    t.add(r);
    if (!o.c.fail_on.empty() && fails(o.c.fail_on, r, why)) {
      if (++fail_matches <= 10 && !o.c.quiet)
        std::fprintf(stderr, "sipscope stats: --fail-on: record %llu (Call-ID %s): %s\n",
                     static_cast<unsigned long long>(r.index), printable(r.call_id).c_str(), why.c_str());
    }
  }, rr);
  if (!ok && (!rr.io_error || rr.pipeline.files == 0)) return exit_usage;
  if (o.c.format == "json") print_json(o.c, t, rr);
  else print_table(o.c, t, rr);
  std::fflush(stdout);
  print_run_summary(o.c, rr, std::to_string(rr.records_kept) + " records counted of " + std::to_string(rr.records_seen));
  if (rr.io_error) return exit_usage;
  return fail_matches ? exit_findings : exit_ok;
}

}  // namespace sipscope::cli
