#!/usr/bin/env bash
# End-to-end test of `sipscope stats`: the table against an expected file (checked by hand
# against `tshark -q -z sip,stat`), JSON validity, diagnostics by kind, filters, and the counts
# of requests and responses against tshark's sip,stat on the shared corpus.
# Usage: bash stats.sh PATH_TO_sipscope CORPUS_DIR [SHARED_CORPUS_DIR]
# Exit 0 pass, 1 fail, 77 skip. SIPSCOPE_UPDATE_EXPECTED=1 rewrites tests/cli/expected/.
set -u

bin=${1:-}
corpus=${2:-}
shared=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
expected="$here/expected"

if [ -z "$bin" ] || [ ! -x "$bin" ]; then echo "SKIP: sipscope binary not found ('$bin')"; exit 77; fi
if [ -z "$corpus" ] || [ ! -d "$corpus/pcap" ]; then echo "SKIP: corpus not found ('$corpus')"; exit 77; fi
if ! command -v python3 >/dev/null 2>&1; then echo "SKIP: python3 is needed to check JSON"; exit 77; fi

export COLUMNS=200 LC_ALL=C LANG=C
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
py_check() {
  local file=$1 expr=$2 what=$3
  if ! python3 -m json.tool "$file" >/dev/null 2>"$tmp/jerr"; then fail "$what: not valid JSON: $(head -c 300 "$tmp/jerr")"; return; fi
  if python3 - "$file" "$expr" <<'PY'
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
ok = eval(sys.argv[2])
if not ok:
    print("  expression false:", sys.argv[2]); print("  document (start):", json.dumps(d)[:800])
sys.exit(0 if ok else 1)
PY
  then pass "$what"; else fail "$what"; fi
}

gen="$corpus/pcap/gen-udp-ether.pcap.gz"
damaged="$corpus/pcap/damaged-truncated.pcap"
for f in "$gen" "$damaged"; do [ -f "$f" ] || { echo "SKIP: $f missing"; exit 77; }; done

expect_rc 0 "stats --help" -- "$bin" stats --help
grep -q "Examples" "$tmp/out" || fail "--help has no examples"
grep -q "sip,stat" "$tmp/out" || fail "--help does not relate to tshark's sip,stat"
expect_rc 2 "no FILE" -- "$bin" stats
expect_rc 2 "missing file" -- "$bin" stats "$tmp/nope.pcap"
grep -q "nope.pcap" "$tmp/err" || fail "missing file: stderr does not name it"
expect_rc 2 "bad --format" -- "$bin" stats --format csv "$gen"

# Table: 25 SIP messages, INVITE 4, ACK 4, REGISTER 2, BYE 2; 200x5, 100x3, 180x2, 401x2,
# 302x1 (as tshark -z sip,stat); per-host counts as `tshark -Y sip -T fields -e ip.src ...`.
expect_rc 0 "table" -- "$bin" stats "$gen"
same_as stats-gen-udp-ether.txt
grep -q "sipscope stats: 1 file, 327 frames" "$tmp/err" || fail "summary on stderr: $(cat "$tmp/err")"

expect_rc 0 "json" -- "$bin" stats -q --format json "$gen"
cp "$tmp/out" "$tmp/gen.json"
py_check "$tmp/gen.json" "d['sip']['messages'] == 25 and d['capture']['frames'] == 327 and d['capture']['rtp_packets'] == 302" "json: totals"
py_check "$tmp/gen.json" "{k: v['count'] for k, v in d['requests'].items()} == {'INVITE': 4, 'ACK': 4, 'REGISTER': 2, 'BYE': 2}" "json: requests by method"
py_check "$tmp/gen.json" "{k: v['count'] for k, v in d['responses'].items()} == {'100': 3, '180': 2, '200': 5, '302': 1, '401': 2}" "json: responses by code"
py_check "$tmp/gen.json" "d['hosts']['10.1.2.84:5060'] == {'sent': 8, 'received': 9} and d['transports'] == {'UDP': 25}" "json: hosts and transports"
py_check "$tmp/gen.json" "d['records'] == {'call': 3, 'registration': 1} and d['calls_by_state'] == {'completed': 2, 'redirected': 1}" "json: records and call states"

