// Header field kinds and their typed values (RFC 3261 section 20 and common extensions).
#pragma once

#include <cstdint>
#include <string_view>

#include "sipscope/parser/params.hpp"
#include "sipscope/parser/uri.hpp"

namespace sipscope::parser {

// One entry per known header. `other` keeps unknown headers as raw name/value.
// The order is stable (it is printed by number nowhere, but tests and tables rely on names).
enum class header_kind : std::uint8_t {
  other = 0,
  accept, accept_encoding, accept_language, alert_info, allow, allow_events,
  authentication_info, authorization, call_id, call_info, contact, content_disposition,
  content_encoding, content_language, content_length, content_type, cseq, date, error_info,
  event, expires, from, in_reply_to, max_forwards, min_expires, min_se, mime_version,
  organization, p_asserted_identity, p_preferred_identity, priority, privacy,
  proxy_authenticate, proxy_authorization, proxy_require, rack, reason, record_route,
  refer_to, referred_by, replaces, reply_to, require, retry_after, route, rseq, server,
  session_expires, subject, subscription_state, supported, timestamp, to, unsupported,
  user_agent, via, warning, www_authenticate,
  count_  // number of kinds
};

// Canonical name ("Call-ID"), compact letter (0 when none), and RFC of a kind.
std::string_view header_name(header_kind k) noexcept;
char header_compact(header_kind k) noexcept;
std::string_view header_rfc(header_kind k) noexcept;
// Looks up a field name as written (case-insensitive, compact forms included).
header_kind lookup_header(std::string_view name, bool* is_compact = nullptr) noexcept;
// Headers whose value is a comma-separated list (RFC 3261 7.3.1): one item per element.
bool header_is_list(header_kind k) noexcept;
// Headers that may appear at most once in a message (RFC 3261 20, table 2/3).
bool header_is_single(header_kind k) noexcept;

// name-addr / addr-spec with header parameters: From, To, Contact, Route, Record-Route,
// Reply-To, Refer-To, Referred-By, P-Asserted-Identity, P-Preferred-Identity.
struct name_addr {
  std::string_view display_name;  // raw: quoted-string with its quotes, or the token run
  bool display_quoted = false;
  bool bracketed = false;         // "<uri>" form (name-addr) vs bare addr-spec
  bool star = false;              // Contact: *
  uri address;
  param_list params;              // header parameters (";tag=..", ";expires=..")
};

struct via_value {
  std::string_view protocol;      // "SIP"
  std::string_view version;       // "2.0"
  std::string_view transport;     // "UDP", "TCP", "TLS", "SCTP", "WS", "WSS", other token
  std::string_view host;          // IPv6 keeps its brackets
  host_kind host_type = host_kind::none;
  std::uint16_t port = 0;
  bool has_port = false;
  param_list params;
  // Shortcuts to the common parameters (empty views when absent).
  std::string_view branch, received, maddr, ttl, rport;
  bool has_rport = false;
};

struct cseq_value {
  std::uint32_t number = 0;
  std::string_view method;
};

struct rack_value {
  std::uint32_t rseq = 0;
  std::uint32_t cseq = 0;
  std::string_view method;
};

// Content-Type, Accept elements: type "/" subtype *(; param).
struct media_type {
  std::string_view type, subtype;
  param_list params;
};

// Authorization, Proxy-Authorization, WWW-Authenticate, Proxy-Authenticate,
// Authentication-Info (scheme empty).
struct auth_value {
  std::string_view scheme;        // "Digest", or any token
  param_list params;              // ',' separated auth-params; values may be quoted
};

// Token with parameters: Event, Subscription-State, Content-Disposition, Reason (protocol),
// Privacy / Allow / Supported / Require / Proxy-Require / Unsupported / Content-Encoding /
// Accept-Encoding / Accept-Language / Allow-Events / Content-Language elements,
// Session-Expires / Min-SE / Retry-After / Expires (token = the number text), Priority.
struct token_value {
  std::string_view token;
  param_list params;
};

// Numeric headers: Content-Length, Max-Forwards, Expires, Min-Expires, RSeq, Session-Expires,
// Min-SE, Retry-After (the number; its parameters, if any, in `params`).
struct number_value {
  std::uint32_t value = 0;
  param_list params;
};

// Replaces (RFC 3891): callid *(; param) with to-tag, from-tag, early-only.
struct replaces_value {
  std::string_view call_id;
  param_list params;
  std::string_view to_tag, from_tag;
  bool early_only = false;
};

struct timestamp_value {
  std::string_view value;   // 1*DIGIT ["." *DIGIT]
  std::string_view delay;   // empty when absent
};

// Date (RFC 3261 25.1 SIP-date = rfc1123-date, always GMT).
struct date_value {
  std::uint16_t year = 0;
  std::uint8_t month = 0, day = 0, hour = 0, minute = 0, second = 0;  // month 1..12
  std::string_view weekday;
};

// Warning: warn-code SP warn-agent SP warn-text.
struct warning_value {
  std::uint16_t code = 0;
  std::string_view agent;
  std::string_view text;    // quoted-string with its quotes
};

// Call-Info, Alert-Info, Error-Info: "<" absoluteURI ">" *(; param).
struct info_value {
  std::string_view uri_text;
  param_list params;
};

enum class value_type : std::uint8_t {
  raw, name_addr, via, cseq, rack, media_type, auth, token, number, replaces, timestamp,
  date, warning, info, call_id,
};
value_type header_value_type(header_kind k) noexcept;
std::string_view to_string(value_type t) noexcept;  // "name_addr", "via"...

// One element of a header's value: a header with a comma-separated list gives several.
struct header_item {
  std::string_view raw;           // the element's text, trimmed
  std::uint32_t offset = 0;       // of `raw` in the message
  value_type type = value_type::raw;
  // The member named by `type` is the live one (raw and call_id use none). The parser
  // constructs only that member, so adding an item costs the size of its own type. It is
  // copied from a constexpr default-constructed T (parse_elements): every field of these
  // structs (and of uri) must keep a default member initializer, and the structs must stay
  // trivially copyable with a constexpr default constructor.
  union {
    char none_;
    name_addr addr;
    via_value via;
    cseq_value cseq;
    rack_value rack;
    media_type media;
    auth_value auth;
    token_value token;
    number_value number;
    replaces_value replaces;
    timestamp_value timestamp;
    date_value date;
    warning_value warning;
    info_value info;
  };
  header_item() : none_() {}
};

struct header {
  header_kind kind = header_kind::other;
  std::string_view name;          // as written
  std::string_view value;         // raw value: after HCOLON, trailing LWS removed, folding kept
  std::uint32_t offset = 0;       // of the field's first byte in the message
  std::uint32_t length = 0;       // up to and including its CRLF (folded lines included)
  std::uint32_t value_offset = 0;
  bool compact = false;           // written in compact form ("v", "i"...)
  bool valid = true;              // false: the value did not match the header's grammar
  bool folded = false;            // the value spans several lines (LWS folding)
  std::uint16_t first_item = 0;   // index into message::items
  std::uint16_t item_count = 0;
};

}  // namespace sipscope::parser
