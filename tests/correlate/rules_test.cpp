// Correlation rules that the call-flow captures do not reach, one case each, on messages
// written here: RFC 2543 transaction matching (no magic cookie), RFC 2543 hold (c=0.0.0.0),
// B2BUA correlation headers, de-registration, a From whose grammar fails, the message cap,
// a lone response, a call that never got an answer (Timer B).
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "sipscope/correlate/correlator.hpp"

namespace sipscope::correlate {
namespace {

capture::endpoint ep(int host, std::uint16_t port) {
  capture::endpoint e;
  e.ip.family = 4;
  e.ip.bytes = {192, 0, 2, static_cast<std::uint8_t>(host)};
  e.port = port;
  return e;
}

// Feeds messages as UDP datagrams between two hosts; "A>" lines go 1 -> 2, "B>" 2 -> 1. Each
// message is one string; `\n` is turned into CRLF and Content-Length is filled in.
struct feeder {
  explicit feeder(correlator& cc) : c(cc) {}
  correlator& c;
  capture::timestamp_ns t = 1'735'732'800'000'000'000;
  std::uint64_t frame = 0;
  std::vector<std::string> keep;   // sip_event views must outlive the call only; kept anyway

  void send(bool from_a, std::string text, capture::timestamp_ns step = 10'000'000) {
    std::string crlf;
    for (char ch : text) {
      if (ch == '\n') crlf += "\r\n";
      else crlf += ch;
    }
    auto split = crlf.find("\r\n\r\n");
    const std::size_t body = split == std::string::npos ? 0 : crlf.size() - split - 4;
    crlf.insert(split + 2, "Content-Length: " + std::to_string(body) + "\r\n");
    keep.push_back(std::move(crlf));
    capture::sip_event e;
    e.bytes = keep.back();
    e.frame = {0, ++frame * 100, frame};
    t += step;
    e.time = t;
    e.src = from_a ? ep(1, 5060) : ep(2, 5060);
    e.dst = from_a ? ep(2, 5060) : ep(1, 5060);
    c.on_sip(e);
  }
};

std::string invite(const std::string& branch, const std::string& sdp = "", const std::string& extra = "") {
  std::string m =
      "INVITE sip:bob@192.0.2.2 SIP/2.0\n"
      "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=" + branch + "\n"
      "Max-Forwards: 70\n"
      "From: \"Alice\" <sip:alice@192.0.2.1>;tag=a1\n"
      "To: <sip:bob@192.0.2.2>\n"
      "Call-ID: c1@192.0.2.1\n"
      "CSeq: 1 INVITE\n"
      "Contact: <sip:alice@192.0.2.1>\n" + extra;
  if (!sdp.empty()) m += "Content-Type: application/sdp\n";
  m += "\n" + sdp;
  return m;
}

std::string response(int code, const std::string& reason, const std::string& branch, const std::string& to_tag,
                     const std::string& method = "INVITE", std::uint32_t cseq = 1) {
  return "SIP/2.0 " + std::to_string(code) + " " + reason + "\n"
         "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=" + branch + "\n"
         "From: \"Alice\" <sip:alice@192.0.2.1>;tag=a1\n"
         "To: <sip:bob@192.0.2.2>" + (to_tag.empty() ? "" : ";tag=" + to_tag) + "\n"
         "Call-ID: c1@192.0.2.1\n"
         "CSeq: " + std::to_string(cseq) + " " + method + "\n\n";
}

const record& only_record(const correlator& c) {
  EXPECT_EQ(c.records().size(), 1u);
  return c.records().front();
}

TEST(Rules, Rfc2543TransactionWithoutMagicCookie) {
  // RFC 3261 17.2.3: a branch without z9hG4bK (or none) is matched by Call-ID, CSeq, From tag
  // and top Via; the INVITE sent twice is one transaction retransmitted, and the ACK of the
  // 486 (same CSeq number) belongs to it rather than being an ACK of an answer.
  correlator c;
  feeder f(c);
  f.send(true, invite("1234"));
  f.send(true, invite("1234"), 500'000'000);
  f.send(false, response(486, "Busy Here", "1234", "b1"));
  f.send(true, "ACK sip:bob@192.0.2.2 SIP/2.0\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=1234\nMax-Forwards: 70\n"
               "From: \"Alice\" <sip:alice@192.0.2.1>;tag=a1\nTo: <sip:bob@192.0.2.2>;tag=b1\n"
               "Call-ID: c1@192.0.2.1\nCSeq: 1 ACK\n\n");
  c.finish();
  const record& r = only_record(c);
  EXPECT_EQ(r.state, call_state::busy);
  EXPECT_EQ(r.retransmissions, 1u);
  EXPECT_TRUE(r.messages[1].retransmission);
  EXPECT_FALSE(r.times.ack.has_value());   // a non-2xx ACK is not the call's ACK
  EXPECT_EQ(r.dialogs.size(), 0u);
}

TEST(Rules, Rfc2543HoldAndResume) {
  // RFC 3264 8.4 keeps RFC 2543's c=0.0.0.0 as a way to put a stream on hold.
  const std::string offer = "v=0\no=a 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\nm=audio 4000 RTP/AVP 0\n";
  const std::string answer = "v=0\no=b 1 1 IN IP4 192.0.2.2\ns=-\nc=IN IP4 192.0.2.2\nt=0 0\nm=audio 5000 RTP/AVP 0\n";
  const std::string held = "v=0\no=a 1 2 IN IP4 192.0.2.1\ns=-\nc=IN IP4 0.0.0.0\nt=0 0\nm=audio 4000 RTP/AVP 0\n";
  correlator c;
  feeder f(c);
  f.send(true, invite("z9hG4bK1", offer));
  std::string ok = response(200, "OK", "z9hG4bK1", "b1");
  ok.insert(ok.size() - 1, "Content-Type: application/sdp\n");
  f.send(false, ok + answer);
  auto reinvite = [&](const std::string& branch, int cseq, const std::string& sdp) {
    return "INVITE sip:bob@192.0.2.2 SIP/2.0\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=" + branch +
           "\nMax-Forwards: 70\nFrom: \"Alice\" <sip:alice@192.0.2.1>;tag=a1\nTo: <sip:bob@192.0.2.2>;tag=b1\n"
           "Call-ID: c1@192.0.2.1\nCSeq: " + std::to_string(cseq) +
           " INVITE\nContact: <sip:alice@192.0.2.1>\nContent-Type: application/sdp\n\n" + sdp;
  };
  f.send(true, reinvite("z9hG4bK2", 2, held), 5'000'000'000);
  f.send(true, reinvite("z9hG4bK3", 3, offer), 5'000'000'000);
  c.finish();
  const record& r = only_record(c);
  EXPECT_EQ(r.state, call_state::in_call);
  EXPECT_EQ(r.holds, 1u);
  ASSERT_EQ(r.changes.size(), 2u);
  EXPECT_EQ(r.changes[0].what, "hold");
  EXPECT_EQ(r.changes[0].by, side::caller);
  EXPECT_EQ(r.changes[1].what, "resume");
  ASSERT_EQ(r.sdp.size(), 4u);
  EXPECT_TRUE(r.sdp[2].hold);
  EXPECT_EQ(r.sdp[1].from, side::callee);
  EXPECT_FALSE(r.sdp[1].offer);
}

TEST(Rules, B2buaLegsByCorrelationHeader) {
  correlator c;
  feeder f(c);
  f.send(true, invite("z9hG4bKa"));
  std::string leg_b = invite("z9hG4bKb", "", "X-CID: c1@192.0.2.1\n");
  leg_b.replace(leg_b.find("Call-ID: c1@192.0.2.1"), 21, "Call-ID: c2@192.0.2.1");
  f.send(true, leg_b);
  c.finish();
  ASSERT_EQ(c.records().size(), 2u);
  EXPECT_EQ(c.records()[0].legs, std::vector<std::string>{"c2@192.0.2.1"});
  EXPECT_EQ(c.records()[1].legs, std::vector<std::string>{"c1@192.0.2.1"});
}

TEST(Rules, B2buaLegsByCallIdPattern) {
  // A B2BUA that names the B leg "<A leg's Call-ID>-b2b-<n>" and adds no header.
  correlator_options o;
  o.leg_call_id_pattern = "^(.*)-b2b-\\d+$";
  correlator c(o);
  feeder f(c);
  auto with_id = [](const std::string& id, const std::string& branch) {
    std::string m = invite(branch);
    m.replace(m.find("Call-ID: c1@192.0.2.1"), 21, "Call-ID: " + id);
    return m;
  };
  f.send(true, with_id("x7@192.0.2.1-b2b-1", "z9hG4bKb"));   // the B leg seen first
  f.send(true, with_id("x7@192.0.2.1", "z9hG4bKa"));
  f.send(true, with_id("other@192.0.2.1", "z9hG4bKc"));
  c.finish();
  ASSERT_EQ(c.records().size(), 3u);
  EXPECT_EQ(c.records()[0].legs, std::vector<std::string>{"x7@192.0.2.1"});
  EXPECT_EQ(c.records()[1].legs, std::vector<std::string>{"x7@192.0.2.1-b2b-1"});
  EXPECT_TRUE(c.records()[2].legs.empty());
  correlator_options bad;
  bad.leg_call_id_pattern = "(";
  EXPECT_THROW(correlator{bad}, std::invalid_argument);
}

TEST(Rules, DeRegistration) {
  correlator c;
  feeder f(c);
  const std::string reg =
      "REGISTER sip:192.0.2.2 SIP/2.0\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKr1\nMax-Forwards: 70\n"
      "From: <sip:alice@example.com>;tag=r1\nTo: <sip:alice@example.com>\nCall-ID: reg1\nCSeq: 7 REGISTER\n"
      "Contact: <sip:alice@192.0.2.1>;expires=0\n\n";
  f.send(true, reg);
  f.send(false, "SIP/2.0 200 OK\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKr1\n"
                "From: <sip:alice@example.com>;tag=r1\nTo: <sip:alice@example.com>;tag=s1\nCall-ID: reg1\n"
                "CSeq: 7 REGISTER\n\n");
  c.finish();
  const record& r = only_record(c);
  EXPECT_EQ(r.kind, record_kind::registration);
  EXPECT_EQ(r.outcome, record_state::unregistered);
  EXPECT_EQ(r.expires, 0u);
  EXPECT_EQ(r.aor, "sip:alice@example.com");
}

TEST(Rules, BrokenFromStillMakesTheCall) {
  // A display name with backslash-escaped quotes outside a quoted-string (seen from a real
  // softphone) fails the name-addr grammar; the call is kept, its tag scanned from the text.
  correlator c;
  feeder f(c);
  std::string m = invite("z9hG4bKx");
  m.replace(m.find("From: \"Alice\""), 13, "From: \\\"Alice\\\"");
  f.send(true, m);
  f.send(false, response(180, "Ringing", "z9hG4bKx", "b1"));
  c.finish();
  const record& r = only_record(c);
  EXPECT_EQ(r.state, call_state::ringing);
  EXPECT_EQ(r.caller.tag, "a1");
  EXPECT_EQ(r.caller.uri, "sip:alice@192.0.2.1");
  ASSERT_FALSE(r.findings.empty());
  EXPECT_EQ(r.findings[0].kind, "malformed_from_to");
  EXPECT_EQ(r.dialogs.size(), 1u);
  EXPECT_GT(r.messages[0].errors, 0u);
}

TEST(Rules, MessageIndexIsCapped) {
  correlator_options o;
  o.max_messages_per_record = 3;
  correlator c(o);
  feeder f(c);
  for (int i = 0; i < 10; ++i) f.send(true, invite("z9hG4bKsame"));
  c.finish();
  const record& r = only_record(c);
  EXPECT_EQ(r.sip_messages, 10u);
  EXPECT_EQ(r.messages.size(), 3u);
  EXPECT_EQ(r.dropped_messages, 7u);
  EXPECT_EQ(r.retransmissions, 9u);
}

TEST(Rules, LoneResponseAndTimerB) {
  correlator c;
  feeder f(c);
  f.send(false, response(200, "OK", "z9hG4bKlost", "b1"));
  c.finish();
  const record& r = only_record(c);
  EXPECT_EQ(r.kind, record_kind::call);
  EXPECT_EQ(r.state, call_state::in_call);
  ASSERT_FALSE(r.findings.empty());
  EXPECT_EQ(r.findings[0].kind, "request_not_captured");

  // An INVITE nobody answers, in a capture that goes on for more than 32 s: failed.
  correlator c2;
  feeder g(c2);
  g.send(true, invite("z9hG4bKalone"));
  std::string other = invite("z9hG4bKlater");
  other.replace(other.find("Call-ID: c1@192.0.2.1"), 21, "Call-ID: c9@192.0.2.1");
  g.send(true, other, 40'000'000'000);
  c2.finish();
  ASSERT_EQ(c2.records().size(), 2u);
  EXPECT_EQ(c2.records()[0].state, call_state::failed);
  EXPECT_EQ(c2.records()[1].state, call_state::calling);   // the capture ended 0 s after it
}

// A scanner sending INVITEs with a new Call-ID each, 10 per second, never answered.
struct flood_result {
  std::size_t peak = 0, handed = 0, failed = 0;
  std::uint64_t evicted = 0;
};
flood_result flood(std::uint32_t max_records) {
  correlator_options o;
  o.max_records = max_records;
  correlator c(o);
  flood_result res;
  c.set_sink([&](record&& r) {
    ++res.handed;
    res.failed += r.state == call_state::failed;
  });
  feeder f(c);
  for (int i = 0; i < 2000; ++i) {
    std::string m = invite("z9hG4bKscan" + std::to_string(i));
    m.replace(m.find("Call-ID: c1@192.0.2.1"), 21, "Call-ID: scan" + std::to_string(i));
    f.send(true, m, 100'000'000);
    res.peak = std::max(res.peak, c.in_progress());
  }
  res.evicted = c.stats().evicted_records;
  c.finish();
  return res;
}

TEST(Rules, UnansweredInvitesEndAtTimerB) {
  // Each one is over 32 s (Timer B) after its INVITE and handed over after the linger (32 s):
  // about 64 s x 10/s in progress at a time, whatever the length of the flood.
  flood_result r = flood(100000);
  EXPECT_LE(r.peak, 700u);
  EXPECT_EQ(r.evicted, 0u);
  EXPECT_EQ(r.handed, 2000u);
  EXPECT_GE(r.failed, 1670u);   // all but the last 32 s of INVITEs: within Timer B at the end
}

TEST(Rules, MaxRecordsBoundsMemory) {
  flood_result r = flood(50);
  EXPECT_LE(r.peak, 50u);
  EXPECT_GT(r.evicted, 1900u);
  EXPECT_EQ(r.handed, 2000u);
}

}  // namespace
}  // namespace sipscope::correlate
