#!/usr/bin/python3
"""make.py — build the workbook fixtures in fixtures/workbooks/ (committed).

    /usr/bin/python3 tests/workbooks/make.py      # Debian's python3-openpyxl

Realistic workbooks are written with openpyxl (as Excel-like programs write
them) or by hand where openpyxl cannot (inline strings, OpenDocument); the
hostile ones are built byte by byte from zip pieces. Every zip is rewritten
with fixed timestamps, so running this again gives the same bytes. Each
fixture is described where it is made; the golden cases under
tests/golden/cases/workbook-* and the unit tests in tests/unit/check_workbook.c
say what tally must make of it.
"""
import datetime
import io
import os
import struct
import zipfile
import zlib

import openpyxl
from openpyxl.styles import Font
from openpyxl.utils.datetime import CALENDAR_MAC_1904

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
OUT = os.path.join(ROOT, "fixtures", "workbooks")
WHEN = (2015, 11, 2, 10, 0, 0)

HEADER = ["authority_code", "authority_name", "period_start", "period_end", "cohort",
          "in_care", "went_missing", "missing_incidents", "found", "not_found"]


def normalise(data, order=None):
    """The same zip with fixed timestamps (and, given order, its entries in that order)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    infos = src.infolist()
    if order:
        infos.sort(key=lambda i: order.index(i.filename) if i.filename in order else len(order))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in infos:
            z = zipfile.ZipInfo(info.filename, WHEN)
            z.compress_type = zipfile.ZIP_STORED if info.filename == "mimetype" else info.compress_type
            z.external_attr = 0o600 << 16
            dst.writestr(z, src.read(info.filename))
    return out.getvalue()


def save(name, data):
    path = os.path.join(OUT, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def save_workbook(name, wb):
    wb.properties.created = wb.properties.modified = datetime.datetime(*WHEN)
    buf = io.BytesIO()
    wb.save(buf)
    save(name, normalise(buf.getvalue()))


def make_zip(entries, method=zipfile.ZIP_DEFLATED):
    """A zip of (name, bytes) pairs, in order, with fixed timestamps."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as z:
        for name, data in entries:
            info = zipfile.ZipInfo(name, WHEN)
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else method
            info.external_attr = 0o600 << 16
            z.writestr(info, data)
    return out.getvalue()


# ---- Excel workbooks, as a spreadsheet program writes them ----------------------------

def kent():
    """kent.xlsx: a return as a data officer keeps it. Sheet "Return" first, a
    "Notes" sheet after it. Row 1 a title (merged A1:E1), row 2 empty, row 3 the
    header in Title Case, rows 4-5 Kent's two records (dates as date cells, shown
    dd/mm/yyyy; in_care of uasc typed as the text "985"; submitted left out), row 6
    a totals row, rows 7-9 formatted but empty."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Return"
    ws["A1"] = "Kent County Council: children missing from care, October 2014 to September 2015"
    ws["A1"].font = Font(bold=True)
    ws.merge_cells("A1:E1")
    ws.append([])
    ws.append(["Authority Code", "Authority Name", "Period Start", "Period End", "Cohort",
               "In Care", "Went Missing", "Missing Incidents", "Found", "Not Found"])
    ws.append(["E10000016", "Kent", datetime.date(2014, 10, 1), datetime.date(2015, 9, 30),
               "trafficked", 5, 2, 3, 1, 1])
    ws.append(["E10000016", "Kent", datetime.date(2014, 10, 1), datetime.date(2015, 9, 30),
               "uasc", "985", 190, 400, 137, 53])
    ws.append(["Total", None, None, None, None, 990, 192, 403, 138, 54])
    for row in (4, 5):
        for col in ("C", "D"):
            ws[f"{col}{row}"].number_format = "dd/mm/yyyy"
    for row in (7, 8, 9):
        for col in "ABCDEFGHIJ":
            ws[f"{col}{row}"].font = Font(italic=True)     # formatted, no value
    notes = wb.create_sheet("Notes")
    notes.append(["Checked by the data team on 2 November 2015"])
    save_workbook("kent.xlsx", wb)


def errors():
    """errors.xlsx: one mistake a row, each at its cell. Row 2: in_care "forty"
    (text). Row 3: found 16 above went_missing 15 (numbers). Row 4: period_end typed
    as the text "2015-09-31". Row 5: authority_code typed as DfE's number 886 (a
    number cell). Row 6: period_end a date cell with a time (2015-09-30 10:00,
    shown dd/mm/yyyy): the date. Row 7: went_missing 2.5 (a number that is not a
    count)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(HEADER)
    start, end = datetime.date(2014, 10, 1), datetime.date(2015, 9, 30)
    ws.append(["E10000021", "Northamptonshire", start, end, "trafficked", "forty", 15, 41, 12, 3])
    ws.append(["E10000021", "Northamptonshire", start, end, "uasc", 38, 15, 41, 16, 0])
    ws.append(["E10000016", "Kent", start, "2015-09-31", "trafficked", 5, 2, 3, 1, 1])
    ws.append([886, "Kent", start, end, "uasc", 985, 190, 400, 137, 53])
    ws.append(["E06000035", "Medway", start, datetime.datetime(2015, 9, 30, 10, 0), "uasc",
               12, 3, 5, 3, 0])
    ws.append(["E06000034", "Thurrock", start, end, "uasc", 12, 2.5, 5, 2, 0])
    for row in range(2, 8):
        for col in ("C", "D"):
            if not isinstance(ws[f"{col}{row}"].value, str):
                ws[f"{col}{row}"].number_format = "dd/mm/yyyy"
    save_workbook("errors.xlsx", wb)


