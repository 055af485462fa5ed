// The correlator: transactions (RFC 3261 17), dialogs (12), calls, other records, SDP offer/
// answer (RFC 3264) and the hand-off of media to the stream tracker (media_bridge.hpp).
#include "sipscope/correlate/correlator.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <list>
#include <optional>
#include <regex>
#include <stdexcept>
#include <unordered_map>

#include "media_bridge.hpp"
#include "sip_view.hpp"
#include "sipscope/parser/body.hpp"
#include "sipscope/parser/message.hpp"
#include "sipscope/parser/params.hpp"

namespace sipscope::correlate {

namespace {

using parser::method;

std::string str(std::string_view s) { return std::string(s); }

// A transaction as seen on the wire at one hop (its top Via).
struct txn {
  std::string key;
  method kind = method::unknown;
  std::string method_text;
  std::uint32_t cseq = 0;
  bool initial_invite = false;   // INVITE without To tag: creates the call's dialogs
  bool primary = false;          // the caller's hop of its CSeq: it drives the call state
  bool request_seen = false;
  endpoint src, dst;             // of the request, first seen
  // Every hop (src, dst) the request was seen on: the same request captured at two points (a
  // mirror of both sides of a router, ERSPAN of two links) is one more sighting, not a
  // retransmission; only a second copy on the same path is.
  std::vector<std::pair<endpoint, endpoint>> paths;
  timestamp_ns first = 0;
  std::uint16_t final_status = 0;
  struct response {
    std::uint16_t code;
    std::string to_tag;
    std::uint32_t rseq;
    endpoint src, dst;
  };
  std::vector<response> responses;
};

struct live {
  record r;
  std::vector<txn> txns;
  std::string caller_tag;
  std::uint32_t primary_cseq = 0;
  bool have_primary = false;
  bool cancel_seen = false;
  bool over = false;                       // outcome known: only linger is left
  timestamp_ns last_activity = 0;
  std::list<live*>::iterator lru;          // its place in impl::lru (front: most recent)
  side pending_offer = side::none;         // RFC 3264: an offer waits for its answer
  std::vector<std::pair<std::uint32_t, side>> changes_seen;   // re-INVITE/UPDATE handled
  bool held[3] = {false, false, false};    // by side
};

bool is_final_call_state(call_state s) {
  return s != call_state::calling && s != call_state::ringing && s != call_state::in_call;
}

call_state state_for_final(std::uint16_t code, bool cancel_seen) {
  if (code == 487 || (cancel_seen && code >= 300)) return call_state::cancelled;
  if (code >= 300 && code < 400) return call_state::redirected;
  if (code == 486 || code == 600) return call_state::busy;
  if (code == 480 || code == 408) return call_state::no_answer;
  if (code >= 500 && code < 600) return call_state::failed;
  return call_state::rejected;
}

record_kind kind_for(method m) {
  switch (m) {
    case method::invite: return record_kind::call;
    case method::register_: return record_kind::registration;
    case method::options: return record_kind::options;
    case method::message: return record_kind::message;
    case method::subscribe:
    case method::notify: return record_kind::subscription;
    case method::refer: return record_kind::refer;
    default: return record_kind::other;
  }
}

party make_party(const parser::name_addr* na) {
  party p;
  if (!na) return p;
  p.uri = str(na->address.raw);
  p.user = parser::unescape(na->address.user);
  if (!na->display_name.empty())
    p.display = na->display_quoted ? parser::unquote(na->display_name) : str(na->display_name);
  if (auto t = na->params.find("tag")) p.tag = str(t->value);
  return p;
}

// "PCMU 192.0.2.1:49170 sendrecv" for the ladder and the message list.
std::string sdp_summary(const std::vector<sdp_media>& v, std::size_t from) {
  std::string s;
  for (std::size_t i = from; i < v.size(); ++i) {
    const sdp_media& m = v[i];
    if (!s.empty()) s += ", ";
    if (m.media != "audio") { s += m.media; s += ' '; }
    if (!m.codecs.empty()) s += m.codecs.front().name.empty() ? std::to_string(m.codecs.front().payload_type) : m.codecs.front().name;
    else s += '-';
    s += ' ';
    if (m.address.ip.family) {
      s += m.address.to_string();
    } else {
      s += m.connection.empty() ? "?" : m.connection;
      s += ':';
      s += std::to_string(m.address.port);
    }
    s += ' ';
    s += m.direction;
  }
  return s;
}

bool parse_ip(std::string_view text, capture::ip_address& out);

}  // namespace

struct correlator::impl {
  correlator_options opt;
  correlator_stats stats;
  sink out;
  parser::message msg;
  parser::decoded_body body;
  std::vector<parser::diagnostic> body_diags;
  parser::parse_options parse_opt;
  std::unordered_map<std::string, std::unique_ptr<live>> active;
  std::vector<record> done;
  std::uint64_t next_index = 1;
  timestamp_ns now = 0;
  timestamp_ns next_sweep = 0;
  // SDP media address -> Call-ID of the live record that announced it (B2BUA leg fallback).
  std::unordered_map<std::string, std::string> media_owner;
  // Refer-To target -> Call-ID of the call that sent the REFER (blind transfer link).
  std::unordered_map<std::string, std::string> refer_targets;
  std::unique_ptr<detail::media_bridge> media;
  std::optional<std::regex> leg_pattern;
  std::optional<std::regex> text_match;
  std::unordered_map<std::string, std::string> leg_base;   // shared part -> a Call-ID with it
  std::unordered_map<std::uint64_t, live*> by_index;   // records in progress
  // "src>dst" of the last UDP request of each path -> its Call-ID: an ICMP error quoting a
  // datagram on that path belongs to that record.
  std::unordered_map<std::string, std::string> request_paths;
  // TCP connections (capture::tcp_event) by their two endpoints ("lo|hi"): a connect in
  // progress and the record it was made for, or the record of the last SIP message carried.
  struct tcp_conn {
    endpoint client, server;
    std::string call_id;             // "" when no record is known
    bool established = false, carried_sip = false, failed = false;
  };
  std::unordered_map<std::string, tcp_conn> tcp_conns;
  // Host IP -> Call-ID and time of the last requests it received (at most 8): a connect from
  // that host within 64*T1 is made to forward one of them (RFC 3261 16.6) or to answer it
  // (18.2.2): the one whose Request-URI names the connect's target, else the last one.
  std::unordered_map<std::string, std::vector<std::pair<std::string, timestamp_ns>>> host_requests;
  std::vector<std::uint16_t> sip_ports;   // ports SIP was seen on (at most 64)
  void on_tcp(const capture::tcp_event& e);
  void note_tcp_sip(const capture::sip_event& e, const record& r);
  tcp_failure* tcp_failure_of(const tcp_conn& c, tcp_failure_kind k);
  // Records in progress by last activity, most recent first: max_records hands over the back
  // one in O(1) (a scan of every record per new Call-ID made a Call-ID flood quadratic).
  std::list<live*> lru;
  std::vector<stream_info> orphans;

