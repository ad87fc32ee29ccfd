#!/usr/bin/env bash
# linkvault benchmark: one command, not part of CI.
#
#   bench/run.sh            full run (~10–15 min once the tools are installed, 2 cores)
#   QUICK=1 bench/run.sh    smoke run (small corpus, 1–2 rounds, ~1–3 min)
#   KEEP=1 bench/run.sh     keep the work directory (corpus, archives, logs) afterwards
#   LV_NEW=BIN              use this linkvault instead of building the repository's
#   LV_OLD=BIN              the code before this round of optimisation (default
#                           /work/bench-old/linkvault; built from OLD_REV if missing)
#   RENDER=1                also run bench/render.sh (minutes); otherwise RENDER.md is quoted
#   SCALE10=1               also run bench/scale.sh (10,000,000 references; issue 17 target 4)
#
# Installs what it compares against (nginx, aria2, hyperfine, wrk, GNU time from Debian; lychee
# with `cargo install`; pywb in a Python venv), builds linkvault, generates a deterministic corpus
# (bench/gen_corpus.py), serves it with nginx on 127.0.0.1, runs linkvault, the previous
# linkvault (`linkvault-old`) and each contender in alternation (hyperfine, one run per command
# per round, the order rotated every round), measures `serve` against nginx and pywb with wrk,
# and writes bench/RESULTS.md (bench/report.py). Every size and count below can be overridden
# from the environment.
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$BENCH")
QUICK=${QUICK:-0}

if [ "$QUICK" = 1 ]; then
    d_articles=60 d_video=32 d_big=128 d_rounds=2 d_extract_rounds=3 d_scale_run=10000
    d_db_refs=100000 d_db_checks=500000 d_db_runs=5
    d_small=1000 d_small_rounds=1 d_rescue=100 d_rescue_rounds=1 d_wrk=2s
else
    d_articles=500 d_video=256 d_big=1024 d_rounds=5 d_extract_rounds=10 d_scale_run=100000
    d_db_refs=1000000 d_db_checks=5000000 d_db_runs=10
    d_small=10000 d_small_rounds=5 d_rescue=1000 d_rescue_rounds=3 d_wrk=8s
fi
ARTICLES=${ARTICLES:-$d_articles}          # corpus articles
REFS=${REFS:-25}                           # references per article
IMAGES=${IMAGES:-1500}                     # shared image pool
SOURCES=${SOURCES:-300}                    # cited source pages
VIDEO_MIB=${VIDEO_MIB:-$d_video}           # the video cited by every 25th article
BIG_MIB=${BIG_MIB:-$d_big}                 # the big-media file (target 4)
ROUNDS=${ROUNDS:-$d_rounds}                # rounds of the network scenarios
EXTRACT_ROUNDS=${EXTRACT_ROUNDS:-$d_extract_rounds}
SCALE_RUN_REFS=${SCALE_RUN_REFS:-$d_scale_run}   # references in the one-run scale scenario
SCALE_RUN_ROUNDS=${SCALE_RUN_ROUNDS:-1}
DB_REFS=${DB_REFS:-$d_db_refs}             # the generated database (target 5)
DB_CHECKS=${DB_CHECKS:-$d_db_checks}
DB_RUNS=${DB_RUNS:-$d_db_runs}             # hyperfine runs per database query
SMALL_IMAGES=${SMALL_IMAGES:-$d_small}     # small distinct images (issue 17 target 1)
SMALL_ROUNDS=${SMALL_ROUNDS:-$d_small_rounds}
RESCUE_REFS=${RESCUE_REFS:-$d_rescue}      # dead references pywb holds a copy of (target 5)
RESCUE_ROUNDS=${RESCUE_ROUNDS:-$d_rescue_rounds}
WRK_THREADS=${WRK_THREADS:-2}              # serve (target 3): wrk -t -c -d
WRK_CONNECTIONS=${WRK_CONNECTIONS:-64}
WRK_DURATION=${WRK_DURATION:-$d_wrk}
SERVE_ROUNDS=${SERVE_ROUNDS:-1}            # wrk runs per endpoint (order rotated every round)
CONCURRENCY=${CONCURRENCY:-16}             # in flight at once, in every tool, all to one host
PORT=${PORT:-18437}                        # nginx; +1 nginx on the archive, +2/+3 serve new/old, +4 pywb
REAL_HTML=${REAL_HTML:-/work/shared/corpus/real-articles/html}
OUT=${OUT:-$BENCH/RESULTS.md}
OLD_REV=${OLD_REV:-$(cat /work/bench-old/REV 2>/dev/null || echo ebe449c)}
LV_OLD=${LV_OLD:-/work/bench-old/linkvault}
VENV=${LINKVAULT_CI_VENV:-$HOME/.cache/linkvault-ci/venv}   # pywb (what .ci/run installs)
RENDER=${RENDER:-0}
SCALE10=${SCALE10:-0}

