// Header-value grammar (RFC 3261 25.1 and the extensions named in headers.hpp).
// Included by rfc3261_headers.cpp only: the one translation unit that compiles it.
#pragma once

#include "rfc3261_common.hpp"
#include "rfc3261_uri_def.hpp"

#include <cstring>
#include "sipscope/parser/headers.hpp"
#include "sipscope/parser/uri.hpp"

namespace sipscope::parser::grammar {

// ---- whitespace and separators (RFC 3261 25.1) --------------------------------------------
// LWS = [*WSP CRLF] 1*WSP ; SWS = [LWS]
// One hand-written primitive for both: they are tried at every separator.
// Most separators have no whitespace around them (or one SP): the check for that stays
// inline, the loop does not.
inline const char* skip_sws_slow(const char* p, const char* last) {
  while (p != last && (*p == ' ' || *p == '\t')) ++p;
  if (last - p >= 3 && p[0] == '\r' && p[1] == '\n' && (p[2] == ' ' || p[2] == '\t')) {
    p += 3;
    while (p != last && (*p == ' ' || *p == '\t')) ++p;
  }
  return p;
}
inline const char* skip_sws(const char* p, const char* last) {
  if (p == last || (*p != ' ' && *p != '\t' && *p != '\r')) return p;
  if (*p == ' ' && last - p >= 2 && p[1] != ' ' && p[1] != '\t' && p[1] != '\r') return p + 1;
  return skip_sws_slow(p, last);
}
template <bool Optional>
struct lws_parser : x3::parser<lws_parser<Optional>> {
  using attribute_type = x3::unused_type;
  static bool const has_attribute = false;
  template <typename It, typename Ctx, typename RCtx, typename Attr>
  bool parse(It& first, It const& last, Ctx const&, RCtx&, Attr&) const {
    const char* p = skip_sws(first, last);
    if (!Optional && p == first) return false;
    first = p;
    return true;
  }
};
inline lws_parser<false> const lws{};
inline lws_parser<true> const sws{};

// SEMI = SWS ";" SWS and its siblings, as one primitive: separators are the most frequently
// tried elements of the grammar, and most of the time the character is right there.
template <char C>
struct separator_parser : x3::parser<separator_parser<C>> {
  using attribute_type = x3::unused_type;
  static bool const has_attribute = false;
  template <typename It, typename Ctx, typename RCtx, typename Attr>
  bool parse(It& first, It const& last, Ctx const&, RCtx&, Attr&) const {
    const char* p = first;
    if (p != last && *p != C) p = skip_sws(p, last);
    if (p == last || *p != C) return false;
    first = skip_sws(p + 1, last);
    return true;
  }
};
inline separator_parser<';'> const SEMI{};
inline separator_parser<','> const COMMA{};
inline separator_parser<'='> const EQUAL{};
inline separator_parser<'/'> const SLASH{};
inline separator_parser<':'> const COLON{};

// ---- quoted-string and comment: hand-written X3 primitives ---------------------------------
// UTF8-NONASCII: one well-formed multi-byte UTF-8 sequence (RFC 3261 25.1, RFC 3629 shape).
inline std::size_t utf8_len(const char* p, const char* end) {
  unsigned char c = static_cast<unsigned char>(*p);
  std::size_t n = c >= 0xC0 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF7 ? 4 : 0;
  if (n == 0 || static_cast<std::size_t>(end - p) < n) return 0;
  for (std::size_t i = 1; i < n; ++i)
    if ((static_cast<unsigned char>(p[i]) & 0xC0) != 0x80) return 0;
  return n;
}

// Recognises folding "CRLF 1*WSP" at p; returns its length or 0.
inline std::size_t fold_len(const char* p, const char* end) {
  if (end - p >= 3 && p[0] == '\r' && p[1] == '\n' && (p[2] == ' ' || p[2] == '\t')) return 3;
  return 0;
}

// quoted-string = DQUOTE *(qdtext / quoted-pair) DQUOTE  (the leading SWS is the caller's)
// qdtext = LWS / %x21 / %x23-5B / %x5D-7E / UTF8-NONASCII
// quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F)
// Returns the end of the quoted-string starting at p (which holds the DQUOTE), or nullptr
// after noting why it is not one.
// qdtext that needs no further look: HTAB, SP and %x21-7E but DQUOTE and "\\"
inline constexpr char_table qd_plain_table = [] {
  char_table t{"", false};
  t.v[static_cast<unsigned char>('\t')] = true;
  for (int c = 0x20; c <= 0x7E; ++c) t.v[c] = c != '"' && c != '\\';
  return t;
}();
inline const char* scan_quoted(const char* p, const char* last, failure& fail) {
  ++p;
  while (p != last) {
    p = scan_span<qd_plain_table>(p, last);
    if (p == last) break;
    unsigned char c = static_cast<unsigned char>(*p);
    if (c == '"') return p + 1;
    if (c == '\\') {
      if (p + 1 == last) break;
      unsigned char n = static_cast<unsigned char>(p[1]);
      if (n == '\n' || n == '\r' || n > 0x7F) {
        fail.note(p, "quoted-pair (\"\\\" %x00-09 / %x0B-0C / %x0E-7F)");
        return nullptr;
      }
      p += 2;
    } else if (c == '\r') {
      std::size_t f = fold_len(p, last);
      if (!f) break;
      p += f;
    } else if (c == ' ' || c == '\t' || (c >= 0x21 && c <= 0x7E)) {
      ++p;
    } else if (c >= 0x80) {
      std::size_t n = utf8_len(p, last);
      if (!n) {
        fail.note(p, "qdtext (a well-formed UTF-8 character)");
        return nullptr;
      }
      p += n;
    } else {
      fail.note(p, "qdtext (no control characters in a quoted-string)");
      return nullptr;
    }
  }
  fail.note(p, "closing DQUOTE of the quoted-string", static_cast<std::uint16_t>(diag_code::unterminated_quote));
  return nullptr;
}

struct quoted_string_parser : x3::parser<quoted_string_parser> {
  using attribute_type = x3::unused_type;
  static bool const has_attribute = false;
  template <typename It, typename Ctx, typename RCtx, typename Attr>
  bool parse(It& first, It const& last, Ctx const& ctx, RCtx&, Attr&) const {
    if (first == last || *first != '"') return false;
    const char* e = scan_quoted(first, last, x3::get<failure_tag>(ctx).get());
    if (!e) return false;
    first = e;
    return true;
  }
};
inline quoted_string_parser const quoted_string{};

// comment = LPAREN *(ctext / quoted-pair / comment) RPAREN (nested)
struct comment_parser : x3::parser<comment_parser> {
  using attribute_type = x3::unused_type;
  static bool const has_attribute = false;
  template <typename It, typename Ctx, typename RCtx, typename Attr>
  bool parse(It& first, It const& last, Ctx const& ctx, RCtx&, Attr&) const {
    const char* p = first;
    if (p == last || *p != '(') return false;
    int depth = 0;
    while (p != last) {
      unsigned char c = static_cast<unsigned char>(*p);
      if (c == '(') { if (++depth > 32) break; ++p; }
      else if (c == ')') { ++p; if (--depth == 0) { first = p; return true; } }
      else if (c == '\\' && p + 1 != last && static_cast<unsigned char>(p[1]) <= 0x7F && p[1] != '\r' && p[1] != '\n') p += 2;
      else if (c == '\r') { std::size_t f = fold_len(p, last); if (!f) break; p += f; }
      else if (c == ' ' || c == '\t' || (c >= 0x21 && c <= 0x7E)) ++p;
      else if (c >= 0x80) { std::size_t n = utf8_len(p, last); if (!n) break; p += n; }
      else break;
    }
    x3::get<failure_tag>(ctx).get().note(p, "closing \")\" of the comment");
    return false;
  }
};
inline comment_parser const comment{};

// ---- generic parameters --------------------------------------------------------------------
// generic-param = token [ EQUAL gen-value ]; gen-value = token / host / quoted-string.
// host adds IPv6reference to what token already covers. Via's received accepts a bare IPv6
// address (RFC 3261 ABNF; RFC 5118 4.5), so the value characters include ':' there and the
// Via action checks which parameter may use them.

// Everything up to (not including) the next C, found with memchr; fails when there is none.
template <char C>
struct until_parser : x3::parser<until_parser<C>> {
  using attribute_type = x3::unused_type;
  static bool const has_attribute = false;
  template <typename It, typename Ctx, typename RCtx, typename Attr>
  bool parse(It& first, It const& last, Ctx const&, RCtx&, Attr&) const {
    const void* p = std::memchr(first, C, static_cast<std::size_t>(last - first));
    if (!p) return false;
    first = static_cast<It>(p);
    return true;
  }
};
inline until_parser<'>'> const until_raquot{};
// *( SEMI param ) as one primitive: the parameter lists are the bulk of every header, and a
// hand-written loop over the same ABNF costs a fraction of the composed X3 expression.
//   param = token [ EQUAL value ];  value = <ValueTable run> / quoted-string / IPv6reference
// Check(ctx, name, value, has_value) validates a parameter with a syntax of its own and
// records it; it notes its own failure. Like X3's kleene, a parameter that fails ends the
// list before its ";" (the caller then reports the furthest failure, which is inside it).
struct no_check {
  template <typename Ctx, typename RCtx>
  bool operator()(Ctx const&, RCtx&, std::string_view, std::string_view, bool) const { return true; }
};
// (a specialisation, not &ValueTable == &via_value_table: GCC does not fold that comparison
// of two addresses to a constant under -fsanitize=address)
template <const char_table& Table>
inline constexpr bool is_via_value_table = false;
template <>
inline constexpr bool is_via_value_table<via_value_table> = true;
template <const char_table& ValueTable, typename Check>
struct params_parser : x3::parser<params_parser<ValueTable, Check>> {
  using attribute_type = x3::unused_type;
  static bool const has_attribute = false;
  constexpr params_parser(std::string_view what, Check check = {}) : what(what), check(check) {}
  template <typename It, typename Ctx, typename RCtx, typename Attr>
  bool parse(It& first, It const& last, Ctx const& ctx, RCtx& rctx, Attr&) const {
    const char* p = first;
    while (true) {
      const char* q = p;
      if (q != last && *q != ';') q = skip_sws(q, last);
      if (q == last || *q != ';') break;
      q = skip_sws(q + 1, last);
      const char* n0 = q;
      q = scan_span<token_table>(q, last);
      if (q == n0) {
        x3::get<failure_tag>(ctx).get().note(n0, what);
        break;
      }
      std::string_view name(n0, static_cast<std::size_t>(q - n0)), value;
      bool has_value = false;
      bool plain = false;  // (Via) the value is a token run
      const char* e = q != last && *q == '=' ? q : skip_sws(q, last);
      if (e != last && *e == '=') {
        const char* v0 = skip_sws(e + 1, last);
        const char* v1 = v0;
        if constexpr (is_via_value_table<ValueTable>) {
          // a token run first: a Via value that is one (branch, rport...) holds no ':', and
          // the check is told so instead of looking for one (memchr); ':' '[' ']' continue it
          v1 = scan_span<token_table>(v0, last);
          plain = v1 != v0;
          if (v1 != last && via_value_table(*v1)) {
            v1 = scan_span<via_value_table>(v1, last);
            plain = false;
          }
        } else {
          v1 = scan_span<ValueTable>(v1, last);
        }
        if (v1 == v0 && v0 != last) {
          if (*v0 == '"') {
            v1 = scan_quoted(v0, last, x3::get<failure_tag>(ctx).get());
          } else if (*v0 == '[') {
            v1 = v0 + 1;
            while (v1 != last && ipv6_table(*v1)) ++v1;
            v1 = (v1 != last && v1 > v0 + 1 && *v1 == ']') ? v1 + 1 : nullptr;
          }
        }
        if (!v1 || v1 == v0) {
          x3::get<failure_tag>(ctx).get().note(v0, "gen-value (token / host / quoted-string)");
          break;
        }
        value = std::string_view(v0, static_cast<std::size_t>(v1 - v0));
        has_value = true;
        q = v1;
      }
      if constexpr (requires { check(ctx, rctx, name, value, has_value, plain); }) {
        if (!check(ctx, rctx, name, value, has_value, plain)) break;
      } else {
        if (!check(ctx, rctx, name, value, has_value)) break;
      }
      p = q;
    }
    first = p;
    return true;
  }
  std::string_view what;
  Check check;
};
inline params_parser<token_table, no_check> const generic_params{"generic-param (token [ \"=\" gen-value ])"};

// The raw text of *(SEMI param) starts with SWS ";": a param_list keeps what follows the ';'.
inline param_list after_semi(std::string_view s, char sep = ';') {
  if (!s.empty() && s.front() == sep) return param_list(s.substr(1), sep);  // no SWS before it
  auto i = s.find(sep);
  return i == std::string_view::npos ? param_list() : param_list(s.substr(i + 1), sep);
}

namespace act {
template <typename T>
constexpr auto params_into(param_list T::*field) {
  return [field](auto& ctx) { x3::_val(ctx).*field = after_semi(to_sv(x3::_attr(ctx))); };
}
// Stores a decimal number, failing the parse when it exceeds `max`.
template <typename T, typename N>
constexpr auto number_into(N T::*field, std::uint64_t max) {
  return [field, max](auto& ctx) {
    std::uint64_t v = 0;
    auto s = to_sv(x3::_attr(ctx));
    if (!to_uint(s, max, &v)) {
      x3::get<failure_tag>(ctx).get().note(s.data(), max == 255 ? "a number from 0 to 255"
                                                   : max == 65535 ? "a port from 0 to 65535"
                                                   : "a number from 0 to 4294967295 (32 bits)",
                                           static_cast<std::uint16_t>(diag_code::bad_number));
      x3::_pass(ctx) = false;
      return;
    }
    x3::_val(ctx).*field = static_cast<N>(v);
  };
}
}  // namespace act

// 1*DIGIT converted as it is scanned (what x3::raw[digits_p][act::number_into(...)] did in two
// passes): no digit fails without a note (the caller's expect_ names it); a number above Max
// notes `what` with bad_number at its first digit and fails. Set(rctx, v) stores it in the
// rule's attribute (rctx).
template <std::uint64_t Max, typename Set>
struct uint_value_parser : x3::parser<uint_value_parser<Max, Set>> {
  using attribute_type = x3::unused_type;
  static bool const has_attribute = false;
  constexpr uint_value_parser(std::string_view what, Set set) : what(what), set(set) {}
  template <typename It, typename Ctx, typename RCtx, typename Attr>
  bool parse(It& first, It const& last, Ctx const& ctx, RCtx& rctx, Attr&) const {
    const char* p = first;
    unsigned d;
    if (p == last || (d = static_cast<unsigned>(static_cast<unsigned char>(*p)) - '0') > 9) return false;
    std::uint64_t v = 0;
    do {
      v = v * 10 + d;
      if (v > Max) {  // (v <= Max < 2^32 before each step: no wrap-around)
        x3::get<failure_tag>(ctx).get().note(first, what, static_cast<std::uint16_t>(diag_code::bad_number));
        return false;
      }
      ++p;
    } while (p != last && (d = static_cast<unsigned>(static_cast<unsigned char>(*p)) - '0') <= 9);
    set(rctx, v);
    first = p;
    return true;
  }
  std::string_view what;
  Set set;
};
template <typename T, typename N>
struct set_number {
  N T::*field;
  constexpr void operator()(T& t, std::uint64_t v) const { t.*field = static_cast<N>(v); }
};
template <std::uint64_t Max, typename T, typename N>
constexpr uint_value_parser<Max, set_number<T, N>> number_(N T::*field) {
  return {Max == 255 ? "a number from 0 to 255" : "a number from 0 to 4294967295 (32 bits)", set_number<T, N>{field}};
}

// ---- name-addr / addr-spec (From, To, Contact, Route, ...) ----------------------------------
// name-addr = [ display-name ] LAQUOT addr-spec RAQUOT; display-name = *(token LWS) / quoted-string
// addr-spec = SIP-URI / SIPS-URI / absoluteURI, parsed by parse_uri() (rfc3261_uri.cpp).
// RFC 4475 3.1.1.6 (lwsdisp): the LWS between an unquoted display name and "<" is optional.
namespace act {
inline auto const display_quoted = [](auto& ctx) {
  x3::_val(ctx).display_name = to_sv(x3::_attr(ctx));
  x3::_val(ctx).display_quoted = true;
};
inline auto const display_tokens = [](auto& ctx) {
  x3::_val(ctx).display_name = to_sv(x3::_attr(ctx));
  x3::_val(ctx).display_quoted = false;
};
// Without brackets, the URI ends at the first ';' (header parameters follow), ',' or LWS
// (RFC 3261 20.10), and it may contain none of ", ; ?" (which would need the <> form).
inline auto const uri_bare = [](auto& ctx) {
  auto s = to_sv(x3::_attr(ctx));
  auto& v = x3::_val(ctx);
  v.display_name = {};
  v.display_quoted = false;
  v.bracketed = false;
  uri_result r = parse_uri(s, v.address);
  if (!r.ok) {
    x3::get<failure_tag>(ctx).get().note(s.data() + r.error_offset, r.expected,
                                         static_cast<std::uint16_t>(diag_code::bad_uri));
    x3::_pass(ctx) = false;
    return;
  }
  if (auto q = s.find('?'); q != std::string_view::npos) {
    x3::get<failure_tag>(ctx).get().note(s.data() + q, "name-addr form (\"<\" URI \">\"): an addr-spec with '?' headers must be enclosed in <> (RFC 3261 20.10)",
                                         static_cast<std::uint16_t>(diag_code::bad_name_addr));
    x3::_pass(ctx) = false;
  }
};
inline auto const star = [](auto& ctx) { x3::_val(ctx).star = true; };
}  // namespace act

// LAQUOT addr-spec RAQUOT as one primitive: what '<' >> x3::raw[until_raquot][act::uri_bracketed]
// >> '>' did, with the same notes, except that the '>' and whether an '@' comes before it are
// found in one pass (16 bytes a step when the value has them), so parse_fresh_uri does not
// look for the '@' again. rctx is the attribute of the rule being parsed: the name_addr.
struct bracketed_uri_parser : x3::parser<bracketed_uri_parser> {
  using attribute_type = x3::unused_type;
  static bool const has_attribute = false;
  template <typename It, typename Ctx, typename Attr>
  bool parse(It& first, It const& last, Ctx const& ctx, name_addr& v, Attr&) const {
    if (first == last || *first != '<') return false;
    const char* const u0 = first + 1;
    const char* gt = nullptr;
    bool at = false;
#if defined(__SSE2__)
    if (last - u0 >= 16) {
      const char* p = u0;
      while (true) {
        const bool tail = last - p < 16;   // the last 16 bytes, minus those already tested
        const unsigned skip = tail ? static_cast<unsigned>(16 - (last - p)) : 0u;
        const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(tail ? last - 16 : p));
        const unsigned g = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('>')))) >> skip;
        const unsigned a = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('@')))) >> skip;
        if (g) {
          const unsigned i = static_cast<unsigned>(__builtin_ctz(g));
          gt = p + i;
          at = at || (a & ((1u << i) - 1)) != 0;
          break;
        }
        at = at || a != 0;
        if (tail) break;
        p += 16;
        if (p == last) break;
      }
      if (!gt) return false;
    } else
