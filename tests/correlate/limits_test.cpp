// Resource limits of the correlator (issue 9, docs/LIMITS.md): each bounds what it says, and
// each hit is reported through correlator_options::on_limit with the frame concerned.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sipscope/correlate/correlator.hpp"

namespace sipscope::correlate {
namespace {

capture::endpoint ep(std::uint8_t last) {
  capture::endpoint e;
  e.ip.family = 4;
  e.ip.bytes[0] = 192;
  e.ip.bytes[1] = 0;
  e.ip.bytes[2] = 2;
  e.ip.bytes[3] = last;
  e.port = 5060;
  return e;
}

std::string request(const std::string& method, const std::string& call_id, int cseq, const std::string& extra = "") {
  std::string m = method;
  m += " sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK";
  m += call_id;
  m += std::to_string(cseq);
  m += "\r\nFrom: <sip:alice@example.com>;tag=a\r\nTo: <sip:bob@example.com>\r\nCall-ID: ";
  m += call_id;
  m += "\r\nCSeq: ";
  m += std::to_string(cseq);
  m += ' ';
  m += method;
  m += "\r\nMax-Forwards: 70\r\n";
  m += extra;
  m += "Content-Length: 0\r\n\r\n";
  return m;
}

struct harness {
  std::vector<capture::diag_event> hits;
  std::vector<record> out;
  std::uint64_t frame = 0;
  correlator c;
  explicit harness(correlator_options o)
      : c((o.on_limit = [this](const capture::diag_event& e) { hits.push_back(e); }, o)) {
    c.set_sink([this](record&& r) { out.push_back(std::move(r)); });
  }
  void sip(const std::string& bytes) {
    capture::sip_event e;
    e.bytes = bytes;
    ++frame;
    e.frame = {0, frame * 100, frame};
    e.time = 1'735'732'800'000'000'000 + static_cast<capture::timestamp_ns>(frame) * 1'000'000;
    e.src = ep(1);
    e.dst = ep(2);
    c.on_sip(e);
  }
  std::size_t count(capture::diag_kind k) const {
    std::size_t n = 0;
    for (const auto& h : hits) n += h.kind == k;
    return n;
  }
};

TEST(Limits, RecordsInProgressHandOverTheLeastRecentlyActive) {
  correlator_options o;
  o.max_records = 2;
  harness h(o);
  h.sip(request("INVITE", "a", 1));
  h.sip(request("INVITE", "b", 1));
  h.sip(request("INVITE", "a", 2));   // a is now more recent than b
  h.sip(request("INVITE", "c", 1));   // frame 4: b goes
  EXPECT_EQ(h.c.in_progress(), 2u);
  ASSERT_EQ(h.out.size(), 1u);
  EXPECT_EQ(h.out[0].call_id, "b");
  ASSERT_EQ(h.count(capture::diag_kind::record_limit), 1u);
  EXPECT_EQ(h.hits[0].frame.number, 4u);
  h.sip(request("INVITE", "d", 1));   // then a (c is more recent)
  ASSERT_EQ(h.out.size(), 2u);
  EXPECT_EQ(h.out[1].call_id, "a");
  EXPECT_EQ(h.c.stats().evicted_records, 2u);
  h.c.finish();
  EXPECT_EQ(h.out.size(), 4u);
}

TEST(Limits, MessagesAndTransactionsPerRecord) {
  correlator_options o;
  o.max_messages_per_record = 3;
  o.max_transactions_per_record = 2;
  harness h(o);
  for (int i = 1; i <= 5; ++i) h.sip(request("OPTIONS", "x", i));
  h.c.finish();
  ASSERT_EQ(h.out.size(), 1u);
  EXPECT_EQ(h.out[0].messages.size(), 3u);
  EXPECT_EQ(h.out[0].dropped_messages, 2u);
  EXPECT_EQ(h.count(capture::diag_kind::message_limit), 2u);
  EXPECT_EQ(h.count(capture::diag_kind::transaction_limit), 3u);   // 5 transactions, 2 kept
}

TEST(Limits, ParserLimitsAreTheCorrelatorsOptions) {
  correlator_options o;
  o.sip.max_headers = 8;
  o.sip.max_message_size = 600;
  harness h(o);
  std::string vias;
  for (int i = 0; i < 10; ++i) vias += "Via: SIP/2.0/UDP 10.0.0." + std::to_string(i) + "\r\n";
  h.sip(request("OPTIONS", "many", 1, vias));                  // 16 header fields
  h.sip(request("OPTIONS", "big", 1, "X-Pad: " + std::string(700, 'p') + "\r\n"));
  h.sip(request("OPTIONS", "fine", 1));
  EXPECT_EQ(h.count(capture::diag_kind::sip_header_limit), 1u);
  EXPECT_EQ(h.count(capture::diag_kind::sip_size_limit), 1u);
  EXPECT_EQ(h.c.stats().sip_malformed, 2u);
  ASSERT_GE(h.hits.size(), 2u);
  EXPECT_EQ(h.hits[0].frame.number, 1u);
  EXPECT_EQ(h.hits[1].frame.number, 2u);
}

}  // namespace
}  // namespace sipscope::correlate
