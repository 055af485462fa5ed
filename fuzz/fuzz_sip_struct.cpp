// fuzz_sip with a structure-aware mutator (issue 9): byte mutations rarely get past a SIP
// message's header section intact, so most of them test the start-line grammar. This mutator
// works on header lines instead: swap, duplicate, drop, corrupt (libFuzzer's byte mutator on one
// line) and fold them, add headers the grammar knows (compact forms too), tamper with
// Content-Length (too short, too long, negative, huge, not a number, given twice) and change
// line ends. The test itself and its contracts are fuzz_sip's (first byte: configuration).
#include "fuzz_sip.cpp"

#include <algorithm>
#include <cstring>
#include <random>
#include <string>

// Weak: the replay build (no libFuzzer) links this harness too and never calls the mutator.
extern "C" __attribute__((weak)) std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size, std::size_t max);

namespace {

struct sip_parts {
  std::string start;                 // start line, without its line end
  std::vector<std::string> headers;  // header lines, without line ends (folded lines kept whole)
  std::string body;
  bool complete = false;             // an empty line ended the header section
};

sip_parts split(std::string_view s) {
  sip_parts p;
  std::size_t pos = 0;
  bool first = true;
  while (pos < s.size()) {
    std::size_t lf = s.find('\n', pos);
    if (lf == std::string_view::npos) lf = s.size();
    std::string_view line = s.substr(pos, lf - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = lf + 1;
    if (first) {
      p.start = std::string(line);
      first = false;
    } else if (line.empty()) {
      p.complete = true;
      if (pos < s.size()) p.body = std::string(s.substr(pos));
      break;
    } else if ((line[0] == ' ' || line[0] == '\t') && !p.headers.empty()) {
      p.headers.back() += "\r\n";
      p.headers.back() += line;   // a folded line stays with its header
    } else {
      p.headers.emplace_back(line);
    }
  }
  return p;
}

const char* const known_headers[] = {
    "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds;rport;received=192.0.2.9",
    "v: SIP/2.0/TCP [2001:db8::1]:5061;branch=z9hG4bKx;maddr=224.0.0.1;ttl=1",
    "From: \"A \\\"quoted\\\" name\" <sip:alice@example.com;transport=tcp>;tag=1928301774",
    "f: sip:+12125551212@gw;user=phone;tag=x",
    "To: <sips:bob@[2001:db8::2]:5061>;tag=a6c85cf",
    "t: Bob <tel:+1-212-555-1212;phone-context=example.com>",
    "Call-ID: a84b4c76e66710@pc33.example.com",
    "i: 1234@host",
    "CSeq: 314159 INVITE",
    "CSeq: 4294967295 BYE",
    "Contact: <sip:alice@192.0.2.1>;expires=3600;q=0.7, *",
    "m: <sip:x@y>;+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>\"",
    "Max-Forwards: 0",
    "Content-Type: application/sdp",
    "c: multipart/mixed;boundary=unique-boundary-1",
    "Content-Type: message/sipfrag;version=2.0",
    "Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>",
    "Record-Route: <sip:p3.example.com;lr;ftag=x>",
    ("Authorization: Digest username=\"alice\", realm=\"atlanta.com\", nonce=\"84a4cc6f\", uri=\"sip:b\", "
     "response=\"7587245234b3434cc3412213e5f113a5\", qop=auth, nc=00000001, cnonce=\"0a4f113b\""),
    "WWW-Authenticate: Digest realm=\"x\", nonce=\"y\", algorithm=MD5, qop=\"auth,auth-int\"",
    "RSeq: 988789",
    "RAck: 776656 1 INVITE",
    "Event: presence;id=1",
    "Subscription-State: terminated;reason=timeout",
    "Refer-To: <sip:c@d?Replaces=abc%40host%3Bto-tag%3D1%3Bfrom-tag%3D2>",
    "Replaces: 98732@sip.example.com;from-tag=r33th4x0r;to-tag=ff87ff",
    "Session-Expires: 1800;refresher=uac",
    "Reason: Q.850;cause=16;text=\"Terminated\"",
    "P-Asserted-Identity: <sip:+15551234567@example.com>",
    "X-CID: a84b4c76e66710@pc33.example.com",
    "Expires: 4294967296",
    "Content-Length:   ",
};

std::string content_length_value(std::minstd_rand& rng, std::size_t body) {
  switch (rng() % 10) {
    case 0: return "0";
    case 1: return std::to_string(body + 1 + rng() % 64);
    case 2: return std::to_string(body > 0 ? body - 1 - rng() % body : 0);
    case 3: return "-1";
    case 4: return "9223372036854775808";
    case 5: return "18446744073709551616";
    case 6: return "4294967296";
    case 7: return " 12 34";
    case 8: return "0x10";
    default: return std::to_string(body);
  }
}

bool is_content_length(const std::string& h) {
  if (h.size() >= 2 && (h[0] == 'l' || h[0] == 'L') && (h[1] == ':' || h[1] == ' ')) return true;
  return h.size() >= 15 && strncasecmp(h.c_str(), "content-length", 14) == 0;
}

}  // namespace

extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size, std::size_t max_size,
                                               unsigned int seed) {
  std::minstd_rand rng(seed);
  if (size < 2 || rng() % 8 == 0) return LLVMFuzzerMutate ? LLVMFuzzerMutate(data, size, max_size) : size;
  std::uint8_t cfg = data[0];
  if (rng() % 16 == 0) cfg = static_cast<std::uint8_t>(rng());
  sip_parts p = split(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  auto& h = p.headers;
  const auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  const unsigned ops = 1 + rng() % 3;
  for (unsigned k = 0; k < ops; ++k) {
    switch (rng() % 10) {
      case 0:   // swap two header lines
        if (h.size() >= 2) std::swap(h[pick(h.size())], h[pick(h.size())]);
        break;
      case 1:   // duplicate one (possibly many times: the header limits)
        if (!h.empty()) {
          const std::string line = h[pick(h.size())];
          const std::size_t times = rng() % 4 == 0 ? 1 + rng() % 600 : 1;
          for (std::size_t i = 0; i < times && h.size() < 5000; ++i) h.insert(h.begin() + static_cast<std::ptrdiff_t>(pick(h.size() + 1)), line);
        }
        break;
      case 2:   // drop one
        if (!h.empty()) h.erase(h.begin() + static_cast<std::ptrdiff_t>(pick(h.size())));
        break;
      case 3:   // corrupt one with libFuzzer's byte mutator
        if (!h.empty() && LLVMFuzzerMutate) {
          std::string& line = h[pick(h.size())];
          const std::size_t room = line.size() + 16;
          line.resize(room);
          const std::size_t n = LLVMFuzzerMutate(reinterpret_cast<std::uint8_t*>(line.data()), room - 16, room);
          line.resize(n);
        }
        break;
      case 4: {  // tamper with Content-Length (or add one, or a second one)
        const std::string v = content_length_value(rng, p.body.size());
        auto it = std::find_if(h.begin(), h.end(), is_content_length);
        if (it == h.end() || rng() % 4 == 0) h.push_back((rng() & 1 ? "l: " : "Content-Length: ") + v);
        else *it = "Content-Length: " + v;
        break;
      }
      case 5:   // fold a line at a space (RFC 3261 7.3.1 LWS)
        if (!h.empty()) {
          std::string& line = h[pick(h.size())];
          const std::size_t sp = line.find(' ', pick(line.size() + 1));
          if (sp != std::string::npos) line.insert(sp, rng() & 1 ? "\r\n\t" : "\r\n  ");
        }
        break;
      case 6:   // a header the grammar knows, somewhere
        h.insert(h.begin() + static_cast<std::ptrdiff_t>(pick(h.size() + 1)),
                 known_headers[pick(sizeof known_headers / sizeof known_headers[0])]);
        break;
      case 7:   // the start line: corrupt it, or swap it with a header
        if (!h.empty() && rng() & 1) std::swap(p.start, h[pick(h.size())]);
        else if (LLVMFuzzerMutate) {
          p.start.resize(p.start.size() + 16);
          p.start.resize(LLVMFuzzerMutate(reinterpret_cast<std::uint8_t*>(p.start.data()), p.start.size() - 16,
                                          p.start.size()));
        }
        break;
      case 8:   // the body: cut or grow it (Content-Length left as it was)
        if (rng() & 1) p.body.resize(pick(p.body.size() + 1));
        else p.body.append(pick(256), static_cast<char>('a' + pick(26)));
        break;
      default:   // the header section unterminated, or terminated
        p.complete = !p.complete;
        break;
    }
  }
  const char* eol = rng() % 16 == 0 ? "\n" : "\r\n";
  std::string out(1, static_cast<char>(cfg));
  out += p.start;
  out += eol;
  for (const std::string& line : h) {
    out += line;
    out += eol;
  }
  if (p.complete) {
    out += eol;
    out += p.body;
  }
  const std::size_t n = std::min(out.size(), max_size);
  std::memcpy(data, out.data(), n);
  return n;
}
