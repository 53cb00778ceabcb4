"""The rules quality report: statuses, missing years, expiring values, overlaps, problems."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
import yaml

from tradeguard.rules import schema as s
from tradeguard.rules.loader import LIBRARY, _walk, load_rules
from tradeguard.rules.quality import (
    ANY_OTHER,
    STATUSES,
    MissingYears,
    Period,
    fiscal_year,
    format_report,
    quality_report,
    report_for_path,
)

AS_OF = dt.date(2025, 6, 1)


@pytest.fixture()
def library(tmp_path: Path) -> Path:
    root = tmp_path / "library"
    shutil.copytree(LIBRARY, root)
    return root


def _edit(path: Path, change) -> None:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(raw)
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), encoding="utf-8")


def _write(path: Path, text: str) -> None:
    path.write_text(text.strip() + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- shipped library


@pytest.fixture(scope="module")
def shipped():
    # report_for_path, not load_rules: a malformed shipped file shows up as `problems`.
    return report_for_path(None, as_of=AS_OF, horizon_years=5)


def test_shipped_library_is_ok(shipped):
    assert shipped.problems == []
    assert shipped.overlaps == []
    assert shipped.ok is True
    assert shipped.as_dict()["ok"] is True


def test_status_counts_add_up_to_every_cited_value(shipped):
    rules = load_rules()
    expected = {st: 0 for st in STATUSES}
    for doc in rules.documents.values():
        for _, model in _walk(doc):
            if isinstance(model, s.Agreement) or "cite" not in type(model).model_fields:
                continue
            if getattr(model, "status", None) in STATUSES:
                expected[model.status] += 1
    counts = shipped.by_status
    assert counts.overall == expected
    assert counts.total == sum(expected.values()) > 0
    assert all(counts.overall[st] > 0 for st in STATUSES)
    for st in STATUSES:
        assert sum(per[st] for per in counts.by_rule.values()) == counts.overall[st]
    assert len(counts.unconfirmed) == counts.overall["unconfirmed"]
    # Agreements' in_force status is not a value status.
    assert not any(rid.endswith(".agreement") for rid in counts.by_rule)


def test_known_unconfirmed_value_is_listed(shipped):
    refs = {(r.rule_id, r.key): r for r in shipped.by_status.unconfirmed}
    trigger = refs[("cptpp.beef_safeguard", "conditions[0].trigger.volumes[10]")]
    assert trigger.valid_from == dt.date(2028, 4, 1)
    assert trigger.value == 703200
    assert trigger.cite == "unconfirmed"
    assert trigger.citation.startswith("tradeguard: Years 11-15 not found")
    rate = refs[("cptpp.beef_tariff", "schedules[0].rates[10]")]
    assert (rate.valid_from, rate.value) == (dt.date(2028, 4, 1), "18.1%")
    # Cited values without a date are counted too, e.g. the CPTPP start rule.
    start = refs[("cptpp.beef_safeguard", "start")]
    assert start.valid_from is None
    assert "working_days=5" in start.value


def test_shipped_missing_years(shipped):
    no_rate = [m for m in shipped.missing_years if m.kind == "no_rate"]
    assert MissingYears(
        kind="no_rate", rule_id="wto.beef_tariff", key="schedules[0].rates",
        fiscal_years=[1994, 1995, 1996, 1997, 1998, 1999],
        detail="wto is in force from 1995-01-01; lines 0201, 0202 have no rate in these "
               "fiscal years") in no_rate
    # The staged CPTPP safeguard duty (flat for years 4-10, then yearly) is not a gap.
    assert not [m for m in shipped.missing_years
                if m.rule_id.startswith(("cptpp.", "usjta."))]


def test_shipped_expiring(shipped):
    found = {(e.rule_id, e.key): e for e in shipped.expiring}
    adjustment = found[("usjta.beef_safeguard", "conditions[0].trigger.adjustments[0]")]
    assert (adjustment.kind, adjustment.date, adjustment.status) == (
        "valid_to", dt.date(2028, 3, 31), "confirmed")
    short = quality_report(load_rules(), as_of=AS_OF, horizon_years=2)
    assert not [e for e in short.expiring if e.rule_id == "usjta.beef_safeguard"]


def test_measures_ending_and_weak_last_values():
    rules = load_rules()
    early = quality_report(rules, as_of=dt.date(2019, 6, 1), horizon_years=1)
    measures = {(e.rule_id, e.date) for e in early.expiring if e.what == "measure"}
    assert measures == {("wto.beef_chilled_emergency", dt.date(2020, 3, 31)),
                        ("wto.beef_frozen_emergency", dt.date(2020, 3, 31)),
                        ("wto.pork_emergency", dt.date(2020, 3, 31))}
    late = quality_report(rules, as_of=dt.date(2030, 1, 1), horizon_years=5)
    weak = {(e.rule_id, e.key): e for e in late.expiring if e.kind == "weak_last_value"}
    duty = weak[("usjta.beef_safeguard", "safeguard_duty[4]")]
    assert (duty.date, duty.value, duty.status) == (dt.date(2033, 4, 1), "17%", "unconfirmed")
    # The confirmed 9% that ends the CPTPP tariff path is not weak.
    assert ("cptpp.beef_tariff", "schedules[0].rates[15]") not in weak


def test_shipped_report_is_json_and_text(shipped):
    data = json.loads(json.dumps(shipped.as_dict()))
    assert data["as_of"] == "2025-06-01"
    assert data["horizon_end"] == "2030-06-01"
    text = format_report(shipped)
    assert "Result: ok" in text
    assert "703,200" in text
    assert "Unresolved overlaps (0)" in text


def test_fiscal_year():
    assert fiscal_year(dt.date(2019, 3, 31)) == 2018
    assert fiscal_year(dt.date(2019, 4, 1)) == 2019
    assert fiscal_year(dt.date(2019, 1, 5), start_month=1) == 2019


# --------------------------------------------------------------------------- overlaps


def test_second_tariff_of_same_regime_is_an_unresolved_overlap(library: Path):
    _write(library / "cptpp" / "beef_tariff_chilled.yaml", """
