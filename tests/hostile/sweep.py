#!/usr/bin/env python3
"""sweep.py: truncation and corruption sweep of the corpus captures (issue 9).

    sweep.py SIPSCOPE CORPUS_DIR [--stride N] [--flips N] [--seed S] [--jobs J]

For every pcap/pcapng capture in CORPUS_DIR/calls and CORPUS_DIR/pcap (gzip ones are read
decompressed, as sipscope would see them):
  - every truncation point within the first and within the last record (block), every
    STRIDE-th byte (1: every byte; the default in ctest): the file cut there is run through
    `sipscope calls --all`. A cut that is not a record boundary damages the file, and the run
    must say so: a capture diagnostic on stderr ("capture diagnostics: ...", "is not a
    capture", "cannot open"), never a silent success;
  - FLIPS copies each with one to eight bytes replaced by random values (random.Random(SEED),
    so a failure is reproducible by its seed and index), anywhere in the file.
Every run: never a signal, never a hang (a run not over after HANG_SECONDS is killed and
reported as a hang: a failure, not a timing), exit status 0, 1 or 2 only. The first failing
input of each kind is kept as FILE.sweep-fail-N (in the temporary directory, path printed)
for a regression test. Exit 0 when all runs pass.

--save DIR writes the inputs to DIR instead of running them, for a replay through a sanitizer
build of the pipeline: build-fuzz/bin/fuzz_correlate -runs=0 DIR (ASan+UBSan).
"""
import argparse
import concurrent.futures
import gzip
import os
import random
import signal
import struct
import subprocess
import sys
import tempfile

HANG_SECONDS = 60
DAMAGE_WORDS = ('capture diagnostics:', 'is not a capture', 'cannot open')


def records(data):
    """(start, end) of every record (pcap) or block (pcapng) after the file header, or []."""
    out = []
    if len(data) < 24:
        return out
    magic = data[:4]
    if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1', b'\xa1\xb2\xc3\xd4', b'\xa1\xb2\x3c\x4d'):
        end = '<' if magic[0] in (0xd4, 0x4d) else '>'
        pos = 24
        while pos + 16 <= len(data):
            caplen = struct.unpack(end + 'I', data[pos + 8:pos + 12])[0]
            nxt = pos + 16 + caplen
            if nxt > len(data):
                break
            out.append((pos, nxt))
            pos = nxt
    elif magic == b'\x0a\x0d\x0d\x0a':
        end = '<' if data[8:12] == b'\x4d\x3c\x2b\x1a' else '>'
        pos = 0
        while pos + 12 <= len(data):
            blen = struct.unpack(end + 'I', data[pos + 4:pos + 8])[0]
            if blen < 12 or pos + blen > len(data):
                break
            out.append((pos, pos + blen))
            pos += blen
        out = out[1:]   # the first block is the section header: the file header
    return out


def run(sipscope, path):
    """(status, stderr): status is the exit status, or 'signal NAME' / 'hang'."""
    try:
        p = subprocess.run([sipscope, 'calls', '--all', '--format', 'csv', path], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, timeout=HANG_SECONDS)
    except subprocess.TimeoutExpired:
        return 'hang', ''
    if p.returncode < 0:
        return 'signal ' + signal.Signals(-p.returncode).name, p.stderr.decode(errors='replace')
    return p.returncode, p.stderr.decode(errors='replace')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('sipscope')
    ap.add_argument('corpus')
    ap.add_argument('--stride', type=int, default=1)
    ap.add_argument('--flips', type=int, default=20)
    ap.add_argument('--seed', type=int, default=9)
    ap.add_argument('--jobs', type=int, default=2)
    ap.add_argument('--save')
    a = ap.parse_args()
    files = []
    for sub in ('calls', 'pcap'):
        d = os.path.join(a.corpus, sub)
        for name in sorted(os.listdir(d)):
            if name.endswith(('.pcap', '.pcapng', '.pcap.gz', '.pcapng.gz')):
                files.append(os.path.join(d, name))
    tmp = tempfile.mkdtemp(prefix='sipscope-sweep-')
    rng = random.Random(a.seed)
    jobs = []   # (label, bytes, must_diagnose)
    for f in files:
        data = open(f, 'rb').read()
        if f.endswith('.gz'):
            data = gzip.decompress(data)
        recs = records(data)
        if not recs:
            print(f'{f}: no records found (not swept)')
            continue
        bounds = {0} | {s for s, _ in recs} | {e for _, e in recs}
        cuts = set()
        for s, e in (recs[0], recs[-1]):
            cuts.update(range(s, e + 1, a.stride))
        for c in sorted(cuts):
            # a cut at a record boundary leaves a valid (shorter) capture
            jobs.append((f'{f} cut at {c}', data[:c], c not in bounds and c < len(data)))
        for i in range(a.flips):
            b = bytearray(data)
            for _ in range(rng.randint(1, 8)):
                b[rng.randrange(len(b))] = rng.randrange(256)
            jobs.append((f'{f} flip #{i} (seed {a.seed})', bytes(b), False))

    if a.save:
        os.makedirs(a.save, exist_ok=True)
        for k, (_, blob, _) in enumerate(jobs):
            with open(os.path.join(a.save, f'in-{k}.pcap'), 'wb') as fh:
                fh.write(blob)
        print(f'{len(files)} captures, {len(jobs)} inputs written to {a.save}')
        os.rmdir(tmp)
        return

    def one(k):
        label, blob, must = jobs[k]
        path = os.path.join(tmp, f'in-{k}.pcap')
        with open(path, 'wb') as fh:
            fh.write(blob)
        status, err = run(a.sipscope, path)
        problem = None
        if status not in (0, 1, 2):
            problem = f'status {status}'
        elif must and not any(w in err for w in DAMAGE_WORDS):
            problem = 'a damaged file without a diagnostic'
        if problem is None:
            os.unlink(path)
        return label, problem, path, err

    failures = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as ex:
        for label, problem, path, err in ex.map(one, range(len(jobs))):
            if problem:
                failures += 1
                if failures <= 20:
                    print(f'FAIL {label}: {problem} (input kept: {path})\n  {err.strip()[-400:]}')
    print(f'{len(files)} captures, {len(jobs)} runs, {failures} failures')
    if not failures:
        os.rmdir(tmp)
    sys.exit(1 if failures else 0)


if __name__ == '__main__':
    main()
