// SDP (RFC 8866, accepting RFC 4566): line framing, line order, limits and diagnostics around
// the X3 line grammars of rfc8866_sdp_def.hpp (compiled here, and only here).
//
// Each line is framed by hand (find the LF, check the CR before it) and its value matched by
// its own grammar, so a failure is known to the byte and the next line is a natural point to
// resynchronise. Linear: every byte is looked at a bounded number of times.
#include "rfc8866_sdp_def.hpp"

#include "sipscope/parser/sdp.hpp"

namespace sipscope::parser {

namespace {

using rfc8866::failure;

constexpr std::string_view letter_rule(char c) noexcept {
  switch (c) {
    case 'v': return "v=";
    case 'o': return "o=";
    case 's': return "s=";
    case 'i': return "i=";
    case 'u': return "u=";
    case 'e': return "e=";
    case 'p': return "p=";
    case 'c': return "c=";
    case 'b': return "b=";
    case 't': return "t=";
    case 'r': return "r=";
    case 'z': return "z=";
    case 'k': return "k=";
    case 'a': return "a=";
    case 'm': return "m=";
    default: return "sdp-line";
  }
}

// RFC 8866 5: session-level order v o s i u e p c b (t r z)+ k a, then media sections.
constexpr int session_rank(char c) noexcept {
  switch (c) {
    case 'v': return 0;
    case 'o': return 1;
    case 's': return 2;
    case 'i': return 3;
    case 'u': return 4;
    case 'e': return 5;
    case 'p': return 6;
    case 'c': return 7;
    case 'b': return 8;
    case 't': case 'r': case 'z': return 9;
    case 'k': return 10;
    case 'a': return 11;
    case 'm': return 12;
    default: return -1;
  }
}
// Media section: m i c* b* k a*
constexpr int media_rank(char c) noexcept {
  switch (c) {
    case 'i': return 1;
    case 'c': return 2;
    case 'b': return 3;
    case 'k': return 4;
    case 'a': return 5;
    default: return -1;
  }
}
constexpr bool single_line(char c) noexcept {
  return c == 'v' || c == 'o' || c == 's' || c == 'i' || c == 'u' || c == 'c' || c == 'k';
}

struct attr_entry {
  std::string_view name;
  sdp_attr kind;
  std::string_view rule;
};
constexpr attr_entry attr_table[] = {
    {"rtpmap", sdp_attr::rtpmap, "a=rtpmap"},       {"fmtp", sdp_attr::fmtp, "a=fmtp"},
    {"ptime", sdp_attr::ptime, "a=ptime"},          {"maxptime", sdp_attr::maxptime, "a=maxptime"},
    {"sendrecv", sdp_attr::sendrecv, "a=sendrecv"}, {"sendonly", sdp_attr::sendonly, "a=sendonly"},
    {"recvonly", sdp_attr::recvonly, "a=recvonly"}, {"inactive", sdp_attr::inactive, "a=inactive"},
    {"rtcp", sdp_attr::rtcp, "a=rtcp"},             {"rtcp-mux", sdp_attr::rtcp_mux, "a=rtcp-mux"},
    {"crypto", sdp_attr::crypto, "a=crypto"},       {"candidate", sdp_attr::candidate, "a=candidate"},
    {"mid", sdp_attr::mid, "a=mid"},                {"setup", sdp_attr::setup, "a=setup"},
    {"fingerprint", sdp_attr::fingerprint, "a=fingerprint"},
};

const attr_entry* lookup_attr(std::string_view name) noexcept {
  for (const auto& e : attr_table)
    if (e.name == name) return &e;
  return nullptr;
}

bool is_flag(sdp_attr k) noexcept {
  return k == sdp_attr::sendrecv || k == sdp_attr::sendonly || k == sdp_attr::recvonly ||
         k == sdp_attr::inactive || k == sdp_attr::rtcp_mux;
}

bool is_direction(sdp_attr k) noexcept {
  return k == sdp_attr::sendrecv || k == sdp_attr::sendonly || k == sdp_attr::recvonly ||
         k == sdp_attr::inactive;
}

sdp_direction to_direction(sdp_attr k) noexcept {
  switch (k) {
    case sdp_attr::sendonly: return sdp_direction::sendonly;
    case sdp_attr::recvonly: return sdp_direction::recvonly;
    case sdp_attr::inactive: return sdp_direction::inactive;
    default: return sdp_direction::sendrecv;
  }
}

class sdp_parser {
 public:
  sdp_parser(std::string_view body, sdp_session& s, std::vector<diagnostic>& diags,
             std::uint32_t base, const sdp_limits& lim)
      : body_(body), s_(s), diags_(diags), base_(base), lim_(lim) {}

