// What the viewer leaves to the command line, which already does it (one implementation each):
// the ladder as SVG (`sipscope ladder --format svg`) and the pcap of calls (`sipscope extract`).
// Runs the `sipscope` binary installed beside sipscope-view (else the one in PATH). No ImGui.
#pragma once

#include <string>
#include <vector>

namespace sipscope::viewer {

struct tool_result {
  int status = -1;        // exit status; -1 could not run
  std::string message;    // for the status line
};

// `sipscope ladder --format svg --call A,B FILES > out` / `sipscope extract --call A,B -o out FILES`.
tool_result export_ladder_svg(const std::vector<std::string>& call_ids, const std::vector<std::string>& files,
                              const std::string& out);
tool_result extract_calls(const std::vector<std::string>& call_ids, const std::vector<std::string>& files,
                          const std::string& out);

}  // namespace sipscope::viewer
