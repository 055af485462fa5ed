// sipscope-bench: parser throughput of sipscope side by side with libosip2, sofia-sip and a
// bare memchr line split, on the same messages, in the same process (issue 3).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench.hpp"
#include "process.hpp"

#ifndef SIPSCOPE_BENCH_CORPUS_DIR
#define SIPSCOPE_BENCH_CORPUS_DIR "corpus/bench"
#endif

namespace sipscope::bench {
namespace {

using clock_type = std::chrono::steady_clock;

constexpr int usage_error = 2;

const char* const usage_text =
    R"(usage: sipscope-bench parse [options] [FILE|DIR ...]
       sipscope-bench ingest [--reps N] [--no-peers] CAPTURE   (see ingest --help)
       sipscope-bench calls [--reps N] [--no-peers] CAPTURE    (see calls --help)
       sipscope-bench export [--sipscope PATH] CAPTURE_DIR     (see export --help)

Parses the same SIP messages with sipscope, libosip2 and sofia-sip (each a full parse of
every header of every message) and with a bare memchr line split (the physical bound), one
after the other on one thread, and prints messages/s, MB/s and ns/message for each, and the
ratios sipscope/osip2 and sipscope/sofia.

Inputs are raw SIP messages: one per file, or several concatenated in a file with
Content-Length framing (as on a stream). A directory means its *.sip files in name order.
Default: )" SIPSCOPE_BENCH_CORPUS_DIR R"(

Method: all inputs are loaded into memory and checked first (every parser must accept every
message; typed Via host, CSeq number and Call-ID must agree between parsers); then each
parser is warmed up and run over the whole set repeatedly for a fixed wall time, and the
median of the repetitions is reported. Repetitions are interleaved between parsers.

options:
  --seconds N      wall time of one repetition per parser (default 2)
  --reps N         repetitions; the median is reported (default 5)
  --only LIST      parsers to run, comma-separated or repeated:
                   sipscope, osip2, sofia, memchr (default: all built)
  --format F       table (default) or json
  --verify         print, for each message and parser, what it typed and what it kept raw
  -h, --help       this text

examples:
  sipscope-bench parse
  sipscope-bench parse --seconds 1 --reps 3 corpus/bench/01-invite-sdp.sip
  sipscope-bench parse --only sipscope,osip2 --format json stream-of-messages.sip
  sipscope-bench parse --verify --seconds 0.2 --reps 1

exit status: 0 done, 1 a parser rejected a message or an input could not be read/framed,
2 usage error.
)";

struct options {
  double seconds = 2.0;
  int reps = 5;
  std::set<std::string> only;
  bool json = false;
  bool verify = false;
  std::vector<std::string> inputs;
};

[[noreturn]] void usage_fail(const std::string& why) {
  std::cerr << "sipscope-bench: " << why << "\n(try 'sipscope-bench --help')\n";
  std::exit(usage_error);
}

double parse_number(const std::string& flag, const std::string& v) {
  try {
    std::size_t used = 0;
    double d = std::stod(v, &used);
    if (used != v.size() || !(d > 0)) throw std::invalid_argument(v);
    return d;
  } catch (const std::exception&) {
    usage_fail(flag + " wants a positive number, got '" + v + "'");
  }
}

options parse_args(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) usage_fail("missing command");
  if (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    std::cout << usage_text;
    std::exit(0);
  }
  if (args[0] != "parse") usage_fail("unknown command '" + args[0] + "' (known: parse, ingest)");
  options o;
  const std::set<std::string> known = {"sipscope", "osip2", "sofia", "memchr"};
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](const std::string& flag) -> std::string {
      if (i + 1 >= args.size()) usage_fail(flag + " needs a value");
      return args[++i];
    };
    auto split_eq = [&](const std::string& flag) -> std::string {  // --flag=value
      return a.substr(flag.size() + 1);
    };
    std::string flag = a.substr(0, a.find('='));
    bool has_eq = a.find('=') != std::string::npos && a.rfind("--", 0) == 0;
    if (a == "-h" || a == "--help") {
      std::cout << usage_text;
      std::exit(0);
    } else if (flag == "--seconds") {
      o.seconds = parse_number(flag, has_eq ? split_eq(flag) : value(flag));
    } else if (flag == "--reps") {
      double r = parse_number(flag, has_eq ? split_eq(flag) : value(flag));
      if (r != static_cast<int>(r) || r > 1000) usage_fail("--reps wants a whole number from 1 to 1000");
      o.reps = static_cast<int>(r);
    } else if (flag == "--only") {
      std::stringstream ss(has_eq ? split_eq(flag) : value(flag));
      std::string name;
      while (std::getline(ss, name, ',')) {
        if (!known.count(name)) usage_fail("--only: unknown parser '" + name + "' (sipscope, osip2, sofia, memchr)");
        o.only.insert(name);
      }
    } else if (flag == "--format") {
      std::string f = has_eq ? split_eq(flag) : value(flag);
      if (f == "json") o.json = true;
      else if (f != "table") usage_fail("--format wants table or json, got '" + f + "'");
    } else if (a == "--verify") {
      o.verify = true;
    } else if (a.size() > 1 && a[0] == '-') {
      usage_fail("unknown option '" + a + "'");
    } else {
      o.inputs.push_back(a);
    }
  }
  return o;
}

