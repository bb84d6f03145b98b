#!/bin/sh
# maxrss.sh MIB COMMAND [ARG...] — for golden cases that must use bounded memory.
#
# Runs COMMAND (its stdout and stderr untouched) under /usr/bin/time, then
# prints "rss ok" on standard output when its peak resident set stayed under
# MIB mebibytes, or "rss N KiB, over MIB MiB" when not. Exits with COMMAND's
# status. Under TALLY_WRAPPER (valgrind) the peak is valgrind's, not tally's,
# so the limit is not checked there.
limit=$1
shift
if [ -n "${TALLY_WRAPPER:-}" ]; then
    "$@"
    status=$?
    echo "rss ok"
    exit $status
fi
log=$(mktemp "${TMPDIR:-/tmp}/maxrss.XXXXXX")
/usr/bin/time -f %M -o "$log" "$@"
status=$?
kib=$(tail -n 1 "$log")
rm -f "$log"
if [ "$kib" -lt $((limit * 1024)) ] 2>/dev/null; then
    echo "rss ok"
else
    echo "rss $kib KiB, over $limit MiB"
fi
exit $status
