// The standard modules behind the pipeline's hook points (modules.hpp).
#include "sipscope/capture/modules.hpp"

#include <limits>
#include <unordered_map>

#include "sipscope/capture/hep.hpp"
#include "sipscope/capture/sip_framer.hpp"
#include "sipscope/capture/websocket.hpp"

namespace sipscope::capture {

namespace {

// A decoded HEP packet -> its SIP message (keep-alives and other payload types are counted).
void hep_to_sip(const hep_packet& p, const frame_ref& frame, timestamp_ns frame_time, const carriage& via,
                handler& h, module_stats& stats) {
  if (p.keep_alive_only) return;
  if (p.payload_type != static_cast<std::uint8_t>(hep_proto::sip)) {
    ++stats.hep_other;
    return;
  }
  ++stats.hep_messages;
  sip_event e;
  e.bytes = p.payload;
  e.frame = frame;
  e.time = p.has_time ? p.time : frame_time;
  e.src = p.src;
  e.dst = p.dst;
  e.proto = p.proto;
  e.via = via;
  e.via.hep = true;
  h.on_sip(e);
}

// ---- IP fragments ------------------------------------------------------------------------
class defrag_hook final : public fragment_hook {
 public:
  defrag_hook(const defrag_limits& l, module_stats& s) : d_(l), stats_(s) {}
  bool add(const hook_fragment& f, std::string_view& datagram, handler& h) override {
    // capture time drives the timeouts: expire what is older before adding
    if (elapsed(f.time, last_expire_) > 1'000'000'000) {
      d_.expire(f.time, &h);
      last_expire_ = f.time;
    }
    ip_fragment x;
    x.src = f.src;
    x.dst = f.dst;
    x.id = f.id;
    x.protocol = f.protocol;
    x.offset = f.offset;
    x.more = f.more;
    x.payload = f.payload;
    x.frame = f.frame;
    x.time = f.time;
    if (d_.add(x, out_, &h) != defrag_status::complete) return false;
    ++stats_.reassembled_datagrams;
    datagram = out_.payload;
    return true;
  }
  void flush(handler& h) override { d_.expire(std::numeric_limits<timestamp_ns>::max(), &h); }
  const frame_list* pieces() const noexcept override { return &out_.pieces; }

 private:
  defragmenter d_;
  ip_datagram out_;
  module_stats& stats_;
  timestamp_ns last_expire_ = 0;
};

// ---- TCP streams ---------------------------------------------------------------------------
// What a half-stream turned out to carry, decided on its first bytes.
enum class carried : std::uint8_t { unknown, sip, websocket, hep };

struct half_stream {
  carried kind = carried::unknown;
  std::unique_ptr<sip_framer> framer;
  std::unique_ptr<ws_stream> ws;
  std::string hep_buf;   // HEP3 over TCP: bytes until a whole packet is there
  bool gave_up = false;
};

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

class stream_hook_impl final : public stream_hook, private tcp_consumer {
 public:
  stream_hook_impl(const tcp_limits& l, const parser::limits& sip, module_stats& s) : r_(*this, l), stats_(s) {
    framer_.parse.limit = sip;
  }

  void add(const hook_segment& s, handler& h) override {
    h_ = &h;
    if (elapsed(s.time, last_expire_) > 1'000'000'000) {
      r_.expire(s.time);
      last_expire_ = s.time;
    }
    tcp_segment x;
    x.src = s.src;
    x.dst = s.dst;
    x.seq = s.seq;
    x.flags = s.flags;
    x.payload = s.payload;
    x.frame = s.frame;
    x.time = s.time;
    via_ = s.via;
    r_.add(x);
  }
  void flush(handler& h) override {
    h_ = &h;
    r_.flush();
    streams_.clear();
  }

 private:
  void on_diag(const diag_event& d) override {
    if (h_) h_->on_diag(d);
  }
  void on_close(std::uint64_t stream, tcp_close_reason) override { streams_.erase(stream); }

  void on_data(const tcp_chunk& c) override {
    half_stream& hs = streams_[c.stream];
    if (hs.gave_up) return;
    if (hs.kind == carried::unknown) {
      if (starts_with(c.bytes, "GET ") || starts_with(c.bytes, "HTTP/1.1 101")) {
        hs.kind = carried::websocket;
        hs.ws = std::make_unique<ws_stream>(starts_with(c.bytes, "GET ") ? ws_role::client : ws_role::server);
      } else if (starts_with(c.bytes, "HEP3")) {
        hs.kind = carried::hep;
      } else {
        hs.kind = carried::sip;
        hs.framer = std::make_unique<sip_framer>(framer_);
      }
    }
    switch (hs.kind) {
      case carried::sip: return sip(hs, c);
      case carried::websocket: return websocket(hs, c);
      case carried::hep: return hep(hs, c);
      case carried::unknown: return;
    }
  }

  void emit(std::string_view bytes, const tcp_chunk& c, const frame_ref& frame, timestamp_ns time, transport proto,
            const frame_list* pieces = nullptr) {
    sip_event e;
    e.bytes = bytes;
    e.frame = frame;
    if (pieces && pieces->count > 1) e.pieces = *pieces;
    e.time = time;
    e.src = c.src;
    e.dst = c.dst;
    e.proto = proto;
    e.via = via_;
    e.via.from_stream = true;
    h_->on_sip(e);
  }