LOAD_START=$(cat /proc/loadavg)
say() { printf '\n== %s\n' "$*" >&2; }

# ---------------------------------------------------------------- tools (idempotent)
install_tools() {
    local missing=()
    command -v nginx >/dev/null || missing+=(nginx)
    command -v aria2c >/dev/null || missing+=(aria2)
    command -v hyperfine >/dev/null || missing+=(hyperfine)
    command -v curl >/dev/null || missing+=(curl)
    command -v wrk >/dev/null || missing+=(wrk)
    [ -x /usr/bin/time ] || missing+=(time)
    if [ ${#missing[@]} -gt 0 ]; then
        say "installing ${missing[*]} (apt)"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
    if ! command -v lychee >/dev/null; then
        say "installing lychee (cargo install lychee --locked; several minutes on 2 cores)"
        cargo install lychee --locked
    fi
    if [ ! -x "$VENV/bin/wayback" ] || [ ! -x "$VENV/bin/wb-manager" ]; then
        say "installing pywb (pip, in $VENV)"
        [ -x "$VENV/bin/pip" ] || python3 -m venv "$VENV"
        "$VENV/bin/pip" install --quiet --disable-pip-version-check "$(grep '^pywb==' "$REPO/.ci/requirements.txt" || echo pywb)"
    fi
}
export PATH="$HOME/.cargo/bin:$PATH"
install_tools

# The code under test: LV_NEW, else the repository built now.
if [ -n "${LV_NEW:-}" ]; then
    LV=$LV_NEW
    LV_REV="given as LV_NEW=$LV_NEW"
else
    say "building linkvault (release)"
    (cd "$REPO" && cargo build --release --quiet)
    LV="$REPO/target/release/linkvault"
    # What was built (taken now: the tree may change while the benchmark runs).
    LV_REV="$(cd "$REPO" && git rev-parse --short HEAD 2>/dev/null)$(cd "$REPO" && git diff --quiet HEAD -- src Cargo.toml Cargo.lock 2>/dev/null || echo ' + uncommitted changes in src/')"
fi
# The code before this round: LV_OLD, else built once from OLD_REV into a cache folder.
if [ ! -x "$LV_OLD" ]; then
    echo "no linkvault at LV_OLD=$LV_OLD: using one built from OLD_REV=$OLD_REV" >&2
    old_dir=${XDG_CACHE_HOME:-$HOME/.cache}/linkvault-bench/old-$OLD_REV
    LV_OLD=$old_dir/linkvault
    if [ ! -x "$LV_OLD" ]; then
        say "building the previous linkvault ($OLD_REV) in $old_dir"
        rm -rf "$old_dir/src" && mkdir -p "$old_dir/src"
        git -C "$REPO" archive "$OLD_REV" | tar -x -C "$old_dir/src"
        (cd "$old_dir/src" && CARGO_TARGET_DIR=$old_dir/target cargo build --release --locked --quiet)
        cp "$old_dir/target/release/linkvault" "$LV_OLD"
        printf '%s\n' "$OLD_REV" >"$old_dir/REV"
    fi
fi
# The old binary's revision: the REV file beside it (as in /work/bench-old), else unknown.
LV_OLD_REV=$(cat "$(dirname "$LV_OLD")/REV" 2>/dev/null || echo "revision unknown (no REV file beside it)")

# ---------------------------------------------------------------- work directory, corpus
WORK=${BENCH_WORK:-$(mktemp -d "${TMPDIR:-/tmp}/linkvault-bench.XXXXXX")}
mkdir -p "$WORK"/{nginx/logs,nginx/tmp,state,results,real}
ST=$WORK/state RES=$WORK/results LISTS=$WORK/corpus/lists
EVENTS=$RES/events.tsv ACCESS=$WORK/nginx/logs/access.log
: >"$EVENTS"
: >"$RES/commands.tsv"
mkdir -p "$RES/wrk"
BASE="http://127.0.0.1:$PORT"
OBJ_PORT=$((PORT + 1)) SERVE_PORT=$((PORT + 2)) SERVE_OLD_PORT=$((PORT + 3)) PYWB_PORT=$((PORT + 4))
SERVE_PID="" SERVE_OLD_PID="" PYWB_PID=""

stop_pid() { # stop_pid PID: the servers this script started, by their id
    if [ -n "$1" ] && kill -0 "$1" 2>/dev/null; then
        kill "$1" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
        kill -9 "$1" 2>/dev/null || true
    fi
}
drop() { # drop PATH...: scratch state no later scenario needs (kept with KEEP=1)
    [ "${KEEP:-0}" = 1 ] || rm -rf "$@"
}
# aside DIR [mkdir]: a --prepare step that moves DIR (the last round's archive) aside instead of
# deleting it; the scenario drops every DIR.aside-* at its end and then cools down. Used where a
# round makes thousands of small files (small images, the 100,000-reference run); the cold
# archive's rounds (3,000 files, 340 MiB each) would fill the disk, and delete few inodes. On a
# journal-less ext4 (this VM), inodes freed within the last minute are skipped one by one while
# new ones are allocated (recently_deleted): right after deleting 100,000 files, that was 17–35%
# of a 100,000-object run's samples, for the old binary and the new alike. A cron job does not
# delete an archive's worth of files just before it runs.
aside() {
    printf '{ [ ! -e %s ] || mv %s %s.aside-$(date +%%s%%N); }%s && sync' \
        "$1" "$1" "$1" "${2:+ && mkdir -p $1}"
}
# cool_down: after dropping many files, wait until their inodes are no longer "recently deleted"
# (60 s once written back) so the next scenario does not pay for this one's deletes.
cool_down() {
    [ "${KEEP:-0}" = 1 ] && return 0
    sync
    say "cooling down 65 s (ext4 skips inodes freed within the last 60 s)"
    sleep 65
}
cleanup() {
    stop_pid "$SERVE_PID"
    stop_pid "$SERVE_OLD_PID"
    stop_pid "$PYWB_PID"
    if [ -f "$WORK/nginx/nginx.pid" ]; then
        nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -s stop 2>/dev/null || true
    fi
    if [ "${KEEP:-0}" != 1 ] && [ -z "${BENCH_WORK:-}" ]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "generating the corpus in $WORK/corpus"
python3 "$BENCH/gen_corpus.py" --out "$WORK/corpus" --base "$BASE" --articles "$ARTICLES" \
    --refs "$REFS" --images "$IMAGES" --sources "$SOURCES" --video-mib "$VIDEO_MIB" \
    --big-mib "$BIG_MIB" --scale-refs "$SCALE_RUN_REFS" --small-images "$SMALL_IMAGES" \
    --rescue-refs "$RESCUE_REFS" >/dev/null
corpus_get() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$WORK/corpus/corpus.json" "$1"; }
for f in "$REAL_HTML"/*.html.gz; do gunzip -c "$f" >"$WORK/real/$(basename "$f" .gz)"; done

# ---------------------------------------------------------------- nginx on 127.0.0.1
cat >"$WORK/nginx/nginx.conf" <<EOF
user root;
worker_processes auto;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65;
    keepalive_requests 1000000;
    client_body_temp_path $WORK/nginx/tmp/body;
    proxy_temp_path $WORK/nginx/tmp/proxy;
    fastcgi_temp_path $WORK/nginx/tmp/fastcgi;
    uwsgi_temp_path $WORK/nginx/tmp/uwsgi;
    scgi_temp_path $WORK/nginx/tmp/scgi;
    # One line per request: what report.py sums per run ("-" = no If-None-Match sent).
    log_format bench '\$status \$bytes_sent \$body_bytes_sent "\$http_if_none_match" \$request_uri';
    access_log $WORK/nginx/logs/access.log bench;
    server {
        listen 127.0.0.1:$PORT;
        root $WORK/corpus/www;
        # Static files: ETag and Last-Modified on (nginx's default), conditional GETs get 304,
        # anything missing is a real 404. /t/N answers 200 with a distinct small body (the
        # 100,000-reference scale scenario); /t-gone/N is not there.
        location /t/ { default_type text/plain; return 200 "reference \$uri\n"; }
    }
    server {
        # The serve scenario's reference: the same object file, from linkvault's archive folder
        # (objects/ab/cdef...), sent by nginx with sendfile. No access log (serve runs with -q).
        listen 127.0.0.1:$OBJ_PORT;
        root $ST/cold;
        access_log off;
    }
}
EOF
for p in "$PORT" "$OBJ_PORT" "$SERVE_PORT" "$SERVE_OLD_PORT" "$PYWB_PORT"; do
    if curl -s -o /dev/null "http://127.0.0.1:$p/"; then
        echo "port $p is already in use: set PORT=... (it uses PORT..PORT+4)" >&2
        exit 1
    fi
done
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf"
for _ in $(seq 50); do curl -s -o /dev/null "$BASE/a/big.html" && break; sleep 0.1; done

# ---------------------------------------------------------------- linkvault configs
# The same politeness everywhere: CONCURRENCY requests in flight, all to one host, no interval.
# Rescue (web-archive lookups) and rendering are off except where a scenario measures them: no
# lookup of the corpus's 404s in web.archive.org, no Chromium (render.enabled = "auto" would use
# one when installed).
lv_config() { # lv_config FILE ARTICLE_LIST [whole_page] [rescue TimeGate prefix]
    {
        printf 'articles = [\n'
        [ -n "$2" ] && sed 's/.*/  "&",/' "$2"
        printf ']\n\n[extract]\nwhole_page = %s\ninclude_links = true\n\n' "${3:-false}"
        cat <<EOF
[fetch]
concurrency = $CONCURRENCY
per_host_concurrency = $CONCURRENCY
per_host_interval = "0s"
allow_private = true
soft404_probe = true
retries = 2

[video]
enabled = false

[render]
enabled = false

EOF
        if [ -n "${4:-}" ]; then
            printf '[rescue]\nenabled = true\ntimegates = ["%s"]\nper_run = %s\n' "$4" "$((RESCUE_REFS + 100))"
        else
            printf '[rescue]\nenabled = false\n'
        fi
    } >"$1"
}
lv_config "$WORK/lv-corpus.toml" "$LISTS/articles.txt"
lv_config "$WORK/lv-big.toml" "$LISTS/big-article.txt"
lv_config "$WORK/lv-scale.toml" "$LISTS/scale-articles.txt"
lv_config "$WORK/lv-none.toml" ""
lv_config "$WORK/lv-whole.toml" "" true
lv_config "$WORK/lv-small.toml" "$LISTS/small-articles.txt"
lv_config "$WORK/lv-rescue-base.toml" "$LISTS/rescue-articles.txt"
lv_config "$WORK/lv-rescue.toml" "$LISTS/rescue-articles.txt" false "http://127.0.0.1:$PYWB_PORT/dead/"

# ---------------------------------------------------------------- the harness
# rounds SCENARIO N MEASURE  LABEL PREPARE CMD  [LABEL PREPARE CMD]...
# N rounds; each round is one hyperfine call running every command once, in an order rotated by
# one each round. MEASURE=1 wraps each command in bench/measure.sh (peak RSS, nginx log offset):
# ~10-30 ms of extra wall time, fine for runs of seconds. MEASURE=0 runs the command bare and
# takes its peak RSS from one extra run under /usr/bin/time afterwards.
rounds() {
    local scen=$1 n=$2 measure=$3
    shift 3
    local labels=() preps=() cmds=() i r j
    while [ $# -gt 0 ]; do labels+=("$1") preps+=("$2") cmds+=("$3"); shift 3; done
    local k=${#labels[@]}
    for ((i = 0; i < k; i++)); do
        printf '%s\t%s\t%s\t%s\n' "$scen" "${labels[i]}" "${preps[i]}" "${cmds[i]}" >>"$RES/commands.tsv"
    done
    for ((r = 0; r < n; r++)); do
        local args=()
        for ((i = 0; i < k; i++)); do
            j=$(((i + r) % k))
            local cmd=${cmds[j]}
            if [ "$measure" = 1 ]; then
                cmd="$BENCH/measure.sh $EVENTS $ACCESS $(printf %q "$scen/${labels[j]}") $(printf %q "$cmd")"
            fi
            args+=(--prepare "${preps[j]}" -n "${labels[j]}" "$cmd")
        done
        say "$scen: round $((r + 1))/$n"
        hyperfine -S bash --runs 1 --style basic --export-json "$RES/$scen-r$r.json" "${args[@]}" >&2
    done
    if [ "$measure" != 1 ]; then
        for ((i = 0; i < k; i++)); do
            bash -c "${preps[i]}"
            "$BENCH/measure.sh" "$EVENTS" "$ACCESS" "$scen/${labels[i]}" "${cmds[i]} >/dev/null 2>&1" || true
        done
    fi
}

# setup_run NAME CMD: an untimed run that prepares a scenario (its output in $WORK/setup-NAME.log,
# shown if it fails).
setup_run() {
    "$BENCH/measure.sh" "$EVENTS" "$ACCESS" "setup/$1" "$2 >$WORK/setup-$1.log 2>&1" || {
        tail -n 20 "$WORK/setup-$1.log" >&2
        echo "setup run $1 failed: $2" >&2
        exit 1
    }
}

C=$CONCURRENCY
LVC="$LV --config $WORK/lv-corpus.toml"
LVC_OLD="$LV_OLD --config $WORK/lv-corpus.toml"
CHECK_SHA="find . -type f -print0 | xargs -0 -n 64 -P 2 sha256sum >/dev/null"
LYCHEE_FLAGS="--no-progress --max-concurrency $C --host-concurrency $C --host-request-interval 0s --max-retries 0 --accept 100..=599 --timeout 30"
# --auto-save-interval=0: no .aria2 control file written while downloading (twice as fast here on
# many small files).
ARIA2_FLAGS="-j $C --max-connection-per-server=1 --split=1 --file-allocation=none --allow-overwrite=true --auto-file-renaming=false --max-tries=1 --auto-save-interval=0"

# 1. Cold archive vs. downloaders fetching the same unique URLs (articles + references) and
#    hashing them; the previous linkvault beside the new one.
rounds cold "$ROUNDS" 1 \
    linkvault-old "rm -rf $ST/cold-old && sync" \
    "$LVC_OLD --archive $ST/cold-old run -q" \
    linkvault "rm -rf $ST/cold && sync" \
    "$LVC --archive $ST/cold run -q" \
    "aria2c+sha256sum~" "rm -rf $ST/aria2 && mkdir -p $ST/aria2 && sync" \
    "cd $ST/aria2 && aria2c -q -i $LISTS/aria2.txt $ARIA2_FLAGS; $CHECK_SHA" \
    "curl+sha256sum~" "rm -rf $ST/curl && mkdir -p $ST/curl && sync" \
    "cd $ST/curl && curl -s --fail --parallel --parallel-immediate --parallel-max $C -K $LISTS/curl.cfg; $CHECK_SHA"
drop "$ST/aria2" "$ST/curl"

# 7. Serving (target 3), on the archives the last cold round left: a 100 KiB image of the corpus
#    from nginx (the object file itself), from `serve` (new and old, each on its own archive)
#    and from pywb replaying the WARC `export` wrote. wrk, one endpoint at a time.
IMG=$(corpus_get serve_image)
IMG_SHA=$(corpus_get serve_sha256)
IMG_ARTICLE=$(corpus_get serve_article)
wait_http() { # wait_http URL SECONDS
    local i
    for ((i = 0; i < $2 * 10; i++)); do
        curl -s -o /dev/null "$1" && return 0
        sleep 0.1
    done
    echo "nothing answered at $1 within $2 s" >&2
    return 1
}
for a in cold cold-old; do
    # ROUNDS=0 or a failed last round: an archive of our own to serve.
    if [ ! -f "$ST/$a/objects/${IMG_SHA:0:2}/${IMG_SHA:2}" ]; then
        bin=$LV
        [ $a = cold-old ] && bin=$LV_OLD
        rm -rf "${ST:?}/$a"
        "$bin" --config "$WORK/lv-corpus.toml" --archive "$ST/$a" run -q >/dev/null || true
    fi
done
say "serve: exporting $IMG_ARTICLE as a WARC for pywb; starting the servers"
"$LV" --config "$WORK/lv-none.toml" --archive "$ST/cold" export warc --article "$IMG_ARTICLE" \
    -o "$ST/lv-export.warc.gz" >&2
PYWB_ROOT=$WORK/pywb
mkdir -p "$PYWB_ROOT"
printf 'enable_memento: true\n' >"$PYWB_ROOT/config.yaml"
(cd "$PYWB_ROOT" && "$VENV/bin/wb-manager" init lv && "$VENV/bin/wb-manager" add lv "$ST/lv-export.warc.gz" \
    && "$VENV/bin/wb-manager" init dead && "$VENV/bin/wb-manager" add dead "$WORK/corpus/rescue/captures.warc.gz") \
    >"$WORK/pywb-manager.log" 2>&1 || echo "wb-manager failed: $WORK/pywb-manager.log" >&2
(cd "$PYWB_ROOT" && exec "$VENV/bin/wayback" -p "$PYWB_PORT" -b 127.0.0.1 >"$WORK/pywb.log" 2>&1) &
PYWB_PID=$!
"$LV" --config "$WORK/lv-none.toml" --archive "$ST/cold" serve --listen "127.0.0.1:$SERVE_PORT" -q \
    2>"$WORK/serve.log" &
SERVE_PID=$!
"$LV_OLD" --config "$WORK/lv-none.toml" --archive "$ST/cold-old" serve --listen "127.0.0.1:$SERVE_OLD_PORT" -q \
    2>"$WORK/serve-old.log" &
SERVE_OLD_PID=$!
wait_http "http://127.0.0.1:$SERVE_PORT/static/style.css" 30
wait_http "http://127.0.0.1:$SERVE_OLD_PORT/static/style.css" 30
PYWB_OK=1
if ! wait_http "http://127.0.0.1:$PYWB_PORT/" 90; then
    echo "pywb did not start (see below): no pywb contenders, no rescue scenario" >&2
    tail -n 20 "$WORK/pywb-manager.log" "$WORK/pywb.log" >&2 || true
    PYWB_OK=0
fi
S_NEW=http://127.0.0.1:$SERVE_PORT S_OLD=http://127.0.0.1:$SERVE_OLD_PORT PYWB=http://127.0.0.1:$PYWB_PORT
# The memento each server names for the image: its TimeGate's Location.
stamp_of() {
    curl -s -o /dev/null -w '%{redirect_url}' "$1/timegate/$IMG" |
        sed -n 's|^https\{0,1\}://[^/]*/\([0-9]\{14\}\)/.*|\1|p'
}
STAMP=$(stamp_of "$S_NEW")
STAMP_OLD=$(stamp_of "$S_OLD")
if [ -z "$STAMP" ] || [ -z "$STAMP_OLD" ]; then
    echo "serve: no memento of $IMG (the TimeGates named none)" >&2
    exit 1
fi
# endpoint/contender <TAB> URL
{
    printf 'file/nginx\thttp://127.0.0.1:%s/objects/%s/%s\n' "$OBJ_PORT" "${IMG_SHA:0:2}" "${IMG_SHA:2}"
    printf 'file/linkvault\t%s/objects/%s\n' "$S_NEW" "$IMG_SHA"
    printf 'file/linkvault-old\t%s/objects/%s\n' "$S_OLD" "$IMG_SHA"
    printf 'memento/linkvault\t%s/%s/%s\n' "$S_NEW" "$STAMP" "$IMG"
    printf 'memento/linkvault-old\t%s/%s/%s\n' "$S_OLD" "$STAMP_OLD" "$IMG"
    printf 'memento/pywb\t%s/lv/%sid_/%s\n' "$PYWB" "$STAMP" "$IMG"
    printf 'timemap/linkvault\t%s/timemap/link/%s\n' "$S_NEW" "$IMG"
    printf 'timemap/linkvault-old\t%s/timemap/link/%s\n' "$S_OLD" "$IMG"
    printf 'timemap/pywb\t%s/lv/timemap/link/%s\n' "$PYWB" "$IMG"
    printf 'timegate/linkvault\t%s/timegate/%s\n' "$S_NEW" "$IMG"
    printf 'timegate/linkvault-old\t%s/timegate/%s\n' "$S_OLD" "$IMG"
    printf 'timegate/pywb\t%s/lv/%s\n' "$PYWB" "$IMG"
} | { if [ "$PYWB_OK" = 1 ]; then cat; else grep -v '/pywb'$'\t'; fi; } >"$RES/serve-endpoints.tsv"
mapfile -t SERVE_LINES <"$RES/serve-endpoints.tsv"
: >"$RES/serve-checks.tsv"
for line in "${SERVE_LINES[@]}"; do
    label=${line%%$'\t'*} url=${line#*$'\t'}
    # One request first (warms pywb's index and every cache): its status, size and type go in
    # the report.
    printf '%s\t%s\n' "$label" "$(curl -s -o /dev/null -w '%{http_code}\t%{size_download}\t%{content_type}' "$url")" \
        >>"$RES/serve-checks.tsv"
done
n_serve=${#SERVE_LINES[@]}
for ((r = 0; r < SERVE_ROUNDS; r++)); do
    for ((i = 0; i < n_serve; i++)); do
        line=${SERVE_LINES[$(((i + r) % n_serve))]}
        label=${line%%$'\t'*} url=${line#*$'\t'}
        say "serve: round $((r + 1))/$SERVE_ROUNDS: $label ($WRK_DURATION)"
        wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"$WRK_DURATION" --latency "$url" \
            >"$RES/wrk/${label//\//__}-r$r.txt" 2>&1 || true
    done
done
# Peak RSS of each server over all of it (VmHWM).
for pair in "linkvault:$SERVE_PID" "linkvault-old:$SERVE_OLD_PID" "pywb:$PYWB_PID"; do
    printf '%s\t%s\n' "${pair%%:*}" \
        "$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/${pair#*:}/status" 2>/dev/null)"
done >"$RES/serve-rss.tsv"
stop_pid "$SERVE_PID"
SERVE_PID=""
stop_pid "$SERVE_OLD_PID"
SERVE_OLD_PID=""
{
    printf 'wrk\twrk -t%s -c%s -d%s --latency URL\n' "$WRK_THREADS" "$WRK_CONNECTIONS" "$WRK_DURATION"
    printf 'serve\t%s\n' "$LV --config $WORK/lv-none.toml --archive $ST/cold serve --listen 127.0.0.1:$SERVE_PORT -q"
    printf 'serve-old\t%s\n' "$LV_OLD --config $WORK/lv-none.toml --archive $ST/cold-old serve --listen 127.0.0.1:$SERVE_OLD_PORT -q"
    printf 'nginx\t%s\n' "server { listen 127.0.0.1:$OBJ_PORT; root $ST/cold; access_log off; }   # sendfile on, as for the corpus"
    printf 'export\t%s\n' "$LV --config $WORK/lv-none.toml --archive $ST/cold export warc --article $IMG_ARTICLE -o $ST/lv-export.warc.gz"
    printf 'pywb\t%s\n' "cd $PYWB_ROOT && wb-manager init lv && wb-manager add lv $ST/lv-export.warc.gz && wayback -p $PYWB_PORT -b 127.0.0.1   # config.yaml: enable_memento: true"
} >"$RES/serve-commands.tsv"

# 8. Rescue lookups (target 5) against pywb as a public web archive (collection "dead": the
#    originals of RESCUE_REFS references nginx answers 404 for), politeness off. Each round starts
#    from a copy of an archive that has already checked them with rescue off, so the timed run does
#    little but the lookups (and a run's fixed costs).
if [ "$PYWB_OK" = 1 ]; then
    say "rescue: checking $RESCUE_REFS dead references once with rescue off (new and old)"
    setup_run rescue-base "$LV --config $WORK/lv-rescue-base.toml --archive $ST/rescue-base run -q"
    setup_run rescue-base-old "$LV_OLD --config $WORK/lv-rescue-base.toml --archive $ST/rescue-base-old run -q"
    # "no-rescue" is the same run with rescue off: what a run costs without the lookups.
    rounds rescue "$RESCUE_ROUNDS" 1 \
        linkvault-old "rm -rf $ST/rescue-old && cp -a $ST/rescue-base-old $ST/rescue-old && sync" \
        "$LV_OLD --config $WORK/lv-rescue.toml --archive $ST/rescue-old run -q" \
        linkvault "rm -rf $ST/rescue && cp -a $ST/rescue-base $ST/rescue && sync" \
        "$LV --config $WORK/lv-rescue.toml --archive $ST/rescue run -q" \
        linkvault-no-rescue "rm -rf $ST/rescue-none && cp -a $ST/rescue-base $ST/rescue-none && sync" \
        "$LV --config $WORK/lv-rescue-base.toml --archive $ST/rescue-none run -q"
    # What the last round of each rescued (report.py counts the snapshots of origin "memento").
    for a in "rescue:linkvault:$LV" "rescue-old:linkvault-old:$LV_OLD"; do
        IFS=: read -r dir label bin <<<"$a"
        if [ -d "$ST/$dir" ]; then
            "$bin" --config "$WORK/lv-rescue.toml" --archive "$ST/$dir" report --all --format json \
                -o "$RES/rescue-report-$label.json" || true
        fi
    done
fi
stop_pid "$PYWB_PID"
PYWB_PID=""

# 2. Recheck of the unchanged corpus vs. lychee checking the same articles.
say "recheck: warming an archive (new and old)"
setup_run warm "$LVC --archive $ST/warm run -q"
setup_run warm-old "$LVC_OLD --archive $ST/warm-old run -q"
rounds recheck "$ROUNDS" 1 \
    linkvault-old "true" "$LVC_OLD --archive $ST/warm-old run -q --recheck" \
    linkvault "true" "$LVC --archive $ST/warm run -q --recheck" \
    "lychee~" "true" "lychee $LYCHEE_FLAGS \$(cat $LISTS/articles.txt) >/dev/null"

# 3. Extraction over real-world article HTML. Structured data (JSON-LD, microdata, og:/twitter:
#    meta, CSS url(), AMP and id-only players) has no switch: every contender reads it;
#    "all-forms" adds whole_page (links outside <article>) and the JSON output (place and kind of
#    every reference).
rounds extract "$EXTRACT_ROUNDS" 0 \
    linkvault-old "true" "$LV_OLD --config $WORK/lv-none.toml extract $WORK/real/*.html" \
    linkvault "true" "$LV --config $WORK/lv-none.toml extract $WORK/real/*.html" \
    "linkvault-whole-page" "true" "$LV --config $WORK/lv-whole.toml extract $WORK/real/*.html" \
    "linkvault-old-all-forms" "true" "$LV_OLD --config $WORK/lv-whole.toml extract --format json $WORK/real/*.html" \
    "linkvault-all-forms" "true" "$LV --config $WORK/lv-whole.toml extract --format json $WORK/real/*.html" \
    "lychee-dump~" "true" "lychee --dump --no-progress $WORK/real/*.html"

# 4. Big media over loopback, and what this disk can durably write (dd conv=fsync, same size).
rounds big "$ROUNDS" 1 \
    linkvault-old "rm -rf $ST/big-old && sync" "$LV_OLD --config $WORK/lv-big.toml --archive $ST/big-old run -q" \
    linkvault "rm -rf $ST/big && sync" "$LV --config $WORK/lv-big.toml --archive $ST/big run -q" \
    "dd-fsync" "rm -f $ST/big.dd && sync" "dd if=/dev/zero of=$ST/big.dd bs=1M count=$BIG_MIB conv=fsync status=none" \
    "curl-o" "rm -f $ST/big.bin && sync" "curl -s -o $ST/big.bin $BASE/media/big.bin" \
    "curl-o+sha256sum" "rm -f $ST/big.bin && sync" "curl -s -o $ST/big.bin $BASE/media/big.bin && sha256sum $ST/big.bin >/dev/null"
drop "$ST/big.dd" "$ST/big.bin" "$ST/big" "$ST/big-old"

# 6. Small distinct images (target 1): linkvault (durable) vs aria2c writing the same files
#    without any fsync.
rounds small "$SMALL_ROUNDS" 1 \
    linkvault-old "$(aside $ST/small-old)" "$LV_OLD --config $WORK/lv-small.toml --archive $ST/small-old run -q" \
    linkvault "$(aside $ST/small)" "$LV --config $WORK/lv-small.toml --archive $ST/small run -q" \
    "aria2c~" "$(aside $ST/small-aria2 mkdir)" \
    "cd $ST/small-aria2 && aria2c -q -i $LISTS/small-aria2.txt $ARIA2_FLAGS" \
    "curl~" "$(aside $ST/small-curl mkdir)" \
    "cd $ST/small-curl && curl -s --fail --parallel --parallel-immediate --parallel-max $C -K $LISTS/small-curl.cfg"
drop "$ST"/small*
cool_down

# 5a. Scale: one run over SCALE_RUN_REFS references.
rounds scale-run "$SCALE_RUN_ROUNDS" 1 \
    linkvault-old "$(aside $ST/scale-run-old)" "$LV_OLD --config $WORK/lv-scale.toml --archive $ST/scale-run-old run -q" \
    linkvault "$(aside $ST/scale-run)" "$LV --config $WORK/lv-scale.toml --archive $ST/scale-run run -q"
drop "$ST"/scale-run*
cool_down

# 5b. Scale: a generated database.
say "scale-db: generating $DB_REFS references, $DB_CHECKS checks"
"$LV" --config "$WORK/lv-none.toml" --archive "$ST/scale-db" run -q
python3 "$BENCH/gen_scale_db.py" --db "$ST/scale-db/linkvault.db" --refs "$DB_REFS" \
    --checks "$DB_CHECKS" | tee "$RES/scale-db.log" >&2
HISTORY_URL=$(sed -n 's/^HISTORY_URL=//p' "$RES/scale-db.log")
LVS="$LV --config $WORK/lv-none.toml --archive $ST/scale-db"
printf '%s\n' "$(du -sh "$ST/scale-db/linkvault.db" | cut -f1)" >"$RES/scale-db.size"
# Zero rounds: this only records the commands and takes each one's peak RSS; hyperfine below times them.
rounds scale-db 0 0 \
    "report-json" "true" "$LVS report --format json -o /dev/null" \
    "report-table" "true" "$LVS report" \
    "history" "true" "$LVS history $HISTORY_URL" \
    "run-nothing-due" "true" "$LVS run -q"
# hyperfine proper for these (single contender each, no shell): DB_RUNS runs after one warmup.
hyperfine -N --warmup 1 --runs "$DB_RUNS" --style basic --export-json "$RES/scale-db-many.json" \
    -n report-json "$LVS report --format json -o /dev/null" \
    -n report-table "$LVS report" \
    -n history "$LVS history $HISTORY_URL" \
    -n run-nothing-due "$LVS run -q" >&2
drop "$ST/scale-db"

# 9. Rendering (target 5): minutes of Chromium, so only with RENDER=1; otherwise the report
#    quotes bench/RENDER.md.
if [ "$RENDER" = 1 ]; then
    say "render: bench/render.sh"
    LV=$LV OUT="$RES/render.md" PAGES=${RENDER_PAGES:-$([ "$QUICK" = 1 ] && echo 10 || echo 60)} \
        bash "$BENCH/render.sh" >&2 || echo "bench/render.sh failed" >&2
fi

# 10. Ten times the archive (target 4): bench/scale.sh (its own script), with SCALE10=1.
if [ "$SCALE10" = 1 ]; then
    if [ -f "$BENCH/scale.sh" ]; then
        say "ten times the archive: bench/scale.sh"
        LV=$LV LV_OLD=$LV_OLD QUICK=$QUICK bash "$BENCH/scale.sh" --lv "$LV" --out "$RES/scale.md" >&2 ||
            echo "bench/scale.sh failed" >&2
    else
        echo "SCALE10=1, but there is no bench/scale.sh" >&2
    fi
fi

# ---------------------------------------------------------------- the report
say "writing $OUT"
{
    echo "uname -a: $(uname -a)"
    echo "nproc: $(nproc)"
    echo "cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
    echo "free -h:"
    free -h
    echo "disk: $(df -h "$WORK" | tail -1)"
    echo "loadavg at start: $LOAD_START; at end: $(cat /proc/loadavg) (other work on the machine competes for the 2 cores)"
    echo "linkvault: $LV_REV, $("$LV" --version)"
    echo "linkvault-old: $LV_OLD_REV, $("$LV_OLD" --version) ($LV_OLD)"
    echo "lychee: $(lychee --version)"
    echo "aria2c: $(aria2c --version | head -1)"
    echo "curl: $(curl --version | head -1)"
    echo "nginx: $(nginx -v 2>&1)"
    echo "wrk: $(wrk -v 2>&1 | head -1)"
    echo "pywb: $("$VENV/bin/python" -c 'import pywb; print(pywb.__version__)' 2>/dev/null || echo '?')"
    echo "hyperfine: $(hyperfine --version)"
} >"$RES/machine.txt"
du -sb "$WORK/real" | cut -f1 >"$RES/real-bytes"
ls "$WORK/real" | wc -l >"$RES/real-files"
SCALE_MD=${SCALE_MD:-$RES/scale.md}
RENDER_MD=$RES/render.md
[ -f "$RENDER_MD" ] || RENDER_MD=$BENCH/RENDER.md
python3 "$BENCH/report.py" --results "$RES" --access-log "$ACCESS" --corpus "$WORK/corpus/corpus.json" \
    --work "$WORK" --quick "$QUICK" --concurrency "$CONCURRENCY" --scale-md "$SCALE_MD" \
    --render-md "$RENDER_MD" --lv "$LV" --lv-old "$LV_OLD" --out "$OUT"
echo "wrote $OUT" >&2
