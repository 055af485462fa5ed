// Capture inputs: pcap through libpcap, pcapng through our own block reader, gzip through zlib
// (an fopencookie FILE* over gzread, which libpcap accepts), stdin, live interfaces.
#include "sipscope/capture/reader.hpp"

#include <fcntl.h>
#include <pcap/pcap.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>
#include <new>
#include <vector>

namespace sipscope::capture {

namespace {

constexpr std::uint32_t pcapng_shb = 0x0A0D0D0A;
constexpr std::uint32_t pcapng_idb = 1, pcapng_pb = 2, pcapng_spb = 3, pcapng_epb = 6;

std::uint16_t le16(const std::uint8_t* p) { return std::uint16_t(p[0] | p[1] << 8); }
std::uint16_t be16(const std::uint8_t* p) { return std::uint16_t(p[0] << 8 | p[1]); }
std::uint32_t le32(const std::uint8_t* p) {
  return std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 | std::uint32_t(p[3]) << 24;
}
std::uint32_t be32(const std::uint8_t* p) {
  return std::uint32_t(p[3]) | std::uint32_t(p[2]) << 8 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[0]) << 24;
}

// zlib behind a FILE*. gzread passes non-gzip data through unchanged, so stdin goes this way
// whatever it holds. The first bytes, read to classify the input, are served again from
// `prefix`. Seeking is supported only as far as ftell needs (SEEK_CUR 0, or to where we are).
struct gz_cookie {
  gzFile gz = nullptr;
  std::uint8_t prefix[4] = {};
  std::size_t prefix_len = 0, prefix_pos = 0;
  std::uint64_t pos = 0;
};

ssize_t gz_read(void* c, char* buf, std::size_t size) {
  auto* k = static_cast<gz_cookie*>(c);
  std::size_t n = 0;
  while (n < size && k->prefix_pos < k->prefix_len) buf[n++] = char(k->prefix[k->prefix_pos++]);
  if (n < size) {
    unsigned want = unsigned(std::min<std::size_t>(size - n, INT_MAX));
    int got = gzread(k->gz, buf + n, want);
    if (got < 0) return n ? ssize_t(n) : -1;
    n += std::size_t(got);
  }
  k->pos += n;
  return ssize_t(n);
}

int gz_seek(void* c, off64_t* off, int whence) {
  auto* k = static_cast<gz_cookie*>(c);
  if ((whence == SEEK_CUR && *off == 0) || (whence == SEEK_SET && std::uint64_t(*off) == k->pos)) {
    *off = off64_t(k->pos);
    return 0;
  }
  return -1;
}

int gz_close(void* c) {
  auto* k = static_cast<gz_cookie*>(c);
  int rc = gzclose(k->gz) == Z_OK ? 0 : -1;
  delete k;
  return rc;
}

bool is_pcap_magic(std::uint32_t m) {
  switch (m) {
    case 0xa1b2c3d4: case 0xd4c3b2a1:   // µs
    case 0xa1b23c4d: case 0x4d3cb2a1:   // ns
    case 0xa1b2cd34: case 0x34cdb2a1:   // Kuznetzov's modified format: 24-byte record headers
      return true;
  }
  return false;
}

timestamp_ns pcapng_time(std::uint64_t ts, std::uint8_t resol, std::int64_t offset_s) {
  __int128 ns;
  if (resol & 0x80) {
    unsigned k = resol & 0x7f;
    ns = k >= 64 ? 0 : (__int128(ts) * 1000000000) >> k;
  } else {
    unsigned k = resol;
    if (k <= 9) {
      __int128 mul = 1;
      for (unsigned i = k; i < 9; ++i) mul *= 10;
      ns = __int128(ts) * mul;
    } else {
      __int128 div = 1;
      for (unsigned i = 9; i < k && i < 40; ++i) div *= 10;
      ns = __int128(ts) / div;
    }
  }
  ns += __int128(offset_s) * 1000000000;
  if (ns > INT64_MAX) return INT64_MAX;
  if (ns < INT64_MIN) return INT64_MIN;
  return timestamp_ns(ns);
}

}  // namespace

