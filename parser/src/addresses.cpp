// Address and number validators shared by the SIP and SDP grammars (addresses.hpp).
#include "addresses.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <tmmintrin.h>
#endif

namespace sipscope::parser::grammar {

#if defined(__x86_64__) || defined(__i386__)
const bool simd_spans = [] {
  __builtin_cpu_init();
  return __builtin_cpu_supports("ssse3") != 0;
}();

namespace {
// bit i set: byte i of x is not in the class
__attribute__((target("ssse3"))) inline unsigned outside_ssse3(__m128i x, __m128i lo) {
  // bit (c >> 4) for the high nibbles 0-7; 8-15 (bytes >= 0x80) select no bit
  const __m128i hi = _mm_setr_epi8(1, 2, 4, 8, 16, 32, 64, static_cast<char>(0x80), 0, 0, 0, 0, 0, 0, 0, 0);
  const __m128i low4 = _mm_set1_epi8(0x0F);
  __m128i a = _mm_shuffle_epi8(lo, _mm_and_si128(x, low4));
  __m128i b = _mm_shuffle_epi8(hi, _mm_and_si128(_mm_srli_epi16(x, 4), low4));
  return static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(a, b), _mm_setzero_si128())));
}
}  // namespace

__attribute__((target("ssse3"))) const char* scan_span_ssse3(const char* p, const char* last, const nibble_masks& m) noexcept {
  const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(m.lo));
  while (last - p >= 16) {
    unsigned out = outside_ssse3(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)), lo);
    if (out) return p + __builtin_ctz(out);
    p += 16;
  }
  if (p == last) return p;
  // the last 16 bytes of the input (the caller had at least 16 from its start), minus those
  // already tested
  unsigned skip = static_cast<unsigned>(16 - (last - p));
  unsigned out = outside_ssse3(_mm_loadu_si128(reinterpret_cast<const __m128i*>(last - 16)), lo) >> skip;
  return out ? p + __builtin_ctz(out) : last;
}
#endif

bool to_uint_slow(std::string_view s, std::uint64_t max, std::uint64_t* out) noexcept {
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
bool is_ipv4(std::string_view s, bool leading_zeros) noexcept {
  if (s.size() < 7 || s.size() > 15) return false;
  const char* p = s.data();
  const char* const end = p + s.size();
  for (int part = 0;; ++part) {
    unsigned d = static_cast<unsigned>(*p - '0');
    if (d > 9) return false;
    unsigned v = d;
    ++p;
    if (p != end && static_cast<unsigned>(*p - '0') <= 9) {
      if (!leading_zeros && d == 0) return false;
      v = v * 10 + static_cast<unsigned>(*p - '0');
      ++p;
      if (p != end && static_cast<unsigned>(*p - '0') <= 9) {
        v = v * 10 + static_cast<unsigned>(*p - '0');
        ++p;
        if (v > 255) return false;
      }
    }
    if (part == 3) return p == end;
    if (p == end || *p != '.') return false;
    ++p;
    if (p == end) return false;
  }
}

// IPv6address = hexpart [ ":" IPv4address ]; hexpart = hexseq / hexseq "::" [hexseq] / "::" [hexseq].
// RFC 3261's ABNF (unlike RFC 4291) lets "hexseq ':' IPv4address" follow "::" with a third
// colon ("2001:db8:::192.0.2.1"); RFC 5118 4.10 says to tolerate it.
bool is_ipv6(std::string_view s, bool tolerate_three_colons, bool leading_zeros) noexcept {
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
      if (!is_ipv4(s.substr(i), leading_zeros)) return false;
      groups += 2;
      i = s.size();
      break;
    }
    std::size_t len = j - i;
    if (len == 0 || len > 4) return false;
    for (std::size_t k = i; k < j; ++k)
      if (!is_hex(s[k])) return false;
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
        if (!is_ipv4(s.substr(i), leading_zeros)) return false;
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
  // label by label: an alnum, then runs of alnum joined by hyphens, then "." or the end
  const char* p = s.data();
  const char* const e = p + s.size();
  while (true) {
    if (!alnum_table(*p)) return false;
    const char* q = scan_span<alnum_table>(p + 1, e);
    while (q != e && *q == '-') {
      while (q != e && *q == '-') ++q;
      if (q == e || !alnum_table(*q)) return false;  // a label does not end with '-'
      q = scan_span<alnum_table>(q + 1, e);
    }
    if (q == e) break;
    if (*q != '.' || q + 1 == e) return false;
    p = q + 1;
  }
  // p: the toplabel, which starts with ALPHA
  return (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z');
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

}  // namespace sipscope::parser::grammar
