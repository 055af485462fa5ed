#include "sipscope/correlate/json.hpp"

#include <ctime>

namespace sipscope::correlate {

std::string iso8601(timestamp_ns t) {
  std::int64_t us = t / 1000;
  std::int64_t sec = us / 1'000'000;
  std::int64_t frac = us % 1'000'000;
  if (frac < 0) { frac += 1'000'000; --sec; }
  std::time_t tt = static_cast<std::time_t>(sec);
  std::tm tm{};
  if (!gmtime_r(&tt, &tm)) return "";
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(frac));
  return buf;
}

namespace {

void write_party(json_writer& w, std::string_view key, const party& p) {
  w.key(key).begin_object();
  w.member("uri", p.uri).member("user", p.user).member("display", p.display).member("tag", p.tag);
  w.end_object();
}

void write_times(json_writer& w, const call_times& t, bool iso) {
  auto one = [&](std::string_view k, const std::optional<timestamp_ns>& v) {
    if (!v) return;
    w.key(k);
    if (iso) w.value(iso8601(*v));
    else w.value_fixed(epoch_seconds(*v), 6);
  };
  w.begin_object();
  one("invite", t.invite);
  one("first_18x", t.first_18x);
  one("answer", t.answer);
  one("ack", t.ack);
  one("bye", t.bye);
  one("cancel", t.cancel);
  one("final", t.final);
  one("end", t.end);
  w.end_object();
}

void write_stream(json_writer& w, const stream_info& s) {
  w.begin_object();
  write_stream_members(w, s);
  w.end_object();
}

}  // namespace

void write_stream_members(json_writer& w, const stream_info& s) {
  w.member("src", s.src.to_string()).member("dst", s.dst.to_string());
  char ssrc[16];
  std::snprintf(ssrc, sizeof ssrc, "0x%08x", s.ssrc);
  w.member("ssrc", std::string_view(ssrc));
  w.member("payload_type", s.payload_type).member("codec", s.codec).member("clock_rate", s.clock_rate);
  w.member("from", to_string(s.from)).member("negotiated", s.negotiated).member("origin", s.origin);
  w.member("packets", s.packets).member("expected", s.expected).member("lost", s.lost);
  w.member("lost_unique", s.lost_unique);
  w.key("lost_percent").value_fixed(s.lost_percent(), 3);
  w.member("duplicates", s.duplicates).member("out_of_order", s.out_of_order)
      .member("sequence_errors", s.sequence_errors);
  w.key("max_delta_ms").value_fixed(s.max_delta_ms, 3);
  w.key("mean_delta_ms").value_fixed(s.mean_delta_ms, 3);
  w.key("max_jitter_ms").value_fixed(s.max_jitter_ms, 3);
  w.key("mean_jitter_ms").value_fixed(s.mean_jitter_ms, 3);
  w.key("mos");
  if (s.mos > 0) w.value_fixed(s.mos, 2);
  else w.null();
  w.key("start").value_fixed(epoch_seconds(s.start), 6);
  w.key("end").value_fixed(epoch_seconds(s.end), 6);
  w.member("start_iso", iso8601(s.start)).member("end_iso", iso8601(s.end));
  w.key("r_factor");   // with the MOS: R is 0 for the worst streams (G.107 bounds it)
  if (s.mos > 0) w.value_fixed(s.r_factor, 1);
  else w.null();
  w.member("rtcp_reports", s.rtcp_reports);
  auto opt = [&](std::string_view k, double v, int dec) {
    w.key(k);
    if (v < 0) w.null();
    else w.value_fixed(v, dec);
  };
  opt("rtcp_fraction_lost", s.rtcp_fraction_lost, 4);
  opt("rtcp_jitter_ms", s.rtcp_jitter_ms, 3);
  opt("rtt_ms", s.rtt_ms, 3);
  w.member("first_frame", s.first_frame.number);
  w.key("dtmf").begin_array();
  for (const dtmf_event& d : s.dtmf) {
    w.begin_object();
    w.member("digit", std::string_view(&d.digit, 1));
    w.key("time").value_fixed(epoch_seconds(d.time), 6);
    w.member("duration_ms", d.duration_ms);
    w.end_object();
  }
  w.end_array();
}


