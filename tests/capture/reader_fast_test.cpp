// The pcap fast path (reader_limits::pcap_fast_path) against libpcap reading every record:
// the same records (offset, number, time, lengths, bytes, link type) and the same diagnostics,
// on every corpus capture and on files made to leave the fast path in each way it can. And the
// pcapng block reader reading ahead (reader_limits::pcapng_read_ahead) against it reading each
// block's bytes exactly: the same records and diagnostics, on corpus and mutated captures.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "pcap_writer.hpp"
#include "sipscope/capture/reader.hpp"

namespace cap = sipscope::capture;
namespace fs = std::filesystem;
using sipscope::test::pcap_writer;
using sipscope::test::pcapng_writer;

namespace {

struct diag_log : cap::handler {
  std::vector<std::string> lines;
  void on_diag(const cap::diag_event& e) override {
    lines.push_back(std::string(cap::to_string(e.kind)) + " " + std::to_string(e.frame.number) + "@" +
                    std::to_string(e.frame.offset) + " " + std::to_string(e.byte_offset) + " " + std::string(e.what));
  }
};

// Everything read from `path`, one line per record or diagnostic, in order.
std::vector<std::string> read_all(const std::string& path, const cap::reader_limits& lim) {
  cap::reader rd;
  diag_log d;
  std::vector<std::string> out;
  if (rd.open_file(path, 0, d, lim)) {
    cap::record r;
    while (rd.next(r, d)) {
      std::string l = "rec " + std::to_string(r.frame.number) + "@" + std::to_string(r.frame.offset) + " t=" +
                      std::to_string(r.time) + " " + std::to_string(r.caplen) + "/" + std::to_string(r.origlen) +
                      " lt=" + std::to_string(r.linktype) + " | ";
      l.append(reinterpret_cast<const char*>(r.data), r.caplen);
      for (std::string& x : d.lines) out.push_back(std::move(x));
      d.lines.clear();
      out.push_back(std::move(l));
    }
    out.push_back("end at " + std::to_string(rd.position()) + " format " + std::string(rd.format()));
  }
  for (std::string& x : d.lines) out.push_back(std::move(x));
  return out;
}

std::vector<std::string> read_all(const std::string& path, bool fast, std::uint32_t max_record = 256 * 1024) {
  cap::reader_limits lim;
  lim.pcap_fast_path = fast;
  lim.max_record = max_record;
  return read_all(path, lim);
}

std::string write_temp(const std::string& name, const std::string& bytes) {
  const fs::path p = fs::temp_directory_path() / ("reader_fast_" + std::to_string(::getpid()) + "_" + name);
  std::ofstream(p, std::ios::binary) << bytes;
  return p.string();
}

void expect_same(const std::string& path, std::uint32_t max_record = 256 * 1024) {
  const auto a = read_all(path, false, max_record), b = read_all(path, true, max_record);
  ASSERT_EQ(a.size(), b.size()) << path;
  for (std::size_t i = 0; i < a.size(); ++i) ASSERT_EQ(a[i], b[i]) << path << " line " << i;
}

// pcapng read ahead (the default) and read exactly; returns the lines (to check what they say).
std::vector<std::string> expect_same_pcapng(const std::string& path, std::uint32_t max_record = 256 * 1024) {
  cap::reader_limits exact, ahead;
  exact.pcapng_read_ahead = 0;
  exact.max_record = ahead.max_record = max_record;
  const auto a = read_all(path, exact), b = read_all(path, ahead);
  EXPECT_EQ(a.size(), b.size()) << path;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    EXPECT_EQ(a[i], b[i]) << path << " line " << i;
    if (a[i] != b[i]) break;
  }
  return b;
}

std::uint64_t xorshift(std::uint64_t& seed) {
  seed ^= seed << 13;
  seed ^= seed >> 7;
  seed ^= seed << 17;
  return seed;
}

// One to four edits past the first `keep` bytes: a byte changed, a byte set to 0xff (a length
// or a time gone large), the file cut, or bytes inserted.
void mutate(std::string& b, std::size_t keep, std::uint64_t& seed) {
  const int edits = 1 + int(xorshift(seed) % 4);
  for (int k = 0; k < edits && b.size() > keep; ++k) {
    const std::size_t at = keep + xorshift(seed) % (b.size() - keep);
    switch (xorshift(seed) % 4) {
      case 0: b[at] = char(xorshift(seed)); break;
      case 1: b[at] = char(0xff); break;
      case 2: b.resize(at); break;
      default: b.insert(at, std::string(1 + xorshift(seed) % 9, char(xorshift(seed)))); break;
    }
  }
}

