#!/usr/bin/env bash
# Ten times the archive (issue #17, target 4): the same generated archive at two sizes, timed.
#
#   bench/scale.sh --lv BIN [--lv-old BIN] --out FILE.md
#                  [--refs-small 1000000] [--refs-big 10000000] [--dir DIR] [--keep]
#                  [--rounds 3] [--runs 3] [--tmpdir DIR] [--no-dbstat]
#
# For each size it makes an archive folder (`BIN run -q` with no articles: linkvault's own
# schema), fills it with bench/gen_scale_db.py (5 checks per reference), and times with
# hyperfine (-N, --warmup 1, --runs RUNS, in ROUNDS calls whose command order rotates) on that
# database:
#   report-json       report --format json -o /dev/null
#   report-table      report (the default table), to /dev/null
#   history           history URL (a dead reference with a full history, cited twice)
#   run-nothing-due   run -q with nothing due (lists every reference not alive, as -q does)
#   run-idle          run with nothing due, default verbosity (no list): what a run costs
#   sqlite3-floor     sqlite3 itself writing the rows of report-json's "links" as the same
#                     JSON (json_object per row; checked identical on the small database)
# and, with --lv-old, report-json / history / run-nothing-due / run-idle of the old binary on
# the same data. The databases are made by the old binary then (the new one may migrate them),
# so the old binary runs on a copy of the small one, in the same hyperfine calls; a copy of
# the big one would not fit on most disks, so the old binary runs on it first, in calls of its
# own, and the new binary's first open (its migration, if any) is timed.
# Peak RSS comes from one more run of each command under GNU time; the database size per
# reference from the file and, per table and index, from SQLite's dbstat.
# Writes a Markdown section to FILE.md: settings, tables, and the targets with verdicts.
# Each database (~1.35 KB per reference: ~13.5 GB for 10,000,000) is deleted once measured
# unless --keep; DIR defaults to $TMPDIR/linkvault-scale (put it on a disk with room). Index
# builds (the generator's, a migration's) spill to --tmpdir (default: beside the database).
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$BENCH")
LV= LV_OLD= OUT= KEEP=0 DBSTAT=1 SPILL=
SMALL=1000000 BIG=10000000 ROUNDS=3 RUNS=3
DIR=${TMPDIR:-/tmp}/linkvault-scale
usage() { sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
    case $1 in
        --lv) LV=$2; shift 2 ;;
        --lv-old) LV_OLD=$2; shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        --refs-small) SMALL=$2; shift 2 ;;
        --refs-big) BIG=$2; shift 2 ;;
        --dir) DIR=$2; shift 2 ;;
        --rounds) ROUNDS=$2; shift 2 ;;
        --runs) RUNS=$2; shift 2 ;;
        --keep) KEEP=1; shift ;;
        --tmpdir) SPILL=$2; shift 2 ;;
        --no-dbstat) DBSTAT=0; shift ;;
        *) usage ;;
    esac
done
[ -n "$LV" ] && [ -n "$OUT" ] || usage
LV=$(realpath "$LV")
[ -z "$LV_OLD" ] || LV_OLD=$(realpath "$LV_OLD")
for tool in hyperfine sqlite3 python3; do
    command -v $tool >/dev/null || { echo "scale.sh: $tool is missing" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "scale.sh: GNU time (/usr/bin/time) is missing" >&2; exit 1; }

say() { printf '\n== %s\n' "$*" >&2; }
mkdir -p "$DIR"
DIR=$(realpath "$DIR")
RES=$DIR/results
rm -rf "$RES" && mkdir -p "$RES"
LOAD_START=$(cat /proc/loadavg)

# The configuration of bench/run.sh's idle runs: no articles, nothing to fetch.
CONF=$DIR/lv-none.toml
cat >"$CONF" <<'EOF'
articles = [
]

[extract]
whole_page = false
include_links = true

[fetch]
concurrency = 16
per_host_concurrency = 16
per_host_interval = "0s"
allow_private = true
soft404_probe = true
retries = 2

[video]
enabled = false
EOF

