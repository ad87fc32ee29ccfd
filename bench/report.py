#!/usr/bin/env python3
"""Turns bench/run.sh's raw results into bench/RESULTS.md (Python 3 standard library only).

Reads, from the results directory: the hyperfine exports (SCENARIO-rN.json, one per round, and
scale-db-many.json), events.tsv (one line per measured run: label, nginx access-log offset at
its start, peak RSS in KiB, exit code), commands.tsv, machine.txt, and nginx's access log, whose
lines between one run's offset and the next run's are that run's requests. The serve scenario:
wrk/ENDPOINT__CONTENDER-rN.txt (wrk's own output), serve-endpoints.tsv, serve-checks.tsv (one
request's status, size and type per URL), serve-rss.tsv, serve-commands.tsv. The rescue scenario:
rescue-report-LABEL.json (`report --all --format json` after the last round). Rendering: the
markdown bench/render.sh wrote (--render-md). Ten times the archive: --scale-md, included as it is.
"""

import argparse
import glob
import json
import os
import re
import statistics

MiB = 1024 * 1024
OLD, NEW = "linkvault-old", "linkvault"


def median(xs):
    return statistics.median(xs) if xs else None


def fmt_s(t):
    if t is None:
        return "–"
    return f"{t * 1000:.1f} ms" if t < 1 else f"{t:.2f} s"


def fmt_ms(t):
    if t is None:
        return "–"
    return f"{t * 1000:.2f} ms" if t < 0.01 else f"{t * 1000:.1f} ms" if t < 1 else f"{t:.2f} s"


def fmt_bytes(b):
    if b is None:
        return "–"
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if b >= size:
            return f"{b / size:.1f} {unit}"
    return f"{int(b)} B"


def fmt_rate(x):
    if x is None:
        return "–"
    return f"{x:,.0f}" if x >= 100 else f"{x:,.1f}"


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


def wrk_seconds(value, unit):
    return float(value) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]


