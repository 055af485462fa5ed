#!/usr/bin/env bash
# The JSON of `sipscope calls`, `sipscope rtp` and `sipscope explain` against docs/schema/record.schema.json, with a
# minimal JSON Schema validator (python3 stdlib: the subset the schema uses: type, required,
# properties, items, enum, $ref to $defs, oneOf, allOf), on every capture of corpus/calls and
# the examples in docs/schema/examples (which must also still be what the tool prints).
# Usage: bash schema.sh PATH_TO_sipscope CORPUS_DIR [SHARED_CORPUS_DIR]
set -u

bin=${1:-}
corpus=${2:-}
shared=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
schema="$root/docs/schema/record.schema.json"
examples="$root/docs/schema/examples"
if [ -z "$bin" ] || [ ! -x "$bin" ]; then echo "SKIP: sipscope binary not found ('$bin')"; exit 77; fi
if [ -z "$corpus" ] || [ ! -d "$corpus/calls" ]; then echo "SKIP: corpus not found ('$corpus')"; exit 77; fi
if ! command -v python3 >/dev/null 2>&1; then echo "SKIP: python3 is needed"; exit 77; fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok:   $*"; }

cat >"$tmp/validate.py" <<'PY'
# validate.py SCHEMA DEF FILE...: each FILE (JSON, or JSON lines when it ends in .jsonl) against
# the schema's root (DEF "-") or one of its $defs.
import json, sys
schema = json.load(open(sys.argv[1]))
TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}
def is_type(v, t):
    if t == "integer": return isinstance(v, int) and not isinstance(v, bool)
    if t == "number": return isinstance(v, (int, float)) and not isinstance(v, bool)
    return isinstance(v, TYPES[t])
def check(v, s, path, errs):
    if "$ref" in s:
        ref = s["$ref"]; assert ref.startswith("#/$defs/"), ref
        check(v, schema["$defs"][ref[8:]], path, errs)
    for sub in s.get("allOf", []): check(v, sub, path, errs)
    if "oneOf" in s:
        n = 0
        for sub in s["oneOf"]:
            e = []; check(v, sub, path, e); n += not e
        if n != 1: errs.append("%s: matches %d of oneOf" % (path, n))
    if "type" in s:
        ts = s["type"] if isinstance(s["type"], list) else [s["type"]]
        if not any(is_type(v, t) for t in ts):
            errs.append("%s: %r is not %s" % (path, v, "/".join(ts))); return
    if "enum" in s and v not in s["enum"]: errs.append("%s: %r not in %r" % (path, v, s["enum"]))
    if isinstance(v, dict):
        for k in s.get("required", []):
            if k not in v: errs.append("%s: missing %s" % (path, k))
        props = s.get("properties", {})
        for k, x in v.items():
            if k in props: check(x, props[k], path + "." + k, errs)
    if isinstance(v, list) and "items" in s:
        for i, x in enumerate(v): check(x, s["items"], "%s[%d]" % (path, i), errs)
root = schema if sys.argv[2] == "-" else {"$ref": "#/$defs/" + sys.argv[2]}
bad = 0
for f in sys.argv[3:]:
    text = open(f, encoding="utf-8").read()
    docs = [json.loads(l) for l in text.splitlines() if l.strip()] if f.endswith(".jsonl") else [json.loads(text)]
    for d in docs:
        errs = []
        check(d, root, "$", errs)
        for e in errs[:10]: print("  %s: %s" % (f, e))
        bad += bool(errs)
sys.exit(1 if bad else 0)
PY
val() { python3 "$tmp/validate.py" "$schema" "$@"; }

python3 -m json.tool "$schema" >/dev/null && pass "the schema is JSON" || fail "the schema is not JSON"
grep -q '"https://json-schema.org/draft/2020-12/schema"' "$schema" && pass "draft 2020-12" || fail "\$schema is not draft 2020-12"

# The examples: valid, and still what the tool prints.
for f in "$examples"/calls-*.json "$examples"/calls-*.jsonl; do
  val - "$f" && pass "example $(basename "$f") is valid" || fail "example $(basename "$f")"
done
for f in "$examples"/rtp-*.json; do
  val rtp_output "$f" && pass "example $(basename "$f") is valid" || fail "example $(basename "$f")"
done
regen() {   # regen EXAMPLE COMMAND...: the example must equal the command's output
  local ex=$1; shift
  "$@" >"$tmp/regen" 2>/dev/null
  cmp -s "$tmp/regen" "$examples/$ex" && pass "example $ex is current" || fail "example $ex differs from: $*"
}
regen calls-basic-call.json "$bin" calls -q --format json --messages "$corpus/calls/basic-call.pcap"
regen calls-register-auth.json "$bin" calls -q --all --format json "$corpus/calls/register-auth.pcap"
regen calls-options-ping.json "$bin" calls -q --all --format json "$corpus/calls/options-ping.pcap"
regen calls-hold.json "$bin" calls -q --format json "$corpus/calls/hold.pcap"
regen calls-busy.jsonl "$bin" calls -q --format jsonl "$corpus/calls/busy.pcap"
regen rtp-basic-call.json "$bin" rtp -q --format json "$corpus/calls/basic-call.pcap"

# Every capture of corpus/calls (and the shared corpus when present), every kind, messages on.
n=0 bad=0
for f in "$corpus"/calls/*.pcap "$shared"/pcap/*.pcap "$shared"/pcap/*.pcapng; do
  [ -f "$f" ] || continue
  "$bin" calls -q --all --messages --format jsonl "$f" >"$tmp/out.jsonl" 2>/dev/null
  "$bin" rtp -q --format jsonl "$f" >"$tmp/rtp.jsonl" 2>/dev/null
  n=$((n + 1))
  val record "$tmp/out.jsonl" || { bad=$((bad + 1)); echo "  in $f"; }
  val rtp_stream "$tmp/rtp.jsonl" || { bad=$((bad + 1)); echo "  in $f (rtp)"; }
done
[ "$bad" -eq 0 ] && pass "calls and rtp JSON of $n captures follow the schema" || fail "$bad outputs do not follow the schema"

# explain --format jsonl (issue 10) on the captures made for its rules: each line an explain_item.
n=0 bad=0
for f in "$corpus"/explain/*.pcap; do
  [ -f "$f" ] || continue
  "$bin" explain -q --all --format jsonl "$f" >"$tmp/explain.jsonl" 2>/dev/null
  n=$((n + 1))
  val explain_item "$tmp/explain.jsonl" || { bad=$((bad + 1)); echo "  in $f (explain)"; }
done
[ "$bad" -eq 0 ] && pass "explain JSON of $n captures follows the schema" || fail "$bad explain outputs do not follow the schema"

[ "$failures" -eq 0 ] && { echo "PASS"; exit 0; }
echo "$failures failure(s)"; exit 1
