#include "msg_tree.hpp"

#include <algorithm>
#include <cstdio>

#include "sipscope/parser/message.hpp"

namespace sipscope::viewer {

namespace ps = sipscope::parser;

namespace {

class builder {
 public:
  builder(message_tree& t, std::string_view msg) : t_(t), msg_(msg) {}

  // A node for a view into the message (its offset from the view's address); a view that does
  // not point into the message (an empty one) takes the parent's range.
  std::size_t add(std::size_t parent, std::string label, std::string_view v, std::string value = {}) {
    tree_node n;
    n.label = std::move(label);
    n.value = value.empty() ? std::string(v) : std::move(value);
    if (inside(v)) {
      n.offset = static_cast<std::uint32_t>(v.data() - msg_.data());
      n.length = static_cast<std::uint32_t>(v.size());
    } else if (parent != npos) {
      n.offset = t_.nodes[parent].offset;
      n.length = t_.nodes[parent].length;
    }
    return push(parent, std::move(n));
  }
  std::size_t add_range(std::size_t parent, std::string label, std::uint32_t off, std::uint32_t len, std::string value) {
    tree_node n;
    n.label = std::move(label);
    n.value = std::move(value);
    n.offset = std::min<std::uint32_t>(off, static_cast<std::uint32_t>(msg_.size()));
    n.length = std::min<std::uint32_t>(len, static_cast<std::uint32_t>(msg_.size()) - n.offset);
    return push(parent, std::move(n));
  }
  bool inside(std::string_view v) const {
    return !v.empty() && v.data() >= msg_.data() && v.data() + v.size() <= msg_.data() + msg_.size();
  }
  // From the start of `a` to the end of `b` (both in the message).
  std::string_view span(std::string_view a, std::string_view b) const {
    if (!inside(a)) return b;
    if (!inside(b)) return a;
    return std::string_view(a.data(), static_cast<std::size_t>(b.data() + b.size() - a.data()));
  }

  void params(std::size_t parent, const ps::param_list& l) {
    for (const ps::param& p : l) add(parent, std::string(p.name), p.has_value ? span(p.name, p.value) : p.name,
                                     p.has_value ? std::string(p.value) : std::string("(no value)"));
  }
  void uri(std::size_t parent, const std::string& label, const ps::uri& u) {
    const std::size_t n = add(parent, label, u.raw);
    if (!u.scheme.empty()) add(n, "scheme", u.scheme);
    if (!u.user.empty()) add(n, u.kind == ps::uri_scheme::tel ? "number" : "user", u.user);
    if (u.has_password) add(n, "password", u.password);
    if (!u.host.empty()) add(n, "host", u.host, std::string(u.host) + " (" + std::string(ps::to_string(u.host_type)) + ")");
    if (u.has_port) add(n, "port", {}, std::to_string(u.port));
    if (!u.params.empty()) params(add(n, "parameters", u.params.raw()), u.params);
    if (!u.headers.empty()) params(add(n, "headers", u.headers.raw()), u.headers);
    if (!u.opaque.empty()) add(n, "opaque", u.opaque);
  }

  void item(std::size_t h, const ps::header_item& it, std::size_t index, std::size_t count) {
    // A list header (Via, Contact...) gets one node per element; a single value hangs directly.
    std::size_t n = h;
    if (count > 1) {
      std::string label = "[";   // not "[" + ... + "]": GCC 12 -O3 warns -Wrestrict on the chain
      label += std::to_string(index);
      label += ']';
      n = add(h, label, it.raw);
    }
    switch (it.type) {
      case ps::value_type::name_addr: {
        const ps::name_addr& a = it.addr;
        if (a.star) add(n, "contact", it.raw, "*");
        if (!a.display_name.empty()) add(n, "display name", a.display_name);
        if (!a.star) uri(n, "URI", a.address);
        params(n, a.params);
        break;
      }
      case ps::value_type::via: {
        const ps::via_value& v = it.via;
        add(n, "sent-protocol", span(v.protocol, v.transport),
            std::string(v.protocol) + "/" + std::string(v.version) + "/" + std::string(v.transport));
        add(n, "sent-by host", v.host);
        if (v.has_port) add(n, "sent-by port", {}, std::to_string(v.port));
        params(n, v.params);
        break;
      }
      case ps::value_type::cseq:
        add(n, "sequence", {}, std::to_string(it.cseq.number));
        add(n, "method", it.cseq.method);
        break;
      case ps::value_type::rack:
        add(n, "RSeq", {}, std::to_string(it.rack.rseq));
        add(n, "CSeq", {}, std::to_string(it.rack.cseq));
        add(n, "method", it.rack.method);
        break;
      case ps::value_type::media_type:
        add(n, "type", it.media.type);
        add(n, "subtype", it.media.subtype);
        params(n, it.media.params);
        break;
      case ps::value_type::auth:
        if (!it.auth.scheme.empty()) add(n, "scheme", it.auth.scheme);
        params(n, it.auth.params);
        break;
      case ps::value_type::token:
        add(n, "value", it.token.token);
        params(n, it.token.params);
        break;
      case ps::value_type::number:
        add(n, "value", {}, std::to_string(it.number.value));
        params(n, it.number.params);
        break;
      case ps::value_type::replaces:
        add(n, "call-id", it.replaces.call_id);
        params(n, it.replaces.params);
        break;
      case ps::value_type::timestamp:
        add(n, "value", it.timestamp.value);
        if (!it.timestamp.delay.empty()) add(n, "delay", it.timestamp.delay);
        break;
      case ps::value_type::date: {
        char b[64];
        std::snprintf(b, sizeof b, "%04u-%02u-%02u %02u:%02u:%02u GMT", it.date.year, it.date.month, it.date.day,
                      it.date.hour, it.date.minute, it.date.second);
        add(n, "date", {}, b);
        break;
      }
      case ps::value_type::warning:
        add(n, "code", {}, std::to_string(it.warning.code));
        add(n, "agent", it.warning.agent);
        add(n, "text", it.warning.text);
        break;
      case ps::value_type::info:
        add(n, "URI", it.info.uri_text);
        params(n, it.info.params);
        break;
      case ps::value_type::raw:
      case ps::value_type::call_id:
        break;   // the header's (or the element's) node shows the text
    }
  }

