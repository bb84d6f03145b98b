#!/bin/sh
# make.sh — how each file of this corpus was made (run it here to make them
# again). Each is one return from the Isle of Anglesey whose <name> holds the
# text to read back; `tally validate` quotes the name it read in its
# authority-name warning (the registry calls it "Isle of Anglesey"), so the
# golden case xml-encoding-corpus shows, for every file, exactly the text read,
# or the error. The expected text of each is in README.md beside this file.
set -eu
cd "$(dirname "$0")"

# body DECLARATION NAME: a return as UTF-8, the name as given (UTF-8).
body() {
    printf '%s' "$1"
    printf '<returns>\n  <return>\n    <authority><code>W06000001</code><name>%s</name></authority>\n' "$2"
    printf '    <period><start>2014-10-01</start><end>2015-09-30</end></period>\n'
    printf '    <cohort type="uasc"><in_care>5</in_care><went_missing>1</went_missing>'
    printf '<missing_incidents>1</missing_incidents><found>1</found><not_found>0</not_found></cohort>\n'
    printf '  </return>\n</returns>\n'
}
decl() { printf '<?xml version="1.0" encoding="%s"?>\n' "$1"; }
mon='Ynys M\303\264n (Anglesey)'            # Ynys Môn (Anglesey) in UTF-8; "Ynys Môn" alone
                                            # is the registry's alias, and not warned about
mon=$(printf "$mon")

# Read as declared (or as the byte order mark says).
body '' "$mon" > utf8-undeclared.xml
body "$(decl UTF-8)" "$mon" > utf8-declared.xml
{ printf '\357\273\277'; body '' "$mon"; } > utf8-bom.xml
{ printf '\357\273\277'; body "$(decl utf-8)" "$mon"; } > utf8-bom-declared.xml
{ printf '\377\376'; body "$(decl UTF-16)" "$mon" | iconv -f UTF-8 -t UTF-16LE; } > utf16le-bom.xml
{ printf '\376\377'; body "$(decl UTF-16)" "$mon" | iconv -f UTF-8 -t UTF-16BE; } > utf16be-bom.xml
{ printf '\377\376'; body '' "$mon" | iconv -f UTF-8 -t UTF-16LE; } > utf16le-bom-undeclared.xml
body "$(decl UTF-16LE)" "$mon" | iconv -f UTF-8 -t UTF-16LE > utf16le-no-bom.xml
{ printf '\377\376\000\000'; body "$(decl UTF-32)" "$mon" | iconv -f UTF-8 -t UTF-32LE; } > utf32le-bom.xml
body "$(decl ISO-8859-1)" "$mon" | iconv -f UTF-8 -t ISO-8859-1 > latin1.xml
# "eggÅ¿" in ISO-8859-1 is the bytes 65 67 67 C5 BF, which happen to be valid
# UTF-8 for "eggſ": read as declared, it is eggÅ¿.
body "$(decl ISO-8859-1)" "$(printf 'egg\303\205\302\277')" | iconv -f UTF-8 -t ISO-8859-1 > latin1-egg.xml
body "$(decl windows-1252)" "$(printf '\342\202\254uro \342\200\231quoted\342\200\231')" |
    iconv -f UTF-8 -t WINDOWS-1252 > windows-1252.xml
body "$(decl Shift_JIS)" "$(printf '\346\227\245\346\234\254')" | iconv -f UTF-8 -t SHIFT_JIS > shift-jis.xml
body "$(decl IBM037)" "$mon" | iconv -f UTF-8 -t IBM037 > ebcdic-ibm037.xml
# A file saved as UTF-8 but declared ISO-8859-1: the declaration decides
# (Ã´ for ô): nothing in the file says otherwise.
body "$(decl ISO-8859-1)" "$mon" > declared-latin1-written-utf8.xml
# A lone CR ends a line (old Mac files): the bad count is on line 5.
body '' "$mon" | sed 's/<found>1</<found>one</' | tr '\n' '\r' > cr-line-breaks.xml

# Bytes not valid in the declared encoding: an `encoding` error at the byte.
body '' "$(printf 'Ynys M\364n')" > utf8-undeclared-latin1-byte.xml
body "$(decl UTF-8)" "$(printf 'Ynys M\303(n')" > utf8-invalid-sequence.xml
body "$(decl windows-1252)" "$(printf 'bad \201 byte')" > windows-1252-undefined-byte.xml
body "$(decl US-ASCII)" "$(printf 'Ynys M\364n')" > ascii-high-byte.xml
{ printf '\377\376'; body '' "$mon" | iconv -f UTF-8 -t UTF-16LE | sed 's/M\x00/\x00\xdc/'; } > utf16le-lone-surrogate.xml
{ printf '\377\376'; body '' "$mon" | iconv -f UTF-8 -t UTF-16LE; printf 'x'; } > utf16le-odd-byte.xml
body '' 'Ynys@Mon' | sed 's/@/\x00/' > utf8-nul.xml

# A byte order mark and a declaration that disagree, or a declaration the
# bytes cannot be in: refused, not guessed.
{ printf '\357\273\277'; body "$(decl ISO-8859-1)" "$mon"; } > bom-utf8-declared-latin1.xml
{ printf '\377\376'; body "$(decl UTF-8)" "$mon" | iconv -f UTF-8 -t UTF-16LE; } > bom-utf16-declared-utf8.xml
body "$(decl UTF-16)" "$mon" > declared-utf16-written-8bit.xml
body "$(decl klingon)" "$mon" > unknown-encoding.xml
body "$(decl UTF-7)" "$mon" > declared-utf7.xml