#endif
    {
      gt = static_cast<const char*>(std::memchr(u0, '>', static_cast<std::size_t>(last - u0)));
      if (!gt) return false;
      at = std::memchr(u0, '@', static_cast<std::size_t>(gt - u0)) != nullptr;
    }
    const std::string_view s = to_sv(u0, gt);
    // "< sip:a@b >" (RFC 4475 badaspec): no LWS between the angle brackets and the URI
    if (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.back() == ' ' || s.back() == '\t')) {
      bool front = s.front() == ' ' || s.front() == '\t';
      x3::get<failure_tag>(ctx).get().note(front ? s.data() : s.data() + s.size() - 1,
                                           "an addr-spec right after \"<\" and before \">\" (no LWS inside the brackets)",
                                           static_cast<std::uint16_t>(diag_code::bad_name_addr));
      return false;
    }
    // (the first write to v.address, which parse_elements has just constructed; a "sip:"
    // URI inline, any other through parse_fresh_uri)
    uri_result r = starts_sip_colon(s) ? fresh_sip_uri(s, v.address, at) : parse_fresh_uri(s, v.address, at);
    if (!r.ok) {
      x3::get<failure_tag>(ctx).get().note(s.data() + r.error_offset, r.expected,
                                           static_cast<std::uint16_t>(diag_code::bad_uri));
      return false;
    }
    v.bracketed = true;
    first = gt + 1;
    return true;
  }
};
inline bracketed_uri_parser const bracketed_uri{};

