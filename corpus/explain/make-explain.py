#!/usr/bin/env python3
"""make-explain.py: writes the test captures of `sipscope explain` (issue 10), one per rule.

Each flow is a small pcap with the call (or calls) a rule must explain, beside NAME.expect.json:
per call the rule that must fire, its confidence, the frames the evidence chain must cite (as
seen), how many steps must be "not seen" at least, and words the verdict must contain. It
reuses corpus/calls/make-calls.py (imported) for hosts, SIP messages, frames and RTP, so the
captures have its properties: Python 3 standard library only, deterministic (a rerun writes
byte-identical files), documentation addresses, correct checksums.

    python3 corpus/explain/make-explain.py corpus/explain [FLOW...]

The rules whose case corpus/calls already has (busy, cancel, no-answer, redirect-302,
decline-603, unsuccessful-503, unsuccessful-404, cancel-crosses-200, forking, hold,
basic-call) are listed in corpus-calls.expect.json, written here too.
"""
import importlib.util
import json
import os
import struct
import sys

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location('make_calls', os.path.join(here, '..', 'calls', 'make-calls.py'))
mc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mc)

ms, sec, Host = mc.ms, mc.sec, mc.Host
ALICE, BOB, SS1, SS2, CAROL = mc.ALICE, mc.BOB, mc.SS1, mc.SS2, mc.CAROL
U_ALICE, U_BOB, U_CAROL = mc.U_ALICE, mc.U_BOB, mc.U_CAROL
sdp, make_req, make_resp, ack_for, invite = mc.sdp, mc.make_req, mc.make_resp, mc.ack_for, mc.invite
BOB_URI = mc.BOB_URI
ALICE_LAN = Host('alice-lan', '192.168.1.10')     # Alice's address behind her NAT (RFC 1918)


