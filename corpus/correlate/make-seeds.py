#!/usr/bin/env python3
"""Seeds for fuzz/fuzz_correlate.cpp's script mode, made from the call-flow captures.

Each seed is a sequence of datagrams separated by b"\\n--\\n"; the byte appended to each
datagram selects its addresses and kind (bits 0-1 source host, 2-3 destination host, bit 7
UDP/RTP instead of SIP) and the time step (value x 0.2 s), as the harness reads it. Hosts are
the capture's IP addresses in order of appearance (four at most, the rest fold onto them).
At most 12 RTP/RTCP datagrams per UDP flow are kept, so seeds stay small.

    python3 corpus/correlate/make-seeds.py corpus/calls corpus/correlate
"""
import struct
import sys
from pathlib import Path


def packets(path):
    data = Path(path).read_bytes()
    if len(data) < 24 or data[:4] != b"\xd4\xc3\xb2\xa1":
        return
    off = 24
    while off + 16 <= len(data):
        _, _, caplen, _ = struct.unpack_from("<IIII", data, off)
        frame = data[off + 16: off + 16 + caplen]
        off += 16 + caplen
        if len(frame) < 14 + 20 or frame[12:14] != b"\x08\x00":
            continue
        ip = frame[14:]
        ihl = (ip[0] & 15) * 4
        if ip[9] != 17:
            continue
        udp = ip[ihl:]
        sport, dport = struct.unpack_from(">HH", udp, 0)
        yield ip[12:16], ip[16:20], sport, dport, udp[8:]


def seed(path):
    hosts, flows, out = [], {}, []
    for src, dst, sport, dport, payload in packets(path):
        for h in (src, dst):
            if h not in hosts:
                hosts.append(h)
        si, di = hosts.index(src) & 3, hosts.index(dst) & 3
        sip = sport == 5060 or dport == 5060 or payload[:4] in (b"SIP/", b"INVI", b"ACK ", b"BYE ")
        if not sip:
            key = (src, dst, sport, dport)
            flows[key] = flows.get(key, 0) + 1
            if flows[key] > 12:
                continue
        sel = si | di << 2 | (0 if sip else 0x80)
        out.append(payload + bytes([sel]))
    return b"\n--\n".join(out)


def main():
    src, dst = Path(sys.argv[1]), Path(sys.argv[2])
    for p in sorted(src.glob("*.pcap")):
        s = seed(p)
        if s:
            (dst / (p.stem + ".script")).write_bytes(s)


if __name__ == "__main__":
    main()
