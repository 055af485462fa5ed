// One SIP message (RFC 3261 section 7 and 25): start line, header fields, body.
//
// Zero copy: every string_view points into the buffer given to parse_message(), which must
// outlive the message. A `message` is meant to be reused: parsing into it clears it but keeps
// the capacity of its vectors, so parsing a stream of messages allocates nothing per header
// once warmed up.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "sipscope/parser/diagnostic.hpp"
#include "sipscope/parser/headers.hpp"
#include "sipscope/parser/uri.hpp"

namespace sipscope::parser {

enum class method : std::uint8_t {
  unknown, invite, ack, bye, cancel, options, register_, prack, subscribe, notify, publish,
  info, refer, message, update,
};
method lookup_method(std::string_view token) noexcept;  // case-sensitive (RFC 3261 7.1)
std::string_view to_string(method m) noexcept;

// Each leniency relaxes one ABNF rule; all are off by default (strict). The CLI prints which
// were on. Named after llhttp's model: opt-in, one flag per relaxation.
struct leniency {
  bool lws_in_start_line = false;   // several SP / trailing SP in the request line (4475 lwsstart, trws)
  bool bare_lf = false;             // LF line ends instead of CRLF (the header grammar's folding
                                    // still needs CRLF: a folded line with bare LF stays an error)
};

struct limits {
  std::size_t max_message_size = 256 * 1024;  // bytes of start line + headers + body
  std::size_t max_headers = 512;              // header fields per message
  std::size_t max_items = 4096;               // list elements over all headers
  std::size_t max_diagnostics = 64;           // further ones are counted, not stored
  std::size_t max_multipart_depth = 4;
};

enum class transport : std::uint8_t {
  datagram,  // UDP/SCTP-like: the message is the whole buffer; Content-Length optional,
             // bytes after the body are discarded (RFC 3261 18.3)
  stream,    // TCP/TLS: Content-Length is mandatory and frames the message
};

struct parse_options {
  transport framing = transport::datagram;
  leniency lenient{};
  limits limit{};
  bool semantic_checks = true;  // run the section 8/16/20 checks listed in diag_code 4xx
};

struct request_line {
  std::string_view method_text;
  method method_kind = method::unknown;
  std::string_view uri_text;
  uri request_uri;
  std::string_view version;     // "SIP/2.0"
};

struct status_line {
  std::string_view version;
  std::uint16_t code = 0;
  std::string_view reason;      // may be empty
};

struct message {
  bool is_request = false;
  request_line request;         // when is_request
  status_line response;         // when !is_request
  std::string_view start_line;  // without CRLF

  std::vector<header> headers;       // in wire order
  std::vector<header_item> items;    // typed elements, referenced by header::first_item

  std::string_view body;            // exactly Content-Length bytes (or the rest of the datagram)
  std::uint32_t body_offset = 0;
  std::uint32_t size = 0;           // bytes consumed: start line + headers + body

  std::vector<diagnostic> diagnostics;
  std::uint32_t dropped_diagnostics = 0;   // beyond limits::max_diagnostics
  std::string_view input;           // the whole buffer given to the parser

  void clear();

  // First header of a kind, or nullptr.
  const header* find(header_kind k) const noexcept;
  // First header with this name (case-insensitive; known names match compact forms too).
  const header* find(std::string_view name) const noexcept;
  // Typed items of a header.
  const header_item* item_begin(const header& h) const noexcept { return items.data() + h.first_item; }
  const header_item* item_end(const header& h) const noexcept { return items.data() + h.first_item + h.item_count; }
  // First typed item of the first valid header of a kind (nullptr when absent or invalid).
  const header_item* first_item(header_kind k) const noexcept;

  // Convenience accessors for the transaction/dialog keys.
  std::string_view call_id() const noexcept;
  const name_addr* from() const noexcept;
  const name_addr* to() const noexcept;
  const cseq_value* cseq() const noexcept;
  const via_value* top_via() const noexcept;
  // Content-Length when present and valid (else -1).
  long long content_length() const noexcept;
  // Content-Type "type/subtype" view and item, nullptr when absent.
  const media_type* content_type() const noexcept;

  // 1-based line and column of a byte offset in `input`.
  std::uint32_t line_of(std::uint32_t offset) const noexcept;
  bool has_errors() const noexcept;
};

struct parse_result {
  status state = status::malformed;
  std::size_t consumed = 0;  // bytes of the message (stream: where the next one starts)
};

// Parses one message at the start of `input`. Datagram framing: the message may not use
// more than `input`; stream framing: `incomplete` until the header section and the
// Content-Length body are all there. Never throws; never reads outside `input`.
parse_result parse_message(std::string_view input, message& out, const parse_options& opt = {}) noexcept;

}  // namespace sipscope::parser
