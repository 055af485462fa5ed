// Helpers the rules share: finding messages of a record, making evidence steps, text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sipscope/explain/explain.hpp"

namespace sipscope::explain::detail {

using correlate::message_entry;
using correlate::record;
using correlate::sdp_media;
using correlate::side;
using correlate::stream_info;

constexpr timestamp_ns ms_ns = 1'000'000;
constexpr timestamp_ns s_ns = 1'000'000'000;
constexpr timestamp_ns timer_b_ns = 32 * s_ns;    // 64*T1 (RFC 3261 17.1.1.2)
constexpr timestamp_ns timer_c_ns = 180 * s_ns;   // > 3 min (RFC 3261 16.6 step 11)

// "81 ms", "6.1 s", "2 min 5 s"
std::string duration_text(timestamp_ns d);
// "12:00:00.093" (UTC)
std::string clock_text(timestamp_ns t);

// Appends each piece (no chained operator+: GCC 12's -Wrestrict).
inline void add(std::string&) {}
template <class... T>
void add(std::string& s, std::string_view first, const T&... rest) {
  s.append(first);
  add(s, rest...);
}
template <class... T>
std::string cat(const T&... parts) {
  std::string s;
  add(s, std::string_view(parts)...);
  return s;
}

std::string side_name(side s);   // "the caller", "the callee"

// One step of evidence from a message of the record.
evidence seen(const message_entry& m, std::string detail = {});
evidence not_seen(std::string what, timestamp_ns when = 0);
evidence stream_step(const stream_info& s, std::string detail = {});

// Index of a message, or -1.
template <class P>
int first_index(const record& r, P pred) {
  for (std::size_t i = 0; i < r.messages.size(); ++i)
    if (pred(r.messages[i])) return static_cast<int>(i);
  return -1;
}
template <class P>
const message_entry* first_msg(const record& r, P pred) {
  int i = first_index(r, pred);
  return i < 0 ? nullptr : &r.messages[static_cast<std::size_t>(i)];
}
template <class P>
const message_entry* last_msg(const record& r, P pred) {
  for (std::size_t i = r.messages.size(); i-- > 0;)
    if (pred(r.messages[i])) return &r.messages[i];
  return nullptr;
}
template <class P>
std::size_t count_msgs(const record& r, P pred) {
  std::size_t n = 0;
  for (const message_entry& m : r.messages) n += pred(m) ? 1 : 0;
  return n;
}

// What the rules ask of a call again and again.
struct call_view {
  const record& r;
  const message_entry* invite = nullptr;     // the first INVITE of the record (no To tag)
  capture::endpoint caller;                  // where the caller sends from (first INVITE's source)
  bool have_caller = false;
  explicit call_view(const record& rec);

  bool is_initial_invite(const message_entry& m) const;
  // The final response to the (last) initial INVITE as the caller got it (else as first seen).
  const message_entry* final_to_caller() const;
  // The first copy of that final response (the hop nearest the one that decided it).
  const message_entry* final_origin() const;
  const message_entry* first_provisional(std::uint16_t lo, std::uint16_t hi) const;
  const message_entry* caller_ack_of_2xx() const;
  // Header notes of one message.
  std::vector<const correlate::header_note*> notes_of(std::size_t message, std::string_view name) const;
  const correlate::header_note* note_of(const message_entry* m, std::string_view name) const;
  std::size_t index_of(const message_entry* m) const { return static_cast<std::size_t>(m - r.messages.data()); }
};

// "Reason: Q.850;cause=17;text=\"User busy\" (Q.850 cause 17: user busy)"
std::string reason_detail(std::string_view value);
// A parameter of an auth or Reason header value: realm, nonce, stale, username ("" absent).
std::string param_of(std::string_view value, std::string_view name);

// SDP: "m=audio 49172 RTP/AVP 0 8 101 (PCMU, PCMA, telephone-event), c=IN IP4 192.0.2.101".
std::string sdp_line(const sdp_media& m);
std::string codec_list(const sdp_media& m, bool with_events = false);
bool private_address(const capture::ip_address& ip);
std::string ip_text(const capture::ip_address& ip);

}  // namespace sipscope::explain::detail
