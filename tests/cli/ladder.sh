#!/usr/bin/env bash
# End-to-end test of `sipscope ladder`: text and Mermaid against expected files (checked by hand
# against `tshark -r F -Y sip`), SVG structurally (one column per host, one arrow per message,
# the labels), several calls merged, --legs, --hosts, width, colour and exit codes.
# Usage: bash ladder.sh PATH_TO_sipscope CORPUS_DIR [SHARED_CORPUS_DIR]
# Exit 0 pass, 1 fail, 77 skip. SIPSCOPE_UPDATE_EXPECTED=1 rewrites tests/cli/expected/.
set -u

bin=${1:-}
corpus=${2:-}
shared=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
expected="$here/expected"

if [ -z "$bin" ] || [ ! -x "$bin" ]; then echo "SKIP: sipscope binary not found ('$bin')"; exit 77; fi
if [ -z "$corpus" ] || [ ! -f "$corpus/calls/basic-call.pcap" ]; then echo "SKIP: corpus/calls not found ('$corpus')"; exit 77; fi
if ! command -v python3 >/dev/null 2>&1; then echo "SKIP: python3 is needed to check SVG"; exit 77; fi

export COLUMNS=100 LC_ALL=C LANG=C
unset NO_COLOR
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
same_as() {
  local name=$1
  if [ "${SIPSCOPE_UPDATE_EXPECTED:-}" = 1 ]; then cp "$tmp/out" "$expected/$name"; echo "updated: $name"; return; fi
  if [ ! -f "$expected/$name" ]; then fail "expected/$name missing"; return; fi
  if diff -u "$expected/$name" "$tmp/out" >"$tmp/diff"; then pass "output = expected/$name"; else fail "output differs from expected/$name:"; head -40 "$tmp/diff"; fi
}

c="$corpus/calls"
basic="$c/basic-call.pcap"       # RFC 3665 3.2: 4 hosts, 20 messages
rtx="$c/retransmissions.pcap"    # INVITE and 200 retransmitted
b2bua="$c/b2bua.pcap"            # two legs, tied by the correlator
for f in "$basic" "$rtx" "$b2bua"; do [ -f "$f" ] || { echo "SKIP: $f missing"; exit 77; }; done

# --- help and errors -------------------------------------------------------------------------
expect_rc 0 "ladder --help" -- "$bin" ladder --help
grep -q "Examples" "$tmp/out" || fail "--help has no examples"
for opt in --call --hosts --legs mermaid svg --color; do grep -q -- "$opt" "$tmp/out" || fail "--help does not document $opt"; done
expect_rc 2 "no FILE" -- "$bin" ladder --call 1
expect_rc 2 "missing file" -- "$bin" ladder --call 1 "$tmp/nope.pcap"
grep -q "nope.pcap" "$tmp/err" || fail "missing file: stderr does not name it"
expect_rc 2 "bad --format" -- "$bin" ladder --call 1 --format png "$basic"
expect_rc 2 "bad --hosts" -- "$bin" ladder --call 1 --hosts 192.0.2.1 "$basic"
expect_rc 2 "bad --color" -- "$bin" ladder --call 1 --color sometimes "$basic"
expect_rc 2 "--call that matches nothing" -- "$bin" ladder --call 99 "$basic"
grep -q "no record matches" "$tmp/err" || fail "--call 99: stderr: $(cat "$tmp/err")"
expect_rc 2 "several records without --call" -- "$bin" ladder "$b2bua"
grep -q "2 records match; choose with --call" "$tmp/err" || fail "several records: stderr: $(cat "$tmp/err")"
expect_rc 0 "one record without --call" -- "$bin" ladder -q "$basic"

