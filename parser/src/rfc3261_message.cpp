// SIP message framing (RFC 3261 7, 18.3, 25): start line, header fields, body, and the
// semantic checks of sections 8, 16 and 20. The start-line grammar is X3; header values go
// to the header grammar (rfc3261_headers.cpp), URIs to the URI grammar (rfc3261_uri.cpp).
#include "rfc3261_common.hpp"
#include "rfc3261_headers.hpp"
#include "sipscope/parser/message.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <new>
#include <type_traits>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sipscope::parser {

// ---- message accessors ------------------------------------------------------------------------

void message::clear() {
  is_request = false;
  // default-initialised (every member has a default initializer): request_line{} zeroed its
  // 232 bytes, padding included, with a `rep stos` first, on every parse
  static_assert(std::is_trivially_destructible_v<request_line>);
  ::new (static_cast<void*>(&request)) request_line;
  response = status_line{};
  start_line = {};
  headers.clear();
  items.clear();
  body = {};
  body_offset = 0;
  size = 0;
  diagnostics.clear();
  dropped_diagnostics = 0;
  input = {};
}

const header* message::find(header_kind k) const noexcept {
  for (const header& h : headers)
    if (h.kind == k) return &h;
  return nullptr;
}

const header* message::find(std::string_view name) const noexcept {
  header_kind k = lookup_header(name);
  for (const header& h : headers)
    if (k != header_kind::other ? h.kind == k : iequals(h.name, name)) return &h;
  return nullptr;
}

const header_item* message::first_item(header_kind k) const noexcept {
  for (const header& h : headers)
    if (h.kind == k) return h.valid && h.item_count ? &items[h.first_item] : nullptr;
  return nullptr;
}

std::string_view message::call_id() const noexcept {
  const header_item* i = first_item(header_kind::call_id);
  return i ? i->raw : std::string_view();
}
const name_addr* message::from() const noexcept {
  const header_item* i = first_item(header_kind::from);
  return i ? &i->addr : nullptr;
}
const name_addr* message::to() const noexcept {
  const header_item* i = first_item(header_kind::to);
  return i ? &i->addr : nullptr;
}
const cseq_value* message::cseq() const noexcept {
  const header_item* i = first_item(header_kind::cseq);
  return i ? &i->cseq : nullptr;
}
const via_value* message::top_via() const noexcept {
  const header_item* i = first_item(header_kind::via);
  return i ? &i->via : nullptr;
}
long long message::content_length() const noexcept {
  const header_item* i = first_item(header_kind::content_length);
  return i ? static_cast<long long>(i->number.value) : -1;
}
const media_type* message::content_type() const noexcept {
  const header_item* i = first_item(header_kind::content_type);
  return i ? &i->media : nullptr;
}

std::uint32_t message::line_of(std::uint32_t offset) const noexcept {
  std::uint32_t line = 1;
  std::size_t end = std::min<std::size_t>(offset, input.size());
  for (std::size_t i = 0; i < end; ++i)
    if (input[i] == '\n') ++line;
  return line;
}

bool message::has_errors() const noexcept {
  for (const diagnostic& d : diagnostics)
    if (d.level == severity::error) return true;
  return false;
}

// ---- methods ---------------------------------------------------------------------------------

method lookup_method(std::string_view t) noexcept {
  // Methods are case-sensitive (RFC 3261 7.1).
  switch (t.size()) {
    case 3:
      if (t == "ACK") return method::ack;
      if (t == "BYE") return method::bye;
      break;
    case 4:
      if (t == "INFO") return method::info;
      break;
    case 5:
      if (t == "PRACK") return method::prack;
      if (t == "REFER") return method::refer;
      break;
    case 6:
      if (t == "INVITE") return method::invite;
      if (t == "CANCEL") return method::cancel;
      if (t == "NOTIFY") return method::notify;
      if (t == "UPDATE") return method::update;
      break;
    case 7:
      if (t == "OPTIONS") return method::options;
      if (t == "PUBLISH") return method::publish;
      if (t == "MESSAGE") return method::message;
      break;
    case 8:
      if (t == "REGISTER") return method::register_;
      break;
    case 9:
      if (t == "SUBSCRIBE") return method::subscribe;
      break;
  }
  return method::unknown;
}

std::string_view to_string(method m) noexcept {
  switch (m) {
    case method::unknown: return "unknown";
    case method::invite: return "INVITE";
    case method::ack: return "ACK";
    case method::bye: return "BYE";
    case method::cancel: return "CANCEL";
    case method::options: return "OPTIONS";
    case method::register_: return "REGISTER";
    case method::prack: return "PRACK";
    case method::subscribe: return "SUBSCRIBE";
    case method::notify: return "NOTIFY";
    case method::publish: return "PUBLISH";
    case method::info: return "INFO";
    case method::refer: return "REFER";
    case method::message: return "MESSAGE";
    case method::update: return "UPDATE";
  }
  return "?";
}

