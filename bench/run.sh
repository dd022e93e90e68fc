#!/usr/bin/env bash
# run.sh: the benchmarks of `make bench`. Seeds databases with bench/seed.c,
# drives the real server with wrk over loopback and writes the figures, with
# the machine, the date and the speed goals of the contract, to
# bench/RESULTS.md. Everything talks to 127.0.0.1 only; every wait is bounded.
#   N=1000000 DURATION=10 bench/run.sh      (about 2-3 minutes here)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$PWD/build/opstasks
N=${N:-1000000}
DURATION=${DURATION:-10}
CONNS=32
# wrk's connections all come from 127.0.0.1: lift the per-address limit
# (--max-connections-per-address, default 64) in every server started here
TMP=$(mktemp -d /tmp/opstasks-bench-XXXXXX)
PID=""
cleanup() { if [ -n "$PID" ]; then kill -9 "$PID" 2>/dev/null || true; fi; rm -rf "$TMP"; }
trap cleanup EXIT

[ -x "$BIN" ] || { echo "run.sh: $BIN is missing; run make first" >&2; exit 1; }
mkdir -p build
cc -O2 -o build/bench-seed bench/seed.c $(pkg-config --cflags --libs sqlite3)

now_ns() { date +%s%N; }

# start_server DB: starts serve on a free port; sets PID, PORT and STARTUP_MS
# (from just before exec to the "listening on" line).
start_server() {
    local fifo=$TMP/out.$RANDOM line=""
    mkfifo "$fifo"
    local t0; t0=$(now_ns)
    "$BIN" serve --db "$1" --listen 127.0.0.1:0 --max-connections-per-address 4096 >"$fifo" 2>>"$TMP/server.log" &
    PID=$!
    read -r -t 20 line <"$fifo" || true
    local t1; t1=$(now_ns)
    rm -f "$fifo"
    case "$line" in
    "listening on http://127.0.0.1:"*) ;;
    *) echo "run.sh: server did not start: '$line'" >&2; cat "$TMP/server.log" >&2; exit 1 ;;
    esac
    PORT=${line##*:}
    STARTUP_MS=$(( (t1 - t0) / 1000000 ))
}

# stop_server: SIGTERM, then at most 10 s for a clean exit before SIGKILL.
stop_server() {
    kill -TERM "$PID"
    for _ in $(seq 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$PID" 2>/dev/null && echo "run.sh: server ignored SIGTERM for 10 s, killed" >&2
    wait "$PID" 2>/dev/null || true
    PID=""
}

# wrk_run SCRIPT URL CONNS THREADS: prints "rps p50 p99 requests non2xx"
wrk_run() {
    local out rps p50 p99 reqs non
    out=$(OPSTASKS_TOKEN=$TOKEN timeout $((DURATION + 30)) wrk -t"$4" -c"$3" -d"${DURATION}s" --latency -s "$1" "$2")
    printf '%s\n' "$out" >>"$TMP/wrk.log"
    rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    reqs=$(sed -n 's/^requests=//p' <<<"$out")
    non=$(sed -n 's/^non2xx=//p' <<<"$out")
    echo "${rps:-0} ${p50:-?} ${p99:-?} ${reqs:-0} ${non:-0}"
}

# ms LATENCY: wrk's "850.12us" / "2.43ms" / "1.02s" as milliseconds.
ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0
        if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000
        printf "%.2f", n }'
}
# verdict COND: "pass" or "**FAIL**" for an awk condition.
verdict() { awk "BEGIN { exit !($1) }" && echo pass || echo "**FAIL**"; }

