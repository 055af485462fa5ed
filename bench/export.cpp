// sipscope-bench export: batch export of a directory of captures into SQLite (issue 7). Three
// runs of the sipscope binary, each in its own process (wall time, CPU time, peak RSS):
//   (a) sipscope calls -q --all --format jsonl FILES...          the throughput baseline
//   (b) sipscope export -q --per-file --jobs 1 --db X.sqlite DIR  (fresh database)
//   (c) sipscope export -q --per-file --jobs 2 --db Y.sqlite DIR  (fresh database)
// Targets (issue 7): (c) at least 1.7x (b), and the export at no less than 80% of (a)'s
// throughput (the database must not be the bottleneck).
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "process.hpp"

namespace sipscope::bench {
namespace {

namespace pr = process;
namespace fs = std::filesystem;

const char* const export_usage =
    R"(usage: sipscope-bench export [--sipscope PATH] [--work DIR] [--jobs N] [--reps N] [--merged] CAPTURE_DIR

Batch export throughput (issue 7). Runs, each in its own process (wall time fork to exit,
CPU time, peak RSS), on the capture files of CAPTURE_DIR (regular files, name order):
  (a) sipscope calls -q --all --format jsonl FILES...             (baseline: parse + correlate)
  (b) sipscope export -q --per-file --jobs 1 --db WORK/j1.sqlite CAPTURE_DIR
  (c) sipscope export -q --per-file --jobs N --db WORK/jN.sqlite CAPTURE_DIR   (N default 2)
Each export starts from a fresh database. One untimed pass of (a) first puts the files in the
page cache. The three runs are repeated --reps times, interleaved (a b c a b c ...), so that a
change in the machine's load hits all three alike; the figures are the medians, and each
repetition's ratios are printed too. Reports MB/s and calls/s, the N-vs-1 job scaling (target
>= 1.7x for N = 2) and export/calls throughput (target >= 80%), and how busy the machine was
(/proc/stat).

options:
  --sipscope PATH   the sipscope binary (default: sipscope next to this sipscope-bench)
  --work DIR        where the databases go (default /tmp); they are deleted afterwards
  --jobs N          the parallel export's --jobs (default 2)
  --reps N          repetitions of the three runs (default 5); medians are reported
  --merged          (b) and (c) without --per-file: the directory is one capture (a probe's
                    rotated files, calls spanning files merged), which --jobs 2 reads and
                    correlates on two threads (two stages) instead of two captures at a time
Make an input with
  ../shared/bench/gen-capture -o /tmp/exp/rot/rot.pcap --truth /tmp/exp/rot.json --size 400M --split 20M --seed 9
)";

struct measured {
  pr::run_output run;
  double busy = 0;             // % of all CPUs busy during the run (every process)
  unsigned long long calls = 0, others = 0;
};

// Counts the call records of `calls --format jsonl` output.
unsigned long long count_calls(const std::string& text) {
  unsigned long long n = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::size_t k = text.find("\"kind\":\"call\"", start);
    if (k != std::string::npos && k < end && k - start < 40) ++n;
    start = end + 1;
  }
  return n;
}

measured run_calls_baseline(const std::string& bin, const std::vector<std::string>& files) {
  std::vector<std::string> argv = {bin, "calls", "-q", "--all", "--format", "jsonl"};
  argv.insert(argv.end(), files.begin(), files.end());
  measured m;
  const auto c0 = pr::sample_cpu();
  m.run = pr::spawn(argv, true);
  m.busy = pr::busy_percent(c0, pr::sample_cpu());
  m.calls = count_calls(m.run.text);
  m.run.text.clear();
  return m;
}

// The export's summary line goes to stderr: the child is `sh -c 'exec sipscope ... 2>LOG'`
// (exec: the rusage is sipscope's own).
bool merged = false;   // --merged

