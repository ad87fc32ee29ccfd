#!/usr/bin/env bash
# linkvault with its objects on an S3-compatible store (a single-node Garage on 127.0.0.1) vs the
# local store, on this machine, with one release binary. Not part of CI.
#
#   bench/s3.sh            full run (100 articles x 25 refs, 3 rounds; a 1 GiB body)
#   QUICK=1 bench/s3.sh    smoke run (small corpus and body, 1 round)
#   KEEP=1 bench/s3.sh     keep the work directory (corpus, archives, Garage data, logs)
#
# Measures (GNU time: wall seconds, peak RSS of the largest process, user+sys CPU; plus the CPU
# and peak RSS the Garage server spent during each run, from /proc):
#   cold  cold archive of the corpus, local store vs store = "s3://bench/cold-rN" (fresh archive
#         folder and fresh prefix each round, the order alternated), median of ROUNDS
#   big   one article citing one BIG_MIB file served by nginx, local vs Garage; the disk's
#         durable-write reference (dd conv=fsync), curl -o, and the same file uploaded to Garage
#         by rclone and by the AWS CLI when they are installed (apt rclone; `aws` on PATH or a
#         venv with pip awscli)
#   restore  `linkvault restore --url` of the big body from each store; `serve` of it (curl
#         /objects/SHA through `linkvault serve`) and rclone's download as references
# Writes $OUT (default bench/S3.md): machine info, the tables, the command. A "## Notes" section
# already in $OUT is kept as it is (the notes are written by hand). Sizes and counts below can be
# overridden from the environment. Needs root for apt (nginx, rclone, GNU time) and
# for resetting Garage's peak-RSS counter (/proc/PID/clear_refs); works without the latter.
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$BENCH")
QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then
    d_articles=20 d_images=200 d_sources=50 d_video=8 d_big=64 d_rounds=1
else
    d_articles=100 d_images=600 d_sources=150 d_video=32 d_big=1024 d_rounds=3
fi
ARTICLES=${ARTICLES:-$d_articles}     # corpus articles
REFS=${REFS:-25}                      # references per article
IMAGES=${IMAGES:-$d_images}           # shared image pool
SOURCES=${SOURCES:-$d_sources}        # cited source pages
VIDEO_MIB=${VIDEO_MIB:-$d_video}      # the video cited by every 25th article
BIG_MIB=${BIG_MIB:-$d_big}            # the big body
ROUNDS=${ROUNDS:-$d_rounds}           # rounds of the cold corpus
BIG_ROUNDS=${BIG_ROUNDS:-$ROUNDS}     # rounds of the big body (each one writes BIG_MIB per contender)
CONCURRENCY=${CONCURRENCY:-16}
PORT=${PORT:-18447}                   # nginx; Garage takes PORT+1 (S3), +2 (RPC), +3 (admin); serve +4
OUT=${OUT:-$BENCH/S3.md}
TARGET_DIR=${CARGO_TARGET_DIR:-$REPO/target}

LOAD_START=$(cat /proc/loadavg)
say() { printf '\n== %s\n' "$*" >&2; }
export PATH="$HOME/.cargo/bin:$PATH"

# ---------------------------------------------------------------- tools
missing=()
command -v nginx >/dev/null || missing+=(nginx)
command -v curl >/dev/null || missing+=(curl)
command -v rclone >/dev/null || missing+=(rclone)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]} (apt)"
    apt-get update -qq || true
    for p in "${missing[@]}"; do
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$p" >/dev/null || echo "apt: $p not installed" >&2
    done
fi
command -v nginx >/dev/null && [ -x /usr/bin/time ] || { echo "nginx and GNU time are needed" >&2; exit 1; }
command -v garage >/dev/null || { echo "garage is needed (cargo install garage)" >&2; exit 1; }

say "building linkvault (release, CARGO_TARGET_DIR=$TARGET_DIR)"
(cd "$REPO" && CARGO_TARGET_DIR=$TARGET_DIR cargo build --release --quiet)
LV="$TARGET_DIR/release/linkvault"
# What was built (taken now: the tree may change while the benchmark runs).
LV_REV="$(cd "$REPO" && git rev-parse --short HEAD 2>/dev/null)$(cd "$REPO" && git diff --quiet HEAD -- src Cargo.toml Cargo.lock 2>/dev/null || echo ' + uncommitted changes in src/')"

