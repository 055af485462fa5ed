// sipscope parse: parse raw SIP messages from files (or stdin) and print their structure.
//
// Each FILE holds one message as received in one datagram (default), or, with --stream, the
// bytes of a stream transport: messages back to back, framed by Content-Length, with CRLF
// keep-alives between them (RFC 5626 3.5.1). Output is a JSON array with one object per message,
// or a `tshark -V`-like text tree; diagnostics are also printed compiler-style
// (FILE:LINE:COL: error: ...) so editors can jump to them.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "commands.hpp"
#include "sipscope/json_writer.hpp"
#include "sipscope/parser/diagnostic.hpp"
#include "sipscope/parser/headers.hpp"
#include "sipscope/parser/body.hpp"
#include "sipscope/parser/message.hpp"
#include "sipscope/parser/multipart.hpp"
#include "sipscope/parser/params.hpp"
#include "sipscope/parser/sdp.hpp"
#include "sipscope/parser/uri.hpp"

namespace sipscope::cli {
namespace {

namespace sp = sipscope::parser;

constexpr std::string_view parse_usage =
    "usage: sipscope parse [--format text|json] [--stream] [--lenient RULE,...] FILE...\n"
    "\n"
    "Parse raw SIP messages and print their structure: start line, every header in wire order\n"
    "with its typed values, the body (with SDP decoded), and the diagnostics.\n"
    "\n"
    "  FILE              a file holding one SIP message as one datagram carried it (UDP framing:\n"
    "                    Content-Length optional, bytes after the body discarded); '-' reads stdin\n"
    "  --format text     an indented tree like `tshark -V` (default); diagnostics as\n"
    "                    FILE:LINE:COL: error: CODE in RULE: expected ...\n"
    "  --format json     a JSON array, one object per message\n"
    "  --stream          FILE is a stream (TCP/TLS framing): messages back to back, each framed\n"
    "                    by Content-Length; CRLF keep-alives between them are skipped\n"
    "  --lenient RULES   accept what the strict grammar rejects, one relaxation per name:\n"
    "                      lws_in_start_line      several SP / trailing SP in the request line\n"
    "                      bare_lf                LF line ends instead of CRLF\n"
    "                      all                    every one of them\n"
    "  -h, --help        this text\n"
    "\n"
    "Exit status: 0 every message is well formed (warnings allowed), 1 a message is malformed\n"
    "or truncated (an error-severity diagnostic in the SIP message; errors inside an SDP or\n"
    "multipart body are printed but do not count), 2 usage or I/O error.\n"
    "\n"
    "Examples:\n"
    "  sipscope parse invite.sip\n"
    "  sipscope parse --format json corpus/sip/rfc4475/*.sip > out.json\n"
    "  sipscope parse --stream --format json tcp-payload.bin\n"
    "  printf 'OPTIONS sip:a@b SIP/2.0\\r\\n...' | sipscope parse -\n"
    "  sipscope parse --lenient lws_in_start_line,bare_lf odd.sip\n";

struct options {
  bool json = false;
  bool stream = false;
  sp::leniency lenient{};
  std::vector<std::string_view> lenient_names;
  std::vector<std::string_view> files;
};

bool set_leniency(sp::leniency& l, std::string_view name) {
  if (name == "lws_in_start_line") l.lws_in_start_line = true;
  else if (name == "bare_lf") l.bare_lf = true;
  else return false;
  return true;
}

constexpr std::string_view all_leniencies[] = {"lws_in_start_line", "bare_lf"};

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "sipscope parse: %s\nTry 'sipscope parse --help'.\n", msg.c_str());
  return exit_usage;
}

