// multipart/* framing (RFC 2046 5.1.1). Hand-written: the grammar is a search for
// CRLF "--" boundary followed by transport padding and CRLF (or "--"), which a scanner states
// more plainly than a PEG, and the part bodies are opaque octets. Linear: the boundary is at
// most 70 octets and each delimiter search resumes where the previous one stopped.
#include <algorithm>
#include <cstring>

#include "sipscope/parser/multipart.hpp"

namespace sipscope::parser {

namespace {

constexpr std::string_view crlf = "\r\n";

bool ieq(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = char(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = char(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

bool is_wsp(char c) noexcept { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (is_wsp(s.front()) || s.front() == '\r' || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (is_wsp(s.back()) || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

// bcharsnospace := DIGIT / ALPHA / "'" / "(" / ")" / "+" / "_" / "," / "-" / "." / "/" / ":" / "=" / "?"
bool is_bchar_nospace(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         std::strchr("'()+_,-./:=?", c) != nullptr;
}

// boundary := 0*69<bchars> bcharsnospace
bool valid_boundary(std::string_view b) noexcept {
  if (b.empty() || b.size() > 70 || !is_bchar_nospace(b.back())) return false;
  for (char c : b)
    if (c != ' ' && (c == '\0' || !is_bchar_nospace(c))) return false;
  return true;
}

std::string_view unquote_boundary(std::string_view b) noexcept {
  if (b.size() >= 2 && b.front() == '"' && b.back() == '"') return b.substr(1, b.size() - 2);
  return b;
}

class reader {
 public:
  reader(std::string_view body, std::string_view boundary, std::vector<diagnostic>& diags,
         std::uint32_t base)
      : body_(body), boundary_(unquote_boundary(boundary)), diags_(diags), base_(base) {}

  bool error() const noexcept { return error_; }

  void report(diag_code code, std::size_t at, std::string_view rule, std::string_view expected) {
    error_ = true;
    if (added_ >= 32) return;  // bounded: a hostile body cannot flood the list
    ++added_;
    diags_.push_back(diagnostic{code, severity::error, base_ + std::uint32_t(at), 0, rule, expected});
  }

  // Finds the first dash-boundary (after an optional preamble).
  bool start() {
    if (!valid_boundary(boundary_)) {
      report(diag_code::bad_multipart, 0, "boundary", "1 to 70 bchars, not ending in a space (RFC 2046 5.1.1)");
      return false;
    }
    std::size_t at = 0;
    bool first = true;
    while (true) {
      std::size_t d;
      if (first && starts_dash_boundary(0)) {
        d = 0;
      } else {
        std::size_t f = find_delimiter(at);
        if (f == std::string_view::npos) {
          report(diag_code::bad_multipart, body_.size(), "dash-boundary", "\"--\" boundary line (RFC 2046 5.1.1)");
          return false;
        }
        d = f + 2;
      }
      first = false;
      std::size_t after = d + 2 + boundary_.size();
      if (tail(after, true)) return true;
      at = d + 1;
    }
  }

  // Next part; false when the close-delimiter (or the end of the body) has been reached.
  bool next(body_part& p) {
    if (done_) return false;
    std::size_t start = pos_;
    std::size_t search = start;
    std::size_t end;
    while (true) {
      std::size_t f = find_delimiter(search);
      if (f == std::string_view::npos) {
        report(diag_code::bad_multipart, body_.size(), "close-delimiter",
               "CRLF \"--\" boundary \"--\" before the end of the body (RFC 2046 5.1.1)");
        end = body_.size();
        done_ = true;
        break;
      }
      if (tail(f + 4 + boundary_.size(), false)) {
        end = f;
        break;
      }
      search = f + 2;
    }
    fill(p, start, end);
    return true;
  }

 private:
  bool starts_dash_boundary(std::size_t at) const noexcept {
    return body_.size() - at >= 2 + boundary_.size() && body_.compare(at, 2, "--") == 0 &&
           body_.compare(at + 2, boundary_.size(), boundary_) == 0;
  }

  // CRLF "--" boundary at or after `from`; returns the CR's index.
  std::size_t find_delimiter(std::size_t from) const noexcept {
    while (from < body_.size()) {
      std::size_t f = body_.find(crlf, from);
      if (f == std::string_view::npos) return f;
      if (starts_dash_boundary(f + 2)) return f;
      from = f + 1;
    }
    return std::string_view::npos;
  }

  // What follows "--boundary": "--" (close) or transport-padding CRLF. Sets pos_ to the next
  // part, or done_ at the close-delimiter. An invalid tail is diagnosed: RFC 2046 5.1.1 forbids
  // the boundary as the prefix of any line inside a part, so it cannot be content either.
  bool tail(std::size_t at, bool opening) {
    if (body_.size() - at >= 2 && body_.compare(at, 2, "--") == 0) {
      std::size_t e = at + 2;
      while (e < body_.size() && is_wsp(body_[e])) ++e;
      if (e < body_.size() && body_.compare(e, 2, crlf) != 0)
        report(diag_code::bad_multipart, e, "close-delimiter", "transport-padding CRLF before the epilogue");
      if (opening) report(diag_code::bad_multipart, at, "multipart-body", "at least one body part");
      done_ = true;
      return true;
    }
    std::size_t e = at;
    while (e < body_.size() && is_wsp(body_[e])) ++e;
    if (body_.size() - e >= 2 && body_.compare(e, 2, crlf) == 0) {
      pos_ = e + 2;
      return true;
    }
    report(diag_code::bad_multipart, e, opening ? "dash-boundary" : "delimiter",
           "transport-padding CRLF or \"--\" after the boundary (RFC 2046 5.1.1)");
    return false;
  }

  void fill(body_part& p, std::size_t start, std::size_t end) {
    p.header_count = 0;
    p.headers_seen = 0;
    p.offset = base_ + std::uint32_t(start);
    std::string_view content = body_.substr(start, end - start);
    std::size_t hdr_end, body_start;
    if (content.substr(0, 2) == crlf) {
      hdr_end = 0;
      body_start = 2;
    } else {
      std::size_t blank = content.find("\r\n\r\n");
      if (blank == std::string_view::npos) {
        hdr_end = content.size();
        body_start = content.size();
      } else {
        hdr_end = blank;
        body_start = blank + 4;
      }
    }
    p.raw_headers = content.substr(0, hdr_end);
    p.body = content.substr(body_start);
    p.body_offset = base_ + std::uint32_t(start + body_start);
    headers(p, start);
  }

  // MIME-part-headers (RFC 2045 3, RFC 822 3.2): field-name ":" value, folded lines start
  // with WSP.
  void headers(body_part& p, std::size_t start) {
    std::string_view h = p.raw_headers;
    std::size_t i = 0;
    while (i < h.size()) {
      std::size_t eol = h.find(crlf, i);
      std::size_t line_end = eol == std::string_view::npos ? h.size() : eol;
      // fold continuation lines into this field
      while (eol != std::string_view::npos && eol + 2 < h.size() && is_wsp(h[eol + 2])) {
        eol = h.find(crlf, eol + 2);
        line_end = eol == std::string_view::npos ? h.size() : eol;
      }
      std::string_view line = h.substr(i, line_end - i);
      std::size_t colon = line.find(':');
      bool ok = colon != std::string_view::npos && colon > 0;
      for (std::size_t k = 0; ok && k < colon; ++k) {
        unsigned char c = static_cast<unsigned char>(line[k]);
        ok = c > 0x20 && c < 0x7F;
      }
      if (!ok) {
        report(diag_code::bad_multipart, start + i, "MIME-part-headers", "field-name \":\" value");
      } else {
        ++p.headers_seen;
        if (p.header_count < body_part::max_headers) {
          p.headers[p.header_count++] =
              mime_header{line.substr(0, colon), trim(line.substr(colon + 1)), base_ + std::uint32_t(start + i)};
        }
      }
      i = line_end + 2;
    }
  }

  std::string_view body_;
  std::string_view boundary_;
  std::vector<diagnostic>& diags_;
  std::uint32_t base_;
  std::size_t pos_ = 0;
  bool done_ = false;
  bool error_ = false;
  unsigned added_ = 0;
};

std::string_view type_subtype(std::string_view ct) noexcept {
  return trim(ct.substr(0, ct.find(';')));
}

bool find_sdp(std::string_view body, std::string_view boundary, sdp_part& out,
              std::vector<diagnostic>& diags, std::uint32_t base, unsigned levels) {
  if (levels == 0) {
    diags.push_back(diagnostic{diag_code::multipart_too_deep, severity::error, base, 0, "multipart",
                               "at most limits::max_multipart_depth nested multipart bodies"});
    return false;
  }
  reader r(body, boundary, diags, base);
  if (!r.start()) return false;
  body_part p;
  while (r.next(p)) {
    if (p.is("application/sdp")) {
      out = sdp_part{p.body, p.body_offset};
      return true;
    }
    std::string_view ts = type_subtype(p.content_type());
    if (ts.size() > 10 && ieq(ts.substr(0, 10), "multipart/")) {
      std::string_view b = multipart_boundary(p.content_type());
      if (b.empty()) {
        diags.push_back(diagnostic{diag_code::bad_multipart, severity::error, p.offset, 0, "Content-Type",
                                   "boundary parameter of a multipart type (RFC 2046 5.1.1)"});
        continue;
      }
      if (find_sdp(p.body, b, out, diags, p.body_offset, levels - 1)) return true;
    }
  }
  return false;
}

}  // namespace

std::string_view body_part::header(std::string_view name) const noexcept {
  for (std::size_t i = 0; i < header_count; ++i)
    if (ieq(headers[i].name, name)) return headers[i].value;
  return {};
}

std::string_view body_part::content_type() const noexcept {
  std::string_view ct = header("Content-Type");
  return ct.empty() ? std::string_view("text/plain") : ct;
}

bool body_part::is(std::string_view ts) const noexcept { return ieq(type_subtype(content_type()), ts); }

std::string_view multipart_boundary(std::string_view ct) noexcept {
  std::size_t i = ct.find(';');
  while (i != std::string_view::npos && i < ct.size()) {
    ++i;  // past ';'
    while (i < ct.size() && is_wsp(ct[i])) ++i;
    std::size_t eq = i;
    while (eq < ct.size() && ct[eq] != '=' && ct[eq] != ';') ++eq;
    std::string_view name = trim(ct.substr(i, eq - i));
    if (eq >= ct.size() || ct[eq] == ';') {
      i = eq;
      continue;
    }
    std::size_t v = eq + 1;
    while (v < ct.size() && is_wsp(ct[v])) ++v;
    std::size_t vend;
    if (v < ct.size() && ct[v] == '"') {
      vend = v + 1;
      while (vend < ct.size() && ct[vend] != '"') vend += ct[vend] == '\\' ? 2 : 1;
      vend = std::min(vend + 1, ct.size());
    } else {
      vend = v;
      while (vend < ct.size() && ct[vend] != ';' && !is_wsp(ct[vend])) ++vend;
    }
    if (ieq(name, "boundary")) return unquote_boundary(ct.substr(v, vend - v));
    i = ct.find(';', vend);
  }
  return {};
}

status parse_multipart(std::string_view body, std::string_view boundary_param,
                       std::vector<body_part>& parts, std::vector<diagnostic>& diags,
                       std::uint32_t base_offset, unsigned depth_limit) noexcept {
  if (depth_limit == 0) {
    diags.push_back(diagnostic{diag_code::multipart_too_deep, severity::error, base_offset, 0, "multipart",
                               "at most limits::max_multipart_depth nested multipart bodies"});
    return status::malformed;
  }
  reader r(body, boundary_param, diags, base_offset);
  if (!r.start()) return status::malformed;
  constexpr std::size_t max_parts = 256;  // bound on a hostile body
  std::size_t n = 0;
  body_part p;
  while (r.next(p)) {
    if (++n > max_parts) {
      r.report(diag_code::bad_multipart, p.offset - base_offset, "multipart-body", "at most 256 body parts");
      break;
    }
    parts.push_back(p);
  }
  return r.error() ? status::malformed : status::ok;
}

bool find_sdp_part(std::string_view body, std::string_view boundary_param, sdp_part& out,
                   std::vector<diagnostic>& diags, std::uint32_t base_offset, unsigned depth_limit) noexcept {
  return find_sdp(body, boundary_param, out, diags, base_offset, depth_limit);
}

}  // namespace sipscope::parser
