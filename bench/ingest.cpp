// sipscope-bench ingest: capture ingestion throughput (issue 4). In one run, on one file:
//   (a) a bare libpcap loop (pcap_open_offline + pcap_next_ex, touching each record),
//   (b) sipscope ingestion (capture::pipeline, every SIP message and UDP datagram delivered),
//   (c) tshark -r F -Y sip -T fields -e frame.number, (d) sngrep -N -q -I F, when installed.
// (a) and (b) run --reps times, alternated, and the best is reported; the peers run once.
#include <pcap/pcap.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "sipscope/capture/pipeline.hpp"

namespace sipscope::bench {
namespace {

using clock_type = std::chrono::steady_clock;

const char* const ingest_usage =
    R"(usage: sipscope-bench ingest [--reps N] [--no-peers] FILE

Reads FILE (pcap/pcapng) with (a) a bare pcap_next_ex loop, (b) sipscope's capture pipeline,
and, when they are installed and --no-peers is not given, (c) tshark -Y sip and (d) sngrep
-N -q -I; prints MB/s and packets/s for each, peak RSS, and the ratios. Run it on a file in the
page cache (the first repetition warms it). Make one with
  ../shared/bench/gen-capture -o /tmp/x.pcap --truth /tmp/x.json --size 200M --seed 1
)";

struct result {
  std::string name;
  double seconds = 0;
  std::uint64_t packets = 0;
  std::uint64_t found = 0;     // SIP messages (or frames) reported
  long rss_kb = 0;
  bool ran = false;
  std::string note;
};

result named(std::string name, std::string note = {}) {
  result r;
  r.name = std::move(name);
  r.note = std::move(note);
  return r;
}

double since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

result bare_loop(const std::string& file) {
  result r = named("libpcap loop");
  char err[PCAP_ERRBUF_SIZE];
  auto t = clock_type::now();
  pcap_t* p = pcap_open_offline_with_tstamp_precision(file.c_str(), PCAP_TSTAMP_PRECISION_NANO, err);
  if (!p) {
    r.note = err;
    return r;
  }
  pcap_pkthdr* h;
  const u_char* d;
  std::uint64_t sum = 0;
  while (pcap_next_ex(p, &h, &d) == 1) {
    ++r.packets;
    sum += h->caplen + (h->caplen ? d[0] : 0);
  }
  pcap_close(p);
  r.seconds = since(t);
  r.found = sum & 1;   // keeps the loop honest
  r.ran = true;
  return r;
}

struct counting : capture::handler {
  std::uint64_t sip = 0, udp = 0, bytes = 0;
  void on_sip(const capture::sip_event& e) override { ++sip; bytes += e.bytes.size(); }
  void on_udp(const capture::udp_event& e) override { ++udp; bytes += e.payload.size(); }
};

result sipscope_ingest(const std::string& file) {
  result r = named("sipscope");
  auto t = clock_type::now();
  capture::pipeline p;
  p.add_file(file);
  counting c;
  if (!p.run(c)) {
    r.note = "cannot read";
    return r;
  }
  r.seconds = since(t);
  r.packets = p.stats().frames;
  r.found = c.sip;
  r.ran = true;
  return r;
}

bool in_path(const char* tool) {
  std::string cmd = "command -v ";
  cmd.append(tool);
  cmd.append(" >/dev/null 2>&1");
  return std::system(cmd.c_str()) == 0;
}

// Runs a peer with stdout to a pipe (counting lines) and measures its wall time and peak RSS.
result peer(const std::string& name, std::vector<std::string> argv) {
  result r = named(name);
  int fds[2];
  if (pipe(fds) != 0) return r;
  auto t = clock_type::now();
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> a;
    for (auto& s : argv) a.push_back(s.data());
    a.push_back(nullptr);
    execvp(a[0], a.data());
    _exit(127);
  }
  close(fds[1]);
  char buf[65536];
  ssize_t n;
  std::uint64_t lines = 0;
  while ((n = read(fds[0], buf, sizeof buf)) > 0)
    for (ssize_t i = 0; i < n; ++i) lines += buf[i] == '\n';
  close(fds[0]);
  int status = 0;
  rusage ru{};
  wait4(pid, &status, 0, &ru);
  r.seconds = since(t);
  r.rss_kb = ru.ru_maxrss;
  r.found = lines;
  r.ran = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!r.ran) r.note = "exit status " + std::to_string(WEXITSTATUS(status));
  return r;
}

}  // namespace

