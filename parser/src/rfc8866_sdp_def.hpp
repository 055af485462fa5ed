// Private: Spirit X3 definitions of the SDP grammars declared in rfc8866_sdp.hpp.
// Included by rfc8866_sdp.cpp only (one translation unit compiles the grammar).
//
// Rules follow RFC 8866 section 9; attribute grammars cite their own RFC. Outputs are written
// by semantic actions into the struct bound to `out_tag`, as views into the input (raw[]).
// Every element that can fail is wrapped in need("what")[...], which records the furthest
// failing position in the `failure` bound to `fail_tag`: the caller reports that byte.
#pragma once

#include <boost/spirit/home/x3.hpp>

#include <cstdint>
#include <string_view>

#include "addresses.hpp"
#include "rfc8866_sdp.hpp"

namespace sipscope::parser::rfc8866 {

namespace x3 = boost::spirit::x3;
using iter = const char*;

struct out_tag;
struct fail_tag;

// ---- need("what")[p]: record the furthest failure instead of throwing --------------------

template <typename Subject>
struct need_directive : x3::unary_parser<Subject, need_directive<Subject>> {
  using base_type = x3::unary_parser<Subject, need_directive<Subject>>;
  static bool const is_pass_through_unary = true;
  std::string_view what;
  constexpr need_directive(Subject const& s, std::string_view w) : base_type(s), what(w) {}