class XFlow(mc.Flow):
    """A Flow that remembers the frame of every message and writes explain expectations."""

    def __init__(self, name, description):
        super().__init__(name, description)
        self.expects = []
        self.dropped = set()

    def send(self, t, src, dst, msg, retrans=False):
        super().send(t, src, dst, msg, retrans)
        # Over TCP the message is the segment before the peer's ACK.
        self.log[-1]['key'] = self.frames[-2 if msg.via_transport() == 'TCP' else -1][:2]
        return t

    def frame_numbers(self):
        order = [f[:2] for f in sorted(self.frames) if f[:2] not in self.dropped]
        return {k: i + 1 for i, k in enumerate(order)}

    def drop_before(self, t):
        """The capture starts at t: earlier frames are not written."""
        self.dropped = {f[:2] for f in self.frames if f[0] < t}
        self.log = [e for e in self.log if e['t'] >= t]

    def rtp_key(self, first_index):
        return self.frames[first_index][:2]

    def expect(self, call_id, rule, confidence, evidence=(), rtp=(), not_seen=0, contains=(), also=()):
        """evidence: predicates on log entries (each must match exactly one message, cited as seen)."""
        self.expects.append(dict(call_id=call_id, rule=rule, confidence=confidence, evidence=list(evidence),
                                 rtp=list(rtp), not_seen=not_seen, contains=list(contains), also=list(also)))

    def write(self, outdir, dump=None):
        frames = sorted(f for f in self.frames if f[:2] not in self.dropped)
        snaplen = getattr(self, 'snaplen', 65535)
        out = bytearray(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, snaplen, 1))
        for t, _, data in frames:
            ts = mc.EPOCH0 * mc.US + t
            kept = data[:snaplen]   # a frame longer than the snaplen is cut, as a capture would
            out += struct.pack('<IIII', ts // mc.US, ts % mc.US, len(kept), len(data)) + kept
        with open(os.path.join(outdir, self.name + '.pcap'), 'wb') as fh:
            fh.write(out)
        numbers = self.frame_numbers()
        calls = []
        for x in self.expects:
            frames_ = []
            for pred in x['evidence']:
                hits = [e for e in self.log if e['msg'].call_id == x['call_id'] and pred(e)]
                assert len(hits) == 1, (self.name, x['rule'], len(hits))
                frames_.append(numbers[hits[0]['key']])
            frames_ += [numbers[k] for k in x['rtp']]
            c = {'call_id': x['call_id'], 'rule': x['rule'], 'confidence': x['confidence'],
                 'evidence_frames': sorted(frames_), 'not_seen_at_least': x['not_seen']}
            if x['contains']:
                c['verdict_contains'] = x['contains']
            if x['also']:
                c['also_contains'] = x['also']
            calls.append(c)
        doc = {'description': self.description, 'calls': calls}
        with open(os.path.join(outdir, self.name + '.expect.json'), 'w') as fh:
            fh.write(json.dumps(doc, indent=2, ensure_ascii=False) + '\n')
        return len(out)


def req(method, cseq=None, src=None, dst=None):
    def p(e):
        m = e['msg']
        return (m.is_req and m.method == method and (cseq is None or m.cseq[0] == cseq) and
                (src is None or e['src'] is src) and (dst is None or e['dst'] is dst) and not e['retrans'])
    return p


def resp(code, method='INVITE', src=None, dst=None, cseq=None, retrans=False, nth=None):
    def p(e):
        m = e['msg']
        return (not m.is_req and m.status == code and m.cseq[1] == method and
                (src is None or e['src'] is src) and (dst is None or e['dst'] is dst) and
                (cseq is None or m.cseq[0] == cseq) and e['retrans'] == retrans and
                (nth is None or e.get('nth') == nth))
    return p


def at(t):
    return lambda e: e['t'] == t


FLOWS = []


def flow(fn):
    FLOWS.append(fn)
    return fn


def keepalive(f, t):
    """An OPTIONS ping from Proxy 1 (another record): the capture goes on until t."""
    cid = f.new_call_id('ss1.atlanta.example.com')
    via = f'SIP/2.0/UDP {SS1.name}:5060;branch={f.branch()}'
    o = make_req('OPTIONS', 'sip:alice@client.atlanta.example.com', via, f'<sip:{SS1.name}>;tag={f.tag()}',
                 '<sip:alice@client.atlanta.example.com>', cid, 1)
    f.send(t, SS1, ALICE, o)
    f.send(t + ms(1.4), ALICE, SS1, make_resp(f.arrive(o, SS1), 200, to_tag=f.tag()))


def plain_invite(f, cid=None, tag=None, cseq=1, body=None, extra=(), ruri=None, to=U_BOB):
    cid = cid or f.new_call_id('atlanta.example.com')
    tag = tag or f.tag()
    body = body if body is not None else sdp('alice', 2890844526, 2890844526, ALICE, 49172)
    return invite(f, U_ALICE, to, cid, tag, cseq=cseq, body=body, extra=extra, ruri=ruri), cid, tag


# ---- signalling ---------------------------------------------------------------------------------
@flow
def no_response():
    f = XFlow('no-response', 'Timer B (RFC 3261 17.1.1.2): Alice sends an INVITE to Bob over UDP '
              'and retransmits it at 0.5, 1.5, 3.5, 7.5, 15.5 and 31.5 s (Timer A doubling); nothing '
              'comes back; at 32 s the transaction times out. An OPTIONS ping at 40 s shows that the '
              'capture went on.')
    inv, cid, _ = plain_invite(f)
    times = [0, 500, 1500, 3500, 7500, 15500, 31500]
    for i, t in enumerate(times):
        f.send(ms(t), ALICE, BOB, inv, retrans=i > 0)
    keepalive(f, sec(40))
    f.expect(cid, 'no_response', 'high', [lambda e, t=t: e['t'] == ms(t) for t in times], not_seen=1,
             contains=['never answered', '7 times'])
    return f


def icmp_unreachable(f, t, reporter, frame):
    """ICMP destination unreachable, port unreachable (RFC 792 type 3 code 3), quoting the IP
    header and the first 8 bytes (UDP header) of the frame's datagram."""
    ip = frame[14:]
    ihl = (ip[0] & 0x0f) * 4
    quoted = ip[:ihl + 8]
    src = Host('ip-of-origin', '.'.join(str(b) for b in ip[12:16]))

    def l4(_, s, d):
        msg = struct.pack('!BBHI', 3, 3, 0, 0) + quoted
        return msg[:2] + struct.pack('!H', mc.csum16(msg)) + msg[4:]
    f._frame(t, reporter, src, 1, l4)


@flow
def icmp_port_unreachable():
    f = XFlow('icmp-port-unreachable', 'No SIP service where the INVITE goes (RFC 3261 18.4, RFC 792): '
              'Alice\'s INVITE to Bob\'s port 5060 is answered by Bob\'s host with ICMP port '
              'unreachable; she retransmits once at 0.5 s (same answer) and gives up.')
    inv, cid, _ = plain_invite(f)
    for i, t in enumerate((0, 500)):
        f.send(ms(t), ALICE, BOB, inv, retrans=i > 0)
        icmp_unreachable(f, ms(t) + ms(0.3), BOB, f.frames[-1][2])
    keepalive(f, sec(2))
    icmp_keys = [fr[:2] for fr in f.frames if fr[2][23:24] == b'\x01']
    f.expect(cid, 'no_response', 'high', [req('INVITE')], rtp=icmp_keys,
             contains=['never got the INVITE', 'port unreachable', 'nothing listens on that port'])
    return f


def tcp_control(f, t, conn, src, flags):
    """One TCP segment without data (SYN 0x02, RST+ACK 0x14); returns its frame key. A
    retransmitted SYN carries the same sequence number as the first."""
    if flags == 0x02:
        conn.seq[src.name] = conn.isn
    f.tcp_seg(t, conn, src, flags)
    return f.frames[-1][:2]


def proxy_tcp_conn(f, isn_c, isn_s):
    """Proxy 1's connection to Bob's port 5060 (RFC 3261 18.1.1: TCP, as the route says)."""
    conn = mc.TcpConn(SS1, BOB, 40312, isn_c, isn_s)
    conn.isn = isn_c
    return conn


@flow
def tcp_refused():
    f = XFlow('tcp-refused', 'Connection refused (RFC 3261 16.9, RFC 793 3.4): Alice sends the INVITE '
              'over UDP to Proxy 1, which answers 100 Trying and must forward it to Bob over TCP; Bob\'s '
              'host answers the SYN with RST (nothing listens on TCP port 5060); Proxy 1 reports the '
              'transport error to Alice as 503 Service Unavailable (as if the request got a 503), which '
              'she ACKs.')
    inv, cid, _ = plain_invite(f)
    f.send(0, ALICE, SS1, inv)
    got = f.arrive(inv, ALICE)
    f.send(ms(1.1), SS1, ALICE, make_resp(got, 100))
    conn = proxy_tcp_conn(f, 0x1a2b3c4d, 0x5e6f7081)
    syn = tcp_control(f, ms(2.4), conn, SS1, 0x02)
    rst = tcp_control(f, ms(23.4), conn, BOB, 0x14)
    r503 = make_resp(got, 503, to_tag=f.tag())
    f.send(ms(25), SS1, ALICE, r503)
    f.send(ms(26.5), ALICE, SS1, ack_for(inv, r503))
    keepalive(f, sec(2))
    f.expect(cid, 'tcp_connect_failed', 'high', [req('INVITE'), resp(503)], rtp=[syn, rst],
             contains=['TCP connection refused (RST from 198.51.100.20, frame 4)', 'SYN frame 3',
                       'nothing listens on TCP port 5060', '503 Service Unavailable'])
    return f


@flow
def tcp_no_synack():
    f = XFlow('tcp-no-synack', 'TCP connect never answered (RFC 793 3.4, RFC 6298 RTO): Alice sends the '
              'INVITE over UDP to Proxy 1, which answers 100 Trying and opens a TCP connection to Bob; '
              'its SYN goes unanswered and is retransmitted at 1, 3, 7, 15 and 31 s (the RTO doubling); no '
              'SYN-ACK ever comes (Bob\'s host is down or a firewall drops it). At 32 s Proxy 1 gives up '
              'and answers 408 Request Timeout (RFC 3261 16.8), which Alice ACKs.')
    inv, cid, _ = plain_invite(f)
    f.send(0, ALICE, SS1, inv)
    got = f.arrive(inv, ALICE)
    f.send(ms(1.1), SS1, ALICE, make_resp(got, 100))
    conn = proxy_tcp_conn(f, 0x2b3c4d5e, 0x6f708192)
    syns = [tcp_control(f, ms(2.4) + sec(k), conn, SS1, 0x02) for k in (0, 1, 3, 7, 15, 31)]
    r408 = make_resp(got, 408, to_tag=f.tag())
    f.send(sec(32) + ms(2.4), SS1, ALICE, r408)
    f.send(sec(32) + ms(4), ALICE, SS1, ack_for(inv, r408))
    keepalive(f, sec(40))
    f.expect(cid, 'tcp_connect_failed', 'high', [req('INVITE'), resp(408)], rtp=syns, not_seen=1,
             contains=['TCP connect to 198.51.100.20:5060 never answered (SYN frames 3, 4, 5, 6, 7, 8; no SYN-ACK',
                       '408 Request Timeout'])
    return f


@flow
def tcp_reset_after_invite():
    f = XFlow('tcp-reset-after-invite', 'Connection reset after the INVITE (RFC 793 3.4, RFC 3261 '
              '18.4): Alice connects to Bob over TCP (SYN, SYN-ACK, ACK) and sends the INVITE; Bob\'s host '
              'ACKs it, then resets the connection 0.8 s later (its SIP service restarts); no response '
              'ever comes back and Alice\'s Timer B expires at 32 s. An OPTIONS ping at 40 s shows that the '
              'capture went on.')
    alice_tcp = mc.UA('Alice', 'alice', 'atlanta.example.com', ALICE, 49172, transport='TCP')
    cid = f.new_call_id('atlanta.example.com')
    body = sdp('alice', 2890844526, 2890844526, ALICE, 49172)
    inv = invite(f, alice_tcp, U_BOB, cid, f.tag(), body=body)
    f.send(ms(10), ALICE, BOB, inv)
    conn = f.tcp[frozenset((ALICE.name, BOB.name))]
    rst = tcp_control(f, ms(810), conn, BOB, 0x14)
    keepalive(f, sec(40))
    f.expect(cid, 'no_response', 'high', [req('INVITE')], rtp=[rst], not_seen=1,
             contains=['never answered the INVITE', 'was reset (RST from 198.51.100.20, frame 6)'])
    return f


@flow
def timer_c():
    f = XFlow('timer-c', '100 Trying but no final response (RFC 3261 16.6 step 11, Timer C > 3 min): '
              'Proxy 1 answers 100 Trying and forwards the INVITE to Bob, who never answers; no 18x, no '
              'final; the capture goes on for 200 s (an OPTIONS ping).')
    inv, cid, _ = plain_invite(f)
    hops, t = f.send_req(0, inv, [ALICE, SS1, BOB])
    keepalive(f, sec(200))
    f.expect(cid, 'timer_c', 'high', [req('INVITE', src=ALICE), resp(100, dst=ALICE)], not_seen=1,
             contains=['never got a final response', 'Timer C'])
    return f


@flow
def capture_ended():
    f = XFlow('capture-ended', 'The capture ends while the call rings: INVITE, 100, 180 from Bob, '
              'and the capture stops 6 s later: no timer has decided the call yet.')
    inv, cid, _ = plain_invite(f)
    f.send(0, ALICE, BOB, inv)
    got = f.arrive(inv, ALICE)
    f.send(ms(2.5), BOB, ALICE, make_resp(got, 100))
    f.send(ms(110), BOB, ALICE, make_resp(got, 180, to_tag=f.tag(), contact=f'<{BOB_URI}>'))
    keepalive(f, sec(6))
    f.expect(cid, 'capture_ended', 'high', [req('INVITE'), resp(180)], not_seen=1,
             contains=['capture ends', 'ringing'])
    return f


def challenge(f, realm, nonce, stale=False, proxy=True):
    h = 'Proxy-Authenticate' if proxy else 'WWW-Authenticate'
    v = f'Digest realm="{realm}", qop="auth", nonce="{nonce}", algorithm=MD5'
    if stale:
        v += ', stale=true'
    return [(h, v)]


def auth_attempts(f, name, desc, n_creds, final_stale=False, proxy=True, cred_realm=None):
    """Alice - Proxy 1: INVITE, 407 (ACKed); then n_creds retries with Proxy-Authorization, each
    challenged again (the password is wrong); Alice gives up after the last challenge."""
    cid, ftag = f.new_call_id('atlanta.example.com'), f.tag()
    offer = sdp('alice', 2890844526, 2890844526, ALICE, 49172)
    path = [ALICE, SS1]
    t = 0
    creds = []
    realm = 'atlanta.example.com'
    for n in range(n_creds + 1):
        inv = invite(f, U_ALICE, U_BOB, cid, ftag, cseq=n + 1, body=offer,
                     extra=[('Proxy-Authorization' if proxy else 'Authorization', c) for c in creds[-1:]])
        hops, t = f.send_req(t, inv, path, trying=False)
        nonce = f.tok('nonce', 32)
        code = 407 if proxy else 401
        _, t = f.send_resp(t + ms(1.6), hops, path, code, to_tag=f.tag(),
                           extra=challenge(f, realm, nonce, stale=final_stale and n == n_creds, proxy=proxy))
        t += ms(21)
        creds.append(mc.digest('alice', cred_realm or realm, 'wrong-password', 'INVITE', U_BOB.aor, nonce,
                               f.tok('cn', 8)))
    return cid


@flow
def auth_rejected():
    f = XFlow('auth-rejected', 'Digest authentication refused (RFC 3261 22.2, 22.3): Proxy 1 '
              'challenges the INVITE (407), Alice retries with Proxy-Authorization computed with a '
              'wrong password, Proxy 1 challenges again with a new nonce, Alice gives up.')
    cid = auth_attempts(f, 'auth-rejected', '', 1)
    f.expect(cid, 'auth_rejected', 'high', [resp(407, cseq=1), req('INVITE', cseq=2), resp(407, cseq=2)],
             contains=['credentials were refused', 'username "alice"'])
    return f


@flow
def auth_stale():
    f = XFlow('auth-stale', 'A stale nonce not retried (RFC 7616 3.3): Alice\'s credentials are '
              'answered with a new 407 marked stale=true (the nonce had expired, the password was '
              'right), and Alice does not retry with the new nonce.')
    cid = auth_attempts(f, 'auth-stale', '', 1, final_stale=True)
    f.expect(cid, 'auth_rejected', 'high', [resp(407, cseq=1), req('INVITE', cseq=2), resp(407, cseq=2)],
             contains=['stale=true'])
    return f


@flow
def auth_loop():
    f = XFlow('auth-loop', 'Authentication loop (RFC 3261 22.2): Alice answers every 401 of Bob\'s '
              'UA with credentials and is challenged again, three times, then gives up.')
    cid = auth_attempts(f, 'auth-loop', '', 3, proxy=False)
    f.expect(cid, 'auth_loop', 'high', [resp(401, cseq=1), resp(401, cseq=4)],
             contains=['Authentication loop', 'challenged 4 times'])
    return f


@flow
def auth_wrong_realm():
    f = XFlow('auth-wrong-realm', 'Credentials for another realm (RFC 3261 22.4, RFC 2617 3.2.2): Proxy 1 '
              'challenges the INVITE with realm atlanta.example.com; Alice answers with credentials for '
              'realm biloxi.example.com (a phone with two accounts mixing them up); Proxy 1 challenges '
              'again and Alice gives up.')
    cid = auth_attempts(f, 'auth-wrong-realm', '', 1, cred_realm='biloxi.example.com')
    f.expect(cid, 'auth_rejected', 'high', [resp(407, cseq=1), req('INVITE', cseq=2), resp(407, cseq=2)],
             contains=['wrong realm', 'biloxi.example.com', 'atlanta.example.com'])
    return f


@flow
def auth_no_credentials():
    f = XFlow('auth-no-credentials', 'Challenged, never retried (RFC 3261 22.1): Proxy 1 answers '
              'the INVITE 407 with realm atlanta.example.com; Alice ACKs and does not retry.')
    cid = auth_attempts(f, 'auth-no-credentials', '', 0)
    f.expect(cid, 'auth_no_credentials', 'high', [req('INVITE'), resp(407)], not_seen=1,
             contains=['never retried', 'atlanta.example.com'])
    return f


@flow
def redirect_loop():
    f = XFlow('redirect-loop', 'Redirection loop (RFC 3261 8.1.3.4): Alice follows 302s from a '
              'redirect server (Proxy 1) between two targets that point at each other; after the third '
              '302, which names a target already tried, she gives up.')
    cid, ftag = f.new_call_id('atlanta.example.com'), f.tag()
    offer = sdp('alice', 2890844526, 2890844526, ALICE, 49172)
    targets = ['sip:bob@a.biloxi.example.com', 'sip:bob@b.biloxi.example.com', 'sip:bob@a.biloxi.example.com']
    ruri, t = None, 0
    for n, tgt in enumerate(targets):
        inv = invite(f, U_ALICE, U_BOB, cid, ftag, cseq=n + 1, body=offer, ruri=ruri)
        hops, t = f.send_req(t, inv, [ALICE, SS1], trying=False)
        _, t = f.send_resp(t + ms(2.1), hops, [ALICE, SS1], 302, to_tag=f.tag(), contact=f'<{tgt}>')
        ruri = tgt
        t += ms(15)
    f.expect(cid, 'redirect_loop', 'high', [resp(302, cseq=1), resp(302, cseq=2), resp(302, cseq=3)],
             contains=['Redirection loop', '3 times'])
    return f


@flow
def busy_reason():
    f = XFlow('busy-reason', 'Busy with a Reason header (RFC 3326): a gateway answers 486 Busy Here '
              'with Reason: Q.850;cause=17;text="User busy", which explain decodes.')
    inv, cid, _ = plain_invite(f)
    hops, t = f.send_req(0, inv, [ALICE, SS1])
    f.send_resp(t + ms(40), hops, [ALICE, SS1], 486, to_tag=f.tag(),
                extra=[('Reason', 'Q.850;cause=17;text="User busy"')])
    f.expect(cid, 'busy', 'high', [req('INVITE'), resp(486)], contains=['Q.850 cause 17', 'user busy'])
    return f


@flow
def media_refused_srtp():
    f = XFlow('media-refused-srtp', '488 to an SRTP offer (RFC 3261 21.4.26, RFC 3264 6): Alice offers '
              'audio only over RTP/SAVP with a=crypto; Bob answers 488 Not Acceptable Here with '
              'Warning: 305 (incompatible media format).')
    body = sdp('alice', 2890844526, 2890844526, ALICE, 49172).replace('RTP/AVP', 'RTP/SAVP') + \
        'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n'
    inv, cid, _ = plain_invite(f, body=body)
    hops, t = f.send_req(0, inv, [ALICE, BOB])
    f.send_resp(t + ms(3.1), hops, [ALICE, BOB], 488, to_tag=f.tag(),
                extra=[('Warning', '305 client.biloxi.example.com "Incompatible media format"')])
    f.expect(cid, 'media_refused', 'medium', [req('INVITE'), resp(488)],
             contains=['RTP/SAVP', 'SRTP', 'Warning: 305'])
    return f


@flow
def media_refused_codec():
    f = XFlow('media-refused-codec', '488 to a re-offer with no common codec (RFC 3264 6): Alice calls '
              'Bob with G.729 only after an earlier call in which Bob offered PCMU: his 488 names no '
              'codec, but his SDP in the capture does. One Call-ID: the first INVITE (PCMU) is '
              'answered 200 and ended; explain compares the refused offer with that SDP.')
    cid, ftag = f.new_call_id('atlanta.example.com'), f.tag()
    # A first attempt answered by Bob with his PCMU SDP in a 183 (early media), then 488 to a
    # G.729-only retry with a higher CSeq in the same Call-ID.
    offer1 = sdp('alice', 2890844526, 2890844526, ALICE, 49172, pts=(0, 101))
    inv1 = invite(f, U_ALICE, U_BOB, cid, ftag, cseq=1, body=offer1)
    hops, t = f.send_req(0, inv1, [ALICE, BOB])
    btag = f.tag()
    ans = sdp('bob', 2890844527, 2890844527, BOB, 3456, pts=(0, 101))
    _, t = f.send_resp(t + ms(80), hops, [ALICE, BOB], 183, to_tag=btag, contact=f'<{BOB_URI}>', body=ans)
    _, t = f.send_resp(t + ms(900), hops, [ALICE, BOB], 480, to_tag=btag, reason='Temporarily Unavailable')
    offer2 = sdp('alice', 2890844526, 2890844527, ALICE, 49172, pts=(0,)).replace(
        'RTP/AVP 0', 'RTP/AVP 18').replace('a=rtpmap:0 PCMU/8000', 'a=rtpmap:18 G729/8000')
    inv2 = invite(f, U_ALICE, U_BOB, cid, ftag, cseq=2, body=offer2)
    hops, t = f.send_req(t + ms(30), inv2, [ALICE, BOB])
    f.send_resp(t + ms(2.4), hops, [ALICE, BOB], 488, to_tag=f.tag())
    f.expect(cid, 'media_refused', 'high', [req('INVITE', cseq=2), resp(488)],
             contains=['G729', 'PCMU', 'none in common'])
    return f


@flow
def media_refused_ptime():
    f = XFlow('media-refused-ptime', '488 for a packetization time (RFC 3264 6, RFC 4566 6 a=ptime): Bob '
              'offered PCMU with a=ptime:30 in an earlier 183 of the same Call-ID; Alice retries with PCMU '
              'at a=ptime:20 and Bob, a gateway that only frames 30 ms, answers 488.')
    cid, ftag = f.new_call_id('atlanta.example.com'), f.tag()
    offer1 = sdp('alice', 2890844526, 2890844526, ALICE, 49172, pts=(0, 101))
    inv1 = invite(f, U_ALICE, U_BOB, cid, ftag, cseq=1, body=offer1)
    hops, t = f.send_req(0, inv1, [ALICE, BOB])
    btag = f.tag()
    ans = sdp('bob', 2890844527, 2890844527, BOB, 3456, pts=(0, 101)).replace('a=ptime:20', 'a=ptime:30')
    _, t = f.send_resp(t + ms(80), hops, [ALICE, BOB], 183, to_tag=btag, contact=f'<{BOB_URI}>', body=ans)
    _, t = f.send_resp(t + ms(900), hops, [ALICE, BOB], 480, to_tag=btag, reason='Temporarily Unavailable')
    offer2 = sdp('alice', 2890844526, 2890844527, ALICE, 49172, pts=(0, 101))
    inv2 = invite(f, U_ALICE, U_BOB, cid, ftag, cseq=2, body=offer2)
    hops, t = f.send_req(t + ms(30), inv2, [ALICE, BOB])
    f.send_resp(t + ms(2.4), hops, [ALICE, BOB], 488, to_tag=f.tag())
    f.expect(cid, 'media_refused', 'high', [req('INVITE', cseq=2), resp(488)],
             contains=['ptime 20 ms', '30 ms'])
    return f


@flow
def unsupported_media_415():
    f = XFlow('unsupported-media-415', '415 Unsupported Media Type (RFC 3261 21.4.13): Alice sends her '
              'SDP gzip-compressed (Content-Encoding: gzip); Bob\'s UA does not decode it and answers 415 '
              'with Accept-Encoding: identity.')
    inv, cid, _ = plain_invite(f, extra=[('Content-Encoding', 'gzip')])
    hops, t = f.send_req(0, inv, [ALICE, BOB])
    f.send_resp(t + ms(2.9), hops, [ALICE, BOB], 415, to_tag=f.tag(), reason='Unsupported Media Type',
                extra=[('Accept', 'application/sdp'), ('Accept-Encoding', 'identity')])
    f.expect(cid, 'media_refused', 'medium', [req('INVITE'), resp(415)],
             contains=['415', 'Content-Encoding'])
    return f


@flow
def too_many_hops():
    f = XFlow('too-many-hops', 'A routing loop (RFC 3261 16.3, 483): Proxy 1 and Proxy 2 route the '
              'INVITE to each other; Max-Forwards (4 from Alice) reaches 0 and Proxy 1 answers 483 '
              'Too Many Hops, relayed back hop by hop.')
    inv, cid, _ = plain_invite(f)
    inv.set('Max-Forwards', '4')
    path = [ALICE, SS1, SS2, SS1, SS2, SS1]
    hops, t = f.send_req(0, inv, path, trying=False)
    f.send_resp(t + ms(0.8), hops, path, 483, to_tag=f.tag(), reason='Too Many Hops')
    f.expect(cid, 'too_many_hops', 'high', [req('INVITE', src=ALICE), resp(483, dst=ALICE)],
             contains=['routing loop', '5 hops'])
    return f


@flow
def session_timer_422():
    f = XFlow('session-timer-422', '422 Session Interval Too Small (RFC 4028 6): Alice asks for '
              'Session-Expires: 60; Proxy 1 requires at least 90 (Min-SE: 90) and answers 422; Alice '
              'does not retry.')
    inv, cid, _ = plain_invite(f, extra=[('Supported', 'timer'), ('Session-Expires', '60')])
    hops, t = f.send_req(0, inv, [ALICE, SS1], trying=False)
    f.send_resp(t + ms(1.2), hops, [ALICE, SS1], 422, to_tag=f.tag(), reason='Session Interval Too Small',
                extra=[('Min-SE', '90')])
    f.expect(cid, 'session_interval_too_small', 'high', [req('INVITE'), resp(422)], not_seen=1,
             contains=['Min-SE: 90'])
    return f


def direct_call(f, t=0, answer=sec(2.2), offer=None, answer_sdp=None, a=None, b=None):
    return mc.setup_call(f, t, a or U_ALICE, b or U_BOB, [(a or U_ALICE).host, (b or U_BOB).host], ring=ms(95),
                         answer=answer, offer=offer, answer_sdp=answer_sdp)


@flow
def missing_ack():
    f = XFlow('missing-ack', 'The 200 OK is never ACKed (RFC 3261 13.3.1.4): Bob answers; Alice\'s ACK '
              'goes elsewhere (not in the capture); Bob retransmits the 200 at 0.5, 1.5, 3.5, 7.5 s and '
              'then every 4 s (T2) until 64*T1 = 32 s, then ends the call with BYE, which Alice answers.')
    inv, cid, atag = plain_invite(f)
    f.send(0, ALICE, BOB, inv)
    got = f.arrive(inv, ALICE)
    btag = f.tag()
    f.send(ms(2.2), BOB, ALICE, make_resp(got, 100))
    f.send(ms(98), BOB, ALICE, make_resp(got, 180, to_tag=btag, contact=f'<{BOB_URI}>'))
    t0 = sec(3)
    ok = make_resp(got, 200, to_tag=btag, contact=f'<{BOB_URI}>',
                   body=sdp('bob', 2890844527, 2890844527, BOB, 3456, pts=(0, 101)))
    rtx = [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]
    for i, d in enumerate(rtx):
        f.send(t0 + ms(d), BOB, ALICE, ok, retrans=i > 0)
    dlg = mc.Dialog(f, cid, U_ALICE, atag, U_BOB, btag, [ALICE, BOB])
    tb = t0 + sec(32.05)
    dlg.bye(tb, 'b')
    f.expect(cid, 'missing_ack', 'high', [lambda e: e['t'] == t0, req('BYE')], not_seen=1,
             contains=['never acknowledged', 'retransmitted it 10 times', 'torn down by BYE'])
    return f


@flow
def ack_wrong_host():
    f = XFlow('ack-wrong-host', 'In-dialog requests to the wrong host (RFC 3261 12.2.1.1): Bob\'s 200 '
              'OK has Contact <sip:bob@198.51.100.20:5060> (no Record-Route), but Alice sends her ACK '
              'and, later, her BYE to 198.51.100.99 (a stale outbound-proxy setting); Bob never gets '
              'the ACK and retransmits his 200.')
    wrong = Host('old-proxy.biloxi.example.com', '198.51.100.99')
    inv, cid, atag = plain_invite(f)
    f.send(0, ALICE, BOB, inv)
    got = f.arrive(inv, ALICE)
    btag = f.tag()
    f.send(ms(2.2), BOB, ALICE, make_resp(got, 100))
    f.send(ms(98), BOB, ALICE, make_resp(got, 180, to_tag=btag, contact='<sip:bob@198.51.100.20:5060>'))
    ok = make_resp(got, 200, to_tag=btag, contact='<sip:bob@198.51.100.20:5060>',
                   body=sdp('bob', 2890844527, 2890844527, BOB, 3456, pts=(0, 101)))
    t0 = sec(3)
    f.send(t0, BOB, ALICE, ok)
    dlg = mc.Dialog(f, cid, U_ALICE, atag, U_BOB, btag, [ALICE, wrong])
    dlg.contact['b'] = 'sip:bob@198.51.100.20:5060'
    f.send(t0 + ms(3), ALICE, wrong, dlg.req('a', 'ACK', cseq=1))
    for d in (500, 1500, 3500):
        f.send(t0 + ms(d), BOB, ALICE, ok, retrans=True)
    f.send(t0 + sec(5), ALICE, wrong, dlg.req('a', 'BYE'))
    f.expect(cid, 'route_mismatch', 'high', [lambda e: e['t'] == t0, req('ACK')],
             contains=['sent its ACK to 198.51.100.99:5060', '198.51.100.20:5060', 'wrong host'])
    return f


@flow
def glare():
    f = XFlow('glare', 'Glare (RFC 3261 14.1): 5 s into a call both Alice and Bob send a re-INVITE at '
              'the same time; each answers the other\'s with 491 Request Pending (ACKed); Alice (who '
              'owns the Call-ID) retries 2.6 s later and succeeds.')
    d, t = direct_call(f)
    t += sec(5)
    ra = d.req('a', 'INVITE', body=sdp('alice', 2890844526, 2890844527, ALICE, 49172, pts=(0, 101), direction='sendonly'))
    rb = d.req('b', 'INVITE', body=sdp('bob', 2890844527, 2890844528, BOB, 3456, pts=(0, 101), direction='sendonly'))
    f.send(t, ALICE, BOB, ra)
    f.send(t + ms(0.3), BOB, ALICE, rb)
    pa = make_resp(f.arrive(ra, ALICE), 491, reason='Request Pending')
    pb = make_resp(f.arrive(rb, BOB), 491, reason='Request Pending')
    f.send(t + ms(1.1), BOB, ALICE, pa)
    f.send(t + ms(1.4), ALICE, BOB, pb)
    f.send(t + ms(2.0), ALICE, BOB, ack_for(ra, pa))
    f.send(t + ms(2.3), BOB, ALICE, ack_for(rb, pb))
    t = d.reinvite(t + sec(2.6), 'a', sdp('alice', 2890844526, 2890844528, ALICE, 49172, pts=(0, 101), direction='sendonly'),
                   sdp('bob', 2890844527, 2890844528, BOB, 3456, pts=(0, 101), direction='recvonly'))
    d.bye(t + sec(3), 'a')
    f.expect(d.call_id, 'glare', 'high', [req('INVITE', cseq=2, src=ALICE), resp(491, src=BOB), req('INVITE', cseq=3)],
             contains=['glare', '491 Request Pending', 'retried 2.6 s later'])
    return f


@flow
def dialog_lost():
    f = XFlow('dialog-lost-481', 'A lost dialog (RFC 3261 12.2.2): after 8 s of talk Alice\'s phone '
              'restarts; Bob\'s BYE is answered 481 Call/Transaction Does Not Exist.')
    d, t = direct_call(f)
    d.transact(t + sec(8), 'b', 'BYE', code=481)
    f.expect(d.call_id, 'dialog_lost', 'medium', [req('BYE'), resp(481, method='BYE')],
             contains=['did not know the dialog'])
    return f


@flow
def tcp_reset_in_call():
    f = XFlow('tcp-reset-in-call', 'A connection reset in the middle of a dialog (RFC 793 3.4, RFC 3261 '
              '12.2.2): Alice calls Bob over TCP; 5 s into the call Bob\'s phone restarts: its host resets the '
              'connection (RST) and its RTP stops. At 12 s Alice hangs up: she opens a new connection for the '
              'BYE, which Bob answers 481 Call/Transaction Does Not Exist (the restart lost the dialog).')
    alice_tcp = mc.UA('Alice', 'alice', 'atlanta.example.com', ALICE, 49172, transport='TCP')
    d, t = direct_call(f, t=ms(10), a=alice_tcp)
    ra = f.rtp(ALICE, 49172, BOB, 3456, t + ms(10))
    rb = f.rtp(BOB, 3456, ALICE, 49172, t + ms(17))
    rtp_run(f, ra, t + ms(10), t + sec(12))
    rtp_run(f, rb, t + ms(17), t + sec(5))
    key = frozenset((ALICE.name, BOB.name))
    rst = tcp_control(f, t + sec(5) + ms(20), f.tcp[key], BOB, 0x14)
    conn = mc.TcpConn(ALICE, BOB, 50114, 0x3c4d5e6f, 0x708192a3)   # the new connection for the BYE
    f.tcp[key] = conn
    f.tcp_seg(t + sec(12) - 1500, conn, ALICE, 0x02)
    f.tcp_seg(t + sec(12) - 1000, conn, BOB, 0x12)
    f.tcp_seg(t + sec(12) - 500, conn, ALICE, 0x10)
    d.transact(t + sec(12), 'a', 'BYE', code=481)
    f.expect(d.call_id, 'dialog_lost', 'medium', [req('BYE'), resp(481, method='BYE')], rtp=[rst],
             contains=['did not know the dialog', 'was reset by 198.51.100.20 at 12:00:07.328 (RST, frame 513)'])
    return f


@flow
def responses_not_captured():
    f = XFlow('responses-not-captured', 'One direction of a SPAN missing: the capture holds Alice\'s '
              'INVITE, ACK and BYE to Bob but none of Bob\'s messages (his responses and RTP took '
              'another path, or the mirror copied only one direction).')
    d, t = direct_call(f)
    d.bye(t + sec(6), 'a')
    keep = {e['key'] for e in f.log if e['src'] is ALICE}
    f.dropped = {fr[:2] for fr in f.frames if fr[:2] not in keep}
    f.log = [e for e in f.log if e['src'] is ALICE]
    f.expect(d.call_id, 'responses_not_captured', 'high', [req('INVITE'), req('ACK')], not_seen=1,
             contains=['misses the callee-to-caller direction'])
    return f


@flow
def request_not_captured():
    f = XFlow('request-not-captured', 'The capture starts late: the INVITE and 100 Trying were sent '
              'before the capture began; it holds the 180, the 200, the ACK and the BYE.')
    d, t = direct_call(f)
    d.bye(t + sec(4), 'a')
    t180 = next(e['t'] for e in f.log if not e['msg'].is_req and e['msg'].status == 180)
    f.drop_before(t180)
    f.expect(d.call_id, 'request_not_captured', 'high', [resp(180)], not_seen=1,
             contains=['starts in the middle of this call'])
    return f


@flow
def still_in_call():
    f = XFlow('still-in-call', 'The capture ends during the call: answered, ACKed, 5 s of RTP both '
              'ways, no BYE yet.')
    d, t = direct_call(f)
    mc.media(f, t + ms(10), t + sec(5), ALICE, 49172, BOB, 3456, 'alice@a', 'bob@b', sr=False)
    f.expect(d.call_id, 'still_in_call', 'high', [resp(200), req('ACK')], not_seen=1,
             contains=['still up when the capture ended'])
    return f


@flow
def cancel_by_proxy():
    f = XFlow('cancel-by-proxy', 'A proxy cancels (RFC 3261 16.7, 9.1): Bob\'s phone rings 4 s; Proxy 1 '
              'CANCELs the branch on a policy and passes 487 upstream to Alice, who never sent a CANCEL.')
    inv, cid, _ = plain_invite(f)
    path = [ALICE, SS1, BOB]
    hops, t = f.send_req(0, inv, path)
    tag = f.tag()
    _, t = f.send_resp(t + ms(90), hops, path, 180, to_tag=tag, contact=f'<{BOB_URI}>')
    t = f.cancel(t + sec(4), hops, path, first_sender=1)
    f.send_resp(t + ms(1.1), hops, path, 487, to_tag=tag)
    f.expect(cid, 'cancelled', 'medium', [req('CANCEL'), resp(487, dst=ALICE)],
             contains=['A server (192.0.2.10:5060) cancelled the call'])
    return f


def keep_first_fragment(f, ident=None):
    """Replaces the last frame written (one UDP datagram in IPv4) by its first IP fragment only
    (MF set, 1480 bytes of UDP): what a capture that lost the second fragment holds."""
    t, order, frame = f.frames.pop()
    eth, ip = frame[:14], frame[14:]
    ihl = (ip[0] & 0x0f) * 4
    part = ip[ihl:ihl + 1480]
    hdr = bytearray(ip[:ihl])
    struct.pack_into('!H', hdr, 2, ihl + len(part))
    if ident is not None:
        struct.pack_into('!H', hdr, 4, ident)      # its own IP identification
    struct.pack_into('!H', hdr, 6, 0x2000)          # MF, offset 0
    struct.pack_into('!H', hdr, 10, 0)
    struct.pack_into('!H', hdr, 10, mc.csum16(bytes(hdr)))
    f.frames.append((t, order, eth + bytes(hdr) + part))


@flow
def ack_fragment_lost():
    f = XFlow('ack-fragment-lost', 'A capture blind spot: Alice\'s ACK is long (her UA adds a long '
              'User-Agent), so it goes in two IP fragments; the capture holds the first and lost the '
              'second, so the ACK cannot be reassembled. Bob got it (he does not retransmit the 200 '
              'OK); Alice hangs up 6 s later. explain says the ACK reached Bob (no 200 retransmission) '
              'and that the capture itself lost a fragment during the call.')
    inv, cid, atag = plain_invite(f)
    f.send(0, ALICE, BOB, inv)
    got = f.arrive(inv, ALICE)
    btag = f.tag()
    f.send(ms(2.2), BOB, ALICE, make_resp(got, 100))
    f.send(ms(98), BOB, ALICE, make_resp(got, 180, to_tag=btag, contact=f'<{BOB_URI}>'))
    ok = make_resp(got, 200, to_tag=btag, contact=f'<{BOB_URI}>',
                   body=sdp('bob', 2890844527, 2890844527, BOB, 3456, pts=(0,)))
    f.send(sec(3), BOB, ALICE, ok)
    dlg = mc.Dialog(f, cid, U_ALICE, atag, U_BOB, btag, [ALICE, BOB])
    ack = dlg.req('a', 'ACK', cseq=1, extra=[('User-Agent', 'Example-SoftPhone/7.4.2 (' + 'x' * 1500 + ')')])
    # The whole datagram, then only its first IP fragment (MF set, 1480 bytes of UDP) is kept.
    f.udp(sec(3) + ms(4), ALICE, ALICE.port, BOB, BOB.port, ack.encode())
    keep_first_fragment(f)
    dlg.bye(sec(9), 'a')
    f.expect(cid, 'ack_not_captured', 'high', [lambda e: not e['msg'].is_req and e['msg'].status == 200 and e['msg'].cseq[1] == 'INVITE',
                                               req('BYE')], not_seen=1,
             contains=['never retransmitted', 'the capture itself lost packets', 'fragment_timeout'],
             also=['capture_lost_packets'])
    return f


@flow
def no_response_fragments():
    f = XFlow('no-response-fragments', 'Timer B with a capture blind spot (RFC 3261 17.1.1.2): Bob answers '
              'every INVITE with a 200 OK whose SDP is long (many codecs and attributes), so it goes in two '
              'IP fragments; the capture holds only the first fragment of each, so no answer can be '
              'reassembled. Alice retransmits until Timer B. explain says no response was captured and that '
              'the capture itself lost fragments during the call: the network is not blamed.')
    inv, cid, atag = plain_invite(f)
    got = f.arrive(inv, ALICE)
    btag = f.tag()
    big = sdp('bob', 2890844527, 2890844527, BOB, 3456, pts=(0,)) + ''.join(
        f'a=x-bob-capability-{i}:' + 'y' * 40 + '\r\n' for i in range(40))
    ok = make_resp(got, 200, to_tag=btag, contact=f'<{BOB_URI}>', body=big)
    times = [0, 500, 1500, 3500, 7500, 15500, 31500]
    for i, t0 in enumerate(times):
        f.send(ms(t0), ALICE, BOB, inv, retrans=i > 0)
        f.udp(ms(t0) + ms(3), BOB, BOB.port, ALICE, ALICE.port, ok.encode())
        keep_first_fragment(f, ident=0x4000 + i)
    keepalive(f, sec(40))
    f.expect(cid, 'no_response', 'medium', [lambda e, t=t0: e['t'] == ms(t) for t0 in times], not_seen=1,
             contains=['never answered', 'the capture itself lost', 'fragment'])
    return f


# ---- media --------------------------------------------------------------------------------------
def rtp_run(f, r, t0, t1, drop_every=0, drop=None):
    """r.run with every drop_every-th packet lost (not written; its sequence number is used), or
    the packets n (from 0) for which drop(n) is true."""
    first = len(f.frames)
    t, n = t0, 0
    while t < t1:
        if (drop_every and n % drop_every == drop_every - 1) or (drop and drop(n)):
            r.packets += 1
            r.last_t = t
        else:
            r.run(t, t + 1, marker=(n == 0))
        t += ms(20)
        n += 1
    return first


def rr(f, src, sport, dst, dport, ssrc_from, ssrc_about, t, highest, lost=0):
    """RTCP RR with one report block (RFC 3550 6.4.2)."""
    frac = 0
    block = struct.pack('!IB3sIIII', ssrc_about, frac, lost.to_bytes(3, 'big'), highest, 0, 0, 0)
    pkt = struct.pack('!BBHI', 0x81, 201, 7, ssrc_from) + block
    f.udp(t, src, sport, dst, dport, pkt)


@flow
def nat_one_way():
    f = XFlow('nat-one-way', 'One-way audio from NAT (RFC 4961): Alice is behind a NAT (her public '
              'address is 192.0.2.101, her LAN address 192.168.1.10); no ALG fixes her SDP, so c= says '
              '192.168.1.10. Her RTP reaches Bob from 192.0.2.101:49172; Bob sends his RTP to '
              '192.168.1.10:49172 (he does not latch), which never reaches her.')
    offer = sdp('alice', 2890844526, 2890844526, ALICE_LAN, 49172)
    d, t = direct_call(f, offer=offer)
    ra = f.rtp(ALICE, 49172, BOB, 3456, t + ms(10))
    rb = f.rtp(BOB, 3456, ALICE_LAN, 49172, t + ms(17))
    ia = rtp_run(f, ra, t + ms(10), t + sec(8))
    ib = rtp_run(f, rb, t + ms(17), t + sec(8))
    d.bye(t + sec(8.1), 'a')
    f.expect(d.call_id, 'nat_one_way', 'high', [req('INVITE')], rtp=[f.rtp_key(ia), f.rtp_key(ib)],
             contains=['behind NAT', '192.168.1.10', 'symmetric RTP'])
    return f


@flow
def media_unnegotiated():
    f = XFlow('media-unnegotiated', 'Media sent to an address nobody negotiated (RFC 3264 5, 6.1): '
              'Alice offers 192.0.2.101:49172, Bob answers 198.51.100.20:3456; Alice\'s RTP goes where '
              'Bob said, but Bob sends his to 192.0.2.101:40002 (a port of an earlier call), which neither '
              'SDP names: Alice hears nothing. No address is private: this is not NAT.')
    d, t = direct_call(f)
    ra = f.rtp(ALICE, 49172, BOB, 3456, t + ms(10))
    rb = f.rtp(BOB, 3456, ALICE, 40002, t + ms(17))
    rtp_run(f, ra, t + ms(10), t + sec(6))
    ib = rtp_run(f, rb, t + ms(17), t + sec(6))
    d.bye(t + sec(6.1), 'a')
    f.expect(d.call_id, 'media_unnegotiated', 'high', [req('INVITE'), resp(200)], rtp=[f.rtp_key(ib)], not_seen=1,
             contains=['Media sent to an address nobody negotiated', '192.0.2.101:40002', 'the callee',
                       'not by NAT'])
    return f


@flow
def srtp_one_side():
    f = XFlow('srtp-one-side', 'SRTP on one side only (RFC 3264 6): Alice offers RTP/SAVP with '
              'a=crypto; Bob\'s answer is plain RTP/AVP; both send for 4 s: Alice encrypted, Bob plain, '
              'so each plays the other\'s audio as noise.')
    offer = sdp('alice', 2890844526, 2890844526, ALICE, 49172).replace('RTP/AVP', 'RTP/SAVP') + \
        'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n'
    d, t = direct_call(f, offer=offer)
    ra = f.rtp(ALICE, 49172, BOB, 3456, t + ms(10))
    rb = f.rtp(BOB, 3456, ALICE, 49172, t + ms(17))
    rtp_run(f, ra, t + ms(10), t + sec(4))
    rtp_run(f, rb, t + ms(17), t + sec(4))
    d.bye(t + sec(4.1), 'a')
    f.expect(d.call_id, 'srtp_mismatch', 'high', [req('INVITE'), resp(200)],
             contains=['SRTP on one side only', 'RTP/SAVP'])
    return f


@flow
def one_way_audio():
    f = XFlow('one-way-audio', 'One-way audio: Alice sends RTP for 10 s; Bob sends none, only RTCP '
              'receiver reports about Alice\'s stream (so he is alive and receives it).')
    d, t = direct_call(f)
    ra = f.rtp(ALICE, 49172, BOB, 3456, t + ms(10))
    ia = rtp_run(f, ra, t + ms(10), t + sec(10))
    bob_ssrc = 0x5eed0b0b
    for k in (5, 10):
        rr(f, BOB, 3457, ALICE, 49173, bob_ssrc, ra.ssrc, t + sec(k) + ms(3), ra.seq + 249 * k // 5)
    d.bye(t + sec(10.2), 'a')
    f.expect(d.call_id, 'one_way_audio', 'high', [], rtp=[f.rtp_key(ia)], not_seen=1,
             contains=['One-way audio', 'the callee sent none', 'its RTCP reports'])
    return f


@flow
def no_rtp():
    f = XFlow('no-rtp', 'No RTP after the answer: two calls; Carol-Bob has RTP both ways, '
              'Alice-Bob (answered, 9 s) has none at all, so the capture carries RTP but not this '
              'call\'s.')
    d1, t = direct_call(f, a=U_CAROL)
    mc.media(f, t + ms(10), t + sec(9), CAROL, 5004, BOB, 3456, 'carol@c', 'bob@b', sr=False)
    ans2 = sdp('bob', 2890844600, 2890844600, BOB, 3470, pts=(0, 101))
    d2, t2 = direct_call(f, t=ms(500), answer_sdp=ans2)
    d2.bye(t2 + sec(9), 'a')
    d1.bye(t + sec(9.2), 'a')
    f.expect(d2.call_id, 'no_rtp', 'medium', [req('ACK'), req('BYE')], not_seen=1,
             contains=['No audio'])
    f.expect(d1.call_id, 'completed', 'high', [req('INVITE'), req('BYE')])
    return f


@flow
def rtp_stops():
    f = XFlow('rtp-stops', 'RTP stops mid-call: both sides send; 3 s in, Alice\'s RTP stops (her '
              'media engine hangs) while Bob\'s goes on for 9 more seconds, until Alice hangs up.')
    d, t = direct_call(f)
    ra = f.rtp(ALICE, 49172, BOB, 3456, t + ms(10))
    rb = f.rtp(BOB, 3456, ALICE, 49172, t + ms(17))
    ia = rtp_run(f, ra, t + ms(10), t + sec(3))
    rtp_run(f, rb, t + ms(17), t + sec(12))
    d.bye(t + sec(12.1), 'a')
    f.expect(d.call_id, 'rtp_stops', 'medium', [req('BYE')], rtp=[f.rtp_key(ia)], not_seen=1,
             contains=['stopped mid-call', 'the caller'])
    return f


@flow
def codec_mismatch():
    f = XFlow('codec-mismatch', 'Codec in RTP differs from the negotiated one (RFC 3264 5.1): Alice '
              'offers PCMU only (0, 101), Bob accepts PCMU, but Bob sends PCMA (payload type 8).')
    offer = sdp('alice', 2890844526, 2890844526, ALICE, 49172, pts=(0, 101))
    d, t = direct_call(f, offer=offer)
    ra = f.rtp(ALICE, 49172, BOB, 3456, t + ms(10))
    rb = mc.Rtp(f, BOB, 3456, ALICE, 49172, t + ms(17), pt=8)
    rtp_run(f, ra, t + ms(10), t + sec(6))
    ib = rtp_run(f, rb, t + ms(17), t + sec(6))
    d.bye(t + sec(6.1), 'a')
    f.expect(d.call_id, 'codec_mismatch', 'high', [req('INVITE')], rtp=[f.rtp_key(ib)],
             contains=['payload type 8', 'did not list'])
    return f


def lossy_call(f, **drop):
    """A call with 10 s of PCMU both ways whose Bob's stream loses what `drop` says (rtp_run's
    drop_every or drop); the dialog and the first frame of Bob's stream."""
    d, t = direct_call(f)
    ra = f.rtp(ALICE, 49172, BOB, 3456, t + ms(10))
    rb = f.rtp(BOB, 3456, ALICE, 49172, t + ms(17))
    rtp_run(f, ra, t + ms(10), t + sec(10))
    ib = rtp_run(f, rb, t + ms(17), t + sec(10), **drop)
    d.bye(t + sec(10.1), 'a')
    return d, ib


@flow
def low_mos():
    f = XFlow('low-mos', 'Poor quality from loss (ITU-T G.107): 10 s of PCMU both ways; one packet in '
              'every 12 of Bob\'s stream is lost (8.3%), so its E-model MOS is low.')
    d, ib = lossy_call(f, drop_every=12)
    f.expect(d.call_id, 'low_mos', 'medium', [], rtp=[f.rtp_key(ib)],
             contains=['Poor audio quality', 'packet loss'])
    return f


@flow
def unusable_audio():
    f = XFlow('unusable-audio', 'Unusable audio (ITU-T G.107): 10 s of PCMU both ways; Bob\'s stream loses '
              'packets in bursts, 8 of every 10 (80%), so its E-model R is at the bottom of the scale, 0, '
              'and its MOS 1.')
    d, ib = lossy_call(f, drop=lambda n: n % 10 >= 2)
    f.expect(d.call_id, 'low_mos', 'medium', [], rtp=[f.rtp_key(ib)],
             contains=['Poor audio quality: MOS 1.00 (R 0)', '79.7% packet loss in bursts'])
    return f


@flow
def t38_fax():
    f = XFlow('t38-fax', 'A fax call (ITU-T T.38 Annex D): 3 s of PCMU both ways, then Bob\'s fax '
              'machine detects the fax tone and re-INVITEs to m=image udptl t38; 6 s of fax (UDPTL, '
              'not RTP); a re-INVITE back to audio; 2 s of RTP; BYE. The RTP pause is the fax.')
    d, t = direct_call(f)
    ra = f.rtp(ALICE, 49172, BOB, 3456, t + ms(10))
    rb = f.rtp(BOB, 3456, ALICE, 49172, t + ms(17))
    rtp_run(f, ra, t + ms(10), t + sec(3))
    rtp_run(f, rb, t + ms(17), t + sec(3))

    def t38(who, host, port, ver):
        return (f'v=0\r\no={who} 2890844526 {ver} IN IP4 {host.ip}\r\ns=-\r\nc=IN IP4 {host.ip}\r\nt=0 0\r\n'
                f'm=image {port} udptl t38\r\na=T38FaxVersion:0\r\na=T38MaxBitRate:14400\r\n'
                'a=T38FaxRateManagement:transferredTCF\r\na=T38FaxUdpEC:t38UDPRedundancy\r\n')
    t = d.reinvite(t + sec(3.05), 'b', t38('bob', BOB, 3456, 2890844528), t38('alice', ALICE, 49172, 2890844527))
    t = d.reinvite(t + sec(6), 'b', sdp('bob', 2890844527, 2890844529, BOB, 3456, pts=(0, 101)),
                   sdp('alice', 2890844526, 2890844528, ALICE, 49172, pts=(0, 101)))
    rtp_run(f, ra, t + ms(10), t + sec(2))
    rtp_run(f, rb, t + ms(17), t + sec(2))
    d.bye(t + sec(2.1), 'a')
    f.expect(d.call_id, 't38_fax', 'high', [req('INVITE', cseq=1, src=BOB)],
             contains=['switched to T.38 fax', 'went back to audio'])
    return f


# ---- the cases corpus/calls already has ------------------------------------------------------------
CORPUS_CALLS = {
    'busy': ('busy', 'high', ['Busy Here']),
    'cancel': ('cancelled', 'high', ['The caller hung up before the answer']),
    'no-answer': ('no_answer', 'high', ['rang for 20.0 s']),
    'redirect-302': ('redirect', 'high', ['sip:bob@bob.chicago.example.com']),
    'decline-603': ('rejected', 'high', ['603 Decline', 'declined']),
    'unsuccessful-404': ('rejected', 'high', ['404 Not Found', 'does not exist']),
    'unsuccessful-503': ('server_error', 'high', ['Retry-After: 30']),
    'cancel-crosses-200': ('cancel_race', 'high', ['crossed the 200 OK']),
    'forking': ('forked_elsewhere', 'high', ['forked to 2 branches']),
    'hold': ('hold', 'high', ['on hold 2 times']),
    'basic-call': ('completed', 'high', ['completed normally']),
    'callee-hangup': ('completed', 'high', ['ended by the callee']),
}


def main(argv):
    if not argv or argv[0] in ('-h', '--help'):
        print(__doc__, file=sys.stderr)
        return 0 if argv else 2
    outdir, only = argv[0], set(argv[1:])
    os.makedirs(outdir, exist_ok=True)
    for fn in FLOWS:
        f = fn()
        if only and f.name not in only:
            continue
        size = f.write(outdir)
        assert size < 300_000, (f.name, size)
        print(f'{f.name}: {size} bytes, {len(f.log)} SIP messages', file=sys.stderr)
    if not only:
        doc = {'description': 'Verdicts of the captures of corpus/calls (file name without .pcap): '
                              'rule, confidence, words the verdict contains',
               'captures': {k: {'rule': r, 'confidence': c, 'verdict_contains': w}
                            for k, (r, c, w) in CORPUS_CALLS.items()}}
        with open(os.path.join(outdir, 'corpus-calls.expect.json'), 'w') as fh:
            fh.write(json.dumps(doc, indent=2) + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
