#!/usr/bin/env python3
"""make-calls.py: writes the call-flow test captures of corpus/calls/ (issue 5).

One small pcap per call flow (after RFC 3665, RFC 5359 and the RFCs of the extensions used),
each beside NAME.expect.json, what the correlator must report for it. Python 3 standard
library only and deterministic: every tag, branch, Call-ID, nonce and SSRC is a hash of the
flow name and a counter, every time is a fixed offset from EPOCH0, so a rerun writes
byte-identical files.

    python3 corpus/calls/make-calls.py corpus/calls [--dump-sip DIR] [FLOW...]

--dump-sip DIR also writes every distinct SIP message as DIR/FLOW-NNN.sip, for
`sipscope parse`.
"""
import hashlib
import json
import os
import re
import socket
import struct
import sys

EPOCH0 = 1735732800          # 2025-01-01 12:00:00 UTC: every flow starts here
US = 1_000_000


def ms(x):
    return int(round(x * 1000))


def sec(x):
    return int(round(x * US))


def md5hex(s):
    return hashlib.md5(s.encode()).hexdigest()


# ---------------------------------------------------------------------------------------------
# hosts and users
# ---------------------------------------------------------------------------------------------
class Host:
    """A network element: SIP on port 5060, its name is what it writes in Via/Contact/Record-Route."""

    def __init__(self, name, ip, port=5060):
        self.name, self.ip, self.port = name, ip, port
        self.v6 = ':' in ip
        self.mac = b'\x02\x00' + hashlib.md5(ip.encode()).digest()[:4]

    @property
    def literal(self):
        return self.name.startswith('[') or self.name.replace('.', '').isdigit()


ALICE = Host('client.atlanta.example.com', '192.0.2.101')
SS1 = Host('ss1.atlanta.example.com', '192.0.2.10')
SS2 = Host('ss2.biloxi.example.com', '198.51.100.10')
BOB = Host('client.biloxi.example.com', '198.51.100.20')
BOB_MOBILE = Host('mobile.biloxi.example.com', '198.51.100.21')
PRES = Host('pres.biloxi.example.com', '198.51.100.30')
CAROL = Host('client.chicago.example.com', '203.0.113.30')
BOB_CHICAGO = Host('bob.chicago.example.com', '203.0.113.31')
SBC = Host('b2bua.example.com', '203.0.113.10')
ALICE6 = Host('[2001:db8:a::101]', '2001:db8:a::101')
SS1_6 = Host('[2001:db8:a::10]', '2001:db8:a::10')
BOB6 = Host('[2001:db8:b::20]', '2001:db8:b::20')


class UA:
    """A user at a host: AOR, display name, contact, RTP port."""

    def __init__(self, display, user, domain, host, rtp_port, transport='UDP'):
        self.display, self.user, self.domain, self.host = display, user, domain, host
        self.rtp_port, self.transport = rtp_port, transport

    @property
    def aor(self):
        return f'sip:{self.user}@{self.domain}'

    @property
    def contact_uri(self):
        t = ';transport=tcp' if self.transport == 'TCP' else ''
        return f'sip:{self.user}@{self.host.name}{t}'

    def nameaddr(self, tag=None, uri=None):
        s = f'"{self.display}" <{uri or self.aor}>' if self.display else f'<{uri or self.aor}>'
        return s + (f';tag={tag}' if tag else '')


# ---------------------------------------------------------------------------------------------
# SIP messages
# ---------------------------------------------------------------------------------------------
REASONS = {100: 'Trying', 180: 'Ringing', 181: 'Call Is Being Forwarded', 183: 'Session Progress',
           200: 'OK', 202: 'Accepted', 302: 'Moved Temporarily', 401: 'Unauthorized',
           403: 'Forbidden', 404: 'Not Found', 407: 'Proxy Authentication Required',
           408: 'Request Timeout', 481: 'Call/Transaction Does Not Exist', 486: 'Busy Here',
           487: 'Request Terminated', 488: 'Not Acceptable Here', 503: 'Service Unavailable',
           603: 'Decline'}
DIALOG_METHODS = ('INVITE', 'SUBSCRIBE', 'REFER')


class Msg:
    """Start line, headers in wire order (Content-Length is added when encoding), body."""

    def __init__(self, start, headers, body=''):
        self.start, self.h, self.body = start, list(headers), body

    def copy(self):
        return Msg(self.start, self.h, self.body)

    @property
    def is_req(self):
        return not self.start.startswith('SIP/2.0 ')

    @property
    def status(self):
        return None if self.is_req else int(self.start.split()[1])

    @property
    def ruri(self):
        return self.start.split()[1]

    @property
    def cseq(self):
        n, m = self.get('CSeq').split()
        return int(n), m

    @property
    def method(self):
        return self.start.split()[0] if self.is_req else self.cseq[1]

    @property
    def call_id(self):
        return self.get('Call-ID')

    def get(self, name):
        for n, v in self.h:
            if n.lower() == name.lower():
                return v
        return None

    def all(self, name):
        return [v for n, v in self.h if n.lower() == name.lower()]

    def remove(self, name):
        self.h = [(n, v) for n, v in self.h if n.lower() != name.lower()]

    def set(self, name, value):
        for i, (n, _) in enumerate(self.h):
            if n.lower() == name.lower():
                self.h[i] = (n, value)
                return
        self.h.append((name, value))

    def to_tag(self):
        m = re.search(r'>;(?:.*;)?tag=([^;]+)', self.get('To'))
        return m.group(1) if m else None

    def via_transport(self):
        return self.get('Via').split()[0].split('/')[2]

    def encode(self):
        lines = [self.start] + [f'{n}: {v}' for n, v in self.h]
        body = self.body.encode()
        lines.append(f'Content-Length: {len(body)}')
        return ('\r\n'.join(lines) + '\r\n\r\n').encode() + body


def make_req(method, ruri, via, frm, to, call_id, cseq, contact=None, extra=(), body='',
             ctype='application/sdp', routes=(), maxf=70):
    h = [('Via', via)] + [('Route', r) for r in routes] + [
        ('Max-Forwards', str(maxf)), ('From', frm), ('To', to), ('Call-ID', call_id),
        ('CSeq', f'{cseq} {method}')]
    if contact:
        h.append(('Contact', contact))
    h += list(extra)
    if body:
        h.append(('Content-Type', ctype))
    return Msg(f'{method} {ruri} SIP/2.0', h, body)


def make_resp(req, code, to_tag=None, contact=None, extra=(), body='', ctype='application/sdp',
              reason=None):
    h = [('Via', v) for v in req.all('Via')]
    if 100 < code < 300 and req.method in DIALOG_METHODS:
        h += [('Record-Route', r) for r in req.all('Record-Route')]
    to = req.get('To')
    if to_tag and code != 100 and ';tag=' not in to:
        to += f';tag={to_tag}'
    h += [('From', req.get('From')), ('To', to), ('Call-ID', req.call_id), ('CSeq', req.get('CSeq'))]
    if contact:
        h.append(('Contact', contact))
    h += list(extra)
    if body:
        h.append(('Content-Type', ctype))
    return Msg(f'SIP/2.0 {code} {reason or REASONS[code]}', h, body)


def sdp(user, sid, ver, host, port, pts=(0, 8, 101), direction=None):
    ipv = 'IP6' if host.v6 else 'IP4'
    names = {0: 'PCMU/8000', 8: 'PCMA/8000', 101: 'telephone-event/8000'}
    lines = ['v=0', f'o={user} {sid} {ver} IN {ipv} {host.ip}', 's=-', f'c=IN {ipv} {host.ip}',
             't=0 0', f'm=audio {port} RTP/AVP ' + ' '.join(map(str, pts))]
    lines += [f'a=rtpmap:{p} {names[p]}' for p in pts]
    if 101 in pts:
        lines.append('a=fmtp:101 0-16')
    lines.append('a=ptime:20')
    if direction:
        lines.append(f'a={direction}')
    return '\r\n'.join(lines) + '\r\n'


def digest(user, realm, pw, method, uri, nonce, cnonce, nc='00000001'):
    ha1 = md5hex(f'{user}:{realm}:{pw}')
    ha2 = md5hex(f'{method}:{uri}')
    resp = md5hex(f'{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}')
    return (f'Digest username="{user}", realm="{realm}", nonce="{nonce}", uri="{uri}", '
            f'response="{resp}", algorithm=MD5, cnonce="{cnonce}", qop=auth, nc={nc}')


