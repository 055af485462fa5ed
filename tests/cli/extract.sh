#!/usr/bin/env bash
# End-to-end test of `sipscope extract`: the chosen calls' frames written to a new capture,
# re-read by `sipscope calls` (exactly the chosen calls, every message, every RTP packet) and
# by `tshark -r OUT -Y sip` when tshark is installed; pcapng when the link types differ.
# Usage: bash extract.sh PATH_TO_sipscope CORPUS_DIR [SHARED_CORPUS_DIR]
# Exit 0 pass, 1 fail, 77 skip.
set -u

bin=${1:-}
corpus=${2:-}
shared=${3:-}

if [ -z "$bin" ] || [ ! -x "$bin" ]; then echo "SKIP: sipscope binary not found ('$bin')"; exit 77; fi
if [ -z "$corpus" ] || [ ! -d "$corpus/calls" ]; then echo "SKIP: corpus not found ('$corpus')"; exit 77; fi
if ! command -v python3 >/dev/null 2>&1; then echo "SKIP: python3 is needed to check JSON"; exit 77; fi

export LC_ALL=C LANG=C
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok:   $*"; }

expect_rc() {
  local want=$1 what=$2; shift 3
  "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  if [ "$rc" -eq "$want" ]; then pass "$what (exit $rc)"; else fail "$what: exit $rc, wanted $want; stderr: $(head -c 300 "$tmp/err")"; fi
}

# check_extract NAME CALLS INPUT...: extracts CALLS (comma-separated indexes or Call-IDs) and
# compares the re-read records with the original ones: same Call-IDs, same messages (summary,
# time, addresses), same streams (addresses, SSRC, packets, loss).
check_extract() {
  local name=$1 calls=$2; shift 2
  local out="$tmp/$name.pcap"
  if ! "$bin" extract -q --call "$calls" -o "$out" "$@" 2>"$tmp/err"; then
    fail "$name: extract failed: $(head -c 300 "$tmp/err")"; return
  fi
  "$bin" calls -q --all --messages --format json "$@" >"$tmp/$name.orig.json"
  "$bin" calls -q --all --messages --format json "$out" >"$tmp/$name.new.json"
  if python3 - "$tmp/$name.orig.json" "$tmp/$name.new.json" "$calls" <<'PY'
import json, sys
orig = json.load(open(sys.argv[1])); new = json.load(open(sys.argv[2]))
want = sys.argv[3].split(",")
chosen = [r for r in orig if str(r["index"]) in want or r["call_id"] in want]
def msgs(r):
    return [(m["time"], m["src"], m["dst"], m["summary"]) for m in r["messages"]]
def streams(r):
    return sorted((s["src"], s["dst"], s["ssrc"], s["packets"], s["lost"]) for s in r["streams"])
ok = True
if sorted(r["call_id"] for r in chosen) != sorted(r["call_id"] for r in new):
    print("  call ids: chosen", [r["call_id"] for r in chosen], "re-read", [r["call_id"] for r in new]); ok = False
by_id = {r["call_id"]: r for r in new}
for r in chosen:
    n = by_id.get(r["call_id"])
    if n is None: continue
    if msgs(r) != msgs(n):
        print("  %s: messages differ: %d -> %d" % (r["call_id"], len(r["messages"]), len(n["messages"]))); ok = False
    if streams(r) != streams(n):
        print("  %s: streams differ:" % r["call_id"], streams(r), streams(n)); ok = False
    if r["state"] != n["state"]:
        print("  %s: state %s -> %s" % (r["call_id"], r["state"], n["state"])); ok = False
sys.exit(0 if ok and chosen else 1)
PY
  then pass "$name: the re-read capture has exactly the chosen calls, messages and streams"
  else fail "$name: the re-read capture differs"; fi
  if command -v tshark >/dev/null 2>&1; then
    local want got
    # tshark counts frames: a TCP frame with two messages is one (distinct frame numbers here).
    want=$(python3 -c 'import json,sys; print(len({(m["file"], m["frame"]) for r in json.load(open(sys.argv[1])) for m in r["messages"]}))' "$tmp/$name.new.json")
    got=$(tshark -r "$out" -Y sip 2>/dev/null | wc -l)
    if [ "$got" -eq "$want" ]; then pass "$name: tshark -Y sip reads the $got SIP messages"
    else fail "$name: tshark -Y sip reads $got SIP frames, sipscope $want messages"; fi
  fi
}