echo "== durable creates: POST /ops/tasks, $CONNS keep-alive connections, ${DURATION}s"
W=$TMP/write.db
"$BIN" init --db "$W" >/dev/null 2>&1
TOKEN=$("$BIN" token create --db "$W" --role admin 2>/dev/null)
start_server "$W"
read -r C_RPS C_P50 C_P99 C_REQS C_NON < <(wrk_run bench/post.lua "http://127.0.0.1:$PORT/ops/tasks" $CONNS 2)
stop_server
C_OK=$((C_REQS - C_NON))
C_ROWS=$(sqlite3 "$W" "SELECT count(*) FROM tasks")
C_GROUP=$(grep -o '[0-9.]* per commit' "$TMP/server.log" | tail -1 || true)
# wrk stops counting at the deadline, so up to one answer per connection can
# be on disk without wrk having seen it; fewer rows than 2xx answers is a loss.
if [ "$C_ROWS" -ge "$C_OK" ] && [ "$C_ROWS" -le $((C_OK + CONNS)) ]; then C_CHECK="rows match"; else C_CHECK="**ROWS DO NOT MATCH**"; fi
echo "   $C_RPS creates/s, p50 $C_P50, p99 $C_P99; $C_OK answered 2xx, $C_NON non-2xx; $C_ROWS rows on disk ($C_CHECK); ${C_GROUP:-?}"

# workflow rules: events matched against 1,000 rules over 50 event
# types (bench/rules.sql), each matching 2 rules whose tasks commit with the
# event. One client, so every event is its own transaction (and fsync) and the
# latency is the server's time per event plus loopback.
echo "== workflow rules: POST /ops/events, 1,000 rules over 50 types, 2 matches each, 1 connection, ${DURATION}s"
E=$TMP/events.db
"$BIN" init --db "$E" >/dev/null 2>&1
TOKEN=$("$BIN" token create --db "$E" --role admin 2>/dev/null)
sqlite3 "$E" <bench/rules.sql
# one token posts ~1,000 events/s of ~220 bytes here, about the default 16 MiB
# a minute of the per-token volume limit: the limit is off for this run
export OPSTASKS_EVENTS_LIMIT_MIB_PER_MINUTE=0
start_server "$E"
read -r E_RPS E_P50 E_P99 E_REQS E_NON < <(wrk_run bench/events.lua "http://127.0.0.1:$PORT/ops/events" 1 1)
stop_server
unset OPSTASKS_EVENTS_LIMIT_MIB_PER_MINUTE
E_EVENTS=$(sqlite3 "$E" "SELECT count(*) FROM events")
E_TASKS=$(sqlite3 "$E" "SELECT count(*) FROM tasks WHERE source = 'RULE'")
if [ "$E_EVENTS" -gt 0 ] && [ "$E_TASKS" -eq $((2 * E_EVENTS)) ]; then E_CHECK="2 tasks per event"; else E_CHECK="**NOT 2 TASKS PER EVENT**"; fi
echo "   $E_RPS events/s, p50 $E_P50, p99 $E_P99; $E_EVENTS events and $E_TASKS tasks on disk ($E_CHECK); non-2xx $E_NON"

# bulk_ms PORT ROUND: POST /ops/tasks/bulk setting the priority of 500
# active tasks of the read database (another 500 each round) to HIGH; prints
# the milliseconds to the answer and its status ("ms code")
bulk_ms() {
    sqlite3 "$R" "SELECT json_object('ids', json_group_array(id), 'set', json_object('priority', 'HIGH')) FROM
                  (SELECT id FROM tasks WHERE status IN ('OPEN', 'IN_PROGRESS') ORDER BY id LIMIT 500 OFFSET $(( $2 * 500 )))" \
        >"$TMP/bulk.json"
    local out; out=$(curl -s -o "$TMP/bulk.out" -w '%{http_code} %{time_total}' -X POST -H "Authorization: Bearer $TOKEN" \
        -H 'Content-Type: application/json' --data-binary @"$TMP/bulk.json" "http://127.0.0.1:$1/ops/tasks/bulk")
    awk -v s="${out#* }" -v c="${out% *}" 'BEGIN { printf "%.0f %s\n", s * 1000, c }'
}
# bulk_median PORT FIRST_ROUND: the median of 5 bulk changes ("ms codes")
bulk_median() {
    local t=() codes="" ms code
    for i in 0 1 2 3 4; do read -r ms code < <(bulk_ms "$1" $(( $2 + i ))); t+=("$ms"); codes="$codes$code "; done
    echo "$(printf '%s\n' "${t[@]}" | sort -n | sed -n 3p) ${codes% }"
}

