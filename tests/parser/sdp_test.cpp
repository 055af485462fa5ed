// SDP parser tests: corpus-driven (corpus/sdp/<case>.sdp beside <case>.expect.json) and unit
// cases for the API contracts (offsets, reuse without allocation, limits, typed views).
//
// An expectation lists the fields it checks: every key given must match the parse (objects are
// compared key by key, arrays element by element and by length), so a case states concrete
// values without restating the whole session. "diagnostics" is compared in full.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sipscope/parser/sdp.hpp"

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace sipscope::parser;

namespace {

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string str(std::string_view v) { return std::string(v); }

const char* code_name(diag_code c) {
  switch (c) {
    case diag_code::bad_sdp: return "bad_sdp";
    case diag_code::bad_multipart: return "bad_multipart";
    case diag_code::multipart_too_deep: return "multipart_too_deep";
    default: return "other";
  }
}
const char* severity_name(severity s) {
  switch (s) {
    case severity::error: return "error";
    case severity::warning: return "warning";
    case severity::info: return "info";
  }
  return "?";
}

json dump_diags(const std::vector<diagnostic>& diags) {
  json a = json::array();
  for (const auto& d : diags)
    a.push_back({{"code", code_name(d.code)}, {"severity", severity_name(d.level)}, {"rule", str(d.rule)},
                 {"offset", d.offset}, {"expected", str(d.expected)}});
  return a;
}

json dump_connection(const sdp_connection* c) {
  if (!c) return nullptr;
  return {{"nettype", str(c->nettype)}, {"addrtype", str(c->addrtype)}, {"address", str(c->address)},
          {"address_kind", str(to_string(c->address_kind))}, {"multicast", c->multicast},
          {"has_ttl", c->has_ttl}, {"ttl", c->ttl}, {"num_addresses", c->num_addresses}, {"offset", c->offset}};
}

json dump_attributes(std::span<const sdp_attribute> attrs) {
  json a = json::array();
  for (const auto& x : attrs)
    a.push_back({{"name", str(x.name)}, {"value", str(x.value)}, {"has_value", x.has_value}, {"valid", x.valid},
                 {"offset", x.offset}});
  return a;
}

json dump_bandwidths(std::span<const sdp_bandwidth> bws) {
  json a = json::array();
  for (const auto& b : bws) a.push_back({{"type", str(b.type)}, {"value", b.value}});
  return a;
}

json dump_media(const sdp_session& s, const sdp_media& m) {
  json j = {{"type", str(m.type)}, {"port", m.port}, {"num_ports", m.num_ports}, {"proto", str(m.proto)},
            {"information", str(m.information)}, {"offset", m.offset},
            {"connections", m.connections.count}, {"connection", dump_connection(s.connection(m))},
            {"bandwidths", dump_bandwidths(s.bandwidths(m))}, {"attributes", dump_attributes(s.attributes(m))},
            {"direction", str(to_string(s.direction(m)))}, {"rtcp_mux", s.find(m, "rtcp-mux") != nullptr}};
  json formats = json::array();
  for (auto f : s.formats(m)) formats.push_back(str(f));
  j["formats"] = formats;
  json rtpmaps = json::array(), fmtps = json::array(), cands = json::array(), cryptos = json::array();
  for (const auto& a : s.attributes(m)) {
    if (!a.valid) continue;
    switch (a.kind) {
      case sdp_attr::rtpmap: {
        sdp_rtpmap r;
        EXPECT_TRUE(parse_rtpmap(a.value, r));
        rtpmaps.push_back({{"pt", r.payload_type}, {"encoding", str(r.encoding)}, {"clock_rate", r.clock_rate},
                           {"channels", r.channels}, {"encoding_params", str(r.encoding_params)}});
        break;
      }
      case sdp_attr::fmtp: {
        sdp_fmtp f;
        EXPECT_TRUE(parse_fmtp(a.value, f));
        fmtps.push_back({{"format", str(f.format)}, {"pt", f.payload_type}, {"params", str(f.params)}});
        break;
      }
      case sdp_attr::candidate: {
        sdp_candidate c;
        EXPECT_TRUE(parse_candidate(a.value, c));
        json ext = json::array();
        std::string_view rest = c.extensions, n, v;
        while (next_extension(rest, n, v)) ext.push_back({str(n), str(v)});
        cands.push_back({{"foundation", str(c.foundation)}, {"component", c.component}, {"transport", str(c.transport)},
                         {"priority", c.priority}, {"address", str(c.address)}, {"port", c.port}, {"type", str(c.type)},
                         {"rel_addr", str(c.rel_addr)}, {"rel_port", c.rel_port}, {"has_rel_port", c.has_rel_port},
                         {"extensions", str(c.extensions)}, {"extension_list", ext}});
        break;
      }
      case sdp_attr::crypto: {
        sdp_crypto c;
        EXPECT_TRUE(parse_crypto(a.value, c));
        cryptos.push_back({{"tag", c.tag}, {"suite", str(c.suite)}, {"key_params", str(c.key_params)},
                           {"session_params", str(c.session_params)}});
        break;
      }
      case sdp_attr::ptime: {
        sdp_ptime p;
        EXPECT_TRUE(parse_ptime(a.value, p));
        j["ptime"] = p.ms;
        break;
      }
      case sdp_attr::rtcp: {
        sdp_rtcp r;
        EXPECT_TRUE(parse_rtcp(a.value, r));
        j["rtcp"] = {{"port", r.port}, {"nettype", str(r.nettype)}, {"addrtype", str(r.addrtype)}, {"address", str(r.address)}};
        break;
      }
      case sdp_attr::mid: {
        std::string_view mid;
        EXPECT_TRUE(parse_mid(a.value, mid));
        j["mid"] = str(mid);
        break;
      }
      case sdp_attr::setup: {
        sdp_setup st;
        EXPECT_TRUE(parse_setup(a.value, st));
        j["setup"] = str(to_string(st));
        break;
      }
      case sdp_attr::fingerprint: {
        sdp_fingerprint fp;
        EXPECT_TRUE(parse_fingerprint(a.value, fp));
        j["fingerprint"] = {{"hash_func", str(fp.hash_func)}, {"value", str(fp.value)}};
        break;
      }
      default: break;
    }
  }
  j["rtpmaps"] = rtpmaps;
  j["fmtp"] = fmtps;
  j["candidates"] = cands;
  j["crypto"] = cryptos;
  return j;
}

json dump_session(const sdp_session& s) {
  json times = json::array();
  for (const auto& t : s.times) {
    json reps = json::array();
    for (std::uint16_t i = 0; i < t.repeats.count; ++i) {
      const auto& r = s.repeats[t.repeats.first + i];
      reps.push_back({{"interval", str(r.interval)}, {"duration", str(r.duration)}, {"offsets", str(r.offsets)}});
    }
    times.push_back({{"start", t.start}, {"stop", t.stop}, {"repeats", reps}});
  }
  json emails = json::array(), phones = json::array(), media = json::array();
  for (auto e : s.emails) emails.push_back(str(e));
  for (auto p : s.phones) phones.push_back(str(p));
  for (const auto& m : s.media) media.push_back(dump_media(s, m));
  const auto& o = s.origin;
  return {{"version", str(s.version)},
          {"origin", {{"username", str(o.username)}, {"sess_id", str(o.sess_id)}, {"sess_version", str(o.sess_version)},
                      {"nettype", str(o.nettype)}, {"addrtype", str(o.addrtype)}, {"address", str(o.address)},
                      {"address_kind", str(to_string(o.address_kind))}}},
          {"name", str(s.name)}, {"information", str(s.information)}, {"uri", str(s.uri)},
          {"emails", emails}, {"phones", phones}, {"connection", dump_connection(s.connection())},
          {"bandwidths", dump_bandwidths(s.bandwidths())}, {"times", times},
          {"zone", str(s.zone_adjustments)}, {"key", {{"method", str(s.key.method)}, {"value", str(s.key.value)}}},
          {"attributes", dump_attributes(s.attributes())}, {"direction", str(to_string(s.direction()))},
          {"media", media}};
}

// Every key of `expected` must match `actual`; arrays must have the same length.
void expect_subset(const json& expected, const json& actual, const std::string& path) {
  if (expected.is_object()) {
    ASSERT_TRUE(actual.is_object()) << path << ": expected an object, got " << actual.dump();
    for (auto it = expected.begin(); it != expected.end(); ++it) {
      ASSERT_TRUE(actual.contains(it.key())) << path << "." << it.key() << " missing in " << actual.dump();
      expect_subset(it.value(), actual[it.key()], path + "." + it.key());
    }
  } else if (expected.is_array()) {
    ASSERT_TRUE(actual.is_array()) << path << ": expected an array, got " << actual.dump();
    ASSERT_EQ(expected.size(), actual.size()) << path << ": " << actual.dump();
    for (std::size_t i = 0; i < expected.size(); ++i)
      expect_subset(expected[i], actual[i], path + "[" + std::to_string(i) + "]");
  } else {
    EXPECT_EQ(expected, actual) << path;
  }
}

fs::path corpus_dir() { return fs::path(SIPSCOPE_CORPUS_DIR) / "sdp"; }

std::vector<fs::path> corpus_cases() {
  std::vector<fs::path> v;
  if (fs::exists(corpus_dir()))
    for (const auto& e : fs::directory_iterator(corpus_dir()))
      if (e.path().extension() == ".sdp") v.push_back(e.path());
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

TEST(SdpCorpus, EveryCaseMatchesItsExpectation) {
  auto cases = corpus_cases();
  ASSERT_GE(cases.size(), 20u) << "corpus/sdp is missing cases";
  for (const auto& p : cases) {
    SCOPED_TRACE(p.filename().string());
    fs::path ex = p;
    ex.replace_extension(".expect.json");
    ASSERT_TRUE(fs::exists(ex)) << ex;
    json expect = json::parse(read_file(ex));
    std::string body = read_file(p);
    sdp_session s;
    std::vector<diagnostic> diags;
    status st = parse_sdp(body, s, diags);
    EXPECT_EQ(expect.at("status").get<std::string>(), st == status::ok ? "ok" : "malformed");
    expect_subset(expect.at("diagnostics"), dump_diags(diags), "diagnostics");
    expect_subset(expect.at("session"), dump_session(s), "session");
  }
}

// The same corpus, shifted: every diagnostic offset moves by base_offset.
TEST(SdpCorpus, BaseOffsetShiftsEveryDiagnostic) {
  for (const auto& p : corpus_cases()) {
    SCOPED_TRACE(p.filename().string());
    std::string body = read_file(p);
    sdp_session s;
    std::vector<diagnostic> a, b;
    parse_sdp(body, s, a, 0);
    parse_sdp(body, s, b, 1000);
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].offset + 1000, b[i].offset);
  }
}

