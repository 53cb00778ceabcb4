"""Issue #4 acceptance on the TPP farm basket: rice, pork, dairy, the Art. 5 price trigger."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

import tradeguard as tg
from tradeguard.monitor.quotas import QuotaEvent, QuotaLedger, quota_volume
from tradeguard.rules.loader import LIBRARY, load_rules, shipped_rules

D = dt.date
AS_OF = D(2026, 11, 27)


def agreement_year_start(agreement_id: str, year: int) -> dt.date:
    agreement = shipped_rules().agreements[agreement_id]
    first = agreement.in_force_from(include_signed=True)
    return first if year == 1 else D(first.year + (year - 1) - (first.month < 4), 4, 1)


# --- rice --------------------------------------------------------------------------------

def test_tpp_as_signed_us_rice_beyond_its_quota_pays_the_over_quota_duty():
    rules = shipped_rules()
    day = D(2019, 2, 1)
    ledger = QuotaLedger(rules).record(
        [QuotaEvent("tpp-csq-rice-us", D(2019, 1, 10), "allocation", 50_000)], as_of=day)
    args = dict(customs_value=150_000.0, quantity=1_000.0, as_of=day, include_signed=True,
                quota_claims=["tpp-csq-rice-us"])
    beyond = tg.duty("1006.30-090", "US", day, quotas=ledger, **args)
    assert (beyond.chosen.regime, beyond.chosen.duty_amount) == ("mfn", 341_000)
    assert beyond.in_quota is False
    assert any("tpp-csq-rice-us is exhausted" in n for n in beyond.notes)
    inside = tg.duty("1006.30-090", "US", day, quotas=QuotaLedger(rules), **args)
    assert (inside.chosen.regime, inside.chosen.duty_amount, inside.in_quota) == (
        "tpp_rice_us", 0, True)
    assert inside.chosen.quota["balance_t"] == 50_000


def test_tpp_rice_quotas_in_year_13():
    rules = shipped_rules()
    year13 = agreement_year_start("tpp", 13)
    assert year13 == D(2030, 4, 1)
    us = rules.quotas["tpp.rice_us_quota"]
    au = rules.quotas["tpp.rice_au_quota"]
    assert quota_volume(us, year13, AS_OF) == (70_000, "confirmed")
    assert quota_volume(au, year13, AS_OF) == (8_400, "confirmed")
    assert quota_volume(us, agreement_year_start("tpp", 3), AS_OF)[0] == 50_000


def test_cptpp_australian_rice_quota_as_it_operates():
    quota = shipped_rules().quotas["cptpp.rice_au_quota"]
    assert quota_volume(quota, D(2019, 1, 15), AS_OF) == (2_000, "secondary")   # Year 1
    assert quota_volume(quota, D(2019, 6, 1), AS_OF) == (6_000, "secondary")
    assert quota_volume(quota, D(2025, 6, 1), AS_OF) == (6_960, "secondary")    # reported
    assert quota_volume(quota, D(2027, 6, 1), AS_OF)[1] == "unconfirmed"
    # Not open to US rice: the CPTPP quota is Australia's.
    us = tg.duty("1006.30-010", "US", D(2025, 6, 1), 100_000.0, 1_000.0, as_of=AS_OF,
                 quota_claims=["cptpp-csq-jp2-rice-au"])
    assert "cptpp_rice_au" not in {o.regime for o in us.options}


# --- pork --------------------------------------------------------------------------------

@pytest.mark.parametrize(("origin", "day", "value_per_kg", "expected_per_kg"), [
    # Before 2019 (MFN gate price): 4.3% above 524 yen; 546.53 - value; 482 yen flat.
    ("US", D(2018, 6, 1), 600.0, 600 * 0.043),          # 25.8
    ("US", D(2018, 6, 1), 400.0, 546.53 - 400),         # 146.53
    ("US", D(2018, 6, 1), 50.0, 482.0),
    # CPTPP Year 1 (FY2018): 2.2% above 524; min(524 × 1.022 - value, 125).
    ("CA", D(2019, 2, 1), 600.0, 600 * 0.022),          # 13.2
    ("CA", D(2019, 2, 1), 500.0, 524 * 1.022 - 500),    # 35.528
    ("CA", D(2019, 2, 1), 300.0, 125.0),
    # CPTPP FY2025 (Year 8): 0.4% above 524; min(524 × 1.004 - value, 58).
    ("CA", D(2025, 6, 1), 600.0, 600 * 0.004),          # 2.4
    ("CA", D(2025, 6, 1), 500.0, 524 * 1.004 - 500),    # 26.096
    ("CA", D(2025, 6, 1), 400.0, 58.0),
])
def test_pork_gate_price_by_hand(origin, day, value_per_kg, expected_per_kg):
    result = tg.duty("0203.19", origin, day, value_per_kg * 1_000, 1_000.0, as_of=AS_OF)
    # duty_amount is a decimal to 1/10,000 yen; the hand formulas are floats.
    assert float(result.chosen.duty_amount) == pytest.approx(expected_per_kg * 1_000, abs=1e-4)


# --- dairy -------------------------------------------------------------------------------

@pytest.mark.parametrize(("line", "day", "in_quota", "out_of_quota"), [
    # SMP FY2025: in quota 25% + 39 yen/kg; out: min(26% + 130, 21.3% + 396) yen/kg.
    ("040210229", D(2025, 6, 1), 0.25 * 300_000 + 39_000, 0.26 * 300_000 + 130_000),
    # Butter FY2022 (Year 5): in quota 35% + (290 - 4 × 29) yen/kg; out: 36% + 290 yen/kg.
    ("040510129", D(2022, 6, 1), 0.35 * 300_000 + 174_000, 0.36 * 300_000 + 290_000),
])
def test_smp_and_butter_in_and_out_of_quota(line, day, in_quota, out_of_quota):
    order = "cptpp-tpp-smp" if line.startswith("0402") else "cptpp-tpp-butter"
    inside = tg.duty(line, "NZ", day, 300_000.0, 1_000.0, as_of=AS_OF, quota_claims=[order])
    assert inside.in_quota and inside.chosen.duty_amount == pytest.approx(in_quota)
    rules = shipped_rules()
    rid = next(r for r, q in rules.quotas.items() if q.order_id == order)
    full = QuotaLedger(rules).record(
        [QuotaEvent(order, day, "allocation", rules.quotas[rid].volumes[-1].value)], as_of=day)
    outside = tg.duty(line, "NZ", day, 300_000.0, 1_000.0, as_of=AS_OF, quota_claims=[order],
                      quotas=full)
    assert outside.in_quota is False
    assert outside.chosen.regime == "mfn"
    assert outside.chosen.duty_amount == pytest.approx(out_of_quota)


# --- WTO AoA Article 5 price trigger -------------------------------------------------------

@pytest.fixture(scope="module")
def rules_with_trigger_price(tmp_path_factory) -> Path:
    """The shipped library with a constructed trigger price of 500 yen/kg for SMP (Japan's
    real trigger prices were not found; this value is made up for the test)."""
    root = tmp_path_factory.mktemp("rules") / "library"
    shutil.copytree(LIBRARY, root)
    path = root / "wto" / "price_ssg.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["trigger_prices"][0]["prices"] = [{
        "valid_from": D(1995, 4, 1), "value": 500.0, "status": "unconfirmed",
        "cite": "not-found", "note": "constructed for a test"}]
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return root


def test_price_trigger_below_the_trigger_price_and_not_in_quota(rules_with_trigger_price):
    rules = load_rules(rules_with_trigger_price)
    day = D(2025, 6, 1)
    # 300 yen/kg against 500: shortfall 40% → 30% × (200 - 50) = 45 yen/kg.
    result = tg.duty("040210229", "NZ", day, 300_000.0, 1_000.0, as_of=AS_OF, rules=rules,
                     quota_claims=["cptpp-tpp-smp"])
    options = {o.regime: o for o in result.options}
    mfn = options["mfn"]
    assert mfn.price_safeguard_amount == pytest.approx(45_000)
    assert mfn.duty_amount == pytest.approx(208_000 + 45_000) and mfn.safeguard
    assert any(e.rule_id == "wto.price_ssg" for e in mfn.trace)
    quota = options["cptpp_smp_quota"]
    assert quota.in_quota and quota.price_safeguard_amount is None and not quota.safeguard
    # At or above 90% of the trigger price nothing is added.
    high = tg.duty("040210229", "NZ", day, 460_000.0, 1_000.0, as_of=AS_OF, rules=rules)
    assert high.chosen.price_safeguard_amount is None


def test_batch_applies_the_price_trigger_like_the_scalar_path(rules_with_trigger_price):
    import pyarrow as pa

    rules = load_rules(rules_with_trigger_price)
    table = pa.table({"tariff_line": ["040210229"] * 3, "origin": ["NZ"] * 3,
                      "date": [D(2025, 6, 1)] * 3,
                      "customs_value": [300_000.0, 460_000.0, 100_000.0],
                      "quantity": [1_000.0] * 3})
    out = tg.duty_batch(table, as_of=AS_OF, rules=rules).to_pylist()
    for row in out:
        scalar = tg.duty(row["tariff_line"], "NZ", row["date"], row["customs_value"],
                         row["quantity"], as_of=AS_OF, rules=rules)
        assert row["duty_mfn"] == pytest.approx(scalar.chosen.duty_amount)
        assert row["safeguard"] == scalar.chosen.safeguard
