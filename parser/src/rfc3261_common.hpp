// Character classes and small X3 helpers shared by the RFC 3261 grammars (private to parser/).
//
// Every class is the ABNF of RFC 3261 section 25.1 (and RFC 3966 for tel). X3's char_("...")
// compiles to a 256-bit set, so a class test is one lookup.
#pragma once

#include <boost/spirit/home/x3.hpp>

#include "addresses.hpp"

#include <cstdint>
#include <functional>
#include <string_view>

namespace sipscope::parser {
struct uri;
struct uri_result;
}  // namespace sipscope::parser

namespace sipscope::parser::grammar {

// parse_uri() into a uri that is default-constructed already (a name_addr's, just built by
// parse_elements): the same, without resetting every field first. rfc3261_uri.cpp.
uri_result parse_fresh_uri(std::string_view text, uri& out) noexcept;
// The same, when the caller already knows whether text holds an '@' (a SIP URI's userinfo
// ends at its only '@'), so that it is not looked for again.
uri_result parse_fresh_uri(std::string_view text, uri& out, bool has_at) noexcept;

namespace x3 = boost::spirit::x3;
using iterator = const char*;

// ---- furthest-failure tracking ---------------------------------------------------------
// Boost 1.74's X3 only reports errors by throwing (expectation `>`); the hot path must not
// throw, so grammars use `>>` and mark the elements worth naming with expect_(what)[p]: when
// p fails, the position where it started and its name are remembered if that is the
// furthest failure so far. A failed parse then reports that position.
struct failure {
  const char* where = nullptr;
  std::string_view what;
  std::uint16_t code = 0;   // a diag_code value, 0 = the caller's default for the rule
  // The furthest failure wins; at the same place, the first (innermost, most specific) one
  // stays, unless a later one names a diagnostic code and the first did not.
  // Out of line and cold: every failure path of the grammars calls it, so GCC moves those
  // paths out of the hot code (.text.unlikely) instead of inlining this into each of them.
  [[gnu::noinline, gnu::cold]] void note(const char* at, std::string_view w, std::uint16_t c = 0) {
    if (!where || at > where || (at == where && c != 0 && code == 0)) { where = at; what = w; code = c; }
  }
};
struct failure_tag;

template <typename Subject>
struct expect_directive : x3::unary_parser<Subject, expect_directive<Subject>> {
  using base_type = x3::unary_parser<Subject, expect_directive<Subject>>;
  static bool const is_pass_through_unary = true;
  static bool const handles_container = Subject::handles_container;
  constexpr expect_directive(Subject const& s, std::string_view w, std::uint16_t c)
      : base_type(s), what(w), code(c) {}
  template <typename It, typename Ctx, typename RCtx, typename Attr>
  bool parse(It& first, It const& last, Ctx const& ctx, RCtx& rctx, Attr& attr) const {
    It const save = first;
    if (this->subject.parse(first, last, ctx, rctx, attr)) return true;
    x3::get<failure_tag>(ctx).get().note(save, what, code);
    return false;
  }
  std::string_view what;
  std::uint16_t code = 0;
};

struct expect_gen {
  std::string_view what;
  std::uint16_t code = 0;
  template <typename Subject>
  constexpr expect_directive<typename x3::extension::as_parser<Subject>::value_type>
  operator[](Subject const& s) const {
    return {x3::as_parser(s), what, code};
  }
};
constexpr expect_gen expect_(std::string_view what, std::uint16_t code = 0) { return {what, code}; }

// ---- semantic-action helpers -------------------------------------------------------------
template <typename Range>
inline std::string_view to_sv(Range const& r) {
  return std::string_view(&*r.begin(), static_cast<std::size_t>(r.end() - r.begin()));
}
inline std::string_view to_sv(const char* b, const char* e) {
  return std::string_view(b, static_cast<std::size_t>(e - b));
}

// x3::raw[p][set(&T::field)] stores the matched text as a string_view in _val(ctx).field.
template <typename T>
constexpr auto set(std::string_view T::*field) {
  return [field](auto& ctx) {
    auto const& r = x3::_attr(ctx);
    x3::_val(ctx).*field = std::string_view(&*r.begin(), static_cast<std::size_t>(r.end() - r.begin()));
  };
}

// ---- table-driven runs of one character class ----------------------------------------------
// The hot loops of the grammar are runs of a character class (token, paramchar...). X3's
// char_set tests a bitset through several layers of templates per character; span<Table>
// tests a constexpr 256-entry table in one load. min is 0 (*class) or 1 (+class).

template <const char_table& Table, int Min>
struct span_parser : x3::parser<span_parser<Table, Min>> {
  using attribute_type = x3::unused_type;
  static bool const has_attribute = false;
  template <typename It, typename Ctx, typename RCtx, typename Attr>
  bool parse(It& first, It const& last, Ctx const&, RCtx&, Attr&) const {
    It p = scan_span<Table>(first, last);
    if (p - first < Min) return false;
    first = p;
    return true;
  }
};

// A run of a class where "%" HEXDIG HEXDIG (escaped) also counts as one character.
template <const char_table& Table, int Min>
struct escaped_span_parser : x3::parser<escaped_span_parser<Table, Min>> {
  using attribute_type = x3::unused_type;
  static bool const has_attribute = false;
  template <typename It, typename Ctx, typename RCtx, typename Attr>
  bool parse(It& first, It const& last, Ctx const&, RCtx&, Attr&) const {
    It p = first;
    while (true) {
      p = scan_span<Table>(p, last);
      if (p != last && *p == '%' && last - p >= 3 && is_hex(p[1]) && is_hex(p[2])) p += 3;
      else break;
    }
    if (p - first < Min) return false;
    first = p;
    return true;
  }
};

// token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" )
inline constexpr char_table token_table{"-.!%*_+`'~", true};
inline constexpr char_table digit_table{"0123456789", false};
// hostname / IPv4 characters (IPv6 references are matched separately): host_table, in
// addresses.hpp (scan_host)

// user = 1*( unreserved / escaped / user-unreserved )
inline constexpr char_table user_table{"-_.!~*'()&=+$,;?/", true};
// password = *( unreserved / escaped / "&" / "=" / "+" / "$" / "," )
inline constexpr char_table password_table{"-_.!~*'()&=+$,", true};
// paramchar = param-unreserved / unreserved / escaped
inline constexpr char_table param_table{"-_.!~*'()[]/:&+$", true};
// hname / hvalue = hnv-unreserved / unreserved / escaped
inline constexpr char_table hnv_table{"-_.!~*'()[]/?:+$", true};
// uric = reserved / unreserved / escaped
inline constexpr char_table uric_table{"-_.!~*'();/?:@&=+$,", true};
// word (Call-ID) = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" /
//   "(" / ")" / "<" / ">" / ":" / "\" / DQUOTE / "/" / "[" / "]" / "?" / "{" / "}" )
inline constexpr char_table word_table{"-.!%*_+`'~()<>:\\\"/[]?{}", true};
// a Via parameter value: token, host (with ':' and brackets for IPv6 received/maddr)
inline constexpr char_table via_value_table{"-.!%*_+`'~:[]", true};
inline constexpr char_table ipv6_table{"0123456789abcdefABCDEF:.", false};
inline span_parser<word_table, 1> const word_p{};
inline span_parser<via_value_table, 1> const via_value_p{};
inline span_parser<ipv6_table, 1> const ipv6_chars_p{};

inline span_parser<token_table, 1> const token_p{};
inline span_parser<digit_table, 1> const digits_p{};
inline span_parser<host_table, 1> const host_p{};

// ---- single characters and named runs (RFC 3261 25.1) --------------------------------------
inline auto const hexdig = x3::char_("0-9a-fA-F");
inline auto const escaped = x3::lit('%') >> hexdig >> hexdig;  // the Reason-Phrase's escaped
inline auto const digit = x3::char_("0-9");  // one digit; digits_p for runs

inline auto const token = token_p;
inline escaped_span_parser<user_table, 1> const user{};
inline escaped_span_parser<password_table, 0> const password{};
inline escaped_span_parser<param_table, 1> const pname{};
inline escaped_span_parser<param_table, 1> const pvalue{};
inline escaped_span_parser<hnv_table, 1> const hname{};
inline escaped_span_parser<hnv_table, 0> const hvalue{};

}  // namespace sipscope::parser::grammar
