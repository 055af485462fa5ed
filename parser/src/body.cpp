// Body decoding by Content-Type (body.hpp).
#include "sipscope/parser/body.hpp"

namespace sipscope::parser {

namespace {

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

int next_session(decoded_body& out) {
  if (out.sessions_used == out.sessions.size()) out.sessions.emplace_back();
  return static_cast<int>(out.sessions_used++);
}

void decode_multipart(std::string_view body, std::string_view content_type_value, std::uint32_t base_offset,
                      unsigned depth_left, std::vector<diagnostic>& diags, std::vector<body_node>& out,
                      decoded_body& pool) {
  std::vector<body_part> parts;
  parse_multipart(body, multipart_boundary(content_type_value), parts, diags, base_offset, depth_left);
  for (const auto& bp : parts) {
    body_node n;
    n.part = bp;
    if (bp.is("application/sdp")) {
      n.sdp = next_session(pool);
      parse_sdp(bp.body, pool.sessions[static_cast<std::size_t>(n.sdp)], diags, bp.body_offset);
    } else if (starts_with_ci(bp.content_type(), "multipart/")) {
      decode_multipart(bp.body, bp.content_type(), bp.body_offset, depth_left ? depth_left - 1 : 0, diags,
                       n.children, pool);
    }
    out.push_back(std::move(n));
  }
}

const sdp_session* first_in(const decoded_body& b, const std::vector<body_node>& nodes) {
  for (const body_node& n : nodes) {
    if (n.sdp >= 0) return b.session(n.sdp);
    if (const sdp_session* s = first_in(b, n.children)) return s;
  }
  return nullptr;
}

}  // namespace

void decoded_body::clear() {
  sdp = -1;
  multipart = false;
  parts.clear();
  sessions_used = 0;
}

const sdp_session* decoded_body::first_sdp() const {
  if (sdp >= 0) return session(sdp);
  return first_in(*this, parts);
}

void decode_body(const message& m, decoded_body& out, std::vector<diagnostic>& diags, unsigned max_depth) noexcept {
  out.clear();
  if (m.body.empty()) return;
  const media_type* ct = m.content_type();
  if (!ct) return;
  if (iequals(ct->type, "application") && iequals(ct->subtype, "sdp")) {
    out.sdp = next_session(out);
    parse_sdp(m.body, out.sessions[static_cast<std::size_t>(out.sdp)], diags, m.body_offset);
  } else if (iequals(ct->type, "multipart")) {
    const header* h = m.find(header_kind::content_type);
    out.multipart = true;
    decode_multipart(m.body, h->value, m.body_offset, max_depth, diags, out.parts, out);
  }
}

}  // namespace sipscope::parser