// Returns exit_ok when parsed, else the exit status to return (help printed, or usage error).
std::optional<int> parse_args(args a, options& o) {
  bool only_files = false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    std::string_view s = a[i];
    if (only_files || s == "-" || !s.starts_with("-")) {
      o.files.push_back(s);
      continue;
    }
    if (s == "--") { only_files = true; continue; }
    if (s == "-h" || s == "--help") {
      std::fwrite(parse_usage.data(), 1, parse_usage.size(), stdout);
      return exit_ok;
    }
    if (s == "--stream") { o.stream = true; continue; }
    std::string_view value;
    bool takes_value = false;
    std::string_view name = s;
    if (auto eq = s.find('='); eq != std::string_view::npos && s.starts_with("--")) {
      name = s.substr(0, eq);
      value = s.substr(eq + 1);
      takes_value = true;
    }
    if (name == "--format" || name == "-f" || name == "--lenient") {
      if (!takes_value) {
        if (i + 1 >= a.size()) return usage_error("option " + std::string(name) + " needs a value");
        value = a[++i];
      }
      if (name == "--lenient") {
        while (!value.empty()) {
          auto comma = value.find(',');
          std::string_view flag = value.substr(0, comma);
          value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
          if (flag.empty()) continue;
          if (flag == "all") {
            for (auto f : all_leniencies) { set_leniency(o.lenient, f); o.lenient_names.push_back(f); }
          } else if (set_leniency(o.lenient, flag)) {
            o.lenient_names.push_back(flag);
          } else {
            return usage_error("unknown leniency '" + std::string(flag) +
                               "' (known: lws_in_start_line, bare_lf, all)");
          }
        }
      } else if (value == "json") {
        o.json = true;
      } else if (value == "text") {
        o.json = false;
      } else {
        return usage_error("unknown format '" + std::string(value) + "' (text or json)");
      }
      continue;
    }
    return usage_error("unknown option '" + std::string(s) + "'");
  }
  if (o.files.empty()) return usage_error("no FILE given (use '-' for stdin)");
  std::sort(o.lenient_names.begin(), o.lenient_names.end());
  o.lenient_names.erase(std::unique(o.lenient_names.begin(), o.lenient_names.end()), o.lenient_names.end());
  return std::nullopt;
}

bool read_stream(std::FILE* f, std::string& out) {
  char buf[65536];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  return !std::ferror(f);
}

bool read_input(std::string_view file, std::string& out, std::string& err) {
  out.clear();
  if (file == "-") {
    if (!read_stream(stdin, out)) { err = "cannot read standard input: " + std::string(std::strerror(errno)); return false; }
    return true;
  }
  const std::string path(file);
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) { err = "'" + path + "' is a directory"; return false; }
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) { err = "cannot open '" + path + "': " + std::strerror(errno); return false; }
  const bool ok = read_stream(f, out);
  const int saved = errno;
  std::fclose(f);
  if (!ok) { err = "cannot read '" + path + "': " + std::strerror(saved); return false; }
  return true;
}

// 1-based line and column of byte offsets in a file (columns count bytes).
class line_index {
 public:
  explicit line_index(std::string_view text) {
    starts_.push_back(0);
    for (std::size_t i = 0; i < text.size(); ++i)
      if (text[i] == '\n') starts_.push_back(i + 1);
  }
  std::pair<std::size_t, std::size_t> at(std::size_t off) const {
    auto it = std::upper_bound(starts_.begin(), starts_.end(), off);
    std::size_t line = static_cast<std::size_t>(it - starts_.begin());
    return {line, off - starts_[line - 1] + 1};
  }
 private:
  std::vector<std::size_t> starts_;
};

// Text for a terminal: printable ASCII and valid UTF-8 as is, the rest as \r \n \t \xHH.
std::string printable(std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      std::size_t n = utf8_sequence_length(s, i);
      if (n) { out.append(s.substr(i, n)); i += n; continue; }
    } else if (c >= 0x20 && c != 0x7F && c != '\\') {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    switch (c) {
      case '\r': out += "\\r"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\\': out += "\\\\"; break;
      default: out += "\\x"; out.push_back(hex[c >> 4]); out.push_back(hex[c & 0xF]);
    }
    ++i;
  }
  return out;
}

std::string value_type_name(sp::value_type t) { return std::string(sp::to_string(t)); }

// Everything known about one message once parsed, for either output format.
struct parsed {
  std::string_view file_label;
  const line_index* lines = nullptr;
  std::size_t index = 0;
  std::size_t file_offset = 0;    // of the message in the file
  sp::parse_result result;
  const sp::message* msg = nullptr;
  const sp::decoded_body* body = nullptr;       // its SDP / multipart structure
  std::vector<sp::diagnostic> all_diagnostics;  // message's, then the body's
  std::size_t message_diagnostics = 0;          // how many of them are the message's
  bool has_error = false;
};

// ------------------------------------------------------------------------------ JSON output

void json_params(json_writer& w, std::string_view key, const sp::param_list& pl) {
  w.key(key).begin_array();
  for (const auto& p : pl) {
    w.begin_object().member("name", p.name);
    if (p.has_value) w.member("value", p.value); else w.member_null("value");
    w.end_object();
  }
  w.end_array();
}

void json_uri(json_writer& w, const sp::uri& u) {
  w.begin_object();
  w.member("raw", u.raw).member("scheme", u.scheme).member("kind", sp::to_string(u.kind));
  if (u.kind == sp::uri_scheme::other) {
    w.member("opaque", u.opaque);
  } else {
    w.member("user", u.user);
    if (u.has_password) w.member("password", u.password);
    if (u.kind != sp::uri_scheme::tel) {
      w.member("host", u.host).member("host_type", sp::to_string(u.host_type));
      if (u.has_port) w.member("port", unsigned{u.port}); else w.member_null("port");
    } else {
      w.member("global", u.tel_global);
    }
    json_params(w, "params", u.params);
    if (u.kind != sp::uri_scheme::tel) json_params(w, "headers", u.headers);
  }
  w.end_object();
}

