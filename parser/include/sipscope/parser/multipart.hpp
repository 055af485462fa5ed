// multipart/* bodies (RFC 2046 5.1), as SIP carries them (RFC 3261 7.4, RFC 5621).
//
// Zero copy: parts are views into the body given to the parser, which must outlive them.
// A part's body is octets (it may hold NULs and bare CR/LF: never treat it as a C string).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "sipscope/parser/diagnostic.hpp"

namespace sipscope::parser {

struct mime_header {
  std::string_view name;
  std::string_view value;           // trimmed; a folded value keeps its CRLF + WSP inside
  std::uint32_t offset = 0;         // of the name, in the whole message
};

struct body_part {
  static constexpr std::size_t max_headers = 16;  // further header lines: counted, not kept
  std::array<mime_header, max_headers> headers{};
  std::uint16_t header_count = 0;   // kept in `headers`
  std::uint16_t headers_seen = 0;   // in the part (may exceed max_headers)
  std::string_view raw_headers;     // the header block, without the empty line
  std::string_view body;            // octets up to the CRLF before the next delimiter
  std::uint32_t offset = 0;         // of the part (after its delimiter line), in the message
  std::uint32_t body_offset = 0;    // of `body`, in the message

  // First header with this name (case-insensitive), empty view when absent.
  std::string_view header(std::string_view name) const noexcept;
  // Content-Type value; RFC 2045 5.2 default "text/plain" when absent.
  std::string_view content_type() const noexcept;
  // Whether the Content-Type's type/subtype is `type_subtype` (case-insensitive, ignoring
  // parameters and white space): is("application/sdp").
  bool is(std::string_view type_subtype) const noexcept;
};

// Splits `body` on the boundary (`boundary_param`: the Content-Type boundary parameter value,
// quoted or not). RFC 2046 5.1.1: optional preamble, dash-boundary, transport padding,
// encapsulations, close-delimiter, optional epilogue. Parts are appended to `parts`;
// diagnostics (bad_multipart, multipart_too_deep) are appended to `diags` with offsets shifted
// by `base_offset`. `depth_limit` is the number of multipart levels still allowed: 0 means this
// body is already one too deep (multipart_too_deep, nothing parsed). A missing
// close-delimiter is an error but the parts found are kept (the last one runs to the end).
status parse_multipart(std::string_view body, std::string_view boundary_param,
                       std::vector<body_part>& parts, std::vector<diagnostic>& diags,
                       std::uint32_t base_offset, unsigned depth_limit) noexcept;

// The boundary parameter of a Content-Type value ("multipart/mixed;boundary=\"a b\""), quotes
// removed; empty when absent.
std::string_view multipart_boundary(std::string_view content_type_value) noexcept;

struct sdp_part {
  std::string_view body;            // the application/sdp part's octets
  std::uint32_t offset = 0;         // of `body`, in the whole message
};

// Finds the first application/sdp part, depth first, recursing into nested multipart/* parts
// while the nesting depth (the outer body counts 1) is at most `depth_limit`; a deeper one is
// diagnosed (multipart_too_deep) and skipped. No allocation.
bool find_sdp_part(std::string_view body, std::string_view boundary_param, sdp_part& out,
                   std::vector<diagnostic>& diags, std::uint32_t base_offset,
                   unsigned depth_limit) noexcept;

}  // namespace sipscope::parser