// Contact parameters: expires = delta-seconds (32 bits), q = qvalue (RFC 3261 20.10, 25.1).
struct contact_check {
  template <typename Ctx, typename RCtx>
  bool operator()(Ctx const& ctx, RCtx&, std::string_view name, std::string_view value, bool has_value) const {
    if (!has_value) return true;
    if (name.size() == 7 && iequals(name, "expires")) {
      std::uint64_t v;
      if (!to_uint(value, 0xFFFFFFFFull, &v)) {
        x3::get<failure_tag>(ctx).get().note(value.data(), "expires = delta-seconds from 0 to 4294967295 (32 bits)",
                                             static_cast<std::uint16_t>(diag_code::bad_number));
        return false;
      }
    } else if (name.size() == 1 && (name[0] == 'q' || name[0] == 'Q')) {
      // qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
      bool ok = (value[0] == '0' || value[0] == '1') && value.size() <= 5 && (value.size() == 1 || value[1] == '.');
      for (std::size_t i = 2; ok && i < value.size(); ++i)
        ok = value[0] == '0' ? (value[i] >= '0' && value[i] <= '9') : value[i] == '0';
      if (!ok) {
        x3::get<failure_tag>(ctx).get().note(value.data(), "q = qvalue (0 to 1, at most 3 decimals)");
        return false;
      }
    }
    return true;
  }
};
inline params_parser<token_table, contact_check> const contact_params{"contact-params (generic-param)"};

