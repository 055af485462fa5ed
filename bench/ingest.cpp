// sipscope-bench ingest: capture ingestion throughput (issue 4). In one run, on each file:
//   (a) a bare libpcap loop (pcap_open_offline + pcap_next_ex, touching each record),
//   (a2) the same loop on a FILE* given the 256 KiB stdio buffer sipscope's reader uses,
//   (b) sipscope ingestion (capture::pipeline, every SIP message and UDP datagram delivered),
//   (c) tshark -r F -Y sip -T fields -e frame.number, (d) sngrep -N -q -I F, when installed.
// Every reader runs in a child process of its own (this binary again, `--child`), so that each
// one's peak RSS is its own (wait4's ru_maxrss). (a), (a2) and (b) run --reps times, alternated;
// the median and the best are reported. The peers run once. /proc/stat is sampled around each
// phase to say how busy the machine was.
#include <pcap/pcap.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "sipscope/capture/pipeline.hpp"

namespace sipscope::bench {
namespace {

using clock_type = std::chrono::steady_clock;

const char* const ingest_usage =
    R"(usage: sipscope-bench ingest [--reps N] [--no-peers] FILE...

Reads each FILE (pcap/pcapng) with (a) a bare pcap_next_ex loop, (a2) the same loop with the
256 KiB stdio buffer sipscope's reader gives libpcap, (b) sipscope's capture pipeline, and,
when they are installed and --no-peers is not given, (c) tshark -Y sip and (d) sngrep -N -q -I;
prints MB/s (10^6 bytes of file), packets/s, peak RSS of each (its own process), how busy the
machine was, and the ratios against the issue's targets. (a), (a2) and (b)
run N times alternated (default 5; median and best), after one untimed pass that puts the
file in the page cache; the peers run once. With several files, also the flatness of (b)'s
throughput per byte across them. Make a file with
  ../shared/bench/gen-capture -o /tmp/x.pcap --truth /tmp/x.json --size 1G --concurrency 200 --seed 3
)";

double since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

double cpu_seconds(const rusage& ru) {
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}
double own_cpu() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return cpu_seconds(ru);
}

// ---- children: one reader each, timed inside, result on stdout --------------------------

// `buffered`: the FILE* is opened here and given a 256 KiB stdio buffer, as sipscope's reader
// does (libpcap's own fopen leaves glibc's 4 KiB: one read() per 4 KiB).
int child_bare(const std::string& file, bool buffered) {
  char err[PCAP_ERRBUF_SIZE];
  double cpu0 = own_cpu();
  auto t = clock_type::now();
  pcap_t* p = nullptr;
  std::vector<char> stdio_buffer;
  if (buffered) {
    std::FILE* f = std::fopen(file.c_str(), "rb");
    stdio_buffer.resize(256 * 1024);
    if (f) setvbuf(f, stdio_buffer.data(), _IOFBF, stdio_buffer.size());
    p = f ? pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, err) : nullptr;
  } else {
    p = pcap_open_offline_with_tstamp_precision(file.c_str(), PCAP_TSTAMP_PRECISION_NANO, err);
  }
  if (!p) {
    std::fprintf(stderr, "%s\n", err);
    return 1;
  }
  pcap_pkthdr* h;
  const u_char* d;
  std::uint64_t packets = 0, sum = 0;
  while (pcap_next_ex(p, &h, &d) == 1) {
    ++packets;
    sum += h->caplen + (h->caplen ? d[0] : 0);   // touches each record
  }
  pcap_close(p);
  double s = since(t);
  std::printf("%.9f %llu %llu %llu %.6f\n", s, static_cast<unsigned long long>(packets), 0ULL,
              static_cast<unsigned long long>(sum & 1), own_cpu() - cpu0);
  return 0;
}

struct counting : capture::handler {
  std::uint64_t sip = 0, udp = 0, bytes = 0;
  void on_sip(const capture::sip_event& e) override { ++sip; bytes += e.bytes.size(); }
  void on_udp(const capture::udp_event& e) override { ++udp; bytes += e.payload.size(); }
};

int child_sipscope(const std::string& file) {
  double cpu0 = own_cpu();
  auto t = clock_type::now();
  capture::pipeline p;
  p.add_file(file);
  counting c;
  if (!p.run(c)) {
    std::fprintf(stderr, "sipscope cannot read %s\n", file.c_str());
    return 1;
  }
  double s = since(t);
  std::printf("%.9f %llu %llu %llu %.6f\n", s, static_cast<unsigned long long>(p.stats().frames),
              static_cast<unsigned long long>(c.sip), static_cast<unsigned long long>(c.udp), own_cpu() - cpu0);
  return 0;
}

