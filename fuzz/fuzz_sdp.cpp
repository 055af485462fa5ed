// libFuzzer harness for parse_sdp(): arbitrary bytes as an SDP body. Beyond ASan/UBSan it
// checks the zero-copy contract (every view inside the input) and diagnostic offsets, and runs
// every typed attribute view, so the on-demand grammars are fuzzed too.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "sipscope/parser/sdp.hpp"

using namespace sipscope::parser;

namespace {

std::string_view g_in;

void inside(std::string_view v) {
  if (v.empty()) return;
  if (v.data() < g_in.data() || v.data() + v.size() > g_in.data() + g_in.size()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static sdp_session s;  // reused, as the library's users do
  static std::vector<diagnostic> diags;
  diags.clear();
  g_in = std::string_view(reinterpret_cast<const char*>(data), size);
  constexpr std::uint32_t base = 100;
  status st = parse_sdp(g_in, s, diags, base);

  bool has_error = false;
  for (const auto& d : diags) {
    if (d.offset < base || d.offset - base > size) std::abort();
    has_error |= d.level == severity::error;
  }
  if (has_error != (st == status::malformed) && diags.size() < sdp_limits{}.max_diagnostics) std::abort();

  inside(s.version);
  inside(s.name);
  inside(s.origin.address);
  for (auto e : s.emails) inside(e);
  for (const auto& m : s.media) {
    inside(m.type);
    inside(m.proto);
    for (auto f : s.formats(m)) inside(f);
    if (const sdp_connection* c = s.connection(m)) inside(c->address);
    (void)s.direction(m);
    for (const auto& a : s.attributes(m)) {
      inside(a.name);
      inside(a.value);
      switch (a.kind) {
        case sdp_attr::rtpmap: { sdp_rtpmap r; if (parse_rtpmap(a.value, r) != a.valid || r.payload_type > 127) std::abort(); break; }
        case sdp_attr::fmtp: { sdp_fmtp f; if (parse_fmtp(a.value, f) != a.valid) std::abort(); break; }
        case sdp_attr::candidate: {
          sdp_candidate c;
          if (parse_candidate(a.value, c) != a.valid) std::abort();
          std::string_view rest = c.extensions, n, v;
          while (next_extension(rest, n, v)) { inside(n); inside(v); }
          break;
        }
        case sdp_attr::crypto: { sdp_crypto c; if (parse_crypto(a.value, c) != a.valid) std::abort(); break; }
        case sdp_attr::fingerprint: { sdp_fingerprint f; if (parse_fingerprint(a.value, f) != a.valid) std::abort(); break; }
        default: break;
      }
    }
  }
  // Typed views on raw input too (they are public and take any text).
  sdp_rtpmap r; sdp_candidate c; sdp_crypto k; sdp_rtcp rc; sdp_setup su; sdp_ptime pt;
  (void)parse_rtpmap(g_in, r);
  (void)parse_candidate(g_in, c);
  (void)parse_crypto(g_in, k);
  (void)parse_rtcp(g_in, rc);
  (void)parse_setup(g_in, su);
  (void)parse_ptime(g_in, pt);
  return 0;
}
