#!/usr/bin/env bash
# End-to-end test of `sipscope parse`.
# Usage: bash parse.sh PATH_TO_sipscope CORPUS_DIR [SHARED_CORPUS_DIR]
# Exit 0 pass, 1 fail, 77 skip (CTest SKIP_RETURN_CODE).
set -u

bin=${1:-}
corpus=${2:-}
shared=${3:-}

if [ -z "$bin" ] || [ ! -x "$bin" ]; then echo "SKIP: sipscope binary not found ('$bin')"; exit 77; fi
if [ -z "$corpus" ] || [ ! -d "$corpus/sip" ]; then echo "SKIP: corpus not found ('$corpus')"; exit 77; fi
if ! command -v python3 >/dev/null 2>&1; then echo "SKIP: python3 is needed to check the JSON output"; exit 77; fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok:   $*"; }

# expect_rc WANT DESCRIPTION -- COMMAND...: runs COMMAND (stdout to $tmp/out, stderr to $tmp/err).
expect_rc() {
  local want=$1 what=$2; shift 3
  "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  if [ "$rc" -eq "$want" ]; then pass "$what (exit $rc)"; else fail "$what: exit $rc, wanted $want; stderr: $(head -c 300 "$tmp/err")"; fi
}

# json_check FILE PYTHON_EXPR DESCRIPTION: FILE must be valid JSON (python3 -m json.tool) and
# the expression, evaluated with `d` bound to the document, must be true.
json_check() {
  local file=$1 expr=$2 what=$3
  if ! python3 -m json.tool "$file" >/dev/null 2>"$tmp/jerr"; then
    fail "$what: not valid JSON: $(head -c 300 "$tmp/jerr")"
    return
  fi
  if python3 - "$file" "$expr" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
ok = eval(sys.argv[2])
if not ok:
    print("  expression false:", sys.argv[2])
    print("  document (start):", json.dumps(d)[:600])
sys.exit(0 if ok else 1)
EOF
  then pass "$what"; else fail "$what"; fi
}

valid="$corpus/sip/rfc4475/lwsdisp.sip"      # RFC 4475 3.1.1.6: well formed
invalid="$corpus/sip/rfc4475/badvers.sip"    # RFC 4475 3.1.2.16: SIP/7.0
scalar="$corpus/sip/rfc4475/scalar02.sip"    # RFC 4475 3.1.2.4: out-of-range numbers
for f in "$valid" "$invalid" "$scalar"; do
  [ -f "$f" ] || { echo "SKIP: $f missing"; exit 77; }
done

# --- top level: help, version, unknown command ---------------------------------------------
expect_rc 0 "sipscope --help" -- "$bin" --help
grep -q "parse" "$tmp/out" || fail "--help does not list the parse command"
expect_rc 0 "sipscope --version" -- "$bin" --version
grep -Eq '^sipscope [0-9]+\.[0-9]+\.[0-9]+' "$tmp/out" || fail "--version prints '$(cat "$tmp/out")'"
expect_rc 2 "unknown command" -- "$bin" frobnicate
grep -qi "unknown command" "$tmp/err" || fail "unknown command: no clear message on stderr"
expect_rc 2 "no command" -- "$bin"
expect_rc 0 "sipscope parse --help" -- "$bin" parse --help
grep -q "Examples" "$tmp/out" || fail "parse --help has no examples"
grep -q -- "--lenient" "$tmp/out" || fail "parse --help does not document --lenient"