echo "== seeding $N tasks"
R=$TMP/read.db
"$BIN" init --db "$R" >/dev/null 2>&1
TOKEN=$("$BIN" token create --db "$R" --role admin 2>/dev/null)
S0=$(now_ns)
build/bench-seed "$R" "$N"
SEED_S=$(( ($(now_ns) - S0) / 1000000000 ))
DB_MB=$(( $(stat -c %s "$R") / 1048576 ))
echo "   ${SEED_S} s, ${DB_MB} MiB"
# the seed writes rows straight into the tables: the search's documents are
# made by the store at its next open (the backfill of rows from before the
# search), timed here so that the start-ups below are the usual ones
echo "== search index of $N tasks (the backfill at open)"
X0=$(now_ns)
"$BIN" init --db "$R" >/dev/null 2>&1
INDEX_S=$(( ($(now_ns) - X0) / 1000000 ))
DB2_MB=$(( $(stat -c %s "$R") / 1048576 ))
echo "   ${INDEX_S} ms, database now ${DB2_MB} MiB"

echo "== start-up over $N tasks (median of 5)"
STARTS=()
for _ in 1 2 3 4 5; do start_server "$R"; STARTS+=("$STARTUP_MS"); stop_server; done
START_MED=$(printf '%s\n' "${STARTS[@]}" | sort -n | sed -n 3p)
echo "   ${STARTS[*]} ms -> median ${START_MED} ms"

start_server "$R"
echo "== default queue view: GET /ops/tasks (50 rows), $CONNS connections, ${DURATION}s"
read -r Q_RPS Q_P50 Q_P99 Q_REQS Q_NON < <(wrk_run bench/queue.lua "http://127.0.0.1:$PORT/ops/tasks" $CONNS 2)
echo "   $Q_RPS req/s, p50 $Q_P50, p99 $Q_P99, non-2xx $Q_NON"
echo "== stats bar: GET /ops/tasks/stats, 1 connection, ${DURATION}s"
read -r S_RPS S_P50 S_P99 S_REQS S_NON < <(wrk_run bench/stats.lua "http://127.0.0.1:$PORT/ops/tasks/stats" 1 1)
echo "   $S_REQS requests, p50 $S_P50, p99 $S_P99, non-2xx $S_NON"
echo "== filtered stats: GET /ops/tasks/stats?assignee_id=sta_07, 1 connection, ${DURATION}s"
read -r A_RPS A_P50 A_P99 A_REQS A_NON < <(wrk_run bench/stats.lua "http://127.0.0.1:$PORT/ops/tasks/stats?assignee_id=sta_07" 1 1)
echo "   $A_REQS requests, p50 $A_P50, p99 $A_P99, non-2xx $A_NON"
# two words of the seed's titles (one task in 8 has this title): the worst
# case of the search, every match ranked; and one with a customer filter
echo "== search: GET /ops/tasks?q=passport%20copy&status=all, 1 connection, ${DURATION}s"
read -r QS_RPS QS_P50 QS_P99 QS_REQS QS_NON < <(wrk_run bench/queue.lua "http://127.0.0.1:$PORT/ops/tasks?q=passport%20copy&status=all" 1 1)
echo "   $QS_REQS requests, p50 $QS_P50, p99 $QS_P99, non-2xx $QS_NON"
echo "== bulk change: POST /ops/tasks/bulk of 500 tasks (priority), median of 5"
read -r BK_MS BK_CODES < <(bulk_median "$PORT" 0)
echo "   ${BK_MS} ms (HTTP ${BK_CODES// /,})"
# the SLA report over a window holding ~10% of the tasks (bench/seed.c
# gives a third of them an SLA, created evenly over a year: N/10 in N*0.33/365
# per day, so about 110 days for 100,000 of 1,000,000)
SLA_DAYS=110
SLA_FROM=$(date -u -d "-$SLA_DAYS days" +%F); SLA_TO=$(date -u +%F)
SLA_IN=$(sqlite3 "$R" "SELECT count(*) FROM tasks WHERE sla_due_at >= $(date -u -d "$SLA_FROM" +%s)000 AND sla_due_at < $(date -u -d "$SLA_TO + 1 day" +%s)000")
echo "== SLA report: GET /ops/reports/sla?from=$SLA_FROM&to=$SLA_TO&group_by=assignee ($SLA_IN tasks in the window), 1 connection, ${DURATION}s"
read -r R_RPS R_P50 R_P99 R_REQS R_NON < <(wrk_run bench/stats.lua "http://127.0.0.1:$PORT/ops/reports/sla?from=$SLA_FROM&to=$SLA_TO&group_by=assignee" 1 1)
echo "   $R_REQS requests, p50 $R_P50, p99 $R_P99, non-2xx $R_NON"
RSS=$(awk '/^VmRSS/ {print int($2/1024)}' "/proc/$PID/status")
HWM=$(awk '/^VmHWM/ {print int($2/1024)}' "/proc/$PID/status")
echo "== memory after the runs: VmRSS ${RSS} MiB, peak ${HWM} MiB"
stop_server

