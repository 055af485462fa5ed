#!/usr/bin/env bash
# End-to-end test of `sipscope explain` (issue 10): on every capture of corpus/explain, the JSON
# gives the rule, confidence and evidence frames its NAME.expect.json (make-explain.py) says;
# the text, jsonl and html forms; --call, --problems, --rules; exit codes.
# Usage: bash explain.sh PATH_TO_sipscope CORPUS_DIR [SHARED_CORPUS_DIR]. Exit 0 pass, 1 fail, 77 skip.
set -u

bin=${1:-}
corpus=${2:-}
if [ -z "$bin" ] || [ ! -x "$bin" ]; then echo "SKIP: sipscope binary not found ('$bin')"; exit 77; fi
if [ -z "$corpus" ] || [ ! -d "$corpus/explain" ]; then echo "SKIP: corpus/explain not found ('$corpus')"; exit 77; fi
if ! command -v python3 >/dev/null 2>&1; then echo "SKIP: python3 is needed"; exit 77; fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok:   $*"; }
status() {   # status WANT DESCRIPTION COMMAND...: the exit status must be WANT
  local want=$1 what=$2; shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  [ "$got" -eq "$want" ] && pass "$what (exit $got)" || { fail "$what: exit $got, expected $want"; head -5 "$tmp/err"; }
}

