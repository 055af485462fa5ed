#include "sipscope/store/hash.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace sipscope::store {

namespace {

std::string hex128(const XXH128_hash_t& h) {
  XXH128_canonical_t c;
  XXH128_canonicalFromHash(&c, h);
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(32);
  for (unsigned char b : c.digest) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 0xF]);
  }
  return out;
}

}  // namespace

bool content_hash(const std::string& path, std::string& hash, std::uint64_t& size, std::string& error) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = std::strerror(errno);
    return false;
  }
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  XXH3_state_t* st = XXH3_createState();
  XXH3_128bits_reset(st);
  std::vector<char> buf(1 << 20);
  size = 0;
  bool ok = true;
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      error = std::strerror(errno);
      ok = false;
      break;
    }
    if (n == 0) break;
    XXH3_128bits_update(st, buf.data(), static_cast<std::size_t>(n));
    size += static_cast<std::uint64_t>(n);
  }
  ::close(fd);
  if (ok) hash = hex128(XXH3_128bits_digest(st));
  XXH3_freeState(st);
  return ok;
}

std::string unit_key(const std::vector<capture_file>& files) {
  std::vector<std::string> parts;
  parts.reserve(files.size());
  for (const capture_file& f : files) parts.push_back(f.hash + ":" + std::to_string(f.size) + ";");
  std::sort(parts.begin(), parts.end());   // the same files in another order are the same unit
  std::string all;
  for (const std::string& p : parts) all += p;
  return hex128(XXH3_128bits(all.data(), all.size()));
}

}  // namespace sipscope::store
