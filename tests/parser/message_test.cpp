// Unit tests of parse_message beyond the RFC corpus: stream framing, every truncation point,
// no over-read (guard page), buffer reuse without reallocation, limits, and typed accessors.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "sipscope/parser/message.hpp"

namespace sp = sipscope::parser;

namespace {

const std::string kInvite =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"
    "Max-Forwards: 70\r\n"
    "To: Bob <sip:bob@biloxi.example.com>\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 4\r\n"
    "\r\n"
    "v=0\n";

const std::string kBye =
    "BYE sip:alice@pc33.atlanta.example.com SIP/2.0\r\n"
    "v: SIP/2.0/TCP 192.0.2.4;branch=z9hG4bKnashds10\r\n"
    "Max-Forwards: 70\r\n"
    "f: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n"
    "t: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "i: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    "CSeq: 231 BYE\r\n"
    "l: 0\r\n"
    "\r\n";

std::string read_file(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// picohttpparser's trick: the input ends exactly at a page followed by a PROT_NONE page, so
// reading one byte past the end faults instead of passing silently.
class guarded_buffer {
 public:
  explicit guarded_buffer(std::size_t max) {
    page_ = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    pages_ = (max + page_ - 1) / page_ + 1;
    base_ = static_cast<char*>(mmap(nullptr, (pages_ + 1) * page_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (base_ == MAP_FAILED) throw std::runtime_error("mmap");
    mprotect(base_ + pages_ * page_, page_, PROT_NONE);
  }
  ~guarded_buffer() { munmap(base_, (pages_ + 1) * page_); }
  std::string_view place(std::string_view s) {
    char* end = base_ + pages_ * page_;
    std::memcpy(end - s.size(), s.data(), s.size());
    return {end - s.size(), s.size()};
  }

 private:
  char* base_ = nullptr;
  std::size_t page_ = 0, pages_ = 0;
};

}  // namespace

TEST(Message, ParsesTypedFields) {
  sp::message m;
  auto r = sp::parse_message(kInvite, m);
  ASSERT_EQ(r.state, sp::status::ok);
  EXPECT_EQ(r.consumed, kInvite.size());
  EXPECT_TRUE(m.is_request);
  EXPECT_EQ(m.request.method_kind, sp::method::invite);
  EXPECT_EQ(m.request.request_uri.user, "bob");
  EXPECT_EQ(m.call_id(), "a84b4c76e66710@pc33.atlanta.example.com");
  ASSERT_NE(m.cseq(), nullptr);
  EXPECT_EQ(m.cseq()->number, 314159u);
  EXPECT_EQ(m.cseq()->method, "INVITE");
  ASSERT_NE(m.from(), nullptr);
  EXPECT_EQ(m.from()->display_name, "Alice");
  EXPECT_EQ(m.from()->params.find("tag")->value, "1928301774");
  ASSERT_NE(m.top_via(), nullptr);
  EXPECT_EQ(m.top_via()->transport, "UDP");
  EXPECT_EQ(m.top_via()->branch, "z9hG4bK776asdhds");
  EXPECT_EQ(m.content_length(), 4);
  EXPECT_EQ(m.body, "v=0\n");
  EXPECT_EQ(m.body_offset, kInvite.size() - 4);
  EXPECT_TRUE(m.diagnostics.empty());
}

TEST(Message, CompactFormsMapToTheirHeaders) {
  sp::message m;
  ASSERT_EQ(sp::parse_message(kBye, m).state, sp::status::ok);
  EXPECT_EQ(m.call_id(), "a84b4c76e66710@pc33.atlanta.example.com");
  EXPECT_EQ(m.top_via()->host, "192.0.2.4");
  EXPECT_EQ(m.top_via()->host_type, sp::host_kind::ipv4);
  EXPECT_EQ(m.to()->params.find("tag")->value, "1928301774");
  const sp::header* v = m.find(sp::header_kind::via);
  ASSERT_NE(v, nullptr);
  EXPECT_TRUE(v->compact);
  EXPECT_EQ(v->name, "v");
  // every compact letter of the table resolves to its header, both cases
  for (int k = 1; k < static_cast<int>(sp::header_kind::count_); ++k) {
    auto kind = static_cast<sp::header_kind>(k);
    char c = sp::header_compact(kind);
    if (!c) continue;
    bool compact = false;
    EXPECT_EQ(sp::lookup_header(std::string(1, c), &compact), kind) << c;
    EXPECT_TRUE(compact);
    EXPECT_EQ(sp::lookup_header(std::string(1, static_cast<char>(c - 32))), kind) << c;
    EXPECT_EQ(sp::lookup_header(sp::header_name(kind)), kind) << sp::header_name(kind);
  }
  EXPECT_EQ(sp::lookup_header("cALL-iD"), sp::header_kind::call_id);
  EXPECT_EQ(sp::lookup_header("Call-IE"), sp::header_kind::other);
  EXPECT_EQ(sp::lookup_header("C%6Fntact"), sp::header_kind::other);
}

// lookup_header hashes a name's length and three of its letters into a table: every name of
// the table must come back in any case, and a name differing in one letter anywhere (or in
// length) must not take its place.
TEST(Message, EveryHeaderNameResolvesAndNearMissesDoNot) {
  for (int k = 1; k < static_cast<int>(sp::header_kind::count_); ++k) {
    auto kind = static_cast<sp::header_kind>(k);
    std::string name(sp::header_name(kind));
    std::string upper = name, lower = name;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    bool compact = true;
    EXPECT_EQ(sp::lookup_header(name, &compact), kind) << name;
    EXPECT_FALSE(compact) << name;
    EXPECT_EQ(sp::lookup_header(upper), kind) << upper;
    EXPECT_EQ(sp::lookup_header(lower), kind) << lower;
    for (std::size_t i = 0; i < name.size(); ++i) {
      std::string miss = name;
      miss[i] = miss[i] == 'x' || miss[i] == 'X' ? 'q' : 'x';
      EXPECT_NE(sp::lookup_header(miss), kind) << miss;
    }
    EXPECT_EQ(sp::lookup_header(name + "s"), sp::header_kind::other) << name;
    if (name.size() > 2) {
      EXPECT_EQ(sp::lookup_header(name.substr(1)), sp::header_kind::other) << name;
    }
  }
  EXPECT_EQ(sp::lookup_header("Refer-To"), sp::header_kind::refer_to);
  EXPECT_EQ(sp::lookup_header("Reply-To"), sp::header_kind::reply_to);
  EXPECT_EQ(sp::lookup_header("Reger-To"), sp::header_kind::other);
  EXPECT_EQ(sp::lookup_header(""), sp::header_kind::other);
  EXPECT_EQ(sp::lookup_header(std::string(40, 'a')), sp::header_kind::other);
}

// Character-class runs are tested a byte at a time and then 16 bytes at a time (with an
// overlapping last load): a run must end exactly at the first byte outside its class, wherever
// that byte falls, and a run reaching the end of the value must take all of it.
TEST(Message, RunsEndAtTheFirstByteOutsideTheirClassAtEveryLength) {
  sp::message m;
  const std::string head = "OPTIONS sip:a@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.2;branch=z9hG4bK";
  const std::string tail = "\r\nFrom: <sip:a@192.0.2.2>;tag=1\r\nTo: <sip:a@192.0.2.1>\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n";
  const std::string alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-.!%*_+`'~";
  for (std::size_t n = 1; n <= 70; ++n) {
    std::string run;
    for (std::size_t i = 0; i < n; ++i) run += alphabet[(i * 7 + n) % alphabet.size()];
    // the run is the whole Call-ID value, and the end of the branch
    std::string msg = head + run + tail + "Call-ID: " + run + "\r\n\r\n";
    ASSERT_EQ(sp::parse_message(msg, m).state, sp::status::ok) << n;
    EXPECT_EQ(m.call_id(), run) << n;
    EXPECT_EQ(m.top_via()->branch, "z9hG4bK" + run) << n;
    // a byte outside the class ('#' is in neither word nor token) at every position
    for (std::size_t k = 1; k < n; ++k) {
      std::string bad = run;
      bad[k] = '#';
      std::string msg2 = head + run + tail + "Call-ID: " + bad + "\r\n\r\n";
      sp::parse_message(msg2, m);
      const sp::header* h = m.find(sp::header_kind::call_id);
      ASSERT_NE(h, nullptr);
      EXPECT_FALSE(h->valid) << n << " " << k;
      ASSERT_FALSE(m.diagnostics.empty()) << n << " " << k;
      EXPECT_EQ(m.diagnostics.front().offset, h->value_offset + k) << n << " " << k;
      std::string msg3 = head + bad + tail + "Call-ID: " + run + "\r\n\r\n";
      sp::parse_message(msg3, m);
      ASSERT_FALSE(m.diagnostics.empty()) << n << " " << k;
      EXPECT_EQ(m.diagnostics.front().offset, head.size() + k) << n << " " << k;
    }
  }
}

TEST(Message, StreamFramingIsIncompleteUntilTheBodyIsThere) {
  sp::parse_options opt;
  opt.framing = sp::transport::stream;
  sp::message m;
  for (std::size_t n = 0; n < kInvite.size(); ++n) {
    auto r = sp::parse_message(std::string_view(kInvite).substr(0, n), m, opt);
    EXPECT_EQ(r.state, sp::status::incomplete) << "prefix of " << n << " bytes";
    EXPECT_EQ(r.consumed, 0u);
  }
  // two messages and keep-alives back to back, as on a TCP connection
  std::string stream = "\r\n\r\n" + kInvite + "\r\n" + kBye;
  auto r1 = sp::parse_message(stream, m, opt);
  ASSERT_EQ(r1.state, sp::status::ok);
  EXPECT_EQ(r1.consumed, 4 + kInvite.size());
  EXPECT_EQ(m.request.method_kind, sp::method::invite);
  auto r2 = sp::parse_message(std::string_view(stream).substr(r1.consumed), m, opt);
  ASSERT_EQ(r2.state, sp::status::ok);
  EXPECT_EQ(m.request.method_kind, sp::method::bye);
  EXPECT_EQ(r1.consumed + r2.consumed, stream.size());
}

TEST(Message, StreamWithoutContentLengthIsDiagnosed) {
  sp::parse_options opt;
  opt.framing = sp::transport::stream;
  std::string msg = kBye;
  msg.replace(msg.find("l: 0\r\n"), 6, "");
  sp::message m;
  auto r = sp::parse_message(msg, m, opt);
  EXPECT_EQ(r.state, sp::status::malformed);
  ASSERT_FALSE(m.diagnostics.empty());
  EXPECT_EQ(m.diagnostics[0].code, sp::diag_code::missing_content_length);
  EXPECT_EQ(m.diagnostics[0].offset, msg.size());
  // over a datagram the same message is fine: the body is the rest of the datagram
  EXPECT_EQ(sp::parse_message(msg, m).state, sp::status::ok);
}

TEST(Message, DatagramTruncatedAnywhereNeverReadsPastTheEnd) {
  guarded_buffer buf(64 * 1024);
  sp::message m;
  std::vector<std::string> inputs = {kInvite, kBye};
  for (const auto& e : std::filesystem::recursive_directory_iterator(SIPSCOPE_CORPUS_DIR "/sip"))
    if (e.path().extension() == ".sip") inputs.push_back(read_file(e.path()));
  ASSERT_GT(inputs.size(), 40u);
  for (const std::string& in : inputs) {
    for (std::size_t n = 0; n <= in.size(); ++n) {
      for (auto framing : {sp::transport::datagram, sp::transport::stream}) {
        sp::parse_options opt;
        opt.framing = framing;
        std::string_view placed = buf.place(std::string_view(in).substr(0, n));
        auto r = sp::parse_message(placed, m, opt);
        ASSERT_LE(r.consumed, n);
        for (const sp::diagnostic& d : m.diagnostics) ASSERT_LE(d.offset, n);
        if (framing == sp::transport::datagram && n < in.size()) {
          // a cut datagram is never silently whole: it is either malformed or still a
          // complete message followed by nothing (cut inside trailing bytes)
          if (r.state == sp::status::ok) {
            ASSERT_LE(m.size, n);
          }
        }
      }
    }
  }
}

TEST(Message, ReusedMessageDoesNotReallocate) {
  sp::message m;
  ASSERT_EQ(sp::parse_message(kInvite, m).state, sp::status::ok);
  const auto* headers = m.headers.data();
  const auto* items = m.items.data();
  const auto hcap = m.headers.capacity(), icap = m.items.capacity();
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(sp::parse_message(i % 2 ? kBye : kInvite, m).state, sp::status::ok);
  }
  EXPECT_EQ(m.headers.data(), headers);
  EXPECT_EQ(m.items.data(), items);
  EXPECT_EQ(m.headers.capacity(), hcap);
  EXPECT_EQ(m.items.capacity(), icap);
}

TEST(Message, LimitsAreDiagnosedNotFatal) {
  sp::parse_options opt;
  opt.limit.max_headers = 3;
  sp::message m;
  auto r = sp::parse_message(kInvite, m, opt);
  EXPECT_EQ(r.state, sp::status::malformed);
  EXPECT_EQ(m.headers.size(), 3u);  // the first ones are still there
  bool found = false;
  for (const auto& d : m.diagnostics) found |= d.code == sp::diag_code::too_many_headers;
  EXPECT_TRUE(found);

  opt = {};
  opt.limit.max_message_size = 100;
  r = sp::parse_message(kInvite, m, opt);
  EXPECT_EQ(r.state, sp::status::malformed);
  ASSERT_FALSE(m.diagnostics.empty());
  EXPECT_EQ(m.diagnostics[0].code, sp::diag_code::message_too_large);

  // 100 000 Via headers: bounded by max_items, one diagnostic, no crash
  std::string big = "OPTIONS sip:a@b.example SIP/2.0\r\n";
  for (int i = 0; i < 100000; ++i) big += "Via: SIP/2.0/UDP h.example;branch=z9hG4bK" + std::to_string(i) + "\r\n";
  big += "\r\n";
  opt = {};
  opt.limit.max_message_size = big.size();
  r = sp::parse_message(big, m, opt);
  EXPECT_EQ(r.state, sp::status::malformed);
  EXPECT_LE(m.headers.size(), opt.limit.max_headers);
  EXPECT_LE(m.diagnostics.size(), opt.limit.max_diagnostics);
}

TEST(Message, OneBadHeaderKeepsTheOthers) {
  std::string msg = kBye;
  msg.replace(msg.find("CSeq: 231 BYE"), 13, "CSeq: 23x1 BYE");
  sp::message m;
  auto r = sp::parse_message(msg, m);
  EXPECT_EQ(r.state, sp::status::malformed);
  ASSERT_EQ(m.diagnostics.size(), 1u);
  EXPECT_EQ(m.diagnostics[0].code, sp::diag_code::bad_cseq);
  EXPECT_EQ(m.diagnostics[0].offset, msg.find("23x1") + 2);  // the byte that broke the rule
  EXPECT_EQ(m.diagnostics[0].rule, "CSeq");
  EXPECT_EQ(m.line_of(m.diagnostics[0].offset), 7u);
  EXPECT_EQ(m.cseq(), nullptr);
  EXPECT_EQ(m.call_id(), "a84b4c76e66710@pc33.atlanta.example.com");
  EXPECT_NE(m.from(), nullptr);
}

TEST(Message, StatusLineAndReason) {
  std::string ok = "SIP/2.0 180 Ringing\r\n" + kBye.substr(kBye.find("\r\n") + 2);
  sp::message m;
  ASSERT_EQ(sp::parse_message(ok, m).state, sp::status::ok);
  EXPECT_FALSE(m.is_request);
  EXPECT_EQ(m.response.code, 180);
  EXPECT_EQ(m.response.reason, "Ringing");
  std::string bad = "SIP/2.0 18 Ringing\r\n" + kBye.substr(kBye.find("\r\n") + 2);
  ASSERT_EQ(sp::parse_message(bad, m).state, sp::status::malformed);
  EXPECT_EQ(m.diagnostics[0].code, sp::diag_code::bad_status_code);
  EXPECT_EQ(m.diagnostics[0].offset, 8u);
}

TEST(Params, IterationSkipsSeparatorsInsideQuotes) {
  sp::param_list l("a=1; text=\"x;y,z\" ;flag;b = 2", ';');
  std::vector<std::pair<std::string, std::string>> got;
  for (const sp::param& p : l) got.emplace_back(std::string(p.name), std::string(p.value));
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[1].first, "text");
  EXPECT_EQ(got[1].second, "\"x;y,z\"");
  EXPECT_EQ(got[2].first, "flag");
  EXPECT_EQ(got[2].second, "");
  EXPECT_EQ(got[3].second, "2");
  EXPECT_EQ(l.size(), 4u);
  EXPECT_TRUE(l.has("FLAG"));
  EXPECT_EQ(sp::unquote("\"x\\\"y\""), "x\"y");
  EXPECT_EQ(sp::unescape("sips%3Auser%40example.com"), "sips:user@example.com");
  EXPECT_EQ(sp::unescape("100%"), "100%");
  EXPECT_EQ(sp::unescape("%00a").size(), 2u);  // an escaped NUL is kept, not a terminator
}