namespace {

namespace x3 = boost::spirit::x3;
using namespace grammar;

// ---- start-line grammar (RFC 3261 7.1, 7.2, 25.1) ---------------------------------------------
// SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT   ("SIP" is case-insensitive, 7.1)
// (no x3::no_case: in Boost 1.74 it hands bytes >= 0x80 to <cctype>, which is undefined)
auto const sip_version = (x3::lit('S') | 's') >> (x3::lit('I') | 'i') >> (x3::lit('P') | 'p') >> '/' >> +digit >> '.' >> +digit;
// Reason-Phrase = *(reserved / unreserved / escaped / UTF8-NONASCII / UTF8-CONT / SP / HTAB)
// (as X3 it was x3::char_("a-zA-Z0-9_.!~*'();/?:@&=+$, \t-") | escaped | x3::char_('\x80', '\xFF'))
inline constexpr char_table reason_table{"_.!~*'();/?:@&=+$, \t-", true};
// *reason_char from p: the end of the run (a class byte, UTF-8 bytes >= 0x80, or "%" HEXDIG
// HEXDIG each count; X3's alternative tested a bitset and two more parsers per byte)
inline const char* reason_run(const char* p, const char* e) {
  while (p != e) {
    const unsigned char c = static_cast<unsigned char>(*p);
    if (reason_table(*p) || c >= 0x80) ++p;
    else if (c == '%' && e - p >= 3 && is_hex(p[1]) && is_hex(p[2])) p += 3;
    else break;
  }
  return p;
}
// "SIP/2.0" (the one version there is) where SIP-Version is read, before the general rule:
// true when the 7 bytes at p are exactly that and not followed by another digit
inline bool sip_2_0(const char* p, const char* e) {
  return e - p >= 7 && std::memcmp(p, "SIP/2.0", 7) == 0 && (e - p == 7 || !(p[7] >= '0' && p[7] <= '9'));
}

// The first LF in [p, e), or null. Header lines are 20 to 200 bytes, three in four of them
// (corpus/bench) within 64: the first 64 bytes are tested at once, without a branch per 16
// (the loop's exit, at an unpredictable iteration, was a mispredicted branch per line).
inline const char* find_lf(const char* p, const char* e) {
#if defined(__SSE2__)
  const __m128i lf = _mm_set1_epi8('\n');
  auto m16 = [&](const char* q) {
    return static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q)), lf)));
  };
  if (e - p >= 64) [[likely]] {
    const std::uint64_t m = m16(p) | m16(p + 16) << 16 | static_cast<std::uint64_t>(m16(p + 32) | m16(p + 48) << 16) << 32;
    if (m) [[likely]] return p + std::countr_zero(m);
    p += 64;
  }
  while (e - p >= 16) {
    unsigned m = m16(p);
    if (m) return p + __builtin_ctz(m);
    p += 16;
  }
#endif
  for (; p < e; ++p)
    if (*p == '\n') return p;
  return nullptr;
}

class parser_run {
 public:
  parser_run(std::string_view in, message& m, const parse_options& o) : in_(in), m_(m), o_(o) {}
  parse_result run();

 private:
  // (cold: only malformed input reports; the branches that lead here are laid out as unlikely)
  [[gnu::cold]] [[gnu::noinline]] void diag(diag_code c, severity s, std::size_t off, std::size_t len, std::string_view rule,
                                            std::string_view expected) {
    if (m_.diagnostics.size() >= o_.limit.max_diagnostics) {
      ++m_.dropped_diagnostics;
      if (s == severity::error) errors_ = true;
      return;
    }
    m_.diagnostics.push_back({c, s, static_cast<std::uint32_t>(off), static_cast<std::uint32_t>(len), rule, expected});
    if (s == severity::error) errors_ = true;
  }
  std::size_t off(const char* p) const { return static_cast<std::size_t>(p - in_.data()); }
  // End of the line starting at p: position of its CR (or LF when bare LF is tolerated); null
  // when the buffer ends first. *next receives the first byte of the following line.
  const char* line_end(const char* p, const char** next) {
    const char* end = in_.data() + in_.size();
    const char* lf = find_lf(p, end);
    if (!lf) [[unlikely]] return nullptr;
    *next = lf + 1;
    if (lf > p && lf[-1] == '\r') [[likely]] return lf - 1;
    if (!bare_lf_seen_) {
      bare_lf_seen_ = true;
      diag(diag_code::bad_header_line, o_.lenient.bare_lf ? severity::warning : severity::error, off(lf), 1,
           "CRLF", "CRLF line end (a bare LF was found)");
    }
    return lf;
  }
  bool start_line(const char* b, const char* e);
  bool field_name(const char* p, const char* fe, const char** name_end, const char** colon, header_kind* kind, bool* compact);
  bool field_name_slow(const char* p, const char* fe, const char** name_end, const char** colon, header_kind* kind, bool* compact);
  // (inlined into the header loop, its one caller: the call and its eight arguments cost more
  // than the function's own work on a short header)
  [[gnu::always_inline]] inline void header_field(const char* b, const char* name_end, const char* colon, const char* e, const char* next, bool folded,
                    header_kind kind, bool compact);
  void semantic_checks();
  parse_result finish(status s, std::size_t consumed) {
    m_.size = static_cast<std::uint32_t>(consumed);
    if (s == status::ok && errors_) s = status::malformed;
    return {s, consumed};
  }

  std::string_view in_;
  message& m_;
  const parse_options& o_;
  bool errors_ = false;
  bool bare_lf_seen_ = false;
  bool headers_limited_ = false;
  // Kept by header_field() for semantic_checks(), which would otherwise walk the headers to
  // count them: how many headers of each kind (but other and Content-Length, saturating), the
  // index of the first one (valid where seen_ is not 0), and whether a single-instance header
  // came twice or with several values (then the duplicate check walks the headers).
  static constexpr std::size_t kinds_ = static_cast<std::size_t>(header_kind::count_);
  std::uint8_t seen_[kinds_] = {};
  std::uint32_t first_[kinds_];
  bool duplicates_ = false;
  // Also kept as headers are added: how many there are, where the Via headers end (for the
  // branch check), and the Content-Length headers (the body framing walked the headers again
  // for them): their count, the last valid value, whether one was invalid or two disagree,
  // and the index of the second one (the duplicate's diagnostic points at it).
  std::uint32_t n_headers_ = 0;
  std::uint32_t via_end_ = 0;
  std::uint32_t cl_count_ = 0;
  std::uint32_t cl_second_ = 0;
  long long cl_ = -1;
  bool cl_bad_ = false;
  bool cl_conflict_ = false;
};

