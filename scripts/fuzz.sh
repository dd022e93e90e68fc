#!/bin/sh
# fuzz.sh SECONDS TARGET...: runs each libFuzzer target of build/fuzz for
# SECONDS on its corpus tests/fuzz/corpus/TARGET/ (new inputs are added
# there) with its dictionary, one after the other, and prints libFuzzer's
# final figures per target. Exits 1 when any target found a crash, a leak,
# undefined behaviour or a timeout; the input is kept in build/fuzz/findings/
# and the log in build/fuzz/logs/. Extra libFuzzer flags: FUZZ_FLAGS.
set -u
secs=$1
shift
mkdir -p build/fuzz/logs build/fuzz/findings
failed=""
for t in "$@"; do
    # new inputs go to build/fuzz/corpus/TARGET (the first folder libFuzzer
    # is given); the committed seeds in tests/fuzz/corpus/TARGET are only read,
    # so a run leaves the work tree as it was
    seeds=tests/fuzz/corpus/$t
    corpus=build/fuzz/corpus/$t
    mkdir -p "$corpus" "$seeds"
    dict=""
    [ -f "tests/fuzz/$t.dict" ] && dict="-dict=tests/fuzz/$t.dict"
    log=build/fuzz/logs/$t.log
    # -timeout: an input that takes 10 s is a finding (a request must never).
    # shellcheck disable=SC2086
    build/fuzz/fuzz_"$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix=build/fuzz/findings/"$t"- $dict ${FUZZ_FLAGS:-} "$corpus" "$seeds" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    last=$(grep -E '^#[0-9]+' "$log" | tail -1)
    cov=$(echo "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
    ft=$(echo "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
    files=$(find "$corpus" "$seeds" -type f | wc -l)
    kib=$(du -sck "$corpus" "$seeds" | tail -1 | cut -f1)
    if [ $rc -eq 0 ]; then
        printf 'fuzz %-14s ok  %10s execs %7s/s  cov %5s ft %6s  corpus %5s files %6s KiB\n' \
            "$t" "${execs:-?}" "${speed:-?}" "${cov:-?}" "${ft:-?}" "$files" "$kib"
    else
        printf 'fuzz %-14s FAILED (exit %s); log %s\n' "$t" "$rc" "$log"
        grep -E 'ERROR: |runtime error|fuzz check failed|SUMMARY|Test unit written' "$log" | head -8 | sed 's/^/    /'
        failed="$failed $t"
    fi
done
if [ -n "$failed" ]; then
    echo "fuzz: findings in:$failed (reproduce: build/fuzz/fuzz_TARGET build/fuzz/findings/FILE)" >&2
    exit 1
fi
