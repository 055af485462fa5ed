#!/usr/bin/env python3
"""Checks that the rows of one capture in a sipscope export database equal the model's JSON of
the same input (`sipscope calls --all --format json --messages`).

Usage: export_compare.py DB CAPTURE_PATH CALLS_JSON   (DB: an SQLite file, or postgresql://...
       read with psql). Exit 0 equal, 1 differences (printed)."""
import json
import sqlite3
import subprocess
import sys

db, path, js = sys.argv[1:4]
records = json.load(open(js, encoding="utf-8"))


def query(sql, args=()):
    if db.startswith("postgres"):
        # psql -A -F: unaligned; values compared as text below, NULL as ''.
        for a in args:
            sql = sql.replace("?", "'" + str(a).replace("'", "''") + "'", 1)
        out = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-F", "\x1f", "-P", "null=\x1e", db, "-c", sql],
                             check=True, capture_output=True, text=True).stdout
        rows = []
        for line in out.split("\n"):
            if line == "":
                continue
            rows.append(tuple(None if v == "\x1e" else v for v in line.split("\x1f")))
        return rows
    c = sqlite3.connect(db)
    return c.execute(sql, args).fetchall()


cap = query("SELECT id, status, records FROM captures WHERE path = ?", (path,))
if len(cap) != 1:
    print(f"{path}: {len(cap)} capture rows")
    sys.exit(1)
cid, status, nrec = cap[0]
bad = []
if status != "complete":
    bad.append(f"status {status}")
if int(nrec) != len(records):
    bad.append(f"captures.records {nrec} != {len(records)} JSON records")


def num(v):
    return None if v is None or v == "" else float(v)


def same(what, a, b):
    if isinstance(b, bool):
        a = None if a is None else a in (1, "1", "t", "true", True)
    elif isinstance(b, (int, float)) and not isinstance(b, bool):
        a = num(a)
        b = float(b)
        if a is not None and abs(a - b) <= 1e-6 * max(1.0, abs(b)):
            return
    elif b is None:
        pass
    else:
        a = "" if a is None else str(a)
    if a != b:
        bad.append(f"{what}: db {a!r} != json {b!r}")


table = {"call": "calls", "registration": "registrations"}
for r in records:
    idx = r["index"]
    t = table.get(r["kind"], "events")
    cols = ["call_id", "state", "final_status", "final_reason", "caller_uri", "callee_uri", "caller_user",
            "callee_user", "request_uri", "first_time", "last_time", "sip_messages", "retransmissions",
            "challenged", "auth_challenges"]
    want = [r["call_id"], r["state"], r["final_status"], r["final_reason"], r["caller"]["uri"], r["callee"]["uri"],
            r["caller"]["user"], r["callee"]["user"], r["request_uri"], r["first"], r["last"], r["sip_messages"],
            r["retransmissions"], r["challenged"], r["auth_challenges"]]
    if t == "calls":
        cols += ["post_dial_delay_ms", "setup_ms", "talk_ms", "holds", "prack", "answered", "hangup"]
        want += [None if r["post_dial_delay_ms"] < 0 else r["post_dial_delay_ms"],
                 None if r["setup_ms"] < 0 else r["setup_ms"], None if r["talk_ms"] < 0 else r["talk_ms"],
                 r["holds"], r["prack"], r["answered"], r["hangup"]]
        for k in ["invite", "first_18x", "answer", "ack", "bye", "cancel", "final", "end"]:
            cols.append("t_" + k)
            want.append(r["times"].get(k))
    if t == "registrations":
        cols += ["aor", "contact", "expires"]
        want += [r["aor"], r["contact"], r["expires"]]
    if t == "events":
        cols += ["kind"]
        want += [r["kind"]]
    if "verdict" in r:   # schema 2: the verdict of `sipscope explain`, as calls gives it
        v = r["verdict"]
        cols += ["verdict", "verdict_category", "verdict_text", "verdict_confidence"]
        want += [v["rule"], v["category"], v["verdict"], v["confidence"]]
    rows = query(f"SELECT {', '.join(cols)} FROM {t} WHERE capture_id = ? AND record_index = ?", (cid, idx))
    if len(rows) != 1:
        bad.append(f"record {idx} ({r['kind']}): {len(rows)} rows in {t}")
        continue
    for c, a, b in zip(cols, rows[0], want):
        same(f"record {idx} {t}.{c}", a, b)
    for sub, n in [("messages", len(r.get("messages", []))), ("streams", len(r["streams"])),
                   ("findings", len(r["findings"])), ("dialogs", len(r["dialogs"])), ("legs", len(r["legs"]))]:
        got = query(f"SELECT count(*) FROM {sub} WHERE capture_id = ? AND record_index = ?", (cid, idx))[0][0]
        if int(got) != n:
            bad.append(f"record {idx}: {got} {sub} rows, JSON {n}")
    for i, m in enumerate(r.get("messages", [])):
        row = query("SELECT frame, file_index, time, src, dst, transport, method, status, cseq, summary, "
                    "retransmission FROM messages WHERE capture_id = ? AND record_index = ? AND seq = ?", (cid, idx, i))
        if not row:
            continue
        for c, a, b in zip(["frame", "file", "time", "src", "dst", "transport", "method", "status", "cseq", "summary",
                            "retransmission"], row[0],
                           [m["frame"], m["file"], m["time"], m["src"], m["dst"], m["transport"], m["method"],
                            m["status"], m["cseq"], m["summary"], m["retransmission"]]):
            same(f"record {idx} message {i} {c}", a, b)
    for i, s in enumerate(r["streams"]):
        row = query("SELECT src, dst, codec, packets, lost, max_jitter_ms, mean_jitter_ms, mos FROM streams "
                    "WHERE capture_id = ? AND record_index = ? AND seq = ?", (cid, idx, i))
        if not row:
            continue
        for c, a, b in zip(["src", "dst", "codec", "packets", "lost", "max_jitter_ms", "mean_jitter_ms", "mos"], row[0],
                           [s["src"], s["dst"], s["codec"], s["packets"], s["lost"], s["max_jitter_ms"],
                            s["mean_jitter_ms"], s["mos"]]):
            if c in ("max_jitter_ms", "mean_jitter_ms", "mos") and a is not None and b is not None:
                a = round(float(a), 3 if c != "mos" else 2)
            same(f"record {idx} stream {i} {c}", a, b)
    for i, f in enumerate(r["findings"]):
        row = query("SELECT kind, text FROM findings WHERE capture_id = ? AND record_index = ? AND seq = ?",
                    (cid, idx, i))
        if row:
            same(f"record {idx} finding {i}", row[0][0], f["kind"])

for b in bad[:20]:
    print(b)
if len(bad) > 20:
    print(f"... {len(bad)} differences")
print(f"{path}: {len(records)} records, rows equal the JSON" if not bad else f"{path}: {len(bad)} differences")
sys.exit(1 if bad else 0)
