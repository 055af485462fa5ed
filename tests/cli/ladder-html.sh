#!/usr/bin/env bash
# `sipscope ladder --format html`: a self-contained page (no external asset), one clickable
# message group per message of the model, the details data as JSON that parses, and a script
# that node accepts (when node is installed).
# Usage: bash ladder-html.sh PATH_TO_sipscope CORPUS_DIR [SHARED_CORPUS_DIR]
set -u

bin=${1:-}
corpus=${2:-}
if [ -z "$bin" ] || [ ! -x "$bin" ]; then echo "SKIP: sipscope binary not found ('$bin')"; exit 77; fi
if [ -z "$corpus" ] || [ ! -d "$corpus/calls" ]; then echo "SKIP: corpus not found ('$corpus')"; exit 77; fi
if ! command -v python3 >/dev/null 2>&1; then echo "SKIP: python3 is needed"; exit 77; fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok:   $*"; }

for case in "basic-call 1" "b2bua 1,2" "retransmissions 1"; do
  set -- $case
  name=$1 calls=$2
  pcap="$corpus/calls/$name.pcap"
  [ -f "$pcap" ] || { fail "$pcap missing"; continue; }
  if ! "$bin" ladder -q --call "$calls" --format html "$pcap" >"$tmp/$name.html" 2>"$tmp/err"; then
    fail "$name: ladder --format html failed: $(head -c 300 "$tmp/err")"; continue
  fi
  "$bin" calls -q --all --messages --format json "$pcap" >"$tmp/$name.json"
  if python3 - "$tmp/$name.html" "$tmp/$name.json" "$calls" "$tmp/$name.js" <<'PY'
import json, re, sys
page = open(sys.argv[1], encoding="utf-8").read()
recs = json.load(open(sys.argv[2]))
want = sys.argv[3].split(",")
n = sum(len(r["messages"]) for r in recs if str(r["index"]) in want)
problems = []
if not page.startswith("<!DOCTYPE html>"): problems.append("no doctype")
for pat in (r'\bsrc\s*=', r'href\s*=\s*"(?!#)', r'@import', r'url\((?!#)', r'<link\b'):
    if re.search(pat, page): problems.append("external reference: " + pat)
groups = re.findall(r'<g class="message" data-i="(\d+)">', page)
if [int(g) for g in groups] != list(range(n)): problems.append("%d message groups for %d messages" % (len(groups), n))
m = re.search(r"const messages = (.*?);\n", page)
data = json.loads(m.group(1)) if m else None
if data is None or len(data) != n: problems.append("details data: %s" % (len(data) if data else None))
elif any(not d["summary"] or not d["frame"] for d in data): problems.append("a message without summary or frame")
if "keeps no raw SIP" not in page: problems.append("the page does not say the raw text is missing")
if page.count("<svg") != 1 or page.count("</svg>") != 1: problems.append("not one SVG")
script = re.search(r"<script>\n(.*?)</script>", page, re.S)
open(sys.argv[4], "w").write(script.group(1) if script else "")
for p in problems: print("  " + p)
sys.exit(1 if problems else 0)
PY
  then pass "$name: self-contained page, one clickable group per message, details data"
  else fail "$name: page structure"; fi
  if command -v node >/dev/null 2>&1; then
    node --check "$tmp/$name.js" 2>"$tmp/err" && pass "$name: script parses (node --check)" || fail "$name: script: $(head -c 300 "$tmp/err")"
  fi
done

[ "$failures" -eq 0 ] && { echo "PASS"; exit 0; }
echo "$failures failure(s)"; exit 1
