"""Law lives in the rule library: no legal number or date of law written in Python under src/.

The check walks the source with ``ast`` and looks for (1) the multiples of the WTO special
safeguards (Art. 5.4 base levels and floor, the SSM bands, the FAO screen ratio) as float
literals, and (2) calendar dates written as ``date(<year>, <month>, <day>)`` literals, which in
this codebase have been entry-into-force dates.  ``ALLOWED`` lists the few literals that are not
law, each with why.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parents[1] / "src" / "tradeguard"

#: Float literals that have been legal numbers in this codebase (Art. 5.4, SSM, FAO).
LEGAL_MULTIPLES = {1.05, 1.1, 1.15, 1.25, 1.3, 1.35}

#: (module path, literal) pairs that are not law.
ALLOWED = {
    ("monitor/backtest.py", 1.05),             # a ±5% calibration band of the back-test
    ("design/overrides.py", "2000-04-01"),     # a design's default start (helper "lab")
    ("design/compile.py", "1900-01-01"),       # "ever": before any rule
    ("design/compile.py", "9999-12-30"),       # "never": after any rule
    ("web/svg.py", "2000-01-01"),              # an empty chart's axis
    ("web/svg.py", "2000-12-31"),
    ("api/models.py", "1900-01-01"),           # bounds of accepted input dates
    ("api/models.py", "2199-12-31"),
    ("rules/scope.py", "1900-01-01"),          # open interval ends
    ("rules/scope.py", "9999-12-31"),
    ("data/schema.py", "1990-01-01"),          # bounds of plausible import dates
    ("data/schema.py", "2100-12-31"),
}


def _date_literal(node: ast.Call) -> str | None:
    name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
    args = node.args
    if name != "date" or len(args) != 3 or not all(
            isinstance(a, ast.Constant) and isinstance(a.value, int) for a in args):
        return None
    year, month, day = (a.value for a in args)
    return f"{year:04d}-{month:02d}-{day:02d}"


def _literals(tree: ast.AST) -> set[float | str]:
    found: set[float | str] = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Constant) and isinstance(node.value, float)
                and node.value in LEGAL_MULTIPLES):
            found.add(node.value)
        elif isinstance(node, ast.Call) and (day := _date_literal(node)):
            found.add(day)
    return found


def _law_in_python() -> set[tuple[str, float | str]]:
    out = set()
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).as_posix()
        out |= {(rel, lit) for lit in _literals(ast.parse(path.read_text(encoding="utf-8")))}
    return out


def test_no_legal_number_or_date_of_law_in_python():
    assert _law_in_python() - ALLOWED == set()


def test_the_allowed_literals_are_still_there():
    # an allowance whose literal is gone must leave the list, so the list stays true
    assert ALLOWED - _law_in_python() == set()


def test_the_check_sees_a_legal_multiple_and_a_date():
    tree = ast.parse("import datetime as dt\nx = 1.25 * a\nd = dt.date(2020, 1, 1)\n")
    assert _literals(tree) == {1.25, "2020-01-01"}
