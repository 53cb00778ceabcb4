"""Issue #2 acceptance for duty determination on Japan's beef rules."""

from __future__ import annotations

import datetime as dt

import pytest

import tradeguard as tg
from tradeguard.errors import InputError, PeriodError, RuleNotFoundError, TradeguardError
from tradeguard.rules.loader import shipped_rules

AS_OF = dt.date(2026, 11, 27)
D = dt.date


@pytest.mark.parametrize(("day", "percent", "regime", "safeguard"), [
    (D(2021, 3, 17), 25.8, "usjta", False),
    (D(2021, 3, 20), 38.5, "usjta", True),   # USJTA safeguard, 18 Mar - 16 Apr 2021
    (D(2021, 4, 10), 38.5, "usjta", True),   # still the safeguard, into FY2021
    (D(2021, 4, 17), 25.0, "usjta", False),  # FY2021 rate after the deferred cut
    (D(2017, 9, 1), 50.0, "mfn", True),      # WTO-era frozen beef emergency tariff
    (D(2018, 4, 1), 38.5, "mfn", False),
])
def test_frozen_us_beef(day, percent, regime, safeguard):
    result = tg.duty("0202", "US", day, as_of=AS_OF)
    assert result.chosen.ad_valorem_percent == percent
    assert result.chosen.regime == regime
    assert result.chosen.safeguard is safeguard


def test_frozen_australian_beef_2017_keeps_the_epa_rate():
    result = tg.duty("0202", "AU", D(2017, 9, 1), as_of=AS_OF)
    assert (result.chosen.regime, result.chosen.ad_valorem_percent) == ("jaepa", 27.2)
    mfn = next(o for o in result.options if o.regime == "mfn")
    assert mfn.ad_valorem_percent == 38.5 and not mfn.safeguard  # exempt, never 50%


def test_canadian_beef_2019_pays_cptpp():
    result = tg.duty("0201", "CA", D(2019, 6, 1), as_of=AS_OF)
    assert (result.chosen.regime, result.chosen.ad_valorem_percent) == ("cptpp", 26.6)


def test_duty_amount_and_options_with_value_and_quantity():
    result = tg.duty("0202.30", "US", D(2021, 3, 17), customs_value=2_000_000.0,
                     quantity=1_000.0, as_of=AS_OF)
    amounts = {o.regime: o.duty_amount for o in result.options}
    assert amounts == {"usjta": pytest.approx(516_000.0), "mfn": pytest.approx(770_000.0)}
    assert result.reason == "lowest duty amount"


def test_every_trace_value_carries_its_citation():
    for line, origin, day in [("0202", "US", D(2021, 3, 20)), ("0202", "AU", D(2017, 9, 1)),
                              ("0201", "CA", D(2019, 6, 1)), ("0202", "US", D(2017, 9, 1))]:
        result = tg.duty(line, origin, day, as_of=AS_OF)
        entries = [e for o in result.options for e in o.trace]
        assert entries
        for entry in entries:
            assert entry.citation.strip() and entry.rule_id and entry.valid_from
            assert entry.status in {"confirmed", "secondary", "derived", "unconfirmed"}


def test_as_of_hides_activations_announced_later():
    usjta = next(a for a in tg.official_activations() if a.measure_id == "usjta.beef_safeguard")
    act = usjta.model_copy(update={"announced_on": D(2021, 3, 17)})
    before = tg.duty("0202", "US", D(2021, 3, 20), activations=[act], as_of=D(2021, 3, 16))
    after = tg.duty("0202", "US", D(2021, 3, 20), activations=[act], as_of=D(2021, 3, 17))
    assert before.chosen.ad_valorem_percent == 25.8
    assert after.chosen.ad_valorem_percent == 38.5


@pytest.mark.parametrize(("as_of", "percent", "safeguard", "codes"), [
    (D(2021, 3, 1), 25.8, False, ["safeguard_announced_after_as_of"]),
    (D(2021, 3, 16), 25.8, False, ["safeguard_announced_after_as_of"]),
    (D(2021, 3, 17), 38.5, True, []),
])
def test_the_official_2021_safeguard_is_known_from_its_announcement(as_of, percent, safeguard,
                                                                     codes):
    result = tg.duty("0202.30", "US", D(2021, 3, 18), as_of=as_of)
    assert (result.chosen.ad_valorem_percent, result.chosen.safeguard) == (percent, safeguard)
    assert [w.code for w in result.warnings] == codes


