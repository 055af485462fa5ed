#!/usr/bin/env bash
# sipscope-view --screenshot under Xvfb (Mesa's software OpenGL): the picture has the size
# asked, is not blank, and has the ladder's lifelines and arrows where the layout says
# (--layout-json gives the columns' x and the arrows' y in window pixels).
# Usage: screenshot.sh SIPSCOPE_VIEW CORPUS_DIR [VIEWER_TESTS]. Exit 77 (skip) without
# xvfb-run or without a working OpenGL under it.
set -u
view=$1
corpus=$2
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v xvfb-run >/dev/null 2>&1; then
  echo "skip: xvfb-run not installed (apt-get install xvfb xauth libgl1-mesa-dri)"
  exit 77
fi
command -v python3 >/dev/null 2>&1 || { echo "skip: python3 missing"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "ok:   $*"; }
bad() { echo "FAIL: $*"; fail=1; }

shot() {   # shot OUT.png ARGS... : runs the viewer headless; 3 = no GL (skip)
  local out=$1
  shift
  xvfb-run -a -s "-screen 0 1920x1200x24" "$view" --screenshot "$out" "$@" >"$tmp/stdout" 2>"$tmp/stderr"
}

shot "$tmp/b2bua.png" --size 1280x800 --layout-json "$tmp/b2bua.json" "$corpus/calls/b2bua.pcap"
rc=$?
if [ $rc -eq 3 ]; then
  echo "skip: no OpenGL 3 under Xvfb: $(cat "$tmp/stderr")"
  exit 77
fi
[ $rc -eq 0 ] && ok "b2bua screenshot written" || bad "b2bua screenshot: exit $rc: $(cat "$tmp/stderr")"

cat >"$tmp/check.py" <<'PY'
import json, struct, sys, zlib