void json_name_addr(json_writer& w, const sp::name_addr& na) {
  if (na.star) { w.member("star", true); return; }
  if (na.display_name.empty()) {
    w.member_null("display_name");
  } else {
    const std::string shown = na.display_quoted ? sp::unquote(na.display_name) : std::string(na.display_name);
    w.member("display_name", std::string_view(shown));
  }
  w.member("display_name_raw", na.display_name).member("bracketed", na.bracketed);
  w.key("uri");
  json_uri(w, na.address);
  json_params(w, "params", na.params);
}

void json_item(json_writer& w, const sp::header_item& it) {
  w.begin_object().member("raw", it.raw).member("offset", unsigned{it.offset}).member("type", value_type_name(it.type));
  switch (it.type) {
    case sp::value_type::name_addr: json_name_addr(w, it.addr); break;
    case sp::value_type::via: {
      const auto& v = it.via;
      w.member("protocol", v.protocol).member("version", v.version).member("transport", v.transport)
          .member("host", v.host).member("host_type", sp::to_string(v.host_type));
      if (v.has_port) w.member("port", unsigned{v.port}); else w.member_null("port");
      if (v.branch.empty()) w.member_null("branch"); else w.member("branch", v.branch);
      if (!v.received.empty()) w.member("received", v.received);
      if (!v.maddr.empty()) w.member("maddr", v.maddr);
      if (!v.ttl.empty()) w.member("ttl", v.ttl);
      if (v.has_rport) w.member("rport", v.rport);
      json_params(w, "params", v.params);
      break;
    }
    case sp::value_type::cseq: w.member("number", unsigned{it.cseq.number}).member("method", it.cseq.method); break;
    case sp::value_type::rack:
      w.member("rseq", unsigned{it.rack.rseq}).member("cseq", unsigned{it.rack.cseq}).member("method", it.rack.method);
      break;
    case sp::value_type::media_type:
      w.member("media_type", it.media.type).member("subtype", it.media.subtype);
      json_params(w, "params", it.media.params);
      break;
    case sp::value_type::auth:
      w.member("scheme", it.auth.scheme);
      json_params(w, "params", it.auth.params);
      break;
    case sp::value_type::token:
      w.member("token", it.token.token);
      json_params(w, "params", it.token.params);
      break;
    case sp::value_type::number:
      w.member("value", unsigned{it.number.value});
      json_params(w, "params", it.number.params);
      break;
    case sp::value_type::replaces:
      w.member("call_id", it.replaces.call_id).member("to_tag", it.replaces.to_tag)
          .member("from_tag", it.replaces.from_tag).member("early_only", it.replaces.early_only);
      json_params(w, "params", it.replaces.params);
      break;
    case sp::value_type::timestamp:
      w.member("value", it.timestamp.value);
      if (it.timestamp.delay.empty()) w.member_null("delay"); else w.member("delay", it.timestamp.delay);
      break;
    case sp::value_type::date: {
      const auto& d = it.date;
      w.member("weekday", d.weekday).member("year", unsigned{d.year}).member("month", unsigned{d.month})
          .member("day", unsigned{d.day}).member("hour", unsigned{d.hour}).member("minute", unsigned{d.minute})
          .member("second", unsigned{d.second});
      break;
    }
    case sp::value_type::warning:
      w.member("code", unsigned{it.warning.code}).member("agent", it.warning.agent).member("text", it.warning.text);
      break;
    case sp::value_type::info:
      w.member("uri", it.info.uri_text);
      json_params(w, "params", it.info.params);
      break;
    case sp::value_type::raw:
    case sp::value_type::call_id: break;
  }
  w.end_object();
}

void json_connection(json_writer& w, const sp::sdp_connection& c) {
  w.begin_object().member("nettype", c.nettype).member("addrtype", c.addrtype).member("address", c.address)
      .member("address_kind", sp::to_string(c.address_kind)).member("multicast", c.multicast);
  if (c.has_ttl) w.member("ttl", unsigned{c.ttl});
  w.member("num_addresses", unsigned{c.num_addresses}).end_object();
}