// A pcapng of several MiB: both byte orders, three interfaces, packet blocks of every kind and
// size (a few above the record limit and one of 1.5 MiB, larger than a read-ahead), and blocks
// that are not packets, so that blocks straddle every read-ahead boundary.
std::string big_pcapng() {
  std::string out;
  std::uint64_t seed = 0x2545f4914f6cdd1dull;
  for (int section = 0; section < 3; ++section) {
    pcapng_writer g(section == 1);
    g.interface(1);
    g.interface(113, 65535, 9);
    g.interface(101, 262144, 0x80 | 20);
    for (int i = 0; i < 6000; ++i) {
      const std::size_t len = i % 1000 == 999 ? 300 * 1024 : 14 + xorshift(seed) % 1500;
      std::string frame(len, char('a' + i % 26));
      if (i % 7 == 3) g.spb(frame);
      else g.epb(std::uint32_t(i % 3), 1'700'000'000'000'000ull + std::uint64_t(i) * 20'000, frame);
      if (i % 500 == 250) g.block(5, std::string(64, 'x'));   // an interface statistics block
    }
    if (section == 2) g.epb(0, 1, std::string(1536 * 1024, 'z'));
    out += g.out;
  }
  return out;
}

}  // namespace

TEST(ReaderFastPath, CorpusCapturesReadAsLibpcapReadsThem) {
  int files = 0;
  const fs::path root = SIPSCOPE_CORPUS_DIR;
  for (const auto& dir : fs::recursive_directory_iterator(root)) {
    if (!dir.is_regular_file()) continue;
    const std::string ext = dir.path().extension().string();
    if (ext != ".pcap" && ext != ".cap") continue;
    expect_same(dir.path().string());
    ++files;
  }
  EXPECT_GT(files, 50);
}

TEST(ReaderFastPath, EveryWayOutOfTheFastPathEndsAsLibpcapSays) {
  const std::string frame(60, 'x'), big(300, 'y');
  std::vector<std::pair<std::string, std::string>> cases;
  for (bool nano : {false, true})
    for (bool be : {false, true}) {
      pcap_writer w(1, nano, be, 200);
      w.add(1'700'000'000'000'000'123, frame).add(1'700'000'001'000'000'000, frame);
      std::string name = std::string(nano ? "ns" : "us") + (be ? "-be" : "-le");
      cases.push_back({name + "-plain", w.out});
      pcap_writer cut = w;
      cut.add(1'700'000'002'000'000'000, big);   // caplen above the snaplen (200)
      cut.add(1'700'000'003'000'000'000, frame);
      cases.push_back({name + "-snaplen", cut.out});
      std::string trunc = w.out + w.out.substr(24, 16 + 20);   // a record cut inside its data
      cases.push_back({name + "-truncated", trunc});
      cases.push_back({name + "-header-cut", w.out + w.out.substr(24, 9)});
    }
  {
    pcap_writer w(1, false, false, 65535);
    w.add(1'700'000'000'000'000'000, frame);
    std::string odd = w.out;
    pcap_writer x(1, false, false, 65535);
    x.add(0, frame);
    std::string rec = x.out.substr(24);
    rec[4] = char(0x40), rec[5] = char(0x42), rec[6] = char(0x0f);   // usec 1 000 000: out of range
    cases.push_back({"usec-range", odd + rec + w.out.substr(24)});
    std::string late = x.out.substr(24);
    late[3] = char(0x90);   // seconds >= 2^31 (libpcap: negative)
    cases.push_back({"seconds-2038", odd + late + w.out.substr(24)});
    std::string huge = x.out.substr(24);
    huge[10] = char(0x10);   // caplen 0x100000 + 60: past the record limit and libpcap's maximum
    cases.push_back({"huge-caplen", odd + huge});
    cases.push_back({"garbage-tail", odd + std::string(7, '\xff')});
  }
  {
    pcap_writer w(1, false, false, 262144);   // records above a smaller --limit
    w.add(1, frame).add(2, big).add(3, frame);
    cases.push_back({"record-limit", w.out});
    for (auto& c : cases) {
      const std::string p = write_temp(c.first, c.second);
      expect_same(p, c.first == "record-limit" ? 100 : 256 * 1024);
      fs::remove(p);
    }
  }
  // (the cases do reach libpcap's diagnostics)
  const std::string p = write_temp("t", cases[2].second);
  const auto lines = read_all(p, true);
  fs::remove(p);
  EXPECT_TRUE(std::any_of(lines.begin(), lines.end(), [](const std::string& l) { return l.starts_with("truncated_file"); }));
}

// Corpus captures with bytes of their record headers and data changed at random (fixed seed):
// every mutant reads the same both ways, whatever it breaks.
TEST(ReaderFastPath, MutatedCapturesReadAsLibpcapReadsThem) {
  std::vector<std::string> sources;
  const fs::path root = SIPSCOPE_CORPUS_DIR;
  for (const char* dir : {"calls", "explain"})
    for (const auto& e : fs::directory_iterator(root / dir))
      if (e.path().extension() == ".pcap") sources.push_back(e.path().string());
  std::sort(sources.begin(), sources.end());
  ASSERT_FALSE(sources.empty());
  std::uint64_t seed = 0x9e3779b97f4a7c15ull;
  int mutants = 0;
  for (int i = 0; i < 300; ++i) {
    std::ifstream in(sources[xorshift(seed) % sources.size()], std::ios::binary);
    std::string b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (b.size() < 64) continue;
    mutate(b, 24, seed);   // (the file header kept: libpcap would refuse the file outright)
    const std::string p = write_temp("mut" + std::to_string(i), b);
    expect_same(p);
    fs::remove(p);
    ++mutants;
  }
  EXPECT_GT(mutants, 250);
}