namespace {
const std::string kOffer =
    "v=0\r\n"
    "o=alice 2890844526 2890844526 IN IP4 192.0.2.1\r\n"
    "s=-\r\n"
    "c=IN IP4 192.0.2.1\r\n"
    "t=0 0\r\n"
    "a=sendonly\r\n"
    "m=audio 49170 RTP/AVP 0 8 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-15\r\n"
    "a=maxptime:40\r\n"
    "m=video 51372/2 RTP/AVP 31\r\n"
    "c=IN IP4 192.0.2.2\r\n"
    "a=inactive\r\n";
}

TEST(SdpApi, EffectiveConnectionAndDirection) {
  sdp_session s;
  std::vector<diagnostic> d;
  ASSERT_EQ(parse_sdp(kOffer, s, d), status::ok) << dump_diags(d).dump();
  ASSERT_EQ(s.media.size(), 2u);
  EXPECT_EQ(s.connection(s.media[0])->address, "192.0.2.1");  // inherited
  EXPECT_EQ(s.connection(s.media[1])->address, "192.0.2.2");  // overridden
  EXPECT_EQ(s.connection()->address, "192.0.2.1");
  EXPECT_EQ(s.direction(), sdp_direction::sendonly);
  EXPECT_EQ(s.direction(s.media[0]), sdp_direction::sendonly);  // session level applies
  EXPECT_EQ(s.direction(s.media[1]), sdp_direction::inactive);  // media level overrides
  EXPECT_EQ(s.media[1].num_ports, 2u);
  sdp_rtpmap r;
  ASSERT_TRUE(find_rtpmap(s, s.media[0], 101, r));
  EXPECT_EQ(r.encoding, "telephone-event");
  EXPECT_EQ(r.clock_rate, 8000u);
  EXPECT_FALSE(find_rtpmap(s, s.media[0], 8, r));  // static type, no rtpmap line
  const sdp_attribute* mp = s.find(s.media[0], "maxptime");
  ASSERT_NE(mp, nullptr);
  sdp_ptime pt;
  ASSERT_TRUE(parse_ptime(mp->value, pt));
  EXPECT_EQ(pt.ms, 40u);
  // views point into the body: zero copy
  EXPECT_GE(s.media[0].type.data(), kOffer.data());
  EXPECT_LT(s.media[0].type.data(), kOffer.data() + kOffer.size());
}

