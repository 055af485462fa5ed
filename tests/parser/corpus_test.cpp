// Corpus-driven parser tests: one case per corpus/sip/**/NAME.sip, checked against NAME.expect.json.
//
// The expectation format (verdict, diagnostics, field paths) is described in corpus/sip/README.md.
// Only the public API is used: parse_message() and the AST of message.hpp/headers.hpp/uri.hpp,
// plus unescape()/unquote() where a check is on decoded text.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sipscope/parser/diagnostic.hpp"
#include "sipscope/parser/headers.hpp"
#include "sipscope/parser/message.hpp"
#include "sipscope/parser/params.hpp"
#include "sipscope/parser/uri.hpp"

namespace fs = std::filesystem;
namespace sp = sipscope::parser;
using json = nlohmann::json;

namespace {

const fs::path corpus_root = fs::path(SIPSCOPE_CORPUS_DIR) / "sip";
const fs::path shared_root = fs::path(SIPSCOPE_SHARED_CORPUS_DIR) / "sip";

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

struct corpus_case {
  fs::path sip;     // NAME.sip
  fs::path expect;  // NAME.expect.json
  std::string name; // test name: stem with non-alphanumerics as '_'
};

// GoogleTest prints a parameter with this (instead of a byte dump).
void PrintTo(const corpus_case& c, std::ostream* os) { *os << c.sip.string(); }

std::vector<corpus_case> find_cases() {
  std::vector<corpus_case> out;
  std::error_code ec;
  if (!fs::is_directory(corpus_root, ec)) return out;
  for (auto it = fs::recursive_directory_iterator(corpus_root, ec); !ec && it != fs::end(it); it.increment(ec)) {
    if (!it->is_regular_file() || it->path().extension() != ".sip") continue;
    corpus_case c;
    c.sip = it->path();
    c.expect = it->path();
    c.expect.replace_extension(".expect.json");
    c.name = it->path().stem().string();
    for (char& ch : c.name)
      if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
    out.push_back(std::move(c));
  }
  std::sort(out.begin(), out.end(), [](const corpus_case& a, const corpus_case& b) { return a.name < b.name; });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Path language (see corpus/sip/README.md): "seg[arg][arg].seg|filter|filter".

struct segment {
  std::string name;
  std::vector<std::string> args;
};

struct path {
  std::vector<segment> segs;
  std::vector<std::string> filters;
};

path parse_path(std::string_view text) {
  path p;
  std::size_t bar = std::string_view::npos;
  // A '|' inside brackets belongs to a name; find the first one outside them.
  for (std::size_t i = 0, depth = 0; i < text.size(); ++i) {
    if (text[i] == '[') ++depth;
    else if (text[i] == ']' && depth) --depth;
    else if (text[i] == '|' && depth == 0) { bar = i; break; }
  }
  std::string_view body = text.substr(0, bar);
  if (bar != std::string_view::npos) {
    std::string_view rest = text.substr(bar + 1);
    while (!rest.empty()) {
      auto n = rest.find('|');
      p.filters.emplace_back(rest.substr(0, n));
      if (n == std::string_view::npos) break;
      rest.remove_prefix(n + 1);
    }
  }
  segment cur;
  bool have = false;
  for (std::size_t i = 0; i < body.size();) {
    char c = body[i];
    if (c == '.') {
      if (have) p.segs.push_back(std::move(cur));
      cur = {};
      have = false;
      ++i;
    } else if (c == '[') {
      auto close = body.find(']', i + 1);
      if (close == std::string_view::npos) close = body.size();
      cur.args.emplace_back(body.substr(i + 1, close - i - 1));
      have = true;
      i = close + 1;
    } else {
      cur.name.push_back(c);
      have = true;
      ++i;
    }
  }
  if (have) p.segs.push_back(std::move(cur));
  return p;
}

std::optional<std::size_t> as_index(std::string_view s) {
  std::size_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// Result of evaluating a path: a JSON value, or an error explaining where the path went wrong.
struct eval_result {
  json value;
  std::string error;  // non-empty: the path does not apply
  static eval_result ok(json v) { return {std::move(v), {}}; }
  static eval_result err(std::string e) { return {json(), std::move(e)}; }
};

using segs = std::vector<segment>;
using seg_it = segs::const_iterator;

json sv(std::string_view s) { return json(std::string(s)); }

eval_result leaf_only(seg_it it, seg_it end, json v) {
  if (it != end) return eval_result::err("'" + it->name + "' after a scalar");
  return eval_result::ok(std::move(v));
}

eval_result eval_params(const sp::param_list& pl, seg_it it, seg_it end) {
  if (it == end) return eval_result::ok(sv(pl.raw()));
  auto param_json = [](const sp::param& p) { return p.has_value ? sv(p.value) : json(true); };
  // params[i].name|value|has_value, params[NAME], params.NAME, params.count
  std::string key;
  if (!it->name.empty()) {
    if (it->name == "count" && it->args.empty()) return leaf_only(it + 1, end, json(pl.size()));
    if (it->name == "raw" && it->args.empty()) return leaf_only(it + 1, end, sv(pl.raw()));
    key = it->name;
  } else if (!it->args.empty()) {
    if (auto idx = as_index(it->args[0])) {
      std::size_t i = 0;
      for (const auto& p : pl) {
        if (i++ != *idx) continue;
        auto next = it + 1;
        if (next == end) return eval_result::ok(param_json(p));
        if (next->name == "name") return leaf_only(next + 1, end, sv(p.name));
        if (next->name == "value") return leaf_only(next + 1, end, sv(p.value));
        if (next->name == "has_value") return leaf_only(next + 1, end, json(p.has_value));
        return eval_result::err("unknown parameter field '" + next->name + "'");
      }
      return eval_result::ok(json());  // no such parameter
    }
    key = it->args[0];
  }
  auto p = pl.find(key);
  if (!p) return leaf_only(it + 1, end, json());
  return leaf_only(it + 1, end, param_json(*p));
}

// "params[x]" written as one segment: split the bracket args off into a segment of their own.
eval_result eval_params_seg(const sp::param_list& pl, seg_it it, seg_it end) {
  if (it->args.empty()) return eval_params(pl, it + 1, end);
  segs tmp{segment{"", it->args}};
  tmp.insert(tmp.end(), it + 1, end);
  return eval_params(pl, tmp.cbegin(), tmp.cend());
}

eval_result eval_uri(const sp::uri& u, seg_it it, seg_it end) {
  if (it == end) return eval_result::ok(sv(u.raw));
  const std::string& f = it->name;
  auto rest = it + 1;
  if (f == "raw") return leaf_only(rest, end, sv(u.raw));
  if (f == "scheme") return leaf_only(rest, end, sv(u.scheme));
  if (f == "kind") return leaf_only(rest, end, sv(sp::to_string(u.kind)));
  if (f == "user") return leaf_only(rest, end, sv(u.user));
  if (f == "password") return leaf_only(rest, end, sv(u.password));
  if (f == "has_password") return leaf_only(rest, end, json(u.has_password));
  if (f == "host") return leaf_only(rest, end, sv(u.host));
  if (f == "host_type") return leaf_only(rest, end, sv(sp::to_string(u.host_type)));
  if (f == "port") return leaf_only(rest, end, json(u.port));
  if (f == "has_port") return leaf_only(rest, end, json(u.has_port));
  if (f == "opaque") return leaf_only(rest, end, sv(u.opaque));
  if (f == "tel_global") return leaf_only(rest, end, json(u.tel_global));
  if (f == "params") return eval_params_seg(u.params, it, end);
  if (f == "headers") return eval_params_seg(u.headers, it, end);
  return eval_result::err("unknown URI field '" + f + "'");
}

eval_result eval_name_addr(const sp::name_addr& na, seg_it it, seg_it end) {
  if (it == end) return eval_result::err("name-addr needs a field");
  const std::string& f = it->name;
  auto rest = it + 1;
  if (f == "display_name") return leaf_only(rest, end, sv(na.display_name));
  if (f == "display_quoted") return leaf_only(rest, end, json(na.display_quoted));
  if (f == "bracketed") return leaf_only(rest, end, json(na.bracketed));
  if (f == "star") return leaf_only(rest, end, json(na.star));
  if (f == "uri") return eval_uri(na.address, rest, end);
  if (f == "params") return eval_params_seg(na.params, it, end);
  return eval_result::err("unknown name-addr field '" + f + "'");
}

eval_result eval_via(const sp::via_value& v, seg_it it, seg_it end) {
  if (it == end) return eval_result::err("via needs a field");
  const std::string& f = it->name;
  auto rest = it + 1;
  if (f == "protocol") return leaf_only(rest, end, sv(v.protocol));
  if (f == "version") return leaf_only(rest, end, sv(v.version));
  if (f == "transport") return leaf_only(rest, end, sv(v.transport));
  if (f == "host") return leaf_only(rest, end, sv(v.host));
  if (f == "host_type") return leaf_only(rest, end, sv(sp::to_string(v.host_type)));
  if (f == "port") return leaf_only(rest, end, json(v.port));
  if (f == "has_port") return leaf_only(rest, end, json(v.has_port));
  if (f == "branch") return leaf_only(rest, end, sv(v.branch));
  if (f == "received") return leaf_only(rest, end, sv(v.received));
  if (f == "maddr") return leaf_only(rest, end, sv(v.maddr));
  if (f == "ttl") return leaf_only(rest, end, sv(v.ttl));
  if (f == "rport") return leaf_only(rest, end, sv(v.rport));
  if (f == "has_rport") return leaf_only(rest, end, json(v.has_rport));
  if (f == "params") return eval_params_seg(v.params, it, end);
  return eval_result::err("unknown via field '" + f + "'");
}

std::string value_type_name(sp::value_type t) { return std::string(sp::to_string(t)); }

eval_result eval_item(const sp::header_item& item, seg_it it, seg_it end) {
  if (it == end) return eval_result::ok(sv(item.raw));
  const std::string& f = it->name;
  auto rest = it + 1;
  if (f == "raw") return leaf_only(rest, end, sv(item.raw));
  if (f == "value_type") return leaf_only(rest, end, json(value_type_name(item.type)));
  if (f == "offset") return leaf_only(rest, end, json(item.offset));
  switch (item.type) {
    case sp::value_type::name_addr: return eval_name_addr(item.addr, it, end);
    case sp::value_type::via: return eval_via(item.via, it, end);
    case sp::value_type::cseq:
      if (f == "number") return leaf_only(rest, end, json(item.cseq.number));
      if (f == "method") return leaf_only(rest, end, sv(item.cseq.method));
      break;
    case sp::value_type::rack:
      if (f == "rseq") return leaf_only(rest, end, json(item.rack.rseq));
      if (f == "cseq") return leaf_only(rest, end, json(item.rack.cseq));
      if (f == "method") return leaf_only(rest, end, sv(item.rack.method));
      break;
    case sp::value_type::media_type:
      if (f == "type") return leaf_only(rest, end, sv(item.media.type));
      if (f == "subtype") return leaf_only(rest, end, sv(item.media.subtype));
      if (f == "params") return eval_params_seg(item.media.params, it, end);
      break;
    case sp::value_type::auth:
      if (f == "scheme") return leaf_only(rest, end, sv(item.auth.scheme));
      if (f == "params") return eval_params_seg(item.auth.params, it, end);
      break;
    case sp::value_type::token:
      if (f == "token") return leaf_only(rest, end, sv(item.token.token));
      if (f == "params") return eval_params_seg(item.token.params, it, end);
      break;
    case sp::value_type::number:
      if (f == "value") return leaf_only(rest, end, json(item.number.value));
      if (f == "params") return eval_params_seg(item.number.params, it, end);
      break;
    case sp::value_type::replaces:
      if (f == "call_id") return leaf_only(rest, end, sv(item.replaces.call_id));
      if (f == "to_tag") return leaf_only(rest, end, sv(item.replaces.to_tag));
      if (f == "from_tag") return leaf_only(rest, end, sv(item.replaces.from_tag));
      if (f == "early_only") return leaf_only(rest, end, json(item.replaces.early_only));
      if (f == "params") return eval_params_seg(item.replaces.params, it, end);
      break;
    case sp::value_type::timestamp:
      if (f == "value") return leaf_only(rest, end, sv(item.timestamp.value));
      if (f == "delay") return leaf_only(rest, end, sv(item.timestamp.delay));
      break;
    case sp::value_type::date:
      if (f == "year") return leaf_only(rest, end, json(item.date.year));
      if (f == "month") return leaf_only(rest, end, json(item.date.month));
      if (f == "day") return leaf_only(rest, end, json(item.date.day));
      if (f == "hour") return leaf_only(rest, end, json(item.date.hour));
      if (f == "minute") return leaf_only(rest, end, json(item.date.minute));
      if (f == "second") return leaf_only(rest, end, json(item.date.second));
      if (f == "weekday") return leaf_only(rest, end, sv(item.date.weekday));
      break;
    case sp::value_type::warning:
      if (f == "code") return leaf_only(rest, end, json(item.warning.code));
      if (f == "agent") return leaf_only(rest, end, sv(item.warning.agent));
      if (f == "text") return leaf_only(rest, end, sv(item.warning.text));
      break;
    case sp::value_type::info:
      if (f == "uri") return leaf_only(rest, end, sv(item.info.uri_text));
      if (f == "params") return eval_params_seg(item.info.params, it, end);
      break;
    case sp::value_type::raw:
    case sp::value_type::call_id:
      break;
  }
  return eval_result::err(std::string("no field '") + f + "' in a value of type " + value_type_name(item.type));
}

// Headers matching a name: known names (compact forms too) by kind, unknown ones by name.
std::vector<const sp::header*> headers_named(const sp::message& m, std::string_view name) {
  std::vector<const sp::header*> out;
  sp::header_kind k = sp::lookup_header(name);
  for (const auto& h : m.headers) {
    if (k != sp::header_kind::other ? h.kind == k : (h.kind == sp::header_kind::other && sp::iequals(h.name, name)))
      out.push_back(&h);
  }
  return out;
}

std::vector<const sp::header_item*> items_of(const sp::message& m, const std::vector<const sp::header*>& hs) {
  std::vector<const sp::header_item*> out;
  for (const auto* h : hs)
    for (auto* i = m.item_begin(*h); i != m.item_end(*h); ++i) out.push_back(i);
  return out;
}

eval_result eval_header_line(const sp::header& h, seg_it it, seg_it end) {
  if (it == end) return eval_result::ok(sv(h.value));
  const std::string& f = it->name;
  auto rest = it + 1;
  if (f == "name") return leaf_only(rest, end, sv(h.name));
  if (f == "value") return leaf_only(rest, end, sv(h.value));
  if (f == "compact") return leaf_only(rest, end, json(h.compact));
  if (f == "valid") return leaf_only(rest, end, json(h.valid));
  if (f == "folded") return leaf_only(rest, end, json(h.folded));
  if (f == "offset") return leaf_only(rest, end, json(h.offset));
  if (f == "count") return leaf_only(rest, end, json(h.item_count));
  if (f == "kind")
    return leaf_only(rest, end, h.kind == sp::header_kind::other ? json("other") : sv(sp::header_name(h.kind)));
  return eval_result::err("unknown header field '" + f + "'");
}

eval_result eval_message(const sp::message& m, const sp::parse_result& r, const path& p) {
  const auto& s = p.segs;
  if (s.empty()) return eval_result::err("empty path");
  auto it = s.cbegin(), end = s.cend();
  const std::string& f = it->name;
  auto rest = it + 1;
  if (f == "is_request") return leaf_only(rest, end, json(m.is_request));
  if (f == "status") return leaf_only(rest, end, sv(sp::to_string(r.state)));
  if (f == "consumed") return leaf_only(rest, end, json(r.consumed));
  if (f == "size") return leaf_only(rest, end, json(m.size));
  if (f == "call_id") return leaf_only(rest, end, sv(m.call_id()));
  if (f == "content_length") return leaf_only(rest, end, json(m.content_length()));
  if (f == "content_type") {
    const auto* ct = m.content_type();
    if (!ct) return leaf_only(rest, end, json());
    return leaf_only(rest, end, json(std::string(ct->type) + "/" + std::string(ct->subtype)));
  }
  if (f == "max_forwards") {
    const auto* i = m.first_item(sp::header_kind::max_forwards);
    if (!i) return leaf_only(rest, end, json());
    return leaf_only(rest, end, json(i->number.value));
  }
  if (f == "body") {
    if (rest == end) return eval_result::err("body needs a field");
    if (rest->name == "length") return leaf_only(rest + 1, end, json(m.body.size()));
    if (rest->name == "offset") return leaf_only(rest + 1, end, json(m.body_offset));
    if (rest->name == "text") return leaf_only(rest + 1, end, sv(m.body));
    return eval_result::err("unknown body field '" + rest->name + "'");
  }
  if (f == "request" || f == "response") {
    if (m.is_request != (f == "request")) return eval_result::err("the message is not a " + f);
    if (rest == end) return eval_result::ok(sv(m.start_line));
    const std::string& g = rest->name;
    auto r2 = rest + 1;
    if (f == "request") {
      if (g == "method") return leaf_only(r2, end, sv(m.request.method_text));
      if (g == "method_kind") return leaf_only(r2, end, sv(sp::to_string(m.request.method_kind)));
      if (g == "uri_text") return leaf_only(r2, end, sv(m.request.uri_text));
      if (g == "version") return leaf_only(r2, end, sv(m.request.version));
      if (g == "uri") return eval_uri(m.request.request_uri, r2, end);
    } else {
      if (g == "version") return leaf_only(r2, end, sv(m.response.version));
      if (g == "code") return leaf_only(r2, end, json(m.response.code));
      if (g == "reason") return leaf_only(r2, end, sv(m.response.reason));
    }
    return eval_result::err("unknown start-line field '" + g + "'");
  }
  if (f == "cseq") {
    const auto* c = m.cseq();
    if (!c) return eval_result::ok(json());
    if (rest != end && rest->name == "number") return leaf_only(rest + 1, end, json(c->number));
    if (rest != end && rest->name == "method") return leaf_only(rest + 1, end, sv(c->method));
    return eval_result::err("cseq needs number or method");
  }
  if (f == "from" || f == "to") {
    const auto* na = f == "from" ? m.from() : m.to();
    if (!na) return eval_result::ok(json());
    return eval_name_addr(*na, rest, end);
  }
  if (f == "via") {
    auto vias = items_of(m, headers_named(m, "Via"));
    if (it->args.empty()) {
      if (rest != end && rest->name == "count") return leaf_only(rest + 1, end, json(vias.size()));
      return eval_result::err("via needs [i] or .count");
    }
    auto idx = as_index(it->args[0]);
    if (!idx) return eval_result::err("via index must be a number");
    if (*idx >= vias.size()) return eval_result::ok(json());
    if (vias[*idx]->type != sp::value_type::via) return eval_result::err("Via value is not typed as via");
    return eval_via(vias[*idx]->via, rest, end);
  }
  if (f == "header") {
    if (it->args.empty()) return eval_result::err("header needs [NAME]");
    auto hs = headers_named(m, it->args[0]);
    if (it->args.size() >= 2) {
      auto idx = as_index(it->args[1]);
      if (!idx) return eval_result::err("header value index must be a number");
      auto items = items_of(m, hs);
      if (*idx >= items.size()) return eval_result::ok(json());
      return eval_item(*items[*idx], rest, end);
    }
    if (rest == end) return eval_result::err("header[NAME] needs .lines, .count, .line[i] or [i]");
    if (rest->name == "lines" && rest->args.empty()) return leaf_only(rest + 1, end, json(hs.size()));
    if (rest->name == "count") return leaf_only(rest + 1, end, json(items_of(m, hs).size()));
    if (rest->name == "line") {
      if (rest->args.empty()) return eval_result::err("line needs [i]");
      auto idx = as_index(rest->args[0]);
      if (!idx) return eval_result::err("line index must be a number");
      if (*idx >= hs.size()) return eval_result::ok(json());
      return eval_header_line(*hs[*idx], rest + 1, end);
    }
    return eval_result::err("unknown header selector '" + rest->name + "'");
  }
  return eval_result::err("unknown path root '" + f + "'");
}

eval_result apply_filters(eval_result r, const std::vector<std::string>& filters) {
  for (const auto& f : filters) {
    if (!r.error.empty()) return r;
    if (r.value.is_null()) return r;  // absent stays absent
    if (!r.value.is_string()) return eval_result::err("filter '" + f + "' on a non-string");
    const auto& s = r.value.get_ref<const std::string&>();
    if (f == "unescape") r.value = sp::unescape(s);
    else if (f == "unquote") r.value = sp::unquote(s);
    else if (f == "length") r.value = s.size();
    else return eval_result::err("unknown filter '" + f + "'");
  }
  return r;
}

// Printable form of a JSON value for failure messages (control bytes visible).
std::string show(const json& v) { return v.dump(-1, ' ', true, json::error_handler_t::replace); }

// ---------------------------------------------------------------------------------------------
// Diagnostics

std::vector<std::string> split_alternatives(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    auto bar = s.find('|', start);
    out.push_back(s.substr(start, bar - start));
    if (bar == std::string::npos) break;
    start = bar + 1;
  }
  return out;
}

std::string describe(const sp::message& m) {
  std::ostringstream o;
  for (const auto& d : m.diagnostics)
    o << "\n    " << sp::to_string(d.code) << " (" << sp::to_string(d.level) << ") at " << d.offset
      << " line " << m.line_of(d.offset) << " rule '" << d.rule << "' expected '" << d.expected << "'";
  if (m.diagnostics.empty()) o << " (none)";
  return o.str();
}

bool offset_in(const sp::message& m, std::uint32_t off, const std::string& where) {
  if (where == "start-line") return off <= m.start_line.size();
  if (where == "body") return off >= m.body_offset && off <= m.body_offset + m.body.size();
  for (const auto* h : headers_named(m, where))
    if (off >= h->offset && off < h->offset + std::max<std::uint32_t>(h->length, 1)) return true;
  return false;
}

void check_block(const json& block, const sp::message& m, const sp::parse_result& r, const std::string& where) {
  SCOPED_TRACE(where);
  const std::string verdict = block.at("verdict").get<std::string>();
  const bool has_error = std::any_of(m.diagnostics.begin(), m.diagnostics.end(),
                                     [](const sp::diagnostic& d) { return d.level == sp::severity::error; });
  const std::string diags = describe(m);
  if (verdict == "valid" || verdict == "semantic") {
    EXPECT_EQ(r.state, sp::status::ok) << "status " << sp::to_string(r.state) << "; diagnostics:" << diags;
    EXPECT_FALSE(has_error) << "an error-severity diagnostic on a " << verdict << " message:" << diags;
  } else if (verdict == "invalid") {
    EXPECT_TRUE(r.state == sp::status::malformed || has_error)
        << "accepted an invalid message: status " << sp::to_string(r.state) << "; diagnostics:" << diags;
  } else {
    ADD_FAILURE() << "unknown verdict '" << verdict << "'";
  }

  if (block.contains("diagnostics")) {
    for (const auto& want : block.at("diagnostics")) {
      std::string codes = want.is_string() ? want.get<std::string>() : want.at("code").get<std::string>();
      std::string in = want.is_object() && want.contains("in") ? want.at("in").get<std::string>() : "";
      auto alts = split_alternatives(codes);
      bool found = false, found_elsewhere = false, wrong_severity = false;
      for (const auto& d : m.diagnostics) {
        if (std::find(alts.begin(), alts.end(), std::string(sp::to_string(d.code))) == alts.end()) continue;
        if (!in.empty() && !offset_in(m, d.offset, in)) { found_elsewhere = true; continue; }
        if (verdict == "semantic" && d.level != sp::severity::warning) { wrong_severity = true; continue; }
        found = true;
      }
      EXPECT_TRUE(found) << "missing diagnostic " << codes << (in.empty() ? "" : " in " + in)
                         << (found_elsewhere ? " (present, but not at that place)" : "")
                         << (wrong_severity ? " (present, but not with severity warning)" : "")
                         << "; diagnostics:" << diags;
    }
  }
  if (block.contains("forbidden_diagnostics")) {
    for (const auto& no : block.at("forbidden_diagnostics")) {
      const std::string code = no.get<std::string>();
      for (const auto& d : m.diagnostics)
        EXPECT_NE(std::string(sp::to_string(d.code)), code)
            << "forbidden diagnostic " << code << " at offset " << d.offset << " (line " << m.line_of(d.offset)
            << ", rule '" << d.rule << "')";
    }
  }
  if (block.contains("fields")) {
    for (const auto& [key, expected] : block.at("fields").items()) {
      path p = parse_path(key);
      eval_result got = apply_filters(eval_message(m, r, p), p.filters);
      if (!got.error.empty()) {
        ADD_FAILURE() << "field " << key << ": " << got.error;
        continue;
      }
      EXPECT_EQ(got.value, expected) << "field " << key << ": got " << show(got.value) << ", expected " << show(expected);
    }
  }
}

bool set_leniency(sp::leniency& l, const std::string& name) {
  if (name == "lws_in_start_line") l.lws_in_start_line = true;
  else if (name == "bare_lf") l.bare_lf = true;
  else return false;
  return true;
}

class corpus : public ::testing::TestWithParam<corpus_case> {};

TEST_P(corpus, matches_expectation) {
  const corpus_case& c = GetParam();
  ASSERT_TRUE(fs::exists(c.expect)) << c.expect << " is missing";
  const std::string bytes = read_file(c.sip);
  ASSERT_FALSE(bytes.empty()) << c.sip;
  json e;
  try {
    e = json::parse(read_file(c.expect));
  } catch (const std::exception& ex) {
    FAIL() << c.expect << ": " << ex.what();
  }
  for (const char* key : {"verdict", "rfc", "why"}) ASSERT_TRUE(e.contains(key)) << c.expect << " has no \"" << key << "\"";

  sp::message m;
  sp::parse_result r = sp::parse_message(bytes, m);
  EXPECT_LE(r.consumed, bytes.size());
  check_block(e, m, r, c.sip.string() + " (" + e.at("rfc").get<std::string>() + ")");

  if (e.contains("lenient")) {
    const json& l = e.at("lenient");
    sp::parse_options opt;
    std::string flags;
    for (const auto& f : l.at("flags")) {
      ASSERT_TRUE(set_leniency(opt.lenient, f.get<std::string>())) << "unknown leniency " << f;
      flags += ' ';  // (not " " + str: GCC 12 warns a false -Wrestrict on that)
      flags += f.get<std::string>();
    }
    sp::message lm;
    sp::parse_result lr = sp::parse_message(bytes, lm, opt);
    check_block(l, lm, lr, c.sip.string() + " with leniency" + flags);
  }
}

std::string case_name(const ::testing::TestParamInfo<corpus_case>& info) { return info.param.name; }

INSTANTIATE_TEST_SUITE_P(sip, corpus, ::testing::ValuesIn(find_cases()), case_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(corpus);

// The corpus must be there and complete: a missing directory must fail, not pass with no cases.
TEST(corpus_layout, every_message_has_an_expectation) {
  auto cases = find_cases();
  EXPECT_EQ(cases.size(), 62u) << "expected the 50 RFC 4475 and 12 RFC 5118 files under " << corpus_root;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(corpus_root, ec); !ec && it != fs::end(it); it.increment(ec)) {
    const std::string n = it->path().filename().string();
    const std::string suffix = ".expect.json";
    if (n.size() > suffix.size() && n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0) {
      fs::path sip = it->path().parent_path() / (n.substr(0, n.size() - suffix.size()) + ".sip");
      EXPECT_TRUE(fs::exists(sip)) << it->path() << " has no message";
    }
  }
}

// The copies in corpus/sip must stay byte-identical to the shared corpus they came from.
TEST(corpus_layout, copies_match_shared_corpus) {
  std::error_code ec;
  if (!fs::is_directory(shared_root, ec)) GTEST_SKIP() << "shared corpus not found at " << shared_root;
  std::size_t compared = 0;
  for (const auto& c : find_cases()) {
    fs::path src = shared_root / (c.sip.stem().string() + ".dat");
    if (!fs::exists(src)) {
      ADD_FAILURE() << c.sip << ": no " << src;
      continue;
    }
    EXPECT_TRUE(read_file(c.sip) == read_file(src)) << c.sip << " differs from " << src;
    ++compared;
  }
  // And nothing in the shared corpus was left out.
  for (const auto& entry : fs::directory_iterator(shared_root, ec)) {
    if (entry.path().extension() != ".dat") continue;
    const std::string stem = entry.path().stem().string();
    bool there = fs::exists(corpus_root / "rfc4475" / (stem + ".sip")) || fs::exists(corpus_root / "rfc5118" / (stem + ".sip"));
    EXPECT_TRUE(there) << entry.path() << " has no copy in " << corpus_root;
  }
  EXPECT_EQ(compared, 62u);
}

// The RFC 5118 archive holds the messages with bare LF line ends (corpus/sip/README.md). Strict
// parsing must refuse them; with the bare_lf leniency each must parse like its CRLF wire form,
// except where the LF form is itself broken: no empty line closing the headers (the two 4.10
// files), or a body shorter than its Content-Length (RFC 3261 18.3: an error on a datagram).
TEST(corpus_bare_lf, rfc5118_archive_parses_like_the_wire_form) {
  const fs::path archive = shared_root / "rfc5118-archive";
  std::error_code ec;
  if (!fs::is_directory(archive, ec)) GTEST_SKIP() << "shared corpus archive not found at " << archive;
  std::size_t checked = 0;
  for (const auto& entry : fs::directory_iterator(archive, ec)) {
    const std::string name = entry.path().filename().string();
    const fs::path wire = corpus_root / "rfc5118" / (name + ".sip");
    if (!fs::exists(wire)) continue;
    SCOPED_TRACE(entry.path().string());
    const std::string lf = read_file(entry.path());
    const std::string crlf = read_file(wire);
    const json e = json::parse(read_file(fs::path(wire).replace_extension(".expect.json")));

    // What RFC 3261 says about these LF bytes, worked out here without the parser.
    const auto hdr_end = lf.find("\n\n");
    long long cl = -1;
    if (auto p = lf.find("\nContent-Length:"); p != std::string::npos) {
      p += 16;
      while (p < lf.size() && lf[p] == ' ') ++p;
      cl = 0;
      while (p < lf.size() && lf[p] >= '0' && lf[p] <= '9') cl = cl * 10 + (lf[p++] - '0');
    }
    const bool terminated = hdr_end != std::string::npos;
    const long long body_len = terminated ? static_cast<long long>(lf.size() - hdr_end - 2) : 0;
    const bool expect_ok = terminated && body_len >= cl && e.at("verdict") != "invalid";

    auto errors = [](const sp::message& m) {
      return std::any_of(m.diagnostics.begin(), m.diagnostics.end(),
                         [](const sp::diagnostic& d) { return d.level == sp::severity::error; });
    };
    sp::message strict;
    auto rs = sp::parse_message(lf, strict);
    EXPECT_TRUE(rs.state == sp::status::malformed || errors(strict)) << "bare LF accepted without the bare_lf leniency";

    sp::parse_options opt;
    opt.lenient.bare_lf = true;
    sp::message m;
    auto r = sp::parse_message(lf, m, opt);
    if (!expect_ok) {
      EXPECT_TRUE(r.state == sp::status::malformed || errors(m))
          << "accepted (terminated=" << terminated << ", body " << body_len << ", Content-Length " << cl << ")"
          << describe(m);
      ++checked;
      continue;
    }
    EXPECT_EQ(r.state, sp::status::ok) << describe(m);
    EXPECT_FALSE(errors(m)) << describe(m);
    sp::message w;
    sp::parse_message(crlf, w);
    EXPECT_EQ(m.is_request, w.is_request);
    EXPECT_EQ(m.start_line, w.start_line);
    EXPECT_EQ(m.request.request_uri.host, w.request.request_uri.host);
    EXPECT_EQ(m.call_id(), w.call_id());
    EXPECT_EQ(m.headers.size(), w.headers.size());
    EXPECT_EQ(m.items.size(), w.items.size());
    EXPECT_EQ(static_cast<long long>(m.body.size()), cl);
    if (m.top_via() && w.top_via()) {
      EXPECT_EQ(m.top_via()->host, w.top_via()->host);
      EXPECT_EQ(m.top_via()->branch, w.top_via()->branch);
    }
    ++checked;
  }
  EXPECT_EQ(checked, 12u);
}

// The evaluator itself must be able to fail: a few paths on a hand-made message.
TEST(corpus_paths, evaluator_reports_real_values) {
  const std::string msg =
      "OPTIONS sip:alice@example.com;transport=tcp SIP/2.0\r\n"
      "Via: SIP/2.0/UDP host.example.com:5062;branch=z9hG4bKabc\r\n"
      "To: <sip:alice@example.com>\r\n"
      "From: \"Bob\" <sip:bob@example.org>;tag=42\r\n"
      "Call-ID: paths-1\r\n"
      "CSeq: 7 OPTIONS\r\n"
      "Max-Forwards: 70\r\n"
      "Content-Length: 0\r\n\r\n";
  sp::message m;
  auto r = sp::parse_message(msg, m);
  auto get = [&](std::string_view text) {
    auto p = parse_path(text);
    return apply_filters(eval_message(m, r, p), p.filters);
  };
  EXPECT_EQ(get("request.uri.params.transport").value, "tcp");
  EXPECT_EQ(get("request.uri.params.lr").value, json());
  EXPECT_EQ(get("via[0].port").value, 5062);
  EXPECT_EQ(get("from.display_name|unquote").value, "Bob");
  EXPECT_EQ(get("from.display_name|unquote|length").value, 3);
  EXPECT_EQ(get("header[CSeq][0].number").value, 7);
  EXPECT_EQ(get("header[Call-ID].lines").value, 1);
  EXPECT_EQ(get("cseq.method").value, "OPTIONS");
  EXPECT_NE(get("cseq.method").value, "INVITE");
  EXPECT_FALSE(get("nonsense.path").error.empty());
  auto p = parse_path("header[a.b][2].params[x.y]|unescape|length");
  ASSERT_EQ(p.segs.size(), 2u);
  EXPECT_EQ(p.segs[0].args, (std::vector<std::string>{"a.b", "2"}));
  EXPECT_EQ(p.segs[1].name, "params");
  EXPECT_EQ(p.segs[1].args, (std::vector<std::string>{"x.y"}));
  EXPECT_EQ(p.filters, (std::vector<std::string>{"unescape", "length"}));
}

}  // namespace
