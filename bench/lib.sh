# shellcheck shell=bash
# What the bench scripts share; sourced by them, not run. The functions use DATA (where the
# data sets live) and WORK (a scratch directory each script removes when it exits).

# The sets are named for what they hold (photos, many, small): shorter names than the default
# --hash-pattern serves (16 characters or more), so every service the benches start serves them.
export HASH_PATTERN='[A-Za-z0-9_-]{1,128}'

# make_set NAME COUNT SIZE: $DATA/root/NAME holds COUNT files of SIZE bytes (deterministic and
# incompressible, like JPEG data), and $DATA/static/NAME.zip is its `zip -0`. Made once.
make_set() {
    local dir="$DATA/root/$1"
    [ -f "$dir/.complete" ] && return
    rm -rf "$dir" && mkdir -p "$dir"
    python3 - "$dir" "$2" "$3" <<'PY'
import random, sys
folder, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(count):
    with open(f"{folder}/img_{i:05d}.jpg", "wb") as f:
        f.write(random.Random(i).randbytes(size))
PY
    mkdir -p "$DATA/static"
    (cd "$dir" && rm -f "$DATA/static/$1.zip" && zip -q -0 -r "$DATA/static/$1.zip" . -x '.*')
    touch "$dir/.complete"
}

# make_named_set NAME: one of the sets the benches name.
make_named_set() {
    case $1 in
        photos) make_set photos 200 $((5 * 1024 * 1024)) ;;
        many) make_set many 10000 $((10 * 1024)) ;;
        small) make_set small 20 $((1024 * 1024)) ;;
        *) echo "unknown set $1" >&2; exit 2 ;;
    esac
}

# fetch URL [FILE]: one GET, the body to FILE (default: dropped); prints bytes, seconds to the
# first byte, total seconds. Fails on an answer that is not a success.
fetch() { curl -sS -f -o "${2:-/dev/null}" -w '%{size_download} %{time_starttransfer} %{time_total}\n' "$1"; }

# median: of the numbers on stdin, one a line.
median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

# test_classpath: builds the jar and the test classes; writes the test classpath to $WORK/cp.
test_classpath() {
    ./mvnw -q -DskipTests package test-compile dependency:build-classpath \
        -Dmdep.outputFile="$WORK/cp.deps" -Dmdep.includeScope=test
    echo "target/test-classes:$(cat "$WORK/cp.deps")" > "$WORK/cp"
}

# start_tool NAME CLASS ARGS...: runs a main class of the test classpath in the background (log
# $WORK/NAME.log, pid $WORK/NAME.pid) and waits for its "endpoint URL" or "port N" line;
# tool_address NAME then prints the URL or port.
start_tool() {
    local name=$1 class=$2; shift 2
    rm -f "$WORK/$name.log"   # an earlier run's address is not this one's
    # shellcheck disable=SC2086
    java ${TOOL_JAVA_OPTS:-} -cp "$(cat "$WORK/cp")" "$class" "$@" > "$WORK/$name.log" 2>&1 &
    echo $! > "$WORK/$name.pid"
    for _ in $(seq 600); do
        [ -n "$(tool_address "$name")" ] && return
        kill -0 "$(cat "$WORK/$name.pid")" 2>/dev/null || break
        sleep 0.5
    done
    echo "$class did not start" >&2; cat "$WORK/$name.log" >&2; exit 1
}
tool_address() { awk '/^(endpoint|port) / {print $2; exit}' "$WORK/$1.log" 2>/dev/null; }   # nothing yet: no log

# stop NAME: ends a process started with its pid in $WORK/NAME.pid, and waits for it.
stop() {
    [ -f "$WORK/$1.pid" ] || return 0
    kill "$(cat "$WORK/$1.pid")" 2>/dev/null || true
    wait "$(cat "$WORK/$1.pid")" 2>/dev/null || true
    rm -f "$WORK/$1.pid"
}

# Memory per slow download: SLOW clients each reading 10 kB/s (bench/slow_clients.py).
rss_kib() { # pids -> total VmRSS in KiB
    local total=0 pid
    for pid in "$@"; do total=$((total + $(awk '/VmRSS/ {print $2}' "/proc/$pid/status"))); done
    echo "$total"
}
connected() { # url -> established connections to its port (the server's side)
    local port=${1#*//*:}; port=${port%%/*}
    ss -Htn state established "( sport = :$port )" | wc -l
}
slow_settle() { # url -> returns once the last clients' connections are gone (at most 30 s) and the server is idle
    local waited=0
    while [ "$(connected "$1")" -gt 0 ] && [ "$waited" -lt 300 ]; do sleep 0.1; waited=$((waited + 1)); done
    sleep 3
}
active_downloads() { # metrics url -> downloads under way, as the service counts them
    curl -s "$1" | awk '/^downloads_active / {print int($2)}'
}
slow_start() { # url [metrics url] -> starts SLOW slow clients in the background, returns once they are all
               # connected and, given our metrics, all downloading (at most 60 s)
    python3 bench/slow_clients.py "$1" "$SLOW" 120 10000 > "$WORK/slow-alive" &
    echo $! > "$WORK/slow.pid"
    local waited=0
    while [ "$(connected "$1")" -lt "$SLOW" ] && [ "$waited" -lt 600 ]; do sleep 0.1; waited=$((waited + 1)); done
    if [ -n "${2:-}" ]; then
        while [ "$(active_downloads "$2")" -lt "$SLOW" ] && [ "$waited" -lt 600 ]; do sleep 0.2; waited=$((waited + 2)); done
    fi
    sleep 2   # their first bytes sent, the server's buffers filled
}
slow_stop() { # -> stops the clients, and prints how many were still reading then (none dropped by the server)
    kill -TERM "$(cat "$WORK/slow.pid")" 2>/dev/null || true
    wait "$(cat "$WORK/slow.pid")" 2>/dev/null || true
    cat "$WORK/slow-alive"
}
# Each measure divides by the downloads connected when it is taken, not by SLOW: on a busy machine
# the last clients can still be connecting.
slow_rss() { # url metrics-url-or-"" pids... -> KiB per download, downloads still reading at the end, threads of the first pid
    local url=$1 metrics=$2; shift 2
    local before after threads open alive
    slow_settle "$url"
    if [ -n "${NMT:-}" ]; then jcmd "$1" VM.native_memory baseline > /dev/null; fi
    before=$(rss_kib "$@")
    slow_start "$url" "$metrics"
    after=$(rss_kib "$@")
    if [ -n "${NMT:-}" ]; then jcmd "$1" VM.native_memory summary.diff > "$WORK/nmt.diff"; fi
    open=$(connected "$url")
    threads=$(find "/proc/$1/task" -mindepth 1 -maxdepth 1 | wc -l)
    alive=$(slow_stop)
    echo "$(( (after - before) / open )) $alive $threads"
}
heap_used_kib() { # pid -> KiB of live heap: the class histogram's total, counted in the full GC it runs
    jcmd "$1" GC.class_histogram | awk '/^Total/ {print int($3 / 1024)}'
}
slow_heap_kib() { # url metrics-url pid -> KiB of live heap per download while SLOW slow downloads run
    local before during open
    slow_settle "$1"
    before=$(heap_used_kib "$3")
    slow_start "$1" "$2"
    during=$(heap_used_kib "$3")
    open=$(connected "$1")
    slow_stop > /dev/null
    echo $(( (during - before) / open ))
}