  template <typename Iterator, typename Context, typename RContext, typename Attribute>
  bool parse(Iterator& first, Iterator const& last, Context const& ctx, RContext& rctx,
             Attribute& attr) const {
    Iterator const save = first;
    if (this->subject.parse(first, last, ctx, rctx, attr)) return true;
    failure& f = x3::get<fail_tag>(ctx);
    if (f.pos == nullptr || save > f.pos) {
      f.pos = save;
      f.expected = what;
    }
    return false;
  }
};

struct need_gen {
  std::string_view what;
  template <typename Subject>
  constexpr need_directive<typename x3::extension::as_parser<Subject>::value_type> operator[](
      Subject const& s) const {
    return {x3::as_parser(s), what};
  }
};
constexpr need_gen need(std::string_view what) { return {what}; }

// ---- character classes (RFC 8866 9) ----------------------------------------------------

constexpr bool is_alnum(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
// token-char = %x21 / %x23-27 / %x2A-2B / %x2D-2E / %x30-39 / %x41-5A / %x5E-7E
constexpr bool is_token(unsigned char c) {
  return c == 0x21 || (c >= 0x23 && c <= 0x27) || c == 0x2A || c == 0x2B || c == 0x2D ||
         c == 0x2E || (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) ||
         (c >= 0x5E && c <= 0x7E);
}
// non-ws-string = 1*(VCHAR / %x80-FF)
constexpr bool is_non_ws(unsigned char c) { return (c >= 0x21 && c <= 0x7E) || c >= 0x80; }
// a connection address up to its "/ttl": non-ws without '/'
constexpr bool is_addr(unsigned char c) { return is_non_ws(c) && c != '/'; }
// byte-string = 1*(%x01-09 / %x0B-0C / %x0E-FF)
constexpr bool is_byte(unsigned char c) { return c != 0 && c != '\r' && c != '\n'; }
// email-safe = %x01-09 / %x0B-0C / %x0E-27 / %x2A-3B / %x3D / %x3F-FF
constexpr bool is_email_safe(unsigned char c) {
  return is_byte(c) && c != '(' && c != ')' && c != '<' && c != '>';
}
// FQDN = 4*(alpha-numeric / "-" / ".")
constexpr bool is_fqdn(unsigned char c) { return is_alnum(c) || c == '-' || c == '.'; }
// ice-char = ALPHA / DIGIT / "+" / "/" (RFC 8839)
constexpr bool is_ice(unsigned char c) { return is_alnum(c) || c == '+' || c == '/'; }
// crypto-suite = 1*(ALPHA / DIGIT / "_") (RFC 4568)
constexpr bool is_suite(unsigned char c) { return is_alnum(c) || c == '_'; }
// key-info = 1*(%x21-3A / %x3C-7E): visible characters but ';'
constexpr bool is_key_info(unsigned char c) { return c >= 0x21 && c <= 0x7E && c != ';'; }
constexpr bool is_vchar(unsigned char c) { return c >= 0x21 && c <= 0x7E; }
// addr-spec characters, loosely (RFC 5322 is out of scope): no white space, no <>()@
constexpr bool is_mail(unsigned char c) {
  return is_non_ws(c) && c != '<' && c != '>' && c != '(' && c != ')' && c != '@';
}

template <bool (*Pred)(unsigned char)>
struct class_parser : x3::char_parser<class_parser<Pred>> {
  using attribute_type = char;
  static bool const has_attribute = true;
  template <typename Char, typename Context>
  bool test(Char ch, Context const&) const {
    return Pred(static_cast<unsigned char>(ch));
  }
};

// ---- custom primitives ----------------------------------------------------------------

// IP4-address = b1 3("." decimal-uchar): no leading zeros (RFC 8866 9). IPv6: RFC 4291 2.2
// text forms, with the dotted IPv4 tail (RFC 5118 4.4) but not RFC 3261's three-colon form.
inline bool valid_ipv4(std::string_view s) noexcept { return grammar::is_ipv4(s, false); }
inline bool valid_ipv6(std::string_view s) noexcept { return grammar::is_ipv6(s, false, false); }
using grammar::is_hex;

// Matches the longest run of IPv6 text characters and accepts it when it is an IPv6 address.
struct ipv6_parser : x3::parser<ipv6_parser> {
  using attribute_type = x3::unused_type;
  static bool const has_attribute = false;
  template <typename Iterator, typename Context, typename RContext, typename Attribute>
  bool parse(Iterator& first, Iterator const& last, Context const&, RContext&, Attribute&) const {
    Iterator it = first;
    while (it != last && (is_hex(*it) || *it == ':' || *it == '.')) ++it;
    if (!valid_ipv6(std::string_view(first, std::size_t(it - first)))) return false;
    first = it;
    return true;
  }
};

struct ipv4_parser : x3::parser<ipv4_parser> {
  using attribute_type = x3::unused_type;
  static bool const has_attribute = false;
  template <typename Iterator, typename Context, typename RContext, typename Attribute>
  bool parse(Iterator& first, Iterator const& last, Context const&, RContext&, Attribute&) const {
    Iterator it = first;
    while (it != last && ((*it >= '0' && *it <= '9') || *it == '.')) ++it;
    if (!valid_ipv4(std::string_view(first, std::size_t(it - first)))) return false;
    first = it;
    return true;
  }
};

// Unsigned decimal with a range: consumes every digit and fails at the first one when the
// value is out of range, so a diagnostic points at the number, not inside it.
template <typename T, std::uint64_t Max, unsigned MaxDigits>
struct bounded_uint : x3::parser<bounded_uint<T, Max, MaxDigits>> {
  using attribute_type = T;
  static bool const has_attribute = true;
  template <typename Iterator, typename Context, typename RContext, typename Attribute>
  bool parse(Iterator& first, Iterator const& last, Context const&, RContext&, Attribute& attr) const {
    Iterator it = first;
    std::uint64_t v = 0;
    unsigned n = 0;
    while (it != last && *it >= '0' && *it <= '9') {
      if (n < 19) v = v * 10 + std::uint64_t(*it - '0');
      ++n;
      ++it;
    }
    if (n == 0 || n > MaxDigits || n > 19 || v > Max) return false;
    x3::traits::move_to(static_cast<T>(v), attr);
    first = it;
    return true;
  }
};

// ---- semantic actions ----------------------------------------------------------------

inline std::string_view to_sv(boost::iterator_range<iter> const& r) {
  return {r.begin(), std::size_t(r.end() - r.begin())};
}
template <typename T>
inline void assign(std::string_view& dst, T const& r) { dst = to_sv(r); }
template <typename D, typename S>
inline void assign(D& dst, S const& v) { dst = static_cast<D>(v); }

template <auto Member>
struct set_fn {
  template <typename Context>
  void operator()(Context& ctx) const {
    assign(x3::get<out_tag>(ctx).*Member, x3::_attr(ctx));
  }
};
template <auto Member>
inline constexpr set_fn<Member> set{};

inline bool to_u64(std::string_view s, std::uint64_t& v) noexcept {
  if (s.empty() || s.size() > 19) return false;
  v = 0;
  for (char c : s) v = v * 10 + std::uint64_t(c - '0');
  return true;
}
// t= times: 0, or POS-DIGIT 9*DIGIT (NTP seconds), at most 19 digits to fit 64 bits
template <auto Member>
struct set_time_fn {
  template <typename Context>
  void operator()(Context& ctx) const {
    std::uint64_t v;
    if (!to_u64(to_sv(x3::_attr(ctx)), v)) x3::_pass(ctx) = false;
    else x3::get<out_tag>(ctx).*Member = v;
  }
};
template <auto Member>
inline constexpr set_time_fn<Member> set_time{};

// ---- common elements -----------------------------------------------------------------

using x3::lit;
auto const sp = lit(' ');
auto const wsp = lit(' ') | lit('\t');
// Own classes, not x3::digit/xdigit/no_case: Boost's "standard" encoding asserts (and calls
// <cctype> with a negative value, which is UB) on bytes >= 0x80, and SDP text carries UTF-8.
constexpr bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
constexpr bool is_hexdig(unsigned char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
auto const digit = class_parser<is_digit>{};
auto const token = x3::raw[+class_parser<is_token>{}];
auto const non_ws = x3::raw[+class_parser<is_non_ws>{}];
auto const byte_string = x3::raw[+class_parser<is_byte>{}];
auto const eol = need("end of line")[x3::eoi];
auto const port = bounded_uint<std::uint16_t, 65535, 5>{};
auto const u32 = bounded_uint<std::uint32_t, 0xFFFFFFFFu, 10>{};
auto const u64 = bounded_uint<std::uint64_t, ~std::uint64_t(0), 19>{};
auto const pt_num = bounded_uint<std::uint8_t, 127, 3>{};  // RFC 3551 3: the marker bit takes the 8th
auto const integer = x3::raw[x3::char_('1', '9') >> *digit];     // POS-DIGIT *DIGIT
auto const time_value = x3::raw[(x3::char_('1', '9') >> x3::repeat(9, x3::inf)[digit]) |
                                (lit('0') >> !digit)];
auto const conn_address = x3::raw[+class_parser<is_addr>{}];

// ---- running a grammar ---------------------------------------------------------------

template <typename Parser, typename Out>
inline bool run(Parser const& p, std::string_view v, Out& out, failure& f) noexcept {
  f = failure{};
  iter first = v.data();
  iter const last = v.data() + v.size();
  bool ok = x3::parse(first, last, x3::with<out_tag>(out)[x3::with<fail_tag>(f)[p]]);
  if (!ok && f.pos == nullptr) {
    f.pos = first;
    f.expected = "value";
  }
  return ok;
}
struct nothing {};

// ---- session lines -------------------------------------------------------------------

// proto-version = %s"v" "=" 1*DIGIT; this memo (and RFC 4566) defines version 0 only
auto const version_def = need("0")[lit('0')] >> eol;
bool version(std::string_view v, failure& f) noexcept { nothing n; return run(version_def, v, n, f); }

auto const text_def = need("text")[byte_string] >> eol;
bool text(std::string_view v, failure& f) noexcept { nothing n; return run(text_def, v, n, f); }

// uri = URI-reference (RFC 3986): checked as a non-ws-string
auto const uri_def = need("URI")[non_ws] >> eol;
bool uri(std::string_view v, failure& f) noexcept { nothing n; return run(uri_def, v, n, f); }

// email-address = address-and-comment / dispname-and-address / addr-spec
auto const addr_spec = +class_parser<is_mail>{} >> lit('@') >> +class_parser<is_mail>{};
auto const email_def =
    need("email-address")[(addr_spec >> +sp >> lit('(') >> +class_parser<is_email_safe>{} >> lit(')')) |
                          (+class_parser<is_email_safe>{} >> lit('<') >> addr_spec >> lit('>')) |
                          addr_spec] >>
    eol;
bool email(std::string_view v, failure& f) noexcept { nothing n; return run(email_def, v, n, f); }

// phone-number = phone *SP "(" 1*email-safe ")" / 1*email-safe "<" phone ">" / phone
auto const phone_p = -lit('+') >> digit >> +(lit(' ') | lit('-') | digit);
auto const phone_def =
    need("phone-number")[(phone_p >> *sp >> lit('(') >> +class_parser<is_email_safe>{} >> lit(')')) |
                         (+(class_parser<is_email_safe>{} - lit('<')) >> lit('<') >> phone_p >> lit('>')) |
                         phone_p] >>
    eol;
bool phone(std::string_view v, failure& f) noexcept { nothing n; return run(phone_def, v, n, f); }

// origin-field = username SP sess-id SP sess-version SP nettype SP addrtype SP unicast-address
auto const origin_def =
    need("username")[non_ws[set<&sdp_origin::username>]] >> need("SP")[sp] >>
    need("sess-id")[x3::raw[+digit][set<&sdp_origin::sess_id>]] >> need("SP")[sp] >>
    need("sess-version")[x3::raw[+digit][set<&sdp_origin::sess_version>]] >> need("SP")[sp] >>
    need("nettype")[token[set<&sdp_origin::nettype>]] >> need("SP")[sp] >>
    need("addrtype")[token[set<&sdp_origin::addrtype>]] >> need("SP")[sp] >>
    need("unicast-address")[non_ws[set<&sdp_origin::address>]] >> eol;
bool origin(std::string_view v, sdp_origin& out, failure& f) noexcept {
  if (!run(origin_def, v, out, f)) return false;
  return address(out.addrtype, out.address, out.address_kind, f);
}

// connection-field = nettype SP addrtype SP connection-address; the "/ttl/number" suffix is
// split off here and checked against the address kind by the caller (RFC 8866 5.7).
auto const connection_def =
    need("nettype")[token[set<&connection_line::nettype>]] >> need("SP")[sp] >>
    need("addrtype")[token[set<&connection_line::addrtype>]] >> need("SP")[sp] >>
    need("connection-address")[conn_address[set<&connection_line::address>]] >>
    -(x3::raw[lit('/') >> need("ttl or number of addresses")[u32[set<&connection_line::n1>]]]
                [set<&connection_line::slash1>] >>
      -x3::raw[lit('/') >> need("number of addresses")[u32[set<&connection_line::n2>]]]
                [set<&connection_line::slash2>]) >>
    eol;
bool connection(std::string_view v, connection_line& out, failure& f) noexcept {
  return run(connection_def, v, out, f);
}

// bandwidth-field = bwtype ":" bandwidth
auto const bandwidth_def = need("bwtype")[token[set<&sdp_bandwidth::type>]] >> need("':'")[lit(':')] >>
                           need("bandwidth")[u64[set<&sdp_bandwidth::value>]] >> eol;
bool bandwidth(std::string_view v, sdp_bandwidth& out, failure& f) noexcept {
  return run(bandwidth_def, v, out, f);
}

// time-field = start-time SP stop-time; start-time = stop-time = time / "0"
auto const timing_def = need("start-time")[time_value[set_time<&sdp_time::start>]] >> need("SP")[sp] >>
                        need("stop-time")[time_value[set_time<&sdp_time::stop>]] >> eol;
bool timing(std::string_view v, sdp_time& out, failure& f) noexcept { return run(timing_def, v, out, f); }

// repeat-field = repeat-interval SP typed-time 1*(SP typed-time)
auto const repeat_interval = x3::raw[x3::char_('1', '9') >> *digit >> -x3::char_("dhms")];
auto const typed_time_p = +digit >> -x3::char_("dhms");
auto const repeat_def =
    need("repeat-interval")[repeat_interval[set<&sdp_repeat::interval>]] >> need("SP")[sp] >>
    need("typed-time")[x3::raw[typed_time_p][set<&sdp_repeat::duration>]] >>
    x3::raw[+(sp >> need("typed-time")[typed_time_p])][set<&sdp_repeat::offsets>] >> eol;
bool repeat(std::string_view v, sdp_repeat& out, failure& f) noexcept {
  // offsets must exclude the separating SP
  if (!run(repeat_def, v, out, f)) return false;
  if (!out.offsets.empty()) out.offsets.remove_prefix(1);
  return true;
}

// zone-adjustments = time SP ["-"] typed-time *(SP time SP ["-"] typed-time)
auto const zone_pair = need("time")[time_value] >> need("SP")[sp] >> -lit('-') >>
                       need("typed-time")[typed_time_p];
auto const zone_def = zone_pair >> *(sp >> zone_pair) >> eol;
bool zone(std::string_view v, failure& f) noexcept { nothing n; return run(zone_def, v, n, f); }

// key-type = "prompt" / "clear:" text / "base64:" base64 / "uri:" uri / key-method [":" text]
auto const key_def = need("key-method")[token[set<&sdp_key::method>]] >>
                     -(lit(':') >> need("key value")[byte_string[set<&sdp_key::value>]]) >> eol;
bool key(std::string_view v, sdp_key& out, failure& f) noexcept { return run(key_def, v, out, f); }

// attribute = (attribute-name ":" attribute-value) / attribute-name
struct attr_flag_fn {
  template <typename Context>
  void operator()(Context& ctx) const {
    auto& a = x3::get<out_tag>(ctx);
    a.value = to_sv(x3::_attr(ctx));
    a.has_value = true;
  }
};
auto const attribute_def = need("attribute-name")[token[set<&sdp_attribute::name>]] >>
                           -(lit(':') >> need("attribute-value")[byte_string[attr_flag_fn{}]]) >> eol;
bool attribute(std::string_view v, sdp_attribute& out, failure& f) noexcept {
  out.has_value = false;
  out.value = {};
  return run(attribute_def, v, out, f);
}

// media-field = media SP port ["/" integer] SP proto 1*(SP fmt); proto = token *("/" token)
auto const media_def =
    need("media")[token[set<&media_line::type>]] >> need("SP")[sp] >>
    need("port (0..65535)")[port[set<&media_line::port>]] >>
    -(lit('/') >> need("number of ports")[integer[([](auto& ctx) {
        std::uint64_t v;
        auto s = to_sv(x3::_attr(ctx));
        if (!to_u64(s, v) || v > 65536) x3::_pass(ctx) = false;
        else x3::get<out_tag>(ctx).num_ports = static_cast<std::uint32_t>(v);
      })]]) >>
    need("SP")[sp] >>
    need("proto")[x3::raw[token >> *(lit('/') >> need("token")[token])]
                      [set<&media_line::proto>]] >>
    need("SP")[sp] >>
    x3::raw[need("fmt")[token] >> *(sp >> need("fmt")[token])][set<&media_line::formats>] >> eol;
bool media(std::string_view v, media_line& out, failure& f) noexcept { return run(media_def, v, out, f); }

// ---- addresses -----------------------------------------------------------------------

auto const ipv4_full = need("IP4 address")[ipv4_parser{}] >> x3::eoi;
auto const ipv6_full = need("IP6 address")[ipv6_parser{}] >> x3::eoi;
auto const fqdn_full = x3::repeat(4, x3::inf)[class_parser<is_fqdn>{}] >> x3::eoi;

bool address(std::string_view addrtype, std::string_view a, sdp_addr& kind, failure& f) noexcept {
  nothing n;
  failure scratch;
  bool numeric = !a.empty();
  for (char c : a) numeric = numeric && ((c >= '0' && c <= '9') || c == '.');
  if (addrtype == "IP4") {
    if (run(ipv4_full, a, n, scratch)) { kind = sdp_addr::ipv4; return true; }
    // An all-numeric name is a mistyped IPv4 address, not an FQDN (RFC 1123 2.1).
    if (!numeric && run(fqdn_full, a, n, scratch)) { kind = sdp_addr::fqdn; return true; }
    f.pos = a.data();
    f.expected = "IP4 address or FQDN";
    return false;
  }
  if (addrtype == "IP6") {
    if (run(ipv6_full, a, n, scratch)) { kind = sdp_addr::ipv6; return true; }
    bool has_colon = a.find(':') != std::string_view::npos;
    if (!numeric && !has_colon && run(fqdn_full, a, n, scratch)) { kind = sdp_addr::fqdn; return true; }
    f.pos = a.data();
    f.expected = "IP6 address or FQDN";
    return false;
  }
  kind = sdp_addr::other;  // extn-addr: any non-ws-string, already matched
  return true;
}

// ---- attribute values ----------------------------------------------------------------

// rtpmap-value = payload-type SP encoding-name "/" clock-rate [ "/" encoding-params ]
auto const rtpmap_def =
    need("payload type (0..127)")[pt_num[set<&sdp_rtpmap::payload_type>]] >> need("SP")[sp] >>
    need("encoding-name")[token[set<&sdp_rtpmap::encoding>]] >>
    need("'/'")[lit('/')] >> need("clock-rate")[u32[set<&sdp_rtpmap::clock_rate>]] >>
    -(lit('/') >> need("encoding-params")[x3::raw[+class_parser<is_token>{}][set<&sdp_rtpmap::encoding_params>]]) >>
    eol;
bool rtpmap(std::string_view v, sdp_rtpmap& out, failure& f) noexcept {
  out = sdp_rtpmap{};
  if (!run(rtpmap_def, v, out, f)) return false;
  if (!out.encoding_params.empty()) {
    std::uint64_t ch;
    bool digits = true;
    for (char c : out.encoding_params) digits = digits && c >= '0' && c <= '9';
    if (digits && to_u64(out.encoding_params, ch) && ch > 0 && ch <= 65535) out.channels = std::uint16_t(ch);
  }
  return true;
}

// fmtp-value = fmt SP format-specific-params
auto const fmtp_def = need("format")[token[set<&sdp_fmtp::format>]] >> need("SP")[sp] >>
                      need("format-specific-params")[byte_string[set<&sdp_fmtp::params>]] >> eol;
bool fmtp(std::string_view v, sdp_fmtp& out, failure& f) noexcept {
  out = sdp_fmtp{};
  if (!run(fmtp_def, v, out, f)) return false;
  std::uint64_t pt;
  bool digits = out.format.size() <= 3;
  for (char c : out.format) digits = digits && c >= '0' && c <= '9';
  if (digits && to_u64(out.format, pt) && pt <= 127) out.payload_type = int(pt);
  return true;
}

// ptime-value = non-zero-int-or-real (milliseconds)
auto const ptime_def =
    need("packet time")[x3::raw[u32[set<&sdp_ptime::ms>] >> -(lit('.') >> +digit)][set<&sdp_ptime::raw>]] >> eol;
bool ptime(std::string_view v, sdp_ptime& out, failure& f) noexcept {
  out = sdp_ptime{};
  return run(ptime_def, v, out, f);
}

// rtcp-attribute = port [nettype SP addrtype SP connection-address] (RFC 3605 2.1)
auto const rtcp_def =
    need("port (0..65535)")[port[set<&sdp_rtcp::port>]] >>
    -(sp >> need("nettype")[token[set<&sdp_rtcp::nettype>]] >> need("SP")[sp] >>
      need("addrtype")[token[set<&sdp_rtcp::addrtype>]] >> need("SP")[sp] >>
      need("connection-address")[non_ws[set<&sdp_rtcp::address>]]) >>
    eol;
bool rtcp(std::string_view v, sdp_rtcp& out, failure& f) noexcept {
  out = sdp_rtcp{};
  if (!run(rtcp_def, v, out, f)) return false;
  if (out.address.empty()) return true;
  sdp_addr kind;
  return address(out.addrtype, out.address, kind, f);
}

// RFC 4568 9.1: tag 1*WSP crypto-suite 1*WSP key-params *(1*WSP session-param)
auto const key_param = token >> lit(':') >> +class_parser<is_key_info>{};
auto const crypto_def =
    need("tag (1*9DIGIT)")[bounded_uint<std::uint32_t, 999999999, 9>{}[set<&sdp_crypto::tag>]] >> need("WSP")[+wsp] >>
    need("crypto-suite")[x3::raw[+class_parser<is_suite>{}][set<&sdp_crypto::suite>]] >> need("WSP")[+wsp] >>
    need("key-params")[x3::raw[need("key-param")[key_param] >> *(lit(';') >> need("key-param")[key_param])]
                           [set<&sdp_crypto::key_params>]] >>
    -(+wsp >> x3::raw[need("session-param")[+class_parser<is_vchar>{}] % +wsp][set<&sdp_crypto::session_params>]) >>
    eol;
bool crypto(std::string_view v, sdp_crypto& out, failure& f) noexcept {
  out = sdp_crypto{};
  return run(crypto_def, v, out, f);
}

// RFC 8839 5.1 candidate-attribute (after "candidate:")
struct rel_port_fn {
  template <typename Context>
  void operator()(Context& ctx) const {
    auto& c = x3::get<out_tag>(ctx);
    c.rel_port = x3::_attr(ctx);
    c.has_rel_port = true;
  }
};
auto const cand_address = x3::raw[+class_parser<is_non_ws>{}];
auto const candidate_def =
    need("foundation")[x3::raw[x3::repeat(1, 32)[class_parser<is_ice>{}]][set<&sdp_candidate::foundation>]] >> need("SP")[sp] >>
    need("component-id")[bounded_uint<std::uint16_t, 999, 3>{}[set<&sdp_candidate::component>]] >> need("SP")[sp] >>
    need("transport")[token[set<&sdp_candidate::transport>]] >> need("SP")[sp] >>
    need("priority")[u32[set<&sdp_candidate::priority>]] >> need("SP")[sp] >>
    need("connection-address")[cand_address[set<&sdp_candidate::address>]] >> need("SP")[sp] >>
    need("port (0..65535)")[port[set<&sdp_candidate::port>]] >> need("SP")[sp] >>
    need("\"typ\"")[lit("typ")] >> need("SP")[sp] >> need("cand-type")[token[set<&sdp_candidate::type>]] >>
    -(sp >> lit("raddr") >> need("SP")[sp] >> need("connection-address")[cand_address[set<&sdp_candidate::rel_addr>]]) >>
    -(sp >> lit("rport") >> need("SP")[sp] >> need("port (0..65535)")[port[rel_port_fn{}]]) >>
    -(sp >> x3::raw[(need("extension-att-name")[token] >> need("SP")[sp] >> *class_parser<is_vchar>{}) %
                    sp][set<&sdp_candidate::extensions>]) >>
    eol;
bool candidate(std::string_view v, sdp_candidate& out, failure& f) noexcept {
  out = sdp_candidate{};
  return run(candidate_def, v, out, f);
}

// RFC 4145 4: setup-attr = "active" / "passive" / "actpass" / "holdconn" (ABNF strings are
// case-insensitive)
inline bool ascii_ieq(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    if (x >= 'A' && x <= 'Z') x = char(x - 'A' + 'a');
    if (x != b[i]) return false;
  }
  return true;
}
bool setup(std::string_view v, sdp_setup& out, failure& f) noexcept {
  static constexpr struct { std::string_view name; sdp_setup value; } roles[] = {
      {"active", sdp_setup::active}, {"passive", sdp_setup::passive},
      {"actpass", sdp_setup::actpass}, {"holdconn", sdp_setup::holdconn}};
  for (const auto& r : roles) {
    if (ascii_ieq(v, r.name)) {
      out = r.value;
      return true;
    }
  }
  f.pos = v.data();
  f.expected = "active, passive, actpass or holdconn";
  return false;
}

// RFC 8122 5: hash-func SP fingerprint; fingerprint = 2UHEX *(":" 2UHEX). Lower-case hex is
// accepted here; the caller warns about it.
auto const hex2 = x3::repeat(2)[class_parser<is_hexdig>{}];
auto const fingerprint_def = need("hash-func")[token[set<&sdp_fingerprint::hash_func>]] >> need("SP")[sp] >>
                             need("fingerprint")[x3::raw[hex2 >> *(lit(':') >> need("2HEX")[hex2])]
                                                     [set<&sdp_fingerprint::value>]] >>
                             eol;
bool fingerprint(std::string_view v, sdp_fingerprint& out, failure& f) noexcept {
  out = sdp_fingerprint{};
  return run(fingerprint_def, v, out, f);
}

// RFC 5888 4: mid-attribute = "a=mid:" identification-tag; identification-tag = token
struct mid_fn {
  template <typename Context>
  void operator()(Context& ctx) const { x3::get<out_tag>(ctx) = to_sv(x3::_attr(ctx)); }
};
auto const mid_def = need("identification-tag")[token[mid_fn{}]] >> eol;
bool mid(std::string_view v, std::string_view& out, failure& f) noexcept { return run(mid_def, v, out, f); }

}  // namespace sipscope::parser::rfc8866