# --- text --------------------------------------------------------------------------------------
expect_rc 0 "text, by index" -- "$bin" ladder -q --color never --call 1 "$basic"
same_as ladder-basic-call.txt
[ "$(grep -c -- '-->|\||<--' "$tmp/out")" -eq 20 ] || fail "basic-call: wanted 20 arrows, got $(grep -c -- '-->|\||<--' "$tmp/out")"
expect_rc 0 "text, by Call-ID" -- "$bin" ladder -q --color never --call d7499abd7e997fd075ff@atlanta.example.com "$basic"
same_as ladder-basic-call.txt
expect_rc 0 "retransmissions marked" -- "$bin" ladder -q --color never "$rtx"
same_as ladder-retransmissions.txt
[ "$(grep -c '\[rtx\]' "$tmp/out")" -eq 3 ] || fail "retransmissions: wanted 2 [rtx] marks and the legend"
expect_rc 0 "two legs merged, aliases" -- "$bin" ladder -q --color never --call 1,2 --hosts 192.0.2.101=alice,198.51.100.20:5060=bob "$b2bua"
same_as ladder-b2bua.txt
expect_rc 0 "--legs draws the tied leg" -- "$bin" ladder -q --color never --call 1 --legs --hosts 192.0.2.101=alice,198.51.100.20:5060=bob "$b2bua"
same_as ladder-b2bua.txt
expect_rc 0 "one leg says it is tied" -- "$bin" ladder -q --color never --call 1 "$b2bua"
grep -q "is tied to Call-ID be127a1fdb98ad1234dc@b2bua.example.com" "$tmp/out" || fail "one leg: no note of the other"

# Width: every line within COLUMNS (the record title is cut too).
COLUMNS=80 "$bin" ladder -q --color never "$basic" >"$tmp/narrow"
awk 'length($0) > 80 { bad = 1 } END { exit bad }' "$tmp/narrow" && pass "COLUMNS=80: no line longer than 80" ||
  { fail "COLUMNS=80: lines longer than 80"; cat "$tmp/narrow"; }
"$bin" ladder -q --color always "$basic" | grep -q $'\033\\[32m' && pass "--color always: 2xx in green" || fail "--color always: no colour"
"$bin" ladder -q "$basic" | grep -q $'\033' && fail "colour into a pipe" || pass "no colour into a pipe"

# --- mermaid -----------------------------------------------------------------------------------
expect_rc 0 "mermaid" -- "$bin" ladder -q --format mermaid --call 1 "$basic"
same_as ladder-basic-call.mmd
head -1 "$tmp/out" | grep -qx "sequenceDiagram" || fail "mermaid: first line is not sequenceDiagram"
[ "$(grep -c '^    participant H' "$tmp/out")" -eq 4 ] || fail "mermaid: wanted 4 participants"
[ "$(grep -Ec '^    H[0-9]+-?->>H[0-9]+: ' "$tmp/out")" -eq 20 ] || fail "mermaid: wanted 20 messages"
sed 's/#[0-9a-z]*;//g' "$tmp/out" | grep -q ';' && fail "mermaid: a raw ';' (statement separator) in the text"

# --- svg -----------------------------------------------------------------------------------------
expect_rc 0 "svg" -- "$bin" ladder -q --format svg --call 1,2 --hosts 192.0.2.101=alice "$b2bua"
cp "$tmp/out" "$tmp/b2bua.svg"
if python3 - "$tmp/b2bua.svg" <<'PY'
import sys, xml.etree.ElementTree as ET
ns = {"s": "http://www.w3.org/2000/svg"}
root = ET.parse(sys.argv[1]).getroot()
hosts = root.findall("s:g[@class='host']", ns)
msgs = root.findall("s:g[@class='message']", ns)
arrows = root.findall(".//s:line[@class='arrow']", ns)
labels = ["".join(t.itertext()) for t in root.findall(".//s:text[@class='label']", ns)]
names = ["".join(h.find("s:text", ns).itertext()) for h in hosts]
xs = sorted({int(h.find("s:line", ns).get("x1")) for h in hosts})
ok = len(hosts) == 3 and len(msgs) == 14 and len(arrows) == 14 and len(xs) == 3
ok = ok and names[0] == "alice" and "203.0.113.10:5060" in names and "198.51.100.20:5060" in names
ok = ok and labels[0] == "INVITE CSeq 1" and labels.count("ACK CSeq 1") == 2 and labels.count("BYE CSeq 2") == 2
ok = ok and all(int(a.get("x1")) in xs and int(a.get("x2")) in xs for a in arrows)
ok = ok and len(root.findall(".//s:text[@class='sdp']", ns)) == 4
if not ok: print("  hosts", names, "messages", len(msgs), "arrows", len(arrows), "labels", labels)
sys.exit(0 if ok else 1)
PY
then pass "svg: 3 host columns, 14 arrows between them, labels, SDP notes"; else fail "svg structure"; fi