def mac1904():
    """date1904.xlsx: a workbook in the 1904 date system (old Excel for Mac): the
    same dates, stored as serial numbers 1462 days smaller."""
    wb = openpyxl.Workbook()
    wb.epoch = CALENDAR_MAC_1904
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(HEADER)
    ws.append(["W06000015", "Cardiff", datetime.date(2014, 10, 1), datetime.date(2015, 9, 30),
               "uasc", 30, 4, 9, 4, 0])
    for col in ("C", "D"):
        ws[f"{col}2"].number_format = "yyyy-mm-dd"
    save_workbook("date1904.xlsx", wb)


# ---- Excel workbooks written by hand (what openpyxl does not write) --------------------

CONTENT_TYPES = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                 b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                 b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                 b'<Default Extension="xml" ContentType="application/xml"/></Types>')
ROOT_RELS = (b'<?xml version="1.0" encoding="UTF-8"?>\n'
             b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
             b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
             b'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')


def workbook_xml(*names):
    sheets = "".join(f'<sheet name="{n}" sheetId="{i + 1}" r:id="rId{i + 1}"/>'
                     for i, n in enumerate(names))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<sheets>{sheets}</sheets></workbook>').encode()


def workbook_rels(*targets, extra=""):
    rels = "".join('<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/'
                   'officeDocument/2006/relationships/worksheet" Target="%s"/>' % (i + 1, t)
                   for i, t in enumerate(targets))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'{rels}{extra}</Relationships>').encode()


def sheet_xml(rows):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f'<sheetData>{rows}</sheetData></worksheet>').encode()


def inline_row(r, values):
    cells = "".join(f'<c r="{chr(65 + i)}{r}" t="inlineStr"><is><t>{v}</t></is></c>'
                    for i, v in enumerate(values))
    return f'<row r="{r}">{cells}</row>'


def hand_xlsx(rows, names=("Sheet1",), extra_entries=(), rels_extra="", sheet=None):
    return make_zip([("[Content_Types].xml", CONTENT_TYPES), ("_rels/.rels", ROOT_RELS),
                     ("xl/workbook.xml", workbook_xml(*names)),
                     ("xl/_rels/workbook.xml.rels",
                      workbook_rels(*["worksheets/sheet%d.xml" % (i + 1) for i in range(len(names))],
                                    extra=rels_extra)),
                     ("xl/worksheets/sheet1.xml", sheet if sheet is not None else sheet_xml(rows)),
                     *extra_entries])