// (an expression, not a rule, so that Contact's rule can reuse it and its actions still fill
// the calling rule's attribute: a rule called from a rule gets a temporary attribute)
inline auto const name_addr_body =
    (-(x3::raw[quoted_string][act::display_quoted] | x3::raw[token >> *(lws >> token)][act::display_tokens])
         >> sws >> bracketed_uri
     | x3::raw[+~x3::char_(";, \t\r\n<>\"")][act::uri_bare])
    >> x3::raw[contact_params][act::params_into(&name_addr::params)];

x3::rule<class name_addr_class, name_addr> const name_addr_r = "name-addr";
auto const name_addr_r_def = name_addr_body;
x3::rule<class contact_class, name_addr> const contact_r = "contact-param";
auto const contact_r_def = (x3::lit('*') >> !x3::char_)[act::star] | name_addr_body;

// ---- Via --------------------------------------------------------------------------------------
// via-parm = sent-protocol LWS sent-by *( SEMI via-params )
// sent-protocol = protocol-name SLASH protocol-version SLASH transport; sent-by = host [COLON port]
// sent-by's host as one primitive (it did x3::raw[ipv6_ref | host_p] and classify_host() of
// the text in an action): a hostname or IPv4address is scanned and classified in one pass
// (scan_host), an IPv6reference as before. No host character at all fails without a note
// (the caller's expect_ names it); a run that is no host notes why.
// rctx is the attribute of the rule being parsed: the via_value.
struct via_host_parser : x3::parser<via_host_parser> {
  using attribute_type = x3::unused_type;
  static bool const has_attribute = false;
  template <typename It, typename Ctx, typename Attr>
  bool parse(It& first, It const& last, Ctx const& ctx, via_value& v, Attr&) const {
    const char* const h0 = first;
    const char* h1;
    std::uint8_t k = 0;
    if (h0 != last && *h0 == '[') {
      const char* q = scan_span<ipv6_table>(h0 + 1, last);
      if (q == h0 + 1 || q == last || *q != ']') return false;
      h1 = q + 1;
      k = classify_host(to_sv(h0, h1));
    } else {
      h1 = scan_host(h0, last, k, v.protocol.data());  // (the Via text starts there)
      if (h1 == h0) return false;
    }
    if (k == 0) {
      x3::get<failure_tag>(ctx).get().note(h0, "sent-by host (hostname / IPv4address / IPv6reference)");
      return false;
    }
    v.host = to_sv(h0, h1);
    v.host_type = static_cast<host_kind>(k);
    first = h1;
    return true;
  }
};
inline via_host_parser const via_host{};

