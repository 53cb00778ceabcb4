"""Negotiating the links: iso-protection curves and the packages between two positions."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tradeguard.cli import app
from tradeguard.design.negotiate import between, interpolate, parse_ranges, trade_off
from tradeguard.design.simulate import Scenario
from tradeguard.design.spec import load_designs
from tradeguard.errors import InputError

TINY = Scenario(first_fy=2020, years=3, paths=32, seed=5)
BASE = {"id": "usjta-32", "title": "USJTA at a 32% snap-back", "base": "usjta.beef_safeguard",
        "overrides": {"snap_back": "32%"}}


def test_interpolate_finds_the_first_crossing_of_the_target():
    assert interpolate([26, 30, 34], [0.1, 0.3, 0.5], 0.4) == pytest.approx(32.0)
    assert interpolate([26, 30, 34], [0.1, 0.3, 0.5], 0.3) == 30.0
    assert interpolate([26, 30, 34], [0.1, 0.3, 0.5], 0.6) is None


@pytest.fixture(scope="module")
def curve():
    stages = []
    out = trade_off(BASE, "protection", ["trigger_growth", "safeguard_rate"],
                    {"trigger_growth": [-5, 0, 5], "safeguard_rate": [26, 29, 32, 35, 38.5]},
                    TINY, progress=lambda s, d, n: stages.append((s, d, n)))
    out["stages"] = stages
    return out


def test_the_curve_passes_through_the_base_design(curve):
    # At the base's own trigger (growth 0), the rate that holds its protection is its own 32%.
    at_base = next(p for p in curve["curve"] if p["x"] == 0.0)
    assert at_base["y"] == pytest.approx(32.0)
    assert curve["notes"] == ["the base's own `snap_back` is replaced by the varied element "
                              "in the grid (the held level is the base's as written)"]
    assert curve["stages"][-1] == ("simulate", 3, 3)
    assert len(curve["grid"]) == 3 and all(len(r) == 5 for r in curve["grid"])


def test_a_lower_trigger_needs_a_lower_rate_for_the_same_protection(curve):
    ys = {p["x"]: p["y"] for p in curve["curve"]}
    low = ys[-5.0]
    assert low is not None and low < 32.0
    # Protection rises with the rate at every trigger, so the curve is well defined.
    for row in curve["grid"]:
        assert row == sorted(row)
    high = next(p for p in curve["curve"] if p["x"] == 5.0)
    assert (high["y"] is None and "not reached" in high["note"]) or high["y"] > 32.0
    assert curve["limitations"][0].startswith("Tariff-rate quotas are simulated")


def test_between_lists_frontier_packages_inside_the_positions_box():
    a, b = load_designs(["beef-japan-opening", "beef-us-opening"])
    result = between(a, b, steps=2, scenario=TINY)
    assert result["elements"] == ["trigger_growth", "safeguard_rate", "late_february_days",
                                  "late_march_days"]
    assert result["levels"]["trigger_growth"] == [-5.0, 15.0]
    assert result["levels"]["safeguard_rate"] == [38.5, 30.0]
    assert result["packages_simulated"] == 16
    rows = result["packages"]
    assert rows == sorted(rows, key=lambda r: r["protection_points"])
    japan = result["positions"][0]
    # Japan's opening is itself a corner of the grid: the same seeded paths give it the
    # same protection, and it is the most protective package between the two.
    top = rows[-1]
    assert (top["trigger_growth"], top["safeguard_rate"], top["late_february_days"],
            top["late_march_days"]) == (-5.0, 38.5, 60.0, 45.0)
    assert top["protection_points"] == japan["protection_points"]


def test_cost_limits_and_bad_elements_are_clear_errors():
    with pytest.raises(InputError, match="above the limit of 400,000"):
        trade_off(BASE, "protection", ["trigger_growth", "safeguard_rate"], None,
                  Scenario(paths=100_000))
    with pytest.raises(InputError, match="unknown element 'speed'"):
        parse_ranges("speed=1:2")
    with pytest.raises(InputError, match="unknown output to hold"):
        trade_off(BASE, "welfare", ["trigger_growth", "safeguard_rate"])


def test_trade_off_cli_prints_json():
    out = CliRunner().invoke(app, [
        "design", "trade-off", "beef-us-opening", "--x-values", "0,15", "--y-values", "26,38.5",
        "--paths", "16", "--years", "2", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert [p["x"] for p in data["curve"]] == [0.0, 15.0]
    assert data["x"]["element"] == "trigger_growth" and data["hold"] == "protection"