struct reader::impl {
  enum class kind { none, pcap, pcapng, live } k = kind::none;
  std::uint32_t file = 0;
  reader_limits lim;
  std::FILE* f = nullptr;          // pcapng (ours); for pcap libpcap owns it through pc
  gz_cookie* gz = nullptr;         // when the input is read through zlib (for position())
  pcap_t* pc = nullptr;
  std::uint64_t total = 0;
  std::uint64_t next_off = 0;      // offset of the next record / block
  std::uint64_t frames = 0;
  bool done = false;

  // pcap
  std::uint32_t rec_hdr = 16;
  std::uint32_t snapshot = 0;
  int linktype = 0;
  // pcap fast path: a regular file in the usual format (version 2.4, 16-byte record headers)
  // is read with pread() into `fast_buf`, a MiB at a time, and each record is handed out from
  // there: no stdio call and no copy into libpcap's buffer per record (those were most of
  // the reading thread's time in export's two stages). libpcap opened the file and checked its
  // header; the first record that is not plain (cut at the snaplen, above the record limit,
  // a fraction of a second out of range, the end of the file, a truncated record) hands the
  // file back to libpcap at that record's offset, for good, so every diagnostic is libpcap's.
  int fast_fd = -1;
  bool fast_swapped = false, fast_nsec = false;
  std::vector<std::uint8_t> fast_buf;
  std::uint64_t fast_at = 0;      // file offset of fast_buf[0]
  std::size_t fast_len = 0;       // bytes of the file in fast_buf
  bool fast_have(std::uint64_t at, std::size_t n) noexcept;
  bool fast_record(record& r) noexcept;

  // pcapng
  struct iface {
    int linktype = 0;
    std::uint32_t snaplen = 0;
    std::uint8_t tsresol = 6;
    std::int64_t tsoffset = 0;
  };
  bool big = false;
  std::vector<iface> ifaces;
  // The input's bytes from the current block on: buf[ng_pos, ng_end). Read ahead by
  // lim.pcapng_read_ahead (a MiB) where the old reader made two stdio calls per block, each a
  // copy (pcapng took 17% longer than the same packets as pcap, 52 MB file).
  std::vector<std::uint8_t> buf;
  std::size_t ng_pos = 0, ng_end = 0;
  std::size_t ng_ensure(std::size_t n) noexcept;

  // live
  std::atomic<bool> stop{false};

  std::uint16_t r16(const std::uint8_t* p) const { return big ? be16(p) : le16(p); }
  std::uint32_t r32(const std::uint8_t* p) const { return big ? be32(p) : le32(p); }

  void diag(handler& h, diag_kind kd, std::uint64_t off, std::string_view what, bool error = true) {
    diag_event d{kd, error, frame_ref{file, off, 0}, off, what};
    h.on_diag(d);
  }

  // The stdio buffer of a file we open. glibc ignores setvbuf's size when it is not given the
  // buffer itself (it keeps st_blksize, 4 KiB): reading 4 KiB per read() cost more in system
  // calls than all of sipscope's decoding. Freed after the FILE is closed (member order).
  static constexpr std::size_t stdio_buffer_size = 256 * 1024;
  std::unique_ptr<char[]> stdio_buffer;
  void buffer(std::FILE* stream) {
    stdio_buffer.reset(new (std::nothrow) char[stdio_buffer_size]);
    if (stdio_buffer) setvbuf(stream, stdio_buffer.get(), _IOFBF, stdio_buffer_size);
  }

  ~impl() {
    if (pc) pcap_close(pc);   // closes its FILE* too
    else if (f) std::fclose(f);
  }

  bool start(std::FILE* in, const std::uint8_t magic[4], std::size_t magic_len, handler& h);
  bool next_pcap(record& r, handler& h) noexcept;
  [[gnu::cold, gnu::noinline]] int unusual_pcap_record(int rc, const pcap_pkthdr* hdr, const u_char* data,
                                                       record& r, handler& h) noexcept;
  bool next_pcapng(record& r, handler& h) noexcept;
  bool next_live(record& r, handler& h) noexcept;
  bool read_idb(const std::uint8_t* body, std::size_t len);
};

reader::reader() : p_(std::make_unique<impl>()) {}
reader::~reader() = default;
reader::reader(reader&&) noexcept = default;
reader& reader::operator=(reader&&) noexcept = default;

