"""WTO AoA Article 5 volume trigger: the US notification of 25 April 2025 (domain-rules §1.5(a))."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.monitor.constructed import daily, spread
from tradeguard.monitor.report import monitor
from tradeguard.monitor.triggers import article5_trigger
from tradeguard.rules.law import article5
from tradeguard.rules.loader import load_rules, shipped_rules
from tradeguard.rules.schema import Article5

D = dt.date
RULES = Path(__file__).parents[1] / "fixtures" / "us_article5_rules"
LINE = "17049068"


def test_us_sugar_articles_notification():
    rules = load_rules(RULES)
    # Constructed monthly-even data with the notified yearly totals (US years from 1 October).
    rows = spread(D(2021, 10, 1), 365, 733, LINE, "MX", None)
    rows += spread(D(2022, 10, 1), 365, 1_181, LINE, "MX", None)
    rows += spread(D(2023, 10, 1), 366, 1_090, LINE, "MX", None)
    rows += spread(D(2024, 10, 1), 123, 2_304, LINE, "MX", None)  # 1 Oct 2024 - 31 Jan 2025
    report = monitor(daily(rows), as_of=D(2025, 1, 31), rules=rules)
    period = report.period("wto.sugar_articles_ssg", 2024)
    cond = period.latest.conditions[0]
    assert cond.trigger_t == 1_251.6          # 125% of the rounded average 1,001.3 t
    assert cond.cumulative_t == pytest.approx(2_304)
    assert period.triggered
    # Known on 31 January only as a crossing: the duty starts on 1 April 2025 and counts as
    # announced the day before, so the activation is pending, not in the ledger.
    assert period.activation is None and report.activations == []
    assert period.pending_activation.start == D(2025, 4, 1)
    assert period.pending_activation.end == D(2025, 9, 30)   # to the end of the product's year
    assert any("125% of 1,001.3 t" in n for n in cond.notes)


@pytest.mark.parametrize(("consumption", "change", "expected"), [
    # Japan, potato starch, MA:3 of 5 Jan 2026: MAO 6% → 125%, the 105% floor binds.
    ([176_620.953, 174_403.722, 166_690.036], 166_690.036 - 174_403.722, 11_771.6),
    # domain-rules §1.5(b), illustrative: M3 = 100,000 t, consumption change +2,000 t.
    ([1_250_000.0] * 3, 2_000.0, 127_000.0),
    # ... and -30,000 t: the floor of 105,000 t binds.
    ([1_250_000.0] * 3, -30_000.0, 105_000.0),
])
def test_article5_trigger_formula(consumption, change, expected):
    params = Article5(status="confirmed", cite="x", trigger_decimals=1)
    imports = ([10_506.132, 8_342.55, 14_784.325] if expected == 11_771.6
               else [100_000.0] * 3)
    law = article5(shipped_rules(), D(2025, 4, 1))
    level, _ = article5_trigger(imports, params, law, consumption, change)
    assert level == pytest.approx(expected, abs=0.05)


def test_article5_levels_come_from_the_rule_library_and_a_folder_without_them_uses_the_shipped():
    law = article5(load_rules(RULES), D(2024, 10, 1))   # the fixture folder has no levels file
    assert law.base_levels == ((0.10, 1.25), (0.30, 1.10), (None, 1.05))
    assert (law.without_consumption, law.floor, law.average_years) == (1.25, 1.05, 3)
    assert [law.base_level(x) for x in (0.06, 0.10, 0.17, 0.31)] == [1.25, 1.25, 1.10, 1.05]


def test_no_article5_levels_before_the_wto_agreement():
    from tradeguard.errors import PeriodError

    with pytest.raises(PeriodError, match=r"Art\. 5\.4"):
        article5(shipped_rules(), D(1994, 12, 31))