// The first byte in [p, e) that is a control character other than HTAB (e when none).
// SSE2 (the x86-64 baseline) tests 16 bytes at a time; text values (User-Agent, unknown
// headers) are often longer than that.
inline const char* skip_text(const char* p, const char* e) {
#if defined(__SSE2__)
  const __m128i sp = _mm_set1_epi8(0x20), ht = _mm_set1_epi8('\t');
  while (e - p >= 16) {
    __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    __m128i ok = _mm_or_si128(_mm_cmpeq_epi8(_mm_max_epu8(x, sp), x), _mm_cmpeq_epi8(x, ht));
    unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(ok)) ^ 0xFFFFu;
    if (mask) return p + __builtin_ctz(mask);
    p += 16;
  }
#endif
  while (p < e && (static_cast<unsigned char>(*p) >= 0x20 || *p == '\t')) ++p;
  return p;
}

bool parser_run::start_line(const char* b, const char* e) {
  m_.start_line = to_sv(b, e);
  const char* p = b;
  // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF
  if (e - b >= 4 && (b[0] | 0x20) == 's' && (b[1] | 0x20) == 'i' && (b[2] | 0x20) == 'p' && b[3] == '/') {
    m_.is_request = false;
    const char* v0 = p;
    if (sip_2_0(p, e)) p += 7;
    else if (!x3::parse(p, e, sip_version)) {
      diag(diag_code::bad_sip_version, severity::error, off(p), 0, "SIP-Version", "\"SIP\" \"/\" 1*DIGIT \".\" 1*DIGIT");
      return false;
    }
    m_.response.version = to_sv(v0, p);
    if (p == e || *p != ' ') {
      diag(diag_code::bad_status_line, severity::error, off(p), 0, "Status-Line", "SP after SIP-Version");
      return false;
    }
    ++p;
    const char* c0 = p;
    while (p != e && *p >= '0' && *p <= '9') ++p;
    if (p - c0 != 3 || (p != e && *p != ' ')) {
      // Status-Code = 3DIGIT (RFC 4475 bigcode: 4294967301 must be rejected, not wrapped)
      diag(diag_code::bad_status_code, severity::error, off(c0), static_cast<std::size_t>(std::max(p - c0, std::ptrdiff_t(1))),
           "Status-Code", "3DIGIT status code (100 to 699)");
      return false;
    }
    m_.response.code = static_cast<std::uint16_t>((c0[0] - '0') * 100 + (c0[1] - '0') * 10 + (c0[2] - '0'));
    if (m_.response.code < 100 || m_.response.code > 699) {
      diag(diag_code::bad_status_code, severity::error, off(c0), 3, "Status-Code", "a status code from 100 to 699");
    }
    if (p == e) {
      // RFC 3261 requires the SP before an empty Reason-Phrase; some UAs omit it.
      diag(diag_code::bad_status_line, severity::error, off(p), 0, "Status-Line", "SP before the Reason-Phrase");
      return false;
    }
    ++p;
    const char* r0 = p;
    p = reason_run(p, e);
    m_.response.reason = to_sv(r0, p);
    if (p != e) {
      diag(diag_code::bad_reason_phrase, severity::error, off(p), 1, "Reason-Phrase",
           "reserved / unreserved / escaped / UTF-8 / SP / HTAB characters");
    }
  } else {
    // Request-Line = Method SP Request-URI SP SIP-Version CRLF
    m_.is_request = true;
    const char* m0 = p;
    x3::parse(p, e, token);
    if (p == m0) {
      diag(diag_code::bad_method, severity::error, off(p), 1, "Method", "a method token at the start of the Request-Line");
      return false;
    }
    m_.request.method_text = to_sv(m0, p);
    m_.request.method_kind = lookup_method(m_.request.method_text);
    if (p == e || *p != ' ') {
      diag(*p == ':' ? diag_code::bad_start_line : diag_code::bad_request_line, severity::error, off(p), 1,
           "Request-Line", "SP after the Method");
      return false;
    }
    ++p;
    bool lenient = o_.lenient.lws_in_start_line;
    if (*p == ' ' || *p == '\t') {
      // RFC 4475 lwsstart: exactly one SP separates the Request-Line elements
      diag(diag_code::bad_request_line, lenient ? severity::warning : severity::error, off(p), 1, "Request-Line",
           "exactly one SP between Method and Request-URI");
      if (!lenient) return false;
      while (p != e && (*p == ' ' || *p == '\t')) ++p;
    }
    const char* u0 = p;
    if (const void* sp = std::memchr(p, ' ', static_cast<std::size_t>(e - p))) p = static_cast<const char*>(sp);
    else p = e;
    const char* u1 = p;
    m_.request.uri_text = to_sv(u0, u1);
    // The version is the last SP-separated element; anything between URI and version means
    // LWS inside the Request-URI (RFC 4475 lwsruri).
    const char* v_end = e;
    if (lenient) while (v_end > u1 && (v_end[-1] == ' ' || v_end[-1] == '\t')) --v_end;
    const char* v0 = v_end;
    while (v0 > u1 && v0[-1] != ' ') --v0;
    if (v0 <= u1 || v0 == v_end) {
      diag(diag_code::bad_request_line, severity::error, off(v_end), 0, "Request-Line",
           v0 == v_end && v_end != e ? "no SP after SIP-Version (RFC 4475 trws)" : "SP SIP-Version after the Request-URI");
      return false;
    }
    if (v0 - 1 != u1) {
      // more than one SP-separated element: LWS inside the URI, or several SP
      bool only_sp = true;
      for (const char* q = u1; q < v0 - 1; ++q) if (*q != ' ') only_sp = false;
      diag(diag_code::bad_request_line, lenient && only_sp ? severity::warning : severity::error, off(u1), static_cast<std::size_t>(v0 - u1),
           "Request-URI", only_sp ? "exactly one SP between Request-URI and SIP-Version"
                                  : "a Request-URI without LWS (RFC 3261 25.1)");
      if (!(lenient && only_sp)) return false;
    }
    if (v_end != e) {
      diag(diag_code::bad_request_line, severity::warning, off(v_end), static_cast<std::size_t>(e - v_end), "Request-Line",
           "no trailing whitespace after SIP-Version");
    }
    const char* vp = v0;
    if (v_end - v0 == 7 && sip_2_0(v0, v_end)) vp = v_end;
    else if (!x3::parse(vp, v_end, sip_version) || vp != v_end) {
      // trailing SP (RFC 4475 trws) also lands here: "SIP/2.0 " then an empty element
      diag(diag_code::bad_sip_version, severity::error, off(vp), 0, "SIP-Version", "\"SIP\" \"/\" 1*DIGIT \".\" 1*DIGIT");
      return false;
    }
    m_.request.version = to_sv(v0, v_end);
    if (u0 != u1 && (*u0 == '<')) {
      diag(diag_code::bad_request_uri, severity::error, off(u0), static_cast<std::size_t>(u1 - u0), "Request-URI",
           "a bare URI: the Request-URI is never enclosed in <> (RFC 3261 25.1)");
      return false;
    }
    uri_result r = parse_uri(m_.request.uri_text, m_.request.request_uri);
    if (!r.ok) {
      diag(diag_code::bad_request_uri, severity::error, off(u0) + r.error_offset, 1, "Request-URI", r.expected);
      return false;
    }
  }
  // SIP/2.0 is the only version (a 505 for the rest, RFC 3261 8.2.2.x / RFC 4475 badvers)
  std::string_view v = m_.is_request ? m_.request.version : m_.response.version;
  if (v.substr(4) != "2.0") {
    diag(diag_code::unsupported_sip_version, severity::error, off(v.data()), v.size(), "SIP-Version", "SIP/2.0 (505 Version Not Supported)");
  }
  return true;
}

