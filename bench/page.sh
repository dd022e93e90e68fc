#!/usr/bin/env bash
# page.sh: the /tasks page's speed goal: with N tasks in the
# database (default 100,000) the queue is usable within 1 second of
# navigation. Seeds a database with bench/seed.c, starts the real server on
# 127.0.0.1, and runs bench/page.mjs in Debian's Chromium. Needs `make` and
# tests/e2e/node_modules (make e2e installs them). Prints the result line.
#   N=100000 RUNS=10 bench/page.sh        (under a minute here)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$PWD/build/opstasks
N=${N:-100000}
RUNS=${RUNS:-10}
TMP=$(mktemp -d /tmp/opstasks-page-XXXXXX)
PID=""
cleanup() { if [ -n "$PID" ]; then kill -9 "$PID" 2>/dev/null || true; fi; rm -rf "$TMP"; }
trap cleanup EXIT

[ -x "$BIN" ] || { echo "page.sh: $BIN is missing; run make first" >&2; exit 1; }
[ -d tests/e2e/node_modules/playwright-core ] || { echo "page.sh: run make e2e first (installs playwright-core)" >&2; exit 1; }
mkdir -p build
cc -O2 -o build/bench-seed bench/seed.c $(pkg-config --cflags --libs sqlite3)

DB=$TMP/page.db
"$BIN" init --db "$DB" >/dev/null 2>&1
build/bench-seed "$DB" "$N" >/dev/null
TOKEN=$("$BIN" token create --db "$DB" --role admin 2>/dev/null)
fifo=$TMP/out
mkfifo "$fifo"
"$BIN" serve --db "$DB" --listen 127.0.0.1:0 >"$fifo" 2>>"$TMP/server.log" &
PID=$!
read -r -t 20 line <"$fifo" || true
case "$line" in
"listening on http://127.0.0.1:"*) ;;
*) echo "page.sh: server did not start: '$line'" >&2; cat "$TMP/server.log" >&2; exit 1 ;;
esac
URL=${line#listening on }
result=$(timeout 300 node bench/page.mjs "$URL" "$TOKEN" "$RUNS")
median=$(sed -n 's/.*"median_ms":\([0-9]*\).*/\1/p' <<<"$result")
verdict=$([ "${median:-99999}" -le 1000 ] && echo pass || echo "**FAIL**")
echo "tasks=$N $result goal=1000ms verdict=$verdict"
kill -TERM "$PID"; wait "$PID" 2>/dev/null || true; PID=""
