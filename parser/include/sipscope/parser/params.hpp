// Zero-copy parameter lists.
//
// A parameter list is kept as the raw text the grammar already validated (";a=b;c" for URI
// and header parameters, "a=b&c=d" for URI headers, "a=b, c=d" for auth parameters) and is
// split on demand. Splitting a validated list needs no grammar: only quoted strings (header
// parameters, auth parameters) can hide a separator, and the iterator skips over them.
// The views point into the caller's buffer; they live as long as it does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>

namespace sipscope::parser {

struct param {
  std::string_view name;
  std::string_view value;   // raw text (quotes and %HH escapes kept); empty when !has_value
  bool has_value = false;
};

// Case-insensitive ASCII comparison (SIP tokens, parameter names, header names).
inline bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    unsigned char x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
    if (x == y) continue;
    unsigned char lx = x | 0x20;
    if (lx != (y | 0x20) || lx < 'a' || lx > 'z') return false;
  }
  return true;
}

// Removes surrounding double quotes and resolves quoted-pair escapes ("a\"b" -> a"b).
std::string unquote(std::string_view quoted);
// Decodes %HH escapes (RFC 3261 25.1 "escaped"); a '%' not followed by two hex digits is kept.
std::string unescape(std::string_view escaped);

class param_list {
 public:
  constexpr param_list() = default;
  // raw: the list text starting at the first element (separator before it already skipped).
  constexpr param_list(std::string_view raw, char sep) : raw_(raw), sep_(sep) {}

  class iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = param;
    using difference_type = std::ptrdiff_t;
    using pointer = const param*;
    using reference = const param&;
    iterator() = default;
    iterator(std::string_view rest, char sep) : rest_(rest), sep_(sep), end_(false), more_(true) { next(); }
    reference operator*() const { return cur_; }
    pointer operator->() const { return &cur_; }
    iterator& operator++() { next(); return *this; }
    iterator operator++(int) { auto t = *this; next(); return t; }
    friend bool operator==(const iterator& a, const iterator& b) {
      return a.end_ == b.end_ && (a.end_ || (a.rest_.data() == b.rest_.data() && a.more_ == b.more_));
    }
   private:
    void next();
    std::string_view rest_;
    char sep_ = ';';
    bool end_ = true;
    bool more_ = false;   // an element is left in rest_
    param cur_{};
  };

  iterator begin() const { return raw_.empty() ? iterator() : iterator(raw_, sep_); }
  iterator end() const { return iterator(); }
  bool empty() const { return raw_.empty(); }
  std::size_t size() const;
  std::string_view raw() const { return raw_; }
  char separator() const { return sep_; }
  // First parameter with this name (case-insensitive), if any.
  std::optional<param> find(std::string_view name) const;
  bool has(std::string_view name) const { return find(name).has_value(); }

 private:
  std::string_view raw_;
  char sep_ = ';';
};

}  // namespace sipscope::parser