# Every capture against its expectation, through --format json.
n=0
for pcap in "$corpus"/explain/*.pcap; do
  name=$(basename "$pcap" .pcap)
  "$bin" explain -q --format json "$pcap" >"$tmp/$name.json" 2>"$tmp/err" || { fail "$name: exit $?"; continue; }
  if python3 - "$tmp/$name.json" "$corpus/explain/$name.expect.json" <<'PY'
import json, sys
got = {c["call_id"]: c for c in json.load(open(sys.argv[1]))}
bad = 0
for x in json.load(open(sys.argv[2]))["calls"]:
    c = got.get(x["call_id"])
    if c is None:
        print("  missing call", x["call_id"]); bad += 1; continue
    v = c["verdict"]
    seen = {e["frame"] for e in v["evidence"] if e["seen"] and e["frame"] is not None}
    miss = sum(1 for e in v["evidence"] if not e["seen"])
    problems = []
    if v["rule"] != x["rule"]: problems.append("rule %s, expected %s" % (v["rule"], x["rule"]))
    if v["confidence"] != x["confidence"]: problems.append("confidence %s, expected %s" % (v["confidence"], x["confidence"]))
    for f in x["evidence_frames"]:
        if f not in seen: problems.append("frame %d not cited" % f)
    if miss < x["not_seen_at_least"]: problems.append("%d not-seen steps, expected >= %d" % (miss, x["not_seen_at_least"]))
    for w in x.get("verdict_contains", []):
        if w not in v["verdict"]: problems.append("verdict lacks %r" % w)
    for k in ("rule", "rfc", "category", "verdict", "confidence", "evidence", "next", "also"):
        if k not in v: problems.append("no %s" % k)
    for p in problems: print("  %s: %s" % (x["call_id"], p))
    bad += bool(problems)
sys.exit(1 if bad else 0)
PY
  then n=$((n + 1)); else fail "$name: explain --format json differs from $name.expect.json"; fi
done
total=$(ls "$corpus"/explain/*.pcap | wc -l)
[ "$n" -eq "$total" ] && [ "$n" -ge 35 ] && pass "$n captures of corpus/explain get their expected verdict and evidence frames" ||
  fail "only $n of $total captures passed"

# Text: the verdict, the evidence with frame numbers, next, rule.
"$bin" explain -q "$corpus/explain/busy-reason.pcap" >"$tmp/busy.txt"
grep -q "busy (signalling, high confidence): The callee was busy" "$tmp/busy.txt" &&
  grep -q "seen *1 .*INVITE sip:bob@biloxi.example.com" "$tmp/busy.txt" &&
  grep -q "Q.850 cause 17: user busy" "$tmp/busy.txt" && grep -q "^  next: " "$tmp/busy.txt" &&
  grep -q "^  rule: busy (RFC 3261 21.4.24" "$tmp/busy.txt" && pass "text: verdict, evidence, Reason decoded, next, rule" ||
  { fail "text output"; cat "$tmp/busy.txt"; }
"$bin" explain -q "$corpus/explain/no-response.pcap" | grep -q "NOT SEEN .*any response from 198.51.100.20:5060 within 64\*T1" &&
  pass "text: what was not seen" || fail "text: no NOT SEEN step"

# TCP: the SYN and RST frames as evidence, the SYN-ACK that never came as NOT SEEN.
"$bin" explain -q "$corpus/explain/tcp-refused.pcap" >"$tmp/refused.txt"
grep -q "seen *3 .*TCP SYN 192.0.2.10:40312 -> 198.51.100.20:5060" "$tmp/refused.txt" &&
  grep -q "seen *4 .*TCP RST 198.51.100.20:5060 -> 192.0.2.10:40312 answering the SYN" "$tmp/refused.txt" &&
  pass "text: a refused connect cites its SYN and RST frames" || { fail "text: tcp-refused"; cat "$tmp/refused.txt"; }
"$bin" explain -q "$corpus/explain/tcp-no-synack.pcap" | grep -q "NOT SEEN .*a SYN-ACK from 198.51.100.20:5060 to any of the 6 SYNs" &&
  pass "text: the SYN-ACK never seen" || fail "text: tcp-no-synack has no NOT SEEN SYN-ACK"
python3 - "$tmp/media-unnegotiated.json" <<'PY' && pass "json: media_unnegotiated cites the stream's first frame, its destination and both SDPs" || fail "json: media-unnegotiated"
import json, sys
v = json.load(open(sys.argv[1]))[0]["verdict"]
ev = v["evidence"]
rtp = [e for e in ev if e["seen"] and e["what"].startswith("RTP ")]
sdp = [e for e in ev if e["what"].startswith("SDP of ")]
ok = v["rule"] == "media_unnegotiated" and len(rtp) == 1 and "-> 192.0.2.101:40002" in rtp[0]["what"]
ok = ok and len(sdp) == 2 and all(e["frame"] for e in sdp) and any("198.51.100.20" in e["detail"] for e in sdp)
sys.exit(0 if ok else 1)
PY

# jsonl: one object per record, the same verdicts as json.
"$bin" explain -q --format jsonl "$corpus/explain/no-rtp.pcap" >"$tmp/x.jsonl"
[ "$(wc -l <"$tmp/x.jsonl")" -eq 2 ] && python3 -c "
import json,sys
a=[json.loads(l) for l in open('$tmp/x.jsonl')]; b=json.load(open('$tmp/no-rtp.json'))
sys.exit(0 if a==b else 1)" && pass "jsonl = json, one line per call" || fail "jsonl"

# --call by index and by Call-ID, --problems, --all.
"$bin" explain -q --format jsonl --call 2 "$corpus/explain/no-rtp.pcap" >"$tmp/c2"
[ "$(wc -l <"$tmp/c2")" -eq 1 ] && grep -q '"index":2' "$tmp/c2" && pass "--call INDEX" || fail "--call INDEX"
id=$(python3 -c "import json; print(json.load(open('$corpus/explain/no-rtp.expect.json'))['calls'][0]['call_id'])")
"$bin" explain -q --format jsonl --call "$id" "$corpus/explain/no-rtp.pcap" >"$tmp/c3"
[ "$(wc -l <"$tmp/c3")" -eq 1 ] && grep -q '"rule":"no_rtp"' "$tmp/c3" && pass "--call CALL-ID" || fail "--call CALL-ID"
"$bin" explain -q --format jsonl --problems "$corpus/explain/no-rtp.pcap" >"$tmp/p"
[ "$(wc -l <"$tmp/p")" -eq 1 ] && grep -q '"rule":"no_rtp"' "$tmp/p" && pass "--problems leaves out the completed call" || fail "--problems"
"$bin" explain -q --format jsonl --all "$corpus/calls/register-403.pcap" | grep -q '"rule":"auth_rejected"' &&
  pass "--all: a REGISTER refused after credentials is auth_rejected" || fail "--all register-403"

# html: one page, escaped.
"$bin" explain -q --format html "$corpus/explain/media-refused-srtp.pcap" >"$tmp/x.html"
head -1 "$tmp/x.html" | grep -q '<!DOCTYPE html>' && grep -q '&quot;Incompatible media format&quot;' "$tmp/x.html" &&
  ! grep -q '"Incompatible' "$tmp/x.html" && grep -q '</html>' "$tmp/x.html" && pass "html page, text escaped" || fail "html"

# --rules lists every rule once.
"$bin" explain --rules >"$tmp/rules"
for r in no_response tcp_connect_failed timer_c auth_loop busy media_refused missing_ack nat_one_way media_unnegotiated low_mos responses_not_captured completed; do
  grep -q "^$r  \[" "$tmp/rules" || fail "--rules lacks $r"
done
pass "--rules lists the rules"

# Exit codes.
status 0 "explain a capture" "$bin" explain -q "$corpus/explain/glare.pcap"
status 1 "--fail-on failed on a busy call" "$bin" explain -q --fail-on failed "$corpus/explain/busy-reason.pcap"
status 2 "unknown format" "$bin" explain --format xml "$corpus/explain/glare.pcap"
status 2 "no file" "$bin" explain
status 2 "missing file" "$bin" explain -q "$tmp/nope.pcap"
status 2 "--call matching nothing" "$bin" explain -q --call 99 "$corpus/explain/glare.pcap"
status 0 "--help" "$bin" explain --help
grep -q "sipscope explain --call 3 trace.pcap" "$tmp/out" && pass "--help has examples" || fail "--help examples"
printf 'not a capture' >"$tmp/bad.pcap"
status 2 "not a capture" "$bin" explain -q "$tmp/bad.pcap"
grep -q "bad.pcap" "$tmp/err" && pass "the diagnostic names the file" || fail "diagnostic: $(cat "$tmp/err")"

[ "$failures" -eq 0 ] && { echo "PASS"; exit 0; }
echo "$failures failure(s)"; exit 1