# ---------------------------------------------------------------- work directory, cleanup
WORK=${BENCH_WORK:-$(mktemp -d "${TMPDIR:-/tmp}/linkvault-s3bench.XXXXXX")}
mkdir -p "$WORK"/{nginx/logs,nginx/tmp,garage,state,results}
ST=$WORK/state RES=$WORK/results G=$WORK/garage
: >"$RES/runs.tsv"
BASE="http://127.0.0.1:$PORT"
S3_PORT=$((PORT + 1)) RPC_PORT=$((PORT + 2)) ADMIN_PORT=$((PORT + 3)) SERVE_PORT=$((PORT + 4))
GARAGE_PID="" SERVE_PID=""

cleanup() {
    local rc=$?
    [ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null
    [ -n "$GARAGE_PID" ] && kill "$GARAGE_PID" 2>/dev/null && wait "$GARAGE_PID" 2>/dev/null
    if [ -f "$WORK/nginx/nginx.pid" ]; then
        nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -s stop 2>/dev/null || true
    fi
    if [ "${KEEP:-0}" != 1 ] && [ -z "${BENCH_WORK:-}" ]; then
        rm -rf "$WORK"
    else
        echo "work directory kept: $WORK" >&2
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
trap 'echo "s3.sh: failed at line $LINENO: $BASH_COMMAND" >&2' ERR

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { # wait_port PORT PID
    for _ in $(seq 600); do
        port_busy "$1" && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}
for p in $PORT $S3_PORT $RPC_PORT $ADMIN_PORT $SERVE_PORT; do
    if port_busy "$p"; then echo "port $p is in use: set PORT=..." >&2; exit 1; fi
done

# ---------------------------------------------------------------- corpus, nginx
say "generating the corpus in $WORK/corpus"
python3 "$BENCH/gen_corpus.py" --out "$WORK/corpus" --base "$BASE" --articles "$ARTICLES" \
    --refs "$REFS" --images "$IMAGES" --sources "$SOURCES" --video-mib "$VIDEO_MIB" \
    --big-mib "$BIG_MIB" --scale-refs 0 >"$RES/corpus.json"
LISTS=$WORK/corpus/lists BIG=$WORK/corpus/www/media/big.bin
BIG_SHA=$(sha256sum "$BIG" | cut -d' ' -f1)

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
    access_log off;
    server {
        listen 127.0.0.1:$PORT;
        root $WORK/corpus/www;
    }
}
EOF
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf"
for _ in $(seq 50); do curl -s -o /dev/null "$BASE/a/big.html" && break; sleep 0.1; done

# ---------------------------------------------------------------- Garage (as tests/common/garage.rs)
say "starting Garage $(garage --version 2>/dev/null | head -1) on 127.0.0.1:$S3_PORT"
KEY_ID=GK0123456789abcdef01234567
SECRET=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
REGION=garage
cat >"$G/garage.toml" <<EOF
metadata_dir = "$G/meta"
data_dir = "$G/data"
db_engine = "sqlite"
replication_factor = 1
rpc_bind_addr = "127.0.0.1:$RPC_PORT"
rpc_public_addr = "127.0.0.1:$RPC_PORT"
rpc_secret = "$(printf '4f%.0s' $(seq 32))"

[s3_api]
s3_region = "$REGION"
api_bind_addr = "127.0.0.1:$S3_PORT"
root_domain = ".s3.garage.localhost"

[admin]
api_bind_addr = "127.0.0.1:$ADMIN_PORT"
admin_token = "bench-admin-token"
EOF
gcli() { garage -c "$G/garage.toml" "$@"; }
RUST_LOG=garage=warn garage -c "$G/garage.toml" server >/dev/null 2>"$G/garage.log" &
GARAGE_PID=$!
wait_port "$RPC_PORT" "$GARAGE_PID" && wait_port "$S3_PORT" "$GARAGE_PID" ||
    { echo "garage did not start:" >&2; cat "$G/garage.log" >&2; exit 1; }
NODE=$(gcli node id -q | cut -d@ -f1)
gcli layout assign -z dc1 -c 1GB "$NODE" >/dev/null
gcli layout apply --version 1 >/dev/null
gcli key import --yes -n bench "$KEY_ID" "$SECRET" >/dev/null
gcli bucket create bench >/dev/null
gcli bucket allow --read --write --owner bench --key bench >/dev/null
export AWS_ACCESS_KEY_ID=$KEY_ID AWS_SECRET_ACCESS_KEY=$SECRET
ENDPOINT="http://127.0.0.1:$S3_PORT"

# rclone's remote "g:" (used as a reference client and to count what is in the bucket)
export RCLONE_CONFIG_G_TYPE=s3 RCLONE_CONFIG_G_PROVIDER=Other RCLONE_CONFIG_G_ENDPOINT=$ENDPOINT \
    RCLONE_CONFIG_G_ACCESS_KEY_ID=$KEY_ID RCLONE_CONFIG_G_SECRET_ACCESS_KEY=$SECRET \
    RCLONE_CONFIG_G_REGION=$REGION RCLONE_CONFIG_G_FORCE_PATH_STYLE=true
# An AWS_CA_BUNDLE in the environment makes rclone 1.60 fail before any request ("unable to load
# custom CA bundle, HTTPClient's transport unsupported type"); the endpoint is plain http anyway.
RCLONE="env -u AWS_CA_BUNDLE rclone"
# The AWS CLI: whatever `aws` is on PATH, else a venv with pip's awscli.
AWS=""
if aws --version >/dev/null 2>&1; then
    AWS=aws
elif python3 -m venv "$WORK/venv" >/dev/null 2>&1 && "$WORK/venv/bin/pip" install -q awscli >/dev/null 2>&1; then
    AWS="$WORK/venv/bin/aws"
fi

# ---------------------------------------------------------------- configs
lv_config() { # lv_config FILE ARTICLE_LIST s3|local
    {
        printf 'articles = [\n'
        sed 's/.*/  "&",/' "$2"
        printf ']\n\n'
        cat <<EOF
[fetch]
concurrency = $CONCURRENCY
per_host_concurrency = $CONCURRENCY
per_host_interval = "0s"
allow_private = true
retries = 2

[video]
enabled = false

[render]
enabled = false

[rescue]
enabled = false
EOF
        if [ "$3" = s3 ]; then
            printf '\n[s3]\nendpoint = "%s"\nregion = "%s"\nallow_http = true\n' "$ENDPOINT" "$REGION"
        fi
    } >"$1"
}
lv_config "$WORK/cold-local.toml" "$LISTS/articles.txt" local
lv_config "$WORK/cold-s3.toml" "$LISTS/articles.txt" s3
lv_config "$WORK/big-local.toml" "$LISTS/big-article.txt" local
lv_config "$WORK/big-s3.toml" "$LISTS/big-article.txt" s3

# ---------------------------------------------------------------- the harness
garage_cpu() { # utime+stime of the Garage server, in clock ticks
    awk '{print $14 + $15}' "/proc/$GARAGE_PID/stat"
}
TICKS=$(getconf CLK_TCK)
# measure SCENARIO LABEL ROUND 'command': one run under GNU time, with Garage's CPU and peak RSS
# over the same span; appended to runs.tsv:
#   scenario label round wall_s peak_rss_kib user_s sys_s garage_cpu_s garage_peak_rss_kib rc
measure() {
    local scen=$1 label=$2 round=$3 cmd=$4 tf g0 g1 ghwm rc
    tf=$(mktemp)
    sync
    echo 5 >"/proc/$GARAGE_PID/clear_refs" 2>/dev/null || true # reset Garage's VmHWM
    g0=$(garage_cpu)
    set +e
    /usr/bin/time -f '%e %M %U %S' -o "$tf" bash -c "$cmd" >>"$RES/$scen-$label.log" 2>&1
    rc=$?
    set -e
    g1=$(garage_cpu)
    ghwm=$(awk '/^VmHWM/ {print $2}' "/proc/$GARAGE_PID/status")
    read -r wall rss user sys < <(tail -n 1 "$tf")
    rm -f "$tf"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$scen" "$label" "$round" "$wall" "$rss" "$user" "$sys" \
        "$(awk -v a="$g0" -v b="$g1" -v t="$TICKS" 'BEGIN {printf "%.2f", (b - a) / t}')" "$ghwm" "$rc" \
        >>"$RES/runs.tsv"
    printf '  %-22s round %s: %6ss  %7s KiB  (garage +%ss CPU)  rc=%s\n' "$label" "$round" "$wall" "$rss" \
        "$(awk -v a="$g0" -v b="$g1" -v t="$TICKS" 'BEGIN {printf "%.2f", (b - a) / t}')" "$rc" >&2
    [ "$rc" = 0 ] || { echo "  (failed: see $RES/$scen-$label.log)" >&2; tail -n 5 "$RES/$scen-$label.log" >&2; }
}
objects_summary() { # objects_summary DIR -> "N files, B bytes"
    find "$1" -type f | wc -l | tr -d '\n'
    printf ' objects, %s bytes' "$(find "$1" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')"
}

# 0. Garage's latency for one small GET on a new and on a reused (keep-alive) connection: curl,
#    SigV4, six GETs of a 5 KiB object over one connection (the first one opens it).
A1=$(head -n 1 "$LISTS/articles.txt") SMALL=$WORK/corpus/www/a/article-0000.html
curl_s3() { curl -s -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' --aws-sigv4 "aws:amz:$REGION:s3" -u "$KEY_ID:$SECRET" "$@"; }
curl_s3 --fail -o /dev/null -T "$SMALL" "$ENDPOINT/bench/latency/small.html"
args=() nargs=()
for _ in 1 2 3 4 5 6; do args+=(-o /dev/null "$ENDPOINT/bench/latency/small.html"); nargs+=(-o /dev/null "$A1"); done
curl_s3 -w '%{http_code} %{num_connects} %{time_total}\n' "${args[@]}" >"$RES/latency-garage.txt"
curl -s -w '%{http_code} %{num_connects} %{time_total}\n' "${nargs[@]}" >"$RES/latency-nginx.txt"
lat() { # "first ms (new connection), median of the others ms (reused)"
    python3 -c 'import statistics, sys
t = [float(l.split()[2]) * 1000 for l in open(sys.argv[1])]
print(f"{t[0]:.1f} ms (new connection), {statistics.median(t[1:]):.1f} ms (reused, median of {len(t) - 1})", end="")' "$1"
}
echo "GET of a $(stat -c %s "$SMALL")-byte object: Garage $(lat "$RES/latency-garage.txt"); nginx $(lat "$RES/latency-nginx.txt")" | tee "$RES/latency.txt" >&2

# 1. Cold archive of the corpus.
for ((r = 0; r < ROUNDS; r++)); do
    say "cold: round $((r + 1))/$ROUNDS"
    order=(local s3)
    [ $((r % 2)) = 1 ] && order=(s3 local)
    for kind in "${order[@]}"; do
        rm -rf "$ST/cold-$kind"
        if [ "$kind" = local ]; then
            measure cold local "$r" "$LV --config $WORK/cold-local.toml --archive $ST/cold-local run -q"
        else
            measure cold garage "$r" "$LV --config $WORK/cold-s3.toml --archive $ST/cold-s3 --store s3://bench/cold-r$r run -q"
        fi
    done
    # The same objects (the local run's store) uploaded by rclone, CONCURRENCY at a time.
    if command -v rclone >/dev/null; then
        measure cold rclone-copy-objects "$r" "$RCLONE copy --s3-disable-checksum --transfers $CONCURRENCY --checkers $CONCURRENCY $ST/cold-local/objects g:bench/rclone-cold-r$r/objects"
        measure cold rclone-copy-objects-x1 "$r" "$RCLONE copy --s3-disable-checksum --transfers 1 --checkers 1 $ST/cold-local/objects g:bench/rclone1-cold-r$r/objects"
    fi
done
{
    echo "local: $(objects_summary "$ST/cold-local/objects")"
    echo "garage s3://bench/cold-r0: $($RCLONE size --json g:bench/cold-r0 2>/dev/null || echo '?')"
    echo "garage archive folder left behind: $(find "$ST/cold-s3" -type f | wc -l) files, $(du -sh "$ST/cold-s3" | cut -f1)"
} | tee "$RES/cold-objects.txt" >&2

# 2. The big body.
BIGURL="$BASE/media/big.bin"
for ((r = 0; r < BIG_ROUNDS; r++)); do
    say "big ($BIG_MIB MiB): round $((r + 1))/$BIG_ROUNDS"
    order=(local s3)
    [ $((r % 2)) = 1 ] && order=(s3 local)
    for kind in "${order[@]}"; do
        rm -rf "$ST/big-$kind"
        if [ "$kind" = local ]; then
            measure big linkvault-local "$r" "$LV --config $WORK/big-local.toml --archive $ST/big-local run -q"
        else
            measure big linkvault-garage "$r" "$LV --config $WORK/big-s3.toml --archive $ST/big-s3 --store s3://bench/big-r$r run -q"
        fi
    done
    rm -f "$ST/dd.bin"
    measure big dd-fsync "$r" "dd if=$BIG of=$ST/dd.bin bs=1M conv=fsync status=none"
    rm -f "$ST/dd.bin" "$ST/curl.bin"
    measure big curl-o "$r" "curl -sS --fail -o $ST/curl.bin $BIGURL"
    rm -f "$ST/curl.bin"
    if command -v rclone >/dev/null; then
        measure big rclone-put "$r" "$RCLONE copyto --s3-disable-checksum $BIG g:bench/rclone-r$r/big.bin"
        measure big rclone-put-8M-x3 "$r" "$RCLONE copyto --s3-disable-checksum --s3-chunk-size 8M --s3-upload-concurrency 3 $BIG g:bench/rclone8-r$r/big.bin"
    fi
    if [ -n "$AWS" ]; then
        measure big aws-s3-cp "$r" "AWS_DEFAULT_REGION=$REGION $AWS --endpoint-url $ENDPOINT s3 cp --only-show-errors $BIG s3://bench/aws-r$r/big.bin"
    fi
done

# 3. Restore and serve of the big body (the last round's archives).
say "restore ($BIG_MIB MiB)"
last=$((BIG_ROUNDS - 1))
for ((r = 0; r < BIG_ROUNDS; r++)); do
    rm -f "$ST/restored.bin"
    measure restore linkvault-local "$r" "$LV --config $WORK/big-local.toml --archive $ST/big-local restore --url $BIGURL -o $ST/restored.bin"
    rm -f "$ST/restored.bin"
    measure restore linkvault-garage "$r" "$LV --config $WORK/big-s3.toml --archive $ST/big-s3 --store s3://bench/big-r$last restore --url $BIGURL -o $ST/restored.bin"
    echo "  restored sha256 ok: $([ "$(sha256sum "$ST/restored.bin" | cut -d' ' -f1)" = "$BIG_SHA" ] && echo yes || echo NO)" >&2
    rm -f "$ST/restored.bin"
    if command -v rclone >/dev/null; then
        measure restore rclone-get "$r" "$RCLONE copyto --s3-disable-checksum g:bench/rclone-r0/big.bin $ST/restored.bin"
        rm -f "$ST/restored.bin"
    fi
    # serve: `linkvault serve` on the Garage-backed archive; curl reads /objects/SHA to /dev/null.
    # The row's RSS is curl's; the server's peak RSS is in the serve-process row.
    "$LV" --config "$WORK/big-s3.toml" --archive "$ST/big-s3" --store "s3://bench/big-r$last" \
        serve --listen "127.0.0.1:$SERVE_PORT" --quiet >"$RES/serve.log" 2>&1 &
    SERVE_PID=$!
    if wait_port "$SERVE_PORT" "$SERVE_PID"; then
        measure restore serve-garage-curl "$r" "curl -sS --fail -o /dev/null http://127.0.0.1:$SERVE_PORT/objects/$BIG_SHA"
        printf 'restore\tserve-process\t%s\t\t%s\t\t\t\t\t0\n' "$r" "$(awk '/^VmHWM/ {print $2}' "/proc/$SERVE_PID/status")" >>"$RES/runs.tsv"
    else
        echo "  linkvault serve did not start: $(tail -n 3 "$RES/serve.log")" >&2
    fi
    kill "$SERVE_PID" 2>/dev/null; wait "$SERVE_PID" 2>/dev/null || true
    SERVE_PID=""
done
GARAGE_HWM_TOTAL=$(awk '/^VmHWM/ {print $2}' "/proc/$GARAGE_PID/status")

# ---------------------------------------------------------------- the report
say "writing $OUT"
notes=""
if [ -f "$OUT" ] && grep -q '^## Notes' "$OUT"; then notes=$(sed -n '/^## Notes/,$p' "$OUT"); fi
cmdline="bench/s3.sh"
for v in QUICK ARTICLES REFS IMAGES SOURCES VIDEO_MIB BIG_MIB ROUNDS BIG_ROUNDS CONCURRENCY; do
    if printenv "$v" >/dev/null; then cmdline="$v=${!v} $cmdline"; fi
done
{
    echo "# linkvault: objects on Garage (S3) vs the local store"
    echo
    echo "Reproduce: \`$cmdline\` (from the repository root; QUICK=1 for a smoke run)."
    echo
    echo "Machine: nproc $(nproc), kernel $(uname -r), $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1),"
    echo "$(free -h | awk '/^Mem:/ {print $2}') RAM, disk $(df -h "$WORK" | awk 'NR == 2 {print $1 ", " $2 " (" $5 " used)"}'); loadavg at start $LOAD_START, at end $(cat /proc/loadavg) (the 2 cores are shared with other work)."
    echo "linkvault $("$LV" --version | awk '{print $2}') (built from $LV_REV), $(garage --version | head -1 | sed 's/ \[.*//'), $(nginx -v 2>&1 | sed 's/.*: //'),"
    echo "$(command -v rclone >/dev/null && rclone version | head -1 || echo 'rclone: not installed'), $([ -n "$AWS" ] && $AWS --version 2>&1 | cut -d' ' -f1-2 || echo 'aws: not available') ($AWS), $(curl --version | head -1 | cut -d' ' -f1-2)."
    echo
    python3 - "$RES/runs.tsv" "$RES/corpus.json" "$BIG_MIB" "$ROUNDS" "$BIG_ROUNDS" "$GARAGE_HWM_TOTAL" <<'EOF'
import json, statistics, sys
from collections import defaultdict
runs_path, corpus_path, big_mib, rounds, big_rounds, garage_hwm = sys.argv[1:]
corpus = json.load(open(corpus_path))
rows = defaultdict(list)
order = []
for line in open(runs_path):
    f = line.rstrip("\n").split("\t")
    key = (f[0], f[1])
    if key not in rows:
        order.append(key)
    rows[key].append(f)

def med(vals):
    vals = [float(v) for v in vals if v != ""]
    return statistics.median(vals) if vals else None

def fmt(v, nd=2):
    return "" if v is None else f"{v:.{nd}f}"

def mib(kib):
    return "" if kib is None else f"{kib / 1024:.0f}"

def table(scen, title, mb=None):
    print(f"### {title}\n")
    print("| what | runs | wall s (median) | min–max | MiB/s | peak RSS MiB | user+sys CPU s | Garage CPU s | Garage peak RSS MiB | exit |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for (s, label) in order:
        if s != scen:
            continue
        rs = rows[(s, label)]
        if label == "serve-process":
            print(f"| linkvault serve (the server process) | {len(rs)} | | | | {mib(med([r[4] for r in rs]))} | | | | |")
            continue
        walls = [float(r[3]) for r in rs]
        w = med(walls)
        cpu = med([float(r[5]) + float(r[6]) for r in rs])
        gcpu = med([r[7] for r in rs]) if label not in ("dd-fsync", "curl-o", "linkvault-local", "local") else None
        ghwm = med([r[8] for r in rs]) if gcpu is not None else None
        rate = f"{mb / w:.0f}" if mb and w else ""
        rcs = ",".join(sorted(set(r[9] for r in rs)))
        print(f"| {label} | {len(rs)} | {w:.2f} | {min(walls):.2f}–{max(walls):.2f} | {rate} | {mib(med([r[4] for r in rs]))} "
              f"| {fmt(cpu)} | {fmt(gcpu)} | {mib(ghwm)} | {rcs} |")
    print()

print("## Results\n")
print(f"Corpus: {corpus['articles']} articles × {corpus['refs_per_article']} references "
      f"({corpus['unique_refs']} distinct references, {corpus['unique_images']} images from the pool, "
      f"{corpus['unique_missing']} missing, a {corpus['video_mib']} MiB video cited every 25th article; "
      f"{corpus['unique_bytes'] / 2**20:.0f} MiB of distinct bodies). Cold: fresh archive folder and fresh "
      f"prefix s3://bench/cold-rN every round, local and Garage alternated, median of {rounds}. "
      "Wall and peak RSS from GNU time (`%e %M`, the largest process); Garage's CPU and peak RSS "
      "(VmHWM, reset before each run) from /proc over the same span.\n")
table("cold", "Cold archive of the corpus", corpus["unique_bytes"] / 2**20)
table("big", f"One {big_mib} MiB body (one article citing it; median of {big_rounds})", float(big_mib))
table("restore", f"Restore / serve of the {big_mib} MiB body", float(big_mib))
print(f"Garage's peak RSS over the whole run: {int(garage_hwm) / 1024:.0f} MiB.\n")
EOF
    echo "Request latency (curl, one connection): $(cat "$RES/latency.txt")."
    echo
    echo "Objects after a cold run:"
    echo
    sed 's/^/    /' "$RES/cold-objects.txt"
    echo
    if [ -n "$notes" ]; then echo "$notes"; fi
} >"$OUT"
cat "$OUT"
