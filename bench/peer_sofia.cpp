// sofia-sip adapter. msg_extract() parses every header whose class is in the parser's message
// class, at extract time, down to its typed structure (sip_via_t with v_host/v_port/params,
// sip_cseq_t with cs_seq, url_t for every URI...): there is no lazy parsing left to trigger
// afterwards. Headers outside the class stay sip_unknown_t (name/value). We use
// sip_extend_mclass(NULL), the default class plus the extension headers sofia-sip ships
// (P-Asserted-Identity, Remote-Party-ID, Alert-Info, Reply-To...), so that it parses everything
// it can. A header that fails its parser becomes sip_error_t; we count that as a rejection.
//
// Buffer: sofia-sip writes NULs into the buffer it parses, so each message is copied into a
// reused scratch buffer handed over with msg_buf_set() (no per-message buffer allocation;
// nta's receive path would msg_buf_alloc one per datagram, which is slower).
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <vector>

#include <sofia-sip/msg.h>
#include <sofia-sip/msg_buffer.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_extra.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sofia_features.h>

#include "bench.hpp"

namespace sipscope::bench {
namespace {

class sofia_peer final : public peer {
 public:
  sofia_peer() : mclass_(sip_extend_mclass(nullptr)) {
    if (!mclass_) throw std::runtime_error("sofia-sip: sip_extend_mclass failed");
  }
  // sip_extend_mclass() clones the default class with malloc (its own error path free()s it).
  ~sofia_peer() override { std::free(mclass_); }

  std::string_view name() const noexcept override { return "sofia"; }
  std::string version() const override { return SOFIA_SIP_NAME_VERSION; }
  std::string method() const override {
    return "msg_create(sip_extend_mclass) + msg_buf_set/commit + msg_extract + msg_destroy per message";
  }

  std::size_t parse_all(std::span<const std::string_view> msgs) override {
    std::size_t failed = 0;
    for (std::string_view m : msgs) {
      msg_t* msg = extract(m);
      if (!msg) { ++failed; continue; }
      sip_t const* sip = sip_object(msg);
      if (!sip || sip->sip_error || msg_extract_errors(msg)) ++failed;
      msg_destroy(msg);
    }
    return failed;
  }

  summary inspect(std::string_view m) override {
    summary s;
    msg_t* msg = extract(m);
    if (!msg) {
      s.error = "msg_extract did not return a complete message";
      return s;
    }
    sip_t const* sip = sip_object(msg);
    if (!sip) {
      s.error = "no sip_t";
    } else if (sip->sip_error || msg_extract_errors(msg)) {
      s.error = "header failed to parse:";
      for (sip_error_t const* e = sip->sip_error; e; e = e->er_next)
        s.error += std::string(" ") + (e->er_name ? e->er_name : "?");
    } else {
      s.ok = true;
    }
    if (sip) {
      // Straight from the typed structures filled in by msg_extract, no further call.
      if (sip->sip_via && sip->sip_via->v_host) s.top_via_host = sip->sip_via->v_host;
      if (sip->sip_cseq) s.cseq = sip->sip_cseq->cs_seq;
      if (sip->sip_call_id && sip->sip_call_id->i_id) s.call_id = sip->sip_call_id->i_id;
      for (sip_unknown_t const* u = sip->sip_unknown; u; u = u->un_next)
        if (u->un_name) s.raw_headers.emplace_back(u->un_name);
      // Every fragment in the chain other than the start line, unknown/error headers, the
      // separator and the payload is a typed header field (list elements count one each).
      if (msg_header_t** head = msg_chain_head(msg)) {
        for (msg_header_t const* h = *head; h; h = h->sh_succ) {
          msg_hclass_t* c = h->sh_class;
          if (c != sip_request_class && c != sip_status_class && c != sip_unknown_class &&
              c != sip_error_class && c != sip_separator_class && c != sip_payload_class)
            ++s.typed_fields;
        }
      }
    }
    msg_destroy(msg);
    return s;
  }

 private:
  // Returns the extracted message (caller destroys it), or nullptr when msg_extract did not
  // produce a complete message.
  msg_t* extract(std::string_view m) {
    if (scratch_.size() < m.size() + 1) scratch_.resize(m.size() + 1);
    msg_t* msg = msg_create(mclass_, 0);
    if (!msg) return nullptr;
    std::memcpy(scratch_.data(), m.data(), m.size());
    // One spare byte: msg_extract NUL-terminates the committed data.
    msg_buf_set(msg, scratch_.data(), m.size() + 1);
    msg_buf_commit(msg, m.size(), 1);  // eos: the whole datagram is here
    if (msg_extract(msg) <= 0) {
      msg_destroy(msg);
      return nullptr;
    }
    return msg;
  }

  msg_mclass_t* mclass_;
  std::vector<char> scratch_;
};

}  // namespace

std::unique_ptr<peer> make_sofia_peer() { return std::make_unique<sofia_peer>(); }

}  // namespace sipscope::bench