def inline():
    """inline.xlsx: no shared strings and no styles; inline strings (one with
    spaces kept, <t xml:space="preserve">), a boolean, an error value, a
    formula's cached text, the number 42 written "42.0" and 0.1+0.2 as Excel
    stores it, and row 3 left out (a blank row in the middle)."""
    rows = inline_row(1, HEADER + ["notes"])
    rows += ('<row r="2">'
             '<c r="A2" t="inlineStr"><is><t>E10000016</t></is></c>'
             '<c r="B2" t="inlineStr"><is><r><t>Ke</t></r><r><t>nt</t></r></is></c>'
             '<c r="C2" t="inlineStr"><is><t>2014-10-01</t></is></c>'
             '<c r="D2" t="str"><f>TEXT(DATE(2015,9,30),"yyyy-mm-dd")</f><v>2015-09-30</v></c>'
             '<c r="E2" t="inlineStr"><is><t xml:space="preserve"> uasc </t></is></c>'
             '<c r="F2"><v>42.0</v></c><c r="G2"><v>0.30000000000000004</v></c>'
             '<c r="H2" t="e"><v>#N/A</v></c><c r="I2" t="b"><v>1</v></c><c r="J2"><v>3</v></c>'
             '<c r="K2" t="inlineStr"><is><t>a note</t></is></c></row>')
    rows += inline_row(4, ["E10000016", "Kent", "2014-10-01", "2015-09-30", "trafficked",
                           "5", "2", "3", "1", "1"])
    save("inline.xlsx", hand_xlsx(rows))


# ---- OpenDocument ----------------------------------------------------------------------

ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"
MANIFEST = (b'<?xml version="1.0" encoding="UTF-8"?>\n'
            b'<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
            b'manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
            b'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
            b'<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            b'</manifest:manifest>')


def ods_content(tables):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
            'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
            'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
            'xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0" '
            'office:version="1.2"><office:body><office:spreadsheet>'
            f'{tables}</office:spreadsheet></office:body></office:document-content>').encode()


def s(text):
    return (f'<table:table-cell office:value-type="string" calcext:value-type="string">'
            f'<text:p>{text}</text:p></table:table-cell>')


def f(value, shown=None):
    return (f'<table:table-cell office:value-type="float" office:value="{value}" '
            f'calcext:value-type="float"><text:p>{shown or value}</text:p></table:table-cell>')


def d(iso, shown):
    return (f'<table:table-cell office:value-type="date" office:date-value="{iso}" '
            f'calcext:value-type="date"><text:p>{shown}</text:p></table:table-cell>')


def row(*cells, repeat=None):
    rep = f' table:number-rows-repeated="{repeat}"' if repeat else ""
    return f'<table:table-row{rep}>{"".join(cells)}</table:table-row>'


def ods():
    """kent.ods: a first sheet "Notes" (so --sheet Return is needed), then
    "Return": a title in A1 merged across A1:C1 (its covered cells), an empty row,
    the header, Kent's two records (counts as floats, shown with two decimals in
    one; dates as date cells; in_care of uasc a text "985" with a comment), a row
    of repeated cells (three 0s), and LibreOffice's trailing empty rows, repeated
    to the end of the sheet."""
    empty_tail = '<table:table-cell table:number-columns-repeated="1014"/>'
    notes = ('<table:table table:name="Notes">' + row(s("Nothing to read here")) + '</table:table>')
    ret = ('<table:table table:name="Return">'
           '<table:table-column table:number-columns-repeated="10"/>'
           + row('<table:table-cell table:number-columns-spanned="3" office:value-type="string">'
                 '<text:p>Kent: children missing from care</text:p></table:table-cell>'
                 '<table:covered-table-cell table:number-columns-repeated="2"/>', empty_tail)
           + row('<table:table-cell table:number-columns-repeated="1024"/>')
           + row(*[s(h) for h in HEADER], empty_tail)
           + row(s("E10000016"), s("Kent"), d("2014-10-01", "01/10/14"),
                 d("2015-09-30T00:00:00", "30/09/15"), s("trafficked"), f(5, "5.00"), f(2), f(3),
                 f(1), f(1), empty_tail)
           + row(s("E10000016"), s("Kent"), d("2014-10-01", "01/10/14"), d("2015-09-30", "30/09/15"),
                 s("uasc"), '<table:table-cell office:value-type="string"><office:annotation>'
                 '<text:p>typed as text</text:p></office:annotation><text:p>985</text:p>'
                 '</table:table-cell>', f(190), f(400), f(137), f(53), empty_tail)
           + row(s("W06000015"), s("Caerdydd"), d("2014-10-01", "01/10/14"),
                 d("2015-09-30", "30/09/15"), s("trafficked"),
                 '<table:table-cell office:value-type="float" office:value="0" '
                 'table:number-columns-repeated="3"><text:p>0</text:p></table:table-cell>',
                 f(0), f(0), empty_tail)
           + row('<table:table-cell table:number-columns-repeated="1024"/>', repeat=1048570)
           + '</table:table>')
    save("kent.ods", make_zip([("mimetype", ODS_MIME), ("META-INF/manifest.xml", MANIFEST),
                               ("content.xml", ods_content(notes + ret))]))


