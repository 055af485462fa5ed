// sipscope: command-line front end. Dispatches to one subcommand per table entry; the
// subcommands hold no protocol logic of their own beyond presenting what the libraries return.
#include <cstdio>
#include <exception>
#include <string_view>
#include <vector>

#include "commands.hpp"

#ifndef SIPSCOPE_VERSION
#define SIPSCOPE_VERSION "0.0.0"
#endif

namespace {

using namespace sipscope::cli;

struct command {
  std::string_view name;
  std::string_view summary;
  int (*run)(args);
};

// One row per subcommand. Later ones (export) are added here as they land.
constexpr command commands[] = {
    {"calls", "list the calls (and other SIP records) of packet captures", cmd_calls},
    {"explain", "say why each call failed, with the evidence (frames, headers, SDP, timers)", cmd_explain},
    {"ladder", "draw the message ladder (sequence diagram) of calls", cmd_ladder},
    {"stats", "count SIP requests, responses, hosts, transports and problems", cmd_stats},
    {"rtp", "list the RTP streams with loss, jitter, MOS, RTCP and DTMF", cmd_rtp},
    {"extract", "write the frames of chosen calls (SIP and RTP/RTCP) to a new capture", cmd_extract},
    {"live", "capture on an interface and print each call as it ends", cmd_live},
    {"export", "store the records of many captures in SQLite or PostgreSQL", cmd_export},
    {"parse", "parse raw SIP messages and print their structure and diagnostics", cmd_parse},
};

void print_usage(std::FILE* to) {
  std::fprintf(to,
               "usage: sipscope COMMAND [OPTIONS] [ARGS...]\n"
               "       sipscope --help | --version\n"
               "\n"
               "Analyse SIP signalling from raw messages and packet captures.\n"
               "\n"
               "commands:\n");
  for (const auto& c : commands)
    std::fprintf(to, "  %-10.*s %.*s\n", static_cast<int>(c.name.size()), c.name.data(),
                 static_cast<int>(c.summary.size()), c.summary.data());
  std::fprintf(to,
               "\n"
               "Run 'sipscope COMMAND --help' for a command's options.\n"
               "Exit status: 0 success, 1 the input has errors, 2 usage or I/O error.\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> a(argv + 1, argv + argc);
  if (a.empty()) {
    print_usage(stderr);
    return exit_usage;
  }
  const std::string_view first = a.front();
  if (first == "--help" || first == "-h" || first == "help") {
    print_usage(stdout);
    return exit_ok;
  }
  if (first == "--version" || first == "-V") {
    std::printf("sipscope %s\n", SIPSCOPE_VERSION);
    return exit_ok;
  }
  for (const auto& c : commands) {
    if (c.name != first) continue;
    // Exceptions stop at this edge (the libraries never throw; std:: allocation may).
    try {
      return c.run(args(a).subspan(1));
    } catch (const std::exception& e) {
      std::fflush(stdout);
      std::fprintf(stderr, "sipscope %.*s: %s\n", static_cast<int>(first.size()), first.data(), e.what());
      return exit_usage;
    }
  }
  std::fprintf(stderr, "sipscope: unknown command '%.*s'\n\n", static_cast<int>(first.size()), first.data());
  print_usage(stderr);
  return exit_usage;
}