  void on_sip(const capture::sip_event& e);
  live& record_for(const detail::sip_view& v, const capture::sip_event& e);
  txn* find_txn(live& l, const std::string& key);
  void handle_request(live& l, const detail::sip_view& v, const capture::sip_event& e, message_entry& me);
  void handle_response(live& l, const detail::sip_view& v, const capture::sip_event& e, message_entry& me);
  void handle_sdp(live& l, const detail::sip_view& v, message_entry& me, std::size_t index);
  void handle_links(live& l, const detail::sip_view& v);
  void note_headers(record& r, std::size_t index, std::uint16_t status, bool invite);
  void link(live& l, const std::string& other);
  int dialog_of(live& l, std::string_view a, std::string_view b);
  void sweep();
  void finalise(live& l, bool at_end);
  void emit(record&& r);
  void limit(capture::diag_kind k, const capture::frame_ref& f, std::string_view what) const {
    if (opt.on_limit) opt.on_limit(capture::diag_event{k, true, f, 0, what});
  }
  void add_txn(live& l, txn&& n, const capture::sip_event& e) {
    if (!l.txns.empty() && l.txns.size() >= opt.max_transactions_per_record) [[unlikely]] {
      limit(capture::diag_kind::transaction_limit, e.frame, "fewer transactions in one record (the oldest was forgotten)");
      l.txns.erase(l.txns.begin());
    }
    l.txns.push_back(std::move(n));
  }
};

// ---- records and transactions --------------------------------------------------------------

live& correlator::impl::record_for(const detail::sip_view& v, const capture::sip_event& e) {
  auto it = active.find(std::string(v.call_id));
  if (it != active.end()) return *it->second;
  if (out && active.size() >= opt.max_records) {
    // Memory stays bounded: the least recently active record is handed over now.
    auto oldest = active.find(lru.back()->r.call_id);
    finalise(*oldest->second, false);
    record r = std::move(oldest->second->r);
    lru.erase(oldest->second->lru);
    active.erase(oldest);
    ++stats.evicted_records;
    limit(capture::diag_kind::record_limit, e.frame, "fewer records in progress (the least recent one was handed over early)");
    emit(std::move(r));
  }
  auto l = std::make_unique<live>();
  record& r = l->r;
  r.index = next_index++;
  r.call_id = str(v.call_id);
  r.kind = kind_for(v.method);
  r.first_method = str(v.method_text);
  r.caller = make_party(msg.from());
  r.callee = make_party(msg.to());
  // A From/To whose grammar failed: what a reader needs is still in the raw text.
  if (!msg.from())
    if (const parser::header* h = msg.find(parser::header_kind::from)) {
      r.caller.uri = str(detail::scan_uri(h->value));
      r.caller.tag = str(v.from_tag);
    }
  if (!msg.to())
    if (const parser::header* h = msg.find(parser::header_kind::to)) r.callee.uri = str(detail::scan_uri(h->value));
  if (!v.request)
    r.findings.push_back({"request_not_captured", "the record starts with a response: its request (" +
                                                      str(v.cseq_method) + ") is not in the capture"});
  if (v.request) r.request_uri = str(msg.request.uri_text);
  if (v.lenient)
    r.findings.push_back({"malformed_from_to", "From or To does not match the RFC 3261 grammar; the tag was read from the raw text"});
  if (const parser::header_item* pai = msg.first_item(parser::header_kind::p_asserted_identity))
    if (pai->type == parser::value_type::name_addr) r.asserted = str(pai->addr.address.raw);
  r.first_time = e.time;
  l->caller_tag = str(v.from_tag);
  if (r.kind == record_kind::registration) r.aor = r.callee.uri;
  ++stats.records;
  auto [pos, ok] = active.emplace(r.call_id, std::move(l));
  (void)ok;
  by_index[pos->second->r.index] = pos->second.get();
  lru.push_front(pos->second.get());
  pos->second->lru = lru.begin();
  if (leg_pattern && pos->second->r.kind == record_kind::call) {
    // Call-ID pattern fallback: the part both legs share (the whole Call-ID when the pattern
    // does not match it, so an A leg finds its B legs and the other way round).
    const std::string& id = pos->second->r.call_id;
    std::smatch m;
    std::string base = std::regex_match(id, m, *leg_pattern) && m.size() > 1 ? m[1].str() : id;
    auto [it2, fresh] = leg_base.emplace(base, id);
    if (!fresh && it2->second != id) link(*pos->second, it2->second);
    if (leg_base.size() > 200000) leg_base.clear();
  }
  return *pos->second;
}

txn* correlator::impl::find_txn(live& l, const std::string& key) {
  for (auto it = l.txns.rbegin(); it != l.txns.rend(); ++it)
    if (it->key == key) return &*it;
  return nullptr;
}

int correlator::impl::dialog_of(live& l, std::string_view a, std::string_view b) {
  for (std::size_t i = 0; i < l.r.dialogs.size(); ++i) {
    const dialog& d = l.r.dialogs[i];
    if ((d.local_tag == a && d.remote_tag == b) || (d.local_tag == b && d.remote_tag == a))
      return static_cast<int>(i);
  }
  return -1;
}

void correlator::impl::on_sip(const capture::sip_event& e) {
  ++stats.sip_messages;
  now = std::max(now, e.time);
  if (!stats.first_time || e.time < stats.first_time) stats.first_time = e.time;
  stats.last_time = std::max(stats.last_time, e.time);
  parser::parse_result pr = parser::parse_message(e.bytes, msg, parse_opt);
  if (pr.state != parser::status::ok) {
    ++stats.sip_malformed;
    for (const parser::diagnostic& d : msg.diagnostics) {
      if (d.code == parser::diag_code::message_too_large)
        limit(capture::diag_kind::sip_size_limit, e.frame, "a SIP message no larger than the message size limit");
      else if (d.code == parser::diag_code::too_many_headers)
        limit(capture::diag_kind::sip_header_limit, e.frame, "fewer header fields or list elements in a SIP message");
    }
  }
  detail::sip_view v;
  if (!detail::make_view(msg, v)) {
    ++stats.sip_unusable;
    return;
  }
  live& l = record_for(v, e);
  record& r = l.r;
  ++r.sip_messages;
  if (text_match && std::regex_search(e.bytes.begin(), e.bytes.end(), *text_match)) ++r.text_matches;
  r.last_time = std::max(r.last_time, e.time);
  l.last_activity = e.time;
  if (l.lru != lru.begin()) lru.splice(lru.begin(), lru, l.lru);

  message_entry me;
  me.frame = e.frame;
  if (opt.keep_raw) me.raw.assign(e.bytes);
  if (e.pieces.count > 1) me.pieces.assign(e.pieces.begin(), e.pieces.end());
  me.time = e.time;
  me.src = e.src;
  me.dst = e.dst;
  me.proto = e.proto;
  me.request = v.request;
  me.status = v.status;
  me.cseq = v.cseq;
  me.method = str(v.method_text);
  for (const parser::diagnostic& d : msg.diagnostics) {
    if (d.level == parser::severity::error) ++me.errors;
    else if (d.level == parser::severity::warning) ++me.warnings;
  }
  if (v.request) {
    me.summary = str(msg.request.method_text);
    me.summary += ' ';
    me.summary += msg.request.uri_text;
  } else {
    me.summary = std::to_string(v.status);
    if (!v.reason.empty()) { me.summary += ' '; me.summary += v.reason; }
    me.reason = str(v.reason.substr(0, 128));
  }
  for (const parser::header& h : msg.headers) {
    if ((h.kind == parser::header_kind::user_agent || h.kind == parser::header_kind::server) && !h.value.empty()) {
      if (me.user_agent.empty()) me.user_agent = str(h.value.substr(0, 128));
      if (r.user_agents.size() < 8 && std::find(r.user_agents.begin(), r.user_agents.end(), h.value) == r.user_agents.end())
        r.user_agents.emplace_back(h.value);
    }
  }

  if (v.request) handle_request(l, v, e, me);
  else handle_response(l, v, e, me);
  if (v.request && e.proto == capture::transport::udp) {
    if (request_paths.size() > 100000) request_paths.clear();
    std::string key = e.src.to_string();
    key += '>';
    key += e.dst.to_string();
    request_paths[key] = r.call_id;
  }
  if (v.request && v.method != method::ack) {
    if (host_requests.size() > 100000) host_requests.clear();
    auto& recent = host_requests[e.dst.ip.to_string()];
    std::erase_if(recent, [&](const auto& x) { return x.first == r.call_id; });
    if (recent.size() >= 8) recent.erase(recent.begin());
    recent.emplace_back(r.call_id, e.time);
  }
  for (std::uint16_t port : {e.src.port, e.dst.port})
    if (sip_ports.size() < 64 && std::find(sip_ports.begin(), sip_ports.end(), port) == sip_ports.end()) sip_ports.push_back(port);
  if (e.proto != capture::transport::udp) note_tcp_sip(e, r);

  if (me.retransmission) {
    ++r.retransmissions;
    ++stats.retransmissions;
  }
  std::size_t index = r.messages.size();
  if (!me.retransmission && index < opt.max_messages_per_record) note_headers(r, index, v.request ? 0 : v.status, v.method == method::invite);
  if (!me.retransmission && !msg.body.empty()) handle_sdp(l, v, me, index);
  else if (me.retransmission && !msg.body.empty()) me.has_sdp = msg.content_type() != nullptr;
  if (!me.retransmission) handle_links(l, v);

  if (r.messages.size() < opt.max_messages_per_record) r.messages.push_back(std::move(me));
  else {
    ++r.dropped_messages;
    limit(capture::diag_kind::message_limit, e.frame, "fewer messages in one record (counted, not kept)");
  }

  if (out && e.time >= next_sweep) sweep();
}

void correlator::impl::handle_request(live& l, const detail::sip_view& v, const capture::sip_event& e,
                                      message_entry& me) {
  record& r = l.r;
  // ACK of a non-2xx final belongs to the INVITE transaction (same branch, RFC 3261 17.1.1.3);
  // ACK of a 2xx is a transaction of its own, in the dialog (13.2.2.4).
  std::string key;
  txn* t = nullptr;
  bool ack_in_invite = false;
  if (v.method == method::ack) {
    std::string ikey = detail::transaction_key(v, "INVITE");
    txn* it = find_txn(l, ikey);
    if (it && (it->final_status == 0 || it->final_status >= 300)) {
      t = it;
      ack_in_invite = true;
    }
  }
  if (!t) {
    key = detail::transaction_key(v, v.method_text);
    t = find_txn(l, key);
  }
  if (ack_in_invite) {
    // A repeated non-2xx ACK on the same hop is a retransmission (one per final retransmitted).
    bool again = false;
    for (const message_entry& m : r.messages)
      if (m.request && m.method == "ACK" && m.cseq == v.cseq && m.src == e.src && m.dst == e.dst) again = true;
    me.retransmission = again;
  } else if (t) {
    const std::pair<endpoint, endpoint> path{e.src, e.dst};
    if (std::find(t->paths.begin(), t->paths.end(), path) != t->paths.end()) {
      me.retransmission = true;
    } else {
      if (!t->request_seen) { t->request_seen = true; t->src = e.src; t->dst = e.dst; }
      if (t->paths.size() < 16) t->paths.push_back(path);
    }
  } else {
    txn n;
    n.key = std::move(key);
    n.kind = v.method;
    n.method_text = str(v.method_text);
    n.cseq = v.cseq;
    n.request_seen = true;
    n.src = e.src;
    n.dst = e.dst;
    n.paths.push_back({e.src, e.dst});
    n.first = e.time;
    n.initial_invite = v.method == method::invite && v.to_tag.empty();
    if (n.initial_invite && (!l.have_primary || v.cseq > l.primary_cseq)) {
      n.primary = true;
      l.have_primary = true;
      l.primary_cseq = v.cseq;
    }
    add_txn(l, std::move(n), e);
    t = &l.txns.back();
  }
  if (!v.to_tag.empty()) me.dialog = dialog_of(l, v.from_tag, v.to_tag);
  if (me.retransmission) return;

  const side by = v.from_tag == l.caller_tag ? side::caller : side::callee;
  switch (v.method) {
    case method::invite:
      if (t->primary) {
        if (!r.times.invite) r.times.invite = e.time;
        // A new attempt (after a challenge or a redirect) starts over.
        if (is_final_call_state(r.state) && r.state != call_state::completed) {
          r.state = call_state::calling;
          r.times.final.reset();
          l.over = false;
        }
      }
      break;
    case method::ack:
      if (!ack_in_invite && !r.times.ack) r.times.ack = e.time;
      break;
    case method::bye:
      if (!r.times.bye) {
        r.times.bye = e.time;
        r.hangup = by;
      }
      if (r.kind == record_kind::call) {
        r.state = call_state::completed;
        l.over = true;
      }
      if (me.dialog >= 0) {
        dialog& d = r.dialogs[static_cast<std::size_t>(me.dialog)];
        d.state = dialog_state::terminated;
        if (!d.terminated) d.terminated = e.time;
      }
      break;
    case method::cancel: {
      if (!r.times.cancel) r.times.cancel = e.time;
      // Only a CANCEL of the caller's own INVITE makes the call "cancelled": a proxy that
      // CANCELs the other forks (RFC 3261 16.7 step 10) or its ringing branch on a no-answer
      // timer (16.8) passes a 2xx or a 408/480 upstream instead.
      const txn* inv = find_txn(l, detail::transaction_key(v, "INVITE"));
      if (inv && inv->primary) l.cancel_seen = true;
      break;
    }
    case method::prack:
      r.prack = true;
      break;
    case method::register_:
      if (const parser::header_item* c = msg.first_item(parser::header_kind::contact)) {
        if (c->type == parser::value_type::name_addr) {
          r.contact = c->addr.star ? "*" : str(c->addr.address.raw);
          if (auto ex = c->addr.params.find("expires")) r.expires = static_cast<std::uint32_t>(std::strtoul(std::string(ex->value).c_str(), nullptr, 10));
          else if (const parser::header_item* eh = msg.first_item(parser::header_kind::expires)) r.expires = eh->number.value;
          else r.expires = 3600;
        }
      }
      break;
    case method::subscribe:
      if (const parser::header_item* ev = msg.first_item(parser::header_kind::event))
        if (r.event.empty()) r.event = str(ev->token.token);
      break;
    case method::notify:
      if (const parser::header_item* ev = msg.first_item(parser::header_kind::event))
        if (r.event.empty()) r.event = str(ev->token.token);
      if (const parser::header_item* ss = msg.first_item(parser::header_kind::subscription_state))
        r.subscription_state = str(ss->token.token);
      break;
    default:
      break;
  }
  if (const parser::header* rh = msg.find(parser::header_kind::reason))
    if ((v.method == method::bye || v.method == method::cancel) && r.reason_header.empty()) r.reason_header = str(rh->value);
}

void correlator::impl::handle_response(live& l, const detail::sip_view& v, const capture::sip_event& e,
                                       message_entry& me) {
  record& r = l.r;
  std::string key = detail::transaction_key(v, v.cseq_method);
  txn* t = find_txn(l, key);
  if (!t) {
    // The request was not captured (capture started late, or another path): the response
    // still tells what happened; the transaction is made from it.
    txn n;
    n.key = std::move(key);
    n.kind = v.method;
    n.method_text = str(v.cseq_method);
    n.cseq = v.cseq;
    n.src = e.dst;
    n.dst = e.src;
    n.first = e.time;
    n.initial_invite = v.method == method::invite && !l.have_primary;
    if (n.initial_invite) {
      n.primary = true;
      l.have_primary = true;
      l.primary_cseq = v.cseq;
    }
    add_txn(l, std::move(n), e);
    t = &l.txns.back();
  }
  for (const txn::response& p : t->responses) {
    if (p.code == v.status && p.to_tag == v.to_tag && p.rseq == v.rseq && p.src == e.src && p.dst == e.dst) {
      me.retransmission = true;
      break;
    }
  }
  if (!me.retransmission && t->responses.size() < 64)
    t->responses.push_back({v.status, str(v.to_tag), v.rseq, e.src, e.dst});

  // Dialogs: a 101-299 response with a To tag to a dialog-forming request (RFC 3261 12.1).
  const bool forming = v.method == method::invite || v.method == method::subscribe || v.method == method::refer ||
                       v.method == method::notify;
  if (!v.to_tag.empty()) {
    me.dialog = dialog_of(l, v.from_tag, v.to_tag);
    if (me.dialog < 0 && forming && v.status > 100 && v.status < 300) {
      dialog d;
      d.local_tag = str(v.from_tag);
      d.remote_tag = str(v.to_tag);
      d.method = str(v.cseq_method);
      d.created = e.time;
      d.first_status = v.status;
      r.dialogs.push_back(std::move(d));
      me.dialog = static_cast<int>(r.dialogs.size() - 1);
    }
    if (me.dialog >= 0 && forming && v.status >= 200 && v.status < 300) {
      dialog& d = r.dialogs[static_cast<std::size_t>(me.dialog)];
      if (d.state == dialog_state::early) {
        d.state = dialog_state::confirmed;
        d.confirmed = e.time;
      }
    }
  }
  if (me.retransmission) return;
  if (v.status >= 200 && (t->final_status == 0 || (t->final_status >= 300 && v.status < 300))) t->final_status = v.status;
  if (v.rseq) r.prack = true;

  if (r.kind == record_kind::call) {
    if (v.method == method::invite && t->primary && t->cseq == l.primary_cseq) {
      if (v.status > 100 && v.status < 200) {
        if (v.status >= 180 && v.status < 190 && !r.times.first_18x) r.times.first_18x = e.time;
        if (r.state == call_state::calling) r.state = call_state::ringing;
      } else if (v.status >= 200 && v.status < 300) {
        if (!r.times.answer) r.times.answer = e.time;
        if (r.state != call_state::completed) {
          r.state = call_state::in_call;
          l.over = false;
        }
        r.final_status = v.status;
        r.final_reason = str(v.reason);
        r.times.final.reset();
      } else if (v.status >= 300 && r.state != call_state::in_call && r.state != call_state::completed) {
        if (v.status == 401 || v.status == 407) ++r.auth_challenges, r.challenged = true;
        r.state = state_for_final(v.status, l.cancel_seen);
        r.final_status = v.status;
        r.final_reason = str(v.reason);
        r.times.final = e.time;
        l.over = true;
        // Early dialogs end with the transaction's non-2xx final (RFC 3261 12.3 via 13.2.2.3).
        for (dialog& d : r.dialogs)
          if (d.state == dialog_state::early && d.method == "INVITE") {
            d.state = dialog_state::terminated;
            d.terminated = e.time;
          }
        if (const parser::header* rh = msg.find(parser::header_kind::reason))
          if (r.reason_header.empty()) r.reason_header = str(rh->value);
      }
    }
    // Hold/resume history and the re-INVITE outcome are handled with the SDP.
  } else if (v.status >= 200 && v.method == parser::lookup_method(r.first_method)) {
    if (v.status == 401 || v.status == 407) {
      r.challenged = true;
      ++r.auth_challenges;
    }
    r.final_status = v.status;
    r.final_reason = str(v.reason);
    if (v.status < 300) {
      r.outcome = record_state::ok;
      if (r.kind == record_kind::registration) {
        // The registrar's 2xx lists the bindings it granted (RFC 3261 10.3 step 8).
        std::uint32_t granted = r.expires;
        bool found = false;
        for (const parser::header& h : msg.headers) {
          if (h.kind != parser::header_kind::contact || !h.valid) continue;
          for (const parser::header_item* it = msg.item_begin(h); it != msg.item_end(h); ++it) {
            if (it->type != parser::value_type::name_addr) continue;
            if (!found || std::string_view(it->addr.address.raw) == r.contact) {
              if (auto ex = it->addr.params.find("expires")) granted = static_cast<std::uint32_t>(std::strtoul(std::string(ex->value).c_str(), nullptr, 10));
              if (r.contact.empty()) r.contact = str(it->addr.address.raw);
              found = true;
            }
          }
        }
        if (!found)
          if (const parser::header_item* eh = msg.first_item(parser::header_kind::expires)) granted = eh->number.value;
        r.expires = granted;
        r.outcome = r.expires == 0 || r.contact == "*" ? record_state::unregistered : record_state::registered;
      }
      l.over = true;
    } else if (v.status != 401 && v.status != 407) {
      r.outcome = record_state::failed;
      l.over = true;
    } else {
      r.outcome = record_state::failed;   // until a retried request succeeds
    }
  }
}

// ---- headers worth quoting as evidence (explain) -----------------------------------------------

void correlator::impl::note_headers(record& r, std::size_t index, std::uint16_t status, bool invite) {
  for (const parser::header& h : msg.headers) {
    std::string_view name;
    switch (h.kind) {
      case parser::header_kind::reason: name = "Reason"; break;
      case parser::header_kind::warning: name = "Warning"; break;
      case parser::header_kind::www_authenticate: name = "WWW-Authenticate"; break;
      case parser::header_kind::proxy_authenticate: name = "Proxy-Authenticate"; break;
      case parser::header_kind::authorization: name = "Authorization"; break;
      case parser::header_kind::proxy_authorization: name = "Proxy-Authorization"; break;
      case parser::header_kind::retry_after: name = "Retry-After"; break;
      case parser::header_kind::unsupported: name = "Unsupported"; break;
      case parser::header_kind::min_se: name = "Min-SE"; break;
      case parser::header_kind::contact:   // where a redirect sends the caller; a 2xx's remote target
        if ((status < 300 || status >= 400) && !(invite && status >= 200 && status < 300)) continue;
        name = "Contact";
        break;
      case parser::header_kind::record_route:   // the route set of a dialog (RFC 3261 12.1.2)
        if (!(invite && status >= 200 && status < 300)) continue;
        name = "Record-Route";
        break;
      case parser::header_kind::max_forwards:
        if (h.value != "0") continue;
        name = "Max-Forwards";
        break;
      default: continue;
    }
    if (r.notes.size() >= 64) return;
    r.notes.push_back({static_cast<std::uint32_t>(index), std::string(name), str(h.value.substr(0, 256))});
  }
}

// ---- SDP ---------------------------------------------------------------------------------------

void correlator::impl::handle_sdp(live& l, const detail::sip_view& v, message_entry& me, std::size_t index) {
  body.clear();
  body_diags.clear();
  parser::decode_body(msg, body, body_diags, static_cast<unsigned>(opt.sip.max_multipart_depth));
  for (const parser::diagnostic& d : body_diags)
    if (d.code == parser::diag_code::multipart_too_deep) {
      limit(capture::diag_kind::multipart_depth_limit, me.frame, "a body nested no deeper than the multipart depth limit");
      break;
    }
  const parser::sdp_session* s = body.first_sdp();
  if (!s) return;
  me.has_sdp = true;
  record& r = l.r;
  const side from = (v.request == (v.from_tag == l.caller_tag)) ? side::caller : side::callee;
  const side other = from == side::caller ? side::callee : side::caller;
  const bool offer = l.pending_offer != other;
  l.pending_offer = offer ? from : side::none;
  const std::size_t first = r.sdp.size();
  bool any_hold = false, any_active = false;
  for (const parser::sdp_media& m : s->media) {
    sdp_media sm;
    sm.message = index;
    sm.from = from;
    sm.offer = offer;
    sm.media = str(m.type);
    sm.proto = str(m.proto);
    const parser::sdp_connection* c = s->connection(m);
    if (c) {
      parse_ip(c->address, sm.address.ip);
      sm.connection = str(c->address.substr(0, 64));
    }
    sm.address.port = m.port;
    const parser::sdp_direction dir = s->direction(m);
    sm.direction = str(parser::to_string(dir));
    const bool zero_addr = c && (c->address == "0.0.0.0");
    sm.hold = dir == parser::sdp_direction::sendonly || dir == parser::sdp_direction::inactive || zero_addr;
    sm.crypto = s->find(m, "crypto") != nullptr || m.proto.find("SAVP") != std::string_view::npos;
    if (const parser::sdp_attribute* pt = s->find(m, "ptime")) {
      parser::sdp_ptime p;
      if (parser::parse_ptime(pt->value, p)) sm.ptime = p.ms;
    }
    for (std::string_view f : s->formats(m)) {
      sdp_codec cd;
      unsigned n = 0;
      bool numeric = !f.empty() && f.size() <= 3;
      for (char ch : f) {
        if (ch < '0' || ch > '9') numeric = false;
        else n = n * 10 + static_cast<unsigned>(ch - '0');
      }
      if (!numeric || n > 127) continue;
      cd.payload_type = static_cast<std::uint8_t>(n);
      parser::sdp_rtpmap rm;
      if (parser::find_rtpmap(*s, m, cd.payload_type, rm)) {
        cd.name = str(rm.encoding);
        cd.clock_rate = rm.clock_rate;
      } else {
        detail::static_payload(cd.payload_type, cd.name, cd.clock_rate);
      }
      if (parser::iequals(cd.name, "telephone-event")) sm.telephone_event = cd.payload_type;
      if (sm.codecs.size() < 32) sm.codecs.push_back(std::move(cd));
    }
    if (m.type == "audio" && m.port != 0) (sm.hold ? any_hold : any_active) = true;
    if (r.sdp.size() < 256) r.sdp.push_back(std::move(sm));
  }
  me.sdp = sdp_summary(r.sdp, first);

  // Hold / resume: an in-dialog offer (re-INVITE, UPDATE) that changes the direction
  // (RFC 3264 8.4; c=0.0.0.0 of RFC 2543). The same request seen at several hops counts once.
  if (offer && v.request && !v.to_tag.empty() && (v.method == method::invite || v.method == method::update)) {
    const std::pair<std::uint32_t, side> id{v.cseq, from};
    if (std::find(l.changes_seen.begin(), l.changes_seen.end(), id) == l.changes_seen.end()) {
      l.changes_seen.push_back(id);
      session_change ch;
      ch.time = me.time;
      ch.method = str(v.method_text);
      ch.by = from;
      bool& held = l.held[static_cast<int>(from)];
      if (any_hold && !any_active) {
        ch.what = "hold";
        if (!held) ++r.holds;
        held = true;
      } else if (held && any_active) {
        ch.what = "resume";
        held = false;
      } else {
        ch.what = "media";
      }
      if (r.changes.size() < 256) r.changes.push_back(std::move(ch));
    }
  }

  // Media: each address a side announced is where it wants to receive RTP.
  for (std::size_t i = first; i < r.sdp.size(); ++i) {
    const sdp_media& sm = r.sdp[i];
    if (sm.address.port == 0 || sm.address.ip.family == 0) continue;
    if (media) media->expect(r.index, r.call_id, sm, me.time);
    if (opt.link_by_media && r.kind == record_kind::call) {
      std::string k = sm.address.to_string();
      auto [it, fresh] = media_owner.emplace(k, r.call_id);
      if (!fresh && it->second != r.call_id) {
        // Only two calls in progress at once: a phone that reuses its media port for its next
        // call is not a B2BUA.
        auto other = active.find(it->second);
        if (other != active.end() && !other->second->over) link(l, it->second);
        it->second = r.call_id;
      }
    }
  }
  // A message past the messages-per-record limit is not kept (only counted): its media were
  // expected above, but record::sdp must not name it (sdp_media::message indexes
  // record::messages, which explain, the ladder and the JSON follow).
  if (index >= opt.max_messages_per_record) r.sdp.resize(first);
}

// ---- legs: B2BUA correlation headers, transfers, shared media ---------------------------------

void correlator::impl::link(live& l, const std::string& other) {
  if (other.empty() || other == l.r.call_id) return;
  auto add = [](record& r, const std::string& id) {
    if (r.legs.size() < 64 && std::find(r.legs.begin(), r.legs.end(), id) == r.legs.end()) r.legs.push_back(id);
  };
  add(l.r, other);
  auto it = active.find(other);
  if (it != active.end()) add(it->second->r, l.r.call_id);
}

void correlator::impl::handle_links(live& l, const detail::sip_view& v) {
  for (const parser::header& h : msg.headers) {
    if (h.kind == parser::header_kind::other) {
      for (const std::string& name : opt.leg_headers)
        if (parser::iequals(h.name, name)) link(l, std::string(h.value));
    } else if (h.kind == parser::header_kind::replaces && h.valid && h.item_count) {
      // RFC 3891: this INVITE replaces the dialog of that call (attended transfer, pickup).
      const parser::header_item* it = msg.item_begin(h);
      if (it->type == parser::value_type::replaces) link(l, std::string(it->replaces.call_id));
    } else if (h.kind == parser::header_kind::refer_to && h.valid && h.item_count && v.request) {
      const parser::header_item* it = msg.item_begin(h);
      if (it->type != parser::value_type::name_addr) continue;
      // Refer-To: <sip:carol@...?Replaces=callid%3Bto-tag...> names the call to replace.
      for (const parser::param& p : it->addr.address.headers) {
        if (!parser::iequals(p.name, "Replaces")) continue;
        std::string val = parser::unescape(p.value);
        link(l, val.substr(0, val.find(';')));
      }
      std::string target = std::string(it->addr.address.user) + "@" + std::string(it->addr.address.host);
      if (refer_targets.size() > 100000) refer_targets.clear();
      refer_targets[target] = l.r.call_id;
    } else if (h.kind == parser::header_kind::referred_by && v.request && v.method == method::invite && v.to_tag.empty()) {
      // The INVITE a transferee sends to the Refer-To target (RFC 3515 2.4.6, RFC 3892).
      const parser::uri& ru = msg.request.request_uri;
      auto it = refer_targets.find(std::string(ru.user) + "@" + std::string(ru.host));
      if (it == refer_targets.end() && msg.to())
        it = refer_targets.find(std::string(msg.to()->address.user) + "@" + std::string(msg.to()->address.host));
      if (it != refer_targets.end()) link(l, it->second);
    }
  }
}

// ---- finalisation ------------------------------------------------------------------------------

void correlator::impl::sweep() {
  next_sweep = capture::later(now, 1'000'000'000);
  std::vector<std::string> expired;
  constexpr timestamp_ns timer_b = 32'000'000'000;   // 64*T1: Timer B / Timer F (RFC 3261 17.1)
  for (auto& [id, l] : active) {
    const timestamp_ns idle = capture::elapsed(now, l->last_activity);
    // A request that got no answer within Timer B/F is over: what follows is linger.
    if (!l->over && idle > timer_b &&
        ((l->r.kind == record_kind::call && l->r.state == call_state::calling) ||
         (l->r.kind != record_kind::call && l->r.outcome == record_state::pending)))
      l->over = true;
    if ((l->over && idle > opt.linger) || idle > opt.idle_timeout) expired.push_back(id);
  }
  for (const std::string& id : expired) {
    auto it = active.find(id);
    finalise(*it->second, false);
    record r = std::move(it->second->r);
    lru.erase(it->second->lru);
    active.erase(it);
    emit(std::move(r));
  }
}

void correlator::impl::finalise(live& l, bool at_end) {
  record& r = l.r;
  if (r.last_time) r.times.end = r.last_time;
  if (r.kind == record_kind::call) {
    // No final response at all within Timer B (64*T1 = 32 s): the INVITE timed out.
    if (r.state == call_state::calling && r.times.invite && capture::elapsed(now, *r.times.invite) > 32'000'000'000) {
      r.state = call_state::failed;
      r.findings.push_back({"no_response", "INVITE got no response at all within 32 s (Timer B)"});
    }
    for (dialog& d : r.dialogs)
      if (d.state == dialog_state::early && (r.state != call_state::calling && r.state != call_state::ringing)) {
        d.state = dialog_state::terminated;
        if (!d.terminated) d.terminated = r.last_time;
      }
  }
  if (media) media->finish_record(r, at_end);
}

void correlator::impl::emit(record&& r) {
  by_index.erase(r.index);
  // Only the record's own SDP addresses can name it (a scan of the whole map per record made
  // a flood of calls with SDP quadratic).
  if (!media_owner.empty())
    for (const sdp_media& sm : r.sdp) {
      if (sm.address.port == 0 || sm.address.ip.family == 0) continue;
      auto it = media_owner.find(sm.address.to_string());
      if (it != media_owner.end() && it->second == r.call_id) media_owner.erase(it);
    }
  if (out) out(std::move(r));
  else done.push_back(std::move(r));
}

// ---- public ------------------------------------------------------------------------------------

correlator::correlator(correlator_options o) : p_(std::make_unique<impl>()) {
  p_->opt = std::move(o);
  p_->parse_opt.limit = p_->opt.sip;
  if (!p_->opt.leg_call_id_pattern.empty()) {
    try {
      p_->leg_pattern.emplace(p_->opt.leg_call_id_pattern, std::regex::ECMAScript | std::regex::optimize);
    } catch (const std::regex_error&) {
      throw std::invalid_argument("leg_call_id_pattern is not a valid regular expression: " +
                                  p_->opt.leg_call_id_pattern);
    }
  }
  if (!p_->opt.text_match.empty()) {
    try {
      p_->text_match.emplace(p_->opt.text_match, std::regex::ECMAScript | std::regex::optimize);
    } catch (const std::regex_error&) {
      throw std::invalid_argument("text_match is not a valid regular expression: " + p_->opt.text_match);
    }
  }
  if (p_->opt.media) {
    impl* p = p_.get();
    p_->media = detail::make_media_bridge([p](std::uint64_t index) { return p->by_index.count(index) != 0; }, p_->opt);
  }
}
correlator::~correlator() = default;
void correlator::set_sink(sink s) { p_->out = std::move(s); }
void correlator::on_sip(const capture::sip_event& e) { p_->on_sip(e); }
void correlator::on_udp(const capture::udp_event& e) {
  ++p_->stats.udp_datagrams;
  p_->now = std::max(p_->now, e.time);
  if (!p_->stats.first_time || e.time < p_->stats.first_time) p_->stats.first_time = e.time;
  p_->stats.last_time = std::max(p_->stats.last_time, e.time);
  if (p_->media) p_->media->on_udp(e, p_->stats);
}

void correlator::on_icmp(const capture::icmp_event& e) {
  std::string key = e.src.to_string();
  key += '>';
  key += e.dst.to_string();
  auto path = p_->request_paths.find(key);
  if (path == p_->request_paths.end()) return;
  auto it = p_->active.find(path->second);
  if (it == p_->active.end() || it->second->r.unreachables.size() >= 16) return;
  unreachable u;
  u.frame = e.frame;
  u.time = e.time;
  u.reporter = e.reporter;
  u.to = e.dst;
  u.type = e.type;
  u.code = e.code;
  it->second->r.unreachables.push_back(u);
}

namespace {
std::string tcp_key(const endpoint& a, const endpoint& b) {
  std::string x = a.to_string(), y = b.to_string();
  if (y < x) std::swap(x, y);
  x += '|';
  x += y;
  return x;
}
}  // namespace

tcp_failure* correlator::impl::tcp_failure_of(const tcp_conn& c, tcp_failure_kind k) {
  auto it = active.find(c.call_id);
  if (c.call_id.empty() || it == active.end()) return nullptr;
  std::vector<tcp_failure>& v = it->second->r.tcp_failures;
  for (tcp_failure& f : v)
    if (f.kind == k && ((f.from == c.client && f.to == c.server) || (f.from == c.server && f.to == c.client))) return &f;
  if (v.size() >= 16) return nullptr;
  tcp_failure& f = v.emplace_back();
  f.kind = k;
  f.from = c.client;
  f.to = c.server;
  return &f;
}

// SIP over a TCP connection: the connection is up (a SYN-ACK the capture missed), and a RST on
// it later is told to this record.
void correlator::impl::note_tcp_sip(const capture::sip_event& e, const record& r) {
  if (tcp_conns.size() > 100000) tcp_conns.clear();
  tcp_conn& c = tcp_conns[tcp_key(e.src, e.dst)];
  if (!c.established && !c.call_id.empty()) {   // an "unanswered" connect that was answered
    auto it = active.find(c.call_id);
    if (it != active.end()) {
      std::vector<tcp_failure>& v = it->second->r.tcp_failures;
      v.erase(std::remove_if(v.begin(), v.end(), [&](const tcp_failure& f) {
                return f.kind == tcp_failure_kind::unanswered && f.from == c.client && f.to == c.server;
              }), v.end());
    }
  }
  if (c.client.port == 0) {   // connected before the capture began: the sender is a guess
    c.client = e.src;
    c.server = e.dst;
  }
  c.established = c.carried_sip = true;
  c.failed = false;
  c.call_id = r.call_id;
}

void correlator::impl::on_tcp(const capture::tcp_event& e) {
  constexpr std::uint8_t syn = 0x02, rst = 0x04, ack = 0x10;
  const std::string key = tcp_key(e.src, e.dst);
  if ((e.flags & syn) && !(e.flags & ack) && !(e.flags & rst)) {   // a connect
    auto it = tcp_conns.find(key);
    if (it != tcp_conns.end() && !it->second.established && !it->second.failed && it->second.client == e.src) {
      if (tcp_failure* f = tcp_failure_of(it->second, tcp_failure_kind::unanswered)) {   // retransmitted SYN
        if (f->syns.size() < 16) {
          f->syns.push_back(e.frame);
          f->syn_times.push_back(e.time);
        }
        f->last_syn = e.time;
      }
      return;
    }
    if (tcp_conns.size() > 100000) tcp_conns.clear();
    tcp_conn c;
    c.client = e.src;
    c.server = e.dst;
    auto h = host_requests.find(e.src.ip.to_string());
    const bool sip_port = e.dst.port == 5060 || e.dst.port == 5061 ||
                          std::find(sip_ports.begin(), sip_ports.end(), e.dst.port) != sip_ports.end();
    if (h != host_requests.end() && sip_port) {
      const std::string target = e.dst.ip.to_string();
      for (auto it = h->second.rbegin(); it != h->second.rend(); ++it) {
        if (e.time < it->second || e.time - it->second > 32'000'000'000) continue;
        auto a = active.find(it->first);
        if (a == active.end()) continue;
        if (c.call_id.empty()) c.call_id = it->first;   // the last request, unless...
        if (a->second->r.request_uri.find(target) != std::string::npos) {   // ... one names the target
          c.call_id = it->first;
          break;
        }
      }
    }
    tcp_conns[key] = c;
    if (tcp_failure* f = tcp_failure_of(c, tcp_failure_kind::unanswered)) {
      f->syns.assign(1, e.frame);
      f->syn_times.assign(1, e.time);
      f->first_syn = f->last_syn = e.time;
    }
    return;
  }
  auto it = tcp_conns.find(key);
  if (it == tcp_conns.end()) return;
  tcp_conn& c = it->second;
  if ((e.flags & syn) && (e.flags & ack)) {   // SYN-ACK: the connect is answered
    if (c.established || !(e.src == c.server)) return;
    c.established = true;
    if (auto a = active.find(c.call_id); !c.call_id.empty() && a != active.end()) {
      std::vector<tcp_failure>& v = a->second->r.tcp_failures;
      v.erase(std::remove_if(v.begin(), v.end(), [&](const tcp_failure& f) {
                return f.kind == tcp_failure_kind::unanswered && f.from == c.client && f.to == c.server;
              }), v.end());
    }
    return;
  }
  if (!(e.flags & rst) || c.failed) return;   // the first RST of a connection only
  if (!c.established && e.src == c.server) {   // the SYN answered with RST: refused
    c.failed = true;
    auto a = active.find(c.call_id);
    if (c.call_id.empty() || a == active.end()) return;
    for (tcp_failure& f : a->second->r.tcp_failures)
      if (f.kind == tcp_failure_kind::unanswered && f.from == c.client && f.to == c.server) {
        f.kind = tcp_failure_kind::refused;
        f.rst = e.frame;
        f.rst_time = e.time;
      }
    return;
  }
  if (!c.carried_sip) return;
  c.failed = true;
  tcp_conn by = c;   // reset: `from` got the RST, `to` sent it
  by.client = e.dst;
  by.server = e.src;
  if (tcp_failure* f = tcp_failure_of(by, tcp_failure_kind::reset); f && !f->rst.number) {
    f->rst = e.frame;
    f->rst_time = e.time;
  }
}

void correlator::on_tcp(const capture::tcp_event& e) { p_->on_tcp(e); }

void correlator::finish() {
  std::vector<live*> order;
  for (auto& [id, l] : p_->active) order.push_back(l.get());
  std::sort(order.begin(), order.end(), [](const live* a, const live* b) { return a->r.index < b->r.index; });
  for (live* l : order) p_->finalise(*l, true);
  if (p_->media) p_->media->orphans(p_->orphans);
  for (live* l : order) p_->emit(std::move(l->r));
  p_->active.clear();
  p_->lru.clear();
  if (!p_->out)
    std::sort(p_->done.begin(), p_->done.end(), [](const record& a, const record& b) { return a.index < b.index; });
}

const std::vector<record>& correlator::records() const noexcept { return p_->done; }
const correlator_stats& correlator::stats() const noexcept { return p_->stats; }
std::size_t correlator::in_progress() const noexcept { return p_->active.size(); }
const std::vector<stream_info>& correlator::orphan_streams() const noexcept { return p_->orphans; }

// ---- small helpers -----------------------------------------------------------------------------

namespace {

bool parse_ip(std::string_view text, capture::ip_address& out) {
  out = {};
  if (text.find(':') == std::string_view::npos) {
    unsigned parts[4];
    int n = 0;
    unsigned cur = 0;
    int digits = 0;
    for (char c : text) {
      if (c >= '0' && c <= '9') {
        cur = cur * 10 + static_cast<unsigned>(c - '0');
        if (++digits > 3 || cur > 255) return false;
      } else if (c == '.') {
        if (!digits || n >= 3) return false;
        parts[n++] = cur;
        cur = 0;
        digits = 0;
      } else {
        return false;
      }
    }
    if (!digits || n != 3) return false;
    parts[3] = cur;
    out.family = 4;
    for (int i = 0; i < 4; ++i) out.bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(parts[i]);
    return true;
  }
  // IPv6 (RFC 4291 2.2), with an optional embedded IPv4 tail.
  std::uint16_t groups[8] = {};
  int n = 0, gap = -1;
  std::size_t i = 0;
  if (text.size() >= 2 && text[0] == ':' && text[1] == ':') { gap = 0; i = 2; }
  while (i < text.size()) {
    if (n >= 8) return false;
    std::size_t j = i;
    unsigned v = 0;
    while (j < text.size() && j - i < 5 && std::isxdigit(static_cast<unsigned char>(text[j]))) {
      char c = text[j];
      v = v * 16 + static_cast<unsigned>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
      ++j;
    }
    if (j < text.size() && text[j] == '.') {
      // The IPv4 tail ends the address: with a ':' after it, this call would be called again
      // on the same text: a stack overflow (fuzz_correlate, a c= line of "29.0.b=AS:2.198").
      const std::string_view tail = text.substr(i);
      capture::ip_address v4;
      if (tail.find(':') != std::string_view::npos || !parse_ip(tail, v4) || n > 6) return false;
      groups[n++] = static_cast<std::uint16_t>(v4.bytes[0] << 8 | v4.bytes[1]);
      groups[n++] = static_cast<std::uint16_t>(v4.bytes[2] << 8 | v4.bytes[3]);
      i = text.size();
      break;
    }
    if (j == i || j - i > 4) return false;
    groups[n++] = static_cast<std::uint16_t>(v);
    i = j;
    if (i == text.size()) break;
    if (text[i] != ':') return false;
    ++i;
    if (i < text.size() && text[i] == ':') {
      if (gap >= 0) return false;
      gap = n;
      ++i;
    } else if (i == text.size()) {
      return false;
    }
  }
  if (gap < 0 && n != 8) return false;
  if (gap >= 0 && n > 7) return false;
  std::uint16_t full[8] = {};
  if (gap < 0) {
    std::copy(groups, groups + 8, full);
  } else {
    for (int k = 0; k < gap; ++k) full[k] = groups[k];
    int tail = n - gap;
    for (int k = 0; k < tail; ++k) full[8 - tail + k] = groups[gap + k];
  }
  out.family = 6;
  for (int k = 0; k < 8; ++k) {
    out.bytes[static_cast<std::size_t>(2 * k)] = static_cast<std::uint8_t>(full[k] >> 8);
    out.bytes[static_cast<std::size_t>(2 * k + 1)] = static_cast<std::uint8_t>(full[k] & 0xFF);
  }
  return true;
}

}  // namespace

}  // namespace sipscope::correlate