basic="$corpus/calls/basic-call.pcap"
expect_rc 0 "--help" -- "$bin" extract --help
grep -q "Not included" "$tmp/out" || fail "--help says what is not included"
grep -q "IP fragments" "$tmp/out" || fail "--help says messages in several frames are written whole"
expect_rc 2 "no -o" -- "$bin" extract --call 1 "$basic"
expect_rc 2 "no call chosen" -- "$bin" extract -o "$tmp/x.pcap" "$basic"
expect_rc 2 "stdin refused" -- "$bin" extract --call 1 -o "$tmp/x.pcap" -
expect_rc 2 "no such call" -- "$bin" extract --call 7 -o "$tmp/x.pcap" "$basic"
expect_rc 2 "unwritable output" -- "$bin" extract --call 1 -o /nonexistent/dir/x.pcap "$basic"
grep -q "cannot write '/nonexistent/dir/x.pcap'" "$tmp/err" || fail "the output is named"

check_extract basic 1 "$basic"
# Every frame of basic-call.pcap belongs to its one call (SIP, RTP, RTCP): all 282 come back,
# as pcap (one link type).
if [ -f "$tmp/basic.pcap" ]; then
  "$bin" stats -q "$tmp/basic.pcap" >/dev/null 2>&1
  magic=$(od -An -tx4 -N4 "$tmp/basic.pcap" | tr -d ' ')
  [ "$magic" = a1b2c3d4 ] && pass "basic: pcap with µs timestamps" || fail "basic: magic $magic"
  if command -v tshark >/dev/null 2>&1; then
    a=$(tshark -r "$basic" 2>/dev/null | wc -l); b=$(tshark -r "$tmp/basic.pcap" 2>/dev/null | wc -l)
    [ "$a" -eq "$b" ] && pass "basic: all $a frames written" || fail "basic: $b frames written of $a"
    cmp -s <(tshark -r "$basic" -T fields -e frame.time_epoch -e frame.len 2>/dev/null) \
           <(tshark -r "$tmp/basic.pcap" -T fields -e frame.time_epoch -e frame.len 2>/dev/null) &&
      pass "basic: same times and lengths" || fail "basic: times or lengths differ"
  fi
fi

# One call of two (a B2BUA's legs): only that one.
check_extract b2bua-leg 1 "$corpus/calls/b2bua.pcap"
check_extract b2bua-both 1,2 "$corpus/calls/b2bua.pcap"
check_extract forking 1 "$corpus/calls/forking.pcap"

# Link types that differ: pcapng with one interface per link type.
mixed="$corpus/pcap/mixed-links.pcapng"
if [ -f "$mixed" ]; then
  check_extract mixed 1 "$mixed"
  magic=$(od -An -tx4 -N4 "$tmp/mixed.pcap" | tr -d ' ')
  [ "$magic" = 0a0d0d0a ] && pass "mixed: pcapng" || fail "mixed: magic $magic, wanted pcapng"
fi
# Two inputs merged by time, a call chosen by Call-ID from each.
id1=$("$bin" calls -q --format jsonl "$basic" | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["call_id"])')
id2=$("$bin" calls -q --format jsonl "$corpus/calls/busy.pcap" | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["call_id"])')
check_extract two-files "$id1,$id2" "$basic" "$corpus/calls/busy.pcap"

if [ -n "$shared" ] && [ -f "$shared/pcap/wssample_SIP_CALL.pcap" ]; then
  check_extract wssample 1 "$shared/pcap/wssample_SIP_CALL.pcap"
else
  echo "skip: ../shared/corpus/pcap/wssample_SIP_CALL.pcap absent"
fi

# Messages carried in several frames: every IP fragment of the INVITEs (2-4 each, some last
# fragment first) and every TCP segment of split messages (some out of order) is written, so
# the calls re-read whole.
gen="$(cd "$(dirname "$0")" && pwd)/../../../shared/bench/gen-capture"
if [ -x "$gen" ] && command -v python3 >/dev/null 2>&1; then
  python3 "$gen" -o "$tmp/frag.pcap" --truth "$tmp/frag.json" --calls 6 --transport udp=100 --fragment-rate 1 \
    --no-rtp --seed 5 2>/dev/null
  check_extract fragments 1,2,3 "$tmp/frag.pcap"
  python3 "$gen" -o "$tmp/tcp.pcap" --truth "$tmp/tcp.json" --calls 10 --transport tcp=100 --tcp-ooo 0 \
    --no-rtp --seed 11 2>/dev/null
  check_extract tcp-split 1,2,3,4,5 "$tmp/tcp.pcap"
else
  echo "skip: ../shared/bench/gen-capture absent"
fi

[ "$failures" -eq 0 ] && { echo "PASS"; exit 0; }
echo "$failures failure(s)"; exit 1
