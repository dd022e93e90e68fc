#!/usr/bin/env bash
# page.sh: the /tasks page's speed goals with N tasks in the database
# (default 100,000), in Debian's Chromium: usable (first rows and the counts
# on screen) < 300 ms after navigation, a search on screen < 150 ms after the
# last keystroke, a change made in another browser on screen < 2 s (medians
# of RUNS each). Seeds a database with bench/seed.c, starts the real server
# on 127.0.0.1, runs bench/page.mjs. Needs `make` and tests/e2e/node_modules
# (make e2e installs them). Run by hand or from make bench (bench/run.sh),
# not by make test. Prints the figures, then one result line last.
#   N=100000 RUNS=10 bench/page.sh        (about a minute here)
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
TOKEN_A=$("$BIN" token create --db "$DB" --role admin --name "bench browser A" 2>/dev/null)
TOKEN_B=$("$BIN" token create --db "$DB" --role admin --name "bench browser B" 2>/dev/null)
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
result=$(timeout 900 node bench/page.mjs "$URL" "$TOKEN_A" "$TOKEN_B" "$RUNS")
kill -TERM "$PID"; wait "$PID" 2>/dev/null || true; PID=""
echo "$result"
# the median of one figure ("usable_ms" ...), or empty when it was not measured
med() { sed -n "s/.*\"$1\":{\"median\":\([0-9]*\).*/\1/p" <<<"$result"; }
U=$(med usable_ms) S=$(med search_ms) C=$(med change_ms)
v() { if [ -z "$1" ]; then echo "n/a"; elif [ "$1" -lt "$2" ]; then echo pass; else echo "**FAIL**"; fi; }
echo "tasks=$N runs=$RUNS usable_median_ms=${U:-n/a} ($(v "$U" 300), goal < 300) search_median_ms=${S:-n/a} ($(v "$S" 150), goal < 150) change_median_ms=${C:-n/a} ($(v "$C" 2000), goal < 2000)"
