// WebSocket stream decoder (websocket.hpp): handshakes, masked frames, fragmentation with
// interleaved control frames, 16/64-bit lengths, every split point of a stream, and the errors.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sipscope/capture/websocket.hpp"

using namespace sipscope::capture;

namespace {

const std::string invite =
    "INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK56sdasks\r\n"
    "Call-ID: asidkj3ss\r\nContent-Length: 0\r\n\r\n";

const std::string client_hs =
    "GET / HTTP/1.1\r\nHost: proxy.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: http://www.example.com\r\n"
    "Sec-WebSocket-Protocol: sip\r\nSec-WebSocket-Version: 13\r\n\r\n";
const std::string server_hs =
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: sip\r\n\r\n";

// One frame: opcode, FIN, payload, masked with `key` when given.
std::string frame(unsigned opcode, std::string_view payload, bool fin = true, const char* key = nullptr) {
  std::string f;
  f.push_back(char((fin ? 0x80 : 0) | opcode));
  unsigned m = key ? 0x80 : 0;
  if (payload.size() < 126) {
    f.push_back(char(m | payload.size()));
  } else if (payload.size() < 65536) {
    f.push_back(char(m | 126));
    f.push_back(char(payload.size() >> 8));
    f.push_back(char(payload.size() & 0xff));
  } else {
    f.push_back(char(m | 127));
    for (int i = 7; i >= 0; --i) f.push_back(char((std::uint64_t(payload.size()) >> (8 * i)) & 0xff));
  }
  if (key) f.append(key, 4);
  for (std::size_t i = 0; i < payload.size(); ++i) f.push_back(key ? char(payload[i] ^ key[i & 3]) : payload[i]);
  return f;
}
const char* const K = "\x37\xfa\x21\x3d";

struct out {
  std::vector<std::string> messages;
  std::vector<bool> text;
  std::vector<std::uint64_t> frame_numbers;
  std::vector<ws_error> errors;
  int closes = 0;
  std::uint16_t close_code = 0;
  std::string close_reason;
};

void drain(ws_stream& s, out& o) {
  ws_event ev;
  while (s.next(ev)) {
    switch (ev.kind) {
      case ws_event_kind::message:
        o.messages.emplace_back(ev.payload);
        o.text.push_back(ev.text);
        o.frame_numbers.push_back(ev.frame.number);
        break;
      case ws_event_kind::close:
        ++o.closes;
        o.close_code = ev.close_code;
        o.close_reason = std::string(ev.payload);
        break;
      case ws_event_kind::error:
        o.errors.push_back(ev.error);
        EXPECT_FALSE(ev.what.empty());
        break;
    }
  }
}

// Feeds `bytes` as chunks cut at `cuts` (frame numbers 1, 2, ...), every chunk copied to an
// exactly sized heap buffer so ASan sees over-reads.
out run(ws_role role, std::string_view bytes, std::vector<std::size_t> cuts = {}, ws_limits lim = {}) {
  ws_stream s(role, lim);
  out o;
  std::size_t at = 0;
  cuts.push_back(bytes.size());
  std::uint64_t n = 0;
  for (std::size_t c : cuts) {
    std::vector<char> chunk(bytes.begin() + at, bytes.begin() + c);
    s.feed(std::string_view(chunk.data(), chunk.size()), frame_ref{0, 0, ++n});
    drain(s, o);
    at = c;
  }
  return o;
}

}  // namespace

TEST(websocket, handshake_and_masked_text_frames) {
  std::string bytes = client_hs + frame(1, invite, true, K) + frame(1, "second", true, K);
  out o = run(ws_role::client, bytes);
  ASSERT_EQ(o.messages.size(), 2u);
  EXPECT_EQ(o.messages[0], invite);
  EXPECT_EQ(o.messages[1], "second");
  EXPECT_TRUE(o.text[0]);
  EXPECT_TRUE(o.errors.empty());

  ws_stream s(ws_role::client);
  s.feed(bytes, {});
  drain(s, o);
  EXPECT_TRUE(s.sip_subprotocol());
  EXPECT_EQ(s.current_state(), ws_stream::state::frames);
  EXPECT_EQ(s.stream_offset(), bytes.size());
}

TEST(websocket, server_side_unmasked_binary) {
  std::string bytes = server_hs + frame(2, "SIP/2.0 200 OK\r\n\r\n");
  out o = run(ws_role::server, bytes);
  ASSERT_EQ(o.messages.size(), 1u);
  EXPECT_FALSE(o.text[0]);
  EXPECT_TRUE(o.errors.empty());
}

