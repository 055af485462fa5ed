// URIs: SIP/SIPS (RFC 3261 19.1, 25.1), tel (RFC 3966), and any other absoluteURI (kept opaque).
#pragma once

#include <cstdint>
#include <string_view>

#include "sipscope/parser/diagnostic.hpp"
#include "sipscope/parser/params.hpp"

namespace sipscope::parser {

enum class uri_scheme : std::uint8_t { none, sip, sips, tel, other };
enum class host_kind : std::uint8_t { none, hostname, ipv4, ipv6 };

struct uri {
  std::string_view raw;          // the whole URI text
  std::string_view scheme;       // as written ("sip", "SIPS", "tel", "soap.beep"...)
  uri_scheme kind = uri_scheme::none;
  // sip/sips: userinfo and hostport. tel: `user` holds the telephone-subscriber number.
  std::string_view user;         // escaped form; unescape() decodes %HH
  std::string_view password;
  bool has_password = false;
  std::string_view host;         // IPv6 references keep their brackets: "[2001:db8::1]"
  host_kind host_type = host_kind::none;
  std::uint16_t port = 0;
  bool has_port = false;
  param_list params;             // uri-parameters (sip/sips) or tel parameters, ';'-separated
  param_list headers;            // "?a=b&c=d" URI headers (sip/sips only), '&'-separated
  std::string_view opaque;       // other schemes: everything after "scheme:"
  bool tel_global = false;       // tel: number starts with '+'
};

struct uri_result {
  bool ok = false;
  std::uint32_t error_offset = 0;   // relative to the URI text, when !ok
  std::string_view expected;        // static string, when !ok
};

// Parses `text` (exactly: no leading/trailing whitespace, no surrounding <>) as a URI.
// Strict RFC 3261 ABNF for sip/sips (with RFC 5118's tolerance of the three-colon IPv6 form),
// RFC 3966 for tel, RFC 3986-ish absoluteURI for the rest.
uri_result parse_uri(std::string_view text, uri& out) noexcept;

std::string_view to_string(uri_scheme s) noexcept;
std::string_view to_string(host_kind h) noexcept;

}  // namespace sipscope::parser
