#!/usr/bin/env python3
"""check.py DATA.csv META.csv [--registry CSV] [--las CSV] [--dictionary CSV]

An independent check of an EES data file and its metadata file against every
rule of DfE's screener that can be checked without R: each function below is
named after, and does what, the eesyscreener function of the same name does
(dfe-analytical-services/eesyscreener, R/*.R, read in full; the reference
lists come from its data-raw/ and from dfe-published-data-qa/data/, and are
copied here where short). Run in the screener's order; every check runs even
after a failure (the screener stops at the first failing stage), so one run
shows every problem.

Reference data not copied here:
  - local authorities (check_geog_la_combos): DfE's las.csv via --las when
    given; otherwise tally's registry (--registry, default
    schemas/authorities.csv), whose English rows are taken from that las.csv
    (schemas/authorities.SOURCES.md);
  - the EES API data dictionary (check_data_dict_col_name and
    check_data_dict_fil_item, API suitability warnings): --dictionary with
    DfE's data-dictionary.csv; without it those two report that they did not
    run (they can only WARN, never FAIL).

Prints one line per check: RESULT name: message. Exits 0 when no check FAILs
(warnings are listed), 1 when one does, 2 on bad input.
"""
import csv
import os
import re
import sys

# ---- reference lists (data-raw/*.R and dfe-published-data-qa/data/*.csv) -------------

REQ_DATA_COLS = ["geographic_level", "time_period", "time_identifier", "country_code",
                 "country_name"]
REQ_META_COLS = ["col_name", "col_type", "label", "indicator_grouping", "indicator_unit",
                 "indicator_dp", "filter_hint", "filter_grouping_column"]