// The field name of the line at p (field end fe) the fast way: the first ':' among the line's
// first 32 bytes, the name before it (less trailing SP / HTAB), then the header table. A known
// name is made of letters and '-' only, so finding it there also proves it a token (a CR is
// excluded first: lookup_header folds case by OR-ing 0x20, which turns CR into '-'); an
// unknown name is tested against token. False when the line needs the byte-by-byte path
// (long name, no colon yet, invalid name): that path finds the same name and reports errors.
bool parser_run::field_name(const char* p, const char* fe, const char** name_end, const char** colon, header_kind* kind,
                            bool* compact) {
#if defined(__SSE2__)
  if (in_.data() + in_.size() - p < 32) [[unlikely]] return false;
  const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16));
  const __m128i cl = _mm_set1_epi8(':'), cr = _mm_set1_epi8('\r');
  const std::uint32_t cm = static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(a, cl))) |
                           static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(b, cl))) << 16;
  if (!cm) [[unlikely]] return false;
  const unsigned ci = static_cast<unsigned>(std::countr_zero(cm));
  const std::uint32_t crm = static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(a, cr))) |
                            static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(b, cr))) << 16;
  const char* c = p + ci;
  if (c >= fe || (crm & ((1u << ci) - 1))) [[unlikely]] return false;
  const char* n = c;
  while (n > p && (n[-1] == ' ' || n[-1] == '\t')) --n;
  if (n == p) [[unlikely]] return false;
  // (32 bytes can be read from p: the known names' table is compared without a call)
  const header_kind k = n - p == 1 ? lookup_header(to_sv(p, n), compact) : (*compact = false, detail::lookup_long_name(p, static_cast<std::size_t>(n - p)));
  if (k == header_kind::other && scan_span<token_table>(p, n) != n) return false;
  *name_end = n;
  *colon = c;
  *kind = k;
  return true;
#else
  (void)p, (void)fe, (void)name_end, (void)colon, (void)kind, (void)compact;
  return false;
#endif
}

// field-name = token; HCOLON = *( SP / HTAB ) ":" SWS, byte by byte: the lines field_name()
// leaves, and the errors (false after reporting one).
bool parser_run::field_name_slow(const char* p, const char* fe, const char** name_end, const char** colon, header_kind* kind,
                                 bool* compact) {
  const char* n = scan_span<token_table>(p, fe);
  const char* c = n;
  while (c < fe && (*c == ' ' || *c == '\t')) ++c;
  if (n == p || c == fe || *c != ':') {
    diag(diag_code::bad_header_line, severity::error, off(n == p ? p : c), 1, "message-header",
         n == p ? "a header field name (token)" : "\":\" after the header field name");
    return false;
  }
  *kind = lookup_header(to_sv(p, n), compact);
  *name_end = n;
  *colon = c;
  return true;
}

// The kinds whose value_type is raw (their text is checked here, not by a grammar), as a mask
// by kind: one test instead of five comparisons per header.
constexpr std::uint64_t raw_text_kinds = 1ull << static_cast<unsigned>(header_kind::other) |
                                         1ull << static_cast<unsigned>(header_kind::user_agent) |
                                         1ull << static_cast<unsigned>(header_kind::server) |
                                         1ull << static_cast<unsigned>(header_kind::subject) |
                                         1ull << static_cast<unsigned>(header_kind::organization);
