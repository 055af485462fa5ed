// URI grammar: SIP-URI / SIPS-URI (RFC 3261 19.1, 25.1), tel (RFC 3966), absoluteURI.
// Included by rfc3261_uri.cpp (parse_uri) and by rfc3261_headers_def.hpp (a name-addr's
// "sip:" URI is parsed inline there: fresh_sip_uri).
#pragma once

#include "rfc3261_common.hpp"
#include "sipscope/parser/uri.hpp"

namespace sipscope::parser::grammar {

namespace uri_actions {
inline auto const host = [](auto& ctx) {
  auto s = to_sv(x3::_attr(ctx));
  auto k = classify_host(s);
  if (k == 0) { x3::_pass(ctx) = false; return; }
  x3::_val(ctx).host = s;
  x3::_val(ctx).host_type = static_cast<host_kind>(k);
};
inline auto const port = [](auto& ctx) {
  std::uint64_t v = 0;
  if (!to_uint(to_sv(x3::_attr(ctx)), 65535, &v)) { x3::_pass(ctx) = false; return; }
  x3::_val(ctx).port = static_cast<std::uint16_t>(v);
  x3::_val(ctx).has_port = true;
};
inline auto const password = [](auto& ctx) {
  x3::_val(ctx).password = to_sv(x3::_attr(ctx));
  x3::_val(ctx).has_password = true;
};
// The raw text of *( ";" param ) starts with ';': the list keeps what follows it.
inline auto const params = [](auto& ctx) {
  auto s = to_sv(x3::_attr(ctx));
  if (!s.empty()) s.remove_prefix(1);
  x3::_val(ctx).params = param_list(s, ';');
};
inline auto const headers = [](auto& ctx) {
  x3::_val(ctx).headers = param_list(to_sv(x3::_attr(ctx)), '&');
};
inline auto const tel_number = [](auto& ctx) {
  auto s = to_sv(x3::_attr(ctx));
  auto& u = x3::_val(ctx);
  u.user = s;
  u.tel_global = !s.empty() && s.front() == '+';
};
}  // namespace uri_actions

// sip-uri-rest: what follows "sip:" / "sips:".
//   [ userinfo ] hostport uri-parameters [ headers ]
// userinfo is tried first; it fails (and X3 backtracks) when no '@' follows, so
// "sip:host;lr" and "sip:host:5060" parse as hostport.
// userinfo ends with the only '@' a SIP URI may hold (params and headers exclude it), so
// the caller picks the rule by looking for '@' instead of letting X3 try and backtrack.
inline auto const userinfo = expect_("userinfo (user [\":\" password] \"@\")")
    [x3::raw[user][set(&uri::user)] >> -(':' >> x3::raw[password][uri_actions::password]) >> '@'];
x3::rule<class sip_rest_class, uri> const sip_rest = "sip-uri";
x3::rule<class sip_user_rest_class, uri> const sip_user_rest = "sip-uri";
// hostport = host [ ":" port ] and uri-parameters = *( ";" uri-parameter ), each as one
// primitive: every SIP URI goes through them. They do what these expressions did, with the
// same failure notes:
//   expect_("host")[raw['[' >> ipv6_chars_p >> ']' | host_p][uri_actions::host]]
//   >> -(':' >> expect_("port (1*DIGIT, at most 65535)")[raw[digits_p][uri_actions::port]])
//   raw[*(';' >> expect_("uri-parameter (pname [\"=\" pvalue])")[pname >> -('=' >> pvalue)])]
//      [uri_actions::params]
// rctx is the attribute of the rule being parsed: the uri.
struct uri_hostport_parser : x3::parser<uri_hostport_parser> {
  using attribute_type = x3::unused_type;
  static bool const has_attribute = false;
  template <typename It, typename Ctx, typename Attr>
  bool parse(It& first, It const& last, Ctx const& ctx, uri& u, Attr&) const {
    const char* const h0 = first;
    const char* h1 = nullptr;
    std::uint8_t k = 0;
    if (h0 != last && *h0 == '[') {
      const char* q = scan_span<ipv6_table>(h0 + 1, last);
      if (q != h0 + 1 && q != last && *q == ']') {
        h1 = q + 1;
        k = classify_host(to_sv(h0, h1));
      }
    } else {
      // the host run and classify_host() of it, in one pass (u.raw: the URI text, readable)
      h1 = scan_host(h0, last, k, u.raw.data());
    }
    if (k == 0) {
      x3::get<failure_tag>(ctx).get().note(h0, "host");
      return false;
    }
    u.host = to_sv(h0, h1);
    u.host_type = static_cast<host_kind>(k);
    const char* p = h1;
    if (p != last && *p == ':') {
      // 1*DIGIT, converted as scanned; none, or above 65535: noted, and the URI ends at ':'
      const char* const d0 = p + 1;
      const char* d1 = d0;
      unsigned v = 0, d;
      while (d1 != last && (d = static_cast<unsigned>(static_cast<unsigned char>(*d1)) - '0') <= 9) {
        v = v * 10 + d;
        if (v > 65535) break;
        ++d1;
      }
      if (d1 != d0 && v <= 65535) {
        u.port = static_cast<std::uint16_t>(v);
        u.has_port = true;
        p = d1;
      } else {
        x3::get<failure_tag>(ctx).get().note(d0, "port (1*DIGIT, at most 65535)");
      }
    }
    first = p;
    return true;
  }
};
struct uri_params_parser : x3::parser<uri_params_parser> {
  using attribute_type = x3::unused_type;
  static bool const has_attribute = false;
  template <typename It, typename Ctx, typename Attr>
  bool parse(It& first, It const& last, Ctx const& ctx, uri& u, Attr& attr) const {
    const char* const p0 = first;
    const char* p = p0;
    while (p != last && *p == ';') {
      It q = p + 1;
      if (!pname.parse(q, last, ctx, u, attr)) {
        x3::get<failure_tag>(ctx).get().note(p + 1, "uri-parameter (pname [\"=\" pvalue])");
        break;
      }
      if (q != last && *q == '=') {
        It v = q + 1;
        if (pvalue.parse(v, last, ctx, u, attr)) q = v;
      }
      p = q;
    }
    std::string_view s = to_sv(p0, p);
    if (!s.empty()) s.remove_prefix(1);
    u.params = param_list(s, ';');
    first = p;
    return true;
  }
};
inline uri_hostport_parser const uri_hostport{};
inline uri_params_parser const uri_params{};

// (the body is an expression, not a rule call, so its actions fill the calling rule's uri)
inline auto const hostport_params_headers =
    uri_hostport
    >> uri_params
    >> -('?' >> x3::raw[expect_("header (hname \"=\" hvalue)")[hname >> '=' >> hvalue] % '&']
                       [uri_actions::headers]);
auto const sip_rest_def = hostport_params_headers;
auto const sip_user_rest_def = userinfo >> hostport_params_headers;

// tel (RFC 3966): telephone-subscriber *par. The number's structure (global "+" digits with
// visual separators, or local hex digits * #) is checked by the action in rfc3261_uri.cpp.
inline auto const tel_pname = +x3::char_("a-zA-Z0-9-");
inline escaped_span_parser<param_table, 1> const tel_pvalue{};
x3::rule<class tel_rest_class, uri> const tel_rest = "tel-uri";
auto const tel_rest_def =
    expect_("telephone-subscriber")[x3::raw[+x3::char_("0-9a-fA-F*#+().-")][uri_actions::tel_number]]
    >> x3::raw[*(';' >> expect_("tel parameter")[tel_pname >> -('=' >> tel_pvalue)])]
              [uri_actions::params];

// absoluteURI rest (RFC 3261 25.1 / RFC 2396): hier-part / opaque-part, i.e. uric characters.
inline escaped_span_parser<uric_table, 1> const opaque_rest{};

BOOST_SPIRIT_DEFINE(sip_rest, sip_user_rest, tel_rest)

// One rule over text[skip..] into out, with the result parse_uri() reports: ok when the rule
// consumed the whole text, else the furthest failure noted inside it (or where it stopped).
template <typename Rule>
inline uri_result run_uri_rule(Rule const& rule, std::string_view text, std::size_t skip, uri& out) {
  failure f;
  const char* first = text.data() + skip;
  const char* const last = text.data() + text.size();
  bool ok = x3::parse(first, last, x3::with<failure_tag>(std::ref(f))[rule], out);
  uri_result r;
  if (ok && first == last) { r.ok = true; return r; }
  const char* at = first;
  std::string_view what = ok ? std::string_view("end of URI") : std::string_view("URI");
  if (f.where && f.where >= at) { at = f.where; what = f.what; }
  if (ok && f.where && f.where < first) what = "end of URI";
  r.error_offset = static_cast<std::uint32_t>(at - text.data());
  r.expected = what;
  return r;
}

// "sip:" in any case, and something after it: nearly every URI of a message.
inline bool starts_sip_colon(std::string_view text) {
  return text.size() > 4 && (text[0] | 0x20) == 's' && (text[1] | 0x20) == 'i' && (text[2] | 0x20) == 'p' && text[3] == ':';
}
// parse_fresh_uri(text, out, has_at) of such a text (starts_sip_colon), inline: the header
// grammar's translation unit includes this file, so a name-addr's URI is parsed in the
// name-addr's own code, without the two calls (parse_fresh_uri, then the rule's run) that
// each cost a prologue, an epilogue and a uri_result returned through memory.
inline uri_result fresh_sip_uri(std::string_view text, uri& out, bool has_at) {
  out.raw = text;
  out.scheme = text.substr(0, 3);
  out.kind = uri_scheme::sip;
  if (has_at) return run_uri_rule(sip_user_rest, text, 4, out);
  return run_uri_rule(sip_rest, text, 4, out);
}

}  // namespace sipscope::parser::grammar
