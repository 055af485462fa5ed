#!/usr/bin/env python3
"""run-hostile.py: one adversarial capture (make-hostile) through `sipscope calls` (issue 9).

    run-hostile.py SIPSCOPE MAKE_HOSTILE CASE [RSS_SCALE]

RSS_SCALE multiplies the RSS bounds (4 under ASan: shadow memory and quarantine).

The capture is written at test time by make-hostile and piped into `sipscope calls --all -`
(the million calls are 480 MB: no temporary file). Asserted:
  - sipscope ends by itself with status 0: never a signal; a run that has not ended after
    HANG_SECONDS is killed and reported as a hang (a failure, not a timing: the normal run
    takes seconds);
  - its peak RSS (wait4's ru_maxrss of the child) stays below the case's bound, a wide margin
    over what was measured when the case was written (docs/LIMITS.md);
  - the limit the case is about is reported as a diagnostic (its *_limit kind in the summary);
  - the ordinary message after the hostile part is still analysed (its Call-ID is listed).
Exit 0 when all hold, 1 otherwise (with what failed).
"""
import os
import signal
import subprocess
import sys
import threading

HANG_SECONDS = 600

# case: (make-hostile arguments, extra sipscope arguments, peak RSS bound in MiB,
#        diagnostics expected on stderr, Call-IDs expected in the list)
CASES = {
    # default limits: 100000 records in progress, the rest handed over early. `calls` keeps
    # every record it lists (to sort them), so the list is filtered down to the survivor: what
    # is measured is the correlator's memory; "of 1000001 records" says all were made.
    'calls': (['calls'], ['--call-id', 'survivor@hostile'], 1024, ['record_limit', 'of 1000001 records'],
              ['survivor@hostile']),
    # a lower records limit holds less
    'calls-limited': (['calls', '-', '0.2'], ['--limit', 'records=1000', '--call-id', 'survivor@hostile'], 256,
                      ['record_limit', 'of 200001 records'], ['survivor@hostile']),
    # Content-Length beyond 32 bits is a bad value (message framed without a body, the body
    # bytes skipped: stream_resync); 2^32-1 is over the size limit (sip_size_limit)
    'cl2e63': (['cl2e63'], [], 256, ['stream_resync', 'sip_size_limit'],
               ['cl63@hostile', 'cl63m1@hostile', 'cl64@hostile', 'survivor@hostile']),
    'fragments': (['fragments'], [], 256, ['fragment_limit'], ['survivor@hostile']),
    # default message size: the 4.6 MB INVITE is dropped by the framer
    'vias': (['vias'], [], 256, ['sip_size_limit'], ['survivor@hostile']),
    # a message size limit large enough to parse it: the header limit stops the parse (before
    # Call-ID: the INVITE makes no record)
    'vias-parsed': (['vias'], ['--limit', 'message-size=8M'], 512, ['sip_header_limit'], ['survivor@hostile']),
    'rtpjumps': (['rtpjumps'], [], 256, [], ['rtp@hostile']),
}


def main():
    if len(sys.argv) not in (4, 5) or sys.argv[3] not in CASES:
        sys.exit(f'usage: {sys.argv[0]} SIPSCOPE MAKE_HOSTILE {"|".join(CASES)} [RSS_SCALE]')
    sipscope, maker, case = sys.argv[1:4]
    gen_args, extra, rss_mib, diags, call_ids = CASES[case]
    rss_mib *= float(sys.argv[4]) if len(sys.argv) == 5 else 1.0
    if len(gen_args) == 1:
        gen_args = gen_args + ['-']
    gen = subprocess.Popen([maker] + gen_args, stdout=subprocess.PIPE)
    cmd = [sipscope, 'calls', '--all', '--format', 'csv'] + extra + ['-']
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    child = subprocess.Popen(cmd, stdin=gen.stdout, stdout=out_w, stderr=err_w)
    gen.stdout.close()
    os.close(out_w)
    os.close(err_w)
    chunks = {out_r: [], err_r: []}

    def drain(fd):
        while True:
            b = os.read(fd, 1 << 16)
            if not b:
                break
            chunks[fd].append(b)

    readers = [threading.Thread(target=drain, args=(fd,)) for fd in (out_r, err_r)]
    for t in readers:
        t.start()
    hung = []

    def kill():
        hung.append(True)
        child.kill()
        gen.kill()

    timer = threading.Timer(HANG_SECONDS, kill)
    timer.start()
    _, status, usage = os.wait4(child.pid, 0)
    timer.cancel()
    gen_status = gen.wait()
    for t in readers:
        t.join()
    out = b''.join(chunks[out_r]).decode(errors='replace')
    err = b''.join(chunks[err_r]).decode(errors='replace')
    peak_mib = usage.ru_maxrss / 1024
    print(f'{case}: {" ".join(cmd[1:])}: peak RSS {peak_mib:.0f} MiB (bound {rss_mib}), '
          f'user {usage.ru_utime:.1f} s, {len(out.splitlines())} lines')
    print(err.strip()[-2000:])
    failures = []
    if hung:
        failures.append(f'hang: no end after {HANG_SECONDS} s')
    elif os.WIFSIGNALED(status):
        failures.append(f'killed by signal {signal.Signals(os.WTERMSIG(status)).name}')
    elif os.WEXITSTATUS(status) != 0:
        failures.append(f'exit status {os.WEXITSTATUS(status)}')
    if gen_status != 0 and not hung:
        failures.append(f'make-hostile failed ({gen_status})')
    if peak_mib > rss_mib:
        failures.append(f'peak RSS {peak_mib:.0f} MiB over the bound of {rss_mib} MiB')
    for d in diags:
        if d.startswith('of '):
            if f' listed {d}' not in err:
                failures.append(f'the summary does not say "{d}"')
        elif f' {d} (first: frame ' not in err:
            failures.append(f'no {d} diagnostic in the summary')
    for cid in call_ids:
        if cid not in out:
            failures.append(f'{cid} not in the call list')
    for f in failures:
        print(f'FAIL {case}: {f}')
    sys.exit(1 if failures else 0)


if __name__ == '__main__':
    main()
