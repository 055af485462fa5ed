// Zero-copy parameter lists and the text helpers of params.hpp.
#include "sipscope/parser/params.hpp"

#include <algorithm>
#include <cctype>

namespace sipscope::parser {

std::string unquote(std::string_view q) {
  if (q.size() >= 2 && q.front() == '"' && q.back() == '"') q = q.substr(1, q.size() - 2);
  std::string out;
  out.reserve(q.size());
  for (std::size_t i = 0; i < q.size(); ++i) {
    if (q[i] == '\\' && i + 1 < q.size()) ++i;  // quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F)
    out.push_back(q[i]);
  }
  return out;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hexval(s[i + 1]) * 16 + hexval(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

static std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

// Splits the next element off rest_: up to the separator that is not inside a quoted string
// (nor escaped by a quoted-pair within it), or inside <> (Call-Info style values).
void param_list::iterator::next() {
  if (!more_) {
    end_ = true;
    return;
  }
  std::size_t i = 0;
  bool quoted = false;
  while (i < rest_.size()) {
    char c = rest_[i];
    if (quoted) {
      if (c == '\\') ++i;
      else if (c == '"') quoted = false;
    } else if (c == '"') {
      quoted = true;
    } else if (c == sep_) {
      break;
    }
    ++i;
  }
  std::string_view elem = rest_.substr(0, std::min(i, rest_.size()));
  if (i < rest_.size()) {
    rest_ = rest_.substr(i + 1);
  } else {
    rest_ = std::string_view(rest_.data() + rest_.size(), 0);
    more_ = false;
  }
  std::size_t eq = elem.find('=');
  cur_ = param{};
  if (eq == std::string_view::npos) {
    cur_.name = trim(elem);
  } else {
    cur_.name = trim(elem.substr(0, eq));
    cur_.value = trim(elem.substr(eq + 1));
    cur_.has_value = true;
  }
}

std::size_t param_list::size() const {
  std::size_t n = 0;
  for (auto it = begin(); it != end(); ++it) ++n;
  return n;
}

std::optional<param> param_list::find(std::string_view name) const {
  for (const param& p : *this)
    if (iequals(p.name, name)) return p;
  return std::nullopt;
}

}  // namespace sipscope::parser