static_assert(static_cast<unsigned>(header_kind::count_) <= 64, "raw_text_kinds is a 64-bit mask by kind");

inline void parser_run::header_field(const char* b, const char* name_end, const char* colon, const char* e, const char* next,
                              bool folded, header_kind kind, bool compact) {
  if (n_headers_ >= o_.limit.max_headers) [[unlikely]] {
    if (!headers_limited_) {
      headers_limited_ = true;
      diag(diag_code::too_many_headers, severity::error, off(b), 0, "message-header", "no more header fields than the limit (limits::max_headers)");
    }
    return;
  }
  // HCOLON = *( SP / HTAB ) ":" SWS
  const char* v = colon + 1;
  // ": value" is the common case: one SP, then neither LWS nor a line end
  if (e - v >= 2 && *v == ' ' && static_cast<unsigned char>(v[1]) > ' ') [[likely]] ++v;
  else while (v < e) {
    if (*v == ' ' || *v == '\t') ++v;
    else if (*v == '\r' && e - v >= 3 && v[1] == '\n' && (v[2] == ' ' || v[2] == '\t')) v += 3;
    else if (*v == '\n' && e - v >= 2 && (v[1] == ' ' || v[1] == '\t')) v += 2;
    else break;
  }
  const char* ve = e;
  if (ve > v && static_cast<unsigned char>(ve[-1]) > ' ') [[likely]] {
    // no trailing LWS (the common case)
  } else while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t' || ve[-1] == '\r' || ve[-1] == '\n')) --ve;
  // every field written once (emplace_back() would zero the header first)
  const std::size_t n_items = m_.items.size();
  const std::uint32_t index = n_headers_++;
  header& h = m_.headers.emplace_back(header{kind, to_sv(b, name_end), to_sv(v, ve), static_cast<std::uint32_t>(off(b)),
                                             static_cast<std::uint32_t>(next - b), static_cast<std::uint32_t>(off(v)), compact,
                                             true, folded, static_cast<std::uint16_t>(std::min<std::size_t>(n_items, 0xFFFF)), 0});
  if (h.kind != header_kind::other && h.kind != header_kind::content_length) {
    const auto k = static_cast<std::size_t>(h.kind);
    if (!seen_[k]) first_[k] = index;
    if (seen_[k] < 255 && ++seen_[k] == 2 && header_is_single(h.kind)) duplicates_ = true;
    if (h.kind == header_kind::via) via_end_ = index + 1;
  }
  // header-value = *(TEXT-UTF8char / UTF8-CONT / LWS): no control characters but HT and
  // folding. The typed grammars reject control
  // characters themselves; values kept as text are checked here. A quoted-pair inside a
  // quoted-string may escape any %x00-7F but CR and LF (RFC 4475 intmeth: "\^G").
  bool quoted = false;
  // (the kinds whose value_type is raw, without a call per header to header_value_type)
  const bool check_text = (raw_text_kinds >> static_cast<unsigned>(h.kind)) & 1;
  const char* q0 = v;
  if (check_text) q0 = skip_text(v, ve);  // fast path: no control character at all (folding puts CR/LF in the value)
  for (const char* q = v; check_text && q0 < ve && q < ve; ++q) {
    unsigned char c = static_cast<unsigned char>(*q);
    if (c == '"') quoted = !quoted;
    else if (c == '\\' && quoted && q + 1 < ve && q[1] != '\r' && q[1] != '\n') { ++q; continue; }
    if (c < 0x20 && c != '\t' && c != '\r' && c != '\n') {
      h.valid = false;
      diag(diag_code::bad_header_value, severity::error, off(q), 1, header_name(h.kind).empty() ? h.name : header_name(h.kind),
           "TEXT-UTF8 (no control characters in a header value)");
      return;
    }
  }
  const bool cl = h.kind == header_kind::content_length;
  if (cl && ++cl_count_ == 2) cl_second_ = index;
  if (n_items >= 0xFFFF) [[unlikely]] {
    // (not parsed: the body cannot be framed by it)
    if (cl) cl_bad_ = true;
    return;
  }
  detail::value_error err;
  std::size_t max_items = std::min<std::size_t>(o_.limit.max_items, 0xFFFF);
  if (!detail::parse_header_value(h.kind, h.value, h.value_offset, m_.items, max_items, err)) [[unlikely]] {
    h.valid = false;
    diag_code code = err.code;
    if (cl) {
      code = diag_code::bad_content_length;
      cl_bad_ = true;
    }
    diag(code, severity::error, h.value_offset + err.offset, 1, header_name(h.kind), err.expected);
    return;
  }
  h.item_count = static_cast<std::uint16_t>(m_.items.size() - n_items);
  if (h.item_count > 1 && !header_is_list(h.kind) && header_is_single(h.kind)) duplicates_ = true;
  if (cl) {
    const long long value = m_.items[n_items].number.value;
    if (cl_ >= 0 && value != cl_) cl_conflict_ = true;
    cl_ = value;
  }
}

