// sipscope-bench calls: call and RTP statistics of a whole capture (issue 5). In one run, on one
// file: sipscope's capture pipeline + correlator in batch mode (records handed to a sink and
// dropped, as an export does), against
//   tshark -q -o rtp.heuristic_rtp:TRUE -z sip,stat -z rtp,streams -r FILE
// Each contender runs in its own process, so wall time, CPU time and peak RSS are its own.
// Targets (issue 5): sipscope at least 30x tshark's throughput, under 1/10 of its peak RSS.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "process.hpp"
#include "sipscope/capture/pipeline.hpp"
#include "sipscope/correlate/correlator.hpp"

namespace sipscope::bench {
namespace {

namespace pr = process;

const char* const calls_usage =
    R"(usage: sipscope-bench calls [--reps N] [--no-peers] FILE

Calls and RTP statistics of a whole capture, in one run: sipscope (capture pipeline +
correlator, batch mode: each finished record goes to a sink and is dropped) and
`tshark -q -o rtp.heuristic_rtp:TRUE -z sip,stat -z rtp,streams -r FILE` (when installed and
--no-peers is not given). Each runs in its own process: wall time, CPU time, peak RSS.
sipscope runs N times (default 3, median reported) after one untimed pass that puts the
file in the page cache; tshark runs once (it takes minutes on a large file).
Make a file with
  ../shared/bench/gen-capture -o /tmp/big.pcap --truth /tmp/big.json --size 1G --concurrency 200 --seed 3
)";

// The child: correlate the file, print "seconds records calls streams rtp_packets sip".
int child(const std::string& file) {
  const auto t = pr::clock_type::now();
  capture::pipeline p;
  p.add_file(file);
  correlate::correlator c;
  std::uint64_t records = 0, calls = 0, streams = 0;
  c.set_sink([&](correlate::record&& r) {
    ++records;
    calls += r.kind == correlate::record_kind::call;
    streams += r.streams.size();
  });
  if (!p.run(c)) {
    std::fprintf(stderr, "sipscope cannot read %s\n", file.c_str());
    return 1;
  }
  c.finish();
  std::printf("%.6f %llu %llu %llu %llu %llu\n", pr::since(t), static_cast<unsigned long long>(records),
              static_cast<unsigned long long>(calls), static_cast<unsigned long long>(streams),
              static_cast<unsigned long long>(c.stats().rtp_packets),
              static_cast<unsigned long long>(c.stats().sip_messages));
  return 0;
}

// Rows of tshark's "RTP Streams" table and its "Number of SIP messages".
void tshark_counts(const std::string& text, std::uint64_t& streams, long& sip) {
  streams = 0;
  sip = -1;
  auto p = text.find("Number of SIP messages: ");
  if (p != std::string::npos) sip = std::strtol(text.c_str() + p + 24, nullptr, 10);
  auto s = text.find("RTP Streams");
  if (s == std::string::npos) return;
  auto h = text.find('\n', text.find("Src IP addr", s));
  for (std::size_t i = h; i != std::string::npos && i + 1 < text.size();) {
    std::size_t e = text.find('\n', i + 1);
    std::string line = text.substr(i + 1, e == std::string::npos ? std::string::npos : e - i - 1);
    if (line.rfind("====", 0) == 0) break;
    if (line.find("0x") != std::string::npos) ++streams;
    i = e;
  }
}

}  // namespace