# --- exit codes ------------------------------------------------------------------------------
expect_rc 0 "valid message" -- "$bin" parse "$valid"
expect_rc 1 "invalid message" -- "$bin" parse "$invalid"
expect_rc 2 "missing file" -- "$bin" parse "$tmp/does-not-exist.sip"
grep -q "does-not-exist" "$tmp/err" || fail "missing file: stderr does not name the file"
expect_rc 2 "a directory as FILE" -- "$bin" parse --format json "$corpus/sip" "$valid"
grep -q "directory" "$tmp/err" || fail "directory: stderr does not say so"
python3 -m json.tool "$tmp/out" >/dev/null 2>&1 || fail "directory: JSON output of the other files is not valid"
expect_rc 2 "unknown option" -- "$bin" parse --no-such-option "$valid"
expect_rc 2 "bad --format value" -- "$bin" parse --format xml "$valid"
expect_rc 2 "unknown leniency" -- "$bin" parse --lenient no_such_rule "$valid"
expect_rc 2 "no FILE" -- "$bin" parse
expect_rc 1 "valid + invalid gives 1" -- "$bin" parse "$valid" "$invalid"
expect_rc 2 "I/O error wins over malformed" -- "$bin" parse "$invalid" "$tmp/does-not-exist.sip"
expect_rc 0 "known leniency accepted" -- "$bin" parse --lenient lws_in_start_line,bare_lf "$valid"

# --- text output: a tree and compiler-style diagnostics ---------------------------------------
expect_rc 0 "text format" -- "$bin" parse --format text "$valid"
grep -q "Session Initiation Protocol (OPTIONS)" "$tmp/out" || fail "text: no SIP heading"
grep -q "Call-ID: lwsdisp.1234abcd@funky.example.com" "$tmp/out" || fail "text: Call-ID line missing"
expect_rc 1 "text diagnostics" -- "$bin" parse "$invalid"
grep -Eq "badvers\.sip:1:[0-9]+: error: unsupported_sip_version" "$tmp/out" ||
  fail "text: no 'badvers.sip:1:COL: error: unsupported_sip_version' line: $(grep -F 'badvers.sip:' "$tmp/out" | head -3)"
expect_rc 1 "text diagnostics on later lines" -- "$bin" parse "$scalar"
grep -Eq "scalar02\.sip:7:[0-9]+: error: bad_number in Max-Forwards" "$tmp/out" ||
  fail "text: no 'scalar02.sip:7:COL: error: bad_number in Max-Forwards' line: $(grep -F 'scalar02.sip:' "$tmp/out" | head -5)"

# --- JSON output -----------------------------------------------------------------------------
expect_rc 0 "json format" -- "$bin" parse --format json "$valid"
cp "$tmp/out" "$tmp/valid.json"
json_check "$tmp/valid.json" "isinstance(d, list) and len(d) == 1" "json: one object for one message"
json_check "$tmp/valid.json" "d[0]['status'] == 'ok' and d[0]['index'] == 0 and d[0]['offset'] == 0 and d[0]['file'].endswith('lwsdisp.sip')" "json: file, index, offset, status"
json_check "$tmp/valid.json" "d[0]['start_line']['method'] == 'OPTIONS' and d[0]['start_line']['uri']['user'] == 'user' and d[0]['start_line']['uri']['host'] == 'example.com' and d[0]['start_line']['version'] == 'SIP/2.0'" "json: request line"
json_check "$tmp/valid.json" "[h['name'] for h in d[0]['headers']] == ['To','From','Max-Forwards','Call-ID','CSeq','Via','l']" "json: headers in wire order"
json_check "$tmp/valid.json" "[h for h in d[0]['headers'] if h['name'] == 'l'][0]['kind'] == 'Content-Length' and [h for h in d[0]['headers'] if h['name'] == 'l'][0]['compact'] is True" "json: compact form and canonical kind"
json_check "$tmp/valid.json" "[h for h in d[0]['headers'] if h['name'] == 'From'][0]['values'][0]['display_name'] == 'caller' and {'name': 'tag', 'value': '323'} in [h for h in d[0]['headers'] if h['name'] == 'From'][0]['values'][0]['params']" "json: From display name and tag"
json_check "$tmp/valid.json" "(lambda v: v['transport'] == 'UDP' and v['host'] == 'funky.example.com' and v['branch'] == 'z9hG4bKkdjuw')([h for h in d[0]['headers'] if h['name'] == 'Via'][0]['values'][0])" "json: Via fields"
json_check "$tmp/valid.json" "(lambda v: v['number'] == 60 and v['method'] == 'OPTIONS')([h for h in d[0]['headers'] if h['name'] == 'CSeq'][0]['values'][0])" "json: CSeq fields"
json_check "$tmp/valid.json" "all(h['valid'] for h in d[0]['headers']) and not [x for x in d[0]['diagnostics'] if x['severity'] == 'error']" "json: valid headers, no errors"

