// Diagnostics shared by every sipscope grammar.
//
// A parse either succeeds, needs more bytes (stream transports), or is malformed. Fatal
// problems and non-fatal findings are both `diagnostic`s: a stable code, a severity, a byte
// range in the input, the rule or header that failed and what it expected. The strings are
// static: a diagnostic never owns memory, so collecting them never allocates per message
// beyond the vector's reused capacity.
#pragma once

#include <cstdint>
#include <string_view>

namespace sipscope::parser {

enum class status : std::uint8_t {
  ok,          // the message parsed (it may still carry warnings and semantic findings)
  incomplete,  // more bytes are needed (stream transport); nothing is wrong yet
  malformed,   // a syntax error or a violation that forbids processing the message
};

enum class severity : std::uint8_t {
  error,    // the message is malformed: an element must reject it (400 or drop)
  warning,  // the message parses but an element should diagnose it (semantic check)
  info,     // noteworthy but legal (e.g. RFC 2543 compatibility)
};

// Stable numeric codes: never renumber, only append. Names are printed by to_string().
enum class diag_code : std::uint16_t {
  // framing and start line (1xx)
  empty_message = 100,
  bad_start_line = 101,
  bad_request_line = 102,
  bad_status_line = 103,
  bad_method = 104,
  bad_request_uri = 105,
  bad_sip_version = 106,
  unsupported_sip_version = 107,
  bad_status_code = 108,
  bad_reason_phrase = 109,
  headers_not_terminated = 110,   // no empty line closing the header section
  message_too_large = 111,
  too_many_headers = 112,
  leading_garbage = 113,          // bytes before the start line (only CRLF is legal there)

  // header syntax (2xx)
  bad_header_line = 200,          // no colon, bad field name
  bad_header_value = 201,         // the value does not match the header's grammar
  bad_uri = 202,
  bad_name_addr = 203,
  bad_via = 204,
  bad_cseq = 205,
  bad_number = 206,               // not digits, or out of the range the RFC gives
  bad_param = 207,
  unterminated_quote = 208,
  empty_list_element = 209,       // stray ',' or ';' (RFC 4475 badinv01)
  bad_date = 210,
  header_value_too_long = 211,

  // body (3xx)
  missing_content_length = 300,   // required on stream transports (RFC 3261 20.14)
  content_length_mismatch = 301,  // body shorter than Content-Length, or extra bytes
  bad_content_length = 302,
  multiple_content_length = 303,
  body_truncated = 304,
  bad_sdp = 305,
  bad_multipart = 306,
  multipart_too_deep = 307,
  trailing_bytes = 308,           // bytes after the body in a datagram: discarded (18.3)

  // semantic checks (4xx): the message parses, but an element must act on it
  missing_mandatory_header = 400, // To, From, CSeq, Call-ID, Max-Forwards, Via (8.1.1)
  cseq_method_mismatch = 401,
  bad_branch = 402,               // Via branch without the z9hG4bK cookie, or only the cookie
  duplicate_single_header = 403,  // a header that may appear once appears several times
  max_forwards_zero = 404,        // a proxy answers 483
  unsupported_uri_scheme = 405,   // 416
  unknown_option_tag = 406,       // Require/Proxy-Require: a UAS/proxy answers 420
  unsupported_media_type = 407,   // body type an element cannot understand: 415
  not_acceptable = 408,           // Accept excludes every type a UAS could produce: 406
  broadcast_address = 409,        // Via sent-by is a broadcast address
  escaped_header_in_request_uri = 410,
  rfc2543_compat = 411,           // no branch cookie, no From tag...: old peer
  unknown_method = 412,
  display_name_not_quoted = 413,
  non_gmt_date = 414,
};

struct diagnostic {
  diag_code code;
  severity level;
  std::uint32_t offset;      // byte offset from the start of the parsed input
  std::uint32_t length;      // bytes covered (0 = a point)
  std::string_view rule;     // header name or ABNF rule (static storage)
  std::string_view expected; // what the grammar expected, or what is wrong (static storage)
};

std::string_view to_string(diag_code c) noexcept;
std::string_view to_string(severity s) noexcept;
std::string_view to_string(status s) noexcept;

}  // namespace sipscope::parser