void json_attributes(json_writer& w, std::span<const sp::sdp_attribute> attrs) {
  w.key("attributes").begin_array();
  for (const auto& a : attrs) {
    w.begin_object().member("name", a.name);
    if (a.has_value) w.member("value", a.value); else w.member_null("value");
    w.member("valid", a.valid);
    sp::sdp_rtpmap rm;
    if (a.name == "rtpmap" && a.valid && sp::parse_rtpmap(a.value, rm)) {
      w.key("rtpmap").begin_object().member("payload_type", unsigned{rm.payload_type}).member("encoding", rm.encoding)
          .member("clock_rate", unsigned{rm.clock_rate}).member("channels", unsigned{rm.channels}).end_object();
    }
    w.end_object();
  }
  w.end_array();
}

void json_bandwidths(json_writer& w, std::span<const sp::sdp_bandwidth> bws) {
  w.key("bandwidths").begin_array();
  for (const auto& b : bws) w.begin_object().member("type", b.type).member("value", std::uint64_t{b.value}).end_object();
  w.end_array();
}

void json_sdp(json_writer& w, const sp::sdp_session& s) {
  w.begin_object().member("version", s.version);
  const auto& o = s.origin;
  w.key("origin").begin_object().member("username", o.username).member("sess_id", o.sess_id)
      .member("sess_version", o.sess_version).member("nettype", o.nettype).member("addrtype", o.addrtype)
      .member("address", o.address).member("address_kind", sp::to_string(o.address_kind)).end_object();
  w.member("session_name", s.name);
  if (!s.information.empty()) w.member("information", s.information);
  if (!s.uri.empty()) w.member("uri", s.uri);
  w.key("emails").begin_array();
  for (auto e : s.emails) w.value(e);
  w.end_array().key("phones").begin_array();
  for (auto p : s.phones) w.value(p);
  w.end_array();
  w.key("connection");
  if (const auto* c = s.connection()) json_connection(w, *c); else w.null();
  json_bandwidths(w, s.bandwidths());
  w.key("times").begin_array();
  for (const auto& t : s.times) {
    w.begin_object().member("start", std::uint64_t{t.start}).member("stop", std::uint64_t{t.stop});
    w.key("repeats").begin_array();
    for (std::size_t i = t.repeats.first; i < std::size_t{t.repeats.first} + t.repeats.count && i < s.repeats.size(); ++i)
      w.begin_object().member("interval", s.repeats[i].interval).member("duration", s.repeats[i].duration)
          .member("offsets", s.repeats[i].offsets).end_object();
    w.end_array().end_object();
  }
  w.end_array();
  if (!s.zone_adjustments.empty()) w.member("zone_adjustments", s.zone_adjustments);
  json_attributes(w, s.attributes());
  w.member("direction", sp::to_string(s.direction()));
  w.key("media").begin_array();
  for (const auto& m : s.media) {
    w.begin_object().member("type", m.type).member("port", unsigned{m.port}).member("num_ports", unsigned{m.num_ports})
        .member("proto", m.proto).member("offset", unsigned{m.offset});
    w.key("formats").begin_array();
    for (auto f : s.formats(m)) w.value(f);
    w.end_array();
    if (!m.information.empty()) w.member("information", m.information);
    w.key("connections").begin_array();
    for (const auto& c : s.connections_of(m)) json_connection(w, c);
    w.end_array();
    json_bandwidths(w, s.bandwidths(m));
    json_attributes(w, s.attributes(m));
    w.member("direction", sp::to_string(s.direction(m)));
    w.end_object();
  }
  w.end_array().end_object();
}

void json_parts(json_writer& w, const std::vector<sp::body_node>& parts, const sp::decoded_body& pool) {
  w.begin_array();
  for (const auto& n : parts) {
    const auto& bp = n.part;
    w.begin_object().member("offset", unsigned{bp.offset}).member("body_offset", unsigned{bp.body_offset})
        .member("length", bp.body.size()).member("content_type", bp.content_type());
    w.key("headers").begin_array();
    for (std::size_t i = 0; i < bp.header_count; ++i)
      w.begin_object().member("name", bp.headers[i].name).member("value", bp.headers[i].value)
          .member("offset", unsigned{bp.headers[i].offset}).end_object();
    w.end_array();
    if (bp.headers_seen > bp.header_count) w.member("headers_not_kept", unsigned{bp.headers_seen} - bp.header_count);
    if (n.sdp >= 0) { w.key("sdp"); json_sdp(w, *pool.session(n.sdp)); }
    if (!n.children.empty()) { w.key("parts"); json_parts(w, n.children, pool); }
    w.end_object();
  }
  w.end_array();
}

