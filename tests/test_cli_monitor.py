"""CLI for the import store and the monitor: ingest, status, timeline, alerts."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tradeguard.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("store") / "store.duckdb"
    first = runner.invoke(app, ["ingest", "--bundled", "--store", str(path)])
    assert first.exit_code == 0, first.output
    assert first.stdout.startswith("ingested")
    return path


def test_ingest_twice_is_a_no_op(store):
    again = runner.invoke(app, ["ingest", "--bundled", "--store", str(store), "--json"])
    assert again.exit_code == 0
    assert json.loads(again.stdout)["status"] == "already ingested"


def test_status_json_fields(store):
    result = runner.invoke(app, ["status", "--store", str(store), "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["measure_id"]: r for r in json.loads(result.stdout)}
    assert set(rows) == {"cptpp.beef_safeguard", "jaepa.beef_chilled_safeguard",
                         "jaepa.beef_frozen_safeguard", "jeuepa.beef_safeguard",
                         "jeuepa.pork_safeguard", "wto.beef_chilled_emergency",
                         "wto.beef_frozen_emergency", "wto.pork_emergency"}
    # The Japan-EU EPA's FY2019 trigger was not found: the count stands, the trigger is null.
    eu = rows["jeuepa.beef_safeguard"]
    assert (eu["period"], eu["trigger_t"], eu["triggered"]) == ("FY2019", None, False)
    assert eu["cumulative_t"] is not None and eu["cumulative_t"] > 0
    row = rows["cptpp.beef_safeguard"]
    for key in ("measure_id", "period_start", "period_end", "cumulative_t", "trigger_t", "share",
                "triggered", "crossing_date", "activation_start", "activation_end",
                "safeguard_rate", "forecast_probability"):
        assert key in row
    assert (row["period_start"], row["period_end"]) == ("2019-04-01", "2020-03-31")
    assert row["cumulative_t"] == pytest.approx(290_148.676)
    assert row["safeguard_rate"] == "38.5%"
    assert row["share"] == pytest.approx(290_148.676 / 601_800, abs=1e-6)


def test_timeline_writes_a_chart(store, tmp_path):
    chart = tmp_path / "cptpp.svg"
    result = runner.invoke(app, ["timeline", "cptpp.beef_safeguard", "--period", "FY2019",
                                 "--store", str(store), "--out", str(chart), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    points = data["conditions"][0]["points"]
    assert points[-1]["date"] == "2019-12-31"
    assert points[-1]["cumulative_t"] == pytest.approx(290_148.676)
    svg = chart.read_text()
    assert svg.startswith("<svg") and svg.count("<title>aggregate: imports") == len(points)


def test_timeline_for_a_period_that_does_not_exist(store):
    result = runner.invoke(app, ["timeline", "usjta.beef_safeguard", "--period", "FY2019",
                                 "--store", str(store)])
    assert result.exit_code == 1
    assert "no period FY2019 for usjta.beef_safeguard" in result.stderr


def test_alerts_json(store):
    result = runner.invoke(app, ["alerts", "--store", str(store), "--json"])
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert {"measure_id": "jaepa.beef_chilled_safeguard", "period": "FY2015",
            "threshold": 0.9} in [{k: r[k] for k in ("measure_id", "period", "threshold")}
                                  for r in rows]


def test_ingest_needs_a_path_or_bundled():
    result = runner.invoke(app, ["ingest"])
    assert result.exit_code == 1
    assert "give a PATH or --bundled" in result.stderr


def test_alerts_with_custom_thresholds(store):
    result = runner.invoke(app, ["alerts", "--store", str(store), "--thresholds", "0.95",
                                 "--json"])
    rows = json.loads(result.stdout)
    assert {r["threshold"] for r in rows} == {0.95}
    # JAEPA chilled FY2015 peaked at 95.6% of its trigger: it is listed at 95%.
    assert any(r["measure_id"] == "jaepa.beef_chilled_safeguard" and r["period"] == "FY2015"
               for r in rows)
    bad = runner.invoke(app, ["alerts", "--store", str(store), "--thresholds", "high"])
    assert bad.exit_code == 1 and "threshold `high` is not a number" in bad.stderr


DECLARATIONS = """date,tariff_line,partner,quantity,quantity_unit,value,currency,regime
2020-04-01,020230090,US,1000,t,1000000000,JPY,usjta
2021-03-09,020230090,US,241500,t,241500000000,JPY,usjta
"""


def _status(store, *args: str) -> dict[str, dict]:
    result = runner.invoke(app, ["status", "--store", str(store), "--json", *args])
    assert result.exit_code == 0, result.output
    return {r["measure_id"]: r for r in json.loads(result.stdout)}


@pytest.fixture(scope="module")
def declaration_store(tmp_path_factory):
    """Constructed US beef declarations (the real FY2020 total, on two days) in a store."""
    folder = tmp_path_factory.mktemp("declarations")
    (folder / "us-beef.csv").write_text(DECLARATIONS, encoding="utf-8")
    path = folder / "store.duckdb"
    result = runner.invoke(app, ["ingest", str(folder / "us-beef.csv"), "--store", str(path)])
    assert result.exit_code == 0, result.output
    return path


def test_status_never_shows_a_measure_triggered_from_data_that_does_not_hold_its_count(store):
    row = _status(store, "--as-of", "2015-03-31")["wto.beef_chilled_emergency"]
    assert (row["coverage"], row["cumulative_t"], row["triggered"]) == ("none", None, False)
    assert row["activation_start"] is None
    text = runner.invoke(app, ["status", "--store", str(store), "--as-of", "2015-03-31"]).stdout
    assert "not computable" in text and "it holds only imports that claimed a preference" in text


def test_status_in_force_across_the_fiscal_year_change(declaration_store):
    row = _status(declaration_store, "--as-of", "2021-04-10")["usjta.beef_safeguard"]
    assert row["period"] == "FY2021"
    assert (row["safeguard_in_force"], row["safeguard_rate_in_force"]) == (True, "38.5%")
    assert (row["coverage"], row["cumulative_t"]) == ("none", None)


def test_status_default_as_of_is_per_measure_the_last_day_its_data_covers(store,
                                                                          declaration_store):
    rows = _status(declaration_store)
    assert rows["usjta.beef_safeguard"]["as_of"] == "2021-03-09"
    assert rows["usjta.beef_safeguard"]["cumulative_t"] == 242_500.0
    bundled = _status(store)
    assert {r["as_of"] for r in bundled.values()} == {"2019-12-31"}


def test_alerts_and_timeline_without_a_count_for_unjudgeable_measures(store):
    rows = json.loads(runner.invoke(app, ["alerts", "--store", str(store), "--json"]).stdout)
    assert not [r for r in rows if r["measure_id"].startswith("wto.")]
    result = runner.invoke(app, ["timeline", "wto.beef_chilled_emergency", "--period", "FY2014",
                                 "--as-of", "2015-03-31", "--store", str(store), "--json",
                                 "--out", str(store.parent / "wto.svg")])
    data = json.loads(result.stdout)
    assert (data["coverage"], data["conditions"], data["crossing_date"]) == ("none", [], None)