TEST(SdpApi, DefaultDirectionIsSendrecv) {
  std::string b = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 1 RTP/AVP 0\r\n";
  sdp_session s;
  std::vector<diagnostic> d;
  ASSERT_EQ(parse_sdp(b, s, d), status::ok);
  EXPECT_EQ(s.direction(s.media[0]), sdp_direction::sendrecv);
  EXPECT_TRUE(d.empty());
}

TEST(SdpApi, ReuseKeepsCapacityAndDoesNotAllocate) {
  sdp_session s;
  std::vector<diagnostic> d;
  ASSERT_EQ(parse_sdp(kOffer, s, d), status::ok);
  const void* media_data = s.media.data();
  const void* attr_data = s.attribute_pool.data();
  auto cap = s.attribute_pool.capacity();
  for (int i = 0; i < 100; ++i) ASSERT_EQ(parse_sdp(kOffer, s, d), status::ok);
  EXPECT_EQ(media_data, s.media.data());
  EXPECT_EQ(attr_data, s.attribute_pool.data());
  EXPECT_EQ(cap, s.attribute_pool.capacity());
  EXPECT_EQ(s.media.size(), 2u);
  EXPECT_EQ(s.attribute_pool.size(), 6u);
}

TEST(SdpApi, ClearEmptiesEverything) {
  sdp_session s;
  std::vector<diagnostic> d;
  ASSERT_EQ(parse_sdp(kOffer, s, d), status::ok);
  s.clear();
  EXPECT_TRUE(s.media.empty());
  EXPECT_TRUE(s.attributes().empty());
  EXPECT_EQ(s.connection(), nullptr);
  EXPECT_TRUE(s.version.empty());
}