def test_the_2017_emergency_tariff_is_hidden_before_aso_announced_it():
    before = tg.duty("0202", "US", D(2017, 9, 1), as_of=D(2017, 7, 1))
    assert (before.chosen.regime, before.chosen.ad_valorem_percent) == ("mfn", 38.5)
    assert before.warnings[0].message == (
        "safeguard wto.beef_frozen_emergency 2017-08-01–2018-03-31 (50% on mfn) announced on "
        "2017-07-28, after as_of 2017-07-01: not applied")
    after = tg.duty("0202", "US", D(2017, 9, 1), as_of=D(2017, 7, 28))
    assert after.chosen.ad_valorem_percent == 50 and after.warnings == []


def test_the_activation_trace_names_its_announcement():
    result = tg.duty("0202", "US", D(2021, 3, 20), as_of=AS_OF)
    entry = result.chosen.trace[-1]
    assert entry.rule_id == "usjta.beef_safeguard"
    assert "announced on 2021-03-17 [confirmed]: MAFF press release 17 Mar 2021" in entry.note


def test_a_schedule_is_unknown_before_its_agreement_was_signed():
    # The USJTA was signed on 7 Oct 2019: a day earlier its schedule was not known.
    before = tg.duty("0202", "US", D(2021, 3, 17), as_of=D(2019, 10, 6))
    assert [o.regime for o in before.options] == ["mfn"]
    assert [w.code for w in before.warnings] == ["value_published_after_as_of"]
    assert "published on 2019-10-07, after as_of 2019-10-06" in before.warnings[0].message
    signed = tg.duty("0202", "US", D(2021, 3, 17), as_of=D(2019, 10, 7))
    assert signed.chosen.regime == "usjta" and signed.warnings == []


def test_a_value_published_after_as_of_gives_way_to_the_one_known_before():
    import dataclasses

    rules = shipped_rules()
    tariff = rules.tariffs["usjta.beef_tariff"]
    rates = list(tariff.schedules[0].rates)
    rates[2] = rates[2].model_copy(update={"published_on": D(2021, 4, 10)})  # 25.0% from FY2021
    schedule = tariff.schedules[0].model_copy(update={"rates": rates})
    changed = dataclasses.replace(
        rules, tariffs={**rules.tariffs, "usjta.beef_tariff": tariff.model_copy(
            update={"schedules": [schedule]})}, _by_line={})
    early = tg.duty("0202", "US", D(2021, 4, 20), as_of=D(2021, 4, 9), rules=changed)
    assert early.chosen.ad_valorem_percent == 25.8
    assert early.warnings[0].code == "value_published_after_as_of"
    assert "the value from 2021-04-01 was published on 2021-04-10" in early.warnings[0].message
    known = tg.duty("0202", "US", D(2021, 4, 20), as_of=D(2021, 4, 10), rules=changed)
    assert known.chosen.ad_valorem_percent == 25.0 and known.warnings == []


@pytest.mark.parametrize(("line", "origin", "day", "expected"), [
    ("1108.13", "FR", D(2025, 6, 1), ["Japan-EU EPA"]),
    ("1108.13", "BR", D(2025, 6, 1), []),
    ("1108.13", "US", D(2025, 6, 1), ["USJTA"]),
    ("0203.22", "AU", D(2025, 6, 1), ["Japan-Australia EPA"]),
    ("1108.13", "GB", D(2025, 6, 1), ["CPTPP", "Japan-UK CEPA"]),
    ("1108.13", "TH", D(2025, 6, 1), ["Japan-Thailand EPA", "AJCEP", "RCEP"]),
    ("0202", "FR", D(2021, 3, 20), []),   # the Japan-EU EPA's beef schedule is encoded
    ("0202", "GB", D(2020, 6, 1), []),    # the UK under the Japan-EU EPA in the transition
    ("0202", "TH", D(2023, 6, 1), []),    # excluded under all three: a note, not a warning
])
def test_an_agreement_whose_schedule_is_not_encoded_is_named(line, origin, day, expected):
    result = tg.duty(line, origin, day, as_of=day)
    named = [w.message.split(" (")[0].removeprefix("the ") for w in result.warnings
             if w.code == "agreement_not_encoded"]
    assert sorted(named) == sorted(expected)