int run_calls(int argc, char** argv) {
  int reps = 3;
  bool peers = true;
  std::string file;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::cout << calls_usage;
      return 0;
    } else if (a == "--child" && i + 1 < argc) {
      return child(argv[i + 1]);
    } else if (a == "--reps" && i + 1 < argc) {
      reps = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--no-peers") {
      peers = false;
    } else if (!a.empty() && a[0] != '-' && file.empty()) {
      file = a;
    } else {
      std::cerr << "sipscope-bench calls: unexpected argument '" << a << "'\n" << calls_usage;
      return 2;
    }
  }
  if (file.empty()) {
    std::cerr << calls_usage;
    return 2;
  }
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(file, ec);
  if (ec) {
    std::cerr << "sipscope-bench calls: cannot stat " << file << "\n";
    return 2;
  }
  const double mb = double(bytes) / 1e6;
  const std::string self = std::filesystem::read_symlink("/proc/self/exe", ec).string();

  std::vector<double> secs;
  pr::run_output best;
  std::uint64_t records = 0, calls = 0, streams = 0, rtp = 0, sip = 0;
  const auto c0 = pr::sample_cpu();
  pr::spawn({self, "calls", "--child", file}, false);   // page cache
  std::vector<pr::run_output> runs;
  for (int r = 0; r < reps; ++r) {
    pr::run_output o = pr::spawn({self, "calls", "--child", file}, true, false);
    if (!o.ok) {
      std::cerr << "sipscope-bench calls: sipscope failed: " << o.note << "\n";
      return 1;
    }
    runs.push_back(o);
  }
  std::sort(runs.begin(), runs.end(), [](const auto& a, const auto& b) { return a.seconds < b.seconds; });
  const pr::run_output& med = runs[runs.size() / 2];
  unsigned long long v[6] = {};
  std::sscanf(med.text.c_str(), "%*f %llu %llu %llu %llu %llu", &v[1], &v[2], &v[3], &v[4], &v[5]);
  records = v[1], calls = v[2], streams = v[3], rtp = v[4], sip = v[5];
  long peak_rss = 0;
  for (const auto& o : runs) peak_rss = std::max(peak_rss, o.rss_kb);

  pr::run_output ts;
  std::uint64_t ts_streams = 0;
  long ts_sip = -1;
  if (peers) {
    ts = pr::spawn({"tshark", "-q", "-o", "rtp.heuristic_rtp:TRUE", "-z", "sip,stat", "-z", "rtp,streams", "-r", file},
                   true);
    if (ts.ok) tshark_counts(ts.text, ts_streams, ts_sip);
  }
  const auto c1 = pr::sample_cpu();

  std::printf("sipscope-bench calls: %s, %.1f MB; sipscope median of %d runs (wall time fork to exit), "
              "tshark once\n", file.c_str(), mb, reps);
  std::printf("machine busy %.0f%% on average during the run (%ld CPUs)\n", pr::busy_percent(c0, c1),
              sysconf(_SC_NPROCESSORS_ONLN));
  std::printf("%-10s %10s %9s %9s %11s  %s\n", "tool", "seconds", "MB/s", "cpu s", "peak RSS MB", "found");
  std::printf("%-10s %10.2f %9.1f %9.2f %11.1f  %llu records, %llu calls, %llu RTP streams, %llu RTP packets, "
              "%llu SIP messages\n", "sipscope", med.seconds, mb / med.seconds, med.cpu, double(peak_rss) / 1024,
              (unsigned long long)records, (unsigned long long)calls, (unsigned long long)streams,
              (unsigned long long)rtp, (unsigned long long)sip);
  if (peers && ts.ok) {
    std::printf("%-10s %10.2f %9.1f %9.2f %11.1f  %llu RTP streams, %ld SIP messages\n", "tshark", ts.seconds,
                mb / ts.seconds, ts.cpu, double(ts.rss_kb) / 1024, (unsigned long long)ts_streams, ts_sip);
    const double speed = ts.seconds / med.seconds;
    const double mem = double(ts.rss_kb) / double(std::max(1L, peak_rss));
    std::printf("ratios: throughput %.1fx tshark (target >= 30x: %s), peak RSS 1/%.1f of tshark's "
                "(target > 10: %s)\n", speed, speed >= 30 ? "met" : "NOT met", mem, mem > 10 ? "met" : "NOT met");
    // CPU seconds (user + system) depend less on what else the machine runs than wall time.
    std::printf("CPU-time ratio: %.1fx (tshark %.2f s, sipscope %.2f s)\n", ts.cpu / std::max(1e-9, med.cpu),
                ts.cpu, med.cpu);
  } else if (peers) {
    std::printf("tshark: %s\n", ts.note.c_str());
  }
  return 0;
}

}  // namespace sipscope::bench