def parse_wrk(text):
    """Requests/sec, latency percentiles (seconds), request count, errors from wrk's output."""
    r = {"rps": None, "p50": None, "p99": None, "avg": None, "requests": None,
         "non2xx": 0, "socket_errors": 0, "error": None}
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if m:
        r["rps"] = float(m.group(1))
    else:
        r["error"] = text.strip().splitlines()[-1] if text.strip() else "no output"
    for pct, key in (("50", "p50"), ("99", "p99")):
        m = re.search(rf"^\s+{pct}(?:\.0+)?%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M)
        if m:
            r[key] = wrk_seconds(m.group(1), m.group(2))
    m = re.search(r"Latency\s+([\d.]+)(us|ms|s|m)", text)
    if m:
        r["avg"] = wrk_seconds(m.group(1), m.group(2))
    m = re.search(r"(\d+) requests in", text)
    if m:
        r["requests"] = int(m.group(1))
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    if m:
        r["non2xx"] = int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m:
        r["socket_errors"] = sum(int(x) for x in m.groups())
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--access-log", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--quick", default="0")
    ap.add_argument("--out", required=True)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--scale-md", default=os.environ.get("SCALE_MD", ""),
                    help="markdown of bench/scale.sh (ten times the archive), included as it is")
    ap.add_argument("--render-md", default="", help="markdown of bench/render.sh")
    ap.add_argument("--lv", default="", help="the new binary's path (shown as $LV in commands)")
    ap.add_argument("--lv-old", default="", help="the old binary's path (shown as $LV_OLD)")
    a = ap.parse_args()
    R = a.results
    here = os.path.dirname(os.path.abspath(__file__))
    if not a.scale_md:
        a.scale_md = os.path.join(R, "scale.md")

    # times[scenario][label] = [seconds...]
    times, cpu, order = {}, {}, {}
    for path in sorted(glob.glob(os.path.join(R, "*-r*.json"))):
        m = re.fullmatch(r"(.+)-r\d+\.json", os.path.basename(path))
        if not m:
            continue
        scen = m.group(1)
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

    def g(scen, label, key="median"):
        return stat(scen, label)[key]

    corpus = json.load(open(a.corpus))
    real_bytes = int(open(os.path.join(R, "real-bytes")).read())
    real_files = int(open(os.path.join(R, "real-files")).read())
    work = a.work
    repo = os.path.dirname(here)

    def show_cmd(c):
        for path, name in ((a.lv_old, "$LV_OLD"), (a.lv, "$LV")):
            if path:
                c = c.replace(path, name)
        return c.replace(work, "$WORK").replace(repo, "$REPO")

    L = []
    w = L.append
    w("# linkvault benchmark results\n")
    w(f"Generated by `{'QUICK=1 ' if a.quick == '1' else ''}bench/run.sh`"
      + (" (**QUICK smoke mode: reduced sizes, not the issue's numbers**)" if a.quick == "1" else "")
      + ". Times are wall-clock medians over the rounds, with min–max; each round runs every"
      " contender once (hyperfine `--runs 1`, order rotated every round). `linkvault` is the code"
      " under test, `linkvault-old` the code before this round of optimisation, built and run in"
      " the same bench run on the same machine (revisions under \"Machine\"). `× linkvault` is the"
      " contender's median time divided by linkvault's (above 1: linkvault is faster; for"
      " `linkvault-old` it is the speed-up). CPU is user + system time (hyperfine; on 2 cores it"
      " can exceed the wall time). Peak RSS is GNU time's `%M` (largest process of the command)"
      " over all runs. Bytes are nginx's `$bytes_sent` (headers + body) summed over the run's"
      " requests, median over runs.\n")

    # ------------------------------------------------------------------ tables
    def table(scen, title, extra_cols=(), baseline="linkvault", note=None):
        labels = order.get(scen, [])
        if not labels:
            return
        base = stat(scen, baseline)["median"] if baseline in labels else None
        w(f"\n### {title}\n")
        if note:
            w(note + "\n")
        head = ["contender", "median", "min–max", "runs", "× linkvault", "CPU (user+sys)", "peak RSS", "bytes sent",
                "requests"] + [c[0] for c in extra_cols]
        w("| " + " | ".join(head) + " |")
        w("|" + "---|" * len(head))
        for label in labels:
            s = dict(stat(scen, label), label=label)
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
          [("throughput", lambda s: f"{mb / s['median']:.1f} MB/s" if s["median"] else "–")],
          note="Structured data — JSON-LD (`ImageObject`/`VideoObject`, `image`, `@graph`…), microdata "
               "(`contentUrl`, `embedUrl`, `thumbnailUrl`), `og:`/`twitter:` meta, CSS `url()` in inline "
               "styles and `<style>`, AMP components, id-only video players — has no configuration key: every "
               "linkvault contender reads all of it. `*-all-forms` turns on everything that can be turned on "
               "(`whole_page = true`, `include_links = true`) and prints `--format json` (each reference with "
               "its kind and the place it was found); `linkvault-whole-page` is the same in text.")
    big_mib = corpus["big_mib"]
    table("big", f"4. Big media: one {big_mib} MiB file over loopback",
          [("throughput", lambda s: f"{big_mib / s['median']:.0f} MiB/s" if s["median"] else "–")],
          note="`dd-fsync` is what this disk can durably write: the same size from /dev/zero, "
               "`conv=fsync`, on the same file system; `curl-o` writes without any fsync.")
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

    small_mib = corpus.get("small_bytes", 0) / MiB
    table("small", f"6. Small distinct images: {corpus.get('small_images', 0):,} images of 2–20 KiB "
          f"({small_mib:.1f} MiB; JPEG/PNG/GIF/WebP magic bytes, served as image/*) cited by "
          f"{corpus.get('small_articles', 0)} articles",
          [("files/s", lambda s: f"{corpus.get('small_images', 0) / s['median']:,.0f}" if s["median"] else "–"),
           ("statuses (last run)", statuses)],
          note="Fresh archive / fresh download directory each run. linkvault makes every object durable "
               "before it records it; `aria2c` (the target's yardstick) and `curl` (for reference) write the "
               "same files (articles and images) without any fsync, with the same concurrency.")

    # ------------------------------------------------------------------ serve (wrk)
    serve = {}  # serve[endpoint][contender] = [parsed wrk run...]
    for path in sorted(glob.glob(os.path.join(R, "wrk", "*-r*.txt"))):
        name = os.path.basename(path).rsplit("-r", 1)[0]
        endpoint, _, contender = name.partition("__")
        serve.setdefault(endpoint, {}).setdefault(contender, []).append(parse_wrk(open(path).read()))
    checks, endpoint_urls = {}, {}
    if os.path.exists(os.path.join(R, "serve-checks.tsv")):
        for line in open(os.path.join(R, "serve-checks.tsv")):
            parts = line.rstrip("\n").split("\t")
            checks[parts[0]] = parts[1:]
    if os.path.exists(os.path.join(R, "serve-endpoints.tsv")):
        for line in open(os.path.join(R, "serve-endpoints.tsv")):
            label, url = line.rstrip("\n").split("\t", 1)
            endpoint_urls[label] = url
    serve_rss = {}
    if os.path.exists(os.path.join(R, "serve-rss.tsv")):
        for line in open(os.path.join(R, "serve-rss.tsv")):
            k, _, v = line.rstrip("\n").partition("\t")
            serve_rss[k] = int(v) if v.isdigit() else None
    serve_cmds = {}
    if os.path.exists(os.path.join(R, "serve-commands.tsv")):
        for line in open(os.path.join(R, "serve-commands.tsv")):
            k, _, v = line.rstrip("\n").partition("\t")
            serve_cmds[k] = v

    def sv(endpoint, contender, key="rps"):
        rs = [r[key] for r in serve.get(endpoint, {}).get(contender, []) if r[key] is not None]
        return median(rs)

    endpoint_names = {
        "file": "the object's bytes (`/objects/HASH`; nginx: the file `objects/ab/cdef…` itself)",
        "memento": "a memento of the image (serve `/YYYYMMDDhhmmss/URL`; pywb `/lv/YYYYMMDDhhmmssid_/URL`)",
        "timemap": "its TimeMap (`/timemap/link/URL`; pywb `/lv/timemap/link/URL`)",
        "timegate": "its TimeGate (serve `/timegate/URL`, a 302; pywb `/lv/URL`, a 200 with `Link`)",
    }
    if serve:
        wrk_cmd = serve_cmds.get("wrk", "wrk")
        w(f"\n### 7. Serving a {fmt_bytes(corpus.get('serve_bytes'))} image of the corpus "
          f"(`{wrk_cmd}`)\n")
        w("The archives the last cold round left (`linkvault serve -q`, new and old binary, each on the "
          "archive its own binary wrote); nginx sends the same object file from the new archive's folder "
          "(`sendfile on`, no access log); pywb 2 replays the WARC `linkvault export warc --article` wrote "
          "for an article citing the image (Memento on). One endpoint at a time; every server shares the "
          "2 cores with wrk. Requests/s and latency percentiles are wrk's (median over rounds); "
          "\"check\" is one request's status, size and type before the runs.\n")
        w("| endpoint | contender | requests/s | × nginx | p50 | p99 | avg | requests | errors | check |")
        w("|---|---|---|---|---|---|---|---|---|---|")
        nginx_rps = sv("file", "nginx")
        for endpoint in ("file", "memento", "timemap", "timegate"):
            for contender in ("nginx", NEW, OLD, "pywb"):
                rs = serve.get(endpoint, {}).get(contender)
                if not rs:
                    continue
                rps = sv(endpoint, contender)
                errs = sum(r["non2xx"] + r["socket_errors"] for r in rs)
                err_text = [r["error"] for r in rs if r["error"]]
                check = checks.get(f"{endpoint}/{contender}", [])
                check_s = (f"{check[0]}, {fmt_bytes(int(check[1]))}, {check[2] or '–'}"
                           if len(check) >= 3 and check[1].isdigit() else "–")
                w(f"| {endpoint} | `{contender}` | {fmt_rate(rps)} | "
                  f"{(f'{rps / nginx_rps:.2f}' if rps and nginx_rps else '–')} | "
                  f"{fmt_ms(sv(endpoint, contender, 'p50'))} | {fmt_ms(sv(endpoint, contender, 'p99'))} | "
                  f"{fmt_ms(sv(endpoint, contender, 'avg'))} | "
                  f"{int(median([r['requests'] for r in rs if r['requests'] is not None]) or 0):,} | "
                  f"{errs if not err_text else 'wrk: ' + err_text[0]} | {check_s} |")
        w("")
        for endpoint, text in endpoint_names.items():
            if endpoint in serve:
                w(f"- **{endpoint}**: {text}")
        if serve_rss:
            w("- Peak RSS over the whole scenario (VmHWM): " + ", ".join(
                f"`{k}` {fmt_bytes(v * 1024)}" for k, v in serve_rss.items() if v) + ".")
        w("- \"errors\": non-2xx/3xx answers plus socket errors (connect, read, write, timeout) wrk counted.")

    # ------------------------------------------------------------------ rescue
    rescued = {}
    for label in (NEW, OLD):
        path = os.path.join(R, f"rescue-report-{label}.json")
        if os.path.exists(path):
            try:
                links = json.load(open(path)).get("links", [])
            except ValueError:
                continue
            mine = [l for l in links if "/rescue/" in l.get("url", "")]
            rescued[label] = {
                "rescued": sum(1 for l in mine if (l.get("snapshot") or {}).get("origin") == "memento"),
                "dead": len(mine),
            }
    n_rescue = corpus.get("rescue_refs", 0)
    base_t = g("rescue", "linkvault-no-rescue")

    def rescue_rate(label, net=False):
        t = g("rescue", label)
        n = rescued.get(label, {}).get("rescued")
        if not t or n is None:
            return None
        if net:
            if not base_t or t <= base_t:
                return None
            t -= base_t
        return n / t

    def rescued_col(s):
        r = rescued.get(s["label"])
        return f"{r['rescued']:,} of {r['dead']:,}" if r else "–"

    def rate_col(s):
        rate, net = rescue_rate(s["label"]), rescue_rate(s["label"], True)
        return fmt_rate(rate) + (f" (net {fmt_rate(net)})" if net else "") if rate else "–"

    table("rescue", f"8. Rescue: {n_rescue:,} dead references (nginx 404s) looked up in pywb as a public web "
          "archive, politeness off",
          [("rescued (last run)", rescued_col), ("lookups/s", rate_col)],
          note="pywb 2 holds the originals of all of them (collection `dead`, one WARC). Each run starts from a "
               "copy of an archive that has already checked them with rescue off, so it does little but the "
               "lookups: the TimeGate request, the chosen memento's raw (`id_`) bytes into the store, the "
               "records. `linkvault-no-rescue` is the same run with rescue off: what a run costs besides the "
               "lookups. lookups/s = references rescued ÷ the run's wall time (\"net\": ÷ the time beyond "
               "`linkvault-no-rescue`'s). The bytes column is empty: nginx sees none of this traffic.")

    # ------------------------------------------------------------------ render
    if a.render_md and os.path.exists(a.render_md):
        text = open(a.render_md).read().strip()
        quoted = os.path.abspath(a.render_md) == os.path.join(here, "RENDER.md")
        body = re.sub(r"^# .*\n+", "", text)
        w("\n### 9. Rendered pages per minute\n")
        if quoted:
            w("Not measured in this run (it takes minutes; `RENDER=1 bench/run.sh` runs it): quoted from "
              "`bench/RENDER.md`, which `bench/render.sh` wrote.\n")
        else:
            w("Measured in this run by `bench/render.sh` (`RENDER=1`).\n")
        w(body)

    # ------------------------------------------------------------------ ten times the archive
    scale_md = a.scale_md if a.scale_md and os.path.exists(a.scale_md) else None
    if scale_md:
        w("\n## Ten times the archive\n")
        w(open(scale_md).read().strip())

    # ------------------------------------------------------------------ before / after
    w("\n## Before and after (`linkvault-old` → `linkvault`, same run)\n")
    w("| scenario | before | after | speed-up | peak RSS before → after |")
    w("|---|---|---|---|---|")
    for scen, title in (("cold", "1. cold archive"), ("recheck", "2. recheck"), ("extract", "3. extract"),
                        ("extract:all-forms", "3. extract, all forms (JSON)"), ("big", "4. big media"),
                        ("scale-run", f"5a. {corpus['scale_refs']:,} references in one run"),
                        ("small", f"6. {corpus.get('small_images', 0):,} small images"),
                        ("rescue", "8. rescue")):
        old_l, new_l = OLD, NEW
        if scen == "extract:all-forms":
            scen, old_l, new_l = "extract", "linkvault-old-all-forms", "linkvault-all-forms"
        o, n = g(scen, old_l), g(scen, new_l)
        if not o or not n:
            continue
        ro, rn = g(scen, old_l, "rss_max_kib"), g(scen, new_l, "rss_max_kib")
        w(f"| {title} | {fmt_s(o)} | {fmt_s(n)} | {o / n:.2f}× | "
          f"{fmt_bytes(ro * 1024) if ro else '–'} → {fmt_bytes(rn * 1024) if rn else '–'} |")
    for endpoint in ("file", "memento", "timemap", "timegate"):
        o, n = sv(endpoint, OLD), sv(endpoint, NEW)
        if o and n:
            w(f"| 7. serve {endpoint} | {fmt_rate(o)} req/s, p99 {fmt_ms(sv(endpoint, OLD, 'p99'))} | "
              f"{fmt_rate(n)} req/s, p99 {fmt_ms(sv(endpoint, NEW, 'p99'))} | {n / o:.2f}× | "
              f"{fmt_bytes(serve_rss[OLD] * 1024) if serve_rss.get(OLD) else '–'} → "
              f"{fmt_bytes(serve_rss[NEW] * 1024) if serve_rss.get(NEW) else '–'} (whole scenario) |")

    # ------------------------------------------------------------------ targets
    def verdict(ok):
        return "**met**" if ok else "**not met**"

    w("\n## Targets of issue 17 (ratios from this run)\n")
    w("| # | target | measured | verdict |")
    w("|---|---|---|---|")
    o, n = g("scale-run", OLD), g("scale-run", NEW)
    srss = g("scale-run", NEW, "rss_max_kib")
    if o and n:
        w(f"| 1 | {corpus['scale_refs']:,}-reference run ≥ 3× faster than before | {fmt_s(o)} → {fmt_s(n)}: "
          f"{o / n:.2f}× | {verdict(o / n >= 3)} |")
    if srss:
        w(f"| 1 | … with peak RSS ≤ 64 MiB | {srss / 1024:.1f} MiB | {verdict(srss <= 64 * 1024)} |")
    o, n = g("cold", OLD), g("cold", NEW)
    if o and n:
        w(f"| 1 | cold archive (scenario 1) ≥ 1.5× faster than before | {fmt_s(o)} → {fmt_s(n)}: {o / n:.2f}× "
          f"| {verdict(o / n >= 1.5)} |")
    n, ar = g("small", NEW), g("small", "aria2c")
    if n and ar:
        w(f"| 1 | {corpus.get('small_images', 0):,} small distinct images within 2× of `aria2c` without fsync "
          f"| linkvault {fmt_s(n)} vs aria2c {fmt_s(ar)}: {n / ar:.2f}× as long (before: "
          f"{(g('small', OLD) or 0) / ar:.2f}×) | {verdict(n <= 2 * ar)} |")
    n, dd = g("big", NEW), g("big", "dd-fsync")
    brss = g("big", NEW, "rss_max_kib")
    if n and dd:
        w(f"| 2 | {big_mib} MiB body within 10% of `dd conv=fsync` | linkvault {fmt_s(n)} vs dd {fmt_s(dd)}: "
          f"{n / dd:.2f}× as long ({big_mib / n:.0f} vs {big_mib / dd:.0f} MiB/s; before: "
          f"{(g('big', OLD) or 0) / dd:.2f}×) | {verdict(n <= 1.10 * dd)} |")
    if brss:
        w(f"| 2 | … with peak RSS ≤ 64 MiB | {brss / 1024:.1f} MiB | {verdict(brss <= 64 * 1024)} |")
    w("| 2 | the same on the S3 backend | not part of this run: `bench/s3.sh` → `bench/S3.md` | – |")
    nginx_rps = sv("file", "nginx")
    for endpoint, what in (("file", "`/objects/HASH`"), ("memento", "memento")):
        n = sv(endpoint, NEW)
        if n and nginx_rps:
            w(f"| 3 | {what} ≥ 50% of nginx's requests/s on the same file | {fmt_rate(n)} vs "
              f"{fmt_rate(nginx_rps)} req/s = {100 * n / nginx_rps:.0f}% (before: "
              f"{100 * (sv(endpoint, OLD) or 0) / nginx_rps:.0f}%); p99 {fmt_ms(sv(endpoint, NEW, 'p99'))} vs "
              f"nginx {fmt_ms(sv('file', 'nginx', 'p99'))} | {verdict(n >= 0.5 * nginx_rps)} |")
    for endpoint, what in (("timemap", "TimeMap"), ("timegate", "TimeGate")):
        n, p = sv(endpoint, NEW), sv(endpoint, "pywb")
        if n and p:
            w(f"| 3 | {what} ≥ 20× pywb's requests/s | {fmt_rate(n)} vs {fmt_rate(p)} req/s = {n / p:.1f}× "
              f"(before: {(sv(endpoint, OLD) or 0) / p:.1f}×); p99 {fmt_ms(sv(endpoint, NEW, 'p99'))} vs pywb "
              f"{fmt_ms(sv(endpoint, 'pywb', 'p99'))} | {verdict(n >= 20 * p)} |")
    if scale_md:
        w("| 4 | ten times the archive | see \"Ten times the archive\" | see there |")
    else:
        w("| 4 | ten times the archive | not measured in this run (`SCALE10=1 bench/run.sh`, or "
          "`bench/scale.sh`) | – |")
    if rescued.get(NEW) and g("rescue", NEW):
        r = rescued[NEW]
        net = rescue_rate(NEW, True)
        old_rate = rescue_rate(OLD)
        w(f"| 5 | rescue lookups per second against a local pywb, politeness off | "
          f"**{fmt_rate(rescue_rate(NEW))}/s** ({r['rescued']:,} of {r['dead']:,} rescued in "
          f"{fmt_s(g('rescue', NEW))}" + (f"; net of a run's fixed costs {fmt_rate(net)}/s" if net else "")
          + (f"; before: {fmt_rate(old_rate)}/s" if old_rate else "") + ") | measured |")
    if a.render_md and os.path.exists(a.render_md):
        text = open(a.render_md).read()
        m = re.search(r"\*\*([\d.,]+)\*\*", text)
        src = ("`bench/RENDER.md` (from `bench/render.sh`, not this run)"
               if os.path.abspath(a.render_md) == os.path.join(here, "RENDER.md") else "this run's `bench/render.sh`")
        if m:
            w(f"| 5 | rendered pages per minute (Chromium) | **{m.group(1)}** pages/min, {src} | measured |")
    af, afo = g("extract", "linkvault-all-forms"), g("extract", "linkvault-old-all-forms")
    if af:
        w(f"| 5 | extraction with the structured-data forms | **{mb / af:.0f} MB/s** (every form on, JSON out; "
          f"default forms {mb / (g('extract', NEW) or af):.0f} MB/s"
          + (f"; before: {mb / afo:.0f} MB/s" if afo else "") + ") | measured |")
    if a.quick == "1":
        w("\nQUICK mode: sizes are reduced, so these verdicts only show the harness works.")

    # ------------------------------------------------------------------ the first round's targets
    w("\n### The first round's targets (still checked)\n")
    w("| # | target | measured | verdict |")
    w("|---|---|---|---|")
    lv = g("cold", NEW)
    dls = {l: g("cold", l) for l in order.get("cold", []) if not l.startswith("linkvault")}
    dls = {k: v for k, v in dls.items() if v}
    if lv and dls:
        best = min(dls, key=dls.get)
        w(f"| 1 | cold archive ≤ best downloader + sha256sum | linkvault {fmt_s(lv)} vs `{best}` "
          f"{fmt_s(dls[best])} (linkvault takes {lv / dls[best]:.2f}× as long) | {verdict(lv <= dls[best])} |")
    rl, ly = g("recheck", NEW), g("recheck", "lychee")
    cold_b, re_b = g("cold", NEW, "bytes"), g("recheck", NEW, "bytes")
    if rl and ly:
        w(f"| 2a | recheck ≤ lychee | linkvault {fmt_s(rl)} vs lychee {fmt_s(ly)} "
          f"({rl / ly:.2f}×) | {verdict(rl <= ly)} |")
    if cold_b and re_b:
        pct = 100 * re_b / cold_b
        w(f"| 2b | recheck bytes ≤ 2% of cold | {fmt_bytes(re_b)} of {fmt_bytes(cold_b)} = {pct:.2f}% "
          f"| {verdict(pct <= 2)} |")
    el, ed = g("extract", NEW), g("extract", "lychee-dump")
    if el and ed:
        w(f"| 3 | extract ≥ 2× lychee --dump throughput | {ed / el:.2f}× ({mb / el:.1f} vs {mb / ed:.1f} MB/s) "
          f"| {verdict(ed / el >= 2)} |")
    bl, bc = g("big", NEW), g("big", "curl-o")
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
    if srss:
        w(f"| 5 | {corpus['scale_refs']} references in one run, peak RSS ≤ 200 MiB | {srss / 1024:.1f} MiB "
          f"in {fmt_s(g('scale-run', NEW))} | {verdict(srss <= 200 * 1024)} |")

    # ------------------------------------------------------------------ settings, commands
    w("\n## Settings\n")
    c = a.concurrency
    w(f"- Politeness is set equal everywhere: {c} requests in flight (`CONCURRENCY`), all to the one host "
      f"127.0.0.1, no per-host interval. linkvault: `concurrency = per_host_concurrency = {c}`, "
      f"`per_host_interval = \"0s\"`; aria2c `-j {c} --max-connection-per-server=1` (and "
      f"`--auto-save-interval=0`: no control file written during the downloads); curl "
      f"`--parallel-max {c}`; lychee `--max-concurrency {c} --host-concurrency {c} --host-request-interval 0s`.")
    w("- linkvault (old and new, the same config files): `allow_private = true` (required for 127.0.0.1), "
      "`soft404_probe = true` (the default: one made-up sibling URL per site section per run, a handful of "
      "extra 404 requests), `retries = 2`, `[video] enabled = false` (no yt-dlp), `[render] enabled = false` "
      "(no Chromium), `[rescue] enabled = false` (no web-archive lookups of the 404s) except in scenario 8; "
      "`whole_page = false` except `linkvault-whole-page` and `*-all-forms` in scenario 3, which extract "
      "from the whole page as lychee does.")
    w("- Downloaders do not save 404 bodies (curl `--fail`, aria2c by default); linkvault keeps the "
      "404 page as evidence (one object, deduplicated). Their exit code is non-zero because of the 404s.")
    w("- lychee: no cache (`--cache` not given), `--max-retries 0`, `--accept 100..=599` so the 404s do "
      "not change the work. It sends plain GETs (no If-None-Match); the bytes column shows how much of the bodies nginx got to send it.")
    w("- Scenario 3: the tools tokenize files on all cores (their CPU time exceeds their wall time). Without `--base-url`, lychee warns about (and drops) root-relative links "
      "in these saved pages; its warnings go to stderr, which hyperfine discards.")
    w("- nginx: static files with its default ETag/Last-Modified (conditional GETs get 304), "
      "`sendfile on`, `worker_processes auto`, keep-alive; on the same 2 cores as the clients.")
    w("- Scenario 7: wrk keeps its connections alive; `serve` runs with `-q` (no access log) and nginx's "
      "server for the archive logs nothing either. pywb: `wayback` (gevent, one process) with "
      "`enable_memento: true`, the collection built by `wb-manager add` from linkvault's own WARC export.")
    w("- Scenario 8: `[rescue] timegates = [\"http://127.0.0.1:PORT/dead/\"]` (pywb), `per_run` above the "
      "number of references, the same fetch politeness as everywhere (no interval, "
      f"{c} at once); pywb answers TimeGate requests 200-style with a `Link` header naming the memento.")
    w("- Times include `bench/measure.sh` (bash + GNU time + a log offset; ~10–30 ms) for scenarios 1, 2, "
      "4, 5a, 6 and 8; scenarios 3 and 5b are timed bare (hyperfine subtracts its shell spawn) and their peak "
      "RSS comes from one extra run under GNU time.")
    w("\n## Exact commands\n")
    w("`$WORK` is the temporary work directory, `$REPO` this repository, `$LV` the linkvault under test, "
      "`$LV_OLD` the previous one; configs are written by `bench/run.sh`.")
    canon = ["cold", "recheck", "extract", "big", "scale-run", "scale-db", "small", "serve", "rescue"]
    if serve_cmds:
        commands["serve"] = None
    for scen, cmds in sorted(commands.items(), key=lambda kv: canon.index(kv[0]) if kv[0] in canon else 99):
        if scen == "serve":
            w("\n**serve** (wrk against each URL, one at a time)\n")
            w("```sh")
            for k, v in serve_cmds.items():
                w(f"# {k}")
                w(show_cmd(v))
            for label, url in endpoint_urls.items():
                w(f"# {label}")
                w(f"{show_cmd(serve_cmds.get('wrk', 'wrk URL')).replace('URL', '')}{url}")
            w("```")
            continue
        w(f"\n**{scen}**\n")
        w("```sh")
        for label, prep, cmd in cmds:
            w(f"# {label}" + (f"   (prepare: {show_cmd(prep)})" if prep != "true" else ""))
            w(show_cmd(cmd))
        w("```")
    for name in ("lv-corpus.toml", "lv-rescue.toml"):
        cfg = os.path.join(work, name)
        if os.path.exists(cfg):
            text = open(cfg).read()
            text = re.sub(r"articles = \[\n(.*\n)*?\]", lambda m: "articles = [ ... the "
                          + str(m.group(0).count("\n") - 1) + " article URLs ... ]", text)
            w(f"\nlinkvault config (`$WORK/{name}`):\n\n```toml\n" + text.strip() + "\n```")

    w("\n## Machine\n\n```")
    w(open(os.path.join(R, "machine.txt")).read().strip())
    w("```")
    with open(a.out, "w") as f:
        f.write("\n".join(L) + "\n")


if __name__ == "__main__":
    main()
