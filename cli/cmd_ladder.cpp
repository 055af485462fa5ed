// sipscope ladder: the sequence diagram of one or several calls (several are merged by time,
// e.g. the legs of a B2BUA), from the model's message index: one column per host (IP:port),
// one arrow per SIP message. Text for terminals, Mermaid for docs and wikis, SVG for tickets.
// The arrows a record's verdict (explain, issue 10) cites as evidence are marked, and the
// verdict is printed under the ladder (--no-evidence: neither).
#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "commands.hpp"
#include "common.hpp"
#include "sipscope/correlate/json.hpp"
#include "sipscope/explain/explain.hpp"
#include "sipscope/ladder/layout.hpp"
#include "sipscope/json_writer.hpp"

namespace sipscope::cli {
namespace {

constexpr std::string_view ladder_usage_head =
    "usage: sipscope ladder [OPTIONS] --call ID|INDEX... FILE...\n"
    "\n"
    "Draw the ladder (sequence diagram) of calls: one column per host (IP:port), one arrow per\n"
    "SIP message with its method or status and CSeq number, the time (UTC, and +ms from the\n"
    "first message), the SDP summary (codec, address, direction) under messages that carry\n"
    "SDP, and retransmissions marked [rtx]. Several calls are merged by time (the legs of a\n"
    "B2BUA, a transfer). Without --call, the one record the filters leave is drawn.\n"
    "\n"
    "Options:\n"
    "  --call ID|INDEX     the record with this Call-ID, or this index (the # of 'sipscope\n"
    "                      calls'); comma-separated or repeated to merge several\n"
    "  --legs              also draw the records the correlator ties to the chosen ones (B2BUA\n"
    "                      legs found by X-CID-like headers or shared media, transfers)\n"
    "  --hosts ALIASES     names for hosts: IP=NAME or IP:PORT=NAME, comma-separated\n"
    "                      (e.g. 192.0.2.10=sbc,192.0.2.20:5080=pbx)\n"
    "  --format text       for a terminal (default): fits its width, colour when it is one\n"
    "  --format mermaid    Mermaid sequenceDiagram text (GitHub, GitLab, wikis render it)\n"
    "  --format svg        a self-contained SVG picture (to attach to a ticket)\n"
    "  --format html       a self-contained page (no external assets): the SVG ladder, and\n"
    "                      each message's details (time, frame, addresses, SDP summary,\n"
    "                      User-Agent) on a click. The model keeps no raw SIP text: the page\n"
    "                      gives the frame number to open in Wireshark instead\n"
    "  --color WHEN        auto (default: when stdout is a terminal and NO_COLOR is unset),\n"
    "                      always, never\n"
    "  --no-evidence       do not mark the evidence of the verdict. By default the arrows\n"
    "                      whose frames the record's verdict ('sipscope explain') cites are\n"
    "                      marked (text: a \u25c6 column, SVG/HTML: highlighted, the rule and\n"
    "                      the step in a tooltip or on a click, Mermaid: \u25c6 in the label)\n"
    "                      and the verdict is printed under the ladder; only verdicts that\n"
    "                      are not 'ok' mark arrows\n"
    "  -h, --help          this text\n"
    "\n";

constexpr std::string_view ladder_usage_tail =
    "\n"
    "Exit status: 0 success, 1 a --fail-on condition matched, 2 usage or I/O error (also when\n"
    "no record, or several without --call, match).\n"
    "\n"
    "Examples:\n"
    "  sipscope ladder --call 3 trace.pcap\n"
    "  sipscope ladder --call a84b4c76e66710@pc33.example.com trace.pcap | less -R\n"
    "  sipscope ladder --call 1,2 --hosts 10.0.0.1=alice,10.0.0.9=sbc b2bua.pcap\n"
    "  sipscope ladder --call-id abc123 --format mermaid trace.pcap > call.mmd\n"
    "  sipscope ladder --call 7 --format svg trace.pcap > call.svg\n"
    "  sipscope ladder --call 7 --format html trace.pcap > call.html\n";

struct options {
  common_options c;
  std::vector<std::string> calls;
  bool legs = false;
  bool evidence = true;
  std::vector<std::pair<std::string, std::string>> aliases;   // "ip" or "ip:port" -> name
};

std::optional<int> parse_args(args a, options& o) {
  o.c.command = "ladder";
  arg_cursor c(a);
  std::string v, err;
  while (!c.done()) {
    if (c.flag("-h") || c.flag("--help")) {
      std::fwrite(ladder_usage_head.data(), 1, ladder_usage_head.size(), stdout);
      std::fwrite(common_usage.data(), 1, common_usage.size(), stdout);
      std::fwrite(ladder_usage_tail.data(), 1, ladder_usage_tail.size(), stdout);
      return exit_ok;
    }
    if (c.flag("--legs")) { o.legs = true; continue; }
    if (c.flag("--no-evidence")) { o.evidence = false; continue; }
    if (c.option("--call", v, err)) {
      if (!err.empty()) return usage_error(o.c, err);
      for (std::string& id : split_list(v)) o.calls.push_back(std::move(id));
      continue;
    }
    if (c.option("--hosts", v, err)) {
      if (!err.empty()) return usage_error(o.c, err);
      std::string_view s = v;
      while (!s.empty()) {
        auto comma = s.find(',');
        std::string_view one = s.substr(0, comma);
        auto eq = one.find('=');
        if (eq == std::string_view::npos || eq == 0 || eq + 1 == one.size())
          return usage_error(o.c, "bad --hosts entry '" + std::string(one) + "' (IP=NAME or IP:PORT=NAME)");
        o.aliases.emplace_back(std::string(one.substr(0, eq)), std::string(one.substr(eq + 1)));
        if (comma == std::string_view::npos) break;
        s.remove_prefix(comma + 1);
      }
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
  if (o.c.format != "text" && o.c.format != "mermaid" && o.c.format != "svg" && o.c.format != "html")
    return usage_error(o.c, "unknown format '" + o.c.format + "' (text, mermaid, svg or html)");
  if (!finish_common(o.c)) return exit_usage;
  return std::nullopt;
}

bool is_index(const std::string& s) {
  return !s.empty() && s.size() < 19 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// One row of the ladder.
struct row {
  const cr::record* rec;
  const cr::message_entry* m;
  std::size_t from, to;      // host columns
  bool evidence;             // a step of the record's verdict
  std::string rule, what;    // which rule cited it, the step's text
};

namespace ex = sipscope::explain;

struct ladder {
  std::vector<const cr::record*> recs;
  std::vector<ex::verdict> verdicts;     // one per record (empty: --no-evidence)
  std::vector<capture::endpoint> hosts;
  std::vector<std::string> names;        // alias or ""
  std::vector<row> rows;
  cr::timestamp_ns t0 = 0;
  bool any_rtx = false;
};

// The columns and rows come from the shared layout (sipscope/ladder/layout.hpp, which the viewer
// draws too); this front end adds only its own geometry.
// Whether a verdict's evidence is marked: a verdict of category ok (completed, hold) has
// nothing to point at.
bool marks_of(const ex::verdict& v) { return v.cat != ex::category::ok; }

ladder build(const std::vector<const cr::record*>& recs, std::vector<ex::verdict> verdicts, const options& o) {
  sipscope::ladder::options lo;
  lo.aliases = o.aliases;
  lo.media_columns = false;   // the text/SVG ladder lists streams below, it draws no bands
  sipscope::ladder::layout shared = sipscope::ladder::build(recs, lo);
  std::vector<sipscope::ladder::evidence_mark> marks;
  for (std::size_t i = 0; i < verdicts.size() && i < recs.size(); ++i) {
    if (!marks_of(verdicts[i])) continue;
    for (const ex::evidence& e : verdicts[i].chain)
      if (e.seen && e.frame.number) marks.push_back({i, e.frame, std::string(verdicts[i].rule), e.what});
  }
  sipscope::ladder::mark_evidence(shared, marks);
  ladder l;
  l.recs = recs;
  l.verdicts = std::move(verdicts);
  for (const sipscope::ladder::column& c : shared.columns) {
    l.hosts.push_back(c.host);
    l.names.push_back(printable(c.alias));
  }
  l.rows.reserve(shared.rows.size());
  for (const sipscope::ladder::row& r : shared.rows)
    l.rows.push_back({recs[r.record], r.message, r.from, r.to, r.evidence, r.evidence_rule, r.evidence_what});
  l.t0 = shared.t0;
  l.any_rtx = shared.any_retransmission;
  return l;
}

// "INVITE CSeq 1" / "180 Ringing CSeq 1", and the SDP summary apart (the model keeps it in
// its own field).
void split_summary(const cr::message_entry& m, std::string& label, std::string& sdp) {
  sdp.clear();
  if (!m.sdp.empty()) {
    sdp = "SDP ";
    sdp += printable(m.sdp);
  } else if (m.has_sdp) {
    sdp = "SDP";
  }
  if (m.request) label = printable(m.method);
  else label = printable(m.summary);
  label += " CSeq ";
  label += std::to_string(m.cseq);
}

const char* color_of(const cr::message_entry& m) {
  if (m.retransmission) return "\033[2m";
  if (m.request) return "\033[36m";
  if (m.status < 200) return "\033[33m";
  if (m.status < 300) return "\033[32m";
  if (m.status < 400) return "\033[34m";
  return "\033[31m";
}

std::string rel_ms(cr::timestamp_ns t, cr::timestamp_ns t0) {
  return "+" + std::to_string(capture::elapsed(t, t0) / 1'000'000) + "ms";
}

// "#1 call completed 200 OK  sip:a@x -> sip:b@y  Call-ID ...": what the user needs first comes
// first, since a narrow terminal cuts the end.
std::string record_title(const cr::record& r) {
  std::string s = "#";
  s += std::to_string(r.index);
  s += ' ';
  s += cr::to_string(r.kind);
  s += ' ';
  s += state_text(r);
  if (r.final_status) {
    s += ' ';
    s += std::to_string(r.final_status);
    if (!r.final_reason.empty()) {
      s += ' ';
      s += printable(r.final_reason);
    }
  }
  s += "  ";
  s += printable(r.caller.uri.empty() ? "-" : r.caller.uri);
  s += " -> ";
  s += printable(r.callee.uri.empty() ? "-" : r.callee.uri);
  s += "  Call-ID ";
  s += printable(r.call_id);
  return s;
}

// One line per RTP stream of the record, as the model gives it: "RTP a -> b PCMU, 2100 packets,
// lost 1.1 %, jitter 6.5 ms mean / 18.0 max, MOS 4.29, 12:00:11.5 to 12:00:53.8".
std::vector<std::string> stream_lines(const cr::record& r) {
  std::vector<std::string> out;
  for (const cr::stream_info& st : r.streams) {
    char buf[256];
    std::string s = "RTP ";
    s += st.src.to_string();
    s += " -> ";
    s += st.dst.to_string();
    s += ' ';
    s += st.codec.empty() ? "PT " + std::to_string(st.payload_type) : printable(st.codec);
    std::snprintf(buf, sizeof buf, ", %llu packets, lost %.1f %%, jitter %.1f ms mean / %.1f max",
                  static_cast<unsigned long long>(st.packets), st.lost_percent(), st.mean_jitter_ms, st.max_jitter_ms);
    s += buf;
    if (st.mos > 0) {
      std::snprintf(buf, sizeof buf, ", MOS %.2f", st.mos);
      s += buf;
    }
    if (!st.dtmf.empty()) {
      s += ", DTMF ";
      for (const cr::dtmf_event& d : st.dtmf) s += d.digit;
    }
    s += ", ";
    s += utc_time(st.start);
    s += " to ";
    s += utc_time(st.end);
    out.push_back(printable(s));
  }
  return out;
}

// Whether the verdict of record i (ladder order) marks frame f (a stream's first packet).
bool cited(const ladder& l, std::size_t i, const capture::frame_ref& f) {
  if (i >= l.verdicts.size() || !marks_of(l.verdicts[i]) || !f.number) return false;
  return std::any_of(l.verdicts[i].chain.begin(), l.verdicts[i].chain.end(), [&](const ex::evidence& e) {
    return e.seen && e.frame.number == f.number && e.frame.file == f.file;
  });
}

// Words of `text` in lines of at most `width` cells, the lines after the first indented.
std::vector<std::string> wrap(const std::string& text, std::size_t width, std::size_t indent) {
  std::vector<std::string> out;
  std::size_t pos = text.find_first_not_of(' ');
  if (pos == std::string::npos) return out;
  std::string cur = text.substr(0, pos);   // the first line keeps its own indentation
  bool fresh = true;                       // nothing but indentation on the line yet
  while (pos < text.size()) {
    std::size_t sp = text.find(' ', pos);
    std::string word = text.substr(pos, sp == std::string::npos ? std::string::npos : sp - pos);
    pos = sp == std::string::npos ? text.size() : sp + 1;
    if (word.empty()) continue;
    if (!fresh && text_width(cur) + 1 + text_width(word) > width) {
      out.push_back(cur);
      cur.assign(indent, ' ');
      fresh = true;
    }
    if (!fresh) cur += ' ';
    cur += word;
    fresh = false;
  }
  if (!fresh) out.push_back(cur);
  for (std::string& line : out) line = truncate(line, width);
  return out;
}

// Under the ladder: each record's verdict, and the steps of its evidence the ladder does not
// draw as arrows (TCP SYN/RST, ICMP, what was not seen). One string per line, unwrapped.
struct verdict_text {
  std::string head;                    // "Verdict #3 no_response (signalling, high): ..."
  std::vector<std::string> marked;     // "frame 1 INVITE ..." (marked on the ladder)
  std::vector<std::string> other;      // "frame 4 TCP RST ...", "not seen: ..."
};

std::vector<verdict_text> verdict_texts(const ladder& l) {
  std::vector<verdict_text> out;
  for (std::size_t i = 0; i < l.verdicts.size() && i < l.recs.size(); ++i) {
    const ex::verdict& v = l.verdicts[i];
    verdict_text t;
    t.head = "Verdict #" + std::to_string(l.recs[i]->index) + " " + std::string(v.rule) + " (" +
             std::string(ex::to_string(v.cat)) + ", " + std::string(ex::to_string(v.conf)) + " confidence): " + printable(v.text);
    if (marks_of(v)) {
      for (const ex::evidence& e : v.chain) {
        std::string step = e.seen ? (e.frame.number ? "frame " + std::to_string(e.frame.number) + " " : std::string()) : "not seen: ";
        step += printable(e.what);
        const bool on_row = e.seen && e.frame.number && std::any_of(l.rows.begin(), l.rows.end(), [&](const row& r) {
          return r.evidence && r.rec == l.recs[i] && r.m->frame.number == e.frame.number;
        });
        (on_row ? t.marked : t.other).push_back(step);
      }
    }
    out.push_back(std::move(t));
  }
  return out;
}

// ---- text ------------------------------------------------------------------------------------

// A line of cells (one code point each) with a colour per cell.
struct canvas_line {
  std::vector<std::string> cells;
  std::vector<const char*> colors;
  explicit canvas_line(std::size_t w) : cells(w, " "), colors(w, nullptr) {}
  void put(std::size_t x, std::string_view text, const char* color = nullptr, std::size_t max = SIZE_MAX) {
    std::size_t i = 0, n = 0;
    while (i < text.size() && x + n < cells.size() && n < max) {
      std::size_t len = 1;
      while (i + len < text.size() && (static_cast<unsigned char>(text[i + len]) & 0xC0) == 0x80) ++len;
      cells[x + n] = std::string(text.substr(i, len));
      colors[x + n] = color;
      i += len;
      ++n;
    }
  }
  std::string render(bool color) const {
    std::string out;
    const char* cur = nullptr;
    std::size_t end = cells.size();
    while (end > 0 && cells[end - 1] == " ") --end;
    for (std::size_t i = 0; i < end; ++i) {
      const char* c = color ? colors[i] : nullptr;
      if (c != cur) {
        if (cur) out += "\033[0m";
        if (c) out += c;
        cur = c;
      }
      out += cells[i];
    }
    if (cur) out += "\033[0m";
    return out;
  }
};

void print_text(const ladder& l, const options& o) {
  const bool color = use_color(o.c.color, stdout);
  const bool multi = l.recs.size() > 1;
  std::string out;
  const int term_w = terminal_columns(stdout, 0);
  for (const cr::record* r : l.recs) {
    std::string t = record_title(*r);
    if (term_w > 0 && text_width(t) > static_cast<std::size_t>(term_w)) {
      // Too long for one line: the Call-ID on a line of its own.
      const auto w = static_cast<std::size_t>(term_w);
      const auto p = t.rfind("  Call-ID ");
      out += truncate(t.substr(0, p), w);
      if (p != std::string::npos) {
        out += "\n   ";
        out += truncate(t.substr(p + 2), w > 3 ? w - 3 : 0);
      }
    } else {
      out += t;
    }
    out += '\n';
  }
  out += utc_date(l.t0);
  out += " (times UTC, +ms from the first message)\n\n";

  // Left block: [◆] [#rec] HH:MM:SS.mmm +ms (the marker column only when a row is evidence).
  std::size_t rel_w = 0, rec_w = 0;
  bool any_evidence = false;
  for (const row& r : l.rows) {
    rel_w = std::max(rel_w, rel_ms(r.m->time, l.t0).size());
    rec_w = std::max(rec_w, std::to_string(r.rec->index).size() + 1);
    any_evidence |= r.evidence;
  }
  const std::size_t mark_w = any_evidence ? 2 : 0;
  const char* mark_color = color ? "\033[1;7;33m" : nullptr;   // bold, reversed yellow
  const std::size_t left = mark_w + (multi ? rec_w + 1 : 0) + 12 + 1 + rel_w + 2;

  // Column spacing: room for the widest label between neighbours, within the terminal.
  const std::size_t n = l.hosts.size();
  std::size_t head_w = 0;
  for (std::size_t i = 0; i < n; ++i)
    head_w = std::max({head_w, l.hosts[i].to_string().size(), text_width(l.names[i])});
  std::size_t label_w = 0;
  for (const row& r : l.rows) {
    std::string label, sdp;
    split_summary(*r.m, label, sdp);
    if (r.m->retransmission) label += " [rtx]";
    const std::size_t span = r.from > r.to ? r.from - r.to : r.to - r.from;
    label_w = std::max(label_w, (std::max(text_width(label), text_width(sdp) / 2) + 3 + std::max<std::size_t>(span, 1) - 1) /
                                    std::max<std::size_t>(span, 1));
  }
  std::size_t spacing = std::clamp<std::size_t>(std::max(head_w + 2, label_w + 2), 14, 48);
  const int term = terminal_columns(stdout, 0);
  if (term > 0 && n > 1) {
    // The widest spacing whose drawing, with half a host name beyond the first and the last
    // column, fits the terminal (10 at least).
    auto needed = [&](std::size_t sp) { return left + 2 * (std::min(head_w, sp - 1) / 2 + 1) + (n - 1) * sp; };
    while (spacing > 10 && needed(spacing) > static_cast<std::size_t>(term)) --spacing;
  }
  const std::size_t first_x = left + std::min(head_w, spacing - 1) / 2;
  auto xcol = [&](std::size_t i) { return first_x + i * spacing; };
  std::size_t width = xcol(n ? n - 1 : 0) + spacing;
  if (term > 0) width = std::max(xcol(n ? n - 1 : 0) + 2, std::min(width, static_cast<std::size_t>(term)));

  auto bars = [&](canvas_line& c) {
    for (std::size_t i = 0; i < n; ++i) c.put(xcol(i), "|");
  };
  auto centered = [&](canvas_line& c, std::size_t i, const std::string& text) {
    std::string t = truncate(text, spacing - 1);
    std::size_t w = text_width(t);
    std::size_t x = xcol(i) >= w / 2 ? xcol(i) - w / 2 : 0;
    if (x + w > width) x = width > w ? width - w : 0;   // the last column's name stays whole
    c.put(x, t, color ? "\033[1m" : nullptr);
  };
  const bool any_alias = std::any_of(l.names.begin(), l.names.end(), [](const std::string& s) { return !s.empty(); });
  if (any_alias) {
    canvas_line c(width);
    for (std::size_t i = 0; i < n; ++i) centered(c, i, l.names[i]);
    out += c.render(color);
    out += '\n';
  }
  {
    // IP:port, or when a column is too narrow for it, the IP above ":port".
    bool split = false;
    for (std::size_t i = 0; i < n; ++i) split |= l.hosts[i].to_string().size() > spacing - 1;
    canvas_line c(width), p(width);
    for (std::size_t i = 0; i < n; ++i) {
      if (!split) {
        centered(c, i, l.hosts[i].to_string());
        continue;
      }
      std::string ip = l.hosts[i].ip.to_string();
      centered(c, i, text_width(ip) > spacing - 1 ? truncate(ip, spacing - 1, true) : ip);
      centered(p, i, ":" + std::to_string(l.hosts[i].port));
    }
    out += c.render(color);
    out += '\n';
    if (split) {
      out += p.render(color);
      out += '\n';
    }
    canvas_line b(width);
    bars(b);
    out += b.render(color);
    out += '\n';
  }

  for (const row& r : l.rows) {
    const cr::message_entry& m = *r.m;
    const char* col = color_of(m);
    std::string label, sdp;
    split_summary(m, label, sdp);
    if (m.retransmission) label += " [rtx]";
    const std::size_t a = std::min(r.from, r.to), b = std::max(r.from, r.to);
    const std::size_t lo = xcol(a), hi = a == b ? xcol(a) + spacing / 2 : xcol(b);
    const std::size_t room = hi - lo - 2;

    canvas_line l1(width), l2(width);
    bars(l1);
    bars(l2);
    std::size_t x = mark_w;
    if (r.evidence) {
      l1.put(0, "\u25c6", mark_color);
      l2.put(0, "\u25c6", mark_color);
    }
    if (multi) {
      l1.put(x, "#" + std::to_string(r.rec->index));
      x += rec_w + 1;
    }
    l1.put(x, utc_time(m.time));
    l1.put(x + 13, rel_ms(m.time, l.t0));
    // Label above the arrow, next to the sender.
    std::string t = label;
    if (text_width(t) > room) {   // the CSeq goes first, then the end of the text
      if (auto p = t.find(" CSeq "); p != std::string::npos) {
        std::string rest = t.substr(p + 6);
        auto sp = rest.find(' ');
        t.erase(p, sp == std::string::npos ? std::string::npos : 6 + sp);
      }
      t = truncate(t, room);
    }
    const std::size_t tw = text_width(t);
    l1.put(r.from <= r.to ? lo + 2 : hi - 1 - tw, t, r.evidence && color ? "\033[1;4m" : col);
    // The arrow.
    if (a == b) {
      std::string loop(spacing / 2 - 1, '-');
      l2.put(lo + 1, "<" + loop + "'", col);
    } else {
      std::string shaft(hi - lo - 1, '-');
      if (r.from < r.to) shaft.back() = '>';
      else shaft.front() = '<';
      l2.put(lo + 1, shaft, col);
    }
    out += l1.render(color);
    out += '\n';
    out += l2.render(color);
    out += '\n';
    if (!sdp.empty()) {
      canvas_line l3(width);
      bars(l3);
      // Under the arrow, from the sender's side; it may run past the receiver when needed.
      const std::size_t room3 = width > lo + 2 ? width - lo - 2 : 0;
      std::string s = truncate(sdp, std::min(room3, std::max(room, spacing * 2)));
      l3.put(lo + 2, s, color ? "\033[35m" : nullptr);
      out += l3.render(color);
      out += '\n';
    }
  }
  bool media_head = false;
  for (std::size_t ri = 0; ri < l.recs.size(); ++ri) {
    const cr::record* r = l.recs[ri];
    const std::vector<std::string> lines = stream_lines(*r);
    for (std::size_t si = 0; si < lines.size(); ++si) {
      const std::string& line = lines[si];
      if (!media_head) out += "\nMedia\n";
      media_head = true;
      std::string text = si < r->streams.size() && cited(l, ri, r->streams[si].first_frame) ? "\u25c6 " : "  ";
      if (multi) text += "#" + std::to_string(r->index) + " ";
      text += line;
      // Wrapped at ", " to the terminal's width.
      const std::size_t w = term_w > 0 ? static_cast<std::size_t>(term_w) : SIZE_MAX;
      std::string cur;
      std::size_t pos = 0;
      while (pos < text.size()) {
        std::size_t next = text.find(", ", pos);
        std::string piece = text.substr(pos, next == std::string::npos ? std::string::npos : next + 1 - pos);
        pos = next == std::string::npos ? text.size() : next + 2;
        if (!cur.empty() && text_width(cur) + 1 + text_width(piece) > w) {
          out += cur;
          out += '\n';
          cur = "      ";
        } else if (!cur.empty() && cur != "      ") {
          cur += ' ';
        }
        cur += piece;
      }
      out += truncate(cur, w);
      out += '\n';
    }
  }
  if (l.any_rtx) out += "\n[rtx] retransmission (same message of the same transaction seen again)\n";
  {
    const std::size_t w = term_w > 0 ? static_cast<std::size_t>(term_w) : 100;
    for (const verdict_text& v : verdict_texts(l)) {
      out += '\n';
      for (const std::string& line : wrap(v.head, w, 2)) {
        out += line;
        out += '\n';
      }
      if (!v.marked.empty()) {
        std::string s = "\u25c6 evidence marked above: ";
        for (std::size_t k = 0; k < v.marked.size(); ++k) s += (k ? "; " : "") + v.marked[k];
        for (const std::string& line : wrap(s, w, 4)) out += line + "\n";
      }
      if (!v.other.empty()) {
        std::string s = "  evidence not drawn as arrows: ";
        for (std::size_t k = 0; k < v.other.size(); ++k) s += (k ? "; " : "") + v.other[k];
        for (const std::string& line : wrap(s, w, 4)) out += line + "\n";
      }
    }
  }
  for (const cr::record* r : l.recs) {
    if (r->dropped_messages)
      out += "#" + std::to_string(r->index) + ": " + std::to_string(r->dropped_messages) +
             " more messages not indexed (correlator cap)\n";
    std::vector<std::string> missing;
    for (const std::string& leg : r->legs)
      if (std::none_of(l.recs.begin(), l.recs.end(), [&](const cr::record* x) { return x->call_id == leg; }))
        missing.push_back(leg);
    if (!missing.empty()) {
      out += "#" + std::to_string(r->index) + " is tied to Call-ID";
      for (const std::string& leg : missing) {
        out += ' ';
        out += printable(leg);
      }
      out += " (--legs draws them too)\n";
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
}

// ---- mermaid ---------------------------------------------------------------------------------

// Mermaid text: '#' starts an entity code and ';' can end a statement; '<' '>' are HTML.
std::string mermaid_text(std::string_view s) {
  std::string out;
  for (char c : printable(s)) {
    switch (c) {
      case '#': out += "#35;"; break;
      case ';': out += "#59;"; break;
      case '<': out += "#lt;"; break;
      case '>': out += "#gt;"; break;
      case '"': out += "#quot;"; break;
      default: out += c;
    }
  }
  return out;
}

void print_mermaid(const ladder& l) {
  std::string out = "sequenceDiagram\n";
  for (const cr::record* r : l.recs) {
    out += "    %% ";
    out += printable(record_title(*r));
    out += '\n';
  }
  out += "    %% ";
  out += utc_date(l.t0);
  out += " (times UTC)\n";
  for (std::size_t i = 0; i < l.hosts.size(); ++i) {
    out += "    participant H";
    out += std::to_string(i + 1);
    out += " as ";
    std::string label = l.names[i].empty() ? l.hosts[i].to_string() : l.names[i] + " " + l.hosts[i].to_string();
    out += mermaid_text(label);
    out += '\n';
  }
  for (const row& r : l.rows) {
    std::string label, sdp;
    split_summary(*r.m, label, sdp);
    out += "    H";
    out += std::to_string(r.from + 1);
    out += r.m->request ? "->>" : "-->>";
    out += 'H';
    out += std::to_string(r.to + 1);
    out += ": ";
    if (r.evidence) out += "\u25c6 ";
    out += mermaid_text(label);
    if (r.m->retransmission) out += " [rtx]";
    out += ' ';
    out += utc_time(r.m->time);
    out += " (";
    out += rel_ms(r.m->time, l.t0);
    out += ')';
    out += '\n';
    if (!sdp.empty()) {
      out += "    Note over H";
      out += std::to_string(std::min(r.from, r.to) + 1);
      if (r.from != r.to) {
        out += ",H";
        out += std::to_string(std::max(r.from, r.to) + 1);
      }
      out += ": ";
      out += mermaid_text(sdp);
      out += '\n';
    }
  }
  if (!l.hosts.empty())
    for (const cr::record* r : l.recs)
      for (const std::string& line : stream_lines(*r)) {
        out += "    Note over H1";
        if (l.hosts.size() > 1) out += ",H" + std::to_string(l.hosts.size());
        out += ": ";
        std::string t = line;
        if (auto a = t.find(" -> "); a != std::string::npos) t.replace(a, 4, " \u2192 ");
        out += mermaid_text(t);
        out += '\n';
      }
  if (!l.hosts.empty())
    for (const verdict_text& v : verdict_texts(l)) {
      out += "    Note over H1";
      if (l.hosts.size() > 1) out += ",H" + std::to_string(l.hosts.size());
      out += ": ";
      out += mermaid_text(v.head);
      if (!v.marked.empty()) out += mermaid_text(" (\u25c6 marks its evidence)");
      out += '\n';
    }
  std::fwrite(out.data(), 1, out.size(), stdout);
}

// ---- svg -------------------------------------------------------------------------------------

std::string xml_text(std::string_view s) {
  std::string out;
  for (char c : printable(s)) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

const char* svg_color(const cr::message_entry& m) {
  if (m.retransmission) return "#999999";
  if (m.request) return "#1f5fa8";
  if (m.status < 200) return "#a87b00";
  if (m.status < 300) return "#1e7a1e";
  if (m.status < 400) return "#5a3fa8";
  return "#b52020";
}

// The SVG picture; `clickable` numbers each message group (data-i, the row's index) for the
// HTML page's script.
std::string svg_text(const ladder& l, bool clickable) {
  // Fixed geometry: 220 px between hosts, 34 px per message (+14 with an SDP line).
  const int left = 190, spacing = 220, top = 70, step = 34, sdp_step = 14;
  const int n = static_cast<int>(l.hosts.size());
  int height = top + 20;
  for (const row& r : l.rows) height += step + (r.m->has_sdp ? sdp_step : 0);
  height += 30 + 16 * static_cast<int>(l.recs.size());
  for (const cr::record* r : l.recs) height += 16 * static_cast<int>(r->streams.size());
  int width = left + std::max(1, n - 1) * spacing + 140;
  for (const cr::record* r : l.recs)   // monospace 12 px: about 7.3 px a character
    width = std::max(width, 20 + static_cast<int>(7.3 * static_cast<double>(text_width(record_title(*r)))));
  // The verdicts under the ladder (the caption), wrapped to the picture's width.
  std::vector<std::string> caption;
  const std::vector<verdict_text> vts = verdict_texts(l);
  for (const verdict_text& v : vts) {
    const auto chars = static_cast<std::size_t>(static_cast<double>(width - 20) / 7.3);
    for (const std::string& line : wrap(v.head, chars, 2)) caption.push_back(line);
    if (!v.other.empty()) {
      std::string o = "  evidence not drawn as arrows: ";
      for (std::size_t k = 0; k < v.other.size(); ++k) o += (k ? "; " : "") + v.other[k];
      for (const std::string& line : wrap(o, chars, 4)) caption.push_back(line);
    }
  }
  if (!caption.empty()) height += 8 + 16 * static_cast<int>(caption.size());
  auto x = [&](std::size_t i) { return left + static_cast<int>(i) * spacing; };
  std::string out;
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                "font-family=\"monospace\" font-size=\"12\">\n",
                width, height, width, height);
  out += buf;
  if (!vts.empty()) {   // the verdict as the picture's title (a tooltip, and for screen readers)
    out += "<title>";
    for (std::size_t k = 0; k < vts.size(); ++k) out += xml_text((k ? "\n" : "") + vts[k].head);
    out += "</title>\n";
  }
  // One arrowhead per colour (context-stroke is SVG 2, not every viewer has it).
  out += "<defs>";
  for (const char* c : {"#999999", "#1f5fa8", "#a87b00", "#1e7a1e", "#5a3fa8", "#b52020"}) {
    std::snprintf(buf, sizeof buf,
                  "<marker id=\"arrow-%s\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" "
                  "markerHeight=\"8\" orient=\"auto\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"%s\"/></marker>",
                  c + 1, c);
    out += buf;
  }
  out += "</defs>\n";
  out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  int y = 16;
  for (const cr::record* r : l.recs) {
    std::snprintf(buf, sizeof buf, "<text class=\"title\" x=\"10\" y=\"%d\" font-weight=\"bold\">", y);
    out += buf;
    out += xml_text(record_title(*r));
    out += "</text>\n";
    y += 16;
  }
  const int line_top = top + 10 + 16 * (static_cast<int>(l.recs.size()) - 1);
  const int line_bottom = height - 10;
  for (std::size_t i = 0; i < l.hosts.size(); ++i) {
    std::snprintf(buf, sizeof buf, "<g class=\"host\"><text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-weight=\"bold\">",
                  x(i), line_top - 18);
    out += buf;
    out += xml_text(l.names[i].empty() ? l.hosts[i].to_string() : l.names[i]);
    out += "</text>";
    if (!l.names[i].empty()) {
      std::snprintf(buf, sizeof buf, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">", x(i), line_top - 4);
      out += buf;
      out += xml_text(l.hosts[i].to_string());
      out += "</text>";
    }
    std::snprintf(buf, sizeof buf, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\" stroke-dasharray=\"4 3\"/></g>\n",
                  x(i), line_top, x(i), line_bottom);
    out += buf;
  }
  y = line_top + 24;
  for (const row& r : l.rows) {
    const cr::message_entry& m = *r.m;
    std::string label, sdp;
    split_summary(m, label, sdp);
    if (m.retransmission) label += " [rtx]";
    const char* c = svg_color(m);
    if (clickable) {
      std::snprintf(buf, sizeof buf, "<g class=\"message%s\" data-i=\"%zu\">", r.evidence ? " evidence" : "",
                    static_cast<std::size_t>(&r - l.rows.data()));
      out += buf;
      // A transparent band over the whole row: the click target.
      std::snprintf(buf, sizeof buf, "<rect class=\"hit\" x=\"0\" y=\"%d\" width=\"100%%\" height=\"%d\" fill=\"transparent\"/>",
                    y - 18, step + (m.has_sdp ? sdp_step : 0));
      out += buf;
    } else {
      out += r.evidence ? "<g class=\"message evidence\">" : "<g class=\"message\">";
    }
    if (r.evidence) {   // a highlighted band, the marker, and which rule cited it
      out += "<title>";
      out += xml_text("\u25c6 evidence of " + r.rule + ": " + r.what);
      out += "</title>";
      std::snprintf(buf, sizeof buf, "<rect class=\"evidence\" x=\"0\" y=\"%d\" width=\"100%%\" height=\"%d\" fill=\"#fff2a8\"/>",
                    y - 18, step + (m.has_sdp ? sdp_step : 0) - 2);
      out += buf;
      std::snprintf(buf, sizeof buf, "<text class=\"evidence-mark\" x=\"%d\" y=\"%d\" fill=\"#b36b00\">\u25c6</text>",
                    left - 22, y + 4);
      out += buf;
    }
    std::snprintf(buf, sizeof buf, "<text x=\"8\" y=\"%d\" fill=\"#555\">%s %s</text>", y + 4,
                  utc_time(m.time).c_str(), rel_ms(m.time, l.t0).c_str());
    out += buf;
    const int x1 = x(r.from), x2 = r.from == r.to ? x(r.from) + 40 : x(r.to);
    const int mid = (x1 + x2) / 2;
    std::snprintf(buf, sizeof buf, "<text class=\"label\" x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"%s\">", mid,
                  y - 4, c);
    out += buf;
    out += xml_text(label);
    out += "</text>";
    std::snprintf(buf, sizeof buf,
                  "<line class=\"arrow\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"%s\"%s "
                  "marker-end=\"url(#arrow-%s)\"/>",
                  x1, y, x2, y, c, r.evidence ? "3" : "1.5", m.retransmission ? " stroke-dasharray=\"5 3\"" : "", c + 1);
    out += buf;
    if (!sdp.empty()) {
      std::snprintf(buf, sizeof buf, "<text class=\"sdp\" x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"#8a3b8a\" font-size=\"11\">",
                    mid, y + 14);
      out += buf;
      out += xml_text(sdp);
      out += "</text>";
    }
    out += "</g>\n";
    y += step + (m.has_sdp ? sdp_step : 0);
  }
  for (std::size_t ri = 0; ri < l.recs.size(); ++ri) {
    const std::vector<std::string> lines = stream_lines(*l.recs[ri]);
    for (std::size_t si = 0; si < lines.size(); ++si) {
      const bool ev = si < l.recs[ri]->streams.size() && cited(l, ri, l.recs[ri]->streams[si].first_frame);
      std::snprintf(buf, sizeof buf, "<text class=\"stream%s\" x=\"10\" y=\"%d\" fill=\"%s\">", ev ? " evidence" : "", y,
                    ev ? "#b36b00" : "#555");
      out += buf;
      out += xml_text(ev ? "\u25c6 " + lines[si] : lines[si]);
      out += "</text>\n";
      y += 16;
    }
  }
  if (!caption.empty()) y += 8;
  for (const std::string& line : caption) {
    std::snprintf(buf, sizeof buf, "<text class=\"verdict\" x=\"10\" y=\"%d\" fill=\"#7a2e00\">", y);
    out += buf;
    out += xml_text(line);
    out += "</text>\n";
    y += 16;
  }
  std::snprintf(buf, sizeof buf, "<text x=\"10\" y=\"%d\" fill=\"#555\">", height - 14);
  out += buf;
  out += xml_text(utc_date(l.t0) + " (times UTC, +ms from the first message)");
  out += "</text>\n</svg>\n";
  return out;
}

void print_svg(const ladder& l) {
  const std::string out = svg_text(l, false);
  std::fwrite(out.data(), 1, out.size(), stdout);
}

// ---- html ------------------------------------------------------------------------------------

// A self-contained page (inline CSS, SVG and script; no external asset): the SVG ladder, and
// on a click on a message its details from the model. The model keeps no raw SIP text, so the
// page shows the message index's fields and says so.
void print_html(const ladder& l, const options& o) {
  json_writer w(false);
  w.begin_array();
  for (const row& r : l.rows) {
    const cr::message_entry& m = *r.m;
    w.begin_object();
    w.member("summary", m.summary);
    w.member("call_id", r.rec->call_id).member("record", r.rec->index);
    w.member("time", cr::iso8601(m.time)).member("relative", rel_ms(m.time, l.t0));
    w.member("frame", m.frame.number);
    std::string file = m.frame.file < o.c.files.size() ? o.c.files[m.frame.file] : std::string("?");
    w.member("file", file).member("offset", m.frame.offset);
    w.member("src", m.src.to_string()).member("dst", m.dst.to_string());
    w.member("transport", capture::to_string(m.proto));
    w.member("request", m.request).member("method", m.method).member("status", m.status).member("cseq", m.cseq);
    w.member("reason", m.reason).member("retransmission", m.retransmission);
    w.member("has_sdp", m.has_sdp).member("sdp", m.sdp).member("user_agent", m.user_agent);
    w.member("errors", m.errors).member("warnings", m.warnings).member("dialog", m.dialog);
    w.member("evidence_rule", r.rule).member("evidence_what", r.what);
    w.end_object();
  }
  w.end_array();
  // '<' never needs to be literal in this JSON: escaped, no text can close the script element.
  std::string data;
  for (char ch : w.str()) {
    if (ch == '<') data += "\\u003c";
    else data += ch;
  }
  std::string title;
  for (const cr::record* r : l.recs) {
    if (!title.empty()) title += " + ";
    title += record_title(*r);
  }
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>";
  out += xml_text(title);
  out += "</title>\n<style>\n"
         "body{font-family:sans-serif;margin:1em;color:#222}\n"
         "h1{font-size:1.1em;font-family:monospace}\n"
         ".note{color:#555;font-size:.9em;max-width:60em}\n"
         "#wrap{display:flex;gap:1em;align-items:flex-start}\n"
         "#ladder{overflow:auto;border:1px solid #ddd}\n"
         "#details{position:sticky;top:1em;min-width:24em;max-width:36em;border:1px solid #ddd;padding:.6em;"
         "font-size:.9em}\n"
         "#details table{border-collapse:collapse}\n"
         "#details th{text-align:left;padding-right:1em;vertical-align:top;color:#555;font-weight:normal}\n"
         "#details td{font-family:monospace;word-break:break-all}\n"
         "g.message{cursor:pointer}\n"
         "g.message:hover rect.hit{fill:#f3f3ff}\n"
         "g.message.selected rect.hit{fill:#e4e8ff}\n"
         "g.message.evidence .label{font-weight:bold}\n"
         ".verdict{font-family:monospace;background:#fff2a8;padding:.4em;max-width:80em}\n"
         "</style>\n</head>\n<body>\n<h1>";
  out += xml_text(title);
  out += "</h1>\n<p class=\"note\">Click a message for its details. They come from sipscope's call model, which "
         "indexes each message (start line, time, frame, addresses, SDP summary, User-Agent) but keeps no raw SIP "
         "text: open the frame number in Wireshark for the whole message. Times are UTC.</p>\n";
  for (const verdict_text& v : verdict_texts(l)) {
    out += "<p class=\"verdict\">";
    out += xml_text(v.head);
    if (!v.marked.empty()) out += "<br>\u25c6 highlighted: the evidence of this verdict (click one for the step it is)";
    if (!v.other.empty()) {
      out += "<br>Evidence not drawn as arrows: ";
      for (std::size_t k = 0; k < v.other.size(); ++k) out += xml_text((k ? "; " : "") + v.other[k]);
    }
    out += "</p>\n";
  }
  out += 
         "<div id=\"wrap\">\n<div id=\"ladder\">\n";
  out += svg_text(l, true);
  out += "</div>\n<div id=\"details\"><em>No message selected.</em></div>\n</div>\n<script>\n\"use strict\";\n"
         "const messages = ";
  out += data;
  out += ";\n"
         "const rows = [\n"
         "  ['Message', m => m.summary],\n"
         "  ['Time', m => m.time + '  (' + m.relative + ')'],\n"
         "  ['From', m => m.src + ' (' + m.transport + ')'],\n"
         "  ['To', m => m.dst],\n"
         "  ['CSeq', m => m.cseq + ' ' + m.method],\n"
         "  ['Retransmission', m => m.retransmission ? 'yes' : ''],\n"
         "  ['SDP', m => m.has_sdp ? (m.sdp || '(body present, no summary)') : ''],\n"
         "  ['User-Agent', m => m.user_agent],\n"
         "  ['Frame', m => m.frame + ' of ' + m.file + ' (record at byte ' + m.offset + ')'],\n"
         "  ['Call-ID', m => m.call_id + ' (record #' + m.record + ')'],\n"
         "  ['Parser', m => m.errors || m.warnings ? m.errors + ' errors, ' + m.warnings + ' warnings' : 'well-formed'],\n"
         "  ['Evidence', m => m.evidence_rule ? '\u25c6 cited by rule ' + m.evidence_rule + ': ' + m.evidence_what : ''],\n"
         "];\n"
         "function show(i) {\n"
         "  const m = messages[i];\n"
         "  const box = document.getElementById('details');\n"
         "  box.textContent = '';\n"
         "  const t = document.createElement('table');\n"
         "  for (const [name, get] of rows) {\n"
         "    const v = String(get(m));\n"
         "    if (!v) continue;\n"
         "    const tr = t.insertRow();\n"
         "    const th = document.createElement('th'); th.textContent = name; tr.appendChild(th);\n"
         "    tr.insertCell().textContent = v;\n"
         "  }\n"
         "  box.appendChild(t);\n"
         "  const p = document.createElement('p'); p.className = 'note';\n"
         "  p.textContent = 'Raw SIP text: not kept by the model (see frame ' + m.frame + ').';\n"
         "  box.appendChild(p);\n"
         "  document.querySelectorAll('g.message.selected').forEach(g => g.classList.remove('selected'));\n"
         "  document.querySelector('g.message[data-i=\"' + i + '\"]').classList.add('selected');\n"
         "}\n"
         "document.querySelectorAll('g.message').forEach(g => g.addEventListener('click', () => show(+g.dataset.i)));\n"
         "</script>\n</body>\n</html>\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
}

}  // namespace

int cmd_ladder(args a) {
  options o;
  if (auto rc = parse_args(a, o)) return *rc;

  // Kept: the chosen records (all that pass the filters without --call), and with --legs every
  // record, since a leg may be finished before the chosen one.
  std::set<std::uint64_t> want_index;
  std::set<std::string> want_id;
  for (const std::string& c : o.calls) (is_index(c) ? (void)want_index.insert(std::stoull(c)) : (void)want_id.insert(c));
  std::vector<cr::record> kept;
  run_result rr;
  ex::context ctx;   // what explain needs of the whole capture, for the verdicts
  run_extras x;
  x.diag = [&ctx](const capture::diag_event& e) { ex::add_loss(ctx, e); };
  const bool ok = run_capture(o.c, [&](cr::record&& r) {
    if (o.calls.empty() || o.legs || want_index.count(r.index) || want_id.count(r.call_id)) kept.push_back(std::move(r));
  }, rr, x);
  if (!ok || rr.io_error) return exit_usage;

  std::vector<const cr::record*> chosen;
  for (const cr::record& r : kept)
    if (o.calls.empty() || want_index.count(r.index) || want_id.count(r.call_id)) chosen.push_back(&r);
  if (o.legs) {
    std::set<std::string> base, ids;
    for (const cr::record* r : chosen) {
      base.insert(r->call_id);
      ids.insert(r->call_id);
      for (const std::string& l : r->legs) ids.insert(l);
    }
    chosen.clear();
    for (const cr::record& r : kept) {
      bool tied = ids.count(r.call_id) > 0;
      for (const std::string& l : r.legs) tied |= base.count(l) > 0;
      if (tied) chosen.push_back(&r);
    }
  }
  std::sort(chosen.begin(), chosen.end(), [](const cr::record* x, const cr::record* y) { return x->index < y->index; });

  if (chosen.empty()) {
    print_run_summary(o.c, rr, "no record drawn");
    std::fprintf(stderr, "sipscope ladder: no record matches%s (list them with 'sipscope calls --all FILE...')\n",
                 o.calls.empty() ? " the filters" : " --call");
    return exit_usage;
  }
  if (o.calls.empty() && chosen.size() > 1) {
    std::fprintf(stderr, "sipscope ladder: %zu records match; choose with --call INDEX (several merge):\n", chosen.size());
    for (std::size_t i = 0; i < chosen.size() && i < 10; ++i)
      std::fprintf(stderr, "  %s\n", record_title(*chosen[i]).c_str());
    if (chosen.size() > 10) std::fprintf(stderr, "  ...\n");
    return exit_usage;
  }
  if (!o.calls.empty()) {
    for (const std::string& c : o.calls) {
      bool found = std::any_of(chosen.begin(), chosen.end(), [&](const cr::record* r) {
        return is_index(c) ? r->index == std::stoull(c) : r->call_id == c;
      });
      if (!found)
        std::fprintf(stderr, "sipscope ladder: warning: --call %s matches no record (that passes the filters)\n", c.c_str());
    }
  }

  std::vector<ex::verdict> verdicts;
  if (o.evidence) {
    ctx.capture_end = rr.correlator.last_time;
    ctx.rtp_packets = rr.correlator.rtp_packets;
    for (const cr::record* r : chosen) verdicts.push_back(ex::explain(*r, ctx));
  }
  const ladder l = build(chosen, std::move(verdicts), o);
  if (o.c.format == "mermaid") print_mermaid(l);
  else if (o.c.format == "svg") print_svg(l);
  else if (o.c.format == "html") print_html(l, o);
  else print_text(l, o);
  std::fflush(stdout);
  print_run_summary(o.c, rr, std::to_string(chosen.size()) + (chosen.size() == 1 ? " record drawn, " : " records drawn, ") +
                                 std::to_string(l.rows.size()) + " messages");
  return apply_fail_on(o.c, chosen);
}

}  // namespace sipscope::cli