measured run_export(const std::string& bin, const std::string& dir, const std::string& db, unsigned jobs,
                    const std::string& log) {
  std::error_code ec;
  for (const char* ext : {"", "-wal", "-shm", "-journal"}) fs::remove(db + ext, ec);
  measured m;
  const auto c0 = pr::sample_cpu();
  std::vector<std::string> args{"/bin/sh", "-c", "exec \"$0\" \"$@\" 2>\"$LOGFILE\"", bin, "export"};
  if (!merged) args.push_back("--per-file");
  for (const std::string& a : {std::string("--jobs"), std::to_string(jobs), std::string("--db"), db, dir}) args.push_back(a);
  m.run = pr::spawn(args, false);
  m.busy = pr::busy_percent(c0, pr::sample_cpu());
  std::ifstream in(log);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  const auto p = text.find("; ");
  if (p != std::string::npos) std::sscanf(text.c_str() + p, "; %llu calls and %llu other records", &m.calls, &m.others);
  if (!m.run.ok) std::cerr << "sipscope-bench export: export --jobs " << jobs << " failed (" << m.run.note << "): " << text;
  for (const char* ext : {"", "-wal", "-shm", "-journal"}) fs::remove(db + ext, ec);
  fs::remove(log, ec);
  return m;
}

}  // namespace