struct machine_info {
  std::string cpu = "unknown";
  long nproc = 0;
};

machine_info probe_machine() {
  machine_info m;
  m.nproc = sysconf(_SC_NPROCESSORS_ONLN);
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) m.cpu = line.substr(line.find_first_not_of(" \t", colon + 1));
      break;
    }
  }
  return m;
}

struct result {
  peer* p = nullptr;
  std::vector<double> rate;     // messages/s, one per repetition
  std::size_t failures = 0;     // rejected messages over all timed passes
  std::size_t messages = 0;     // parsed over all timed passes
  std::size_t batch = 1;        // passes between two clock reads
  double median = 0;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

// Warm-up (caches, branch predictors, allocator pools) and calibration: how many passes over
// the set take about 1 ms, so that reading the clock costs nothing measurable.
void warm_up(result& r, std::span<const std::string_view> msgs) {
  std::size_t passes = 0;
  auto t0 = clock_type::now();
  double t = 0;
  do {
    r.p->parse_all(msgs);
    ++passes;
  } while ((t = seconds_since(t0)) < 0.25);
  r.batch = std::max<std::size_t>(1, static_cast<std::size_t>(passes * 0.001 / t));
}

void run_once(result& r, std::span<const std::string_view> msgs, double seconds) {
  std::size_t passes = 0, failures = 0;
  auto t0 = clock_type::now();
  double t = 0;
  do {
    for (std::size_t i = 0; i < r.batch; ++i) failures += r.p->parse_all(msgs);
    passes += r.batch;
  } while ((t = seconds_since(t0)) < seconds);
  r.rate.push_back(static_cast<double>(passes * msgs.size()) / t);
  r.failures += failures;
  r.messages += passes * msgs.size();
}

std::string json_escape(std::string_view s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\', o += c;
    else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      o += buf;
    } else o += c;
  }
  return o;
}

std::string fmt(double v, int prec) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", prec, v);
  return buf;
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string o;
  for (std::size_t i = 0; i < v.size(); ++i) o += (i ? sep : "") + v[i];
  return o;
}

// Parses every message once with every parser, outside the timed loop: rejections are
// reported with the library's reason, and the typed values must agree between libraries.
// Returns the number of problems found.
std::size_t check(const message_set& set, const std::vector<std::unique_ptr<peer>>& peers, bool verbose,
                  std::ostream& out) {
  std::size_t problems = 0;
  for (const corpus_message& m : set.messages) {
    if (verbose) out << m.source << " (" << m.text.size() << " bytes, " << m.header_lines << " header lines)\n";
    std::map<std::string, std::string> via, call_id, cseq;
    for (const auto& p : peers) {
      if (p->name() == "memchr") continue;
      summary s = p->inspect(m.text);
      if (!s.ok) {
        ++problems;
        out << "  REJECTED by " << p->name() << ": " << m.source << ": " << s.error << "\n";
        continue;
      }
      via[std::string(p->name())] = s.top_via_host;
      call_id[std::string(p->name())] = s.call_id;
      cseq[std::string(p->name())] = std::to_string(s.cseq);
      if (verbose) {
        out << "  " << p->name() << ": top Via host " << s.top_via_host << ", CSeq " << s.cseq << ", Call-ID "
            << s.call_id << "; " << s.typed_fields << " typed field(s), kept raw: "
            << (s.raw_headers.empty() ? "none" : join(s.raw_headers, ", ")) << "\n";
      }
    }
    for (auto* field : {&via, &call_id, &cseq}) {
      std::set<std::string> distinct;
      for (const auto& [name, v] : *field) distinct.insert(v);
      if (distinct.size() > 1) {
        ++problems;
        out << "  DISAGREEMENT on " << m.source << ":";
        for (const auto& [name, v] : *field) out << " " << name << "='" << v << "'";
        out << "\n";
      }
    }
  }
  return problems;
}

