// libFuzzer harness for the reassembly modules: tcp_reassembler + sip_framer, and defragmenter.
//
// Input: byte 0 picks the configuration (small or default limits), then records of
//   op(1) seq-delta(2) len(1) time-step(1)  followed by `len` payload bytes.
// op bits 0-1: flow (4 flows between fixed endpoints), bit 2: direction, bits 3-5: SYN/FIN/RST
// (bit 6 set: the record is an IP fragment instead, see below), bit 7: seq-delta is relative to
// the half-stream's next expected byte rather than to the last segment (so that both in-order
// streams and wild sequence numbers are reached). Payload comes from the input, so the SIP
// dictionary and corpus/tcp seeds put real messages on the streams.
//
// Checks beyond ASan/UBSan: a half-stream never delivers more bytes than were fed to it; chunk
// offsets only grow (by the chunk size, or more after a gap); buffered bytes stay within the
// limits; every framed message is exactly the bytes fed to its framer at its offset, within
// max_message_size; a framer holds no more than max_message_size plus one chunk; a
// reassembled IP datagram is no larger than 65535 bytes and defrag buffers stay bounded.
#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

#include "sipscope/capture/defrag.hpp"
#include "sipscope/capture/sip_framer.hpp"
#include "sipscope/capture/tcp_stream.hpp"

using namespace sipscope::capture;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

struct half_state {
  std::uint64_t fed = 0;        // payload bytes given to tcp_reassembler for this direction
  std::uint64_t delivered = 0;
  std::uint64_t next_offset = 0;
  std::string stream;           // the last bytes fed to the framer (since the last gap)
  std::uint64_t framer_fed = 0; // bytes fed to the framer (its offsets count them all)
  sip_framer framer;
  explicit half_state(const framer_options& o) : framer(o) {}
};

struct harness : tcp_consumer {
  framer_options fopt;
  std::map<std::uint64_t, half_state> halves;     // by stream id
  std::uint64_t total_fed = 0, total_delivered = 0;
  std::size_t max_chunk = 0;

  void on_data(const tcp_chunk& c) override {
    check(!c.bytes.empty());
    auto it = halves.try_emplace(c.stream, fopt).first;
    half_state& h = it->second;
    check(c.offset >= h.next_offset);
    check(c.gap_before || c.offset == h.next_offset);
    h.next_offset = c.offset + c.bytes.size();
    h.delivered += c.bytes.size();
    total_delivered += c.bytes.size();
    check(total_delivered <= total_fed);
    max_chunk = std::max(max_chunk, c.bytes.size());
    h.framer.feed(c.bytes, c.frame, c.time, c.gap_before, nullptr);
    // the framer's offsets count the bytes fed since the last gap-free stretch began
    if (c.gap_before) h.stream.clear();
    h.stream.append(c.bytes);
    h.framer_fed += c.bytes.size();
    framed_message m;
    while (h.framer.next(m, nullptr)) {
      check(!m.bytes.empty());
      check(m.bytes.size() <= fopt.parse.limit.max_message_size);
      check(m.parsed != nullptr);
      // m.offset counts every byte fed to the framer; h.stream holds those since the last gap
      const std::uint64_t start_of_stream = h.framer_fed - h.stream.size();
      check(m.offset >= start_of_stream);
      const std::uint64_t at = m.offset - start_of_stream;
      check(at + m.bytes.size() <= h.stream.size());
      check(std::string_view(h.stream).substr(at, m.bytes.size()) == m.bytes);
    }
    check(h.framer.buffered() <= fopt.parse.limit.max_message_size + 1 + c.bytes.size() + 4);
    // keep the copy small: only the unconsumed tail can be referenced later
    if (h.stream.size() > 4 * fopt.parse.limit.max_message_size + 65536) h.stream.erase(0, h.stream.size() / 2);
  }
  void on_diag(const diag_event& e) override { check(!e.what.empty()); }
};