  // The body as SDP: the session level, then one node per m= section, each with its lines.
  void sdp(std::size_t parent, std::uint32_t off, std::string_view body) {
    std::size_t section = add_range(parent, "session", off, 0, "");
    std::size_t pos = 0;
    while (pos < body.size()) {
      std::size_t eol = body.find('\n', pos);
      const std::size_t next = eol == std::string_view::npos ? body.size() : eol + 1;
      std::size_t end = eol == std::string_view::npos ? body.size() : eol;
      if (end > pos && body[end - 1] == '\r') --end;
      const std::string_view line = body.substr(pos, end - pos);
      if (line.size() >= 2 && line[1] == '=') {
        if (line[0] == 'm') {
          const std::size_t sp = line.find(' ');
          section = add_range(parent, "m=" + std::string(line.substr(2, sp == std::string_view::npos ? std::string_view::npos : sp - 2)),
                              off + static_cast<std::uint32_t>(pos), 0, "");
        }
        add(section, std::string(line.substr(0, 1)), line, std::string(line.substr(2)));
        // The section covers its lines.
        tree_node& s = t_.nodes[section];
        s.length = off + static_cast<std::uint32_t>(end) - s.offset;
      } else if (!line.empty()) {
        add(section, "?", line);
      }
      pos = next;
    }
  }

 private:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);
  std::size_t push(std::size_t parent, tree_node&& n) {
    t_.nodes.push_back(std::move(n));
    const std::size_t i = t_.nodes.size() - 1;
    if (parent == npos) t_.roots.push_back(i);
    else t_.nodes[parent].children.push_back(i);
    return i;
  }
  message_tree& t_;
  std::string_view msg_;

 public:
  static constexpr std::size_t root = npos;
};

}  // namespace

message_tree build_message_tree(std::string_view msg) {
  message_tree t;
  ps::message m;
  const ps::parse_result r = ps::parse_message(msg, m);
  t.parsed = r.state == ps::status::ok;
  if (m.start_line.empty()) return t;
  builder b(t, msg);
  const std::size_t sl = b.add(builder::root, m.is_request ? "Request-Line" : "Status-Line", m.start_line);
  if (m.is_request) {
    b.add(sl, "method", m.request.method_text);
    if (!m.request.uri_text.empty()) b.uri(sl, "Request-URI", m.request.request_uri);
    b.add(sl, "version", m.request.version);
  } else {
    b.add(sl, "version", m.response.version);
    b.add(sl, "status code", {}, std::to_string(m.response.code));
    if (!m.response.reason.empty()) b.add(sl, "reason", m.response.reason);
  }
  const std::size_t hs = b.add_range(builder::root, "headers", m.headers.empty() ? 0 : m.headers.front().offset, 0,
                                     std::to_string(m.headers.size()));
  for (const ps::header& h : m.headers) {
    std::string name = h.kind == ps::header_kind::other ? std::string(h.name) : std::string(ps::header_name(h.kind));
    if (h.compact) name += " (" + std::string(h.name) + ")";
    // The node covers the field without its CRLF.
    std::uint32_t len = h.length;
    while (len > 0 && (msg[h.offset + len - 1] == '\n' || msg[h.offset + len - 1] == '\r')) --len;
    const std::size_t n = b.add_range(hs, name, h.offset, len, std::string(h.value));
    t.nodes[n].error = !h.valid;
    const std::size_t count = h.item_count;
    for (std::size_t i = 0; i < count; ++i) b.item(n, *(m.item_begin(h) + i), i, count);
    tree_node& g = t.nodes[hs];
    g.length = h.offset + h.length - g.offset;
  }
  if (!m.body.empty()) {
    const ps::media_type* ct = m.content_type();
    const bool is_sdp = ct && ps::iequals(ct->type, "application") && ps::iequals(ct->subtype, "sdp");
    const std::size_t body = b.add_range(builder::root, "body", m.body_offset, static_cast<std::uint32_t>(m.body.size()),
                                         std::to_string(m.body.size()) + " bytes" + (is_sdp ? ", SDP" : ""));
    if (is_sdp) b.sdp(body, m.body_offset, m.body);
  }
  return t;
}

}  // namespace sipscope::viewer