  void sip(half_stream& hs, const tcp_chunk& c) {
    hs.framer->feed(c.bytes, c.frame, c.time, c.gap_before, h_);
    framed_message m;
    while (hs.framer->next(m, h_)) {
      ++stats_.stream_messages;
      emit(m.bytes, c, m.frame, m.time, transport::tcp, &m.pieces);
    }
    if (hs.framer->not_sip() && !hs.gave_up) {
      hs.gave_up = true;   // TLS (5061) or another protocol: counted, not decoded
      ++stats_.non_sip_streams;
    }
  }

  void websocket(half_stream& hs, const tcp_chunk& c) {
    if (c.gap_before) {
      // WebSocket frames cannot be found again after missing bytes: stop this stream
      diag_event d{diag_kind::bad_ws_frame, true, c.frame, 0, "WebSocket stream with missing bytes: not decoded further"};
      h_->on_diag(d);
      hs.gave_up = true;
      return;
    }
    hs.ws->feed(c.bytes, c.frame);
    ws_event ev;
    while (hs.ws->next(ev)) {
      if (ev.kind == ws_event_kind::message) {
        if (looks_like_sip(ev.payload)) {
          ++stats_.websocket_messages;
          emit(ev.payload, c, ev.frame, c.time, transport::ws);
        }
      } else if (ev.kind == ws_event_kind::error) {
        diag_event d{diag_kind::bad_ws_frame, is_fatal(ev.error), ev.frame, ev.stream_offset, ev.what};
        h_->on_diag(d);
      }
    }
  }

  void hep(half_stream& hs, const tcp_chunk& c) {
    if (c.gap_before) hs.hep_buf.clear();
    hs.hep_buf.append(c.bytes);
    std::size_t pos = 0;
    while (true) {
      hep_frame f = hep_frame_length(std::string_view(hs.hep_buf).substr(pos));
      if (f.status == hep_frame_status::incomplete) break;
      if (f.status == hep_frame_status::malformed) {
        diag_event d{diag_kind::bad_hep_packet, true, c.frame, 0, "HEP3 over TCP: a packet length that cannot be framed"};
        h_->on_diag(d);
        hs.gave_up = true;
        hs.hep_buf.clear();
        return;
      }
      hep_packet p;
      hep_failure err;
      if (!dec_.decode(std::string_view(hs.hep_buf).substr(pos, f.length), p, err)) {
        diag_event d{diag_kind::bad_hep_packet, true, c.frame, err.offset, err.what};
        h_->on_diag(d);
      } else {
        hep_to_sip(p, c.frame, c.time, via_, *h_, stats_);
      }
      pos += f.length;
    }
    hs.hep_buf.erase(0, pos);
    if (hs.hep_buf.size() > 1024 * 1024) {   // bounded: a HEP packet is at most 64 KiB
      hs.hep_buf.clear();
      hs.gave_up = true;
    }
  }

  tcp_reassembler r_;
  framer_options framer_;
  module_stats& stats_;
  handler* h_ = nullptr;
  carriage via_;
  timestamp_ns last_expire_ = 0;
  std::unordered_map<std::uint64_t, half_stream> streams_;
  hep_decoder dec_;
};

// ---- HEP over UDP --------------------------------------------------------------------------
class hep_hook final : public udp_hook {
 public:
  explicit hep_hook(module_stats& s) : stats_(s) {}
  // what looks_like_hep() accepts first: "HEP3", or a v1/v2 version byte
  bool may_take(std::uint8_t first) const noexcept override { return first == 'H' || first == 1 || first == 2; }
  bool take(const udp_event& u, handler& h) override {
    if (!looks_like_hep(u.payload)) return false;
    hep_packet p;
    hep_failure err;
    if (!dec_.decode(u.payload, p, err)) {
      diag_event d{diag_kind::bad_hep_packet, true, u.frame, err.offset, err.what};
      h.on_diag(d);
      return true;
    }
    hep_to_sip(p, u.frame, u.time, u.via, h, stats_);
    return true;
  }

 private:
  hep_decoder dec_;
  module_stats& stats_;
};

}  // namespace

struct standard_modules::impl {
  module_stats stats;
  defrag_hook defrag;
  stream_hook_impl streams;
  hep_hook hep;
  explicit impl(const module_limits& l) : defrag(l.defrag, stats), streams(l.tcp, l.sip, stats), hep(stats) {}
};

standard_modules::standard_modules(const module_limits& limits) : impl_(std::make_unique<impl>(limits)) {}
standard_modules::~standard_modules() = default;

void standard_modules::install(pipeline& p) {
  p.set_defragmenter(&impl_->defrag);
  p.set_stream_reassembler(&impl_->streams);
  p.add_udp_decapsulator(&impl_->hep);
}

const module_stats& standard_modules::stats() const noexcept { return impl_->stats; }

}  // namespace sipscope::capture
