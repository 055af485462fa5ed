// The physical bound: find every line end with memchr, touch nothing else. No parser can
// look at every byte of the header section and be faster than this.
#include <cstring>

#include "bench.hpp"

namespace sipscope::bench {
namespace {

class memchr_peer final : public peer {
 public:
  std::string_view name() const noexcept override { return "memchr"; }
  std::string version() const override { return "libc"; }
  std::string method() const override { return "memchr('\\n') over the whole message, counting lines"; }

  std::size_t parse_all(std::span<const std::string_view> msgs) override {
    std::size_t lines = 0;
    for (std::string_view m : msgs) {
      const char* p = m.data();
      const char* end = p + m.size();
      while (p < end) {
        const void* nl = std::memchr(p, '\n', static_cast<std::size_t>(end - p));
        if (!nl) break;
        p = static_cast<const char*>(nl) + 1;
        ++lines;
      }
    }
    sink_ = sink_ + lines;  // volatile: the loop cannot be optimised away
    return 0;
  }

  summary inspect(std::string_view) override {
    summary s;
    s.ok = true;
    return s;
  }

 private:
  volatile std::size_t sink_ = 0;
};

}  // namespace

std::unique_ptr<peer> make_memchr_peer() { return std::make_unique<memchr_peer>(); }

}  // namespace sipscope::bench