int run_export(int argc, char** argv) {
  std::string bin, dir, work = "/tmp";
  unsigned jobs = 2;
  int reps = 5;
  std::error_code ec;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::cout << export_usage;
      return 0;
    } else if (a == "--sipscope" && i + 1 < argc) {
      bin = argv[++i];
    } else if (a == "--work" && i + 1 < argc) {
      work = argv[++i];
    } else if (a == "--jobs" && i + 1 < argc) {
      jobs = static_cast<unsigned>(std::max(2, std::atoi(argv[++i])));
    } else if (a == "--merged") {
      merged = true;
    } else if (a == "--reps" && i + 1 < argc) {
      reps = std::max(1, std::atoi(argv[++i]));
    } else if (!a.empty() && a[0] != '-' && dir.empty()) {
      dir = a;
    } else {
      std::cerr << "sipscope-bench export: unexpected argument '" << a << "'\n" << export_usage;
      return 2;
    }
  }
  if (dir.empty() || !fs::is_directory(dir, ec)) {
    std::cerr << "sipscope-bench export: give a directory of captures\n" << export_usage;
    return 2;
  }
  if (bin.empty()) bin = (fs::read_symlink("/proc/self/exe", ec).parent_path() / "sipscope").string();
  if (access(bin.c_str(), X_OK) != 0) {
    std::cerr << "sipscope-bench export: no sipscope binary at " << bin << " (--sipscope PATH)\n";
    return 2;
  }
  std::vector<std::string> files;
  std::uint64_t bytes = 0;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (!e.is_regular_file() || e.path().filename().string().starts_with(".")) continue;
    files.push_back(e.path().string());
    bytes += e.file_size();
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::cerr << "sipscope-bench export: no files in " << dir << "\n";
    return 2;
  }
  const double mb = double(bytes) / 1e6;
  ::setenv("LOGFILE", (work + "/sipscope-bench-export.log").c_str(), 1);

  const auto c0 = pr::sample_cpu();
  pr::spawn({bin, "calls", "-q", "--all", "--format", "jsonl"}, false);   // warm the binary
  {
    std::vector<std::string> warm = {bin, "calls", "-q", "--all", "--format", "jsonl"};
    warm.insert(warm.end(), files.begin(), files.end());
    pr::spawn(warm, false);   // page cache
  }
  std::vector<measured> as, bs, cs;
  for (int r = 0; r < reps; ++r) {
    as.push_back(run_calls_baseline(bin, files));
    bs.push_back(run_export(bin, dir, work + "/sipscope-bench-export-j1.sqlite", 1, work + "/sipscope-bench-export.log"));
    cs.push_back(
        run_export(bin, dir, work + "/sipscope-bench-export-jN.sqlite", jobs, work + "/sipscope-bench-export.log"));
    if (!as.back().run.ok || !bs.back().run.ok || !cs.back().run.ok) {
      std::cerr << "sipscope-bench export: a run failed: calls " << (as.back().run.ok ? "ok" : as.back().run.note)
                << ", export j1 " << (bs.back().run.ok ? "ok" : bs.back().run.note) << ", export j" << jobs << " "
                << (cs.back().run.ok ? "ok" : cs.back().run.note) << "\n";
      return 1;
    }
  }
  const double busy_all = pr::busy_percent(c0, pr::sample_cpu());
  // The median run by wall time (the lower middle one for an even count).
  auto median = [](std::vector<measured> v) {
    std::sort(v.begin(), v.end(), [](const measured& x, const measured& y) { return x.run.seconds < y.run.seconds; });
    return v[(v.size() - 1) / 2];
  };
  const measured a = median(as), b = median(bs), c = median(cs);

  const long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  std::printf("sipscope-bench export: %s, %zu files, %.1f MB; %s\n", dir.c_str(), files.size(), mb, bin.c_str());
  std::printf("machine: %ld CPUs, busy %.0f%% on average over the whole run (all processes, /proc/stat)\n", ncpu,
              busy_all);
  std::printf("%-28s %8s %8s %9s %8s %8s %9s %7s\n", "run", "seconds", "MB/s", "calls", "calls/s", "cpu s",
              "RSS MB", "busy%");
  auto row = [&](const std::string& name, const measured& m) {
    std::printf("%-28s %8.2f %8.1f %9llu %8.0f %8.2f %9.1f %7.0f\n", name.c_str(), m.run.seconds, mb / m.run.seconds, m.calls,
                double(m.calls) / m.run.seconds, m.run.cpu, double(m.run.rss_kb) / 1024, m.busy);
  };
  if (reps > 1) std::printf("(medians of %d interleaved repetitions)\n", reps);
  row("calls --all --format jsonl", a);
  const std::string mode = merged ? "export (merged) --jobs " : "export --per-file --jobs ";
  row(mode + "1", b);
  const std::string cname = mode + std::to_string(jobs);
  row(cname, c);
  const double scaling = b.run.seconds / c.run.seconds;
  const double vs1 = a.run.seconds / b.run.seconds;
  const double vsN = a.run.seconds / c.run.seconds;
  std::printf("scaling jobs %u vs 1: %.2fx (target >= 1.7x: %s)\n", jobs, scaling, scaling >= 1.7 ? "met" : "NOT met");
  std::printf("export/calls throughput (MB/s): jobs 1 %.0f%% (target >= 80%%: %s), jobs %u %.0f%%\n", 100 * vs1,
              vs1 >= 0.8 ? "met" : "NOT met", jobs, 100 * vsN);
  if (reps > 1) {
    std::printf("per repetition (seconds calls / jobs 1 / jobs %u; scaling; jobs 1 / calls):\n", jobs);
    for (int r = 0; r < reps; ++r)
      std::printf("  %d: %.2f / %.2f / %.2f; %.2fx; %.0f%%  (busy %.0f / %.0f / %.0f %%)\n", r + 1, as[r].run.seconds,
                  bs[r].run.seconds, cs[r].run.seconds, bs[r].run.seconds / cs[r].run.seconds,
                  100 * as[r].run.seconds / bs[r].run.seconds, as[r].busy, bs[r].busy, cs[r].busy);
  }
  std::printf("export records: jobs 1 %llu calls + %llu others, jobs %u %llu calls + %llu others "
              "%s\n",
              b.calls, b.others, jobs, c.calls, c.others,
              merged ? "(one capture: calls spanning files are one record)" : "(calls spanning files are split by --per-file)");
  return 0;
}

}  // namespace sipscope::bench
