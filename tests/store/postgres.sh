#!/usr/bin/env bash
# `sipscope export` into a real PostgreSQL server: a throwaway cluster made here (initdb +
# pg_ctl as a non-root user, in a temporary directory, Unix socket only). Rows equal the
# `calls --all` JSON, re-import adds nothing, --replace, and two concurrent exports of
# overlapping capture sets leave each capture exactly once.
# Usage: bash postgres.sh PATH_TO_sipscope CORPUS_DIR
# Exit 0 pass, 1 fail, 77 skip (no PostgreSQL server binaries: apt-get install postgresql).
set -u

bin=${1:-}
corpus=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "$bin" ] || [ ! -x "$bin" ]; then echo "SKIP: sipscope binary not found ('$bin')"; exit 77; fi
if [ -z "$corpus" ] || [ ! -d "$corpus/calls" ]; then echo "SKIP: corpus not found ('$corpus')"; exit 77; fi
pgbin=""
for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && pgbin=$d; done
if [ -z "$pgbin" ]; then echo "SKIP: PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin/initdb): apt-get install postgresql"; exit 77; fi
if ! command -v psql >/dev/null; then echo "SKIP: psql not found"; exit 77; fi
if ! command -v python3 >/dev/null; then echo "SKIP: python3 is needed to compare rows"; exit 77; fi

tmp=$(mktemp -d)
chmod 755 "$tmp"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok:   $*"; }

# The server refuses to run as root: run it as nobody when we are root.
if [ "$(id -u)" = 0 ]; then
  if ! command -v setpriv >/dev/null; then echo "SKIP: root without setpriv cannot start PostgreSQL as another user"; exit 77; fi
  as_pg=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
  chown nobody:nogroup "$tmp"
else
  as_pg=()
fi
data="$tmp/data"
cleanup() {
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$data" -m immediate stop >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT
if ! "${as_pg[@]}" "$pgbin/initdb" -D "$data" -A trust -U postgres -E UTF8 --locale=C >"$tmp/initdb.log" 2>&1; then
  echo "FAIL: initdb: $(tail -5 "$tmp/initdb.log")"; exit 1
fi
if ! "${as_pg[@]}" "$pgbin/pg_ctl" -D "$data" -l "$tmp/server.log" -w -t 60 \
     -o "-k $tmp -c listen_addresses='' -c fsync=off" start >/dev/null 2>&1; then
  echo "FAIL: pg_ctl start: $(tail -5 "$tmp/server.log")"; exit 1
fi
uri="postgresql://postgres@/postgres?host=$tmp"
psql_q() { psql -X -q -A -t "$uri" -c "$1"; }
pass "throwaway cluster on $tmp ($("$pgbin/postgres" --version))"

"$bin" export -q --db "$uri" "$corpus"/calls/*.pcap >"$tmp/out" 2>&1 && pass "export corpus/calls" || { fail "export: $(cat "$tmp/out")"; }
[ "$(psql_q "SELECT max(version) FROM schema_migrations")" = 2 ] || fail "schema version"
n=0
for f in "$corpus"/calls/*.pcap; do
  "$bin" calls --all --format json --messages -q "$f" >"$tmp/one.json"
  python3 "$here/export_compare.py" "$uri" "$f" "$tmp/one.json" >"$tmp/cmp" 2>&1 || { fail "$(basename "$f"): rows differ"; head -10 "$tmp/cmp"; }
  n=$((n + 1))
done
pass "$n corpus/calls captures: rows equal calls --all --messages JSON"

counts() { psql_q "SELECT (SELECT count(*) FROM captures), (SELECT count(*) FROM calls), (SELECT count(*) FROM messages), (SELECT count(*) FROM streams)"; }
before=$(counts)
"$bin" export --db "$uri" "$corpus"/calls/*.pcap >"$tmp/out" 2>&1
grep -q "0 imported, 29 imported before" "$tmp/out" && [ "$(counts)" = "$before" ] && pass "re-import adds nothing" || fail "re-import: $(cat "$tmp/out"); $before -> $(counts)"
old=$(psql_q "SELECT id FROM captures WHERE path LIKE '%/busy.pcap'")
"$bin" export -q --replace --db "$uri" "$corpus/calls/busy.pcap" || fail "--replace"
new=$(psql_q "SELECT id FROM captures WHERE path LIKE '%/busy.pcap'")
[ "$old" != "$new" ] && [ "$(counts)" = "$before" ] && pass "--replace (capture $old -> $new), counts unchanged" || fail "--replace: $old -> $new, $before -> $(counts)"

# Two concurrent exports of overlapping sets, into an empty database, several times.
files=("$corpus"/calls/*.pcap)
half=$(( ${#files[@]} / 2 ))
setA=("${files[@]:0:$((half + 6))}")
setB=("${files[@]:$((half - 6))}")
for round in 1 2 3; do
  psql_q "DROP TABLE IF EXISTS calls, registrations, events, dialogs, legs, messages, streams, findings, capture_files, captures, schema_migrations CASCADE" >/dev/null
  "$bin" export -q --jobs 2 --db "$uri" "${setA[@]}" >"$tmp/a.out" 2>&1 &
  pa=$!
  "$bin" export -q --jobs 2 --db "$uri" "${setB[@]}" >"$tmp/b.out" 2>&1 &
  pb=$!
  wait $pa; ra=$?
  wait $pb; rb=$?
  [ $ra -eq 0 ] && [ $rb -eq 0 ] || fail "concurrent exports: exit $ra/$rb: $(cat "$tmp/a.out" "$tmp/b.out" | head -5)"
  got=$(psql_q "SELECT count(*), count(DISTINCT hash), sum(records) FROM captures WHERE status = 'complete'")
  rows=$(psql_q "SELECT (SELECT count(*) FROM calls) + (SELECT count(*) FROM registrations) + (SELECT count(*) FROM events)")
  want_caps=${#files[@]}
  if [ "${got%%|*}" = "$want_caps" ] && [ "$(echo "$got" | cut -d'|' -f2)" = "$want_caps" ] && [ "$(echo "$got" | cut -d'|' -f3)" = "$rows" ]; then
    pass "round $round: two concurrent overlapping exports: $want_caps captures, each once ($rows records)"
  else
    fail "round $round: captures|distinct|records = $got, want $want_caps captures; record rows $rows"
  fi
done

[ $failures -eq 0 ] && { echo "all passed"; exit 0; } || { echo "$failures failed"; exit 1; }