# ---------------------------------------------------------------------------------------------
# packets
# ---------------------------------------------------------------------------------------------
def csum16(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack(f'!{len(data) // 2}H', data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


class Ts:
    """A capture time in µs since EPOCH0, printed in JSON as epoch seconds with 6 decimals."""

    def __init__(self, us):
        self.us = us

    def __str__(self):
        t = EPOCH0 * US + self.us
        return f'{t // US}.{t % US:06d}'


class TcpConn:
    def __init__(self, client, server, cport, isn_c, isn_s):
        self.c, self.s, self.cport = client, server, cport
        self.seq = {client.name: isn_c, server.name: isn_s}

    def ports(self, src):
        return (self.cport, self.s.port) if src is self.c else (self.s.port, self.cport)

    def peer(self, src):
        return self.s if src is self.c else self.c


class Flow:
    def __init__(self, name, description):
        self.name, self.description = name, description
        self.frames = []          # (t_us, order, bytes)
        self.log = []             # SIP frames: dict(t, src, dst, msg, retrans)
        self.n = 0
        self.ipid = {}
        self.tcp = {}
        self.calls, self.registrations, self.others = [], [], []

    # -- deterministic identifiers ---------------------------------------------------------
    def tok(self, kind, n=10):
        self.n += 1
        return hashlib.sha1(f'{self.name}|{kind}|{self.n}'.encode()).hexdigest()[:n]

    def branch(self):
        return 'z9hG4bK' + self.tok('branch')

    def tag(self):
        return self.tok('tag', 8)

    def new_call_id(self, domain):
        return f'{self.tok("call-id", 20)}@{domain}'

    def hop_delay(self):
        """Processing time of an element between receiving and sending (1.2 .. 3 ms)."""
        self.n += 1
        return 1200 + (self.n * 373) % 1800

    # -- frames ---------------------------------------------------------------------------
    def _frame(self, t, src, dst, proto, l4):
        """l4 is a function of the pseudo-header returning the transport segment."""
        if src.v6:
            s, d = socket.inet_pton(socket.AF_INET6, src.ip), socket.inet_pton(socket.AF_INET6, dst.ip)
            seg = l4(s + d + struct.pack('!I3xB', 0, proto), s, d)
            ip = struct.pack('!IHBB', 0x60000000, len(seg), proto, 64) + s + d + seg
            etype = 0x86dd
        else:
            s, d = socket.inet_aton(src.ip), socket.inet_aton(dst.ip)
            seg = l4(None, s, d)
            ident = self.ipid.get(src.ip, int(md5hex(src.ip)[:4], 16))
            self.ipid[src.ip] = (ident + 1) & 0xffff
            hdr = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(seg), ident, 0x4000, 64, proto, 0, s, d)
            hdr = hdr[:10] + struct.pack('!H', csum16(hdr)) + hdr[12:]
            ip = hdr + seg
            etype = 0x0800
        self.frames.append((t, len(self.frames), dst.mac + src.mac + struct.pack('!H', etype) + ip))

    def udp(self, t, src, sport, dst, dport, payload):
        def l4(_, s, d):
            ln = 8 + len(payload)
            pseudo = s + d + (struct.pack('!I3xB', ln, 17) if src.v6 else struct.pack('!BBH', 0, 17, ln))
            c = csum16(pseudo + struct.pack('!HHHH', sport, dport, ln, 0) + payload) or 0xffff
            return struct.pack('!HHHH', sport, dport, ln, c) + payload
        self._frame(t, src, dst, 17, l4)

    def tcp_seg(self, t, conn, src, flags, payload=b''):
        dst = conn.peer(src)
        sport, dport = conn.ports(src)
        seq, ack = conn.seq[src.name], conn.seq[dst.name]
        if flags == 0x02:          # SYN carries no ACK
            ack = 0

        def l4(_, s, d):
            ln = 20 + len(payload)
            pseudo = s + d + (struct.pack('!I3xB', ln, 6) if src.v6 else struct.pack('!BBH', 0, 6, ln))
            hdr = struct.pack('!HHIIBBHHH', sport, dport, seq, ack, 5 << 4, flags, 64240, 0, 0)
            c = csum16(pseudo + hdr + payload)
            return hdr[:16] + struct.pack('!H', c) + hdr[18:] + payload
        self._frame(t, src, dst, 6, l4)
        conn.seq[src.name] = (seq + len(payload) + (1 if flags & 0x03 else 0)) & 0xffffffff

    def tcp_conn(self, t, src, dst):
        key = frozenset((src.name, dst.name))
        if key not in self.tcp:
            cport = 49152 + int(md5hex(self.name + src.name)[:3], 16) % 8000
            conn = TcpConn(src, dst, cport, int(md5hex('c' + self.name)[:8], 16),
                           int(md5hex('s' + self.name)[:8], 16))
            self.tcp[key] = conn
            self.tcp_seg(t - 1500, conn, src, 0x02)           # SYN
            self.tcp_seg(t - 1000, conn, dst, 0x12)           # SYN, ACK
            self.tcp_seg(t - 500, conn, src, 0x10)            # ACK
        return self.tcp[key]

    # -- SIP ------------------------------------------------------------------------------
    def send(self, t, src, dst, msg, retrans=False):
        data = msg.encode()
        if msg.via_transport() == 'TCP':
            conn = self.tcp_conn(t, src, dst)
            self.tcp_seg(t, conn, src, 0x18, data)           # PSH, ACK
            self.tcp_seg(t + 250, conn, dst, 0x10)           # the peer's ACK
        else:
            self.udp(t, src, src.port, dst, dst.port, data)
        self.log.append(dict(t=t, src=src, dst=dst, msg=msg, retrans=retrans))
        return t

    @staticmethod
    def arrive(msg, src):
        """What a server does on receipt (RFC 3261 18.2.1): received= on a top Via naming a host."""
        m = msg.copy()
        if m.is_req:
            vias = m.all('Via')
            top = vias[0]
            sentby = top.split()[1].split(';')[0]
            if not (sentby.startswith('[') or sentby.split(':')[0].replace('.', '').isdigit()) \
                    and ';received=' not in top:
                i = next(i for i, (n, _) in enumerate(m.h) if n == 'Via')
                m.h[i] = ('Via', top + f';received={src.ip}')
        return m

    def forward(self, proxy, msg, ruri=None, rr=False, strip_auth_realm=None):
        """A proxy's copy of a request it forwards (RFC 3261 16.6)."""
        m = msg.copy()
        routes = m.all('Route')
        if routes and proxy.name in routes[0]:
            i = next(i for i, (n, _) in enumerate(m.h) if n == 'Route')
            del m.h[i]
        if ruri:
            m.start = f'{m.method} {ruri} SIP/2.0'
        if strip_auth_realm:
            m.h = [(n, v) for n, v in m.h
                   if not (n == 'Proxy-Authorization' and f'realm="{strip_auth_realm}"' in v)]
        m.set('Max-Forwards', str(int(m.get('Max-Forwards')) - 1))
        tr = m.via_transport()
        m.h.insert(0, ('Via', f'SIP/2.0/{tr} {proxy.name}:{proxy.port};branch={self.branch()}'))
        if rr:
            t = ';transport=tcp' if tr == 'TCP' else ''
            i = next(i for i, (n, _) in enumerate(m.h) if n != 'Via')
            m.h.insert(i, ('Record-Route', f'<sip:{proxy.name}{t};lr>'))
        return m

    def send_req(self, t, req, path, rr=False, ruri=None, trying=None, strip_auth=None):
        """Send req from path[0] through the proxies path[1:-1] to path[-1].

        Returns (hops, t): hops[i] is the request as path[i] sent it to path[i+1]. Stateful
        proxies answer an INVITE with 100 Trying before forwarding it."""
        ruri, strip_auth = ruri or {}, strip_auth or {}
        trying = req.method == 'INVITE' if trying is None else trying
        self.send(t, path[0], path[1], req)
        hops = [req]
        for i in range(1, len(path) - 1):
            got = self.arrive(hops[-1], path[i - 1])
            if trying:
                t += 300 + self.hop_delay() // 3
                self.send(t, path[i], path[i - 1], make_resp(got, 100))
            t += self.hop_delay()
            fwd = self.forward(path[i], got, ruri=ruri.get(i), rr=rr, strip_auth_realm=strip_auth.get(i))
            self.send(t, path[i], path[i + 1], fwd)
            hops.append(fwd)
        return hops, t

    def send_resp(self, t, hops, path, code, uas_trying=False, **kw):
        """path[-1] answers hops[-1]; the response goes back hop by hop, each proxy removing its
        Via. A non-2xx final response to INVITE is ACKed on every hop (RFC 3261 17.1.1.3).
        Returns (the response as path[0] received it, t)."""
        req = self.arrive(hops[-1], path[-2])
        resp = make_resp(req, code, **kw)
        self.send(t, path[-1], path[-2], resp)
        non2xx_invite = code >= 300 and req.method == 'INVITE'
        for i in range(len(path) - 2, -1, -1):
            if non2xx_invite:
                t += 400 + self.hop_delay() // 4
                self.send(t, path[i], path[i + 1], ack_for(hops[i], resp))
            if i == 0:
                break
            t += self.hop_delay()
            resp = resp.copy()
            del resp.h[[n for n, _ in resp.h].index('Via')]
            self.send(t, path[i], path[i - 1], resp)
        return resp, t

    def transact(self, t, req, path, code=200, gap=None, rr=False, **kw):
        """A non-INVITE transaction end to end; the UAS answers after gap µs."""
        hops, t = self.send_req(t, req, path, rr=rr)
        return self.send_resp(t + (gap if gap is not None else ms(2.1)), hops, path, code, **kw)

    def cancel(self, t, hops, path, first_sender=0):
        """CANCEL hop by hop (RFC 3261 9.1, 16.10): each hop answers 200 and proxies CANCEL on."""
        for i in range(first_sender, len(path) - 1):
            c = cancel_for(hops[i])
            self.send(t, path[i], path[i + 1], c)
            t += 300 + self.hop_delay() // 3
            self.send(t, path[i + 1], path[i], make_resp(self.arrive(c, path[i]), 200))
            t += self.hop_delay()
        return t

    # -- RTP ------------------------------------------------------------------------------
    def rtp(self, src, sport, dst, dport, t_origin):
        return Rtp(self, src, sport, dst, dport, t_origin)

    # -- expectations ----------------------------------------------------------------------
    def expect_call(self, call_id, caller, state, final_status, answered, dialogs, hangup=None,
                    auth_challenges=0, legs=None, holds=None, streams=None):
        """Times and counts come from the frames written; the judgements are the arguments."""
        log = sorted((e for e in self.log if e['msg'].call_id == call_id), key=lambda e: e['t'])
        assert log, call_id
        initial = [e for e in log if e['msg'].is_req and e['msg'].method == 'INVITE'
                   and e['msg'].to_tag() is None]
        first = initial[0]['msg']
        init_cseq = {e['msg'].cseq[0] for e in initial}

        def first_t(pred):
            for e in log:
                if pred(e['msg']):
                    return e['t']
            return None

        def inv_resp(m, lo, hi):
            return (not m.is_req and m.cseq[1] == 'INVITE' and m.cseq[0] in init_cseq
                    and lo <= m.status <= hi)
        def first_at_caller(pred):
            # Responses are timed where the caller receives them (RFC 6076 3.2: session
            # request delay is measured at the originating UA): with proxies, the callee's
            # own 180 is earlier than the ringback the caller gets.
            for e in log:
                if e['dst'] is caller and pred(e['msg']):
                    return e['t']
            return None
        times = {'invite': initial[0]['t']}
        t18 = first_at_caller(lambda m: inv_resp(m, 180, 189))
        if t18 is not None:
            times['first_18x'] = t18
        ans = next((e for e in log if e['dst'] is caller and inv_resp(e['msg'], 200, 299)), None)
        assert bool(ans) == answered, (self.name, call_id)
        if ans:
            times['answer'] = ans['t']
            n = ans['msg'].cseq[0]
            # The caller's ACK of the 2xx (a proxy's ACK of a 487 on another fork is not it).
            times['ack'] = next(e['t'] for e in log if e['msg'].is_req and e['msg'].method == 'ACK'
                                and e['src'] is caller and e['msg'].cseq[0] == n
                                and e['t'] >= ans['t'])
        tb = first_t(lambda m: m.is_req and m.method == 'BYE')
        if tb is not None:
            times['bye'] = tb
        tc = first_t(lambda m: m.is_req and m.method == 'CANCEL')
        if tc is not None:
            times['cancel'] = tc
        if not ans:
            fin = [e for e in log if e['dst'] is caller and inv_resp(e['msg'], 300, 699)]
            if fin:
                st, n = fin[-1]['msg'].status, fin[-1]['msg'].cseq[0]
                assert st == final_status, (self.name, st, final_status)
                times['final'] = first_at_caller(lambda m: inv_resp(m, st, st) and m.cseq[0] == n)
        times['end'] = log[-1]['t']
        frm = first.get('From')
        disp = re.match(r'\s*"([^"]*)"', frm)
        c = {'call_id': call_id, 'state': state}
        if final_status is not None:
            c['final_status'] = final_status
        c['answered'] = answered
        c['caller'] = re.search(r'<([^>]*)>', frm).group(1)
        c['callee'] = re.search(r'<([^>]*)>', first.get('To')).group(1)
        if disp:
            c['caller_display'] = disp.group(1)
        c['request_uri'] = first.ruri
        if hangup:
            c['hangup'] = hangup
        c['auth_challenges'] = auth_challenges
        c['dialogs'] = dialogs
        c['times'] = {k: Ts(v) for k, v in times.items()}
        c['sip_messages'] = len(log)
        c['retransmissions'] = sum(1 for e in log if e['retrans'])
        if legs is not None:
            c['legs'] = legs
        if holds is not None:
            c['holds'] = holds
        if streams is not None:
            c['streams'] = [s.expect() for s in streams]
        self.calls.append(c)

    def sip_frames_of(self, call_id):
        return sum(1 for e in self.log if e['msg'].call_id == call_id)

    # -- output ---------------------------------------------------------------------------
    def write(self, outdir, dump=None):
        frames = sorted(self.frames)
        out = bytearray(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for t, _, data in frames:
            ts = EPOCH0 * US + t
            out += struct.pack('<IIII', ts // US, ts % US, len(data), len(data)) + data
        with open(os.path.join(outdir, self.name + '.pcap'), 'wb') as fh:
            fh.write(out)
        doc = {'description': self.description, 'calls': self.calls,
               'registrations': self.registrations, 'others': self.others}
        text = json.dumps(doc, indent=2, default=lambda o: f'@@TS{o}@@', ensure_ascii=False)
        text = re.sub(r'"@@TS([0-9.]+)@@"', r'\1', text)
        with open(os.path.join(outdir, self.name + '.expect.json'), 'w') as fh:
            fh.write(text + '\n')
        if dump:
            seen = set()
            for e in sorted(self.log, key=lambda e: e['t']):
                data = e['msg'].encode()
                if data not in seen:
                    seen.add(data)
                    with open(os.path.join(dump, f'{self.name}-{len(seen):03d}.sip'), 'wb') as fh:
                        fh.write(data)
        return len(out)


def ack_for(invite, resp):
    """ACK for a non-2xx final response: the INVITE's top Via (same branch), R-URI, Route."""
    h = [('Via', invite.all('Via')[0])] + [('Route', r) for r in invite.all('Route')] + [
        ('Max-Forwards', '70'), ('From', invite.get('From')), ('To', resp.get('To')),
        ('Call-ID', invite.call_id), ('CSeq', f'{invite.cseq[0]} ACK')]
    return Msg(f'ACK {invite.ruri} SIP/2.0', h)


def cancel_for(invite):
    h = [('Via', invite.all('Via')[0])] + [('Route', r) for r in invite.all('Route')] + [
        ('Max-Forwards', '70'), ('From', invite.get('From')), ('To', invite.get('To')),
        ('Call-ID', invite.call_id), ('CSeq', f'{invite.cseq[0]} CANCEL')]
    return Msg(f'CANCEL {invite.ruri} SIP/2.0', h)


class Rtp:
    """One RTP sender (20 ms PCMU) and its RTCP; the timestamp follows the wall clock."""

    def __init__(self, f, src, sport, dst, dport, t_origin, pt=0):
        self.f, self.src, self.sport, self.dst, self.dport, self.pt = f, src, sport, dst, dport, pt
        self.ssrc = int(hashlib.md5(f'{f.name}|ssrc|{src.ip}|{sport}'.encode()).hexdigest()[:8], 16)
        self.seq = int(md5hex(f'{f.name}|seq|{src.ip}')[:4], 16) & 0x7fff
        self.ts0 = int(md5hex(f'{f.name}|ts|{src.ip}')[:8], 16) & 0x7fffffff
        self.t_origin = t_origin
        self.packets = self.octets = 0
        self.last_t = t_origin

    def ts_at(self, t):
        return (self.ts0 + (t - self.t_origin) // 125) & 0xffffffff

    def run(self, t0, t1, marker=True):
        """Packets every 20 ms from t0 while < t1; the first has the marker bit (talkspurt)."""
        t, first = t0, marker
        while t < t1:
            n = self.seq + self.packets
            payload = bytes((0xff ^ ((i * 13 + n) & 0x07)) for i in range(160))
            hdr = struct.pack('!BBHII', 0x80, (0x80 if first else 0) | self.pt, n & 0xffff,
                              self.ts_at(t), self.ssrc)
            self.f.udp(t, self.src, self.sport, self.dst, self.dport, hdr + payload)
            self.packets += 1
            self.octets += 160
            self.last_t = t
            first = False
            t += ms(20)
        return t

    def sr(self, t, cname):
        """RTCP compound: SR + SDES CNAME (RFC 3550 6.4.1, 6.5)."""
        ntp = (EPOCH0 * US + t) + 2208988800 * US
        ntp_hi, ntp_lo = ntp // US, ((ntp % US) << 32) // US
        sr = struct.pack('!BBHIIIIII', 0x80, 200, 6, self.ssrc, ntp_hi, ntp_lo, self.ts_at(t),
                         self.packets, self.octets)
        item = bytes([1, len(cname)]) + cname.encode()
        chunk = struct.pack('!I', self.ssrc) + item + b'\0'
        chunk += b'\0' * (-len(chunk) % 4)
        sdes = struct.pack('!BBH', 0x81, 202, len(chunk) // 4) + chunk
        self.f.udp(t, self.src, self.sport + 1, self.dst, self.dport + 1, sr + sdes)

    def expect(self):
        return {'src': f'{self.src.ip}:{self.sport}', 'dst': f'{self.dst.ip}:{self.dport}',
                'payload_type': self.pt, 'packets': self.packets, 'lost': 0}


# ---------------------------------------------------------------------------------------------
# call helpers
# ---------------------------------------------------------------------------------------------
U_ALICE = UA('Alice', 'alice', 'atlanta.example.com', ALICE, 49172)
U_BOB = UA('Bob', 'bob', 'biloxi.example.com', BOB, 3456)
U_CAROL = UA('Carol', 'carol', 'chicago.example.com', CAROL, 5004)
ALLOW = 'INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, MESSAGE, SUBSCRIBE, INFO, PRACK, UPDATE'


class Dialog:
    """Both ends of a dialog: side 'a' is the caller. rr is the Record-Route list of the 2xx."""

    def __init__(self, f, call_id, a, a_tag, b, b_tag, path, rr=(), a_uri=None, b_uri=None):
        self.f, self.call_id, self.path, self.rr = f, call_id, path, list(rr)
        self.ua = {'a': a, 'b': b}
        self.tag = {'a': a_tag, 'b': b_tag}
        self.uri = {'a': a_uri or a.aor, 'b': b_uri or b.aor}
        self.cseq = {'a': 1, 'b': 0}
        self.contact = {'a': a.contact_uri, 'b': b.contact_uri}

    def other(self, side):
        return 'b' if side == 'a' else 'a'

    def route(self, side):
        return self.path if side == 'a' else self.path[::-1]

    def req(self, side, method, extra=(), body='', ctype='application/sdp', cseq=None):
        o = self.other(side)
        ua = self.ua[side]
        if cseq is None:
            self.cseq[side] += 1
            cseq = self.cseq[side]
        routes = self.rr[::-1] if side == 'a' else self.rr
        via = f'SIP/2.0/{ua.transport} {ua.host.name}:{ua.host.port};branch={self.f.branch()}'
        contact = f'<{self.contact[side]}>' if method in ('INVITE', 'UPDATE', 'SUBSCRIBE', 'NOTIFY',
                                                        'REFER') else None
        return make_req(method, self.contact[o], via, ua.nameaddr(self.tag[side], self.uri[side]),
                        self.ua[o].nameaddr(self.tag[o], self.uri[o]), self.call_id, cseq,
                        contact=contact, extra=extra, body=body, ctype=ctype, routes=routes)

    def transact(self, t, side, method, code=200, extra=(), body='', ctype='application/sdp',
                 resp_extra=(), resp_body='', gap=None):
        req = self.req(side, method, extra=extra, body=body, ctype=ctype)
        return self.f.transact(t, req, self.route(side), code, gap=gap, extra=resp_extra,
                               body=resp_body, contact=(f'<{self.contact[self.other(side)]}>'
                                                        if method in ('INVITE', 'UPDATE') and
                                                        code < 300 else None))

    def reinvite(self, t, side, offer, answer, code=200, extra=(), resp_extra=(), gap=ms(40)):
        """re-INVITE / 2xx / ACK (or non-2xx with its hop-by-hop ACK). Returns t after the ACK."""
        req = self.req(side, 'INVITE', extra=extra, body=offer)
        path = self.route(side)
        hops, t = self.f.send_req(t, req, path, trying=len(path) > 2)
        other = self.other(side)
        resp, t = self.f.send_resp(t + gap, hops, path, code,
                                   contact=f'<{self.contact[other]}>' if code < 300 else None,
                                   body=answer if code < 300 else '', extra=resp_extra)
        if code < 300:
            t += ms(1.5)
            self.f.send_req(t, self.req(side, 'ACK', cseq=req.cseq[0]), path)
        return t

    def bye(self, t, side, gap=ms(2.1)):
        return self.transact(t, side, 'BYE', gap=gap)[1]


def invite(f, ua, to_ua, call_id, from_tag, cseq=1, ruri=None, body='', extra=(), via_host=None):
    h = via_host or ua.host
    via = f'SIP/2.0/{ua.transport} {h.name}:{h.port};branch={f.branch()}'
    return make_req('INVITE', ruri or to_ua.aor, via, ua.nameaddr(from_tag), to_ua.nameaddr(),
                    call_id, cseq, contact=f'<{ua.contact_uri}>',
                    extra=[('Allow', ALLOW)] + list(extra), body=body)


def setup_call(f, t, a, b, path, ring=ms(104), answer=sec(3.2), ruri=None, rr=True, extra=(),
               cseq=1, call_id=None, from_tag=None, offer=None, answer_sdp=None, b_tag=None,
               resp_extra=(), uas=None, first_ruri=None):
    """INVITE (offer) / 100s / 180 / 200 (answer) / ACK along path. Returns (Dialog, t after ACK)."""
    call_id = call_id or f.new_call_id(a.domain)
    from_tag = from_tag or f.tag()
    b_tag = b_tag or f.tag()
    uas = uas or b
    offer = offer if offer is not None else sdp(a.user, 2890844526, 2890844526, a.host, a.rtp_port)
    answer_sdp = answer_sdp if answer_sdp is not None else \
        sdp(uas.user, 2890844527, 2890844527, uas.host, uas.rtp_port, pts=(0, 101))
    req = invite(f, a, b, call_id, from_tag, cseq=cseq, body=offer, extra=extra, ruri=first_ruri)
    rr_idx = range(1, len(path) - 1) if rr is True else (rr or ())
    hops, t = send_invite(f, t, req, path, rr_idx, ruri)
    contact = f'<{uas.contact_uri}>'
    if ring is not None:
        _, t = f.send_resp(t + ring, hops, path, 180, to_tag=b_tag, contact=contact, extra=resp_extra)
    r200, t = f.send_resp(t + answer, hops, path, 200, to_tag=b_tag, contact=contact,
                          body=answer_sdp, extra=[('Allow', ALLOW)] + list(resp_extra))
    d = Dialog(f, call_id, a, from_tag, uas, b_tag, path, rr=r200.all('Record-Route'),
               b_uri=b.aor)
    d.cseq['a'] = cseq
    t += ms(3.3)
    f.send_req(t, d.req('a', 'ACK', cseq=cseq), path)
    return d, t


def send_invite(f, t, req, path, rr_idx, ruri=None):
    """send_req, with Record-Route only by the proxies in rr_idx."""
    ruri = ruri or {}
    f.send(t, path[0], path[1], req)
    hops = [req]
    for i in range(1, len(path) - 1):
        got = f.arrive(hops[-1], path[i - 1])
        t += 300 + f.hop_delay() // 3
        f.send(t, path[i], path[i - 1], make_resp(got, 100))
        t += f.hop_delay()
        fwd = f.forward(path[i], got, ruri=ruri.get(i), rr=i in rr_idx)
        f.send(t, path[i], path[i + 1], fwd)
        hops.append(fwd)
    return hops, t


def media(f, t0, t1, a_host, a_port, b_host, b_port, cname_a, cname_b, sr=True):
    """Both directions from t0 to t1 (b starts 7 ms later), one RTCP SR per side mid-way."""
    ra = f.rtp(a_host, a_port, b_host, b_port, t0)
    rb = f.rtp(b_host, b_port, a_host, a_port, t0 + ms(7))
    ra.run(t0, t1)
    rb.run(t0 + ms(7), t1)
    if sr:
        mid = t0 + (t1 - t0) * 2 // 3
        ra.sr(mid + ms(3), cname_a)
        rb.sr(mid + ms(11), cname_b)
    return ra, rb


BOB_URI = 'sip:bob@client.biloxi.example.com'
P2 = [ALICE, SS1, SS2, BOB]          # RFC 3665 3.2: Alice - Proxy 1 - Proxy 2 - Bob


# ---------------------------------------------------------------------------------------------
# the flows
# ---------------------------------------------------------------------------------------------
FLOWS = []


def flow(fn):
    FLOWS.append(fn)
    return fn


@flow
def basic_call():
    f = Flow('basic-call', 'RFC 3665 3.2 successful session establishment through two proxies '
             '(both Record-Route; Proxy 2 retargets to the registered contact), 2.6 s of PCMU '
             'both ways with one RTCP SR per side, BYE from the caller through the proxies. Each '
             'hop is its own frame and transaction; all share one Call-ID, so sip_messages '
             'counts every hop.')
    d, t = setup_call(f, 0, U_ALICE, U_BOB, P2, ring=ms(104), answer=sec(4.2), ruri={2: BOB_URI})
    t0 = t + ms(12)
    ra, rb = media(f, t0, t0 + sec(2.6), ALICE, 49172, BOB, 3456,
                   'alice@client.atlanta.example.com', 'bob@client.biloxi.example.com')
    d.bye(t0 + sec(2.6) + ms(5), 'a')
    f.expect_call(d.call_id, ALICE, 'completed', 200, True, 1, hangup='caller', streams=[ra, rb])
    return f


@flow
def callee_hangup():
    f = Flow('callee-hangup', 'RFC 3665 3.1 successful session establishment, direct between the '
             'two user agents (no proxy, no Record-Route); the callee ends the call: hangup is '
             '"callee" because the BYE comes from the side that answered.')
    d, t = setup_call(f, 0, U_ALICE, U_BOB, [ALICE, BOB], ring=ms(98), answer=sec(2.8))
    d.bye(t + sec(14.4), 'b')
    f.expect_call(d.call_id, ALICE, 'completed', 200, True, 1, hangup='callee')
    return f


@flow
def auth_proxy():
    f = Flow('auth-proxy-407', 'RFC 3665 3.3 session with multiple proxy authentication: Proxy 1 '
             'then Proxy 2 answer 407 (each ACKed hop by hop with the INVITE\'s branch), Alice '
             'retries twice with a higher CSeq and Proxy-Authorization for each realm (real MD5 '
             'digests, password "secret"), then the call is answered. auth_challenges counts the '
             'two 407s the caller received; the answered call has no "final" time because the '
             '407s are challenges, not the outcome.')
    cid, ftag = f.new_call_id('atlanta.example.com'), f.tag()
    offer = sdp('alice', 2890844526, 2890844526, ALICE, 49172)
    creds = []
    t = 0
    for n, (proxy_i, realm) in enumerate([(1, 'atlanta.example.com'), (2, 'biloxi.example.com')]):
        req = invite(f, U_ALICE, U_BOB, cid, ftag, cseq=n + 1, body=offer,
                     extra=[('Proxy-Authorization', c) for c in creds])
        path = P2[:proxy_i + 1]
        hops, t = send_invite(f, t, req, path, rr_idx=range(1, proxy_i))
        nonce = f.tok('nonce', 32)
        chal = (f'Digest realm="{realm}", qop="auth", nonce="{nonce}", algorithm=MD5, '
                f'stale=FALSE')
        _, t = f.send_resp(t + ms(1.8), hops, path, 407, to_tag=f.tag(),
                           extra=[('Proxy-Authenticate', chal)])
        t += ms(24)
        creds.append(digest('alice', realm, 'secret', 'INVITE', U_BOB.aor, nonce, f.tok('cnonce', 8)))
    d, t = setup_call(f, t, U_ALICE, U_BOB, P2, cseq=3, call_id=cid, from_tag=ftag, offer=offer,
                      ruri={2: BOB_URI},
                      extra=[('Proxy-Authorization', c) for c in creds])
    d.bye(t + sec(21), 'a')
    f.expect_call(cid, ALICE, 'completed', 200, True, 1, hangup='caller', auth_challenges=2)
    return f


def failed_call(name, desc, code, state, at, gap, extra=(), ring=None, dialogs=0, ruri=None):
    f = Flow(name, desc)
    cid, ftag = f.new_call_id('atlanta.example.com'), f.tag()
    path = P2[:at + 1]
    req = invite(f, U_ALICE, U_BOB, cid, ftag, body=sdp('alice', 2890844526, 2890844526, ALICE, 49172))
    hops, t = send_invite(f, 0, req, path, rr_idx=range(1, at), ruri=ruri)
    tag = f.tag()
    if ring is not None:
        _, t = f.send_resp(t + ring, hops, path, 180, to_tag=tag, contact=f'<{BOB_URI}>')
    f.send_resp(t + gap, hops, path, code, to_tag=tag, extra=extra)
    f.expect_call(cid, ALICE, state, code, False, dialogs)
    return f


@flow
def busy():
    return failed_call('busy', 'RFC 3665 4.2 unsuccessful busy: Bob answers 486 Busy Here at once '
                       '(no 18x, so no early dialog: dialogs 0); every hop ACKs the 486 with the '
                       'branch of the INVITE it sent.', 486, 'busy', 3, ms(81), ruri={2: BOB_URI})


@flow
def not_found():
    return failed_call('unsuccessful-404', 'Unsuccessful call: Proxy 2 has no registration for '
                       'the user and answers 404 Not Found (shape of RFC 3665 4.4, which uses '
                       '480). State "rejected" as for every 4xx/6xx but 486/600 (busy) and 408/480 '
                       '(no answer): the request was refused by the network, not failed by a '
                       'server error (that is "failed", 5xx, see unsuccessful-503).',
                       404, 'rejected', 2, ms(3.4))


@flow
def unavailable():
    return failed_call('unsuccessful-503', 'Unsuccessful call: Proxy 1 is overloaded and answers '
                       '503 Service Unavailable with Retry-After. State "failed" (server error, '
                       'no callee involved).', 503, 'failed', 1, ms(2.2),
                       extra=[('Retry-After', '30')])


@flow
def decline():
    return failed_call('decline-603', 'Unsuccessful call: Bob\'s phone rings and Bob declines '
                       '(603 Decline after 4.3 s). State "rejected": the callee refused the call; '
                       'the 180 created an early dialog, so dialogs is 1.', 603, 'rejected', 3,
                       sec(4.3), ring=ms(112), dialogs=1, ruri={2: BOB_URI})


@flow
def cancel():
    f = Flow('cancel', 'RFC 3665 4.1 unsuccessful no answer: Bob\'s phone rings, Alice gives up '
             'after 6.1 s and CANCELs; the CANCEL goes hop by hop (each answered 200), Bob answers '
             'the INVITE 487, ACKed on every hop. State "cancelled" (the caller abandoned), '
             'final_status 487; one early dialog (the 180).')
    cid, ftag = f.new_call_id('atlanta.example.com'), f.tag()
    req = invite(f, U_ALICE, U_BOB, cid, ftag, body=sdp('alice', 2890844526, 2890844526, ALICE, 49172))
    hops, t = send_invite(f, 0, req, P2, rr_idx=(1, 2), ruri={2: BOB_URI})
    tag = f.tag()
    _, t = f.send_resp(t + ms(97), hops, P2, 180, to_tag=tag, contact=f'<{BOB_URI}>')
    t = f.cancel(t + sec(6.1), hops, P2)
    f.send_resp(t + ms(1.1), hops, P2, 487, to_tag=tag)
    f.expect_call(cid, ALICE, 'cancelled', 487, False, 1)
    return f


@flow
def no_answer():
    f = Flow('no-answer', 'No answer: Bob\'s phone rings; after 20 s Proxy 2\'s no-answer timer '
             'fires (RFC 3261 16.8: the branch behaves as if it got 408): Proxy 2 CANCELs the '
             'branch to Bob (200, 487, ACK on that hop only) and sends 408 Request Timeout '
             'upstream. State "no-answer", final_status 408 (what the caller got; the 487 stays '
             'on the Proxy 2 - Bob hop); cancel is the proxy\'s CANCEL time.')
    cid, ftag = f.new_call_id('atlanta.example.com'), f.tag()
    req = invite(f, U_ALICE, U_BOB, cid, ftag, body=sdp('alice', 2890844526, 2890844526, ALICE, 49172))
    hops, t = send_invite(f, 0, req, P2, rr_idx=(1, 2), ruri={2: BOB_URI})
    tag = f.tag()
    _, t = f.send_resp(t + ms(101), hops, P2, 180, to_tag=tag, contact=f'<{BOB_URI}>')
    t = t + sec(20)
    # Proxy 2 -> Bob: CANCEL / 200
    f.cancel(t, hops, P2, first_sender=2)
    # Proxy 2 -> Proxy 1 -> Alice: 408 (ACKed hop by hop); the 408's To tag is Proxy 2's
    _, t2 = f.send_resp(t + ms(1.9), hops[:2], P2[:3], 408, to_tag=f.tag())
    # Bob's 487 on the cancelled branch, ACKed by Proxy 2
    r487 = make_resp(f.arrive(hops[2], SS2), 487, to_tag=tag)
    f.send(t + ms(4.7), BOB, SS2, r487)
    f.send(t + ms(5.3), SS2, BOB, ack_for(hops[2], r487))
    f.expect_call(cid, ALICE, 'no-answer', 408, False, 1)
    return f


@flow
def redirect():
    f = Flow('redirect-302', 'Redirection (RFC 3665 3.6 up to F3): Proxy 2 answers 302 Moved '
             'Temporarily with Bob\'s temporary contact; Proxy 1 does not recurse and relays it; '
             'Alice ACKs and does not try the new target. State "redirected", final_status 302, '
             'no dialog.')
    cid, ftag = f.new_call_id('atlanta.example.com'), f.tag()
    req = invite(f, U_ALICE, U_BOB, cid, ftag, body=sdp('alice', 2890844526, 2890844526, ALICE, 49172))
    hops, t = send_invite(f, 0, req, P2[:3], rr_idx=(1,))
    f.send_resp(t + ms(2.6), hops, P2[:3], 302, to_tag=f.tag(),
                contact='<sip:bob@bob.chicago.example.com>;expires=3600')
    f.expect_call(cid, ALICE, 'redirected', 302, False, 0)
    return f


@flow
def redirect_followed():
    f = Flow('redirect-followed', 'RFC 3665 3.6 session via redirect and proxy servers: Proxy 2 '
             'answers 302 with Bob\'s temporary contact, Alice ACKs and sends a new INVITE '
             '(same Call-ID and From tag, CSeq 2, Request-URI the contact) through Proxy 1, which '
             'Record-Routes; Bob answers. One call: state "completed" (the 302 is a step, not '
             'the outcome), request_uri is that of the first INVITE, no "final" time.')
    cid, ftag = f.new_call_id('atlanta.example.com'), f.tag()
    offer = sdp('alice', 2890844526, 2890844526, ALICE, 49172)
    req = invite(f, U_ALICE, U_BOB, cid, ftag, body=offer)
    hops, t = send_invite(f, 0, req, P2[:3], rr_idx=(1,))
    _, t = f.send_resp(t + ms(2.6), hops, P2[:3], 302, to_tag=f.tag(),
                       contact='<sip:bob@bob.chicago.example.com>;expires=3600')
    bob_c = UA('Bob', 'bob', 'biloxi.example.com', BOB_CHICAGO, 3456)
    path = [ALICE, SS1, BOB_CHICAGO]
    f.n += 1
    req2 = invite(f, U_ALICE, U_BOB, cid, ftag, cseq=2, ruri='sip:bob@bob.chicago.example.com',
                  body=offer)
    hops, t = send_invite(f, t + ms(19), req2, path, rr_idx=(1,))
    tag = f.tag()
    _, t = f.send_resp(t + ms(131), hops, path, 180, to_tag=tag, contact=f'<{bob_c.contact_uri}>')
    ans = sdp('bob', 2890844527, 2890844527, BOB_CHICAGO, 3456, pts=(0, 101))
    r200, t = f.send_resp(t + sec(3.9), hops, path, 200, to_tag=tag,
                          contact=f'<{bob_c.contact_uri}>', body=ans)
    d = Dialog(f, cid, U_ALICE, ftag, bob_c, tag, path, rr=r200.all('Record-Route'), b_uri=U_BOB.aor)
    d.cseq['a'] = 2
    t += ms(3.1)
    f.send_req(t, d.req('a', 'ACK', cseq=2), path)
    d.bye(t + sec(9.5), 'a')
    f.expect_call(cid, ALICE, 'completed', 200, True, 1, hangup='caller')
    return f


@flow
def forking():
    f = Flow('forking', 'Parallel forking (RFC 3261 16.6, 16.7, 12.1; shape of RFC 3665 3.2): '
             'Proxy 2 forks to Bob\'s desk phone and mobile; both ring with their own To tags (two '
             'early dialogs), the mobile answers, Proxy 2 relays the 200 and CANCELs the desk '
             'branch, which ends with 487 ACKed by Proxy 2 (the 487 is not relayed upstream). '
             'State "completed" with dialogs 2: two dialogs were created (early), one was '
             'confirmed; final_status is the 200 the caller got.')
    cid, ftag = f.new_call_id('atlanta.example.com'), f.tag()
    req = invite(f, U_ALICE, U_BOB, cid, ftag, body=sdp('alice', 2890844526, 2890844526, ALICE, 49172))
    hops, t = send_invite(f, 0, req, P2[:3], rr_idx=(1, 2))
    # Proxy 2 forks: two branches, same Via stack, each with its own branch parameter
    got = f.arrive(hops[1], SS1)
    desk_inv = f.forward(SS2, got, ruri=BOB_URI, rr=True)
    mob_inv = f.forward(SS2, got, ruri='sip:bob@mobile.biloxi.example.com', rr=True)
    t += ms(1.3)
    f.send(t, SS2, BOB, desk_inv)
    f.send(t + ms(0.6), SS2, BOB_MOBILE, mob_inv)
    desk_path, mob_path = P2, [ALICE, SS1, SS2, BOB_MOBILE]
    dtag, mtag = f.tag(), f.tag()
    _, t1 = f.send_resp(t + ms(88), hops + [desk_inv], desk_path, 180, to_tag=dtag,
                        contact=f'<{BOB_URI}>')
    _, t2 = f.send_resp(t + ms(143), hops + [mob_inv], mob_path, 180, to_tag=mtag,
                        contact='<sip:bob@mobile.biloxi.example.com>')
    ans = sdp('bob', 3108817661, 3108817661, BOB_MOBILE, 3458, pts=(0, 101))
    r200, t = f.send_resp(t + sec(5.6), hops + [mob_inv], mob_path, 200, to_tag=mtag,
                          contact='<sip:bob@mobile.biloxi.example.com>', body=ans)
    # Proxy 2 cancels the desk branch right after relaying the 200
    c = cancel_for(desk_inv)
    tc = t - ms(1.5) + ms(0.4)
    f.send(tc, SS2, BOB, c)
    f.send(tc + ms(1.2), BOB, SS2, make_resp(f.arrive(c, SS2), 200))
    r487 = make_resp(f.arrive(desk_inv, SS2), 487, to_tag=dtag)
    f.send(tc + ms(2.4), BOB, SS2, r487)
    f.send(tc + ms(2.9), SS2, BOB, ack_for(desk_inv, r487))
    mob = UA('Bob', 'bob', 'biloxi.example.com', BOB_MOBILE, 3458)
    d = Dialog(f, cid, U_ALICE, ftag, mob, mtag, mob_path, rr=r200.all('Record-Route'))
    t += ms(3.6)
    f.send_req(t, d.req('a', 'ACK', cseq=1), mob_path)
    d.bye(t + sec(11.2), 'b')
    f.expect_call(cid, ALICE, 'completed', 200, True, 2, hangup='callee')
    return f



@flow
def hold():
    f = Flow('hold', 'RFC 5359 2.1 call hold, twice, direct between the user agents: Alice holds '
             'with a=sendonly (Bob answers recvonly and stops sending; Alice keeps sending), '
             'resumes with sendrecv; then Bob holds with a=inactive (both stop) and resumes. '
             'holds is 2 (re-INVITEs that put the call on hold; resumes are not counted). Each '
             'RTP stream keeps its SSRC and sequence across the pauses: a pause is not loss '
             '(lost 0), the first packet after each pause has the marker bit.')
    seg = sec(1.6)
    d, t = setup_call(f, 0, U_ALICE, U_BOB, [ALICE, BOB], ring=ms(95), answer=sec(2.4))
    ra = f.rtp(ALICE, 49172, BOB, 3456, t + ms(10))
    rb = f.rtp(BOB, 3456, ALICE, 49172, t + ms(17))
    t = ra.run(t + ms(10), t + ms(10) + seg)
    rb.run(t - seg + ms(7), t)
    ra.sr(t - ms(400), 'alice@client.atlanta.example.com')
    rb.sr(t - ms(390), 'bob@client.biloxi.example.com')

    def offer(who, ver, direction):
        return sdp(who.user, 2890844526 if who is U_ALICE else 2890844527, ver, who.host,
                   who.rtp_port, pts=(0, 101), direction=direction)
    # Alice holds (a=sendonly): Bob's direction stops, Alice's continues
    t = d.reinvite(t + ms(5), 'a', offer(U_ALICE, 2890844527, 'sendonly'),
                   offer(U_BOB, 2890844528, 'recvonly'))
    t = ra.run(ra.last_t + ms(20), t + seg, marker=False)
    # Alice resumes
    t = d.reinvite(t + ms(5), 'a', offer(U_ALICE, 2890844528, 'sendrecv'),
                   offer(U_BOB, 2890844529, 'sendrecv'))
    ra.run(t + ms(9), t + ms(9) + seg)
    t = rb.run(t + ms(14), t + ms(14) + seg)
    # Bob holds (a=inactive): both directions stop
    t = d.reinvite(t + ms(5), 'b', offer(U_BOB, 2890844530, 'inactive'),
                   offer(U_ALICE, 2890844529, 'inactive'))
    t += seg
    # Bob resumes
    t = d.reinvite(t, 'b', offer(U_BOB, 2890844531, 'sendrecv'),
                   offer(U_ALICE, 2890844530, 'sendrecv'))
    ra.run(t + ms(8), t + ms(8) + seg)
    t = rb.run(t + ms(12), t + ms(12) + seg)
    d.bye(t + ms(6), 'a')
    f.expect_call(d.call_id, ALICE, 'completed', 200, True, 1, hangup='caller', holds=2,
                  streams=[ra, rb])
    return f


def notify_sipfrag(d, t, side, frag, state):
    return d.transact(t, side, 'NOTIFY', extra=[('Event', 'refer'), ('Subscription-State', state)],
                      body=frag, ctype='message/sipfrag;version=2.0')[1]


@flow
def transfer_unattended():
    f = Flow('transfer-unattended', 'RFC 5359 2.4 unattended (blind) transfer, direct: Bob calls '
             'Alice; Alice REFERs Bob to Carol (Refer-To, Referred-By), 202, NOTIFY sipfrag "100 '
             'Trying", Alice BYEs Bob; Bob calls Carol (Referred-By), then NOTIFYs Alice "200 OK" '
             '(Subscription-State terminated) on the first dialog after its BYE. The REFER and '
             'NOTIFYs are in-dialog: counted in the first call\'s sip_messages, not listed under '
             'others. The two calls are linked both ways in legs; the first call\'s hangup is '
             '"callee" (Alice answered it and sent the BYE).')
    d1, t = setup_call(f, 0, U_BOB, U_ALICE, [BOB, ALICE], ring=ms(92), answer=sec(2.2))
    t += sec(6.3)
    _, t = d1.transact(t, 'b', 'REFER', code=202,
                       extra=[('Refer-To', '<sip:carol@chicago.example.com>'),
                              ('Referred-By', '<sip:alice@atlanta.example.com>')])
    t = notify_sipfrag(d1, t + ms(12), 'a', 'SIP/2.0 100 Trying\r\n', 'active;expires=60')
    t = d1.bye(t + ms(35), 'b')
    d2, t = setup_call(f, t + ms(20), U_BOB, U_CAROL, [BOB, CAROL], ring=ms(120), answer=sec(3.1),
                       extra=[('Referred-By', '<sip:alice@atlanta.example.com>')])
    t = notify_sipfrag(d1, t + ms(15), 'a', 'SIP/2.0 200 OK\r\n', 'terminated;reason=noresource')
    d2.bye(t + sec(12.5), 'a')
    f.expect_call(d1.call_id, BOB, 'completed', 200, True, 1, hangup='callee', legs=[d2.call_id])
    f.expect_call(d2.call_id, BOB, 'completed', 200, True, 1, hangup='caller', legs=[d1.call_id])
    return f


@flow
def transfer_attended():
    f = Flow('transfer-attended', 'RFC 5359 2.5 attended transfer, direct: Bob calls Alice; Alice '
             'holds Bob (a=sendonly) and calls Carol (consultation); Alice REFERs Bob with '
             'Refer-To carrying ?Replaces= of the Alice-Carol dialog; Bob INVITEs Carol with '
             'Replaces (and Referred-By); Carol answers, BYEs Alice on the consultation call; Bob '
             'NOTIFYs "200 OK"; Alice BYEs Bob. legs: every call links to the two others: the '
             'first call to the consultation call (the REFER names it in Refer-To ?Replaces=) '
             'and to the new call (Referred-By to the Refer-To target), the consultation call '
             'to the new call (Replaces), so a reader of any of the three finds the transfer. '
             'holds 1 on the first call.')
    d1, t = setup_call(f, 0, U_BOB, U_ALICE, [BOB, ALICE], ring=ms(88), answer=sec(1.9))
    t = d1.reinvite(t + sec(4.2), 'b',
                    sdp('alice', 2890844527, 2890844528, ALICE, 49172, pts=(0, 101), direction='sendonly'),
                    sdp('bob', 2890844526, 2890844527, BOB, 3456, pts=(0, 101), direction='recvonly'))
    alice2 = UA('Alice', 'alice', 'atlanta.example.com', ALICE, 49174)
    d2, t = setup_call(f, t + sec(1.1), alice2, U_CAROL, [ALICE, CAROL], ring=ms(131), answer=sec(4.4))
    rep = (f'{d2.call_id.replace("@", "%40")}%3Bto-tag%3D{d2.tag["b"]}%3Bfrom-tag%3D{d2.tag["a"]}')
    _, t = d1.transact(t + sec(7.5), 'b', 'REFER', code=202,
                       extra=[('Refer-To', f'<sip:carol@client.chicago.example.com?Replaces={rep}>'),
                              ('Referred-By', '<sip:alice@atlanta.example.com>')])
    t = notify_sipfrag(d1, t + ms(11), 'a', 'SIP/2.0 100 Trying\r\n', 'active;expires=60')
    bob3 = UA('Bob', 'bob', 'biloxi.example.com', BOB, 3458)
    d3, t = setup_call(f, t + ms(18), bob3, U_CAROL, [BOB, CAROL], ring=None, answer=ms(46),
                       first_ruri='sip:carol@client.chicago.example.com', extra=[
                           ('Replaces', f'{d2.call_id};to-tag={d2.tag["b"]};from-tag={d2.tag["a"]}'),
                           ('Referred-By', '<sip:alice@atlanta.example.com>')],
                       answer_sdp=sdp('carol', 2890844530, 2890844530, CAROL, 5006, pts=(0, 101)))
    t = d2.bye(t + ms(25), 'b')
    t = notify_sipfrag(d1, t + ms(9), 'a', 'SIP/2.0 200 OK\r\n', 'terminated;reason=noresource')
    t = d1.bye(t + ms(30), 'b')
    d3.bye(t + sec(15.2), 'a')
    f.expect_call(d1.call_id, BOB, 'completed', 200, True, 1, hangup='callee', holds=1,
                  legs=[d2.call_id, d3.call_id])
    f.expect_call(d2.call_id, ALICE, 'completed', 200, True, 1, hangup='callee',
                  legs=[d1.call_id, d3.call_id])
    f.expect_call(d3.call_id, BOB, 'completed', 200, True, 1, hangup='caller',
                  legs=[d1.call_id, d2.call_id])
    return f


@flow
def b2bua():
    f = Flow('b2bua', 'B2BUA (an SBC that anchors media) between Alice and Bob: two calls with '
             'their own Call-IDs, tags, CSeqs and SDP (the B2BUA is the UAS of the A leg and the '
             'UAC of the B leg); the B leg carries X-CID: <A leg Call-ID>. Media is two pairs of '
             'streams, Alice <-> B2BUA and B2BUA <-> Bob, each listed on its own leg. Alice '
             'hangs up; the B2BUA, as caller of the B leg, BYEs Bob: both legs have hangup '
             '"caller".')
    a_leg_uas = UA('Bob', 'bob', 'biloxi.example.com', SBC, 40000)
    b_leg_uac = UA('Alice', 'alice', 'atlanta.example.com', SBC, 40002)
    cid_a, cid_b = f.new_call_id('atlanta.example.com'), f.new_call_id('b2bua.example.com')
    tag_a, tag_sbc_a, tag_sbc_b, tag_b = f.tag(), f.tag(), f.tag(), f.tag()
    pa, pb = [ALICE, SBC], [SBC, BOB]
    inv_a = invite(f, U_ALICE, U_BOB, cid_a, tag_a,
                   body=sdp('alice', 2890844526, 2890844526, ALICE, 49172))
    f.send(0, ALICE, SBC, inv_a)
    got_a = f.arrive(inv_a, ALICE)
    f.send(ms(1.1), SBC, ALICE, make_resp(got_a, 100))
    inv_b = invite(f, b_leg_uac, U_BOB, cid_b, tag_sbc_b, ruri=BOB_URI,
                   body=sdp('b2bua', 1733309111, 1733309111, SBC, 40002),
                   extra=[('X-CID', cid_a)])
    f.send(ms(3.4), SBC, BOB, inv_b)
    f.send(ms(5.0), BOB, SBC, make_resp(f.arrive(inv_b, SBC), 100))
    _, t = f.send_resp(ms(108), [inv_b], pb, 180, to_tag=tag_b, contact=f'<{BOB_URI}>')
    _, t = f.send_resp(t + ms(1.6), [inv_a], pa, 180, to_tag=tag_sbc_a,
                       contact=f'<{a_leg_uas.contact_uri}>')
    _, t = f.send_resp(t + sec(3.7), [inv_b], pb, 200, to_tag=tag_b, contact=f'<{BOB_URI}>',
                       body=sdp('bob', 2890844527, 2890844527, BOB, 3456, pts=(0, 101)))
    _, t = f.send_resp(t + ms(1.9), [inv_a], pa, 200, to_tag=tag_sbc_a,
                       contact=f'<{a_leg_uas.contact_uri}>',
                       body=sdp('b2bua', 1733309112, 1733309112, SBC, 40000, pts=(0, 101)))
    da = Dialog(f, cid_a, U_ALICE, tag_a, a_leg_uas, tag_sbc_a, pa)
    db = Dialog(f, cid_b, b_leg_uac, tag_sbc_b, U_BOB, tag_b, pb)
    f.send(t + ms(0.8), SBC, BOB, db.req('a', 'ACK', cseq=1))
    t += ms(2.9)
    f.send(t, ALICE, SBC, da.req('a', 'ACK', cseq=1))
    t0 = t + ms(9)
    a1, a2 = media(f, t0, t0 + sec(2.4), ALICE, 49172, SBC, 40000,
                   'alice@client.atlanta.example.com', 'b2bua@b2bua.example.com')
    b1, b2 = media(f, t0 + ms(1), t0 + sec(2.4), SBC, 40002, BOB, 3456,
                   'b2bua@b2bua.example.com', 'bob@client.biloxi.example.com')
    t = da.bye(t0 + sec(2.4) + ms(4), 'a', gap=ms(0.9))
    db.bye(t + ms(0.7), 'a')
    f.expect_call(cid_a, ALICE, 'completed', 200, True, 1, hangup='caller', legs=[cid_b],
                  streams=[a1, a2])
    f.expect_call(cid_b, SBC, 'completed', 200, True, 1, hangup='caller', legs=[cid_a],
                  streams=[b1, b2])
    return f


def reliable_18x(f, t, hops, path, code, rseq, tag, body=''):
    return f.send_resp(t, hops, path, code, to_tag=tag, contact=f'<{BOB_URI}>', body=body,
                       extra=[('Require', '100rel'), ('RSeq', str(rseq))])


@flow
def prack():
    f = Flow('prack-100rel', 'Reliable provisional responses (RFC 3262) through Proxy 1 (which '
             'Record-Routes): INVITE with Supported: 100rel and an offer; 183 Session Progress with '
             'Require: 100rel, RSeq 1 and the SDP answer; PRACK (RAck 1 1 INVITE) / 200; 180 with '
             'RSeq 2; PRACK / 200; 200 to the INVITE without SDP; ACK; BYE. first_18x is the 183. '
             'PRACKs are in the early dialog (same Call-ID) and counted in sip_messages.')
    path = [ALICE, SS1, BOB]
    cid, ftag, tag = f.new_call_id('atlanta.example.com'), f.tag(), f.tag()
    req = invite(f, U_ALICE, U_BOB, cid, ftag, body=sdp('alice', 2890844526, 2890844526, ALICE, 49172),
                 extra=[('Supported', '100rel')])
    hops, t = send_invite(f, 0, req, path, rr_idx=(1,), ruri={1: BOB_URI})
    r183, t = reliable_18x(f, t + ms(96), hops, path, 183, 1, tag,
                           body=sdp('bob', 2890844527, 2890844527, BOB, 3456, pts=(0, 101)))
    d = Dialog(f, cid, U_ALICE, ftag, U_BOB, tag, path, rr=r183.all('Record-Route'))
    _, t = d.transact(t + ms(2.2), 'a', 'PRACK', extra=[('RAck', '1 1 INVITE')])
    _, t = reliable_18x(f, t + ms(310), hops, path, 180, 2, tag)
    _, t = d.transact(t + ms(1.9), 'a', 'PRACK', extra=[('RAck', '2 1 INVITE')])
    _, t = f.send_resp(t + sec(5.2), hops, path, 200, to_tag=tag, contact=f'<{BOB_URI}>')
    f.send_req(t + ms(2.7), d.req('a', 'ACK', cseq=1), path)
    d.bye(t + sec(16), 'a')
    f.expect_call(cid, ALICE, 'completed', 200, True, 1, hangup='caller')
    return f


@flow
def early_update():
    f = Flow('early-update', 'UPDATE in the early dialog (RFC 3311), direct: INVITE (offer PCMU, '
             'PCMA), reliable 183 with the answer (PCMU), PRACK / 200, then Alice UPDATEs with a '
             'new offer (PCMA only) answered in the 200 to the UPDATE; 180, 200 to the INVITE '
             '(no SDP), ACK; Bob hangs up. The UPDATE changes the session before answer; the '
             'call has one dialog.')
    path = [ALICE, BOB]
    cid, ftag, tag = f.new_call_id('atlanta.example.com'), f.tag(), f.tag()
    req = invite(f, U_ALICE, U_BOB, cid, ftag, body=sdp('alice', 2890844526, 2890844526, ALICE, 49172),
                 extra=[('Supported', '100rel')])
    hops, t = f.send_req(0, req, path)
    f.send(t + ms(2.3), BOB, ALICE, make_resp(f.arrive(req, ALICE), 100))
    r183, t = reliable_18x(f, t + ms(101), hops, path, 183, 1, tag,
                           body=sdp('bob', 2890844527, 2890844527, BOB, 3456, pts=(0, 101)))
    d = Dialog(f, cid, U_ALICE, ftag, U_BOB, tag, path)
    _, t = d.transact(t + ms(2.4), 'a', 'PRACK', extra=[('RAck', '1 1 INVITE')])
    _, t = d.transact(t + ms(640), 'a', 'UPDATE',
                      body=sdp('alice', 2890844526, 2890844527, ALICE, 49172, pts=(8, 101)),
                      resp_body=sdp('bob', 2890844527, 2890844528, BOB, 3456, pts=(8, 101)))
    _, t = reliable_18x(f, t + ms(220), hops, path, 180, 2, tag)
    _, t = d.transact(t + ms(2.0), 'a', 'PRACK', extra=[('RAck', '2 1 INVITE')])
    _, t = f.send_resp(t + sec(4.1), hops, path, 200, to_tag=tag, contact=f'<{BOB_URI}>')
    f.send_req(t + ms(1.8), d.req('a', 'ACK', cseq=1), path)
    d.bye(t + sec(9.3), 'b')
    f.expect_call(cid, ALICE, 'completed', 200, True, 1, hangup='callee')
    return f


@flow
def session_refresh():
    f = Flow('session-refresh', 'Session timer (RFC 4028) through two proxies: INVITE with '
             'Supported: timer, Session-Expires: 90 and Min-SE: 90; the 200 has Require: timer and '
             'Session-Expires: 90;refresher=uac; Alice refreshes with a re-INVITE (same SDP, same '
             'o= version) at 45 s and 90 s, then hangs up. Refreshes are neither holds nor new '
             'calls: holds 0, one dialog.')
    se = [('Supported', 'timer'), ('Session-Expires', '90;refresher=uac'), ('Min-SE', '90')]
    se_resp = [('Require', 'timer'), ('Session-Expires', '90;refresher=uac')]
    offer = sdp('alice', 2890844526, 2890844526, ALICE, 49172)
    answer = sdp('bob', 2890844527, 2890844527, BOB, 3456, pts=(0, 101))
    d, t = setup_call(f, 0, U_ALICE, U_BOB, P2, ring=ms(99), answer=sec(2.6), ruri={2: BOB_URI},
                      extra=se, resp_extra=se_resp, offer=offer, answer_sdp=answer)
    t0 = t
    for k in (1, 2):
        d.reinvite(t0 + sec(45) * k, 'a', offer, answer, extra=se, resp_extra=se_resp, gap=ms(3))
    d.bye(t0 + sec(112.4), 'a')
    f.expect_call(d.call_id, ALICE, 'completed', 200, True, 1, hangup='caller', holds=0)
    return f


@flow
def tcp_call():
    f = Flow('tcp-call', 'A call over TCP (RFC 3261 18.2) through Proxy 1: Alice opens a '
             'connection to Proxy 1, Proxy 1 one to Bob; responses and in-dialog requests reuse '
             'them (Via SIP/2.0/TCP, Record-Route and Contact with transport=tcp). One SIP message '
             'per segment; the capture has the handshakes and bare ACKs too (not SIP).')
    a = UA('Alice', 'alice', 'atlanta.example.com', ALICE, 49172, transport='TCP')
    b = UA('Bob', 'bob', 'biloxi.example.com', BOB, 3456, transport='TCP')
    d, t = setup_call(f, ms(2), a, b, [ALICE, SS1, BOB], ring=ms(107), answer=sec(3.3),
                      ruri={1: 'sip:bob@client.biloxi.example.com;transport=tcp'})
    d.bye(t + sec(8.8), 'a')
    f.expect_call(d.call_id, ALICE, 'completed', 200, True, 1, hangup='caller')
    return f


@flow
def ipv6_call():
    f = Flow('ipv6-call', 'A call over UDP/IPv6 through Proxy 1 (RFC 3261 with IPv6 references '
             'in Via, Record-Route and Contact, RFC 5118 style; SDP c=IN IP6). Callee hangs up.')
    a = UA('Alice', 'alice', 'atlanta.example.com', ALICE6, 49172)
    b = UA('Bob', 'bob', 'biloxi.example.com', BOB6, 3456)
    d, t = setup_call(f, 0, a, b, [ALICE6, SS1_6, BOB6], ring=ms(93), answer=sec(2.9),
                      ruri={1: 'sip:bob@[2001:db8:b::20]'},
                      offer=sdp('alice', 2890844526, 2890844526, ALICE6, 49172),
                      answer_sdp=sdp('bob', 2890844527, 2890844527, BOB6, 3456, pts=(0, 101)))
    d.bye(t + sec(7.7), 'b')
    f.expect_call(d.call_id, ALICE6, 'completed', 200, True, 1, hangup='callee')
    return f


def register(f, t, pw_ok):
    cid, tag = f.new_call_id('biloxi.example.com'), f.tag()
    contact = '<sip:bob@client.biloxi.example.com>'

    def reg(cseq, extra=()):
        via = f'SIP/2.0/UDP client.biloxi.example.com:5060;branch={f.branch()}'
        return make_req('REGISTER', 'sip:biloxi.example.com', via, U_BOB.nameaddr(tag),
                        U_BOB.nameaddr(), cid, cseq, contact=contact,
                        extra=[('Expires', '3600')] + list(extra))
    nonce = f.tok('nonce', 32)
    r, t = f.transact(t, reg(1), [BOB, SS2], 401, gap=ms(1.7), to_tag=f.tag(), extra=[
        ('WWW-Authenticate', f'Digest realm="biloxi.example.com", qop="auth", nonce="{nonce}", '
                             f'algorithm=MD5, stale=FALSE')])
    auth = digest('bob', 'biloxi.example.com', 'secret' if pw_ok else 'wrong', 'REGISTER',
                  'sip:biloxi.example.com', nonce, f.tok('cnonce', 8))
    if pw_ok:
        f.transact(t + ms(21), reg(2, [('Authorization', auth)]), [BOB, SS2], 200, gap=ms(3.2),
                   to_tag=f.tag(), extra=[('Contact', contact + ';expires=3600'),
                                          ('Date', 'Wed, 01 Jan 2025 12:00:00 GMT')])
    else:
        f.transact(t + ms(21), reg(2, [('Authorization', auth)]), [BOB, SS2], 403, gap=ms(3.2),
                   to_tag=f.tag())
    return cid


@flow
def register_auth():
    f = Flow('register-auth', 'RFC 3665 2.1 successful new registration: REGISTER, 401 with a '
             'Digest challenge, REGISTER (CSeq 2, same Call-ID) with Authorization, 200 with the '
             'binding (expires=3600). No call.')
    register(f, 0, True)
    f.registrations.append({'aor': 'sip:bob@biloxi.example.com',
                            'contact': 'sip:bob@client.biloxi.example.com', 'expires': 3600,
                            'final_status': 200, 'state': 'registered', 'challenged': True})
    return f


@flow
def register_403():
    f = Flow('register-403', 'Unsuccessful registration (after RFC 3665 2.5, ending in 403 '
             'instead of a second 401): the retried REGISTER carries wrong credentials and the '
             'registrar answers 403 Forbidden. State "failed"; no expires since no binding was '
             'granted.')
    register(f, 0, False)
    f.registrations.append({'aor': 'sip:bob@biloxi.example.com',
                            'contact': 'sip:bob@client.biloxi.example.com',
                            'final_status': 403, 'state': 'failed', 'challenged': True})
    return f


@flow
def options_ping():
    f = Flow('options-ping', 'OPTIONS keep-alive pings (RFC 3261 11): Proxy 1 pings Alice and, '
             '30 s later, Proxy 2 pings Bob; each is answered 200 with Allow, Accept and '
             'Supported. Two "others" records, no call.')
    for t, (px, ua, dom) in zip((0, sec(30)), ((SS1, U_ALICE, 'atlanta'), (SS2, U_BOB, 'biloxi'))):
        cid = f.new_call_id(px.name)
        via = f'SIP/2.0/UDP {px.name}:5060;branch={f.branch()}'
        req = make_req('OPTIONS', ua.contact_uri, via, f'<sip:{px.name}>;tag={f.tag()}',
                       f'<{ua.contact_uri}>', cid, 1, extra=[('Accept', 'application/sdp')])
        f.transact(t, req, [px, ua.host], 200, gap=ms(1.4), to_tag=f.tag(), extra=[
            ('Allow', ALLOW), ('Accept', 'application/sdp'), ('Supported', 'replaces, timer')])
        f.others.append({'kind': 'options', 'call_id': cid, 'final_status': 200})
    return f


PIDF = ('<?xml version="1.0" encoding="UTF-8"?>\r\n'
        '<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="pres:bob@biloxi.example.com">\r\n'
        '<tuple id="t1"><status><basic>{}</basic></status></tuple>\r\n</presence>\r\n')


@flow
def subscribe_presence():
    f = Flow('subscribe-presence', 'Presence subscription (RFC 6665, RFC 3856), direct to the '
             'presence server: SUBSCRIBE (Event: presence, Expires: 3600) / 200; NOTIFY active with '
             'a PIDF "open" / 200; NOTIFY "closed" / 200; un-SUBSCRIBE (Expires: 0) / 200; NOTIFY '
             'terminated;reason=timeout / 200. One "others" record: kind subscribe, final_status '
             'of the initial SUBSCRIBE, subscription_state the last one.')
    pa = UA('Bob', 'bob', 'biloxi.example.com', PRES, 0)
    path = [ALICE, PRES]
    cid, tag, ptag = f.new_call_id('atlanta.example.com'), f.tag(), f.tag()
    via = f'SIP/2.0/UDP {ALICE.name}:5060;branch={f.branch()}'
    ev = [('Event', 'presence'), ('Accept', 'application/pidf+xml')]
    sub = make_req('SUBSCRIBE', U_BOB.aor, via, U_ALICE.nameaddr(tag), U_BOB.nameaddr(), cid, 1,
                   contact=f'<{U_ALICE.contact_uri}>', extra=ev + [('Expires', '3600')])
    _, t = f.transact(0, sub, path, 200, gap=ms(3.1), to_tag=ptag,
                      contact=f'<{pa.contact_uri}>', extra=[('Expires', '3600')])
    d = Dialog(f, cid, U_ALICE, tag, pa, ptag, path, b_uri=U_BOB.aor)
    pidf = 'application/pidf+xml'

    def notify(t, state, basic):
        return d.transact(t, 'b', 'NOTIFY', extra=[('Event', 'presence'),
                                                  ('Subscription-State', state)],
                          body=PIDF.format(basic), ctype=pidf, gap=ms(1.2))[1]
    t = notify(t + ms(4), 'active;expires=3599', 'open')
    t = notify(t + sec(25.3), 'active;expires=3574', 'closed')
    _, t = d.transact(t + sec(12), 'a', 'SUBSCRIBE', extra=ev + [('Expires', '0')],
                      resp_extra=[('Expires', '0')])
    notify(t + ms(3), 'terminated;reason=timeout', 'closed')
    f.others.append({'kind': 'subscribe', 'call_id': cid, 'final_status': 200, 'event': 'presence',
                     'subscription_state': 'terminated'})
    return f


@flow
def message():
    f = Flow('message', 'Instant message (RFC 3428) through two proxies (no Record-Route: MESSAGE '
             'creates no dialog): MESSAGE text/plain, 200 OK relayed back. One "others" record.')
    cid = f.new_call_id('atlanta.example.com')
    via = f'SIP/2.0/UDP {ALICE.name}:5060;branch={f.branch()}'
    req = make_req('MESSAGE', U_BOB.aor, via, U_ALICE.nameaddr(f.tag()), U_BOB.nameaddr(), cid, 1,
                   body='Watson, come here.', ctype='text/plain')
    hops, t = f.send_req(0, req, P2, ruri={2: BOB_URI})
    f.send_resp(t + ms(2.6), hops, P2, 200, to_tag=f.tag())
    f.others.append({'kind': 'message', 'call_id': cid, 'final_status': 200})
    return f


@flow
def retransmissions():
    f = Flow('retransmissions', 'UDP retransmissions, direct: the INVITE is retransmitted once '
             'after T1 = 500 ms (Timer A, RFC 3261 17.1.1.2) before Bob\'s 100 Trying; the 200 is '
             'retransmitted once 500 ms later by Bob\'s UAS core (13.3.1.4) because no ACK came; '
             'the ACK follows the retransmission. Both copies are byte-identical SIP (new IP IDs). '
             'retransmissions 2; answer is the first 200.')
    path = [ALICE, BOB]
    cid, ftag, tag = f.new_call_id('atlanta.example.com'), f.tag(), f.tag()
    req = invite(f, U_ALICE, U_BOB, cid, ftag, body=sdp('alice', 2890844526, 2890844526, ALICE, 49172))
    f.send(0, ALICE, BOB, req)
    f.send(ms(500), ALICE, BOB, req, retrans=True)
    got = f.arrive(req, ALICE)
    f.send(ms(503.2), BOB, ALICE, make_resp(got, 100))
    f.send(ms(611.4), BOB, ALICE, make_resp(got, 180, to_tag=tag, contact=f'<{BOB_URI}>'))
    r200 = make_resp(got, 200, to_tag=tag, contact=f'<{BOB_URI}>', extra=[('Allow', ALLOW)],
                     body=sdp('bob', 2890844527, 2890844527, BOB, 3456, pts=(0, 101)))
    t = ms(611.4) + sec(2.9)
    f.send(t, BOB, ALICE, r200)
    f.send(t + ms(500), BOB, ALICE, r200, retrans=True)
    d = Dialog(f, cid, U_ALICE, ftag, U_BOB, tag, path)
    f.send(t + ms(502.6), ALICE, BOB, d.req('a', 'ACK', cseq=1))
    d.bye(t + sec(10.5), 'a')
    f.expect_call(cid, ALICE, 'completed', 200, True, 1, hangup='caller')
    return f


@flow
def ack_kinds():
    f = Flow('ack-non2xx-vs-2xx', 'Both kinds of ACK in one call, direct: Bob\'s UA challenges '
             'the INVITE (401, RFC 3261 22.2); the ACK for the 401 reuses the INVITE\'s branch '
             '(17.1.1.3, same transaction); the retried INVITE (CSeq 2, Authorization) is answered '
             '200 and ACKed with a new branch (13.2.2.4, its own transaction). Then a re-INVITE '
             'adding video is refused 488 and ACKed with the re-INVITE\'s branch: the call stays '
             'up and its final_status stays 200. auth_challenges 1.')
    path = [ALICE, BOB]
    cid, ftag = f.new_call_id('atlanta.example.com'), f.tag()
    offer = sdp('alice', 2890844526, 2890844526, ALICE, 49172)
    req = invite(f, U_ALICE, U_BOB, cid, ftag, body=offer)
    hops, t = f.send_req(0, req, path)
    nonce = f.tok('nonce', 32)
    _, t = f.send_resp(t + ms(2.2), hops, path, 401, to_tag=f.tag(), extra=[
        ('WWW-Authenticate', f'Digest realm="biloxi.example.com", qop="auth", nonce="{nonce}", '
                             'algorithm=MD5')])
    auth = digest('alice', 'biloxi.example.com', 'secret', 'INVITE', U_BOB.aor, nonce, f.tok('cn', 8))
    d, t = setup_call(f, t + ms(19), U_ALICE, U_BOB, path, cseq=2, call_id=cid, from_tag=ftag,
                      offer=offer, extra=[('Authorization', auth)], ring=ms(97), answer=sec(2.5))
    video = (sdp('alice', 2890844526, 2890844527, ALICE, 49172) +
             'm=video 49174 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n')
    t = d.reinvite(t + sec(6), 'a', video, '', code=488, gap=ms(3.5))
    d.bye(t + sec(8), 'a')
    f.expect_call(cid, ALICE, 'completed', 200, True, 1, hangup='caller', auth_challenges=1)
    return f


@flow
def cancel_crosses_200():
    f = Flow('cancel-crosses-200', 'CANCEL crossing the 200 OK, direct (RFC 3261 9.1, 9.2, RFC '
             '6026): Bob answers at 8 s; 0.4 ms later, before the 200 reaches her, Alice CANCELs. '
             'Bob\'s INVITE transaction is already Accepted, so the CANCEL gets 200 and has no '
             'effect (no 487). Alice ACKs the 200 and, having wanted to abandon, BYEs at once. '
             'The 200 wins: state "completed", answered, final_status 200, hangup caller; the '
             'CANCEL time is reported.')
    path = [ALICE, BOB]
    cid, ftag, tag = f.new_call_id('atlanta.example.com'), f.tag(), f.tag()
    req = invite(f, U_ALICE, U_BOB, cid, ftag, body=sdp('alice', 2890844526, 2890844526, ALICE, 49172))
    hops, t = f.send_req(0, req, path)
    got = f.arrive(req, ALICE)
    f.send(ms(2.8), BOB, ALICE, make_resp(got, 100))
    f.send(ms(109.5), BOB, ALICE, make_resp(got, 180, to_tag=tag, contact=f'<{BOB_URI}>'))
    t = sec(8)
    f.send(t, BOB, ALICE, make_resp(got, 200, to_tag=tag, contact=f'<{BOB_URI}>',
                                    body=sdp('bob', 2890844527, 2890844527, BOB, 3456, pts=(0, 101))))
    c = cancel_for(req)
    f.send(t + ms(0.4), ALICE, BOB, c)
    f.send(t + ms(1.6), BOB, ALICE, make_resp(f.arrive(c, ALICE), 200))
    d = Dialog(f, cid, U_ALICE, ftag, U_BOB, tag, path)
    f.send(t + ms(2.1), ALICE, BOB, d.req('a', 'ACK', cseq=1))
    d.bye(t + ms(4.5), 'a')
    f.expect_call(cid, ALICE, 'completed', 200, True, 1, hangup='caller')
    return f


# ---------------------------------------------------------------------------------------------
def main(argv):
    args, dump, only = [], None, []
    it = iter(argv)
    for a in it:
        if a == '--dump-sip':
            dump = next(it)
        elif a in ('-h', '--help'):
            print(__doc__)
            return 0
        else:
            args.append(a)
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    outdir, only = args[0], set(args[1:])
    os.makedirs(outdir, exist_ok=True)
    if dump:
        os.makedirs(dump, exist_ok=True)
    names, tsv = set(), ['# flow\tsip_frames (written by make-calls.py; check.sh compares with tshark)']
    for fn in FLOWS:
        f = fn()
        assert f.name not in names, f.name
        names.add(f.name)
        if only and f.name not in only:
            continue
        size = f.write(outdir, dump)
        assert size < 200_000, (f.name, size)
        tsv.append(f'{f.name}\t{len(f.log)}')
        print(f'{f.name}: {size} bytes, {len(f.log)} SIP messages', file=sys.stderr)
    if not only:
        with open(os.path.join(outdir, 'SIP-FRAMES.tsv'), 'w') as fh:
            fh.write('\n'.join(tsv) + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
