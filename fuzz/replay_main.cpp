// Replays inputs through a libFuzzer harness without libFuzzer: the normal (non-clang, non-fuzz)
// build links each harness with this main so that ctest runs every seed and every crasher kept
// in fuzz/regressions/ on every build. Usage: HARNESS-replay FILE|DIR...
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

static int run_file(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  if (!f) {
    std::fprintf(stderr, "replay: cannot read %s\n", p.c_str());
    return 1;
  }
  std::vector<char> buf((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  // A copy in its own allocation, exactly sized, so that ASan catches any over-read.
  std::vector<std::uint8_t> exact(buf.begin(), buf.end());
  LLVMFuzzerTestOneInput(exact.data(), exact.size());
  return 0;
}

int main(int argc, char** argv) {
  std::size_t n = 0;
  int rc = 0;
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path p(argv[i]);
    if (std::filesystem::is_directory(p)) {
      for (const auto& e : std::filesystem::recursive_directory_iterator(p)) {
        if (!e.is_regular_file()) continue;
        rc |= run_file(e.path());
        ++n;
      }
    } else if (std::filesystem::exists(p)) {
      rc |= run_file(p);
      ++n;
    }
  }
  std::printf("replayed %zu inputs\n", n);
  return rc;
}
