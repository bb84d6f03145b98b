#!/bin/sh
# run.sh TALLY FAILMALLOC_SO [STEP] — allocation-failure and I/O-failure tests.
#
# For every command, and every --to, --export and --report form (the scenarios
# below), run tally once for every N from 1 to the number of allocations a
# clean run makes, with the Nth allocation failing (failmalloc.c, preloaded).
# Each run must end cleanly:
#   - never a signal (crash, abort) and never an exit status other than 0, 1, 2;
#   - exit 2 comes with a message on standard error, and leaves no output file;
#   - exit 0 or 1 (the failure was absorbed, e.g. by a library's fallback) must
#     give exactly the clean run's output, on standard output, standard error
#     and in any file it writes: nothing silently lost or truncated;
#   - build: the output directory is byte-for-byte what the previous build left
#     (no partial output), and no working directory is left beside it.
# About FAULT_VALGRIND_SAMPLES (default 8) N per scenario (or every STEP-th) also run under valgrind,
# which must find no leak and no memory error. Then read errors: the Nth
# read(2) fails, for every N, in the middle of an input (see the end). The
# other I/O failures are golden cases, run by `make check` under every build:
# fault-io-dev-full (a full disk), fault-io-workdir-disappears (the output
# directory removed during a build) and fault-io-read-error-mid-list.
# Prints one line per failure and a summary; exits 1 when anything failed.
#
# To look into one failure: FAULT_SCENARIOS=build FAULT_ONLY=N run.sh ... runs
# only that N and shows its output, with a backtrace if it crashes (see
# failmalloc.c for TALLY_FAIL_ALLOC_TRAP, to stop in gdb at the allocation).
set -u
tally=$1
shim=$2
case $tally in /*) ;; *) tally=$(pwd)/$tally ;; esac
case $shim in /*) ;; *) shim=$(pwd)/$shim ;; esac
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/tally-fault.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
failures=0
fail() {
    echo "FAIL $*"
    failures=$((failures + 1))
}
# One library does not survive a failed allocation of its own, whatever its
# caller does, so the allocations it makes are not failed (FAULT_SPARE
# overrides the list; tally's handling of a NULL or an error from each of
# its calls is still tested, since tally's own allocations all fail in turn):
#   libxml2    2.9 crashes inside xmlTextReaderRead (xmlParseCharData,
#              xmlSAX2Characters), and reports others as schema-validity
#              "Internal error"s; it was made allocation-failure safe in 2.12.
#   libglpk    GLPK (the disclosure audit's linear programs) has no error
#              return for a failed allocation: it prints and aborts, by design;
#   libgmp     its exact arithmetic (glp_exact), which does the same.
export TALLY_FAIL_ALLOC_SPARE="${FAULT_SPARE-libxml2,libglpk,libgmp}"
valgrind="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect"

# The inputs: copies, so that nothing in the tree can be touched.
mkdir -p "$work/in/build" "$work/out"
cp "$root/fixtures/build/"* "$root/fixtures/xml/valid.xml" "$work/in/build/"
cp "$root/fixtures/build/kent.csv" "$root/fixtures/build/wales.json" "$root/fixtures/xml/valid.xml" \
   "$work/in/"
# The scenarios: every command, and every --to, --export and --report form.
# NAME|COMMAND, run in $work/in. A command that writes a file names it OUTFILE
# or REPORTFILE (a scratch path per worker); build writes into OUTDIR (see
# run_one). An OUTFILE (convert -o) must not exist after exit 2; a REPORTFILE
# may (a run that stops still reports why, in the report it was asked for).
scenarios='validate|validate kent.csv wales.json valid.xml
validate-json|validate --report json kent.csv wales.json valid.xml
validate-junit|validate --report junit kent.csv wales.json valid.xml
validate-github|validate --report github kent.csv wales.json valid.xml
validate-sarif|validate --report sarif kent.csv wales.json valid.xml
validate-html|validate --report html --report-file REPORTFILE kent.csv wales.json valid.xml
validate-clean|validate --clean messy.csv
validate-workbooks|validate --clean kent.xlsx errors.xlsx kent.ods
convert-csv|convert wales.json --to csv
convert-json|convert kent.csv --to json
convert-ndjson|convert valid.xml --to ndjson
convert-xml|convert kent.csv --to xml -o OUTFILE
convert-xlsx|convert kent.xlsx --to csv
convert-ods|convert kent.ods --to json
schema|schema
schema-xsd|schema --export xsd
schema-json-schema|schema --export json-schema
schema-table-schema|schema --export table-schema
build|build -o OUTDIR/national build
build-publish|build --publish ees -o OUTDIR/national build
build-disclosure|build --disclosure -o OUTDIR/national build
build-previous|build --previous previous.csv -o OUTDIR/national build'
[ -n "${FAULT_SCENARIOS:-}" ] || FAULT_SCENARIOS=$(printf '%s\n' "$scenarios" | cut -d'|' -f1)
cp "$root/fixtures/messy/messy.csv" "$work/in/"
cp "$root/fixtures/previous/dataset-2014.csv" "$work/in/previous.csv"
# Scenarios whose every allocation is not failed: only every k-th, from an
# offset drawn from FAULT_SEED (default 1), k chosen so that each makes at most
# FAULT_SAMPLE_MAX (default 400) runs. A build now makes about 10,700
# allocations (every authority's rows): in full, at a third of a second a run,
# the four builds alone would take two hours of CI. The summary line says which were run; a different
# FAULT_SEED samples others; FAULT_SAMPLED= (empty) runs them all in full.
sampled_scenarios=${FAULT_SAMPLED-build build-publish build-disclosure build-previous}
seed=${FAULT_SEED:-1}
cp "$root/fixtures/workbooks/kent.xlsx" "$root/fixtures/workbooks/errors.xlsx" \
   "$root/fixtures/workbooks/libreoffice/kent.ods" "$work/in/"

# command_of SCENARIO WORKER: its command line, with OUTFILE and OUTDIR for WORKER.
command_of() {
    printf '%s\n' "$scenarios" | awk -F'|' -v n="$1" '$1 == n { print $2 }' |
        sed "s|OUTFILE|$work/file-$2|; s|REPORTFILE|$work/file-$2|; s|OUTDIR|$work/out-$2|; s|^|$tally |"
}

# dir_sum DIR: one checksum line per file of DIR (and the names beside it).
dir_sum() {
    (cd "$1" && find . -type f | LC_ALL=C sort | xargs sha256sum)
    ls -A "$(dirname "$1")"
}

# run_one SCENARIO N WORKER [WRAPPER]: run the scenario with allocation N
# failing; check the outcome. Runs in $work/in; a build writes into
# $work/out-WORKER (a copy of the previous build's directory); a file output
# goes to $work/file-WORKER, which must then be the clean run's, or absent.
run_one() {
    scenario=$1 n=$2 wk=$3 wrap=${4:-}
    out=$work/run-$scenario-$n
    rm -f "$out.log" "$work/file-$wk"
    case $scenario in build*) rm -rf "$work/out-$wk" && cp -a "$work/out" "$work/out-$wk" ;; esac
    cmd=$(command_of "$scenario" "$wk")
    (cd "$work/in" && TALLY_FAIL_ALLOC=$n TALLY_FAIL_ALLOC_LOG=$out.log LD_PRELOAD=$shim \
        $wrap $cmd > "$out.stdout" 2> "$out.stderr")
    status=$?
    # After a complete build is swapped in, removing the old contents can fail
    # too (opendir needs memory): tally says where it left them and the build
    # stands. That is a clean outcome: the old copy is dropped before comparing.
    if grep -q 'the old contents of .* are left in' "$out.stderr" 2>/dev/null; then
        grep -v 'the old contents of .* are left in' "$out.stderr" > "$out.tmp"
        mv "$out.tmp" "$out.stderr"
        rm -rf "$work/out-$wk"/.national.tally-*
    fi
    hit=no
    who=
    if grep -q '^failed' "$out.log" 2>/dev/null; then
        hit=yes
        who=" (in $(sed -n 's/^failed [0-9]* //p' "$out.log"))"
    fi
    case $status in
    0|1|2) ;;
    99) fail "$scenario N=$n$who: valgrind found a leak or a memory error:"; sed -n 1,30p "$out.stderr" ;;
    *) fail "$scenario N=$n$who: exit status $status (a signal?)"; sed -n 1,10p "$out.stderr" ;;
    esac
    if [ $status = 2 ]; then
        [ -s "$out.stderr" ] || [ -s "$out.stdout" ] || fail "$scenario N=$n$who: exit 2 without a message"
        [ $hit = yes ] || fail "$scenario N=$n$who: exit 2, but no allocation failed"
        if [ -e "$work/file-$wk" ] && command_of "$scenario" "$wk" | grep -q -- ' -o '; then
            fail "$scenario N=$n$who: exit 2, but it left an output file"
        fi
    elif [ $status = 0 ] || [ $status = 1 ]; then
        if [ "$status" != "$(cat "$work/clean-$scenario.status")" ] ||
           ! cmp -s "$out.stdout" "$work/clean-$scenario.stdout" ||
           ! cmp -s "$out.stderr" "$work/clean-$scenario.stderr"; then
            fail "$scenario N=$n$who: exit $status, but the output differs from the clean run's:"
            diff "$work/clean-$scenario.stdout" "$out.stdout" | sed -n 1,6p
            diff "$work/clean-$scenario.stderr" "$out.stderr" | sed -n 1,6p
        fi
        if [ -e "$work/clean-$scenario.file" ] && ! cmp -s "$work/clean-$scenario.file" "$work/file-$wk"; then
            fail "$scenario N=$n$who: exit $status, but the file it wrote differs from the clean run's"
        fi
    fi
    if [ "${scenario%%-*}" = build ] && [ "$(dir_sum "$work/out-$wk/national")" != "$(cat "$work/clean-build.sum")" ]; then
        fail "$scenario N=$n$who: exit $status, and the output directory changed:"
        dir_sum "$work/out-$wk/national" | diff "$work/clean-build.sum" - | sed -n 1,8p
    fi
    if [ -n "${FAULT_ONLY:-}" ]; then
        echo "exit $status$who"
        cat "$out.stdout" "$out.stderr"
    fi
    rm -f "$out.stdout" "$out.stderr" "$out.log"
}

for scenario in $FAULT_SCENARIOS; do
    # The clean run: its output, its status, and how many allocations it makes.
    if [ "${scenario%%-*}" = build ]; then
        # The "previous" build that every run replaces, kept in $work/out.
        rm -rf "$work/out-0" "$work/out" && mkdir -p "$work/out-0"
        (cd "$work/in" && $(command_of "$scenario" 0) > /dev/null 2>&1)
        cp -a "$work/out-0" "$work/out"
        dir_sum "$work/out/national" > "$work/clean-build.sum"
    fi
    rm -f "$work/file-0"
    (cd "$work/in" && TALLY_FAIL_ALLOC=0 TALLY_FAIL_ALLOC_LOG=$work/count LD_PRELOAD=$shim \
        $(command_of "$scenario" 0) > "$work/clean-$scenario.stdout" 2> "$work/clean-$scenario.stderr")
    echo $? > "$work/clean-$scenario.status"
    rm -f "$work/clean-$scenario.file"
    [ -e "$work/file-0" ] && mv "$work/file-0" "$work/clean-$scenario.file"
    total=$(sed -n 's/^allocations //p' "$work/count")
    rm -f "$work/count"
    [ -n "$total" ] || { fail "$scenario: the clean run did not finish"; continue; }
    before=$failures
    if [ -n "${FAULT_ONLY:-}" ]; then
        export TALLY_FAIL_ALLOC_BACKTRACE=1
        run_one $scenario "$FAULT_ONLY" 1
        continue
    fi
    # Two workers (odd and even N) on a two-core machine; or, for a sampled
    # scenario, every k-th N from a seeded offset, the workers taking turns.
    k=1 first=1 how="each failed in turn"
    case " $sampled_scenarios " in
    *" $scenario "*)
        max=${FAULT_SAMPLE_MAX:-400}
        k=$(( (total + max - 1) / max ))
        first=$(awk -v s="$seed" -v k="$k" -v n="$scenario" \
            'BEGIN { for (i = 1; i <= length(n); i++) s = (s * 31 + index("abcdefghijklmnopqrstuvwxyz-", substr(n, i, 1))) % 65521; srand(s); print 1 + int(rand() * k) }')
        how="every ${k}th failed, from the ${first}th (FAULT_SEED=$seed)"
        ;;
    esac
    for w in 1 2; do
        (
            failures=0
            n=$((first + (w - 1) * k))
            while [ "$n" -le "$total" ]; do
                run_one $scenario $n $w
                n=$((n + 2 * k))
            done
            echo $failures > "$work/failures-$w"
        ) > "$work/worker-$w.log" 2>&1 &
    done
    wait
    cat "$work/worker-1.log" "$work/worker-2.log"
    failures=$((failures + $(cat "$work/failures-1") + $(cat "$work/failures-2")))
    # A sample under valgrind: leaks and memory errors on the failure paths.
    step=${3:-$((total / ${FAULT_VALGRIND_SAMPLES:-8} + 1))}
    sampled=0
    n=1
    while [ "$n" -le "$total" ]; do
        run_one $scenario $n 1 "$valgrind"
        sampled=$((sampled + 1))
        n=$((n + step))
    done
    echo "fault: $scenario: $total allocations, $how; $sampled of them under valgrind;" \
         "$((failures - before)) failures"
done

# ---- read errors in the middle of an input ----------------------------------------
# The Nth read(2) fails with EIO (failmalloc.c's TALLY_FAIL_READ), for every N up
# to the reads a clean run makes, over inputs that take several reads each: an
# `io` error naming the file and exit 2 (or, for a read that was not of an input,
# the clean run's result); a build leaves its DIR exactly as it was.
[ -z "${FAULT_ONLY:-}" ] || exit 0
unset TALLY_FAIL_ALLOC_SPARE
head -1 "$root/fixtures/build/kent.csv" > "$work/in/big.csv"
i=0
while [ $i -lt 200 ]; do
    for a in E06000001 E06000002 E06000003 E06000004 E06000005 E06000006 E06000007 E06000008 \
             E06000009 E06000010 E06000011 E06000012 E06000013 E06000014 E06000015 E06000016 \
             E06000017 E06000018 E06000019 E06000020 E06000021 E06000022 E06000023 E06000024 \
             E06000025 E06000026 E06000027 E06000028 E06000029 E06000030; do
        echo "$a,,$((2000 + i % 10))-10-01,$((2001 + i % 10))-09-30,,uasc,$i,0,0,0,0"
    done
    i=$((i + 1))
done >> "$work/in/big.csv"
cp "$work/in/big.csv" "$work/in/build/"
for scenario in validate build; do
    if [ $scenario = build ]; then
        cmd="$tally build -q -o OUT/national build"
    else
        cmd="$tally validate -q kent.csv big.csv wales.json valid.xml"
    fi
    # The clean run, which for a build is also the previous build left in $work/out.
    rm -rf "$work/out" && mkdir -p "$work/out"
    (cd "$work/in" && TALLY_FAIL_READ=1000000 TALLY_FAIL_ALLOC_LOG=$work/count LD_PRELOAD=$shim \
        $(echo "$cmd" | sed "s|OUT|$work/out|") > "$work/clean.out" 2>&1)
    clean_status=$?
    [ $scenario = build ] && dir_sum "$work/out/national" > "$work/clean-build.sum"
    total=$(sed -n 's/^reads //p' "$work/count")
    rm -f "$work/count"
    before=$failures
    n=1
    while [ "$n" -le "$total" ]; do
        rm -rf "$work/out-r" && cp -a "$work/out" "$work/out-r"
        (cd "$work/in" && TALLY_FAIL_READ=$n LD_PRELOAD=$shim \
            $(echo "$cmd" | sed "s|OUT|$work/out-r|") > "$work/read.out" 2>&1)
        status=$?
        if [ $status = 2 ]; then
            grep -q 'error\[io\]: cannot read.*Input/output error' "$work/read.out" ||
                fail "$scenario, read $n failing: exit 2 without an io error: $(sed -n 1,3p "$work/read.out")"
        elif [ $status != $clean_status ] || ! cmp -s "$work/read.out" "$work/clean.out"; then
            fail "$scenario, read $n failing: exit $status, and not the clean run's result:"
            sed -n 1,5p "$work/read.out"
        fi
        if [ $scenario = build ] && [ "$(dir_sum "$work/out-r/national")" != "$(cat "$work/clean-build.sum")" ]; then
            fail "$scenario, read $n failing: exit $status, and the output directory changed"
        fi
        n=$((n + 1))
    done
    echo "fault: $scenario: $total reads, each failed in turn; $((failures - before)) failures"
done

echo "fault: $failures failures"
[ $failures -eq 0 ]