def read_png(path):
    data = open(path, 'rb').read()
    assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
    pos, idat, w, h = 8, b'', 0, 0
    while pos < len(data):
        n, = struct.unpack('>I', data[pos:pos + 4])
        t = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + n]
        if t == b'IHDR':
            w, h, depth, ctype = struct.unpack('>IIBB', body[:10])
            assert depth == 8 and ctype == 6, 'expected 8-bit RGBA'
        elif t == b'IDAT':
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * 4
    rows = []
    for y in range(h):
        f = raw[y * (stride + 1)]
        assert f == 0, 'unexpected PNG filter'
        rows.append(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    return w, h, rows

def px(rows, x, y):
    r = rows[int(y)]
    i = int(x) * 4
    return r[i], r[i + 1], r[i + 2]

mode, png = sys.argv[1], sys.argv[2]
w, h, rows = read_png(png)
problems = []
if mode == 'ladder':
    lay = json.load(open(sys.argv[3]))
    want_w, want_h, want_cols, want_rows = map(int, sys.argv[4:8])
    if (w, h) != (want_w, want_h):
        problems.append('size %dx%d, expected %dx%d' % (w, h, want_w, want_h))
    colours = {}
    for y in range(0, h, 4):
        for x in range(0, w, 4):
            c = px(rows, x, y)
            colours[c] = colours.get(c, 0) + 1
    top = max(colours.values()) / sum(colours.values())
    if len(colours) < 50 or top > 0.97:
        problems.append('blank-looking picture: %d colours, the commonest covers %.0f%%' % (len(colours), 100 * top))
    if len(lay['columns']) != want_cols or len(lay['rows']) != want_rows:
        problems.append('layout: %d columns, %d rows; expected %d, %d' % (len(lay['columns']), len(lay['rows']), want_cols, want_rows))
    x0, y0, x1, y1 = lay['view']
    ys = [r['y'] for r in lay['rows']]
    visible = [i for i, y in enumerate(ys) if y0 + 4 < y < y1 - 4]
    if len(visible) < 5:
        problems.append('only %d arrows visible' % len(visible))
    # Lifelines: at each column's x, between two visible arrows (away from labels and badges,
    # which sit between columns), the pixel is lighter than the background.
    bright = lambda c: max(c)
    for ci, col in enumerate(lay['columns']):
        hits = total = 0
        for a, b in zip(visible, visible[1:]):
            y = (ys[a] + ys[b]) / 2
            total += 1
            if any(bright(px(rows, col['x'] + dx, y)) > 70 for dx in (-1, 0, 1)):
                hits += 1
        if total and hits < 0.8 * total:
            problems.append('column %d (%s): lifeline at x=%.0f in %d of %d gaps' % (ci, col['host'], col['x'], hits, total))
    # Arrows: a coloured line at the arrow's y, between its two columns.
    for i in visible:
        r = lay['rows'][i]
        if r['from'] == r['to']:
            continue
        xa, xb = lay['columns'][r['from']]['x'], lay['columns'][r['to']]['x']
        found = 0
        for f in (0.2, 0.3, 0.4, 0.6, 0.7):
            x = xa + (xb - xa) * f
            if any(bright(px(rows, x, r['y'] + dy)) > 90 for dy in (-1, 0, 1)):
                found += 1
        need = 2 if r['retransmission'] else 5
        if found < need:
            problems.append('arrow %d (%s) at y=%.0f: line found at %d of 5 points' % (i, r['label'], r['y'], found))
    # And where the layout puts nothing (left of the first column, on an arrow's y, right of
    # the time labels) the background shows: the checks above are not satisfied by any pixel.
    empty = [i for i in visible if min(lay['rows'][i]['from'], lay['rows'][i]['to']) > 0]
    for i in empty[:3]:
        x = lay['columns'][0]['x'] - 12
        if bright(px(rows, x, ys[i])) > 90:
            problems.append('unexpected ink left of column 0 at y=%.0f' % ys[i])
elif mode == 'colour':
    # colour PNG X Y R G B TOL: the pixel (or one beside it) within TOL of the colour.
    x, y = float(sys.argv[3]), float(sys.argv[4])
    want = tuple(int(v) for v in sys.argv[5:8])
    tol = int(sys.argv[8])
    near = [px(rows, x + dx, y + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]
    if not any(all(abs(c[k] - want[k]) <= tol for k in range(3)) for c in near):
        problems.append('at (%.0f, %.0f): %s, not %s' % (x, y, near[4], want))
elif mode == 'count':
    # count PNG X0 Y0 X1 Y1 R G B TOL: how many pixels of the box are within TOL of the colour.
    x0, y0, x1, y1 = (int(float(v)) for v in sys.argv[3:7])
    want = tuple(int(v) for v in sys.argv[7:10])
    tol = int(sys.argv[10])
    n = 0
    for y in range(max(0, y0), min(h, y1)):
        for x in range(max(0, x0), min(w, x1)):
            c = px(rows, x, y)
            n += all(abs(c[k] - want[k]) <= tol for k in range(3))
    print(n)
    sys.exit(0)
elif mode == 'notblank':
    colours = set()
    for y in range(0, h, 3):
        for x in range(0, w, 3):
            colours.add(px(rows, x, y))
    want_w, want_h = int(sys.argv[3]), int(sys.argv[4])
    if (w, h) != (want_w, want_h):
        problems.append('size %dx%d, expected %dx%d' % (w, h, want_w, want_h))
    if len(colours) < 50:
        problems.append('blank-looking: %d colours' % len(colours))
elif mode == 'diag':
    # The message pane (bottom, left of the RTP pane) marks the diagnostic's bytes in red.
    red = 0
    for y in range(h // 2, h):
        for x in range(0, w * 3 // 4):
            r_, g_, b_ = px(rows, x, y)
            if r_ > 80 and r_ > 2 * g_ and r_ > 2 * b_:
                red += 1
    if red < 200:
        problems.append('no red diagnostic highlight in the message pane (%d red pixels)' % red)
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
PY

if [ -s "$tmp/b2bua.png" ]; then
  if python3 "$tmp/check.py" ladder "$tmp/b2bua.png" "$tmp/b2bua.json" 1280 800 3 14 >"$tmp/out" 2>&1; then
    ok "b2bua: 1280x800, not blank, 3 lifelines and the visible arrows where the layout puts them"
  else
    bad "b2bua pixels: $(cat "$tmp/out")"
  fi
fi

# Retransmissions (dashed arrows) and another size.
shot "$tmp/rtx.png" --size 1024x700 --layout-json "$tmp/rtx.json" "$corpus/calls/retransmissions.pcap"
rc=$?
if [ $rc -eq 0 ] && python3 "$tmp/check.py" ladder "$tmp/rtx.png" "$tmp/rtx.json" 1024 700 2 9 >"$tmp/out" 2>&1; then
  ok "retransmissions: 1024x700, 2 lifelines, 9 arrows (2 dashed)"
else
  bad "retransmissions: exit $rc: $(cat "$tmp/out" "$tmp/stderr" 2>/dev/null)"
fi

# Keyboard navigation as a user coming from sngrep: Down to the second call of the list, Enter
# draws its ladder (alone: --no-legs) with the cursor on its first arrow, Enter opens that
# message; Escape closes it again.
shot "$tmp/keys.png" --size 1280x800 --no-legs --keys Down,Enter,Enter --layout-json "$tmp/keys.json" "$corpus/calls/b2bua.pcap"
rc=$?
if [ $rc -eq 0 ] && python3 - "$tmp/keys.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ok = d['records'] == [2] and len(d['rows']) == 7 and d['message_row'] == 0 and d['cursor_row'] == 0
print(d['records'], len(d['rows']), d['message_row'], d['cursor_row'])
sys.exit(0 if ok else 1)
PY
then
  ok "keys Down,Enter,Enter: call 2's ladder (7 arrows), its first message open"
else
  bad "keys Down,Enter,Enter: exit $rc"
fi
shot "$tmp/keys2.png" --size 1280x800 --no-legs --keys Down,Enter,Enter,Down,Down,Escape --layout-json "$tmp/keys2.json" "$corpus/calls/b2bua.pcap"
rc=$?
if [ $rc -eq 0 ] && python3 - "$tmp/keys2.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print(d['records'], d['message_row'], d['cursor_row'])
sys.exit(0 if d['records'] == [2] and d['message_row'] == -1 and d['cursor_row'] == 2 else 1)
PY
then
  ok "keys ...,Down,Down,Escape: the cursor on the third arrow, the message pane closed"
else
  bad "keys ...,Down,Down,Escape: exit $rc"
fi

# Several captures in one window, and the call list's filters: busy + cancel are the calls not
# answered, basic-call + the two B2BUA legs the answered ones.
four="$corpus/calls/busy.pcap $corpus/calls/basic-call.pcap $corpus/calls/cancel.pcap $corpus/calls/b2bua.pcap"
for f in "failed 2" "answered 3"; do
  set -- $f
  # shellcheck disable=SC2086
  shot "$tmp/filter-$1.png" --size 1024x700 --filter "$1" --layout-json "$tmp/filter-$1.json" $four
  rc=$?
  listed=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['listed'])" "$tmp/filter-$1.json" 2>/dev/null)
  if [ $rc -eq 0 ] && [ "$listed" = "$2" ]; then
    ok "--filter $1 over four captures: $2 calls listed"
  else
    bad "--filter $1: exit $rc, $listed calls listed (expected $2)"
  fi
done
shot "$tmp/all.png" --size 1024x700 --layout-json "$tmp/all.json" $four
listed=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['listed'])" "$tmp/all.json" 2>/dev/null)
[ "$listed" = 5 ] && ok "no filter: 5 calls listed" || bad "no filter: $listed calls listed (expected 5)"

# A message with a parser diagnostic, opened in the message pane.
python3 "$here/make-diag-capture.py" "$tmp/diag.pcap"
shot "$tmp/diag.png" --size 1280x800 --message 1 "$tmp/diag.pcap"
rc=$?
if [ $rc -eq 0 ] && python3 "$tmp/check.py" diag "$tmp/diag.png" >"$tmp/out" 2>&1; then
  ok "diagnostic: the message pane marks the malformed From"
else
  bad "diagnostic: exit $rc: $(cat "$tmp/out" "$tmp/stderr" 2>/dev/null)"
fi

jq_() {   # jq_ FILE EXPR: a Python expression over the layout JSON `d`
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1" 2>/dev/null
}

# The explain verdict's evidence (corpus/explain/nat-one-way.expect.json: frames 1, 5, 6; 5
# and 6 are RTP, so the INVITE of frame 1 is the one evidence row): a magenta bar before it.
shot "$tmp/ev.png" --size 1280x800 --layout-json "$tmp/ev.json" "$corpus/explain/nat-one-way.pcap"
rc=$?
ev=$(jq_ "$tmp/ev.json" "[e['row'] for e in d['evidence']], d['verdicts']")
if [ $rc -eq 0 ] && [ "$ev" = "[0] ['nat_one_way']" ] &&
   python3 "$tmp/check.py" colour "$tmp/ev.png" $(jq_ "$tmp/ev.json" "'%s %s' % (d['evidence'][0]['x'], d['evidence'][0]['y'])") 255 70 200 40 >"$tmp/out" 2>&1 &&
   python3 "$tmp/check.py" ladder "$tmp/ev.png" "$tmp/ev.json" 1280 800 3 6 >>"$tmp/out" 2>&1; then
  ok "evidence: verdict nat_one_way, row 0 (frame 1) marked in magenta where the layout says"
else
  bad "evidence: exit $rc, $ev: $(cat "$tmp/out" "$tmp/stderr" 2>/dev/null)"
fi
shot "$tmp/noev.png" --size 1280x800 --no-evidence --layout-json "$tmp/noev.json" "$corpus/explain/nat-one-way.pcap"
if [ "$(jq_ "$tmp/noev.json" "len(d['evidence'])")" = 0 ] &&
   ! python3 "$tmp/check.py" colour "$tmp/noev.png" $(jq_ "$tmp/ev.json" "'%s %s' % (d['evidence'][0]['x'], d['evidence'][0]['y'])") 255 70 200 40 >/dev/null 2>&1; then
  ok "--no-evidence: no mark"
else
  bad "--no-evidence: marks left"
fi

# A finding at its time: one-way audio at the answer, an orange flag where the layout says.
shot "$tmp/fi.png" --size 1280x800 --layout-json "$tmp/fi.json" "$corpus/explain/one-way-audio.pcap"
rc=$?
fi_=$(jq_ "$tmp/fi.json" "[f['kind'] for f in d['findings']]")
if [ $rc -eq 0 ] && [ "$fi_" = "['one_way_audio']" ] &&
   python3 "$tmp/check.py" colour "$tmp/fi.png" $(jq_ "$tmp/fi.json" "'%s %s' % (d['findings'][0]['x'], d['findings'][0]['y'])") 255 140 40 40 >"$tmp/out" 2>&1; then
  ok "finding: one_way_audio flagged on the ladder"
else
  bad "finding: exit $rc, $fi_: $(cat "$tmp/out" "$tmp/stderr" 2>/dev/null)"
fi

# Columns in another order (as dragged by their heads): the layout and the pixels follow.
shot "$tmp/ord.png" --size 1280x800 --column-order 198.51.100.20:5060,192.0.2.101:5060 --layout-json "$tmp/ord.json" \
  "$corpus/explain/nat-one-way.pcap"
order=$(jq_ "$tmp/ord.json" "[c['host'] for c in sorted(d['columns'], key=lambda c: c['x'])][:2]")
if [ "$order" = "['198.51.100.20:5060', '192.0.2.101:5060']" ] &&
   python3 "$tmp/check.py" ladder "$tmp/ord.png" "$tmp/ord.json" 1280 800 3 6 >"$tmp/out" 2>&1; then
  ok "--column-order: 198.51.100.20 left of 192.0.2.101, lifelines and arrows there"
else
  bad "--column-order: $order $(cat "$tmp/out")"
fi

# The ladder alone as PNG (File > Export ladder as PNG): the ladder pane's size, not blank.
shot "$tmp/lw.png" --size 1280x800 --ladder-png "$tmp/ladder.png" --layout-json "$tmp/lw.json" "$corpus/calls/b2bua.pcap"
size=$(jq_ "$tmp/lw.json" "'%d %d' % (int(d['ladder_rect'][2]) - int(d['ladder_rect'][0]), int(d['ladder_rect'][3]) - int(d['ladder_rect'][1]))")
if [ -s "$tmp/ladder.png" ] && python3 "$tmp/check.py" notblank "$tmp/ladder.png" $size >"$tmp/out" 2>&1; then
  ok "ladder PNG: $size, the ladder pane alone"
else
  bad "ladder PNG: $size $(cat "$tmp/out")"
fi

# The parsed tree: selecting the Via branch node highlights its bytes in the raw text (blue).
shot "$tmp/t0.png" --size 1280x800 --message 1 --layout-json "$tmp/t0.json" "$corpus/calls/basic-call.pcap"
shot "$tmp/t1.png" --size 1280x800 --message 1 --tree-node branch --layout-json "$tmp/t1.json" "$corpus/calls/basic-call.pcap"
box=$(jq_ "$tmp/t1.json" "'%d %d %d %d' % (d['ladder_rect'][0], d['ladder_rect'][3], d['view'][2], 800)")
n0=$(python3 "$tmp/check.py" count "$tmp/t0.png" $box 41 71 137 14)
n1=$(python3 "$tmp/check.py" count "$tmp/t1.png" $box 41 71 137 14)
if [ "$(jq_ "$tmp/t1.json" "d['tree_nodes'] > 30 and d['tree_selected'] >= 0")" = True ] && [ "${n1:-0}" -gt $((${n0:-0} + 150)) ]; then
  ok "parsed tree: $(jq_ "$tmp/t1.json" "d['tree_nodes']") nodes; branch selected, its bytes highlighted ($n1 vs $n0 highlight pixels)"
else
  bad "parsed tree: $(jq_ "$tmp/t1.json" "d['tree_nodes'], d['tree_selected']"), highlight pixels $n1 vs $n0"
fi

# An export database opened headless: its calls listed, the first call's ladder drawn from its
# `messages` rows, the message re-read from the capture it names.
sipscope=$(dirname "$view")/sipscope
if [ -x "$sipscope" ]; then
  "$sipscope" export -q --jobs 1 --db "$tmp/calls.sqlite" "$corpus/explain/one-way-audio.pcap" "$corpus/calls/b2bua.pcap" >"$tmp/out" 2>&1
  shot "$tmp/db.png" --size 1280x800 --message 1 --layout-json "$tmp/db.json" "$tmp/calls.sqlite"
  rc=$?
  got=$(jq_ "$tmp/db.json" "d['listed'], len(d['rows']), d['tree_nodes'] > 30")
  if [ $rc -eq 0 ] && [ "$got" = "3 6 True" ] &&
     python3 "$tmp/check.py" ladder "$tmp/db.png" "$tmp/db.json" 1280 800 2 6 >"$tmp/out" 2>&1; then
    ok "export database: 3 calls listed, a 6-arrow ladder drawn, its first message re-read and parsed"
  else
    bad "export database: exit $rc, $got: $(cat "$tmp/out" "$tmp/stderr" 2>/dev/null)"
  fi
else
  echo "skip: no sipscope beside sipscope-view: the database check"
fi

# The call list's time range: the B2BUA's second leg starts 3 ms after the others.
shot "$tmp/tr1.png" --size 1024x700 --since +0.002 --layout-json "$tmp/tr1.json" $four
shot "$tmp/tr2.png" --size 1024x700 --until 12:00:00.001 --layout-json "$tmp/tr2.json" $four
tr="$(jq_ "$tmp/tr1.json" "d['listed']") $(jq_ "$tmp/tr2.json" "d['listed']")"
[ "$tr" = "1 4" ] && ok "time range: --since +0.002 lists 1 call, --until 12:00:00.001 lists 4" || bad "time range: listed $tr (expected 1 4)"

# Bad input: a clear message and exit 2, no picture.
shot "$tmp/none.png" /nonexistent/capture.pcap
rc=$?
if [ $rc -eq 2 ] && grep -q "cannot open '/nonexistent/capture.pcap'" "$tmp/stderr" && [ ! -e "$tmp/none.png" ]; then
  ok "missing file: exit 2 with a message"
else
  bad "missing file: exit $rc, $(cat "$tmp/stderr")"
fi
echo "not a capture" >"$tmp/text.pcap"
shot "$tmp/text.png" --size 800x600 "$tmp/text.pcap"
rc=$?
if [ $rc -eq 2 ] && grep -q "not a capture\|cannot read" "$tmp/stderr"; then
  ok "not a capture: exit 2 with a message"
else
  bad "not a capture: exit $rc, $(cat "$tmp/stderr")"
fi

[ $fail -eq 0 ] && echo PASS || echo FAILED
exit $fail
