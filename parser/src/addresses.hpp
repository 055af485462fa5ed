// Address and number validators shared by the SIP (RFC 3261) and SDP (RFC 8866) grammars.
// Hand-written, no X3: PEG cannot backtrack into hostname's *(domainlabel ".") and both
// grammars need the same answers. Private to parser/.
#pragma once

#include <cstdint>
#include <string_view>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sipscope::parser::grammar {

// A 256-entry membership table for one character class.
struct char_table {
  bool v[256] = {};
  constexpr char_table(const char* chars, bool alnum) {
    if (alnum) {
      for (int c = '0'; c <= '9'; ++c) v[c] = true;
      for (int c = 'a'; c <= 'z'; ++c) v[c] = true;
      for (int c = 'A'; c <= 'Z'; ++c) v[c] = true;
    }
    for (const char* p = chars; *p; ++p) v[static_cast<unsigned char>(*p)] = true;
  }
  constexpr bool operator()(char c) const { return v[static_cast<unsigned char>(c)]; }
};

// SSSE3 set membership for spans of 16 bytes and more: a byte c < 0x80 is in the class when
// lo[c & 15] has bit (c >> 4) set, two PSHUFB lookups for 16 bytes (bytes >= 0x80 are never
// members: every table of the grammar is ASCII). SSSE3 is not in the x86-64 baseline, so the
// vector loop is compiled for it alone and used only when the CPU has it (simd_spans).
struct nibble_masks {
  unsigned char lo[16] = {};
  bool ascii = true;   // no member >= 0x80: the vector test is exact
};
constexpr nibble_masks make_nibble_masks(const char_table& t) {
  nibble_masks m;
  for (int c = 0; c < 256; ++c) {
    if (!t.v[c]) continue;
    if (c >= 0x80) m.ascii = false;
    else m.lo[c & 15] = static_cast<unsigned char>(m.lo[c & 15] | (1u << (c >> 4)));
  }
  return m;
}
template <const char_table& Table>
inline constexpr nibble_masks nibbles_of = make_nibble_masks(Table);
#if defined(__x86_64__) || defined(__i386__)
extern const bool simd_spans;   // the CPU has SSSE3
// The end of the run starting at p (last - p >= 16), 16 bytes a step.
const char* scan_span_ssse3(const char* p, const char* last, const nibble_masks& m) noexcept;
#endif

// The end of the run of Table characters starting at p. The first 8 bytes are tested one by
// one (most runs are 3 to 12 bytes: tokens, numbers, parameter names), with one bound check
// for the 8 (or for 4 when fewer are left); a run that goes on (branches, tags, Call-IDs,
// nonces, quoted display names) continues 16 bytes at a time.
template <const char_table& Table>
inline const char* scan_span(const char* p, const char* last) {
  if (last - p >= 8) {
    if (!Table(p[0])) return p;
    if (!Table(p[1])) return p + 1;
    if (!Table(p[2])) return p + 2;
    if (!Table(p[3])) return p + 3;
    if (!Table(p[4])) return p + 4;
    if (!Table(p[5])) return p + 5;
    if (!Table(p[6])) return p + 6;
    if (!Table(p[7])) return p + 7;
    p += 8;
#if defined(__x86_64__) || defined(__i386__)
    if constexpr (nibbles_of<Table>.ascii)
      if (last - p >= 16 && simd_spans) return scan_span_ssse3(p, last, nibbles_of<Table>);
#endif
    while (last - p >= 4) {
      if (!Table(p[0])) return p;
      if (!Table(p[1])) return p + 1;
      if (!Table(p[2])) return p + 2;
      if (!Table(p[3])) return p + 3;
      p += 4;
    }
  } else if (last - p >= 4) {
    if (!Table(p[0])) return p;
    if (!Table(p[1])) return p + 1;
    if (!Table(p[2])) return p + 2;
    if (!Table(p[3])) return p + 3;
    p += 4;
  }
  while (p != last && Table(*p)) ++p;
  return p;
}

inline constexpr bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
inline constexpr char_table alnum_table{"", true};

// ---- host validation (hand-written: PEG cannot backtrack into hostname's *(label ".")) -----
// leading_zeros: RFC 3261's 1*3DIGIT allows "010"; RFC 8866's decimal-uchar does not.
bool is_ipv4(std::string_view s, bool leading_zeros = true) noexcept;
// RFC 3261 IPv6address; tolerate_three_colons accepts "2001:db8:::192.0.2.1" (RFC 5118 4.10).
bool is_ipv6(std::string_view s, bool tolerate_three_colons = true, bool leading_zeros = true) noexcept;
bool is_hostname(std::string_view s) noexcept;
// Classifies a host (IPv6 references keep brackets). Returns 0 when invalid, else 1 hostname,
// 2 ipv4, 3 ipv6 (the values of host_kind).
std::uint8_t classify_host(std::string_view s) noexcept;

