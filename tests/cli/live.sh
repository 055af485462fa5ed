#!/usr/bin/env bash
# End-to-end test of `sipscope live` on the loopback interface: a tiny sender (python3 UDP
# socket) plays one call (INVITE, 100, 180, 200, ACK, BYE, 200) to 127.0.0.1:5060 while
# `sipscope live -i lo -f 'udp port 5060' --format jsonl --linger 0` captures; SIGINT then
# stops it, and the JSONL line must be that call, completed, with the summary on stderr.
# Needs root or CAP_NET_RAW: skipped (77) when the interface cannot be opened.
# Usage: bash live.sh PATH_TO_sipscope [CORPUS_DIR] [SHARED_CORPUS_DIR]
set -u

bin=${1:-}
if [ -z "$bin" ] || [ ! -x "$bin" ]; then echo "SKIP: sipscope binary not found ('$bin')"; exit 77; fi
if ! command -v python3 >/dev/null 2>&1; then echo "SKIP: python3 is needed to send SIP"; exit 77; fi

tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok:   $*"; }

# Usage errors come before any capture.
"$bin" live >/dev/null 2>&1; [ $? -eq 2 ] && pass "no -i: exit 2" || fail "no -i: wanted exit 2"
"$bin" live -i lo --db x.db >/dev/null 2>"$tmp/err"; [ $? -eq 2 ] && grep -q "not available yet" "$tmp/err" && pass "--db refused for now" || fail "--db"
"$bin" live -i lo x.pcap >/dev/null 2>&1; [ $? -eq 2 ] && pass "a FILE is refused" || fail "a FILE should be refused"
"$bin" live -i lo --format csv >/dev/null 2>&1; [ $? -eq 2 ] && pass "csv refused" || fail "--format csv should be refused"

# Can we capture at all? A capture of a second with nothing expected tells.
port=$((20000 + RANDOM % 20000))
"$bin" live -i lo -f "udp port $port" --format jsonl >"$tmp/probe.out" 2>"$tmp/probe.err" &
pid=$!
sleep 1
kill -INT "$pid" 2>/dev/null
wait "$pid"; rc=$?
pid=
if [ "$rc" -ne 0 ]; then
  echo "SKIP: cannot capture on lo (exit $rc): $(head -c 300 "$tmp/probe.err")"
  exit 77
fi
pass "an idle capture stops on SIGINT with exit 0"
grep -q "0 records printed" "$tmp/probe.err" && grep -q "dropped by the kernel" "$tmp/probe.err" &&
  pass "summary with drop counts" || fail "summary: $(cat "$tmp/probe.err")"

"$bin" live -i lo -f "udp port $port" --format jsonl --linger 0 >"$tmp/out" 2>"$tmp/err" &
pid=$!
sleep 1
python3 - "$port" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
a, b = ("127.0.0.1", port + 1), ("127.0.0.1", port)
sa = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); sa.bind(a)
sb = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); sb.bind(b)
cid = "live-test-%d@127.0.0.1" % port
def req(method, cseq, to_tag=""):
    via = "SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-%s-%d" % (port + 1, method.lower(), cseq)
    return ("%s sip:bob@127.0.0.1:%d SIP/2.0\r\nVia: %s\r\nMax-Forwards: 70\r\n"
            "From: <sip:alice@127.0.0.1>;tag=a1\r\nTo: <sip:bob@127.0.0.1>%s\r\nCall-ID: %s\r\n"
            "CSeq: %d %s\r\nContact: <sip:alice@127.0.0.1:%d>\r\nContent-Length: 0\r\n\r\n"
            % (method, port, via, to_tag, cid, cseq, method, port + 1)), via
def resp(code, reason, via, cseq, method, tag=True):
    return ("SIP/2.0 %d %s\r\nVia: %s\r\nFrom: <sip:alice@127.0.0.1>;tag=a1\r\nTo: <sip:bob@127.0.0.1>%s\r\n"
            "Call-ID: %s\r\nCSeq: %d %s\r\nContact: <sip:bob@127.0.0.1:%d>\r\nContent-Length: 0\r\n\r\n"
            % (code, reason, via, ";tag=b1" if tag else "", cid, cseq, method, port))
def send(sock, text, to):
    sock.sendto(text.encode(), to); time.sleep(0.05)
invite, via = req("INVITE", 1)
send(sa, invite, b)
send(sb, resp(100, "Trying", via, 1, "INVITE", tag=False), a)
send(sb, resp(180, "Ringing", via, 1, "INVITE"), a)
send(sb, resp(200, "OK", via, 1, "INVITE"), a)
send(sa, req("ACK", 1, ";tag=b1")[0], b)
bye, via2 = req("BYE", 2, ";tag=b1")
send(sa, bye, b)
send(sb, resp(200, "OK", via2, 2, "BYE"), a)
PY
sleep 1
kill -INT "$pid" 2>/dev/null
wait "$pid"; rc=$?
pid=
[ "$rc" -eq 0 ] && pass "stopped by SIGINT, exit 0" || fail "exit $rc after SIGINT; stderr: $(head -c 300 "$tmp/err")"
if python3 - "$tmp/out" "$port" <<'PY'
import json, sys
lines = [l for l in open(sys.argv[1]) if l.strip()]
recs = [json.loads(l) for l in lines]
want = "live-test-%s@127.0.0.1" % sys.argv[2]
ok = len(recs) == 1 and recs[0]["call_id"] == want and recs[0]["kind"] == "call" \
     and recs[0]["state"] == "completed" and recs[0]["sip_messages"] == 7 and recs[0]["final_status"] == 200
if not ok:
    print("  records:", lines)
sys.exit(0 if ok else 1)
PY
then pass "one JSONL line: the call, completed, 7 messages"; else fail "the JSONL output is not the call"; fi
grep -q "1 record printed" "$tmp/err" && pass "summary counts the record" || fail "summary: $(cat "$tmp/err")"

[ "$failures" -eq 0 ] && { echo "PASS"; exit 0; }
echo "$failures failure(s)"; exit 1
