// Header table and the header-value grammar's translation unit (rfc3261_headers_def.hpp).
#include "rfc3261_headers.hpp"

#include "rfc3261_headers_def.hpp"

#include <array>
#include <bit>
#include <cstring>
#include <new>
#include <type_traits>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sipscope::parser {

namespace {

struct header_info {
  header_kind kind;
  std::string_view name;
  char compact;
  std::string_view rfc;
  value_type type;
  bool list;         // comma-separated list of elements (RFC 3261 7.3.1)
  bool single;       // at most once per message
  bool allow_empty;  // an empty value is legal
};

using vt = value_type;
using hk = header_kind;

// One row per header_kind, in enum order (checked by a static_assert below).
constexpr std::array<header_info, static_cast<std::size_t>(hk::count_)> table{{
    {hk::other, "", 0, "", vt::raw, false, false, true},
    {hk::accept, "Accept", 0, "RFC 3261 20.1", vt::media_type, true, false, true},
    {hk::accept_encoding, "Accept-Encoding", 0, "RFC 3261 20.2", vt::token, true, false, true},
    {hk::accept_language, "Accept-Language", 0, "RFC 3261 20.3", vt::token, true, false, true},
    {hk::alert_info, "Alert-Info", 0, "RFC 3261 20.4", vt::info, true, false, false},
    {hk::allow, "Allow", 0, "RFC 3261 20.5", vt::token, true, false, true},
    {hk::allow_events, "Allow-Events", 'u', "RFC 6665 8.2.2", vt::token, true, false, false},
    {hk::authentication_info, "Authentication-Info", 0, "RFC 3261 20.6", vt::auth, false, true, false},
    {hk::authorization, "Authorization", 0, "RFC 3261 20.7", vt::auth, false, false, false},
    {hk::call_id, "Call-ID", 'i', "RFC 3261 20.8", vt::call_id, false, true, false},
    {hk::call_info, "Call-Info", 0, "RFC 3261 20.9", vt::info, true, false, false},
    {hk::contact, "Contact", 'm', "RFC 3261 20.10", vt::name_addr, true, false, false},
    {hk::content_disposition, "Content-Disposition", 0, "RFC 3261 20.11", vt::token, false, true, false},
    {hk::content_encoding, "Content-Encoding", 'e', "RFC 3261 20.12", vt::token, true, false, false},
    {hk::content_language, "Content-Language", 0, "RFC 3261 20.13", vt::token, true, false, false},
    {hk::content_length, "Content-Length", 'l', "RFC 3261 20.14", vt::number, false, true, false},
    {hk::content_type, "Content-Type", 'c', "RFC 3261 20.15", vt::media_type, false, true, false},
    {hk::cseq, "CSeq", 0, "RFC 3261 20.16", vt::cseq, false, true, false},
    {hk::date, "Date", 0, "RFC 3261 20.17", vt::date, false, true, false},
    {hk::error_info, "Error-Info", 0, "RFC 3261 20.18", vt::info, true, false, false},
    {hk::event, "Event", 'o', "RFC 6665 8.2.1", vt::token, false, true, false},
    {hk::expires, "Expires", 0, "RFC 3261 20.19", vt::number, false, true, false},
    {hk::from, "From", 'f', "RFC 3261 20.20", vt::name_addr, false, true, false},
    {hk::in_reply_to, "In-Reply-To", 0, "RFC 3261 20.21", vt::call_id, true, false, false},
    {hk::max_forwards, "Max-Forwards", 0, "RFC 3261 20.22", vt::number, false, true, false},
    {hk::min_expires, "Min-Expires", 0, "RFC 3261 20.23", vt::number, false, true, false},
    {hk::min_se, "Min-SE", 0, "RFC 4028 5", vt::number, false, true, false},
    {hk::mime_version, "MIME-Version", 0, "RFC 3261 20.24", vt::token, false, true, false},
    {hk::organization, "Organization", 0, "RFC 3261 20.25", vt::raw, false, true, true},
    {hk::p_asserted_identity, "P-Asserted-Identity", 0, "RFC 3325 9.1", vt::name_addr, true, false, false},
    {hk::p_preferred_identity, "P-Preferred-Identity", 0, "RFC 3325 9.2", vt::name_addr, true, false, false},
    {hk::priority, "Priority", 0, "RFC 3261 20.26", vt::token, false, true, false},
    {hk::privacy, "Privacy", 0, "RFC 3323 4.2", vt::token, false, true, false},
    {hk::proxy_authenticate, "Proxy-Authenticate", 0, "RFC 3261 20.27", vt::auth, false, false, false},
    {hk::proxy_authorization, "Proxy-Authorization", 0, "RFC 3261 20.28", vt::auth, false, false, false},
    {hk::proxy_require, "Proxy-Require", 0, "RFC 3261 20.29", vt::token, true, false, false},
    {hk::rack, "RAck", 0, "RFC 3262 7.2", vt::rack, false, true, false},
    {hk::reason, "Reason", 0, "RFC 3326 2", vt::token, true, false, false},
    {hk::record_route, "Record-Route", 0, "RFC 3261 20.30", vt::name_addr, true, false, false},
    {hk::refer_to, "Refer-To", 'r', "RFC 3515 2.1", vt::name_addr, false, true, false},
    {hk::referred_by, "Referred-By", 'b', "RFC 3892 3", vt::name_addr, false, true, false},
    {hk::replaces, "Replaces", 0, "RFC 3891 6.1", vt::replaces, false, true, false},
    {hk::reply_to, "Reply-To", 0, "RFC 3261 20.31", vt::name_addr, false, true, false},
    {hk::require, "Require", 0, "RFC 3261 20.32", vt::token, true, false, false},
    {hk::retry_after, "Retry-After", 0, "RFC 3261 20.33", vt::number, false, true, false},
    {hk::route, "Route", 0, "RFC 3261 20.34", vt::name_addr, true, false, false},
    {hk::rseq, "RSeq", 0, "RFC 3262 7.1", vt::number, false, true, false},
    {hk::server, "Server", 0, "RFC 3261 20.35", vt::raw, false, true, false},
    {hk::session_expires, "Session-Expires", 'x', "RFC 4028 4", vt::number, false, true, false},
    {hk::subject, "Subject", 's', "RFC 3261 20.36", vt::raw, false, true, true},
    {hk::subscription_state, "Subscription-State", 0, "RFC 6665 8.2.3", vt::token, false, true, false},
    {hk::supported, "Supported", 'k', "RFC 3261 20.37", vt::token, true, false, true},
    {hk::timestamp, "Timestamp", 0, "RFC 3261 20.38", vt::timestamp, false, true, false},
    {hk::to, "To", 't', "RFC 3261 20.39", vt::name_addr, false, true, false},
    {hk::unsupported, "Unsupported", 0, "RFC 3261 20.40", vt::token, true, false, false},
    {hk::user_agent, "User-Agent", 0, "RFC 3261 20.41", vt::raw, false, true, false},
    {hk::via, "Via", 'v', "RFC 3261 20.42", vt::via, true, false, false},
    {hk::warning, "Warning", 0, "RFC 3261 20.43", vt::warning, true, false, false},
    {hk::www_authenticate, "WWW-Authenticate", 0, "RFC 3261 20.44", vt::auth, false, false, false},
}};

constexpr bool table_in_order() {
  for (std::size_t i = 0; i < table.size(); ++i)
    if (static_cast<std::size_t>(table[i].kind) != i) return false;
  return true;
}
static_assert(table_in_order(), "header table rows must follow header_kind order");

const header_info& info(header_kind k) { return table[static_cast<std::size_t>(k)]; }


}  // namespace

