#!/usr/bin/env bash
# End-to-end throughput of download-service against a reference: Debian's nginx
# serving a prebuilt `zip -0` of the same folder as a static file (sendfile on).
# Both run side by side on loopback in one run; what matters is the ratio.
#
#   bench/run.sh        # photos (200 x 5 MiB), many (10,000 x 10 KiB), small (20 x 1 MiB)
#   RUNS=9 SETS="photos" SLOW=0 bench/run.sh
#   bench/run.sh s3     # the S3 source (S3Proxy on loopback) against the local-disk source
#   JAR=/tmp/before.jar bench/run.sh   # another build (an A/B: the same command with each jar, one after the other)
#
# Needs: java, curl, nginx, zip, python3. Data goes to bench/data (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-5}
SETS=${SETS:-"photos many small"}
JAR=${JAR:-target/download-service.jar}
SLOW=${SLOW:-1000}            # concurrent slow downloads for the memory measurement; 0 to skip
JIT_WARMUP=${JIT_WARMUP:-30}  # downloads of each set before measuring (a service that has run a while)
DATA=$(pwd)/bench/data
OUR_PORT=${OUR_PORT:-18480}
NGINX_PORT=${NGINX_PORT:-18481}
WORK=$(mktemp -d)
trap 'kill $(cat "$WORK"/*.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$WORK"' EXIT
# shellcheck source=bench/lib.sh
. bench/lib.sh

for set in $SETS; do make_named_set "$set"; done

# S3 mode: the same folders served from S3Proxy (in memory, on loopback) and from disk, by two
# services side by side; reported as the S3 source's MB/s and its ratio to the local source's.
# S3Proxy shares the 2 cores: the ratio includes the store's own work, as a store on the same host would.
if [ "${1:-}" = s3 ]; then
    SETS=${S3_SETS:-"photos many"}
    for set in $SETS; do make_named_set "$set"; done
    test_classpath
    TOOL_JAVA_OPTS=-Xmx4g start_tool s3proxy dev.downloadservice.testing.S3ProxyMain bench "$DATA/root"
    endpoint=$(tool_address s3proxy)
    S3_PORT=$((OUR_PORT + 2))
    AWS_ACCESS_KEY_ID=test-access-key AWS_SECRET_ACCESS_KEY=test-secret-key java -jar "$JAR" \
        --path s3://bench --s3-endpoint "$endpoint" --host 127.0.0.1 --port "$S3_PORT" > "$WORK/s3.log" 2>&1 &
    echo $! > "$WORK/s3.pid"
    # Every client here is 127.0.0.1: the per-client limit (16) would turn most of 64 clients away.
    java -jar "$JAR" --path "$DATA/root" --host 127.0.0.1 --port "$OUR_PORT" --max-downloads-per-client 1000 \
        > "$WORK/ours.log" 2>&1 & echo $! > "$WORK/ours.pid"
    for port in "$S3_PORT" "$OUR_PORT"; do
        for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
    done
    echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores, $(uname -r), $(java -version 2>&1 | head -1), S3Proxy in memory"
    printf '%-8s %-10s %10s %10s %10s %8s\n' set cache s3_MB/s local_MB/s ratio s3_ttfb_ms
    for set in $SETS; do
        for _ in $(seq "$JIT_WARMUP"); do fetch "http://127.0.0.1:$S3_PORT/archive/$set/" > /dev/null; \
            fetch "http://127.0.0.1:$OUR_PORT/archive/$set/" > /dev/null; done
        : > "$WORK/s3" ; : > "$WORK/local"
        for _ in $(seq "$RUNS"); do
            fetch "http://127.0.0.1:$S3_PORT/archive/$set/" >> "$WORK/s3"
            fetch "http://127.0.0.1:$OUR_PORT/archive/$set/" >> "$WORK/local"
        done
        s3=$(awk '{print $1 / $3 / 1e6}' "$WORK/s3" | median)
        local_=$(awk '{print $1 / $3 / 1e6}' "$WORK/local" | median)
        ttfb=$(awk '{print $2 * 1000}' "$WORK/s3" | median)
        printf '%-8s %-10s %10.0f %10.0f %10.2f %8.1f\n' "$set" warm "$s3" "$local_" \
            "$(echo "$s3 $local_" | awk '{print $1 / $2}')" "$ttfb"
    done
    exit 0
fi

cat > "$WORK/nginx.conf" <<CONF
worker_processes 2;
worker_rlimit_nofile 8192;
daemon off;
pid $WORK/nginx.pid.unused;
error_log $WORK/nginx-error.log;
user root;
events { worker_connections 4096; }
http {
    sendfile on;
    tcp_nopush on;
    access_log off;
    default_type application/zip;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $DATA/static;
    }
}
CONF
nginx -p "$WORK" -c "$WORK/nginx.conf" & echo $! > "$WORK/nginx.pid"

[ -f "$JAR" ] || ./mvnw -q -DskipTests package
start_ours() {
    [ -f "$WORK/ours.pid" ] && { kill "$(cat "$WORK/ours.pid")"; wait "$(cat "$WORK/ours.pid")" 2>/dev/null || true; }
    # shellcheck disable=SC2086
    # Every client here is 127.0.0.1: the per-client limit (16) would turn most slow clients and wrk's away.
    java ${JAVA_OPTS:-} -jar "$JAR" --path "$DATA/root" --host 127.0.0.1 --port "$OUR_PORT" \
        --max-downloads-per-client 1000 > "$WORK/ours.log" 2>&1 & echo $! > "$WORK/ours.pid"
    for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$OUR_PORT/" && return; sleep 0.1; done
    echo "service did not start" >&2; cat "$WORK/ours.log" >&2; exit 1
}
start_ours
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$NGINX_PORT/" && break; sleep 0.1; done