# The floor: the rows of `report --format json`'s "links" (every current reference not alive,
# in id order, with its citing articles and its snapshot) written as the same JSON by SQLite.
FLOOR=$DIR/floor.sql
cat >"$FLOOR" <<'EOF'
SELECT json_object(
  'articles', (SELECT json_group_array(COALESCE(a.url, a.source)) FROM citations c
               JOIN articles a ON a.id = c.article_id WHERE c.ref_id = r.id),
  'checks', r.checks,
  'confirmed', json(CASE WHEN r.confirmed THEN 'true' ELSE 'false' END),
  'dead_since', strftime('%Y-%m-%dT%H:%M:%SZ', r.dead_since, 'unixepoch'),
  'final_url', r.final_url,
  'first_seen', strftime('%Y-%m-%dT%H:%M:%SZ', r.first_seen, 'unixepoch'),
  'http_status', r.http_status,
  'kind', r.kind,
  'last_alive', strftime('%Y-%m-%dT%H:%M:%SZ', r.last_alive, 'unixepoch'),
  'last_checked', strftime('%Y-%m-%dT%H:%M:%SZ', r.last_checked, 'unixepoch'),
  'reason', r.reason,
  'snapshot', CASE WHEN s.sha256 IS NOT NULL THEN json_object(
      'bytes', s.bytes,
      'captured_at', strftime('%Y-%m-%dT%H:%M:%SZ', s.captured_at, 'unixepoch'),
      'content_type', s.content_type,
      'origin', s.origin,
      'sha256', s.sha256) END,
  'state', r.state,
  'url', r.url,
  'video', r.video_status)
FROM refs r LEFT JOIN snapshots s ON s.id = r.good_snapshot
WHERE r.state != 'alive' AND r.retired_at IS NULL
ORDER BY r.id;
EOF

