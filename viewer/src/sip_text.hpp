// The message pane's text: a raw SIP message cut into coloured spans (start line, header
// names, header values, parameters, SDP lines) and the parser's diagnostics at their byte
// offsets. No ImGui: the pane draws the spans, the tests check them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sipscope::viewer {

enum class span_kind : std::uint8_t {
  start_line, header_name, header_value, parameter, sdp_type, sdp_value, body, separator,
};

struct text_span {
  std::uint32_t offset = 0, length = 0;
  span_kind kind = span_kind::body;
};

struct diag_mark {
  std::uint32_t offset = 0, length = 0;   // in the message (length 0: a point)
  bool error = false;
  std::uint32_t line = 0, column = 0;     // 1-based
  std::string text;                       // "error bad_header (Via): expected sent-by"
};

struct sip_text {
  std::vector<text_span> spans;           // cover the message in order, without gaps
  std::vector<diag_mark> diagnostics;     // the parser's, in offset order
  std::string start_line;
  bool parsed = false;                    // the parser accepted it (possibly with diagnostics)
};

sip_text analyse_sip_text(std::string_view msg);

}  // namespace sipscope::viewer
