"""The batch engine equals the scalar path (Hypothesis), and handles its inputs."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tradeguard as tg
from tradeguard.errors import PeriodError, RuleNotFoundError

AS_OF = dt.date(2026, 11, 27)
DECLARATIONS = pa.schema([
    ("tariff_line", pa.string()), ("origin", pa.string()), ("date", pa.date32()),
    ("customs_value", pa.float64()), ("quantity", pa.float64())])
LINES = ["020110000", "020130010", "0202", "020230090", "0201.20"]
ORIGINS = ["US", "AU", "CA", "NZ", "MX", "BR", "FR", "VN"]

declaration = st.fixed_dictionaries({
    "tariff_line": st.sampled_from(LINES),
    "origin": st.sampled_from(ORIGINS),
    "date": st.dates(dt.date(2000, 4, 1), dt.date(2035, 3, 31)),
    "customs_value": st.floats(0, 1e9, allow_nan=False),
    "quantity": st.floats(0, 1e6, allow_nan=False),
})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(declaration, min_size=1, max_size=40))
def test_batch_equals_scalar(rows):
    # Hypothesis explores dates around every boundary; pin the 2017 and 2021 windows too.
    rows = [*rows, dict(rows[0], date=dt.date(2021, 4, 16)), dict(rows[0], date=dt.date(2017, 8, 1))]
    table = pa.Table.from_pylist(rows, schema=DECLARATIONS)
    out = tg.duty_batch(table.append_column("row", pa.array(range(len(rows)))), as_of=AS_OF)
    by_row = {r["row"]: r for r in out.to_pylist()}
    assert len(by_row) == len(rows)
    for i, row in enumerate(rows):
        scalar = tg.duty(row["tariff_line"], row["origin"], row["date"], row["customs_value"],
                         row["quantity"], as_of=AS_OF)
        batch = by_row[i]
        assert batch["chosen_regime"] == scalar.chosen.regime
        assert batch["duty_amount"] == pytest.approx(scalar.chosen.duty_amount, rel=1e-12, abs=1e-9)
        assert batch["safeguard"] == scalar.chosen.safeguard
        for option in scalar.options:
            assert batch[f"duty_{option.regime}"] == pytest.approx(option.duty_amount, abs=1e-9)


def test_batch_accepts_polars_and_returns_polars():
    import polars as pl

    frame = pl.DataFrame({"tariff_line": ["0202"], "origin": ["US"],
                          "date": [dt.date(2021, 3, 20)], "customs_value": [1000.0],
                          "quantity": [10.0]})
    out = tg.duty_batch(frame, as_of=AS_OF, output="polars")
    assert isinstance(out, pl.DataFrame)
    assert out["duty_amount"].to_list() == [385.0]
    assert out["chosen_regime"].to_list() == ["usjta"]


def test_batch_rejects_unknown_partner_and_dates_before_the_rules():
    base = {"tariff_line": ["0202"], "customs_value": [1.0], "quantity": [1.0]}
    with pytest.raises(RuleNotFoundError, match="unknown partner"):
        tg.duty_batch(pa.table({**base, "origin": ["ZZ"], "date": [dt.date(2021, 1, 1)]}),
                      as_of=AS_OF)
    with pytest.raises(PeriodError, match="no MFN rate"):
        tg.duty_batch(pa.table({**base, "origin": ["US"], "date": [dt.date(1999, 1, 1)]}),
                      as_of=AS_OF)


def test_batch_accepts_pandas():
    import pandas as pd

    frame = pd.DataFrame({"tariff_line": ["0202", "0201"], "origin": ["AU", "CA"],
                          "date": [dt.date(2017, 9, 1), dt.date(2019, 6, 1)],
                          "customs_value": [1000.0, 1000.0], "quantity": [1.0, 1.0]})
    out = tg.duty_batch(frame, as_of=AS_OF).to_pylist()
    chosen = {r["origin"]: (r["chosen_regime"], r["duty_amount"]) for r in out}
    assert chosen == {"AU": ("jaepa", pytest.approx(272.0)), "CA": ("cptpp", pytest.approx(266.0))}


BASKET_LINES = ["0203.19", "020311", "040210229", "040510129", "100630090", "100630010",
                "170114110", "170199100", "110813"]
BASKET_ORIGINS = ["US", "AU", "CA", "NZ", "DE", "TH"]
CLAIMS = ["cptpp-tpp-smp", "cptpp-tpp-butter", "wto-rice-ma"]

basket_declaration = st.fixed_dictionaries({
    "tariff_line": st.sampled_from(BASKET_LINES),
    "origin": st.sampled_from(BASKET_ORIGINS),
    # The sugar and potato-starch rules start in FY2025; the 2026 potato-starch safeguard
    # adds its duty on top (remedy: add).
    "date": st.dates(dt.date(2025, 4, 1), dt.date(2027, 3, 31)),
    "customs_value": st.floats(0, 1e8, allow_nan=False),
    "quantity": st.floats(1, 1e5, allow_nan=False),
})


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(basket_declaration, min_size=1, max_size=30))
def test_batch_equals_scalar_on_the_basket(rows):
    """Gate prices, lower-of compounds, quotas (claimed), specific duties, additive safeguards."""
    rows = [*rows, dict(rows[0], tariff_line="110813", date=dt.date(2026, 1, 1))]
    table = pa.Table.from_pylist(rows, schema=DECLARATIONS)
    out = tg.duty_batch(table.append_column("row", pa.array(range(len(rows)))), as_of=AS_OF,
                        quota_claims=CLAIMS)
    by_row = {r["row"]: r for r in out.to_pylist()}
    for i, row in enumerate(rows):
        scalar = tg.duty(row["tariff_line"], row["origin"], row["date"], row["customs_value"],
                         row["quantity"], as_of=AS_OF, quota_claims=CLAIMS)
        batch = by_row[i]
        assert batch["chosen_regime"] == scalar.chosen.regime
        assert batch["duty_amount"] == pytest.approx(scalar.chosen.duty_amount, rel=1e-12,
                                                     abs=1e-9)
        assert batch["safeguard"] == scalar.chosen.safeguard
