// IPv4 (RFC 791) and IPv6 (RFC 8200 section 4.5) fragment reassembly on byte buffers.
//
// The caller has parsed the IP header (and, for IPv6, found the Fragment header) and hands in
// one fragment at a time; add() answers `complete` with the reassembled L4 payload when the
// fragment completed its datagram. That payload lives in a buffer owned by the defragmenter,
// valid until the next call to add() or expire().
//
// Keys: IPv4 (src, dst, protocol, id) as RFC 791; IPv6 (src, dst, id), the next header comes
// from the first fragment (offset 0). Overlaps with identical bytes (duplicates, RFC 8200's
// "exact duplicate fragments") are accepted; overlaps with different bytes drop the whole
// IPv6 datagram, including fragments still to come (RFC 5722), and for IPv4 keep the bytes
// that arrived first (the BSD policy) with a fragment_overlap diagnostic. Memory is bounded
// by datagrams per source, datagrams in total and buffered bytes; the oldest datagram is
// evicted first (fragment_limit). Timeouts run on capture time (fragment_timeout).
// Buffers are pooled: once warmed up, adding a fragment allocates nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "sipscope/capture/packet.hpp"

namespace sipscope::capture {

struct ip_fragment {
  ip_address src, dst;           // family 4 or 6
  std::uint32_t id = 0;          // IPv4: 16-bit Identification; IPv6: Fragment header's 32 bits
  std::uint8_t protocol = 0;     // IPv4: Protocol (part of the key); IPv6: the Fragment header's
                                 // Next Header (only the first fragment's is used)
  std::uint32_t offset = 0;      // in bytes: the header field times 8
  bool more = false;             // MF (IPv4) / M (IPv6)
  std::string_view payload;      // IPv4: after the IP header, up to Total Length;
                                 // IPv6: the fragment's bytes after the Fragment header
  frame_ref frame;
  timestamp_ns time = 0;
};

struct defrag_limits {
  timestamp_ns timeout = 30'000'000'000;     // RFC 8200: 60 s; Linux ipfrag_time: 30 s
  std::size_t max_per_source = 32;           // datagrams in progress from one source address
  std::size_t max_datagrams = 256;           // datagrams in progress in total
  std::size_t max_bytes = 4 * 1024 * 1024;   // buffered bytes in total (sum of buffer sizes)
  std::size_t max_datagram_size = 65535;     // L4 payload; IPv6 jumbograms are not supported
};

struct ip_datagram {
  std::string_view payload;      // the reassembled L4 payload
  std::uint8_t protocol = 0;     // IPv4 protocol / IPv6 next header of the first fragment
  ip_address src, dst;
  frame_ref frame;               // the fragment that completed the datagram
  frame_ref first_frame;         // the first fragment received (any offset)
  frame_list pieces;             // every fragment's frame, in the order received
  timestamp_ns time = 0;         // of the completing fragment
  carriage via;                  // via.reassembled_ip = true (false for an atomic fragment)
};

enum class defrag_status : std::uint8_t {
  pending,    // kept, the datagram is not complete yet
  complete,   // `out` holds the reassembled datagram
  dropped,    // the fragment was rejected (diagnosed, or part of a datagram dropped before)
};

struct defrag_stats {
  std::uint64_t fragments = 0, datagrams = 0;
  std::uint64_t duplicates = 0;      // fragments whose bytes were all there already, identical
  std::uint64_t overlaps = 0;        // conflicting overlaps (fragment_overlap)
  std::uint64_t timeouts = 0;        // datagrams never completed (fragment_timeout)
  std::uint64_t evicted = 0;         // datagrams dropped by a limit (fragment_limit)
  std::uint64_t bad = 0;             // fragments with impossible offsets/lengths (bad_ip_header)
  std::uint64_t dropped = 0;         // fragments dropped for any reason
};

class defragmenter {
 public:
  explicit defragmenter(const defrag_limits& limits = {});

  // One fragment in; `complete` when it completed a datagram (then `out` is set, its payload
  // valid until the next call). Diagnostics go to `diags` (may be null); they are counted in
  // stats() either way. Runs expiry first when a datagram may have timed out.
  defrag_status add(const ip_fragment& f, ip_datagram& out, handler* diags = nullptr) noexcept;

  // Drops datagrams older than the timeout at capture time `now` (fragment_timeout).
  void expire(timestamp_ns now, handler* diags = nullptr) noexcept;

  std::size_t buffered_bytes() const noexcept { return bytes_; }
  std::size_t in_progress() const noexcept { return active_; }
  const defrag_stats& stats() const noexcept { return stats_; }
  const defrag_limits& limits() const noexcept { return limits_; }

 private:
  struct range {
    std::uint32_t begin, end;
  };
  struct slot {
    bool used = false;
    bool poisoned = false;        // IPv6 conflicting overlap: drop what still comes (RFC 5722)
    bool have_first = false;
    bool have_last = false;
    bool overlap_reported = false;
    std::uint8_t protocol = 0;    // IPv4 key part
    std::uint8_t next_header = 0; // from the first fragment
    ip_address src, dst;
    std::uint32_t id = 0;
    std::uint32_t total = 0;      // when have_last
    std::uint64_t age = 0;        // creation order, for eviction
    timestamp_ns first_time = 0;
    frame_ref first_frame;
    frame_list pieces;
    std::vector<std::uint8_t> buf;
    std::vector<range> ranges;    // received bytes: sorted, disjoint, not adjacent
  };

  slot* find(const ip_fragment& f) noexcept;
  slot* create(const ip_fragment& f, handler* diags) noexcept;
  void release(slot& s) noexcept;
  void evict(slot& s, const frame_ref& by, handler* diags, std::string_view what) noexcept;
  slot* oldest(const ip_address* src, const slot* except) noexcept;
  void diag(handler* diags, diag_kind k, const frame_ref& f, std::string_view what) noexcept;

  defrag_limits limits_;
  std::vector<slot> slots_;
  std::vector<std::uint8_t> out_;   // the last completed datagram (swapped with a slot's buffer)
  std::size_t active_ = 0;
  std::size_t bytes_ = 0;
  std::uint64_t next_age_ = 0;
  timestamp_ns oldest_time_ = 0;    // lower bound of the first_time of the used slots
  defrag_stats stats_;
};

}  // namespace sipscope::capture