bool reader::open_file(const std::string& path, std::uint32_t file_index, handler& h,
                       const reader_limits& lim) {
  p_ = std::make_unique<impl>();
  p_->file = file_index;
  p_->lim = lim;
  std::uint8_t magic[4] = {};
  std::size_t magic_len = 0;
  std::FILE* f = nullptr;

  auto open_gz = [&](gzFile gz) -> bool {
    if (!gz) return false;
    gzbuffer(gz, 256 * 1024);
    auto* c = new gz_cookie;
    c->gz = gz;
    int n = gzread(gz, c->prefix, sizeof c->prefix);
    c->prefix_len = n > 0 ? std::size_t(n) : 0;
    std::memcpy(magic, c->prefix, c->prefix_len);
    magic_len = c->prefix_len;
    cookie_io_functions_t io{gz_read, nullptr, gz_seek, gz_close};
    f = fopencookie(c, "rb", io);
    if (!f) { gz_close(c); return false; }
    p_->buffer(f);
    p_->gz = c;
    return true;
  };

  if (path == "-") {
    int fd = dup(STDIN_FILENO);
    if (fd < 0 || !open_gz(gzdopen(fd, "rb"))) {
      p_->diag(h, diag_kind::cannot_open, 0, "cannot read standard input");
      return false;
    }
  } else {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st {};
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      if (fd >= 0) ::close(fd);
      p_->diag(h, diag_kind::cannot_open, 0, "cannot open the file (missing, unreadable or not a regular file)");
      return false;
    }
    p_->total = std::uint64_t(st.st_size);
    ssize_t n = pread(fd, magic, sizeof magic, 0);
    magic_len = n > 0 ? std::size_t(n) : 0;
    if (magic_len >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
      if (!open_gz(gzdopen(fd, "rb"))) {
        ::close(fd);
        p_->diag(h, diag_kind::cannot_open, 0, "cannot open the gzip stream");
        return false;
      }
    } else {
      f = fdopen(fd, "rb");
      if (!f) {
        ::close(fd);
        p_->diag(h, diag_kind::cannot_open, 0, "cannot open the file");
        return false;
      }
      p_->buffer(f);
    }
  }
  // A known position makes ftell() cheap (glibc then tracks it without lseek).
  std::fseek(f, 0, SEEK_SET);
  return p_->start(f, magic, magic_len, h);
}

bool reader::open_stream(std::FILE* f, std::uint64_t size, std::uint32_t file_index, handler& h,
                         const reader_limits& lim) {
  p_ = std::make_unique<impl>();
  p_->file = file_index;
  p_->lim = lim;
  p_->total = size;
  std::uint8_t magic[4] = {};
  std::size_t n = std::fread(magic, 1, sizeof magic, f);
  if (std::fseek(f, 0, SEEK_SET) != 0) {
    std::fclose(f);
    p_->diag(h, diag_kind::cannot_open, 0, "stream cannot be rewound");
    return false;
  }
  return p_->start(f, magic, n, h);
}

bool reader::impl::start(std::FILE* in, const std::uint8_t magic[4], std::size_t magic_len, handler& h) {
  f = in;
  if (magic_len < 4) {
    diag(h, magic_len == 0 ? diag_kind::not_a_capture : diag_kind::truncated_file, 0,
         magic_len == 0 ? "empty input" : "file shorter than a capture magic number");
    return false;
  }
  std::uint32_t m = le32(magic);
  if (m == pcapng_shb) {
    k = kind::pcapng;
    return true;
  }
  if (!is_pcap_magic(m)) {
    diag(h, diag_kind::not_a_capture, 0, "not a pcap or pcapng file (unknown magic number)");
    return false;
  }
  char err[PCAP_ERRBUF_SIZE] = {};
  pc = pcap_fopen_offline_with_tstamp_precision(in, PCAP_TSTAMP_PRECISION_NANO, err);
  if (!pc) {
    // libpcap leaves the FILE* to us on failure
    bool cut = std::strstr(err, "truncated") != nullptr;
    diag(h, cut ? diag_kind::truncated_file : diag_kind::not_a_capture, 0,
         cut ? "pcap file header cut" : "pcap file header rejected by libpcap");
    return false;
  }
  f = nullptr;   // owned by pc now
  k = kind::pcap;
  rec_hdr = (m == 0xa1b2cd34 || m == 0x34cdb2a1) ? 24 : 16;
  snapshot = std::uint32_t(pcap_snapshot(pc));
  linktype = pcap_datalink(pc);
  next_off = 24;
  const int fd = fileno(pcap_file(pc));   // -1 for gzip and fmemopen streams
  struct stat st {};
  if (lim.pcap_fast_path && fd >= 0 && rec_hdr == 16 && pcap_major_version(pc) == 2 && pcap_minor_version(pc) == 4 &&
      fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    fast_fd = fd;
    fast_swapped = pcap_is_swapped(pc) != 0;
    fast_nsec = m == 0xa1b23c4d || m == 0x4d3cb2a1;
    fast_buf.resize(std::max<std::size_t>(std::size_t{1} << 20, std::size_t{16} + lim.max_record));
  }
  return true;
}

