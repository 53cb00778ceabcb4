"""Design files: grammar, validation all-or-nothing, baseline and the same formula."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tradeguard.design.spec import baseline, example_paths, load_design, load_designs, parse
from tradeguard.errors import RuleValidationError
from tradeguard.rules.loader import shipped_rules

HERE = Path(__file__).parent
EXAMPLES = example_paths()[0].parent  # shipped in the package
D = dt.date


def test_bad_design_lists_every_problem_and_nothing_runs(monkeypatch):
    import tradeguard.monitor.report as report

    def boom(*a, **k):
        raise AssertionError("nothing may run for a bad design")

    monkeypatch.setattr(report, "monitor", boom)
    with pytest.raises(RuleValidationError) as err:
        load_designs([HERE / "fixtures" / "bad-design.yaml"])
    text = "\n".join(err.value.problems)
    assert len(err.value.problems) == 4, text
    assert "unknown element `trigger_colour`" in text
    assert "overlap" in text and "tariff" in text
    assert "snap-back rate 50% " in text and "MFN rate of 38.5%" in text
    assert "negative trigger volume -5000" in text


def test_unknown_top_level_key_and_bad_key_grammar_are_listed():
    with pytest.raises(RuleValidationError) as err:
        parse({"id": "x", "title": "x", "base": "jaepa.beef_frozen_safeguard",
               "colour": "red", "overrides": {}})
    assert "unknown element" in err.value.problems[0]
    with pytest.raises(RuleValidationError) as err:
        parse({"id": "x", "title": "x", "base": "jaepa.beef_frozen_safeguard",
               "overrides": {"safeguard_duty@2021-13-01": "30%", "period@2021-04-01": "x",
                             "conditions.nobody.trigger": {"percent": 100}}})
    text = "\n".join(err.value.problems)
    assert "bad date" in text and "not a dated element" in text
    assert "unknown condition `nobody`" in text


def test_a_design_with_no_overrides_equals_the_encoded_measure():
    rules = shipped_rules()
    for mid in ("jaepa.beef_frozen_safeguard", "usjta.beef_safeguard", "cptpp.beef_safeguard"):
        design = baseline(mid)
        encoded = rules.safeguards[mid].model_dump()
        built = design.measure.model_dump()
        built["sources"].pop("design")
        assert built == encoded


def test_dated_overrides_splice_the_path():
    d = parse({"id": "x", "title": "x", "base": "cptpp.beef_safeguard", "overrides": {
        "safeguard_duty@2021-04-01..2022-03-31": "35%", "safeguard_duty@2030-04-01": "15%"}})
    path = [(e.valid_from, e.duty.text if hasattr(e.duty, "text") else str(e.duty))
            for e in d.measure.safeguard_duty]
    days = [p[0] for p in path]
    assert D(2021, 4, 1) in days and D(2022, 4, 1) in days and D(2030, 4, 1) in days
    # After the range the base value (30% from FY2021) resumes; after 2030 only 15% holds.
    assert days == sorted(days) and max(days) == D(2030, 4, 1)
    from tradeguard.design.spec import percent_of

    rates = {e.valid_from: percent_of(e.duty) for e in d.measure.safeguard_duty}
    assert rates[D(2021, 4, 1)] == 35 and rates[D(2022, 4, 1)] == 30
    assert rates[D(2028, 4, 1)] == 20 and rates[D(2030, 4, 1)] == 15


def test_convenience_overrides():
    d = load_design(EXAMPLES / "jaepa-frozen-quarterly-100.yaml")
    assert d.period_mode == "quarterly"
    trig = d.measure.conditions[0].trigger
    assert trig.basis == "percent_of_prior_period" and trig.percent[0].value == 100
    us = load_design(EXAMPLES / "beef-us-opening.yaml")
    base = shipped_rules().safeguards["usjta.beef_safeguard"]
    assert us.measure.conditions[0].trigger.volumes[1].value == pytest.approx(
        base.conditions[0].trigger.volumes[1].value * 1.15)
    assert {lc.month: lc.days for lc in us.measure.duration.late_crossing} == {2: 30, 3: 15}


def test_the_cptpp_formula_for_the_us_alone_reproduces_the_usjta_trigger_path():
    rules = shipped_rules()
    design = load_design(EXAMPLES / "usjta-same-formula.yaml")
    got = [(v.valid_from, v.value) for v in design.measure.conditions[0].trigger.volumes]
    want = [(v.valid_from, v.value)
            for v in rules.safeguards["usjta.beef_safeguard"].conditions[0].trigger.volumes]
    assert got == want
    assert design.measure.hits.include == ["US"] and design.measure.hits_regimes == ["usjta"]


def test_a_shipped_example_loads_by_name_as_by_path():
    by_name = load_design("beef-us-opening")
    by_path = load_design(EXAMPLES / "beef-us-opening.yaml")
    assert by_name.measure == by_path.measure and by_name.id == "beef-us-opening"
    assert load_design("beef-us-opening.yaml").id == "beef-us-opening"


def test_an_unknown_design_name_lists_the_examples():
    from tradeguard.errors import InputError

    with pytest.raises(InputError) as err:
        load_design("no-such-design")
    assert "no such design file" in str(err.value) and "beef-japan-opening" in str(err.value)


def test_the_examples_ship_inside_the_package():
    from tradeguard.design.spec import example_names

    assert {"beef-japan-opening", "beef-us-opening", "sweep-usjta"} <= set(example_names())
    assert all("tradeguard/design/examples" in p.as_posix() for p in example_paths())


def test_mistakes_that_used_to_crash_or_pass_silently_are_listed():
    with pytest.raises(RuleValidationError) as err:
        parse({"id": "x", "title": "x", "base": "usjta.beef_safeguard", "overrides": {
            "tariff": "banana", "conditions.us_volume.tariff@2021-04-01": "20%",
            "conditions.us_volume": {"id": "other"}}})
    text = "\n".join(err.value.problems)
    assert len(err.value.problems) == 3, text
    assert "bad tariff rate" in text and "banana" in text
    assert "`conditions.us_volume.tariff` is not a dated element" in text
    assert "`conditions.us_volume` is a whole condition" in text


@pytest.mark.parametrize(("key", "path", "start", "end"), [
    ("trigger_scale", "trigger_scale", None, None),
    ("safeguard_duty@2021-04-01", "safeguard_duty", D(2021, 4, 1), None),
    ("conditions.a.trigger.volumes@2021-04-01..2022-03-31", "conditions.a.trigger.volumes",
     D(2021, 4, 1), D(2022, 3, 31)),
])
def test_override_keys_parse_into_path_and_dates(key, path, start, end):
    from tradeguard.design.overrides import parse_key

    parsed = parse_key(key, "here")
    assert (parsed.path, parsed.start, parsed.end) == (path, start, end)


@pytest.mark.parametrize(("key", "message"), [
    ("bad key!", "the key is not"), ("tariff@2021-02-30", "bad date"),
    ("tariff@2022-01-01..2021-01-01", "ends (2021-01-01) before it starts"),
    ("period@2021-04-01", "is not a dated element"),
])
def test_bad_override_keys_say_what_is_wrong(key, message):
    from tradeguard.design.overrides import BadKey, parse_key

    with pytest.raises(BadKey) as err:
        parse_key(key, "here")
    assert message in err.value.args[0] and "here" in err.value.args[0]