parse_result parser_run::run() {
  m_.clear();
  m_.input = in_;
  const char* const begin = in_.data();
  const char* const end = begin + in_.size();
  const char* p = begin;
  const bool stream = o_.framing == transport::stream;

  // RFC 3261 7.5: CRLFs before the start line are ignored (keep-alives on streams).
  while (p != end && (*p == '\r' || *p == '\n')) ++p;
  if (p == end) {
    if (stream) return {status::incomplete, 0};
    diag(diag_code::empty_message, severity::error, 0, 0, "SIP-message", "a start line");
    return finish(status::malformed, in_.size());
  }
  if (!stream && in_.size() > o_.limit.max_message_size) {
    diag(diag_code::message_too_large, severity::error, o_.limit.max_message_size, 0, "SIP-message",
         "a message no larger than limits::max_message_size");
    return finish(status::malformed, in_.size());
  }

  // start line
  const char* next = nullptr;
  const char* sl_end = line_end(p, &next);
  if (!sl_end) {
    if (stream && in_.size() <= o_.limit.max_message_size) return {status::incomplete, 0};
    diag(diag_code::headers_not_terminated, severity::error, in_.size(), 0, "start-line", "CRLF after the start line");
    return finish(status::malformed, in_.size());
  }
  if (!start_line(p, sl_end)) {
    // Without a start line nothing else can be trusted, but the headers may still be read
    // for the user's sake: continue, the message is already marked malformed.
  }
  p = next;

  // header fields: message-header = field-name HCOLON field-value CRLF, folded lines joined
  bool terminated = false;
  while (p < end) {
    const char* line_next = nullptr;
    const char* le = line_end(p, &line_next);
    if (!le) [[unlikely]] break;
    if (le == p) [[unlikely]] {  // empty line: end of the header section
      terminated = true;
      p = line_next;
      break;
    }
    if (*p == ' ' || *p == '\t') [[unlikely]] {
      diag(diag_code::bad_header_line, severity::error, off(p), 1, "message-header",
           "a field name (a continuation line needs a header before it)");
      p = line_next;
      continue;
    }
    // fold continuation lines into this field
    const char* fe = le;
    const char* fnext = line_next;
    while (fnext < end && (*fnext == ' ' || *fnext == '\t')) {
      const char* n2 = nullptr;
      const char* e2 = line_end(fnext, &n2);
      if (!e2) { fe = nullptr; break; }
      fe = e2;
      fnext = n2;
    }
    if (!fe) [[unlikely]] break;
    // field-name = token; HCOLON = *( SP / HTAB ) ":" SWS
    const char* n;
    const char* c;
    header_kind kind;
    bool compact;
    if (field_name(p, fe, &n, &c, &kind, &compact) || field_name_slow(p, fe, &n, &c, &kind, &compact))
      header_field(p, n, c, fe, fnext, fe != le, kind, compact);
    p = fnext;
  }
  if (!terminated) {
    if (stream && in_.size() <= o_.limit.max_message_size) return {status::incomplete, 0};
    diag(diag_code::headers_not_terminated, severity::error, off(p), 0, "SIP-message",
         "an empty line (CRLF) ending the header section");
    m_.body_offset = static_cast<std::uint32_t>(off(p));
    if (o_.semantic_checks) semantic_checks();
    return finish(status::malformed, in_.size());
  }
  if (stream && off(p) > o_.limit.max_message_size) {
    diag(diag_code::message_too_large, severity::error, o_.limit.max_message_size, 0, "SIP-message",
         "a header section no larger than limits::max_message_size");
    return finish(status::malformed, off(p));
  }

  // body (RFC 3261 18.3, 20.14)
  m_.body_offset = static_cast<std::uint32_t>(off(p));
  std::size_t avail = static_cast<std::size_t>(end - p);
  // (header_field() kept the Content-Length headers' count, value and state)
  const long long cl = cl_;
  const bool cl_conflict = cl_conflict_, cl_bad = cl_bad_;
  if (cl_count_ > 1) {
    const header* second = &m_.headers[cl_second_];
    // Disagreeing values cannot frame the body: RFC 4475 3.3.9 says an element MUST answer with
    // an error (and close a stream connection). Equal duplicates are only a warning.
    diag(diag_code::multiple_content_length, cl_conflict ? severity::error : severity::warning,
         second ? second->offset : 0, second ? second->length : 0,
         "Content-Length", cl_conflict ? "one Content-Length (several disagree: the body cannot be framed)"
                                       : "one Content-Length (RFC 3261 7.3.1)");
  }
  std::size_t body_len;
  if (cl_bad || cl_conflict || cl < 0) {
    if (stream) {
      if (!cl_bad && !cl_conflict)
        diag(diag_code::missing_content_length, severity::error, m_.body_offset, 0, "Content-Length",
             "a Content-Length header: it is mandatory on stream transports (RFC 3261 18.3, 20.14)");
      body_len = 0;  // cannot frame: assume no body and resynchronise on the next start line
    } else {
      body_len = avail;  // datagram: the body is the rest of the datagram (RFC 3261 18.3)
    }
  } else if (static_cast<std::size_t>(cl) > avail) {
    if (stream) {
      if (static_cast<std::size_t>(cl) + off(p) > o_.limit.max_message_size) {
        diag(diag_code::message_too_large, severity::error, m_.body_offset, 0, "Content-Length",
             "a body within limits::max_message_size");
        return finish(status::malformed, in_.size());
      }
      return {status::incomplete, 0};
    }
    diag(diag_code::content_length_mismatch, severity::error, m_.body_offset, avail, "Content-Length",
         "as many body octets as Content-Length says (the datagram ends first: RFC 3261 18.3 asks for a 400)");
    body_len = avail;
  } else {
    body_len = static_cast<std::size_t>(cl);
    if (!stream && body_len < avail) {
      // RFC 3261 18.3: extra octets after the body in a datagram are discarded.
      bool only_crlf = true;
      for (const char* q = p + body_len; q < end; ++q) if (*q != '\r' && *q != '\n') { only_crlf = false; break; }
      if (!only_crlf)
        diag(diag_code::trailing_bytes, severity::info, off(p + body_len), avail - body_len, "Content-Length",
             "no octets after the body (they are discarded, RFC 3261 18.3)");
    }
  }
  m_.body = to_sv(p, p + body_len);
  if (o_.semantic_checks) semantic_checks();
  return finish(status::ok, off(p) + body_len);
}

