// What the correlator keeps of one parsed SIP message while it handles it: the transaction and
// dialog keys and the fields the model needs, as views into the parser's message (valid until
// the next message). Private to correlate/model.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sipscope/parser/message.hpp"

namespace sipscope::correlate::detail {

inline constexpr std::string_view magic_cookie = "z9hG4bK";  // RFC 3261 8.1.1.7

struct sip_view {
  const parser::message* msg = nullptr;
  bool request = false;
  parser::method method = parser::method::unknown;   // request method, or the CSeq method
  std::string_view method_text;
  std::uint16_t status = 0;
  std::string_view reason;
  std::string_view call_id;
  std::uint32_t cseq = 0;
  std::string_view cseq_method;
  std::string_view from_tag, to_tag;
  std::string_view branch;                 // top Via
  std::string_view via_host;
  std::uint16_t via_port = 0;              // 0 when absent
  std::string_view via_transport;
  std::uint32_t rseq = 0;                  // RSeq of a reliable provisional (RFC 3262)
  bool usable = false;                     // Call-ID, CSeq, From, To and a Via were parsed
  bool lenient = false;                    // From/To did not match their grammar: tags scanned
};

// The raw value of the first From/To header even when its grammar failed (nullptr if absent):
// a From with a broken display name still names the dialog by its tag, and the call should
// be listed with the parser's diagnostic rather than lost.
const parser::header* raw_header(const parser::message& m, parser::header_kind k) noexcept;
// ";tag=VALUE" scanned out of a raw From/To value (empty when none).
std::string_view scan_tag(std::string_view raw) noexcept;
// The URI of a raw name-addr: between '<' and '>', else up to the first ';'.
std::string_view scan_uri(std::string_view raw) noexcept;

// Fills `v` from a parsed message; false when the message lacks what correlation needs.
bool make_view(const parser::message& m, sip_view& v) noexcept;

// The transaction key of RFC 3261 17.2.3 (branch with the magic cookie, sent-by, method), or
// the RFC 2543 fallback (Call-ID, CSeq, From tag, top Via) when the branch has no cookie.
// `method` is the transaction's method: ACK of a non-2xx and CANCEL are given by the caller.
std::string transaction_key(const sip_view& v, std::string_view method);

}  // namespace sipscope::correlate::detail