  status run() {
    if (body_.size() > lim_.max_size) {
      report(severity::error, body_.data() + lim_.max_size, 0, "sdp", "description within sdp_limits::max_size");
      return status::malformed;
    }
    std::size_t pos = 0;
    bool lf_warned = false;
    while (pos < body_.size()) {
      std::size_t lf = body_.find('\n', pos);
      std::size_t end = lf == std::string_view::npos ? body_.size() : lf;
      std::size_t next = lf == std::string_view::npos ? body_.size() : lf + 1;
      if (lf == std::string_view::npos) {
        // reported after the line's own diagnostics, below
      } else if (end > pos && body_[end - 1] == '\r') {
        --end;
      } else if (!lf_warned) {
        // RFC 8866 5 wants CRLF but tells parsers to accept a bare LF: many UAs send it.
        lf_warned = true;
        report(severity::warning, body_.data() + lf, 1, "CRLF", "CRLF line end (bare LF accepted)");
      }
      std::string_view line = body_.substr(pos, end - pos);
      if (line.empty()) {
        if (body_.find_first_not_of("\r\n", pos) == std::string_view::npos) {
          report(severity::warning, line.data(), 0, "sdp-line", "no empty line after the description");
          break;
        }
        report(severity::error, line.data(), 0, "sdp-line", "type=value line (no empty lines)");
      } else {
        process(line);
      }
      if (lf == std::string_view::npos)
        report(severity::error, body_.data() + body_.size(), 0, "CRLF", "CRLF at the end of the line");
      pos = next;
    }
    const char* at_end = body_.data() + body_.size();
    require_before(13, at_end);
    if (!s_.session_connection.count) {
      for (const auto& m : s_.media) {
        if (!m.connections.count) {
          report(severity::error, body_.data() + (m.offset - base_), 2, "c=",
                 "c= at session level or in every media description (RFC 8866 5.7)");
          break;
        }
      }
    }
    return error_ ? status::malformed : status::ok;
  }

 private:
  void report(severity lv, const char* at, std::uint32_t len, std::string_view rule,
              std::string_view expected) {
    if (lv == severity::error) error_ = true;
    if (added_ >= lim_.max_diagnostics) return;
    ++added_;
    diags_.push_back(diagnostic{diag_code::bad_sdp, lv, offset(at), len, rule, expected});
  }
  std::uint32_t offset(const char* at) const noexcept {
    return base_ + static_cast<std::uint32_t>(at - body_.data());
  }
  void fail(const failure& f, std::string_view rule, std::string_view value) {
    const char* at = f.pos ? f.pos : value.data();
    report(severity::error, at, 0, rule, f.expected.empty() ? std::string_view("value") : f.expected);
  }
  // Mandatory lines (v o s t) that should have come before a line of rank `rank`.
  void require_before(int rank, const char* at) {
    static constexpr struct { char letter; int rank; std::string_view rule, expected; } mandatory[] = {
        {'v', 0, "v=", "v= as the first line (RFC 8866 5)"},
        {'o', 1, "o=", "mandatory o= line"},
        {'s', 2, "s=", "mandatory s= line"},
        {'t', 9, "t=", "at least one t= line"},
    };
    for (const auto& m : mandatory) {
      int bit = 1 << (m.letter - 'a');
      if (m.rank < rank && !(seen_ & bit) && !(missing_reported_ & bit)) {
        missing_reported_ |= bit;
        report(severity::error, at, 0, m.rule, m.expected);
      }
    }
  }
  bool room(std::size_t n) {
    if (n < lim_.max_fields) return true;
    if (!fields_reported_) {
      fields_reported_ = true;
      report(severity::error, cur_, 0, "sdp", "at most sdp_limits::max_fields lines of a kind");
    }
    return false;
  }

