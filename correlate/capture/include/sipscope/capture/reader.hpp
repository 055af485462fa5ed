// One capture input read record by record: a pcap file (through libpcap), a pcapng file (our
// own block reader, see below), gzip-compressed either way, stdin, or a live interface.
//
// Why pcapng is not read through libpcap: libpcap 1.10 refuses a pcapng whose interfaces have
// different link types (files merged from several hosts), and it does not expose the offset of
// the Enhanced Packet Block, which frame_ref must hold exactly. The block reader is small
// (SHB/IDB/EPB/SPB/PB, both byte orders, if_tsresol, if_tsoffset) and skips every other block.
//
// A record's bytes are a view into the reader's buffer, valid until the next call to next().
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "sipscope/capture/packet.hpp"

namespace sipscope::capture {

struct record {
  const std::uint8_t* data = nullptr;
  std::uint32_t caplen = 0;
  std::uint32_t origlen = 0;
  timestamp_ns time = 0;
  int linktype = 0;        // LINKTYPE_ value (pcapng: of the packet's interface)
  frame_ref frame;
};

struct live_options {
  int snaplen = 262144;
  bool promisc = false;
  int buffer_size = 0;     // bytes; 0 = libpcap's default
  int timeout_ms = 100;
};

struct reader_limits {
  std::uint32_t max_record = 256 * 1024;        // a longer caplen is a bogus record length
  std::uint32_t max_block = 16 * 1024 * 1024;   // pcapng blocks (libpcap's own limit)
  // pcap files (regular, not compressed) read without libpcap's per-record fread while their
  // records are plain; off: libpcap reads every record (the tests compare the two).
  bool pcap_fast_path = true;
  // pcapng (our own block reader) reads ahead this many bytes at a time into its buffer and
  // hands each block out from there; 0: each block's bytes are read exactly as they are needed,
  // with two stdio reads per block (the tests compare the two).
  std::uint32_t pcapng_read_ahead = 1024 * 1024;
};

class reader {
 public:
  reader();
  ~reader();
  reader(const reader&) = delete;
  reader& operator=(const reader&) = delete;
  reader(reader&&) noexcept;
  reader& operator=(reader&&) noexcept;

  // Opens a file ("-" = stdin). gzip is recognised by its magic, not by the name. Failures are
  // diagnostics (cannot_open, not_a_capture) on `h`; returns whether records can be read.
  bool open_file(const std::string& path, std::uint32_t file_index, handler& h,
                 const reader_limits& lim = {});
  // Takes ownership of an open stream (fmemopen in the fuzzer, tests); `size` may be 0.
  bool open_stream(std::FILE* f, std::uint64_t size, std::uint32_t file_index, handler& h,
                   const reader_limits& lim = {});
  // Live capture; `error` is set when the interface cannot be opened.
  bool open_live(const std::string& iface, const live_options& o, std::uint32_t file_index,
                 std::string& error);

  // The next record, or false at the end of the input (truncation and bogus lengths are
  // reported on `h` first; what was read before them stays valid).
  bool next(record& r, handler& h) noexcept;

  std::uint64_t position() const noexcept;   // input bytes consumed (compressed, for .gz)
  std::uint64_t size() const noexcept;       // input size, 0 when unknown (stdin, live)
  std::string_view format() const noexcept;  // "pcap", "pcapng", "live"
  // Live capture: packets dropped by the kernel and the interface so far (pcap_stats).
  bool live_drops(std::uint64_t& dropped) const noexcept;
  void break_loop() noexcept;                // live: make next() return false soon

  struct impl;
 private:
  std::unique_ptr<impl> p_;
};

// pcap_datalink_val_to_name, or "LINKTYPE_<n>" when libpcap does not know it.
std::string link_type_name(int linktype);

}  // namespace sipscope::capture
