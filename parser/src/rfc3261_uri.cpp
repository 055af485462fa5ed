// The URI grammar's translation unit (see rfc3261_uri_def.hpp), and the host validators.
#include "rfc3261_uri_def.hpp"

#include <cctype>
#include <cstring>

namespace sipscope::parser {
namespace grammar {

bool to_uint(std::string_view s, std::uint64_t max, std::uint64_t* out) noexcept {
  if (s.empty()) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
    if (v > max) return false;
  }
  *out = v;
  return true;
}

// IPv4address = 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT (each at most 255).
bool is_ipv4(std::string_view s) noexcept {
  const char* p = s.data();
  const char* const end = p + s.size();
  for (int part = 0; part < 4; ++part) {
    if (part) {
      if (p == end || *p != '.') return false;
      ++p;
    }
    unsigned v = 0;
    int n = 0;
    while (p != end && n < 3 && static_cast<unsigned>(*p - '0') < 10) { v = v * 10 + static_cast<unsigned>(*p - '0'); ++p; ++n; }
    if (n == 0 || v > 255) return false;
  }
  return p == end;
}

// IPv6address = hexpart [ ":" IPv4address ]; hexpart = hexseq / hexseq "::" [hexseq] / "::" [hexseq].
// RFC 3261's ABNF (unlike RFC 4291) lets "hexseq ':' IPv4address" follow "::" with a third
// colon ("2001:db8:::192.0.2.1"); RFC 5118 4.10 says to tolerate it.
bool is_ipv6(std::string_view s, bool tolerate_three_colons) noexcept {
  if (s.empty()) return false;
  int groups = 0;
  bool double_colon = false;
  std::size_t i = 0;
  if (s.size() >= 2 && s[0] == ':' && s[1] == ':') { double_colon = true; i = 2; if (i == s.size()) return true; }
  else if (s[0] == ':') return false;
  while (i < s.size()) {
    // IPv4 tail?
    std::size_t j = i;
    while (j < s.size() && s[j] != ':' && s[j] != '.') ++j;
    if (j < s.size() && s[j] == '.') {
      if (!is_ipv4(s.substr(i))) return false;
      groups += 2;
      i = s.size();
      break;
    }
    std::size_t len = j - i;
    if (len == 0 || len > 4) return false;
    for (std::size_t k = i; k < j; ++k)
      if (!std::isxdigit(static_cast<unsigned char>(s[k]))) return false;
    ++groups;
    i = j;
    if (i == s.size()) break;
    // s[i] == ':'
    if (i + 1 < s.size() && s[i + 1] == ':') {
      if (double_colon) return false;
      double_colon = true;
      i += 2;
      if (i == s.size()) break;
      if (s[i] == ':') {
        // three colons: only before an IPv4 tail, and only when tolerated
        if (!tolerate_three_colons) return false;
        ++i;
        if (!is_ipv4(s.substr(i))) return false;
        groups += 2;
        i = s.size();
        break;
      }
    } else {
      ++i;
      if (i == s.size()) return false;  // trailing single colon
    }
  }
  return double_colon ? groups <= 7 : groups == 8;
}

// hostname = *( domainlabel "." ) toplabel [ "." ]; toplabel starts with ALPHA;
// labels start and end with alphanum.
bool is_hostname(std::string_view s) noexcept {
  if (s.empty()) return false;
  if (s.back() == '.') s.remove_suffix(1);
  if (s.empty()) return false;
  // one pass: every label starts and ends with alphanum; the last (toplabel) starts with ALPHA
  bool label_start = true;
  char prev = '.';
  char top_first = 0;
  for (char c : s) {
    if (c == '.') {
      if (label_start || prev == '-') return false;
      label_start = true;
    } else if (alnum_table(c)) {
      if (label_start) top_first = c;
      label_start = false;
    } else if (c == '-') {
      if (label_start) return false;
    } else {
      return false;
    }
    prev = c;
  }
  if (label_start || prev == '-') return false;
  return (top_first >= 'a' && top_first <= 'z') || (top_first >= 'A' && top_first <= 'Z');
}

std::uint8_t classify_host(std::string_view s) noexcept {
  if (s.size() >= 2 && s.front() == '[') {
    if (s.back() != ']') return 0;
    return is_ipv6(s.substr(1, s.size() - 2)) ? 3 : 0;
  }
  if (!s.empty() && s.back() >= '0' && s.back() <= '9' && is_ipv4(s)) return 2;  // IPv4 ends in a digit; a hostname may too
  if (is_hostname(s)) return 1;
  return 0;
}

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

template <typename Rule>
uri_result run(Rule const& rule, std::string_view text, std::size_t skip, uri& out) {
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

}  // namespace
}  // namespace grammar

uri_result parse_uri(std::string_view text, uri& out) noexcept {
  using namespace grammar;
  out = uri{};
  out.raw = text;
  // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"
  std::size_t i = 0;
  if (text.empty() || !std::isalpha(static_cast<unsigned char>(text[0]))) {
    return {false, 0, "URI scheme (ALPHA *( ALPHA / DIGIT / \"+\" / \"-\" / \".\" ))"};
  }
  static constexpr char_table scheme_table{"+-.", true};
  while (i < text.size() && scheme_table(text[i])) ++i;
  if (i == text.size() || text[i] != ':') return {false, static_cast<std::uint32_t>(i), "\":\" after the URI scheme"};
  out.scheme = text.substr(0, i);
  std::size_t rest = i + 1;
  if (iequals(out.scheme, "sip") || iequals(out.scheme, "sips")) {
    out.kind = out.scheme.size() == 3 ? uri_scheme::sip : uri_scheme::sips;
    if (std::memchr(text.data() + rest, '@', text.size() - rest)) return run(sip_user_rest, text, rest, out);
    return run(sip_rest, text, rest, out);
  }
  if (iequals(out.scheme, "tel")) {
    out.kind = uri_scheme::tel;
    uri_result r = run(tel_rest, text, rest, out);
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
