// URI grammar: SIP/SIPS (RFC 3261 19.1.1 and its examples in 19.1.3), tel (RFC 3966), other
// schemes, and the RFC 5118 IPv6 forms.
#include <gtest/gtest.h>

#include <string>

#include "sipscope/parser/uri.hpp"

namespace sp = sipscope::parser;

namespace {
sp::uri parse_ok(std::string_view text) {
  sp::uri u;
  sp::uri_result r = sp::parse_uri(text, u);
  EXPECT_TRUE(r.ok) << text << ": error at " << r.error_offset << ", expected " << r.expected;
  return u;
}
sp::uri_result parse_bad(std::string_view text) {
  sp::uri u;
  sp::uri_result r = sp::parse_uri(text, u);
  EXPECT_FALSE(r.ok) << text;
  return r;
}
}  // namespace

TEST(Uri, Rfc3261Examples) {
  auto u = parse_ok("sip:alice:secretword@atlanta.com;transport=tcp");
  EXPECT_EQ(u.kind, sp::uri_scheme::sip);
  EXPECT_EQ(u.user, "alice");
  EXPECT_TRUE(u.has_password);
  EXPECT_EQ(u.password, "secretword");
  EXPECT_EQ(u.host, "atlanta.com");
  EXPECT_EQ(u.params.find("transport")->value, "tcp");

  u = parse_ok("sips:alice@atlanta.com?subject=project%20x&priority=urgent");
  EXPECT_EQ(u.kind, sp::uri_scheme::sips);
  EXPECT_EQ(u.headers.size(), 2u);
  EXPECT_EQ(sp::unescape(u.headers.find("subject")->value), "project x");

  u = parse_ok("sip:+1-212-555-1212:1234@gateway.com;user=phone");
  EXPECT_EQ(u.user, "+1-212-555-1212");
  EXPECT_EQ(u.password, "1234");
  EXPECT_EQ(u.params.find("user")->value, "phone");

  u = parse_ok("sip:alice@192.0.2.4");
  EXPECT_EQ(u.host_type, sp::host_kind::ipv4);

  u = parse_ok("sip:atlanta.com;method=REGISTER?to=alice%40atlanta.com");
  EXPECT_TRUE(u.user.empty());
  EXPECT_EQ(u.host_type, sp::host_kind::hostname);
  EXPECT_EQ(u.params.find("method")->value, "REGISTER");

  u = parse_ok("sip:alice;day=tuesday@atlanta.com");
  EXPECT_EQ(u.user, "alice;day=tuesday");
  EXPECT_EQ(u.host, "atlanta.com");
}

TEST(Uri, HostsAndPorts) {
  auto u = parse_ok("sip:[2001:db8::10]:5070");
  EXPECT_EQ(u.host, "[2001:db8::10]");
  EXPECT_EQ(u.host_type, sp::host_kind::ipv6);
  EXPECT_EQ(u.port, 5070);
  u = parse_ok("sip:[2001:db8::10:5070]");  // RFC 5118 4.3: no port, 5070 is a group
  EXPECT_FALSE(u.has_port);
  parse_ok("sip:user@[2001:db8:::192.0.2.1]");  // RFC 5118 4.10: tolerated
  parse_ok("sip:[::ffff:192.0.2.2]");
  parse_ok("sip:host.example.com.:65535");

  EXPECT_EQ(parse_bad("sip:2001:db8::10").error_offset, 4u);  // RFC 5118 4.2
  EXPECT_EQ(parse_bad("sip:host.example.com:65536").error_offset, 21u);
  parse_bad("sip:1.2.3.256x");
  parse_bad("sip:-bad.example.com");
  parse_bad("sip:bad-.example.com");
  parse_bad("sip:example.123");  // a toplabel starts with a letter
  parse_bad("sip:[2001:db8::1");
  parse_bad("sip:[1:2:3:4:5:6:7:8:9]");
  parse_bad("sip:user@");
  parse_bad("sip:");
}

