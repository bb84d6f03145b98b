#!/usr/bin/env python3
"""gen.py DIR [AUTHORITIES_CSV] -- 217 returns in the shape of *Heading back to harm*.

ECPAT UK and Missing People, *Heading back to harm* (2016), year to September
2015: 217 authorities asked; 590 children identified as trafficked or suspected
trafficked were in care and 167 of them went missing at least once (28%);
4,744 unaccompanied asylum-seeking children (UASC) were in care and 593 went
missing (13%), 207 of them not found. Northamptonshire reported 42 trafficked
children, second only to Thurrock; Kent 985 UASC in care, 190 who went missing,
53 still missing.

This writes one CSV return per authority in force on 2015-09-30 (217 of them,
from schemas/authorities.csv) into DIR, period 2014-10-01 to 2015-09-30, both
cohorts. Four authorities could not say: x for every count of both cohorts.
The others' counts are made up -- small and uneven, as the paper's were -- but
add up exactly to the paper's totals, and satisfy every rule of the schema.
Deterministic: a fixed linear congruential generator, no clock, no `random`.

The build must then read, for the UK: trafficked 590 in care, 167 went missing,
28.3%; UASC 4744, 593, 12.5% (593 / 4744 is exactly 1/8).
"""
import csv
import os
import sys

PERIOD = ("2014-10-01", "2015-09-30")
TOTALS = {  # cohort: (in_care, went_missing, not_found)
    "trafficked": (590, 167, None),
    "uasc": (4744, 593, 207),
}
FIXED = {  # code: cohort: (in_care, went_missing, not_found)
    "E06000034": {"trafficked": (45, 19, 3)},         # Thurrock, first
    "E10000021": {"trafficked": (42, 15, 3)},         # Northamptonshire, second
    "E10000016": {"uasc": (985, 190, 53)},            # Kent
}
NOT_SAYING = 4      # authorities with x for every count


class Lcg:
    """Numerical Recipes' 32-bit LCG: the same numbers on every machine."""

    def __init__(self, seed):
        self.state = seed & 0xFFFFFFFF

    def below(self, n):
        self.state = (1664525 * self.state + 1013904223) & 0xFFFFFFFF
        return (self.state >> 8) % n if n > 0 else 0


def in_force(row):
    return row["valid_from"] <= PERIOD[1] and (not row["valid_to"] or row["valid_to"] >= PERIOD[1])


def spread(values, caps, target, rng):
    """Add or take 1s at deterministic places until sum(values) == target,
    keeping 0 <= values[i] <= caps[i]."""
    n = len(values)
    guard = 0
    while sum(values) != target:
        i = rng.below(n)
        if sum(values) < target and values[i] < caps[i]:
            values[i] += 1
        elif sum(values) > target and values[i] > 0:
            values[i] -= 1
        guard += 1
        if guard > 10_000_000:
            raise SystemExit("gen.py: cannot reach the totals")
    return values


def cohort_counts(codes, cohort, rng):
    """Per authority (in_care, went_missing, incidents, found, not_found)."""
    care_total, went_total, nf_total = TOTALS[cohort]
    fixed = {c: FIXED[c][cohort] for c in codes if cohort in FIXED.get(c, {})}
    free = [c for c in codes if c not in fixed]
    small = 4 if cohort == "trafficked" else 40
    care = [rng.below(small) if rng.below(5) else 0 for _ in free]
    care = spread(care, [10**6] * len(free), care_total - sum(v[0] for v in fixed.values()), rng)
    went = [v * (went_total - sum(f[1] for f in fixed.values())) // max(1, sum(care)) for v in care]
    went = spread(went, care, went_total - sum(v[1] for v in fixed.values()), rng)
    if nf_total is None:
        nf = [w // 4 for w in went]
    else:
        nf = [w // 3 for w in went]
        nf = spread(nf, went, nf_total - sum(v[2] for v in fixed.values()), rng)
    out = {}
    for c, (ic, wm, n) in fixed.items():
        out[c] = (ic, wm, wm + wm // 2, wm - n, n)
    for c, ic, wm, n in zip(free, care, went, nf):
        incidents = wm + (rng.below(wm + 1) if wm else 0)
        out[c] = (ic, wm, incidents, wm - n, n)
    return out


def main():
    if len(sys.argv) not in (2, 3):
        raise SystemExit("usage: gen.py DIR [AUTHORITIES_CSV]")
    out_dir = sys.argv[1]
    registry = sys.argv[2] if len(sys.argv) == 3 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "schemas", "authorities.csv")
    with open(registry, newline="", encoding="utf-8") as f:
        auths = sorted((r for r in csv.DictReader(f) if in_force(r)), key=lambda r: r["code"])
    if len(auths) != 217:
        raise SystemExit("gen.py: %d authorities in force on %s, not 217" % (len(auths), PERIOD[1]))
    rng = Lcg(2016)
    # the authorities that cannot say: spread over the list, never a fixed one
    step = len(auths) // NOT_SAYING
    silent = {auths[i * step + step // 2]["code"] for i in range(NOT_SAYING)} - set(FIXED)
    speaking = [a["code"] for a in auths if a["code"] not in silent]
    counts = {cohort: cohort_counts(speaking, cohort, rng) for cohort in TOTALS}
    os.makedirs(out_dir, exist_ok=True)
    header = ["authority_code", "authority_name", "period_start", "period_end", "cohort",
              "in_care", "went_missing", "missing_incidents", "found", "not_found"]
    for a in auths:
        with open(os.path.join(out_dir, a["code"] + ".csv"), "w", newline="",
                  encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(header)
            for cohort in TOTALS:
                values = ["x"] * 5 if a["code"] in silent else counts[cohort][a["code"]]
                w.writerow([a["code"], a["name"], PERIOD[0], PERIOD[1], cohort] + list(values))
    # the totals, checked here too: the build must find the same
    for cohort, (care, went, nf) in TOTALS.items():
        got = [sum(v[i] for v in counts[cohort].values()) for i in range(5)]
        assert got[0] == care and got[1] == went, (cohort, got)
        assert nf is None or got[4] == nf, (cohort, got)
        for v in counts[cohort].values():
            ic, wm, inc, fd, n = v
            assert 0 <= wm <= ic and fd + n == wm and inc >= wm and (inc == 0 or wm > 0), v
            assert inc <= 100 * wm or wm == 0, v


if __name__ == "__main__":
    main()
