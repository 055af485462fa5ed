// sipscope extract: the original frames of chosen calls in a new capture file, to send a
// colleague only the call at hand. Which frames is read from the model: the frame reference of
// each SIP message (message_entry::frame) and each RTP stream's addresses and time span
// (stream_info); a second pass of the capture pipeline finds the datagrams between those
// addresses, and a third reads the frames themselves with capture::reader (frame_ref numbers
// are its numbers). Selecting by addresses the model gives is presentation, not protocol logic.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "commands.hpp"
#include "common.hpp"
#include "sipscope/capture/reader.hpp"

namespace sipscope::cli {
namespace {

constexpr std::string_view extract_usage_head =
    "usage: sipscope extract [OPTIONS] --call ID|INDEX... -o OUT FILE...\n"
    "\n"
    "Write the original frames of the chosen calls to a new capture: every SIP message the\n"
    "call's record indexes (requests, responses, retransmissions) and every RTP and RTCP packet\n"
    "of its streams, in time order, byte for byte, with their original link type and\n"
    "timestamps. The output is pcap when all frames share one link type, else pcapng (one\n"
    "interface per link type). Without --call, the records the filters leave are written (at\n"
    "least one filter is then needed).\n"
    "\n"
    "What is included:\n"
    "  - SIP: every frame of each message the record indexes, all the IP fragments or TCP\n"
    "    segments of a message that came in several (up to 8 per message; beyond, the first\n"
    "    8). A frame carrying messages of several calls (TCP) is written whole. Messages\n"
    "    beyond the correlator's per-record cap are not indexed and not written.\n"
    "  - RTP: UDP datagrams from a stream's source to its destination between its first and\n"
    "    last packet; RTCP: datagrams between the ports one above (both directions), from the\n"
    "    call's first message to 5 s after its last message or packet. Streams no SIP named\n"
    "    (shown by 'sipscope rtp' without a call) are not written.\n"
    "  - Not included: DNS, ICMP, TCP handshakes and acknowledgements, anything not indexed\n"
    "    (the output starts TCP connections mid-stream: a message whose segments were captured\n"
    "    out of order may not be reassembled again by a reader of the output).\n"
    "\n"
    "Options:\n"
    "  --call ID|INDEX     the record with this Call-ID, or this index (the # of 'sipscope\n"
    "                      calls'); comma-separated or repeated\n"
    "  --legs              also the records the correlator ties to the chosen ones (B2BUA\n"
    "                      legs, transfers)\n"
    "  -o, --output OUT    the capture to write ('-' writes stdout)\n"
    "  --no-media          SIP frames only, no RTP/RTCP\n"
    "  -h, --help          this text\n"
    "\n";

constexpr std::string_view extract_usage_tail =
    "\n"
    "The inputs are read three times (the call, its datagrams, its frames): stdin cannot be\n"
    "one of them.\n"
    "\n"
    "Exit status: 0 success, 1 a --fail-on condition matched, 2 usage or I/O error (also when\n"
    "no record matches).\n"
    "\n"
    "Examples:\n"
    "  sipscope extract --call 3 -o call3.pcap trace.pcap\n"
    "  sipscope extract --call a84b4c76e66710@pc33.example.com -o call.pcap ring-*.pcap.gz\n"
    "  sipscope extract --status 5xx --since 10:00:00 -o failed.pcap trace.pcapng\n"
    "  sipscope extract --call 1 -o - trace.pcap | tshark -r - -Y sip\n";

struct options {
  common_options c;
  std::vector<std::string> calls;
  std::string output;
  bool legs = false;
  bool media = true;
};

std::optional<int> parse_args(args a, options& o) {
  o.c.command = "extract";
  arg_cursor c(a);
  std::string v, err;
  while (!c.done()) {
    if (c.flag("-h") || c.flag("--help")) {
      std::fwrite(extract_usage_head.data(), 1, extract_usage_head.size(), stdout);
      std::fwrite(common_usage.data(), 1, common_usage.size(), stdout);
      std::fwrite(extract_usage_tail.data(), 1, extract_usage_tail.size(), stdout);
      return exit_ok;
    }
    if (c.flag("--legs")) { o.legs = true; continue; }
    if (c.flag("--no-media")) { o.media = false; continue; }
    if (c.option("-o", v, err) || c.option("--output", v, err)) {
      if (!err.empty()) return usage_error(o.c, err);
      o.output = v;
      continue;
    }
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
  if (!o.c.format.empty()) return usage_error(o.c, "--format does not apply: the output is a capture (pcap or pcapng)");
  if (o.output.empty()) return usage_error(o.c, "no output given (-o OUT.pcap, or -o - for stdout)");
  if (!finish_common(o.c)) return exit_usage;
  if (std::find(o.c.files.begin(), o.c.files.end(), "-") != o.c.files.end())
    return usage_error(o.c, "stdin ('-') cannot be an input: extract reads its inputs three times (save it to a file first)");
  const filters& f = o.c.f;
  const bool filtered = !f.call_ids.empty() || !f.from.empty() || !f.to.empty() || !f.user.empty() ||
                        !f.states.empty() || !f.statuses.empty() || f.since || f.until || !f.hosts.empty() || f.match;
  if (o.calls.empty() && !filtered)
    return usage_error(o.c, "choose the calls: --call ID|INDEX (see 'sipscope calls FILE'), or a filter such as --status 5xx");
  return std::nullopt;
}

bool is_index(const std::string& s) {
  return !s.empty() && s.size() < 19 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

using frame_key = std::pair<std::uint32_t, std::uint64_t>;   // file, frame number

// Addresses and time span of one wanted flow (RTP of a stream, or RTCP between the ports one
// above, in either direction).
struct flow {
  capture::endpoint src, dst;
  cr::timestamp_ns from = 0, to = 0;
  bool both_ways = false;
};

// Pass 2: the frames of the wanted SIP messages and flows.
class selector : public capture::handler {
 public:
  selector(const std::set<frame_key>& sip, const std::vector<flow>& flows) : sip_(sip), flows_(flows) {}
  void on_sip(const capture::sip_event& e) override {
    if (sip_.count({e.frame.file, e.frame.number})) chosen.insert({e.frame.file, e.frame.number});
  }
  void on_udp(const capture::udp_event& e) override {
    for (const flow& f : flows_) {
      if (e.time < f.from || e.time > f.to) continue;
      if ((e.src == f.src && e.dst == f.dst) || (f.both_ways && e.src == f.dst && e.dst == f.src)) {
        chosen.insert({e.frame.file, e.frame.number});
        return;
      }
    }
  }
  std::set<frame_key> chosen;

 private:
  const std::set<frame_key>& sip_;
  const std::vector<flow>& flows_;
};

struct quiet_handler : capture::handler {};

struct frame_copy {
  cr::timestamp_ns time = 0;
  frame_key key;
  int linktype = 0;
  std::uint32_t origlen = 0;
  std::string bytes;
};

// ---- writers ---------------------------------------------------------------------------------

void put32(std::string& s, std::uint32_t v) { s.append(reinterpret_cast<const char*>(&v), 4); }
void put16(std::string& s, std::uint16_t v) { s.append(reinterpret_cast<const char*>(&v), 2); }

// Classic pcap (host byte order, as libpcap writes it), µs or ns timestamps.
std::string pcap_file(const std::vector<frame_copy>& frames, int linktype) {
  const bool ns = std::any_of(frames.begin(), frames.end(), [](const frame_copy& f) { return f.time % 1000 != 0; });
  std::string out;
  put32(out, ns ? 0xa1b23c4d : 0xa1b2c3d4);
  put16(out, 2);
  put16(out, 4);
  put32(out, 0);
  put32(out, 0);
  put32(out, 262144);
  put32(out, static_cast<std::uint32_t>(linktype));
  for (const frame_copy& f : frames) {
    std::int64_t sec = f.time / 1'000'000'000, frac = f.time % 1'000'000'000;
    if (frac < 0) { frac += 1'000'000'000; --sec; }
    put32(out, static_cast<std::uint32_t>(sec));
    put32(out, static_cast<std::uint32_t>(ns ? frac : frac / 1000));
    put32(out, static_cast<std::uint32_t>(f.bytes.size()));
    put32(out, std::max<std::uint32_t>(f.origlen, static_cast<std::uint32_t>(f.bytes.size())));
    out += f.bytes;
  }
  return out;
}

// pcapng: SHB, one IDB per link type (if_tsresol 9: ns), one EPB per frame.
std::string pcapng_file(const std::vector<frame_copy>& frames) {
  std::string out;
  put32(out, 0x0A0D0D0A);
  put32(out, 28);
  put32(out, 0x1A2B3C4D);
  put16(out, 1);
  put16(out, 0);
  put32(out, 0xFFFFFFFF);   // section length unknown (-1)
  put32(out, 0xFFFFFFFF);
  put32(out, 28);
  std::map<int, std::uint32_t> iface;
  for (const frame_copy& f : frames) {
    if (iface.count(f.linktype)) continue;
    const auto id = static_cast<std::uint32_t>(iface.size());
    iface[f.linktype] = id;
    put32(out, 1);
    put32(out, 32);
    put16(out, static_cast<std::uint16_t>(f.linktype));
    put16(out, 0);
    put32(out, 262144);
    put16(out, 9);   // if_tsresol
    put16(out, 1);
    out += '\x09';
    out.append(3, '\0');
    put32(out, 0);   // opt_endofopt
    put32(out, 32);
  }
  for (const frame_copy& f : frames) {
    const auto len = static_cast<std::uint32_t>(f.bytes.size());
    const std::uint32_t padded = (len + 3) & ~3u;
    const std::uint32_t total = 32 + padded;
    const auto t = static_cast<std::uint64_t>(f.time);
    put32(out, 6);
    put32(out, total);
    put32(out, iface[f.linktype]);
    put32(out, static_cast<std::uint32_t>(t >> 32));
    put32(out, static_cast<std::uint32_t>(t));
    put32(out, len);
    put32(out, std::max(f.origlen, len));
    out += f.bytes;
    out.append(padded - len, '\0');
    put32(out, total);
  }
  return out;
}

}  // namespace

int cmd_extract(args a) {
  options o;
  if (auto rc = parse_args(a, o)) return *rc;

  // Pass 1: the records.
  std::set<std::uint64_t> want_index;
  std::set<std::string> want_id;
  for (const std::string& c : o.calls) (is_index(c) ? (void)want_index.insert(std::stoull(c)) : (void)want_id.insert(c));
  std::vector<cr::record> kept;
  run_result rr;
  const bool ok = run_capture(o.c, [&](cr::record&& r) {
    if (o.calls.empty() || o.legs || want_index.count(r.index) || want_id.count(r.call_id)) kept.push_back(std::move(r));
  }, rr);
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
  for (const std::string& c : o.calls) {
    bool found = std::any_of(chosen.begin(), chosen.end(), [&](const cr::record* r) {
      return is_index(c) ? r->index == std::stoull(c) : r->call_id == c;
    });
    if (!found)
      std::fprintf(stderr, "sipscope extract: warning: --call %s matches no record (that passes the filters)\n", c.c_str());
  }
  if (chosen.empty()) {
    print_run_summary(o.c, rr, "nothing written");
    std::fprintf(stderr, "sipscope extract: no record matches%s (list them with 'sipscope calls --all FILE...')\n",
                 o.calls.empty() ? " the filters" : " --call");
    return exit_usage;
  }

  // What to look for in pass 2.
  std::set<frame_key> sip;
  std::vector<flow> flows;
  std::uint32_t dropped = 0;
  for (const cr::record* r : chosen) {
    dropped += r->dropped_messages;
    for (const cr::message_entry& m : r->messages) {
      sip.insert({m.frame.file, m.frame.number});
      for (const cr::frame_ref& f : m.pieces) sip.insert({f.file, f.number});
    }
    if (!o.media) continue;
    cr::timestamp_ns lo = r->first_time, hi = r->last_time;
    for (const cr::stream_info& s : r->streams) {
      flows.push_back({s.src, s.dst, s.start, s.end, false});
      lo = std::min(lo, s.start);
      hi = std::max(hi, s.end);
    }
    for (const cr::stream_info& s : r->streams) {
      if (s.src.port == 65535 || s.dst.port == 65535) continue;
      capture::endpoint a = s.src, b = s.dst;
      ++a.port;
      ++b.port;
      flows.push_back({a, b, lo, hi + 5'000'000'000, true});
    }
  }

  // Pass 2: the frames.
  selector sel(sip, flows);
  {
    capture::pipeline_options po;
    po.filter = o.c.bpf;
    capture::pipeline p(po);
    for (const std::string& f : o.c.files) p.add_file(f);
    std::string err;
    if (!p.ready(err) || !p.run(sel)) {
      std::fprintf(stderr, "sipscope extract: the inputs could not be read again: %s\n", err.c_str());
      return exit_usage;
    }
  }
  // SIP frames the second pass did not see as events (e.g. a TCP frame the model references
  // while the stream hook emits the message on a later one) are still written.
  std::set<frame_key> want = sel.chosen;
  want.insert(sip.begin(), sip.end());

  // Pass 3: the bytes.
  std::vector<frame_copy> frames;
  for (std::uint32_t i = 0; i < o.c.files.size(); ++i) {
    auto lo = want.lower_bound({i, 0});
    if (lo == want.end() || lo->first != i) continue;
    quiet_handler qh;
    capture::reader rd;
    if (!rd.open_file(o.c.files[i], i, qh)) {
      std::fprintf(stderr, "sipscope extract: cannot read '%s' again\n", o.c.files[i].c_str());
      return exit_usage;
    }
    capture::record rec;
    while (rd.next(rec, qh)) {
      if (!want.count({i, rec.frame.number})) continue;
      frame_copy f;
      f.time = rec.time;
      f.key = {i, rec.frame.number};
      f.linktype = rec.linktype;
      f.origlen = rec.origlen;
      f.bytes.assign(reinterpret_cast<const char*>(rec.data), rec.caplen);
      frames.push_back(std::move(f));
    }
  }
  std::stable_sort(frames.begin(), frames.end(), [](const frame_copy& x, const frame_copy& y) {
    return std::tie(x.time, x.key) < std::tie(y.time, y.key);
  });
  std::set<int> linktypes;
  for (const frame_copy& f : frames) linktypes.insert(f.linktype);
  const bool ng = linktypes.size() > 1;
  const std::string bytes = ng ? pcapng_file(frames) : pcap_file(frames, linktypes.empty() ? 1 : *linktypes.begin());

  std::FILE* out = o.output == "-" ? stdout : std::fopen(o.output.c_str(), "wb");
  if (!out) {
    std::fprintf(stderr, "sipscope extract: cannot write '%s': %s (check the directory exists and may be written)\n",
                 o.output.c_str(), std::strerror(errno));
    return exit_usage;
  }
  const bool written = std::fwrite(bytes.data(), 1, bytes.size(), out) == bytes.size();
  const bool closed = out == stdout ? std::fflush(out) == 0 : std::fclose(out) == 0;
  if (!written || !closed) {
    std::fprintf(stderr, "sipscope extract: writing '%s' failed: %s\n", o.output.c_str(), std::strerror(errno));
    return exit_usage;
  }

  std::size_t sip_frames = 0;
  for (const frame_copy& f : frames) sip_frames += sip.count(f.key);
  std::string what = std::to_string(chosen.size());
  what += chosen.size() == 1 ? " record, " : " records, ";
  what += std::to_string(frames.size());
  what += " frames written (";
  what += std::to_string(sip_frames);
  what += " SIP, ";
  what += std::to_string(frames.size() - sip_frames);
  what += " RTP/RTCP) to ";
  what += o.output == "-" ? std::string("stdout") : o.output;
  what += ng ? " as pcapng (link types differ)" : " as pcap";
  print_run_summary(o.c, rr, what);
  if (dropped && !o.c.quiet)
    std::fprintf(stderr, "sipscope extract: warning: %u messages beyond the per-record cap were not indexed and are not written\n",
                 dropped);
  return apply_fail_on(o.c, chosen);
}

}  // namespace sipscope::cli