# rounds NAME  LABEL CMD [LABEL CMD]...: ROUNDS hyperfine calls, the command order rotated by
# one each call, RUNS runs of each after one warmup; exports NAME-rN.json.
rounds() {
    local name=$1 labels=() cmds=() r i j n
    shift
    while [ $# -gt 0 ]; do labels+=("$1"); cmds+=("$2"); shift 2; done
    n=${#labels[@]}
    for ((r = 0; r < ROUNDS; r++)); do
        local args=()
        for ((j = 0; j < n; j++)); do
            i=$(((j + r) % n))
            args+=(-n "${labels[$i]}" "${cmds[$i]}")
        done
        say "$name: round $((r + 1))/$ROUNDS"
        hyperfine -N --warmup 1 --runs "$RUNS" --style basic \
            --export-json "$RES/$name-r$r.json" "${args[@]}" >&2
    done
}

# rss NAME LABEL CMD: the peak RSS of one more run, in KiB, to NAME.rss (label<TAB>KiB).
rss() {
    local kib
    /usr/bin/time -o "$RES/time.tmp" -f %M bash -c "$3 >/dev/null 2>&1" || true
    kib=$(tail -1 "$RES/time.tmp")
    printf '%s\t%s\n' "$2" "$kib" >>"$RES/$1.rss"
}

# The databases' schema is the old binary's when there is one: it cannot open a newer one.
INIT=${LV_OLD:-$LV}

measure() { # measure small|big REFS
    local size=$1 refs=$2
    local checks=$((refs * 5)) arch=$DIR/$size db=$DIR/$size/linkvault.db
    # Where SQLite spills sorts: the generator's index builds, linkvault's migrations.
    export SQLITE_TMPDIR=${SPILL:-$arch}
    local need=$((refs * 1400 / 1000000 + 500)) free # MiB: the database, its WAL, margin
    free=$(df -Pm "$DIR" | awk 'NR==2 {print $4}')
    if [ "$free" -lt "$need" ]; then
        echo "scale.sh: $size needs ~${need} MiB in $DIR, ${free} MiB free" >&2
        exit 1
    fi
    say "$size: generating $refs references, $checks checks in $arch"
    rm -rf "$arch" "$DIR/$size-old"
    "$INIT" --config "$CONF" --archive "$arch" run -q 2>/dev/null
    /usr/bin/time -o "$RES/$size.gen-time" -f '%e %M' \
        python3 "$BENCH/gen_scale_db.py" --db "$db" --refs "$refs" --checks "$checks" \
        --tmpdir "$SQLITE_TMPDIR" \
        | tee "$RES/$size.gen.log" >&2
    local url
    url=$(sed -n 's/^HISTORY_URL=//p' "$RES/$size.gen.log")
    echo "$url" >"$RES/$size.history-url"
    local lvs="$LV --config $CONF --archive $arch"
    local old=() olds=""
    if [ -n "$LV_OLD" ]; then
        olds="$LV_OLD --config $CONF --archive $arch"
        free=$(df -Pm "$DIR" | awk 'NR==2 {print $4}')
        if [ "$size" = small ] && [ "$free" -gt $(($(du -m "$db" | cut -f1) + need)) ]; then
            cp -a "$arch" "$DIR/$size-old"
            olds="$LV_OLD --config $CONF --archive $DIR/$size-old"
            old=(old-report-json "$olds report --format json -o /dev/null"
                old-history "$olds history $url"
                old-run-nothing-due "$olds run -q"
                old-run-idle "$olds run")
        else
            say "$size: the old binary first, on the database before the new binary opens it"
            rounds "$size-old" \
                old-report-json "$olds report --format json -o /dev/null" \
                old-history "$olds history $url" \
                old-run-nothing-due "$olds run -q" \
                old-run-idle "$olds run"
            rss "$size" old-report-json "$olds report --format json -o /dev/null"
            rss "$size" old-run-nothing-due "$olds run -q"
        fi
    fi
    # The new binary's first open: its migration, if the schema is older than its own.
    /usr/bin/time -o "$RES/$size.first-open" -f '%e %M' $lvs history "$url" >/dev/null
    sqlite3 -readonly "$db" 'PRAGMA user_version' >"$RES/$size.schema"
    if [ "$size" = small ]; then
        # The floor writes exactly the report's rows: checked here, byte for byte.
        $lvs report --format json | sed -n '4,$p' | sed '/^\],$/,$d' | sed 's/,$//' \
            | md5sum >"$RES/report-links.md5"
        sqlite3 -readonly "$db" ".read $FLOOR" | md5sum >"$RES/floor-links.md5"
    fi
    rounds "$size" \
        report-json "$lvs report --format json -o /dev/null" \
        sqlite3-floor "sqlite3 -readonly $db '.read $FLOOR'" \
        "${old[@]}" \
        report-table "$lvs report" \
        history "$lvs history $url" \
        run-nothing-due "$lvs run -q" \
        run-idle "$lvs run"
    say "$size: peak RSS"
    rss "$size" report-json "$lvs report --format json -o /dev/null"
    rss "$size" sqlite3-floor "sqlite3 -readonly $db '.read $FLOOR'"
    rss "$size" report-table "$lvs report"
    rss "$size" history "$lvs history $url"
    rss "$size" run-nothing-due "$lvs run -q"
    rss "$size" run-idle "$lvs run"
    if [ ${#old[@]} -gt 0 ]; then
        rss "$size" old-report-json "$olds report --format json -o /dev/null"
        rss "$size" old-run-nothing-due "$olds run -q"
    fi
    # Checkpointed first, so the file holds everything.
    sqlite3 "$db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
    stat -c %s "$db" >"$RES/$size.bytes"
    sqlite3 -readonly "$db" "SELECT (SELECT count(*) FROM refs), (SELECT count(*) FROM checks),
        (SELECT count(*) FROM articles), (SELECT count(*) FROM citations),
        (SELECT count(*) FROM snapshots), (SELECT count(*) FROM refs WHERE state != 'alive')" \
        >"$RES/$size.counts"
    if [ "$DBSTAT" = 1 ]; then
        say "$size: bytes per table and index (dbstat)"
        sqlite3 -readonly -separator $'\t' "$db" \
            "SELECT d.name, COALESCE(m.tbl_name, d.name), m.type, sum(d.pgsize)
             FROM dbstat d LEFT JOIN sqlite_schema m ON m.name = d.name
             GROUP BY d.name ORDER BY 4 DESC" >"$RES/$size.dbstat"
    fi
    rm -rf "$DIR/$size-old"
    [ "$KEEP" = 1 ] || rm -rf "$arch"
}

measure small "$SMALL"
measure big "$BIG"

{
    echo "uname: $(uname -srm); nproc: $(nproc); cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
    echo "memory: $(free -h | awk '/^Mem:/ {print $2 " total, " $7 " available"}')"
    echo "databases in $DIR: $(stat -f -c %T "$DIR"), $(df -h "$DIR" | awk 'NR==2 {print $2 " (" $4 " free at the end)"}')"
    echo "loadavg at start: $LOAD_START; at end: $(cat /proc/loadavg)"
    echo "linkvault: $("$LV" --version) ($(cd "$REPO" && git rev-parse --short HEAD 2>/dev/null || echo '?'))"
    [ -z "$LV_OLD" ] || echo "old linkvault: $("$LV_OLD" --version) ($LV_OLD)"
    echo "sqlite3: $(sqlite3 --version | cut -d' ' -f1); hyperfine: $(hyperfine --version | cut -d' ' -f2)"
} >"$RES/machine.txt"

python3 "$BENCH/scale_report.py" --res "$RES" --out "$OUT" --floor "$FLOOR" \
    --rounds "$ROUNDS" --runs "$RUNS" --lv "$LV" ${LV_OLD:+--lv-old "$LV_OLD"} \
    --small "$SMALL" --big "$BIG" --dir "$DIR"
say "wrote $OUT"
