// libosip2 adapter. osip_message_parse() is libosip2's one and only parse: it types every
// header it knows (Via, From, To, Contact, Route, Record-Route, CSeq, Call-ID, Content-*,
// Accept*, Allow, Alert-/Call-/Error-Info, the Authorization and Authenticate families,
// MIME-Version) down to URIs and parameters, and keeps every other header as a copied
// name/value pair (osip_message_t::headers). There is no further parsing it could be asked
// to do, so this is its full parse.
#include <cstdlib>
#include <string>

extern "C" {
#include <osipparser2/osip_parser.h>
}

#include "bench.hpp"

#ifndef SIPSCOPE_BENCH_OSIP2_VERSION
#define SIPSCOPE_BENCH_OSIP2_VERSION "?"
#endif

namespace sipscope::bench {
namespace {

std::size_t typed_fields(const osip_message_t* m) {
  const osip_list_t* lists[] = {
      &m->accepts, &m->accept_encodings, &m->accept_languages, &m->alert_infos, &m->allows,
      &m->authentication_infos, &m->authorizations, &m->call_infos, &m->contacts,
      &m->content_encodings, &m->error_infos, &m->proxy_authenticates,
      &m->proxy_authentication_infos, &m->proxy_authorizations, &m->record_routes, &m->routes,
      &m->vias, &m->www_authenticates};
  std::size_t n = 0;
  for (const osip_list_t* l : lists) n += static_cast<std::size_t>(osip_list_size(l));
  n += (m->call_id != nullptr) + (m->content_length != nullptr) + (m->content_type != nullptr) +
       (m->cseq != nullptr) + (m->from != nullptr) + (m->mime_version != nullptr) + (m->to != nullptr);
  return n;
}

class osip2_peer final : public peer {
 public:
  osip2_peer() { parser_init(); }  // builds libosip2's header-name table, once per process

  std::string_view name() const noexcept override { return "osip2"; }
  std::string version() const override { return "libosip2 " SIPSCOPE_BENCH_OSIP2_VERSION; }
  std::string method() const override {
    return "osip_message_init + osip_message_parse + osip_message_free per message";
  }

  std::size_t parse_all(std::span<const std::string_view> msgs) override {
    std::size_t failed = 0;
    for (std::string_view m : msgs) {
      osip_message_t* sip = nullptr;
      if (osip_message_init(&sip) != OSIP_SUCCESS) { ++failed; continue; }
      if (osip_message_parse(sip, m.data(), m.size()) != OSIP_SUCCESS) ++failed;
      osip_message_free(sip);
    }
    return failed;
  }

  summary inspect(std::string_view m) override {
    summary s;
    osip_message_t* sip = nullptr;
    if (osip_message_init(&sip) != OSIP_SUCCESS) { s.error = "osip_message_init failed"; return s; }
    int rc = osip_message_parse(sip, m.data(), m.size());
    if (rc != OSIP_SUCCESS) {
      s.error = "osip_message_parse returned " + std::to_string(rc);
    } else {
      s.ok = true;
      osip_via_t* via = nullptr;
      if (osip_message_get_via(sip, 0, &via) >= 0 && via && via_get_host(via)) s.top_via_host = via_get_host(via);
      // libosip2 keeps the CSeq number as text and does not check its digits.
      if (sip->cseq && osip_cseq_get_number(sip->cseq))
        s.cseq = static_cast<std::uint32_t>(std::strtoul(osip_cseq_get_number(sip->cseq), nullptr, 10));
      if (sip->call_id) {
        if (const char* n = osip_call_id_get_number(sip->call_id)) s.call_id = n;
        if (const char* h = osip_call_id_get_host(sip->call_id)) s.call_id += std::string("@") + h;
      }
      // Unknown headers: libosip2 splits them on commas too, so report each name once.
      for (int i = 0; i < osip_list_size(&sip->headers); ++i) {
        auto* h = static_cast<osip_header_t*>(osip_list_get(&sip->headers, i));
        if (h && h->hname && (s.raw_headers.empty() || s.raw_headers.back() != h->hname)) s.raw_headers.emplace_back(h->hname);
      }
      s.typed_fields = typed_fields(sip);
    }
    osip_message_free(sip);
    return s;
  }
};

}  // namespace

std::unique_ptr<peer> make_osip2_peer() { return std::make_unique<osip2_peer>(); }

}  // namespace sipscope::bench
