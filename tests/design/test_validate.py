"""Out-of-sample validation of the forecast (rolling origin) on the bundled real data."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from tradeguard.cli import app
from tradeguard.design.validate import Case, reliability, scores, validate
from tradeguard.errors import InputError

DRAWS = 100  # few draws: CI time; the seeded scores below are for exactly these


@pytest.fixture(scope="module")
def result():
    stages = []
    out = validate(draws=DRAWS, progress=lambda stage, done, total: stages.append(
        (stage, done, total)))
    out.stages = stages
    return out


def test_every_whole_year_of_the_computable_measures_is_forecast_from_earlier_years(result):
    sc = result.scores
    # JAEPA chilled and frozen, FY2016-FY2018, 11 month-ends each (FY2014-15 have no earlier
    # year), and CPTPP's Year 1 (30 Dec 2018 - 31 Mar 2019) at the ends of January and
    # February, its season borrowed from Australia's imports under the Japan-Australia EPA.
    assert sc["cases"] == 68 and sc["years"] == 7
    assert {(r["measure_id"], r["period"]) for r in sc["by_year"]} == {
        ("cptpp.beef_safeguard", "FY2018")} | {
        (m, f"FY{y}") for m in ("jaepa.beef_chilled_safeguard", "jaepa.beef_frozen_safeguard")
        for y in (2016, 2017, 2018)}
    assert sc["by_prior"] == {"own_history": 66, "partner_other_regimes": 2,
                              "pooled_partners": 0}
    # Rolling origin: each year is forecast from whole years before it only.
    assert {(c.fy, c.years_used) for c in result.cases} == {
        (2016, (2015,)), (2017, (2015, 2016)), (2018, (2015, 2016, 2017))}
    assert result.stages[-1] == ("validate", 11, 11)  # FY2014-15 are tried: no history


def test_years_not_scored_say_why(result):
    reasons = {(s["measure_id"], s["period"]): s["reason"] for s in result.skipped}
    assert reasons[("jaepa.beef_chilled_safeguard", "FY2015")].startswith(
        "no forecast: no complete earlier year")
    assert reasons[("jaepa.beef_frozen_safeguard", "FY2014")].startswith("no forecast")
    assert reasons[("cptpp.beef_safeguard", "FY2019")] == "the year is not complete in the data"
    assert reasons[("wto.beef_frozen_emergency", "FY2016")].startswith(
        "not computable from the data")


def test_scores_on_the_bundled_data_with_the_baselines_beside_them(result):
    sc = result.scores
    # No scored year crossed, nor did the year before: last year's outcome (0) is perfect,
    # and the model, which gives near misses a real chance, cannot beat it on this data.
    assert sc["crossed"] == 0
    assert sc["brier_baseline_last_year_outcome"] == 0.0
    assert 0.005 < sc["brier_model_on_those"] < 0.04
    # The year-end projection is within about 8% at the median, as the naive growth is.
    assert 0.05 < sc["median_abs_error_model"] < 0.11
    assert 0.06 < sc["median_abs_error_naive_growth"] < 0.10
    # The 90% band holds the truth less often than 90% (FY2018's regime switch, few years).
    assert 0.6 < sc["coverage_90"] < 0.9
    assert sc["coverage_50"] < sc["coverage_90"]
    assert sum(r["cases"] for r in sc["reliability"]) == 68
    assert sc["pooled_prior"]["cases"] == 68


def test_the_validation_is_seeded(result):
    again = validate(draws=DRAWS)
    assert again.scores == result.scores


def test_brier_and_reliability_on_handmade_cases():
    def case(p, crossed, base):
        return Case("m", 2016, 3, "own_history", p, crossed, base, 100.0, 110.0, 90.0,
                    (102.0, 105.0), (80.0, 120.0))

    cases = [case(0.9, True, 0.0), case(0.1, False, 1.0), case(0.5, True, None)]
    sc = scores(cases)
    assert sc["brier"] == pytest.approx((0.01 + 0.01 + 0.25) / 3, abs=1e-4)
    assert sc["brier_model_on_those"] == pytest.approx(0.01)
    assert sc["brier_baseline_last_year_outcome"] == 1.0
    assert sc["coverage_50"] == 0.0 and sc["coverage_90"] == 1.0
    assert sc["median_abs_error_model"] == pytest.approx(0.1)
    rows = reliability(np.array([0.1, 0.15, 0.97]), np.array([0.0, 1.0, 1.0]))
    by_bin = {r["bin"]: r for r in rows}
    assert by_bin["0.05-0.20"]["cases"] == 2
    assert by_bin["0.05-0.20"]["observed_frequency"] == 0.5
    assert by_bin["0.95-1.00"]["mean_probability"] == 0.97


def test_too_many_draws_is_refused_before_any_work():
    with pytest.raises(InputError, match="above the limit of 20,000"):
        validate(draws=1_000_000)


def test_design_validate_cli_prints_json_scores():
    out = CliRunner().invoke(app, ["design", "validate", "--draws", "20", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["scores"]["cases"] == 68 and data["draws"] == 20
    assert data["priors"]["pooled_partners"].startswith("the pooled season")
    bad = CliRunner().invoke(app, ["design", "validate", "--draws", "0"])
    assert bad.exit_code == 1 and "draws must be at least 1" in bad.output


def test_validate_takes_other_data_and_says_when_nothing_can_be_scored(tmp_path):
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from tradeguard.design.backtest import bundled_imports

    table = bundled_imports()
    one_year = table.filter(pc.equal(pc.year(table["period_start"]), 2017))
    path = tmp_path / "beef-2017.parquet"
    pq.write_table(one_year, path)
    out = CliRunner().invoke(app, ["design", "validate", "--data", str(path), "--draws", "10"])
    assert out.exit_code == 0, out.output
    assert "no year could be scored" in out.output
    as_json = json.loads(CliRunner().invoke(app, ["design", "validate", "--data", str(path),
                                                  "--draws", "10", "--json"]).output)
    assert as_json["scores"] == {"cases": 0}
    chilled = {s["period"]: s["reason"] for s in as_json["skipped"]
               if s["measure_id"] == "jaepa.beef_chilled_safeguard"}
    assert chilled["FY2016"].endswith("the count is a lower bound")
    assert chilled["FY2017"] == "the year is not complete in the data"
