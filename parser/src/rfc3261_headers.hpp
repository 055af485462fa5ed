// Header-value grammars (RFC 3261 section 25 and extensions): the interface the message
// grammar (rfc3261_message.cpp) calls. Defined in rfc3261_headers_def.hpp, compiled only in
// rfc3261_headers.cpp. Private to parser/.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "sipscope/parser/diagnostic.hpp"
#include "sipscope/parser/headers.hpp"

namespace sipscope::parser::detail {

// Field names are compared case-insensitively (RFC 3261 7.3.1). A name of two letters or
// more is hashed from its length and three of its letters (first, middle, last, case folded)
// into a 128-slot table where no two known names collide (checked at compile time), and
// compared with that one slot's name, kept lower-cased in little-endian words with a mask of
// its bytes, so that the slot (one cache line) is the only load that depends on the hash.
// A new header in the table may need a new name_hash_mul: try random odd 32-bit multipliers
// until every name has a slot of its own (the current one came from such a search).
constexpr std::size_t max_name_len = 24;
constexpr std::uint32_t name_hash_mul = 0xe1f25133u;
constexpr unsigned name_hash_bits = 7;
constexpr std::uint32_t name_hash(unsigned len, unsigned first, unsigned middle, unsigned last) {
  std::uint32_t x = len | (first | 0x20u) << 8 | (middle | 0x20u) << 16 | (last | 0x20u) << 24;
  return (x * name_hash_mul) >> (32 - name_hash_bits);
}
struct alignas(64) name_slot {
  std::uint64_t lname[3] = {};   // the name, lower-cased, zero-padded
  std::uint64_t mask[3] = {};    // 0xFF over the name's bytes
  std::uint8_t len = 0;          // 0: no name in this slot
  header_kind kind = header_kind::other;
};
struct name_table {
  name_slot by_hash[1u << name_hash_bits];
  header_kind by_compact[26] = {};
};
extern const name_table header_names;  // rfc3261_headers.cpp
static_assert(std::endian::native == std::endian::little, "name_slot words are little-endian");

// lookup_header() for a name of len >= 2 bytes at p when at least 24 bytes can be read from
// p (the header loop's fast path): the bytes past the name are read and masked out, so the
// comparison has no branch on the name's length. A CR in the name must be excluded first (the
// case fold turns it into '-').
inline header_kind lookup_long_name(const char* p, std::size_t len) noexcept {
  auto u = [&](std::size_t j) { return static_cast<unsigned>(static_cast<unsigned char>(p[j])); };
  if (len > max_name_len) return header_kind::other;
  const name_slot& slot = header_names.by_hash[name_hash(static_cast<unsigned>(len), u(0), u(len >> 1), u(len - 1))];
  constexpr std::uint64_t fold = 0x2020202020202020ull;
  std::uint64_t w[3];
  std::memcpy(w, p, sizeof w);
  const std::uint64_t diff = (((w[0] | fold) ^ slot.lname[0]) & slot.mask[0]) | (((w[1] | fold) ^ slot.lname[1]) & slot.mask[1]) |
                             (((w[2] | fold) ^ slot.lname[2]) & slot.mask[2]) | (slot.len ^ len);
  return diff ? header_kind::other : slot.kind;
}

struct value_error {
  diag_code code = diag_code::bad_header_value;
  std::uint32_t offset = 0;     // relative to the value's first byte
  std::string_view expected;    // static
};

// How a kind's value is parsed: its grammar's function (rfc3261_headers.cpp), with the
// table's value type, list flag and whether an empty value is legal. One row per header_kind,
// so the header loop reaches a kind's grammar with one indexed call (a switch on the kind cost
// two jump tables, bit tests and a second call on every header).
struct value_parser {
  using fn = bool (*)(std::string_view value, std::uint32_t value_offset, std::vector<header_item>& items,
                      std::size_t max_items, value_error& err, value_type type, bool list);
  fn parse;
  value_type type;
  bool list;
  bool allow_empty;
};
extern const std::array<value_parser, static_cast<std::size_t>(header_kind::count_)> value_parsers;
// The error of an empty value where the kind needs one (false).
bool empty_value(value_type type, value_error& err) noexcept;

// Parses one header value (the text after HCOLON, folding kept, trailing LWS removed) of a
// known kind, appending one typed item per list element to `items`. On failure, `items` is
// restored to its size on entry and `err` says where and why.
inline bool parse_header_value(header_kind kind, std::string_view value, std::uint32_t value_offset,
                               std::vector<header_item>& items, std::size_t max_items, value_error& err) noexcept {
  const value_parser& p = value_parsers[static_cast<std::size_t>(kind)];
  if (value.empty()) [[unlikely]] return p.allow_empty || empty_value(p.type, err);
  return p.parse(value, value_offset, items, max_items, err, p.type, p.list);
}

}  // namespace sipscope::parser::detail
