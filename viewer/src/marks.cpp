#include "marks.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <system_error>

namespace sipscope::viewer {

namespace {

// "RTP 192.0.2.1:4000 -> 192.0.2.2:5000 ..." : the stream the finding is about, or nullptr.
const cr::stream_info* stream_of(const cr::record& r, const cr::finding& f) {
  for (const cr::stream_info& s : r.streams) {
    const std::string who = "RTP " + s.src.to_string() + " -> " + s.dst.to_string() + " ";
    if (f.text.compare(0, who.size(), who) == 0) return &s;
  }
  return nullptr;
}

std::size_t column_of(const lad::layout& l, const cr::endpoint& e) {
  for (std::size_t c = 0; c < l.columns.size(); ++c)
    if (l.columns[c].host == e) return c;
  // A media-only column is an IP (port 0 in the layout): match by address.
  for (std::size_t c = 0; c < l.columns.size(); ++c)
    if (l.columns[c].host.ip == e.ip) return c;
  return lad::npos;
}

}  // namespace

std::vector<finding_mark> finding_marks(const lad::layout& l) {
  std::vector<finding_mark> out;
  for (std::size_t ri = 0; ri < l.records.size(); ++ri) {
    const cr::record& r = *l.records[ri];
    for (std::size_t fi = 0; fi < r.findings.size(); ++fi) {
      const cr::finding& f = r.findings[fi];
      finding_mark m;
      m.record = ri;
      m.finding = fi;
      m.time = r.first_time;
      if (const cr::stream_info* s = stream_of(r, f)) {
        m.time = f.kind == "rtp_after_bye" ? s->end : s->start;
        m.column = column_of(l, s->src);
      } else if ((f.kind == "one_way_audio" || f.kind == "no_rtp") && r.times.answer) {
        m.time = *r.times.answer;
      } else if (f.kind == "no_response") {
        for (const cr::message_entry& e : r.messages)
          if (e.request && e.method == "INVITE") m.time = e.time;
      }
      out.push_back(m);
    }
  }
  return out;
}

std::vector<std::size_t> evidence_rows(const lad::layout& l, std::size_t record, const explain::verdict& v) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < l.rows.size(); ++i) {
    const lad::row& row = l.rows[i];
    if (row.record != record) continue;
    for (const explain::evidence& e : v.chain)
      if (e.seen && e.frame.number != 0 && e.frame.number == row.message->frame.number &&
          e.frame.file == row.message->frame.file) {
        out.push_back(i);
        break;
      }
  }
  return out;
}

std::vector<char> evidence_flags(const lad::layout& l, const std::vector<explain::verdict>& verdicts) {
  std::vector<char> out(l.rows.size(), 0);
  for (std::size_t i = 0; i < l.rows.size(); ++i) {
    const lad::row& row = l.rows[i];
    if (row.record >= verdicts.size()) continue;
    for (const explain::evidence& e : verdicts[row.record].chain)
      if (e.seen && e.frame.number != 0 && e.frame.number == row.message->frame.number &&
          e.frame.file == row.message->frame.file) {
        out[i] = 1;
        break;
      }
  }
  return out;
}

std::uint64_t transaction_key(std::size_t record, const cr::message_entry& m) {
  // ACK to a non-2xx belongs to the INVITE's transaction (17.1.1.3), but the row does not say
  // which final it acknowledges: ACK is kept apart, as a 2xx's ACK is.
  std::uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](std::uint64_t v) {
    h ^= v;
    h *= 1099511628211ULL;
  };
  mix(record);
  mix(m.cseq);
  for (char c : m.method) mix(static_cast<unsigned char>(c));
  return h;
}

std::optional<cr::timestamp_ns> parse_time_bound(std::string_view t, cr::timestamp_ns day_of, std::string& error) {
  error.clear();
  while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
  while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
  if (t.empty()) return std::nullopt;
  auto number = [](std::string_view s, double& v) {
    if (s.empty()) return false;
    v = 0;
    double scale = 0;
    for (char c : s) {
      if (c == '.' && scale == 0) {
        scale = 1;
        continue;
      }
      if (c < '0' || c > '9') return false;
      if (scale > 0) {
        scale /= 10;
        v += (c - '0') * scale;
      } else {
        v = v * 10 + (c - '0');
      }
    }
    return v < 1e9;
  };
  constexpr cr::timestamp_ns sec = 1'000'000'000;
  if (t.front() == '+') {
    double s;
    if (!number(t.substr(1), s)) {
      error = "'+SECONDS' expected";
      return std::nullopt;
    }
    return day_of + static_cast<cr::timestamp_ns>(s * 1e9);
  }
  // HH:MM[:SS[.mmm]]
  double parts[3] = {0, 0, 0};
  int n = 0;
  while (n < 3) {
    const auto colon = t.find(':');
    const std::string_view p = t.substr(0, colon);
    if (!number(p, parts[n]) || (n < 2 && p.find('.') != std::string_view::npos)) break;
    ++n;
    if (colon == std::string_view::npos) {
      t = {};
      break;
    }
    t.remove_prefix(colon + 1);
  }
  if (n < 2 || !t.empty() || parts[0] >= 24 || parts[1] >= 60 || parts[2] >= 61) {
    error = "HH:MM[:SS.mmm] (UTC) or +SECONDS expected";
    return std::nullopt;
  }
  const cr::timestamp_ns day = day_of - ((day_of % (86400 * sec)) + 86400 * sec) % (86400 * sec);
  return day + static_cast<cr::timestamp_ns>(parts[0]) * 3600 * sec + static_cast<cr::timestamp_ns>(parts[1]) * 60 * sec +
         static_cast<cr::timestamp_ns>(parts[2] * 1e9);
}

std::vector<dir_entry> list_directory(const std::string& dir, const std::vector<std::string>& exts, std::string& error) {
  namespace fs = std::filesystem;
  std::vector<dir_entry> dirs, files;
  error.clear();
  std::error_code ec;
  fs::directory_iterator it(dir.empty() ? "." : dir, fs::directory_options::skip_permission_denied, ec);
  if (ec) {
    error = dir + ": " + ec.message();
    return {};
  }
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) break;
    const std::string name = it->path().filename().string();
    if (name.empty() || name[0] == '.') continue;
    std::error_code e2;
    if (it->is_directory(e2)) {
      dirs.push_back({name, true, 0});
      continue;
    }
    bool keep = exts.empty();
    for (const std::string& x : exts)
      keep |= name.size() >= x.size() && std::equal(x.rbegin(), x.rend(), name.rbegin(), [](char a, char b) {
                return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
              });
    if (!keep) continue;
    const auto size = it->file_size(e2);
    files.push_back({name, false, e2 ? 0 : static_cast<std::uint64_t>(size)});
  }
  auto by_name = [](const dir_entry& a, const dir_entry& b) { return a.name < b.name; };
  std::sort(dirs.begin(), dirs.end(), by_name);
  std::sort(files.begin(), files.end(), by_name);
  dirs.insert(dirs.end(), files.begin(), files.end());
  return dirs;
}

}  // namespace sipscope::viewer