// The hostname / IPv4address starting at p (the SIP URI and Via hosts): sets kind to what
// classify_host() says of the run of alphanum, "-" and "." starting at p (1 hostname, 2 ipv4,
// 0 neither) and returns the end of that run; returns p (kind 0) when the run is empty.
// An IPv4address (most hosts in SIP traffic) is read in one pass: four groups of 1 to 3
// digits, each at most 255, and no host character after them; anything else is scanned as
// a run first and classified as before.
inline constexpr char_table host_table{".-", true};  // hostname / IPv4 characters
#if defined(__SSE2__)
// is_hostname() of s = [p, p + n), 1 <= n <= 16, a run of host_table characters (alnum, "-",
// "."), from the 16 readable bytes at b (b <= p, p + n <= b + 16): the label loop of
// is_hostname as bit masks of the dots and hyphens, with no branch per label. A hostname
// (after one optional trailing ".") has no "." or "-" first or last, no "." next to a "." or
// a "-" (labels are not empty and start and end with alphanum), and its last label starts
// with ALPHA.
inline bool is_hostname16(const char* b, const char* p, unsigned n) noexcept {
  const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b));
  const unsigned o = static_cast<unsigned>(p - b);
  unsigned mask = (1u << n) - 1;
  unsigned dot = (static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('.')))) >> o) & mask;
  const unsigned dash = (static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('-')))) >> o) & mask;
  if (dot >> (n - 1)) {  // the trailing "." of a fully qualified name
    if (--n == 0) return false;
    dot &= mask >>= 1;
  }
  const unsigned sep = dot | dash;
  if ((sep & 1u) | (sep >> (n - 1)) | (dot & ((sep << 1) | (sep >> 1)))) return false;
  const unsigned top = dot ? 32u - static_cast<unsigned>(__builtin_clz(dot)) : 0u;  // the toplabel
  return static_cast<unsigned char>((p[top] | 0x20) - 'a') < 26;
}
#endif
// floor: the start of readable bytes before p (p when unknown), so that a host at the end of
// its text can still be checked 16 bytes at a time.
inline const char* scan_host(const char* p, const char* last, std::uint8_t& kind, const char* floor = nullptr) noexcept {
  const char* q = p;
  for (int part = 0;; ++part) {
    if (q == last) break;
    unsigned d = static_cast<unsigned>(static_cast<unsigned char>(*q)) - '0';
    if (d > 9) break;
    unsigned v = d;
    ++q;
    if (q != last && (d = static_cast<unsigned>(static_cast<unsigned char>(*q)) - '0') <= 9) {
      v = v * 10 + d;
      ++q;
      if (q != last && (d = static_cast<unsigned>(static_cast<unsigned char>(*q)) - '0') <= 9) {
        v = v * 10 + d;
        ++q;
        if (v > 255) break;
      }
    }
    if (part == 3) {
      if (q != last && host_table(*q)) break;  // the run goes on: no IPv4address
      kind = 2;
      return q;
    }
    if (q == last || *q != '.') break;
    ++q;
  }
  q = scan_span<host_table>(p, last);
#if defined(__SSE2__)
  // a hostname (the run does not end in a digit, so it is no IPv4address either), checked
  // from 16 bytes when the input has them around the run
  const std::ptrdiff_t n = q - p;
  if (n > 0 && n <= 16 && !(q[-1] >= '0' && q[-1] <= '9')) {
    if (last - p >= 16) { kind = is_hostname16(p, p, static_cast<unsigned>(n)) ? 1 : 0; return q; }
    if (floor && q - floor >= 16) { kind = is_hostname16(q - 16, p, static_cast<unsigned>(n)) ? 1 : 0; return q; }
  }
#endif
  kind = q == p ? 0 : classify_host(std::string_view(p, static_cast<std::size_t>(q - p)));
  return q;
}

// Parses up to max_digits decimal digits into *out, false on overflow beyond `max`.
bool to_uint_slow(std::string_view s, std::uint64_t max, std::uint64_t* out) noexcept;
// Numbers are short (ports, CSeq, lengths): up to 9 digits cannot overflow, so the bound is
// checked once at the end.
inline bool to_uint(std::string_view s, std::uint64_t max, std::uint64_t* out) noexcept {
  if (s.empty() || s.size() > 9) return to_uint_slow(s, max, out);
  std::uint64_t v = 0;
  for (char c : s) {
    unsigned d = static_cast<unsigned>(static_cast<unsigned char>(c)) - '0';
    if (d > 9) return false;
    v = v * 10 + d;
  }
  if (v > max) return false;
  *out = v;
  return true;
}

}  // namespace sipscope::parser::grammar