  void process(std::string_view line) {
    cur_ = line.data();
    if (line.size() < 2 || line[1] != '=') {
      report(severity::error, line.data() + (line.size() < 2 ? line.size() : 1), 0, "sdp-line",
             "'=' after the type letter");
      return;
    }
    char c = line[0];
    std::string_view value = line.substr(2);
    // RFC 8866 5: "An SDP parser MUST completely ignore or reject any session description
    // that contains a type letter that it does not understand": we reject (error).
    if (session_rank(c) < 0) {
      report(severity::error, line.data(), std::uint32_t(line.size()), "sdp-line",
             "a type letter of RFC 8866 5 (v o s i u e p c b t r z k a m)");
      return;
    }
    if (c == 'm') {
      require_before(12, line.data());
      start_media(value);
      return;
    }
    if (in_media_) {
      if (skip_section_) return;
      media_line(c, line, value);
      return;
    }
    int r = session_rank(c);
    require_before(r, line.data());
    int bit = 1 << (c - 'a');
    if (r < rank_) {
      report(severity::error, line.data(), std::uint32_t(line.size()), letter_rule(c),
             "line order v o s i u e p c b t r z k a m (RFC 8866 5)");
      return;
    }
    if (single_line(c) && (seen_ & bit)) {
      report(severity::error, line.data(), std::uint32_t(line.size()), letter_rule(c),
             "at most one such line (RFC 8866 5)");
      return;
    }
    if ((c == 'r' || c == 'z') && s_.times.empty()) {
      report(severity::error, line.data(), std::uint32_t(line.size()), letter_rule(c), "a t= line before it");
      return;
    }
    if (c == 'z' && zone_seen_) {
      report(severity::error, line.data(), std::uint32_t(line.size()), "z=", "at most one z= line per t=");
      return;
    }
    rank_ = r;
    seen_ |= bit;
    session_line(c, line, value);
  }

  void session_line(char c, std::string_view line, std::string_view value) {
    failure f;
    switch (c) {
      case 'v':
        if (rfc8866::version(value, f)) s_.version = value;
        else fail(f, "v=", value);
        break;
      case 'o': {
        sdp_origin o;
        if (rfc8866::origin(value, o, f)) s_.origin = o;
        else fail(f, "o=", value);
        break;
      }
      case 's':
        // RFC 8866 5.3: "MUST NOT be empty" ("s= " when there is no name). RFC 3264's and
        // RFC 8839's own examples send "s=", so an empty name is only a warning.
        if (value.empty()) report(severity::warning, value.data(), 0, "s=", "a session name (\"s= \" when none, RFC 8866 5.3)");
        else if (rfc8866::text(value, f)) s_.name = value;
        else fail(f, "s=", value);
        break;
      case 'i':
        if (rfc8866::text(value, f)) s_.information = value;
        else fail(f, "i=", value);
        break;
      case 'u':
        if (rfc8866::uri(value, f)) s_.uri = value;
        else fail(f, "u=", value);
        break;
      case 'e':
        if (!rfc8866::email(value, f)) fail(f, "e=", value);
        else if (room(s_.emails.size())) s_.emails.push_back(value);
        break;
      case 'p':
        if (!rfc8866::phone(value, f)) fail(f, "p=", value);
        else if (room(s_.phones.size())) s_.phones.push_back(value);
        break;
      case 'c': {
        sdp_connection conn;
        if (connection(line, value, conn) && room(s_.connections.size())) {
          s_.session_connection = {std::uint16_t(s_.connections.size()), 1};
          s_.connections.push_back(conn);
        }
        break;
      }
      case 'b':
        bandwidth(value, s_.session_bandwidths);
        break;
      case 't': {
        sdp_time t;
        zone_seen_ = false;
        if (!rfc8866::timing(value, t, f)) {
          fail(f, "t=", value);
          t = sdp_time{};  // keep the time description so that its r= lines attach to it
        }
        t.repeats = {std::uint16_t(s_.repeats.size()), 0};
        if (room(s_.times.size())) s_.times.push_back(t);
        break;
      }
      case 'r': {
        sdp_repeat r;
        if (!rfc8866::repeat(value, r, f)) fail(f, "r=", value);
        else if (room(s_.repeats.size())) {
          s_.repeats.push_back(r);
          ++s_.times.back().repeats.count;
        }
        break;
      }
      case 'z':
        zone_seen_ = true;
        if (rfc8866::zone(value, f)) s_.zone_adjustments = value;
        else fail(f, "z=", value);
        break;
      case 'k':
        if (rfc8866::key(value, s_.key, f)) s_.has_key = true;
        else fail(f, "k=", value);
        break;
      case 'a':
        attribute(line, value, s_.session_attributes);
        break;
      default:
        break;
    }
  }