// ---- semantic checks ---------------------------------------------------------------------------

// URI schemes registered with IANA that a SIP element may meet (the rest get a 416, 4475 3.3.2).
bool known_scheme(std::string_view s) {
  static constexpr std::string_view known[] = {
      "sip", "sips", "tel", "im", "pres", "mailto", "http", "https", "urn", "soap.beep", "soap.beeps",
      "xmpp", "h323", "fax", "modem", "cid", "mid", "data", "ldap", "ftp", "news", "iax", "iax2", "ws", "wss",
      "msrp", "msrps", "rtsp", "info", "acct", "isbn"};
  for (auto k : known) if (iequals(k, s)) return true;
  return false;
}

// Option tags registered with IANA (SIP parameters registry, "Option Tags").
bool known_option_tag(std::string_view t) {
  static constexpr std::string_view known[] = {
      "100rel", "199", "answermode", "early-session", "eventlist", "explicitsub", "from-change", "geolocation-http",
      "geolocation-sip", "gin", "gruu", "histinfo", "ice", "join", "multiple-refer", "norefersub", "nosub", "outbound",
      "path", "policy", "precondition", "pref", "privacy", "recipient-list-invite", "recipient-list-message",
      "recipient-list-subscribe", "record-aware", "replaces", "resource-priority", "sdp-anat", "sec-agree",
      "siprec", "tdialog", "timer", "trickle-ice", "uui"};
  for (auto k : known) if (t == k) return true;
  return false;
}

// Body types sipscope (and a typical element) understands.
bool known_body_type(const media_type& m) {
  if (iequals(m.type, "multipart")) return true;
  static constexpr std::string_view known[] = {
      "application/sdp", "message/sipfrag", "application/isup", "application/qsig", "application/dtmf-relay",
      "application/dtmf", "application/pidf+xml", "application/simple-message-summary", "text/plain",
      "application/xml", "application/rlmi+xml", "application/reginfo+xml", "application/dialog-info+xml",
      "application/vnd.etsi.sci+xml", "application/media_control+xml", "message/cpim", "text/html",
      "application/watcherinfo+xml", "application/resource-lists+xml", "application/xpidf+xml",
      "application/csta+xml", "application/json"};
  for (auto k : known) {
    auto slash = k.find('/');
    if (iequals(k.substr(0, slash), m.type) && iequals(k.substr(slash + 1), m.subtype)) return true;
  }
  return false;
}