bool reader::impl::fast_have(std::uint64_t at, std::size_t n) noexcept {
  if (at >= fast_at && at - fast_at <= fast_len && fast_len - (at - fast_at) >= n) return true;
  if (n > fast_buf.size()) return false;
  std::size_t keep = 0;
  if (at >= fast_at && at - fast_at < fast_len) {
    keep = fast_len - std::size_t(at - fast_at);
    std::memmove(fast_buf.data(), fast_buf.data() + (at - fast_at), keep);
  }
  fast_at = at;
  fast_len = keep;
  while (fast_len < fast_buf.size()) {
    const ssize_t got = pread(fast_fd, fast_buf.data() + fast_len, fast_buf.size() - fast_len, off_t(fast_at + fast_len));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    fast_len += std::size_t(got);
  }
  return fast_len >= n;
}

bool reader::impl::fast_record(record& r) noexcept {
  if (!fast_have(next_off, 16)) return false;
  const std::uint8_t* h = fast_buf.data() + (next_off - fast_at);
  auto u32 = [&](const std::uint8_t* q) { return fast_swapped ? be32(q) : le32(q); };
  const std::uint32_t sec = u32(h), frac = u32(h + 4), caplen = u32(h + 8), len = u32(h + 12);
  // (libpcap reads the seconds as a signed 32-bit number: from 2038 on, its way)
  if (caplen >= snapshot || caplen > lim.max_record || frac >= (fast_nsec ? 1000000000u : 1000000u) || sec >= 0x80000000u)
    return false;
  if (!fast_have(next_off, std::size_t{16} + caplen)) return false;
  h = fast_buf.data() + (next_off - fast_at);
  const std::uint64_t off = next_off;
  next_off = off + 16 + caplen;
  r.frame = frame_ref{file, off, ++frames};
  r.data = h + 16;
  r.caplen = caplen;
  r.origlen = len;
  r.time = timestamp_ns(sec) * 1000000000 + (fast_nsec ? timestamp_ns(frac) : timestamp_ns(frac) * 1000);
  r.linktype = linktype;
  return true;
}

bool reader::next(record& r, handler& h) noexcept {
  impl* p = p_.get();
  if (!p || p->done) [[unlikely]] return false;
  if (p->k == impl::kind::pcap) [[likely]] return p->next_pcap(r, h);
  switch (p_->k) {
    case impl::kind::pcap: return p_->next_pcap(r, h);
    case impl::kind::pcapng: return p_->next_pcapng(r, h);
    case impl::kind::live: return p_->next_live(r, h);
    case impl::kind::none: break;
  }
  return false;
}

