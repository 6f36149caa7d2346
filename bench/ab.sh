#!/usr/bin/env bash
# Two builds side by side, one run: both serve bench/data/root at once and are fetched in
# turns (A, B, A, B ...), warm and as a new gallery (the same files under a new name: CRC
# cache cold), so that the machine's drift hits both alike. For "did this change make it
# slower": the medians and their ratio B/A are what to quote.
#
#   bench/ab.sh BEFORE.jar AFTER.jar               # the "many" set (10,000 x 10 KiB), 15 pairs
#   SET=photos N=9 bench/ab.sh BEFORE.jar AFTER.jar
#
# The sets are made by bench/run.sh (run it once first). Loopback only; both stop at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 2 ] || { sed -n '2,10p' "$0" >&2; exit 2; }
JAR_A=$1 JAR_B=$2
SET=${SET:-many}
N=${N:-15}
PORT_A=${PORT_A:-18601} PORT_B=${PORT_B:-18602}
ROOT=$(pwd)/bench/data/root
[ -f "$ROOT/$SET/.complete" ] || { echo "no $ROOT/$SET: run SETS=$SET bench/run.sh first" >&2; exit 2; }
WORK=$(mktemp -d)
java -jar "$JAR_A" --path "$ROOT" --host 127.0.0.1 --port "$PORT_A" > "$WORK/a.log" 2>&1 & echo $! > "$WORK/a.pid"
java -jar "$JAR_B" --path "$ROOT" --host 127.0.0.1 --port "$PORT_B" > "$WORK/b.log" 2>&1 & echo $! > "$WORK/b.pid"
trap 'kill $(cat "$WORK"/*.pid) 2>/dev/null || true; rm -rf "$WORK"' EXIT
for port in "$PORT_A" "$PORT_B"; do
    for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.2; done
done
fetch() { curl -s -o /dev/null -w '%{size_download} %{time_starttransfer} %{time_total}\n' "$1"; }
median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
for _ in $(seq 30); do   # the JIT has compiled what a download takes, on both
    fetch "http://127.0.0.1:$PORT_A/archive/$SET/" > /dev/null
    fetch "http://127.0.0.1:$PORT_B/archive/$SET/" > /dev/null
done
for i in $(seq "$N"); do
    for side in a b; do
        port=$PORT_A; [ $side = b ] && port=$PORT_B
        fetch "http://127.0.0.1:$port/archive/$SET/" >> "$WORK/warm-$side"
        # A new folder name, not hard links: a new link moves the files' ctime, so every cache would be cold.
        mv "$ROOT/$SET" "$ROOT/$SET-ab$i$side"
        fetch "http://127.0.0.1:$port/archive/$SET-ab$i$side/" >> "$WORK/new-$side"
        mv "$ROOT/$SET-ab$i$side" "$ROOT/$SET"
    done
done
echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores, $(uname -r), $(java -version 2>&1 | head -1); $SET, $N pairs"
printf '%-12s %10s %10s %8s %10s %10s\n' mode A_MB/s B_MB/s B/A A_ttfb_ms B_ttfb_ms
for mode in warm new; do
    a=$(awk '{print $1 / $3 / 1e6}' "$WORK/$mode-a" | median)
    b=$(awk '{print $1 / $3 / 1e6}' "$WORK/$mode-b" | median)
    printf '%-12s %10.0f %10.0f %8.2f %10.1f %10.1f\n' "$([ $mode = new ] && echo new-gallery || echo warm)" "$a" "$b" \
        "$(echo "$a $b" | awk '{print $2 / $1}')" \
        "$(awk '{print $2 * 1000}' "$WORK/$mode-a" | median)" "$(awk '{print $2 * 1000}' "$WORK/$mode-b" | median)"
done