# renewals: one engine pass over RN items of which 1% (RN/100) cross a
# threshold, through POST /ops/renewals/run. The items are written with
# sqlite3 while the server idles (its start-up pass ran on an empty table and
# the next sweep is a day away), so the timed pass is the one that acts.
RN=${RN:-100000}
echo "== renewals pass: $RN items, $((RN / 100)) crossing a threshold"
RW=$TMP/renewals.db
"$BIN" init --db "$RW" >/dev/null 2>&1
TOKEN=$("$BIN" token create --db "$RW" --role admin 2>/dev/null)
"$BIN" serve --db "$RW" --listen 127.0.0.1:0 --sweep-interval 86400 --max-connections-per-address 4096 >"$TMP/ren.out" 2>>"$TMP/server.log" &
PID=$!
for _ in $(seq 100); do grep -q "listening on" "$TMP/ren.out" 2>/dev/null && break; sleep 0.1; done
PORT=$(sed -n 's/^listening on http:\/\/127.0.0.1://p' "$TMP/ren.out")
[ -n "$PORT" ] || { echo "run.sh: renewals server did not start" >&2; cat "$TMP/server.log" >&2; exit 1; }
sqlite3 "$RW" <<SQL
.timeout 10000
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 999)
INSERT INTO customers (id, name, email, owner_id, created_at, updated_at)
    SELECT printf('cus_%04d', i), 'Customer ' || i, NULL, NULL, 0, 0 FROM n;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $RN - 1)
INSERT INTO renewal_items (id, customer_id, kind, expires_on, assignee_id, next_due, created_at, updated_at)
    SELECT printf('ren_%07d', i), printf('cus_%04d', i % 1000), 'residence_permit',
           CASE WHEN i % 100 = 0 THEN date('now', '+20 days') ELSE date('now', printf('+%d days', 100 + i % 365)) END,
           NULL, NULL, 0, 0 FROM n;
UPDATE renewal_items SET next_due = date(expires_on, '-90 days');
COMMIT;
ANALYZE;
SQL
R_OUT=$(curl -s -o "$TMP/ren1.json" -w '%{http_code} %{time_total}' -X POST -H "Authorization: Bearer $TOKEN" \
    "http://127.0.0.1:$PORT/ops/renewals/run")
