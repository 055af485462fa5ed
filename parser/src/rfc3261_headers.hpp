// Header-value grammars (RFC 3261 section 25 and extensions): the interface the message
// grammar (rfc3261_message.cpp) calls. Defined in rfc3261_headers_def.hpp, compiled only in
// rfc3261_headers.cpp. Private to parser/.
#pragma once

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

// Parses one header value (the text after HCOLON, folding kept, trailing LWS removed) of a
// known kind, appending one typed item per list element to `items`. On failure, `items` is
// restored to its size on entry and `err` says where and why.
bool parse_header_value(header_kind kind, std::string_view value, std::uint32_t value_offset,
                        std::vector<header_item>& items, std::size_t max_items, value_error& err) noexcept;

}  // namespace sipscope::parser::detail