std::string_view header_name(header_kind k) noexcept { return info(k).name; }
char header_compact(header_kind k) noexcept { return info(k).compact; }
std::string_view header_rfc(header_kind k) noexcept { return info(k).rfc; }
bool header_is_list(header_kind k) noexcept { return info(k).list; }
bool header_is_single(header_kind k) noexcept { return info(k).single; }
value_type header_value_type(header_kind k) noexcept { return info(k).type; }

std::string_view to_string(value_type t) noexcept {
  switch (t) {
    case vt::raw: return "raw";
    case vt::name_addr: return "name_addr";
    case vt::via: return "via";
    case vt::cseq: return "cseq";
    case vt::rack: return "rack";
    case vt::media_type: return "media_type";
    case vt::auth: return "auth";
    case vt::token: return "token";
    case vt::number: return "number";
    case vt::replaces: return "replaces";
    case vt::timestamp: return "timestamp";
    case vt::date: return "date";
    case vt::warning: return "warning";
    case vt::info: return "info";
    case vt::call_id: return "call_id";
  }
  return "?";
}

// The header-name table (its layout and the hash: rfc3261_headers.hpp). The slots per
// (length, first letter) of an earlier version held up to three names and cost about 60
// instructions a lookup; one slot per hash and the name's kind and length inside the slot
// (the slot is the only load that depends on the hash) about 25.
namespace {
using detail::max_name_len;
using detail::name_hash;
using detail::name_slot;
using detail::name_table;
constexpr bool build_names(name_table& t) {
  bool collision = false;
  for (std::size_t i = 1; i < table.size(); ++i) {
    std::string_view n = table[i].name;
    if (table[i].compact) t.by_compact[table[i].compact - 'a'] = table[i].kind;
    if (n.size() < 2 || n.size() > max_name_len) { collision = true; continue; }
    auto u = [&](std::size_t j) { return static_cast<unsigned>(static_cast<unsigned char>(n[j])); };
    name_slot& slot = t.by_hash[name_hash(static_cast<unsigned>(n.size()), u(0), u(n.size() >> 1), u(n.size() - 1))];
    if (slot.len) collision = true;
    slot.len = static_cast<std::uint8_t>(n.size());
    slot.kind = table[i].kind;
    for (std::size_t j = 0; j < n.size(); ++j) {
      // little-endian words, as memcpy loads them from the message (static_assert in the header)
      slot.lname[j / 8] |= static_cast<std::uint64_t>(static_cast<unsigned char>(n[j] | 0x20)) << (8 * (j % 8));
      slot.mask[j / 8] |= std::uint64_t{0xFF} << (8 * (j % 8));
    }
  }
  return !collision;
}
constexpr name_table make_names() {
  name_table t{};
  build_names(t);
  return t;
}
constexpr bool names_collision_free() {
  name_table t{};
  return build_names(t);
}
static_assert(names_collision_free(), "header names: change name_hash_mul (two names share a slot, or a name is too long)");
}  // namespace

