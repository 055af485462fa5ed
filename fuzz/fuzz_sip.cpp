// libFuzzer harness for parse_message(): arbitrary bytes as one SIP message (or the start of a
// stream). The first byte picks the configuration (framing, leniencies, small limits), as
// llhttp's fuzzer does, so every configuration is fuzzed. Beyond ASan/UBSan it checks the
// parser's contracts: every view lies inside the input, offsets and `consumed` are in range,
// the status agrees with the diagnostics, and the typed items are all reachable.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "sipscope/parser/message.hpp"
#include "sipscope/parser/multipart.hpp"
#include "sipscope/parser/sdp.hpp"

using namespace sipscope::parser;

namespace {

std::string_view g_in;

void inside(std::string_view v) {
  if (v.empty()) return;
  if (v.data() < g_in.data() || v.data() + v.size() > g_in.data() + g_in.size()) std::abort();
}

void walk(const param_list& l) {
  inside(l.raw());
  std::size_t n = 0;
  for (const param& p : l) {
    inside(p.name);
    inside(p.value);
    if (++n > 100000) std::abort();  // a list cannot have more elements than bytes
  }
  (void)l.find("tag");
}

void walk(const uri& u) {
  inside(u.raw);
  inside(u.user);
  inside(u.host);
  inside(u.password);
  walk(u.params);
  walk(u.headers);
  (void)unescape(u.user);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static message m;  // reused, as the library's users do
  parse_options opt;
  const std::uint8_t cfg = data[0];
  opt.framing = (cfg & 1) ? transport::stream : transport::datagram;
  opt.lenient.lws_in_start_line = cfg & 2;
  opt.lenient.bare_lf = cfg & 4;
  opt.semantic_checks = !(cfg & 8);
  if (cfg & 16) {  // tiny limits: exercise every limit path
    opt.limit.max_headers = 3;
    opt.limit.max_items = 5;
    opt.limit.max_diagnostics = 2;
    opt.limit.max_message_size = 200;
  }
  g_in = std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1);
  parse_result r = parse_message(g_in, m, opt);

  if (r.consumed > g_in.size()) std::abort();
  if (r.state == status::incomplete) {
    if (opt.framing != transport::stream) std::abort();  // a datagram is never incomplete
    return 0;
  }
  bool has_error = m.dropped_diagnostics > 0 && r.state == status::malformed;
  for (const diagnostic& d : m.diagnostics) {
    if (d.offset > g_in.size()) std::abort();
    has_error |= d.level == severity::error;
    (void)m.line_of(d.offset);
  }
  if (has_error != (r.state == status::malformed)) std::abort();

  inside(m.start_line);
  inside(m.body);
  if (m.is_request) {
    inside(m.request.method_text);
    walk(m.request.request_uri);
  } else {
    inside(m.response.reason);
  }
  for (const header& h : m.headers) {
    inside(h.name);
    inside(h.value);
    if (h.first_item + h.item_count > m.items.size()) std::abort();
    for (auto it = m.item_begin(h); it != m.item_end(h); ++it) {
      inside(it->raw);
      switch (it->type) {
        case value_type::name_addr: walk(it->addr.address); walk(it->addr.params); inside(it->addr.display_name);
          (void)unquote(it->addr.display_name); break;
        case value_type::via: inside(it->via.host); inside(it->via.branch); walk(it->via.params); break;
        case value_type::cseq: inside(it->cseq.method); break;
        case value_type::media_type: walk(it->media.params); break;
        case value_type::auth: walk(it->auth.params); break;
        case value_type::token: walk(it->token.params); break;
        case value_type::number: walk(it->number.params); break;
        case value_type::replaces: walk(it->replaces.params); break;
        case value_type::info: walk(it->info.params); break;
        default: break;
      }
    }
  }
  (void)m.call_id();
  (void)m.top_via();
  (void)m.content_length();

  // The body, as a front end would read it: SDP directly or inside multipart.
  if (const media_type* ct = m.content_type(); ct && !m.body.empty()) {
    static sdp_session sdp;
    static std::vector<diagnostic> diags;
    diags.clear();
    if (iequals(ct->type, "application") && iequals(ct->subtype, "sdp")) {
      (void)parse_sdp(m.body, sdp, diags, m.body_offset);
    } else if (iequals(ct->type, "multipart")) {
      if (auto b = ct->params.find("boundary")) {
        sdp_part part;
        (void)find_sdp_part(m.body, b->value, part, diags, m.body_offset, 4);
      }
    }
  }
  return 0;
}