struct set_via_port {
  constexpr void operator()(via_value& v, std::uint64_t port) const {
    v.port = static_cast<std::uint16_t>(port);
    v.has_port = true;
  }
};
inline uint_value_parser<65535, set_via_port> const via_port{"port from 0 to 65535", {}};

namespace act {
// Checks the via-params with a syntax of their own and records the common ones in the
// via_value being parsed (the rule's attribute).
struct via_check {
  // rctx is the attribute of the rule being parsed: the via_value
  // plain: the value is a run of token characters (params_parser scanned it so), no ':'
  template <typename Ctx>
  bool operator()(Ctx const& ctx, via_value& v, std::string_view name, std::string_view value, bool has_value,
                  bool plain) const {
    auto fail = [&](const char* what) {
      x3::get<failure_tag>(ctx).get().note(value.empty() ? name.data() : value.data(), what);
      return false;
    };
    // (only branch and the generic parameters care about ':', so it is looked for there)
    auto colon = [&] { return !plain && value.find(':') != std::string_view::npos; };
    if (name.size() == 6 && iequals(name, "branch")) {
      if (value.empty() || colon() || value.front() == '"' || value.front() == '[') return fail("branch = token");
      v.branch = value;
    } else if (name.size() == 8 && iequals(name, "received")) {
      // via-received = "received" EQUAL (IPv4address / IPv6address); RFC 5118 4.5 also sees
      // the bracketed form in the wild and asks to accept it.
      std::string_view a = value;
      if (a.size() >= 2 && a.front() == '[' && a.back() == ']') a = a.substr(1, a.size() - 2);
      // (an IPv4address is what scan_host reads in one pass: is_ipv4(a) without the call)
      std::uint8_t k = 0;
      const bool v4 = !a.empty() && scan_host(a.data(), a.data() + a.size(), k) == a.data() + a.size() && k == 2;
      if (!v4 && !is_ipv6(a)) return fail("received = IPv4address / IPv6address");
      v.received = value;
    } else if (name.size() == 5 && iequals(name, "maddr")) {
      if (value.empty() || classify_host(value) == 0) return fail("maddr = host");
      v.maddr = value;
    } else if (name.size() == 3 && iequals(name, "ttl")) {
      std::uint64_t t;
      if (!to_uint(value, 255, &t) || value.size() > 3) return fail("ttl = 1*3DIGIT (0 to 255)");
      v.ttl = value;
    } else if (name.size() == 5 && iequals(name, "rport")) {
      std::uint64_t t;
      if (has_value && !to_uint(value, 65535, &t)) return fail("rport [= port]");
      v.rport = value;
      v.has_rport = true;
    } else if (colon() && !(value.front() == '[' || value.front() == '"')) {
      return fail("gen-value (token / host / quoted-string)");
    }
    return true;
  }
};
}  // namespace act

