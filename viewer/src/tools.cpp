#include "tools.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

extern char** environ;

namespace sipscope::viewer {

namespace {

std::string sipscope_binary() {
  char buf[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n > 0) {
    std::string self(buf, static_cast<std::size_t>(n));
    const auto slash = self.rfind('/');
    if (slash != std::string::npos) {
      std::string beside = self.substr(0, slash + 1) + "sipscope";
      if (::access(beside.c_str(), X_OK) == 0) return beside;
    }
  }
  return "sipscope";
}

std::string joined(const std::vector<std::string>& ids) {
  std::string s;
  for (const std::string& id : ids) {
    if (!s.empty()) s += ',';
    s += id;
  }
  return s;
}

// Runs argv; stdout to `stdout_path` when not empty; stderr dropped. No shell: no quoting issue.
tool_result run(std::vector<std::string> args, const std::string& stdout_path) {
  tool_result r;
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (!stdout_path.empty()) posix_spawn_file_actions_addopen(&fa, 1, stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid;
  const int e = posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (e != 0) {
    r.message = "cannot run " + args[0] + ": " + std::strerror(e);
    return r;
  }
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

}  // namespace

tool_result export_ladder_svg(const std::vector<std::string>& call_ids, const std::vector<std::string>& files,
                              const std::string& out) {
  std::vector<std::string> a = {sipscope_binary(), "ladder", "-q", "--format", "svg", "--call", joined(call_ids)};
  a.insert(a.end(), files.begin(), files.end());
  tool_result r = run(a, out);
  if (r.status == 0) r.message = "ladder written to " + out;
  else if (r.message.empty()) r.message = "sipscope ladder failed (exit " + std::to_string(r.status) + ")";
  return r;
}

tool_result extract_calls(const std::vector<std::string>& call_ids, const std::vector<std::string>& files,
                          const std::string& out) {
  std::vector<std::string> a = {sipscope_binary(), "extract", "-q", "--call", joined(call_ids), "-o", out};
  a.insert(a.end(), files.begin(), files.end());
  tool_result r = run(a, "");
  if (r.status == 0) r.message = "calls extracted to " + out;
  else if (r.message.empty()) r.message = "sipscope extract failed (exit " + std::to_string(r.status) + ")";
  return r;
}

}  // namespace sipscope::viewer
