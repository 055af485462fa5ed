#include "sipscope/capture/relay.hpp"

namespace sipscope::capture {

struct relay::batch {
  enum kind : std::uint8_t { sip, udp, diag, icmp, tcp, progress };
  struct entry {
    kind k;
    std::uint32_t index;   // into the vector of its kind
  };
  struct span {
    std::size_t offset, size;   // of the event's bytes in `bytes`
  };
  std::vector<entry> order;
  std::vector<sip_event> sips;
  std::vector<udp_event> udps;
  std::vector<diag_event> diags;
  std::vector<icmp_event> icmps;
  std::vector<tcp_event> tcps;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> progresses;
  std::vector<span> sip_bytes, udp_bytes, diag_bytes;   // parallel to sips, udps, diags
  std::string bytes;

  void clear() {
    order.clear();
    sips.clear();
    udps.clear();
    diags.clear();
    icmps.clear();
    tcps.clear();
    progresses.clear();
    sip_bytes.clear();
    udp_bytes.clear();
    diag_bytes.clear();
    bytes.clear();
  }
  span keep(std::string_view v) {
    span s{bytes.size(), v.size()};
    bytes.append(v);
    return s;
  }
  std::string_view view(const span& s) const { return std::string_view(bytes).substr(s.offset, s.size); }
  template <typename V>
  static std::uint32_t index_of(const V& v) {
    return static_cast<std::uint32_t>(v.size() - 1);
  }
};

namespace {
constexpr std::size_t batch_bytes = std::size_t{1} << 20;   // a batch is handed over at 1 MiB of bytes
}

relay::relay(std::size_t max_batches, std::size_t batch_events)
    : max_batches_(max_batches ? max_batches : 1), batch_events_(batch_events ? batch_events : 1) {}

relay::~relay() = default;

relay::batch& relay::current() {
  if (!cur_) {
    std::lock_guard l(mu_);
    if (!free_.empty()) {
      cur_ = std::move(free_.front());
      free_.pop_front();
    }
  }
  if (!cur_) cur_ = std::make_unique<batch>();
  return *cur_;
}

void relay::flush() {
  if (!cur_ || cur_->order.empty()) return;
  std::unique_lock l(mu_);
  space_.wait(l, [&] { return full_.size() < max_batches_ || cancelled_; });
  if (cancelled_) {
    cur_->clear();
    return;
  }
  full_.push_back(std::move(cur_));
  ready_.notify_one();
}

#define SIPSCOPE_RELAY_PUSH(kind_, vec, ev)                                        \
  batch& b = current();                                                            \
  b.vec.push_back(ev);                                                             \
  b.order.push_back({batch::kind_, batch::index_of(b.vec)})

void relay::on_sip(const sip_event& e) {
  SIPSCOPE_RELAY_PUSH(sip, sips, e);
  b.sip_bytes.push_back(b.keep(e.bytes));
  if (b.order.size() >= batch_events_ || b.bytes.size() >= batch_bytes) flush();
}

// A plain RTP datagram (RFC 3550 5.1: version 2, no padding, extension or CSRC; not RTCP's
// payload types, RFC 5761 4) crosses with its fixed header and the first 4 bytes of its
// payload (an RFC 4733 event): the rest, audio, is never read on the other side, and copying
// it cost the two threads ~7% (20 x 52 MB as one capture, --jobs 2: 0.92-0.93 -> 0.84-0.89 s).
constexpr std::size_t rtp_kept = 12 + 4;

void relay::on_udp(const udp_event& e) {
  SIPSCOPE_RELAY_PUSH(udp, udps, e);
  std::string_view v = e.payload;
  if (v.size() > rtp_kept && static_cast<unsigned char>(v[0]) == 0x80 &&
      (static_cast<unsigned char>(v[1]) < 192 || static_cast<unsigned char>(v[1]) > 223)) {
    b.udps.back().cut = e.cut + static_cast<std::uint32_t>(v.size() - rtp_kept);
    v = v.substr(0, rtp_kept);
  }
  b.udp_bytes.push_back(b.keep(v));
  if (b.order.size() >= batch_events_ || b.bytes.size() >= batch_bytes) flush();
}

void relay::on_diag(const diag_event& e) {
  SIPSCOPE_RELAY_PUSH(diag, diags, e);
  b.diag_bytes.push_back(b.keep(e.what));
  if (b.order.size() >= batch_events_) flush();
}

void relay::on_icmp(const icmp_event& e) {
  SIPSCOPE_RELAY_PUSH(icmp, icmps, e);
  if (b.order.size() >= batch_events_) flush();
}

void relay::on_tcp(const tcp_event& e) {
  SIPSCOPE_RELAY_PUSH(tcp, tcps, e);
  if (b.order.size() >= batch_events_) flush();
}

void relay::on_progress(std::uint64_t done, std::uint64_t total) {
  SIPSCOPE_RELAY_PUSH(progress, progresses, std::make_pair(done, total));
  if (b.order.size() >= batch_events_) flush();
}

#undef SIPSCOPE_RELAY_PUSH

void relay::close() {
  flush();
  std::lock_guard l(mu_);
  closed_ = true;
  ready_.notify_all();
}

void relay::cancel() {
  std::lock_guard l(mu_);
  cancelled_ = true;
  full_.clear();
  space_.notify_all();
  ready_.notify_all();
}

bool relay::drain(handler& h) {
  for (;;) {
    std::unique_ptr<batch> b;
    {
      std::unique_lock l(mu_);
      ready_.wait(l, [&] { return !full_.empty() || closed_ || cancelled_; });
      if (cancelled_) return false;
      if (full_.empty()) return true;   // closed, and everything handed over
      b = std::move(full_.front());
      full_.pop_front();
      space_.notify_one();
    }
    for (const batch::entry& e : b->order) {
      switch (e.k) {
        case batch::sip: {
          sip_event ev = b->sips[e.index];
          ev.bytes = b->view(b->sip_bytes[e.index]);
          h.on_sip(ev);
          break;
        }
        case batch::udp: {
          udp_event ev = b->udps[e.index];
          ev.payload = b->view(b->udp_bytes[e.index]);
          h.on_udp(ev);
          break;
        }
        case batch::diag: {
          diag_event ev = b->diags[e.index];
          ev.what = b->view(b->diag_bytes[e.index]);
          h.on_diag(ev);
          break;
        }
        case batch::icmp: h.on_icmp(b->icmps[e.index]); break;
        case batch::tcp: h.on_tcp(b->tcps[e.index]); break;
        case batch::progress: h.on_progress(b->progresses[e.index].first, b->progresses[e.index].second); break;
      }
      if (cancelled_.load(std::memory_order_relaxed)) return false;   // cancelled from a callback
    }
    b->clear();
    std::lock_guard l(mu_);
    free_.push_back(std::move(b));
  }
}

}  // namespace sipscope::capture
