#!/usr/bin/env bash
# Latency bench of the S3 source (#14): a download of a folder in a bucket against the store's own
# limit, when every request to the store pays a round trip. S3Proxy (filesystem backend) holds the
# folders; a delay proxy (testing/DelayProxy) in front of it delays each direction by D ms; the
# service reads the store through it. The "limit" is every object of the folder fetched straight
# from the store through the same proxy, 16 GETs at once (curl --parallel, signed with --aws-sigv4).
# Medians of RUNS downloads after WARMUP; every archive is checked against the folder (exits 1 if
# one is wrong).
#
#   bench/s3.sh                          # photos (200 x 5 MiB), many (10,000 x 10 KiB); D = 0, 10, 50 ms
#   SETS=many DELAYS=10 RUNS=5 bench/s3.sh
#   COLD=1 bench/s3.sh                   # the service restarted before each download: no CRC-32 cached, a first download
#   QUICK=1 bench/s3.sh                  # a check of the script: 20 x 5 MiB, 1,000 x 10 KiB, one run (slow: 50)
#   bench/s3.sh slow                     # memory: SLOW (1,000) downloads of photos at 10 kB/s each
#   JAR=/tmp/before.jar bench/s3.sh      # another build of the service (the store and proxy: this tree's tests)
#
# Needs: java, curl (7.75 or later), python3, zip. Data goes to bench/data (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."

QUICK=${QUICK:-}
NMT=${NMT:-}                  # slow mode: also the JVM's native memory tracking, its growth while the slow downloads ran
COLD=${COLD:-}                # restart the service before each download: its CRC-32 cache is empty, as for a new gallery
SETS=${SETS:-"photos many"}
DELAYS=${DELAYS:-"0 10 50"}
RUNS=${RUNS:-3}
WARMUP=${WARMUP:-1}
PARALLEL=${PARALLEL:-16}      # GETs at once in the limit fetch
SLOW=${SLOW:-1000}            # slow mode: downloads at once, each reading 10 kB/s
SLOW_DELAY=${SLOW_DELAY:-10}  # slow mode: D in ms
SLOW_WINDOW=${SLOW_WINDOW:-256}  # slow mode: KiB the delay proxy holds a direction of a connection, as a TCP window
SERVICE_PORT=${SERVICE_PORT:-18490}
DATA=$(pwd)/bench/data
if [ -n "$QUICK" ]; then
    DATA=$(pwd)/bench/data/quick   # the same set names, fewer files
    RUNS=1 WARMUP=0 SLOW=50
