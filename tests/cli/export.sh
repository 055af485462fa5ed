#!/usr/bin/env bash
# End-to-end test of `sipscope export` into SQLite: usage, the database's rows against
# `sipscope calls --all --format json` for the same capture (corpus/calls, a gen-capture file),
# re-import idempotence and --replace, rotated files of one directory as one capture, a
# read-only database, and an export SIGKILLed at random points 30 times (integrity_check ok,
# whole captures only).
# Usage: bash export.sh PATH_TO_sipscope CORPUS_DIR [SHARED_CORPUS_DIR]
# Exit 0 pass, 1 fail, 77 skip. PostgreSQL: tests/store/postgres.sh.
set -u

bin=${1:-}
corpus=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
gen="$here/../../../shared/bench/gen-capture"

if [ -z "$bin" ] || [ ! -x "$bin" ]; then echo "SKIP: sipscope binary not found ('$bin')"; exit 77; fi
if [ -z "$corpus" ] || [ ! -d "$corpus/calls" ]; then echo "SKIP: corpus not found ('$corpus')"; exit 77; fi
if ! command -v python3 >/dev/null 2>&1; then echo "SKIP: python3 is needed to read the database"; exit 77; fi

tmp=$(mktemp -d)
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok:   $*"; }

expect_rc() {
  local want=$1 what=$2; shift 3
  "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  if [ "$rc" -eq "$want" ]; then pass "$what (exit $rc)"; else fail "$what: exit $rc, wanted $want; stderr: $(head -c 400 "$tmp/err")"; fi
}

# compare DB CAPTURE_PATH JSON: the rows of that capture equal the records of the JSON.
compare() {
  python3 "$here/../store/export_compare.py" "$@" >"$tmp/cmp" 2>&1
  local rc=$?
  if [ $rc -eq 0 ]; then pass "$(tail -1 "$tmp/cmp")"; else fail "rows differ from calls --all JSON:"; head -20 "$tmp/cmp"; fi
}