TEST(websocket, fragmented_message_with_interleaved_ping) {
  std::string bytes = client_hs + frame(1, invite.substr(0, 10), false, K) + frame(9, "ping!", true, K) +
                      frame(0, invite.substr(10, 50), false, K) + frame(10, "", true, K) +
                      frame(0, invite.substr(60), true, K);
  ws_stream s(ws_role::client);
  s.feed(bytes, {0, 0, 7});
  ws_event ev;
  ASSERT_TRUE(s.next(ev));
  EXPECT_EQ(ev.kind, ws_event_kind::message);
  EXPECT_EQ(ev.payload, invite);
  EXPECT_EQ(ev.fragments, 3u);
  EXPECT_EQ(ev.frame.number, 7u);
  EXPECT_EQ(ev.stream_offset, client_hs.size());
  EXPECT_FALSE(s.next(ev));
  EXPECT_EQ(s.control_frames(), 2u);
  EXPECT_EQ(s.messages(), 1u);
}

TEST(websocket, extended_lengths) {
  std::string m16(300, 'a'), m64(70000, 'b');
  m16[0] = 'X'; m64[69999] = 'Y';
  std::string bytes = client_hs + frame(1, m16, true, K) + frame(2, m64, true, K);
  out o = run(ws_role::client, bytes);
  ASSERT_EQ(o.messages.size(), 2u);
  EXPECT_EQ(o.messages[0], m16);
  EXPECT_EQ(o.messages[1], m64);
  // limits: a frame over max_frame is fatal
  ws_limits lim;
  lim.max_frame = 1000;
  o = run(ws_role::client, bytes, {}, lim);
  ASSERT_EQ(o.messages.size(), 1u);
  ASSERT_EQ(o.errors.size(), 1u);
  EXPECT_EQ(o.errors[0], ws_error::frame_too_large);
}

TEST(websocket, every_split_point) {
  std::string bytes = client_hs + frame(1, invite.substr(0, 30), false, K) + frame(9, "p", true, K) +
                      frame(0, invite.substr(30), true, K) + frame(2, std::string(200, 'z'), true, K) +
                      frame(8, "\x03\xe8" "bye", true, K);
  for (std::size_t i = 0; i <= bytes.size(); ++i) {
    out o = run(ws_role::client, bytes, {i});
    ASSERT_EQ(o.messages.size(), 2u) << i;
    EXPECT_EQ(o.messages[0], invite) << i;
    EXPECT_EQ(o.messages[1], std::string(200, 'z')) << i;
    EXPECT_TRUE(o.errors.empty()) << i;
    EXPECT_EQ(o.closes, 1) << i;
    EXPECT_EQ(o.close_code, 1000) << i;
    EXPECT_EQ(o.close_reason, "bye") << i;
    // the frame that completed the first message
    std::size_t end1 = client_hs.size() + 2 + 4 + 30 + 2 + 4 + 1 + 2 + 4 + (invite.size() - 30);
    EXPECT_EQ(o.frame_numbers[0], i >= end1 ? 1u : 2u) << i;
  }
  // and byte by byte
  std::vector<std::size_t> all;
  for (std::size_t i = 1; i < bytes.size(); ++i) all.push_back(i);
  out o = run(ws_role::client, bytes, all);
  ASSERT_EQ(o.messages.size(), 2u);
  EXPECT_EQ(o.messages[0], invite);
  EXPECT_EQ(o.closes, 1);
}

TEST(websocket, unmasked_client_frame_is_decoded_with_a_diagnostic) {
  out o = run(ws_role::client, client_hs + frame(1, invite) + frame(1, "x", true, K));
  ASSERT_EQ(o.messages.size(), 2u);
  EXPECT_EQ(o.messages[0], invite);
  ASSERT_EQ(o.errors.size(), 1u);
  EXPECT_EQ(o.errors[0], ws_error::unmasked_client_frame);
  EXPECT_FALSE(is_fatal(o.errors[0]));
  o = run(ws_role::server, server_hs + frame(1, invite, true, K));
  ASSERT_EQ(o.messages.size(), 1u);
  EXPECT_EQ(o.messages[0], invite);
  ASSERT_EQ(o.errors.size(), 1u);
  EXPECT_EQ(o.errors[0], ws_error::masked_server_frame);
}