# --- evidence of the verdict (issue 10) --------------------------------------------------------
# tcp-refused (corpus/explain, make-explain.py): the verdict tcp_connect_failed cites frames 1
# (INVITE), 3 (SYN), 4 (RST) and 5 (503); the ladder draws SIP only, so the INVITE and the 503 are
# the marked rows, and the SYN and RST are listed under it with the verdict.
refused="$corpus/explain/tcp-refused.pcap"
if [ -f "$refused" ]; then
  expect_rc 0 "evidence: text ladder of tcp-refused" -- "$bin" ladder -q --color never --call 1 "$refused"
  marked=$(grep -a $'^\xe2\x97\x86' "$tmp/out" | grep '|' | grep -v -- '--' | sed 's/^[^ ]* *[0-9:.]* *+[0-9]*ms *|* *//; s/ *|.*//; s/ *[-<>]*$//' | tr '\n' '/')
  [ "$marked" = "INVITE CSeq 1/503 Service Unavailable CSeq 1/" ] && pass "evidence: the INVITE and the 503 are the marked rows" ||
    { fail "evidence: marked rows '$marked'"; cat "$tmp/out"; }
  [ "$(grep -a $'^\xe2\x97\x86' "$tmp/out" | grep -c '|')" -eq 4 ] || fail "evidence: wanted 4 marked lines (2 rows x label and arrow)"
  tr '\n' ' ' <"$tmp/out" | sed 's/  */ /g' >"$tmp/joined"
  grep -q "Verdict #1 tcp_connect_failed (signalling, high confidence): The INVITE never reached 198.51.100.20:5060" "$tmp/joined" &&
    grep -q "TCP connection refused (RST from 198.51.100.20, frame 4)" "$tmp/joined" &&
    grep -q "evidence not drawn as arrows: frame 3 TCP SYN 192.0.2.10:40312 -> 198.51.100.20:5060; frame 4 TCP RST" "$tmp/joined" &&
    pass "evidence: the verdict under the ladder, the SYN and RST frames named" || { fail "evidence: verdict text"; cat "$tmp/out"; }
  COLUMNS=80 "$bin" ladder -q --color never --call 1 "$refused" | awk 'length($0) > 80 { bad = 1 } END { exit bad }' &&
    pass "evidence: the verdict wraps at COLUMNS=80" || fail "evidence: lines longer than 80"
  "$bin" ladder -q --color always --call 1 "$refused" | grep -q $'\033\\[1;7;33m\xe2\x97\x86' && pass "evidence: marker coloured on a terminal" ||
    fail "evidence: no colour on the marker"
  expect_rc 0 "--no-evidence" -- "$bin" ladder -q --color never --no-evidence --call 1 "$refused"
  grep -aq $'\xe2\x97\x86' "$tmp/out" && fail "--no-evidence: a marker is left"
  grep -q "^Verdict" "$tmp/out" && fail "--no-evidence: the verdict is printed"
  [ "$(grep -c -- '-->|\||<--' "$tmp/out")" -eq 4 ] && pass "--no-evidence: the plain ladder (4 arrows)" || fail "--no-evidence: arrows"
  # A completed call: the verdict is printed, nothing marked (no problem to point at).
  "$bin" ladder -q --color never "$basic" >"$tmp/ok.txt"
  grep -q "^Verdict #1 completed (ok, high confidence)" "$tmp/ok.txt" && ! grep -aq $'^\xe2\x97\x86' "$tmp/ok.txt" &&
    pass "evidence: a completed call gets its verdict and no marks" || fail "evidence: completed call"
  # SVG: the marked groups, a highlight, the verdict as title and caption.
  expect_rc 0 "evidence: svg of tcp-refused" -- "$bin" ladder -q --format svg --call 1 "$refused"
  if python3 - "$tmp/out" <<'PY'