  void start_media(std::string_view value) {
    in_media_ = true;
    mrank_ = 0;
    mseen_ = 0;
    skip_section_ = true;
    if (s_.media.size() >= lim_.max_media) {
      if (!media_reported_) {
        media_reported_ = true;
        report(severity::error, cur_, 0, "m=", "at most sdp_limits::max_media media descriptions");
      }
      return;
    }
    rfc8866::media_line ml;
    failure f;
    if (!rfc8866::media(value, ml, f)) {
      fail(f, "m=", value);
      return;  // the section's lines are skipped up to the next m=
    }
    sdp_media m;
    m.type = ml.type;
    m.port = ml.port;
    m.num_ports = ml.num_ports;
    m.proto = ml.proto;
    m.offset = offset(cur_);
    m.formats.first = std::uint16_t(s_.format_pool.size());
    // RTP profiles carry payload type numbers (RFC 8866 5.14, RFC 3551 3): 0..127.
    bool rtp = ml.proto.find("RTP/") != std::string_view::npos;
    std::string_view rest = ml.formats;
    while (!rest.empty()) {
      std::size_t sp = rest.find(' ');
      std::string_view fmt = rest.substr(0, sp);
      rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
      if (rtp) {
        std::uint64_t v = 0;
        bool digits = fmt.size() <= 3;
        for (char ch : fmt) digits = digits && ch >= '0' && ch <= '9';
        if (!digits || !rfc8866::to_u64(fmt, v) || v > 127)
          report(severity::error, fmt.data(), std::uint32_t(fmt.size()), "m=", "RTP payload type (0..127)");
      }
      if (!room(s_.format_pool.size())) break;
      s_.format_pool.push_back(fmt);
      ++m.formats.count;
    }
    m.connections.first = std::uint16_t(s_.connections.size());
    m.bandwidths.first = std::uint16_t(s_.bandwidth_pool.size());
    m.attributes.first = std::uint16_t(s_.attribute_pool.size());
    s_.media.push_back(m);
    skip_section_ = false;
  }

  void media_line(char c, std::string_view line, std::string_view value) {
    int r = media_rank(c);
    if (r < 0) {
      report(severity::error, line.data(), std::uint32_t(line.size()), letter_rule(c),
             "a line allowed in a media description: i c b k a (RFC 8866 5)");
      return;
    }
    int bit = 1 << (c - 'a');
    if (r < mrank_) {
      report(severity::error, line.data(), std::uint32_t(line.size()), letter_rule(c),
             "media line order m i c b k a (RFC 8866 5)");
      return;
    }
    if ((c == 'i' || c == 'k') && (mseen_ & bit)) {
      report(severity::error, line.data(), std::uint32_t(line.size()), letter_rule(c),
             "at most one such line (RFC 8866 5)");
      return;
    }
    mrank_ = r;
    mseen_ |= bit;
    sdp_media& m = s_.media.back();
    failure f;
    switch (c) {
      case 'i':
        if (rfc8866::text(value, f)) m.information = value;
        else fail(f, "i=", value);
        break;
      case 'c': {
        sdp_connection conn;
        if (connection(line, value, conn) && room(s_.connections.size())) {
          s_.connections.push_back(conn);
          ++m.connections.count;
        }
        break;
      }
      case 'b':
        bandwidth(value, m.bandwidths);
        break;
      case 'k':
        if (rfc8866::key(value, m.key, f)) m.has_key = true;
        else fail(f, "k=", value);
        break;
      case 'a':
        attribute(line, value, m.attributes);
        break;
      default:
        break;
    }
  }

