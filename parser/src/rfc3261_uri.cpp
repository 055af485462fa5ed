// The URI grammar's translation unit (see rfc3261_uri_def.hpp), and the host validators.
#include "rfc3261_uri_def.hpp"

#include <cctype>
#include <cstring>
#include <new>

namespace sipscope::parser {
namespace grammar {

namespace {

// telephone-subscriber (RFC 3966 3): global-number-digits = "+" *phonedigit DIGIT *phonedigit;
// local-number-digits = *phonedigit-hex (HEXDIG / "*" / "#") *phonedigit-hex.
bool valid_tel_number(std::string_view s) {
  if (s.empty()) return false;
  bool global = s.front() == '+';
  bool has_digit = false;
  for (std::size_t i = global ? 1 : 0; i < s.size(); ++i) {
    char c = s[i];
    bool sep = c == '-' || c == '.' || c == '(' || c == ')';
    if (sep) continue;
    if (c == '+') return false;
    if (global) {
      if (c < '0' || c > '9') return false;
      has_digit = true;
    } else {
      if (!(std::isxdigit(static_cast<unsigned char>(c)) || c == '*' || c == '#')) return false;
      has_digit = true;
    }
  }
  return has_digit;
}

}  // namespace

namespace {
// has_at: 1 text holds an '@', 0 it does not, -1 unknown (looked for when it matters)
inline uri_result fresh_uri(std::string_view text, uri& out, int has_at) noexcept {
  // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"
  // "sip:" (any case) is nearly every URI of a message: no scheme scan, no comparison
  if (starts_sip_colon(text)) {
    if (has_at < 0) has_at = std::memchr(text.data() + 4, '@', text.size() - 4) != nullptr;
    return fresh_sip_uri(text, out, has_at != 0);
  }
  out.raw = text;
  std::size_t i = 0;
  if (text.empty() || !((text[0] | 0x20) >= 'a' && (text[0] | 0x20) <= 'z')) {  // ALPHA
    return {false, 0, "URI scheme (ALPHA *( ALPHA / DIGIT / \"+\" / \"-\" / \".\" ))"};
  }
  static constexpr char_table scheme_table{"+-.", true};
  while (i < text.size() && scheme_table(text[i])) ++i;
  if (i == text.size() || text[i] != ':') return {false, static_cast<std::uint32_t>(i), "\":\" after the URI scheme"};
  out.scheme = text.substr(0, i);
  std::size_t rest = i + 1;
  if (iequals(out.scheme, "sip") || iequals(out.scheme, "sips")) {
    out.kind = out.scheme.size() == 3 ? uri_scheme::sip : uri_scheme::sips;
    if (has_at < 0) has_at = std::memchr(text.data() + rest, '@', text.size() - rest) != nullptr;
    if (has_at) return run_uri_rule(sip_user_rest, text, rest, out);
    return run_uri_rule(sip_rest, text, rest, out);
  }
  if (iequals(out.scheme, "tel")) {
    out.kind = uri_scheme::tel;
    uri_result r = run_uri_rule(tel_rest, text, rest, out);
    if (r.ok && !valid_tel_number(out.user)) {
      return {false, static_cast<std::uint32_t>(rest), "global-number (\"+\" digits) or local-number"};
    }
    if (r.ok && !out.tel_global && !out.params.has("phone-context")) {
      return {false, static_cast<std::uint32_t>(text.size()), "phone-context parameter (RFC 3966 5.1.5: local numbers need one)"};
    }
    return r;
  }
  out.kind = uri_scheme::other;
  out.opaque = text.substr(rest);
  const char* first = text.data() + rest;
  const char* const last = text.data() + text.size();
  if (!x3::parse(first, last, opaque_rest) || first != last) {
    return {false, static_cast<std::uint32_t>(first - text.data()), "uric (RFC 2396 absoluteURI characters)"};
  }
  return {true, 0, {}};
}
}  // namespace

uri_result parse_fresh_uri(std::string_view text, uri& out) noexcept { return fresh_uri(text, out, -1); }
uri_result parse_fresh_uri(std::string_view text, uri& out, bool has_at) noexcept { return fresh_uri(text, out, has_at); }

}  // namespace grammar

uri_result parse_uri(std::string_view text, uri& out) noexcept {
  // every member has a default initializer: default-initialising sets them all, without the
  // `rep stos` over the whole struct (padding included) that out = uri{} compiles to
  ::new (static_cast<void*>(&out)) uri;
  return grammar::parse_fresh_uri(text, out);
}

std::string_view to_string(uri_scheme s) noexcept {
  switch (s) {
    case uri_scheme::none: return "none";
    case uri_scheme::sip: return "sip";
    case uri_scheme::sips: return "sips";
    case uri_scheme::tel: return "tel";
    case uri_scheme::other: return "other";
  }
  return "?";
}

std::string_view to_string(host_kind h) noexcept {
  switch (h) {
    case host_kind::none: return "none";
    case host_kind::hostname: return "hostname";
    case host_kind::ipv4: return "ipv4";
    case host_kind::ipv6: return "ipv6";
  }
  return "?";
}

}  // namespace sipscope::parser