namespace detail {
extern constexpr name_table header_names = make_names();
}  // namespace detail

namespace {
// The case fold (| 0x20) maps control characters onto '-' (CR) and digits or '.' (0x10-0x1F,
// 0x0E), so a name found in the table is only proof of a token, as the header loop's fast
// path takes it (rfc3261_message.cpp, field_name), while every known name is letters and '-'.
constexpr bool names_letters_and_dash() {
  for (const header_info& h : table)
    for (char c : h.name)
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-')) return false;
  return true;
}
static_assert(names_letters_and_dash(), "header names: letters and '-' only (see field_name in rfc3261_message.cpp)");

template <typename T>
inline T load(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
// n (size >= 2) equals the lower-cased name l of the same length, folding case by OR-ing 0x20
// (names hold letters and '-', and '-' already has that bit).
inline bool fold_equal(const char* n, const char* l, std::size_t size) {
  if (size >= 8) {
    constexpr std::uint64_t fold = 0x2020202020202020ull;
    std::size_t i = 0;
    for (; i + 8 <= size; i += 8)
      if ((load<std::uint64_t>(n + i) | fold) != load<std::uint64_t>(l + i)) return false;
    if (i == size) return true;
    return (load<std::uint64_t>(n + size - 8) | fold) == load<std::uint64_t>(l + size - 8);
  }
  if (size >= 4) {
    constexpr std::uint32_t fold = 0x20202020u;
    return (load<std::uint32_t>(n) | fold) == load<std::uint32_t>(l) &&
           (load<std::uint32_t>(n + size - 4) | fold) == load<std::uint32_t>(l + size - 4);
  }
  for (std::size_t i = 0; i < size; ++i)
    if ((n[i] | 0x20) != l[i]) return false;
  return true;
}
}  // namespace

header_kind lookup_header(std::string_view n, bool* is_compact) noexcept {
  if (is_compact) *is_compact = false;
  const std::size_t len = n.size();
  if (len == 1) {
    unsigned c = (static_cast<unsigned char>(n[0]) | 0x20u) - 'a';
    if (c >= 26 || detail::header_names.by_compact[c] == hk::other) return hk::other;
    if (is_compact) *is_compact = true;
    return detail::header_names.by_compact[c];
  }
  if (len < 2 || len > max_name_len) return hk::other;
  auto u = [&](std::size_t j) { return static_cast<unsigned>(static_cast<unsigned char>(n[j])); };
  const name_slot& slot = detail::header_names.by_hash[name_hash(static_cast<unsigned>(len), u(0), u(len >> 1), u(len - 1))];
  if (slot.len == len && fold_equal(n.data(), reinterpret_cast<const char*>(slot.lname), len)) return slot.kind;
  return hk::other;
}

namespace detail {

namespace {

using namespace grammar;

std::string_view trim_ws(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

diag_code default_code(value_type t) {
  switch (t) {
    case vt::name_addr: return diag_code::bad_name_addr;
    case vt::via: return diag_code::bad_via;
    case vt::cseq: return diag_code::bad_cseq;
    case vt::number: return diag_code::bad_number;
    case vt::date: return diag_code::bad_date;
    default: return diag_code::bad_header_value;
  }
}

// An element that is empty (",," or ";;", RFC 4475 badinv01) gets its own code.
bool empty_element_at(const char* p, const char* end) {
  if (p == end || (*p != ';' && *p != ',')) return false;
  ++p;
  while (p != end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) ++p;
  return p == end || *p == ';' || *p == ',';
}

template <typename Rule, typename Member>
// flatten: inlines the rule's parse and emplace_back into each instantiation. Measured:
// 15 787 -> 14 761 instructions per message and about 7% less wall time on corpus/bench, for
// ~130 KB more code in this translation unit (the same attribute on parse_uri's run() and on
// header_field() gained nothing).
[[gnu::flatten]] bool parse_elements(Rule const& rule, Member header_item::*member, value_type type, bool list,
                    std::string_view value, std::uint32_t value_offset, std::vector<header_item>& items,
                    std::size_t max_items, value_error& err) {
  const char* const begin = value.data();
  const char* const end = begin + value.size();
  const char* it = begin;
  std::size_t const first = items.size();
  auto fail = [&](const char* at, std::string_view what, std::uint16_t code) {
    items.resize(first);
    err.offset = static_cast<std::uint32_t>(at - begin);
    err.expected = what;
    err.code = code ? static_cast<diag_code>(code) : default_code(type);
    if (!code && empty_element_at(at, end)) err.code = diag_code::empty_list_element;
    if (type == vt::name_addr && (!code || code == static_cast<std::uint16_t>(diag_code::bad_uri))) {
      // "Bell, Alexander <sip:...>" (RFC 4475 baddn): a display name with characters outside
      // token must be a quoted-string.
      const char* lt = static_cast<const char*>(std::memchr(begin, '<', value.size()));
      if (lt && *begin != '"') {
        for (const char* q = begin; q < lt; ++q) {
          char c = *q;
          bool tok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     std::memchr("-.!%*_+`'~ \t\r\n", c, 14) != nullptr;
          if (!tok) {
            err.offset = static_cast<std::uint32_t>(q - begin);
            err.expected = "a quoted-string display name (it has characters outside token)";
            err.code = diag_code::display_name_not_quoted;
            break;
          }
        }
      }
    }
    return false;
  };
  failure f;  // one per value, reset for each element
  while (true) {
    if (items.size() >= max_items) return fail(it, "fewer list elements (limit reached)", static_cast<std::uint16_t>(diag_code::too_many_headers));
    header_item& item = items.emplace_back();
    item.type = type;
    // copied from a constexpr default-constructed value: the same fields as `new (p) Member`
    // (which wrote them one by one, ~30 scalar stores for a name-addr) in 16-byte moves;
    // Member() would zero the whole struct first (a `rep stos` for a Via or a name-addr)
    static_assert(std::is_trivially_copyable_v<Member>, "value structs are copied with memcpy");
    static constexpr Member fresh{};
    std::memcpy(static_cast<void*>(&(item.*member)), &fresh, sizeof(Member));
    f.where = nullptr;  // (no failure noted for this element yet: note() sets the rest with it)
    const char* start = it;
    bool ok = x3::parse(it, end, x3::with<failure_tag>(std::ref(f))[rule], item.*member);
    if (!ok) {
      if (f.where && f.where >= start) return fail(f.where, f.what, f.code);
      return fail(start, "a value", 0);
    }
    // (the value has no trailing LWS, header_field() cut it: the last element needs no trim)
    item.raw = it == end ? std::string_view(start, static_cast<std::size_t>(it - start))
                         : trim_ws(std::string_view(start, static_cast<std::size_t>(it - start)));
    item.offset = value_offset + static_cast<std::uint32_t>(start - begin);
    if (it == end) return true;
    if (list) {
      const char* before = it;
      if (x3::parse(it, end, COMMA) && it != end) continue;
      it = before;
      // prefer the inner failure when it reached further (a bad parameter, say)
      if (f.where && f.where > it) return fail(f.where, f.what, f.code);
      return fail(it, "\",\" or the end of the value", 0);
    }
    if (f.where && f.where > it) return fail(f.where, f.what, f.code);
    return fail(it, "the end of the value", 0);
  }
}

// Headers kept as text (User-Agent, Subject...): one raw item; the grammar only asks for
// TEXT-UTF8 with folding, which the line splitter has already enforced.
bool raw_item(std::string_view value, std::uint32_t value_offset, std::vector<header_item>& items, std::size_t,
              value_error&, value_type, bool) {
  header_item& item = items.emplace_back();
  item.type = vt::raw;
  item.raw = value;
  item.offset = value_offset;
  return true;
}

bool call_id_items(std::string_view value, std::uint32_t value_offset, std::vector<header_item>& items,
                   std::size_t max_items, value_error& err, value_type, bool list) {
  const char* const begin = value.data();
  const char* const end = begin + value.size();
  const char* it = begin;
  std::size_t const first = items.size();
  while (true) {
    const char* start = it;
    if (items.size() >= max_items || !x3::parse(it, end, callid)) {
      items.resize(first);
      err.offset = static_cast<std::uint32_t>(it - begin);
      err.expected = "callid (word [\"@\" word])";
      err.code = diag_code::bad_header_value;
      return false;
    }
    header_item& item = items.emplace_back();
    item.type = vt::call_id;
    item.raw = std::string_view(start, static_cast<std::size_t>(it - start));
    item.offset = value_offset + static_cast<std::uint32_t>(start - begin);
    if (it == end) return true;
    if (!list || !x3::parse(it, end, COMMA) || it == end) {
      items.resize(first);
      err.offset = static_cast<std::uint32_t>(it - begin);
      err.expected = list ? "\",\" or the end of the value" : "the end of the Call-ID (a single callid)";
      err.code = empty_element_at(it, end) ? diag_code::empty_list_element : diag_code::bad_header_value;
      return false;
    }
  }
}

// One rule's elements, with the signature of value_parser::parse (parse_elements inlined).
template <auto const& Rule, auto Member>
bool elements(std::string_view value, std::uint32_t value_offset, std::vector<header_item>& items, std::size_t max_items,
              value_error& err, value_type type, bool list) {
  return parse_elements(Rule, Member, type, list, value, value_offset, items, max_items, err);
}

// ---- token lists (Allow, Supported, Allow-Events, Require...) -------------------------------
// The most frequent list elements are bare tokens: "INVITE, ACK, OPTIONS". parse_elements()
// set up an item, the rule's context and a failure record per element, and found each
// token's end byte by byte (a mispredicted branch per token, whose length varies). Here the
// value's token characters are classified 16 bytes at a time into a bit mask (SSE2, the
// x86-64 baseline), a token's end is the next clear bit, and one loop writes the items.
// Only values of the form token *(*WSP "," *WSP token) take this way (no CR or LF, so SWS is
// *WSP; no parameters; no error): for those the grammar (token_value_parser, COMMA) gives
// exactly these items. Anything else, including every error, goes to parse_elements() from
// the start of the value, which reports it as before.

// 1 for the token characters of token_table (RFC 3261 25.1), as token_mask16() computes it.
constexpr bool token_by_formula(unsigned c) {
  const unsigned char l = static_cast<unsigned char>((c | 0x20u) - 'a'), d = static_cast<unsigned char>(c - '0');
  if (l <= 25 || d <= 9) return true;
  for (char s : std::string_view("-.!%*_+`'~")) if (c == static_cast<unsigned char>(s)) return true;
  return false;
}
constexpr bool token_formula_exact() {
  for (unsigned c = 0; c < 256; ++c)
    if (token_by_formula(c) != token_table(static_cast<char>(c))) return false;
  return true;
}
static_assert(token_formula_exact(), "token_mask16 must classify exactly as token_table");

constexpr std::size_t max_token_list = 512;  // longer values take the general way

#if defined(__SSE2__)
// Bit i: the byte at p + i is a token character (letters folded to lower case then a range,
// digits a range, the ten others compared one by one: token_by_formula()).
inline std::uint32_t token_mask16(const char* p) {
  const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i l = _mm_sub_epi8(_mm_or_si128(x, _mm_set1_epi8(0x20)), _mm_set1_epi8('a'));
  const __m128i d = _mm_sub_epi8(x, _mm_set1_epi8('0'));
  __m128i m = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(l, _mm_set1_epi8(25)), l),
                           _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d));
  __m128i s = _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('-')), _mm_cmpeq_epi8(x, _mm_set1_epi8('.')));
  s = _mm_or_si128(s, _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('!')), _mm_cmpeq_epi8(x, _mm_set1_epi8('%'))));
  s = _mm_or_si128(s, _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('*')), _mm_cmpeq_epi8(x, _mm_set1_epi8('_'))));
  s = _mm_or_si128(s, _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('+')), _mm_cmpeq_epi8(x, _mm_set1_epi8('`'))));
  s = _mm_or_si128(s, _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('\'')), _mm_cmpeq_epi8(x, _mm_set1_epi8('~'))));
  return static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_or_si128(m, s)));
}
#endif

