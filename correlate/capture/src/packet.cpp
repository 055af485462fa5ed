// Text forms of the shared capture types (packet.hpp).
#include "sipscope/capture/packet.hpp"

#include <arpa/inet.h>

namespace sipscope::capture {

std::string ip_address::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (family == 4) inet_ntop(AF_INET, bytes.data(), buf, sizeof buf);
  else if (family == 6) inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);  // RFC 5952 form
  return buf;
}

std::string endpoint::to_string() const {
  // appended piece by piece: GCC 12 warns falsely (-Wrestrict) on chained operator+
  std::string s;
  if (ip.family == 6) s.push_back('[');
  s.append(ip.to_string());
  if (ip.family == 6) s.push_back(']');
  s.push_back(':');
  s.append(std::to_string(port));
  return s;
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
    case diag_kind::dropped_by_kernel: return "dropped_by_kernel";
  }
  return "unknown";
}

}  // namespace sipscope::capture