TEST(SdpLimits, TooManyMediaIsDiagnosedOnceAndBounded) {
  std::string b = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n";
  for (int i = 0; i < 10; ++i) b += "m=audio 1000 RTP/AVP 0\r\na=sendrecv\r\n";
  sdp_limits lim;
  lim.max_media = 3;
  sdp_session s;
  std::vector<diagnostic> d;
  EXPECT_EQ(parse_sdp(b, s, d, 0, lim), status::malformed);
  EXPECT_EQ(s.media.size(), 3u);
  EXPECT_EQ(s.attribute_pool.size(), 3u);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].rule, "m=");
  std::size_t fourth = 0;
  for (int i = 0; i < 4; ++i) fourth = b.find("m=", fourth + 1);
  EXPECT_EQ(d[0].offset, fourth);
}

TEST(SdpLimits, TooManyAttributesAndDiagnosticsAreBounded) {
  std::string b = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n";
  for (int i = 0; i < 5000; ++i) b += "a=x:1\r\n";
  for (int i = 0; i < 500; ++i) b += "a=rtpmap:bad\r\n";
  sdp_session s;
  std::vector<diagnostic> d;
  EXPECT_EQ(parse_sdp(b, s, d), status::malformed);
  EXPECT_EQ(s.attribute_pool.size(), sdp_limits{}.max_attributes);
  EXPECT_EQ(d.size(), sdp_limits{}.max_diagnostics);
  EXPECT_EQ(d[0].rule, "a=");
  EXPECT_EQ(d[0].offset, b.find("a=x:1") + 1024 * 7);
}