int run(const options& o) {
  std::vector<std::unique_ptr<peer>> all;
  all.push_back(make_sipscope_peer());
#if SIPSCOPE_BENCH_HAVE_OSIP2
  all.push_back(make_osip2_peer());
#endif
#if SIPSCOPE_BENCH_HAVE_SOFIA
  all.push_back(make_sofia_peer());
#endif
  all.push_back(make_memchr_peer());

  std::vector<std::unique_ptr<peer>> peers;
  for (auto& p : all)
    if (o.only.empty() || o.only.count(std::string(p->name()))) peers.push_back(std::move(p));
  for (const auto& want : o.only) {
    bool built = std::any_of(peers.begin(), peers.end(), [&](const auto& p) { return p->name() == want; });
    if (!built) usage_fail("--only " + want + ": this sipscope-bench was built without it (see cmake output)");
  }

  message_set set;
  try {
    set = load_messages(o.inputs.empty() ? std::vector<std::string>{SIPSCOPE_BENCH_CORPUS_DIR} : o.inputs);
  } catch (const std::exception& e) {
    std::cerr << "sipscope-bench: " << e.what() << "\n";
    return 1;
  }
  const std::vector<std::string_view> msgs = set.views();
  const double avg_bytes = static_cast<double>(set.bytes()) / static_cast<double>(msgs.size());
  const machine_info machine = probe_machine();

  std::ostream& log = o.json ? std::cerr : std::cout;
  std::size_t problems = check(set, peers, o.verify, log);

  std::vector<result> results(peers.size());
  for (std::size_t i = 0; i < peers.size(); ++i) {
    results[i].p = peers[i].get();
    warm_up(results[i], msgs);
  }
  // Interleaved repetitions: a slow drift of the machine (frequency, a neighbour) spreads over
  // every parser instead of penalising the one that happens to run last.
  // How busy all CPUs were meanwhile (/proc/stat): on 2 CPUs, 50% is the benchmark's own
  // thread alone; well above that, another process competed and the figures are suspect.
  const process::cpu_sample cpu0 = process::sample_cpu();
  for (int rep = 0; rep < o.reps; ++rep)
    for (auto& r : results) run_once(r, msgs, o.seconds);
  const double busy = process::busy_percent(cpu0, process::sample_cpu());
  for (auto& r : results) r.median = median(r.rate);

  auto rate_of = [&](std::string_view name) -> double {
    for (const auto& r : results)
      if (r.p->name() == name) return r.median;
    return 0;
  };
  struct ratio { std::string name; double value; double target; };
  std::vector<ratio> ratios;
  if (double s = rate_of("sipscope"); s > 0) {
    if (double v = rate_of("osip2"); v > 0) ratios.push_back({"sipscope/osip2", s / v, 10});
    if (double v = rate_of("sofia"); v > 0) ratios.push_back({"sipscope/sofia", s / v, 4});
    if (double v = rate_of("memchr"); v > 0) ratios.push_back({"sipscope/memchr", s / v, 0});
  }
  std::size_t failures = 0;
  for (const auto& r : results) failures += r.failures;

  if (o.json) {
    std::ostream& out = std::cout;
    out << "{\n  \"command\": \"parse\",\n  \"inputs\": [";
    for (std::size_t i = 0; i < set.files.size(); ++i)
      out << (i ? ", " : "") << '"' << json_escape(set.files[i]) << '"';
    out << "],\n  \"messages\": " << msgs.size() << ",\n  \"bytes\": " << set.bytes()
        << ",\n  \"machine\": {\"cpu\": \"" << json_escape(machine.cpu) << "\", \"nproc\": " << machine.nproc
        << ", \"busy_percent\": " << fmt(busy, 0) << "},\n  \"seconds\": " << o.seconds << ",\n  \"reps\": " << o.reps << ",\n  \"results\": [\n";
    for (std::size_t i = 0; i < results.size(); ++i) {
      const auto& r = results[i];
      out << "    {\"parser\": \"" << r.p->name() << "\", \"version\": \"" << json_escape(r.p->version())
          << "\", \"method\": \"" << json_escape(r.p->method()) << "\", \"msgs_per_s\": " << fmt(r.median, 0)
          << ", \"mb_per_s\": " << fmt(r.median * avg_bytes / 1e6, 1) << ", \"ns_per_msg\": "
          << fmt(1e9 / r.median, 1) << ", \"failures\": " << r.failures << ", \"messages_timed\": " << r.messages
          << ", \"reps_msgs_per_s\": [";
      for (std::size_t k = 0; k < r.rate.size(); ++k) out << (k ? ", " : "") << fmt(r.rate[k], 0);
      out << "]}" << (i + 1 < results.size() ? "," : "") << "\n";
    }
    out << "  ],\n  \"ratios\": {";
    for (std::size_t i = 0; i < ratios.size(); ++i)
      out << (i ? ", " : "") << '"' << ratios[i].name << "\": " << fmt(ratios[i].value, 3);
    out << "},\n  \"check_problems\": " << problems << "\n}\n";
  } else {
    std::ostream& out = std::cout;
    out << "sipscope-bench parse: " << msgs.size() << " messages, " << set.bytes() << " bytes (mean "
        << fmt(avg_bytes, 0) << " B) from " << set.files.size() << " file(s)\n"
        << "machine: " << machine.cpu << ", nproc " << machine.nproc << "; one thread, not pinned\n"
        << "method: " << o.seconds << " s per repetition and parser, " << o.reps
        << " interleaved repetitions, median; MB = 10^6 bytes\n\n";
    std::printf("%-10s %14s %10s %10s %10s   %s\n", "parser", "msgs/s", "MB/s", "ns/msg", "failures", "library");
    for (const auto& r : results)
      std::printf("%-10s %14s %10s %10s %10zu   %s\n", std::string(r.p->name()).c_str(), fmt(r.median, 0).c_str(),
                  fmt(r.median * avg_bytes / 1e6, 1).c_str(), fmt(1e9 / r.median, 1).c_str(), r.failures,
                  r.p->version().c_str());
    std::printf("machine busy %.0f%% during the timed runs (all CPUs, /proc/stat; %.0f%% = this thread alone)\n",
                busy, 100.0 / static_cast<double>(machine.nproc > 0 ? machine.nproc : 1));
    std::fflush(stdout);
    if (!ratios.empty()) {
      out << "\nratios (msgs/s):\n";
      for (const auto& q : ratios) {
        out << "  " << q.name << " = " << fmt(q.value, 2);
        if (q.target > 0) out << "  (target >= " << q.target << ": " << (q.value >= q.target ? "met" : "NOT met") << ")";
        out << "\n";
      }
    }
    out << "\nper message:\n";
    for (const auto& r : results) out << "  " << r.p->name() << ": " << r.p->method() << "\n";
  }
  if (problems || failures) {
    std::cerr << "sipscope-bench: " << problems << " check problem(s), " << failures
              << " rejected parse(s) in timed runs: these figures are not comparable\n";
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace sipscope::bench

namespace sipscope::bench {
int run_ingest(int argc, char** argv);   // ingest.cpp: capture ingestion throughput (issue 4)
int run_calls(int argc, char** argv);    // calls.cpp: calls + RTP statistics vs tshark (issue 5)
int run_export(int argc, char** argv);   // export.cpp: batch export to SQLite vs calls (issue 7)
}

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "ingest") return sipscope::bench::run_ingest(argc, argv);
  if (argc > 1 && std::string(argv[1]) == "calls") return sipscope::bench::run_calls(argc, argv);
  if (argc > 1 && std::string(argv[1]) == "export") return sipscope::bench::run_export(argc, argv);
  try {
    return sipscope::bench::run(sipscope::bench::parse_args(argc, argv));
  } catch (const std::exception& e) {
    std::cerr << "sipscope-bench: " << e.what() << "\n";
    return 1;
  }
}