inline params_parser<via_value_table, act::via_check> const via_params{
    "via-params (ttl / maddr / received / branch / rport / generic-param)"};

// "SIP/2.0/" transport, nearly every Via: one 8-byte comparison instead of two tokens and a
// separator. It gives what the general sent-protocol below gives for that text (no SWS can
// hide in "SIP/2.0/"); anything else fails here without a note and takes the general path.
struct sip20_protocol_parser : x3::parser<sip20_protocol_parser> {
  using attribute_type = x3::unused_type;
  static bool const has_attribute = false;
  template <typename It, typename Ctx, typename Attr>
  bool parse(It& first, It const& last, Ctx const&, via_value& v, Attr&) const {
    const char* const p = first;
    if (last - p < 9) return false;
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    std::uint64_t sip20;
    std::memcpy(&sip20, "SIP/2.0/", 8);
    if (w != sip20) return false;
    const char* const t0 = skip_sws(p + 8, last);   // SLASH's trailing SWS
    const char* const t1 = scan_span<token_table>(t0, last);
    if (t1 == t0) return false;
    v.protocol = to_sv(p, p + 3);
    v.version = to_sv(p + 4, p + 7);
    v.transport = to_sv(t0, t1);
    first = t1;
    return true;
  }
};
inline sip20_protocol_parser const sip20_protocol{};

x3::rule<class via_class, via_value> const via_r = "via-parm";
auto const via_r_def =
    (sip20_protocol
     | expect_("protocol-name")[x3::raw[token][set(&via_value::protocol)]]
       >> expect_("\"/\" protocol-version")[SLASH >> x3::raw[token][set(&via_value::version)]]
       >> expect_("\"/\" transport")[SLASH >> x3::raw[token][set(&via_value::transport)]])
    >> expect_("LWS before sent-by")[lws]
    >> expect_("sent-by host")[via_host]
    >> -(COLON >> expect_("port")[via_port])
    >> x3::raw[via_params][act::params_into(&via_value::params)];

// ---- CSeq, RAck ---------------------------------------------------------------------------
x3::rule<class cseq_class, cseq_value> const cseq_r = "CSeq";
auto const cseq_r_def = expect_("1*DIGIT sequence number")[number_<0xFFFFFFFFull>(&cseq_value::number)]
                        >> expect_("LWS Method")[lws >> x3::raw[token][set(&cseq_value::method)]];

x3::rule<class rack_class, rack_value> const rack_r = "RAck";
auto const rack_r_def = number_<0xFFFFFFFFull>(&rack_value::rseq)
                        >> lws >> number_<0xFFFFFFFFull>(&rack_value::cseq)
                        >> lws >> x3::raw[token][set(&rack_value::method)];

// ---- numbers with optional parameters -------------------------------------------------------
x3::rule<class number32_class, number_value> const number32_r = "delta-seconds";
auto const number32_r_def = expect_("1*DIGIT")[number_<0xFFFFFFFFull>(&number_value::value)]
                            >> -(sws >> comment)   // Retry-After's comment
                            >> x3::raw[generic_params][act::params_into(&number_value::params)];
x3::rule<class number8_class, number_value> const number8_r = "Max-Forwards";
auto const number8_r_def = expect_("1*DIGIT (0 to 255)")[number_<255>(&number_value::value)];