bool reader::impl::next_pcap(record& r, handler& h) noexcept {
  if (fast_fd >= 0) [[likely]] {
    if (fast_record(r)) [[likely]] return true;
    fast_fd = -1;   // libpcap from here on, from this record
    std::vector<std::uint8_t>().swap(fast_buf);
    if (fseeko(pcap_file(pc), off_t(next_off), SEEK_SET) != 0) {
      diag(h, diag_kind::truncated_file, next_off, "cannot seek back to the record (file changed while read?)");
      done = true;
      return false;
    }
  }
  for (;;) {
    pcap_pkthdr* hdr = nullptr;
    const u_char* data = nullptr;
    int rc = pcap_next_ex(pc, &hdr, &data);
    // The common record, kept apart from the cases that need a diagnostic or the stream
    // position: the wrapper around pcap_next_ex was a sixth of the ingestion's own time.
    if (rc == 1 && hdr->caplen < snapshot && rec_hdr == 16 && hdr->caplen <= lim.max_record) [[likely]] {
      std::uint64_t off = next_off;
      next_off = off + 16 + hdr->caplen;
      r.frame = frame_ref{file, off, ++frames};
      r.data = data;
      r.caplen = hdr->caplen;
      r.origlen = hdr->len;
      r.time = timestamp_ns(hdr->ts.tv_sec) * 1000000000 + hdr->ts.tv_usec;   // ns precision
      r.linktype = linktype;
      return true;
    }
    int got = unusual_pcap_record(rc, hdr, data, r, h);
    if (got >= 0) return got == 1;
  }
}

// What next_pcap does with any other outcome of pcap_next_ex: the end or an error (0), a record
// longer than the snaplen or in the 24-byte header format (1, with the stream position), a
// record above the record limit (-1: skipped, read the next one).
int reader::impl::unusual_pcap_record(int rc, const pcap_pkthdr* hdr, const u_char* data, record& r,
                                      handler& h) noexcept {
  if (rc == PCAP_ERROR_BREAK) { done = true; return 0; }
  if (rc != 1) {
    const char* e = pcap_geterr(pc);
    if (std::strstr(e, "invalid packet capture length"))
      diag(h, diag_kind::bad_record_length, next_off, "record length above the maximum libpcap accepts: rest of the file skipped");
    else
      diag(h, diag_kind::truncated_file, next_off, "file ends inside a record (header or data)");
    done = true;
    return 0;
  }
  std::uint64_t off = next_off;
  std::uint64_t expect = off + rec_hdr + hdr->caplen;
  if (hdr->caplen >= snapshot || rec_hdr != 16) {
    // libpcap cuts a record longer than the file's snaplen to the snaplen and skips the
    // rest: only the stream position tells where the next record starts.
    off64_t e = ftello(pcap_file(pc));
    next_off = e >= 0 ? std::uint64_t(e) : expect;
    if (next_off != expect)
      diag(h, diag_kind::bad_record_length, off, "record longer than the file's snaplen: cut to the snaplen", false);
  } else {
    next_off = expect;
  }
  ++frames;
  r.frame = frame_ref{file, off, frames};
  if (hdr->caplen > lim.max_record) {
    diag_event d{diag_kind::bad_record_length, true, r.frame, 0, "record longer than the record limit: skipped"};
    h.on_diag(d);
    return -1;
  }
  r.data = data;
  r.caplen = hdr->caplen;
  r.origlen = hdr->len;
  r.time = timestamp_ns(hdr->ts.tv_sec) * 1000000000 + hdr->ts.tv_usec;   // ns precision
  r.linktype = linktype;
  return 1;
}

bool reader::impl::read_idb(const std::uint8_t* body, std::size_t len) {
  if (len < 8 || ifaces.size() >= 65536) return false;
  iface i;
  i.linktype = r16(body);
  i.snaplen = r32(body + 4);
  std::size_t p = 8;
  while (p + 4 <= len) {
    std::uint16_t code = r16(body + p), olen = r16(body + p + 2);
    p += 4;
    if (code == 0 || p + olen > len) break;   // opt_endofopt, or an option that overruns
    if (code == 9 && olen >= 1) i.tsresol = body[p];
    if (code == 14 && olen >= 8) {
      std::uint64_t v = std::uint64_t(r32(body + p)) | std::uint64_t(r32(body + p + 4)) << 32;
      if (big) v = std::uint64_t(r32(body + p)) << 32 | r32(body + p + 4);
      i.tsoffset = std::int64_t(v);
    }
    p += (olen + 3u) & ~3u;
  }
  ifaces.push_back(i);
  return true;
}

