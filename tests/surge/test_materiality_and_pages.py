"""Surges that matter (issue 14 item 5): the materiality threshold, each flag's share of its
line's imports, filters, sorting by size and pages, the same in the CLI, the API and the desk."""

from __future__ import annotations

import json
import shutil

import pyarrow.compute as pc
import pytest

from tests.surge.conftest import find
from tradeguard.errors import InputError


def test_the_materiality_threshold_is_dated_rule_data_with_its_status():
    from tradeguard.rules.law import surge_materiality
    from tradeguard.rules.loader import shipped_rules

    law = surge_materiality(shipped_rules())
    assert (law.min_increase_t, law.min_share, law.status) == (100.0, 0.03, "derived")


def test_a_flag_carries_its_share_of_the_line_imports_from_all_partners(flags):
    au = find(flags, "020230020", "AU", "2018-04", "fao130")[0]
    every = find(flags, "020230020", "*", "2018-04", "fao130")
    assert every and every[0]["share"] == 1.0
    assert au["share"] == pytest.approx(au["quantity_t"] / every[0]["quantity_t"])
    assert 0.0 < au["share"] <= 1.0


def test_immaterial_flags_are_hidden_and_counted_by_reason(flags):
    from tradeguard.surge.select import select_flags

    shown = select_flags(flags, partner="AU", per_page=1000)
    every = select_flags(flags, partner="AU", per_page=1000, include_immaterial=True)
    assert shown.total + shown.left_out["left out"] == every.total
    assert shown.left_out["left out"] > 0 and every.left_out["left out"] == 0
    assert pc.min(shown.flags["increase_t"]).as_py() >= 100.0
    assert pc.min(shown.flags["share"]).as_py() >= 0.03
    small = pc.sum(pc.less(every.flags["increase_t"], 100.0)).as_py()
    assert shown.left_out["increase under 100 t"] == small


def test_pages_sorted_by_size_cover_the_flags_once(flags):
    from tradeguard.surge.select import select_flags

    whole = select_flags(flags, tariff_line="0202", partner="AU", per_page=1000)
    sizes = whole.flags["increase_t"].to_pylist()
    assert sizes == sorted(sizes, reverse=True)
    count = -(-whole.total // 7)
    pages = [select_flags(flags, tariff_line="0202", partner="AU", per_page=7, page=n)
             for n in range(1, count + 2)]
    assert count > 2 and pages[0].pages == count and pages[-1].flags.num_rows == 0
    rows = [r for p in pages for r in p.flags.to_pylist()]
    assert rows == whole.flags.to_pylist()


def test_min_tonnes_and_period_filters_narrow_the_flags(flags):
    from tradeguard.surge.select import select_flags

    got = select_flags(flags, partner="AU", min_tonnes=1000, period_from="2018-04",
                       period_to="2018-04", per_page=1000)
    assert got.total > 0
    assert set(got.flags["period"].to_pylist()) == {"2018-04"}
    assert pc.min(got.flags["increase_t"]).as_py() >= 1000.0


@pytest.mark.parametrize("bad", [{"sort": "colour"}, {"page": 0}, {"per_page": 5000},
                                 {"label": "spike"}, {"method": "fao131"},
                                 {"min_tonnes": -1.0}])
def test_bad_selections_are_refused_with_a_fix(flags, bad):
    from tradeguard.surge.select import select_flags

    with pytest.raises(InputError, match="Fix"):
        select_flags(flags, **bad)


@pytest.fixture(scope="module")
def store(tmp_path_factory, bundled_store):
    """A copy of the session's bundled store (an ingest of its own would cost 3-4 CPU-s)."""
    path = tmp_path_factory.mktemp("surge-store") / "store.duckdb"
    shutil.copyfile(bundled_store, path)
    return path


def test_the_cli_filters_sorts_and_pages_the_flags(store):
    from typer.testing import CliRunner

    from tradeguard.cli import app

    result = CliRunner().invoke(app, ["surges", "--store", str(store), "--line", "0202",
                                      "--origin", "au", "--label", "tariff timing",
                                      "--period", "2018-01:2019-12", "--min-tonnes", "500",
                                      "--per-page", "2", "--page", "2", "--json"])
    assert result.exit_code == 0, result.output
    got = json.loads(result.output)
    assert got["page"] == 2 and len(got["flags"]) == 2 and got["pages"] == -(-got["total"] // 2) >= 2
    assert {(f["partner"], f["label"]) for f in got["flags"]} == {("AU", "tariff timing")}
    assert all(f["tariff_line"].startswith("0202") and f["increase_t"] >= 500
               and "2018-01" <= f["period"] <= "2019-12" for f in got["flags"])


def test_the_api_pages_and_the_desk_charts_a_flag_series(store):
    from fastapi.testclient import TestClient

    from tradeguard.api.app import create_app

    client = TestClient(create_app(store))
    got = client.get("/api/surges", params={"partner": "AU", "tariff_line": "020230020",
                                            "period_from": "2018-04", "period_to": "2018-04",
                                            "method": "fao130"}).json()
    assert got["total"] == 1 and got["materiality"]["min_increase_t"] == 100.0
    flag = got["flags"][0]
    assert flag["quantity_t"] == 2955.1
    assert flag["series_url"] == "/surges/series?line=020230020&partner=AU&period=2018-04"
    chart = client.get(flag["series_url"])
    assert chart.status_code == 200 and 'data-vega-spec="series-chart-spec"' in chart.text
    assert "flagged 2018-04" in chart.text
    twin = client.get(flag["series_url"] + "&format=json").json()
    april = [p for p in twin["points"] if p["period"] == "2018-04"]
    assert april == [{"period": "2018-04", "quantity_t": 2955.1}]
    assert client.get("/surges/series", params={"line": "9999", "partner": "AU"}).status_code \
        == 422
