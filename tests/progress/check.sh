#!/bin/sh
# tests/progress/check.sh TALLY BENCH_GEN — the progress line (--progress,
# forced on though standard error is a file) shows the share of the input
# read when its size is known, and the time left once the run has gone on for
# two seconds, never before; with standard input (size unknown), neither.
#
# Two seconds pass for certain without a slow test: tally is stopped
# (SIGSTOP) once its first progress line is out, and continued 2.5 s later —
# the clock runs on, and the rest of the input is read with the estimate due.
set -u
tally=$1 gen=$2
dir=$(mktemp -d "${TMPDIR:-/tmp}/tally-progress.XXXXXX")
trap 'rm -rf "$dir"' EXIT INT TERM
fail=0
"$gen" -n 150000 csv > "$dir/in.csv" || { echo "FAIL: bench-gen"; exit 1; }

"$tally" validate --progress "$dir/in.csv" > /dev/null 2> "$dir/err" &
pid=$!
tries=0
while ! grep -q 'tally:' "$dir/err" 2> /dev/null && [ "$tries" -lt 1000 ]; do
    sleep 0.01
    tries=$((tries + 1))
done
if ! kill -STOP "$pid" 2> /dev/null; then
    echo "FAIL: tally finished before it could be stopped (a faster machine: make the input larger)"
    exit 1
fi
sleep 2.5
kill -CONT "$pid"
wait "$pid"
echo "validate: exit $?" > "$dir/status"
tr '\r' '\n' < "$dir/err" | sed 's/\x1b\[K//g' | grep 'tally:' > "$dir/lines"

grep -q 'validate: exit 0' "$dir/status" || { echo "FAIL: $(cat "$dir/status")"; fail=1; }
pct='^tally: [0-9.]* MB of [0-9.]* MB ([0-9]*%), [0-9]* records, [0-9.]* MB/s'
if ! grep -q "$pct" "$dir/lines"; then
    echo "FAIL: no progress line shows the share read:"; head -3 "$dir/lines"; fail=1
fi
if ! grep -q "$pct, [0-9]* \(s\|min\|h [0-9]* min\) left\$" "$dir/lines"; then
    echo "FAIL: no progress line shows the time left:"; tail -3 "$dir/lines"; fail=1
fi
if head -1 "$dir/lines" | grep -q 'left'; then
    echo "FAIL: the first progress line already shows the time left: $(head -1 "$dir/lines")"; fail=1
fi

# Standard input: its size is not known, so neither share nor time left.
head -c 2000000 "$dir/in.csv" | "$tally" validate --progress - > /dev/null 2> "$dir/err-stdin"
tr '\r' '\n' < "$dir/err-stdin" | grep 'tally:' > "$dir/lines-stdin"
if ! grep -q '^tally: [0-9.]* MB, [0-9]* records' "$dir/lines-stdin" ||
    grep -q '%\|left' "$dir/lines-stdin"; then
    echo "FAIL: standard input's progress lines:"; head -3 "$dir/lines-stdin"; fail=1
fi

n=$(wc -l < "$dir/lines")
if [ "$fail" = 0 ]; then
    echo "progress: $n lines; the share read, then the time left after 2 s; none for standard input"
fi
exit "$fail"