expect_rc 1 "json of an invalid message" -- "$bin" parse --format json "$invalid"
cp "$tmp/out" "$tmp/invalid.json"
json_check "$tmp/invalid.json" "any(x['code'] == 'unsupported_sip_version' and x['severity'] == 'error' and x['line'] == 1 and x['column'] >= 1 for x in d[0]['diagnostics'])" "json: diagnostic code, severity, line, column"
json_check "$tmp/invalid.json" "all(set(x) >= {'code','severity','offset','line','column','rule','expected'} for x in d[0]['diagnostics'])" "json: diagnostic members"

# A body with SDP is decoded.
sdp_msg="$corpus/sip/rfc4475/unreason.sip"
if [ -f "$sdp_msg" ]; then
  expect_rc 0 "json with an SDP body" -- "$bin" parse --format json "$sdp_msg"
  cp "$tmp/out" "$tmp/sdp.json"
  json_check "$tmp/sdp.json" "d[0]['start_line']['code'] == 200 and d[0]['body']['length'] == 154 and d[0]['body']['content_type'] == 'application/sdp'" "json: response line and body"
  json_check "$tmp/sdp.json" "d[0]['body']['sdp']['origin']['address'] == '192.0.2.198' and [m['port'] for m in d[0]['body']['sdp']['media']] == [49217, 3227]" "json: SDP decoded"
  # RFC 4475's SDP bodies have 'a=rtpmap:31 LPC' (no clock rate): a body finding, which is
  # reported with source "body" and does not make the SIP message malformed (exit 0 above).
  json_check "$tmp/sdp.json" "all(x['source'] == 'body' for x in d[0]['diagnostics'] if x['severity'] == 'error')" "json: body findings marked as such"
fi

# A multipart body: its parts are listed and an SDP part is decoded.
python3 - "$tmp/mp.sip" <<'EOF'
import sys
sdp = b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
body = (b"--XyZ\r\nContent-Type: application/sdp\r\n\r\n" + sdp +
        b"\r\n--XyZ\r\nContent-Type: application/isup\r\n\r\n\x01\x02\x00\xff\r\n--XyZ--\r\n")
msg = (b"INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h.example.com;branch=z9hG4bKmp\r\n"
       b"To: <sip:bob@example.com>\r\nFrom: <sip:al@example.com>;tag=1\r\nCall-ID: mp1\r\nCSeq: 1 INVITE\r\n"
       b"Max-Forwards: 70\r\nContact: <sip:al@h.example.com>\r\nContent-Type: multipart/mixed;boundary=XyZ\r\n"
       b"Content-Length: %d\r\n\r\n" % len(body)) + body
open(sys.argv[1], "wb").write(msg)
EOF
expect_rc 0 "json with a multipart body" -- "$bin" parse --format json "$tmp/mp.sip"
cp "$tmp/out" "$tmp/mp.json"
json_check "$tmp/mp.json" "[p['content_type'] for p in d[0]['body']['parts']] == ['application/sdp', 'application/isup'] and d[0]['body']['parts'][1]['length'] == 4" "multipart: parts listed"
json_check "$tmp/mp.json" "d[0]['body']['parts'][0]['sdp']['media'][0]['port'] == 4000 and d[0]['body']['parts'][0]['sdp']['media'][0]['attributes'][0]['rtpmap']['encoding'] == 'PCMU'" "multipart: SDP part decoded"