std::uint16_t rd16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t cfg = data[0];
  harness hs;
  tcp_limits tl;
  defrag_limits dl;
  if (cfg & 1) {
    tl.max_flows = 1 + (cfg >> 1 & 3);
    tl.flow_buffer_limit = 600;
    tl.total_buffer_limit = 1500;
    tl.gap_timeout = 3'000'000'000;
    tl.idle_timeout = 20'000'000'000;
    tl.linger = 2'000'000'000;
    dl.max_datagrams = 3;
    dl.max_per_source = 2;
    dl.max_bytes = 3000;
    dl.timeout = 5'000'000'000;
  }
  if (cfg & 8) hs.fopt.parse.limit.max_message_size = 300;
  if (cfg & 16) hs.fopt.non_sip_probe = 64;
  if (cfg & 32) hs.fopt.parse.lenient.bare_lf = true;
  tcp_reassembler tcp(hs, tl);
  defragmenter defrag(dl);

  endpoint ep[5];
  for (int i = 0; i < 5; ++i) {
    ep[i].ip.family = 4;
    ep[i].ip.bytes = {10, 0, 0, static_cast<std::uint8_t>(i + 1)};
    ep[i].port = static_cast<std::uint16_t>(5060 + i);
  }
  std::uint32_t last_seq[8] = {};
  std::uint32_t next_seq[8] = {};
  timestamp_ns now = 1'000'000'000;
  std::uint64_t frame = 0;

  std::size_t i = 1;
  while (i + 5 <= size) {
    const std::uint8_t op = data[i];
    const std::int16_t delta = static_cast<std::int16_t>(rd16(data + i + 1));
    std::size_t len = data[i + 3];
    now += static_cast<timestamp_ns>(data[i + 4]) * 100'000'000;  // up to 25.5 s per step
    i += 5;
    len = std::min(len, size - i);
    const std::string_view payload(reinterpret_cast<const char*>(data + i), len);
    i += len;
    ++frame;
    frame_ref fr;
    fr.number = frame;

    if (op & 0x40) {
      // an IP fragment: offset from delta (in 8-byte units), MF from bit 7, id from bits 0-1,
      // family from bit 2, source from bits 3-4
      ip_fragment f;
      const bool six = op & 4;
      f.src.family = f.dst.family = six ? 6 : 4;
      f.src.bytes[0] = static_cast<std::uint8_t>(op >> 3 & 3);
      f.dst.bytes[0] = 9;
      f.id = op & 3;
      f.protocol = 17;
      f.offset = static_cast<std::uint32_t>(static_cast<std::uint16_t>(delta) & 0x1fff) * 8;
      f.more = op & 0x80;
      f.payload = payload;
      f.frame = fr;
      f.time = now;
      ip_datagram out;
      if (defrag.add(f, out, nullptr) == defrag_status::complete) {
        check(out.payload.size() <= 65535);
        check(out.frame.number == frame);
        if (out.via.reassembled_ip) check(out.payload.size() >= 1);
      }
      check(defrag.buffered_bytes() <= dl.max_bytes);
      check(defrag.in_progress() <= dl.max_datagrams);
      continue;
    }

    const int fl = op & 3, dir = op >> 2 & 1, k = fl * 2 + dir;
    tcp_segment s;
    s.src = dir ? ep[4] : ep[fl];
    s.dst = dir ? ep[fl] : ep[4];
    s.flags = tcp_flag::ack;
    if (op & 8) s.flags |= tcp_flag::syn;
    if (op & 16) s.flags |= tcp_flag::fin;
    if (op & 32 && (op & 8) == 0 && (op & 16) == 0) s.flags |= tcp_flag::rst;
    s.seq = (op & 0x80 ? next_seq[k] : last_seq[k]) + static_cast<std::uint32_t>(static_cast<std::int32_t>(delta));
    s.payload = payload;
    s.frame = fr;
    s.time = now;
    last_seq[k] = s.seq;
    next_seq[k] = s.seq + static_cast<std::uint32_t>(len) + ((s.flags & tcp_flag::syn) ? 1 : 0);
    hs.total_fed += len;
    tcp.add(s);
    check(tcp.buffered_bytes() <= tl.total_buffer_limit);
    check(tcp.open_flows() <= tl.max_flows);
  }
  tcp.flush();
  check(tcp.buffered_bytes() == 0);
  check(tcp.open_flows() == 0);
  check(hs.total_delivered <= hs.total_fed);
  return 0;
}
