// What identifies a capture's content (docs/STORE.md, "Identity"): XXH3-128 of every byte of the
// file as stored (compressed files are hashed compressed), then, for an import unit of several
// files, XXH3-128 of their (hash, size) pairs sorted by hash. Non-cryptographic on purpose: it
// tells re-runs and copies apart at memory speed; an accidental collision of 128 bits is not a
// concern, a forged one is (the store is not a defence against someone who writes the captures).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sipscope/store/store.hpp"

namespace sipscope::store {

// 32 hex digits; false (and `error` from errno) when the file cannot be read.
bool content_hash(const std::string& path, std::string& hash, std::uint64_t& size, std::string& error);
std::string unit_key(const std::vector<capture_file>& files);

}  // namespace sipscope::store
