// libFuzzer harness for parse_multipart() and find_sdp_part(). The first byte picks the
// boundary length (the boundary is the next bytes), the rest is the body; the SDP part found,
// if any, is parsed too. Checks that every part view lies inside the body and offsets match.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "sipscope/parser/multipart.hpp"
#include "sipscope/parser/sdp.hpp"

using namespace sipscope::parser;

namespace {
void inside(std::string_view v, std::string_view in) {
  if (v.empty()) return;
  if (v.data() < in.data() || v.data() + v.size() > in.data() + in.size()) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  std::size_t blen = data[0] % 80;
  if (size < 1 + blen) return 0;
  std::string_view boundary(reinterpret_cast<const char*>(data + 1), blen);
  std::string_view body(reinterpret_cast<const char*>(data + 1 + blen), size - 1 - blen);

  static std::vector<body_part> parts;
  static std::vector<diagnostic> diags;
  parts.clear();
  diags.clear();
  constexpr std::uint32_t base = 7;
  unsigned depth = (data[0] / 80) + 1;  // 1..4
  (void)parse_multipart(body, boundary, parts, diags, base, depth);
  for (const auto& p : parts) {
    inside(p.body, body);
    inside(p.raw_headers, body);
    if (p.body_offset != base + std::uint32_t(p.body.data() - body.data()) && !p.body.empty()) std::abort();
    for (std::size_t i = 0; i < p.header_count; ++i) {
      inside(p.headers[i].name, body);
      inside(p.headers[i].value, body);
    }
    (void)multipart_boundary(p.content_type());
  }
  for (const auto& d : diags)
    if (d.offset < base || d.offset - base > body.size()) std::abort();

  sdp_part sdp;
  diags.clear();
  if (find_sdp_part(body, boundary, sdp, diags, base, depth)) {
    inside(sdp.body, body);
    static sdp_session s;
    (void)parse_sdp(sdp.body, s, diags, sdp.offset);
  }
  return 0;
}
