#!/usr/bin/env python3
"""Writes a small deterministic pcap for the viewer's tests and screenshots: one call whose
INVITE has an unquoted display name with a comma in From (RFC 4475 3.1.2.15 'baddn': the
parser reports it at its byte offset) and is refused with 400 Bad Request, then ACKed.

    make-diag-capture.py OUT.pcap
"""
import struct
import sys

T0 = 1735732800  # 2025-01-01 12:00:00 UTC

A = ('192.0.2.101', 5060)
B = ('198.51.100.20', 5060)


def ip4(s):
    return bytes(int(x) for x in s.split('.'))


def csum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def frame(src, dst, payload, ident):
    udp = struct.pack('!HHHH', src[1], dst[1], 8 + len(payload), 0) + payload
    hdr = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), ident, 0, 64, 17, 0, ip4(src[0]), ip4(dst[0]))
    hdr = hdr[:10] + struct.pack('!H', csum(hdr)) + hdr[12:]
    eth = b'\x02\x00\x00\x00\x00\x02' + b'\x02\x00\x00\x00\x00\x01' + b'\x08\x00'
    return eth + hdr + udp


def sip(lines, body=''):
    text = '\r\n'.join(lines) + '\r\n'
    text = text.replace('@LEN@', str(len(body.encode())))
    return (text + '\r\n' + body).encode()


CALL_ID = 'baddn-4475-3.1.2.15@client.example.com'
SDP = ('v=0\r\no=alice 2890844526 2890844526 IN IP4 192.0.2.101\r\ns=-\r\nc=IN IP4 192.0.2.101\r\n'
       't=0 0\r\nm=audio 49172 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n')
VIA = 'Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKkdjuw'
invite = sip(['INVITE sip:t.watson@example.org SIP/2.0', VIA, 'Max-Forwards: 70',
              'From: Bell, Alexander <sip:a.g.bell@example.com>;tag=43',
              'To: <sip:t.watson@example.org>', 'Call-ID: ' + CALL_ID, 'CSeq: 1 INVITE',
              'Contact: <sip:a.g.bell@192.0.2.101:5060>', 'User-Agent: Bell-Phone/1.0',
              'Content-Type: application/sdp', 'Content-Length: @LEN@'], SDP)
bad = sip(['SIP/2.0 400 Bad Request', VIA, 'From: Bell, Alexander <sip:a.g.bell@example.com>;tag=43',
           'To: <sip:t.watson@example.org>;tag=9fxced76sl', 'Call-ID: ' + CALL_ID, 'CSeq: 1 INVITE',
           'Server: Watson-Proxy/2.3', 'Warning: 399 t.watson "Unquoted display name"', 'Content-Length: 0'])
ack = sip(['ACK sip:t.watson@example.org SIP/2.0', VIA, 'Max-Forwards: 70',
           'From: Bell, Alexander <sip:a.g.bell@example.com>;tag=43',
           'To: <sip:t.watson@example.org>;tag=9fxced76sl', 'Call-ID: ' + CALL_ID, 'CSeq: 1 ACK',
           'Content-Length: 0'])

packets = [(0.0, A, B, invite), (0.004, B, A, bad), (0.006, A, B, ack)]
with open(sys.argv[1], 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i, (t, src, dst, payload) in enumerate(packets):
        data = frame(src, dst, payload, 0x100 + i)
        us = int(round(t * 1e6))
        f.write(struct.pack('<IIII', T0 + us // 1000000, us % 1000000, len(data), len(data)))
        f.write(data)