ulimit -n 65536 2>/dev/null || true
echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores, $(uname -r), $(java -version 2>&1 | head -1), $(nginx -v 2>&1)"
printf '%-8s %-12s %10s %10s %10s %8s\n' set mode ours_MB/s nginx_MB/s ratio ttfb_ms
report() { # set mode: medians of $WORK/ours and $WORK/nginx
    local ours theirs ttfb
    ours=$(awk '{print $1 / $3 / 1e6}' "$WORK/ours" | median)
    theirs=$(awk '{print $1 / $3 / 1e6}' "$WORK/nginx" | median)
    ttfb=$(awk '{print $2 * 1000}' "$WORK/ours" | median)
    printf '%-8s %-12s %10.0f %10.0f %10.2f %8.1f\n' "$1" "$2" "$ours" "$theirs" \
        "$(echo "$ours $theirs" | awk '{print $1 / $2}')" "$ttfb"
}
for set in $SETS; do
    url_ours="http://127.0.0.1:$OUR_PORT/archive/$set/"
    url_nginx="http://127.0.0.1:$NGINX_PORT/$set.zip"
    fetch "$url_nginx" > /dev/null   # page cache warm for both: we compare CPU work, not the disk
    # A server that has run a while: the JIT has compiled the paths a download takes.
    for _ in $(seq "$JIT_WARMUP"); do fetch "$url_ours" > /dev/null; done
    for mode in new-gallery warm first-after-start; do
        : > "$WORK/ours" ; : > "$WORK/nginx"
        for run in $(seq "$RUNS"); do
            case $mode in
                new-gallery)
                    # The same files under a new folder name: CRC cache cold, JIT and page cache warm. Renamed,
                    # not hard-linked: a new link moves every file's ctime, which would make the warm runs cold too.
                    mv "$DATA/root/$set" "$DATA/root/$set-new$run"
                    fetch "http://127.0.0.1:$OUR_PORT/archive/$set-new$run/" >> "$WORK/ours"
                    mv "$DATA/root/$set-new$run" "$DATA/root/$set" ;;
                warm) fetch "$url_ours" >> "$WORK/ours" ;;
                first-after-start) start_ours; fetch "$url_ours" >> "$WORK/ours" ;;
            esac
            fetch "$url_nginx" >> "$WORK/nginx"
        done
        report "$set" "$mode"
    done
    start_ours   # leave a fresh service for the next set
done

# Aggregate throughput: COUNT downloads, PARALLEL at a time, of the "small" set.
aggregate() { # url count parallel -> MB/s
    local start end
    start=$(date +%s.%N)
    seq "$2" | xargs -P "$3" -I{} curl -s -o /dev/null -w '%{size_download}\n' "$1" > "$WORK/aggregate"
    end=$(date +%s.%N)
    awk -v s="$start" -v e="$end" '{b += $1} END {print b / (e - s) / 1e6}' "$WORK/aggregate"
}
if [[ " $SETS " == *" small "* ]]; then
    echo
    printf '%-8s %-12s %10s %10s %10s\n' set clients ours_MB/s nginx_MB/s ratio
    for clients in 8 64; do
        aggregate "http://127.0.0.1:$OUR_PORT/archive/small/" "$clients" "$clients" > /dev/null   # warm-up
        ours=$(aggregate "http://127.0.0.1:$OUR_PORT/archive/small/" $((clients * 4)) "$clients")
        theirs=$(aggregate "http://127.0.0.1:$NGINX_PORT/small.zip" $((clients * 4)) "$clients")
        printf '%-8s %-12s %10.0f %10.0f %10.2f\n' small "$clients" "$ours" "$theirs" \
            "$(echo "$ours $theirs" | awk '{print $1 / $2}')"
    done
fi

# Memory per slow download: SLOW clients each reading 10 kB/s of the photos archive.
if [ "$SLOW" -gt 0 ] && [[ " $SETS " == *" photos "* ]]; then
    # A fixed, pre-touched heap: RSS growth is then what the downloads hold off the heap
    # (buffers, sockets, files), not the heap growing into garbage; the live heap is measured apart.
    JAVA_OPTS="-Xms512m -Xmx512m -XX:+AlwaysPreTouch" start_ours
    fetch "http://127.0.0.1:$OUR_PORT/archive/photos/" > /dev/null   # CRC cache and JIT warm
    read -ra nginx_pids <<< "$(cat "$WORK/nginx.pid") $(pgrep -P "$(cat "$WORK/nginx.pid")" | tr '\n' ' ')"
    # RSS first, on a service that has held no slow download yet: its pools, once grown, stay grown.
    read -r ours alive_ours threads < <(slow_rss "http://127.0.0.1:$OUR_PORT/archive/photos/" "http://127.0.0.1:$OUR_PORT/metrics" "$(cat "$WORK/ours.pid")")
    heap=$(slow_heap_kib "http://127.0.0.1:$OUR_PORT/archive/photos/" "http://127.0.0.1:$OUR_PORT/metrics" "$(cat "$WORK/ours.pid")")
    read -r theirs alive_nginx _ < <(slow_rss "http://127.0.0.1:$NGINX_PORT/photos.zip" "" "${nginx_pids[@]}")
    echo
    echo "slow downloads: $SLOW at 10 kB/s (still open at the end: ours $alive_ours, nginx $alive_nginx)"
    echo "RSS growth per download: ours ${ours} KiB (heap fixed at 512 MiB), nginx ${theirs} KiB; our threads while they ran: $threads"
    echo "live heap per download (after a full GC): ours $heap KiB"
fi
