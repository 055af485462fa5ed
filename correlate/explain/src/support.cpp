#include "support.hpp"

#include <cctype>
#include <cstdio>
#include <ctime>

namespace sipscope::explain::detail {

std::string duration_text(timestamp_ns d) {
  if (d < 0) d = 0;
  char b[48];
  const double ms = static_cast<double>(d) / 1e6;
  if (ms < 10) std::snprintf(b, sizeof b, "%.1f ms", ms);
  else if (ms < 1000) std::snprintf(b, sizeof b, "%.0f ms", ms);
  else if (ms < 100'000) std::snprintf(b, sizeof b, "%.1f s", ms / 1000);
  else std::snprintf(b, sizeof b, "%lld min %lld s", static_cast<long long>(ms / 60000),
                     static_cast<long long>(ms / 1000) % 60);
  return b;
}

std::string clock_text(timestamp_ns t) {
  std::int64_t ms = t / 1'000'000;
  std::int64_t sec = ms / 1000, frac = ms % 1000;
  if (frac < 0) { frac += 1000; --sec; }
  std::time_t tt = static_cast<std::time_t>(sec);
  std::tm tm{};
  if (!gmtime_r(&tt, &tm)) return "?";
  char b[32];
  std::snprintf(b, sizeof b, "%02d:%02d:%02d.%03lld", tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(frac));
  return b;
}

std::string side_name(side s) {
  return s == side::caller ? "the caller" : s == side::callee ? "the callee" : "an unknown side";
}

evidence seen(const message_entry& m, std::string detail) {
  evidence e;
  e.frame = m.frame;
  e.time = m.time;
  e.what = cat(m.summary, "  ", m.src.to_string(), " -> ", m.dst.to_string());
  if (m.retransmission) e.what += "  (retransmission)";
  e.detail = std::move(detail);
  return e;
}

evidence not_seen(std::string what, timestamp_ns when) {
  evidence e;
  e.seen = false;
  e.time = when;
  e.what = std::move(what);
  return e;
}

evidence stream_step(const stream_info& s, std::string detail) {
  evidence e;
  e.frame = s.first_frame;
  e.time = s.start;
  char b[64];
  std::snprintf(b, sizeof b, ", %llu packets, %s", static_cast<unsigned long long>(s.packets),
                duration_text(s.end - s.start).c_str());
  e.what = cat("RTP ", s.src.to_string(), " -> ", s.dst.to_string(), " ", s.codec.empty() ? "PT " + std::to_string(s.payload_type) : s.codec, b);
  e.detail = std::move(detail);
  return e;
}

call_view::call_view(const record& rec) : r(rec) {
  invite = first_msg(r, [](const message_entry& m) { return m.request && m.method == "INVITE" && m.dialog < 0; });
  if (invite) {
    caller = invite->src;
    have_caller = true;
  } else if (const message_entry* resp = first_msg(r, [](const message_entry& m) { return !m.request && m.method == "INVITE"; })) {
    caller = resp->dst;
    have_caller = true;
  }
}

bool call_view::is_initial_invite(const message_entry& m) const {
  if (!m.request || m.method != "INVITE") return false;
  if (m.dialog < 0) return true;
  return r.times.answer ? m.time <= *r.times.answer : false;
}

const message_entry* call_view::final_to_caller() const {
  if (!r.final_status) return nullptr;
  auto is_final = [&](const message_entry& m) { return !m.request && m.method == "INVITE" && m.status == r.final_status; };
  const message_entry* m = have_caller ? last_msg(r, [&](const message_entry& x) { return is_final(x) && x.dst == caller && !x.retransmission; }) : nullptr;
  return m ? m : last_msg(r, is_final);
}

const message_entry* call_view::final_origin() const {
  const message_entry* to_caller = final_to_caller();
  if (!to_caller) return nullptr;
  // The same final at every hop carries the caller's CSeq; the earliest copy is nearest its origin.
  return first_msg(r, [&](const message_entry& m) {
    return !m.request && m.method == "INVITE" && m.status == r.final_status && m.cseq == to_caller->cseq;
  });
}

const message_entry* call_view::first_provisional(std::uint16_t lo, std::uint16_t hi) const {
  const message_entry* m = first_msg(r, [&](const message_entry& x) {
    return !x.request && x.method == "INVITE" && x.status >= lo && x.status <= hi && (!have_caller || x.dst == caller);
  });
  if (m || !have_caller) return m;
  // Responses go to the Via's sent-by port (RFC 3261 18.2.2), which need not be the port the
  // INVITE left from: the caller's host then.
  return first_msg(r, [&](const message_entry& x) {
    return !x.request && x.method == "INVITE" && x.status >= lo && x.status <= hi && x.dst.ip == caller.ip;
  });
}

const message_entry* call_view::caller_ack_of_2xx() const {
  if (!r.times.ack) return nullptr;
  return first_msg(r, [&](const message_entry& m) { return m.request && m.method == "ACK" && m.time == *r.times.ack; });
}

std::vector<const correlate::header_note*> call_view::notes_of(std::size_t message, std::string_view name) const {
  std::vector<const correlate::header_note*> out;
  for (const correlate::header_note& n : r.notes)
    if (n.message == message && n.name == name) out.push_back(&n);
  return out;
}

const correlate::header_note* call_view::note_of(const message_entry* m, std::string_view name) const {
  if (!m) return nullptr;
  auto v = notes_of(index_of(m), name);
  return v.empty() ? nullptr : v.front();
}

std::string param_of(std::string_view value, std::string_view name) {
  // auth-param / reason-param: name = token / quoted-string, separated by ',' or ';'.
  std::size_t i = 0;
  while (i < value.size()) {
    while (i < value.size() && (value[i] == ' ' || value[i] == ',' || value[i] == ';' || value[i] == '\t')) ++i;
    std::size_t k = i;
    while (k < value.size() && value[k] != '=' && value[k] != ',' && value[k] != ';' && value[k] != ' ') ++k;
    std::string_view key = value.substr(i, k - i);
    // "Digest realm=...": the scheme is followed by a space, not '='.
    if (k < value.size() && value[k] == ' ') {
      std::size_t j = k;
      while (j < value.size() && value[j] == ' ') ++j;
      if (j < value.size() && value[j] == '=') k = j;
      else { i = k; continue; }
    }
    std::string val;
    if (k < value.size() && value[k] == '=') {
      ++k;
      while (k < value.size() && value[k] == ' ') ++k;
      if (k < value.size() && value[k] == '"') {
        ++k;
        while (k < value.size() && value[k] != '"') {
          if (value[k] == '\\' && k + 1 < value.size()) ++k;
          val += value[k++];
        }
        if (k < value.size()) ++k;
      } else {
        while (k < value.size() && value[k] != ',' && value[k] != ';' && value[k] != ' ') val += value[k++];
      }
    }
    if (key.size() == name.size()) {
      bool same = true;
      for (std::size_t n = 0; n < key.size(); ++n)
        same &= std::tolower(static_cast<unsigned char>(key[n])) == std::tolower(static_cast<unsigned char>(name[n]));
      if (same) return val;
    }
    i = k > i ? k : i + 1;
  }
  return {};
}

std::string reason_detail(std::string_view value) {
  std::string s = cat("Reason: ", value);
  const int cause = reason_cause(value);
  if (cause >= 0) {
    s += " (Q.850 cause ";
    s += std::to_string(cause);
    std::string_view text = q850_cause(cause);
    if (!text.empty()) {
      s += ": ";
      s += text;
    }
    s += ')';
  }
  return s;
}

std::string codec_list(const sdp_media& m, bool with_events) {
  std::string s;
  for (const correlate::sdp_codec& c : m.codecs) {
    if (!with_events && (c.name == "telephone-event" || c.name == "CN")) continue;
    if (!s.empty()) s += ", ";
    s += c.name.empty() ? std::to_string(c.payload_type) : c.name;
  }
  return s.empty() ? "none" : s;
}

std::string sdp_line(const sdp_media& m) {
  std::string s = cat("m=", m.media, " ", std::to_string(m.address.port), " ", m.proto);
  for (const correlate::sdp_codec& c : m.codecs) {
    s += ' ';
    s += std::to_string(c.payload_type);
  }
  if (!m.codecs.empty()) {
    s += " (";
    s += codec_list(m, true);
    s += ')';
  }
  s += ", c=";
  s += m.connection.empty() ? "?" : m.connection;
  if (!m.direction.empty() && m.direction != "sendrecv") {
    s += ", a=";
    s += m.direction;
  }
  if (m.ptime) {
    s += ", a=ptime:";
    s += std::to_string(m.ptime);
  }
  if (m.crypto) s += ", SRTP";
  return s;
}

bool private_address(const capture::ip_address& ip) {
  const auto& b = ip.bytes;
  if (ip.family == 4)
    return b[0] == 10 || (b[0] == 172 && (b[1] & 0xF0) == 16) || (b[0] == 192 && b[1] == 168) ||
           (b[0] == 100 && (b[1] & 0xC0) == 64);   // RFC 1918, RFC 6598 (carrier-grade NAT)
  if (ip.family == 6) return (b[0] & 0xFE) == 0xFC;  // RFC 4193 unique local
  return false;
}

std::string ip_text(const capture::ip_address& ip) { return ip.to_string(); }

}  // namespace sipscope::explain::detail
