// sipscope live: capture on an interface and print each record as the correlator hands it
// over (once it is over and has lingered: --linger). Ctrl-C (SIGINT) or SIGTERM stops the
// pipeline; what is still in progress is then finished and printed, with the summary and the
// packets the kernel dropped.
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "commands.hpp"
#include "common.hpp"
#include "sipscope/correlate/json.hpp"
#include "sipscope/json_writer.hpp"

namespace sipscope::cli {
namespace {

constexpr std::string_view live_usage_head =
    "usage: sipscope live -i IFACE [OPTIONS]\n"
    "\n"
    "Capture SIP and RTP on a network interface and print each call when it is over: one\n"
    "line per call, or one JSON object per line (--format jsonl, the records of 'sipscope calls\n"
    "--format json'). A call is printed --linger seconds after its end (so that late\n"
    "retransmissions and the BYE's response still belong to it); Ctrl-C prints the calls still\n"
    "in progress, then the summary and the packets the kernel dropped. Capturing needs root or\n"
    "the CAP_NET_RAW capability.\n"
    "\n"
    "Options:\n"
    "  -i, --interface IF  the interface to capture on (e.g. eth0, lo, any)\n"
    "  --snaplen N         bytes kept of each packet (default 262144)\n"
    "  --promisc           put the interface in promiscuous mode\n"
    "  --buffer-size N     the kernel capture buffer in bytes (default: libpcap's); raise it\n"
    "                      when the summary reports drops\n"
    "  --linger SECONDS    how long a finished call waits for late messages before it is\n"
    "                      printed (default 2; the correlator's own default is 32, 64*T1)\n"
    "  --format table      one aligned line per record (default)\n"
    "  --format jsonl      one JSON record per line, flushed at once (for pipes)\n"
    "  --all, --kind KINDS also registrations, OPTIONS... (as 'sipscope calls')\n"
    "  -h, --help          this text\n"
    "\n"
    "(--db, to record the calls in a store, comes with the store: not available yet.)\n"
    "\n";

constexpr std::string_view live_usage_tail =
    "\n"
    "Exit status: 0 success, 1 a --fail-on condition matched by a printed record, 2 usage\n"
    "error or the interface cannot be opened.\n"
    "\n"
    "Examples:\n"
    "  sudo sipscope live -i eth0\n"
    "  sudo sipscope live -i any -f 'udp port 5060 or udp portrange 10000-20000'\n"
    "  sudo sipscope live -i eth0 --format jsonl | jq -c 'select(.state != \"completed\")'\n";

struct options {
  common_options c;
  std::string iface;
  capture::live_options live;
  double linger_s = 2;
};

bool parse_int(const std::string& v, int lo, int hi, int& out) {
  char* end = nullptr;
  long n = std::strtol(v.c_str(), &end, 10);
  if (v.empty() || *end || n < lo || n > hi) return false;
  out = static_cast<int>(n);
  return true;
}

std::optional<int> parse_args(args a, options& o) {
  o.c.command = "live";
  o.c.default_kinds = {cr::record_kind::call};
  arg_cursor c(a);
  std::string v, err;
  while (!c.done()) {
    if (c.flag("-h") || c.flag("--help")) {
      std::fwrite(live_usage_head.data(), 1, live_usage_head.size(), stdout);
      std::fwrite(common_usage.data(), 1, common_usage.size(), stdout);
      std::fwrite(live_usage_tail.data(), 1, live_usage_tail.size(), stdout);
      return exit_ok;
    }
    if (c.flag("--promisc")) { o.live.promisc = true; continue; }
    if (c.option("-i", v, err) || c.option("--interface", v, err)) {
      if (!err.empty()) return usage_error(o.c, err);
      o.iface = v;
      continue;
    }
    if (c.option("--snaplen", v, err)) {
      if (!err.empty()) return usage_error(o.c, err);
      if (!parse_int(v, 64, 262144, o.live.snaplen)) return usage_error(o.c, "bad --snaplen '" + v + "' (64 to 262144)");
      continue;
    }
    if (c.option("--buffer-size", v, err)) {
      if (!err.empty()) return usage_error(o.c, err);
      if (!parse_int(v, 0, 1 << 30, o.live.buffer_size)) return usage_error(o.c, "bad --buffer-size '" + v + "' (bytes, up to 1 GiB)");
      continue;
    }
    if (c.option("--linger", v, err)) {
      if (!err.empty()) return usage_error(o.c, err);
      char* end = nullptr;
      o.linger_s = std::strtod(v.c_str(), &end);
      if (v.empty() || *end || !(o.linger_s >= 0 && o.linger_s <= 86400))
        return usage_error(o.c, "bad --linger '" + v + "' (seconds, 0 to 86400)");
      continue;
    }
    if (c.name() == "--db")
      return usage_error(o.c, "--db is not available yet (it comes with the store); pipe --format jsonl instead");
    std::string_view s = c.current();
    if (s == "-" || !s.starts_with("-"))
      return usage_error(o.c, "live reads an interface, not files ('" + std::string(s) + "'): use -i IFACE, or 'sipscope calls FILE'");
    switch (parse_common(c, o.c)) {
      case parsed::mine: continue;
      case parsed::error: return exit_usage;
      case parsed::not_mine: break;
    }
    return usage_error(o.c, "unknown option '" + std::string(c.current()) + "'");
  }
  if (o.c.format.empty()) o.c.format = "table";
  if (o.c.format != "table" && o.c.format != "jsonl")
    return usage_error(o.c, "unknown format '" + o.c.format + "' (table or jsonl)");
  if (o.iface.empty()) return usage_error(o.c, "no interface given (-i IFACE; 'ip link' lists them)");
  o.c.files = {o.iface};   // messages name the interface where they would name the file
  return std::nullopt;
}

std::atomic<capture::pipeline*> running{nullptr};

extern "C" void on_signal(int) {
  if (capture::pipeline* p = running.load()) p->stop();
}

std::string line_of(const cr::record& r) {
  std::string s = utc_time(r.first_time, true);
  s += "  #";
  s += std::to_string(r.index);
  s += ' ';
  s += cr::to_string(r.kind);
  s += ' ';
  s += state_text(r);
  if (r.final_status) {
    s += ' ';
    s += std::to_string(r.final_status);
  }
  s += "  ";
  s += printable(r.caller.uri.empty() ? std::string("-") : r.caller.uri);
  s += " -> ";
  s += printable(r.callee.uri.empty() ? std::string("-") : r.callee.uri);
  if (r.kind == cr::record_kind::call) {
    s += "  pdd ";
    s += ms_text(r.post_dial_delay_ms());
    s += "  talk ";
    s += ms_text(r.talk_ms());
  }
  s += "  ";
  s += std::to_string(r.sip_messages);
  s += " msgs";
  const stream_worst w = worst_streams(r);
  if (w.any) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "  %zu streams, loss %.1f%%, jitter %.1f ms", r.streams.size(), w.loss_percent, w.jitter_ms);
    s += buf;
    if (w.mos > 0) {
      std::snprintf(buf, sizeof buf, ", MOS %.2f", w.mos);
      s += buf;
    }
  }
  for (const cr::finding& f : r.findings) {
    s += "  [";
    s += printable(f.kind);
    s += ']';
  }
  s += "  Call-ID ";
  s += printable(r.call_id);
  return s;
}

}  // namespace