  // c=: the grammar splits "/ttl/number" off; RFC 8866 5.7 says which address takes which.
  bool connection(std::string_view line, std::string_view value, sdp_connection& c) {
    rfc8866::connection_line cl;
    failure f;
    if (!rfc8866::connection(value, cl, f)) {
      fail(f, "c=", value);
      return false;
    }
    if (!rfc8866::address(cl.addrtype, cl.address, c.address_kind, f)) {
      fail(f, "c=", value);
      return false;
    }
    c.nettype = cl.nettype;
    c.addrtype = cl.addrtype;
    c.address = cl.address;
    c.offset = offset(line.data());
    bool v4mc = false, v6mc = false;
    if (c.address_kind == sdp_addr::ipv4) {
      unsigned first = 0;
      for (char ch : cl.address) {
        if (ch == '.') break;
        first = first * 10 + unsigned(ch - '0');
      }
      v4mc = first >= 224 && first <= 239;
    } else if (c.address_kind == sdp_addr::ipv6) {
      v6mc = cl.address.size() >= 2 && (cl.address[0] == 'f' || cl.address[0] == 'F') &&
             (cl.address[1] == 'f' || cl.address[1] == 'F');
    }
    c.multicast = v4mc || v6mc;
    if (v4mc) {
      if (cl.slash1.empty()) {
        report(severity::error, cl.address.data() + cl.address.size(), 0, "c=",
               "/ttl after an IPv4 multicast address");
        return false;
      }
      if (cl.n1 > 255) {
        report(severity::error, cl.slash1.data() + 1, 0, "c=", "ttl (0..255)");
        return false;
      }
      c.has_ttl = true;
      c.ttl = std::uint8_t(cl.n1);
      if (!cl.slash2.empty()) c.num_addresses = cl.n2;
    } else if (v6mc) {
      if (!cl.slash2.empty()) {
        report(severity::error, cl.slash2.data(), 0, "c=", "end of line (no ttl for IPv6, RFC 8866 5.7)");
        return false;
      }
      if (!cl.slash1.empty()) c.num_addresses = cl.n1;
    } else if (!cl.slash1.empty() && c.address_kind != sdp_addr::other) {
      report(severity::error, cl.slash1.data(), 0, "c=", "end of line (/ttl only for multicast)");
      return false;
    }
    if (c.num_addresses == 0) {
      report(severity::error, cl.slash2.empty() ? cl.slash1.data() + 1 : cl.slash2.data() + 1, 0, "c=",
             "number of addresses (1 or more)");
      return false;
    }
    return true;
  }

  void bandwidth(std::string_view value, sdp_range& range) {
    sdp_bandwidth b;
    failure f;
    if (!rfc8866::bandwidth(value, b, f)) {
      fail(f, "b=", value);
      return;
    }
    if (!room(s_.bandwidth_pool.size())) return;
    s_.bandwidth_pool.push_back(b);
    if (!range.count) range.first = std::uint16_t(s_.bandwidth_pool.size() - 1);
    ++range.count;
  }

  void attribute(std::string_view line, std::string_view value, sdp_range& range) {
    sdp_attribute a;
    failure f;
    if (!rfc8866::attribute(value, a, f)) {
      fail(f, "a=", value);
      return;
    }
    a.offset = offset(line.data());
    if (const attr_entry* e = lookup_attr(a.name)) {
      a.kind = e->kind;
      a.valid = check_attribute(a, e->rule);
    }
    if (s_.attribute_pool.size() >= lim_.max_attributes) {
      if (!attrs_reported_) {
        attrs_reported_ = true;
        report(severity::error, line.data(), 0, "a=", "at most sdp_limits::max_attributes a= lines");
      }
      return;
    }
    s_.attribute_pool.push_back(a);
    if (!range.count) range.first = std::uint16_t(s_.attribute_pool.size() - 1);
    ++range.count;
  }