void json_message(json_writer& w, const parsed& p, const options& o) {
  const sp::message& m = *p.msg;
  w.begin_object();
  w.member("file", p.file_label).member("index", p.index).member("offset", p.file_offset)
      .member("length", p.result.consumed).member("status", sp::to_string(p.result.state))
      .member("framing", o.stream ? "stream" : "datagram");
  w.key("lenient").begin_array();
  for (auto n : o.lenient_names) w.value(n);
  w.end_array();

  w.key("start_line");
  if (m.start_line.empty() && m.request.method_text.empty() && m.response.code == 0) {
    w.null();
  } else if (m.is_request) {
    w.begin_object().member("type", "request").member("raw", m.start_line).member("method", m.request.method_text)
        .member("method_kind", sp::to_string(m.request.method_kind)).member("uri_text", m.request.uri_text);
    w.key("uri");
    json_uri(w, m.request.request_uri);
    w.member("version", m.request.version).end_object();
  } else {
    w.begin_object().member("type", "response").member("raw", m.start_line).member("version", m.response.version)
        .member("code", unsigned{m.response.code}).member("reason", m.response.reason).end_object();
  }

  w.key("headers").begin_array();
  for (const auto& h : m.headers) {
    w.begin_object().member("name", h.name);
    if (h.kind == sp::header_kind::other) w.member_null("kind"); else w.member("kind", sp::header_name(h.kind));
    w.member("compact", h.compact).member("value", h.value).member("offset", unsigned{h.offset})
        .member("length", unsigned{h.length}).member("valid", h.valid).member("folded", h.folded);
    w.key("values").begin_array();
    for (const auto* it = m.item_begin(h); it != m.item_end(h); ++it) json_item(w, *it);
    w.end_array().end_object();
  }
  w.end_array();

  w.key("body");
  if (m.body.empty() && m.body_offset == 0) {
    w.null();
  } else {
    w.begin_object().member("offset", unsigned{m.body_offset}).member("length", m.body.size());
    if (const auto* ct = m.content_type())
      w.member("content_type", std::string(ct->type) + "/" + std::string(ct->subtype));
    else
      w.member_null("content_type");
    w.member("content_length", m.content_length());
    if (p.body->sdp >= 0) { w.key("sdp"); json_sdp(w, *p.body->session(p.body->sdp)); }
    if (p.body->multipart) { w.key("parts"); json_parts(w, p.body->parts, *p.body); }
    w.end_object();
  }

  w.key("diagnostics").begin_array();
  // offset: in the message (as the parser reports it); file_offset, line, column: in the file.
  // source "body": found inside the SDP/multipart body; those do not decide the exit status.
  for (std::size_t i = 0; i < p.all_diagnostics.size(); ++i) {
    const auto& d = p.all_diagnostics[i];
    auto [line, col] = p.lines->at(p.file_offset + d.offset);
    w.begin_object().member("code", sp::to_string(d.code)).member("code_number", unsigned{static_cast<std::uint16_t>(d.code)})
        .member("severity", sp::to_string(d.level)).member("source", i < p.message_diagnostics ? "message" : "body")
        .member("offset", unsigned{d.offset}).member("file_offset", p.file_offset + d.offset)
        .member("length", unsigned{d.length}).member("line", line).member("column", col).member("rule", d.rule)
        .member("expected", d.expected).end_object();
  }
  w.end_array();
  w.member("dropped_diagnostics", unsigned{m.dropped_diagnostics});
  w.end_object();
}

// ------------------------------------------------------------------------------ text output

class tree {
 public:
  explicit tree(std::string& out) : out_(out) {}
  void line(int depth, std::string_view label, std::string_view value) {
    out_.append(static_cast<std::size_t>(depth) * 4, ' ');
    out_ += label;
    out_ += ": ";
    out_ += printable(value);
    out_ += '\n';
  }
  void line(int depth, std::string_view label, std::uint64_t v) { line(depth, label, std::to_string(v)); }
  void heading(int depth, std::string_view text) {
    out_.append(static_cast<std::size_t>(depth) * 4, ' ');
    out_ += printable(text);
    out_ += '\n';
  }
 private:
  std::string& out_;
};

std::string param_text(const sp::param& p) {
  return p.has_value ? std::string(p.name) + "=" + std::string(p.value) : std::string(p.name);
}

void text_uri(tree& t, int d, std::string_view label, const sp::uri& u) {
  t.line(d, label, u.raw);
  if (u.kind == sp::uri_scheme::other) {
    t.line(d + 1, "Scheme (not SIP, SIPS or tel)", u.scheme);
    t.line(d + 1, "Opaque part", u.opaque);
    return;
  }
  if (!u.user.empty()) t.line(d + 1, u.kind == sp::uri_scheme::tel ? "Telephone number" : "User Part", u.user);
  if (u.has_password) t.line(d + 1, "Password", u.password);
  if (u.kind != sp::uri_scheme::tel) {
    t.line(d + 1, "Host Part", std::string(u.host) + " (" + std::string(sp::to_string(u.host_type)) + ")");
    if (u.has_port) t.line(d + 1, "Host Port", u.port);
  }
  for (const auto& p : u.params) t.line(d + 1, "URI parameter", param_text(p));
  for (const auto& p : u.headers) t.line(d + 1, "URI header", param_text(p));
}

