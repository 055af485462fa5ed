#include "sip_text.hpp"

#include <algorithm>

#include "sipscope/parser/message.hpp"

namespace sipscope::viewer {

namespace {

void add(std::vector<text_span>& v, std::size_t from, std::size_t to, span_kind k) {
  if (to <= from) return;
  if (!v.empty() && v.back().kind == k && v.back().offset + v.back().length == from) {
    v.back().length += static_cast<std::uint32_t>(to - from);
    return;
  }
  v.push_back({static_cast<std::uint32_t>(from), static_cast<std::uint32_t>(to - from), k});
}

// A header field's value: parameters (after ';' up to ',' or the next ';') apart, quoted strings
// and <URIs> kept whole (a ';' inside them is not a header parameter).
void value_spans(std::vector<text_span>& v, std::string_view msg, std::size_t from, std::size_t to) {
  std::size_t i = from, start = from;
  span_kind cur = span_kind::header_value;
  bool quoted = false;
  int angle = 0;
  while (i < to) {
    const char c = msg[i];
    if (quoted) {
      if (c == '\\') ++i;
      else if (c == '"') quoted = false;
    } else if (c == '"') {
      quoted = true;
    } else if (c == '<') {
      ++angle;
    } else if (c == '>' && angle > 0) {
      --angle;
    } else if (angle == 0 && c == ';') {
      add(v, start, i, cur);
      start = i;
      cur = span_kind::parameter;
    } else if (angle == 0 && c == ',' && cur == span_kind::parameter) {
      add(v, start, i, cur);
      start = i;
      cur = span_kind::header_value;
    }
    ++i;
  }
  add(v, start, std::min(i, to), cur);
}

}  // namespace

sip_text analyse_sip_text(std::string_view msg) {
  sip_text out;
  std::size_t pos = 0;
  bool first = true, in_body = false;
  while (pos < msg.size()) {
    std::size_t eol = msg.find('\n', pos);
    const std::size_t next = eol == std::string_view::npos ? msg.size() : eol + 1;
    std::size_t end = eol == std::string_view::npos ? msg.size() : eol;
    if (end > pos && msg[end - 1] == '\r') --end;
    std::string_view line = msg.substr(pos, end - pos);
    if (first) {
      out.start_line = std::string(line);
      add(out.spans, pos, end, span_kind::start_line);
      first = false;
    } else if (in_body) {
      if (line.size() >= 2 && line[1] == '=' && line[0] >= 'a' && line[0] <= 'z') {
        add(out.spans, pos, pos + 2, span_kind::sdp_type);
        add(out.spans, pos + 2, end, span_kind::sdp_value);
      } else {
        add(out.spans, pos, end, span_kind::body);
      }
    } else if (line.empty()) {
      in_body = true;
    } else if (line[0] == ' ' || line[0] == '\t') {
      value_spans(out.spans, msg, pos, end);   // folded continuation (RFC 3261 7.3.1)
    } else {
      const std::size_t colon = line.find(':');
      if (colon == std::string_view::npos) {
        add(out.spans, pos, end, span_kind::header_value);
      } else {
        add(out.spans, pos, pos + colon, span_kind::header_name);
        add(out.spans, pos + colon, pos + colon + 1, span_kind::separator);
        value_spans(out.spans, msg, pos + colon + 1, end);
      }
    }
    add(out.spans, end, next, span_kind::separator);
    pos = next;
  }

  parser::message m;
  const parser::parse_result r = parser::parse_message(msg, m);
  out.parsed = r.state == parser::status::ok;
  for (const parser::diagnostic& d : m.diagnostics) {
    diag_mark k;
    k.offset = std::min<std::uint32_t>(d.offset, static_cast<std::uint32_t>(msg.size()));
    k.length = std::min<std::uint32_t>(d.length, static_cast<std::uint32_t>(msg.size()) - k.offset);
    k.error = d.level == parser::severity::error;
    k.line = m.line_of(k.offset);
    std::uint32_t line_start = k.offset;
    while (line_start > 0 && msg[line_start - 1] != '\n') --line_start;
    k.column = k.offset - line_start + 1;
    k.text = std::string(parser::to_string(d.level));
    k.text += ' ';
    k.text += parser::to_string(d.code);
    if (!d.rule.empty()) {
      k.text += " (";
      k.text += d.rule;
      k.text += ')';
    }
    if (!d.expected.empty()) {
      k.text += ": ";
      k.text += d.expected;
    }
    out.diagnostics.push_back(std::move(k));
  }
  std::stable_sort(out.diagnostics.begin(), out.diagnostics.end(),
                   [](const diag_mark& a, const diag_mark& b) { return a.offset < b.offset; });
  return out;
}

}  // namespace sipscope::viewer