// ---- media types, auth, tokens --------------------------------------------------------------
x3::rule<class media_class, media_type> const media_r = "media-type";
auto const media_r_def = expect_("m-type")[x3::raw[token][set(&media_type::type)]]
                         >> expect_("\"/\" m-subtype")[SLASH >> x3::raw[token][set(&media_type::subtype)]]
                         >> x3::raw[generic_params][act::params_into(&media_type::params)];

// credentials / challenge = auth-scheme LWS auth-param *(COMMA auth-param)
// auth-param = auth-param-name EQUAL ( token / quoted-string )
inline auto const auth_param = token >> EQUAL >> expect_("auth-param value (token / quoted-string)")[quoted_string | token];
namespace act {
inline auto const auth_params = [](auto& ctx) { x3::_val(ctx).params = param_list(to_sv(x3::_attr(ctx)), ','); };
}
x3::rule<class auth_class, auth_value> const auth_r = "credentials";
auto const auth_r_def = expect_("auth-scheme")[x3::raw[token][set(&auth_value::scheme)]]
                        >> expect_("LWS auth-param")[lws >> x3::raw[auth_param % COMMA][act::auth_params]];
x3::rule<class ainfo_class, auth_value> const ainfo_r = "ainfo";
auto const ainfo_r_def = x3::raw[auth_param % COMMA][act::auth_params];

// token *(SEMI generic-param) (Allow, Supported, Event...): the most frequent list element,
// so one primitive does what expect_("token")[raw[token][set(&token_value::token)]] >>
// raw[generic_params][params_into(&token_value::params)] did, with the same failures.
struct token_value_parser : x3::parser<token_value_parser> {
  using attribute_type = x3::unused_type;
  static bool const has_attribute = false;
  // rctx is the attribute of the rule being parsed: the token_value
  template <typename It, typename Ctx, typename Attr>
  bool parse(It& first, It const& last, Ctx const& ctx, token_value& v, Attr& attr) const {
    const char* const t0 = first;
    const char* const t1 = scan_span<token_table>(t0, last);
    if (t1 == t0) {
      x3::get<failure_tag>(ctx).get().note(t0, "token");
      return false;
    }
    v.token = to_sv(t0, t1);
    It q = t1;
    if (q != last && (*q == ';' || *q == ' ' || *q == '\t' || *q == '\r')) {
      generic_params.parse(q, last, ctx, v, attr);
      v.params = after_semi(to_sv(t1, q));
    } else {
      v.params = param_list();  // what after_semi gives for an empty run
    }
    first = q;
    return true;
  }
};
x3::rule<class token_class, token_value> const token_r = "token";
auto const token_r_def = token_value_parser{};

// Privacy (RFC 3323): priv-value *(";" priv-value): every value is one element of `params`.
namespace act {
inline auto const privacy = [](auto& ctx) {
  auto s = to_sv(x3::_attr(ctx));
  x3::_val(ctx).token = s;
  x3::_val(ctx).params = param_list(s, ';');
};
}
x3::rule<class privacy_class, token_value> const privacy_r = "Privacy";
auto const privacy_r_def = x3::raw[token % SEMI][act::privacy];

// MIME-Version = 1*DIGIT "." 1*DIGIT
x3::rule<class mime_class, token_value> const mime_r = "MIME-Version";
auto const mime_r_def = x3::raw[+digit >> '.' >> +digit][set(&token_value::token)];

// ---- Call-ID, Replaces, In-Reply-To ---------------------------------------------------------
inline auto const callid = word_p >> -('@' >> word_p);
x3::rule<class replaces_class, replaces_value> const replaces_r = "Replaces";
auto const replaces_r_def = expect_("callid")[x3::raw[callid][set(&replaces_value::call_id)]]
                            >> x3::raw[generic_params][act::params_into(&replaces_value::params)];

// ---- Timestamp, Date, Warning, *-Info -------------------------------------------------------
x3::rule<class timestamp_class, timestamp_value> const timestamp_r = "Timestamp";
auto const timestamp_r_def = x3::raw[+digit >> -('.' >> *digit)][set(&timestamp_value::value)]
                             >> -(lws >> x3::raw[(+digit >> -('.' >> *digit)) | ('.' >> +digit)][set(&timestamp_value::delay)]);