# Diagnostics by kind with their first frame; a damaged file is still exit 0 (it was read).
expect_rc 0 "damaged capture" -- "$bin" stats --format json "$damaged"
cp "$tmp/out" "$tmp/dmg.json"
py_check "$tmp/dmg.json" "d['diagnostics']['bad_udp_header']['first_frame'] == 2 and d['diagnostics']['ip_length_mismatch']['first_frame'] == 1 and d['diagnostics']['truncated_file']['count'] == 1" "json: diagnostics by kind, first frame"
grep -q "capture diagnostics: .*bad_udp_header (first: frame 2)" "$tmp/err" || fail "diagnostics summary on stderr: $(cat "$tmp/err")"

# Filters narrow the SIP counts to the records kept; the capture figures stay whole.
expect_rc 0 "--kind registration" -- "$bin" stats -q --format json --kind registration "$gen"
cp "$tmp/out" "$tmp/reg.json"
py_check "$tmp/reg.json" "set(d['requests']) == {'REGISTER'} and d['records'] == {'registration': 1} and d['capture']['frames'] == 327" "filter: registrations only"
expect_rc 0 "--status 302" -- "$bin" stats -q --format json --status 302 "$gen"
cp "$tmp/out" "$tmp/302.json"
py_check "$tmp/302.json" "d['records'] == {'call': 1} and d['responses']['302']['count'] == 1 and '401' not in d['responses']" "filter: the 302 call only"
expect_rc 1 "--fail-on failed (none) / state=redirected" -- "$bin" stats -q --fail-on failed,state=redirected "$gen"

# Several files merged (the VLAN ring buffer): as many SIP messages as EXPECT.tsv says.
split=("$corpus"/pcap/gen-vlan-split-00?.pcap)
expect_rc 0 "five files merged" -- "$bin" stats -q --format json "${split[@]}"
cp "$tmp/out" "$tmp/split.json"
py_check "$tmp/split.json" "d['capture']['files'] == 5 and d['capture']['frames'] == 29 and d['sip']['messages'] == 29" "merged files: 29 frames, 29 SIP"

# tshark's sip,stat on the shared corpus: same counts of requests by method and responses by
# code (the real captures, wssample_*).
if [ -n "$shared" ] && [ -d "$shared/pcap/tshark" ]; then
  checked=0
  for t in "$shared"/pcap/tshark/wssample_*.sip_stat.txt; do
    f="$shared/pcap/$(basename "$t" .sip_stat.txt)"
    [ -f "$f" ] || continue
    "$bin" stats -q --format json "$f" >"$tmp/s.json" 2>/dev/null
    if python3 - "$t" "$tmp/s.json" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read(); d = json.load(open(sys.argv[2]))
codes = {m.group(1): int(m.group(2)) for m in re.finditer(r"^\s+SIP (\d{3}) .*?:\s+(\d+) Packets", text, re.M)}
methods = {m.group(1): int(m.group(2)) for m in re.finditer(r"^\s+([A-Z]+)\s+:\s+(\d+) Packets", text, re.M)}
total = int(re.search(r"Number of SIP messages: (\d+)", text).group(1))
got_codes = {k: v["count"] for k, v in d["responses"].items()}
got_methods = {k: v["count"] for k, v in d["requests"].items()}
ok = codes == got_codes and methods == got_methods and total == d["sip"]["messages"]
if not ok: print("  ", sys.argv[1], "tshark", codes, methods, total, "sipscope", got_codes, got_methods, d["sip"]["messages"])
sys.exit(0 if ok else 1)
PY
    then checked=$((checked + 1)); else fail "stats vs $(basename "$t")"; fi
  done
  pass "shared corpus: requests and responses agree with tshark sip,stat on $checked captures"
else
  echo "note: shared corpus not found ('$shared'): that part skipped"
fi

if [ "$failures" -ne 0 ]; then echo "$failures check(s) failed"; exit 1; fi
echo "all checks passed"