void text_params(tree& t, int d, std::string_view label, const sp::param_list& pl) {
  for (const auto& p : pl) t.line(d, label, param_text(p));
}

void text_item(tree& t, int d, const sp::header_item& it) {
  switch (it.type) {
    case sp::value_type::name_addr: {
      const auto& na = it.addr;
      if (na.star) { t.line(d, "Wildcard", "*"); break; }
      if (!na.display_name.empty())
        t.line(d, "Display name", na.display_quoted ? sp::unquote(na.display_name) : std::string(na.display_name));
      text_uri(t, d, na.bracketed ? "URI" : "URI (addr-spec, no <>)", na.address);
      text_params(t, d, "Header parameter", na.params);
      break;
    }
    case sp::value_type::via: {
      const auto& v = it.via;
      t.line(d, "Protocol", std::string(v.protocol) + "/" + std::string(v.version));
      t.line(d, "Transport", v.transport);
      t.line(d, "Sent-by Address", std::string(v.host) + " (" + std::string(sp::to_string(v.host_type)) + ")");
      if (v.has_port) t.line(d, "Sent-by port", v.port);
      if (!v.branch.empty()) t.line(d, "Branch", v.branch);
      if (!v.received.empty()) t.line(d, "Received", v.received);
      if (v.has_rport) t.line(d, "RPort", v.rport.empty() ? std::string_view("(no value)") : v.rport);
      text_params(t, d, "Via parameter", v.params);
      break;
    }
    case sp::value_type::cseq:
      t.line(d, "Sequence Number", it.cseq.number);
      t.line(d, "Method", it.cseq.method);
      break;
    case sp::value_type::rack:
      t.line(d, "RSeq", it.rack.rseq);
      t.line(d, "CSeq", it.rack.cseq);
      t.line(d, "Method", it.rack.method);
      break;
    case sp::value_type::media_type:
      t.line(d, "Media type", std::string(it.media.type) + "/" + std::string(it.media.subtype));
      text_params(t, d, "Parameter", it.media.params);
      break;
    case sp::value_type::auth:
      t.line(d, "Authentication Scheme", it.auth.scheme);
      text_params(t, d, "Parameter", it.auth.params);
      break;
    case sp::value_type::token:
      t.line(d, "Value", it.token.token);
      text_params(t, d, "Parameter", it.token.params);
      break;
    case sp::value_type::number:
      t.line(d, "Value", it.number.value);
      text_params(t, d, "Parameter", it.number.params);
      break;
    case sp::value_type::replaces:
      t.line(d, "Call-ID", it.replaces.call_id);
      if (!it.replaces.to_tag.empty()) t.line(d, "to-tag", it.replaces.to_tag);
      if (!it.replaces.from_tag.empty()) t.line(d, "from-tag", it.replaces.from_tag);
      if (it.replaces.early_only) t.line(d, "early-only", "yes");
      break;
    case sp::value_type::timestamp:
      t.line(d, "Timestamp", it.timestamp.value);
      if (!it.timestamp.delay.empty()) t.line(d, "Delay", it.timestamp.delay);
      break;
    case sp::value_type::date: {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%04u-%02u-%02u %02u:%02u:%02u GMT", unsigned{it.date.year}, unsigned{it.date.month},
                    unsigned{it.date.day}, unsigned{it.date.hour}, unsigned{it.date.minute}, unsigned{it.date.second});
      t.line(d, "Date", buf);
      break;
    }
    case sp::value_type::warning:
      t.line(d, "Warn code", it.warning.code);
      t.line(d, "Warn agent", it.warning.agent);
      t.line(d, "Warn text", it.warning.text);
      break;
    case sp::value_type::info:
      t.line(d, "URI", it.info.uri_text);
      text_params(t, d, "Parameter", it.info.params);
      break;
    case sp::value_type::raw:
    case sp::value_type::call_id: break;
  }
}

void text_connection(tree& t, int d, const sp::sdp_connection& c) {
  t.line(d, "Connection Information (c)", std::string(c.nettype) + " " + std::string(c.addrtype) + " " + std::string(c.address));
}

