// Running a tool in a child process and measuring it the same way for every contender: wall
// time, CPU time and peak RSS (wait4's rusage, so each process's figure is its own), and how
// busy the machine was meanwhile (/proc/stat). Shared by the benchmarks that compare sipscope
// with external tools (calls.cpp; ingest.cpp has its own copy for now).
#pragma once

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace sipscope::bench::process {

using clock_type = std::chrono::steady_clock;

inline double since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

struct run_output {
  bool ok = false;
  double seconds = 0;   // wall time, fork to exit
  double cpu = 0;       // user + system seconds of the child
  long rss_kb = 0;      // peak resident set of the child
  std::string text;     // its stdout (when kept)
  std::string note;     // why it failed
};

// Runs argv (PATH lookup) with stdout to a pipe; stderr is left alone unless `quiet`.
inline run_output spawn(std::vector<std::string> argv, bool keep_text, bool quiet = true) {
  run_output r;
  int fds[2];
  if (pipe(fds) != 0) return r;
  std::fflush(stdout);
  std::fflush(stderr);
  const auto t = clock_type::now();
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    if (quiet) {
      if (std::FILE* n = std::fopen("/dev/null", "w")) dup2(fileno(n), STDERR_FILENO);
    }
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
  while ((n = read(fds[0], buf, sizeof buf)) > 0)
    if (keep_text) r.text.append(buf, static_cast<std::size_t>(n));
  close(fds[0]);
  int status = 0;
  rusage ru{};
  wait4(pid, &status, 0, &ru);
  r.seconds = since(t);
  r.rss_kb = ru.ru_maxrss;
  r.cpu = double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
          double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  r.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!r.ok) {
    r.note = WIFEXITED(status) ? (WEXITSTATUS(status) == 127 ? std::string("not installed")
                                                             : "exit status " + std::to_string(WEXITSTATUS(status)))
                               : std::string("killed by a signal");
  }
  return r;
}

// Busy and total jiffies of all CPUs (first line of /proc/stat).
struct cpu_sample {
  unsigned long long busy = 0, total = 0;
};
inline cpu_sample sample_cpu() {
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
inline double busy_percent(const cpu_sample& a, const cpu_sample& b) {
  return b.total > a.total ? 100.0 * double(b.busy - a.busy) / double(b.total - a.total) : 0;
}

}  // namespace sipscope::bench::process
