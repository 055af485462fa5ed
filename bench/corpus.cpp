// Loading benchmark inputs and cutting them into messages (Content-Length framing).
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "bench.hpp"

namespace sipscope::bench {
namespace {

namespace fs = std::filesystem;

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error(p.string() + ": cannot open");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct cut {
  std::size_t begin = 0, end = 0, header_lines = 0;
};

// Cuts `data` into messages. Only what framing needs is parsed here: the end of the header
// section and Content-Length ("l" compact form included, RFC 3261 20.14).
std::vector<cut> frame(std::string_view data, const std::string& file) {
  std::vector<cut> out;
  std::size_t pos = 0;
  for (;;) {
    // RFC 3261 7.5: CRLFs before a start line (keep-alives on streams) are skipped.
    while (pos < data.size() && (data[pos] == '\r' || data[pos] == '\n')) ++pos;
    if (pos >= data.size()) break;
    std::size_t line = pos, lines = 0;
    long long content_length = -1;
    std::size_t body = std::string_view::npos;
    bool first = true;
    while (line < data.size()) {
      std::size_t eol = data.find('\n', line);
      if (eol == std::string_view::npos)
        throw std::runtime_error(file + ": offset " + std::to_string(pos) + ": header section not terminated");
      std::string_view l = data.substr(line, eol - line);
      if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
      if (l.empty()) { body = eol + 1; break; }
      if (!first && (l.front() == ' ' || l.front() == '\t')) { line = eol + 1; continue; }  // folding
      if (!first) {
        ++lines;
        std::size_t colon = l.find(':');
        if (colon != std::string_view::npos) {
          std::string_view name = trim(l.substr(0, colon));
          if (iequal(name, "Content-Length") || iequal(name, "l")) {
            std::string_view v = trim(l.substr(colon + 1));
            if (v.empty() || !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }))
              throw std::runtime_error(file + ": offset " + std::to_string(line) + ": bad Content-Length");
            content_length = std::stoll(std::string(v));
          }
        }
      }
      first = false;
      line = eol + 1;
    }
    if (body == std::string_view::npos)
      throw std::runtime_error(file + ": offset " + std::to_string(pos) + ": header section not terminated");
    std::size_t end;
    if (content_length >= 0) {
      end = body + static_cast<std::size_t>(content_length);
      if (end > data.size())
        throw std::runtime_error(file + ": offset " + std::to_string(pos) + ": body shorter than Content-Length " +
                                 std::to_string(content_length));
    } else if (out.empty()) {
      end = data.size();  // a lone datagram without Content-Length: the rest is its body
    } else {
      throw std::runtime_error(file + ": offset " + std::to_string(pos) +
                               ": no Content-Length in a file of several messages");
    }
    out.push_back({pos, end, lines});
    if (content_length < 0) break;
    pos = end;
  }
  if (out.empty()) throw std::runtime_error(file + ": no SIP message");
  return out;
}

}  // namespace

std::size_t message_set::bytes() const noexcept {
  std::size_t n = 0;
  for (const auto& m : messages) n += m.text.size();
  return n;
}

std::vector<std::string_view> message_set::views() const {
  std::vector<std::string_view> v;
  v.reserve(messages.size());
  for (const auto& m : messages) v.push_back(m.text);
  return v;
}

message_set load_messages(const std::vector<std::string>& paths) {
  std::vector<fs::path> files;
  for (const auto& p : paths) {
    fs::path path = fs::path(p).lexically_normal();  // "bench/../corpus" reads as "corpus"
    if (fs::is_directory(path)) {
      std::vector<fs::path> in_dir;
      for (const auto& e : fs::directory_iterator(path))
        if (e.is_regular_file() && e.path().extension() == ".sip") in_dir.push_back(e.path());
      std::sort(in_dir.begin(), in_dir.end());
      if (in_dir.empty()) throw std::runtime_error(p + ": no *.sip file in this directory");
      files.insert(files.end(), in_dir.begin(), in_dir.end());
    } else {
      files.push_back(path);
    }
  }

  message_set set;
  std::vector<std::pair<std::string, std::vector<cut>>> loaded;
  std::vector<std::string> contents;
  for (const auto& f : files) {
    contents.push_back(read_file(f));
    loaded.emplace_back(f.string(), frame(contents.back(), f.string()));
    set.files.push_back(f.string());
  }
  // One arena, sized first: the views stay valid and the messages sit together in memory,
  // as they would in a capture buffer.
  std::size_t total = 0;
  for (std::size_t i = 0; i < loaded.size(); ++i)
    for (const auto& c : loaded[i].second) total += c.end - c.begin;
  set.arena.reserve(total);
  std::vector<std::pair<std::size_t, std::size_t>> spans;
  for (std::size_t i = 0; i < loaded.size(); ++i) {
    const auto& cuts = loaded[i].second;
    for (std::size_t k = 0; k < cuts.size(); ++k) {
      std::size_t at = set.arena.size();
      set.arena.append(contents[i], cuts[k].begin, cuts[k].end - cuts[k].begin);
      spans.emplace_back(at, cuts[k].end - cuts[k].begin);
      std::string source = loaded[i].first;
      // append() rather than "#" + to_string(): GCC 12 warns falsely (-Wrestrict, PR 105329).
      if (cuts.size() > 1) source.append(1, '#').append(std::to_string(k + 1));
      set.messages.push_back({{}, std::move(source), cuts[k].header_lines});
    }
  }
  for (std::size_t i = 0; i < spans.size(); ++i)
    set.messages[i].text = std::string_view(set.arena).substr(spans[i].first, spans[i].second);
  return set;
}

}  // namespace sipscope::bench
