"""The same formula across partners: USJTA beef is the CPTPP formula with the US share."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest
from typer.testing import CliRunner

from tests.monitor.constructed import daily, spread
from tradeguard.cli import app
from tradeguard.engine.expressions import format_duty
from tradeguard.monitor.report import monitor
from tradeguard.rules.loader import shipped_rules
from tradeguard.rules.lookup import value_on
from tradeguard.rules.templates import instantiate

US_SHARE = 242 / 590     # the US trigger 242,000 t against the CPTPP Year-1 base 590,000 t
US_OFFSET = 23_600       # two years of CPTPP growth before the US path starts
USJTA_START = dt.date(2020, 1, 1)


def us_instance(share=US_SHARE):
    return instantiate(shipped_rules(), "cptpp.beef_formula", partners=["US"], agreement="usjta",
                       regime="usjta", valid_from=USJTA_START, share=share, offset_t=US_OFFSET)


def test_the_us_instance_reproduces_every_encoded_usjta_trigger_and_rate():
    encoded = shipped_rules().safeguards["usjta.beef_safeguard"]
    instance = us_instance()
    enc_volumes = encoded.conditions[0].trigger.volumes
    inst_volumes = instance.conditions[0].trigger.volumes
    assert len(enc_volumes) == 15
    for value in enc_volumes:
        found = value_on(inst_volumes, value.valid_from, value.valid_from)
        assert found is not None and found[1].value == value.value, value.valid_from
    for rate in encoded.safeguard_duty:
        found = value_on(instance.safeguard_duty, rate.valid_from, rate.valid_from)
        assert format_duty(found[1].duty) == format_duty(rate.duty), rate.valid_from
    assert instance.hits.include == ["US"] and instance.hits_regimes == ["usjta"]


def test_changing_the_us_share_moves_every_trigger_consistently():
    base = {v.valid_from: v.value for v in us_instance().conditions[0].trigger.volumes}
    moved = {v.valid_from: v.value for v in us_instance(0.5).conditions[0].trigger.volumes}
    assert moved.keys() == base.keys()
    for day, value in base.items():
        assert moved[day] == pytest.approx(value * 0.5 / US_SHARE, abs=1.0), day
    assert moved[dt.date(2020, 4, 1)] == 295_000   # 0.5 × (613,600 - 23,600)


def test_a_bad_override_is_refused():
    from tradeguard.errors import RuleValidationError

    with pytest.raises(RuleValidationError, match="element `reporting`"):
        instantiate(shipped_rules(), "cptpp.beef_formula", partners=["US"], agreement="usjta",
                    regime="usjta", valid_from=USJTA_START, overrides={"reporting": "weekly"})


def test_the_instance_runs_in_the_monitor_like_the_encoded_rule():
    rules = shipped_rules()
    # USJTA counts in 10-day periods (MAFF, 17 Mar 2021); the CPTPP rule's data are monthly.
    instance = instantiate(rules, "cptpp.beef_formula", partners=["US"], agreement="usjta",
                           regime="usjta", valid_from=USJTA_START, share=US_SHARE,
                           offset_t=US_OFFSET, overrides={"reporting": "ten_day"})
    with_instance = dataclasses.replace(
        rules, safeguards={**rules.safeguards, "usjta.beef_formula_us": instance})
    rows = daily(spread(dt.date(2020, 4, 1), 344, 242_229, "020230090", "US", "usjta"))
    as_of = dt.date(2021, 4, 30)
    ids = ["usjta.beef_safeguard", "usjta.beef_formula_us"]
    report = monitor(rows, as_of=as_of, rules=with_instance, measures=ids)
    encoded, formula = (report.period(m, 2020) for m in ids)
    assert formula.crossing_date == encoded.crossing_date == dt.date(2021, 3, 10)
    assert (formula.activation.start, formula.activation.end) == (
        encoded.activation.start, encoded.activation.end)


def test_formula_compare_cli():
    result = CliRunner().invoke(app, ["formula", "compare", "cptpp.beef_formula",
                                      "--partners", "US,AU", "--shares", "US=242/590,AU=0.5",
                                      "--offset", "23600", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    first = data["years"][0]
    assert first == {"from": "2020-04-01", "safeguard_duty": "38.5%", "US": 242_000,
                     "AU": 295_000}
    assert {row["from"] for row in data["years"]} >= {"2033-04-01"}
    missing = CliRunner().invoke(app, ["formula", "compare", "cptpp.beef_formula",
                                       "--partners", "US"])
    assert missing.exit_code == 1 and "no share for US" in missing.stderr