OPTIONAL_META_COLS = ["filter_default", "parent_filter"]
TERMS = ["Spring term", "Autumn term", "Summer term"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
WEEKS = ["Week %d" % i for i in range(1, 53)]
FINANCIAL_QUARTERS = ["Financial year Q%d" % i for i in range(1, 5)]
FINANCIAL_HALVES = ["Part 1 (April to September)", "Part 2 (October to March)"]
ACCEPTABLE_TIME_IDS = [["Autumn and spring term"], ["Calendar year"], ["Financial year"],
                       ["Academic year"], ["Tax year"], ["Reporting year"], TERMS, WEEKS,
                       MONTHS, FINANCIAL_QUARTERS, FINANCIAL_HALVES]
FOUR_DIGIT_IDENTIFIERS = ["Calendar year", "Reporting year"] + WEEKS + MONTHS
SIX_DIGIT_IDENTIFIERS = (["Autumn and spring term"] + TERMS +
                         ["Financial year", "Academic year", "Tax year"] +
                         FINANCIAL_QUARTERS + FINANCIAL_HALVES)
ACCEPTABLE_INDICATOR_UNITS = ["%", "pp", "\u00a3", "\u00a3m", "numberstring"]
LEGACY_GSS_SYMBOLS = ["~", ":"]
GEOGRAPHY_DF = [  # geographic_level, code_field, name_field, code_field_secondary
    ("National", "country_code", "country_name", None),
    ("Regional", "region_code", "region_name", None),
    ("Local authority", "new_la_code", "la_name", "old_la_code"),
    ("Local authority district", "lad_code", "lad_name", None),
    ("RSC region", None, "rsc_region_lead_name", None),
    ("Parliamentary constituency", "pcon_code", "pcon_name", None),
    ("Local skills improvement plan area", "lsip_code", "lsip_name", None),
    ("Local enterprise partnership", "local_enterprise_partnership_code",
     "local_enterprise_partnership_name", None),
    ("English devolved area", "english_devolved_area_code", "english_devolved_area_name", None),
    ("Opportunity area", "opportunity_area_code", "opportunity_area_name", None),
    ("Ward", "ward_code", "ward_name", None),
    ("MAT", "trust_id", "trust_name", None),
    ("Sponsor", "sponsor_id", "sponsor_name", None),
    ("School", "school_urn", "school_name", "school_laestab"),
    ("Provider", "provider_ukprn", "provider_name", None),
    ("Institution", "institution_id", "institution_name", None),
    ("Planning area", "planning_area_code", "planning_area_name", None),
    ("Police force area", "pfa_code", "pfa_name", None),
]
LEVELS = [g[0] for g in GEOGRAPHY_DF]
ACCEPTABLE_COUNTRIES = {("E92000001", "England"), ("K02000001", "United Kingdom"),
                        ("K03000001", "Great Britain"), ("K04000001", "England and Wales"),
                        ("N92000002", "Northern Ireland"), ("S92000003", "Scotland"),
                        ("W92000004", "Wales"), ("z", "England, Wales and Northern Ireland")}
ACCEPTABLE_REGIONS = {("E12000001", "North East"), ("E12000002", "North West"),
                      ("E12000003", "Yorkshire and The Humber"), ("E12000004", "East Midlands"),
                      ("E12000005", "West Midlands"), ("E12000006", "East of England"),
                      ("E12000007", "London"), ("E12000008", "South East"),
                      ("E12000009", "South West"), ("E13000001", "Inner London"),
                      ("E13000002", "Outer London")}
EXTRA_GEOG_OPTIONS = {("z", "Not applicable"), ("z", "Unknown"), ("z", "Outside of England"),
                      ("z", "Outside of the United Kingdom"),
                      ("z", "Outside of England and unknown"),
                      ("z", "Outside of the United Kingdom and unknown")}
POTENTIAL_OB_UNITS_REGEX = re.compile(
    "(^(country|sch|prov|inst|estab|reg|la|local|rsc|pfa|pcon|lep|mca|oa|ward|mat)"
    ".*(name|code|urn|ukprn|number|upin|id)$)"
    "|(^(laestab|estab|sch|school|schools|prov|provider|providers|inst|institution|"
    "institutions|name|code|urn|ukprn|number|upin|id|region|la|lad|rsc|pcon|lep|mca|oa|ward|"
    "mat)$)", re.IGNORECASE)
SMUSHED = ["male", "female", "asian", "chinese", "indian", "pakistani", "bangladeshi", "black",
           "african", "caribbean", "white", "roma", "irish", "english", "british", "scottish",
           "welsh", "northern irish", "arab"]
HARMONISED = [("sen_", "sen_status"), ("sen_", "sen_primary_need"),
              ("sen_", "sen_secondary_need"), ("sen_", "sen_provision"),
              ("primary_need", "sen_primary_need"), ("secondary_need", "sen_secondary_need"),
              ("establishment_type", "establishment_type"),
              ("establishment_type", "establishment_type_group"),
              ("provider_type", "provider_type"), ("school_type", "establishment_type"),
              ("school_type", "establishment_type_group"), ("ethnic", "ethnicity_major"),
              ("ethnic", "ethnicity_minor"), ("ethnic", "ethnicity_detailed"),
              ("ethnic", "minority_ethnic")]
API_CHAR_LIMITS = {"location-code": 30, "column-name": 50, "column-label": 100,
                   "column-item": 120}
OVERCOMPLETE_COMPATIBLE = {
    "Regional": ["Regional", "Local skills improvement plan area", "Local authority",
                 "Local enterprise partnership", "Opportunity area", "Local authority district",
                 "Parliamentary constituency", "English devolved area", "Ward", "School",
                 "Provider", "Institution", "Planning area", "Police force area"],
    "Local authority": ["Local authority", "Parliamentary constituency",
                        "Local authority district", "Ward", "School", "Provider",
                        "Institution", "Planning area", "Police force area"],
    "Local authority district": ["Local authority district", "Ward", "School", "Provider",
                                 "Institution", "Police force area"],
    "Local skills improvement plan area": ["Local skills improvement plan area",
                                           "Local authority district", "School", "Provider",
                                           "Institution", "Planning area"],
    "RSC region": ["RSC region", "School", "Provider", "Institution"],
    "Parliamentary constituency": ["Parliamentary constituency", "School", "Provider",
                                   "Institution"],
    "Local enterprise partnership": ["Local enterprise partnership", "School", "Provider",
                                     "Institution"],
    "English devolved area": ["English devolved area", "School", "Provider", "Institution"],
    "Opportunity area": ["Opportunity area", "School", "Provider", "Institution"],
    "Ward": ["Ward", "School", "Provider", "Institution"],
    "MAT": ["MAT", "School", "Provider", "Institution"],
    "Sponsor": ["Sponsor", "School", "Provider", "Institution"],
    "Planning area": ["Planning area", "School", "Provider", "Institution"],
    "Police force area": ["Police force area", "School", "Provider", "Institution"],
    "School": ["School"], "Provider": ["Provider"], "Institution": ["Institution"],
}

# ---- reading ---------------------------------------------------------------------------


class Frame:
    """A CSV as columns of strings; an empty cell is None (the screener reads
    every data column as VARCHAR with duckdb, where an empty cell is NULL)."""

    def __init__(self, path):
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
        if not rows:
            raise SystemExit("check.py: %s is empty" % path)
        self.names = rows[0]
        if len(set(self.names)) != len(self.names):
            raise SystemExit("check.py: %s repeats a column" % path)
        self.rows = []
        for i, r in enumerate(rows[1:], 2):
            if len(r) != len(self.names):
                raise SystemExit("check.py: %s:%d has %d fields, not %d"
                                 % (path, i, len(r), len(self.names)))
            self.rows.append({k: (v if v != "" else None) for k, v in zip(self.names, r)})

    def col(self, name):
        return [r[name] for r in self.rows]

    def distinct(self, name):
        return list(dict.fromkeys(self.col(name)))


results = []


def out(name, result, message):
    results.append((name, result, message))


def nonblank(values):
    return [v for v in values if v is not None and v != ""]


def get_filters(meta, include_filter_groups=False):
    f = [r["col_name"] for r in meta.rows if r["col_type"] == "Filter"]
    if include_filter_groups:
        f += get_filter_groups(meta)
    return f


def get_filter_groups(meta):
    return nonblank(meta.col("filter_grouping_column")) if "filter_grouping_column" in meta.names else []


def get_cols_meta(meta, grouping_cols=False, excl_indicators=False):
    rows = [r for r in meta.rows if not (excl_indicators and r["col_type"] == "Indicator")]
    cols = [r["col_name"] for r in rows]
    if grouping_cols:
        cols += [r.get("filter_grouping_column") for r in rows]
    return list(dict.fromkeys(nonblank(cols)))


def get_acceptable_ob_units():
    geo = nonblank([c for g in GEOGRAPHY_DF for c in g[1:]])
    return ["time_period", "time_identifier", "geographic_level"] + geo


# ---- filenames (screen_filenames) -------------------------------------------------------

def check_filename_spaces(filename):
    out("filename_spaces", "FAIL" if " " in filename else "PASS", filename)


def check_filename_special(filename):
    stem = re.sub(r"\.meta$", "", os.path.splitext(filename)[0])
    bad = re.sub(r"[A-Za-z0-9]|-|_|\s", "", stem)
    out("filename_special", "FAIL" if bad else "PASS", "%s: %r" % (filename, bad))


def check_filenames_match(data, meta):
    out("filenames_match", "PASS" if meta == data.replace(".csv", ".meta.csv", 1) else "FAIL",
        "%s and %s" % (data, meta))


# ---- prechecks --------------------------------------------------------------------------

def precheck_col_req_meta(meta):
    missing = [c for c in REQ_META_COLS if c not in meta.names]
    out("col_req_meta", "FAIL" if missing else "PASS", "missing: %s" % missing)


def precheck_col_invalid_meta(meta):
    bad = [c for c in meta.names if c not in REQ_META_COLS + OPTIONAL_META_COLS]
    out("col_invalid_meta", "FAIL" if bad else "PASS", "invalid: %s" % bad)


def precheck_col_req_data(data):
    missing = [c for c in REQ_DATA_COLS if c not in data.names]
    out("col_req_data", "FAIL" if missing else "PASS", "missing: %s" % missing)


def precheck_col_to_rows(data, meta):
    cols, rows = len(data.names) - 5, len(meta.rows)
    out("col_to_rows", "FAIL" if cols < rows else "PASS",
        "%d metadata rows, %d non-mandatory columns" % (rows, cols))


def precheck_cross_meta_to_data(data, meta):
    missing = [f for f in get_filters(meta, True) if f not in data.names]
    out("cross_meta_to_data", "FAIL" if missing else "PASS", "missing: %s" % missing)


def precheck_cross_data_to_meta(data, meta):
    ob = get_acceptable_ob_units()
    cols = [c for c in data.names if c not in ob and len(set(data.col(c))) != 1]
    meta_cols = get_cols_meta(meta, grouping_cols=True)
    missing = [c for c in cols if c not in meta_cols]
    out("cross_data_to_meta", "WARNING" if missing else "PASS", "not in meta: %s" % missing)


# ---- columns ----------------------------------------------------------------------------

def check_col_names_spaces(data):
    bad = [c for c in data.names if re.search(r"\s", c)]
    out("col_names_spaces", "FAIL" if bad else "PASS", "%s" % bad)


def check_col_snake_case(data):
    bad = sorted(set(re.sub(r"[a-z0-9]|_", "", "".join(data.names))))
    out("col_snake_case", "WARNING" if bad else "PASS", "characters: %s" % bad)


def check_col_var_start(data):
    bad = [c for c in data.names if not re.match(r"^[a-z]", c)]
    out("col_var_start", "WARNING" if bad else "PASS", "%s" % bad)


def check_col_ind_smushed(meta):
    bad = [r["col_name"] for r in meta.rows if r["col_type"] == "Indicator" and
           re.search("|".join(SMUSHED), r["col_name"], re.IGNORECASE)]
    out("col_ind_smushed", "FAIL" if bad else "PASS", "%s" % bad)


def check_col_var_characteristic(meta):
    found = ("characteristic" in meta.col("col_name") or
             "characteristic_group" in meta.col("col_name") or
             "characteristic_group" in meta.col("filter_grouping_column"))
    out("col_var_characteristic", "WARNING" if found else "PASS", "")


# ---- metadata ---------------------------------------------------------------------------

def precheck_meta_col_type(meta):
    bad = [t for t in dict.fromkeys(meta.col("col_type")) if t not in ("Filter", "Indicator")]
    out("meta_col_type", "FAIL" if bad else "PASS", "%s" % bad)


def precheck_meta_ob_unit(meta):
    ob = [u for u in get_acceptable_ob_units() if u not in ("school_name", "provider_name")]
    bad = [c for c in ob if c in get_cols_meta(meta, grouping_cols=True)]
    out("meta_ob_unit", "FAIL" if bad else "PASS", "%s" % bad)


def precheck_meta_col_name(meta):
    blank = sum(1 for v in meta.col("col_name") if v is None or v.strip() == "")
    out("meta_col_name", "FAIL" if blank else "PASS", "%d blank" % blank)


def check_meta_dupe_label(meta):
    labels = meta.col("label")
    dupes = [v for i, v in enumerate(labels) if v in labels[:i]]
    out("meta_dupe_label", "FAIL" if dupes else "PASS", "%s" % dupes)


def check_meta_fil_grp(meta):
    bad = [r["col_name"] for r in meta.rows if r["col_type"] == "Indicator" and
           r["filter_grouping_column"] not in (None, "")]
    out("meta_fil_grp", "FAIL" if bad else "PASS", "%s" % bad)


def check_meta_fil_grp_dupe(meta):
    groups = get_filter_groups(meta)
    out("meta_fil_grp_dupe", "FAIL" if len(groups) != len(set(groups)) else "PASS", "%s" % groups)


def check_meta_fil_grp_is_fil(meta):
    bad = [g for g in get_filter_groups(meta) if g not in meta.col("col_name")]
    out("meta_fil_grp_is_fil", "WARNING" if bad else "PASS", "%s" % bad)


def check_meta_fil_grp_match(data, meta):
    bad = [g for g in get_filter_groups(meta) if g not in data.names]
    out("meta_fil_grp_match", "FAIL" if bad else "PASS", "%s" % bad)


def check_meta_fil_grp_stripped(data, meta):
    bad = []
    for g in get_filter_groups(meta):
        raw = data.distinct(g)
        stripped = set(re.sub(r"[^A-Za-z0-9]", "", v or "") for v in raw)
        if len(stripped) != len(raw):
            bad.append(g)
    out("meta_fil_grp_stripped", "FAIL" if bad else "PASS", "%s" % bad)


def check_meta_label(meta):
    blank = sum(1 for v in meta.col("label") if v in (None, "", " "))
    out("meta_label", "FAIL" if blank else "PASS", "%d blank" % blank)


def check_meta_filter_hint(meta):
    bad = [r["col_name"] for r in meta.rows if r["col_type"] == "Indicator" and
           r["filter_hint"] not in (None, "")]
    out("meta_filter_hint", "FAIL" if bad else "PASS", "%s" % bad)


def check_meta_geog_catch(meta):
    filters = get_filters(meta)
    groups = get_filter_groups(meta)
    both = filters + groups
    if len(filters) == 1 and (filters[0] in ("school_name", "provider_name") or
                              (groups and groups[0] in ("school_name", "provider_name"))):
        both = [c for c in both if c not in ("school_name", "provider_name")]
    bad = [c for c in both if POTENTIAL_OB_UNITS_REGEX.search(c)]
    out("meta_geog_catch", "FAIL" if bad else "PASS", "%s" % bad)


def check_meta_indicator_dp(meta):
    bad = [r["col_name"] for r in meta.rows if r["col_type"] == "Filter" and
           r["indicator_dp"] not in (None, "")]
    out("meta_indicator_dp", "FAIL" if bad else "PASS", "%s" % bad)


def check_meta_col_name_spaces(meta):
    bad = [c for c in meta.col("col_name") if c and re.search(r"\s", c)]
    out("meta_col_name_spaces", "FAIL" if bad else "PASS", "%s" % bad)


def check_meta_col_name_dupe(meta):
    names = meta.col("col_name")
    dupes = [v for i, v in enumerate(names) if v in names[:i]]
    out("meta_col_name_dupe", "FAIL" if dupes else "PASS", "%s" % dupes)


def check_meta_ind_dp_set(meta):
    blank = [r["col_name"] for r in meta.rows if r["col_type"] == "Indicator" and
             (r["indicator_dp"] is None or r["indicator_dp"].strip() == "")]
    out("meta_ind_dp_set", "WARNING" if blank else "PASS", "%s" % blank)


def check_meta_ind_dp_values(meta):
    ok = True
    for v in nonblank(meta.col("indicator_dp")):
        try:
            x = float(v)
        except ValueError:
            ok = False
            continue
        if x != int(x) or x < 0:
            ok = False
    out("meta_ind_dp_values", "PASS" if ok else "FAIL", "")


def check_meta_ind_unit(meta):
    bad = [r["col_name"] for r in meta.rows if r["col_type"] == "Filter" and
           r["indicator_unit"] not in (None, "")]
    out("meta_ind_unit", "FAIL" if bad else "PASS", "%s" % bad)


def check_meta_ind_unit_validation(meta):
    bad = [r["indicator_unit"] for r in meta.rows if r["col_type"] == "Indicator" and
           r["indicator_unit"] not in (None, "") and
           r["indicator_unit"] not in ACCEPTABLE_INDICATOR_UNITS]
    out("meta_ind_unit_validation", "FAIL" if bad else "PASS", "%s" % bad)


def check_meta_indicator_grouping(meta):
    bad = [r["col_name"] for r in meta.rows if r["col_type"] == "Filter" and
           r["indicator_grouping"] not in (None, "")]
    out("meta_indicator_grouping", "FAIL" if bad else "PASS", "%s" % bad)


# ---- time -------------------------------------------------------------------------------

def precheck_time_period_num(data):
    bad = [v for v in data.distinct("time_period") if not re.match(r"^\d{4}(\d{2})?$", v or "")]
    out("time_period_num", "FAIL" if bad else "PASS", "%s" % bad)


def precheck_time_id_valid(data):
    valid = [i for group in ACCEPTABLE_TIME_IDS for i in group]
    bad = [v for v in data.distinct("time_identifier") if v not in valid]
    out("time_id_valid", "FAIL" if bad else "PASS", "%s" % bad)


def precheck_time_id_mix(data):
    ids = data.distinct("time_identifier")
    base = [g for g in ACCEPTABLE_TIME_IDS if ids and ids[0] in g]
    base = [i for g in base for i in g]
    bad = [i for i in ids if i not in base]
    out("time_id_mix", "FAIL" if bad else "PASS", "%s with %s" % (bad, ids[:1]))


def check_time_period(data):
    ids = data.distinct("time_identifier")
    base = ids[0] if ids else None
    periods = data.distinct("time_period")
    if base in FOUR_DIGIT_IDENTIFIERS:
        ok = all(p is not None and len(p) == 4 for p in periods)
    elif base in SIX_DIGIT_IDENTIFIERS:
        ok = all(p is not None and len(p) == 6 for p in periods)
    else:
        ok = False
    out("time_period", "PASS" if ok else "FAIL", "%s: %s" % (base, periods))


def check_time_period_six(data):
    periods = data.distinct("time_period")
    if any(p is None for p in periods):
        return out("time_period_six", "FAIL", "NA in time_period")
    bad = []
    for p in [p for p in periods if len(p) == 6]:
        a, b = int(p[2:4]), int(p[4:6])
        if not ((a == 99 and b == 0) or a + 1 == b):
            bad.append(p)
    out("time_period_six", "FAIL" if bad else "PASS", "%s" % bad)


# ---- filters ----------------------------------------------------------------------------

def precheck_filter_not_singular(data, meta):
    bad = [f for f in get_filters(meta) if len(set(data.col(f))) < 2]
    out("filter_not_singular", "FAIL" if bad else "PASS", "%s" % bad)


def check_filter_defaults(data, meta):
    filters = get_filters(meta)
    if not filters:
        return out("filter_defaults", "PASS", "no filters")
    if "filter_default" in meta.names:
        defaults = [r["filter_default"] if r["filter_default"] not in (None, "") else "Total"
                    for r in meta.rows if r["col_type"] == "Filter"]
    else:
        defaults = ["Total"] * len(filters)
    pairs = dict(zip(filters, defaults))
    for g in get_filter_groups(meta):
        if g not in meta.col("col_name"):
            pairs[g] = "Total"
    bad = [c for c, d in pairs.items() if d not in set(data.col(c))]
    out("filter_defaults", "WARNING" if bad else "PASS", "%s" % pairs)


def check_filter_group_level(data, meta):
    bad = [r["col_name"] for r in meta.rows if r["col_type"] == "Filter" and
           r["filter_grouping_column"] not in (None, "") and
           len(set(data.col(r["col_name"]))) < len(set(data.col(r["filter_grouping_column"])))]
    out("filter_group_level", "FAIL" if bad else "PASS", "%s" % bad)


def check_filter_item_limit(data, meta, limit=25000):
    bad = [c for c in get_cols_meta(meta, grouping_cols=True, excl_indicators=True)
           if len(set(data.col(c))) > limit]
    out("filter_item_limit", "FAIL" if bad else "PASS", "%s" % bad)


def check_filter_whitespace(data, meta):
    filters = get_filters(meta)
    if not filters:
        return out("filter_whitespace", "PASS", "no filters")
    geo = nonblank([c for g in GEOGRAPHY_DF for c in g[1:]])
    bad = [v for c in filters + geo if c in data.names
           for v in nonblank(data.distinct(c)) if v != v.strip()]
    out("filter_whitespace", "FAIL" if bad else "PASS", "%s" % bad)


def check_filter_ob_total(data, meta):
    sp = ("school_name", "provider_name")
    ob = [u for u in get_acceptable_ob_units() if u not in sp]
    cols = list(dict.fromkeys([c for c in ob if c in data.names] +
                              [c for c in data.names if POTENTIAL_OB_UNITS_REGEX.search(c)]))
    filters, groups = get_filters(meta), get_filter_groups(meta)
    if len(filters) == 1 and (filters[0] in sp or (groups and groups[0] in sp)):
        cols = [c for c in cols if c not in sp]
    bad = [c for c in cols if set(data.col(c)) & {"Total", "total", "All", "all"}]
    out("filter_ob_total", "FAIL" if bad else "PASS", "%s" % bad)


def check_filter_blanks(data, meta):
    bad = [c for c in dict.fromkeys(get_filters(meta, True)) if "" in data.col(c)]
    # (an empty cell is NULL, not "", when duckdb reads it: NULLs are not
    # counted by the screener's sum(. == "") > 0; our Frame gives None)
    nulls = [c for c in dict.fromkeys(get_filters(meta, True)) if None in data.col(c)]
    out("filter_blanks", "FAIL" if bad else "PASS", "blank %s; empty (NULL) %s" % (bad, nulls))
    # stricter than the screener: an empty filter cell is a blank to EES users too
    out("filter_blanks_null (stricter)", "FAIL" if nulls else "PASS", "%s" % nulls)


# ---- geography --------------------------------------------------------------------------

def precheck_geog_level(data):
    bad = [v for v in data.distinct("geographic_level") if v not in LEVELS]
    out("geog_level", "FAIL" if bad else "PASS", "%s" % bad)


def precheck_geog_level_present(data):
    levels = data.distinct("geographic_level")
    if all(l == "National" for l in levels):
        return out("geog_level_present", "PASS", "National only")
    want = [c for g in GEOGRAPHY_DF if g[0] != "Planning area" and g[0] in levels
            for c in g[1:] if c]
    missing = [c for c in want if c not in data.names]
    out("geog_level_present", "FAIL" if missing else "PASS", "missing %s" % missing)


def geog_combos(data, name, code_col, name_col, acceptable, restricted_level=None,
                extra_code_col=None):
    cols = [c for c in (extra_code_col, code_col, name_col) if c]
    if not all(c in data.names for c in cols):
        return out(name, "PASS", "columns not present")
    extra = set((c, n) for c, n in EXTRA_GEOG_OPTIONS)
    if extra_code_col:
        valid = set(acceptable) | set(("z", c, n) for c, n in extra)
    else:
        valid = set(acceptable) | extra
    bad = set()
    for r in data.rows:
        code = r[code_col]
        if restricted_level is not None:
            if code is None or code == "" or code == "x":
                continue
        else:
            if code == "x":
                continue
            if extra_code_col and r[extra_code_col] is None:
                continue
        key = tuple(r[c] for c in cols)
        if key not in valid:
            bad.add(key)
    out(name, "FAIL" if bad else "PASS", "invalid %s" % sorted(bad, key=str))


def check_geog_level_completed(data):
    levels = data.distinct("geographic_level")
    bad = []
    for level, code, nm, second in GEOGRAPHY_DF:
        if level == "Planning area" or level not in levels:
            continue
        if code == "new_la_code":
            code = None
        for c in (code, nm, second):
            if c and c in data.names and any(r[c] in (None, "") for r in data.rows
                                            if r["geographic_level"] == level):
                bad.append(c)
    out("geog_level_completed", "FAIL" if bad else "PASS", "%s" % bad)


def check_geog_ignored_rows(data):
    levels = data.distinct("geographic_level")
    if all(l in ("Institution", "Planning area") for l in data.col("geographic_level")):
        return out("geog_ignored_rows", "FAIL", "only Institution / Planning area rows")
    ignored = sum(1 for l in data.col("geographic_level")
                  if l in ("School", "Provider", "Institution", "Planning area"))
    if ignored and not (len(levels) == 1 and levels[0] in ("School", "Provider")) and \
            "School" in levels and "Provider" in levels:
        return out("geog_ignored_rows", "FAIL", "School and Provider mixed")
    out("geog_ignored_rows", "PASS", "%d rows ignored by the table tool" % ignored)


def other_dupes(data, name, by):
    levels = data.distinct("geographic_level")
    bad = []
    for level, code, nm, _ in GEOGRAPHY_DF:
        if level not in ("Opportunity area", "MAT", "Sponsor") or level not in levels:
            continue
        if code not in data.names or nm not in data.names:
            continue
        pairs = set((r[code], r[nm]) for r in data.rows
                    if r["geographic_level"] == level and r[code] not in (None, ""))
        key = 1 if by == "name" else 0
        counts = {}
        for p in pairs:
            counts[p[key]] = counts.get(p[key], 0) + 1
        bad += [k for k, n in counts.items() if n > 1]
    out(name, "FAIL" if bad else "PASS", "%s" % bad)


def geog_col_present(data, name, level):
    want = [c for g in GEOGRAPHY_DF if g[0] == level for c in g[1:] if c]
    present = [c for c in want if c in data.names]
    missing = [c for c in want if c not in data.names]
    out(name, "FAIL" if present and missing else "PASS", "missing %s" % missing)


def region_for_level(data, name, level):
    rows = [r for r in data.rows if r["geographic_level"] == level]
    if not rows:
        return out(name, "PASS", "no %s rows" % level)
    if "region_code" not in data.names or "region_name" not in data.names:
        return out(name, "WARNING", "region columns missing")
    bad = [r for r in rows if r["region_code"] in (None, "") or r["region_name"] in (None, "")]
    out(name, "WARNING" if bad else "PASS", "%d without a region" % len(bad))


def check_geog_na(data):
    excluded = ["National", "Regional", "Local authority", "Local authority district",
                "Parliamentary constituency", "Ward", "Local enterprise partnership",
                "Local skills improvement plan area", "English devolved area", "RSC region",
                "Institution", "Planning area"]
    levels = data.distinct("geographic_level")
    bad = []
    for level, code, nm, _ in GEOGRAPHY_DF:
        if level in excluded or not code or not nm or level not in levels:
            continue
        if code in data.names and nm in data.names and any(
                r[code] == "x" and r[nm] != "Not available" for r in data.rows):
            bad.append(level)
    out("geog_na", "FAIL" if bad else "PASS", "%s" % bad)


def check_geog_na_code(data):
    excluded = ["National", "Regional", "Local authority", "Local authority district",
                "Parliamentary constituency", "Ward", "Local enterprise partnership",
                "Local skills improvement plan area", "English devolved area", "RSC region",
                "Institution", "Planning area"]
    levels = data.distinct("geographic_level")
    bad = []
    for level, code, nm, _ in GEOGRAPHY_DF:
        if level in excluded or level not in levels or not code or not nm:
            continue
        if code in data.names and nm in data.names and any(
                r["geographic_level"] == level and r[nm] == "Not available" and r[code] != "x"
                for r in data.rows):
            bad.append(level)
    out("geog_na_code", "FAIL" if bad else "PASS", "%s" % bad)


def check_geog_overcompleted_cols(data, meta):
    levels = data.distinct("geographic_level")
    filters = [r["col_name"] for r in meta.rows if r["col_type"] == "Filter"]
    groups = get_filter_groups(meta)
    bad = []
    for level, code, nm, second in GEOGRAPHY_DF:
        if level == "National" or level not in OVERCOMPLETE_COMPATIBLE:
            continue
        cols = [c for c in (code, nm, second) if c and c in data.names]
        if level in ("School", "Provider") and len(filters) == 1 and (nm in filters or nm in groups):
            cols = [c for c in cols if c != nm]
        incompatible = [l for l in levels if l not in OVERCOMPLETE_COMPATIBLE[level]]
        for c in cols:
            if any(r["geographic_level"] in incompatible and r[c] not in (None, "")
                   for r in data.rows):
                bad.append(c)
    out("geog_overcompleted_cols", "FAIL" if bad else "PASS", "%s" % sorted(set(bad)))


# ---- general, indicators, harmonised, API ---------------------------------------------

def check_general_dupes(data, meta):
    cols = [c for c in get_acceptable_ob_units() + get_filters(meta, True) if c in data.names]
    cols = list(dict.fromkeys(cols))
    levels = data.distinct("geographic_level")
    if len(levels) == 1 and levels[0] in ("School", "Provider"):
        excl = ("Institution", "Planning area")
    else:
        excl = ("School", "Provider", "Institution", "Planning area")
    keys = [tuple(r[c] for c in cols) for r in data.rows if r["geographic_level"] not in excl]
    dupes = len(keys) - len(set(keys))
    out("general_dupes", "FAIL" if dupes else "PASS", "%d duplicate rows" % dupes)


def check_general_null(data, meta):
    null_symbols = ["NULL", "Null", "null", "NA", "na"]
    legacy = ["N/A", "n/a", ".", "..", "-"]
    values = set(v for r in data.rows for v in r.values())
    meta_values = set(v for r in meta.rows for v in r.values())
    if values & set(null_symbols) or meta_values & set(null_symbols):
        return out("general_null", "FAIL", "%s" % sorted((values | meta_values) & set(null_symbols)))
    out("general_null", "WARNING" if values & set(legacy) else "PASS",
        "%s" % sorted(values & set(legacy)))


def check_ind_invalid_entry(data, meta):
    inds = [r["col_name"] for r in meta.rows if r["col_type"] == "Indicator"]
    bad = [c for c in inds if c in data.names and
           any(v in LEGACY_GSS_SYMBOLS + [""] for v in data.col(c))]
    # a NULL (empty) indicator cell: the screener reads it as NA, which its
    # `%in%` does not count; EES shows it as a blank -- we allow none
    nulls = [c for c in inds if c in data.names and None in data.col(c)]
    out("ind_invalid_entry", "FAIL" if bad else "PASS", "%s" % bad)
    out("ind_invalid_entry_null (stricter)", "FAIL" if nulls else "PASS", "%s" % nulls)


def check_harmonised_variables(meta):
    search = "|".join(dict.fromkeys(s for s, _ in HARMONISED))
    standard = set(h for _, h in HARMONISED)
    bad = [c for c in get_cols_meta(meta, grouping_cols=True)
           if re.search(search, c.lower()) and c not in standard]
    out("harmonised_variables", "FAIL" if bad else "PASS", "%s" % bad)


def check_harmonised_eth_vals(data):
    has = [c for c in ("ethnicity_major", "ethnicity_minor") if c in data.names]
    out("harmonised_eth_vals", "PASS" if not has else "FAIL",
        "no ethnicity columns" if not has else "ethnicity values need DfE's ethnicity.csv")


def check_harmonised_eth_char_grp(data):
    out("harmonised_eth_char_grp", "PASS" if "characteristic_group" not in data.names else "FAIL",
        "no characteristic_group column")


def check_harmonised_eth_char_vals(data):
    ok = "characteristic_group" not in data.names or "characteristic" not in data.names
    out("harmonised_eth_char_vals", "PASS" if ok else "FAIL", "no characteristic columns")


def api_char_limit(name, values, limit):
    bad = [v for v in values if v is not None and len(v) > API_CHAR_LIMITS[limit]]
    out(name, "WARNING" if bad else "PASS", "%s" % bad)


def check_api_char_col_name(data):
    api_char_limit("api_char_col_name", data.names, "column-name")


def check_api_char_col_label(meta):
    api_char_limit("api_char_col_label", meta.col("label"), "column-label")


def check_api_char_loc_code(data):
    codes = nonblank([c for g in GEOGRAPHY_DF for c in (g[1], g[3])])
    api_char_limit("api_char_loc_code",
                   [v for c in codes if c in data.names for v in data.distinct(c)],
                   "location-code")


def check_api_char_filter_items(data, meta):
    cols = [c for c in dict.fromkeys(get_filters(meta, True) + [g[2] for g in GEOGRAPHY_DF])
            if c in data.names]
    api_char_limit("api_char_filter_items", [v for c in cols for v in data.distinct(c)],
                   "column-item")


def check_data_dict(data, meta, dictionary):
    if not dictionary:
        out("data_dict_col_name", "NOT RUN", "needs --dictionary (DfE's data-dictionary.csv)")
        out("data_dict_fil_item", "NOT RUN", "needs --dictionary (DfE's data-dictionary.csv)")
        return
    with open(dictionary, newline="", encoding="utf-8") as f:
        dd = list(csv.DictReader(f))
    valid = set()
    items = {}
    for r in dd:
        for col, item in ((r["col_name"], r["filter_item"]),
                          (r["col_name_parent"], r["filter_item_parent"])):
            if col:
                valid.add((r["col_type"], col))
                if item:
                    items.setdefault(col, set()).add(item)
    used = [(r["col_type"], c) for r in meta.rows
            for c in (r["col_name"], r.get("filter_grouping_column")) if c]
    bad = [c for t, c in used if (t, c) not in valid]
    out("data_dict_col_name", "WARNING" if bad else "PASS", "not in the dictionary: %s" % bad)
    fcols = [c for t, c in used if t == "Filter" and (t, c) in valid]
    bad = [(c, v) for c in fcols for v in data.distinct(c) if v not in items.get(c, set())]
    out("data_dict_fil_item", "WARNING" if bad else "PASS", "%s" % bad)


# ---- the lookups --------------------------------------------------------------------------

def la_lookup(registry, las):
    if las:
        with open(las, newline="", encoding="utf-8") as f:
            return set((r["old_la_code"] or None, r["new_la_code"] or None, r["la_name"])
                       for r in csv.DictReader(f))
    with open(registry, newline="", encoding="utf-8") as f:
        return set((r["dfe_code"] or "x", r["code"], r["name"])
                   for r in csv.DictReader(f) if r["code"].startswith("E"))


def main():
    args = sys.argv[1:]
    opts = {"--registry": None, "--las": None, "--dictionary": None}
    pos = []
    while args:
        a = args.pop(0)
        if a in opts and args:
            opts[a] = args.pop(0)
        else:
            pos.append(a)
    if len(pos) != 2:
        raise SystemExit("usage: check.py DATA.csv META.csv [--registry CSV] [--las CSV] "
                         "[--dictionary CSV]")
    registry = opts["--registry"] or os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                  "..", "..", "schemas", "authorities.csv")
    data, meta = Frame(pos[0]), Frame(pos[1])
    dname, mname = os.path.basename(pos[0]), os.path.basename(pos[1])

    check_filename_spaces(dname)
    check_filename_spaces(mname)
    check_filename_special(dname)
    check_filename_special(mname)
    check_filenames_match(dname, mname)
    precheck_col_req_meta(meta)
    precheck_col_invalid_meta(meta)
    precheck_col_req_data(data)
    precheck_col_to_rows(data, meta)
    precheck_cross_meta_to_data(data, meta)
    precheck_cross_data_to_meta(data, meta)
    check_col_names_spaces(data)
    check_col_snake_case(data)
    check_col_var_start(data)
    check_col_ind_smushed(meta)
    check_col_var_characteristic(meta)
    precheck_meta_col_type(meta)
    precheck_meta_ob_unit(meta)
    precheck_meta_col_name(meta)
    check_meta_dupe_label(meta)
    check_meta_fil_grp(meta)
    check_meta_fil_grp_dupe(meta)
    check_meta_fil_grp_is_fil(meta)
    check_meta_fil_grp_match(data, meta)
    check_meta_fil_grp_stripped(data, meta)
    check_meta_label(meta)
    check_meta_filter_hint(meta)
    check_meta_geog_catch(meta)
    check_meta_indicator_dp(meta)
    check_meta_col_name_spaces(meta)
    check_meta_col_name_dupe(meta)
    check_meta_ind_dp_set(meta)
    check_meta_ind_dp_values(meta)
    check_meta_ind_unit(meta)
    check_meta_ind_unit_validation(meta)
    check_meta_indicator_grouping(meta)
    precheck_time_period_num(data)
    precheck_time_id_valid(data)
    precheck_time_id_mix(data)
    precheck_filter_not_singular(data, meta)
    precheck_geog_level(data)
    precheck_geog_level_present(data)
    check_time_period(data)
    check_time_period_six(data)
    check_filter_defaults(data, meta)
    check_filter_group_level(data, meta)
    check_filter_item_limit(data, meta)
    check_filter_whitespace(data, meta)
    check_filter_ob_total(data, meta)
    check_filter_blanks(data, meta)
    geog_combos(data, "geog_country_combos", "country_code", "country_name", ACCEPTABLE_COUNTRIES)
    geog_combos(data, "geog_region_combos", "region_code", "region_name", ACCEPTABLE_REGIONS,
                restricted_level="Regional")
    for name, code, nm, level in (
            ("geog_ward_combos", "ward_code", "ward_name", "Ward"),
            ("geog_pcon_combos", "pcon_code", "pcon_name", "Parliamentary constituency"),
            ("geog_lad_combos", "lad_code", "lad_name", "Local authority district"),
            ("geog_lep_combos", "local_enterprise_partnership_code",
             "local_enterprise_partnership_name", "Local enterprise partnership"),
            ("geog_lsip_combos", "lsip_code", "lsip_name", "Local skills improvement plan area"),
            ("geog_eda_combos", "english_devolved_area_code", "english_devolved_area_name",
             "English devolved area")):
        # DfE's lookups for these levels are not copied: this file has none of them
        if code in data.names or nm in data.names:
            out(name, "FAIL", "%s present: no lookup here to check it against" % code)
        else:
            out(name, "PASS", "columns not present")
    geog_combos(data, "geog_la_combos", "new_la_code", "la_name",
                la_lookup(registry, opts["--las"]), extra_code_col="old_la_code")
    check_geog_level_completed(data)
    check_geog_ignored_rows(data)
    other_dupes(data, "geog_other_dupes", "name")
    geog_col_present(data, "geog_la_col_present", "Local authority")
    geog_col_present(data, "geog_region_col_present", "Regional")
    region_for_level(data, "geog_region_for_la", "Local authority")
    region_for_level(data, "geog_region_for_lad", "Local authority district")
    check_geog_na(data)
    check_geog_na_code(data)
    other_dupes(data, "geog_other_code_dupes", "code")
    check_geog_overcompleted_cols(data, meta)
    check_general_dupes(data, meta)
    check_general_null(data, meta)
    check_ind_invalid_entry(data, meta)
    check_harmonised_variables(meta)
    check_harmonised_eth_vals(data)
    check_harmonised_eth_char_grp(data)
    check_harmonised_eth_char_vals(data)
    check_api_char_col_name(data)
    check_api_char_col_label(meta)
    check_api_char_loc_code(data)
    check_api_char_filter_items(data, meta)
    check_data_dict(data, meta, opts["--dictionary"])

    for name, result, message in results:
        print("%s %s: %s" % (result, name, message))
    fails = sum(1 for r in results if r[1] == "FAIL")
    warns = sum(1 for r in results if r[1] == "WARNING")
    print("ees: %d checks, %d failed, %d warnings, %d not run (%d rows, %d columns)"
          % (len(results), fails, warns, sum(1 for r in results if r[1] == "NOT RUN"),
             len(data.rows), len(data.names)))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
