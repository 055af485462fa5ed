// sipscope explain: why each call failed, with the evidence (issue 10). The verdicts come from
// the rules of correlate/explain; this file only chooses the records and prints them.
#include <algorithm>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "commands.hpp"
#include "common.hpp"
#include "sipscope/correlate/json.hpp"
#include "sipscope/explain/explain.hpp"
#include "sipscope/json_writer.hpp"

namespace sipscope::cli {
namespace {

namespace ex = sipscope::explain;

constexpr std::string_view explain_usage_head =
    "usage: sipscope explain [OPTIONS] [--call ID|INDEX...] FILE...\n"
    "\n"
    "Say why each call failed (or that it did not), with the evidence: one sentence, the rule\n"
    "that fired and its RFC basis, the chain of evidence (each step seen or expected and not\n"
    "seen, with frame number, time, message, header field or SDP line), a confidence (high: a\n"
    "message states the cause; medium: timing or absence shows it; low: a guess) and what to\n"
    "check next. Blind spots of the capture itself (one direction missing, capture started late\n"
    "or ended early, no RTP captured) are reported as such, not blamed on the network. The rules\n"
    "are listed with --rules and documented in docs/verdicts.md.\n"
    "\n"
    "Output:\n"
    "  --call ID|INDEX     the record with this Call-ID, or this index (the # of 'sipscope\n"
    "                      calls'); comma-separated or repeated (default: every call)\n"
    "  --problems          only the records whose verdict is not 'ok' (a failure, or a blind\n"
    "                      spot of the capture)\n"
    "  --format text       a paragraph per call (default)\n"
    "  --format json       a JSON array: per record its index, call_id, state, final_status and\n"
    "                      the verdict (rule, rfc, category, verdict, confidence, evidence[],\n"
    "                      next, also[])\n"
    "  --format jsonl      the same, one record per line\n"
    "  --format html       one self-contained page (to attach to a ticket)\n"
    "  --all               every kind of record (registrations, OPTIONS...), not only calls\n"
    "  --kind KINDS        these kinds (as 'sipscope calls --kind')\n"
    "  --rules             list the rules (id, category, RFC, what they check) and exit\n"
    "  --color WHEN        auto, always, never\n"
    "  -h, --help          this text\n"
    "\n";

constexpr std::string_view explain_usage_tail =
    "\n"
    "Exit status: 0 success, 1 a --fail-on condition matched, 2 usage or I/O error (a file\n"
    "that cannot be read or is not a capture, or --call matches no record).\n"
    "\n"
    "Examples:\n"
    "  sipscope explain trace.pcap\n"
    "  sipscope explain --call 3 trace.pcap\n"
    "  sipscope explain --problems --status 4xx,5xx ring-*.pcap.gz\n"
    "  sipscope explain --call a84b4c76e66710@pc33.example.com --format html trace.pcap > why.html\n"
    "  sipscope explain --format jsonl -q trace.pcap | jq -r 'select(.verdict.category != \"ok\") | .verdict.verdict'\n"
    "  sipscope explain --rules\n";

struct options {
  common_options c;
  std::vector<std::string> calls;
  bool problems = false;
};

bool is_index(const std::string& s) {
  return !s.empty() && s.size() < 19 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

void print_rules() {
  std::string out;
  for (const ex::rule& r : ex::rules()) {
    out += r.id;
    out += "  [";
    out += ex::to_string(r.cat);
    out += "]  ";
    out += r.rfc;
    out += "\n    ";
    out += r.doc;
    out += "\n";
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
}

std::optional<int> parse_args(args a, options& o) {
  o.c.command = "explain";
  o.c.default_kinds = {cr::record_kind::call};
  arg_cursor c(a);
  std::string v, err;
  while (!c.done()) {
    if (c.flag("-h") || c.flag("--help")) {
      std::fwrite(explain_usage_head.data(), 1, explain_usage_head.size(), stdout);
      std::fwrite(common_usage.data(), 1, common_usage.size(), stdout);
      std::fwrite(explain_usage_tail.data(), 1, explain_usage_tail.size(), stdout);
      return exit_ok;
    }
    if (c.flag("--rules")) {
      print_rules();
      return exit_ok;
    }
    if (c.flag("--problems")) { o.problems = true; continue; }
    if (c.option("--call", v, err)) {
      if (!err.empty()) return usage_error(o.c, err);
      for (std::string& id : split_list(v)) o.calls.push_back(std::move(id));
      continue;
    }
    switch (parse_common(c, o.c)) {
      case parsed::mine: continue;
      case parsed::error: return exit_usage;
      case parsed::not_mine: break;
    }
    return usage_error(o.c, "unknown option '" + std::string(c.current()) + "'");
  }
  if (o.c.format.empty()) o.c.format = "text";
  if (o.c.format != "text" && o.c.format != "json" && o.c.format != "jsonl" && o.c.format != "html")
    return usage_error(o.c, "unknown format '" + o.c.format + "' (text, json, jsonl or html)");
  if (!finish_common(o.c)) return exit_usage;
  return std::nullopt;
}

struct item {
  const cr::record* rec;
  ex::verdict v;
};

std::string frame_text(const ex::evidence& e, bool files) {
  if (!e.frame.number) return "-";
  std::string s;
  if (files) {
    s += std::to_string(e.frame.file + 1);
    s += ':';
  }
  s += std::to_string(e.frame.number);
  return s;
}

std::string head_line(const cr::record& r) {
  std::string s = "#";
  s += std::to_string(r.index);
  s += "  ";
  s += state_text(r);
  if (r.final_status) {
    s += ' ';
    s += std::to_string(r.final_status);
  }
  s += "  ";
  s += printable(r.caller.uri.empty() ? "-" : r.caller.uri);
  s += " -> ";
  s += printable(r.callee.uri.empty() ? "-" : r.callee.uri);
  s += "  ";
  s += utc_time(r.first_time, true);
  return s;
}

void print_text(const std::vector<item>& items, bool color, bool files) {
  const char* bold = color ? "\033[1m" : "";
  const char* dim = color ? "\033[2m" : "";
  const char* reset = color ? "\033[0m" : "";
  std::string out;
  for (const item& it : items) {
    const ex::verdict& v = it.v;
    const char* tint = "";
    if (color) tint = v.cat == ex::category::ok ? "\033[32m" : v.cat == ex::category::capture ? "\033[33m" : "\033[31m";
    out += bold;
    out += head_line(*it.rec);
    out += reset;
    out += "\n  ";
    out += tint;
    out += v.rule;
    out += reset;
    out += " (";
    out += ex::to_string(v.cat);
    out += ", ";
    out += ex::to_string(v.conf);
    out += " confidence): ";
    out += printable(v.text);
    out += "\n  evidence:\n";
    std::size_t fw = 5;
    for (const ex::evidence& e : v.chain) fw = std::max(fw, frame_text(e, files).size());
    for (const ex::evidence& e : v.chain) {
      out += "    ";
      out += e.seen ? "seen     " : "NOT SEEN ";
      out += pad(frame_text(e, files), fw, true);
      out += "  ";
      out += e.time ? utc_time(e.time) : std::string(12, ' ');
      out += "  ";
      out += printable(e.what);
      out += '\n';
      if (!e.detail.empty()) {
        out += dim;
        out += "    ";
        out += std::string(9 + fw + 2 + 12 + 2, ' ');
        out += printable(e.detail);
        out += reset;
        out += '\n';
      }
    }
    out += "  next: ";
    out += printable(v.next);
    out += "\n  rule: ";
    out += v.rule;
    out += " (";
    out += v.rfc;
    out += ")";
    if (!v.also.empty()) {
      out += "; also: ";
      for (std::size_t i = 0; i < v.also.size(); ++i) {
        if (i) out += ", ";
        out += v.also[i];
      }
    }
    out += "\n\n";
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
}

void write_item(json_writer& w, const item& it) {
  const cr::record& r = *it.rec;
  w.begin_object();
  w.member("index", r.index).member("kind", cr::to_string(r.kind)).member("call_id", r.call_id);
  w.member("caller", r.caller.uri).member("callee", r.callee.uri);
  w.member("state", state_text(r)).member("final_status", r.final_status);
  w.key("start").value_fixed(cr::epoch_seconds(r.first_time), 6);
  w.key("verdict");
  ex::write_json(w, it.v);
  w.end_object();
}

std::string html_escape(std::string_view s) {
  std::string o;
  for (char c : printable(s)) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}

void print_html(const std::vector<item>& items, bool files) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>sipscope explain</title>\n<style>\n"
      "body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}h2{font-size:1.05em;margin:1.6em 0 .3em}"
      ".v{margin:.2em 0 .5em}.rule{font-family:monospace;padding:0 .3em;border-radius:3px}"
      ".ok{background:#dfd}.signalling,.media{background:#fdd}.capture{background:#ffd}"
      "table{border-collapse:collapse;font-size:.9em}td,th{padding:.15em .6em;text-align:left;vertical-align:top}"
      "tr.miss td{color:#a00;font-style:italic}td.d{color:#555;font-family:monospace}.n{color:#444}\n"
      "</style>\n</head>\n<body>\n<h1>sipscope explain</h1>\n";
  for (const item& it : items) {
    const ex::verdict& v = it.v;
    out += "<h2>";
    out += html_escape(head_line(*it.rec));
    out += "</h2>\n<p class=\"v\"><span class=\"rule ";
    out += ex::to_string(v.cat);
    out += "\">";
    out += html_escape(v.rule);
    out += "</span> (";
    out += ex::to_string(v.conf);
    out += " confidence) ";
    out += html_escape(v.text);
    out += "</p>\n<table>\n<tr><th></th><th>frame</th><th>time (UTC)</th><th>what</th></tr>\n";
    for (const ex::evidence& e : v.chain) {
      out += e.seen ? "<tr><td>seen</td><td>" : "<tr class=\"miss\"><td>not seen</td><td>";
      out += html_escape(frame_text(e, files));
      out += "</td><td>";
      out += e.time ? utc_time(e.time) : std::string();
      out += "</td><td>";
      out += html_escape(e.what);
      if (!e.detail.empty()) {
        out += "<br><span class=\"d\">";
        out += html_escape(e.detail);
        out += "</span>";
      }
      out += "</td></tr>\n";
    }
    out += "</table>\n<p class=\"n\">Next: ";
    out += html_escape(v.next);
    out += "<br>Rule: ";
    out += html_escape(v.rule);
    out += " (";
    out += html_escape(v.rfc);
    out += ")</p>\n";
  }
  out += "</body>\n</html>\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
}

}  // namespace

int cmd_explain(args a) {
  options o;
  if (auto rc = parse_args(a, o)) return *rc;

  std::set<std::uint64_t> want_index;
  std::set<std::string> want_id;
  for (const std::string& c : o.calls) (is_index(c) ? (void)want_index.insert(std::stoull(c)) : (void)want_id.insert(c));
  std::vector<cr::record> kept;
  run_result rr;
  ex::context ctx;
  run_extras x;
  x.diag = [&ctx](const capture::diag_event& e) { ex::add_loss(ctx, e); };
  const bool ok = run_capture(o.c, [&](cr::record&& r) {
    if (o.calls.empty() || want_index.count(r.index) || want_id.count(r.call_id)) kept.push_back(std::move(r));
  }, rr, x);
  if (!ok && kept.empty()) return exit_usage;
  std::sort(kept.begin(), kept.end(), [](const cr::record& x, const cr::record& y) { return x.index < y.index; });

  ctx.capture_end = rr.correlator.last_time;
  ctx.rtp_packets = rr.correlator.rtp_packets;
  std::vector<item> items;
  for (const cr::record& r : kept) {
    item it{&r, ex::explain(r, ctx)};
    if (o.problems && it.v.cat == ex::category::ok) continue;
    items.push_back(std::move(it));
  }
  for (const std::string& c : o.calls) {
    bool found = std::any_of(kept.begin(), kept.end(), [&](const cr::record& r) {
      return is_index(c) ? r.index == std::stoull(c) : r.call_id == c;
    });
    if (!found) std::fprintf(stderr, "sipscope explain: warning: --call %s matches no record (that passes the filters)\n", c.c_str());
  }
  const bool files = o.c.files.size() > 1;

  if (o.c.format == "text") {
    if (items.empty()) std::printf("no records match\n");
    else print_text(items, use_color(o.c.color, stdout), files);
  } else if (o.c.format == "html") {
    print_html(items, files);
  } else {
    print_json_items(items.size(), o.c.format == "jsonl", [&](json_writer& w, std::size_t i) { write_item(w, items[i]); });
  }
  std::fflush(stdout);

  std::size_t problems = 0;
  for (const item& it : items) problems += it.v.cat != ex::category::ok;
  std::string what = std::to_string(items.size());
  what += items.size() == 1 ? " record explained (" : " records explained (";
  what += std::to_string(problems);
  what += problems == 1 ? " problem) of " : " problems) of ";
  what += std::to_string(rr.records_seen);
  what += rr.records_seen == 1 ? " record" : " records";
  print_run_summary(o.c, rr, what);

  if (rr.io_error) return exit_usage;
  if (!o.calls.empty() && kept.empty()) return exit_usage;
  std::vector<const cr::record*> ptrs;
  for (const item& it : items) ptrs.push_back(it.rec);
  return apply_fail_on(o.c, ptrs);
}

}  // namespace sipscope::cli
