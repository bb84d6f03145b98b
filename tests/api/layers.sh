#!/bin/sh
# layers.sh — the layering rules the code keeps (issue 16), checked by grep:
#   - src/cli/ is a client of libtally: it includes only the public headers
#     (tally/...) and its own (cli/...), never the library's internals;
#   - the core (clean, validate, build, ...) knows nothing of the writers;
#   - the SQLite writer knows nothing of the reports;
#   - the reports' header carries nothing of the build (its fates, the
#     dataset, the audit, --publish: tally/build.h's tally_build_summary) nor
#     the version (tally/version.h).
fail=0
bad() { echo "check-layers: $1:"; echo "$2" | sed 's/^/  /'; fail=1; }
hits=$(grep -n '#include "\(core\|readers\|writers\|report\)/' src/cli/*.c src/cli/*.h)
[ -z "$hits" ] || bad "the CLI includes the library's internals" "$hits"
hits=$(grep -n '#include "tally/writer.h"' src/core/*.c src/core/*.h)
[ -z "$hits" ] || bad "the core includes writer.h" "$hits"
hits=$(grep -n 'tally/report.h\|tally_report_' src/writers/sqlite.c include/tally/dataset.h)
[ -z "$hits" ] || bad "the SQLite writer takes a report type" "$hits"
hits=$(grep -n 'fates\|authorities_missing\|struct tally_build \|tally_build\b\|disclosure\|publication\|VERSION' include/tally/report.h)
[ -z "$hits" ] || bad "the reports' header carries the build or the version" "$hits"
[ $fail = 0 ] && echo "check-layers: the CLI uses only the public headers; core, the SQLite writer and the reports' header keep to their layers"
exit $fail
