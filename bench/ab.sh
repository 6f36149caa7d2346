#!/usr/bin/env bash
# Two builds side by side, one run: both serve bench/data/root at once and are fetched in
# turns (A, B, A, B ...), warm and as a new gallery (the same files under a new name: CRC
# cache cold), so that the machine's drift hits both alike. For "did this change make it
# slower": the medians and their ratio B/A are what to quote.
#
#   bench/ab.sh BEFORE.jar AFTER.jar               # the "many" set (10,000 x 10 KiB), 15 pairs
#   SET=photos N=9 bench/ab.sh BEFORE.jar AFTER.jar
#   SET=small CLIENTS=64 N=5 bench/ab.sh BEFORE.jar AFTER.jar   # wrk, 64 keep-alive clients, 10 s a turn
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
# shellcheck source=bench/lib.sh
. bench/lib.sh
# Every client here is 127.0.0.1: the per-client limit (16) would turn most of 64 clients away.
OURS=(--path "$ROOT" --host 127.0.0.1 --max-downloads-per-client 1000)
java -jar "$JAR_A" "${OURS[@]}" --port "$PORT_A" > "$WORK/a.log" 2>&1 & echo $! > "$WORK/a.pid"
java -jar "$JAR_B" "${OURS[@]}" --port "$PORT_B" > "$WORK/b.log" 2>&1 & echo $! > "$WORK/b.pid"
trap 'kill $(cat "$WORK"/*.pid) 2>/dev/null || true; rm -rf "$WORK"' EXIT
for port in "$PORT_A" "$PORT_B"; do
    for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.2; done
done
if [ -n "${CLIENTS:-}" ]; then   # aggregate throughput of many clients, wrk on each side in turns
    SECONDS_PER_TURN=${SECONDS_PER_TURN:-10}
    printf 'done = function(s) io.write(string.format("%%d %%d\\n", s.bytes, s.duration)) end\n' > "$WORK/bytes.lua"
    turn() { # seconds port -> "bytes microseconds"; fails on any answer but 200
        wrk -t 2 -c "$CLIENTS" -d "$1s" -s "$WORK/bytes.lua" "http://127.0.0.1:$2/archive/$SET/" > "$WORK/wrk.out"
        if grep -q 'Non-2xx' "$WORK/wrk.out"; then cat "$WORK/wrk.out" >&2; exit 1; fi
        tail -1 "$WORK/wrk.out"
    }
    turn 5 "$PORT_A" > /dev/null; turn 5 "$PORT_B" > /dev/null   # warm-up
    for _ in $(seq "$N"); do
        turn "$SECONDS_PER_TURN" "$PORT_A" >> "$WORK/clients-a"
        turn "$SECONDS_PER_TURN" "$PORT_B" >> "$WORK/clients-b"
    done
    a=$(awk '{print $1 / $2}' "$WORK/clients-a" | median)   # bytes per microsecond = MB/s
    b=$(awk '{print $1 / $2}' "$WORK/clients-b" | median)
    echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores, $(uname -r), $(java -version 2>&1 | head -1); $SET, $CLIENTS clients, $N turns of ${SECONDS_PER_TURN} s"
    printf 'A %.0f MB/s, B %.0f MB/s, B/A %.2f\n' "$a" "$b" "$(echo "$a $b" | awk '{print $2 / $1}')"
    exit 0
fi
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