def test_the_coverage_warning_says_what_is_shown():
    result = tg.duty("1108.13", "FR", D(2025, 6, 1), as_of=D(2025, 6, 1))
    assert result.warnings[0].message == (
        "the Japan-EU EPA (Agreement between the European Union and Japan for an Economic "
        "Partnership) applies to FR from 2019-02-01; its schedule for line 110813 is not "
        "encoded; MFN shown")
    australia = tg.duty("0203.22", "AU", D(2025, 6, 1), as_of=D(2025, 6, 1))
    assert australia.warnings[0].message.endswith("options shown: cptpp, mfn")


def test_an_exclusion_is_a_note_that_mfn_applies_not_a_warning():
    result = tg.duty("1006", "TH", D(2023, 6, 1), as_of=D(2023, 6, 1))
    assert result.warnings == []
    assert [n.split(":")[0] for n in result.notes] == [
        "rice is excluded under the AJCEP", "rice is excluded under the RCEP",
        "rice is excluded under the Japan-Thailand EPA"]
    assert "line 1006, MFN applies [confirmed: MAFF Minister Nogami" in result.notes[1]
    assert result.notes[2].startswith(
        "rice is excluded under the Japan-Thailand EPA: line 1006, MFN applies [derived: ")


def test_lines_an_agreement_leaves_out_of_its_quota_say_no_preference():
    chilled = tg.duty("0201", "CL", D(2017, 6, 1), as_of=D(2017, 6, 1))
    assert (chilled.chosen.regime, chilled.warnings) == ("mfn", [])
    assert chilled.notes[0].startswith(
        "the Japan-Chile EPA gives this beef line no preference: line 0201, MFN applies")


def test_the_official_ledger_must_carry_announcement_dates(tmp_path):
    import shutil

    from tradeguard.errors import RuleValidationError
    from tradeguard.rules.loader import LIBRARY, load_rules

    root = tmp_path / "library"
    shutil.copytree(LIBRARY, root)
    ledger = root / "activations.yaml"
    ledger.write_text(ledger.read_text(encoding="utf-8").replace(
        "    announced_on: 2021-03-17\n", ""), encoding="utf-8")
    with pytest.raises(RuleValidationError, match=r"need `announced_on`.*usjta\.beef_safeguard"):
        load_rules(root)


def test_an_empty_ledger_removes_the_safeguards():
    result = tg.duty("0202", "US", D(2021, 3, 20), activations=[], as_of=AS_OF)
    assert result.chosen.ad_valorem_percent == 25.8 and not result.chosen.safeguard


@pytest.mark.parametrize(("kwargs", "error", "words"), [
    (dict(tariff_line="9999", origin="US", date=D(2021, 3, 20)), RuleNotFoundError,
     "no rule covers tariff line 9999"),
    (dict(tariff_line="02x2", origin="US", date=D(2021, 3, 20)), InputError,
     "is not a tariff line"),
    (dict(tariff_line="0202", origin="ZZ", date=D(2021, 3, 20)), RuleNotFoundError,
     "unknown partner `ZZ`"),
    (dict(tariff_line="0202", origin="US", date=D(1990, 1, 1)), PeriodError,
     "no MFN rate for line 0202 on 1990-01-01"),
    (dict(tariff_line="0202", origin="US", date=D(2021, 3, 20), customs_value=-5.0),
     InputError, "`customs_value` is -5.0"),
    (dict(tariff_line="0202", origin="US", date="2021-03-20"), InputError,
     "is not a calendar date"),
])
def test_bad_input_gives_a_clear_tradeguard_error(kwargs, error, words):
    with pytest.raises(error) as info:
        tg.duty(**kwargs, as_of=AS_OF)
    assert isinstance(info.value, TradeguardError)
    assert words in str(info.value)
    assert "Fix:" in str(info.value)


def test_a_tie_is_named_with_the_rule_that_broke_it():
    # US frozen beef on 20 March 2021: USJTA's safeguard rate equals MFN's 38.5%.
    result = tg.duty("0202.30", "US", D(2021, 3, 20), as_of=D(2026, 11, 27))
    assert result.chosen.regime == "usjta"
    assert result.reason == ("lowest ad valorem rate, tied with mfn; a preference is chosen "
                             "over MFN on a tie, under ADR 0002")


def test_the_only_option_is_chosen_even_without_amounts():
    # Potato starch from France: only MFN's specific rate applies (the EU schedule is not encoded).
    result = tg.duty("1108.13", "FR", D(2025, 6, 1), as_of=D(2026, 11, 27))
    assert (result.chosen.regime, result.reason) == ("mfn", "the only option")
    assert result.payable is None or result.payable.total is None
