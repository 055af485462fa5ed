// Names, Q.850 causes and the verdict's JSON.
#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "sipscope/correlate/json.hpp"
#include "support.hpp"

namespace sipscope::explain {

std::string_view to_string(confidence c) noexcept {
  switch (c) {
    case confidence::low: return "low";
    case confidence::medium: return "medium";
    case confidence::high: return "high";
  }
  return "?";
}

std::string_view to_string(category c) noexcept {
  switch (c) {
    case category::ok: return "ok";
    case category::signalling: return "signalling";
    case category::media: return "media";
    case category::capture: return "capture";
  }
  return "?";
}

std::string_view q850_cause(int cause) noexcept {
  // ITU-T Q.850 (05/98) Table 1, the causes SIP gateways put in Reason (RFC 3326) most.
  switch (cause) {
    case 1: return "unallocated (unassigned) number";
    case 2: return "no route to specified transit network";
    case 3: return "no route to destination";
    case 6: return "channel unacceptable";
    case 16: return "normal call clearing";
    case 17: return "user busy";
    case 18: return "no user responding";
    case 19: return "no answer from user (user alerted)";
    case 20: return "subscriber absent";
    case 21: return "call rejected";
    case 22: return "number changed";
    case 26: return "non-selected user clearing";
    case 27: return "destination out of order";
    case 28: return "invalid number format (address incomplete)";
    case 29: return "facility rejected";
    case 31: return "normal, unspecified";
    case 34: return "no circuit/channel available";
    case 38: return "network out of order";
    case 41: return "temporary failure";
    case 42: return "switching equipment congestion";
    case 44: return "requested circuit/channel not available";
    case 47: return "resource unavailable, unspecified";
    case 50: return "requested facility not subscribed";
    case 55: return "incoming calls barred within CUG";
    case 57: return "bearer capability not authorized";
    case 58: return "bearer capability not presently available";
    case 63: return "service or option not available, unspecified";
    case 65: return "bearer capability not implemented";
    case 69: return "requested facility not implemented";
    case 79: return "service or option not implemented, unspecified";
    case 87: return "user not member of CUG";
    case 88: return "incompatible destination";
    case 102: return "recovery on timer expiry";
    case 111: return "protocol error, unspecified";
    case 127: return "interworking, unspecified";
    default: return "";
  }
}

int reason_cause(std::string_view value) noexcept {
  // Reason: Q.850 ;cause=17 ;text="..." (RFC 3326 2); several values may be comma-separated.
  // The protocol token is case-insensitive (RFC 3261 25.1 token, as gateways write "q.850").
  std::string lower(value);
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  std::size_t at = 0;
  while ((at = lower.find("q.850", at)) != std::string::npos) {
    std::size_t end = value.find(',', at);
    std::string_view one = value.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
    std::string c = detail::param_of(one, "cause");
    if (!c.empty() && c.size() < 5) {
      char* e = nullptr;
      long n = std::strtol(c.c_str(), &e, 10);
      if (e && !*e && n >= 0 && n < 128) return static_cast<int>(n);
    }
    at += 5;
  }
  return -1;
}

bool is_capture_loss(capture::diag_kind k) noexcept {
  using capture::diag_kind;
  switch (k) {
    case diag_kind::truncated_file: case diag_kind::truncated_packet: case diag_kind::snaplen_cut:
    case diag_kind::fragment_timeout: case diag_kind::fragment_limit: case diag_kind::tcp_gap:
    case diag_kind::tcp_flow_limit: case diag_kind::tcp_buffer_limit:
    case diag_kind::sip_size_limit: case diag_kind::sip_header_limit: case diag_kind::record_limit:
    case diag_kind::message_limit: case diag_kind::transaction_limit: case diag_kind::stream_limit:
    case diag_kind::dropped_by_kernel:
      return true;
    default:
      return false;
  }
}

void add_loss(context& ctx, const capture::diag_event& e) {
  if (!is_capture_loss(e.kind)) return;
  if (!e.frame.number) {
    if (e.kind == capture::diag_kind::dropped_by_kernel) ++ctx.kernel_drops;
    return;
  }
  if (ctx.losses.size() >= 100000) return;
  // Capture order is frame order within a file; files merged by time interleave, so insert.
  auto key = [](const capture_loss& l) { return std::pair(l.frame.file, l.frame.number); };
  const capture_loss n{e.kind, e.frame};
  if (ctx.losses.empty() || key(ctx.losses.back()) <= key(n)) {
    ctx.losses.push_back(n);
    return;
  }
  auto at = std::upper_bound(ctx.losses.begin(), ctx.losses.end(), n,
                             [&](const capture_loss& a, const capture_loss& b) { return key(a) < key(b); });
  ctx.losses.insert(at, n);
}

void write_json(json_writer& w, const verdict& v, bool with_evidence) {
  w.begin_object();
  w.member("rule", v.rule).member("rfc", v.rfc).member("category", to_string(v.cat));
  w.member("verdict", v.text).member("confidence", to_string(v.conf));
  if (with_evidence) {
    w.key("evidence").begin_array();
    for (const evidence& e : v.chain) {
      w.begin_object();
      w.member("seen", e.seen);
      w.key("frame");
      if (e.frame.number) w.value(e.frame.number);
      else w.null();
      if (e.frame.number) w.member("file", e.frame.file);
      w.key("time");
      if (e.time) w.value_fixed(correlate::epoch_seconds(e.time), 6);
      else w.null();
      w.member("what", e.what);
      if (!e.detail.empty()) w.member("detail", e.detail);
      w.end_object();
    }
    w.end_array();
    w.member("next", v.next);
  }
  w.key("also").begin_array();
  for (std::string_view a : v.also) w.value(a);
  w.end_array();
  w.end_object();
}

}  // namespace sipscope::explain
