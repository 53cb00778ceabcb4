"""Proration of a partial first year when the rules give no figure of its own."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

from tests.monitor.constructed import daily
from tradeguard.monitor.report import monitor
from tradeguard.rules.loader import LIBRARY, load_rules


def _library_without_first_trigger(tmp_path: Path, rule: str, condition: str) -> Path:
    root = tmp_path / "library"
    shutil.copytree(LIBRARY, root)
    path = root / f"{rule.replace('.', '/')}.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    cond = next(c for c in doc["conditions"] if c["id"] == condition)
    cond["trigger"]["volumes"] = cond["trigger"]["volumes"][1:]
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return root


@pytest.mark.parametrize(("rule", "condition", "fy", "first_day", "expected", "encoded"), [
    # USJTA FY2019: 242,000 t × 91/366 days (1 Jan - 31 Mar 2020), encoded as 60,169 t.
    ("usjta.beef_safeguard", "us_volume", 2019, dt.date(2020, 1, 15), 242_000 * 91 / 366, 60_169),
    # CPTPP Year 1: a quarter of the year's figure; the encoded Year-1 figure is 590,000 / 4, and
    # without it the first full year's 601,800 t is what the rule can prorate.
    ("cptpp.beef_safeguard", "aggregate", 2018, dt.date(2019, 1, 15), 601_800 / 4, 147_500),
])
def test_partial_first_year_is_prorated_by_the_rule(tmp_path, rule, condition, fy, first_day,
                                                    expected, encoded):
    rows = daily([(first_day, "020230090", "US" if "usjta" in rule else "AU", 10.0,
                   "usjta" if "usjta" in rule else "cptpp")])
    prorated = monitor(rows, as_of=dt.date(2020, 3, 31), measures=[rule],
                       rules=load_rules(_library_without_first_trigger(tmp_path, rule, condition)))
    level = prorated.period(rule, fy).latest.conditions[0]
    assert level.trigger_t == pytest.approx(expected)
    assert any(n.startswith("partial year:") for n in level.notes)
    shipped = monitor(rows, as_of=dt.date(2020, 3, 31), measures=[rule])
    assert shipped.period(rule, fy).latest.conditions[0].trigger_t == encoded
