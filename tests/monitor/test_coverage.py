"""Answers that know their limits (issue 10): coverage per series and period.

Real data: the bundled Japan Customs extract (preference claims only, monthly, 2012-2019).
Declarations are constructed (labelled so by the reader's ``source = declarations`` and the
file written here), with the real FY2020 US figures of the March 2021 USJTA activation.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from functools import lru_cache
from pathlib import Path

import pyarrow as pa
import pytest

from tests.monitor.constructed import daily, spread
from tradeguard.data.bundled import bundled_extract_path
from tradeguard.data.coverage import Coverage
from tradeguard.data.readers import read_any
from tradeguard.data.schema import CANONICAL_SCHEMA
from tradeguard.monitor.report import data_as_of, monitor, monitor_latest
from tradeguard.rules.loader import shipped_rules

D = dt.date
USJTA = "usjta.beef_safeguard"
DECLARATIONS = """date,tariff_line,partner,quantity,quantity_unit,value,currency,regime
2020-04-01,020230090,US,1000,t,1000000000,JPY,usjta
2021-03-09,020230090,US,241500,t,241500000000,JPY,usjta
"""


@lru_cache(maxsize=1)
def bundled() -> pa.Table:
    return read_any(bundled_extract_path())


def declarations(tmp_path: Path, text: str = DECLARATIONS) -> pa.Table:
    path = tmp_path / "declarations.csv"
    path.write_text(text, encoding="utf-8")
    return read_any(path)


def _row(report, measure_id: str) -> dict:
    return next(r for r in report.status() if r["measure_id"] == measure_id)


# 1. Triggered from incomplete data --------------------------------------------------------

def test_a_measure_counting_all_imports_is_not_computable_from_preference_only_data():
    report = monitor(bundled(), as_of=D(2015, 3, 31))
    period = report.period("wto.beef_chilled_emergency", 2014)
    row = _row(report, "wto.beef_chilled_emergency")
    assert (period.coverage, period.triggered, period.activation) == ("none", False, None)
    assert (row["cumulative_t"], row["trigger_t"], row["share"]) == (None, None, None)
    assert row["coverage_reason"] == (
        "not computable from this data: it holds only imports that claimed a preference, "
        "and this measure counts all imports")
    assert not [a for a in report.activations if a.measure_id.startswith("wto.")]


def test_preference_claims_under_one_agreement_stay_computable_from_the_extract():
    period = monitor(bundled(), as_of=D(2015, 3, 31)).period("jaepa.beef_chilled_safeguard", 2014)
    last = period.latest.conditions[0]
    assert period.coverage == "complete"
    assert (round(last.cumulative_t), round(last.trigger_t)) == (24_706, 21_667)
    assert period.crossing_date == D(2015, 3, 31)


# 2. Zeros as facts ------------------------------------------------------------------------

def test_past_the_end_of_the_data_a_period_says_no_data_not_zero(tmp_path):
    report = monitor(declarations(tmp_path), as_of=D(2021, 4, 10), measures=[USJTA])
    row = _row(report, USJTA)
    assert (row["period"], row["coverage"], row["cumulative_t"]) == ("FY2021", "none", None)
    assert row["coverage_reason"] == ("no data for 2021-04-01 to 2021-04-10: the data ends "
                                      "on 2021-03-09")
    assert row["data_through"] is None and row["triggered"] is False


def test_the_bundled_extract_cannot_judge_usjta_beef_in_the_month_it_fired():
    row = _row(monitor(bundled(), as_of=D(2021, 3, 31), measures=[USJTA]), USJTA)
    assert (row["coverage"], row["cumulative_t"], row["trigger_t"]) == ("none", None, None)


def test_a_count_stands_next_to_a_trigger_that_needs_years_the_data_does_not_cover(tmp_path):
    pork = declarations(tmp_path, DECLARATIONS.split("\n")[0] + "\n"
                        "2020-05-10,020319010,US,5000,t,5000000000,JPY,usjta\n"
                        "2020-06-10,020319010,US,7000,t,7000000000,JPY,usjta\n")
    report = monitor(pork, as_of=D(2020, 6, 10), measures=["usjta.pork_safeguard"])
    row = _row(report, "usjta.pork_safeguard")
    assert row["cumulative_t"] == 12_000.0
    assert row["trigger_t"] is None and row["share"] is None and row["triggered"] is False
    assert row["trigger_reason"].startswith("usjta.pork_safeguard, condition `us_volume`, "
                                            "FY2020: the data does not cover FY2019")


def _with_row(table: pa.Table, line: str, partner: str, regime: str) -> pa.Table:
    stray = pa.Table.from_pylist([{
        "period_start": D(2100, 1, 1), "period_end": D(2100, 1, 31), "granularity": "month",
        "tariff_line": line, "partner": partner, "quantity": 1000.0, "quantity_unit": "kg",
        "value": 1000.0, "currency": "JPY", "regime": regime, "source": "jp-customs-epa-tidy",
        "batch_id": table["batch_id"][0].as_py()}], schema=CANONICAL_SCHEMA)
    return pa.concat_tables([table, stray])


def test_a_stray_row_dated_2100_does_not_move_other_series_default_as_of():
    report = monitor_latest(_with_row(bundled(), "100630010", "AU", "jaepa"),
                            measures=["cptpp.beef_safeguard"])
    row = _row(report, "cptpp.beef_safeguard")
    assert (row["as_of"], row["period"]) == ("2019-12-31", "FY2019")
    assert row["cumulative_t"] == pytest.approx(290_148.676, abs=1e-6)


def test_a_stray_row_dated_2100_in_the_series_never_reads_as_a_complete_zero_year():
    table = _with_row(bundled(), "020130010", "AU", "jaepa")
    assert data_as_of(table, measures=["cptpp.beef_safeguard"]) == {
        "cptpp.beef_safeguard": D(2100, 1, 31)}
    row = _row(monitor_latest(table, measures=["cptpp.beef_safeguard"]), "cptpp.beef_safeguard")
    assert (row["period"], row["coverage"], row["triggered"]) == ("FY2099", "partial", False)
    assert row["coverage_reason"].startswith("the data starts on 2100-01-01, after the period's")


# 3. Granularity per series and period --------------------------------------------------------

def test_daily_declarations_after_monthly_history_give_the_real_march_2021_activation(tmp_path):
    table = pa.concat_tables([bundled(), declarations(tmp_path)])
    period = monitor(table, as_of=D(2021, 4, 30), measures=[USJTA]).period(USJTA, 2020)
    assert period.crossing_date == D(2021, 3, 9)
    assert (period.activation.start, period.activation.end) == (D(2021, 3, 18), D(2021, 4, 16))
    assert period.activation.announced_on == D(2021, 3, 17)


def test_granularity_is_the_finest_data_covering_the_series_on_the_day(tmp_path):
    covered = Coverage.of(pa.concat_tables([bundled(), declarations(tmp_path)]))
    rules = shipped_rules()
    from tradeguard.monitor.triggers import counted_scope

    measure = rules.safeguards[USJTA]
    scope = counted_scope(rules, measure, measure.conditions[0])
    assert covered.granularity_on(scope, D(2021, 3, 9)) == "day"
    cptpp = rules.safeguards["cptpp.beef_safeguard"]
    monthly = counted_scope(rules, cptpp, cptpp.conditions[0])
    assert covered.granularity_on(monthly, D(2019, 3, 15)) == "month"


# Knowledge time: an activation is known from its announcement --------------------------------

def test_before_the_announcement_the_crossing_is_known_but_the_activation_is_not():
    rows = spread(D(2020, 4, 1), 344, 242_229, "020230090", "US", "usjta")
    report = monitor(daily(rows), as_of=D(2021, 3, 16), measures=[USJTA])
    period = report.period(USJTA, 2020)
    assert period.crossing_date == D(2021, 3, 10)
    assert period.activation is None and report.activations == []
    assert period.pending_activation.announced_on == D(2021, 3, 17)
    assert _row(report, USJTA)["activation_start"] is None
    later = monitor(daily(rows), as_of=D(2021, 3, 17), measures=[USJTA]).period(USJTA, 2020)
    assert later.activation.start == D(2021, 3, 18)


# 5. What is in force across the fiscal-year change --------------------------------------------

def test_a_safeguard_running_into_the_next_fiscal_year_shows_in_that_years_status(tmp_path):
    rules = dataclasses.replace(shipped_rules(), activations=())  # computed, not the record
    report = monitor(declarations(tmp_path), as_of=D(2021, 4, 10), rules=rules, measures=[USJTA])
    row = _row(report, USJTA)
    assert row["period"] == "FY2021"
    assert (row["safeguard_in_force"], row["safeguard_rate_in_force"]) == (True, "38.5%")
    assert row["safeguard_rate"] == "30%"  # what a FY2021 crossing would bring
    after = _row(monitor(declarations(tmp_path), as_of=D(2021, 4, 17), rules=rules,
                         measures=[USJTA]), USJTA)
    assert (after["safeguard_in_force"], after["safeguard_rate_in_force"]) == (False, None)


def test_an_official_activation_is_in_force_even_where_the_data_cannot_judge_the_measure():
    row = _row(monitor(bundled(), as_of=D(2017, 9, 1),
                       measures=["wto.beef_frozen_emergency"]), "wto.beef_frozen_emergency")
    assert (row["coverage"], row["cumulative_t"]) == ("none", None)
    assert (row["safeguard_in_force"], row["safeguard_rate_in_force"]) == (True, "50%")