kind: tariff
title: "A second CPTPP schedule for chilled carcasses"
regime: cptpp
agreement: cptpp
partners: [group:cptpp_parties]
sources:
  test: {title: "test source"}
schedules:
  - lines: ["0201.10"]
    rates:
      - {valid_from: 2025-04-01, duty: "20%", status: confirmed, cite: test}
""")
    report = report_for_path(library, as_of=AS_OF, horizon_years=5)
    assert report.problems == []
    assert report.ok is False
    assert len(report.overlaps) == 1
    overlap = report.overlaps[0]
    assert overlap.kind == "tariff"
    assert overlap.rule_ids == ("cptpp.beef_tariff", "cptpp.beef_tariff_chilled")
    assert overlap.regimes == ["cptpp"]
    assert overlap.lines == ["020110"]
    members = sorted({m.partner for m in load_rules(library).groups["cptpp_parties"]})
    assert overlap.partners == members
    assert {"AU", "CA", "GB"} <= set(overlap.partners)
    assert "US" not in overlap.partners
    assert overlap.periods == [Period(start=dt.date(2025, 4, 1), end=None)]
    text = format_report(report)
    assert "Result: FAILED" in text
    assert "cptpp.beef_tariff and cptpp.beef_tariff_chilled" in text
    assert report.as_dict()["ok"] is False


def test_mfn_for_everyone_overlaps_for_any_other_partner(library: Path):
    _write(library / "wto" / "beef_tariff_2.yaml", """
kind: tariff
title: "A duplicate MFN rate for frozen beef, 2021 only"
regime: mfn
agreement: wto
partners: {all_except: [US]}
sources:
  test: {title: "test source"}
schedules:
  - lines: ["0201", "0202"]
    rates:
      - {valid_from: 2021-04-01, duty: "40%", status: confirmed, cite: test}
      - {valid_from: 2022-04-01, duty: null, status: confirmed, cite: test}