// ---- the parent ---------------------------------------------------------------------------

// Busy and total jiffies of all CPUs (first line of /proc/stat).
struct cpu_sample {
  unsigned long long busy = 0, total = 0;
};
cpu_sample sample_cpu() {
  cpu_sample s;
  std::ifstream in("/proc/stat");
  std::string cpu;
  unsigned long long v[8] = {};
  in >> cpu;
  for (auto& x : v) in >> x;   // user nice system idle iowait irq softirq steal
  for (auto x : v) s.total += x;
  s.busy = s.total - v[3] - v[4];
  return s;
}
double busy_percent(const cpu_sample& a, const cpu_sample& b) {
  return b.total > a.total ? 100.0 * double(b.busy - a.busy) / double(b.total - a.total) : 0;
}

struct run_output {
  bool ok = false;
  double seconds = 0;   // the child's own measure (bare, sipscope) or wall time (peers)
  std::string text;     // its stdout
  long rss_kb = 0;
  double cpu = 0;       // user + system seconds of the process (the peers wait, or use threads)
  std::string note;
};

// Runs argv with stdout to a pipe and measures wall time and peak RSS (wait4's rusage).
run_output spawn(std::vector<std::string> argv, bool keep_text) {
  run_output r;
  int fds[2];
  if (pipe(fds) != 0) return r;
  std::fflush(stdout);
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
  while ((n = read(fds[0], buf, sizeof buf)) > 0) {
    if (keep_text) r.text.append(buf, std::size_t(n));
    else for (ssize_t i = 0; i < n; ++i) lines += buf[i] == '\n';
  }
  close(fds[0]);
  int status = 0;
  rusage ru{};
  wait4(pid, &status, 0, &ru);
  r.seconds = since(t);
  r.rss_kb = ru.ru_maxrss;
  r.cpu = cpu_seconds(ru);
  if (!keep_text) r.text = std::to_string(lines);
  r.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!r.ok) r.note = WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status)) : "killed by a signal";
  return r;
}

struct rep {
  double seconds = 0;
  std::uint64_t packets = 0, sip = 0, udp = 0;
  long rss_kb = 0;
  double cpu = 0;
};

bool run_child(const std::string& self, const char* which, const std::string& file, rep& out) {
  run_output r = spawn({self, "ingest", "--child", which, file}, true);
  if (!r.ok) {
    std::cerr << "sipscope-bench ingest: " << which << " on " << file << ": " << r.note << "\n";
    return false;
  }
  std::istringstream in(r.text);
  in >> out.seconds >> out.packets >> out.sip >> out.udp >> out.cpu;   // CPU time of the timed part
  out.rss_kb = r.rss_kb;
  return bool(in) && out.seconds > 0;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// One reader's repetitions on one file.
struct series {
  std::vector<double> seconds, cpu;
  long rss_kb = 0;   // largest over repetitions
  void add(const rep& r) {
    seconds.push_back(r.seconds);
    cpu.push_back(r.cpu);
    rss_kb = std::max(rss_kb, r.rss_kb);
  }
  double med() const { return median(seconds); }
  double best() const { return *std::min_element(seconds.begin(), seconds.end()); }
};

struct file_report {
  std::string file;
  double mb = 0;
  std::uint64_t packets = 0;
  series bare, buffered, ss;
  std::vector<double> ratio;   // bare / sipscope time, per repetition (adjacent runs)
  int starved = 0, runs = 0;   // runs whose process waited for a CPU (CPU time < 90% of wall)
  std::uint64_t sip = 0, udp = 0;
  double busy_ab = 0;
};

std::string machine_line() {
  std::string cpu = "unknown";
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) cpu = line.substr(line.find_first_not_of(" \t", colon + 1));
      break;
    }
  }
  return cpu + ", nproc " + std::to_string(sysconf(_SC_NPROCESSORS_ONLN));
}

void row(const char* name, double mb, std::uint64_t packets, double seconds, double cpu, const std::string& found,
         long rss_kb, double busy, const std::string& extra = {}) {
  std::printf("%-22s %9.1f %12.0f %9.3f %9.3f %10s %8.1f %5.0f%%  %s\n", name, mb / seconds, double(packets) / seconds,
              seconds, cpu, found.c_str(), double(rss_kb) / 1024, busy, extra.c_str());
}

}  // namespace