TEST(SdpLimits, OversizedBodyIsRejected) {
  std::string b(70 * 1024, 'a');
  sdp_session s;
  std::vector<diagnostic> d;
  EXPECT_EQ(parse_sdp(b, s, d, 10), status::malformed);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].offset, 10u + 64 * 1024);
}

TEST(SdpGrammar, MissingMandatoryLinesAtEnd) {
  sdp_session s;
  std::vector<diagnostic> d;
  EXPECT_EQ(parse_sdp("", s, d), status::malformed);
  ASSERT_EQ(d.size(), 4u);  // v o s t
  EXPECT_EQ(d[0].rule, "v=");
  EXPECT_EQ(d[3].rule, "t=");
  d.clear();
  std::string b = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nm=audio 1 RTP/AVP 0\r\n";
  EXPECT_EQ(parse_sdp(b, s, d), status::malformed);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].rule, "t=");
  EXPECT_EQ(d[0].offset, b.find("m="));
}

TEST(SdpGrammar, AddressForms) {
  auto parse_c = [](const std::string& c) {
    std::string b = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=" + c + "\r\nt=0 0\r\n";
    sdp_session s;
    std::vector<diagnostic> d;
    status st = parse_sdp(b, s, d);
    return std::make_pair(st, s.connection() ? std::string(to_string(s.connection()->address_kind)) : "none");
  };
  EXPECT_EQ(parse_c("IN IP6 ::ffff:192.0.2.128"), std::make_pair(status::ok, std::string("ipv6")));
  EXPECT_EQ(parse_c("IN IP6 2001:db8:0:0:0:0:0:1"), std::make_pair(status::ok, std::string("ipv6")));
  EXPECT_EQ(parse_c("IN IP6 FF1E:03AD::7F2E:172A:1E24/3"), std::make_pair(status::ok, std::string("ipv6")));
  EXPECT_EQ(parse_c("IN IP4 media.example.com"), std::make_pair(status::ok, std::string("fqdn")));
  EXPECT_EQ(parse_c("IN IP4 224.2.1.1/127/3"), std::make_pair(status::ok, std::string("ipv4")));
  EXPECT_EQ(parse_c("IN IP6 2001:db8::1::2").first, status::malformed);
  EXPECT_EQ(parse_c("IN IP6 2001:db8:1:2:3:4:5:6:7").first, status::malformed);
  EXPECT_EQ(parse_c("IN IP4 192.0.2.1/127").first, status::malformed);  // ttl on unicast
  EXPECT_EQ(parse_c("IN IP4 01.2.3.4").first, status::malformed);       // leading zero
  EXPECT_EQ(parse_c("IN IP4 224.2.1.1/300").first, status::malformed);  // ttl > 255
  EXPECT_EQ(parse_c("IN IP6 ab").first, status::malformed);             // FQDN needs 4 chars
  EXPECT_EQ(parse_c("IN  IP4 192.0.2.1").first, status::malformed);     // two spaces
}