""")
    report = report_for_path(library, as_of=AS_OF, horizon_years=5)
    [overlap] = report.overlaps
    assert overlap.rule_ids == ("wto.beef_tariff", "wto.beef_tariff_2")
    assert overlap.lines == ["0201", "0202"]
    assert "US" not in overlap.partners
    assert overlap.partners[-1] == ANY_OTHER
    assert overlap.periods == [Period(start=dt.date(2021, 4, 1), end=dt.date(2022, 3, 31))]


@pytest.mark.parametrize(("name", "partners", "rates", "reason"), [
    ("usjta", "[US]", [("2010-04-01", '"30%"'), ("2019-04-01", "null")], "periods disjoint"),
    ("jaepa", "[NZ]", [("2015-04-01", '"30%"')], "partners disjoint"),
    # GB joins cptpp_parties on 2024-12-15; this rate ended before.
    ("cptpp", "[GB]", [("2019-04-01", '"30%"'), ("2020-04-01", "null")],
     "partners covered at different times"),
])
def test_same_regime_pairs_that_cannot_meet_are_resolved(library: Path, name, partners,
                                                         rates, reason):
    rows = "\n".join(f"      - {{valid_from: {day}, duty: {duty}, status: confirmed, cite: test}}"
                     for day, duty in rates)
    _write(library / name / "beef_tariff_extra.yaml", f"""
kind: tariff
title: "An extra {name} tariff"
regime: {name}
agreement: {name}
partners: {partners}
sources:
  test: {{title: "test source"}}
schedules:
  - lines: ["0201"]
    rates:
{rows}
""")
    report = report_for_path(library, as_of=AS_OF, horizon_years=5)
    assert report.problems == []
    assert report.overlaps == []
    assert report.ok is True
    resolved = {r.rule_ids: r.reason for r in report.resolved}
    assert resolved[(f"{name}.beef_tariff", f"{name}.beef_tariff_extra")] == reason


def test_different_regimes_on_the_same_line_are_not_overlaps(library: Path):
    # jaepa and mfn both cover AU beef: they are options, not an overlap.
    report = report_for_path(library, as_of=AS_OF, horizon_years=5)
    pairs = {r.rule_ids for r in report.resolved} | {o.rule_ids for o in report.overlaps}
    assert ("jaepa.beef_tariff", "wto.beef_tariff") not in pairs
    assert report.ok is True


def test_second_volume_safeguard_on_same_regime_overlaps(library: Path):
    source = LIBRARY / "usjta" / "beef_safeguard.yaml"
    target = library / "usjta" / "beef_frozen_safeguard.yaml"
    shutil.copy(source, target)

    def frozen_from_2024(raw):
        raw["lines"] = ["0202.20"]
        raw["valid_from"] = dt.date(2024, 4, 1)
        raw["valid_to"] = dt.date(2026, 3, 31)
        raw["conditions"] = raw["conditions"][:1]

    _edit(target, frozen_from_2024)
    report = report_for_path(library, as_of=AS_OF, horizon_years=5)
    [overlap] = report.overlaps
    assert overlap.kind == "volume_safeguard"
    assert overlap.rule_ids == ("usjta.beef_frozen_safeguard", "usjta.beef_safeguard")
    assert overlap.regimes == ["usjta"]
    assert overlap.lines == ["020220"]
    assert overlap.partners == ["US"]
    assert overlap.periods == [Period(start=dt.date(2024, 4, 1), end=dt.date(2026, 3, 31))]
    # The measure's own valid_to falls within the horizon.
    assert any(e.rule_id == "usjta.beef_frozen_safeguard" and e.what == "measure"
               and e.date == dt.date(2026, 3, 31) for e in report.expiring)
    assert report.ok is False


QUOTA = """
kind: tariff_quota
title: "Test quota {n}"
order_id: "Q{n}"
agreement: cptpp
regime: cptpp_tq
lines: [{lines}]
partners: {partners}
valid_from: {start}
volumes:
  - {{valid_from: {start}, value: 1000, status: confirmed, cite: test}}
