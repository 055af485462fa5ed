// multipart/* tests: corpus-driven (corpus/multipart/<case>.body beside <case>.expect.json,
// which gives the Content-Type value and the depth limit) and unit cases.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sipscope/parser/multipart.hpp"

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace sipscope::parser;

namespace {

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// JSON strings are UTF-8; the expectations write bodies as Latin-1 code points.
std::string latin1(const std::string& utf8) {
  std::string out;
  for (std::size_t i = 0; i < utf8.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(utf8[i]);
    if (c < 0x80) out += char(c);
    else if (i + 1 < utf8.size()) out += char(((c & 0x03) << 6) | (static_cast<unsigned char>(utf8[++i]) & 0x3F));
  }
  return out;
}

const char* code_name(diag_code c) {
  switch (c) {
    case diag_code::bad_multipart: return "bad_multipart";
    case diag_code::multipart_too_deep: return "multipart_too_deep";
    default: return "other";
  }
}

void expect_diags(const json& expected, const std::vector<diagnostic>& diags) {
  ASSERT_EQ(expected.size(), diags.size());
  for (std::size_t i = 0; i < diags.size(); ++i) {
    SCOPED_TRACE("diagnostic " + std::to_string(i));
    const auto& e = expected[i];
    EXPECT_EQ(e.at("code").get<std::string>(), code_name(diags[i].code));
    EXPECT_EQ(e.at("severity").get<std::string>(), diags[i].level == severity::error ? "error" : "warning");
    EXPECT_EQ(e.at("rule").get<std::string>(), diags[i].rule);
    EXPECT_EQ(e.at("offset").get<std::uint32_t>(), diags[i].offset);
    if (e.contains("expected")) {
      EXPECT_EQ(e.at("expected").get<std::string>(), diags[i].expected);
    }
  }
}

void expect_part(const json& e, const body_part& p) {
  if (e.contains("content_type")) {
    EXPECT_EQ(e["content_type"].get<std::string>(), p.content_type());
  }
  if (e.contains("body")) {
    EXPECT_EQ(latin1(e["body"].get<std::string>()), p.body);
  }
  if (e.contains("body_offset")) {
    EXPECT_EQ(e["body_offset"].get<std::uint32_t>(), p.body_offset);
  }
  if (e.contains("body_size")) {
    EXPECT_EQ(e["body_size"].get<std::size_t>(), p.body.size());
  }
  if (e.contains("body_has_nul")) {
    EXPECT_EQ(e["body_has_nul"].get<bool>(), p.body.find('\0') != std::string_view::npos);
  }
  if (e.contains("headers")) {
    ASSERT_EQ(e["headers"].size(), p.header_count);
    for (std::size_t i = 0; i < p.header_count; ++i) {
      EXPECT_EQ(e["headers"][i][0].get<std::string>(), p.headers[i].name);
      EXPECT_EQ(e["headers"][i][1].get<std::string>(), p.headers[i].value);
    }
  }
}

}  // namespace

TEST(MultipartCorpus, EveryCaseMatchesItsExpectation) {
  fs::path dir = fs::path(SIPSCOPE_CORPUS_DIR) / "multipart";
  std::vector<fs::path> cases;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".body") cases.push_back(e.path());
  std::sort(cases.begin(), cases.end());
  ASSERT_GE(cases.size(), 6u);
  for (const auto& p : cases) {
    SCOPED_TRACE(p.filename().string());
    fs::path ex = p;
    ex.replace_extension(".expect.json");
    json expect = json::parse(read_bytes(ex));
    std::string body = read_bytes(p);
    std::string ct = expect.at("content_type").get<std::string>();
    unsigned depth = expect.at("depth_limit").get<unsigned>();
    std::string_view boundary = multipart_boundary(ct);
    ASSERT_FALSE(boundary.empty());

    std::vector<body_part> parts;
    std::vector<diagnostic> diags;
    status st = parse_multipart(body, boundary, parts, diags, 0, depth);
    EXPECT_EQ(expect.at("status").get<std::string>(), st == status::ok ? "ok" : "malformed");
    expect_diags(expect.at("diagnostics"), diags);
    ASSERT_EQ(expect.at("parts").size(), parts.size());
    for (std::size_t i = 0; i < parts.size(); ++i) {
      SCOPED_TRACE("part " + std::to_string(i));
      expect_part(expect["parts"][i], parts[i]);
    }

    const json& es = expect.at("sdp");
    sdp_part sdp;
    std::vector<diagnostic> sdiags;
    bool found = find_sdp_part(body, boundary, sdp, sdiags, 0, depth);
    EXPECT_EQ(es.at("found").get<bool>(), found);
    if (es.contains("offset")) {
      EXPECT_EQ(es["offset"].get<std::uint32_t>(), sdp.offset);
    }
    if (es.contains("body")) {
      EXPECT_EQ(latin1(es["body"].get<std::string>()), sdp.body);
    }
    if (es.contains("diagnostics")) expect_diags(es["diagnostics"], sdiags);
  }
}

