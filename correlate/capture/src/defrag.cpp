// IP fragment reassembly (defrag.hpp). Datagrams in progress live in a fixed pool of slots
// (limits.max_datagrams); each keeps its buffer and range list between uses, so a warmed-up
// defragmenter allocates nothing per fragment. Lookups scan the pool: fragmentation is rare
// on SIP links and the pool is small.
#include "sipscope/capture/defrag.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

namespace sipscope::capture {

defragmenter::defragmenter(const defrag_limits& limits) : limits_(limits) {
  if (limits_.max_datagrams == 0) limits_.max_datagrams = 1;
  if (limits_.max_per_source == 0) limits_.max_per_source = 1;
  if (limits_.max_datagram_size > 65535) limits_.max_datagram_size = 65535;
  slots_.resize(limits_.max_datagrams);
}

void defragmenter::diag(handler* diags, diag_kind k, const frame_ref& f, std::string_view what) noexcept {
  if (!diags) return;
  diag_event e{k, true, f, 0, what};
  diags->on_diag(e);
}

defragmenter::slot* defragmenter::find(const ip_fragment& f) noexcept {
  for (slot& s : slots_) {
    if (!s.used || s.id != f.id || s.src != f.src || s.dst != f.dst) continue;
    if (f.src.family == 4 && s.protocol != f.protocol) continue;  // RFC 791 key has the protocol
    return &s;
  }
  return nullptr;
}

defragmenter::slot* defragmenter::oldest(const ip_address* src, const slot* except) noexcept {
  slot* best = nullptr;
  for (slot& s : slots_) {
    if (!s.used || &s == except) continue;
    if (src && s.src != *src) continue;
    if (!best || s.age < best->age) best = &s;
  }
  return best;
}

void defragmenter::release(slot& s) noexcept {
  bytes_ -= s.buf.size();
  s.buf.clear();      // keeps the capacity for the next datagram
  s.ranges.clear();
  s.used = false;
  --active_;
}

void defragmenter::evict(slot& s, const frame_ref& by, handler* diags, std::string_view what) noexcept {
  if (!s.poisoned) {
    ++stats_.evicted;
    diag(diags, diag_kind::fragment_limit, by, what);
  }
  release(s);
}

defragmenter::slot* defragmenter::create(const ip_fragment& f, handler* diags) noexcept {
  std::size_t from_src = 0;
  for (const slot& s : slots_) from_src += s.used && s.src == f.src;
  if (from_src >= limits_.max_per_source)
    if (slot* o = oldest(&f.src, nullptr))
      evict(*o, f.frame, diags, "fewer IP datagrams in reassembly from one source (oldest evicted)");
  slot* free = nullptr;
  for (slot& s : slots_) if (!s.used) { free = &s; break; }
  if (!free) {
    slot* o = oldest(nullptr, nullptr);
    evict(*o, f.frame, diags, "fewer IP datagrams in reassembly (oldest evicted)");
    free = o;
  }
  slot& s = *free;
  s.used = true;
  s.poisoned = s.have_first = s.have_last = s.overlap_reported = false;
  s.protocol = f.protocol;
  s.next_header = 0;
  s.src = f.src;
  s.dst = f.dst;
  s.id = f.id;
  s.total = 0;
  s.age = next_age_++;
  s.first_time = f.time;
  s.first_frame = f.frame;
  s.pieces.clear();
  if (active_ == 0 || f.time < oldest_time_) oldest_time_ = f.time;
  ++active_;
  return &s;
}

void defragmenter::expire(timestamp_ns now, handler* diags) noexcept {
  if (active_ == 0 || elapsed(now, oldest_time_) <= limits_.timeout) return;
  timestamp_ns low = std::numeric_limits<timestamp_ns>::max();
  for (slot& s : slots_) {
    if (!s.used) continue;
    if (elapsed(now, s.first_time) > limits_.timeout) {
      if (!s.poisoned) {
        ++stats_.timeouts;
        diag(diags, diag_kind::fragment_timeout, s.first_frame,
             "the missing fragments of an IP datagram within the reassembly timeout");
      }
      release(s);
    } else {
      low = std::min(low, s.first_time);
    }
  }
  oldest_time_ = low;
}

defrag_status defragmenter::add(const ip_fragment& f, ip_datagram& out, handler* diags) noexcept {
  ++stats_.fragments;
  expire(f.time, diags);

  const std::size_t len = f.payload.size();
  const std::size_t end = static_cast<std::size_t>(f.offset) + len;
  if ((f.src.family != 4 && f.src.family != 6) || f.src.family != f.dst.family) {
    ++stats_.bad;
    ++stats_.dropped;
    diag(diags, diag_kind::bad_ip_header, f.frame, "an IPv4 or IPv6 fragment");
    return defrag_status::dropped;
  }
  // RFC 8200 4.5: a fragment with M set must be a multiple of 8 octets long (RFC 791 the same).
  if (f.more && (len == 0 || len % 8 != 0)) {
    ++stats_.bad;
    ++stats_.dropped;
    diag(diags, diag_kind::bad_ip_header, f.frame, "a non-last fragment whose length is a non-zero multiple of 8");
    return defrag_status::dropped;
  }

  // RFC 6946 atomic fragment (offset 0, no more): a datagram of its own, not reassembled.
  if (f.offset == 0 && !f.more) {
    ++stats_.datagrams;
    out = ip_datagram{};
    out.payload = f.payload;
    out.protocol = f.protocol;
    out.src = f.src;
    out.dst = f.dst;
    out.frame = out.first_frame = f.frame;
    out.time = f.time;
    return defrag_status::complete;
  }

  slot* sp = find(f);
  if (end > limits_.max_datagram_size) {
    ++stats_.bad;
    ++stats_.dropped;
    diag(diags, diag_kind::fragment_limit, f.frame, "a reassembled IP datagram no larger than 65535 bytes");
    if (sp) {
      ++stats_.evicted;
      release(*sp);
    }
    return defrag_status::dropped;
  }
  if (!sp) sp = create(f, diags);
  slot& s = *sp;
  if (s.poisoned) {
    ++stats_.dropped;
    return defrag_status::dropped;
  }

  const bool v6 = f.src.family == 6;
  const auto* data = reinterpret_cast<const std::uint8_t*>(f.payload.data());
  const auto b = static_cast<std::uint32_t>(f.offset);
  const auto e = static_cast<std::uint32_t>(end);

  // A conflict: different bytes for the same offsets, or a second, different end of datagram.
  bool end_conflict = false;
  if (!f.more && s.have_last && s.total != e) end_conflict = true;
  if (!f.more && !s.ranges.empty() && s.ranges.back().end > e) end_conflict = true;
  if (f.more && s.have_last && e > s.total) end_conflict = true;
  bool conflict = end_conflict;
  bool all_there = true;
  std::uint32_t cursor = b;
  for (const range& r : s.ranges) {
    if (r.end <= b) continue;
    if (r.begin >= e) break;
    if (r.begin > cursor) all_there = false;
    const std::uint32_t ob = std::max(r.begin, b), oe = std::min(r.end, e);
    if (std::memcmp(s.buf.data() + ob, data + (ob - b), oe - ob) != 0) conflict = true;
    cursor = std::max(cursor, r.end);
  }
  if (cursor < e) all_there = false;

  if (conflict) {
    ++stats_.overlaps;
    if (v6) {
      // RFC 5722: the whole datagram and its fragments still to come are discarded. The slot
      // stays (without buffer) as a tombstone until the timeout.
      diag(diags, diag_kind::fragment_overlap, f.frame,
           "IPv6 fragments that do not overlap (RFC 5722: the datagram is dropped)");
      ++stats_.dropped;
      bytes_ -= s.buf.size();
      s.buf.clear();
      s.ranges.clear();
      s.poisoned = true;
      return defrag_status::dropped;
    }
    if (!s.overlap_reported) {
      s.overlap_reported = true;
      diag(diags, diag_kind::fragment_overlap, f.frame,
           "IPv4 fragments that do not overlap with different bytes (the first bytes are kept)");
    }
    // IPv4, keep-first: a later, different end of datagram is ignored.
  } else if (all_there && len > 0) {
    ++stats_.duplicates;
  }

  std::uint32_t stop = e;  // IPv4 keep-first: never write beyond an end already known
  if (s.have_last && stop > s.total) stop = s.total;
  if (stop > s.buf.size()) {
    const std::size_t grow = stop - s.buf.size();
    while (bytes_ + grow > limits_.max_bytes) {
      slot* o = oldest(nullptr, &s);
      if (!o) break;
      evict(*o, f.frame, diags, "fewer bytes in IP reassembly buffers (oldest datagram evicted)");
    }
    if (bytes_ + grow > limits_.max_bytes) {
      ++stats_.evicted;
      ++stats_.dropped;
      diag(diags, diag_kind::fragment_limit, f.frame, "an IP datagram that fits the reassembly byte limit");
      release(s);
      return defrag_status::dropped;
    }
    s.buf.resize(stop);
    bytes_ += grow;
  }

  // Copy the bytes not received yet (the first bytes win), then merge the range.
  if (b < stop) {
    cursor = b;
    for (const range& r : s.ranges) {
      if (r.end <= cursor) continue;
      if (r.begin >= stop) break;
      if (r.begin > cursor) std::memcpy(s.buf.data() + cursor, data + (cursor - b), r.begin - cursor);
      cursor = std::max(cursor, r.end);
    }
    if (cursor < stop) std::memcpy(s.buf.data() + cursor, data + (cursor - b), stop - cursor);

    auto first = std::lower_bound(s.ranges.begin(), s.ranges.end(), b,
                                  [](const range& r, std::uint32_t v) { return r.end < v; });
    auto last = first;
    range merged{b, stop};
    while (last != s.ranges.end() && last->begin <= stop) {
      merged.begin = std::min(merged.begin, last->begin);
      merged.end = std::max(merged.end, last->end);
      ++last;
    }
    first = s.ranges.erase(first, last);
    s.ranges.insert(first, merged);
  }
  if (!f.more && !s.have_last && !end_conflict) {
    s.have_last = true;
    s.total = e;
  }
  s.pieces.add(f.frame);
  if (f.offset == 0 && !s.have_first) {
    s.have_first = true;
    s.next_header = f.protocol;
  }

  if (!s.have_last || s.ranges.size() != 1 || s.ranges[0].begin != 0 || s.ranges[0].end != s.total)
    return defrag_status::pending;

  ++stats_.datagrams;
  out_.swap(s.buf);   // the slot takes the previous output's buffer (and capacity) in exchange
  out_.resize(s.total);
  out = ip_datagram{};
  out.payload = std::string_view(reinterpret_cast<const char*>(out_.data()), out_.size());
  out.protocol = v6 ? s.next_header : s.protocol;
  out.src = s.src;
  out.dst = s.dst;
  out.frame = f.frame;
  out.first_frame = s.first_frame;
  out.pieces = s.pieces;
  out.time = f.time;
  out.via.reassembled_ip = true;
  bytes_ -= out_.size();
  bytes_ += s.buf.size();  // the swapped-in buffer is cleared by release()
  release(s);
  return defrag_status::complete;
}

}  // namespace sipscope::capture