# --- stdin -----------------------------------------------------------------------------------
"$bin" parse --format json - <"$valid" >"$tmp/stdin.json" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 0 ] || fail "stdin: exit $rc"
json_check "$tmp/stdin.json" "len(d) == 1 and d[0]['file'] == '<stdin>' and d[0]['start_line']['method'] == 'OPTIONS'" "stdin is read with '-'"

# --- stream: two concatenated messages with a CRLF keep-alive between them --------------------
{ cat "$valid"; printf '\r\n\r\n'; cat "$corpus/sip/rfc4475/zeromf.sip"; } >"$tmp/two.sip"
first_len=$(wc -c <"$valid")
expect_rc 0 "--stream over two messages" -- "$bin" parse --stream --format json "$tmp/two.sip"
cp "$tmp/out" "$tmp/two.json"
json_check "$tmp/two.json" "len(d) == 2 and [x['index'] for x in d] == [0, 1]" "stream: two objects"
json_check "$tmp/two.json" "d[0]['offset'] == 0 and d[1]['offset'] == $first_len + 4" "stream: second message starts after the keep-alive"
json_check "$tmp/two.json" "d[1]['start_line']['method'] == 'OPTIONS' and [h for h in d[1]['headers'] if h['name'] == 'Call-ID'][0]['value'] == 'zeromf.jfasdlfnm2o2l43r5u0asdfas'" "stream: second message parsed"
"$bin" parse --stream "$tmp/two.sip" >"$tmp/two.txt" 2>&1
[ "$(grep -c '^Message ' "$tmp/two.txt")" -eq 2 ] || fail "stream text: wanted two messages"

# A stream that ends inside a message is reported, and is not well formed.
head -c 100 "$valid" >"$tmp/cut.sip"
expect_rc 1 "--stream with a truncated message" -- "$bin" parse --stream --format json "$tmp/cut.sip"
cp "$tmp/out" "$tmp/cut.json"
json_check "$tmp/cut.json" "len(d) == 1 and d[0]['status'] == 'incomplete'" "stream: truncated message is incomplete"

# --- bytes that are not UTF-8 still give valid JSON ------------------------------------------
printf 'OPTIONS sip:user@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h.example.com;branch=z9hG4bKx\r\nTo: <sip:user@example.com>\r\nFrom: <sip:c@example.com>;tag=1\r\nCall-ID: a\xff\xfeb\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nX-Bin: \x01\x7f\xc3\xa9\xe2\x82\r\nContent-Length: 0\r\n\r\n' >"$tmp/bytes.sip"
"$bin" parse --format json "$tmp/bytes.sip" >"$tmp/bytes.json" 2>/dev/null
json_check "$tmp/bytes.json" "len(d) == 1" "json: invalid UTF-8 and control bytes give valid JSON"
json_check "$tmp/bytes.json" "[h for h in d[0]['headers'] if h['name'] == 'X-Bin'][0]['value'] == '\\x01\\x7f\\u00e9\\u00e2\\u0082'" "json: control chars escaped, UTF-8 kept, bad bytes as \\u00XX"
grep -q '\\u00ff\\u00feb' "$tmp/bytes.json" || fail "json: bytes ff fe not written as \\u00ff\\u00fe"

# --- the shared corpus, when present: every RFC file gives valid JSON ------------------------
if [ -n "$shared" ] && [ -d "$shared/sip" ]; then
  "$bin" parse --format json "$shared"/sip/*.dat >"$tmp/all.json" 2>"$tmp/err"
  rc=$?
  [ "$rc" -eq 1 ] || fail "shared corpus: exit $rc, wanted 1 (it holds invalid messages)"
  n=$(ls "$shared"/sip/*.dat | wc -l)
  json_check "$tmp/all.json" "len(d) == $n" "shared corpus: one valid JSON object per file ($n)"
else
  echo "note: shared corpus not found ('$shared'): that part skipped"
fi

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all checks passed"