TEST(MultipartBoundary, QuotedAndUnquotedParameters) {
  EXPECT_EQ(multipart_boundary("multipart/mixed;boundary=7a9cbec02ceef655"), "7a9cbec02ceef655");
  EXPECT_EQ(multipart_boundary("multipart/mixed; charset=x; BOUNDARY=\"simple boundary\""), "simple boundary");
  EXPECT_EQ(multipart_boundary("multipart/mixed ; boundary = abc ;x=y"), "abc");
  EXPECT_EQ(multipart_boundary("multipart/mixed; xboundary=abc"), "");
  EXPECT_EQ(multipart_boundary("multipart/mixed"), "");
}

TEST(MultipartParse, QuotedBoundaryParamIsAccepted) {
  std::string body = "--a b\r\nContent-Type: text/plain\r\n\r\nx\r\n--a b--\r\n";
  for (std::string_view param : {std::string_view("\"a b\""), std::string_view("a b")}) {
    std::vector<body_part> parts;
    std::vector<diagnostic> d;
    EXPECT_EQ(parse_multipart(body, param, parts, d, 100, 4), status::ok);
    ASSERT_EQ(parts.size(), 1u);
    EXPECT_EQ(parts[0].body, "x");
    EXPECT_EQ(parts[0].body_offset, 100 + body.find("x\r\n"));
    EXPECT_EQ(parts[0].offset, 100 + body.find("Content-Type"));
    EXPECT_EQ(parts[0].headers[0].offset, 100 + body.find("Content-Type"));
    EXPECT_TRUE(d.empty());
  }
}

TEST(MultipartParse, InvalidBoundaryAndDepthZero) {
  std::vector<body_part> parts;
  std::vector<diagnostic> d;
  EXPECT_EQ(parse_multipart("--x\r\n\r\n--x--", "bad boundary ", parts, d, 5, 4), status::malformed);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].code, diag_code::bad_multipart);
  EXPECT_EQ(d[0].rule, "boundary");
  EXPECT_EQ(d[0].offset, 5u);
  d.clear();
  EXPECT_EQ(parse_multipart("--x\r\n\r\n--x--", "x", parts, d, 5, 0), status::malformed);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].code, diag_code::multipart_too_deep);
  EXPECT_TRUE(parts.empty());
  d.clear();
  EXPECT_EQ(parse_multipart(std::string(71, 'a'), std::string(71, 'a'), parts, d, 0, 4), status::malformed);
  EXPECT_EQ(d.at(0).rule, "boundary");
}

TEST(MultipartParse, NoDelimiterAtAll) {
  std::vector<body_part> parts;
  std::vector<diagnostic> d;
  std::string body = "just text, no boundary\r\n";
  EXPECT_EQ(parse_multipart(body, "b", parts, d, 0, 4), status::malformed);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].rule, "dash-boundary");
  EXPECT_EQ(d[0].offset, body.size());
  EXPECT_TRUE(parts.empty());
}

TEST(MultipartParse, BadHeaderLineAndFolding) {
  std::string body =
      "--b\r\nContent-Type: application/sdp;\r\n  charset=x\r\nno colon here\r\n\r\nv=0\r\n--b--";
  std::vector<body_part> parts;
  std::vector<diagnostic> d;
  EXPECT_EQ(parse_multipart(body, "b", parts, d, 0, 4), status::malformed);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].rule, "MIME-part-headers");
  EXPECT_EQ(d[0].offset, body.find("no colon"));
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].header_count, 1);
  EXPECT_EQ(parts[0].headers[0].value, "application/sdp;\r\n  charset=x");
  EXPECT_TRUE(parts[0].is("application/sdp"));
  EXPECT_EQ(parts[0].body, "v=0");
}
