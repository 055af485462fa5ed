// A message body decoded by its Content-Type: SDP directly, or multipart/* (RFC 2046) with the
// SDP and nested multipart parts inside it decoded too. This is the one place that decides
// which grammar reads a body, so the CLI, the correlator and the viewer agree.
#pragma once

#include <cstddef>
#include <vector>

#include "sipscope/parser/diagnostic.hpp"
#include "sipscope/parser/message.hpp"
#include "sipscope/parser/multipart.hpp"
#include "sipscope/parser/sdp.hpp"

namespace sipscope::parser {

struct body_node {
  body_part part;
  int sdp = -1;                     // index into decoded_body::sessions when application/sdp
  std::vector<body_node> children;  // when the part is multipart/* itself
};

struct decoded_body {
  int sdp = -1;                     // the body itself is SDP: index into `sessions`
  bool multipart = false;           // the body is multipart/*: its parts are in `parts`
  std::vector<body_node> parts;
  // SDP sessions, reused from message to message (parse_sdp keeps their capacity).
  std::vector<sdp_session> sessions;
  std::size_t sessions_used = 0;

  void clear();
  const sdp_session* session(int i) const { return i >= 0 ? &sessions[static_cast<std::size_t>(i)] : nullptr; }
  // The first SDP found, depth first (the body itself, or the first application/sdp part).
  const sdp_session* first_sdp() const;
};

// Decodes m.body by m's Content-Type. Diagnostics (offsets in the message) are appended to
// `diags`; nesting deeper than `max_depth` multipart levels is diagnosed and not decoded.
void decode_body(const message& m, decoded_body& out, std::vector<diagnostic>& diags, unsigned max_depth) noexcept;

}  // namespace sipscope::parser