R_CODE=${R_OUT% *}; R_S=${R_OUT#* }
R_MADE=$( (grep -o '"task_id"' "$TMP/ren1.json" || true) | wc -l)
R_ROWS=$(sqlite3 "$RW" "SELECT count(*) FROM tasks WHERE source = 'RENEWAL'")
R2_OUT=$(curl -s -o "$TMP/ren2.json" -w '%{http_code} %{time_total}' -X POST -H "Authorization: Bearer $TOKEN" \
    "http://127.0.0.1:$PORT/ops/renewals/run")
R2_S=${R2_OUT#* }
R2_MADE=$( (grep -o '"task_id"' "$TMP/ren2.json" || true) | wc -l)
stop_server
R_MS=$(awk -v s="$R_S" 'BEGIN { printf "%.0f", s * 1000 }')
R2_MS=$(awk -v s="$R2_S" 'BEGIN { printf "%.0f", s * 1000 }')
echo "   HTTP $R_CODE, $R_MADE tasks created ($R_ROWS on disk) in ${R_MS} ms; a second pass: $R2_MADE in ${R2_MS} ms"
V_RENEW=$(verdict "$R_MS < 1000 && $R_CODE == 200 && $R_ROWS == $RN / 100 && $R2_MADE == 0")

# PostgreSQL: the same durable creates and default queue view against a
# throwaway local cluster (Unix socket, fsync and synchronous_commit on),
# with one instance and with two on one database, side by side with the
# SQLite figures above. The 1,000,000 tasks are the SQLite read database,
# moved with `opstasks copy` (timed: that is the migration path).
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n | tail -1 || true)
PG_DONE=no
if [ -n "$PG_BIN" ] && [ "${PG:-1}" = 1 ]; then
    PGD=$(mktemp -d /tmp/opstasks-bench-pg-XXXXXX)
    as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
    [ "$(id -u)" = 0 ] && chown postgres "$PGD"
    pg_cleanup() { as_pg "$PG_BIN/pg_ctl" -D "$PGD/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$PGD"; }
    trap 'cleanup; pg_cleanup' EXIT
    as_pg "$PG_BIN/initdb" -D "$PGD/data" -A trust -U postgres --locale=C.UTF-8 -E UTF8 >/dev/null
    as_pg "$PG_BIN/pg_ctl" -D "$PGD/data" -l "$PGD/log" -w -t 60 \
        -o "-k $PGD -c listen_addresses='' -c max_connections=300 -c shared_buffers=512MB" start >/dev/null
    pguri() { echo "postgresql:///$1?host=$PGD&user=postgres"; }
    psqlq() { as_pg psql -h "$PGD" -U postgres -d "$1" -Atqc "$2"; }
    PG_VER=$(psqlq postgres "SHOW server_version")

    # wrk_pair SCRIPT PATH: two wrk runs at once, one per instance (PORT, PORT2),
    # half the clients each; prints "rps p50 p99 requests non2xx" (sums and the worse tail)
    wrk_pair() {
        local a b
        wrk_run "$1" "http://127.0.0.1:$PORT$2" $((CONNS / 2)) 1 >"$TMP/pair1" &
        local w1=$!
        wrk_run "$1" "http://127.0.0.1:$PORT2$2" $((CONNS / 2)) 1 >"$TMP/pair2"
        wait $w1
        read -r a1 a2 a3 a4 a5 <"$TMP/pair1"; read -r b1 b2 b3 b4 b5 <"$TMP/pair2"
        local w; w=$(awk -v x="$(ms "$a3")" -v y="$(ms "$b3")" 'BEGIN { print (x > y ? x : y) "ms" }')
        echo "$(awk -v x="$a1" -v y="$b1" 'BEGIN { printf "%.2f", x + y }') $a2 $w $((a4 + b4)) $((a5 + b5))"
    }
    # start_second DB: a second instance (PID2, PORT2) on the same database
    start_second() {
        local keep_pid=$PID keep_port=$PORT
        start_server "$1"; PID2=$PID; PORT2=$PORT; PID=$keep_pid; PORT=$keep_port
    }
    stop_second() { local keep=$PID; PID=$PID2; stop_server; PID=$keep; }

    echo "== PostgreSQL $PG_VER: durable creates, 1 instance, $CONNS connections, ${DURATION}s"
    psqlq postgres "CREATE DATABASE w1" >/dev/null
    "$BIN" init --db "$(pguri w1)" >/dev/null 2>&1
    TOKEN=$("$BIN" token create --db "$(pguri w1)" --role admin 2>/dev/null)
    start_server "$(pguri w1)"
    read -r PC_RPS PC_P50 PC_P99 PC_REQS PC_NON < <(wrk_run bench/post.lua "http://127.0.0.1:$PORT/ops/tasks" $CONNS 2)
    stop_server
    PC_ROWS=$(psqlq w1 "SELECT count(*) FROM tasks"); PC_OK=$((PC_REQS - PC_NON))
    if [ "$PC_ROWS" -ge "$PC_OK" ] && [ "$PC_ROWS" -le $((PC_OK + CONNS)) ]; then PC_CHECK="rows match"; else PC_CHECK="**ROWS DO NOT MATCH**"; fi
    echo "   $PC_RPS creates/s, p50 $PC_P50, p99 $PC_P99; $PC_OK answered 2xx, $PC_NON non-2xx; $PC_ROWS rows ($PC_CHECK)"

    echo "== PostgreSQL: durable creates, 2 instances on one database, $CONNS connections in all, ${DURATION}s"
    psqlq postgres "CREATE DATABASE w2" >/dev/null
    "$BIN" init --db "$(pguri w2)" >/dev/null 2>&1
    TOKEN=$("$BIN" token create --db "$(pguri w2)" --role admin 2>/dev/null)
    start_server "$(pguri w2)"; start_second "$(pguri w2)"
    read -r P2C_RPS P2C_P50 P2C_P99 P2C_REQS P2C_NON < <(wrk_pair bench/post.lua /ops/tasks)
    stop_second; stop_server
    P2C_ROWS=$(psqlq w2 "SELECT count(*) FROM tasks"); P2C_OK=$((P2C_REQS - P2C_NON))
    if [ "$P2C_ROWS" -ge "$P2C_OK" ] && [ "$P2C_ROWS" -le $((P2C_OK + CONNS)) ]; then P2C_CHECK="rows match"; else P2C_CHECK="**ROWS DO NOT MATCH**"; fi
    echo "   $P2C_RPS creates/s, p50 $P2C_P50, p99 $P2C_P99; $P2C_OK answered 2xx, $P2C_NON non-2xx; $P2C_ROWS rows ($P2C_CHECK)"

    echo "== PostgreSQL: opstasks copy of the $N-task SQLite database"
    psqlq postgres "CREATE DATABASE r" >/dev/null
    CP0=$(now_ns)
    "$BIN" copy --from "$R" --to "$(pguri r)" >"$TMP/copy.log" 2>&1 || { cat "$TMP/copy.log" >&2; exit 1; }
    COPY_S=$(( ($(now_ns) - CP0) / 1000000000 ))
    psqlq r "VACUUM ANALYZE" >/dev/null
    TOKEN=$("$BIN" token create --db "$(pguri r)" --role admin 2>/dev/null)
    echo "   ${COPY_S} s"

    echo "== PostgreSQL: default queue view over $N tasks, 1 instance, $CONNS connections, ${DURATION}s"
    start_server "$(pguri r)"
    read -r PQ_RPS PQ_P50 PQ_P99 PQ_REQS PQ_NON < <(wrk_run bench/queue.lua "http://127.0.0.1:$PORT/ops/tasks" $CONNS 2)
    echo "   $PQ_RPS req/s, p50 $PQ_P50, p99 $PQ_P99, non-2xx $PQ_NON"
    echo "== PostgreSQL: default queue view over $N tasks, 2 instances, $CONNS connections in all, ${DURATION}s"
    start_second "$(pguri r)"
    read -r P2Q_RPS P2Q_P50 P2Q_P99 P2Q_REQS P2Q_NON < <(wrk_pair bench/queue.lua /ops/tasks)
    stop_second
    echo "   $P2Q_RPS req/s, p50 $P2Q_P50, p99 $P2Q_P99, non-2xx $P2Q_NON"
    echo "== PostgreSQL: search, GET /ops/tasks?q=passport%20copy&status=all, 1 connection, ${DURATION}s"
    read -r PS_RPS PS_P50 PS_P99 PS_REQS PS_NON < <(wrk_run bench/queue.lua "http://127.0.0.1:$PORT/ops/tasks?q=passport%20copy&status=all" 1 1)
    echo "   $PS_REQS requests, p50 $PS_P50, p99 $PS_P99, non-2xx $PS_NON"
    echo "== PostgreSQL: bulk change of 500 tasks, median of 5"
    read -r PB_MS PB_CODES < <(bulk_median "$PORT" 5)
    echo "   ${PB_MS} ms (HTTP ${PB_CODES// /,})"
    stop_server
    pg_cleanup
    trap cleanup EXIT
    PG_DONE=yes
    V_PGC=$(verdict "$PC_RPS >= 0.5 * $C_RPS && $PC_NON == 0")
    V_PGQ=$(verdict "$PQ_RPS >= 0.5 * $Q_RPS && $(ms "$PQ_P99") < 10 && $PQ_NON == 0")
    V_PGS=$(verdict "$(ms "$PS_P99") < 100 && $PS_NON == 0")
    V_PGB=$(verdict "$PB_MS < 1000 && \"${PB_CODES// /}\" == \"200200200200200\"")
    PC_RATIO=$(awk -v a="$PC_RPS" -v b="$C_RPS" 'BEGIN { printf "%.2f", a / b }')
    PQ_RATIO=$(awk -v a="$PQ_RPS" -v b="$Q_RPS" 'BEGIN { printf "%.2f", a / b }')
fi

V_CREATE=$(verdict "$C_RPS >= 20000 && $C_NON == 0")
V_QUEUE=$(verdict "$Q_RPS >= 30000 && $(ms "$Q_P99") < 5 && $Q_NON == 0")
V_STATS=$(verdict "$(ms "$S_P99") < 50 && $S_NON == 0")
V_MEM=$(verdict "$HWM < 100")
V_START=$(verdict "$START_MED < 100")
V_SEARCH=$(verdict "$(ms "$QS_P99") < 50 && $QS_NON == 0")
V_BULK=$(verdict "$BK_MS < 1000 && \"${BK_CODES// /}\" == \"200200200200200\"")
V_SLA=$(verdict "$(ms "$R_P99") < 1000 && $R_NON == 0 && $R_REQS > 0")
V_RULES=$(verdict "$(ms "$E_P99") < 2 && $E_NON == 0") # workflow rules

# the /tasks page: navigation to a usable queue in Chromium, 100,000 tasks
echo "== the /tasks page in Chromium over ${PN:=100000} tasks"
P_LINE=$(N=$PN RUNS=10 bench/page.sh 2>&1 | tail -1) || true
echo "$P_LINE"
P_MED=$(sed -n 's/.*"median_ms":\([0-9]*\).*/\1/p' <<<"$P_LINE")
V_PAGE=$(verdict "${P_MED:-99999} < 1000")

CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
MEM=$(awk '/^MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)
cat >bench/RESULTS.md <<MD
# Benchmark results

Reproduce with \`make bench\` (it runs bench/run.sh, about 3 minutes): seeds a
database with bench/seed.c (realistic mix, one transaction, then ANALYZE),
drives the real server with wrk over loopback (bench/post.lua, queue.lua,
stats.lua) and rewrites this file. wrk runs on the same cores and takes part
of their CPU; runs of 10 s vary by about ±15%. Goals are the contract's speed goals.

- Date: $(date -u +%Y-%m-%dT%H:%MZ)
- Machine: $(nproc) cores, ${CPU}, ${MEM} RAM, Linux $(uname -r)
- Build: $(cc --version | head -1), -O2; SQLite $(sqlite3 --version | cut -d' ' -f1), WAL, synchronous=FULL

| what | measured | goal | |
|---|---|---|---|
| durable creates, POST /ops/tasks, ${CONNS} keep-alive clients, ${DURATION} s, fresh database | **${C_RPS}/s**, p50 ${C_P50}, p99 ${C_P99} (${C_NON} non-2xx; ${C_OK} answered 2xx, ${C_ROWS} rows on disk: ${C_CHECK}; ${C_GROUP:-?}) | ≥ 20,000/s | ${V_CREATE} |
| default queue view, GET /ops/tasks (50 rows) over ${N} tasks, ${CONNS} clients, ${DURATION} s | **${Q_RPS} req/s**, p50 ${Q_P50}, **p99 ${Q_P99}** (${Q_NON} non-2xx) | ≥ 30,000 req/s, p99 < 5 ms | ${V_QUEUE} |
| GET /ops/tasks/stats over ${N} tasks, 1 client, ${S_REQS} requests | p50 ${S_P50}, **p99 ${S_P99}** | < 50 ms | ${V_STATS} |
| GET /ops/tasks/stats?assignee_id=sta_07 (one of 50 staff), 1 client, ${A_REQS} requests | p50 ${A_P50}, p99 ${A_P99} | (no goal) | |
| search, GET /ops/tasks?q=passport%20copy&status=all (two words of one title in 8, ranked) over ${N} tasks, 1 client, ${QS_REQS} requests | p50 ${QS_P50}, **p99 ${QS_P99}** (${QS_NON} non-2xx) | < 50 ms | ${V_SEARCH} |
| bulk change, POST /ops/tasks/bulk of 500 active tasks (priority), over ${N} tasks, median of 5 | **${BK_MS} ms** (HTTP ${BK_CODES// /, }) | < 1 s | ${V_BULK} |
| search index backfill of ${N} seeded tasks at open | ${INDEX_S} ms (database ${DB_MB} → ${DB2_MB} MiB) | | |
| SLA report, GET /ops/reports/sla (${SLA_DAYS} days, ${SLA_IN} tasks in the window, group_by=assignee) over ${N} tasks, 1 client, ${R_REQS} requests | p50 ${R_P50}, **p99 ${R_P99}** (${R_NON} non-2xx) | < 1 s | ${V_SLA} |
| resident memory after the runs, ${N} tasks | **${RSS} MiB** (peak ${HWM} MiB) | < 100 MiB | ${V_MEM} |
| start-up to "listening on", ${N} tasks, median of 5 | **${START_MED} ms** (${STARTS[*]}) | < 100 ms | ${V_START} |
| renewals pass, POST /ops/renewals/run over ${RN} items, $((RN / 100)) crossing a threshold | **${R_MS} ms**, ${R_ROWS} tasks created; a second pass ${R2_MS} ms, ${R2_MADE} created | < 1 s, each crossing acted once | ${V_RENEW} |
| workflow rules: POST /ops/events matching 2 of 1,000 rules over 50 types, tasks durably created, 1 client, ${DURATION} s | p50 ${E_P50}, **p99 ${E_P99}** (${E_RPS} events/s, ${E_NON} non-2xx; ${E_EVENTS} events, ${E_TASKS} tasks on disk: ${E_CHECK}) | < 2 ms per event | ${V_RULES} |
| the /tasks page: navigation to the queue usable in Chromium, ${PN} tasks, median of 10 (bench/page.sh) | **${P_MED:-?} ms** | < 1 s | ${V_PAGE} |
| seeding ${N} tasks (bench/seed.c, one transaction) | ${SEED_S} s, ${DB_MB} MiB database | | |

MD
if [ "$PG_DONE" = yes ]; then
cat >>bench/RESULTS.md <<MD
## PostgreSQL

The same runs against PostgreSQL ${PG_VER} on this machine (a throwaway cluster on a Unix socket, fsync and
synchronous_commit on, shared_buffers 512MB), in the same run as the SQLite rows above; ratios are to them.

| what | measured | goal | |
|---|---|---|---|
| durable creates, 1 instance, ${CONNS} clients, ${DURATION} s | **${PC_RPS}/s** (${PC_RATIO} of SQLite's), p50 ${PC_P50}, p99 ${PC_P99} (${PC_NON} non-2xx; ${PC_ROWS} rows: ${PC_CHECK}) | ≥ 50% of SQLite's | ${V_PGC} |
| durable creates, 2 instances on one database, ${CONNS} clients in all | **${P2C_RPS}/s**, p50 ${P2C_P50}, worse p99 ${P2C_P99} (${P2C_NON} non-2xx; ${P2C_ROWS} rows: ${P2C_CHECK}) | (measured) | |
| default queue view over ${N} tasks, 1 instance, ${CONNS} clients | **${PQ_RPS} req/s** (${PQ_RATIO} of SQLite's), p50 ${PQ_P50}, **p99 ${PQ_P99}** (${PQ_NON} non-2xx) | ≥ 50% of SQLite's, p99 < 10 ms | ${V_PGQ} |
| default queue view over ${N} tasks, 2 instances, ${CONNS} clients in all | **${P2Q_RPS} req/s**, p50 ${P2Q_P50}, worse p99 ${P2Q_P99} (${P2Q_NON} non-2xx) | (measured) | |
| search, q=passport%20copy&status=all over ${N} tasks, 1 client, ${PS_REQS} requests | p50 ${PS_P50}, **p99 ${PS_P99}** (${PS_NON} non-2xx) | < 100 ms | ${V_PGS} |
| bulk change of 500 active tasks (priority) over ${N} tasks, median of 5 | **${PB_MS} ms** (HTTP ${PB_CODES// /, }) | < 1 s | ${V_PGB} |
| \`opstasks copy\` of the ${N}-task SQLite database to PostgreSQL | ${COPY_S} s | | |

MD
fi
if [ -f bench/NOTES.md ]; then sed -n '/^## Notes/,$p' bench/NOTES.md >>bench/RESULTS.md; fi
echo "== written to bench/RESULTS.md"