void text_sdp(tree& t, int d, const sp::sdp_session& s) {
  t.heading(d, "Session Description Protocol");
  ++d;
  t.line(d, "Session Description Protocol Version (v)", s.version);
  const auto& o = s.origin;
  t.line(d, "Owner/Creator, Session Id (o)",
         std::string(o.username) + " " + std::string(o.sess_id) + " " + std::string(o.sess_version) + " " +
             std::string(o.nettype) + " " + std::string(o.addrtype) + " " + std::string(o.address));
  t.line(d, "Session Name (s)", s.name);
  if (!s.information.empty()) t.line(d, "Session Information (i)", s.information);
  if (const auto* c = s.connection()) text_connection(t, d, *c);
  for (const auto& b : s.bandwidths()) t.line(d, "Bandwidth Information (b)", std::string(b.type) + ":" + std::to_string(b.value));
  for (const auto& tm : s.times) t.line(d, "Time Description, active time (t)", std::to_string(tm.start) + " " + std::to_string(tm.stop));
  for (const auto& a : s.attributes())
    t.line(d, "Session Attribute (a)", a.has_value ? std::string(a.name) + ":" + std::string(a.value) : std::string(a.name));
  for (const auto& m : s.media) {
    std::string fmts;
    for (auto f : s.formats(m)) { fmts += ' '; fmts += f; }
    t.line(d, "Media Description, name and address (m)",
           std::string(m.type) + " " + std::to_string(m.port) + " " + std::string(m.proto) + fmts);
    for (const auto& c : s.connections_of(m)) text_connection(t, d + 1, c);
    for (const auto& a : s.attributes(m))
      t.line(d + 1, "Media Attribute (a)", a.has_value ? std::string(a.name) + ":" + std::string(a.value) : std::string(a.name));
    t.line(d + 1, "[Direction]", sp::to_string(s.direction(m)));
  }
}

std::string_view gcc_severity(sp::severity s) {
  switch (s) {
    case sp::severity::error: return "error";
    case sp::severity::warning: return "warning";
    case sp::severity::info: return "note";
  }
  return "note";
}

void text_parts(tree& t, int d, const std::vector<sp::body_node>& parts, const sp::decoded_body& pool) {
  std::size_t i = 0;
  for (const auto& n : parts) {
    const auto& bp = n.part;
    t.heading(d, "Encapsulated multipart part " + std::to_string(++i) + " (" + printable(bp.content_type()) + ", " +
                     std::to_string(bp.body.size()) + " bytes at offset " + std::to_string(bp.body_offset) + ")");
    for (std::size_t k = 0; k < bp.header_count; ++k) t.line(d + 1, bp.headers[k].name, bp.headers[k].value);
    if (n.sdp >= 0) text_sdp(t, d + 1, *pool.session(n.sdp));
    if (!n.children.empty()) text_parts(t, d + 1, n.children, pool);
  }
}

void text_message(std::string& out, const parsed& p, const options& o) {
  const sp::message& m = *p.msg;
  tree t(out);
  out += "Message " + std::to_string(p.index) + " of " + std::string(p.file_label) + " at offset " +
         std::to_string(p.file_offset) + " (" + std::to_string(p.result.consumed) + " bytes, " +
         (o.stream ? "stream" : "datagram") + " framing): " + std::string(sp::to_string(p.result.state)) + "\n";
  if (!o.lenient_names.empty()) {
    std::string names;
    for (auto n : o.lenient_names) { if (!names.empty()) names += ","; names += n; }
    t.line(1, "[Leniency on]", names);
  }
  std::string title = "Session Initiation Protocol";
  if (m.is_request && !m.request.method_text.empty()) title += " (" + printable(m.request.method_text) + ")";
  else if (!m.is_request && m.response.code) title += " (" + std::to_string(m.response.code) + ")";
  t.heading(0, title);
  if (m.is_request) {
    t.line(1, "Request-Line", m.start_line);
    t.line(2, "Method", m.request.method_text);
    text_uri(t, 2, "Request-URI", m.request.request_uri);
    t.line(2, "Version", m.request.version);
  } else if (!m.start_line.empty()) {
    t.line(1, "Status-Line", m.start_line);
    t.line(2, "Version", m.response.version);
    t.line(2, "Status-Code", m.response.code);
    t.line(2, "Reason-Phrase", m.response.reason);
  }
  t.heading(1, "Message Header");
  for (const auto& h : m.headers) {
    std::string label(h.name);
    if (h.compact && h.kind != sp::header_kind::other) label += " (" + std::string(sp::header_name(h.kind)) + ")";
    if (!h.valid) label += " [invalid]";
    t.line(2, label, h.value);
    const auto n = static_cast<std::size_t>(m.item_end(h) - m.item_begin(h));
    for (const auto* it = m.item_begin(h); it != m.item_end(h); ++it) {
      int depth = 3;
      if (n > 1) { t.line(3, "Value", it->raw); depth = 4; }
      text_item(t, depth, *it);
    }
  }
  if (!m.body.empty()) {
    std::string label = "Message Body (" + std::to_string(m.body.size()) + " bytes at offset " + std::to_string(m.body_offset);
    if (const auto* ct = m.content_type()) label += ", " + std::string(ct->type) + "/" + std::string(ct->subtype);
    t.heading(1, label + ")");
    if (p.body->sdp >= 0) text_sdp(t, 2, *p.body->session(p.body->sdp));
    if (p.body->multipart) {
      t.heading(2, "MIME Multipart Media Encapsulation");
      text_parts(t, 3, p.body->parts, *p.body);
    }
  }
  for (const auto& d : p.all_diagnostics) {
    auto [line, col] = p.lines->at(p.file_offset + d.offset);
    out += std::string(p.file_label) + ":" + std::to_string(line) + ":" + std::to_string(col) + ": " +
           std::string(gcc_severity(d.level)) + ": " + std::string(sp::to_string(d.code));
    if (!d.rule.empty()) out += " in " + printable(d.rule);
    if (!d.expected.empty()) out += ": expected " + printable(d.expected);
    out += '\n';
  }
  if (m.dropped_diagnostics)
    out += std::string(p.file_label) + ": note: " + std::to_string(m.dropped_diagnostics) + " more diagnostics not shown\n";
  out += '\n';
}

