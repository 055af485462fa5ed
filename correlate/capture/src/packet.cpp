// Text forms of the shared capture types (packet.hpp).
#include "sipscope/capture/packet.hpp"

#include <arpa/inet.h>

namespace sipscope::capture {

namespace {

// Dotted quad without inet_ntop: glibc's goes through sprintf (about 1 500 instructions per
// address), and exports and JSON output format two endpoints per message and stream.
char* put_ipv4(char* o, const std::uint8_t* b) noexcept {
  for (int i = 0; i < 4; ++i) {
    if (i) *o++ = '.';
    const unsigned v = b[i];
    if (v >= 100) *o++ = static_cast<char>('0' + v / 100);
    if (v >= 10) *o++ = static_cast<char>('0' + v / 10 % 10);
    *o++ = static_cast<char>('0' + v % 10);
  }
  return o;
}

// Room for "[" + the longest RFC 5952 text + "]:" + 5 digits.
constexpr std::size_t endpoint_text_max = INET6_ADDRSTRLEN + 8;

std::size_t put_endpoint(char* out, const ip_address& ip, std::uint16_t port) noexcept {
  char* o = out;
  if (ip.family == 4) {
    o = put_ipv4(o, ip.bytes.data());
  } else if (ip.family == 6) {
    *o++ = '[';
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(AF_INET6, ip.bytes.data(), buf, sizeof buf);   // RFC 5952 form
    for (const char* p = buf; *p; ++p) *o++ = *p;
    *o++ = ']';
  }
  *o++ = ':';
  char digits[5];
  int n = 0;
  unsigned v = port;
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v);
  while (n) *o++ = digits[--n];
  return static_cast<std::size_t>(o - out);
}

}  // namespace

std::string ip_address::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (family == 4) *put_ipv4(buf, bytes.data()) = '\0';
  else if (family == 6) inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);  // RFC 5952 form
  return buf;
}

std::string endpoint::to_string() const {
  char buf[endpoint_text_max];
  return std::string(buf, put_endpoint(buf, ip, port));
}

std::string_view to_string(transport t) noexcept {
  switch (t) {
    case transport::udp: return "UDP";
    case transport::tcp: return "TCP";
    case transport::tls: return "TLS";
    case transport::sctp: return "SCTP";
    case transport::ws: return "WS";
    case transport::wss: return "WSS";
  }
  return "?";
}

std::string_view to_string(diag_kind k) noexcept {
  switch (k) {
    case diag_kind::cannot_open: return "cannot_open";
    case diag_kind::not_a_capture: return "not_a_capture";
    case diag_kind::truncated_file: return "truncated_file";
    case diag_kind::bad_record_length: return "bad_record_length";
    case diag_kind::unsupported_link_type: return "unsupported_link_type";
    case diag_kind::truncated_packet: return "truncated_packet";
    case diag_kind::snaplen_cut: return "snaplen_cut";
    case diag_kind::bad_link_header: return "bad_link_header";
    case diag_kind::bad_ip_header: return "bad_ip_header";
    case diag_kind::bad_ip_checksum: return "bad_ip_checksum";
    case diag_kind::bad_udp_header: return "bad_udp_header";
    case diag_kind::bad_tcp_header: return "bad_tcp_header";
    case diag_kind::ip_length_mismatch: return "ip_length_mismatch";
    case diag_kind::fragment_timeout: return "fragment_timeout";
    case diag_kind::fragment_overlap: return "fragment_overlap";
    case diag_kind::fragment_limit: return "fragment_limit";
    case diag_kind::tcp_gap: return "tcp_gap";
    case diag_kind::tcp_flow_limit: return "tcp_flow_limit";
    case diag_kind::tcp_buffer_limit: return "tcp_buffer_limit";
    case diag_kind::stream_resync: return "stream_resync";
    case diag_kind::bad_ws_frame: return "bad_ws_frame";
    case diag_kind::bad_hep_packet: return "bad_hep_packet";
    case diag_kind::tcp_overlap: return "tcp_overlap";
    case diag_kind::not_sip_stream: return "not_sip_stream";
    case diag_kind::sip_size_limit: return "sip_size_limit";
    case diag_kind::sip_header_limit: return "sip_header_limit";
    case diag_kind::multipart_depth_limit: return "multipart_depth_limit";
    case diag_kind::record_limit: return "record_limit";
    case diag_kind::message_limit: return "message_limit";
    case diag_kind::transaction_limit: return "transaction_limit";
    case diag_kind::stream_limit: return "stream_limit";
    case diag_kind::dropped_by_kernel: return "dropped_by_kernel";
  }
  return "unknown";
}

}  // namespace sipscope::capture
