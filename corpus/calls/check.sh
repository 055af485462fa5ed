#!/bin/sh
# Checks the captures of corpus/calls against tshark: every SIP message decodes
# (`tshark -Y sip` counts as many frames as SIP-FRAMES.tsv says), and each call's
# sip_messages in NAME.expect.json equals the frames tshark gives that Call-ID.
# Exit 0 all agree, 1 a mismatch, 77 (skip) when tshark or python3 is missing.
dir=$(cd "$(dirname "$0")" && pwd)
command -v tshark >/dev/null 2>&1 || { echo "check.sh: tshark not found, skipping"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "check.sh: python3 not found, skipping"; exit 77; }
status=0
failed=$(mktemp) || exit 1
grep -v '^#' "$dir/SIP-FRAMES.tsv" | while IFS="$(printf '\t')" read -r name want; do
    f="$dir/$name.pcap"
    got=$(tshark -n -r "$f" -Y sip 2>/dev/null | wc -l)
    if [ "$got" -ne "$want" ]; then
        echo "FAIL $name: tshark decodes $got SIP frames, expected $want"; echo x >> "$failed"
        continue
    fi
    tshark -n -r "$f" -Y sip -T fields -e sip.Call-ID 2>/dev/null |
        python3 -c '
import collections, json, sys
got = collections.Counter(l.strip() for l in sys.stdin if l.strip())
exp = json.load(open(sys.argv[1]))
bad = [(c["call_id"], c["sip_messages"], got[c["call_id"]]) for c in exp["calls"]
       if c["sip_messages"] != got[c["call_id"]]]
for cid, want, n in bad:
    print(f"FAIL {sys.argv[2]}: Call-ID {cid}: sip_messages {want}, tshark {n}")
sys.exit(1 if bad else 0)' "$dir/$name.expect.json" "$name" || { echo x >> "$failed"; continue; }
    echo "ok   $name: $got SIP frames"
done
[ -s "$failed" ] && status=1
rm -f "$failed"
exit $status
