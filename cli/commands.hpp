// Subcommands of the `sipscope` binary. Each takes the arguments after its name and returns
// the process exit status: 0 success, 1 the input was analysed and found faulty (e.g. a
// malformed message), 2 usage or I/O error.
#pragma once

#include <span>
#include <string_view>

namespace sipscope::cli {

using args = std::span<const std::string_view>;

inline constexpr int exit_ok = 0;
inline constexpr int exit_findings = 1;
inline constexpr int exit_usage = 2;

int cmd_parse(args a);
int cmd_calls(args a);
int cmd_stats(args a);
int cmd_ladder(args a);
int cmd_rtp(args a);
int cmd_extract(args a);
int cmd_live(args a);
int cmd_export(args a);
int cmd_explain(args a);

}  // namespace sipscope::cli