// Makes at least `n` bytes from the current block's start available in buf (fewer only at the
// end of the input) and returns how many are. The buffer grows with the bytes that really
// arrive (a MiB at a time), not with what a (possibly bogus) block length promises.
std::size_t reader::impl::ng_ensure(std::size_t n) noexcept {
  if (ng_end - ng_pos >= n) return ng_end - ng_pos;
  if (ng_pos) {
    std::memmove(buf.data(), buf.data() + ng_pos, ng_end - ng_pos);
    ng_end -= ng_pos;
    ng_pos = 0;
  }
  while (ng_end < n) {
    const std::size_t chunk = std::min<std::size_t>(std::max<std::size_t>(n - ng_end, lim.pcapng_read_ahead), 1u << 20);
    if (buf.size() < ng_end + chunk) {
      try {
        buf.resize(ng_end + chunk);
      } catch (...) {
        break;   // (as the end of the input: the block is reported cut short)
      }
    }
    const std::size_t got = std::fread(buf.data() + ng_end, 1, chunk, f);
    ng_end += got;
    if (got < chunk) break;   // the end of the input (or a read error)
  }
  return ng_end;
}

bool reader::impl::next_pcapng(record& r, handler& h) noexcept {
  for (;;) {
    const std::uint64_t off = next_off;
    std::size_t n = ng_ensure(8);
    if (n == 0) { done = true; return false; }
    if (n < 8) {
      diag(h, diag_kind::truncated_file, off, "file ends inside a pcapng block header");
      done = true;
      return false;
    }
    const std::uint8_t* hdr = buf.data() + ng_pos;
    std::uint32_t type = r32(hdr);
    std::size_t have = 8;
    if (le32(hdr) == pcapng_shb) {
      // the byte-order magic that follows says how to read this section, length included
      if (ng_ensure(12) < 12) {
        diag(h, diag_kind::truncated_file, off, "file ends inside a section header block");
        done = true;
        return false;
      }
      hdr = buf.data() + ng_pos;
      have = 12;
      if (le32(hdr + 8) == 0x1A2B3C4D) big = false;
      else if (be32(hdr + 8) == 0x1A2B3C4D) big = true;
      else {
        diag(h, diag_kind::not_a_capture, off, "section header block with an unknown byte-order magic");
        done = true;
        return false;
      }
      type = pcapng_shb;
      ifaces.clear();
    }
    std::uint32_t total = r32(hdr + 4);
    if (total < 12 || total % 4 != 0 || total > lim.max_block || total < have + 4) {
      diag(h, diag_kind::bad_record_length, off, "pcapng block length invalid: rest of the file skipped");
      done = true;
      return false;
    }
    if (ng_ensure(total) < total) {
      diag(h, diag_kind::truncated_file, off, "file ends inside a pcapng block");
      done = true;
      return false;
    }
    const std::uint8_t* block = buf.data() + ng_pos;
    ng_pos += total;
    next_off = off + total;
    if (r32(block + total - 4) != total) {
      diag(h, diag_kind::bad_record_length, off, "pcapng block: trailing length differs: rest of the file skipped");
      done = true;
      return false;
    }
    const std::uint8_t* body = block + 8;
    std::size_t blen = total - 12;
    auto bad = [&](std::string_view what) {
      ++frames;
      diag_event d{diag_kind::bad_record_length, true, frame_ref{file, off, frames}, 0, what};
      h.on_diag(d);
    };
    std::uint32_t ifid = 0, caplen = 0, origlen = 0;
    std::uint64_t ts = 0;
    const std::uint8_t* data = nullptr;
    bool has_time = true;
    switch (type) {
      case pcapng_shb:
        continue;
      case pcapng_idb:
        if (!read_idb(body, blen))
          diag(h, diag_kind::bad_link_header, off, "interface description block invalid: ignored");
        continue;
      case pcapng_epb:
      case pcapng_pb:
        if (blen < 20) { bad("packet block shorter than its fixed fields"); continue; }
        ifid = type == pcapng_epb ? r32(body) : r16(body);
        ts = std::uint64_t(r32(body + 4)) << 32 | r32(body + 8);
        caplen = r32(body + 12);
        origlen = r32(body + 16);
        data = body + 20;
        if (caplen > blen - 20) { bad("packet block: captured length beyond the block"); continue; }
        break;
      case pcapng_spb:
        if (blen < 4) { bad("simple packet block shorter than its fixed field"); continue; }
        origlen = r32(body);
        caplen = std::min<std::uint32_t>(origlen, std::uint32_t(blen - 4));
        if (!ifaces.empty() && ifaces[0].snaplen) caplen = std::min(caplen, ifaces[0].snaplen);
        data = body + 4;
        has_time = false;
        break;
      default:
        continue;   // NRB, ISB, DSB, custom...: not packets
    }
    if (ifid >= ifaces.size()) { bad("packet of an interface that no IDB declared"); continue; }
    if (caplen > lim.max_record) { bad("record longer than the record limit: skipped"); continue; }
    const iface& i = ifaces[ifid];
    ++frames;
    r.frame = frame_ref{file, off, frames};
    r.data = data;
    r.caplen = caplen;
    r.origlen = origlen;
    r.time = has_time ? pcapng_time(ts, i.tsresol, i.tsoffset) : 0;
    r.linktype = i.linktype;
    return true;
  }
}

