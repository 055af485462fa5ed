// sipscope adapter: one `message` reused for every parse (its design: parsing clears it but
// keeps the vectors' capacity, so a warmed-up parse allocates nothing), default options
// (strict, datagram framing, semantic checks on), which parse and type every header.
#include <string>

#include "sipscope/parser/message.hpp"

#include "bench.hpp"

namespace sipscope::bench {
namespace {

namespace sp = sipscope::parser;

class sipscope_peer final : public peer {
 public:
  std::string_view name() const noexcept override { return "sipscope"; }
  std::string version() const override { return "sipscope_parser (this tree)"; }
  std::string method() const override {
    return "parse_message(msg, reused message, default parse_options) per message";
  }

  std::size_t parse_all(std::span<const std::string_view> msgs) override {
    std::size_t failed = 0;
    for (std::string_view m : msgs) {
      sp::parse_result r = sp::parse_message(m, msg_, opts_);
      if (r.state != sp::status::ok || msg_.has_errors()) ++failed;
    }
    return failed;
  }

  summary inspect(std::string_view m) override {
    summary s;
    sp::message msg;
    sp::parse_result r = sp::parse_message(m, msg, opts_);
    if (r.state != sp::status::ok || msg.has_errors()) {
      s.error = std::string(sp::to_string(r.state));
      for (const sp::diagnostic& d : msg.diagnostics) {
        if (d.level != sp::severity::error) continue;
        s.error += "; " + std::string(sp::to_string(d.code)) + " at " + std::to_string(d.offset) + " (" +
                   std::string(d.rule) + ": " + std::string(d.expected) + ")";
      }
    } else {
      s.ok = true;
    }
    if (const sp::via_value* v = msg.top_via()) s.top_via_host = std::string(v->host);
    if (const sp::cseq_value* c = msg.cseq()) s.cseq = c->number;
    s.call_id = std::string(msg.call_id());
    for (const sp::header& h : msg.headers) {
      if (h.kind == sp::header_kind::other) {
        s.raw_headers.emplace_back(h.name);
      } else if (!h.valid) {
        s.ok = false;
        s.error += "; invalid " + std::string(h.name);
      } else {
        s.typed_fields += h.item_count ? h.item_count : 1;
      }
    }
    return s;
  }

 private:
  sp::message msg_;
  sp::parse_options opts_{};
};

}  // namespace

std::unique_ptr<peer> make_sipscope_peer() { return std::make_unique<sipscope_peer>(); }

}  // namespace sipscope::bench
