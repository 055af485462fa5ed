// sipscope rtp: the RTP streams of captures with their statistics, as the model gives them
// (record::streams, and correlator::orphan_streams() for streams no SIP named). A table that
// fits the terminal, CSV, or JSON with the field names of correlate::write_json's streams.
#include <algorithm>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "commands.hpp"
#include "common.hpp"
#include "sipscope/correlate/json.hpp"
#include "sipscope/json_writer.hpp"

namespace sipscope::cli {
namespace {

constexpr std::string_view rtp_usage_head =
    "usage: sipscope rtp [OPTIONS] FILE...\n"
    "\n"
    "List the RTP streams of packet captures (one per direction, 5-tuple and SSRC) with their\n"
    "statistics: packets, expected and lost (RFC 3550 A.3; 'uniq' does not let duplicates hide\n"
    "loss), duplicates, out of order, largest and mean inter-arrival delta, largest and mean\n"
    "jitter (RFC 3550 A.8, as Wireshark's RTP Streams), the E-model MOS (G.107), what RTCP\n"
    "reported about the stream, RFC 4733 DTMF digits, and the call it belongs to: 'signalled'\n"
    "(an SDP address of the call), 'latched' (symmetric RTP behind NAT), 'heuristic' (no SIP\n"
    "named it: found by its RTP headers alone, shown without a call). Times are UTC.\n"
    "\n"
    "Options:\n"
    "  --call ID|INDEX     only the streams of this call (Call-ID, or the # of 'sipscope\n"
    "                      calls'); comma-separated or repeated\n"
    "  --no-orphans        leave out the streams that belong to no call (they are also left\n"
    "                      out when --call or a record filter is given)\n"
    "  --sort KEY          start (default), call, loss (worst first), jitter (worst first),\n"
    "                      mos (worst first), packets (most first)\n"
    "  --format table      aligned columns fitted to the terminal width (default)\n"
    "  --format csv        RFC 4180 CSV with a header row, every figure\n"
    "  --format json       a JSON array of stream objects: the fields of the streams of\n"
    "                      'sipscope calls --format json', plus call_index and call_id (null\n"
    "                      for a stream of no call)\n"
    "  --format jsonl      the same, one stream per line\n"
    "  -h, --help          this text\n"
    "\n";

constexpr std::string_view rtp_usage_tail =
    "\n"
    "--fail-on loss>X, jitter>MS and mos<X are checked on each listed stream, the other\n"
    "conditions on the call of the stream.\n"
    "\n"
    "Exit status: 0 success, 1 a --fail-on condition matched, 2 usage or I/O error.\n"
    "\n"
    "Examples:\n"
    "  sipscope rtp trace.pcap\n"
    "  sipscope rtp --call 3 trace.pcap\n"
    "  sipscope rtp --sort loss --format csv ring-*.pcap > streams.csv\n"
    "  sipscope rtp --format jsonl -q trace.pcap | jq -r 'select(.lost_percent > 1) | .src'\n"
    "  sipscope rtp --fail-on 'loss>2,mos<3.5' nightly-test.pcap || echo 'bad media'\n";

struct options {
  common_options c;
  std::vector<std::string> calls;
  bool orphans = true;
  std::string sort = "start";
};

std::optional<int> parse_args(args a, options& o) {
  o.c.command = "rtp";
  arg_cursor c(a);
  std::string v, err;
  while (!c.done()) {
    if (c.flag("-h") || c.flag("--help")) {
      std::fwrite(rtp_usage_head.data(), 1, rtp_usage_head.size(), stdout);
      std::fwrite(common_usage.data(), 1, common_usage.size(), stdout);
      std::fwrite(rtp_usage_tail.data(), 1, rtp_usage_tail.size(), stdout);
      return exit_ok;
    }
    if (c.flag("--no-orphans")) { o.orphans = false; continue; }
    if (c.option("--call", v, err)) {
      if (!err.empty()) return usage_error(o.c, err);
      for (std::string& id : split_list(v)) o.calls.push_back(std::move(id));
      continue;
    }
    if (c.option("--sort", v, err)) {
      if (!err.empty()) return usage_error(o.c, err);
      static constexpr std::string_view keys[] = {"start", "call", "loss", "jitter", "mos", "packets"};
      if (std::find(std::begin(keys), std::end(keys), v) == std::end(keys))
        return usage_error(o.c, "unknown sort key '" + v + "' (start, call, loss, jitter, mos, packets)");
      o.sort = v;
      continue;
    }
    switch (parse_common(c, o.c)) {
      case parsed::mine: continue;
      case parsed::error: return exit_usage;
      case parsed::not_mine: break;
    }
    return usage_error(o.c, "unknown option '" + std::string(c.current()) + "'");
  }
  if (o.c.format.empty()) o.c.format = "table";
  if (o.c.format != "table" && o.c.format != "csv" && o.c.format != "json" && o.c.format != "jsonl")
    return usage_error(o.c, "unknown format '" + o.c.format + "' (table, csv, json or jsonl)");
  if (!finish_common(o.c)) return exit_usage;
  return std::nullopt;
}

bool is_index(const std::string& s) {
  return !s.empty() && s.size() < 19 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// One listed stream and the record it belongs to (null: a stream of no call).
struct row {
  const cr::stream_info* s;
  const cr::record* r;
};

std::string fixed(double d, int decimals) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, d);
  return buf;
}

std::string ssrc_text(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08X", v);   // as Wireshark prints it
  return buf;
}

std::string codec_text(const cr::stream_info& s) {
  std::string c = s.codec.empty() ? std::string("PT") : printable(s.codec);
  c += '/';
  c += std::to_string(s.payload_type);
  return c;
}

std::string dtmf_text(const cr::stream_info& s) {
  std::string d;
  for (const cr::dtmf_event& e : s.dtmf) d += e.digit;
  return d;
}

std::string rtcp_text(const cr::stream_info& s) {
  if (!s.rtcp_reports) return "-";
  std::string t = std::to_string(s.rtcp_reports);
  t += s.rtcp_reports == 1 ? " report" : " reports";
  if (s.rtcp_fraction_lost >= 0) {
    t += ", lost ";
    t += fixed(s.rtcp_fraction_lost * 100.0, 1);
    t += '%';
  }
  if (s.rtcp_jitter_ms >= 0) {
    t += ", jitter ";
    t += fixed(s.rtcp_jitter_ms, 1);
  }
  if (s.rtt_ms >= 0) {
    t += ", rtt ";
    t += fixed(s.rtt_ms, 1);
  }
  return t;
}

void sort_rows(std::vector<row>& v, const std::string& key) {
  auto start = [](const row& x) { return x.s->start; };
  auto by = [&](auto proj, bool descending) {
    std::stable_sort(v.begin(), v.end(), [&](const row& a, const row& b) {
      auto pa = proj(a), pb = proj(b);
      if (pa != pb) return descending ? pb < pa : pa < pb;
      return start(a) < start(b);
    });
  };
  if (key == "start") by(start, false);
  else if (key == "call") by([](const row& x) { return x.r ? x.r->index : UINT64_MAX; }, false);
  else if (key == "loss") by([](const row& x) { return x.s->lost_percent(); }, true);
  else if (key == "jitter") by([](const row& x) { return x.s->max_jitter_ms; }, true);
  else if (key == "packets") by([](const row& x) { return x.s->packets; }, true);
  else if (key == "mos") by([](const row& x) { return x.s->mos > 0 ? x.s->mos : 99.0; }, false);
}

void print_table(const std::vector<row>& rows) {
  if (rows.empty()) {
    std::printf("no RTP streams\n");
    return;
  }
  // Columns: header, right-aligned, hide order (1 first when too wide; 0 never), cells.
  struct column { std::string head; bool right; int drop; std::vector<std::string> cells; std::size_t width = 0; bool hidden = false; };
  std::vector<column> cols;
  auto add = [&](std::string h, bool right, int drop) {
    cols.push_back({std::move(h), right, drop, {}, 0, false});
    return cols.size() - 1;
  };
  // Hidden first on a narrow terminal: RTCP, out of order, duplicates, mean jitter, delta,
  // SSRC, start, lost_unique, origin, DTMF (rare, and then what the user looks for).
  const std::size_t c_call = add("call", true, 0), c_start = add("start", false, 7), c_src = add("src", false, 0),
                    c_dst = add("dst", false, 0), c_ssrc = add("SSRC", false, 6), c_codec = add("codec", false, 0),
                    c_pkts = add("pkts", true, 0), c_lost = add("lost", true, 0), c_uniq = add("uniq", true, 8),
                    c_dup = add("dup", true, 3), c_ooo = add("ooo", true, 2), c_maxd = add("maxΔms", true, 5),
                    c_maxj = add("maxJ", true, 0), c_meanj = add("meanJ", true, 4), c_mos = add("MOS", true, 0),
                    c_origin = add("origin", false, 9), c_rtcp = add("RTCP", false, 1), c_dtmf = add("DTMF", false, 10);
  if (!utf8_terminal()) cols[c_maxd].head = "maxDms";
  cr::timestamp_ns lo = rows.front().s->start, hi = lo;
  for (const row& x : rows) { lo = std::min(lo, x.s->start); hi = std::max(hi, x.s->start); }
  const bool one_day = utc_date(lo) == utc_date(hi);
  for (const row& x : rows) {
    const cr::stream_info& s = *x.s;
    cols[c_call].cells.push_back(x.r ? std::to_string(x.r->index) : "-");
    cols[c_start].cells.push_back(utc_time(s.start, !one_day));
    cols[c_src].cells.push_back(s.src.to_string());
    cols[c_dst].cells.push_back(s.dst.to_string());
    cols[c_ssrc].cells.push_back(ssrc_text(s.ssrc));
    cols[c_codec].cells.push_back(codec_text(s));
    cols[c_pkts].cells.push_back(std::to_string(s.packets));
    std::string lost = std::to_string(s.lost);
    lost += " (";
    lost += fixed(s.lost_percent(), 1);
    lost += "%)";
    cols[c_lost].cells.push_back(lost);
    cols[c_uniq].cells.push_back(std::to_string(s.lost_unique));
    cols[c_dup].cells.push_back(std::to_string(s.duplicates));
    cols[c_ooo].cells.push_back(std::to_string(s.out_of_order));
    cols[c_maxd].cells.push_back(fixed(s.max_delta_ms, 1));
    cols[c_maxj].cells.push_back(fixed(s.max_jitter_ms, 3));
    cols[c_meanj].cells.push_back(fixed(s.mean_jitter_ms, 3));
    cols[c_mos].cells.push_back(s.mos > 0 ? fixed(s.mos, 2) : "-");
    cols[c_origin].cells.push_back(printable(s.origin));
    cols[c_rtcp].cells.push_back(rtcp_text(s));
    std::string d = dtmf_text(s);
    cols[c_dtmf].cells.push_back(d.empty() ? "-" : printable(d));
  }
  // Columns that say nothing (all 0 or '-') are not shown: duplicates, RTCP and DTMF are
  // absent from most captures. lost_unique only when it differs from lost somewhere.
  for (std::size_t i : {c_dup, c_ooo, c_rtcp, c_dtmf, c_mos})
    if (std::all_of(cols[i].cells.begin(), cols[i].cells.end(), [](const std::string& c) { return c == "0" || c == "-"; }))
      cols[i].hidden = true;
  bool uniq_differs = false;
  for (const row& x : rows) uniq_differs |= x.s->lost_unique != x.s->lost;
  if (!uniq_differs) cols[c_uniq].hidden = true;
  for (column& c : cols) {
    c.width = text_width(c.head);
    for (const std::string& s : c.cells) c.width = std::max(c.width, text_width(s));
  }
  const int term = terminal_columns(stdout, 0);
  if (term > 0) {
    auto total = [&] {
      std::size_t t = 0;
      for (const column& c : cols)
        if (!c.hidden) t += c.width + 2;
      return t - 2;
    };
    for (int level = 1; level <= 10 && total() > static_cast<std::size_t>(term); ++level)
      for (column& c : cols)
        if (c.drop == level) c.hidden = true;
  }
  std::printf("%zu RTP stream%s, %s (times UTC; delta and jitter in ms)\n", rows.size(), rows.size() == 1 ? "" : "s",
              one_day ? utc_date(lo).c_str() : (utc_date(lo) + " to " + utc_date(hi)).c_str());
  auto line = [&](auto cell) {
    std::string out;
    bool first = true;
    for (std::size_t i = 0; i < cols.size(); ++i) {
      const column& c = cols[i];
      if (c.hidden) continue;
      if (!first) out += "  ";
      first = false;
      out += pad(cell(i), c.width, c.right);
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    std::printf("%s\n", out.c_str());
  };
  line([&](std::size_t i) { return cols[i].head; });
  for (std::size_t r = 0; r < rows.size(); ++r) line([&](std::size_t i) { return cols[i].cells[r]; });
}

std::string opt_fixed(double v, int decimals) { return v < 0 ? std::string() : fixed(v, decimals); }

void print_csv(const std::vector<row>& rows) {
  std::string out =
      "call_index,call_id,src,dst,ssrc,payload_type,codec,clock_rate,from,negotiated,origin,start,end,packets,"
      "expected,lost,lost_percent,lost_unique,duplicates,out_of_order,sequence_errors,max_delta_ms,mean_delta_ms,"
      "max_jitter_ms,mean_jitter_ms,mos,r_factor,rtcp_reports,rtcp_fraction_lost,rtcp_jitter_ms,rtt_ms,first_frame,"
      "dtmf\r\n";
  for (const row& x : rows) {
    const cr::stream_info& s = *x.s;
    const std::string fields[] = {
        x.r ? std::to_string(x.r->index) : std::string(),
        x.r ? x.r->call_id : std::string(),
        s.src.to_string(),
        s.dst.to_string(),
        ssrc_text(s.ssrc),
        std::to_string(s.payload_type),
        s.codec,
        std::to_string(s.clock_rate),
        std::string(cr::to_string(s.from)),
        s.negotiated ? "true" : "false",
        s.origin,
        cr::iso8601(s.start),
        cr::iso8601(s.end),
        std::to_string(s.packets),
        std::to_string(s.expected),
        std::to_string(s.lost),
        fixed(s.lost_percent(), 3),
        std::to_string(s.lost_unique),
        std::to_string(s.duplicates),
        std::to_string(s.out_of_order),
        std::to_string(s.sequence_errors),
        fixed(s.max_delta_ms, 3),
        fixed(s.mean_delta_ms, 3),
        fixed(s.max_jitter_ms, 3),
        fixed(s.mean_jitter_ms, 3),
        s.mos > 0 ? fixed(s.mos, 2) : std::string(),
        s.mos > 0 ? fixed(s.r_factor, 1) : std::string(),   // R 0: the worst streams
        std::to_string(s.rtcp_reports),
        opt_fixed(s.rtcp_fraction_lost, 4),
        opt_fixed(s.rtcp_jitter_ms, 3),
        opt_fixed(s.rtt_ms, 3),
        std::to_string(s.first_frame.number),
        dtmf_text(s),
    };
    for (std::size_t i = 0; i < std::size(fields); ++i) {
      if (i) out += ',';
      out += csv_field(fields[i]);
    }
    out += "\r\n";
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
}

// The stream object of correlate::write_json, with the call it belongs to first.
void write_stream(json_writer& w, const row& x) {
  w.begin_object();
  w.key("call_index");
  if (x.r) w.value(x.r->index);
  else w.null();
  w.key("call_id");
  if (x.r) w.value(x.r->call_id);
  else w.null();
  cr::write_stream_members(w, *x.s);
  w.end_object();
}

}  // namespace

int cmd_rtp(args a) {
  options o;
  if (auto rc = parse_args(a, o)) return *rc;

  std::set<std::uint64_t> want_index;
  std::set<std::string> want_id;
  for (const std::string& c : o.calls) (is_index(c) ? (void)want_index.insert(std::stoull(c)) : (void)want_id.insert(c));
  std::vector<cr::record> recs;
  std::vector<cr::stream_info> orphans;
  const filters& f = o.c.f;
  const bool filtered = !o.calls.empty() || !f.call_ids.empty() || !f.from.empty() || !f.to.empty() ||
                        !f.user.empty() || !f.states.empty() || !f.statuses.empty() || f.since || f.until ||
                        !f.hosts.empty() || f.match || !f.kinds.empty();
  run_extras x;
  if (o.orphans && !filtered) x.finished = [&](const cr::correlator& c) { orphans = c.orphan_streams(); };
  run_result rr;
  const bool ok = run_capture(o.c, [&](cr::record&& r) {
    if (r.streams.empty()) return;
    if (o.calls.empty() || want_index.count(r.index) || want_id.count(r.call_id)) recs.push_back(std::move(r));
  }, rr, x);
  if (!ok || rr.io_error) return exit_usage;
  for (const std::string& c : o.calls) {
    bool found = std::any_of(recs.begin(), recs.end(), [&](const cr::record& r) {
      return is_index(c) ? r.index == std::stoull(c) : r.call_id == c;
    });
    if (!found)
      std::fprintf(stderr, "sipscope rtp: warning: --call %s matches no record with RTP streams (list the calls with 'sipscope calls FILE...')\n",
                   c.c_str());
  }

  std::vector<row> rows;
  for (const cr::record& r : recs)
    for (const cr::stream_info& s : r.streams) rows.push_back({&s, &r});
  for (const cr::stream_info& s : orphans) rows.push_back({&s, nullptr});
  sort_rows(rows, o.sort);

  if (o.c.format == "table") print_table(rows);
  else if (o.c.format == "csv") print_csv(rows);
  else print_json_items(rows.size(), o.c.format == "jsonl", [&](json_writer& w, std::size_t i) { write_stream(w, rows[i]); });
  std::fflush(stdout);

  std::string what = std::to_string(rows.size());
  what += rows.size() == 1 ? " stream listed (" : " streams listed (";
  what += std::to_string(orphans.size());
  what += " of no call)";
  print_run_summary(o.c, rr, what);

  // --fail-on per stream: each listed stream is judged with its call around it.
  if (o.c.fail_on.empty()) return exit_ok;
  std::size_t n = 0;
  std::string why;
  for (const row& x2 : rows) {
    cr::record one;
    if (x2.r) {
      one.kind = x2.r->kind;
      one.state = x2.r->state;
      one.outcome = x2.r->outcome;
      one.final_status = x2.r->final_status;
      one.times = x2.r->times;
    } else {
      one.kind = cr::record_kind::other;
    }
    one.streams.push_back(*x2.s);
    if (!fails(o.c.fail_on, one, why)) continue;
    if (++n <= 10 && !o.c.quiet)
      std::fprintf(stderr, "sipscope rtp: --fail-on: stream %s -> %s SSRC %s (%s): %s\n", x2.s->src.to_string().c_str(),
                   x2.s->dst.to_string().c_str(), ssrc_text(x2.s->ssrc).c_str(),
                   x2.r ? ("call " + std::to_string(x2.r->index)).c_str() : "no call", why.c_str());
  }
  if (n > 10 && !o.c.quiet) std::fprintf(stderr, "sipscope rtp: --fail-on: ... %zu streams in all\n", n);
  return n ? exit_findings : exit_ok;
}

}  // namespace sipscope::cli
