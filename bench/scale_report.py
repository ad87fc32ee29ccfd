#!/usr/bin/env python3
"""bench/scale.sh's results directory -> a Markdown section (Python 3 standard library only).

Reads the hyperfine exports (several calls per size, pooled), the peak RSS, generation and
size files scale.sh leaves in --res, and writes the section to --out: the databases, the
timings at both sizes with their ratios, the targets of issue #17 (target 4) with verdicts,
the bytes per reference by table, and the exact commands.
"""

import argparse
import glob
import json
import os
import statistics

MIB = 1024 * 1024
ORDER = [
    ("report-json", "`report --format json -o /dev/null`"),
    ("sqlite3-floor", "`sqlite3` writing the same rows as JSON (the floor)"),
    ("report-table", "`report` (table, to /dev/null)"),
    ("history", "`history URL`"),
    ("run-nothing-due", "`run -q`, nothing due (lists every reference not alive)"),
    ("run-idle", "`run`, nothing due (no list)"),
    ("old-report-json", "old: `report --format json -o /dev/null`"),
    ("old-history", "old: `history URL`"),
    ("old-run-nothing-due", "old: `run -q`, nothing due"),
    ("old-run-idle", "old: `run`, nothing due"),
]


def fmt_time(s):
    if s is None:
        return "–"
    if s >= 1:
        return f"{s:.2f} s"
    return f"{s * 1000:.1f} ms"


def fmt_int(n):
    return f"{n:,}"


def load_runs(res, size):
    """label -> {times, cpu} pooled over every hyperfine export of this size."""
    out = {}
    for path in sorted(glob.glob(os.path.join(res, f"{size}-r*.json")) +
                       glob.glob(os.path.join(res, f"{size}-old-r*.json"))):
        with open(path) as f:
            for r in json.load(f)["results"]:
                e = out.setdefault(r["command"], {"times": [], "cpu": []})
                e["times"].extend(r["times"])
                e["cpu"].append(r["user"] + r["system"])
    for e in out.values():
        e["median"] = statistics.median(e["times"])
        e["min"] = min(e["times"])
        e["max"] = max(e["times"])
        e["cpu_mean"] = statistics.mean(e["cpu"])
    return out


def read(res, name, default=None):
    try:
        with open(os.path.join(res, name)) as f:
            return f.read().strip()
    except FileNotFoundError:
        return default


def load_rss(res, size):
    out = {}
    for line in (read(res, f"{size}.rss", "") or "").splitlines():
        label, kib = line.split("\t")
        if kib.isdigit():
            out[label] = int(kib) * 1024
    return out


