// libFuzzer harness for capture ingestion: arbitrary bytes as a capture file (pcap through
// libpcap, pcapng through our block reader; fmemopen, no temp file) through the whole pipeline,
// and each SIP message it finds through the parser. Inputs of odd length also run a BPF filter.
// Beyond ASan/UBSan it checks the pipeline's contracts: a plain UDP event's view lies inside
// the record being delivered and its frame numbers increase; events of the standard modules
// (IP defragmentation, TCP streams, HEP) point into the modules' own bounded buffers and name
// a frame already read (a reordered TCP message or a fragment timeout names an earlier one);
// diagnostics carry the file and a known kind; statistics add up.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "sipscope/capture/pipeline.hpp"
#include "sipscope/parser/message.hpp"

using namespace sipscope::capture;

namespace {

struct checker : handler {
  const pipeline* p = nullptr;
  std::uint64_t last_frame = 0;
  std::uint64_t sips = 0, udps = 0, diags = 0;
  sipscope::parser::message msg;

  void inside(std::string_view v) const {
    std::string_view rec = p->current_record();
    if (v.empty()) return;
    if (rec.empty() || v.data() < rec.data() || v.data() + v.size() > rec.data() + rec.size()) std::abort();
  }
  std::uint64_t max_frame = 0;
  void frame(const frame_ref& f) {
    if (f.file != 0 || f.number == 0 || f.number < last_frame) std::abort();
    last_frame = f.number;
    if (f.number > max_frame) max_frame = f.number;
  }
  // an event from a module: a frame that was read already, and a bounded view
  void module_frame(const frame_ref& f, std::string_view v) {
    std::string_view rec = p->current_record();
    if (f.file != 0 || f.number == 0) std::abort();
    if (!rec.empty() && f.number > max_frame + 1 && max_frame != 0) std::abort();
    if (v.size() > (1u << 20)) std::abort();
  }
  void on_sip(const sip_event& e) override {
    ++sips;
    const bool module = e.via.reassembled_ip || e.via.from_stream || e.via.hep;
    if (module) {
      module_frame(e.frame, e.bytes);
    } else {
      inside(e.bytes);
      frame(e.frame);
      if (e.proto != transport::udp || !looks_like_sip(e.bytes)) std::abort();
    }
    sipscope::parser::parse_message(e.bytes, msg);
  }
  void on_udp(const udp_event& e) override {
    ++udps;
    if (e.via.reassembled_ip) {
      module_frame(e.frame, e.payload);
    } else {
      inside(e.payload);
      frame(e.frame);
    }
    if (e.src.ip.family != 4 && e.src.ip.family != 6) std::abort();
  }
  void on_diag(const diag_event& d) override {
    ++diags;
    if (d.frame.file != 0 || to_string(d.kind) == "unknown" || d.what.empty()) std::abort();
  }
  void on_progress(std::uint64_t done, std::uint64_t total) override {
    if (total && done > total) std::abort();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::vector<std::uint8_t> copy(data, data + size);
  std::FILE* f = fmemopen(copy.data(), copy.size(), "rb");
  if (!f) return 0;
  pipeline_options o;
  if (size % 2) o.filter = "udp or ip6 or vlan";
  o.progress_every = 4096;
  pipeline p(o);
  p.add_stream(f, size);
  checker c;
  c.p = &p;
  p.run(c);
  const statistics& st = p.stats();
  if (st.sip_messages != c.sips || st.udp_datagrams != c.udps) std::abort();
  std::uint64_t nd = 0;
  for (auto& [k, n] : st.diags) nd += n;
  if (nd != c.diags) std::abort();
  std::uint64_t per_lt = 0;
  for (auto& [lt, n] : st.per_link_type) per_lt += n;
  if (per_lt != st.frames || st.files > 1) std::abort();
  return 0;
}
