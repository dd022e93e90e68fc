#!/usr/bin/env bash
# run.sh: the benchmarks of `make bench`. Drives the real server with wrk over
# loopback and writes the figures, with the machine and date, to
# bench/RESULTS.md. Everything talks to 127.0.0.1 only; every run is bounded.
#   N=1000000 DURATION=10 bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$PWD/build/opstasks
N=${N:-1000000}
DURATION=${DURATION:-10}
TMP=$(mktemp -d /tmp/opstasks-bench-XXXXXX)
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT

mkdir -p build
cc -O2 -o build/bench-seed bench/seed.c $(pkg-config --cflags --libs sqlite3)

# start_server DB: starts serve on a free port; sets PID, PORT, STARTUP_MS
start_server() {
    local fifo=$TMP/out.$RANDOM
    mkfifo "$fifo"
    local t0=$(date +%s%N)
    "$BIN" serve --db "$1" --listen 127.0.0.1:0 >"$fifo" 2>>"$TMP/server.log" &
    PID=$!
    local line=""
    read -r -t 20 line <"$fifo" || true
    local t1=$(date +%s%N)
    rm -f "$fifo"
    case "$line" in listening\ on\ http://127.0.0.1:*) ;; *) echo "server did not start: $line" >&2; exit 1 ;; esac
    PORT=${line##*:}
    STARTUP_MS=$(( (t1 - t0) / 1000000 ))
}
stop_server() { kill -TERM "$PID"; wait "$PID" || true; PID=""; }

# wrk_run SCRIPT URL CONNS THREADS: prints "rps p50 p99 non2xx"
wrk_run() {
    local out
    out=$(OPSTASKS_TOKEN=$TOKEN wrk -t"$4" -c"$3" -d"${DURATION}s" --latency -s "$1" "$2")
    echo "$out" >>"$TMP/wrk.log"
    local rps p50 p99 non
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
    p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
    non=$(echo "$out" | sed -n 's/^non2xx=//p')
    echo "$rps $p50 $p99 ${non:-0}"
}

echo "== durable creates: POST /ops/tasks, 32 keep-alive connections, ${DURATION}s"
W=$TMP/write.db
"$BIN" init --db "$W" >/dev/null
TOKEN=$("$BIN" token create --db "$W" --role admin)
start_server "$W"
read -r C_RPS C_P50 C_P99 C_NON < <(wrk_run bench/post.lua "http://127.0.0.1:$PORT/ops/tasks" 32 2)
stop_server
C_ROWS=$(sqlite3 "$W" "SELECT count(*) FROM tasks")
C_GROUP=$(grep -o '[0-9.]* per commit' "$TMP/server.log" | tail -1)
echo "   $C_RPS creates/s, p50 $C_P50, p99 $C_P99, non-2xx $C_NON, rows $C_ROWS, $C_GROUP"

echo "== seeding $N tasks"
R=$TMP/read.db
"$BIN" init --db "$R" >/dev/null
TOKEN=$("$BIN" token create --db "$R" --role admin)
S0=$(date +%s%N)
build/bench-seed "$R" "$N"
SEED_S=$(( ($(date +%s%N) - S0) / 1000000000 ))
DB_MB=$(( $(stat -c %s "$R") / 1048576 ))
echo "   ${SEED_S}s, ${DB_MB} MiB"

echo "== start-up over $N tasks (median of 5)"
STARTS=()
for i in 1 2 3 4 5; do start_server "$R"; STARTS+=("$STARTUP_MS"); stop_server; done
START_MED=$(printf '%s\n' "${STARTS[@]}" | sort -n | sed -n 3p)
echo "   ${STARTS[*]} ms -> median ${START_MED} ms"

start_server "$R"
echo "== default queue view: GET /ops/tasks (50 rows), 32 connections"
read -r Q_RPS Q_P50 Q_P99 Q_NON < <(wrk_run bench/get.lua "http://127.0.0.1:$PORT/ops/tasks" 32 2)
echo "   $Q_RPS req/s, p50 $Q_P50, p99 $Q_P99, non-2xx $Q_NON"
echo "== stats bar: GET /ops/tasks/stats, 1 connection"
read -r S_RPS S_P50 S_P99 S_NON < <(wrk_run bench/get.lua "http://127.0.0.1:$PORT/ops/tasks/stats" 1 1)
echo "   p50 $S_P50, p99 $S_P99, non-2xx $S_NON"
echo "== filtered stats: GET /ops/tasks/stats?assignee_id=sta_07, 1 connection"
read -r A_RPS A_P50 A_P99 A_NON < <(wrk_run bench/get.lua "http://127.0.0.1:$PORT/ops/tasks/stats?assignee_id=sta_07" 1 1)
echo "   p50 $A_P50, p99 $A_P99, non-2xx $A_NON"
RSS=$(awk '/VmRSS/ {print int($2/1024)}' /proc/$PID/status)
HWM=$(awk '/VmHWM/ {print int($2/1024)}' /proc/$PID/status)
echo "== memory: VmRSS ${RSS} MiB, peak ${HWM} MiB"
stop_server

CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
MEM=$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)
cat >bench/RESULTS.md <<MD
# Benchmark results

Reproduce with \`make bench\` (bench/run.sh: seeds with bench/seed.c, drives the
real server with wrk over loopback; wrk runs on the same machine and takes
part of its CPU). Figures below are from the last run.

- Date: $(date -u +%Y-%m-%dT%H:%MZ)
- Machine: $(nproc) cores, ${CPU}, ${MEM}, Linux $(uname -r)
- Build: $(cc --version | head -1), -O2; SQLite $(sqlite3 --version | cut -d' ' -f1), WAL, synchronous=FULL

| what | measured | goal |
|---|---|---|
| durable creates, POST /ops/tasks, 32 keep-alive clients, ${DURATION}s | **${C_RPS}/s** (p50 ${C_P50}, p99 ${C_P99}; ${C_GROUP}; ${C_NON} non-2xx; ${C_ROWS} rows on disk) | ≥ 20,000/s |
| default queue view, GET /ops/tasks (50 rows) over ${N} tasks, 32 clients | **${Q_RPS} req/s**, p50 ${Q_P50}, p99 ${Q_P99} (${Q_NON} non-2xx) | ≥ 30,000 req/s, p99 < 5 ms |
| GET /ops/tasks/stats over ${N} tasks | **p50 ${S_P50}, p99 ${S_P99}** | < 50 ms |
| GET /ops/tasks/stats?assignee_id=sta_07 (one of 50 staff) | p50 ${A_P50}, p99 ${A_P99} | (no goal) |
| resident memory after the runs, ${N} tasks | **${RSS} MiB** (peak ${HWM} MiB) | < 100 MiB |
| start-up to "listening on", ${N} tasks (median of 5) | **${START_MED} ms** (${STARTS[*]}) | < 100 ms |
| seeding ${N} tasks (bench/seed.c, one transaction) | ${SEED_S} s, ${DB_MB} MiB database | |
MD
sed -n '/^## Notes/,$p' bench/NOTES.md >>bench/RESULTS.md 2>/dev/null || true
echo "== written to bench/RESULTS.md"