def load_dbstat(res, size):
    """table -> (table bytes, index bytes)."""
    out = {}
    for line in (read(res, f"{size}.dbstat", "") or "").splitlines():
        name, tbl, kind, nbytes = line.split("\t")
        t = out.setdefault(tbl, [0, 0])
        t[1 if kind == "index" or name.startswith("sqlite_autoindex") else 0] += int(nbytes)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--res", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--floor", required=True)
    ap.add_argument("--rounds", type=int, required=True)
    ap.add_argument("--runs", type=int, required=True)
    ap.add_argument("--lv", required=True)
    ap.add_argument("--lv-old")
    ap.add_argument("--small", type=int, required=True)
    ap.add_argument("--big", type=int, required=True)
    ap.add_argument("--dir", required=True)
    a = ap.parse_args()
    res = a.res
    sizes = ("small", "big")
    refs = {"small": a.small, "big": a.big}
    name = {s: f"{refs[s] / 1e6:g}M" for s in sizes}
    runs = {s: load_runs(res, s) for s in sizes}
    rss = {s: load_rss(res, s) for s in sizes}
    L = []
    w = L.append

    w(f"## Ten times the archive: {fmt_int(a.small)} and {fmt_int(a.big)} references "
      "(issue #17, target 4)")
    w("")
    w("```")
    w(read(res, "machine.txt", ""))
    w("```")
    w("")
    w("### The generated databases")
    w("")
    w("`bench/gen_scale_db.py`: 5 checks per reference, 25 references per article, every 10th "
      "cited twice, ~80% alive, a snapshot for every alive reference and half the failing "
      "ones; nothing due (checks, web-archive lookups, submissions, article reads all 10 years "
      "away). The report's JSON lists the references not alive.")
    w("")
    w("| | references | checks | articles | citations | snapshots | not alive (JSON rows) "
      "| generated in | generator peak RSS | database | per reference | first open by the new "
      "binary (schema) |")
    w("|---|---|---|---|---|---|---|---|---|---|---|---|")
    per_ref = {}
    for s in sizes:
        counts = (read(res, f"{s}.counts", "") or "").split("|")
        if len(counts) < 6:
            continue
        n_refs, n_checks, n_art, n_cit, n_snap, n_bad = (int(x) for x in counts[:6])
        gen = (read(res, f"{s}.gen-time", "0 0") or "0 0").split()
        first = (read(res, f"{s}.first-open", "0 0") or "0 0").split()
        nbytes = int(read(res, f"{s}.bytes", "0") or 0)
        per_ref[s] = nbytes / max(1, n_refs)
        w(f"| {name[s]} | {fmt_int(n_refs)} | {fmt_int(n_checks)} | {fmt_int(n_art)} "
          f"| {fmt_int(n_cit)} | {fmt_int(n_snap)} | {fmt_int(n_bad)} | {float(gen[0]):.0f} s "
          f"| {int(gen[1]) / 1024:.0f} MiB | {nbytes / 1e9:.2f} GB | {per_ref[s]:,.0f} B "
          f"| {float(first[0]):.2f} s, {int(first[1]) / 1024:.0f} MiB peak "
          f"(schema {read(res, f'{s}.schema', '?')}) |")
    w("")

    w(f"### Timings ({a.rounds} hyperfine calls × {a.runs} runs per size, `-N --warmup 1`, the "
      "command order rotated per call; medians of all runs)")
    w("")
    w(f"| command | {name['small']} median | min–max | CPU | peak RSS "
      f"| {name['big']} median | min–max | CPU | peak RSS | {name['big']} / {name['small']} "
      "(wall) | (CPU) |")
    w("|---|---|---|---|---|---|---|---|---|---|---|")

    def cell(s, label):
        e = runs[s].get(label)
        if not e:
            return "– | – | – | –"
        m = rss[s].get(label)
        return (f"{fmt_time(e['median'])} | {fmt_time(e['min'])} – {fmt_time(e['max'])} "
                f"| {fmt_time(e['cpu_mean'])} | {f'{m / MIB:.1f} MiB' if m else '–'}")

    def ratio(label, key="median"):
        small, big = runs["small"].get(label), runs["big"].get(label)
        if not small or not big:
            return None
        k = "cpu_mean" if key == "cpu" else key
        return big[k] / small[k] if small[k] else None

    for label, words in ORDER:
        if label not in runs["small"] and label not in runs["big"]:
            continue
        r, rc = ratio(label), ratio(label, "cpu")
        w(f"| {words} | {cell('small', label)} | {cell('big', label)} "
          f"| {f'{r:.2f}×' if r else '–'} | {f'{rc:.2f}×' if rc else '–'} |")
    w("")
    same = read(res, "report-links.md5") == read(res, "floor-links.md5")
    w(f"The floor's rows are {'byte for byte' if same else '**not**'} the report's \"links\" "
      f"(checked on the {name['small']} database). CPU is user + system (hyperfine's mean). "
      "Peak RSS: one more run under GNU time.")
    w("")

    def met(ok):
        return "**met**" if ok else "**not met**"

    def get(s, label, k="median"):
        e = runs[s].get(label)
        return e[k] if e else None

    w("### Targets")
    w("")
    w("| target | measured | verdict |")
    w("|---|---|---|")
    r = ratio("report-json")
    if r:
        rc = ratio("report-json", "cpu")
        fr = ratio("sqlite3-floor")
        w(f"| `report --format json` {name['big']} ≤ 10× {name['small']} "
          f"| {fmt_time(get('big', 'report-json'))} vs {fmt_time(get('small', 'report-json'))}: "
          f"{r:.2f}× wall, {rc:.2f}× CPU (sqlite3 itself: {fr:.2f}× wall) | {met(r <= 10)} |")
    for s in sizes:
        j, f = get(s, "report-json"), get(s, "sqlite3-floor")
        if j and f:
            w(f"| `report --format json` ≤ 1.5× `sqlite3` streaming the same rows, {name[s]} "
              f"| {fmt_time(j)} vs {fmt_time(f)}: {j / f:.2f}× | {met(j / f <= 1.5)} |")
    m = rss["big"].get("report-json")
    if m:
        w(f"| `report --format json` peak RSS ≤ 64 MiB, {name['big']} | {m / MIB:.1f} MiB "
          f"| {met(m <= 64 * MIB)} |")
    for label, words in (("history", "`history`"),
                         ("run-idle", "a run with nothing due (`run`)"),
                         ("run-nothing-due", "a run with nothing due, `-q` (lists every "
                                             "reference not alive: linear in them)")):
        r = ratio(label)
        if r:
            w(f"| {words} {name['big']} ≤ 1.5× {name['small']} "
              f"| {fmt_time(get('big', label))} vs {fmt_time(get('small', label))}: {r:.2f}× "
              f"| {met(r <= 1.5)} |")
    if per_ref:
        w("| database size per reference (reported) | "
          + ", ".join(f"{name[s]}: {per_ref[s]:,.0f} bytes" for s in sizes if s in per_ref)
          + " | – |")
    for s in sizes:
        for label in ("report-json", "history", "run-nothing-due", "run-idle"):
            new, old = get(s, label), get(s, "old-" + label)
            if new and old:
                w(f"| old → new, `{label}`, {name[s]} (informational) "
                  f"| {fmt_time(old)} → {fmt_time(new)} (speed-up {old / new:.2f}×) | – |")
    w("")

    stats = {s: load_dbstat(res, s) for s in sizes}
    if any(stats.values()):
        w("### Bytes per reference, by table (its indexes included)")
        w("")
        w(f"| table | {name['small']} | of which indexes | {name['big']} | of which indexes |")
        w("|---|---|---|---|---|")
        tables = sorted({t for s in sizes for t in stats[s]},
                        key=lambda t: -sum(stats["big"].get(t, stats["small"].get(t, [0, 0]))))
        for t in tables:
            cells = []
            for s in sizes:
                tb, ib = stats[s].get(t, [0, 0])
                cells.append(f"{(tb + ib) / refs[s]:,.1f} | {ib / refs[s]:,.1f}")
            if any(sum(stats[s].get(t, [0, 0])) / refs[s] >= 0.05 for s in sizes):
                w(f"| {t} | {' | '.join(cells)} |")
        w("")

    w("### Commands")
    w("")
    w("```sh")
    old = f" --lv-old {a.lv_old}" if a.lv_old else ""
    w(f"bench/scale.sh --lv {a.lv}{old} --out FILE.md --refs-small {a.small} "
      f"--refs-big {a.big} --dir {a.dir} --rounds {a.rounds} --runs {a.runs}")
    w("# per size ($DIR/small, $DIR/big; CONF has no articles, as bench/run.sh's lv-none.toml):")
    w("linkvault --config $CONF --archive $DIR/big run -q          # creates the schema")
    w(f"python3 bench/gen_scale_db.py --db $DIR/big/linkvault.db --refs {a.big} "
      f"--checks {a.big * 5}")
    w("linkvault --config $CONF --archive $DIR/big report --format json -o /dev/null")
    w("sqlite3 -readonly $DIR/big/linkvault.db '.read floor.sql'   # floor.sql below")
    w("linkvault --config $CONF --archive $DIR/big report")
    w("linkvault --config $CONF --archive $DIR/big history $HISTORY_URL")
    w("linkvault --config $CONF --archive $DIR/big run -q")
    w("linkvault --config $CONF --archive $DIR/big run")
    w("```")
    w("")
    w("`floor.sql`:")
    w("")
    w("```sql")
    with open(a.floor) as f:
        w(f.read().rstrip())
    w("```")
    w("")
    with open(a.out, "w") as f:
        f.write("\n".join(L))


if __name__ == "__main__":
    main()
