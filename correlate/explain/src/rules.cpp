// The rules (issue 10): one table, in priority order. Each rule reads one record of the call
// model and, when it applies, fills the verdict: one sentence, the evidence chain, a
// confidence, what to check next. docs/verdicts.md documents each with an example.
#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "support.hpp"

namespace sipscope::explain {

using namespace detail;
using correlate::call_state;
using correlate::record_kind;
using correlate::record_state;

namespace {

bool is_call(const record& r) { return r.kind == record_kind::call; }

std::string num(double d, int decimals) {
  char b[32];
  std::snprintf(b, sizeof b, "%.*f", decimals, d);
  return b;
}

std::string host_of(const capture::endpoint& e) { return e.to_string(); }

// The hops the initial INVITE went through and what came back: the first steps of most chains.
void invite_steps(const call_view& cv, verdict& v) {
  if (cv.invite) v.chain.push_back(seen(*cv.invite, cv.invite->sdp.empty() ? "" : cat("SDP offer: ", cv.invite->sdp)));
  else v.chain.push_back(not_seen("the INVITE that started the call (the capture begins later)"));
}

void final_steps(const call_view& cv, verdict& v) {
  const message_entry* origin = cv.final_origin();
  const message_entry* to_caller = cv.final_to_caller();
  for (const message_entry* m : {origin, to_caller}) {
    if (!m) continue;
    if (m == origin && origin != to_caller && v.chain.size() && v.chain.back().frame.number == m->frame.number) continue;
    std::string detail;
    if (const correlate::header_note* n = cv.note_of(m, "Reason")) detail = reason_detail(n->value);
    if (const correlate::header_note* n = cv.note_of(m, "Warning")) {
      if (!detail.empty()) detail += "; ";
      detail += cat("Warning: ", n->value);
    }
    if (const correlate::header_note* n = cv.note_of(m, "Retry-After")) {
      if (!detail.empty()) detail += "; ";
      detail += cat("Retry-After: ", n->value);
    }
    v.chain.push_back(seen(*m, detail));
    if (origin == to_caller) break;
  }
}

// " (Reason: Q.850 cause 17, user busy)" from the final response or the CANCEL/BYE, or "".
std::string reason_clause(const call_view& cv) {
  std::string value;
  for (const correlate::header_note& n : cv.r.notes)
    if (n.name == "Reason") { value = n.value; break; }
  if (value.empty()) value = cv.r.reason_header;
  if (value.empty()) return {};
  const int cause = reason_cause(value);
  if (cause < 0) return cat(" (Reason: ", value, ")");
  std::string_view text = q850_cause(cause);
  return cat(" (Reason: Q.850 cause ", std::to_string(cause), text.empty() ? "" : ", ", text, ")");
}

std::string after_invite(const call_view& cv, const message_entry* m) {
  if (!m || !cv.invite) return {};
  return cat(" ", duration_text(m->time - cv.invite->time), " after the INVITE");
}

// The capture's own losses while this call was in progress: frames between the record's first
// and last message (same file), and kernel drops, which no frame locates.
std::vector<const capture_loss*> losses_during(const record& r, const context& c) {
  std::vector<const capture_loss*> out;
  if ((c.losses.empty() && !c.kernel_drops) || r.messages.empty()) return out;
  std::uint32_t file = r.messages.front().frame.file;
  std::uint64_t lo = UINT64_MAX, hi = 0;
  for (const message_entry& m : r.messages) {
    if (m.frame.file != file) continue;
    lo = std::min(lo, m.frame.number);
    hi = std::max(hi, m.frame.number);
    for (const capture::frame_ref& p : m.pieces) lo = std::min(lo, p.number);
  }
  // losses are sorted by (file, frame): the ones of this call are one range.
  auto it = std::lower_bound(c.losses.begin(), c.losses.end(), std::pair(file, lo), [](const capture_loss& l, const std::pair<std::uint32_t, std::uint64_t>& k) {
    return std::pair(l.frame.file, l.frame.number) < k;
  });
  for (; it != c.losses.end() && it->frame.file == file && it->frame.number <= hi; ++it) out.push_back(&*it);
  if (c.kernel_drops) {
    static const capture_loss kernel{capture::diag_kind::dropped_by_kernel, {}};
    out.push_back(&kernel);
  }
  return out;
}

std::string losses_text(const std::vector<const capture_loss*>& v) {
  std::map<std::string_view, std::size_t> by;
  for (const capture_loss* l : v)
    ++by[l->kind == capture::diag_kind::dropped_by_kernel ? std::string_view("packets dropped by the capturing kernel")
                                                          : capture::to_string(l->kind)];
  std::string s;
  for (const auto& [k, n] : by) {
    if (!s.empty()) s += ", ";
    if (k.find(' ') != std::string_view::npos) s += k;   // kernel drops: not counted per call
    else s += cat(std::to_string(n), " ", k);
  }
  return s;
}

evidence losses_step(const std::vector<const capture_loss*>& v) {
  evidence e;
  e.frame = v.front()->frame;
  e.what = cat("the capture lost or cut packets during this call: ", losses_text(v));
  e.detail = "what is not seen may be the capture's loss, not the network's";
  return e;
}

// ---- the capture's blind spots ------------------------------------------------------------------

bool responses_not_captured(const record& r, const context&, verdict& v) {
  if (!is_call(r)) return false;
  const std::size_t responses = count_msgs(r, [](const message_entry& m) { return !m.request; });
  if (responses) return false;
  // An ACK or an in-dialog request from the caller proves a response reached it.
  const message_entry* proof = first_msg(r, [](const message_entry& m) {
    return m.request && (m.method == "ACK" || m.method == "BYE" || m.method == "PRACK" || m.method == "UPDATE" ||
                         (m.method == "INVITE" && m.dialog >= 0));
  });
  if (!proof) return false;
  call_view cv(r);
  invite_steps(cv, v);
  v.chain.push_back(not_seen("any response to the INVITE (no 1xx, 2xx or final in the capture)"));
  v.chain.push_back(seen(*proof, cat("a ", proof->method, " is only sent after a response arrived (RFC 3261 13.2.2.4, 17.1.1.3)")));
  v.text = cat("The capture misses the callee-to-caller direction: the caller sent ", proof->method,
               " (frame ", std::to_string(proof->frame.number),
               "), which answers a response the capture does not contain, so the outcome of the call is not in it.");
  v.conf = confidence::high;
  v.next = "Capture both directions (mirror rx and tx of the port, or capture on the host itself) and look for "
           "asymmetric routing of the responses.";
  return true;
}

bool request_not_captured(const record& r, const context&, verdict& v) {
  if (!is_call(r)) return false;
  call_view cv(r);
  if (cv.invite) return false;
  const message_entry* first = r.messages.empty() ? nullptr : &r.messages.front();
  if (!first) return false;
  const bool any_request = count_msgs(r, [](const message_entry& m) { return m.request; }) > 0;
  v.chain.push_back(not_seen("the INVITE that started the call"));
  v.chain.push_back(seen(*first, "the first message of this Call-ID in the capture"));
  if (any_request) {
    v.text = cat("The capture starts in the middle of this call: its first message is \"", first->summary,
                 "\" and the INVITE is not in it, so how the call was set up cannot be judged.");
    v.next = "Start the capture before the call, or merge the earlier capture file (sipscope takes several files).";
  } else {
    v.text = cat("The capture holds only responses for this call (", std::to_string(r.messages.size()),
                 r.messages.size() == 1 ? " message" : " messages", ", no request): the caller-to-callee direction is missing from it.");
    v.next = "Capture both directions (mirror rx and tx of the port) and look for asymmetric routing.";
  }
  v.conf = confidence::high;
  return true;
}

bool capture_ended(const record& r, const context& c, verdict& v) {
  if (!is_call(r) || r.final_status || r.times.answer || r.messages.empty()) return false;
  if (r.state != call_state::calling && r.state != call_state::ringing) return false;
  const timestamp_ns end = c.capture_end ? c.capture_end : r.last_time;
  call_view cv(r);
  const bool any_response = count_msgs(r, [](const message_entry& m) { return !m.request && m.method == "INVITE"; }) > 0;
  // Without any response Timer B (32 s) decides; with a provisional, Timer C (> 3 min).
  const timestamp_ns limit = any_response ? timer_c_ns : timer_b_ns;
  const timestamp_ns from = any_response ? r.last_time : (cv.invite ? cv.invite->time : r.first_time);
  if (c.capture_end && end - from >= limit) return false;
  invite_steps(cv, v);
  if (const message_entry* p = cv.first_provisional(101, 199)) v.chain.push_back(seen(*p));
  v.chain.push_back(not_seen("a final response (the capture ends first)", end));
  v.text = cat(end - from < ms_ns ? std::string("The capture ends with the call's last message")
                                  : cat("The capture ends ", duration_text(end - from), " after the call's last message"),
               ", while the call was still ",
               r.state == call_state::ringing ? "ringing" : "being set up", ": its outcome is not in the capture.");
  v.conf = confidence::high;
  v.next = "Capture longer (or merge the next rotated file) to see how the call ended.";
  return true;
}

// ---- signalling ---------------------------------------------------------------------------------

// ---- TCP: connects refused or never answered, connections reset ---------------------------

using correlate::tcp_failure;
using correlate::tcp_failure_kind;

std::string frame_list_text(const std::vector<capture::frame_ref>& v) {
  std::string s;
  for (const capture::frame_ref& f : v) {
    if (!s.empty()) s += ", ";
    s += std::to_string(f.number);
  }
  return s;
}

evidence syn_step(const tcp_failure& f, const capture::frame_ref& fr, timestamp_ns t, std::size_t nth) {
  evidence e;
  e.frame = fr;
  e.time = t;
  e.what = cat("TCP SYN ", f.from.to_string(), " -> ", f.to.to_string(), nth ? " (retransmitted)" : "");
  e.detail = nth ? "the connect is retried: no SYN-ACK came back" : "a connection is opened to send the request (RFC 3261 18.1.1)";
  return e;
}

evidence rst_step(const tcp_failure& f) {
  evidence e;
  e.frame = f.rst;
  e.time = f.rst_time;
  if (f.kind == tcp_failure_kind::refused) {
    e.what = cat("TCP RST ", f.to.to_string(), " -> ", f.from.to_string(), " answering the SYN");
    e.detail = cat("connection refused: nothing listens on TCP port ", std::to_string(f.to.port), " of ", ip_text(f.to.ip),
                   " (or a firewall rejects it)");
  } else {
    e.what = cat("TCP RST ", f.to.to_string(), " -> ", f.from.to_string());
    e.detail = "connection reset: what was in flight on it is lost, and no response can come back on it";
  }
  return e;
}

// The SYN frames of a connect (a first, the retransmissions), at most 8 steps: first ones and the last.
void syn_steps(const tcp_failure& f, verdict& v) {
  for (std::size_t i = 0; i < f.syns.size(); ++i) {
    if (f.syns.size() > 8 && i >= 7 && i + 1 < f.syns.size()) continue;
    v.chain.push_back(syn_step(f, f.syns[i], i < f.syn_times.size() ? f.syn_times[i] : 0, i));
  }
}

// A failed connect of the record that explains its failure: refused, or SYNs never answered
// (two or more, or one the capture outlived by 3 s: a SYN-ACK just after the capture's end is
// not a failure).
const tcp_failure* failed_connect(const record& r, const context& c) {
  const tcp_failure* best = nullptr;
  const timestamp_ns end = c.capture_end ? c.capture_end : r.last_time;
  for (const tcp_failure& f : r.tcp_failures) {
    if (f.kind == tcp_failure_kind::reset || f.syns.empty()) continue;
    if (f.kind == tcp_failure_kind::unanswered && f.syns.size() < 2 && end - f.last_syn < 3 * s_ns) continue;
    if (!best || (best->kind != tcp_failure_kind::refused && f.kind == tcp_failure_kind::refused)) best = &f;
  }
  return best;
}

bool tcp_connect_failed(const record& r, const context& c, verdict& v) {
  const bool call = is_call(r);
  if (call && r.times.answer) return false;
  if (!call && r.outcome != record_state::pending && r.outcome != record_state::failed) return false;
  // What a proxy answers for a transport error (RFC 3261 16.9: as if 503) or a timeout (408),
  // or the error codes some send instead (477 Kamailio/OpenSIPS "send failed", 500, 504).
  const std::uint16_t fin = call ? r.final_status : 0;
  const message_entry* final_msg = nullptr;
  if (!call) final_msg = last_msg(r, [&](const message_entry& m) { return !m.request && m.method == r.first_method && m.status >= 300; });
  const std::uint16_t status = call ? fin : final_msg ? final_msg->status : 0;
  if (status && status != 408 && status != 477 && status != 480 && status != 500 && status != 503 && status != 504) return false;
  const tcp_failure* f = failed_connect(r, c);
  if (!f) return false;
  const std::string& method = r.first_method;
  // The request as the connecting host received it (the one it had to forward), else the first.
  const message_entry* req = last_msg(r, [&](const message_entry& m) {
    return m.request && m.method == method && m.dst.ip == f->from.ip && m.time <= f->first_syn;
  });
  if (!req) req = first_msg(r, [&](const message_entry& m) { return m.request && m.method == method; });
  if (req) v.chain.push_back(seen(*req, req->dst.ip == f->from.ip ? cat(ip_text(f->from.ip), " must forward it (or answer it) over TCP") : std::string()));
  syn_steps(*f, v);
  const bool refused = f->kind == tcp_failure_kind::refused;
  if (refused) v.chain.push_back(rst_step(*f));
  else v.chain.push_back(not_seen(cat("a SYN-ACK from ", f->to.to_string(), " to any of the ", std::to_string(f->syns.size()), " SYNs"), f->last_syn));
  // What the connecting host told the requester (503 / 408...), the final response.
  const message_entry* answer = status ? last_msg(r, [&](const message_entry& m) {
    return !m.request && m.method == method && m.status == status;
  }) : nullptr;
  if (answer) v.chain.push_back(seen(*answer, answer->src.ip == f->from.ip ? (status == 503 || status == 477 || status == 500
                                                                               ? "the transport error, reported as RFC 3261 16.9 asks (as if 503)"
                                                                               : "the hop's transaction timed out")
                                                                         : std::string()));
  const std::string what = method == "INVITE" ? "INVITE" : method;
  const std::string syns = frame_list_text(f->syns);
  if (refused) {
    v.text = cat("The ", what, " never reached ", f->to.to_string(), ": TCP connection refused (RST from ", ip_text(f->to.ip),
                 ", frame ", std::to_string(f->rst.number), ") when ", ip_text(f->from.ip), " tried to connect (SYN frame",
                 f->syns.size() > 1 ? "s " : " ", syns, "), so nothing listens on TCP port ", std::to_string(f->to.port), " there");
    v.conf = confidence::high;
  } else {
    v.text = cat("The ", what, " never reached ", f->to.to_string(), ": TCP connect to ", f->to.to_string(),
                 " never answered (SYN frame", f->syns.size() > 1 ? "s " : " ", syns, "; no SYN-ACK",
                 f->syns.size() > 1 ? cat(" in ", duration_text(f->last_syn - f->first_syn)) : std::string(),
                 "): the host is down, unreachable, or a firewall drops the connection");
    v.conf = f->syns.size() >= 3 ? confidence::high : confidence::medium;
  }
  if (answer) v.text += cat("; ", ip_text(answer->src.ip), " answered ", answer->summary, after_invite(call_view(r), answer), ".");
  else v.text += ", and no response came back to the request.";
  v.next = refused ? cat("Whether the SIP service on ", ip_text(f->to.ip), " listens on TCP (port ", std::to_string(f->to.port),
                         ") or only on UDP; the transport the routing chose (a ;transport=tcp in the Route, Request-URI or NAPTR/SRV); a firewall sending resets.")
                   : cat("Whether ", ip_text(f->to.ip), " is up and routable from ", ip_text(f->from.ip),
                         " (ping, traceroute), a firewall dropping TCP ", std::to_string(f->to.port), ", and the DNS/SRV target.");
  return true;
}

bool no_response(const record& r, const context& c, verdict& v) {
  const bool call = is_call(r);
  if (call && (r.final_status || r.times.answer)) return false;
  if (!call && r.outcome != record_state::pending) return false;
  const std::string& method = r.first_method;
  const message_entry* req = first_msg(r, [&](const message_entry& m) { return m.request && m.method == method; });
  if (!req) return false;
  if (count_msgs(r, [&](const message_entry& m) { return !m.request && m.method == method; })) return false;
  const timestamp_ns end = c.capture_end ? c.capture_end : r.last_time;
  // An ICMP error about the request says at once what Timer B would say 32 s later.
  // A reset of the TCP connection that carried the request (after it): the request, and any
  // response, went down with the connection.
  const tcp_failure* reset = nullptr;
  for (const tcp_failure& f : r.tcp_failures)
    if (f.kind == tcp_failure_kind::reset && f.rst_time >= req->time &&
        ((f.from == req->src && f.to == req->dst) || (f.from == req->dst && f.to == req->src)) && !reset) reset = &f;
  if (end - req->time < timer_b_ns && !(call && r.state == call_state::failed) && r.unreachables.empty() && !reset) return false;
  std::vector<const message_entry*> copies;
  for (const message_entry& m : r.messages)
    if (m.request && m.method == method && m.cseq == req->cseq && m.src == req->src && m.dst == req->dst) copies.push_back(&m);
  for (const message_entry* m : copies) v.chain.push_back(seen(*m));
  // ICMP destination unreachable (RFC 792 type 3, RFC 4443 type 1), by code.
  auto icmp_text = [](const correlate::unreachable& u) -> std::string {
    const bool v6 = u.type == 1;
    const int c = u.code;
    if (v6) return c == 4 ? "port unreachable" : c == 1 ? "administratively prohibited" : c == 3 ? "address unreachable" : c == 0 ? "no route to destination" : "destination unreachable";
    return c == 3 ? "port unreachable" : c == 1 ? "host unreachable" : c == 0 ? "network unreachable" : c == 13 ? "administratively prohibited" : "destination unreachable";
  };
  for (const correlate::unreachable& u : r.unreachables) {
    evidence e;
    e.frame = u.frame;
    e.time = u.time;
    e.what = cat(u.type == 1 ? "ICMPv6 " : "ICMP ", icmp_text(u), " from ", u.reporter.to_string(), " about the datagram to ", u.to.to_string());
    e.detail = cat("type ", std::to_string(u.type), " code ", std::to_string(u.code),
                   u.reporter == u.to.ip ? ": the host answered, nothing listens on that port" : ": a router on the way refused it");
    v.chain.push_back(std::move(e));
  }
  if (!r.unreachables.empty()) {
    const correlate::unreachable& u = r.unreachables.front();
    v.text = cat(host_of(req->dst), " never got the ", method, ": ", u.reporter == u.to.ip ? "the host" : cat("the router ", u.reporter.to_string()),
                 " answered it with ICMP ", icmp_text(u), " (", std::to_string(r.unreachables.size()), r.unreachables.size() == 1 ? " time" : " times",
                 u.reporter == u.to.ip && icmp_text(u) == "port unreachable" ? "): nothing listens on that port." : ").");
    v.conf = confidence::high;
    v.next = cat("Whether the SIP service on ", host_of(req->dst), " is running and on that port (and the DNS/SRV target or "
                 "the configured port of the caller), or what the router blocks.");
    return true;
  }
  if (reset) {
    v.chain.push_back(rst_step(*reset));
    v.chain.push_back(not_seen(cat("any response from ", host_of(req->dst), " (the connection is gone)"), reset->rst_time));
    const bool by_server = reset->to.ip == req->dst.ip;
    v.text = cat(host_of(req->dst), " never answered the ", method, ": the TCP connection that carried it was reset (RST from ",
                 ip_text(reset->to.ip), ", frame ", std::to_string(reset->rst.number), ") ", duration_text(reset->rst_time - req->time),
                 " after the request, so ", by_server ? "the server dropped the connection (a crash, a restart, or a limit on connections)"
                                                      : "the client dropped the connection",
                 " and no response could come back on it.");
    v.conf = confidence::high;
    v.next = cat("The logs of ", ip_text(reset->to.ip), " at ", clock_text(reset->rst_time),
                 " (a crash or restart, an idle or connection-count limit), and whether the client reconnects and retries.");
    return true;
  }
  v.chain.push_back(not_seen(cat("any response from ", host_of(req->dst), " within 64*T1 = 32 s (Timer ",
                                 method == "INVITE" ? "B" : "F", ")"),
                             capture::later(req->time, timer_b_ns)));
  const bool udp = req->proto == capture::transport::udp;
  const std::size_t retx = copies.size() - 1;
  v.text = cat(host_of(req->dst), " never answered the ", method, ": ");
  if (udp && retx) {
    v.text += cat("it was sent ", std::to_string(copies.size()), " times over ",
                  duration_text(copies.back()->time - copies.front()->time),
                  " (Timer A retransmissions) and no response at all came back before Timer B expired.");
    v.conf = confidence::high;
  } else if (udp) {
    v.text += "no response at all came back within 32 s; the caller did not retransmit over UDP, as RFC 3261 "
              "17.1.1.2 requires, so the capture may also miss part of the traffic.";
    v.conf = confidence::medium;
  } else {
    v.text += cat("it went over ", capture::to_string(req->proto),
                  " (no retransmission at the SIP layer) and no response came back within 32 s.");
    v.conf = confidence::medium;
  }
  v.next = cat("Check that ", host_of(req->dst),
               " is up and listening (ICMP port unreachable, a firewall, a wrong DNS/SRV target), and capture "
               "on the far side to see whether the request arrives.");
  return true;
}

// Digest authentication (RFC 3261 22, RFC 7616): challenges, the credentials sent back, and
// what the server said to them.
struct auth_story {
  struct step { const correlate::header_note* note; const message_entry* m; };
  std::vector<step> challenges, credentials;
  const message_entry* refusal = nullptr;    // 403 after credentials
};

auth_story auth_of(const record& r) {
  auth_story a;
  for (const correlate::header_note& n : r.notes) {
    if (n.message >= r.messages.size()) continue;
    const message_entry* m = &r.messages[n.message];
    if (m->method != r.first_method) continue;
    if (n.name == "WWW-Authenticate" || n.name == "Proxy-Authenticate") {
      // Every hop relays the same challenge: count it once (the copy to the requester).
      bool dup = false;
      for (const auth_story::step& s : a.challenges)
        if (s.note->value == n.value) { dup = true; break; }
      if (!dup) a.challenges.push_back({&n, m});
    } else if (n.name == "Authorization" || n.name == "Proxy-Authorization") {
      bool dup = false;
      for (const auth_story::step& s : a.credentials)
        if (s.note->value == n.value) { dup = true; break; }
      if (!dup) a.credentials.push_back({&n, m});
    }
  }
  if (!a.credentials.empty() && r.final_status == 403)
    a.refusal = last_msg(r, [&](const message_entry& m) { return !m.request && m.status == 403 && m.method == r.first_method; });
  return a;
}

bool final_is_challenge(const record& r) { return r.final_status == 401 || r.final_status == 407; }

void auth_chain(const record& r, const auth_story& a, verdict& v) {
  std::vector<std::pair<timestamp_ns, evidence>> steps;
  for (const auth_story::step& s : a.challenges) steps.push_back({s.m->time, seen(*s.m, cat(s.note->name, ": ", s.note->value))});
  for (const auth_story::step& s : a.credentials) {
    std::string d = cat(s.note->name, ": username=\"", param_of(s.note->value, "username"), "\", realm=\"",
                        param_of(s.note->value, "realm"), "\", nonce=\"", param_of(s.note->value, "nonce"), "\"");
    steps.push_back({s.m->time, seen(*s.m, d)});
  }
  if (a.refusal) steps.push_back({a.refusal->time, seen(*a.refusal)});
  std::stable_sort(steps.begin(), steps.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  if (steps.empty() || (!r.messages.empty() && steps.front().first > r.messages.front().time)) {
    if (const message_entry* first = first_msg(r, [&](const message_entry& m) { return m.request && m.method == r.first_method; }))
      v.chain.push_back(seen(*first));
  }
  for (auto& s : steps) v.chain.push_back(std::move(s.second));
}

bool auth_loop(const record& r, const context&, verdict& v) {
  if (!final_is_challenge(r) && r.final_status != 403) return false;
  auth_story a = auth_of(r);
  if (a.challenges.size() < 3 || a.credentials.size() < 2) return false;
  auth_chain(r, a, v);
  std::set<std::string> nonces;
  for (const auth_story::step& s : a.challenges) nonces.insert(param_of(s.note->value, "nonce"));
  // How long the client took to answer a challenge: a slow answer lets a short-lived nonce expire.
  timestamp_ns slowest = 0;
  for (const auth_story::step& c : a.challenges)
    for (const auth_story::step& k : a.credentials)
      if (k.m->time > c.m->time && param_of(k.note->value, "nonce") == param_of(c.note->value, "nonce"))
        slowest = std::max(slowest, k.m->time - c.m->time);
  std::string phrase;   // a re-challenge's own reason phrase, when it is not the standard one
  for (const auth_story::step& c : a.challenges)
    if (c.m->reason != "Unauthorized" && c.m->reason != "Proxy Authentication Required" && !c.m->reason.empty()) phrase = c.m->reason;
  v.text = cat("Authentication loop: the ", r.first_method, " was challenged ", std::to_string(a.challenges.size()),
               " times and retried ", std::to_string(a.credentials.size()), " times with credentials",
               nonces.size() < a.challenges.size() ? " (the server repeated a nonce)" : " (a new nonce each time)",
               "; the server never accepted them",
               phrase.empty() ? std::string() : cat(" (it said \"", phrase, "\")"),
               [&] {
                 const std::string u = param_of(a.credentials.back().note->value, "username");
                 return !u.empty() && !r.caller.user.empty() && u != r.caller.user
                            ? cat("; the credentials are those of \"", u, "\", while From is \"", r.caller.user, "\"")
                            : std::string();
               }(),
               slowest > 5 * s_ns ? cat("; the client took up to ", duration_text(slowest),
                                        " to answer a challenge, long enough for a short-lived nonce to expire") : std::string(),
               ".");
  v.conf = confidence::high;
  v.next = cat("Check the username and password configured for realm \"", param_of(a.challenges.back().note->value, "realm"),
               "\" on the caller, and the server's account (locked, or the digest algorithm not supported).");
  return true;
}

bool auth_rejected(const record& r, const context&, verdict& v) {
  if (!final_is_challenge(r) && r.final_status != 403) return false;
  auth_story a = auth_of(r);
  if (a.credentials.empty()) return false;
  auth_chain(r, a, v);
  const correlate::header_note* cred = a.credentials.back().note;
  const std::string user = param_of(cred->value, "username"), realm = param_of(cred->value, "realm");
  // Credentials of another account than the one in From (a multi-account phone mixing them).
  const std::string other_user = !user.empty() && !r.caller.user.empty() && user != r.caller.user
                                     ? cat(" (the credentials are those of \"", user, "\", while From is \"", r.caller.user, "\")")
                                     : std::string();
  if (a.refusal) {
    const message_entry* sent = a.credentials.back().m;
    v.text = cat("The credentials were refused: the ", r.first_method, " with ", cred->name, " (username \"", user,
                 "\") got 403 ", r.final_reason, " ", duration_text(a.refusal->time - sent->time),
                 " later instead of being served", other_user, ", so the account may not make this request.");
  } else {
    const correlate::header_note* last = a.challenges.empty() ? nullptr : a.challenges.back().note;
    const bool stale = last && param_of(last->value, "stale") == "true";
    const bool stale_ci = last && (param_of(last->value, "stale") == "TRUE" || param_of(last->value, "stale") == "True");
    const std::string crealm = last ? param_of(last->value, "realm") : std::string();
    if (stale || stale_ci) {
      v.text = cat("The server answered the credentials with a new challenge marked stale=true (RFC 7616 3.3: the "
                   "nonce had expired, the password was right) and the client did not retry with the new nonce.");
    } else if (!crealm.empty() && !realm.empty() && crealm != realm) {
      v.text = cat("The credentials were for the wrong realm: the client answered with realm \"", realm,
                   "\" while the challenge asked for \"", crealm, "\".");
    } else {
      v.text = cat("The credentials were refused: after the client answered the challenge (username \"", user,
                   "\", realm \"", realm, "\"), the server challenged again with ", std::to_string(r.final_status),
                   " and the client gave up, which means a wrong username or password (RFC 3261 22.2)", other_user, ".");
    }
  }
  v.conf = confidence::high;
  v.next = cat("Check the password of \"", user, "\" for realm \"", realm, "\" on both sides (and the server's log for the reason).");
  return true;
}

bool auth_no_credentials(const record& r, const context&, verdict& v) {
  if (!final_is_challenge(r)) return false;
  auth_story a = auth_of(r);
  if (!a.credentials.empty()) return false;
  auth_chain(r, a, v);
  const std::string realm = a.challenges.empty() ? std::string() : param_of(a.challenges.back().note->value, "realm");
  v.chain.push_back(not_seen(cat("a new ", r.first_method, " with credentials for realm \"", realm, "\"")));
  v.text = cat("The ", r.first_method, " was challenged (", std::to_string(r.final_status), " ", r.final_reason,
               realm.empty() ? "" : ", realm \"", realm, realm.empty() ? "" : "\"",
               ") and the client never retried with credentials: it has no account for that realm, or gave up.");
  v.conf = confidence::high;
  v.next = cat("Configure credentials for realm \"", realm, "\" on the client (and check that the challenge "
               "comes from the server it should authenticate to).");
  return true;
}

std::vector<const message_entry*> redirects_to_caller(const call_view& cv) {
  std::vector<const message_entry*> out;
  for (const message_entry& m : cv.r.messages)
    if (!m.request && m.method == "INVITE" && m.status >= 300 && m.status < 400 && !m.retransmission &&
        (!cv.have_caller || m.dst == cv.caller))
      out.push_back(&m);
  return out;
}

bool redirect_loop(const record& r, const context&, verdict& v) {
  if (!is_call(r) || r.final_status < 300 || r.final_status >= 400) return false;
  call_view cv(r);
  auto reds = redirects_to_caller(cv);
  std::set<std::string> targets;
  bool repeat = false;
  for (const message_entry* m : reds)
    if (const correlate::header_note* n = cv.note_of(m, "Contact")) repeat |= !targets.insert(n->value).second;
  if (reds.size() < 3 && !repeat) return false;
  for (const message_entry* m : reds) {
    const correlate::header_note* n = cv.note_of(m, "Contact");
    v.chain.push_back(seen(*m, n ? cat("Contact: ", n->value) : std::string()));
  }
  v.text = cat("Redirection loop: the caller was redirected ", std::to_string(reds.size()), " times",
               repeat ? ", back to a target it had already tried," : "", " and gave up (RFC 3261 8.1.3.4 bounds recursion).");
  v.conf = confidence::high;
  v.next = "Check the forwarding rules of the redirect servers: the targets point back at each other.";
  return true;
}

bool redirect(const record& r, const context&, verdict& v) {
  if (!is_call(r) || r.final_status < 300 || r.final_status >= 400) return false;
  call_view cv(r);
  invite_steps(cv, v);
  const message_entry* m = cv.final_to_caller();
  const correlate::header_note* contact = cv.note_of(cv.final_origin(), "Contact");
  if (!contact) contact = cv.note_of(m, "Contact");
  if (m) v.chain.push_back(seen(*m, contact ? cat("Contact: ", contact->value) : std::string()));
  v.chain.push_back(not_seen(cat("a new INVITE to ", contact ? contact->value : std::string("the new target"))));
  v.text = cat("The call was redirected (", std::to_string(r.final_status), " ", r.final_reason,
               contact ? cat(" to ", contact->value) : std::string(), ") and the caller did not follow it: ",
               "nobody recursed on the 3xx, so the call ends here.");
  v.conf = confidence::high;
  v.next = "Whether the caller (or its proxy) should recurse on 3xx (RFC 3261 8.1.3.4, 16.5); whether the "
           "forwarding target is right.";
  return true;
}

bool busy(const record& r, const context&, verdict& v) {
  if (!is_call(r) || (r.final_status != 486 && r.final_status != 600)) return false;
  call_view cv(r);
  invite_steps(cv, v);
  final_steps(cv, v);
  const message_entry* origin = cv.final_origin();
  v.text = cat("The callee was busy: ", origin ? host_of(origin->src) : std::string("the far end"), " answered ",
               std::to_string(r.final_status), " ", r.final_reason, after_invite(cv, origin), reason_clause(cv), ".");
  v.conf = confidence::high;
  v.next = r.final_status == 600 ? "600 is busy everywhere: no other device of the callee may be tried."
                                 : "The callee was on another call or in Do Not Disturb; if it was idle, check its "
                                   "call-waiting and maximum-calls settings.";
  return true;
}

bool no_answer(const record& r, const context&, verdict& v) {
  if (!is_call(r) || (r.final_status != 480 && r.final_status != 408)) return false;
  // The caller's own CANCEL came first: it abandoned (the "cancelled" rule says so).
  if (r.state == call_state::cancelled) return false;
  call_view cv(r);
  invite_steps(cv, v);
  const message_entry* ring = cv.first_provisional(180, 189);
  if (ring) v.chain.push_back(seen(*ring));
  if (const message_entry* c = first_msg(r, [](const message_entry& m) { return m.request && m.method == "CANCEL"; }))
    v.chain.push_back(seen(*c, cv.have_caller && !(c->src == cv.caller) ? "sent by a proxy, not by the caller (RFC 3261 16.8)" : ""));
  final_steps(cv, v);
  const message_entry* fin = cv.final_to_caller();
  const message_entry* origin = cv.final_origin();
  if (ring && fin && fin->time - ring->time < 3 * s_ns) {
    v.text = cat("The callee could not take the call: ", origin ? host_of(origin->src) : std::string("the far end"),
                 " answered ", std::to_string(r.final_status), " ", r.final_reason, " only ", duration_text(fin->time - ring->time),
                 " after the ringing began, too soon for a no-answer timer", reason_clause(cv), ".");
    v.conf = confidence::high;
    v.next = "The callee's device or its server refused at once (DND, a busy line reported as unavailable, or a "
             "policy): the Reason header and the callee's log say which.";
  } else if (ring && fin) {
    v.text = cat("Nobody answered: the callee rang for ", duration_text(fin->time - ring->time), ", then ",
                 origin ? host_of(origin->src) : std::string("the far end"), " ended the attempt with ",
                 std::to_string(r.final_status), " ", r.final_reason, reason_clause(cv), ".");
    v.conf = confidence::high;
    v.next = "A no-answer timer ended the call (a proxy's, RFC 3261 16.8, or the callee's); check its value and "
             "whether a voicemail or forward-on-no-answer should have taken the call.";
  } else if (r.final_status == 480) {
    v.text = cat("The callee could not be reached: ", origin ? host_of(origin->src) : std::string("the far end"),
                 " answered 480 ", r.final_reason, after_invite(cv, origin), " without ringing", reason_clause(cv),
                 " (not registered, or Do Not Disturb).");
    v.conf = confidence::high;
    v.next = "Check the callee's registration (sipscope calls --kind registration) and its DND setting.";
  } else {
    v.text = cat("A server gave up waiting: ", origin ? host_of(origin->src) : std::string("the far end"),
                 " answered 408 Request Timeout", after_invite(cv, origin),
                 " without any ringing, i.e. the next hop never answered it", reason_clause(cv), ".");
    v.conf = confidence::medium;
    v.next = cat("Look at the leg beyond ", origin ? host_of(origin->src) : std::string("the proxy"),
                 ": is the next hop reachable (a capture there shows whether the INVITE arrives)?");
  }
  return true;
}

bool cancelled(const record& r, const context&, verdict& v) {
  if (!is_call(r) || r.state != call_state::cancelled) return false;
  call_view cv(r);
  invite_steps(cv, v);
  const message_entry* ring = cv.first_provisional(180, 189);
  if (ring) v.chain.push_back(seen(*ring));
  const message_entry* cancel = first_msg(r, [&](const message_entry& m) {
    return m.request && m.method == "CANCEL" && (!cv.have_caller || m.src == cv.caller);
  });
  if (!cancel) cancel = first_msg(r, [](const message_entry& m) { return m.request && m.method == "CANCEL"; });
  if (cancel) {
    std::string d;
    if (const correlate::header_note* n = cv.note_of(cancel, "Reason")) d = reason_detail(n->value);
    v.chain.push_back(seen(*cancel, d));
    if (const message_entry* ok = first_msg(r, [&](const message_entry& m) {
          return !m.request && m.method == "CANCEL" && m.status == 200 && m.dst == cancel->src;
        }))
      v.chain.push_back(seen(*ok));
  } else {
    v.chain.push_back(not_seen("a CANCEL (the 487 says one was sent)"));
  }
  final_steps(cv, v);
  const bool by_caller = cancel && cv.have_caller && cancel->src == cv.caller;
  if (by_caller) {
    v.text = cat("The caller hung up before the answer: it sent CANCEL ",
                 ring ? cat("after ", duration_text(cancel->time - ring->time), " of ringing")
                      : cat(duration_text(cancel->time - (cv.invite ? cv.invite->time : r.first_time)), " after the INVITE, before any ringing"),
                 ", and the INVITE ended with ", std::to_string(r.final_status), " ", r.final_reason, reason_clause(cv), ".");
    v.conf = confidence::high;
    v.next = ring ? "Nothing failed in the network: the caller abandoned. If ringing was long, check the callee's "
                    "no-answer forwarding."
                  : "The caller abandoned before ringing: a long post-dial delay? Check the time to the first 18x.";
  } else if (cancel) {
    v.text = cat("A server (", host_of(cancel->src), ") cancelled the call before the answer (CANCEL",
                 ring ? cat(" after ", duration_text(cancel->time - ring->time), " of ringing") : std::string(),
                 "), and the caller got ", std::to_string(r.final_status), " ", r.final_reason, reason_clause(cv), ".");
    v.conf = confidence::medium;
    v.next = cat("Why ", host_of(cancel->src), " cancelled: a no-answer timer, a parallel fork answered elsewhere, or a policy.");
  } else {
    v.text = cat("The call was terminated before the answer (", std::to_string(r.final_status), " ", r.final_reason,
                 reason_clause(cv), "), by a CANCEL the capture does not contain.");
    v.conf = confidence::medium;
    v.next = "Capture where the CANCEL passes (it travels hop by hop) to see who cancelled.";
  }
  return true;
}

bool media_refused(const record& r, const context&, verdict& v) {
  if (!is_call(r) || (r.final_status != 488 && r.final_status != 606 && r.final_status != 415)) return false;
  call_view cv(r);
  // The refused INVITE (the attempt the final answers) and its offer; any SDP the other side
  // ever sent in this Call-ID (an earlier attempt, early media) tells what it accepts.
  const message_entry* fin = cv.final_to_caller();
  const message_entry* refused = fin ? last_msg(r, [&](const message_entry& m) {
    return cv.is_initial_invite(m) && m.cseq == fin->cseq && m.time <= fin->time && !m.retransmission;
  }) : nullptr;
  if (refused && refused != cv.invite) {
    const message_entry* first_copy = first_msg(r, [&](const message_entry& m) { return cv.is_initial_invite(m) && m.cseq == refused->cseq; });
    v.chain.push_back(seen(first_copy ? *first_copy : *refused));
  } else {
    invite_steps(cv, v);
  }
  if (!refused) refused = cv.invite;
  std::vector<const sdp_media*> offer, theirs;
  for (const sdp_media& m : r.sdp) {
    if (m.from == side::caller && m.offer && refused && r.messages[m.message].cseq == refused->cseq &&
        r.messages[m.message].request)
      offer.push_back(&m);
    if (m.from == side::callee) theirs.push_back(&m);
  }
  for (const sdp_media* m : offer) {
    const message_entry& om = r.messages[m->message];
    if (!v.chain.empty() && v.chain.back().frame.number == om.frame.number && v.chain.back().time == om.time) {
      // The offer is in the INVITE just cited: its m= line is the detail of that step.
      v.chain.back().detail = sdp_line(*m);
      continue;
    }
    evidence e;
    e.frame = om.frame;
    e.time = om.time;
    e.what = cat("SDP offer of ", om.summary);
    e.detail = sdp_line(*m);
    v.chain.push_back(std::move(e));
  }
  final_steps(cv, v);
  std::string why;
  if (r.final_status == 415) {
    why = "the body's type or encoding (Content-Type, Content-Encoding) is one the callee does not accept";
  } else {
    std::vector<std::string> parts;
    for (const sdp_media* m : offer) {
      if (m->address.port == 0) continue;
      const sdp_media* peer = nullptr;
      for (const sdp_media* t : theirs)
        if (t->media == m->media) peer = t;
      if (m->proto.find("SAVP") != std::string::npos || m->crypto) {
        if (peer && peer->proto.find("SAVP") == std::string::npos && !peer->crypto)
          parts.push_back(cat(m->media, " over ", m->proto, " (SRTP) while the callee uses ", peer->proto));
        else
          parts.push_back(cat(m->media, " only over ", m->proto, m->crypto ? " with a=crypto" : "", " (SRTP)"));
      } else if (peer) {
        bool common = false;
        for (const correlate::sdp_codec& a : m->codecs)
          for (const correlate::sdp_codec& b : peer->codecs)
            common |= !a.name.empty() && a.name == b.name && a.name != "telephone-event";
        if (!common)
          parts.push_back(cat(m->media, " codecs ", codec_list(*m), " against the callee's ", codec_list(*peer), ": none in common"));
        else if (m->ptime && peer->ptime && m->ptime != peer->ptime)
          parts.push_back(cat("ptime ", std::to_string(m->ptime), " ms against the callee's ", std::to_string(peer->ptime), " ms"));
      } else {
        parts.push_back(cat(m->media, " with ", codec_list(*m), " over ", m->proto));
      }
    }
    for (const std::string& p : parts) {
      if (!why.empty()) why += "; ";
      why += p;
    }
    if (why.empty()) why = "an offer the capture shows no SDP for";
    else why = cat("the offer proposed ", why);
  }
  const message_entry* origin = cv.final_origin();
  std::string warn;
  if (const correlate::header_note* n = cv.note_of(origin, "Warning")) warn = cat(" (Warning: ", n->value, ")");
  v.text = cat(origin ? host_of(origin->src) : std::string("The callee"), " refused the session: ",
               std::to_string(r.final_status), " ", r.final_reason, warn, "; ", why, ".");
  v.conf = theirs.empty() ? confidence::medium : confidence::high;
  v.next = "Compare the offer with what the callee supports (codecs, RTP/AVP vs RTP/SAVP and a=crypto, ptime): "
           "its configuration or an OPTIONS response lists them; a transcoder or SBC may be needed.";
  return true;
}

bool too_many_hops(const record& r, const context&, verdict& v) {
  if (!is_call(r) || r.final_status != 483) return false;
  call_view cv(r);
  std::size_t hops = 0;
  std::set<std::string> paths;
  bool repeat = false;
  for (const message_entry& m : r.messages)
    if (cv.is_initial_invite(m) && !m.retransmission) {
      ++hops;
      repeat |= !paths.insert(cat(m.src.to_string(), ">", m.dst.to_string())).second;
      if (hops <= 6) v.chain.push_back(seen(m));
    }
  final_steps(cv, v);
  v.text = cat("The INVITE ran out of hops (483 Too Many Hops: Max-Forwards reached 0) after ", std::to_string(hops),
               " hops seen in the capture", repeat ? ", passing the same link more than once: a routing loop" : "", ".");
  v.conf = repeat ? confidence::high : confidence::medium;
  v.next = "Follow the Request-URI and Route across the hops: two proxies or an SBC route the call back to each other.";
  return true;
}

bool session_interval_too_small(const record& r, const context&, verdict& v) {
  if (!is_call(r) || r.final_status != 422) return false;
  call_view cv(r);
  invite_steps(cv, v);
  final_steps(cv, v);
  const correlate::header_note* min_se = cv.note_of(cv.final_origin(), "Min-SE");
  if (min_se) v.chain.back().detail = cat("Min-SE: ", min_se->value);
  v.chain.push_back(not_seen(cat("a new INVITE with Session-Expires of at least ", min_se ? min_se->value : std::string("the Min-SE"))));
  v.text = cat("The session timer was too short: the callee side answered 422 Session Interval Too Small",
               min_se ? cat(" (Min-SE: ", min_se->value, ")") : std::string(),
               " and the caller did not retry with a larger Session-Expires (RFC 4028 6).");
  v.conf = confidence::high;
  v.next = "Raise the caller's Session-Expires (or make it retry on 422 as RFC 4028 requires).";
  return true;
}

bool server_error(const record& r, const context&, verdict& v) {
  if (r.final_status < 500 || r.final_status >= 600) return false;
  call_view cv(r);
  if (is_call(r)) invite_steps(cv, v);
  final_steps(cv, v);
  if (!is_call(r) && v.chain.empty())
    if (const message_entry* m = last_msg(r, [&](const message_entry& x) { return !x.request && x.status == r.final_status; }))
      v.chain.push_back(seen(*m));
  const message_entry* origin = is_call(r) ? cv.final_origin() : last_msg(r, [&](const message_entry& x) { return !x.request && x.status == r.final_status; });
  const correlate::header_note* retry = cv.note_of(origin, "Retry-After");
  std::string who = origin ? host_of(origin->src) : std::string("A server");
  std::string what;
  switch (r.final_status) {
    case 503: what = retry ? cat("is overloaded or in maintenance (Retry-After: ", retry->value, ")") : "is unavailable (overload, maintenance, or no route onward)"; break;
    case 500: what = "failed internally (500 Server Internal Error)"; break;
    case 502: what = "got an invalid response from the next hop (502 Bad Gateway)"; break;
    case 504: what = "timed out waiting for the next hop (504 Server Time-out)"; break;
    default: what = cat("failed (", std::to_string(r.final_status), " ", r.final_reason, ")"); break;
  }
  v.text = cat(who, " ", what, reason_clause(cv), ", so the ", r.first_method, " failed in the network, not at the callee.");
  v.conf = confidence::high;
  v.next = cat("Look at ", who, "'s log and load at that time; with 503, whether other calls failed together.");
  return true;
}

bool rejected(const record& r, const context&, verdict& v) {
  if (r.final_status < 400 || r.final_status >= 700 || (r.final_status >= 500 && r.final_status < 600)) return false;
  // The codes a rule of their own explains.
  for (int code : {401, 407, 408, 415, 422, 480, 483, 486, 487, 488, 600, 606})
    if (r.final_status == code) return false;
  if (is_call(r) && r.state == call_state::cancelled) return false;
  call_view cv(r);
  if (is_call(r)) {
    invite_steps(cv, v);
    if (const message_entry* ring = cv.first_provisional(180, 189)) v.chain.push_back(seen(*ring));
  }
  final_steps(cv, v);
  const message_entry* origin = is_call(r) ? cv.final_origin() : last_msg(r, [&](const message_entry& x) { return !x.request && x.status == r.final_status; });
  if (!is_call(r) && origin) v.chain.push_back(seen(*origin));
  std::string who = origin ? host_of(origin->src) : std::string("the far end");
  std::string meaning;
  switch (r.final_status) {
    case 403: meaning = "the request is forbidden for this caller (barring, an access list, or a policy)"; break;
    case 404: meaning = "the called user or number does not exist there"; break;
    case 410: meaning = "the called user or number no longer exists"; break;
    case 484: meaning = "the dialled number is incomplete"; break;
    case 485: meaning = "the called address is ambiguous"; break;
    case 420: case 421: meaning = "an extension the caller required is not supported"; break;
    case 603: meaning = "the callee declined the call"; break;
    case 604: meaning = "the callee does not exist anywhere"; break;
    case 481: meaning = "the request matched no transaction or dialog"; break;
    default: meaning = cat("the request was refused (", std::to_string(r.final_status), ")"); break;
  }
  const message_entry* ring = is_call(r) ? cv.first_provisional(180, 189) : nullptr;
  v.text = cat(who, " rejected the ", r.first_method, " with ", std::to_string(r.final_status), " ", r.final_reason,
               after_invite(cv, origin), ring && r.final_status == 603 ? cat(" (after ", duration_text(origin->time - ring->time), " of ringing)") : std::string(),
               ": ", meaning, reason_clause(cv), ".");
  if (const correlate::header_note* n = cv.note_of(origin, "Unsupported")) v.text += cat(" Unsupported: ", n->value, ".");
  v.conf = confidence::high;
  switch (r.final_status) {
    case 404: case 604: case 484: v.next = "Check the dialled number and the routing/numbering plan (and the callee's registration)."; break;
    case 403: v.next = cat("Check the caller's permissions and the policy of ", who, " (and whether it wanted credentials)."); break;
    case 603: v.next = "The callee (or a service acting for it) declined: nothing failed in the network."; break;
    default: v.next = cat("Read ", who, "'s reason for ", std::to_string(r.final_status), " in its log."); break;
  }
  return true;
}

bool timer_c(const record& r, const context& c, verdict& v) {
  if (!is_call(r) || r.final_status || r.times.answer) return false;
  call_view cv(r);
  const message_entry* prov = last_msg(r, [](const message_entry& m) { return !m.request && m.method == "INVITE" && m.status < 200; });
  if (!prov) return false;
  const timestamp_ns end = c.capture_end ? c.capture_end : r.last_time;
  if (end - r.last_time < timer_b_ns) return false;
  invite_steps(cv, v);
  if (const message_entry* t = cv.first_provisional(100, 100)) v.chain.push_back(seen(*t));
  if (const message_entry* ring = cv.first_provisional(101, 199)) v.chain.push_back(seen(*ring));
  v.chain.push_back(not_seen(cat("a final response (none in the ", duration_text(end - prov->time), " after the last provisional)"), end));
  const bool long_enough = end - prov->time >= timer_c_ns;
  v.text = cat("The call never got a final response: after \"", prov->summary, "\" from ", host_of(prov->src), " nothing came for ",
               duration_text(end - prov->time), long_enough ? ", past Timer C (more than 3 minutes, RFC 3261 16.6 step 11)" : "",
               "; the hop that sent it lost the call onward without telling the caller.");
  v.conf = long_enough ? confidence::high : confidence::medium;
  v.next = cat("Follow the INVITE beyond ", host_of(prov->src), " (a capture there): the next hop never answered or its "
               "answer was lost; a proxy should have sent 408 when Timer C fired.");
  return true;
}

bool ack_not_captured(const record& r, const context& c, verdict& v) {
  if (!is_call(r) || !r.times.answer || r.times.ack) return false;
  const message_entry* ok = first_msg(r, [&](const message_entry& m) {
    return !m.request && m.method == "INVITE" && m.status >= 200 && m.status < 300 && m.time == *r.times.answer;
  });
  if (!ok || ok->proto != capture::transport::udp) return false;
  // Over UDP the callee retransmits its 2xx until the ACK comes (RFC 3261 13.3.1.4): a single
  // copy means the ACK did come, by a path or in a packet the capture does not have.
  if (count_msgs(r, [&](const message_entry& m) { return !m.request && m.status == ok->status && m.cseq == ok->cseq && m.src == ok->src && m.dst == ok->dst; }) > 1)
    return false;
  const message_entry* bye = first_msg(r, [](const message_entry& m) { return m.request && m.method == "BYE"; });
  if (!bye || (bye->time - ok->time >= 28 * s_ns && bye->time - ok->time <= 40 * s_ns)) return false;
  v.chain.push_back(seen(*ok, "sent once: the callee never retransmitted it, so it got an ACK"));
  v.chain.push_back(not_seen(cat("the ACK of the ", std::to_string(ok->status), " (RFC 3261 13.2.2.4)")));
  v.chain.push_back(seen(*bye, cat(duration_text(bye->time - ok->time), " after the answer: the call went on normally")));
  const auto lost = losses_during(r, c);
  if (!lost.empty()) v.chain.push_back(losses_step(lost));
  v.text = cat("The ACK of the ", std::to_string(ok->status), " OK is not in the capture, but the callee never retransmitted its 200 "
               "(RFC 3261 13.3.1.4), so the ACK reached it: ",
               lost.empty() ? std::string("it took a path this capture does not see.")
                            : cat("the capture itself lost packets during this call (", losses_text(lost), ")."));
  v.conf = lost.empty() ? confidence::medium : confidence::high;
  v.next = lost.empty() ? "Nothing failed in the network; capture where the ACK passes (its Request-URI is the 200's Contact)."
                        : "Nothing failed in the network; the capture dropped packets (a larger buffer or snaplen, or a capture on the host).";
  return true;
}

// "<sip:bob@198.51.100.20:5060;lr>" -> 198.51.100.20, 5060 (IPv4 literals only: a name would
// need the DNS the capture does not have). False when the host is not an IPv4 address.
bool uri_target(std::string_view value, capture::endpoint& out) {
  std::size_t lt = value.find('<');
  std::string_view u = lt == std::string_view::npos ? value : value.substr(lt + 1);
  u = u.substr(0, u.find('>'));
  std::size_t colon = u.find(':');
  if (colon == std::string_view::npos) return false;
  const bool secure = u.substr(0, colon) == "sips";
  u.remove_prefix(colon + 1);
  if (std::size_t at = u.find('@'); at != std::string_view::npos) u.remove_prefix(at + 1);
  u = u.substr(0, u.find_first_of(";?"));
  std::string_view host = u.substr(0, u.find(':'));
  unsigned parts[4] = {0, 0, 0, 0};
  int n = 0, digits = 0;
  for (char ch : host) {
    if (ch == '.') {
      if (!digits || ++n > 3) return false;
      digits = 0;
    } else if (ch >= '0' && ch <= '9') {
      parts[n] = parts[n] * 10 + static_cast<unsigned>(ch - '0');
      if (++digits > 3 || parts[n] > 255) return false;
    } else {
      return false;
    }
  }
  if (n != 3 || !digits) return false;
  out = {};
  out.ip.family = 4;
  for (int i = 0; i < 4; ++i) out.ip.bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(parts[i]);
  out.port = secure ? 5061 : 5060;
  if (std::size_t pc = u.find(':'); pc != std::string_view::npos) {
    unsigned p = 0;
    for (char ch : u.substr(pc + 1)) {
      if (ch < '0' || ch > '9' || (p = p * 10 + static_cast<unsigned>(ch - '0')) > 65535) return false;
    }
    out.port = static_cast<std::uint16_t>(p);
  }
  return true;
}

bool route_mismatch(const record& r, const context&, verdict& v) {
  if (!is_call(r) || !r.times.answer) return false;
  call_view cv(r);
  if (!cv.have_caller) return false;
  const message_entry* ok = first_msg(r, [&](const message_entry& m) {
    return !m.request && m.method == "INVITE" && m.status >= 200 && m.status < 300 && m.dst == cv.caller;
  });
  if (!ok) return false;
  // The caller's route set is the 2xx's Record-Route reversed (RFC 3261 12.1.2): its first hop
  // is the last Record-Route entry; without one, the remote target (Contact) itself.
  const correlate::header_note* target = nullptr;
  for (const correlate::header_note* n : cv.notes_of(cv.index_of(ok), "Record-Route")) target = n;
  const bool via_route = target != nullptr;
  if (!target) target = cv.note_of(ok, "Contact");
  if (!target) return false;
  std::string_view tv = target->value;
  if (via_route && tv.find(',') != std::string_view::npos) tv = tv.substr(tv.rfind(',') + 1);   // several in one field
  capture::endpoint want;
  if (!uri_target(tv, want)) return false;
  const message_entry* wrong = first_msg(r, [&](const message_entry& m) {
    return m.request && (m.method == "ACK" || m.method == "BYE") && m.src == cv.caller && m.time >= ok->time &&
           m.dialog >= 0 && !(m.dst.ip == want.ip && m.dst.port == want.port);
  });
  if (!wrong) return false;
  v.chain.push_back(seen(*ok, cat(target->name, ": ", target->value)));
  v.chain.push_back(seen(*wrong, cat("sent to ", wrong->dst.to_string(), ", not to ", want.to_string())));
  if (const message_entry* rtx = first_msg(r, [&](const message_entry& m) { return m.retransmission && !m.request && m.status == ok->status && m.cseq == ok->cseq; }))
    v.chain.push_back(seen(*rtx, "the callee goes on retransmitting: it did not get the ACK"));
  v.text = cat("The caller sent its ", wrong->method, " to ", wrong->dst.to_string(), ", but the dialog's ",
               via_route ? "route set (the 2xx's Record-Route)" : "remote target (the 2xx's Contact, no Record-Route)",
               " says ", want.to_string(), " (RFC 3261 12.2.1.1): in-dialog requests go to the wrong host.");
  v.conf = confidence::high;
  v.next = "Check how the caller builds its route set (a stale DNS or outbound-proxy setting overriding the Contact/"
           "Record-Route, or an SBC rewriting Contact wrongly).";
  return true;
}

bool missing_ack(const record& r, const context& c, verdict& v) {
  if (!is_call(r) || !r.times.answer || r.times.ack) return false;
  call_view cv(r);
  const message_entry* ok = first_msg(r, [&](const message_entry& m) {
    return !m.request && m.method == "INVITE" && m.status >= 200 && m.status < 300 && m.time == *r.times.answer;
  });
  if (!ok) return false;
  std::vector<const message_entry*> copies;
  for (const message_entry& m : r.messages)
    if (!m.request && m.method == "INVITE" && m.status == ok->status && m.cseq == ok->cseq && m.src == ok->src && m.dst == ok->dst)
      copies.push_back(&m);
  const message_entry* bye = first_msg(r, [](const message_entry& m) { return m.request && m.method == "BYE"; });
  const timestamp_ns end = c.capture_end ? c.capture_end : r.last_time;
  // Too early to tell: the capture ends within a second of the answer.
  if (copies.size() < 2 && !bye && end - ok->time < s_ns) return false;
  for (const message_entry* m : copies) v.chain.push_back(seen(*m));
  v.chain.push_back(not_seen(cat("ACK for the ", std::to_string(ok->status), " (RFC 3261 13.2.2.4; the callee waits 64*T1 = 32 s for it)")));
  const bool timed_bye = bye && bye->time - ok->time >= 28 * s_ns && bye->time - ok->time <= 40 * s_ns;
  if (bye) v.chain.push_back(seen(*bye, cat(duration_text(bye->time - ok->time), " after the answer")));
  v.text = cat("The caller never acknowledged the ", std::to_string(ok->status), " OK: ");
  if (copies.size() > 1)
    v.text += cat(host_of(ok->src), " retransmitted it ", std::to_string(copies.size() - 1), " times (RFC 3261 13.3.1.4)");
  else
    v.text += "no ACK is in the capture";
  if (timed_bye)
    v.text += cat(" and, with no ACK after 64*T1 = 32 s, the call was torn down by BYE ", duration_text(bye->time - ok->time), " after the answer.");
  else if (bye)
    v.text += cat("; the call ended with BYE after ", duration_text(bye->time - ok->time), ".");
  else
    v.text += ".";
  v.conf = (copies.size() > 2 && (timed_bye || !bye)) ? confidence::high : confidence::medium;
  v.next = "Follow the ACK: the caller sends it to the 200's Contact through the Record-Route set; a private "
           "address in that Contact (NAT), a wrong Record-Route, or a firewall sends it elsewhere.";
  return true;
}

bool cancel_race(const record& r, const context&, verdict& v) {
  if (!is_call(r) || !r.times.answer || !r.times.cancel) return false;
  call_view cv(r);
  const message_entry* cancel = first_msg(r, [&](const message_entry& m) {
    return m.request && m.method == "CANCEL" && (!cv.have_caller || m.src == cv.caller);
  });
  if (!cancel) return false;
  const timestamp_ns d = cancel->time - *r.times.answer;
  if (d < -2 * s_ns || d > 2 * s_ns) return false;
  const message_entry* ok = first_msg(r, [&](const message_entry& m) {
    return !m.request && m.method == "INVITE" && m.status >= 200 && m.status < 300 && m.time == *r.times.answer;
  });
  if (ok) v.chain.push_back(seen(*ok));
  v.chain.push_back(seen(*cancel, cat(d >= 0 ? duration_text(d) : duration_text(-d), d >= 0 ? " after" : " before", " the 200 OK")));
  if (const message_entry* cr = first_msg(r, [](const message_entry& m) { return !m.request && m.method == "CANCEL"; }))
    v.chain.push_back(seen(*cr, cr->status == 200 ? "the CANCEL had no effect: the INVITE was already answered (RFC 3261 9.2)" : ""));
  if (const message_entry* ack = cv.caller_ack_of_2xx()) v.chain.push_back(seen(*ack));
  const message_entry* bye = first_msg(r, [](const message_entry& m) { return m.request && m.method == "BYE"; });
  if (bye) v.chain.push_back(seen(*bye));
  v.text = cat("The caller's CANCEL crossed the 200 OK (", duration_text(d >= 0 ? d : -d), " apart): the callee had already answered, so the "
               "CANCEL had no effect (RFC 3261 9.2)",
               bye ? cat(" and the call was ended by BYE ", duration_text(bye->time - *r.times.answer), " after the answer") : std::string(),
               ". The callee saw an answered call, the caller an abandoned one.");
  v.conf = confidence::high;
  v.next = "Nothing is broken: the caller gave up just as the callee answered. Long ringing before it? Check the post-dial delay.";
  return true;
}

bool glare(const record& r, const context&, verdict& v) {
  if (!is_call(r)) return false;
  const message_entry* pending = first_msg(r, [](const message_entry& m) { return !m.request && m.status == 491; });
  if (!pending) return false;
  // The two crossing offers: in-dialog INVITE/UPDATE from each side just before the 491.
  for (const message_entry& m : r.messages)
    if (m.request && (m.method == "INVITE" || m.method == "UPDATE") && m.dialog >= 0 && !m.retransmission &&
        m.time <= pending->time && pending->time - m.time < 5 * s_ns)
      v.chain.push_back(seen(m, m.sdp.empty() ? "" : cat("SDP: ", m.sdp)));
  v.chain.push_back(seen(*pending));
  const message_entry* retry = first_msg(r, [&](const message_entry& m) {
    return m.request && m.method == pending->method && m.dialog >= 0 && m.time > pending->time && !m.retransmission;
  });
  if (retry) v.chain.push_back(seen(*retry, cat("retried ", duration_text(retry->time - pending->time), " after the 491")));
  else v.chain.push_back(not_seen(cat("the ", pending->method, " retried after a random delay (RFC 3261 14.1)")));
  v.text = cat("Both sides changed the session at once (glare): ", pending->method == "INVITE" ? "a re-INVITE" : "an UPDATE", " was answered 491 Request Pending by ",
               host_of(pending->src), retry ? cat(" and was retried ", duration_text(retry->time - pending->time), " later") : std::string(" and was not retried"), ".");
  v.conf = confidence::high;
  v.next = retry ? "Nothing is broken: RFC 3261 14.1 glare resolution worked."
                 : "The side that got 491 must retry after 2.1-4 s (Call-ID owner) or 0-2 s: check its re-INVITE handling.";
  return true;
}

bool dialog_lost(const record& r, const context&, verdict& v) {
  if (!is_call(r)) return false;
  const message_entry* lost = first_msg(r, [](const message_entry& m) { return !m.request && m.status == 481 && m.method != "CANCEL"; });
  if (!lost) return false;
  const message_entry* req = last_msg(r, [&](const message_entry& m) {
    return m.request && m.method == lost->method && m.cseq == lost->cseq && m.time <= lost->time;
  });
  if (req) v.chain.push_back(seen(*req));
  v.chain.push_back(seen(*lost));
  v.text = cat(host_of(lost->src), " did not know the dialog: the ", lost->method, " was answered 481 ", lost->reason,
               " (RFC 3261 12.2.2): the far end had already ended it, restarted, or the request went to a host other "
               "than the one holding the dialog.");
  v.conf = confidence::medium;
  v.next = cat("Compare where the ", lost->method,
               " was sent with the Contact and Record-Route of the dialog (a lost proxy state, a failover, or an early BYE).");
  return true;
}

// ---- media --------------------------------------------------------------------------------------

const sdp_media* sdp_of_side(const record& r, side s) {
  const sdp_media* out = nullptr;
  for (const sdp_media& m : r.sdp)
    if (m.from == s && m.media == "audio" && m.address.port && !m.hold) out = &m;
  return out;
}

evidence sdp_step(const record& r, const sdp_media& m, std::string detail = {}) {
  evidence e;
  const message_entry& msg = r.messages[m.message];
  e.frame = msg.frame;
  e.time = msg.time;
  e.what = cat("SDP of ", side_name(m.from), " in ", msg.summary);
  e.detail = detail.empty() ? sdp_line(m) : cat(sdp_line(m), "; ", detail);
  return e;
}

bool srtp_mismatch(const record& r, const context&, verdict& v) {
  if (!is_call(r) || !r.times.answer) return false;
  // The first offer and answer of audio (RFC 3264 6: the answer keeps the offer's profile).
  const sdp_media* offer = nullptr;
  const sdp_media* answer = nullptr;
  for (const sdp_media& m : r.sdp) {
    if (m.media != "audio" || !m.address.port) continue;
    if (!offer && m.offer) offer = &m;
    else if (offer && !answer && !m.offer && m.from != offer->from) answer = &m;
  }
  if (!offer || !answer || offer->crypto == answer->crypto) return false;
  const sdp_media* secure = offer->crypto ? offer : answer;
  const sdp_media* plain = offer->crypto ? answer : offer;
  v.chain.push_back(sdp_step(r, *offer, "the offer"));
  v.chain.push_back(sdp_step(r, *answer, "the answer"));
  for (const stream_info& st : r.streams)
    if (st.packets && v.chain.size() < 5) v.chain.push_back(stream_step(st));
  v.text = cat("SRTP on one side only: ", side_name(secure->from), " uses ", secure->proto, secure->crypto ? " with a=crypto" : "",
               " while ", side_name(plain->from), " uses ", plain->proto, " without keys; the answer must keep the offer's "
               "profile (RFC 3264 6), so one side sends encrypted audio the other plays as noise, or drops.");
  v.conf = confidence::high;
  v.next = "Make both sides agree on SRTP (SDES a=crypto or DTLS-SRTP) or on plain RTP: an SBC that strips or adds "
           "encryption on one leg only, or a phone's 'SRTP optional' setting.";
  return true;
}

bool nat_one_way(const record& r, const context&, verdict& v) {
  if (!is_call(r) || !r.times.answer || r.streams.empty()) return false;
  for (side s : {side::caller, side::callee}) {
    const sdp_media* m = sdp_of_side(r, s);
    if (!m || m->address.ip.family == 0 || !private_address(m->address.ip)) continue;
    const stream_info* from = nullptr;   // its RTP, from somewhere else
    for (const stream_info& st : r.streams)
      if (st.from == s && st.packets && !(st.src.ip == m->address.ip)) { from = &st; break; }
    if (!from || private_address(from->src.ip)) continue;
    const side other = s == side::caller ? side::callee : side::caller;
    const stream_info* to_private = nullptr;   // the other side's RTP to the private address
    const stream_info* latched = nullptr;      // ... or to where the packets come from (symmetric RTP)
    for (const stream_info& st : r.streams) {
      if (st.from != other && st.from != side::none) continue;
      if (st.dst == m->address) to_private = &st;
      if (st.dst.ip == from->src.ip) latched = &st;
    }
    if (latched && !to_private) continue;   // NAT traversal worked: media goes to the public address
    v.chain.push_back(sdp_step(r, *m, cat("c= names ", ip_text(m->address.ip), ", a private address (RFC 1918)")));
    v.chain.push_back(stream_step(*from, cat("the packets come from ", from->src.to_string(), ", not from the SDP's ", m->address.to_string(), ": a NAT")));
    if (to_private) v.chain.push_back(stream_step(*to_private, "sent to the private address, which does not route back through the NAT"));
    else v.chain.push_back(not_seen(cat("RTP from ", side_name(other), " to ", from->src.to_string(), " (the NAT's public address)")));
    v.text = cat("One-way audio behind NAT: ", side_name(s), " announced ", m->address.to_string(), " (private) in its SDP but its RTP comes from ",
                 from->src.to_string(), "; ", side_name(other), " sends its RTP to the private address, so ", side_name(s),
                 " hears nothing (no symmetric RTP / latching, RFC 4961; no SIP ALG or SBC fixing the SDP).");
    v.conf = to_private ? confidence::high : confidence::medium;
    v.next = cat("Make ", side_name(other), " (or an SBC) latch onto the source of the received RTP (symmetric RTP, comedia), or make ",
                 side_name(s), " advertise its public address (STUN/ICE, or a correct SIP ALG).");
    return true;
  }
  return false;
}

// RTP from a party of the call to an address/port that no SDP of the call (offer, answer, any
// re-INVITE) names, and from which no RTP comes back (symmetric RTP, RFC 4961, is negotiated
// in effect): the sender's own SDP is right (else nat_one_way), it just sends elsewhere.
bool media_unnegotiated(const record& r, const context&, verdict& v) {
  if (!is_call(r) || !r.times.answer) return false;
  for (const stream_info& st : r.streams) {
    if (!st.packets || (st.from != side::caller && st.from != side::callee)) continue;
    bool named = false;
    for (const sdp_media& m : r.sdp) named |= m.address == st.dst;
    if (named) continue;
    // RTP coming back from that destination: symmetric RTP (RFC 4961), media flows both ways
    // between the two ends whatever the SDPs say (a PBX that writes its own address in both).
    bool latched = false;
    for (const stream_info& o : r.streams) latched |= &o != &st && o.packets && o.src == st.dst;
    if (latched) continue;
    const side other = st.from == side::caller ? side::callee : side::caller;
    const sdp_media* want = sdp_of_side(r, other);
    bool reaches = false;   // does anything of the sender reach where the other side receives?
    if (want)
      for (const stream_info& o : r.streams) reaches |= o.packets && o.from == st.from && o.dst == want->address;
    std::size_t n = 0;
    std::string lines;
    for (const sdp_media& m : r.sdp) {
      if (m.media != "audio" || !m.address.port || n >= 4) continue;
      ++n;
      v.chain.push_back(sdp_step(r, m, m.offer ? "offer" : "answer"));
      if (!lines.empty()) lines += ", ";
      lines += cat(side_name(m.from), " ", m.address.to_string(), " in frame ", std::to_string(r.messages[m.message].frame.number));
    }
    v.chain.push_back(stream_step(st, cat("sent to ", st.dst.to_string(), ", which no c=/m= line of the call names")));
    if (want && !reaches)
      v.chain.push_back(not_seen(cat("RTP from ", side_name(st.from), " to ", want->address.to_string(), ", where ", side_name(other),
                                     " said it receives"), st.start));
    v.text = cat("Media sent to an address nobody negotiated: ", side_name(st.from), " sends its RTP (", std::to_string(st.packets),
                 " packets from ", st.src.to_string(), ", first in frame ", std::to_string(st.first_frame.number), ") to ",
                 st.dst.to_string(), ", which appears in no SDP of the call (SDP: ", lines.empty() ? std::string("none") : lines, ")",
                 want && !reaches ? cat(", so ", side_name(other), " never gets it: one-way audio caused by the sender, not by NAT.")
                                  : std::string("."));
    v.conf = want && !reaches ? confidence::high : confidence::medium;
    v.next = cat("The media settings of ", side_name(st.from), " (or of the media proxy/SBC in front of it): a stale peer from an earlier call "
                 "or an SDP it did not apply, a hard-coded RTP destination, an SBC that rewrote the SDP but not the media path.");
    return true;
  }
  return false;
}

bool has_finding(const record& r, std::string_view kind) {
  return std::any_of(r.findings.begin(), r.findings.end(), [&](const correlate::finding& f) { return f.kind == kind; });
}

bool codec_mismatch(const record& r, const context&, verdict& v) {
  if (!is_call(r) || !has_finding(r, "codec_mismatch")) return false;
  for (const stream_info& st : r.streams) {
    const sdp_media* recv = nullptr;
    for (const sdp_media& m : r.sdp)
      if (m.address == st.dst) recv = &m;
    if (!recv) continue;
    bool listed = false;
    for (const correlate::sdp_codec& c : recv->codecs) listed |= c.payload_type == st.payload_type;
    if (listed) continue;
    v.chain.push_back(sdp_step(r, *recv));
    v.chain.push_back(stream_step(st, cat("payload type ", std::to_string(st.payload_type),
                                          st.codec.empty() ? std::string() : cat(" (", st.codec, ")"), " is not in that m= line")));
    v.text = cat("The RTP ", st.src.to_string(), " -> ", st.dst.to_string(), " uses payload type ", std::to_string(st.payload_type),
                 st.codec.empty() ? std::string() : cat(" (", st.codec, ")"), ", which the receiver's SDP did not list (",
                 codec_list(*recv), "): the receiver may drop it or decode noise.");
    v.conf = confidence::high;
    v.next = "Check the sender's codec selection against the answer (RFC 3264 5.1: send only what the peer listed); a "
             "media server or transcoder that changed codec without a re-INVITE.";
    return true;
  }
  return false;
}

bool hold(const record& r, const context&, verdict& v) {
  if (!is_call(r) || !r.holds) return false;
  for (const correlate::session_change& ch : r.changes) {
    if (ch.what != "hold" && ch.what != "resume") continue;
    const message_entry* m = first_msg(r, [&](const message_entry& x) { return x.request && x.time == ch.time && x.method == ch.method; });
    if (m) v.chain.push_back(seen(*m, cat(ch.what, " by ", side_name(ch.by), m->sdp.empty() ? std::string() : cat(", SDP: ", m->sdp))));
  }
  const correlate::session_change* first = nullptr;
  for (const correlate::session_change& ch : r.changes)
    if (ch.what == "hold") { first = &ch; break; }
  const bool silent = has_finding(r, "one_way_audio") || has_finding(r, "no_rtp") || has_finding(r, "media_gap");
  v.text = cat("The call was put on hold ", std::to_string(r.holds), r.holds == 1 ? " time" : " times",
               first ? cat(" (first by ", side_name(first->by), first->method == "INVITE" ? " with a re-INVITE" : " with an UPDATE", " offering sendonly/inactive, RFC 3264 8.4)") : std::string(),
               silent ? "; the silence in the media is the hold, not a fault." : "; otherwise it completed normally.");
  v.conf = confidence::high;
  v.next = silent ? "Nothing to fix unless the hold itself was unexpected (a phone's hold key, a transfer in progress)."
                  : "Nothing failed.";
  return true;
}

bool t38_fax(const record& r, const context&, verdict& v) {
  if (!is_call(r) || !r.times.answer) return false;
  const sdp_media* fax = nullptr;
  for (const sdp_media& m : r.sdp)
    if (m.media == "image" && m.address.port && !fax) fax = &m;
  if (!fax) return false;
  v.chain.push_back(sdp_step(r, *fax, "T.38 over UDPTL replaces the audio"));
  const message_entry& at = r.messages[fax->message];
  const sdp_media* back = nullptr;
  for (const sdp_media& m : r.sdp)
    if (m.media == "audio" && m.address.port && r.messages[m.message].time > capture::later(at.time, s_ns) && m.from == fax->from && !back) back = &m;
  if (back) v.chain.push_back(sdp_step(r, *back, "back to audio"));
  v.text = cat("The call switched to T.38 fax: ", side_name(fax->from), " offered m=image ", fax->proto, " in a re-INVITE at ",
               clock_text(at.time), back ? cat(" and went back to audio at ", clock_text(r.messages[back->message].time)) : std::string(),
               "; RTP pauses while the fax goes over UDPTL, which is not a fault.");
  v.conf = confidence::high;
  v.next = "Nothing failed in the signalling; for the fax's own outcome, look at the UDPTL packets (T.38 Annex D).";
  return true;
}

bool one_way_audio(const record& r, const context&, verdict& v) {
  if (!is_call(r) || !has_finding(r, "one_way_audio")) return false;
  // RTP both ways between the same two hosts is not one-way audio, whichever side the SDP
  // attribution gave each stream (a PBX that writes one address in both SDPs).
  for (const stream_info& a : r.streams)
    for (const stream_info& b : r.streams)
      if (a.packets && b.packets && a.src.ip == b.dst.ip && a.dst.ip == b.src.ip && !(a.src.ip == a.dst.ip)) return false;
  bool from_caller = false, from_callee = false;
  const stream_info* talking = nullptr;
  for (const stream_info& st : r.streams) {
    if (!st.packets) continue;
    if (st.from == side::caller) from_caller = true;
    if (st.from == side::callee) from_callee = true;
    if (!talking && (st.from == side::caller || st.from == side::callee)) talking = &st;
  }
  const side silent = from_caller ? side::callee : side::caller;
  const side speaker = silent == side::caller ? side::callee : side::caller;
  {
    std::vector<evidence> sdps;   // both SDPs, in the order they were sent
    if (const sdp_media* m = sdp_of_side(r, speaker)) sdps.push_back(sdp_step(r, *m));
    if (const sdp_media* m = sdp_of_side(r, silent)) sdps.push_back(sdp_step(r, *m, cat("where ", side_name(silent), " said it would receive")));
    std::stable_sort(sdps.begin(), sdps.end(), [](const evidence& a, const evidence& b) { return a.time < b.time; });
    for (evidence& e : sdps) v.chain.push_back(std::move(e));
  }
  const bool alive = talking && talking->rtcp_reports > 0 && talking->rtcp_fraction_lost >= 0;
  if (talking)
    v.chain.push_back(stream_step(*talking, alive ? "RTCP receiver reports about this stream come back: the silent side receives it" : ""));
  const sdp_media* dest = sdp_of_side(r, speaker);
  v.chain.push_back(not_seen(cat("RTP from ", side_name(silent), dest ? cat(" to ", dest->address.to_string()) : std::string(),
                                 " during ", duration_text(r.talk_ms() * ms_ns), " of talk")));
  (void)from_callee;
  v.text = cat("One-way audio: ", side_name(speaker), " sent RTP", talking ? cat(" (", std::to_string(talking->packets), " packets)") : std::string(),
               " but ", side_name(silent), " sent none during ", duration_text(r.talk_ms() * ms_ns), " of talk",
               alive ? cat("; ", side_name(silent), " is alive (its RTCP reports that it receives), so it does not send") : std::string(),
               ".");
  v.conf = alive ? confidence::high : confidence::medium;
  v.next = cat("On ", side_name(silent), ": a muted or broken microphone, an outbound firewall on its RTP port, or media "
               "sent to another address than the SDP says (compare its c= line with the capture at its side).");
  return true;
}

bool media_not_captured(const record& r, const context& c, verdict& v) {
  if (!is_call(r) || !r.times.answer || !c.media_tracked || c.rtp_packets) return false;
  if (r.talk_ms() < 2000 || !sdp_of_side(r, side::callee)) return false;
  if (const sdp_media* m = sdp_of_side(r, side::caller)) v.chain.push_back(sdp_step(r, *m));
  if (const sdp_media* m = sdp_of_side(r, side::callee)) v.chain.push_back(sdp_step(r, *m));
  v.chain.push_back(not_seen("any RTP in the whole capture"));
  v.text = "The capture holds no RTP at all (a SIP-only capture filter, or a capture point the media does not pass), "
           "so the audio of this call cannot be judged from it.";
  v.conf = confidence::high;
  v.next = "Capture without a port filter (or include the RTP port range) where the media flows.";
  return true;
}

bool no_rtp(const record& r, const context&, verdict& v) {
  if (!is_call(r) || !has_finding(r, "no_rtp")) return false;
  call_view cv(r);
  if (const sdp_media* m = sdp_of_side(r, side::caller)) v.chain.push_back(sdp_step(r, *m));
  if (const sdp_media* m = sdp_of_side(r, side::callee)) v.chain.push_back(sdp_step(r, *m));
  if (const message_entry* ack = cv.caller_ack_of_2xx()) v.chain.push_back(seen(*ack));
  v.chain.push_back(not_seen("RTP to or from any address of the SDP"));
  if (const message_entry* bye = first_msg(r, [](const message_entry& m) { return m.request && m.method == "BYE"; })) v.chain.push_back(seen(*bye));
  v.text = cat("No audio: the call was answered and lasted ", duration_text(r.talk_ms() * ms_ns),
               " but no RTP to or from the negotiated addresses is in the capture (which does carry RTP of other calls)",
               r.legs.empty() ? "." : "; it is a leg of a B2BUA, whose media may simply not pass this capture point.");
  v.conf = r.legs.empty() ? confidence::medium : confidence::low;
  v.next = "Whether the media takes another path than this capture point (an SBC or media server anchoring it), a "
           "firewall dropping the RTP ports, or the SDP addresses are unreachable.";
  return true;
}

bool rtp_stops(const record& r, const context&, verdict& v) {
  if (!is_call(r) || !r.times.answer) return false;
  const timestamp_ns end = r.times.bye ? *r.times.bye : r.last_time;
  const stream_info* stopped = nullptr;
  const stream_info* gap = nullptr;
  for (const stream_info& st : r.streams) {
    if (!st.packets || st.from == side::none) continue;
    bool others_go_on = false;
    for (const stream_info& o : r.streams) others_go_on |= &o != &st && o.packets && o.end > capture::later(st.end, 5 * s_ns);
    if (r.times.bye && end - st.end > 5 * s_ns && others_go_on && !stopped) stopped = &st;
    if (st.max_delta_ms > 2000 && !gap) gap = &st;
  }
  if (!stopped && !gap) return false;
  if (stopped) {
    v.chain.push_back(stream_step(*stopped, cat("last packet at ", clock_text(stopped->end))));
    v.chain.push_back(not_seen(cat("RTP from ", side_name(stopped->from), " after ", clock_text(stopped->end)), stopped->end));
    if (const message_entry* bye = first_msg(r, [](const message_entry& m) { return m.request && m.method == "BYE"; }))
      v.chain.push_back(seen(*bye, cat(duration_text(bye->time - stopped->end), " after the last packet")));
    v.text = cat("The audio from ", side_name(stopped->from), " stopped mid-call: its RTP (", stopped->src.to_string(), " -> ",
                 stopped->dst.to_string(), ") ends at ", clock_text(stopped->end), ", ", duration_text(end - stopped->end),
                 " before the call ended, while the other direction went on.");
  } else {
    v.chain.push_back(stream_step(*gap, cat("longest gap between packets: ", duration_text(static_cast<timestamp_ns>(gap->max_delta_ms * 1e6)))));
    v.text = cat("The audio from ", side_name(gap->from), " paused for ", duration_text(static_cast<timestamp_ns>(gap->max_delta_ms * 1e6)),
                 " in the middle of the call (RTP ", gap->src.to_string(), " -> ", gap->dst.to_string(),
                 "), then resumed: a network outage, or silence suppression without comfort noise.");
  }
  v.conf = stopped ? confidence::medium : confidence::low;
  v.next = "A network path change, a NAT binding that timed out, silence suppression without comfort noise, or the "
           "sender's media engine failing: compare with the sender's logs at that time.";
  return true;
}

bool low_mos(const record& r, const context&, verdict& v) {
  if (!is_call(r)) return false;
  const stream_info* worst = nullptr;
  for (const stream_info& st : r.streams)
    if (st.mos > 0 && (!worst || st.mos < worst->mos)) worst = &st;
  // MOS 3.6 is R = 70, the bottom of G.107's "some users dissatisfied" band (Table B.1).
  if (!worst || worst->mos >= 3.6) return false;
  const double delay_loss = std::max(0.0, 93.2 - worst->r_factor - worst->ie_eff);
  const std::string loss_inputs = cat("(loss ", num(worst->lost_percent(), 2), "%, burst ratio ", num(worst->burst_ratio, 2),
                                      ", codec ", worst->codec.empty() ? std::string("?") : worst->codec, ")");
  const std::string jitter = cat("; jitter mean ", num(worst->mean_jitter_ms, 1), " ms, max ", num(worst->max_jitter_ms, 1), " ms");
  // R at 0 is G.107's floor: 93.2 - Id - Ie,eff came out below it, and Id is not known then.
  std::string inputs =
      worst->r_factor > 0
          ? cat("E-model: R ", num(worst->r_factor, 1), " = 93.2 - Id ", num(delay_loss, 1), " (one-way delay ",
                num(worst->one_way_delay_ms, 0), " ms) - Ie,eff ", num(worst->ie_eff, 1), " ", loss_inputs, jitter)
          : cat("E-model: R 0.0, the floor of the scale: 93.2 - Id (one-way delay ", num(worst->one_way_delay_ms, 0),
                " ms) - Ie,eff ", num(worst->ie_eff, 1), " ", loss_inputs, " is below it", jitter);
  v.chain.push_back(stream_step(*worst, inputs));
  const bool loss = worst->ie_eff >= delay_loss;
  v.text = cat("Poor audio quality: MOS ", num(worst->mos, 2), " (R ", num(worst->r_factor, 0), ") on the RTP ", worst->src.to_string(),
               " -> ", worst->dst.to_string(), ", mostly from ",
               loss ? cat(num(worst->lost_percent(), 1), "% packet loss", worst->burst_ratio > 1.2 ? " in bursts" : "")
                    : cat("delay (", num(worst->one_way_delay_ms, 0), " ms one way, with jitter up to ", num(worst->max_jitter_ms, 0), " ms)"),
               ".");
  v.conf = confidence::medium;
  v.next = loss ? "Where the packets are lost: capture at the sender to see whether they leave it, then hop by hop (a "
                  "congested uplink, Wi-Fi, a policer)."
                : "Where the delay comes from: the jitter buffer, a long path, or queueing on a congested link.";
  return true;
}

bool forked_elsewhere(const record& r, const context&, verdict& v) {
  if (!is_call(r) || !r.times.answer || r.dialogs.size() < 2) return false;
  const correlate::dialog* won = nullptr;
  for (const correlate::dialog& d : r.dialogs)
    if (d.confirmed) won = &d;
  if (!won) return false;
  for (const correlate::dialog& d : r.dialogs) {
    const message_entry* m = first_msg(r, [&](const message_entry& x) { return !x.request && x.time == d.created && x.method == "INVITE"; });
    if (m) v.chain.push_back(seen(*m, cat("To tag ", d.remote_tag, &d == won ? " (answered)" : " (another branch)")));
  }
  const message_entry* ans = first_msg(r, [&](const message_entry& x) { return !x.request && x.method == "INVITE" && x.status >= 200 && x.status < 300 && x.time == won->confirmed; });
  if (ans) v.chain.push_back(seen(*ans));
  for (const message_entry& m : r.messages)
    if (!m.request && m.status == 487 && m.method == "INVITE") { v.chain.push_back(seen(m, "the losing branch is cancelled (RFC 3261 16.7 step 10)")); break; }
  v.text = cat("The call forked to ", std::to_string(r.dialogs.size()), " branches (", std::to_string(r.dialogs.size()),
               " early dialogs, RFC 3261 12.1, 16.7); ", ans ? host_of(ans->src) : std::string("one branch"),
               " answered and the other branches were cancelled.");
  v.conf = confidence::high;
  v.next = "Nothing failed; if the wrong device answered, check the forking rules (parallel/serial, q-values).";
  return true;
}

bool still_in_call(const record& r, const context&, verdict& v) {
  if (!is_call(r) || r.state != call_state::in_call) return false;
  call_view cv(r);
  const message_entry* ok = first_msg(r, [&](const message_entry& m) { return !m.request && m.method == "INVITE" && m.status >= 200 && m.status < 300; });
  if (ok) v.chain.push_back(seen(*ok));
  if (const message_entry* ack = cv.caller_ack_of_2xx()) v.chain.push_back(seen(*ack));
  v.chain.push_back(not_seen("a BYE (the capture ends first)"));
  v.text = cat("The call was answered and was still up when the capture ended (", duration_text(r.talk_ms() * ms_ns), " of it seen).");
  v.conf = confidence::high;
  v.next = "Capture longer to see its end.";
  return true;
}

bool completed(const record& r, const context&, verdict& v) {
  if (!is_call(r) || r.state != call_state::completed) return false;
  call_view cv(r);
  const message_entry* ok = first_msg(r, [&](const message_entry& m) {
    return !m.request && m.method == "INVITE" && m.status >= 200 && m.status < 300 && (!cv.have_caller || m.dst == cv.caller);
  });
  invite_steps(cv, v);
  if (ok) v.chain.push_back(seen(*ok));
  if (const message_entry* ack = cv.caller_ack_of_2xx()) v.chain.push_back(seen(*ack));
  const message_entry* bye = first_msg(r, [](const message_entry& m) { return m.request && m.method == "BYE"; });
  if (bye) v.chain.push_back(seen(*bye, r.reason_header.empty() ? "" : reason_detail(r.reason_header)));
  v.text = cat("The call completed normally: answered", cv.invite && ok ? cat(" after ", duration_text(ok->time - cv.invite->time)) : std::string(),
               ", ", duration_text(r.talk_ms() * ms_ns), " of talk, ended by ", side_name(r.hangup), " with BYE",
               r.streams.empty() ? std::string() : cat(", ", std::to_string(r.streams.size()), " RTP streams without a problem found"), ".");
  v.conf = confidence::high;
  v.next = "Nothing failed.";
  return true;
}

bool capture_lost_packets(const record& r, const context& c, verdict& v) {
  const auto lost = losses_during(r, c);
  if (lost.empty()) return false;
  v.chain.push_back(losses_step(lost));
  v.text = cat("The capture itself lost or cut packets while this record was in progress (", losses_text(lost),
               "): what it does not show may be missing from the capture, not from the network.");
  v.conf = confidence::high;
  v.next = "Capture with a larger buffer and snaplen (or on the host itself), and check the capture's kernel drop counters.";
  return true;
}

bool request_ok(const record& r, const context&, verdict& v) {
  if (is_call(r) || r.final_status < 200 || r.final_status >= 300) return false;
  const message_entry* req = first_msg(r, [&](const message_entry& m) { return m.request && m.method == r.first_method; });
  const message_entry* ok = last_msg(r, [&](const message_entry& m) { return !m.request && m.status == r.final_status; });
  if (req) v.chain.push_back(seen(*req));
  if (ok) v.chain.push_back(seen(*ok));
  v.text = cat("The ", r.first_method, " succeeded (", std::to_string(r.final_status), " ", r.final_reason,
               r.auth_challenges ? cat(" after ", std::to_string(r.auth_challenges), " challenge", r.auth_challenges > 1 ? "s" : "") : std::string(), ").");
  v.conf = confidence::high;
  v.next = "Nothing failed.";
  return true;
}

bool unexplained(const record& r, const context&, verdict& v) {
  if (!r.messages.empty()) v.chain.push_back(seen(r.messages.front()));
  if (r.messages.size() > 1) v.chain.push_back(seen(r.messages.back()));
  v.text = cat("No rule explains this record (", std::string(is_call(r) ? to_string(r.state) : to_string(r.outcome)),
               r.final_status ? cat(", final ", std::to_string(r.final_status)) : std::string(), "); read its ladder.");
  v.conf = confidence::low;
  v.next = cat("sipscope ladder --call ", std::to_string(r.index), " FILE");
  return true;
}

// The table. Order is priority: the capture's blind spots that leave nothing to judge, then the
// final response (the cause the far end states), then what timing and absence show, then media,
// then the outcomes where nothing failed.
constexpr rule table[] = {
    {"responses_not_captured", "RFC 3261 13.2.2.4, 17.1.1.3", category::capture,
     "The capture has requests of the call that are only sent after a response (ACK, BYE, PRACK) but no response at all: "
     "one direction of the traffic is missing from the capture, not from the network.", responses_not_captured},
    {"tcp_connect_failed", "RFC 3261 16.9, 18.1.1, 18.4 (transport errors); RFC 793 3.4, 3.7 (SYN, RST)", category::signalling,
     "A TCP connect made to send the request failed: the SYN was answered with RST (connection refused: nothing listens "
     "there) or retransmitted without any SYN-ACK (host down, firewall); the request never left, and a proxy's 503 or "
     "408 (or no response at all) follows from it.", tcp_connect_failed},
    {"no_response", "RFC 3261 17.1.1.2 (Timer A, Timer B = 64*T1), 17.1.2.2 (Timer F), 18.4 (ICMP); RFC 792, RFC 4443", category::signalling,
     "The request got no response at all within 32 s: over UDP, its Timer A retransmissions are the evidence that the "
     "sender kept trying and nobody answered; an ICMP destination unreachable quoting it (port unreachable: nothing "
     "listens there) is cited, and says so at once; so is a TCP reset of the connection that carried it.", no_response},
    {"auth_loop", "RFC 3261 22.2, 22.3; RFC 7616 3.3", category::signalling,
     "Three or more challenges with credentials sent back each time: the client loops on credentials the server never accepts.",
     auth_loop},
    {"auth_rejected", "RFC 3261 22.2, 22.3; RFC 7616 3.3 (stale)", category::signalling,
     "The client answered a 401/407 challenge and was challenged again (or got 403): wrong password, wrong realm, or a "
     "stale nonce not retried.", auth_rejected},
    {"auth_no_credentials", "RFC 3261 22.1, 22.2", category::signalling,
     "The last word was a 401/407 challenge and the client never retried with credentials.", auth_no_credentials},
    {"redirect_loop", "RFC 3261 8.1.3.4, 16.5", category::signalling,
     "Three or more 3xx to the caller, or a 3xx naming a target already tried: redirect servers point at each other.",
     redirect_loop},
    {"redirect", "RFC 3261 8.1.3.4, 21.3", category::signalling,
     "The final response was a 3xx (with its Contact) and nobody followed it with a new INVITE.", redirect},
    {"busy", "RFC 3261 21.4.24 (486), 21.6.1 (600); RFC 3326 (Reason)", category::signalling,
     "486 Busy Here or 600 Busy Everywhere; the Reason header's Q.850 cause is decoded.", busy},
    {"no_answer", "RFC 3261 21.4.18 (480), 21.4.9 (408), 16.8 (no-answer timer)", category::signalling,
     "480 or 408: after ringing, a no-answer timer; without ringing, the callee unreachable (480) or a hop timing out (408).",
     no_answer},
    {"cancelled", "RFC 3261 9.1, 9.2, 21.4.25 (487)", category::signalling,
     "CANCEL and 487 Request Terminated: who cancelled (the caller, or a proxy) and after how long.", cancelled},
    {"media_refused", "RFC 3261 21.4.26 (488), 21.6.4 (606), 21.4.13 (415), 20.43 (Warning); RFC 3264 6", category::signalling,
     "488/606/415: the offer is compared with any SDP of the callee to name the mismatch (codecs, RTP/AVP vs RTP/SAVP, "
     "ptime).", media_refused},
    {"too_many_hops", "RFC 3261 8.1.1.6, 16.3 item 3, 21.4.23 (483)", category::signalling,
     "483 Too Many Hops: Max-Forwards reached 0; the hops of the INVITE in the capture show a loop when a link repeats.",
     too_many_hops},
    {"session_interval_too_small", "RFC 4028 6 (422, Min-SE)", category::signalling,
     "422 Session Interval Too Small with its Min-SE, and no retry with a larger Session-Expires.", session_interval_too_small},
    {"server_error", "RFC 3261 21.5 (5xx), 20.33 (Retry-After)", category::signalling,
     "A 5xx final response: which server failed, and how (overload with Retry-After, internal error, gateway timeout).",
     server_error},
    {"rejected", "RFC 3261 21.4, 21.6 (4xx, 6xx); RFC 3326 (Reason)", category::signalling,
     "Any other 4xx/6xx final response: who refused, what the code means, and the Reason header's Q.850 cause.", rejected},
    {"timer_c", "RFC 3261 16.6 step 11, 16.8 (Timer C > 3 min)", category::signalling,
     "Provisional responses (100 Trying, 18x) and then no final response for 32 s or more: the call was lost beyond the "
     "hop that answered 100.", timer_c},
    {"capture_ended", "RFC 3261 17.1.1.2 (Timer B), 16.6 (Timer C)", category::capture,
     "The call was still being set up when the capture ended, before any timer could decide its fate.", capture_ended},
    {"request_not_captured", "RFC 3261 17", category::capture,
     "The record has no INVITE: the capture started during the call, or misses the caller-to-callee direction.",
     request_not_captured},
    {"ack_not_captured", "RFC 3261 13.3.1.4 (2xx retransmitted until the ACK)", category::capture,
     "No ACK of the 2xx in the capture, but the callee never retransmitted its 2xx over UDP and the call went on: the ACK "
     "arrived by a path or in a packet the capture does not have.", ack_not_captured},
    {"route_mismatch", "RFC 3261 12.1.2, 12.2.1.1, 16.12 (route set)", category::signalling,
     "The caller's ACK or BYE goes to a host other than the first hop of the dialog's route set (the 2xx's Record-Route, "
     "else its Contact), when those name IP addresses.", route_mismatch},
    {"missing_ack", "RFC 3261 13.2.2.4, 13.3.1.4 (2xx retransmission, 64*T1)", category::signalling,
     "The 2xx was never ACKed: the callee retransmits it and, after 32 s, tears the call down with BYE.", missing_ack},
    {"cancel_race", "RFC 3261 9.2, 15; RFC 6026", category::signalling,
     "The caller's CANCEL and the callee's 200 OK crossed: the CANCEL came too late and the call was answered.", cancel_race},
    {"glare", "RFC 3261 14.1 (491 Request Pending)", category::signalling,
     "Both sides sent an offer at once (re-INVITE/UPDATE); 491 and whether the loser retried after the random delay.", glare},
    {"dialog_lost", "RFC 3261 12.2.2, 21.4.19 (481)", category::signalling,
     "An in-dialog request was answered 481: the far end had lost or ended the dialog.", dialog_lost},
    {"srtp_mismatch", "RFC 3264 6; RFC 4568 (SDES), RFC 3711 (SRTP)", category::media,
     "The offer and the answer disagree on SRTP (RTP/SAVP or a=crypto on one side only).", srtp_mismatch},
    {"nat_one_way", "RFC 3264 5 (c=), RFC 4961 (symmetric RTP), RFC 1918", category::media,
     "A side announced a private c= address while its RTP comes from a public one, and the other side sends to the private "
     "address: one-way audio from NAT without symmetric RTP.", nat_one_way},
    {"media_unnegotiated", "RFC 3264 5 (c=, m= port), 6.1, 8 (re-offers); RFC 4961 (symmetric RTP)", category::media,
     "A party sends its RTP to an address/port that no SDP of the call (offer, answer, re-INVITE) names and that is not "
     "where the other side's RTP comes from: one-way audio caused by the sender, distinct from NAT.", media_unnegotiated},
    {"codec_mismatch", "RFC 3264 5.1, 6.1; RFC 3551 6", category::media,
     "RTP arrives with a payload type the receiver's SDP did not list.", codec_mismatch},
    {"hold", "RFC 3264 8.4 (sendonly/inactive), RFC 5359 2.1", category::ok,
     "The call was put on hold (an in-dialog offer with sendonly/inactive or c=0.0.0.0); silence in the media during it is "
     "expected.", hold},
    {"t38_fax", "ITU-T T.38 Annex D (SIP), RFC 3362 (image/t38); RFC 3264 8", category::ok,
     "An offer switched the call to T.38 fax (m=image udptl): the pause in RTP during the fax is expected.", t38_fax},
    {"one_way_audio", "RFC 3550 6.4 (RTCP receiver reports), RFC 3264 5", category::media,
     "Only one side sent RTP during the talk; RTCP receiver reports show whether the silent side is alive.", one_way_audio},
    {"no_rtp", "RFC 3264 5, RFC 3550", category::media,
     "The call was answered and talked, the capture has RTP, but none of this call's.", no_rtp},
    {"rtp_stops", "RFC 3550 (sequence and timing)", category::media,
     "RTP from one side ends seconds before the call does, or pauses for more than 2 s.", rtp_stops},
    {"low_mos", "ITU-T G.107 (E-model), G.113 Appendix I; RFC 3550 A.8 (jitter)", category::media,
     "A stream's estimated MOS is below 3.6 (R < 70); the E-model inputs (loss, burst ratio, delay, jitter, codec) are "
     "shown beside it.", low_mos},
    {"forked_elsewhere", "RFC 3261 12.1, 16.7 step 10, 13.2.2.4", category::ok,
     "The call forked; one branch answered and the others were cancelled.", forked_elsewhere},
    {"still_in_call", "RFC 3261 15", category::capture,
     "The call was answered and the capture ended before its BYE.", still_in_call},
    {"completed", "RFC 3261 13, 15.1", category::ok, "Answered, ACKed and ended by BYE with no problem found.", completed},
    {"media_not_captured", "RFC 3550", category::capture,
     "The capture holds no RTP at all, so the media of an answered call cannot be judged (listed with other verdicts).",
     media_not_captured},
    {"request_ok", "RFC 3261 21.2", category::ok, "A non-INVITE request (REGISTER, OPTIONS...) that succeeded.", request_ok},
    {"capture_lost_packets", "-", category::capture,
     "The capture lost or cut packets (kernel drops, TCP gaps, IP fragments never completed, snaplen, sipscope's limits) "
     "between the record's first and last message; verdicts built on an absence lose a level of confidence.",
     capture_lost_packets},
    {"unexplained", "-", category::signalling, "No rule applies: read the ladder.", unexplained},
};

}  // namespace

std::span<const rule> rules() noexcept { return table; }

verdict explain(const correlate::record& r, const context& c) {
  verdict out;
  bool have = false;
  for (const rule& ru : table) {
    verdict v;
    if (!ru.match(r, c, v)) continue;
    if (!have) {
      // A TCP connection of the call reset (RST) is evidence of whatever went wrong after it:
      // what was in flight on it is lost (a BYE, a re-INVITE, a response).
      for (const correlate::tcp_failure& f : r.tcp_failures) {
        if (f.kind != correlate::tcp_failure_kind::reset || !f.rst.number) continue;
        if (std::any_of(v.chain.begin(), v.chain.end(), [&](const evidence& e) { return e.frame.number == f.rst.number && e.frame.file == f.rst.file; })) continue;
        v.chain.push_back(rst_step(f));
        v.text += cat(" The TCP connection ", f.from.to_string(), " - ", f.to.to_string(), " that carried the call was reset by ",
                      ip_text(f.to.ip), " at ", clock_text(f.rst_time), " (RST, frame ", std::to_string(f.rst.number), ").");
      }
      // Evidence in time order; a step without a time stays after the step it followed.
      std::vector<std::pair<timestamp_ns, std::size_t>> keys;
      timestamp_ns prev = 0;
      for (std::size_t i = 0; i < v.chain.size(); ++i) {
        if (v.chain[i].time) prev = v.chain[i].time;
        keys.push_back({prev, i});
      }
      std::stable_sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      std::vector<evidence> sorted;
      for (const auto& k : keys) sorted.push_back(std::move(v.chain[k.second]));
      v.chain = std::move(sorted);
      out = std::move(v);
      out.rule = ru.id;
      out.rfc = ru.rfc;
      out.cat = ru.cat;
      have = true;
      // A verdict read from an absence, while the capture lost packets during the call: say so,
      // and trust it one level less.
      static constexpr std::string_view from_absence[] = {
          "no_response", "timer_c", "missing_ack", "responses_not_captured", "request_not_captured", "capture_ended",
          "no_rtp", "one_way_audio", "rtp_stops", "dialog_lost"};
      if (std::find(std::begin(from_absence), std::end(from_absence), ru.id) != std::end(from_absence)) {
        const auto lost = losses_during(r, c);
        if (!lost.empty()) {
          out.chain.push_back(losses_step(lost));
          out.text += cat(" But the capture itself lost or cut packets during this call (", losses_text(lost),
                          "), so part of what is not seen may be the capture's loss.");
          if (out.conf == confidence::high) out.conf = confidence::medium;
          else out.conf = confidence::low;
        }
      }
    } else if (ru.id != "unexplained") {
      out.also.push_back(ru.id);
    }
  }
  return out;
}

}  // namespace sipscope::explain