bool reader::open_live(const std::string& iface, const live_options& o, std::uint32_t file_index,
                       std::string& error) {
  p_ = std::make_unique<impl>();
  p_->file = file_index;
  char err[PCAP_ERRBUF_SIZE] = {};
  pcap_t* pc = pcap_create(iface.c_str(), err);
  if (!pc) { error = err; return false; }
  pcap_set_snaplen(pc, o.snaplen);
  pcap_set_promisc(pc, o.promisc ? 1 : 0);
  pcap_set_timeout(pc, o.timeout_ms);
  if (o.buffer_size > 0) pcap_set_buffer_size(pc, o.buffer_size);
  pcap_set_tstamp_precision(pc, PCAP_TSTAMP_PRECISION_NANO);
  int rc = pcap_activate(pc);
  if (rc < 0) {
    error = pcap_geterr(pc);
    if (error.empty()) error = pcap_statustostr(rc);
    pcap_close(pc);
    return false;
  }
  p_->pc = pc;
  p_->k = impl::kind::live;
  p_->linktype = pcap_datalink(pc);
  return true;
}

bool reader::impl::next_live(record& r, handler&) noexcept {
  for (;;) {
    if (stop.load(std::memory_order_relaxed)) { done = true; return false; }
    pcap_pkthdr* hdr = nullptr;
    const u_char* data = nullptr;
    int rc = pcap_next_ex(pc, &hdr, &data);
    if (rc == 0) continue;   // timeout: look at the stop flag again
    if (rc != 1) { done = true; return false; }
    ++frames;
    r.frame = frame_ref{file, 0, frames};
    r.data = data;
    r.caplen = hdr->caplen;
    r.origlen = hdr->len;
    r.time = timestamp_ns(hdr->ts.tv_sec) * 1000000000 + hdr->ts.tv_usec;
    r.linktype = linktype;
    return true;
  }
}

void reader::break_loop() noexcept {
  if (!p_) return;
  p_->stop.store(true, std::memory_order_relaxed);
  if (p_->k == impl::kind::live && p_->pc) pcap_breakloop(p_->pc);
}

bool reader::live_drops(std::uint64_t& dropped) const noexcept {
  if (!p_ || p_->k != impl::kind::live) return false;
  pcap_stat st{};
  if (pcap_stats(p_->pc, &st) != 0) return false;
  dropped = std::uint64_t(st.ps_drop) + st.ps_ifdrop;
  return true;
}

std::uint64_t reader::position() const noexcept {
  if (!p_) return 0;
  if (p_->gz) return std::uint64_t(gzoffset(p_->gz->gz));
  return p_->next_off;
}

std::uint64_t reader::size() const noexcept { return p_ ? p_->total : 0; }

std::string_view reader::format() const noexcept {
  if (!p_) return "";
  switch (p_->k) {
    case impl::kind::pcap: return "pcap";
    case impl::kind::pcapng: return "pcapng";
    case impl::kind::live: return "live";
    case impl::kind::none: break;
  }
  return "";
}

std::string link_type_name(int linktype) {
  if (const char* n = pcap_datalink_val_to_name(linktype)) return n;
  std::string s = "LINKTYPE_";
  s.append(std::to_string(linktype));
  return s;
}

}  // namespace sipscope::capture