sql() { python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print("\n".join("|".join("" if v is None else str(v) for v in r) for r in c.execute(sys.argv[2])))' "$@"; }

# --- usage ---------------------------------------------------------------------------------------
expect_rc 0 "export --help" -- "$bin" export --help
for opt in --db --recursive --per-file --jobs --replace --jsonl --csv --with-messages --limit Examples; do
  grep -q -- "$opt" "$tmp/out" || fail "--help does not document $opt"
done
expect_rc 0 "sipscope --help lists export" -- "$bin" --help
grep -q "^  export" "$tmp/out" || fail "top-level --help does not list export"
expect_rc 2 "no --db" -- "$bin" export "$corpus/calls/basic-call.pcap"
expect_rc 2 "no PATH" -- "$bin" export --db "$tmp/x.sqlite"
expect_rc 2 "missing file" -- "$bin" export --db "$tmp/x.sqlite" "$tmp/nope.pcap"
grep -q "nope.pcap" "$tmp/err" || fail "missing file: stderr does not name it"
expect_rc 2 "bad --jobs" -- "$bin" export --db "$tmp/x.sqlite" --jobs 0 "$corpus/calls/basic-call.pcap"

# --- corpus/calls: every capture, rows = JSON ----------------------------------------------------
db="$tmp/calls.sqlite"
expect_rc 0 "export corpus/calls" -- "$bin" export -q --db "$db" --jsonl "$tmp/all.jsonl" --csv "$tmp/csv" "$corpus"/calls/*.pcap
[ "$(sql "$db" "PRAGMA integrity_check")" = ok ] || fail "integrity_check after export"
[ "$(sql "$db" "PRAGMA user_version")" = 2 ] || fail "user_version is not 2"
[ "$(sql "$db" "SELECT group_concat(version) FROM schema_migrations")" = "1,2" ] || fail "schema_migrations are not versions 1 and 2"
# Each capture's rows in database $1 against `calls --all --messages` of that capture alone;
# sets `compared` (not a $(...): fail must count in this shell).
compare_each() {
  local db=$1 f
  compared=0
  shift
  for f in "$@"; do
    "$bin" calls --all --format json --messages -q "$f" >"$tmp/one.json" || fail "calls on $f"
    python3 "$here/../store/export_compare.py" "$db" "$f" "$tmp/one.json" >"$tmp/cmp" 2>&1 || { fail "$(basename "$f"): rows differ"; head -10 "$tmp/cmp"; }
    compared=$((compared + 1))
  done
}
compare_each "$db" "$corpus"/calls/*.pcap
pass "$compared corpus/calls captures: rows equal calls --all --messages JSON"
# corpus/explain: a capture per verdict rule (ICMP, TCP SYN/RST, capture losses as evidence):
# the stored verdicts equal those of calls
xdb="$tmp/explain.sqlite"
expect_rc 0 "export corpus/explain" -- "$bin" export -q --db "$xdb" "$corpus"/explain/*.pcap
compare_each "$xdb" "$corpus"/explain/*.pcap
pass "$compared corpus/explain captures: rows and verdicts equal calls --all JSON"
# ... and each exported alone with --jobs 2, read and correlated on two threads (ICMP, TCP
# SYN/RST, fragments and capture losses all cross the relay)
tsdb="$tmp/twostage.sqlite"
for f in "$corpus"/explain/*.pcap; do "$bin" export -q --jobs 2 --db "$tsdb" "$f" || fail "export --jobs 2 $f"; done
compare_each "$tsdb" "$corpus"/explain/*.pcap
pass "$compared corpus/explain captures exported alone in two stages: rows and verdicts equal calls' JSON"
[ "$(sql "$db" "SELECT count(*) FROM messages WHERE raw IS NOT NULL")" = 0 ] &&
  pass "without --with-messages, messages.raw is NULL" || fail "messages.raw filled without --with-messages"

# --with-messages: each message's text in messages.raw, a whole SIP message that parses alone
rawdb="$tmp/raw.sqlite"
expect_rc 0 "export --with-messages" -- "$bin" export -q --with-messages --db "$rawdb" "$corpus/calls/basic-call.pcap" "$corpus/calls/tcp-call.pcap"
mkdir -p "$tmp/raw"
python3 - "$rawdb" "$tmp/raw" <<'PY' || fail "messages.raw: see above"
import sqlite3, sys, os
c = sqlite3.connect(sys.argv[1])
rows = c.execute("SELECT capture_id, record_index, seq, summary, raw FROM messages").fetchall()
bad = [r[:3] for r in rows if r[4] is None or r[3].split(' ')[0] not in r[4].split('\r\n')[0] or '\r\n\r\n' not in r[4]]
if not rows or bad:
    print("FAIL: messages.raw missing or not the message:", bad[:5]); sys.exit(1)
for i, r in enumerate(rows):
    open(os.path.join(sys.argv[2], f"{i:03d}.sip"), "w", newline="").write(r[4])
print(f"ok:   --with-messages: {len(rows)} messages, each raw text's start line holding its summary")
PY
"$bin" parse "$tmp"/raw/*.sip >"$tmp/parse.out" 2>&1 && pass "every stored message parses well-formed alone ($(ls "$tmp"/raw | wc -l))" ||
  fail "sipscope parse of the stored messages: $(grep -m3 -i error "$tmp/parse.out")"
jl=$(wc -l <"$tmp/all.jsonl"); rows=$(sql "$db" "SELECT sum(records) FROM captures")
[ "$jl" = "$rows" ] && pass "--jsonl has one line per record ($jl)" || fail "--jsonl has $jl lines, captures say $rows records"
# ... and those lines are what `sipscope calls --all --format jsonl` prints, verdicts included
# (the workers write them; the lines of several captures may interleave, hence sorted)
for f in "$corpus"/calls/*.pcap; do "$bin" calls -q --all --format jsonl "$f"; done >"$tmp/calls.jsonl"
python3 - "$tmp/all.jsonl" "$tmp/calls.jsonl" <<'PY' && pass "--jsonl lines equal calls --all --format jsonl ($jl)" || fail "--jsonl lines differ from calls' JSON"
import json, sys
a, b = ([json.dumps(json.loads(l), sort_keys=True) for l in open(p)] for p in sys.argv[1:3])
sys.exit(0 if sorted(a) == sorted(b) else 1)
PY
csvrows=$(($(wc -l <"$tmp/csv/calls.csv") - 1)); dbcalls=$(sql "$db" "SELECT count(*) FROM calls")
[ "$csvrows" = "$dbcalls" ] && pass "--csv calls.csv has the calls ($csvrows)" || fail "calls.csv has $csvrows rows, db $dbcalls"

# --- idempotence and --replace -------------------------------------------------------------------
before=$(sql "$db" "SELECT (SELECT count(*) FROM calls), (SELECT count(*) FROM messages), (SELECT count(*) FROM captures)")
expect_rc 0 "export again" -- "$bin" export --db "$db" "$corpus"/calls/*.pcap
grep -q " 0 imported, 29 imported before" "$tmp/err" || fail "second run: $(cat "$tmp/err")"
after=$(sql "$db" "SELECT (SELECT count(*) FROM calls), (SELECT count(*) FROM messages), (SELECT count(*) FROM captures)")
[ "$before" = "$after" ] && pass "re-import adds nothing" || fail "re-import changed the counts: $before -> $after"
cp "$corpus/calls/basic-call.pcap" "$tmp/copy-of-basic.pcap"
expect_rc 0 "a copy under another name" -- "$bin" export --db "$db" "$tmp/copy-of-basic.pcap"
grep -q "0 imported, 1 imported before" "$tmp/err" || fail "copy: $(cat "$tmp/err")"
old=$(sql "$db" "SELECT id FROM captures WHERE path LIKE '%/busy.pcap'")
expect_rc 0 "--replace" -- "$bin" export --replace --db "$db" "$corpus/calls/busy.pcap"
new=$(sql "$db" "SELECT id FROM captures WHERE path LIKE '%/busy.pcap'")
after2=$(sql "$db" "SELECT (SELECT count(*) FROM calls), (SELECT count(*) FROM messages), (SELECT count(*) FROM captures)")
[ "$old" != "$new" ] && [ "$after2" = "$before" ] && pass "--replace re-imported busy.pcap (capture $old -> $new), counts unchanged" \
  || fail "--replace: capture $old -> $new, counts $before -> $after2"
[ "$(sql "$db" "SELECT count(*) FROM calls WHERE capture_id = $old")" = 0 ] || fail "--replace left rows of capture $old"

# --- a file that is not a capture: recorded as failed, the run goes on ---------------------------
printf 'not a capture at all\n' >"$tmp/bad.pcap"
expect_rc 1 "a bad capture among good ones" -- "$bin" export --db "$tmp/bad.sqlite" "$tmp/bad.pcap" "$corpus/calls/cancel.pcap"
# (by name, not by path order: the checkout may sort before or after the temporary directory)
[ "$(sql "$tmp/bad.sqlite" "SELECT status FROM captures WHERE path LIKE '%/bad.pcap'")" = failed ] &&
[ "$(sql "$tmp/bad.sqlite" "SELECT status FROM captures WHERE path LIKE '%/cancel.pcap'")" = complete ] \
  && pass "bad capture recorded as failed, the good one complete" || fail "statuses: $(sql "$tmp/bad.sqlite" "SELECT path, status FROM captures")"
# (stderr is a file here: its messages carry no terminal escapes, for logs and cron mail)
grep -q "bad.pcap' could not be read" "$tmp/err" && ! grep -q $'\033' "$tmp/err" &&
  pass "the message, without terminal escapes in a file" || fail "stderr: $(od -c "$tmp/err" | head -3)"

# --- read-only database --------------------------------------------------------------------------
# In a directory of its own that another user can enter, with a capture that user can read
# (mktemp's directory and a checkout under /root are not).
rodir="$tmp/ro"; mkdir -p "$rodir"; chmod 755 "$tmp" "$rodir"
cp "$corpus/calls/hold.pcap" "$rodir/hold.pcap"; chmod 644 "$rodir/hold.pcap"
cp "$db" "$rodir/ro.sqlite"; chmod 444 "$rodir/ro.sqlite"
if [ "$(id -u)" = 0 ]; then
  # root writes whatever the mode: run as nobody (the file belongs to root, mode 444).
  if command -v setpriv >/dev/null && setpriv --reuid=nobody --regid=nogroup --clear-groups true 2>/dev/null; then
    asuser=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
  else asuser=(); fi
else asuser=(); fi
if [ "$(id -u)" != 0 ] || [ ${#asuser[@]} -gt 0 ]; then
  expect_rc 2 "read-only database" -- "${asuser[@]}" "$bin" export --db "$rodir/ro.sqlite" "$rodir/hold.pcap"
  grep -q "read-only" "$tmp/err" || fail "read-only: stderr does not say so: $(cat "$tmp/err")"
  [ "$(sql "$rodir/ro.sqlite" "PRAGMA integrity_check")" = ok ] || fail "read-only database damaged"
else
  echo "skip: read-only case (root without setpriv)"
fi

# --- files a probe is still writing -------------------------------------------------------------
# --settle: a file modified less than SECONDS ago is left for a later run; in a directory (one
# capture of rotated files) the whole directory waits; exit 0, the summary says so.
mkdir -p "$tmp/live"
cp "$corpus/calls/basic-call.pcap" "$tmp/live/ring-1.pcap"
cp "$corpus/calls/hold.pcap" "$tmp/live/ring-2.pcap"
touch -d '2 hours ago' "$tmp/live/ring-1.pcap"
expect_rc 0 "--settle 600 --per-file, one old file and one just written" -- \
  "$bin" export --per-file --settle 600 --db "$tmp/live.sqlite" "$tmp/live"
[ "$(sql "$tmp/live.sqlite" "SELECT group_concat(path) FROM captures")" = "$tmp/live/ring-1.pcap" ] &&
  grep -q "1 capture (1 file) left for a later run: modified less than 600 s ago (--settle)" "$tmp/err" &&
  pass "--settle: the file just written is left for a later run, the old one imported" ||
  fail "--settle per file: $(sql "$tmp/live.sqlite" "SELECT path FROM captures"); $(cat "$tmp/err")"
expect_rc 0 "--settle 600, the directory as one capture" -- "$bin" export --settle 600 --db "$tmp/lived.sqlite" "$tmp/live"
[ "$(sql "$tmp/lived.sqlite" "SELECT count(*) FROM captures")" = 0 ] &&
  grep -q "1 capture (2 files) left for a later run" "$tmp/err" &&
  pass "--settle: a directory with a file still being written waits as a whole" ||
  fail "--settle directory: $(sql "$tmp/lived.sqlite" "SELECT path FROM captures"); $(cat "$tmp/err")"
touch -d '2 hours ago' "$tmp/live/ring-2.pcap"
expect_rc 0 "--settle 600 once every file is older" -- "$bin" export -q --settle 600 --db "$tmp/lived.sqlite" "$tmp/live"
[ "$(sql "$tmp/lived.sqlite" "SELECT count(*), sum(files) FROM captures WHERE status = 'complete'")" = "1|2" ] &&
  pass "--settle: the directory imported once it is complete" || fail "--settle later run: $(sql "$tmp/lived.sqlite" "SELECT path, files, status FROM captures")"
expect_rc 2 "bad --settle" -- "$bin" export --settle -1 --db "$tmp/x.sqlite" "$tmp/live"
# A file that grows while it is read (appended to all along the run) is not imported: what was
# read is not what was hashed. Recorded 'failed', exit 1; once it stops changing, imported.
# (~9 MB: low-mos.pcap's records 40 times over, so that the read lasts a while)
python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); open(sys.argv[2], "wb").write(d[:24] + d[24:] * 40)' \
  "$corpus/explain/low-mos.pcap" "$tmp/live/grow.pcap"
touch "$tmp/appending"
python3 - "$tmp/live/grow.pcap" "$tmp/appending" <<'PY' &
import os, sys, time
path, flag = sys.argv[1], sys.argv[2]
with open(path, "ab") as f:
    while os.path.exists(flag):
        f.write(b"\0" * 64); f.flush(); time.sleep(0.0002)
PY
appender=$!
sleep 0.2
expect_rc 1 "export of a file being appended to" -- "$bin" export --db "$tmp/grow.sqlite" "$tmp/live/grow.pcap"
rm -f "$tmp/appending"; wait $appender
[ "$(sql "$tmp/grow.sqlite" "SELECT status FROM captures")" = failed ] && grep -q "changed while it was read" "$tmp/err" &&
  [ "$(sql "$tmp/grow.sqlite" "SELECT count(*) FROM calls")" = 0 ] &&
  pass "a file that changes while it is read: not imported, recorded 'failed'" ||
  fail "changing file: $(sql "$tmp/grow.sqlite" "SELECT status, diagnostics FROM captures"); $(cat "$tmp/err")"
expect_rc 0 "the same file once it stopped changing" -- "$bin" export -q --db "$tmp/grow.sqlite" "$tmp/live/grow.pcap"
[ "$(sql "$tmp/grow.sqlite" "SELECT count(*) FROM captures WHERE status = 'complete'")" = 1 ] &&
  pass "imported once it stopped changing" || fail "after the change: $(sql "$tmp/grow.sqlite" "SELECT path, status FROM captures")"

# --- generated captures --------------------------------------------------------------------------
if [ ! -x "$gen" ]; then
  echo "skip: $gen absent: gen-capture, rotated files and the kill test"
  [ $failures -eq 0 ] && exit 0 || exit 1
fi
"$gen" -o "$tmp/g100.pcap" --truth "$tmp/g100.json" --calls 100 --seed 3 2>/dev/null || fail "gen-capture"
"$bin" calls --all --format json --messages -q "$tmp/g100.pcap" >"$tmp/g100.calls.json"
expect_rc 0 "export gen-capture --calls 100" -- "$bin" export -q --db "$tmp/g.sqlite" "$tmp/g100.pcap"
compare "$tmp/g.sqlite" "$tmp/g100.pcap" "$tmp/g100.calls.json"

# Rotated files of one directory: one capture, calls spanning files are one record.
mkdir -p "$tmp/rot"
"$gen" -o "$tmp/rot/ring.pcap" --truth "$tmp/rot.json" --calls 40 --seed 11 --split 2M 2>/dev/null || fail "gen-capture --split"
mv "$tmp/rot.json" "$tmp/rot.truth.json"
nfiles=$(ls "$tmp/rot" | wc -l)
"$bin" calls --all --format json --messages -q "$tmp"/rot/*.pcap >"$tmp/rot.calls.json"
expect_rc 0 "export a directory of $nfiles rotated files" -- "$bin" export -q --db "$tmp/rot.sqlite" "$tmp/rot"
[ "$(sql "$tmp/rot.sqlite" "SELECT count(*), files FROM captures")" = "1|$nfiles" ] && pass "one capture of $nfiles files" \
  || fail "captures: $(sql "$tmp/rot.sqlite" "SELECT path, files FROM captures")"
compare "$tmp/rot.sqlite" "$tmp/rot" "$tmp/rot.calls.json"
truth=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["calls"]))' "$tmp/rot.truth.json" 2>/dev/null)
got=$(sql "$tmp/rot.sqlite" "SELECT count(*), count(DISTINCT call_id) FROM calls")
[ "$got" = "$truth|$truth" ] && pass "rotated: $truth calls, each one record" || fail "rotated: calls|distinct = $got, truth $truth"
multi=$(sql "$tmp/rot.sqlite" "SELECT count(*) FROM (SELECT record_index FROM messages WHERE record_index IN (SELECT record_index FROM calls) GROUP BY record_index HAVING count(DISTINCT file_index) > 1)")
[ "${multi:-0}" -gt 0 ] && pass "$multi calls have messages in two files or more" || fail "no call spans two files (test data?)"

# Two stages: with jobs >= 2 x captures, each capture is read on one thread and correlated on
# another (capture::relay). The same directory with --jobs 1 and --jobs 2: the same rows.
expect_rc 0 "export the rotated directory --jobs 1" -- "$bin" export -q --jobs 1 --db "$tmp/rot1.sqlite" "$tmp/rot"
expect_rc 0 "export the rotated directory --jobs 2" -- "$bin" export -q --jobs 2 --db "$tmp/rot2.sqlite" "$tmp/rot"
same=1
for t in calls registrations events dialogs legs messages streams findings; do
  q="SELECT * FROM $t ORDER BY capture_id, record_index"
  [ "$(sql "$tmp/rot1.sqlite" "$q" | md5sum)" = "$(sql "$tmp/rot2.sqlite" "$q" | md5sum)" ] || { same=0; fail "two stages: table $t differs from --jobs 1"; }
done
[ $same = 1 ] && pass "two stages (--jobs 2, one capture of $nfiles files): every table as with --jobs 1"
# (its files are hashed while the first is read; a re-run finds the first file known and
# hashes them all before reading anything)
expect_rc 0 "two stages, again" -- "$bin" export --jobs 2 --db "$tmp/rot2.sqlite" "$tmp/rot"
grep -q " 0 imported, 1 imported before" "$tmp/err" && pass "two stages, again: nothing added" || fail "two stages re-run: $(cat "$tmp/err")"
# A later file of the directory already imported as a capture of its own: found once the
# hashes are done, while the first files are being read; nothing of the directory is added.
last=$(ls "$tmp/rot" | tail -1)
expect_rc 0 "export the directory's last file alone" -- "$bin" export -q --db "$tmp/rotc.sqlite" "$tmp/rot/$last"
expect_rc 1 "two stages over a directory whose last file is imported" -- "$bin" export --jobs 2 --db "$tmp/rotc.sqlite" "$tmp/rot"
grep -q "1 overlapping an earlier import" "$tmp/err" && [ "$(sql "$tmp/rotc.sqlite" "SELECT count(*) FROM captures")" = 1 ] &&
  pass "two stages: a directory overlapping an earlier import is not imported" || fail "overlap: $(cat "$tmp/err")"

# --per-file: each file of a directory is its own capture (3 rotated files, 3 rows); again: nothing.
mkdir -p "$tmp/rot3"
for f in $(ls "$tmp/rot" | head -3); do cp "$tmp/rot/$f" "$tmp/rot3/"; done
n3=$(ls "$tmp/rot3" | wc -l)
expect_rc 0 "export --per-file a directory of $n3 rotated files" -- "$bin" export -q --per-file --jobs 2 --db "$tmp/pf.sqlite" "$tmp/rot3"
[ "$n3" = 3 ] && [ "$(sql "$tmp/pf.sqlite" "SELECT count(*), sum(files), count(DISTINCT hash) FROM captures WHERE status = 'complete'")" = "3|3|3" ] \
  && pass "--per-file: 3 capture rows of one file each" || fail "--per-file captures: $(sql "$tmp/pf.sqlite" "SELECT path, files, status FROM captures")"
pfbefore=$(sql "$tmp/pf.sqlite" "SELECT (SELECT count(*) FROM captures), (SELECT count(*) FROM calls), (SELECT count(*) FROM messages)")
expect_rc 0 "export --per-file again" -- "$bin" export --per-file --db "$tmp/pf.sqlite" "$tmp/rot3"
grep -q " 0 imported, 3 imported before" "$tmp/err" || fail "--per-file second run: $(cat "$tmp/err")"
pfafter=$(sql "$tmp/pf.sqlite" "SELECT (SELECT count(*) FROM captures), (SELECT count(*) FROM calls), (SELECT count(*) FROM messages)")
[ "$pfbefore" = "$pfafter" ] && pass "--per-file re-run adds nothing" || fail "--per-file re-run: $pfbefore -> $pfafter"

# A worker with no capture left takes over the correlating of one that another worker is still
# reading alone (capture::handoff): one bigger capture among small ones, --per-file --jobs 2,
# gives the rows of --jobs 1 (capture ids aside: the captures may start in another order).
mkdir -p "$tmp/mixed"
cp "$tmp/g100.pcap" "$tmp/mixed/a-big.pcap"
cp "$corpus/calls/basic-call.pcap" "$corpus/calls/hold.pcap" "$corpus/explain/low-mos.pcap" "$tmp/mixed/"
expect_rc 0 "export a big capture and small ones --jobs 1" -- "$bin" export -q --per-file --jobs 1 --db "$tmp/mix1.sqlite" "$tmp/mixed"
expect_rc 0 "export a big capture and small ones --jobs 2" -- "$bin" export -q --per-file --jobs 2 --db "$tmp/mix2.sqlite" "$tmp/mixed"
same=1
for t in calls registrations events dialogs legs messages streams findings; do
  q="SELECT c.path, t.* FROM $t t JOIN captures c ON c.id = t.capture_id ORDER BY c.path, t.record_index"
  a=$(sql "$tmp/mix1.sqlite" "$q" | cut -d'|' -f1,3- | md5sum)
  b=$(sql "$tmp/mix2.sqlite" "$q" | cut -d'|' -f1,3- | md5sum)
  [ "$a" = "$b" ] || { same=0; fail "a helped capture: table $t differs from --jobs 1"; }
done
q="SELECT path, records, messages, streams, packets, status FROM captures ORDER BY path"
[ "$(sql "$tmp/mix1.sqlite" "$q")" = "$(sql "$tmp/mix2.sqlite" "$q")" ] || { same=0; fail "a helped capture: captures differ"; }
[ "$(sql "$tmp/mix2.sqlite" "SELECT count(*) FROM captures WHERE status = 'complete'")" = 4 ] || { same=0; fail "mixed: not 4 captures"; }
[ $same = 1 ] && pass "a big capture among small ones, --jobs 2: every table as with --jobs 1"

# --- killed export -------------------------------------------------------------------------------
mkdir -p "$tmp/kill"
"$gen" -o "$tmp/kill/k.pcap" --truth "$tmp/k.json" --calls 30 --seed 21 --split 1M 2>/dev/null || fail "gen-capture for the kill test"
kfiles=("$tmp"/kill/*.pcap)
"$bin" export -q --db "$tmp/kref.sqlite" "${kfiles[@]}" || fail "reference export"
ref=$(sql "$tmp/kref.sqlite" "SELECT path, records, messages, streams FROM captures ORDER BY path")
kdb="$tmp/killed.sqlite"
check_killed() {
  python3 - "$kdb" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
bad = []
if c.execute("PRAGMA integrity_check").fetchone()[0] != "ok": bad.append("integrity_check")
if not c.execute("SELECT 1 FROM sqlite_master WHERE name='captures'").fetchone():
    # killed before the schema's transaction committed: nothing at all, which is whole too
    tables = c.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    print("no schema yet, %d tables" % tables); sys.exit(1 if tables else 0)
st = {s for (s,) in c.execute("SELECT DISTINCT status FROM captures")}
if st - {"complete"}: bad.append("statuses %s" % st)
for t in ["calls","registrations","events","dialogs","legs","messages","streams","findings"]:
    n = c.execute(f"SELECT count(*) FROM {t} WHERE capture_id NOT IN (SELECT id FROM captures WHERE status='complete')").fetchone()[0]
    if n: bad.append(f"{n} rows of {t} outside complete captures")
for (cid, recs, msgs, strs) in c.execute("SELECT id, records, messages, streams FROM captures WHERE status='complete'").fetchall():
    r = sum(c.execute(f"SELECT count(*) FROM {t} WHERE capture_id=?", (cid,)).fetchone()[0] for t in ["calls","registrations","events"])
    m = c.execute("SELECT count(*) FROM messages WHERE capture_id=?", (cid,)).fetchone()[0]
    s = c.execute("SELECT count(*) FROM streams WHERE capture_id=?", (cid,)).fetchone()[0]
    if (r, m, s) != (recs, msgs, strs): bad.append(f"capture {cid}: rows {r},{m},{s} != {recs},{msgs},{strs}")
print("; ".join(bad)); sys.exit(1 if bad else 0)
PY
}
kills=0; partial_ok=0
for i in $(seq 1 30); do
  [ $((i % 3)) -ne 0 ] && rm -f "$kdb" "$kdb-wal" "$kdb-shm"   # from empty, or (1 in 3) resuming a killed one
  "$bin" export -q --jobs 2 --db "$kdb" "${kfiles[@]}" >/dev/null 2>&1 &
  pid=$!
  sleep "0.$(printf '%03d' $((RANDOM % 300)))"
  kill -9 "$pid" 2>/dev/null && kills=$((kills + 1))
  wait "$pid" 2>/dev/null
  if out=$(check_killed); then partial_ok=$((partial_ok + 1)); else fail "after kill $i: $out"; fi
done
pass "30 SIGKILLed exports ($kills killed while running): integrity ok and whole captures only, $partial_ok times"
"$bin" export -q --db "$kdb" "${kfiles[@]}" || fail "export after the kills"
[ "$(sql "$kdb" "SELECT path, records, messages, streams FROM captures ORDER BY path")" = "$ref" ] \
  && pass "finished after the kills: every capture once, as an uninterrupted export" || fail "after the kills the captures differ from the reference"

[ $failures -eq 0 ] && { echo "all passed"; exit 0; } || { echo "$failures failed"; exit 1; }
