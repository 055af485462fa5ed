// libFuzzer harness for the HEP decoder (hep.hpp): arbitrary bytes as one HEP packet. Beyond
// ASan/UBSan it checks the zero-copy contract (every view inside the input, the inflated payload
// inside the decoder's own buffer), error offsets, the inflate bound, and the agreement of
// hep_frame_length with decode on HEP3. An input starting with 'Z' is a zlib/gzip stream: the
// harness wraps it as chunk 16 of a valid HEP3 packet, so that the inflater is fuzzed directly.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sipscope/capture/hep.hpp"

using namespace sipscope::capture;

namespace {

constexpr std::size_t max_payload = 64 * 1024;

bool inside(std::string_view v, std::string_view outer) {
  return v.empty() || (v.data() >= outer.data() && v.data() + v.size() <= outer.data() + outer.size());
}

void check(hep_decoder& d, std::string_view in) {
  hep_packet p;
  hep_failure f;
  bool ok = d.decode(in, p, f);
  if (d.owned().size() > max_payload) std::abort();
  if (!ok) {
    if (f.code == hep_error::none || f.what.empty() || f.offset > in.size()) std::abort();
    return;
  }
  if (f.code != hep_error::none) std::abort();
  if (p.version < 1 || p.version > 3) std::abort();
  if (p.compressed ? !inside(p.payload, d.owned()) : !inside(p.payload, in)) std::abort();
  if (p.payload.size() > (p.compressed ? max_payload : in.size())) std::abort();
  if (!inside(p.correlation_id, in) || !inside(p.auth_key, in)) std::abort();
  if (p.keep_alive_only) {
    if (!p.payload.empty()) std::abort();
    return;
  }
  if (p.src.ip.family != 4 && p.src.ip.family != 6) std::abort();
  if (p.src.ip.family != p.dst.ip.family) std::abort();
  if (p.version == 3) {
    hep_frame fr = hep_frame_length(in);
    if (fr.status != hep_frame_status::ok || fr.length > in.size()) std::abort();
  }
  (void)p.src.to_string();
  (void)p.dst.to_string();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static hep_decoder d(hep_limits{.max_payload = max_payload});   // reused, as the pipeline does
  std::string_view in(reinterpret_cast<const char*>(data), size);
  (void)looks_like_hep(in);
  if (size > 0 && data[0] == 'Z') {
    std::string_view z = in.substr(1, 65000);
    std::string pkt("HEP3\0\0", 6);
    auto chunk = [&](unsigned type, std::string_view v) {
      std::size_t len = v.size() + 6;
      const char h[6] = {0, 0, char(type >> 8), char(type), char(len >> 8), char(len & 0xff)};
      pkt.append(h, 6);
      pkt.append(v);
    };
    chunk(1, std::string_view("\x02", 1));
    chunk(3, "abcd");
    chunk(4, "efgh");
    chunk(7, std::string_view("\x13\xc4", 2));
    chunk(8, std::string_view("\x13\xc4", 2));
    chunk(16, z);
    pkt[4] = char(pkt.size() >> 8);
    pkt[5] = char(pkt.size() & 0xff);
    check(d, pkt);
    return 0;
  }
  check(d, in);
  return 0;
}