// ------------------------------------------------------------------------------ driver

void emit(std::string_view s) { std::fwrite(s.data(), 1, s.size(), stdout); }

}  // namespace

int cmd_parse(args a) {
  options o;
  if (auto rc = parse_args(a, o)) return *rc;

  sp::parse_options popt;
  popt.framing = o.stream ? sp::transport::stream : sp::transport::datagram;
  popt.lenient = o.lenient;

  json_writer w(true);
  if (o.json) w.begin_array();
  std::string text;
  bool any_malformed = false, io_error = false;
  std::size_t stdin_uses = 0;

  sp::message m;
  sp::decoded_body body;
  std::string bytes;
  for (std::string_view file : o.files) {
    if (file == "-" && stdin_uses++) {
      std::fprintf(stderr, "sipscope parse: '-' (standard input) given more than once\n");
      io_error = true;
      continue;
    }
    std::string err;
    if (!read_input(file, bytes, err)) {
      std::fprintf(stderr, "sipscope parse: %s\n", err.c_str());
      io_error = true;
      continue;
    }
    const std::string_view label = file == "-" ? std::string_view("<stdin>") : file;
    const line_index lines(bytes);
    const std::string_view all(bytes);
    std::size_t pos = 0, index = 0;
    while (true) {
      if (o.stream) {
        // CRLF keep-alives (RFC 5626 3.5.1) and the CRLFs RFC 3261 7.5 says to ignore before a
        // start line: skip them between messages.
        while (pos < all.size() && (all[pos] == '\r' || all[pos] == '\n')) ++pos;
        if (pos >= all.size()) break;
      }
      parsed p;
      p.file_label = label;
      p.lines = &lines;
      p.index = index++;
      p.file_offset = pos;
      p.result = sp::parse_message(all.substr(pos), m, popt);
      p.msg = &m;
      p.all_diagnostics.assign(m.diagnostics.begin(), m.diagnostics.end());
      p.message_diagnostics = p.all_diagnostics.size();
      body.clear();
      p.body = &body;
      if (p.result.state != sp::status::incomplete)
        sp::decode_body(m, body, p.all_diagnostics, static_cast<unsigned>(popt.limit.max_multipart_depth));
      // The exit status judges the SIP message; findings inside its body (SDP, multipart) are
      // printed but do not make the message malformed (RFC 4475's own SDP bodies have such nits).
      p.has_error = p.result.state != sp::status::ok ||
                    std::any_of(m.diagnostics.begin(), m.diagnostics.end(),
                                [](const sp::diagnostic& d) { return d.level == sp::severity::error; });
      any_malformed = any_malformed || p.has_error;
      if (o.json) {
        json_message(w, p, o);
        emit(w.take());
      } else {
        text.clear();
        text_message(text, p, o);
        emit(text);
      }
      if (!o.stream) break;
      if (p.result.state == sp::status::incomplete) break;  // the file ends inside a message
      if (p.result.consumed == 0) {
        std::fprintf(stderr, "sipscope parse: %.*s: cannot find where message %zu ends; rest of the file skipped\n",
                     static_cast<int>(label.size()), label.data(), p.index);
        break;
      }
      pos += p.result.consumed;
    }
  }
  if (o.json) {
    w.end_array();
    emit(w.take());
    emit("\n");
  }
  std::fflush(stdout);
  if (io_error) return exit_usage;
  return any_malformed ? exit_findings : exit_ok;
}

}  // namespace sipscope::cli
