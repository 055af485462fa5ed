#include "sip_view.hpp"

#include "sipscope/parser/params.hpp"

namespace sipscope::correlate::detail {

bool make_view(const parser::message& m, sip_view& v) noexcept {
  v = sip_view{};
  v.msg = &m;
  v.request = m.is_request;
  if (m.is_request) {
    v.method = m.request.method_kind;
    v.method_text = m.request.method_text;
  } else {
    v.status = m.response.code;
    v.reason = m.response.reason;
  }
  v.call_id = m.call_id();
  const parser::cseq_value* cs = m.cseq();
  const parser::name_addr* from = m.from();
  const parser::name_addr* to = m.to();
  const parser::via_value* via = m.top_via();
  if (cs) {
    v.cseq = cs->number;
    v.cseq_method = cs->method;
    if (!m.is_request) {
      v.method = parser::lookup_method(cs->method);
      v.method_text = cs->method;
    }
  }
  if (from) {
    if (auto t = from->params.find("tag")) v.from_tag = t->value;
  } else if (const parser::header* h = raw_header(m, parser::header_kind::from)) {
    v.from_tag = scan_tag(h->value);
    v.lenient = true;
  }
  if (to) {
    if (auto t = to->params.find("tag")) v.to_tag = t->value;
  } else if (const parser::header* h = raw_header(m, parser::header_kind::to)) {
    v.to_tag = scan_tag(h->value);
    v.lenient = true;
  }
  if (via) {
    v.branch = via->branch;
    v.via_host = via->host;
    v.via_port = via->has_port ? via->port : 0;
    v.via_transport = via->transport;
  }
  if (const parser::header_item* rs = m.first_item(parser::header_kind::rseq)) {
    if (rs->type == parser::value_type::number) v.rseq = rs->number.value;
  }
  v.usable = !v.call_id.empty() && cs && (from || raw_header(m, parser::header_kind::from)) &&
             (to || raw_header(m, parser::header_kind::to)) && via;
  return v.usable;
}

const parser::header* raw_header(const parser::message& m, parser::header_kind k) noexcept {
  return m.find(k);
}

std::string_view scan_tag(std::string_view raw) noexcept {
  // The tag is a header parameter: after the '>' of a name-addr, or anywhere in an addr-spec.
  std::size_t from = raw.find('>');
  from = from == std::string_view::npos ? 0 : from;
  for (std::size_t i = from; i + 5 <= raw.size(); ++i) {
    if (raw[i] != ';') continue;
    std::size_t j = i + 1;
    while (j < raw.size() && (raw[j] == ' ' || raw[j] == '\t')) ++j;
    if (j + 4 > raw.size() || !parser::iequals(raw.substr(j, 3), "tag")) continue;
    j += 3;
    while (j < raw.size() && (raw[j] == ' ' || raw[j] == '\t')) ++j;
    if (j >= raw.size() || raw[j] != '=') continue;
    ++j;
    while (j < raw.size() && (raw[j] == ' ' || raw[j] == '\t')) ++j;
    std::size_t e = j;
    while (e < raw.size() && raw[e] != ';' && raw[e] != ',' && raw[e] != ' ' && raw[e] != '\t' && raw[e] != '\r') ++e;
    return raw.substr(j, e - j);
  }
  return {};
}

std::string_view scan_uri(std::string_view raw) noexcept {
  std::size_t lt = raw.find('<');
  if (lt != std::string_view::npos) {
    std::size_t gt = raw.find('>', lt);
    if (gt != std::string_view::npos) return raw.substr(lt + 1, gt - lt - 1);
  }
  return raw.substr(0, raw.find(';'));
}

std::string transaction_key(const sip_view& v, std::string_view method) {
  std::string k;
  k.reserve(96);
  if (v.branch.size() > magic_cookie.size() && v.branch.substr(0, magic_cookie.size()) == magic_cookie) {
    k.append(v.branch);
  } else {
    // RFC 2543 (RFC 3261 17.2.3, last paragraphs): no unique branch; the request's identity is
    // Call-ID, CSeq number, From tag and the top Via (the branch, when any, is kept too).
    k.append("2543|");
    k.append(v.call_id);
    k.push_back('|');
    k.append(std::to_string(v.cseq));
    k.push_back('|');
    k.append(v.from_tag);
    k.push_back('|');
    k.append(v.branch);
  }
  // sent-by compared as RFC 3261 17.2.3 and 18.2.1 mean it: the host case-insensitively, an
  // absent port as the transport's default (a UA that writes "host:5060" on the INVITE and
  // "host" on its CANCEL still cancels that INVITE).
  k.push_back('|');
  for (char c : v.via_host) k.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c | 0x20) : c);
  k.push_back(':');
  const bool tls = parser::iequals(v.via_transport, "TLS") || parser::iequals(v.via_transport, "WSS");
  k.append(std::to_string(v.via_port ? v.via_port : (tls ? 5061 : 5060)));
  k.push_back('|');
  k.append(method);
  return k;
}

}  // namespace sipscope::correlate::detail
