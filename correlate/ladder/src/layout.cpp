// The ladder's layout (layout.hpp): columns in order of first appearance (the reader's eye goes
// left to right with the call, as in Wireshark's Flow Sequence and sngrep), rows in capture
// order, RTP bands placed on the columns that share the streams' IPs.
#include "sipscope/ladder/layout.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <map>

namespace sipscope::ladder {

arrow_kind kind_of(const cr::message_entry& m) noexcept {
  if (m.request) return arrow_kind::request;
  if (m.status < 200) return arrow_kind::provisional;
  if (m.status < 300) return arrow_kind::success;
  if (m.status < 400) return arrow_kind::redirect;
  return arrow_kind::failure;
}

std::string arrow_label(const cr::message_entry& m) {
  std::string s = m.request ? m.method : m.summary;
  s += " CSeq ";
  s += std::to_string(m.cseq);
  return s;
}

std::string time_label(cr::timestamp_ns t, cr::timestamp_ns t0, time_axis a) {
  char buf[48];
  if (a == time_axis::relative) {
    std::snprintf(buf, sizeof buf, "+%lldms", static_cast<long long>(capture::elapsed(t, t0) / 1'000'000));
    return buf;
  }
  std::int64_t ms = t / 1'000'000;
  std::int64_t sec = ms / 1000;
  std::int64_t frac = ms % 1000;
  if (frac < 0) {
    frac += 1000;
    --sec;
  }
  const auto tt = static_cast<std::time_t>(sec);
  std::tm tm{};
  if (!gmtime_r(&tt, &tm)) return "?";
  std::snprintf(buf, sizeof buf, "%02d:%02d:%02d.%03lld", tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(frac));
  return buf;
}

namespace {

std::string band_label(const cr::stream_info& s) {
  char buf[160];
  std::string codec = s.codec.empty() ? "PT " + std::to_string(s.payload_type) : s.codec;
  std::snprintf(buf, sizeof buf, " %llu pkts, loss %.1f %%, jitter %.1f ms", static_cast<unsigned long long>(s.packets),
                s.lost_percent(), s.mean_jitter_ms);
  codec += buf;
  if (s.mos > 0) {
    std::snprintf(buf, sizeof buf, ", MOS %.2f", s.mos);
    codec += buf;
  }
  return codec;
}

}  // namespace

layout build(const std::vector<const cr::record*>& records, const options& o) {
  layout l;
  l.records = records;
  struct item {
    std::size_t rec;
    const cr::message_entry* m;
  };
  std::vector<item> ms;
  for (std::size_t i = 0; i < records.size(); ++i)
    for (const cr::message_entry& m : records[i]->messages) ms.push_back({i, &m});
  // Capture order; equal times (a capture's µs resolution) by where they are in the files.
  std::stable_sort(ms.begin(), ms.end(), [](const item& a, const item& b) {
    if (a.m->time != b.m->time) return a.m->time < b.m->time;
    if (a.m->frame.file != b.m->frame.file) return a.m->frame.file < b.m->frame.file;
    return a.m->frame.number < b.m->frame.number;
  });
  auto alias_of = [&](const cr::endpoint& e, bool port_known) {
    std::string name;
    const std::string full = e.to_string(), ip = e.ip.to_string();
    if (port_known)
      for (const auto& [k, n] : o.aliases)
        if (k == full) name = n;
    if (name.empty())
      for (const auto& [k, n] : o.aliases)
        if (k == ip) name = n;
    return name;
  };
  auto host = [&](const cr::endpoint& e) {
    for (std::size_t i = 0; i < l.columns.size(); ++i)
      if (l.columns[i].host == e) return i;
    column c;
    c.host = e;
    c.alias = alias_of(e, true);
    l.columns.push_back(std::move(c));
    return l.columns.size() - 1;
  };
  l.rows.reserve(ms.size());
  for (const item& it : ms) {
    const cr::message_entry& m = *it.m;
    row r;
    r.record = it.rec;
    r.message = &m;
    r.from = host(m.src);
    r.to = host(m.dst);
    r.kind = kind_of(m);
    r.label = arrow_label(m);
    if (!m.sdp.empty()) r.sdp_badge = "SDP " + m.sdp;
    else if (m.has_sdp) r.sdp_badge = "SDP";
    r.retransmission = m.retransmission;
    r.diagnostics = m.errors > 0 || m.warnings > 0;
    if (l.columns[r.from].user_agent.empty() && !m.user_agent.empty()) l.columns[r.from].user_agent = m.user_agent;
    l.any_retransmission |= m.retransmission;
    l.rows.push_back(std::move(r));
  }
  if (!ms.empty()) l.t0 = ms.front().m->time;

  // RTP bands: a stream's ends are media addresses (other ports than SIP's): the column of a
  // SIP host with the same IP stands for it, the first such column (a host's SIP port).
  auto media_column = [&](const cr::endpoint& e) -> std::size_t {
    for (std::size_t i = 0; i < l.columns.size(); ++i)
      if (l.columns[i].host.ip == e.ip) return i;
    if (!o.media_columns) return npos;
    column c;
    c.host = e;
    c.host.port = 0;   // media-only: the IP stands for every port
    c.alias = alias_of(e, false);
    c.media_only = true;
    l.columns.push_back(std::move(c));
    return l.columns.size() - 1;
  };
  std::map<std::pair<std::size_t, std::size_t>, std::size_t> lanes;
  for (std::size_t i = 0; i < records.size(); ++i)
    for (const cr::stream_info& s : records[i]->streams) {
      const std::size_t a = media_column(s.src), b = media_column(s.dst);
      if (a == npos || b == npos) continue;
      band bd;
      bd.record = i;
      bd.stream = &s;
      bd.from = a;
      bd.to = b;
      bd.lane = lanes[{std::min(a, b), std::max(a, b)}]++;
      bd.label = band_label(s);
      auto first_at_or_after = [&](cr::timestamp_ns t) {
        return static_cast<std::size_t>(
            std::lower_bound(l.rows.begin(), l.rows.end(), t, [](const row& r, cr::timestamp_ns v) { return r.message->time < v; }) -
            l.rows.begin());
      };
      // Rows at or before the start: [0, after_start) (upper_bound: no start + 1 to overflow).
      const std::size_t after_start = static_cast<std::size_t>(
          std::upper_bound(l.rows.begin(), l.rows.end(), s.start,
                           [](cr::timestamp_ns v, const row& r) { return v < r.message->time; }) -
          l.rows.begin());
      bd.row_begin = after_start == 0 ? 0 : after_start - 1;
      const std::size_t end_row = first_at_or_after(s.end);
      bd.row_end = end_row >= l.rows.size() ? npos : end_row;
      bd.bad = s.lost_percent() > 1.0 || s.mean_jitter_ms > 30.0 || (s.mos > 0 && s.mos < 3.6);
      l.bands.push_back(std::move(bd));
    }
  return l;
}

// ---- geometry --------------------------------------------------------------------------------

placement place(const layout& l, const geometry& g) {
  placement p;
  p.column_x.reserve(l.columns.size());
  for (std::size_t i = 0; i < l.columns.size(); ++i) p.column_x.push_back(g.left + static_cast<float>(i) * g.spacing);
  p.row_y.reserve(l.rows.size());
  std::vector<std::size_t> starting(l.rows.size() + 1, 0);   // bands starting below each row
  for (const band& b : l.bands) ++starting[std::min(b.row_begin, l.rows.size())];
  std::vector<float> band_top(l.rows.size() + 1, 0);
  float y = g.top;
  for (std::size_t i = 0; i < l.rows.size(); ++i) {
    const row& r = l.rows[i];
    p.row_y.push_back(y);
    y += g.row_height + (r.sdp_badge.empty() ? 0.0f : g.sdp_extra);
    band_top[i] = y - g.row_height / 2;
    y += g.band_extra * static_cast<float>(starting[i]);
  }
  band_top[l.rows.size()] = y;
  std::vector<std::size_t> placed(l.rows.size() + 1, 0);
  for (const band& b : l.bands) {
    const std::size_t i = std::min(b.row_begin, l.rows.size());
    p.band_y.push_back(band_top[i] + g.band_extra * static_cast<float>(placed[i]++));
  }
  p.height = y;
  p.width = g.left + static_cast<float>(l.columns.empty() ? 0 : l.columns.size() - 1) * g.spacing + g.spacing / 2;
  return p;
}

float placement::y_at(const layout& l, cr::timestamp_ns t) const noexcept {
  if (row_y.empty()) return 0;
  auto it = std::lower_bound(l.rows.begin(), l.rows.end(), t,
                             [](const row& r, cr::timestamp_ns v) { return r.message->time < v; });
  if (it == l.rows.begin()) return row_y.front();
  if (it == l.rows.end()) return row_y.back();
  const std::size_t i = static_cast<std::size_t>(it - l.rows.begin());
  const cr::timestamp_ns t1 = l.rows[i - 1].message->time, t2 = l.rows[i].message->time;
  if (t2 <= t1) return row_y[i];
  // Capture times can be anything (hostile files): differences saturate, never overflow.
  const double f = static_cast<double>(capture::elapsed(t, t1)) / static_cast<double>(capture::elapsed(t2, t1));
  return row_y[i - 1] + static_cast<float>(f) * (row_y[i] - row_y[i - 1]);
}

std::size_t placement::first_row_below(float y) const noexcept {
  return static_cast<std::size_t>(std::lower_bound(row_y.begin(), row_y.end(), y) - row_y.begin());
}

std::size_t placement::row_at(float y, float row_height) const noexcept {
  if (row_y.empty()) return npos;
  std::size_t i = first_row_below(y);
  std::size_t best = npos;
  float dist = row_height / 2;
  for (std::size_t j : {i == 0 ? npos : i - 1, i}) {
    if (j == npos || j >= row_y.size()) continue;
    const float d = row_y[j] > y ? row_y[j] - y : y - row_y[j];
    if (d <= dist) {
      dist = d;
      best = j;
    }
  }
  return best;
}

std::size_t mark_evidence(layout& l, const std::vector<evidence_mark>& marks) {
  std::size_t unplaced = 0;
  auto same = [](const cr::frame_ref& a, const cr::frame_ref& b) { return a.number && a.number == b.number && a.file == b.file; };
  for (const evidence_mark& k : marks) {
    bool placed = false;
    for (row& r : l.rows) {
      if (r.record != k.record || !r.message) continue;
      bool hit = same(r.message->frame, k.frame);
      for (const cr::frame_ref& p : r.message->pieces) hit |= same(p, k.frame);
      if (!hit) continue;
      placed = true;
      if (r.evidence) continue;   // the first step that cites it speaks for it
      r.evidence = true;
      r.evidence_rule = k.rule;
      r.evidence_what = k.what;
    }
    for (band& b : l.bands) {
      if (b.record != k.record || !b.stream || !same(b.stream->first_frame, k.frame)) continue;
      placed = true;
      if (b.evidence) continue;
      b.evidence = true;
      b.evidence_rule = k.rule;
      b.evidence_what = k.what;
    }
    unplaced += placed ? 0 : 1;
  }
  return unplaced;
}

}  // namespace sipscope::ladder
