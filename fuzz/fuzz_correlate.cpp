// libFuzzer harness for the correlator (issue 5): hostile SIP and RTP through transactions,
// dialogs, calls, SDP offer/answer, media streams, findings and the JSON of the model.
//
// Two input shapes, so that both the capture path and the SIP semantics get mutated well:
//  - a capture file (pcap/pcapng magic): through the whole capture pipeline into the
//    correlator (seeds: corpus/calls, corpus/pcap);
//  - anything else: a script of datagrams separated by "\n--\n" (seeds: corpus/sip). The byte
//    before each separator picks the addresses (four hosts, so that requests, responses and
//    RTP meet across hops) and whether the datagram is SIP or UDP (RTP/RTCP); time advances by
//    a few seconds per datagram so that lingering records are handed over mid-run.
// Runs alternate between a sink (batch mode, short linger) and no sink. Contracts beyond
// ASan/UBSan: counts add up, limits hold, every record serialises to complete JSON.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "sipscope/capture/pipeline.hpp"
#include "sipscope/correlate/correlator.hpp"
#include "sipscope/correlate/json.hpp"

using namespace sipscope;

namespace {

void check(const correlate::record& r, const correlate::correlator_options& o) {
  if (r.messages.size() > o.max_messages_per_record) std::abort();
  if (r.messages.size() + r.dropped_messages != r.sip_messages) std::abort();
  if (r.retransmissions > r.sip_messages) std::abort();
  for (const correlate::message_entry& m : r.messages)
    if (m.dialog >= 0 && static_cast<std::size_t>(m.dialog) >= r.dialogs.size()) std::abort();
  for (const correlate::sdp_media& s : r.sdp)
    if (s.message >= r.messages.size() + r.dropped_messages) std::abort();
  json_writer w(false);
  correlate::write_json(w, r);
  if (!w.complete()) std::abort();
}

capture::endpoint host(unsigned i, std::uint16_t port) {
  capture::endpoint e;
  e.ip.family = 4;
  e.ip.bytes[0] = 192;
  e.ip.bytes[1] = 0;
  e.ip.bytes[2] = 2;
  e.ip.bytes[3] = static_cast<std::uint8_t>(10 + (i & 3));
  e.port = port;
  return e;
}

void run_script(std::string_view in, correlate::correlator& c) {
  static constexpr std::string_view sep = "\n--\n";
  capture::timestamp_ns t = 1'735'732'800'000'000'000;
  std::uint64_t frame = 0;
  while (!in.empty()) {
    std::size_t end = in.find(sep);
    std::string_view chunk = in.substr(0, end);
    in = end == std::string_view::npos ? std::string_view() : in.substr(end + sep.size());
    const unsigned sel = chunk.empty() ? 0 : static_cast<unsigned char>(chunk.back());
    t += 1'000'000 + static_cast<capture::timestamp_ns>(sel) * 200'000'000;   // up to 51 s
    ++frame;
    if (sel & 0x80) {   // a UDP datagram between the media ports of two hosts
      capture::udp_event u;
      u.payload = chunk;
      u.frame = {0, frame * 100, frame};
      u.time = t;
      u.src = host(sel, static_cast<std::uint16_t>(49170 + (sel >> 2 & 3) * 2));
      u.dst = host(sel >> 2, static_cast<std::uint16_t>(49170 + (sel >> 4 & 3) * 2));
      c.on_udp(u);
    } else {
      capture::sip_event s;
      s.bytes = chunk;
      s.frame = {0, frame * 100, frame};
      s.time = t;
      s.src = host(sel, 5060);
      s.dst = host(sel >> 2, 5060);
      s.proto = (sel & 0x40) ? capture::transport::tcp : capture::transport::udp;
      c.on_sip(s);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  correlate::correlator_options o;
  o.max_messages_per_record = 64;   // small, so that the cap is reached
  o.linger = 5'000'000'000;
  const bool sink = size & 1;
  correlate::correlator c(o);
  std::uint64_t sunk = 0;
  if (sink) c.set_sink([&](correlate::record&& r) { check(r, o); ++sunk; });

  std::uint32_t magic = 0;
  if (size >= 4) std::memcpy(&magic, data, 4);
  const bool capture_file = magic == 0xa1b2c3d4 || magic == 0xd4c3b2a1 || magic == 0xa1b23c4d ||
                            magic == 0x4d3cb2a1 || magic == 0x0a0d0d0a;
  if (capture_file) {
    std::FILE* f = fmemopen(const_cast<std::uint8_t*>(data), size, "rb");
    if (!f) return 0;
    capture::pipeline p;
    p.add_stream(f, size);
    p.run(c);
  } else {
    run_script(in, c);
  }
  c.finish();
  for (const correlate::record& r : c.records()) check(r, o);
  if (sink && !c.records().empty()) std::abort();
  if (c.stats().records != sunk + c.records().size()) std::abort();
  if (c.in_progress() != 0) std::abort();
  return 0;
}