// An IPv4address is four groups of 1 to 3 digits, each at most 255, and nothing of a host
// after it; what fails to be one is a hostname when its last label starts with a letter.
TEST(Uri, Ipv4OrHostnameBoundaries) {
  struct case_ {
    const char* text;
    sp::host_kind kind;   // none: the URI is rejected at its host (offset 4)
    const char* host;
  };
  const case_ cases[] = {
      {"sip:0.0.0.0", sp::host_kind::ipv4, "0.0.0.0"},
      {"sip:255.255.255.255:5060", sp::host_kind::ipv4, "255.255.255.255"},
      {"sip:010.001.1.1;lr", sp::host_kind::ipv4, "010.001.1.1"},   // 1*3DIGIT: leading zeros allowed
      {"sip:u@192.0.2.4?h=v", sp::host_kind::ipv4, "192.0.2.4"},
      {"sip:1.2.3.4.example.com", sp::host_kind::hostname, "1.2.3.4.example.com"},
      {"sip:1.2.3.4-a.example", sp::host_kind::hostname, "1.2.3.4-a.example"},
      {"sip:9host.example.com.", sp::host_kind::hostname, "9host.example.com."},
      {"sip:a", sp::host_kind::hostname, "a"},
      {"sip:256.1.1.1", sp::host_kind::none, nullptr},      // neither: last label "1"
      {"sip:1.2.3.4.", sp::host_kind::none, nullptr},
      {"sip:1.2.3", sp::host_kind::none, nullptr},
      {"sip:1.2.3.4.5", sp::host_kind::none, nullptr},
      {"sip:1.2.3.1000", sp::host_kind::none, nullptr},
      {"sip:1.2.3.4a", sp::host_kind::none, nullptr},
      {"sip:1..2.3.4", sp::host_kind::none, nullptr},
      {"sip:a..example.com", sp::host_kind::none, nullptr},
      {"sip:example.com..", sp::host_kind::none, nullptr},
  };
  for (const auto& c : cases) {
    sp::uri u;
    sp::uri_result r = sp::parse_uri(c.text, u);
    if (c.kind == sp::host_kind::none) {
      EXPECT_FALSE(r.ok) << c.text;
      EXPECT_EQ(r.error_offset, 4u) << c.text;
      EXPECT_EQ(r.expected, "host") << c.text;
      continue;
    }
    EXPECT_TRUE(r.ok) << c.text << ": error at " << r.error_offset << ", expected " << r.expected;
    EXPECT_EQ(u.host_type, c.kind) << c.text;
    EXPECT_EQ(u.host, c.host) << c.text;
  }
}

TEST(Uri, TelAndOtherSchemes) {
  auto u = parse_ok("tel:+1-201-555-0123");
  EXPECT_EQ(u.kind, sp::uri_scheme::tel);
  EXPECT_TRUE(u.tel_global);
  EXPECT_EQ(u.user, "+1-201-555-0123");
  u = parse_ok("tel:7042;phone-context=example.com");
  EXPECT_FALSE(u.tel_global);
  EXPECT_EQ(u.params.find("phone-context")->value, "example.com");
  parse_bad("tel:7042");          // RFC 3966 5.1.5: a local number needs phone-context
  parse_bad("tel:+1-2+3");
  parse_bad("tel:+");

  u = parse_ok("soap.beep://192.0.2.103:3002");
  EXPECT_EQ(u.kind, sp::uri_scheme::other);
  EXPECT_EQ(u.scheme, "soap.beep");
  EXPECT_EQ(u.opaque, "//192.0.2.103:3002");
  parse_ok("urn:service:sos");
  EXPECT_EQ(parse_bad("<sip:a@b>").error_offset, 0u);
  EXPECT_EQ(parse_bad("sip:a@b c").error_offset, 7u);
  parse_bad("1sip:a@b");
}

TEST(Uri, EscapesStayEscapedUntilAsked) {
  auto u = parse_ok("sip:sips%3Auser%40example.com@example.net");
  EXPECT_EQ(u.user, "sips%3Auser%40example.com");
  EXPECT_EQ(sp::unescape(u.user), "sips:user@example.com");
  auto nul = parse_ok("sip:null-%00-null@example.com");
  EXPECT_EQ(sp::unescape(nul.user), std::string("null-\0-null", 11));
  parse_bad("sip:us%4ger@example.com");  // "%" must start an escape (two hex digits) in user
}
