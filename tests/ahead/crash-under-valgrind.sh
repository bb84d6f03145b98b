#!/bin/sh
# crash-under-valgrind.sh ARGS... — $TALLY ARGS, except under valgrind, where it
# dies of SIGSEGV first. check-valgrind runs tests/ahead/helgrind.sh over it to
# show that a crash under helgrind fails that test (it must not pass).
case "${LD_PRELOAD:-}" in *vgpreload*) kill -SEGV $$ ;; esac
exec "$TALLY" "$@"
