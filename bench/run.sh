#!/usr/bin/env bash
# linkvault benchmark: one command, not part of CI.
#
#   bench/run.sh            full run (~6–8 min once the tools are installed)
#   QUICK=1 bench/run.sh    smoke run (small corpus, 2 rounds)
#   KEEP=1 bench/run.sh     keep the work directory (corpus, archives, logs) afterwards
#
# Installs what it compares against (nginx, aria2, hyperfine, GNU time from Debian; lychee with
# `cargo install`), builds linkvault, generates a deterministic corpus (bench/gen_corpus.py),
# serves it with nginx on 127.0.0.1, runs linkvault and each contender in alternation (hyperfine,
# one run per command per round, the order rotated every round), and writes bench/RESULTS.md
# (bench/report.py). Every size and count below can be overridden from the environment.
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$BENCH")
QUICK=${QUICK:-0}

if [ "$QUICK" = 1 ]; then
    d_articles=60 d_video=32 d_big=128 d_rounds=2 d_extract_rounds=3 d_scale_run=10000
    d_db_refs=100000 d_db_checks=500000 d_db_runs=5
else
    d_articles=500 d_video=256 d_big=1024 d_rounds=5 d_extract_rounds=10 d_scale_run=100000
    d_db_refs=1000000 d_db_checks=5000000 d_db_runs=10
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
CONCURRENCY=${CONCURRENCY:-16}             # in flight at once, in every tool, all to one host
PORT=${PORT:-18437}
REAL_HTML=${REAL_HTML:-/work/shared/corpus/real-articles/html}
OUT=${OUT:-$BENCH/RESULTS.md}

LOAD_START=$(cat /proc/loadavg)
say() { printf '\n== %s\n' "$*" >&2; }

# ---------------------------------------------------------------- tools (idempotent)
install_tools() {
    local missing=()
    command -v nginx >/dev/null || missing+=(nginx)
    command -v aria2c >/dev/null || missing+=(aria2)
    command -v hyperfine >/dev/null || missing+=(hyperfine)
    command -v curl >/dev/null || missing+=(curl)
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
}
export PATH="$HOME/.cargo/bin:$PATH"
install_tools

say "building linkvault (release)"
(cd "$REPO" && cargo build --release --quiet)
LV="$REPO/target/release/linkvault"

# ---------------------------------------------------------------- work directory, corpus
WORK=${BENCH_WORK:-$(mktemp -d "${TMPDIR:-/tmp}/linkvault-bench.XXXXXX")}
mkdir -p "$WORK"/{nginx/logs,nginx/tmp,state,results,real}
ST=$WORK/state RES=$WORK/results LISTS=$WORK/corpus/lists
EVENTS=$RES/events.tsv ACCESS=$WORK/nginx/logs/access.log
: >"$EVENTS"
: >"$RES/commands.tsv"
BASE="http://127.0.0.1:$PORT"

cleanup() {
    if [ -f "$WORK/nginx/nginx.pid" ]; then
        nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -s stop 2>/dev/null || true
    fi
    if [ "${KEEP:-0}" != 1 ] && [ -z "${BENCH_WORK:-}" ]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT

say "generating the corpus in $WORK/corpus"
python3 "$BENCH/gen_corpus.py" --out "$WORK/corpus" --base "$BASE" --articles "$ARTICLES" \
    --refs "$REFS" --images "$IMAGES" --sources "$SOURCES" --video-mib "$VIDEO_MIB" \
    --big-mib "$BIG_MIB" --scale-refs "$SCALE_RUN_REFS" >/dev/null
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
}
EOF
if curl -s -o /dev/null "$BASE/"; then
    echo "port $PORT is already in use: set PORT=..." >&2
    exit 1
fi
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf"
for _ in $(seq 50); do curl -s -o /dev/null "$BASE/a/big.html" && break; sleep 0.1; done

# ---------------------------------------------------------------- linkvault configs
# The same politeness everywhere: CONCURRENCY requests in flight, all to one host, no interval.
lv_config() { # lv_config FILE ARTICLE_LIST [whole_page]
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
EOF
    } >"$1"
}
lv_config "$WORK/lv-corpus.toml" "$LISTS/articles.txt"
lv_config "$WORK/lv-big.toml" "$LISTS/big-article.txt"
lv_config "$WORK/lv-scale.toml" "$LISTS/scale-articles.txt"
lv_config "$WORK/lv-none.toml" ""
lv_config "$WORK/lv-whole.toml" "" true

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
            "$BENCH/measure.sh" "$EVENTS" "$ACCESS" "$scen/${labels[i]}" "${cmds[i]} >/dev/null" || true
        done
    fi
}