int run_ingest(int argc, char** argv) {
  if (argc == 5 && std::string(argv[2]) == "--child") {
    std::string which = argv[3];
    if (which == "bare") return child_bare(argv[4], false);
    if (which == "bare-buffered") return child_bare(argv[4], true);
    if (which == "sipscope") return child_sipscope(argv[4]);
    return 2;
  }
  int reps = 5;
  bool peers = true;
  std::vector<std::string> files;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::cout << ingest_usage;
      return 0;
    } else if (a == "--reps" && i + 1 < argc) {
      reps = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--no-peers") {
      peers = false;
    } else if (!a.empty() && a[0] != '-') {
      files.push_back(a);
    } else {
      std::cerr << "sipscope-bench ingest: unexpected argument '" << a << "'\n" << ingest_usage;
      return 2;
    }
  }
  if (files.empty()) {
    std::cerr << ingest_usage;
    return 2;
  }
  char self_buf[4096];
  ssize_t self_len = readlink("/proc/self/exe", self_buf, sizeof self_buf - 1);
  if (self_len <= 0) {
    std::cerr << "sipscope-bench ingest: cannot find its own executable\n";
    return 1;
  }
  const std::string self(self_buf, std::size_t(self_len));
  const bool have_tshark = peers && std::system("command -v tshark >/dev/null 2>&1") == 0;
  const bool have_sngrep = peers && std::system("command -v sngrep >/dev/null 2>&1") == 0;

  std::printf("sipscope-bench ingest: machine %s; readers one at a time, each in its own process\n",
              machine_line().c_str());
  std::printf("(a),(a2),(b): %d alternated repetitions after an untimed warm-up pass, median (best in brackets);"
              " busy = all CPUs from /proc/stat (100/nproc%% = the reader alone)\n",
              reps);
  std::vector<file_report> reports;
  for (const std::string& file : files) {
    struct stat st {};
    if (stat(file.c_str(), &st) != 0) {
      std::cerr << "sipscope-bench ingest: cannot stat " << file << "\n";
      return 1;
    }
    file_report fr;
    fr.file = file;
    fr.mb = double(st.st_size) / 1e6;
    rep warm;
    if (!run_child(self, "bare", file, warm)) return 1;   // page cache

    cpu_sample c0 = sample_cpu();
    for (int i = 0; i < reps; ++i) {
      rep a, a2, b;
      if (!run_child(self, "bare", file, a) || !run_child(self, "bare-buffered", file, a2) ||
          !run_child(self, "sipscope", file, b))
        return 1;
      fr.bare.add(a);
      fr.buffered.add(a2);
      fr.ss.add(b);
      for (const rep* x : {&a, &a2, &b}) {
        ++fr.runs;
        fr.starved += x->cpu < 0.9 * x->seconds;
      }
      fr.ratio.push_back(a.seconds / b.seconds);
      fr.packets = a.packets;
      fr.sip = b.sip;
      fr.udp = b.udp;
      if (b.packets != a.packets || a2.packets != a.packets)
        std::printf("warning: sipscope read %llu packets, libpcap %llu\n", static_cast<unsigned long long>(b.packets),
                    static_cast<unsigned long long>(a.packets));
    }
    fr.busy_ab = busy_percent(c0, sample_cpu());

    std::printf("\n%s: %.1f MB, %llu packets\n", file.c_str(), fr.mb, static_cast<unsigned long long>(fr.packets));
    std::printf("%-22s %9s %12s %9s %9s %10s %8s %6s\n", "reader", "MB/s", "packets/s", "seconds", "CPU s", "SIP found",
                "RSS MB", "busy");
    auto timed_row = [&](const char* name, const series& x, const std::string& found) {
      char best[64];
      std::snprintf(best, sizeof best, "[best %.1f MB/s]", fr.mb / x.best());
      row(name, fr.mb, fr.packets, x.med(), median(x.cpu), found, x.rss_kb, fr.busy_ab, best);
    };
    timed_row("(a) libpcap loop", fr.bare, "-");
    timed_row("(a2) same, 256K buffer", fr.buffered, "-");
    timed_row("(b) sipscope", fr.ss, std::to_string(fr.sip));
    std::printf("%d of the %d timed runs above waited for a CPU (their CPU time below 90%% of their wall time)\n",
                fr.starved, fr.runs);
    std::fflush(stdout);

    double tshark_s = 0, sngrep_s = 0;
    if (have_tshark) {
      cpu_sample p0 = sample_cpu();
      run_output r = spawn({"tshark", "-r", file, "-Y", "sip", "-T", "fields", "-e", "frame.number"}, false);
      double busy = busy_percent(p0, sample_cpu());
      if (r.ok) {
        tshark_s = r.seconds;
        row("(c) tshark -Y sip", fr.mb, fr.packets, r.seconds, r.cpu, r.text, r.rss_kb, busy);
      } else {
        std::printf("%-22s %s\n", "(c) tshark -Y sip", r.note.c_str());
      }
    } else if (peers) {
      std::printf("%-22s not installed (scripts/install-deps.sh --bench)\n", "(c) tshark -Y sip");
    }
    if (have_sngrep) {
      cpu_sample p0 = sample_cpu();
      run_output r = spawn({"sngrep", "-N", "-q", "-I", file}, false);
      double busy = busy_percent(p0, sample_cpu());
      if (r.ok) {
        sngrep_s = r.seconds;
        row("(d) sngrep -N -q -I", fr.mb, fr.packets, r.seconds, r.cpu, "-", r.rss_kb, busy);
      } else {
        std::printf("%-22s %s\n", "(d) sngrep -N -q -I", r.note.c_str());
      }
    } else if (peers) {
      std::printf("%-22s not installed (scripts/install-deps.sh --bench)\n", "(d) sngrep -N -q -I");
    }

    auto verdict = [](bool ok) { return ok ? "met" : "NOT MET"; };
    const double ss = fr.ss.med();
    double share = 100.0 * fr.bare.med() / ss;
    std::printf("(b)/(a): %.0f%% of the libpcap loop's throughput (medians; median of per-repetition ratios %.0f%%,"
                " best/best %.0f%%), target >= 70%%: %s\n",
                share, 100.0 * median(fr.ratio), 100.0 * fr.bare.best() / fr.ss.best(), verdict(share >= 70));
    std::printf("(b)/(a2): %.0f%% of the loop given the same stdio buffer as sipscope's reader (medians)\n",
                100.0 * fr.buffered.med() / ss);
    // CPU time does not count the time spent waiting for a CPU (reads from the page cache do not
    // block): on a shared machine it is the steadier measure of the readers themselves.
    std::printf("by CPU time (medians): (b)/(a) %.0f%%, (b)/(a2) %.0f%%; (b) %.1f MB per CPU second\n",
                100.0 * median(fr.bare.cpu) / median(fr.ss.cpu), 100.0 * median(fr.buffered.cpu) / median(fr.ss.cpu),
                fr.mb / median(fr.ss.cpu));
    if (tshark_s > 0)
      std::printf("(b)/(c): %.0fx tshark, target >= 100x: %s\n", tshark_s / ss, verdict(tshark_s / ss >= 100));
    if (sngrep_s > 0)
      std::printf("(b)/(d): %.0fx sngrep, target >= 30x: %s\n", sngrep_s / ss, verdict(sngrep_s / ss >= 30));
    std::printf("(b) peak RSS %.1f MB, target < 100 MB: %s\n", double(fr.ss.rss_kb) / 1024,
                verdict(fr.ss.rss_kb < 100 * 1024));
    std::fflush(stdout);
    reports.push_back(fr);
  }

  if (reports.size() > 1) {
    // Throughput per byte of (b) on each file against the largest one.
    const file_report* big = &reports[0];
    for (const file_report& r : reports)
      if (r.mb > big->mb) big = &r;
    double ref = big->mb / big->ss.med();
    double ref_cpu = big->mb / median(big->ss.cpu);
    std::printf("\nflatness of (b), MB/s against the largest file (%s, %.1f MB/s), target within 15%%:\n",
                big->file.c_str(), ref);
    for (const file_report& r : reports) {
      double v = r.mb / r.ss.med();
      double dev = 100.0 * (v - ref) / ref;
      double dev_cpu = 100.0 * (r.mb / median(r.ss.cpu) - ref_cpu) / ref_cpu;
      std::printf("  %-30s %8.1f MB/s %+6.1f%%  (libpcap loop %+6.1f%%)  %s; by CPU time %+6.1f%%\n", r.file.c_str(), v,
                  dev, 100.0 * (big->bare.med() / r.bare.med() * r.mb / big->mb - 1),
                  std::abs(dev) <= 15 ? "met" : "NOT MET", dev_cpu);
    }
  }
  return 0;
}

}  // namespace sipscope::bench