TEST(websocket, oversize_message_and_bad_headers_are_fatal) {
  ws_limits lim;
  lim.max_message = 100;
  std::string bytes = client_hs + frame(1, std::string(60, 'a'), false, K) + frame(0, std::string(60, 'b'), true, K) +
                      frame(1, "never", true, K);
  ws_stream s(ws_role::client, lim);
  out o;
  s.feed(bytes, {});
  drain(s, o);
  EXPECT_TRUE(o.messages.empty());
  ASSERT_EQ(o.errors.size(), 1u);
  EXPECT_EQ(o.errors[0], ws_error::message_too_large);
  EXPECT_EQ(s.current_state(), ws_stream::state::failed);
  EXPECT_GT(s.ignored_bytes(), 0u);

  struct bad { std::string hdr; ws_error e; };
  const bad cases[] = {
      {"\xc1\x80", ws_error::reserved_bits},
      {"\x83\x80", ws_error::bad_opcode},
      {"\x8b\x80", ws_error::bad_opcode},
      {"\x09\x80", ws_error::bad_control_frame},           // fragmented ping
      {std::string("\x89\xfe\x00\x7e", 4), ws_error::bad_control_frame},   // 126-byte ping
      {std::string("\x81\xff\x80\0\0\0\0\0\0\0", 10), ws_error::bad_length},
  };
  for (const bad& c : cases) {
    out r = run(ws_role::client, client_hs + c.hdr + std::string(200, '\0') + frame(1, "after", true, K));
    EXPECT_TRUE(r.messages.empty()) << to_string(c.e);
    ASSERT_EQ(r.errors.size(), 1u) << to_string(c.e);
    EXPECT_EQ(r.errors[0], c.e);
    EXPECT_TRUE(is_fatal(c.e));
  }
}

TEST(websocket, close_frame_ends_the_stream) {
  std::string bytes = server_hs + frame(1, "one") + frame(8, "") + frame(1, "two");
  ws_stream s(ws_role::server);
  out o;
  s.feed(bytes, {});
  drain(s, o);
  ASSERT_EQ(o.messages.size(), 1u);
  EXPECT_EQ(o.closes, 1);
  EXPECT_EQ(o.close_code, 0);
  ASSERT_EQ(o.errors.size(), 1u);
  EXPECT_EQ(o.errors[0], ws_error::data_after_close);
  EXPECT_EQ(s.current_state(), ws_stream::state::closed);
  EXPECT_EQ(s.ignored_bytes(), frame(1, "two").size());
}

TEST(websocket, orphan_continuation_and_interrupted_message) {
  std::string bytes = client_hs + frame(0, "lost", true, K) + frame(1, "half", false, K) + frame(1, "whole", true, K);
  out o = run(ws_role::client, bytes);
  ASSERT_EQ(o.messages.size(), 1u);
  EXPECT_EQ(o.messages[0], "whole");
  ASSERT_EQ(o.errors.size(), 2u);
  EXPECT_EQ(o.errors[0], ws_error::orphan_continuation);
  EXPECT_EQ(o.errors[1], ws_error::interrupted_message);
}

TEST(websocket, garbage_instead_of_a_handshake) {
  out o = run(ws_role::client, "INVITE sip:bob@example.com SIP/2.0\r\n\r\n");
  ASSERT_EQ(o.errors.size(), 1u);
  EXPECT_EQ(o.errors[0], ws_error::bad_handshake);
  // a GET without Upgrade, and a refused upgrade
  o = run(ws_role::client, "GET / HTTP/1.1\r\nHost: x\r\n\r\n" + frame(1, "x", true, K));
  ASSERT_EQ(o.errors.size(), 1u);
  EXPECT_EQ(o.errors[0], ws_error::bad_handshake);
  EXPECT_TRUE(o.messages.empty());
  o = run(ws_role::server, "HTTP/1.1 400 Bad Request\r\n\r\n");
  ASSERT_EQ(o.errors.size(), 1u);
  EXPECT_EQ(o.errors[0], ws_error::bad_handshake);
  // a head that never ends
  ws_limits lim;
  lim.max_handshake = 64;
  o = run(ws_role::client, "GET / HTTP/1.1\r\n" + std::string(100, 'h'), {20}, lim);
  ASSERT_EQ(o.errors.size(), 1u);
  EXPECT_EQ(o.errors[0], ws_error::handshake_too_long);
  // a non-101 response, fed in small pieces
  o = run(ws_role::server, "HTTP/1.0 200 OK\r\n\r\n", {1, 2, 3, 4, 5, 6, 7});
  ASSERT_EQ(o.errors.size(), 1u);
}

TEST(websocket, lenient_start_without_handshake) {
  ws_limits lim;
  lim.lenient_no_handshake = true;
  out o = run(ws_role::client, frame(1, invite, true, K), {}, lim);
  ASSERT_EQ(o.messages.size(), 1u);
  EXPECT_EQ(o.messages[0], invite);
  o = run(ws_role::client, client_hs + frame(1, invite, true, K), {}, lim);   // a handshake is still skipped
  ASSERT_EQ(o.messages.size(), 1u);
  o = run(ws_role::client, frame(1, invite, true, K));                       // strict: refused
  ASSERT_EQ(o.errors.size(), 1u);
  EXPECT_EQ(o.errors[0], ws_error::bad_handshake);
}
