"""Fiscal-year arithmetic lives in periods.py: a grep of src/ finds no other copy.

The patterns are the shapes the copies took: a month compared with the year's start month
(``month < 4``, ``.month() < start_month``), 1 April written as a date, and ``FY`` keys built
or parsed by hand.  ``ALLOWED`` lists the hits left in modules other helpers own this session,
each to move to periods.py next; the list may only shrink.
"""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).parents[1] / "src" / "tradeguard"
PATTERNS = [
    re.compile(r"\.month(\(\))?\s*[<>]=?\s*(4\b|\w*start_month)"),
    re.compile(r"date\(.*,\s*4,\s*1\)"),
    re.compile(r"f[\"']FY\{"),
    re.compile(r"removeprefix\([\"']FY[\"']\)"),
]

#: (module, line text) hits in modules owned by other helpers this session (api/, web/, design/).
ALLOWED = {
    ("design/backtest.py", 'out["period"] = f"FY{self.fy}"'),
    ("web/design_charts.py", "lines = [svg.Line(label=name, points=[(dt.date(year, 4, 1), float(v)) for year, v in pts])"),
    ("design/overrides.py", "_as_date(valid_from) if valid_from is not None else dt.date(2000, 4, 1),"),
}


def _hits() -> set[tuple[str, str]]:
    out = set()
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel == "periods.py":
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if any(p.search(line) for p in PATTERNS):
                out.add((rel, line.strip()))
    return out


def test_no_fiscal_year_arithmetic_outside_periods():
    assert _hits() - ALLOWED == set()


def test_the_allowed_hits_are_still_there():
    assert ALLOWED - _hits() == set()


def test_the_patterns_see_the_copies_they_were_written_for():
    copies = ["fy = decl.date.year() - ibis.ifelse(decl.date.month() < 4, 1, 0)",
              "year = day.year - (1 if day.month < start_month else 0)",
              "next_fy = dt.date(fiscal_year(start) + 1, 4, 1)", 'label = f"FY{year}"']
    assert all(any(p.search(c) for p in PATTERNS) for c in copies)