import sys, xml.etree.ElementTree as ET
ns = {"s": "http://www.w3.org/2000/svg"}
root = ET.parse(sys.argv[1]).getroot()
ev = [g for g in root.findall("s:g", ns) if "evidence" in (g.get("class") or "").split()]
labels = ["".join(g.find("s:text[@class='label']", ns).itertext()) for g in ev]
rects = [g.find("s:rect[@class='evidence']", ns) for g in ev]
tips = ["".join(g.find("s:title", ns).itertext()) for g in ev]
title = "".join(root.find("s:title", ns).itertext())
caption = " ".join("".join(t.itertext()) for t in root.findall("s:text[@class='verdict']", ns))
ok = labels == ["INVITE CSeq 1", "503 Service Unavailable CSeq 1"] and all(r is not None for r in rects)
ok = ok and all(t.startswith("\u25c6 evidence of tcp_connect_failed: ") for t in tips)
ok = ok and "TCP connection refused (RST from 198.51.100.20, frame 4)" in title
ok = ok and "tcp_connect_failed" in caption and "frame 4 TCP RST" in caption
if not ok: print(" ", labels, tips, title, caption)
sys.exit(0 if ok else 1)
PY
  then pass "evidence: svg highlights the 2 rows, the rule in their title, the verdict as title and caption"; else fail "evidence: svg"; fi
  # HTML: a click on an evidence row shows the rule that cited it (the message data carries it).
  expect_rc 0 "evidence: html of tcp-refused" -- "$bin" ladder -q --format html --call 1 "$refused"
  grep -q '"evidence_rule":"tcp_connect_failed"' "$tmp/out" && grep -q "\['Evidence', m => m.evidence_rule" "$tmp/out" &&
    grep -q '<p class="verdict">Verdict #1 tcp_connect_failed' "$tmp/out" && [ "$(grep -o 'class="message evidence"' "$tmp/out" | wc -l)" -eq 2 ] &&
    pass "evidence: html marks 2 rows, names the rule on a click, shows the verdict" || fail "evidence: html"
  # Mermaid: the marked labels and a note with the verdict.
  expect_rc 0 "evidence: mermaid of tcp-refused" -- "$bin" ladder -q --format mermaid --call 1 "$refused"
  [ "$(grep -c $'^    H[0-9]*-*>>H[0-9]*: \xe2\x97\x86 ' "$tmp/out")" -eq 2 ] && grep -q "Note over H1,H2: Verdict #35;1 tcp_connect_failed" "$tmp/out" &&
    pass "evidence: mermaid marks 2 messages and notes the verdict" || { fail "evidence: mermaid"; cat "$tmp/out"; }
else
  echo "note: $refused missing: evidence checks skipped"
fi

# --- the shared corpus, when present: a real call (tshark: 5 SIP messages in call 1) ----------
if [ -n "$shared" ] && [ -f "$shared/pcap/wssample_SIP_CALL.pcap" ]; then
  expect_rc 0 "shared: wssample_SIP_CALL.pcap call 1" -- "$bin" ladder -q --color never --call 1 "$shared/pcap/wssample_SIP_CALL.pcap"
  [ "$(grep -c -- '-->|\||<--' "$tmp/out")" -eq 5 ] || fail "wssample_SIP_CALL call 1: wanted 5 arrows"
  grep -q "SDP PCMA 200.57.7.196:40376 sendrecv" "$tmp/out" || fail "wssample_SIP_CALL: INVITE SDP summary missing"
else
  echo "note: shared corpus not found ('$shared'): that part skipped"
fi

if [ "$failures" -ne 0 ]; then echo "$failures check(s) failed"; exit 1; fi
echo "all checks passed"