TEST(SdpGrammar, TypedViewsRejectBadValues) {
  sdp_rtpmap r;
  EXPECT_FALSE(parse_rtpmap("128 PCMU/8000", r));
  EXPECT_FALSE(parse_rtpmap("0 PCMU", r));
  EXPECT_TRUE(parse_rtpmap("127 X/1/2", r));
  EXPECT_EQ(r.channels, 2);
  sdp_candidate c;
  EXPECT_FALSE(parse_candidate("1 1 UDP 2130706431 10.0.1.1 70000 typ host", c));
  EXPECT_FALSE(parse_candidate("1 1 UDP 2130706431 10.0.1.1 8998 host", c));
  EXPECT_TRUE(parse_candidate("a+/B 256 TCP 1 host.example.com 9 typ host tcptype active", c));
  EXPECT_EQ(c.foundation, "a+/B");
  EXPECT_EQ(c.extensions, "tcptype active");
  sdp_crypto k;
  EXPECT_FALSE(parse_crypto("1234567890 AES_CM_128_HMAC_SHA1_80 inline:x", k));  // tag > 9 digits
  EXPECT_FALSE(parse_crypto("1 AES_CM_128_HMAC_SHA1_80 inline", k));
  EXPECT_TRUE(parse_crypto("2 F8_128_HMAC_SHA1_80 inline:MTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5QUJjZGVm|2^20|1:4;inline:QUJjZGVmMTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5|2^20|2:4 FEC_ORDER=FEC_SRTP", k));
  EXPECT_EQ(k.tag, 2u);
  EXPECT_EQ(k.key_params.find(';'), k.key_params.find(";inline:QUJj"));
  EXPECT_EQ(k.session_params, "FEC_ORDER=FEC_SRTP");
  sdp_setup st;
  EXPECT_TRUE(parse_setup("HOLDCONN", st));
  EXPECT_EQ(st, sdp_setup::holdconn);
  EXPECT_FALSE(parse_setup("actpass ", st));
  sdp_fingerprint fp;
  EXPECT_FALSE(parse_fingerprint("sha-1 4A:A", fp));
  sdp_rtcp rc;
  EXPECT_TRUE(parse_rtcp("53020", rc));
  EXPECT_EQ(rc.port, 53020);
  EXPECT_TRUE(rc.address.empty());
  EXPECT_FALSE(parse_rtcp("53020 IN IP6 1.2.3.4", rc));
}

// The CRLF before a bad line is untouched: the next line is still parsed (resync).
TEST(SdpGrammar, ResynchronisesAtTheNextLine) {
  std::string b =
      "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
      "m=audio 1 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000 x\r\na=ptime:20\r\nb=AS:64\r\n";
  sdp_session s;
  std::vector<diagnostic> d;
  EXPECT_EQ(parse_sdp(b, s, d, 7), status::malformed);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].rule, "a=rtpmap");
  EXPECT_EQ(d[0].offset, 7 + b.find(" x\r\n"));
  EXPECT_EQ(d[1].rule, "b=");  // b= after a= in a media section
  EXPECT_EQ(d[1].offset, 7 + b.find("b=AS"));
  ASSERT_EQ(s.media.size(), 1u);
  EXPECT_EQ(s.attributes(s.media[0]).size(), 2u);
  EXPECT_EQ(s.attributes(s.media[0])[1].name, "ptime");
}

// Fuzz finding: x3::digit/xdigit/no_case (Boost "standard" encoding) assert on bytes >= 0x80
// and pass negative values to <cctype>. Every grammar position that takes digits, hex or a
// case-insensitive keyword must fail cleanly on such bytes and point at them.
TEST(SdpGrammar, HighBytesFailCleanly) {
  std::string b = "v=0\r\no=- 1 \x95\xa8 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 \xb0\r\n"
                  "m=audio 1 RTP/AVP 0\r\na=fingerprint:sha-1 4A:\xc3\xa9\r\na=setup:\xc3\x81\x63tive\r\n";
  sdp_session s;
  std::vector<diagnostic> d;
  EXPECT_EQ(parse_sdp(b, s, d), status::malformed);
  ASSERT_EQ(d.size(), 4u);
  EXPECT_EQ(d[0].rule, "o=");
  EXPECT_EQ(d[0].offset, b.find("\x95"));
  EXPECT_EQ(d[1].rule, "t=");
  EXPECT_EQ(d[1].offset, b.find("\xb0"));
  EXPECT_EQ(d[2].rule, "a=fingerprint");
  EXPECT_EQ(d[2].offset, b.find("\xc3\xa9"));
  EXPECT_EQ(d[3].rule, "a=setup");
  EXPECT_EQ(d[3].offset, b.find("\xc3\x81"));
}