// SIP-date = rfc1123-date = wkday "," SP date1 SP time SP "GMT"
// wkday, month and the fixed-width numbers as primitives (they were x3::lit alternatives,
// x3::symbols and x3::uint_parser<T, 10, N, N>, which cost about 900 instructions a Date):
// each matches exactly what the X3 parser it replaces did and notes nothing (the expect_
// around it does). Names are case-sensitive (RFC 3261 25.1).
inline constexpr std::uint32_t pack3(const char* s) {
  return static_cast<std::uint32_t>(static_cast<unsigned char>(s[0])) |
         static_cast<std::uint32_t>(static_cast<unsigned char>(s[1])) << 8 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(s[2])) << 16;
}
// One of Names (3 letters each, at most 12): its index + 1 in the rule's attribute (rctx).
template <std::size_t N, typename Set>
struct name3_parser : x3::parser<name3_parser<N, Set>> {
  using attribute_type = x3::unused_type;
  static bool const has_attribute = false;
  std::uint32_t names[N];
  Set set;
  template <typename It, typename Ctx, typename RCtx, typename Attr>
  bool parse(It& first, It const& last, Ctx const&, RCtx& rctx, Attr&) const {
    if (last - first < 3) return false;
    const std::uint32_t w = pack3(first);
    for (std::size_t i = 0; i < N; ++i)
      if (names[i] == w) {
        set(rctx, first, i + 1);
        first += 3;
        return true;
      }
    return false;
  }
};
struct set_weekday {
  void operator()(date_value& d, const char* at, std::size_t) const { d.weekday = to_sv(at, at + 3); }
};
struct set_month {
  void operator()(date_value& d, const char*, std::size_t m) const { d.month = static_cast<std::uint8_t>(m); }
};
inline name3_parser<7, set_weekday> const wkday{
    {}, {pack3("Mon"), pack3("Tue"), pack3("Wed"), pack3("Thu"), pack3("Fri"), pack3("Sat"), pack3("Sun")}, {}};
inline name3_parser<12, set_month> const month_p{
    {}, {pack3("Jan"), pack3("Feb"), pack3("Mar"), pack3("Apr"), pack3("May"), pack3("Jun"), pack3("Jul"), pack3("Aug"),
     pack3("Sep"), pack3("Oct"), pack3("Nov"), pack3("Dec")}, {}};
// Exactly N DIGITs (N <= 4), into a date_value field.
template <int N, typename T>
struct date_digits_parser : x3::parser<date_digits_parser<N, T>> {
  using attribute_type = x3::unused_type;
  static bool const has_attribute = false;
  T date_value::*field;
  template <typename It, typename Ctx, typename Attr>
  bool parse(It& first, It const& last, Ctx const&, date_value& d, Attr&) const {
    if (last - first < N) return false;
    unsigned v = 0;
    for (int i = 0; i < N; ++i) {
      unsigned c = static_cast<unsigned>(static_cast<unsigned char>(first[i])) - '0';
      if (c > 9) return false;
      v = v * 10 + c;
    }
    d.*field = static_cast<T>(v);
    first += N;
    return true;
  }
};
template <int N, typename T>
constexpr date_digits_parser<N, T> digits_into(T date_value::*field) { return {{}, field}; }
x3::rule<class date_class, date_value> const date_r = "SIP-date";
auto const date_r_def =
    expect_("wkday (Mon / Tue / ... / Sun)")[wkday]
    >> expect_("\", \" after wkday")[x3::lit(", ")]
    >> expect_("2DIGIT day")[digits_into<2>(&date_value::day)] >> ' '
    >> expect_("month (Jan / ... / Dec)")[month_p] >> ' '
    >> expect_("4DIGIT year")[digits_into<4>(&date_value::year)] >> ' '
    >> expect_("time (2DIGIT \":\" 2DIGIT \":\" 2DIGIT)")[digits_into<2>(&date_value::hour) >> ':'
                                                      >> digits_into<2>(&date_value::minute) >> ':'
                                                      >> digits_into<2>(&date_value::second)]
    >> ' ' >> expect_("\"GMT\" (a SIP-date is always in GMT, RFC 3261 20.17)",
                      static_cast<std::uint16_t>(diag_code::non_gmt_date))[x3::lit("GMT")];

// warning-value = warn-code SP warn-agent SP warn-text; warn-code = 3DIGIT
x3::rule<class warning_class, warning_value> const warning_r = "warning-value";
auto const warning_r_def =
    expect_("warn-code (3DIGIT)", static_cast<std::uint16_t>(diag_code::bad_number))
        [x3::raw[x3::repeat(3)[digit] >> !digit][act::number_into(&warning_value::code, 999)]]
    >> ' ' >> expect_("warn-agent (hostport / pseudonym)")[x3::raw[via_value_p][set(&warning_value::agent)]]
    >> ' ' >> expect_("warn-text (quoted-string)")[x3::raw[quoted_string][set(&warning_value::text)]];

namespace act {
inline auto const info_uri = [](auto& ctx) {
  auto s = to_sv(x3::_attr(ctx));
  uri tmp;
  uri_result r = parse_fresh_uri(s, tmp);
  if (!r.ok) {
    x3::get<failure_tag>(ctx).get().note(s.data() + r.error_offset, r.expected, static_cast<std::uint16_t>(diag_code::bad_uri));
    x3::_pass(ctx) = false;
    return;
  }
  x3::_val(ctx).uri_text = s;
};
}  // namespace act
x3::rule<class info_class, info_value> const info_r = "info";
auto const info_r_def = expect_("LAQUOT absoluteURI RAQUOT")['<' >> x3::raw[until_raquot][act::info_uri] >> '>']
                        >> x3::raw[generic_params][act::params_into(&info_value::params)];

BOOST_SPIRIT_DEFINE(name_addr_r, contact_r, via_r, cseq_r, rack_r, number32_r, number8_r, media_r,
                    auth_r, ainfo_r, token_r, privacy_r, mime_r, replaces_r, timestamp_r, date_r,
                    warning_r, info_r)

}  // namespace sipscope::parser::grammar