TEST(PcapngReadAhead, CorpusCapturesReadAsExactReadsDo) {
  int files = 0;
  for (const char* root : {SIPSCOPE_CORPUS_DIR, SIPSCOPE_SHARED_CORPUS_DIR}) {
    std::error_code ec;
    if (!fs::is_directory(root, ec)) continue;
    for (const auto& dir : fs::recursive_directory_iterator(root)) {
      if (!dir.is_regular_file()) continue;
      const std::string name = dir.path().filename().string();
      if (!name.ends_with(".pcapng") && !name.ends_with(".pcapng.gz")) continue;
      const auto lines = expect_same_pcapng(dir.path().string());
      EXPECT_TRUE(std::any_of(lines.begin(), lines.end(), [](const std::string& l) { return l.starts_with("rec "); }))
          << dir.path();
      ++files;
    }
  }
  EXPECT_GE(files, 3);   // corpus/pcap's own three at least
}

TEST(PcapngReadAhead, BlocksAcrossEveryReadAheadBoundary) {
  const std::string bytes = big_pcapng();
  ASSERT_GT(bytes.size(), std::size_t{8} << 20);
  const std::string p = write_temp("big.pcapng", bytes);
  const auto lines = expect_same_pcapng(p);
  // 18 001 packet blocks, of which 16 above the record limit (skipped, each with its
  // diagnostic): 5 enhanced packet blocks of 300 KiB per section and the 1.5 MiB one (the
  // simple packet blocks of 300 KiB are cut at the interface's snaplen instead).
  EXPECT_EQ(std::count_if(lines.begin(), lines.end(), [](const std::string& l) { return l.starts_with("rec "); }),
            18001 - 16);
  EXPECT_EQ(std::count_if(lines.begin(), lines.end(),
                          [](const std::string& l) { return l.find("above the record limit") != std::string::npos ||
                                                            l.find("longer than the record limit") != std::string::npos; }),
            16);
  // The same, gzip-compressed (read through zlib's stream), and cut inside its last block.
  const std::string gzp = p + ".gz";
  gzFile gz = gzopen(gzp.c_str(), "wb");
  ASSERT_TRUE(gz);
  gzwrite(gz, bytes.data(), unsigned(bytes.size()));
  gzclose(gz);
  const auto gz_lines = expect_same_pcapng(gzp);
  ASSERT_EQ(gz_lines.size(), lines.size());
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].starts_with("end at ")) continue;   // where the input ended: in compressed bytes
    ASSERT_EQ(gz_lines[i].substr(0, 80), lines[i].substr(0, 80)) << "line " << i;
    ASSERT_EQ(gz_lines[i], lines[i]) << "line " << i;
  }
  const std::string cut = write_temp("cut.pcapng", bytes.substr(0, bytes.size() - 1000));
  const auto cut_lines = expect_same_pcapng(cut);
  ASSERT_FALSE(cut_lines.empty());
  EXPECT_TRUE(std::any_of(cut_lines.begin(), cut_lines.end(),
                          [](const std::string& l) { return l.find("file ends inside a pcapng block") != std::string::npos; }));
  fs::remove(p);
  fs::remove(gzp);
  fs::remove(cut);
}

// pcapng captures with bytes changed, cut and inserted at random (fixed seed): every mutant
// reads the same both ways, whatever it breaks.
TEST(PcapngReadAhead, MutatedCapturesReadAsExactReadsDo) {
  std::vector<std::string> sources;
  for (const auto& e : fs::directory_iterator(fs::path(SIPSCOPE_CORPUS_DIR) / "pcap"))
    if (e.path().extension() == ".pcapng") {
      std::ifstream in(e.path(), std::ios::binary);
      sources.emplace_back((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    }
  std::sort(sources.begin(), sources.end());
  {
    pcapng_writer g(true);   // big-endian, with a simple packet block
    g.interface(1);
    for (int i = 0; i < 40; ++i) {
      if (i % 5 == 0) g.spb(std::string(60 + i, char(i)));
      else g.epb(0, std::uint64_t(i) * 1000, std::string(60 + i * 3, char(i)));
    }
    sources.push_back(g.out);
  }
  ASSERT_GE(sources.size(), 4u);
  std::uint64_t seed = 0x9e3779b97f4a7c15ull;
  int mutants = 0;
  for (int i = 0; i < 300; ++i) {
    std::string b = sources[xorshift(seed) % sources.size()];
    mutate(b, 8, seed);
    const std::string p = write_temp("ngmut" + std::to_string(i), b);
    expect_same_pcapng(p);
    fs::remove(p);
    ++mutants;
  }
  EXPECT_EQ(mutants, 300);
}
