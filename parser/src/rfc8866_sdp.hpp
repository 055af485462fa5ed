// Private: the SDP line grammars (RFC 8866 section 9 ABNF) behind parse_sdp().
//
// Each function matches one line's value (the text after "x=", without its line end) and
// fills the output on success. On failure `failure` holds the furthest byte the grammar could
// not get past and what it expected there, so the diagnostic points at the exact byte.
// Boost 1.74's `>` throws; these grammars use only `>>` and record failures themselves.
#pragma once

#include <cstdint>
#include <string_view>

#include "sipscope/parser/sdp.hpp"

namespace sipscope::parser::rfc8866 {

struct failure {
  const char* pos = nullptr;     // into the parsed value (or one past its end)
  std::string_view expected;     // static string
};

struct media_line {
  std::string_view type, proto, formats;  // formats: "0 8 101" (validated fmt list)
  std::uint16_t port = 0;
  std::uint32_t num_ports = 1;
};

struct connection_line {
  std::string_view nettype, addrtype, address;
  std::string_view slash1, slash2;  // "/127", "/3" including the '/', empty when absent
  std::uint32_t n1 = 0, n2 = 0;
};

bool version(std::string_view v, failure& f) noexcept;
bool text(std::string_view v, failure& f) noexcept;        // s=, i=
bool uri(std::string_view v, failure& f) noexcept;         // u=
bool email(std::string_view v, failure& f) noexcept;       // e=
bool phone(std::string_view v, failure& f) noexcept;       // p=
bool origin(std::string_view v, sdp_origin& out, failure& f) noexcept;
bool connection(std::string_view v, connection_line& out, failure& f) noexcept;
bool bandwidth(std::string_view v, sdp_bandwidth& out, failure& f) noexcept;
bool timing(std::string_view v, sdp_time& out, failure& f) noexcept;
bool repeat(std::string_view v, sdp_repeat& out, failure& f) noexcept;
bool zone(std::string_view v, failure& f) noexcept;
bool key(std::string_view v, sdp_key& out, failure& f) noexcept;
bool attribute(std::string_view v, sdp_attribute& out, failure& f) noexcept;
bool media(std::string_view v, media_line& out, failure& f) noexcept;

// Addresses: IP4-address / IP6-address (RFC 4291, incl. ::ffff:a.b.c.d) / FQDN / extn-addr,
// chosen by addrtype ("IP4", "IP6", other).
bool address(std::string_view addrtype, std::string_view a, sdp_addr& kind, failure& f) noexcept;

// Attribute values (after "name:").
bool rtpmap(std::string_view v, sdp_rtpmap& out, failure& f) noexcept;
bool fmtp(std::string_view v, sdp_fmtp& out, failure& f) noexcept;
bool ptime(std::string_view v, sdp_ptime& out, failure& f) noexcept;
bool rtcp(std::string_view v, sdp_rtcp& out, failure& f) noexcept;
bool crypto(std::string_view v, sdp_crypto& out, failure& f) noexcept;
bool candidate(std::string_view v, sdp_candidate& out, failure& f) noexcept;
bool setup(std::string_view v, sdp_setup& out, failure& f) noexcept;
bool fingerprint(std::string_view v, sdp_fingerprint& out, failure& f) noexcept;
bool mid(std::string_view v, std::string_view& out, failure& f) noexcept;

}  // namespace sipscope::parser::rfc8866
