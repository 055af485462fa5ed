// Header-value grammars (RFC 3261 section 25 and extensions): the interface the message
// grammar (rfc3261_message.cpp) calls. Defined in rfc3261_headers_def.hpp, compiled only in
// rfc3261_headers.cpp. Private to parser/.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "sipscope/parser/diagnostic.hpp"
#include "sipscope/parser/headers.hpp"

namespace sipscope::parser::detail {

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
