#!/usr/bin/env bash
# End-to-end throughput of download-service against a reference: Debian's nginx
# serving a prebuilt `zip -0` of the same folder as a static file (sendfile on).
# Both run side by side on loopback in one run; what matters is the ratio.
#
#   bench/run.sh              # photos (200 x 5 MiB) and many (10,000 x 10 KiB)
#   RUNS=9 SETS="photos" bench/run.sh
#
# Needs: java, curl, nginx, zip, python3. Data goes to bench/data (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-5}
SETS=${SETS:-"photos many"}
DATA=$(pwd)/bench/data
OUR_PORT=${OUR_PORT:-18480}
NGINX_PORT=${NGINX_PORT:-18481}
WORK=$(mktemp -d)
trap 'kill $(cat "$WORK"/*.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$WORK"' EXIT

make_set() { # name count size
    local dir="$DATA/root/$1"
    [ -f "$dir/.complete" ] && return
    rm -rf "$dir" && mkdir -p "$dir"
    python3 - "$dir" "$2" "$3" <<'PY'
import random, sys
folder, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(count):
    # Deterministic and incompressible, like JPEG data.
    with open(f"{folder}/img_{i:05d}.jpg", "wb") as f:
        f.write(random.Random(i).randbytes(size))
PY
    mkdir -p "$DATA/static"
    (cd "$dir" && rm -f "$DATA/static/$1.zip" && zip -q -0 -r "$DATA/static/$1.zip" . -x '.*')
    touch "$dir/.complete"
}

for set in $SETS; do
    case $set in
        photos) make_set photos 200 $((5 * 1024 * 1024)) ;;
        many) make_set many 10000 $((10 * 1024)) ;;
        small) make_set small 20 $((1024 * 1024)) ;;
        *) echo "unknown set $set" >&2; exit 2 ;;
    esac
done

cat > "$WORK/nginx.conf" <<CONF
worker_processes 2;
daemon off;
pid $WORK/nginx.pid.unused;
error_log $WORK/nginx-error.log;
user root;
events { worker_connections 1024; }
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

[ -f target/download-service.jar ] || ./mvnw -q -DskipTests package
start_ours() {
    [ -f "$WORK/ours.pid" ] && { kill "$(cat "$WORK/ours.pid")"; wait "$(cat "$WORK/ours.pid")" 2>/dev/null || true; }
    java -jar target/download-service.jar --path "$DATA/root" --host 127.0.0.1 --port "$OUR_PORT" \
        > "$WORK/ours.log" 2>&1 & echo $! > "$WORK/ours.pid"
    for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$OUR_PORT/" && return; sleep 0.1; done
    echo "service did not start" >&2; cat "$WORK/ours.log" >&2; exit 1
}
start_ours
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$NGINX_PORT/" && break; sleep 0.1; done

# curl prints bytes, seconds to first byte, total seconds.
fetch() { curl -s -o /dev/null -w '%{size_download} %{time_starttransfer} %{time_total}\n' "$1"; }
median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores, $(uname -r), $(java -version 2>&1 | head -1), $(nginx -v 2>&1)"
printf '%-8s %-12s %10s %10s %10s %8s\n' set mode ours_MB/s nginx_MB/s ratio ttfb_ms
for set in $SETS; do
    url_ours="http://127.0.0.1:$OUR_PORT/archive/$set/"
    url_nginx="http://127.0.0.1:$NGINX_PORT/$set.zip"
    for mode in cold warm; do
        : > "$WORK/ours" ; : > "$WORK/nginx"
        fetch "$url_nginx" > /dev/null   # page cache warm for both: we compare CPU work, not the disk
        [ "$mode" = warm ] && fetch "$url_ours" > /dev/null
        for _ in $(seq "$RUNS"); do
            [ "$mode" = cold ] && start_ours   # cold = empty CRC cache (the page cache stays warm)
            fetch "$url_ours" >> "$WORK/ours"
            fetch "$url_nginx" >> "$WORK/nginx"
        done
        ours=$(awk '{print $1 / $3 / 1e6}' "$WORK/ours" | median)
        theirs=$(awk '{print $1 / $3 / 1e6}' "$WORK/nginx" | median)
        ttfb=$(awk '{print $2 * 1000}' "$WORK/ours" | median)
        printf '%-8s %-12s %10.0f %10.0f %10.2f %8.1f\n' "$set" "$mode" "$ours" "$theirs" \
            "$(echo "$ours $theirs" | awk '{print $1 / $2}')" "$ttfb"
    done
done
