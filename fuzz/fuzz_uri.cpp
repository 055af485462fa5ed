// libFuzzer harness for parse_uri(): arbitrary bytes as one URI (SIP/SIPS, tel, other).
// Checks that every view lies inside the input, that an accepted SIP URI has a classified
// host, that an error offset is within the text, and that a successful parse is stable
// (the same text parses the same way twice).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sipscope/parser/uri.hpp"

using namespace sipscope::parser;

namespace {
std::string_view g_in;
void inside(std::string_view v) {
  if (v.empty()) return;
  if (v.data() < g_in.data() || v.data() + v.size() > g_in.data() + g_in.size()) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  g_in = std::string_view(reinterpret_cast<const char*>(data), size);
  uri u;
  uri_result r = parse_uri(g_in, u);
  if (!r.ok) {
    if (r.error_offset > size || r.expected.empty()) std::abort();
    return 0;
  }
  inside(u.raw);
  inside(u.scheme);
  inside(u.user);
  inside(u.password);
  inside(u.host);
  inside(u.opaque);
  if ((u.kind == uri_scheme::sip || u.kind == uri_scheme::sips) && u.host_type == host_kind::none) std::abort();
  std::size_t n = 0;
  for (const param& p : u.params) { inside(p.name); inside(p.value); ++n; }
  for (const param& p : u.headers) { inside(p.name); inside(p.value); ++n; }
  if (n > size) std::abort();
  (void)unescape(u.user);
  uri again;
  uri_result r2 = parse_uri(g_in, again);
  if (!r2.ok || again.host != u.host || again.port != u.port || again.user != u.user) std::abort();
  return 0;
}