# ---- hostile ------------------------------------------------------------------------------

def patch_flags(data, name, flag=None, method=None, size=None):
    """Rewrite fields of entry `name` in its local header and central directory entry."""
    data = bytearray(data)
    enc = name.encode()
    for sig, off_flag, off_method, off_size, off_name in ((b"PK\x03\x04", 6, 8, 22, 30),
                                                           (b"PK\x01\x02", 8, 10, 24, 46)):
        i = 0
        while (i := data.find(sig, i)) >= 0:
            nlen = struct.unpack_from("<H", data, i + off_name - (4 if sig == b"PK\x03\x04" else 18))[0]
            if data[i + off_name:i + off_name + nlen] == enc:
                if flag is not None:
                    struct.pack_into("<H", data, i + off_flag,
                                     struct.unpack_from("<H", data, i + off_flag)[0] | flag)
                if method is not None:
                    struct.pack_into("<H", data, i + off_method, method)
                if size is not None:
                    struct.pack_into("<I", data, i + off_size, size)
            i += 4
    return bytes(data)


def hostile():
    ok_rows = inline_row(1, HEADER) + inline_row(2, ["E10000016", "Kent", "2014-10-01",
                                                     "2015-09-30", "uasc", "1", "0", "0", "0", "0"])
    save("hostile/not-a-zip.xlsx", (",".join(HEADER) + "\n").encode())
    save("hostile/old-excel.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    save("hostile/empty.xlsx", b"")
    # A zip with no workbook in it.
    save("hostile/no-workbook.xlsx", make_zip([("hello.txt", b"hello")]))
    # The workbook names a sheet whose part is not in the zip.
    save("hostile/missing-sheet.xlsx", make_zip([
        ("[Content_Types].xml", CONTENT_TYPES), ("_rels/.rels", ROOT_RELS),
        ("xl/workbook.xml", workbook_xml("Sheet1")),
        ("xl/_rels/workbook.xml.rels", workbook_rels("worksheets/sheet1.xml"))]))
    # The sheet's path climbs out of the workbook.
    save("hostile/path-escape.xlsx", make_zip([
        ("[Content_Types].xml", CONTENT_TYPES), ("_rels/.rels", ROOT_RELS),
        ("xl/workbook.xml", workbook_xml("Sheet1")),
        ("xl/_rels/workbook.xml.rels", workbook_rels("../../../etc/passwd")),
        ("xl/worksheets/sheet1.xml", sheet_xml(ok_rows))]))
    # Two entries of one name: two readers could read two different sheets.
    dup = make_zip([("[Content_Types].xml", CONTENT_TYPES), ("_rels/.rels", ROOT_RELS),
                    ("xl/workbook.xml", workbook_xml("Sheet1")),
                    ("xl/_rels/workbook.xml.rels", workbook_rels("worksheets/sheet1.xml")),
                    ("xl/worksheets/sheet1.xml", sheet_xml(ok_rows)),
                    ("xl/worksheets/sheet1.xml", sheet_xml(inline_row(1, ["other"])))])
    save("hostile/duplicate-entry.xlsx", dup)
    # The sheet's entry marked encrypted (traditional PKWARE, general purpose bit 0).
    save("hostile/encrypted.xlsx", patch_flags(hand_xlsx(ok_rows), "xl/worksheets/sheet1.xml",
                                               flag=1))
    # The sheet compressed by a method workbooks do not use (12, bzip2).
    save("hostile/method.xlsx", patch_flags(hand_xlsx(ok_rows), "xl/worksheets/sheet1.xml",
                                            method=12))
    # The sheet declares 3 GiB inflated.
    save("hostile/declared-size.xlsx", patch_flags(hand_xlsx(ok_rows), "xl/worksheets/sheet1.xml",
                                                   size=3 << 30))
    # A zip bomb: 4 MB of white space between rows inflates from about 4 KB.
    bomb = sheet_xml(ok_rows + " " * (4 << 20) + inline_row(3, ["x"]))
    save("hostile/bomb.xlsx", hand_xlsx(None, sheet=bomb))
    # A DOCTYPE with an entity (the billion laughs start this way).
    doctype = (b'<?xml version="1.0"?>\n<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">]>\n'
               b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
               b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&a;</t></is></c></row>'
               b'</sheetData></worksheet>')
    save("hostile/doctype.xlsx", hand_xlsx(None, sheet=doctype))
    # Not well-formed: a row never closed.
    save("hostile/malformed.xlsx", hand_xlsx(None, sheet=sheet_xml(ok_rows + '<row r="3"><c r="A3">')))
    # Rows out of order.
    save("hostile/rows-out-of-order.xlsx",
         hand_xlsx(ok_rows + inline_row(2, ["E10000016"])))
    # A cell refers to shared string 99 of 1.
    sst = (b'<?xml version="1.0" encoding="UTF-8"?>\n<sst xmlns="http://schemas.openxmlformats.org/'
           b'spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>uasc</t></si></sst>')
    rels_extra = ('<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/'
                  '2006/relationships/sharedStrings" Target="sharedStrings.xml"/>')
    bad = (inline_row(1, HEADER) + '<row r="2">' +
           "".join(f'<c r="{chr(65 + i)}2" t="inlineStr"><is><t>{v}</t></is></c>' for i, v in
                   enumerate(["E10000016", "Kent", "2014-10-01", "2015-09-30"])) +
           '<c r="E2" t="s"><v>99</v></c><c r="F2"><v>1</v></c><c r="G2"><v>0</v></c>'
           '<c r="H2"><v>0</v></c><c r="I2"><v>0</v></c><c r="J2"><v>0</v></c></row>')
    save("hostile/bad-shared-string.xlsx",
         hand_xlsx(bad, extra_entries=[("xl/sharedStrings.xml", sst)], rels_extra=rels_extra))
    # An OpenDocument file of another kind.
    save("hostile/text-document.ods",
         make_zip([("mimetype", b"application/vnd.oasis.opendocument.text"),
                   ("content.xml", ods_content(""))]))
    # Rows past the last a sheet can have: the header, 1048575 empty rows, then a row.
    tail = ('<table:table table:name="Sheet1">' + row(*[s(h) for h in HEADER])
            + row('<table:table-cell/>', repeat=1048575) + row(s("E10000016"))
            + '</table:table>')
    save("hostile/too-many-rows.ods", make_zip([("mimetype", ODS_MIME),
                                                ("content.xml", ods_content(tail))]))
    # For the unit tests of the limits too large for a fixture (tests/unit/check_workbook.c):
    # 50 entries, and a sheet of 300 KB of ordinary rows.
    many = [("e%02d.txt" % i, b"x") for i in range(45)]
    save("hostile/fifty-entries.xlsx", hand_xlsx(ok_rows, extra_entries=many))
    big_rows = ok_rows + "".join(inline_row(r, ["E10000016", "Kent", "2014-10-01", "2015-09-30",
                                                "uasc", str(r), "0", "0", "0", "0"])
                                 for r in range(3, 900))
    save("hostile/big-sheet.xlsx", hand_xlsx(big_rows))


def libreoffice():
    """libreoffice/: workbooks saved by LibreOffice Calc itself (Debian's
    libreoffice-calc-nogui), when it is installed: fixtures/build/kent.csv saved
    as .xlsx and .ods, and kent.xlsx (above) saved as .ods. Their zips are
    rewritten with fixed timestamps; their XML keeps what LibreOffice wrote."""
    import shutil
    import subprocess
    import tempfile
    soffice = shutil.which("soffice")
    if not soffice:
        print("make.py: soffice not found: libreoffice/ left as it is")
        return
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(os.path.join(ROOT, "fixtures", "build", "kent.csv"), tmp)
        shutil.copy(os.path.join(OUT, "kent.xlsx"), os.path.join(tmp, "kent-return.xlsx"))
        for src, fmt in (("kent.csv", "xlsx"), ("kent.csv", "ods"), ("kent-return.xlsx", "ods")):
            subprocess.run([soffice, "--headless", "-env:UserInstallation=file://" + tmp + "/profile",
                            "--convert-to", fmt, "--outdir", tmp, os.path.join(tmp, src)],
                           check=True, capture_output=True, timeout=300)
        for name in ("kent.xlsx", "kent.ods", "kent-return.ods"):
            with open(os.path.join(tmp, name), "rb") as fh:
                data = fh.read()
            order = ["mimetype"] if name.endswith(".ods") else None
            save("libreoffice/" + name, normalise(data, order))


if __name__ == "__main__":
    kent()
    errors()
    mac1904()
    inline()
    ods()
    hostile()
    libreoffice()