// The general way for a token value (parse_elements with token_r), out of line.
[[gnu::noinline]] bool token_elements(std::string_view value, std::uint32_t value_offset, std::vector<header_item>& items,
                                      std::size_t max_items, value_error& err, value_type type, bool list) {
  return parse_elements(token_r, &header_item::token, type, list, value, value_offset, items, max_items, err);
}

bool token_items(std::string_view value, std::uint32_t value_offset, std::vector<header_item>& items,
                 std::size_t max_items, value_error& err, value_type type, bool list) {
  const std::size_t n = value.size();
  const char* const b = value.data();
  if (n > max_token_list) return token_elements(value, value_offset, items, max_items, err, type, list);
  // tok[k]: the token bits of bytes 16k..16k+15; zero past the value (a run ends there)
  std::uint16_t tok[max_token_list / 16 + 4];
  std::size_t k = 0;
#if defined(__SSE2__)
  for (; 16 * k + 16 <= n; ++k) tok[k] = static_cast<std::uint16_t>(token_mask16(b + 16 * k));
  if (const std::size_t r = n - 16 * k; r && n >= 16) {
    // the last r bytes: one load ending at the value's end (never past it)
    tok[k++] = static_cast<std::uint16_t>(token_mask16(b + n - 16) >> (16 - r));
  } else
#endif
  if (16 * k < n) {
    std::uint32_t m = 0;
    for (std::size_t j = 16 * k; j < n; ++j) m |= static_cast<std::uint32_t>(token_table(b[j])) << (j - 16 * k);
    tok[k++] = static_cast<std::uint16_t>(m);
  }
  tok[k] = tok[k + 1] = tok[k + 2] = tok[k + 3] = 0;
  // the first byte at or after i that is not a token character (n at the latest): 49 to 64
  // bits from i in one load, a loop only for a longer token
  auto run_end = [&](std::size_t i) {
    std::size_t w = i >> 4;
    std::uint64_t m;
    std::memcpy(&m, tok + w, sizeof m);
    m = ~m >> (i & 15);
    while (!m) {
      w += 4;
      std::memcpy(&m, tok + w, sizeof m);
      m = ~m;
      i = w << 4;
    }
    return i + static_cast<std::size_t>(std::countr_zero(m));
  };
  std::size_t const first = items.size();
  std::size_t i = 0;
  while (true) {
    const std::size_t t = run_end(i);
    if (t == i || items.size() >= max_items) break;
    header_item& item = items.emplace_back();
    item.type = type;
    ::new (static_cast<void*>(&item.token)) token_value;
    // (both from the local: `token = raw = ...` reloaded raw as one 16-byte load just after
    // its two 8-byte stores, a store-forwarding stall that took half of this function's time)
    const std::string_view tk(b + i, t - i);
    item.raw = tk;
    item.token.token = tk;
    item.offset = value_offset + static_cast<std::uint32_t>(i);
    if (t == n) return true;
    // *WSP "," *WSP, then another token
    std::size_t q = t;
    while (q < n && (b[q] == ' ' || b[q] == '\t')) ++q;
    if (!list || q == n || b[q] != ',') break;
    ++q;
    while (q < n && (b[q] == ' ' || b[q] == '\t')) ++q;
    if (q == n) break;
    i = q;
  }
  items.resize(first);
  return token_elements(value, value_offset, items, max_items, err, type, list);
}