  bool check_attribute(const sdp_attribute& a, std::string_view rule) {
    const char* name_end = a.name.data() + a.name.size();
    if (is_flag(a.kind)) {
      if (!a.has_value) return true;
      report(severity::error, name_end, 0, rule, "end of line (a property attribute has no value)");
      return false;
    }
    if (!a.has_value) {
      report(severity::error, name_end, 0, rule, "':' and a value");
      return false;
    }
    failure f;
    bool ok = true;
    switch (a.kind) {
      case sdp_attr::rtpmap: { sdp_rtpmap v; ok = rfc8866::rtpmap(a.value, v, f); break; }
      case sdp_attr::fmtp: { sdp_fmtp v; ok = rfc8866::fmtp(a.value, v, f); break; }
      case sdp_attr::ptime:
      case sdp_attr::maxptime: { sdp_ptime v; ok = rfc8866::ptime(a.value, v, f); break; }
      case sdp_attr::rtcp: { sdp_rtcp v; ok = rfc8866::rtcp(a.value, v, f); break; }
      case sdp_attr::crypto: { sdp_crypto v; ok = rfc8866::crypto(a.value, v, f); break; }
      case sdp_attr::candidate: { sdp_candidate v; ok = rfc8866::candidate(a.value, v, f); break; }
      case sdp_attr::mid: { std::string_view v; ok = rfc8866::mid(a.value, v, f); break; }
      case sdp_attr::setup: { sdp_setup v; ok = rfc8866::setup(a.value, v, f); break; }
      case sdp_attr::fingerprint: {
        sdp_fingerprint v;
        ok = rfc8866::fingerprint(a.value, v, f);
        if (ok) {
          for (const char& ch : v.value) {
            if (ch >= 'a' && ch <= 'f') {
              // RFC 8122 5 wants UHEX; lower case is common enough to only warn.
              report(severity::warning, &ch, 0, rule, "upper-case hex (RFC 8122 5)");
              break;
            }
          }
        }
        break;
      }
      default: break;
    }
    if (!ok) fail(f, rule, a.value);
    return ok;
  }

