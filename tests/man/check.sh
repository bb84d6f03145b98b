#!/bin/sh
# check.sh TALLY MANPAGE — the man page and every command's --help name the
# same options, with the same words:
#
#   1. every option a command's --help lists (its option lines: two spaces,
#      then "-x, --name ARG" or "--name ARG", up to two spaces) is an entry of
#      the man page's OPTIONS section, that entry names the command, and its
#      header has the same ARG word;
#   2. every command an OPTIONS entry names lists that option in its --help.
#
# An entry names its commands in the parentheses its description starts with
# — "(convert)", "(validate, build)", "(every command)" — and in any "(cmd)"
# later in it ("(convert) The output file ... (build) The output directory");
# an entry without is for validate, convert and build. tally --version must be
# in both. Prints each mismatch; exits 1 when there is one.
set -u
tally=$1
man=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/tally-man.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

# "COMMAND OPTION ARG" per option name in each --help ("-" for no ARG).
for c in validate convert build schema; do
    "$tally" "$c" --help > "$work/help-$c" || { echo "FAIL tally $c --help exits $?"; exit 1; }
    awk -v c="$c" '
        /^  -/ {
            col = substr($0, 3)
            n = index(col, "  ")
            if (n) col = substr(col, 1, n - 1)
            m = split(col, part, /, /)
            k = split(part[m], w, " ")
            arg = k > 1 ? w[2] : "-"
            for (i = 1; i <= m; i++) {
                split(part[i], w, " ")
                print c, w[1], arg
            }
        }' "$work/help-$c"
done > "$work/help"

# "OPTION COMMANDS... | HEADER WORDS..." per option name in the man page.
awk '
    function plain(s) {
        gsub(/\\f[BIRP]/, "", s); gsub(/\\-/, "-", s); gsub(/\\&/, "", s); gsub(/"/, "", s)
        return s
    }
    function flush(   cmds, d, rest, p, inner, n, i, names, words, k, j) {
        if (header == "") return
        d = plain(desc); sub(/^ +/, "", d)
        cmds = ""
        if (substr(d, 1, 1) != "(") cmds = " validate convert build"
        rest = d
        while ((p = match(rest, /\([a-z ,]+\)/)) > 0) {
            inner = substr(rest, RSTART + 1, RLENGTH - 2)
            rest = substr(rest, RSTART + RLENGTH)
            if (inner == "every command") { cmds = cmds " validate convert build schema"; continue }
            n = split(inner, w, /, /)
            for (i = 1; i <= n; i++)
                if (w[i] ~ /^(validate|convert|build|schema)$/) cmds = cmds " " w[i]
        }
        words = plain(header); sub(/^\.[A-Z]+ +/, "", words); gsub(/,/, " ", words)
        k = split(words, w, " ")
        for (j = 1; j <= k; j++)
            if (w[j] ~ /^-/) print w[j] cmds " |", words
        header = ""; desc = ""
    }
    /^\.SH/ { flush(); in_opts = ($0 ~ /^\.SH OPTIONS/); next }
    !in_opts { next }
    /^\.TP/ { flush(); want = 1; next }
    want && /^\.B/ { header = $0; want = 0; next }
    /^\.IP/ { next }
    { desc = desc " " $0 }
    END { flush() }' "$man" > "$work/man"

fail=0
# 1. --help to man page.
while read -r c opt arg; do
    entry=$(awk -v o="$opt" '$1 == o' "$work/man")
    if [ -z "$entry" ]; then
        echo "FAIL tally $c --help lists $opt; the man page does not"
        fail=1
        continue
    fi
    cmds=${entry%%|*}
    words=" ${entry#*|} "
    case " $cmds " in
    *" $c "*) ;;
    *) echo "FAIL tally $c --help lists $opt; the man page's entry does not name $c"; fail=1 ;;
    esac
    if [ "$arg" != - ]; then
        case "$words" in
        *" $arg "*) ;;
        *) echo "FAIL tally $c --help writes $opt $arg; the man page writes:$words"; fail=1 ;;
        esac
    fi
done < "$work/help"

# 2. man page to --help.
while read -r opt rest; do
    cmds=${rest%%|*}
    for c in $cmds; do
        if ! awk -v c="$c" -v o="$opt" '$1 == c && $2 == o { found = 1 } END { exit !found }' \
            "$work/help"; then
            echo "FAIL the man page gives $opt for $c; tally $c --help does not list it"
            fail=1
        fi
    done
done < "$work/man"

# tally --version, in both.
"$tally" --help | grep -q -- '--version' || { echo "FAIL tally --help does not list --version"; fail=1; }
grep -q '^\.B.*\\-\\-version' "$man" || { echo "FAIL the man page does not list --version"; fail=1; }

n=$(wc -l < "$work/help")
m=$(wc -l < "$work/man")
if [ "$fail" = 0 ]; then
    echo "man: $n options in 4 commands' --help and $m in the man page agree"
else
    exit 1
fi
