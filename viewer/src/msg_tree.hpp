// The message pane's parsed tree (issue 8): what the parser made of a raw SIP message, as
// nodes with the byte range each came from, so that selecting a node highlights its bytes in
// the raw view. Start line (method, Request-URI and its parts, version / status, reason), every
// header with its typed fields as the parser gives them (URI parts and parameters, Via fields,
// CSeq, auth parameters...), the body's SDP by section (session, then each m=) and line.
// No ImGui: the pane draws the nodes, the tests check them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sipscope::viewer {

struct tree_node {
  std::string label;                  // "Via", "branch", "Request-URI", "m=audio"
  std::string value;                  // the field's text ("" for a pure group)
  std::uint32_t offset = 0, length = 0;   // bytes of the message it came from
  bool error = false;                 // a header the parser found invalid
  std::vector<std::size_t> children;  // indexes into message_tree::nodes
};

struct message_tree {
  std::vector<tree_node> nodes;       // nodes[roots[i]] are the top level
  std::vector<std::size_t> roots;
  bool parsed = false;                // the parser accepted the message (diagnostics possible)
};

message_tree build_message_tree(std::string_view msg);

}  // namespace sipscope::viewer
