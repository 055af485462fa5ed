// Capture ingestion, end to end: inputs (reader.hpp) -> link layer -> IPv4/IPv6 -> UDP/TCP ->
// sip_event / udp_event / diag_event on a handler (packet.hpp), in capture order.
//
//   capture::pipeline p(opts);
//   p.add_file("a.pcap.gz"); p.add_file("b.pcapng");   // merged by time
//   if (!p.ready(err)) ...                               // bad BPF filter, no input
//   p.run(my_handler);
//
// Memory: one buffer per input plus the hooks' own (bounded) state; nothing is kept after a
// callback returns. No exceptions after run() starts: bad input is a counted diag_event.
//
// Hook points for the modules written beside this one (issue 4): IP fragments go to a
// `fragment_hook`, TCP segments to a `stream_hook`, UDP datagrams first to the
// `udp_hook`s (HEP). Until a module is set, fragments are counted and dropped with a
// diagnostic, TCP segments are counted, and HEP datagrams are plain udp_events.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sipscope/capture/packet.hpp"
#include "sipscope/capture/reader.hpp"

namespace sipscope::capture {

// ---- hook interfaces ---------------------------------------------------------------------

// One IPv4 fragment (MF set or offset != 0) or IPv6 packet with a Fragment header.
struct hook_fragment {
  std::uint8_t version = 4;
  ip_address src, dst;
  std::uint32_t id = 0;            // IPv4: 16 bits; IPv6: 32 bits
  std::uint8_t protocol = 0;       // of the reassembled payload (IPv6: Fragment's next header)
  std::uint32_t offset = 0;        // bytes
  bool more = false;               // MF / M flag
  std::string_view payload;        // fragment data (after the IP header / Fragment header)
  std::string_view ip_header;      // IPv4 header, or IPv6 header + unfragmentable part
  frame_ref frame;
  timestamp_ns time = 0;
  carriage via;
};

class fragment_hook {
 public:
  virtual ~fragment_hook() = default;
  // Takes one fragment. When it completes a datagram: returns true and sets `datagram` to the
  // reassembled IP payload (transport header first), valid until the next call.
  virtual bool add(const hook_fragment& f, std::string_view& datagram, handler& h) = 0;
  virtual void flush(handler&) {}  // end of input: report what stays incomplete
  // The frames of the datagram add() completed last (nullptr: not tracked).
  virtual const frame_list* pieces() const noexcept { return nullptr; }
};

struct hook_segment {
  endpoint src, dst;
  std::uint32_t seq = 0, ack = 0;
  std::uint8_t flags = 0;          // FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10
  std::uint16_t window = 0;
  std::string_view payload;
  frame_ref frame;
  timestamp_ns time = 0;
  carriage via;
};

class stream_hook {
 public:
  virtual ~stream_hook() = default;
  // Emits the SIP messages framed out of the stream (via.from_stream) on `h`.
  virtual void add(const hook_segment& s, handler& h) = 0;
  virtual void flush(handler&) {}
};

class udp_hook {
 public:
  virtual ~udp_hook() = default;
  // True when the datagram was this module's (e.g. HEP): it emitted the inner events itself.
  virtual bool take(const udp_event& d, handler& h) = 0;
  // Whether a datagram whose payload starts with the byte `first` can be this module's. Asked
  // for all 256 values when the hook is added; a datagram that no hook may take is not offered
  // (one call per datagram cost ~10% of ingestion on RTP). Empty payloads are always offered.
  virtual bool may_take(std::uint8_t first) const noexcept {
    (void)first;
    return true;
  }
};

// ---- options and statistics --------------------------------------------------------------

struct pipeline_options {
  std::string filter;              // BPF (pcap-filter(7)); empty = everything
  bool merge_by_time = true;       // several inputs: by record time; false: one after another
  reader_limits limits;
  std::uint32_t max_vlan_tags = 8;
  std::uint32_t max_ipv6_headers = 8;   // extension headers in one chain
  std::uint32_t max_tunnel_depth = 4;
  std::uint64_t progress_every = 4u << 20;   // bytes between on_progress calls
  live_options live;
  // Plug in the standard modules (modules.hpp: defragmentation, TCP/WebSocket/HEP streams,
  // HEP over UDP). Off: fragments are counted and dropped, TCP is counted, HEP stays UDP.
  bool standard_modules = true;
};

class standard_modules;

struct statistics {
  std::uint64_t files = 0;
  std::uint64_t frames = 0;
  std::uint64_t bytes = 0;                 // captured bytes of all frames
  std::uint64_t filtered_out = 0;          // frames the BPF filter rejected
  std::uint64_t sip_messages = 0;          // sip_events (any hook included)
  std::uint64_t udp_datagrams = 0;         // udp_events
  std::uint64_t ip_fragments = 0;          // handed to the fragment_hook (or dropped)
  std::uint64_t tcp_segments = 0;
  std::uint64_t tcp_payload_bytes = 0;
  std::uint64_t tunnelled = 0;             // frames with at least one tunnel layer
  std::uint64_t not_ip = 0;                // ARP, LLDP, ... (not an error)
  std::uint64_t other_ip_protocol = 0;     // ICMP, ESP, ...
  std::uint64_t dropped_by_kernel = 0;     // live capture
  std::map<int, std::uint64_t> per_link_type;   // frames
  std::map<diag_kind, std::uint64_t> diags;
};

// The cheap test for "this UDP payload is a SIP message": a status line `SIP/2.0 NNN`, or
// `TOKEN SP scheme:... SP SIP/2.0` ending the first line. A shape check; the parser judges.
bool looks_like_sip(std::string_view payload) noexcept;

// ---- the pipeline ------------------------------------------------------------------------

class pipeline {
 public:
  explicit pipeline(pipeline_options o = {});
  ~pipeline();
  pipeline(const pipeline&) = delete;
  pipeline& operator=(const pipeline&) = delete;

  void add_file(std::string path);            // "-" = stdin
  void add_stdin() { add_file("-"); }
  void add_stream(std::FILE* f, std::uint64_t size = 0);   // takes ownership
  void add_interface(std::string iface);      // live capture (options().live)

  // The standard modules, when pipeline_options::standard_modules installed them (else null).
  const standard_modules* modules() const noexcept { return own_modules_.get(); }

  void set_defragmenter(fragment_hook* d) noexcept { defrag_ = d; }
  void set_stream_reassembler(stream_hook* s) noexcept { streams_ = s; }
  void add_udp_decapsulator(udp_hook* u);

  // Checks what can be checked before reading (inputs given, filter compiles).
  bool ready(std::string& error);
  // Reads every input to its end. Returns false when no input could be opened.
  bool run(handler& h);
  // From another thread or a signal handler: ends run() after the current packet (a live
  // capture within its read timeout).
  void stop() noexcept;

  const statistics& stats() const noexcept { return stats_; }
  const pipeline_options& options() const noexcept { return opt_; }
  // The record being delivered (during a callback): every view of an event from the plain
  // link/IP/UDP path lies inside it (the fuzzer checks that).
  std::string_view current_record() const noexcept { return current_; }

  struct input;
  struct decoder;
 private:
  pipeline_options opt_;
  std::vector<input> inputs_;
  std::unique_ptr<standard_modules> own_modules_;
  fragment_hook* defrag_ = nullptr;
  stream_hook* streams_ = nullptr;
  std::vector<udp_hook*> decaps_;
  std::array<bool, 256> decap_first_{};   // first payload bytes some decapsulator may take
  statistics stats_;
  std::string_view current_;
  std::atomic<bool> stop_{false};
  friend struct decoder;
};

}  // namespace sipscope::capture