bool replaces_items(std::string_view value, std::uint32_t value_offset, std::vector<header_item>& items,
                    std::size_t max_items, value_error& err, value_type type, bool list) {
  bool ok = parse_elements(replaces_r, &header_item::replaces, type, list, value, value_offset, items, max_items, err);
  if (ok) {
    auto& r = items.back().replaces;
    if (auto p = r.params.find("to-tag")) r.to_tag = p->value;
    if (auto p = r.params.find("from-tag")) r.from_tag = p->value;
    r.early_only = r.params.has("early-only");
  }
  return ok;
}

constexpr value_parser::fn parser_of(header_kind kind) {
  switch (kind) {
    case hk::other:
    case hk::organization:
    case hk::server:
    case hk::subject:
    case hk::user_agent:
      return raw_item;
    case hk::call_id:
    case hk::in_reply_to:
      return call_id_items;
    case hk::contact:
      return elements<contact_r, &header_item::addr>;
    case hk::from: case hk::to: case hk::route: case hk::record_route: case hk::reply_to:
    case hk::refer_to: case hk::referred_by: case hk::p_asserted_identity: case hk::p_preferred_identity:
      return elements<name_addr_r, &header_item::addr>;
    case hk::via:
      return elements<via_r, &header_item::via>;
    case hk::cseq:
      return elements<cseq_r, &header_item::cseq>;
    case hk::rack:
      return elements<rack_r, &header_item::rack>;
    case hk::max_forwards:
      return elements<number8_r, &header_item::number>;
    case hk::content_length: case hk::expires: case hk::min_expires: case hk::rseq:
    case hk::session_expires: case hk::min_se: case hk::retry_after:
      return elements<number32_r, &header_item::number>;
    case hk::content_type: case hk::accept:
      return elements<media_r, &header_item::media>;
    case hk::authorization: case hk::proxy_authorization: case hk::www_authenticate: case hk::proxy_authenticate:
      return elements<auth_r, &header_item::auth>;
    case hk::authentication_info:
      return elements<ainfo_r, &header_item::auth>;
    case hk::privacy:
      return elements<privacy_r, &header_item::token>;
    case hk::mime_version:
      return elements<mime_r, &header_item::token>;
    case hk::replaces:
      return replaces_items;
    case hk::timestamp:
      return elements<timestamp_r, &header_item::timestamp>;
    case hk::date:
      return elements<date_r, &header_item::date>;
    case hk::warning:
      return elements<warning_r, &header_item::warning>;
    case hk::alert_info: case hk::call_info: case hk::error_info:
      return elements<info_r, &header_item::info>;
    default:
      return token_items;
  }
}

constexpr std::array<value_parser, table.size()> make_value_parsers() {
  std::array<value_parser, table.size()> a{};
  for (std::size_t i = 0; i < table.size(); ++i)
    a[i] = {parser_of(table[i].kind), table[i].type, table[i].list, table[i].allow_empty || table[i].kind == hk::other};
  return a;
}
}  // namespace

extern constexpr std::array<value_parser, table.size()> value_parsers = make_value_parsers();

bool empty_value(value_type type, value_error& err) noexcept {
  err.offset = 0;
  err.expected = "a value (this header may not be empty)";
  err.code = default_code(type);
  return false;
}

}  // namespace detail
}  // namespace sipscope::parser
