"""Issue #2 acceptance for duty determination on Japan's beef rules."""

from __future__ import annotations

import datetime as dt

import pytest

import tradeguard as tg
from tradeguard.errors import InputError, PeriodError, RuleNotFoundError, TradeguardError

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
    act = tg.official_activations()[1].model_copy(update={"announced_on": D(2021, 3, 17)})
    before = tg.duty("0202", "US", D(2021, 3, 20), activations=[act], as_of=D(2021, 3, 16))
    after = tg.duty("0202", "US", D(2021, 3, 20), activations=[act], as_of=D(2021, 3, 17))
    assert before.chosen.ad_valorem_percent == 25.8
    assert after.chosen.ad_valorem_percent == 38.5


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
