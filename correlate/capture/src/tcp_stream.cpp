// TCP reassembly (tcp_stream.hpp). In-order data is handed to the consumer straight from the
// segment (no copy); only out-of-order data is copied, into pooled buffers. Flows sit in a
// vector with an index-linked LRU list, so idle expiry and eviction take the oldest first.
#include "sipscope/capture/tcp_stream.hpp"

#include <algorithm>
#include <cstring>

namespace sipscope::capture {

namespace {

// Each buffered segment is charged this much beyond its bytes, so that a flood of 1-byte
// segments is bounded by the same limits as the bytes.
constexpr std::size_t k_overhead = 64;
// Free pooled buffers kept with their capacity; further ones give their memory back.
constexpr std::size_t k_max_free_buffers = 256;
constexpr timestamp_ns k_expire_every = 1'000'000'000;

// a - b modulo 2^32, as a signed distance (RFC 1982 serial number arithmetic)
inline std::int32_t diff(std::uint32_t a, std::uint32_t b) noexcept {
  return static_cast<std::int32_t>(a - b);
}

bool less(const endpoint& a, const endpoint& b) noexcept {
  if (a.ip.family != b.ip.family) return a.ip.family < b.ip.family;
  if (int c = std::memcmp(a.ip.bytes.data(), b.ip.bytes.data(), a.ip.bytes.size())) return c < 0;
  return a.port < b.port;
}

std::size_t mix(std::size_t h, const endpoint& e) noexcept {
  for (std::uint8_t b : e.ip.bytes) h = (h ^ b) * 1099511628211ull;
  h = (h ^ e.port) * 1099511628211ull;
  return (h ^ e.ip.family) * 1099511628211ull;
}

}  // namespace

std::size_t tcp_reassembler::key_hash::operator()(const flow_key& k) const noexcept {
  return mix(mix(14695981039346656037ull, k.lo), k.hi);
}

tcp_reassembler::tcp_reassembler(tcp_consumer& consumer, const tcp_limits& limits)
    : out_(consumer), limits_(limits) {
  if (limits_.max_flows == 0) limits_.max_flows = 1;
  if (limits_.linger > limits_.idle_timeout) limits_.linger = limits_.idle_timeout;
  map_.reserve(std::min<std::size_t>(limits_.max_flows, 4096));
}

void tcp_reassembler::diag(diag_kind k, const frame_ref& f, std::string_view what) noexcept {
  diag_event e{k, true, f, 0, what};
  out_.on_diag(e);
}

// ---- LRU list ------------------------------------------------------------------------------

void tcp_reassembler::lru_unlink(std::uint32_t fi) noexcept {
  flow& f = flows_[fi];
  if (f.prev != npos) flows_[f.prev].next = f.next; else if (lru_head_ == fi) lru_head_ = f.next;
  if (f.next != npos) flows_[f.next].prev = f.prev; else if (lru_tail_ == fi) lru_tail_ = f.prev;
  f.prev = f.next = npos;
}

void tcp_reassembler::lru_push(std::uint32_t fi) noexcept {
  flow& f = flows_[fi];
  f.prev = npos;
  f.next = lru_head_;
  if (lru_head_ != npos) flows_[lru_head_].prev = fi;
  lru_head_ = fi;
  if (lru_tail_ == npos) lru_tail_ = fi;
}

// ---- flows ---------------------------------------------------------------------------------

void tcp_reassembler::reset(flow& f, const tcp_segment& seg) noexcept {
  f.ep[0] = seg.src;
  f.ep[1] = seg.dst;
  for (half& h : f.h) {
    h.started = h.syn = h.fin = h.done = h.gap = false;
    h.isn = h.next = h.fin_seq = 0;
    h.offset = 0;
    h.gap_since = 0;
    h.queue.clear();  // already empty: close() flushed it; keeps the capacity
  }
  f.serial = serial_++;
  f.buffered = 0;
  f.closed = false;
  f.last = seg.time;
  ++stats_.flows;
}

std::uint32_t tcp_reassembler::open(const flow_key& key, const tcp_segment& seg) noexcept {
  if (map_.size() >= limits_.max_flows && lru_tail_ != npos) {
    const std::uint32_t victim = lru_tail_;
    if (!flows_[victim].closed) {
      ++stats_.evicted_flows;
      diag(diag_kind::tcp_flow_limit, seg.frame, "fewer open TCP flows (the least recently active one is evicted)");
      close(victim, tcp_close_reason::evicted, seg.frame);
    }
    remove(victim);
  }
  std::uint32_t fi;
  if (!free_flows_.empty()) {
    fi = free_flows_.back();
    free_flows_.pop_back();
  } else {
    fi = static_cast<std::uint32_t>(flows_.size());
    flows_.emplace_back();
  }
  flow& f = flows_[fi];
  f.used = true;
  f.key = key;
  reset(f, seg);
  map_.emplace(key, fi);
  lru_push(fi);
  return fi;
}

void tcp_reassembler::close(std::uint32_t fi, tcp_close_reason why, const frame_ref& by) noexcept {
  for (int d = 0; d < 2; ++d) {
    flow& f = flows_[fi];
    // What is still buffered lies after a hole that will not be filled now.
    while (!f.h[d].queue.empty()) {
      const frame_ref at = by.number ? by : f.h[d].queue.front().frame;
      skip_to(f, d, f.h[d].queue.front().seq, at);
    }
  }
  flow& f = flows_[fi];
  f.closed = true;
  out_.on_close(f.serial * 2, why);
  out_.on_close(f.serial * 2 + 1, why);
}

void tcp_reassembler::remove(std::uint32_t fi) noexcept {
  flow& f = flows_[fi];
  for (half& h : f.h)
    while (!h.queue.empty()) drop_pending(f, static_cast<int>(&h - f.h), h.queue.size() - 1);
  map_.erase(f.key);
  lru_unlink(fi);
  f.used = false;
  free_flows_.push_back(fi);
}

void tcp_reassembler::check_fin(std::uint32_t fi, const frame_ref& by) noexcept {
  flow& f = flows_[fi];
  if (f.closed) return;
  for (half& h : f.h)
    if (h.fin && !h.done && h.started && diff(h.next, h.fin_seq) >= 0) h.done = true;
  if (f.h[0].done && f.h[1].done) close(fi, tcp_close_reason::fin, by);
}

// ---- segments ------------------------------------------------------------------------------

void tcp_reassembler::add(const tcp_segment& seg) noexcept {
  ++stats_.segments;
  if (!expired_once_ || elapsed(seg.time, last_expire_) >= k_expire_every) {
    expired_once_ = true;
    last_expire_ = seg.time;
    expire(seg.time);
  }
  const bool syn = seg.flags & tcp_flag::syn, rst = seg.flags & tcp_flag::rst, fin = seg.flags & tcp_flag::fin;
  const flow_key key = less(seg.src, seg.dst) ? flow_key{seg.src, seg.dst} : flow_key{seg.dst, seg.src};
  std::uint32_t fi;
  auto it = map_.find(key);
  if (it == map_.end()) {
    // nothing to anchor a stream on: an RST or a pure ACK of a flow we do not know
    if (rst || (!syn && seg.payload.empty())) {
      ++stats_.ignored;
      return;
    }
    fi = open(key, seg);
  } else {
    fi = it->second;
    if (flows_[fi].closed) {
      if (!syn) {  // last retransmissions and ACKs of a closed connection
        ++stats_.ignored;
        return;
      }
      reset(flows_[fi], seg);  // a new connection on the same 5-tuple
    }
  }
  {
    flow& f = flows_[fi];
    f.last = seg.time;
    lru_unlink(fi);
    lru_push(fi);
  }
  int dir = seg.src == flows_[fi].ep[0] ? 0 : 1;
  if (rst) {
    close(fi, tcp_close_reason::rst, seg.frame);
    return;
  }
  std::uint32_t data_seq = seg.seq;
  if (syn) {
    half& h = flows_[fi].h[dir];
    if (h.started && !(h.syn && h.isn == seg.seq)) {
      // a SYN with a new ISN: the 5-tuple was reused for a new connection
      close(fi, tcp_close_reason::reused, seg.frame);
      reset(flows_[fi], seg);
      dir = 0;
    }
    half& n = flows_[fi].h[dir];
    if (!n.started) {
      n.started = n.syn = true;
      n.isn = seg.seq;
      n.next = seg.seq + 1;
    }
    data_seq = seg.seq + 1;  // the SYN takes one sequence number
  } else if (!flows_[fi].h[dir].started) {
    half& h = flows_[fi].h[dir];
    if (seg.payload.empty() && !fin) return;  // a pure ACK: nothing to anchor the half on
    h.started = true;  // mid-stream start: the first segment seen defines the start
    h.next = seg.seq;
  }
  flow& f = flows_[fi];
  half& h = f.h[dir];
  if (fin && !h.fin) {
    h.fin = true;
    h.fin_seq = data_seq + static_cast<std::uint32_t>(seg.payload.size());
  }
  if (!seg.payload.empty()) data(f, dir, data_seq, seg.payload, seg.frame, seg.time);
  if (!h.queue.empty() && elapsed(seg.time, h.gap_since) > limits_.gap_timeout) {
    const frame_ref at = h.queue.front().frame;
    skip_to(f, dir, h.queue.front().seq, at);
  }
  check_fin(fi, seg.frame);
}

void tcp_reassembler::deliver(flow& f, int dir, std::string_view bytes, const frame_ref& fr, timestamp_ns t) noexcept {
  half& h = f.h[dir];
  tcp_chunk c;
  c.stream = f.serial * 2 + static_cast<std::uint64_t>(dir);
  c.src = f.ep[dir];
  c.dst = f.ep[1 - dir];
  c.bytes = bytes;
  c.offset = h.offset;
  c.gap_before = h.gap;
  c.frame = fr;
  c.time = t;
  h.gap = false;
  h.next += static_cast<std::uint32_t>(bytes.size());
  h.offset += bytes.size();
  stats_.delivered_bytes += bytes.size();
  out_.on_data(c);
}

void tcp_reassembler::data(flow& f, int dir, std::uint32_t seq, std::string_view bytes, const frame_ref& fr,
                           timestamp_ns t) noexcept {
  half& h = f.h[dir];
  for (;;) {
    const std::int32_t rel = diff(seq, h.next);
    if (rel > 0) {
      // Out of order: buffer the bytes not buffered yet, if the limits allow.
      std::size_t need = 0;
      {
        const std::uint64_t b = static_cast<std::uint32_t>(rel), e = b + bytes.size();
        std::uint64_t cur = b;
        for (const pending& q : h.queue) {
          const std::uint64_t qb = static_cast<std::uint32_t>(q.seq - h.next), qe = qb + q.len;
          if (qe <= cur) continue;
          if (qb >= e) break;
          if (qb > cur) need += (qb - cur) + k_overhead;
          cur = std::max(cur, qe);
        }
        if (cur < e) need += (e - cur) + k_overhead;
      }
      if (f.buffered + need <= limits_.flow_buffer_limit && buffered_ + need <= limits_.total_buffer_limit) {
        buffer(f, dir, seq, bytes, fr, t);
        return;
      }
      // The hole will not be filled while the buffer holds: give up the missing bytes.
      ++stats_.buffer_limited;
      diag(diag_kind::tcp_buffer_limit, fr, "out-of-order TCP bytes within the buffer limit (the hole is skipped)");
      if (!h.queue.empty() && diff(h.queue.front().seq, seq) < 0)
        skip_to(f, dir, h.queue.front().seq, fr);
      else
        skip_to(f, dir, seq, fr);
      continue;
    }
    // In order, possibly starting before `next` (a partial retransmission).
    const std::uint32_t behind = static_cast<std::uint32_t>(-static_cast<std::int64_t>(rel));
    if (behind >= bytes.size()) {
      stats_.retransmitted_bytes += bytes.size();
      return;
    }
    stats_.retransmitted_bytes += behind;
    bytes.remove_prefix(behind);
    std::uint32_t cur = h.next;  // sequence number of bytes[0]
    // Buffered bytes came first and win; compare every stretch both copies cover.
    bool conflict = false;
    for (const pending& q : h.queue) {
      const std::int64_t qb = diff(q.seq, cur), qe = qb + q.len;
      if (qb >= static_cast<std::int64_t>(bytes.size())) break;
      const std::int64_t ob = std::max<std::int64_t>(qb, 0), oe = std::min<std::int64_t>(qe, bytes.size());
      if (oe > ob && std::memcmp(pool_[q.buf].data() + (ob - qb), bytes.data() + ob, static_cast<std::size_t>(oe - ob)) != 0)
        conflict = true;
    }
    while (!bytes.empty()) {
      const std::int32_t lag = diff(h.next, cur);  // bytes of this segment delivered from the buffer
      if (lag > 0) {
        const std::size_t n = std::min<std::size_t>(static_cast<std::uint32_t>(lag), bytes.size());
        stats_.retransmitted_bytes += n;
        bytes.remove_prefix(n);
        cur += static_cast<std::uint32_t>(n);
        continue;
      }
      if (!h.queue.empty() && diff(h.queue.front().seq, h.next) <= 0) {
        drain(f, dir);
        continue;
      }
      std::size_t n = bytes.size();
      if (!h.queue.empty()) n = std::min<std::size_t>(n, static_cast<std::uint32_t>(h.queue.front().seq - h.next));
      deliver(f, dir, bytes.substr(0, n), fr, t);
      bytes.remove_prefix(n);
      cur += static_cast<std::uint32_t>(n);
    }
    drain(f, dir);
    if (conflict) {
      ++stats_.overlaps;
      diag(diag_kind::tcp_overlap, fr, "TCP segments that overlap with the same bytes (the first copy is kept)");
    }
    return;
  }
}

void tcp_reassembler::drain(flow& f, int dir) noexcept {
  half& h = f.h[dir];
  while (!h.queue.empty()) {
    const pending q = h.queue.front();
    const std::int32_t d = diff(q.seq, h.next);
    if (d > 0) break;
    const std::uint32_t skip = static_cast<std::uint32_t>(-static_cast<std::int64_t>(d));
    if (skip < q.len) deliver(f, dir, std::string_view(pool_[q.buf].data() + skip, q.len - skip), q.frame, q.time);
    else stats_.retransmitted_bytes += q.len;
    drop_pending(f, dir, 0);
  }
  if (!h.queue.empty()) h.gap_since = h.queue.front().time;
}

void tcp_reassembler::skip_to(flow& f, int dir, std::uint32_t seq, const frame_ref& by) noexcept {
  half& h = f.h[dir];
  const std::int32_t d = diff(seq, h.next);
  if (d > 0) {
    h.next = seq;
    h.offset += static_cast<std::uint32_t>(d);
    h.gap = true;
    ++stats_.gaps;
    stats_.gap_bytes += static_cast<std::uint32_t>(d);
    diag(diag_kind::tcp_gap, by, "the missing bytes of a TCP stream (given up: the stream continues after the hole)");
  }
  drain(f, dir);
}

void tcp_reassembler::buffer(flow& f, int dir, std::uint32_t seq, std::string_view bytes, const frame_ref& fr,
                             timestamp_ns t) noexcept {
  half& h = f.h[dir];
  ++stats_.out_of_order;
  if (h.queue.empty()) h.gap_since = t;
  const std::uint64_t b = static_cast<std::uint32_t>(seq - h.next), e = b + bytes.size();
  std::uint64_t cur = b;
  bool conflict = false;
  std::size_t i = 0;
  auto insert = [&](std::uint64_t from, std::uint64_t to) {
    pending p;
    p.seq = h.next + static_cast<std::uint32_t>(from);
    p.len = static_cast<std::uint32_t>(to - from);
    p.buf = take_buffer(bytes.substr(from - b, to - from));
    p.frame = fr;
    p.time = t;
    h.queue.insert(h.queue.begin() + static_cast<std::ptrdiff_t>(i), p);
    f.buffered += p.len + k_overhead;
    buffered_ += p.len + k_overhead;
    ++i;
  };
  while (cur < e) {
    while (i < h.queue.size() && static_cast<std::uint32_t>(h.queue[i].seq - h.next) + std::uint64_t{h.queue[i].len} <= cur) ++i;
    if (i == h.queue.size()) { insert(cur, e); break; }
    const pending& q = h.queue[i];
    const std::uint64_t qb = static_cast<std::uint32_t>(q.seq - h.next), qe = qb + q.len;
    if (qb >= e) { insert(cur, e); break; }
    if (qb > cur) { insert(cur, qb); cur = qb; continue; }
    const std::uint64_t oe = std::min(qe, e);
    if (std::memcmp(pool_[q.buf].data() + (cur - qb), bytes.data() + (cur - b), oe - cur) != 0) conflict = true;
    stats_.retransmitted_bytes += oe - cur;
    cur = oe;
    ++i;
  }
  if (conflict) {
    ++stats_.overlaps;
    diag(diag_kind::tcp_overlap, fr, "TCP segments that overlap with the same bytes (the first copy is kept)");
  }
}

void tcp_reassembler::drop_pending(flow& f, int dir, std::size_t i) noexcept {
  half& h = f.h[dir];
  const pending q = h.queue[i];
  f.buffered -= q.len + k_overhead;
  buffered_ -= q.len + k_overhead;
  give_back(q.buf);
  h.queue.erase(h.queue.begin() + static_cast<std::ptrdiff_t>(i));
}

std::uint32_t tcp_reassembler::take_buffer(std::string_view bytes) noexcept {
  std::uint32_t b;
  if (!free_bufs_.empty()) {
    b = free_bufs_.back();
    free_bufs_.pop_back();
  } else {
    b = static_cast<std::uint32_t>(pool_.size());
    pool_.emplace_back();
  }
  pool_[b].assign(bytes.begin(), bytes.end());
  return b;
}

void tcp_reassembler::give_back(std::uint32_t b) noexcept {
  if (free_bufs_.size() >= k_max_free_buffers) std::vector<char>().swap(pool_[b]);
  else pool_[b].clear();
  free_bufs_.push_back(b);
}

// ---- time ----------------------------------------------------------------------------------

void tcp_reassembler::expire(timestamp_ns now) noexcept {
  while (lru_tail_ != npos) {
    const std::uint32_t fi = lru_tail_;
    const flow& f = flows_[fi];
    if (elapsed(now, f.last) <= (f.closed ? limits_.linger : limits_.idle_timeout)) break;
    if (!f.closed) {
      ++stats_.idle_closed;
      close(fi, tcp_close_reason::idle, frame_ref{});
    }
    remove(fi);
  }
  for (std::uint32_t fi = 0; fi < flows_.size(); ++fi) {
    if (!flows_[fi].used || flows_[fi].closed) continue;
    for (int d = 0; d < 2; ++d) {
      half& h = flows_[fi].h[d];
      if (!h.queue.empty() && elapsed(now, h.gap_since) > limits_.gap_timeout) {
        const frame_ref at = h.queue.front().frame;
        skip_to(flows_[fi], d, h.queue.front().seq, at);
      }
    }
    check_fin(fi, frame_ref{});
  }
}

void tcp_reassembler::flush() noexcept {
  while (lru_tail_ != npos) {
    const std::uint32_t fi = lru_tail_;
    if (!flows_[fi].closed) close(fi, tcp_close_reason::end_of_capture, frame_ref{});
    remove(fi);
  }
}

}  // namespace sipscope::capture
