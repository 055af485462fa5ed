// sipscope calls: the call list of captures, from the correlator's records (model.hpp). A table
// that fits the terminal, CSV for spreadsheets, or the model's own JSON (json.hpp) for scripts.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "commands.hpp"
#include "common.hpp"
#include "sipscope/correlate/json.hpp"
#include "sipscope/explain/explain.hpp"
#include "sipscope/json_writer.hpp"

namespace sipscope::cli {
namespace {

constexpr std::string_view calls_usage_head =
    "usage: sipscope calls [OPTIONS] FILE...\n"
    "\n"
    "List the calls of packet captures: when each started, who called whom, how it ended (state\n"
    "and final status), post-dial delay, talk time, SIP messages, RTP quality when streams are\n"
    "known, the correlator's findings and the verdict of 'sipscope explain' (the rule that\n"
    "says why the call failed, or what happened). With --all, registrations, OPTIONS, MESSAGE,\n"
    "SUBSCRIBE/NOTIFY and other records too. The index (#) is what 'sipscope ladder --call'\n"
    "takes. Times are UTC; the table header gives the date.\n"
    "\n"
    "Output:\n"
    "  --format table      aligned columns fitted to the terminal width (default; long URIs\n"
    "                      are shortened: scheme and parameters first, then cut with '~' or '…')\n"
    "  --format csv        RFC 4180 CSV with a header row, full values, ISO 8601 UTC times\n"
    "  --format json       a JSON array of the call model's records (without the message\n"
    "                      index unless --messages); fields as in correlate/json.hpp\n"
    "  --format jsonl      the same, one record per line (for jq -c, log pipelines)\n"
    "  --messages          json/jsonl: include each record's messages (the ladder's rows)\n"
    "  --all               every kind of record, not only calls\n"
    "  --kind KINDS        these kinds: call, registration, options, message, subscription,\n"
    "                      refer, other (comma-separated)\n"
    "  --sort KEY          start (default, earliest first), duration (longest talk first),\n"
    "                      pdd (longest first), status (highest first), state (by name),\n"
    "                      mos (worst first), index (creation order)\n"
    "  --reverse           reverse the sort order\n"
    "  --color WHEN        table rows coloured by state: auto (when stdout is a terminal and\n"
    "                      NO_COLOR is unset), always, never\n"
    "  -h, --help          this text\n"
    "\n";

constexpr std::string_view calls_usage_tail =
    "\n"
    "Exit status: 0 success, 1 a --fail-on condition matched, 2 usage or I/O error (a file\n"
    "that cannot be read or is not a capture).\n"
    "\n"
    "Examples:\n"
    "  sipscope calls trace.pcap\n"
    "  sipscope calls --all --sort duration ring-*.pcap.gz\n"
    "  sipscope calls --status 4xx,5xx --since 10:00:00 --until 10:15:00 trace.pcapng\n"
    "  sipscope calls --user 4155550100 --format csv trace.pcap > calls.csv\n"
    "  sipscope calls --format jsonl -q trace.pcap | jq -r 'select(.state == \"failed\") | .call_id'\n"
    "  sipscope calls -f 'host 192.0.2.10' --host 192.0.2.10:5060 trace.pcap\n"
    "  sipscope calls --fail-on failed,loss>5 nightly-test.pcap || echo 'calls failed'\n";

struct options {
  common_options c;
  std::string sort = "start";
  bool reverse = false;
  bool messages = false;
};

std::optional<int> parse_args(args a, options& o) {
  o.c.command = "calls";
  o.c.default_kinds = {cr::record_kind::call};
  arg_cursor c(a);
  std::string v, err;
  while (!c.done()) {
    if (c.flag("-h") || c.flag("--help")) {
      std::fwrite(calls_usage_head.data(), 1, calls_usage_head.size(), stdout);
      std::fwrite(common_usage.data(), 1, common_usage.size(), stdout);
      std::fwrite(calls_usage_tail.data(), 1, calls_usage_tail.size(), stdout);
      return exit_ok;
    }
    if (c.flag("--reverse")) { o.reverse = true; continue; }
    if (c.flag("--messages")) { o.messages = true; continue; }
    if (c.option("--sort", v, err)) {
      if (!err.empty()) return usage_error(o.c, err);
      static constexpr std::string_view keys[] = {"start", "duration", "pdd", "status", "state", "mos", "index"};
      if (std::find(std::begin(keys), std::end(keys), v) == std::end(keys))
        return usage_error(o.c, "unknown sort key '" + v + "' (start, duration, pdd, status, state, mos, index)");
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

void sort_records(std::vector<cr::record>& v, const std::string& key, bool reverse) {
  auto by = [&](auto proj, bool descending) {
    std::stable_sort(v.begin(), v.end(), [&](const cr::record& a, const cr::record& b) {
      auto pa = proj(a), pb = proj(b);
      if (pa != pb) return descending ? pb < pa : pa < pb;
      return a.index < b.index;
    });
  };
  if (key == "start") by([](const cr::record& r) { return r.first_time; }, false);
  else if (key == "index") by([](const cr::record& r) { return r.index; }, false);
  else if (key == "duration") by([](const cr::record& r) { return r.talk_ms(); }, true);
  else if (key == "pdd") by([](const cr::record& r) { return r.post_dial_delay_ms(); }, true);
  else if (key == "status") by([](const cr::record& r) { return r.final_status; }, true);
  else if (key == "state") by([](const cr::record& r) { return std::string(state_text(r)); }, false);
  else if (key == "mos") {
    // Worst first; records without a MOS last.
    by([](const cr::record& r) { double m = worst_streams(r).mos; return m > 0 ? m : 99.0; }, false);
  }
  if (reverse) std::reverse(v.begin(), v.end());
}

std::string status_text(const cr::record& r) {
  if (!r.final_status) return "-";
  std::string s = std::to_string(r.final_status);
  if (!r.final_reason.empty()) {
    s += ' ';
    s += printable(r.final_reason);
  }
  return s;
}

// The table drops "sip:" (every URI has it); sips: and tel: stay, they say something.
std::string party_text(const cr::party& p) {
  if (p.uri.empty()) return "-";
  std::string s = printable(p.uri);
  if (s.starts_with("sip:")) s.erase(0, 4);
  return s;
}

std::string findings_text(const cr::record& r) {
  if (r.findings.empty()) return "-";
  std::string s = std::to_string(r.findings.size());
  s += ' ';
  for (std::size_t i = 0; i < r.findings.size(); ++i) {
    if (i) s += ',';
    s += printable(r.findings[i].kind);
  }
  return s;
}

std::string fixed(double d, int decimals) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, d);
  return buf;
}

// Short names for the table (the JSON and CSV use the model's own).
std::string_view kind_text(cr::record_kind k) {
  switch (k) {
    case cr::record_kind::registration: return "register";
    case cr::record_kind::subscription: return "subscribe";
    default: return cr::to_string(k);
  }
}

bool is_call_kind(const cr::record& r) { return r.kind == cr::record_kind::call; }

void print_table(const std::vector<cr::record>& recs, const std::vector<explain::verdict>& verdicts, bool color,
                 std::uint64_t seen, bool filtered) {
  if (recs.empty()) {
    if (seen && !filtered)
      std::printf("no records match (the capture has %llu record%s: --all lists every kind)\n",
                  static_cast<unsigned long long>(seen), seen == 1 ? "" : "s");
    else
      std::printf("no records match\n");
    return;
  }
  const bool any_streams = std::any_of(recs.begin(), recs.end(), [](const cr::record& r) { return !r.streams.empty(); });
  const bool any_other = std::any_of(recs.begin(), recs.end(), [](const cr::record& r) { return !is_call_kind(r); });
  cr::timestamp_ns lo = recs.front().first_time, hi = lo;
  for (const cr::record& r : recs) { lo = std::min(lo, r.first_time); hi = std::max(hi, r.first_time); }
  const bool one_day = utc_date(lo) == utc_date(hi);

  // Columns: header, right-aligned, flexible (shrinks to fit), minimum width.
  // Flexible columns shrink by priority when the terminal is too narrow: the status's reason
  // phrase goes first, then the findings' names, then caller and callee share what is left.
  // When that is not enough, whole columns are hidden (`drop` order: 1 first; 0 never).
  struct column { std::string head; bool right; int flex; std::size_t min; std::vector<std::string> cells; std::size_t width = 0; int drop = 0; bool hidden = false; };
  std::vector<column> cols;
  auto add = [&](std::string h, bool right, int flex = 0, std::size_t min = 0) {
    cols.push_back({std::move(h), right, flex, min, {}, 0, 0, false});
    return cols.size() - 1;
  };
  const std::size_t c_idx = add("#", true);
  const std::size_t c_kind = any_other ? add("kind", false) : SIZE_MAX;
  const std::size_t c_start = add("start", false);
  const std::size_t c_from = add("caller", false, 3, 16);
  const std::size_t c_to = add("callee", false, 3, 16);
  const std::size_t c_state = add("state", false);
  const std::size_t c_status = add("status", false, 1, 6);
  const std::size_t c_pdd = add("PDD", true);
  const std::size_t c_dur = add("duration", true);
  const std::size_t c_msgs = add("msgs", true);
  std::size_t c_loss = SIZE_MAX, c_jit = SIZE_MAX, c_mos = SIZE_MAX;
  if (any_streams) {
    c_loss = add("loss%", true);
    c_jit = add("jitter", true);
    c_mos = add("MOS", true);
  }
  const std::size_t c_verdict = add("verdict", false);   // rule ids: never cut, never dropped
  const std::size_t c_find = add("findings", false, 2, 8);

  std::size_t calls = 0;
  for (const cr::record& r : recs) {
    calls += is_call_kind(r);
    cols[c_idx].cells.push_back(std::to_string(r.index));
    if (c_kind != SIZE_MAX) cols[c_kind].cells.emplace_back(kind_text(r.kind));
    cols[c_start].cells.push_back(utc_time(r.first_time, !one_day));
    cols[c_from].cells.push_back(party_text(r.caller));
    cols[c_to].cells.push_back(party_text(r.callee));
    cols[c_state].cells.emplace_back(state_text(r));
    cols[c_status].cells.push_back(status_text(r));
    cols[c_pdd].cells.push_back(is_call_kind(r) ? ms_text(r.post_dial_delay_ms()) : "-");
    cols[c_dur].cells.push_back(is_call_kind(r) ? ms_text(r.talk_ms()) : "-");
    std::string msgs = std::to_string(r.sip_messages);
    cols[c_msgs].cells.push_back(msgs);
    if (any_streams) {
      stream_worst w = worst_streams(r);
      cols[c_loss].cells.push_back(w.any ? fixed(w.loss_percent, 1) : "-");
      cols[c_jit].cells.push_back(w.any ? fixed(w.jitter_ms, 1) : "-");
      cols[c_mos].cells.push_back(w.mos > 0 ? fixed(w.mos, 2) : "-");
    }
    cols[c_verdict].cells.emplace_back(verdicts[static_cast<std::size_t>(&r - recs.data())].rule);
    cols[c_find].cells.push_back(findings_text(r));
  }
  for (column& c : cols) {
    c.width = text_width(c.head);
    for (const std::string& s : c.cells) c.width = std::max(c.width, text_width(s));
  }
  const int term = terminal_columns(stdout, 0);
  if (c_jit != SIZE_MAX) { cols[c_jit].drop = 2; cols[c_loss].drop = 4; cols[c_mos].drop = 7; }
  cols[c_msgs].drop = 3;
  cols[c_find].drop = 4;
  cols[c_pdd].drop = 5;
  if (c_kind != SIZE_MAX) cols[c_kind].drop = 6;
  // Columns that say nothing (every cell '-') go first.
  for (std::size_t i = 0; i < cols.size(); ++i)
    if (i != c_idx && i != c_start && i != c_from && i != c_to && i != c_state &&
        std::all_of(cols[i].cells.begin(), cols[i].cells.end(), [](const std::string& x) { return x == "-"; }))
      cols[i].drop = 1;
  if (term > 0) {
    auto total = [&] {
      std::size_t t = 0;
      for (const column& c : cols)
        if (!c.hidden) t += c.width + 2;
      return t - 2;
    };
    for (int dropped = 0;; ++dropped) {
      for (int level = 1; level <= 3; ++level) {
        while (total() > static_cast<std::size_t>(term)) {
          column* widest = nullptr;
          for (column& c : cols)
            if (!c.hidden && c.flex == level && c.width > std::max(c.min, text_width(c.head)) &&
                (!widest || c.width > widest->width))
              widest = &c;
          if (!widest) break;
          --widest->width;
        }
      }
      if (total() <= static_cast<std::size_t>(term)) break;
      if (dropped >= 7) break;
      bool any = false;
      for (column& c : cols)
        if (c.drop == dropped + 1) c.hidden = any = true;
      if (!any) continue;
      for (column& c : cols) {   // widths start again from the natural ones
        c.width = text_width(c.head);
        for (const std::string& x : c.cells) c.width = std::max(c.width, text_width(x));
      }
    }
    // Still too wide (a very narrow terminal): flexible columns go below their minimum.
    while (total() > static_cast<std::size_t>(term)) {
      column* widest = nullptr;
      for (column& c : cols)
        if (!c.hidden && c.flex && c.width > 6 && (!widest || c.width > widest->width)) widest = &c;
      if (!widest) break;
      --widest->width;
    }
  }

  // Header line: what and when.
  std::string head = std::to_string(calls);
  head += calls == 1 ? " call" : " calls";
  if (recs.size() > calls) {
    head += ", ";
    head += std::to_string(recs.size() - calls);
    head += recs.size() - calls == 1 ? " other record" : " other records";
  }
  head += ", ";
  head += utc_date(lo);
  if (!one_day) {
    head += " to ";
    head += utc_date(hi);
  }
  head += " (times UTC)";
  std::printf("%s\n", head.c_str());

  auto line = [&](auto cell, const char* on, const char* off) {
    std::string out;
    std::size_t last = cols.size() - 1;
    while (last > 0 && cols[last].hidden) --last;
    for (std::size_t i = 0; i < cols.size(); ++i) {
      const column& c = cols[i];
      if (c.hidden) continue;
      std::string text = cell(i);
      if (text_width(text) > c.width) {
        if (i == c_from || i == c_to) text = short_uri(text, c.width);
        else if (i == c_status) text = truncate(text.substr(0, text.find(' ')), c.width);
        else text = truncate(text, c.width);
      }
      if (i) out += "  ";
      out += pad(text, i == last && !c.right ? 0 : c.width, c.right);
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    std::printf("%s%s%s\n", on, out.c_str(), off);
  };
  const char* bold = color ? "\033[1m" : "";
  const char* reset = color ? "\033[0m" : "";
  line([&](std::size_t i) { return cols[i].head; }, bold, reset);
  for (std::size_t row = 0; row < recs.size(); ++row) {
    const cr::record& r = recs[row];
    const char* on = "";
    if (color && is_call_kind(r)) {
      switch (r.state) {
        case cr::call_state::completed:
        case cr::call_state::in_call: on = "\033[32m"; break;
        case cr::call_state::failed:
        case cr::call_state::rejected:
        case cr::call_state::busy:
        case cr::call_state::no_answer: on = "\033[31m"; break;
        case cr::call_state::cancelled:
        case cr::call_state::redirected: on = "\033[33m"; break;
        default: break;
      }
    }
    line([&](std::size_t i) { return cols[i].cells[row]; }, on, *on ? reset : "");
  }
}

void print_csv(const std::vector<cr::record>& recs, const std::vector<explain::verdict>& verdicts) {
  std::string out =
      "index,kind,call_id,start,caller,callee,state,final_status,final_reason,post_dial_delay_ms,setup_ms,"
      "duration_ms,sip_messages,retransmissions,streams,worst_loss_percent,worst_jitter_ms,min_mos,findings,"
      "finding_kinds,verdict,verdict_text\r\n";
  for (const cr::record& r : recs) {
    const stream_worst w = worst_streams(r);
    const bool call = is_call_kind(r);
    std::string kinds;
    for (const cr::finding& f : r.findings) {
      if (!kinds.empty()) kinds += ';';
      kinds += f.kind;
    }
    const std::string fields[] = {
        std::to_string(r.index),
        std::string(cr::to_string(r.kind)),
        r.call_id,
        cr::iso8601(r.first_time),
        r.caller.uri,
        r.callee.uri,
        std::string(state_text(r)),
        r.final_status ? std::to_string(r.final_status) : std::string(),
        r.final_reason,
        call && r.post_dial_delay_ms() >= 0 ? std::to_string(r.post_dial_delay_ms()) : std::string(),
        call && r.setup_ms() >= 0 ? std::to_string(r.setup_ms()) : std::string(),
        call && r.talk_ms() >= 0 ? std::to_string(r.talk_ms()) : std::string(),
        std::to_string(r.sip_messages),
        std::to_string(r.retransmissions),
        std::to_string(r.streams.size()),
        w.any ? fixed(w.loss_percent, 3) : std::string(),
        w.any ? fixed(w.jitter_ms, 3) : std::string(),
        w.mos > 0 ? fixed(w.mos, 2) : std::string(),
        std::to_string(r.findings.size()),
        kinds,
        std::string(verdicts[static_cast<std::size_t>(&r - recs.data())].rule),
        verdicts[static_cast<std::size_t>(&r - recs.data())].text,
    };
    for (std::size_t i = 0; i < std::size(fields); ++i) {
      if (i) out += ',';
      out += csv_field(fields[i]);
    }
    out += "\r\n";
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
}

}  // namespace

int cmd_calls(args a) {
  options o;
  if (auto rc = parse_args(a, o)) return *rc;

  std::vector<cr::record> recs;
  run_result rr;
  explain::context ctx;
  run_extras x;
  x.diag = [&ctx](const capture::diag_event& e) { explain::add_loss(ctx, e); };
  const bool ok = run_capture(o.c, [&](cr::record&& r) { recs.push_back(std::move(r)); }, rr, x);
  if (!ok && !rr.io_error) return exit_usage;
  if (!ok && recs.empty()) return exit_usage;
  sort_records(recs, o.sort, o.reverse);
  ctx.capture_end = rr.correlator.last_time;
  ctx.rtp_packets = rr.correlator.rtp_packets;
  std::vector<explain::verdict> verdicts;
  verdicts.reserve(recs.size());
  for (const cr::record& r : recs) {
    explain::verdict v = explain::explain(r, ctx);
    v.chain = {};   // the list shows the verdict, not its evidence: keep memory per record small
    v.next = {};
    verdicts.push_back(std::move(v));
  }

  if (o.c.format == "table") {
    {
    const filters& f = o.c.f;
    const bool filtered = !f.call_ids.empty() || !f.from.empty() || !f.to.empty() || !f.user.empty() ||
                          !f.states.empty() || !f.statuses.empty() || f.since || f.until || !f.hosts.empty() ||
                          f.match || f.all_kinds || !f.kinds.empty();
    print_table(recs, verdicts, use_color(o.c.color, stdout), rr.records_seen, filtered);
  }
  } else if (o.c.format == "csv") {
    print_csv(recs, verdicts);
  } else {
    cr::json_options jo;
    jo.messages = o.messages;
    jo.extra = [&](json_writer& w, const cr::record& r) {
      w.key("verdict");
      explain::write_json(w, verdicts[static_cast<std::size_t>(&r - recs.data())], false);
    };
    print_json_items(recs.size(), o.c.format == "jsonl",
                     [&](json_writer& w, std::size_t i) { cr::write_json(w, recs[i], jo); });
  }
  std::fflush(stdout);

  std::size_t calls = static_cast<std::size_t>(std::count_if(recs.begin(), recs.end(), is_call_kind));
  std::string what = std::to_string(calls);
  what += calls == 1 ? " call" : " calls";
  if (recs.size() > calls) {
    what += " and ";
    what += std::to_string(recs.size() - calls);
    what += recs.size() - calls == 1 ? " other record" : " other records";
  }
  what += " listed of ";
  what += std::to_string(rr.records_seen);
  what += rr.records_seen == 1 ? " record" : " records";
  print_run_summary(o.c, rr, what);

  if (rr.io_error) return exit_usage;
  std::vector<const cr::record*> ptrs;
  for (const cr::record& r : recs) ptrs.push_back(&r);
  return apply_fail_on(o.c, ptrs);
}

}  // namespace sipscope::cli
