// sipscope-bench internals: the message set and the interface every parser adapter implements.
//
// Each peer library is wrapped in its own translation unit (peer_<name>.cpp) so that its C
// headers (and their macros) never meet another's; main.cpp sees only this header.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sipscope::bench {

// One SIP message cut out of an input file. `text` points into message_set::arena.
struct corpus_message {
  std::string_view text;
  std::string source;             // "corpus/bench/01-invite-sdp.sip" or "file.sip#3"
  std::size_t header_lines = 0;   // header field lines (folded lines count once)
};

struct message_set {
  std::string arena;              // every message back to back; views point here
  std::vector<corpus_message> messages;
  std::vector<std::string> files; // inputs, in load order
  std::size_t bytes() const noexcept;
  std::vector<std::string_view> views() const;
};

// Reads `paths` (files, or directories whose *.sip files are taken in name order) and cuts
// each file into messages by Content-Length framing, like a stream transport. A file holding
// one message without Content-Length is taken whole (datagram). Throws std::runtime_error
// with the file and offset on a framing problem: a benchmark over a mis-cut message is void.
message_set load_messages(const std::vector<std::string>& paths);

// What a parser extracted from one message: used to prove that each library really parsed
// it (the typed values must agree across libraries) and to report rejections.
struct summary {
  bool ok = false;
  std::string error;                    // why the library rejected the message
  std::string top_via_host;             // from the library's typed Via
  std::uint32_t cseq = 0;               // from the library's typed CSeq
  std::string call_id;                  // from the library's Call-ID
  std::vector<std::string> raw_headers; // fields the library kept as untyped name/value
  std::size_t typed_fields = 0;         // header fields (or list elements) it typed
};

class peer {
 public:
  virtual ~peer() = default;
  virtual std::string_view name() const noexcept = 0;   // "sipscope", "osip2", ...
  virtual std::string version() const = 0;              // library version, for the report
  virtual std::string method() const = 0;               // one line: the calls it times
  // Hot path: fully parses every message once, in order; returns how many were rejected.
  virtual std::size_t parse_all(std::span<const std::string_view> msgs) = 0;
  // Slow path (not timed): parses one message and reports what the library produced.
  virtual summary inspect(std::string_view msg) = 0;
};

// The physical bound: split each message into lines with memchr and nothing else.
std::unique_ptr<peer> make_memchr_peer();
std::unique_ptr<peer> make_sipscope_peer();
#if SIPSCOPE_BENCH_HAVE_OSIP2
std::unique_ptr<peer> make_osip2_peer();
#endif
#if SIPSCOPE_BENCH_HAVE_SOFIA
std::unique_ptr<peer> make_sofia_peer();
#endif

}  // namespace sipscope::bench