C=$CONCURRENCY
LVC="$LV --config $WORK/lv-corpus.toml"
CHECK_SHA="find . -type f -print0 | xargs -0 -n 64 -P 2 sha256sum >/dev/null"
LYCHEE_FLAGS="--no-progress --max-concurrency $C --host-concurrency $C --host-request-interval 0s --max-retries 0 --accept 100..=599 --timeout 30"

# 1. Cold archive vs. downloaders fetching the same unique URLs (articles + references) and
#    hashing them.
rounds cold "$ROUNDS" 1 \
    linkvault "rm -rf $ST/cold && sync" \
    "$LVC --archive $ST/cold run -q" \
    "aria2c+sha256sum~" "rm -rf $ST/aria2 && mkdir -p $ST/aria2 && sync" \
    "cd $ST/aria2 && aria2c -q -i $LISTS/aria2.txt -j $C --max-connection-per-server=1 --split=1 --file-allocation=none --allow-overwrite=true --auto-file-renaming=false --max-tries=1; $CHECK_SHA" \
    "curl+sha256sum~" "rm -rf $ST/curl && mkdir -p $ST/curl && sync" \
    "cd $ST/curl && curl -s --fail --parallel --parallel-immediate --parallel-max $C -K $LISTS/curl.cfg; $CHECK_SHA"

# 2. Recheck of the unchanged corpus vs. lychee checking the same articles.
say "recheck: warming an archive"
"$BENCH/measure.sh" "$EVENTS" "$ACCESS" "setup/warm" "$LVC --archive $ST/warm run -q"
rounds recheck "$ROUNDS" 1 \
    linkvault "true" "$LVC --archive $ST/warm run -q --recheck" \
    "lychee~" "true" "lychee $LYCHEE_FLAGS \$(cat $LISTS/articles.txt) >/dev/null"

# 3. Extraction over real-world article HTML.
rounds extract "$EXTRACT_ROUNDS" 0 \
    linkvault "true" "$LV --config $WORK/lv-none.toml extract $WORK/real/*.html" \
    "linkvault-whole-page" "true" "$LV --config $WORK/lv-whole.toml extract $WORK/real/*.html" \
    "lychee-dump~" "true" "lychee --dump --no-progress $WORK/real/*.html"

# 4. Big media over loopback.
rounds big "$ROUNDS" 1 \
    linkvault "rm -rf $ST/big && sync" "$LV --config $WORK/lv-big.toml --archive $ST/big run -q" \
    "curl-o" "rm -f $ST/big.bin && sync" "curl -s -o $ST/big.bin $BASE/media/big.bin" \
    "curl-o+sha256sum" "rm -f $ST/big.bin && sync" "curl -s -o $ST/big.bin $BASE/media/big.bin && sha256sum $ST/big.bin >/dev/null"

# 5a. Scale: one run over SCALE_RUN_REFS references.
rounds scale-run "$SCALE_RUN_ROUNDS" 1 \
    linkvault "rm -rf $ST/scale-run && sync" "$LV --config $WORK/lv-scale.toml --archive $ST/scale-run run -q"

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
    echo "linkvault: $(cd "$REPO" && git rev-parse --short HEAD 2>/dev/null) $("$LV" --version)"
    echo "lychee: $(lychee --version)"
    echo "aria2c: $(aria2c --version | head -1)"
    echo "curl: $(curl --version | head -1)"
    echo "nginx: $(nginx -v 2>&1)"
    echo "hyperfine: $(hyperfine --version)"
} >"$RES/machine.txt"
du -sb "$WORK/real" | cut -f1 >"$RES/real-bytes"
ls "$WORK/real" | wc -l >"$RES/real-files"
python3 "$BENCH/report.py" --results "$RES" --access-log "$ACCESS" --corpus "$WORK/corpus/corpus.json" \
    --work "$WORK" --quick "$QUICK" --concurrency "$CONCURRENCY" --out "$OUT"
echo "wrote $OUT" >&2