  std::string_view body_;
  sdp_session& s_;
  std::vector<diagnostic>& diags_;
  std::uint32_t base_;
  const sdp_limits& lim_;
  const char* cur_ = nullptr;  // start of the current line
  std::uint32_t added_ = 0;
  bool error_ = false;
  int rank_ = -1;              // session-level order
  int seen_ = 0;               // session letters seen (bit per letter)
  int missing_reported_ = 0;
  bool zone_seen_ = false;
  bool in_media_ = false;
  bool skip_section_ = false;  // the current m= was rejected: skip its lines
  int mrank_ = 0;
  int mseen_ = 0;
  bool media_reported_ = false, attrs_reported_ = false, fields_reported_ = false;
};

}  // namespace

void sdp_session::clear() noexcept {
  version = {};
  origin = {};
  name = information = uri = {};
  emails.clear();
  phones.clear();
  times.clear();
  repeats.clear();
  zone_adjustments = {};
  key = {};
  has_key = false;
  media.clear();
  connections.clear();
  bandwidth_pool.clear();
  attribute_pool.clear();
  format_pool.clear();
  session_connection = session_bandwidths = session_attributes = {};
}

const sdp_connection* sdp_session::connection() const noexcept {
  return session_connection.count && session_connection.first < connections.size()
             ? &connections[session_connection.first]
             : nullptr;
}

const sdp_connection* sdp_session::connection(const sdp_media& m) const noexcept {
  if (m.connections.count && m.connections.first < connections.size()) return &connections[m.connections.first];
  return connection();
}

const sdp_attribute* sdp_session::find(std::string_view n) const noexcept {
  for (const auto& a : attributes())
    if (a.name == n) return &a;
  return nullptr;
}

const sdp_attribute* sdp_session::find(const sdp_media& m, std::string_view n) const noexcept {
  for (const auto& a : attributes(m))
    if (a.name == n) return &a;
  return nullptr;
}

sdp_direction sdp_session::direction() const noexcept {
  for (const auto& a : attributes())
    if (is_direction(a.kind) && a.valid) return to_direction(a.kind);
  return sdp_direction::sendrecv;
}

sdp_direction sdp_session::direction(const sdp_media& m) const noexcept {
  for (const auto& a : attributes(m))
    if (is_direction(a.kind) && a.valid) return to_direction(a.kind);
  return direction();
}

status parse_sdp(std::string_view body, sdp_session& out, std::vector<diagnostic>& diags,
                 std::uint32_t base_offset, const sdp_limits& limits) noexcept {
  out.clear();
  sdp_parser p(body, out, diags, base_offset, limits);
  return p.run();
}

bool parse_rtpmap(std::string_view v, sdp_rtpmap& out) noexcept { failure f; return rfc8866::rtpmap(v, out, f); }
bool parse_fmtp(std::string_view v, sdp_fmtp& out) noexcept { failure f; return rfc8866::fmtp(v, out, f); }
bool parse_ptime(std::string_view v, sdp_ptime& out) noexcept { failure f; return rfc8866::ptime(v, out, f); }
bool parse_rtcp(std::string_view v, sdp_rtcp& out) noexcept { failure f; return rfc8866::rtcp(v, out, f); }
bool parse_crypto(std::string_view v, sdp_crypto& out) noexcept { failure f; return rfc8866::crypto(v, out, f); }
bool parse_candidate(std::string_view v, sdp_candidate& out) noexcept { failure f; return rfc8866::candidate(v, out, f); }
bool parse_setup(std::string_view v, sdp_setup& out) noexcept { failure f; return rfc8866::setup(v, out, f); }
bool parse_fingerprint(std::string_view v, sdp_fingerprint& out) noexcept { failure f; return rfc8866::fingerprint(v, out, f); }
bool parse_mid(std::string_view v, std::string_view& out) noexcept { failure f; return rfc8866::mid(v, out, f); }

bool next_extension(std::string_view& rest, std::string_view& name, std::string_view& value) noexcept {
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  if (rest.empty()) return false;
  std::size_t sp = rest.find(' ');
  name = rest.substr(0, sp);
  if (sp == std::string_view::npos) {
    value = {};
    rest = {};
    return true;
  }
  rest.remove_prefix(sp + 1);
  std::size_t sp2 = rest.find(' ');
  value = rest.substr(0, sp2);
  rest = sp2 == std::string_view::npos ? std::string_view() : rest.substr(sp2 + 1);
  return true;
}

bool find_rtpmap(const sdp_session& s, const sdp_media& m, std::uint8_t pt, sdp_rtpmap& out) noexcept {
  for (const auto& a : s.attributes(m))
    if (a.kind == sdp_attr::rtpmap && a.valid && parse_rtpmap(a.value, out) && out.payload_type == pt) return true;
  return false;
}

std::string_view to_string(sdp_direction d) noexcept {
  switch (d) {
    case sdp_direction::sendrecv: return "sendrecv";
    case sdp_direction::sendonly: return "sendonly";
    case sdp_direction::recvonly: return "recvonly";
    case sdp_direction::inactive: return "inactive";
  }
  return "?";
}

std::string_view to_string(sdp_setup s) noexcept {
  switch (s) {
    case sdp_setup::active: return "active";
    case sdp_setup::passive: return "passive";
    case sdp_setup::actpass: return "actpass";
    case sdp_setup::holdconn: return "holdconn";
  }
  return "?";
}

std::string_view to_string(sdp_addr a) noexcept {
  switch (a) {
    case sdp_addr::none: return "none";
    case sdp_addr::ipv4: return "ipv4";
    case sdp_addr::ipv6: return "ipv6";
    case sdp_addr::fqdn: return "fqdn";
    case sdp_addr::other: return "other";
  }
  return "?";
}

}  // namespace sipscope::parser