void write_json(json_writer& w, const record& r, const json_options& o) {
  w.begin_object();
  w.member("index", r.index).member("kind", to_string(r.kind)).member("call_id", r.call_id);
  w.member("first_method", r.first_method);
  write_party(w, "caller", r.caller);
  write_party(w, "callee", r.callee);
  if (!r.asserted.empty()) w.member("asserted_identity", r.asserted);
  w.member("request_uri", r.request_uri);
  if (r.kind == record_kind::call) {
    w.member("state", to_string(r.state));
    w.member("answered", r.times.answer.has_value());
  } else {
    w.member("state", to_string(r.outcome));
  }
  w.member("final_status", r.final_status).member("final_reason", r.final_reason);
  if (!r.reason_header.empty()) w.member("reason_header", r.reason_header);
  if (r.kind == record_kind::call) {
    w.key("hangup");
    if (r.hangup == side::none) w.null();
    else w.value(to_string(r.hangup));
  }
  w.key("times");
  write_times(w, r.times, false);
  w.key("times_iso");
  write_times(w, r.times, true);
  w.key("first").value_fixed(epoch_seconds(r.first_time), 6);
  w.key("last").value_fixed(epoch_seconds(r.last_time), 6);
  if (r.kind == record_kind::call) {
    w.member("post_dial_delay_ms", r.post_dial_delay_ms());
    w.member("setup_ms", r.setup_ms());
    w.member("talk_ms", r.talk_ms());
    w.member("holds", r.holds);
    w.member("prack", r.prack);
  }
  w.member("auth_challenges", r.auth_challenges).member("challenged", r.challenged);
  if (r.kind == record_kind::registration) {
    w.member("aor", r.aor).member("contact", r.contact).member("expires", r.expires);
  }
  if (r.kind == record_kind::subscription) {
    w.member("event", r.event).member("subscription_state", r.subscription_state);
  }
  w.member("sip_messages", r.sip_messages).member("retransmissions", r.retransmissions);
  if (r.dropped_messages) w.member("dropped_messages", r.dropped_messages);
  if (r.text_matches) w.member("text_matches", r.text_matches);
  w.key("user_agents").begin_array();
  for (const std::string& ua : r.user_agents) w.value(ua);
  w.end_array();
  w.key("legs").begin_array();
  for (const std::string& l : r.legs) w.value(l);
  w.end_array();
  w.key("dialogs").begin_array();
  for (const dialog& d : r.dialogs) {
    w.begin_object();
    w.member("local_tag", d.local_tag).member("remote_tag", d.remote_tag).member("method", d.method);
    w.member("state", to_string(d.state)).member("first_status", d.first_status);
    w.key("created").value_fixed(epoch_seconds(d.created), 6);
    w.end_object();
  }
  w.end_array();
  if (!r.changes.empty()) {
    w.key("session_changes").begin_array();
    for (const session_change& c : r.changes) {
      w.begin_object();
      w.key("time").value_fixed(epoch_seconds(c.time), 6);
      w.member("method", c.method).member("by", to_string(c.by)).member("what", c.what);
      w.end_object();
    }
    w.end_array();
  }
  if (o.sdp) {
    w.key("sdp").begin_array();
    for (const sdp_media& m : r.sdp) {
      w.begin_object();
      w.member("message", m.message).member("from", to_string(m.from)).member("offer", m.offer);
      w.member("media", m.media).member("address", m.address.to_string()).member("proto", m.proto);
      w.member("direction", m.direction).member("hold", m.hold).member("crypto", m.crypto);
      w.member("ptime", m.ptime).member("telephone_event", m.telephone_event);
      w.key("codecs").begin_array();
      for (const sdp_codec& c : m.codecs) {
        w.begin_object();
        w.member("payload_type", c.payload_type).member("name", c.name).member("clock_rate", c.clock_rate);
        w.end_object();
      }
      w.end_array();
      w.end_object();
    }
    w.end_array();
  }
  w.key("streams").begin_array();
  for (const stream_info& s : r.streams) write_stream(w, s);
  w.end_array();
  w.key("findings").begin_array();
  for (const finding& f : r.findings) {
    w.begin_object();
    w.member("kind", f.kind).member("text", f.text);
    w.end_object();
  }
  w.end_array();
  if (o.messages) {
    w.key("messages").begin_array();
    for (const message_entry& m : r.messages) {
      w.begin_object();
      w.member("frame", m.frame.number).member("file", m.frame.file).member("offset", m.frame.offset);
      if (!m.pieces.empty()) {
        w.key("pieces").begin_array();
        for (const frame_ref& f : m.pieces) w.value(f.number);
        w.end_array();
      }
      w.key("time").value_fixed(epoch_seconds(m.time), 6);
      w.member("src", m.src.to_string()).member("dst", m.dst.to_string());
      w.member("transport", capture::to_string(m.proto));
      w.member("request", m.request).member("method", m.method).member("status", m.status).member("cseq", m.cseq);
      w.member("summary", m.summary);
      if (!m.request) w.member("reason", m.reason);
      w.member("retransmission", m.retransmission).member("sdp", m.has_sdp);
      if (!m.sdp.empty()) w.member("sdp_summary", m.sdp);
      if (!m.user_agent.empty()) w.member("user_agent", m.user_agent);
      w.member("dialog", m.dialog).member("errors", m.errors).member("warnings", m.warnings);
      w.end_object();
    }
    w.end_array();
  }
  if (o.extra) o.extra(w, r);
  w.end_object();
}

}  // namespace sipscope::correlate
