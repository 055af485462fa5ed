#include "reread.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "sipscope/capture/pipeline.hpp"
#include "sipscope/media/rtp.hpp"
#include "sipscope/media/stream_stats.hpp"
#include "session.hpp"

#include <sys/stat.h>

namespace sipscope::viewer {

namespace {

// Takes the first SIP message completed by the frame `want` (file, number); stops the pipeline.
class message_catcher : public capture::handler {
 public:
  message_catcher(capture::pipeline& p, std::uint32_t file, std::uint64_t number, raw_message& out)
      : p_(p), file_(file), number_(number), out_(out) {}
  void on_sip(const capture::sip_event& e) override {
    if (out_.found || e.frame.file != file_ || e.frame.number != number_) return;
    out_.found = true;
    out_.bytes.assign(e.bytes);
    p_.stop();
  }

 private:
  capture::pipeline& p_;
  std::uint32_t file_;
  std::uint64_t number_;
  raw_message& out_;
};

std::uint32_t read32(const unsigned char* p, bool swap) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return swap ? __builtin_bswap32(v) : v;
}

// A plain (uncompressed) pcap: a copy of its header and of the records at the frames' offsets,
// as a capture in memory; the pipeline decodes it as it did the whole file. Empty when the
// file is not a plain pcap or an offset does not hold a sane record.
std::string pcap_excerpt(const std::string& path, std::vector<capture::frame_ref> frames) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return {};
  std::string out;
  unsigned char hdr[24];
  bool ok = std::fread(hdr, 1, sizeof hdr, f) == sizeof hdr;
  bool swap = false;
  if (ok) {
    const std::uint32_t magic = read32(hdr, false);
    if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d) swap = false;
    else if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1) swap = true;
    else ok = false;
  }
  if (ok) out.assign(reinterpret_cast<const char*>(hdr), sizeof hdr);
  std::sort(frames.begin(), frames.end(), [](const auto& a, const auto& b) { return a.offset < b.offset; });
  for (const capture::frame_ref& fr : frames) {
    if (!ok) break;
    unsigned char rec[16];
    ok = fr.offset >= 24 && std::fseek(f, static_cast<long>(fr.offset), SEEK_SET) == 0 &&
         std::fread(rec, 1, sizeof rec, f) == sizeof rec;
    if (!ok) break;
    const std::uint32_t caplen = read32(rec + 8, swap);
    ok = caplen <= 256 * 1024;
    if (!ok) break;
    std::string data(caplen, '\0');
    ok = std::fread(data.data(), 1, caplen, f) == caplen;
    out.append(reinterpret_cast<const char*>(rec), sizeof rec);
    out += data;
  }
  std::fclose(f);
  return ok ? out : std::string();
}

}  // namespace

raw_message read_message(const std::vector<std::string>& files, const cr::message_entry& m) {
  raw_message out;
  if (m.frame.file >= files.size()) {
    out.error = "the message's file is not open";
    return out;
  }
  // Fast path: only this message's frames.
  std::vector<capture::frame_ref> frames = m.pieces;
  if (frames.empty()) frames.push_back(m.frame);
  bool same_file = std::all_of(frames.begin(), frames.end(), [&](const auto& f) { return f.file == m.frame.file; });
  if (same_file) {
    std::string mem = pcap_excerpt(files[m.frame.file], frames);
    if (!mem.empty()) {
      if (std::FILE* f = fmemopen(mem.data(), mem.size(), "rb")) {
        capture::pipeline p;
        p.add_stream(f, mem.size());
        // In the excerpt the last frame carries the highest offset; the message is the one
        // its last frame completes, whatever number the excerpt gives it.
        raw_message fast;
        class any_sip : public capture::handler {
         public:
          explicit any_sip(raw_message& r) : r_(r) {}
          void on_sip(const capture::sip_event& e) override {
            r_.found = true;
            r_.bytes.assign(e.bytes);   // the last one wins: the message the frames complete
          }
          raw_message& r_;
        } h(fast);
        p.run(h);
        if (fast.found) {
          fast.fast_path = true;
          return fast;
        }
      }
    }
  }
  // Slow path: every file, in the load's order, up to the frame.
  capture::pipeline p;
  for (const std::string& f : files) p.add_file(f);
  std::string err;
  if (!p.ready(err)) {
    out.error = err;
    return out;
  }
  message_catcher h(p, m.frame.file, m.frame.number, out);
  p.run(h);
  if (!out.found) out.error = "frame " + std::to_string(m.frame.number) + " holds no SIP message any more (file changed?)";
  return out;
}

raw_message read_stored_message(const record_extra& x, const cr::message_entry& m, std::size_t i) {
  raw_message out;
  if (i < x.raw.size() && !x.raw[i].empty()) {
    out.found = true;
    out.bytes = x.raw[i];
    return out;
  }
  const std::vector<std::string> files = x.files ? *x.files : std::vector<std::string>{};
  struct stat st;
  if (m.frame.file >= files.size() || ::stat(files[m.frame.file].c_str(), &st) != 0) {
    out.error = "raw text not stored: the database has no message text (export --with-messages) and the capture " +
                (m.frame.file < files.size() ? files[m.frame.file] : std::string("file")) + " is not there any more";
    return out;
  }
  out = read_message(files, m);
  if (!out.found) out.error = "raw text not stored in the database; re-reading " + files[m.frame.file] + ": " + out.error;
  return out;
}

namespace {

class rtp_catcher : public capture::handler {
 public:
  rtp_catcher(capture::pipeline& p, const cr::stream_info& s) : p_(p), s_(s) {}
  void on_udp(const capture::udp_event& e) override {
    if (!(e.src == s_.src) || !(e.dst == s_.dst)) {
      if (s_.end && capture::elapsed(e.time, s_.end) > 5'000'000'000LL) p_.stop();   // past the stream: done
      return;
    }
    media::rtp_header h;
    if (!media::parse_rtp(e.payload, h) || h.ssrc != s_.ssrc) return;
    a_.add(h, e.time);
    if (first_ == 0) first_ = e.time;
    const media::stream_stats& st = a_.stats();
    rtp_point pt;
    pt.t_s = static_cast<double>(capture::elapsed(e.time, first_)) / 1e9;
    pt.jitter_ms = st.jitter_ms;
    pt.delta_ms = last_ ? static_cast<double>(capture::elapsed(e.time, last_)) / 1e6 : 0;
    pt.lost = st.lost_unique();
    last_ = e.time;
    points.push_back(pt);
  }
  std::vector<rtp_point> points;

 private:
  capture::pipeline& p_;
  const cr::stream_info& s_;
  media::stream_analyser a_;
  capture::timestamp_ns first_ = 0, last_ = 0;
};

}  // namespace

rtp_series read_rtp_series(const std::vector<std::string>& files, const cr::stream_info& s, std::size_t max_points) {
  rtp_series out;
  capture::pipeline p;
  for (const std::string& f : files) p.add_file(f);
  std::string err;
  if (!p.ready(err)) {
    out.error = err;
    return out;
  }
  rtp_catcher h(p, s);
  p.run(h);
  if (h.points.empty()) {
    out.error = "no packet of this stream found in the capture";
    return out;
  }
  if (max_points < 2 || h.points.size() <= max_points) {
    out.points = std::move(h.points);
  } else {
    const double step = static_cast<double>(h.points.size() - 1) / static_cast<double>(max_points - 1);
    for (std::size_t i = 0; i < max_points; ++i)
      out.points.push_back(h.points[static_cast<std::size_t>(static_cast<double>(i) * step)]);
  }
  return out;
}

}  // namespace sipscope::viewer
