#!/bin/sh
# install.sh BUILD — `make install` and `make uninstall` into a staging
# directory, with every directory variable set to a place of its own:
# exactly the expected files land where asked, tally.pc is one pkg-config
# accepts and that names the installed paths and version, and uninstall
# leaves no file behind (nor tally's own directories).
set -eu
build=$1
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
vars="DESTDIR=$stage PREFIX=/opt/t BINDIR=/opt/t/b LIBDIR=/opt/t/lib64 INCLUDEDIR=/opt/t/inc
      DATADIR=/opt/t/data MANDIR=/opt/t/manpages"
fail() { echo "check-install: $*" >&2; exit 1; }

# shellcheck disable=SC2086
make -s install $vars >/dev/null

{
    echo /opt/t/b/tally
    echo /opt/t/lib64/libtally.a
    echo /opt/t/lib64/pkgconfig/tally.pc
    for h in include/tally/*.h; do echo "/opt/t/inc/tally/${h##*/}"; done
    for f in schemas/missing-from-care.schema.json schemas/authorities.csv schemas/areas.csv \
             schemas/aliases.csv schemas/missing-from-care.xsd; do echo "/opt/t/data/tally/${f##*/}"; done
    echo /opt/t/manpages/man1/tally.1
} | sort > "$stage/want"
(cd "$stage" && find . -type f ! -name want ! -name got | sed 's/^\.//' | sort) > "$stage/got"
diff -u "$stage/want" "$stage/got" || fail "install put other files than these"

cmp -s "$build/tally" "$stage/opt/t/b/tally" || fail "the installed tally is not $build/tally"
cmp -s "$build/libtally.a" "$stage/opt/t/lib64/libtally.a" || fail "libtally.a differs"
[ -x "$stage/opt/t/b/tally" ] || fail "tally is not executable"

pc=$stage/opt/t/lib64/pkgconfig
export PKG_CONFIG_PATH="$pc"
pkg-config --validate tally || fail "pkg-config rejects tally.pc"
version=$("$build/tally" --version | sed -n 's/^tally \([^ ]*\) .*/\1/p')
[ "$(pkg-config --modversion tally)" = "$version" ] || fail "tally.pc's version is not $version"
[ "$(pkg-config --variable=libdir tally)" = /opt/t/lib64 ] || fail "tally.pc's libdir"
[ "$(pkg-config --variable=includedir tally)" = /opt/t/inc ] || fail "tally.pc's includedir"
libs=$(pkg-config --libs tally)
for l in -L/opt/t/lib64 -ltally -lxml2 -lcjson -lsqlite3 -lnettle -lpcre2-8 -lzip -lcsv -lglpk -lm; do
    case " $libs " in *" $l "*) ;; *) fail "pkg-config --libs tally lacks $l: $libs" ;; esac
done
case " $(pkg-config --cflags tally) " in *" -I/opt/t/inc "*) ;; *) fail "Cflags lacks -I/opt/t/inc" ;; esac

# shellcheck disable=SC2086
make -s uninstall $vars >/dev/null
left=$(cd "$stage" && find . -type f ! -name want ! -name got)
[ -z "$left" ] || fail "uninstall left: $left"
[ ! -e "$stage/opt/t/inc/tally" ] && [ ! -e "$stage/opt/t/data/tally" ] || fail "tally's directories left"
echo "check-install: $(wc -l < "$stage/want") files installed where asked, tally.pc checked, all removed"
