#!/usr/bin/env python3
"""Turns bench/run.sh's raw results into bench/RESULTS.md (Python 3 standard library only).

Reads, from the results directory: the hyperfine exports (SCENARIO-rN.json, one per round, and
scale-db-many.json), events.tsv (one line per measured run: label, nginx access-log offset at
its start, peak RSS in KiB, exit code), commands.tsv, machine.txt, and nginx's access log, whose
lines between one run's offset and the next run's are that run's requests.
"""

import argparse
import glob
import json
import os
import re
import statistics

MiB = 1024 * 1024


def median(xs):
    return statistics.median(xs) if xs else None


def fmt_s(t):
    if t is None:
        return "–"
    return f"{t * 1000:.1f} ms" if t < 1 else f"{t:.2f} s"


def fmt_bytes(b):
    if b is None:
        return "–"
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if b >= size:
            return f"{b / size:.1f} {unit}"
    return f"{int(b)} B"


def clean(label):
    return label.rstrip("~")


def read_events(path, log_path):
    """[(label, rss_kib, rc, traffic)] in run order; traffic sums that run's log lines."""
    rows = []
    with open(path) as f:
        for line in f:
            label, off, rss, rc = line.rstrip("\n").split("\t")
            rows.append([label, int(off), int(rss) if rss.isdigit() else None, int(rc)])
    log = open(log_path, "rb").read() if os.path.exists(log_path) else b""
    out = []
    for i, (label, off, rss, rc) in enumerate(rows):
        end = rows[i + 1][1] if i + 1 < len(rows) else len(log)
        t = {"requests": 0, "bytes_sent": 0, "body_bytes": 0, "conditional": 0, "status": {}}
        for line in log[off:end].decode("utf-8", "replace").splitlines():
            m = re.match(r'(\d+) (\d+) (\d+) "([^"]*)" ', line)
            if not m:
                continue
            t["requests"] += 1
            t["bytes_sent"] += int(m.group(2))
            t["body_bytes"] += int(m.group(3))
            t["conditional"] += m.group(4) != "-"
            t["status"][m.group(1)] = t["status"].get(m.group(1), 0) + 1
        out.append((label, rss, rc, t))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--access-log", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--quick", default="0")
    ap.add_argument("--out", required=True)
    ap.add_argument("--concurrency", type=int, default=16)
    a = ap.parse_args()
    R = a.results

    # times[scenario][label] = [seconds...]
    times, cpu, order = {}, {}, {}
    for path in sorted(glob.glob(os.path.join(R, "*-r*.json"))):
        scen = os.path.basename(path).rsplit("-r", 1)[0]
        for res in json.load(open(path))["results"]:
            times.setdefault(scen, {}).setdefault(clean(res["command"]), []).extend(res["times"])
            cpu.setdefault(scen, {}).setdefault(clean(res["command"]), []).append(
                res["user"] + res["system"])
    many = os.path.join(R, "scale-db-many.json")
    if os.path.exists(many):  # the many-run hyperfine pass: DB_RUNS runs of each query
        results = json.load(open(many))["results"]
        times["scale-db"] = {clean(r["command"]): r["times"] for r in results}
        cpu["scale-db"] = {clean(r["command"]): [r["user"] + r["system"]] for r in results}

    commands = {}
    for line in open(os.path.join(R, "commands.tsv")):
        scen, label, prep, cmd = line.rstrip("\n").split("\t")
        commands.setdefault(scen, []).append((clean(label), prep, cmd))
        order.setdefault(scen, []).append(clean(label))

    events = read_events(os.path.join(R, "events.tsv"), a.access_log)
    runs = {}  # runs[scenario][label] = [(rss, rc, traffic)]
    for label, rss, rc, t in events:
        scen, _, name = label.partition("/")
        runs.setdefault(scen, {}).setdefault(clean(name), []).append((rss, rc, t))

    def stat(scen, label):
        ts = times.get(scen, {}).get(label, [])
        rs = runs.get(scen, {}).get(label, [])
        rss = [r[0] for r in rs if r[0] is not None]
        traffic = [r[2] for r in rs]
        return {
            "median": median(ts),
            "min": min(ts) if ts else None,
            "max": max(ts) if ts else None,
            "n": len(ts),
            "cpu": median(cpu.get(scen, {}).get(label, [])),
            "rss_max_kib": max(rss) if rss else None,
            "bytes": median([t["bytes_sent"] for t in traffic]) if traffic else None,
            "requests": median([t["requests"] for t in traffic]) if traffic else None,
            "conditional": median([t["conditional"] for t in traffic]) if traffic else None,
            "status": traffic[-1]["status"] if traffic else {},
            "rcs": sorted({r[1] for r in rs}),
        }

    corpus = json.load(open(a.corpus))
    real_bytes = int(open(os.path.join(R, "real-bytes")).read())
    real_files = int(open(os.path.join(R, "real-files")).read())
    work = a.work
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

    def show_cmd(c):
        return c.replace(work, "$WORK").replace(repo, "$REPO")

    L = []
    w = L.append
    w("# linkvault benchmark results\n")
    w(f"Generated by `{'QUICK=1 ' if a.quick == '1' else ''}bench/run.sh`"
      + (" (**QUICK smoke mode: reduced sizes, not the issue's numbers**)" if a.quick == "1" else "")
      + ". Times are wall-clock medians over the rounds, with min–max; each round runs every"
      " contender once (hyperfine `--runs 1`, order rotated every round). `× linkvault` is the"
      " contender's median time divided by linkvault's (above 1: linkvault is faster). CPU is user +"
      " system time (hyperfine; on 2 cores it can exceed the wall time). Peak RSS"
      " is GNU time's `%M` (largest process of the command) over all runs. Bytes are nginx's"
      " `$bytes_sent` (headers + body) summed over the run's requests, median over runs.\n")

    # ------------------------------------------------------------------ tables
    def table(scen, title, extra_cols=(), baseline="linkvault"):
        labels = order.get(scen, [])
        if not labels:
            return
        base = stat(scen, baseline)["median"] if baseline in labels else None
        w(f"\n### {title}\n")
        head = ["contender", "median", "min–max", "runs", "× linkvault", "CPU (user+sys)", "peak RSS", "bytes sent",
                "requests"] + [c[0] for c in extra_cols]
        w("| " + " | ".join(head) + " |")
        w("|" + "---|" * len(head))
        for label in labels:
            s = stat(scen, label)
            ratio = (f"{s['median'] / base:.2f}" if base and s["median"] else "–")
            row = [f"`{label}`", fmt_s(s["median"]), f"{fmt_s(s['min'])} – {fmt_s(s['max'])}",
                   str(s["n"]), ratio, fmt_s(s["cpu"]),
                   fmt_bytes(s["rss_max_kib"] * 1024) if s["rss_max_kib"] else "–",
                   fmt_bytes(s["bytes"]) if s["bytes"] else "–",
                   f"{int(s['requests'])}" if s["requests"] else "–"]
            row += [c[1](s) for c in extra_cols]
            w("| " + " | ".join(row) + " |")

    def statuses(s):
        return ", ".join(f"{k}×{v}" for k, v in sorted(s["status"].items())) or "–"

    w("\n## Results\n")
    w(f"Corpus: {corpus['articles']} articles × {corpus['refs_per_article']} references "
      f"= {corpus['citations']} citations of {corpus['unique_refs']} distinct references "
      f"({corpus['unique_images']} images from a shared Zipf-weighted pool, "
      f"{corpus['unique_sources']} source pages, {corpus['unique_missing']} missing URLs = "
      f"{corpus['missing_citations']} citations, {100 * corpus['missing_citations'] / corpus['citations']:.0f}% "
      f"of all; one {corpus['video_mib']} MiB video cited by {corpus['video_citations']} articles); "
      f"{fmt_bytes(corpus['unique_bytes'])} of distinct reference bodies. Downloaders get the "
      f"{corpus['unique_urls_incl_articles']} distinct URLs linkvault fetches (articles + references).\n")
    table("cold", "1. Cold archive (empty archive / empty download directory each run)",
          [("statuses (last run)", statuses)])
    table("recheck", "2. Recheck of the unchanged corpus (`run --recheck` on a warm archive; lychee checks the same articles)",
          [("conditional requests", lambda s: f"{int(s['conditional'])}" if s["conditional"] is not None else "–"),
           ("statuses (last run)", statuses)])
    mb = real_bytes / 1e6
    table("extract", f"3. Extraction: {real_files} real-world article pages, {mb:.1f} MB of HTML",
          [("throughput", lambda s: f"{mb / s['median']:.1f} MB/s" if s["median"] else "–")])
    big_mib = corpus["big_mib"]
    table("big", f"4. Big media: one {big_mib} MiB file over loopback",
          [("throughput", lambda s: f"{big_mib / s['median']:.0f} MiB/s" if s["median"] else "–")])
    table("scale-run", f"5a. One run over {corpus['scale_refs']} references "
          f"({corpus['scale_articles']} articles; /t/N answered by nginx, 5% 404)",
          [("statuses", statuses)])
    scale_log = open(os.path.join(R, "scale-db.log")).read() if os.path.exists(os.path.join(R, "scale-db.log")) else ""
    m = re.search(r"done in ([\d.]+)s: (\{.*\})", scale_log)
    db_size = open(os.path.join(R, "scale-db.size")).read().strip() if os.path.exists(os.path.join(R, "scale-db.size")) else "?"
    if m:
        import ast
        counts = ast.literal_eval(m.group(2))
        what = ", ".join(f"{v:,} {k}" for k, v in counts.items())
        db_title = f"{what}; {db_size}B on disk, generated in {m.group(1)} s"
    else:
        db_title = "?"
    table("scale-db", "5b. Generated database: " + db_title, baseline="none")

    # ------------------------------------------------------------------ targets
    w("\n## Targets (ratios from the same run)\n")
    w("| # | target | measured | verdict |")
    w("|---|---|---|---|")

    def verdict(ok):
        return "**met**" if ok else "**missed**"

    def g(scen, label, key="median"):
        return stat(scen, label)[key]

    lv = g("cold", "linkvault")
    dls = {l: g("cold", l) for l in order.get("cold", []) if l != "linkvault"}
    dls = {k: v for k, v in dls.items() if v}
    if lv and dls:
        best = min(dls, key=dls.get)
        w(f"| 1 | cold archive ≤ best downloader + sha256sum | linkvault {fmt_s(lv)} vs `{best}` "
          f"{fmt_s(dls[best])} (linkvault takes {lv / dls[best]:.2f}× as long) | {verdict(lv <= dls[best])} |")
    rl, ly = g("recheck", "linkvault"), g("recheck", "lychee")
    cold_b, re_b = g("cold", "linkvault", "bytes"), g("recheck", "linkvault", "bytes")
    if rl and ly:
        w(f"| 2a | recheck ≤ lychee | linkvault {fmt_s(rl)} vs lychee {fmt_s(ly)} "
          f"({rl / ly:.2f}×) | {verdict(rl <= ly)} |")
    if cold_b and re_b:
        pct = 100 * re_b / cold_b
        w(f"| 2b | recheck bytes ≤ 2% of cold | {fmt_bytes(re_b)} of {fmt_bytes(cold_b)} = {pct:.2f}% "
          f"| {verdict(pct <= 2)} |")
    el, ed = g("extract", "linkvault"), g("extract", "lychee-dump")
    if el and ed:
        w(f"| 3 | extract ≥ 2× lychee --dump throughput | {ed / el:.2f}× ({mb / el:.1f} vs {mb / ed:.1f} MB/s) "
          f"| {verdict(ed / el >= 2)} |")
    bl, bc = g("big", "linkvault"), g("big", "curl-o")
    brss = g("big", "linkvault", "rss_max_kib")
    if bl and bc:
        w(f"| 4a | big media ≥ 80% of `curl -o` | {bc / bl * 100:.0f}% ({big_mib / bl:.0f} vs "
          f"{big_mib / bc:.0f} MiB/s) | {verdict(bc / bl >= 0.8)} |")
    if brss:
        w(f"| 4b | big media peak RSS ≤ 64 MiB | {brss / 1024:.1f} MiB | {verdict(brss <= 64 * 1024)} |")
    for label, limit in (("report-json", 2), ("report-table", 2), ("history", 0.05), ("run-nothing-due", 2)):
        t = g("scale-db", label)
        if t:
            w(f"| 5 | `{label}` ≤ {fmt_s(limit)} | {fmt_s(t)} (max {fmt_s(g('scale-db', label, 'max'))}) "
              f"| {verdict(t <= limit)} |")
    srss = g("scale-run", "linkvault", "rss_max_kib")
    if srss:
        w(f"| 5 | {corpus['scale_refs']} references in one run, peak RSS ≤ 200 MiB | {srss / 1024:.1f} MiB "
          f"in {fmt_s(g('scale-run', 'linkvault'))} | {verdict(srss <= 200 * 1024)} |")
    if a.quick == "1":
        w("\nQUICK mode: sizes are reduced, so these verdicts only show the harness works.")

    # ------------------------------------------------------------------ settings, commands
    w("\n## Settings\n")
    c = a.concurrency
    w(f"- Politeness is set equal everywhere: {c} requests in flight (`CONCURRENCY`), all to the one host "
      f"127.0.0.1, no per-host interval. linkvault: `concurrency = per_host_concurrency = {c}`, "
      f"`per_host_interval = \"0s\"`; aria2c `-j {c} --max-connection-per-server=1`; curl "
      f"`--parallel-max {c}`; lychee `--max-concurrency {c} --host-concurrency {c} --host-request-interval 0s`.")
    w("- linkvault: `allow_private = true` (required for 127.0.0.1), `soft404_probe = true` (the default: "
      "one made-up sibling URL per site section per run, a handful of extra 404 requests), "
      "`retries = 2`, `[video] enabled = false` (no yt-dlp); `whole_page = false` except "
      "`linkvault-whole-page` in scenario 3, which extracts from the whole page as lychee does.")
    w("- Downloaders do not save 404 bodies (curl `--fail`, aria2c by default); linkvault keeps the "
      "404 page as evidence (one object, deduplicated). Their exit code is non-zero because of the 404s.")
    w("- lychee: no cache (`--cache` not given), `--max-retries 0`, `--accept 100..=599` so the 404s do "
      "not change the work. It sends plain GETs (no If-None-Match); the bytes column shows how much of the bodies nginx got to send it.")
    w("- Scenario 3: both tools tokenize files on all cores (their CPU time exceeds their wall time). Without `--base-url`, lychee warns about (and drops) root-relative links "
      "in these saved pages; its warnings go to stderr, which hyperfine discards.")
    w("- nginx: static files with its default ETag/Last-Modified (conditional GETs get 304), "
      "`sendfile on`, `worker_processes auto`, keep-alive; on the same 2 cores as the clients.")
    w("- Times include `bench/measure.sh` (bash + GNU time + a log offset; ~10–30 ms) for scenarios 1, 2, "
      "4 and 5a; scenarios 3 and 5b are timed bare (hyperfine subtracts its shell spawn) and their peak "
      "RSS comes from one extra run under GNU time.")
    w("\n## Exact commands\n")
    w("`$WORK` is the temporary work directory, `$REPO` this repository; configs are written by `bench/run.sh`.")
    for scen, cmds in commands.items():
        w(f"\n**{scen}**\n")
        w("```sh")
        for label, prep, cmd in cmds:
            w(f"# {label}" + (f"   (prepare: {show_cmd(prep)})" if prep != "true" else ""))
            w(show_cmd(cmd))
        w("```")
    cfg = os.path.join(work, "lv-corpus.toml")
    if os.path.exists(cfg):
        text = open(cfg).read()
        text = re.sub(r"articles = \[\n(.*\n)*?\]", lambda m: "articles = [ ... the "
                      + str(m.group(0).count("\n") - 1) + " article URLs ... ]", text)
        w("\nlinkvault config (`$WORK/lv-corpus.toml`):\n\n```toml\n" + text.strip() + "\n```")

    w("\n## Machine\n\n```")
    w(open(os.path.join(R, "machine.txt")).read().strip())
    w("```")
    with open(a.out, "w") as f:
        f.write("\n".join(L) + "\n")


if __name__ == "__main__":
    main()