int run_ingest(int argc, char** argv) {
  int reps = 3;
  bool peers = true;
  std::string file;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::cout << ingest_usage;
      return 0;
    } else if (a == "--reps" && i + 1 < argc) {
      reps = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--no-peers") {
      peers = false;
    } else if (!a.empty() && a[0] != '-' && file.empty()) {
      file = a;
    } else {
      std::cerr << "sipscope-bench ingest: unexpected argument '" << a << "'\n" << ingest_usage;
      return 2;
    }
  }
  if (file.empty()) {
    std::cerr << ingest_usage;
    return 2;
  }
  struct stat st {};
  if (stat(file.c_str(), &st) != 0) {
    std::cerr << "sipscope-bench ingest: cannot stat " << file << "\n";
    return 1;
  }
  double mb = double(st.st_size) / 1e6;

  result best_bare, best_ss;
  for (int i = 0; i < reps; ++i) {
    result b = bare_loop(file);
    result s = sipscope_ingest(file);
    if (!b.ran || !s.ran) {
      std::cerr << "sipscope-bench ingest: " << (b.ran ? s.note : b.note) << "\n";
      return 1;
    }
    if (!best_bare.ran || b.seconds < best_bare.seconds) best_bare = b;
    if (!best_ss.ran || s.seconds < best_ss.seconds) best_ss = s;
  }
  rusage self{};
  getrusage(RUSAGE_SELF, &self);
  best_bare.rss_kb = best_ss.rss_kb = self.ru_maxrss;   // of this process (both loops)

  std::vector<result> rows = {best_bare, best_ss};
  if (peers) {
    if (in_path("tshark"))
      rows.push_back(peer("tshark -Y sip", {"tshark", "-r", file, "-Y", "sip", "-T", "fields", "-e", "frame.number"}));
    else
      rows.push_back(named("tshark -Y sip", "not installed"));
    if (in_path("sngrep"))
      rows.push_back(peer("sngrep -N -q -I", {"sngrep", "-N", "-q", "-I", file}));
    else
      rows.push_back(named("sngrep -N -q -I", "not installed"));
  }

  std::printf("sipscope-bench ingest: %s, %.1f MB, %llu packets, best of %d for (a) and (b)\n", file.c_str(), mb,
              static_cast<unsigned long long>(best_bare.packets), reps);
  std::printf("%-18s %10s %12s %10s %12s %10s\n", "reader", "MB/s", "packets/s", "seconds", "SIP found", "RSS MB");
  for (const result& r : rows) {
    if (!r.ran) {
      std::printf("%-18s %s\n", r.name.c_str(), r.note.c_str());
      continue;
    }
    std::uint64_t pk = r.packets ? r.packets : best_bare.packets;
    std::printf("%-18s %10.1f %12.0f %10.3f %12llu %10.1f\n", r.name.c_str(), mb / r.seconds, double(pk) / r.seconds,
                r.seconds, static_cast<unsigned long long>(r.name == "libpcap loop" ? 0 : r.found), double(r.rss_kb) / 1024);
  }
  std::printf("sipscope / libpcap loop: %.0f%% of its throughput\n", 100.0 * best_bare.seconds / best_ss.seconds);
  for (std::size_t i = 2; i < rows.size(); ++i)
    if (rows[i].ran) std::printf("sipscope / %s: %.1fx\n", rows[i].name.c_str(), rows[i].seconds / best_ss.seconds);
  return 0;
}

}  // namespace sipscope::bench