fi
WORK=$(mktemp -d)
ARCHIVES=$(mktemp -d -p /dev/shm)   # downloads are kept until checked: in memory, so that writing them costs no disk
cleanup() {
    local status=$?
    if [ "$status" -ne 0 ] && [ -f "$WORK/service.log" ]; then
        echo "failed; the service's log ends:" >&2; tail -n 20 "$WORK/service.log" >&2
    fi
    cat "$WORK"/*.pid 2>/dev/null | xargs -r kill 2>/dev/null || true
    rm -rf "$WORK" "$ARCHIVES"
}
trap cleanup EXIT
# shellcheck source=bench/lib.sh
. bench/lib.sh

make_quick_or_named_set() {
    if [ -z "$QUICK" ]; then make_named_set "$1"; return; fi
    case $1 in
        photos) make_set photos 20 $((5 * 1024 * 1024)) ;;
        many) make_set many 1000 $((10 * 1024)) ;;
        *) echo "unknown set $1" >&2; exit 2 ;;
    esac
}
[ "${1:-}" = slow ] && SETS=photos
for set in $SETS; do make_quick_or_named_set "$set"; done

test_classpath
JAR=${JAR:-target/download-service.jar}
# The store's files are written once by the store itself (S3Proxy puts each object), under $WORK.
mkdir "$WORK/store"
start_tool store dev.downloadservice.testing.S3ProxyMain bench "$DATA/root" "$WORK/store"
STORE_PORT=$(tool_address store | sed 's/.*://')
export AWS_ACCESS_KEY_ID=test-access-key AWS_SECRET_ACCESS_KEY=test-secret-key   # testing/S3Server's

start_delay() { # ms [KiB a direction of a connection may hold]: the delay proxy in front of the store
    stop delay
    start_tool delay dev.downloadservice.testing.DelayProxy "$STORE_PORT" "$@"
}
start_service() { # port of the store (or of the proxy in front of it)
    stop service
    # shellcheck disable=SC2086
    java ${JAVA_OPTS:-} -jar "$JAR" --path s3://bench --s3-endpoint "http://127.0.0.1:$1" \
        --host 127.0.0.1 --port "$SERVICE_PORT" --max-downloads-per-client 1000 > "$WORK/service.log" 2>&1 &
    echo $! > "$WORK/service.pid"
    for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$SERVICE_PORT/" && return; sleep 0.2; done
    echo "service did not start" >&2; cat "$WORK/service.log" >&2; exit 1
}

# download SET: one download of the archive, checked; prints bytes, seconds to the first byte, total seconds.
download() {
    fetch "http://127.0.0.1:$SERVICE_PORT/archive/$1/" "$ARCHIVES/$1.zip"
    python3 bench/check_archive.py check "$ARCHIVES/$1.zip" "$WORK/$1.manifest"
    rm -f "$ARCHIVES/$1.zip"
}
# fetch_limit SET PORT: every object of SET from the store at PORT, PARALLEL GETs at once; prints MB/s.
# Fails unless every GET is a 200 and the bytes add up to the folder's.
fetch_limit() {
    sed "s|@PORT@|$2|" "$WORK/$1.curl" > "$WORK/limit.curl"
    local start end
    start=$(date +%s.%N)
    # --no-progress-meter: curl 7.88 shows its parallel meter even with -s.
    curl -sS --no-progress-meter -K "$WORK/limit.curl" --parallel --parallel-max "$PARALLEL" \
        --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
        -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -w '%{http_code} %{size_download}\n' > "$WORK/limit.out" || true
    end=$(date +%s.%N)
    local objects bytes
    read -r objects bytes < "$WORK/$1.expected"
    awk -v n="$objects" -v b="$bytes" -v s="$start" -v e="$end" -v set="$1" '
        $1 == 200 {ok++; got += $2}
        END {
            if (ok != n || got != b) {print "limit fetch of " set ": expected " n " answers 200 with " b " bytes, found " ok " with " got > "/dev/stderr"; exit 1}
            print got / (e - s) / 1e6
        }' "$WORK/limit.out"
}

# For each set: its manifest (to check archives), the curl list of its objects (the port filled in per
# fetch), and their count and bytes (to check a limit fetch).
for set in $SETS; do
    python3 bench/check_archive.py manifest "$DATA/root/$set" > "$WORK/$set.manifest"
    python3 - "$set" "$WORK/$set.manifest" "$WORK/$set.curl" "$WORK/$set.expected" <<'PY'
import json, sys, urllib.parse
folder, manifest, curl_list, expected = sys.argv[1:]
with open(manifest) as m:
    entries = json.load(m)
with open(curl_list, "w") as c:
    for name, _, _ in entries:
        c.write(f'url = "http://127.0.0.1:@PORT@/bench/{urllib.parse.quote(f"{folder}/{name}")}"\noutput = "/dev/null"\n')
with open(expected, "w") as e:
    e.write(f"{len(entries)} {sum(size for _, size, _ in entries)}\n")
PY
done

ulimit -n 65536 2>/dev/null || true
header() { echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores, $(uname -r), $(java -version 2>&1 | head -1), S3Proxy 4.1.0 filesystem backend$1"; }

if [ "${1:-}" = slow ]; then
    # As bench/run.sh measures the local source: a fixed, pre-touched heap, so that RSS growth is what
    # the downloads hold off the heap; the live heap measured apart, after a full GC. The proxy holds a
    # window, not its default 64 MiB: a thousand slowly read GETs would have it hold every object whole.
    start_delay "$SLOW_DELAY" "$SLOW_WINDOW"
    JAVA_OPTS="-Xms512m -Xmx512m -XX:+AlwaysPreTouch${NMT:+ -XX:NativeMemoryTracking=summary}" \
        start_service "$(tool_address delay)"
    download photos > /dev/null   # JIT warm, and the archive checked once
    url="http://127.0.0.1:$SERVICE_PORT/archive/photos/"
    # RSS first, on a service that has held no slow download yet: its pools, once grown, stay grown.
    read -r rss alive threads < <(slow_rss "$url" "http://127.0.0.1:$SERVICE_PORT/metrics" "$(cat "$WORK/service.pid")")
    heap=$(slow_heap_kib "$url" "http://127.0.0.1:$SERVICE_PORT/metrics" "$(cat "$WORK/service.pid")")
    header ", D = $SLOW_DELAY ms, window $SLOW_WINDOW KiB"
    echo "slow downloads of photos: $SLOW at 10 kB/s (still open at the end: $alive)"
    echo "RSS growth per download: $rss KiB (heap fixed at 512 MiB); threads while they ran: $threads"
    echo "live heap per download (after a full GC): $heap KiB"
    if [ -n "$NMT" ]; then echo "native memory while they ran, against before (NMT):"; grep -E '^ *-' "$WORK/nmt.diff"; fi
    exit 0
fi

header ", medians of $RUNS after $WARMUP warm-up${COLD:+, each download from a service just started}"
printf '%-8s %6s %13s %9s %11s %8s\n' folder D_ms service_MB/s ttfb_ms limit_MB/s ratio
for delay in $DELAYS; do
    start_delay "$delay"
    proxy_port=$(tool_address delay)
    start_service "$proxy_port"
    for set in $SETS; do
        for _ in $(seq "$WARMUP"); do download "$set" > /dev/null; fetch_limit "$set" "$proxy_port" > /dev/null; done
        : > "$WORK/service.runs"; : > "$WORK/limit.runs"; : > "$WORK/direct.runs"
        for _ in $(seq "$RUNS"); do
            if [ -n "$COLD" ]; then start_service "$proxy_port"; fi
            download "$set" >> "$WORK/service.runs"
            fetch_limit "$set" "$proxy_port" >> "$WORK/limit.runs"
            if [ "$delay" = 0 ]; then   # the proxy must not be the limit: the same fetch without it, in turns
                fetch_limit "$set" "$STORE_PORT" >> "$WORK/direct.runs"
            fi
        done
        service=$(awk '{print $1 / $3 / 1e6}' "$WORK/service.runs" | median)
        ttfb=$(awk '{print $2 * 1000}' "$WORK/service.runs" | median)
        limit=$(median < "$WORK/limit.runs")
        printf '%-8s %6s %13.1f %9.1f %11.1f %8.2f\n' "$set" "$delay" "$service" "$ttfb" "$limit" \
            "$(echo "$service $limit" | awk '{print $1 / $2}')"
        if [ -s "$WORK/direct.runs" ]; then
            echo "$set $(median < "$WORK/direct.runs") $limit" >> "$WORK/proxy.check"
        fi
    done
done
if [ -f "$WORK/proxy.check" ]; then
    echo
    while read -r set direct through; do
        printf 'the delay proxy at D = 0, %s: limit %.1f MB/s through it, %.1f without it (%.2f)\n' \
            "$set" "$through" "$direct" "$(echo "$through $direct" | awk '{print $1 / $2}')"
    done < "$WORK/proxy.check"
fi
