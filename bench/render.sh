#!/usr/bin/env bash
# Rendered pages per minute (issue #14): real article pages of the shared corpus (181) read
# as saved files by `linkvault run`, rendered in headless Chromium (render.tabs pages at once,
# full-page screenshots) and, for comparison, not rendered. Not part of CI.
#
#   bench/render.sh              the first 60 pages, 1 run each, tabs = 2 (the default)
#   PAGES=181 RUNS=3 TABS=4 bench/render.sh
#   LV=BIN OUT=FILE bench/render.sh   that binary (no build), the report elsewhere (bench/run.sh)
#
# There is no network beyond loopback here: what the pages load from the web (scripts, styles,
# pictures) fails at once through the address-policy proxy, so this measures the browser's own
# work — parsing, layout, scripts that are inline, scrolling, screenshots — not the web's
# latency. `[filter]` excludes every reference in the timed runs, so only reading and
# rendering are timed.
# Writes bench/RENDER.md.
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$BENCH")
RUNS=${RUNS:-1}
PAGES=${PAGES:-60}
TABS=${TABS:-2}
REAL_HTML=${REAL_HTML:-/work/shared/corpus/real-articles/html}
OUT=${OUT:-$BENCH/RENDER.md}
WORK=$(mktemp -d /tmp/linkvault-render-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }
command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
# LV=BIN (bench/run.sh passes its binary): no build.
if [ -z "${LV:-}" ]; then
    (cd "$REPO" && cargo build --release --locked -q)
    LV=$REPO/target/release/linkvault
fi

mkdir -p "$WORK/real"
for f in $(ls "$REAL_HTML"/* | head -n "$PAGES"); do
    name=$(basename "$f" .gz)
    case $f in *.gz) gunzip -c "$f" >"$WORK/real/$name" ;; *) cp "$f" "$WORK/real/$name" ;; esac
done
PAGES=$(ls "$WORK/real" | wc -l)

for mode in on off; do
    enabled=$([ $mode = on ] && echo true || echo false)
    cat >"$WORK/$mode.toml" <<EOF
archive = "$WORK/archive-$mode"
[filter]
exclude = [".*"]
[rescue]
enabled = false
[video]
enabled = false
[render]
enabled = $enabled
tabs = $TABS
EOF
done

hyperfine -N -i --runs "$RUNS" --export-json "$WORK/times.json" \
    --prepare "rm -rf $WORK/archive-on" --prepare "rm -rf $WORK/archive-off" \
    -n rendered "$LV --config $WORK/on.toml run -q $(echo "$WORK"/real/*.html)" \
    -n static "$LV --config $WORK/off.toml run -q $(echo "$WORK"/real/*.html)" >&2

# What the last rendered run kept (each command's `--prepare` removes only its own archive).
DB="$WORK/archive-on/linkvault.db"
read -r SHOTS SHOT_BYTES UNSETTLED < <(python3 - "$DB" <<'EOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
print(*c.execute("SELECT count(*), coalesce(sum(bytes), 0), count(note) FROM article_captures WHERE role = 'screenshot'").fetchone())
EOF
)

python3 - "$WORK/times.json" "$PAGES" "$TABS" "$SHOTS" "$SHOT_BYTES" "$UNSETTLED" "$OUT" "$(chromium --version 2>/dev/null | head -1)" <<'EOF'
import json, sys
times, pages, tabs, shots, shot_bytes, unsettled, out, browser = sys.argv[1:]
pages, shots, shot_bytes = int(pages), int(shots), int(shot_bytes)
r = {x["command"]: x for x in json.load(open(times))["results"]}
on, off = r["rendered"], r["static"]
per_min = pages / on["median"] * 60
lines = [
    "# Rendered pages per minute",
    "",
    f"`bench/render.sh` — {pages} real article pages (shared corpus) read as saved files by",
    f"`linkvault run`, {browser}, `render.tabs = {tabs}`, {len(on['times'])} runs each (hyperfine, median).",
    "No network beyond loopback: what pages load from the web fails at once.",
    "",
    "| | median | min | max | pages per minute |",
    "|---|---|---|---|---|",
    f"| rendered (DOM, network, full-page screenshot) | {on['median']:.1f} s | {on['min']:.1f} s | {on['max']:.1f} s | **{per_min:.0f}** |",
    f"| static only (`render.enabled = false`) | {off['median']:.2f} s | {off['min']:.2f} s | {off['max']:.2f} s | {pages / off['median'] * 60:.0f} |",
    "",
    f"The last rendered run kept {shots} screenshots ({shot_bytes / shots / 1024:.0f} KiB on average); {unsettled} page(s) never went quiet within half of render.timeout." if shots else "No screenshot was kept.",
    "",
]
open(out, "w").write("\n".join(lines))
print("\n".join(lines))
EOF