in_quota_duty:
  - {{valid_from: {start}, duty: "0%", status: confirmed, cite: test}}
allocation: first_come_first_served
sources:
  test: {{title: "test source"}}
"""


def test_two_tariff_quotas_of_same_regime_overlap(library: Path):
    _write(library / "cptpp" / "quota_a.yaml",
           QUOTA.format(n=1, lines='"0201"', partners="[AU, NZ]", start="2020-04-01"))
    _write(library / "cptpp" / "quota_b.yaml",
           QUOTA.format(n=2, lines='"020130"', partners="[NZ, CA]", start="2022-04-01"))
    _write(library / "cptpp" / "quota_c.yaml",
           QUOTA.format(n=3, lines='"0202"', partners="[NZ]", start="2022-04-01"))
    report = report_for_path(library, as_of=AS_OF, horizon_years=5)
    assert report.problems == []
    [overlap] = report.overlaps
    assert overlap.kind == "tariff_quota"
    assert overlap.rule_ids == ("cptpp.quota_a", "cptpp.quota_b")
    assert (overlap.lines, overlap.partners) == (["020130"], ["NZ"])
    assert overlap.periods == [Period(start=dt.date(2022, 4, 1), end=None)]
    resolved = {r.rule_ids: r.reason for r in report.resolved}
    assert resolved[("cptpp.quota_a", "cptpp.quota_c")] == "lines disjoint"
    assert resolved[("cptpp.quota_b", "cptpp.quota_c")] == "lines disjoint"


# --------------------------------------------------------------------------- missing years


def test_skipped_year_in_a_yearly_path_is_listed(library: Path):
    def drop_fy2030(raw):
        rates = raw["schedules"][0]["rates"]
        raw["schedules"][0]["rates"] = [r for r in rates
                                        if r["valid_from"] != dt.date(2030, 4, 1)]

    _edit(library / "cptpp" / "beef_tariff.yaml", drop_fy2030)
    report = report_for_path(library, as_of=AS_OF, horizon_years=5)
    skipped = [m for m in report.missing_years if m.kind == "skipped"]
    assert [(m.rule_id, m.key, m.fiscal_years) for m in skipped] == [
        ("cptpp.beef_tariff", "schedules[0].rates", [2030])]
    assert report.ok is True  # a missing year is reported, not fatal
    assert "cptpp.beef_tariff schedules[0].rates: FY2030" in format_report(report)


def test_two_skipped_years_and_a_dropped_last_value(library: Path):
    def drop(raw):
        volumes = raw["conditions"][0]["trigger"]["volumes"]
        gone = {dt.date(2020, 4, 1), dt.date(2024, 4, 1), dt.date(2025, 4, 1),
                dt.date(2033, 4, 1)}
        raw["conditions"][0]["trigger"]["volumes"] = [
            v for v in volumes if v["valid_from"] not in gone]

    _edit(library / "cptpp" / "beef_safeguard.yaml", drop)
    report = report_for_path(library, as_of=AS_OF, horizon_years=5)
    skipped = [(m.rule_id, m.key, m.fiscal_years) for m in report.missing_years
               if m.kind == "skipped"]
    # The path simply ends earlier without FY2033: that is not a gap inside it.
    assert skipped == [("cptpp.beef_safeguard", "conditions[0].trigger.volumes",
                        [2020, 2024, 2025])]


def test_tariff_with_no_rate_for_a_fiscal_year_in_force(library: Path):
    def pause(raw):
        rates = raw["schedules"][0]["rates"]
        fy22 = next(i for i, r in enumerate(rates) if r["valid_from"] == dt.date(2022, 4, 1))
        rates[fy22 - 1]["valid_to"] = dt.date(2022, 3, 31)
        rates[fy22] = {**rates[fy22], "valid_from": dt.date(2023, 3, 1)}

    _edit(library / "usjta" / "beef_tariff.yaml", pause)
    report = report_for_path(library, as_of=AS_OF, horizon_years=5)
    no_rate = [(m.rule_id, m.fiscal_years) for m in report.missing_years if m.kind == "no_rate"]
    assert ("usjta.beef_tariff", [2022]) not in no_rate  # FY2022 has a rate from 1 March 2023
    assert ("wto.beef_tariff", [1994, 1995, 1996, 1997, 1998, 1999]) in no_rate

    def drop_fy2022(raw):
        raw["schedules"][0]["rates"] = [
            r for r in raw["schedules"][0]["rates"] if r["valid_from"] != dt.date(2023, 3, 1)]

    _edit(library / "usjta" / "beef_tariff.yaml", drop_fy2022)
    report = report_for_path(library, as_of=AS_OF, horizon_years=5)
    no_rate = [(m.rule_id, m.fiscal_years) for m in report.missing_years if m.kind == "no_rate"]
    assert ("usjta.beef_tariff", [2022]) in no_rate


# --------------------------------------------------------------------------- expiring


def test_value_with_valid_to_inside_the_horizon_is_expiring(library: Path):
    def end_fy2026(raw):
        for rate in raw["schedules"][0]["rates"]:
            if rate["valid_from"] == dt.date(2026, 4, 1):
                rate["valid_to"] = dt.date(2027, 3, 31)

    _edit(library / "cptpp" / "beef_tariff.yaml", end_fy2026)
    report = report_for_path(library, as_of=AS_OF, horizon_years=5)
    found = {(e.rule_id, e.key): e for e in report.expiring}
    rate = found[("cptpp.beef_tariff", "schedules[0].rates[8]")]
    assert (rate.kind, rate.what, rate.date, rate.value, rate.status) == (
        "valid_to", "value", dt.date(2027, 3, 31), "20.8%", "derived")
    # Outside a one-year horizon it is not listed.
    short = report_for_path(library, as_of=AS_OF, horizon_years=1)
    assert ("cptpp.beef_tariff", "schedules[0].rates[8]") not in {
        (e.rule_id, e.key) for e in short.expiring}


def test_value_ended_by_a_null_inside_the_horizon_is_expiring(library: Path):
    def end_mfn(raw):
        raw["schedules"][0]["rates"].append(
            {"valid_from": dt.date(2029, 4, 1), "duty": None, "status": "unconfirmed",
             "cite": "jc-2025"})

    _edit(library / "wto" / "beef_tariff.yaml", end_mfn)
    report = report_for_path(library, as_of=AS_OF, horizon_years=5)
    [ended] = [e for e in report.expiring if e.kind == "ended_by_null"]
    assert (ended.rule_id, ended.key, ended.date, ended.value, ended.status) == (
        "wto.beef_tariff", "schedules[0].rates[0]", dt.date(2029, 3, 31), "38.5%", "confirmed")


# --------------------------------------------------------------------------- problems


def test_malformed_rule_file_gives_problems_not_an_exception(library: Path):
    _write(library / "cptpp" / "broken.yaml", """
kind: tariff
title: "No regime, and a typo"
agreement: cptpp
partners: [group:cptpp_parties]
sources: {}
schedule:
  - lines: ["0201"]
""")
    report = report_for_path(library, as_of=AS_OF, horizon_years=5)
    assert report.ok is False
    assert report.problems
    assert any("broken.yaml" in p and "regime" in p for p in report.problems)
    assert any("schedule" in p for p in report.problems)
    assert report.by_status.total == 0
    assert report.overlaps == []
    text = format_report(report)
    assert "Result: FAILED" in text and "the rules do not load" in text
    assert json.loads(json.dumps(report.as_dict()))["ok"] is False


def test_missing_folder_gives_a_problem(tmp_path: Path):
    report = report_for_path(tmp_path / "nowhere", as_of=AS_OF, horizon_years=5)
    assert report.ok is False
    assert report.problems and "does not exist" in report.problems[0]