int cmd_live(args a) {
  options o;
  if (auto rc = parse_args(a, o)) return *rc;

  run_extras x;
  x.interface = o.iface;
  x.live = o.live;
  x.correlator.linger = static_cast<cr::timestamp_ns>(o.linger_s * 1e9);
  x.running = [](capture::pipeline* p) { running.store(p); };
  struct sigaction sa{};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;   // no SA_RESTART: the capture's poll returns at once
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  std::uint64_t printed = 0, failed = 0;
  std::string why;
  run_result rr;
  const bool ok = run_capture(o.c, [&](cr::record&& r) {
    ++printed;
    if (o.c.format == "jsonl") {
      json_writer w(false);
      cr::json_options jo;
      jo.messages = false;
      cr::write_json(w, r, jo);
      std::fwrite(w.str().data(), 1, w.str().size(), stdout);
      std::fputc('\n', stdout);
    } else {
      std::printf("%s\n", line_of(r).c_str());
    }
    std::fflush(stdout);
    if (!o.c.fail_on.empty() && fails(o.c.fail_on, r, why)) {
      ++failed;
      if (!o.c.quiet)
        std::fprintf(stderr, "sipscope live: --fail-on: record %llu (Call-ID %s): %s\n",
                     static_cast<unsigned long long>(r.index), printable(r.call_id).c_str(), why.c_str());
    }
  }, rr, x);
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  if (!ok || rr.io_error) {
    std::fprintf(stderr, "sipscope live: capturing on '%s' needs root or CAP_NET_RAW (sudo, or 'setcap cap_net_raw+ep' on the binary), and an existing interface ('ip link' lists them)\n",
                 o.iface.c_str());
    return exit_usage;
  }
  std::string what = std::to_string(printed);
  what += printed == 1 ? " record printed; " : " records printed; ";
  what += std::to_string(rr.pipeline.dropped_by_kernel);
  what += " packets dropped by the kernel or interface";
  if (rr.pipeline.dropped_by_kernel) what += " (raise --buffer-size, or narrow -f)";
  print_run_summary(o.c, rr, what);
  return failed ? exit_findings : exit_ok;
}

}  // namespace sipscope::cli
