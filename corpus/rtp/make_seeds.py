#!/usr/bin/env python3
"""Writes the fuzz_rtp seeds of this directory (see README.md). Run from anywhere:
   python3 corpus/rtp/make_seeds.py"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def rtp(pt, seq, ts, ssrc, payload, marker=False, csrcs=(), ext=None, pad=0):
    b0 = 0x80 | (0x20 if pad else 0) | (0x10 if ext is not None else 0) | len(csrcs)
    out = struct.pack('>BBHII', b0, pt | (0x80 if marker else 0), seq & 0xffff, ts & 0xffffffff, ssrc)
    for c in csrcs:
        out += struct.pack('>I', c)
    if ext is not None:
        out += struct.pack('>HH', 0xBEDE, len(ext) // 4) + ext
    out += payload
    if pad:
        out += b'\0' * (pad - 1) + bytes([pad])
    return out


def rtcp(count, pt, body):
    return struct.pack('>BBH', 0x80 | count, pt, (len(body) + 4) // 4 - 1) + body


def block(ssrc, frac, cum, ext_seq, jitter, lsr, dlsr):
    return struct.pack('>IB', ssrc, frac) + (cum & 0xffffff).to_bytes(3, 'big') + struct.pack('>IIII', ext_seq, jitter, lsr, dlsr)


def sdes_cname(ssrc, name):
    chunk = struct.pack('>IBB', ssrc, 1, len(name)) + name + b'\0'
    chunk += b'\0' * (-len(chunk) % 4)
    return rtcp(1, 202, chunk)


def sr(ssrc, blocks=()):
    body = struct.pack('>IIIIII', ssrc, 0xe9b0a7c0, 0x40000000, 16000, 100, 16000) + b''.join(blocks)
    return rtcp(len(blocks), 200, body)


def xr_voip(reporter, ssrc):
    blk = struct.pack('>BBH', 7, 0, 8) + struct.pack('>IBBBBHHHHbbBBBBBBBBHHH', ssrc, 12, 3, 40, 2, 120, 5000, 90, 45,
                                                     -16, -60, 30, 16, 88, 127, 42, 41, 0x80, 0, 40, 80, 200)
    return rtcp(0, 207, struct.pack('>I', reporter) + blk)


def dtmf(event, end, volume, duration):
    return struct.pack('>BBH', event, (0x80 if end else 0) | volume, duration)


def frame(flags, payload):
    """One datagram of fuzz_rtp's stream-table framing: flags, 16-bit length, payload."""
    return struct.pack('>BH', flags, len(payload)) + payload


def write(name, data):
    with open(os.path.join(HERE, name), 'wb') as f:
        f.write(data)


A_TO_B = 0x84          # src address 0, dst address 1, +20 ms
B_TO_A = 0x81          # src address 1, dst address 0, +20 ms
EXPECT_B = 0x14        # expect(dst = address 1)
RTCP_A_TO_B = 0xc4     # A -> B from the RTCP port (+1)

pcmu = b'\xff' * 160
write('rtp-pcmu.bin', rtp(0, 1000, 160000, 0x11223344, pcmu, marker=True))
write('rtp-csrc-ext-pad.bin', rtp(8, 65535, 0xffffff00, 0xcafebabe, b'abcdef', csrcs=(1, 2),
                                  ext=b'\x10\xaa\0\0\x22\xbb\xcc\0', pad=6))
write('rtp-dtmf.bin', rtp(101, 7, 320, 0x11223344, dtmf(5, True, 10, 480)))
write('rtcp-sr-sdes-bye.bin', sr(0x11111111, [block(0x22222222, 64, -3, 0x1fff0, 80, 0xa7c08000, 0x18000)])
      + sdes_cname(0x11111111, b'ua@host.x') + rtcp(1, 203, struct.pack('>IB', 0x11111111, 3) + b'bye'))
write('rtcp-rr-xr.bin', rtcp(2, 201, struct.pack('>I', 0x33333333) + block(0xaaaaaaaa, 255, 0x7fffff, 0x50000, 1000, 0, 0)
                             + block(0xbbbbbbbb, 0, 0, 17, 0, 1, 2)) + xr_voip(0x44444444, 0x55555555))

# a signalled session: expect B, 30 packets each way (one lost, one late, one duplicated),
# a DTMF event, SR + RR with LSR, then an idle timeout
s = bytes([0x00]) + frame(EXPECT_B, b'')
for i in range(30):
    if i == 10:
        continue
    s += frame(A_TO_B, rtp(0, 100 + i, 160 * i, 0xaaaa, pcmu[:40], marker=(i == 0)))
    if i == 20:
        s += frame(A_TO_B, rtp(0, 100 + i, 160 * i, 0xaaaa, pcmu[:40]))
    s += frame(B_TO_A, rtp(0, 7000 + i, 999 + 160 * i, 0xbbbb, pcmu[:40]))
for k, d in enumerate((160, 320, 480, 480, 480)):
    s += frame(A_TO_B, rtp(101, 130 + k, 4800, 0xaaaa, dtmf(11, k >= 2, 10, d), marker=(k == 0)))
s += frame(RTCP_A_TO_B, sr(0xaaaa, [block(0xbbbb, 0, 0, 7029, 40, 0, 0)]) + sdes_cname(0xaaaa, b'alice'))
s += frame(0xc1, rtcp(1, 201, struct.pack('>I', 0xbbbb) + block(0xaaaa, 8, 1, 134, 16, 0xa7c04000, 0x4000)))
s += frame(0x30, b'')   # finish_idle
write('table-session.bin', s)

# no signalling, heuristic on (byte 0 bit 0), threshold 4: a flow with reordering, DNS noise
h = bytes([0x05])
for i in (0, 1, 3, 2, 4, 5, 6, 7):
    h += frame(A_TO_B, rtp(111, 500 + i, 960 * i, 0x5555, b'\x7c' * 80))
    h += frame(0x02, b'\x92\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03com\x00\x00\x01\x00\x01')
write('table-heuristic.bin', h)