void parser_run::semantic_checks() {
  // single-instance headers seen more than once (RFC 3261 7.3.1; RFC 4475 multi01)
  // (header_field() counted the kinds and noted whether there is anything to report here)
  if (duplicates_) {
    std::uint8_t n_seen[kinds_] = {};
    for (const header& h : m_.headers) {
      if (h.kind == header_kind::other || h.kind == header_kind::content_length) continue;
      auto& n = n_seen[static_cast<std::size_t>(h.kind)];
      if (n < 255) ++n;
      if (n == 2 && header_is_single(h.kind))
        diag(diag_code::duplicate_single_header, severity::warning, h.offset, h.length, header_name(h.kind),
             "at most one header of this name (RFC 3261 7.3.1): a UAS answers 400");
      if (h.item_count > 1 && !header_is_list(h.kind) && header_is_single(h.kind))
        diag(diag_code::duplicate_single_header, severity::warning, h.offset, h.length, header_name(h.kind), "a single value");
    }
  }
  auto count = [&](header_kind k) { return seen_[static_cast<std::size_t>(k)]; };
  auto find = [&](header_kind k) -> const header* {
    return count(k) ? &m_.headers[first_[static_cast<std::size_t>(k)]] : nullptr;
  };
  // message::first_item
  auto first_item = [&](header_kind k) -> const header_item* {
    const header* h = find(k);
    return h && h->valid && h->item_count ? &m_.items[h->first_item] : nullptr;
  };

  // mandatory headers (RFC 3261 8.1.1; responses copy the same set, 8.2.6.2)
  static constexpr header_kind mandatory[] = {header_kind::to, header_kind::from, header_kind::cseq,
                                              header_kind::call_id, header_kind::via};
  for (header_kind k : mandatory) {
    if (!count(k))
      diag(diag_code::missing_mandatory_header, severity::warning, m_.body_offset, 0, header_name(k),
           "this mandatory header (RFC 3261 8.1.1): a UAS answers 400");
  }
  if (m_.is_request && !count(header_kind::max_forwards)) {
    // RFC 3261 8.1.1 requires it, but RFC 2543 peers omit it and RFC 4475 3.4.1 asks to accept them.
    diag(diag_code::rfc2543_compat, severity::info, m_.body_offset, 0, "Max-Forwards",
         "Max-Forwards (absent: an RFC 2543 peer, accepted for backward compatibility)");
  }

  const header_item* cs_item = first_item(header_kind::cseq);
  const cseq_value* cs = cs_item ? &cs_item->cseq : nullptr;
  if (m_.is_request) {
    // CSeq method = Request-Line method (RFC 3261 8.1.1.5, 12.2.1.1; RFC 4475 mismatch01/02)
    if (cs && cs->method != m_.request.method_text) {
      const header* h = find(header_kind::cseq);
      diag(diag_code::cseq_method_mismatch, severity::error, h->value_offset, h->value.size(), "CSeq",
           "the Request-Line's method in CSeq (RFC 3261 8.1.1.5): a UAS answers 400");
    }
    if (m_.request.method_kind == method::unknown && !m_.request.method_text.empty())
      diag(diag_code::unknown_method, severity::info, 0, m_.request.method_text.size(), "Method",
           "a method this analyser knows (an extension method: a UAS answers 405 or 501)");
    const uri& ru = m_.request.request_uri;
    if (ru.kind == uri_scheme::other && !known_scheme(ru.scheme))
      diag(diag_code::unsupported_uri_scheme, severity::warning, static_cast<std::size_t>(ru.raw.data() - in_.data()),
           ru.scheme.size(), "Request-URI", "a URI scheme the element supports: it answers 416 (RFC 3261 8.2.2.1)");
    if ((ru.kind == uri_scheme::sip || ru.kind == uri_scheme::sips) && !ru.headers.empty())
      diag(diag_code::escaped_header_in_request_uri, severity::error,
           static_cast<std::size_t>(ru.headers.raw().data() - in_.data()) - 1, ru.headers.raw().size() + 1, "Request-URI",
           "no URI headers in a Request-URI (RFC 3261 19.1.5): a UAS answers 400");
    if (const header_item* mf = first_item(header_kind::max_forwards); mf && mf->number.value == 0)
      diag(diag_code::max_forwards_zero, severity::warning, mf->offset, mf->raw.size(), "Max-Forwards",
           "Max-Forwards above 0: a proxy answers 483 Too Many Hops (RFC 3261 16.3)");
    // Require / Proxy-Require option tags (RFC 3261 8.2.2.3, 16.3: 420 Bad Extension)
    const std::size_t req0 = std::min(count(header_kind::require) ? first_[static_cast<std::size_t>(header_kind::require)] : m_.headers.size(),
                                      count(header_kind::proxy_require) ? first_[static_cast<std::size_t>(header_kind::proxy_require)] : m_.headers.size());
    for (std::size_t i = req0; i < m_.headers.size(); ++i) {
      const header& h = m_.headers[i];
      if ((h.kind != header_kind::require && h.kind != header_kind::proxy_require) || !h.valid) continue;
      for (auto it = m_.item_begin(h); it != m_.item_end(h); ++it)
        if (!known_option_tag(it->token.token))
          diag(diag_code::unknown_option_tag, severity::warning, it->offset, it->raw.size(), header_name(h.kind),
               "an option tag the element supports: it answers 420 Bad Extension with Unsupported");
    }
    // Accept without any type a UAS could answer an INVITE/OPTIONS with (RFC 3261 8.2.3: 406)
    if (const header* acc = find(header_kind::accept); acc && acc->valid && acc->item_count &&
        (m_.request.method_kind == method::invite || m_.request.method_kind == method::options)) {
      bool sdp_ok = false;
      for (auto it = m_.item_begin(*acc); it != m_.item_end(*acc); ++it) {
        const media_type& t = it->media;
        if ((t.type == "*" && t.subtype == "*") || (iequals(t.type, "application") && (t.subtype == "*" || iequals(t.subtype, "sdp"))) ||
            iequals(t.type, "multipart"))
          sdp_ok = true;
      }
      if (!sdp_ok)
        diag(diag_code::not_acceptable, severity::warning, acc->value_offset, acc->value.size(), "Accept",
             "application/sdp among the accepted types: a UAS answers 406 Not Acceptable");
    }
  }
  // Body types (RFC 3261 8.2.3: 415 Unsupported Media Type)
  if (!m_.body.empty()) {
    const header_item* ct_item = first_item(header_kind::content_type);
    if (const media_type* ct = ct_item ? &ct_item->media : nullptr; ct && !known_body_type(*ct)) {
      const header* h = find(header_kind::content_type);
      diag(diag_code::unsupported_media_type, severity::warning, h->value_offset, h->value.size(), "Content-Type",
           "a body type the element understands: it answers 415 Unsupported Media Type with Accept");
    }
  }
  // Via: branch cookie (RFC 3261 8.1.1.7; RFC 4475 3.2.1 badbranch) and broadcast addresses
  bool first_via = true;
  const std::size_t via0 = count(header_kind::via) ? first_[static_cast<std::size_t>(header_kind::via)] : via_end_;
  for (std::size_t i = via0; i < via_end_; ++i) {
    const header& h = m_.headers[i];
    if (h.kind != header_kind::via || !h.valid) continue;
    for (auto it = m_.item_begin(h); it != m_.item_end(h); ++it) {
      const via_value& v = it->via;
      if (first_via) {
        first_via = false;
        if (v.branch.empty() || v.branch.size() < 7 || v.branch.substr(0, 7) != "z9hG4bK") {
          diag(diag_code::rfc2543_compat, severity::info, it->offset, it->raw.size(), "Via",
               "a branch starting with z9hG4bK (absent: RFC 2543 transaction matching, RFC 3261 17.2.3)");
        } else if (v.branch.size() == 7) {
          diag(diag_code::bad_branch, severity::warning, static_cast<std::size_t>(v.branch.data() - in_.data()), 7, "Via",
               "a branch with an identifier after the z9hG4bK cookie: a UAS answers 400 or falls back to RFC 2543 matching");
        }
      }
      if (v.host == "255.255.255.255" || v.received == "255.255.255.255")
        diag(diag_code::broadcast_address, severity::warning, it->offset, it->raw.size(), "Via",
             "a unicast sent-by: a response must not go to a broadcast address (RFC 4475 3.3.10)");
    }
  }
}

}  // namespace

parse_result parse_message(std::string_view input, message& out, const parse_options& opt) noexcept {
  parser_run run(input, out, opt);
  return run.run();
}

}  // namespace sipscope::parser
