"""The batch engine equals the scalar path (Hypothesis), and handles its inputs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, localcontext

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tradeguard as tg
from tradeguard.errors import InputError, PeriodError, RuleNotFoundError

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


# Knowledge times around the announcements (28 Jul 2017, 17 Mar 2021, the 2026 potato-starch
# SSG) and the USJTA's signature (7 Oct 2019, from which its schedule is known).
KNOWLEDGE_TIMES = [dt.date(2017, 7, 27), dt.date(2017, 7, 28), dt.date(2019, 10, 6),
                   dt.date(2021, 3, 16), dt.date(2021, 3, 17), dt.date(2025, 12, 31),
                   dt.date(2026, 1, 1), AS_OF]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(declaration, min_size=1, max_size=40), st.sampled_from(KNOWLEDGE_TIMES))
def test_batch_equals_scalar(rows, as_of):
    # Hypothesis explores dates around every boundary; pin the 2017 and 2021 windows too.
    rows = [*rows, dict(rows[0], date=dt.date(2021, 4, 16)), dict(rows[0], date=dt.date(2017, 8, 1)),
            dict(rows[0], tariff_line="0202", origin="US", date=dt.date(2021, 3, 18))]
    table = pa.Table.from_pylist(rows, schema=DECLARATIONS)
    out = tg.duty_batch(table.append_column("row", pa.array(range(len(rows)))), as_of=as_of)
    by_row = {r["row"]: r for r in out.to_pylist()}
    assert len(by_row) == len(rows)
    for i, row in enumerate(rows):
        scalar = tg.duty(row["tariff_line"], row["origin"], row["date"], row["customs_value"],
                         row["quantity"], as_of=as_of)
        batch = by_row[i]
        assert batch["chosen_regime"] == scalar.chosen.regime
        assert batch["duty_amount"] == scalar.chosen.duty_amount  # both exact to 1/10,000 yen
        assert batch["safeguard"] == scalar.chosen.safeguard
        for option in scalar.options:
            assert batch[f"duty_{option.regime}"] == option.duty_amount


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
        assert batch["duty_amount"] == scalar.chosen.duty_amount  # both exact to 1/10,000 yen
        assert batch["safeguard"] == scalar.chosen.safeguard


def test_batch_hides_a_safeguard_announced_after_as_of_like_the_scalar_engine():
    table = pa.Table.from_pylist([{"tariff_line": "0202.30", "origin": "US",
                                   "date": dt.date(2021, 3, 18), "customs_value": 1000.0,
                                   "quantity": 10.0}], schema=DECLARATIONS)
    before = tg.duty_batch(table, as_of=dt.date(2021, 3, 1)).to_pylist()[0]
    after = tg.duty_batch(table, as_of=dt.date(2021, 3, 17)).to_pylist()[0]
    assert (before["duty_amount"], before["safeguard"]) == (pytest.approx(258.0), False)
    assert (after["duty_amount"], after["safeguard"]) == (pytest.approx(385.0), True)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(declaration, min_size=2, max_size=60), st.randoms(use_true_random=False))
def test_shuffled_input_gives_the_same_rows_shuffled_the_same_way(rows, rng):
    rows = [dict(r, id=i) for i, r in enumerate(rows)]
    shuffled = rows[:]
    rng.shuffle(shuffled)
    schema = DECLARATIONS.append(pa.field("id", pa.int64()))
    out = tg.duty_batch(pa.Table.from_pylist(rows, schema=schema), as_of=AS_OF).to_pylist()
    out_shuffled = tg.duty_batch(pa.Table.from_pylist(shuffled, schema=schema),
                                 as_of=AS_OF).to_pylist()
    assert [r["id"] for r in out] == [r["id"] for r in rows]
    assert [r["id"] for r in out_shuffled] == [r["id"] for r in shuffled]
    by_id = {r["id"]: r for r in out}
    assert out_shuffled == [by_id[r["id"]] for r in shuffled]


def test_duty_amount_copied_back_onto_a_pandas_frame_lands_on_its_own_shipment():
    import pandas as pd

    frame = pd.DataFrame({
        "shipment": ["a", "b", "c", "d"],
        "tariff_line": ["0202", "0201", "0202", "0202.30"],
        "origin": ["US", "CA", "AU", "BR"],
        "date": pd.to_datetime(["2021-03-20", "2019-06-01", "2017-09-01", "2021-03-20"]),
        "customs_value": [1000.0, 1000.0, 1000.0, 1000.0], "quantity": [1.0, 1.0, 1.0, 1.0]})
    out = tg.duty_batch(frame, as_of=AS_OF)
    frame["duty_amount"] = out.column("duty_amount").to_numpy()
    assert out.column("shipment").to_pylist() == ["a", "b", "c", "d"]
    assert frame["duty_amount"].round(6).tolist() == [385.0, 266.0, 272.0, 385.0]


def test_batch_reads_iso_string_dates_and_names_a_bad_one():
    base = {"tariff_line": ["0202", "0202"], "origin": ["US", "US"],
            "customs_value": [1000.0, 1000.0], "quantity": [1.0, 1.0]}
    out = tg.duty_batch(pa.table({**base, "date": ["2021-03-20", "2021-03-17"]}), as_of=AS_OF)
    assert out.column("duty_amount").to_pylist() == [pytest.approx(385.0), pytest.approx(258.0)]
    with pytest.raises(InputError, match=r"not an ISO date.*2021-13-01"):
        tg.duty_batch(pa.table({**base, "date": ["2021-03-20", "2021-13-01"]}), as_of=AS_OF)


def test_batch_rejects_timestamps_with_a_time_of_day_and_missing_dates():
    import pandas as pd

    frame = pd.DataFrame({"tariff_line": ["0202"], "origin": ["US"],
                          "date": pd.to_datetime(["2021-03-20 13:45"]),
                          "customs_value": [1.0], "quantity": [1.0]})
    with pytest.raises(InputError, match="time of day"):
        tg.duty_batch(frame, as_of=AS_OF)
    frame["date"] = pd.to_datetime([None])
    with pytest.raises(InputError, match="1 declaration\\(s\\) have no date"):
        tg.duty_batch(frame, as_of=AS_OF)


def _one(value, quantity, origin="US", line="020230090", day=dt.date(2021, 3, 20)):
    return pa.Table.from_pylist([{"tariff_line": line, "origin": origin, "date": day,
                                  "customs_value": value, "quantity": quantity}],
                                schema=DECLARATIONS)


def test_a_duty_beyond_the_int64_range_of_1e_4_yen_stays_exact_and_equals_the_scalar():
    # 38.5% of 1e15 yen is 3.85e14 yen: 3.85e18 units of 1/10,000 yen, which overflowed
    # the old packed int64 choice key (a raw backend error); the API allows this value.
    out = tg.duty_batch(_one(1e15, 1e12), as_of=AS_OF).to_pylist()[0]
    scalar = tg.duty("020230090", "US", dt.date(2021, 3, 20), 1e15, 1e12, as_of=AS_OF)
    assert out["duty_amount"] == scalar.chosen.duty_amount == Decimal("385000000000000")
    assert out["chosen_regime"] == scalar.chosen.regime == "usjta"


@pytest.mark.parametrize(("column", "value"), [("customs_value", float("nan")),
                                               ("customs_value", -5.0),
                                               ("quantity", float("inf"))])
def test_batch_rejects_amounts_that_are_not_finite_or_negative_like_the_scalar(column, value):
    table = _one(1000.0, 10.0)
    table = table.set_column(table.schema.get_field_index(column), column,
                             pa.array([value], pa.float64()))
    with pytest.raises(InputError, match=column):
        tg.duty_batch(table, as_of=AS_OF)


def test_a_backend_table_gives_the_same_exact_amounts_as_arrow_input():
    import ibis

    rows = [{"tariff_line": line, "origin": origin, "date": dt.date(2021, 3, 18 + i),
             "customs_value": 609458.0 * (i + 1), "quantity": 100.0 + i}
            for i, (line, origin) in enumerate([("020230090", "US"), ("020130010", "AU"),
                                                ("0202", "CA"), ("020110000", "BR")])]
    table = pa.Table.from_pylist(rows, schema=DECLARATIONS)
    con = ibis.duckdb.connect()
    from_backend = tg.duty_batch(con.create_table("d", table), as_of=AS_OF)
    from_arrow = tg.duty_batch(table, as_of=AS_OF)
    assert from_backend.equals(from_arrow)
    assert from_arrow.column("duty_amount").to_pylist()[0] == Decimal("234641.33")


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(-(10**37), 10**37)), min_size=1, max_size=50),
       st.integers(0, 5))
def test_decimals_from_scaled_are_exact_at_any_magnitude_and_keep_nulls(numbers, skip):
    from tradeguard.engine.money import decimals_from_scaled

    doubles = [None if n is None else float(n) for n in numbers]
    array = pa.array([0.0] * skip + doubles, pa.float64()).slice(skip)  # an offset too
    got = decimals_from_scaled(array)
    assert got.type == pa.decimal128(38, 4)
    with localcontext() as exact:  # 38 digits: wider than the default context
        exact.prec = 60
        assert [None if g is None else int(g.scaleb(4)) for g in got.to_pylist()] == \
            [None if d is None else int(d) for d in doubles]


def _answers(rows):
    return pa.table({"__tradeguard_row": pa.array(rows, pa.int64()),
                     "payload": pa.array([r * 10 for r in rows], pa.int64())})


@pytest.mark.parametrize("rows", [
    [4, 5, 6, 0, 1, 2, 3, 7, 8],  # morsels finished out of order: runs
    [1, 0, 3, 2, 5, 4, 7, 6, 8],  # a hash join's local disorder: one take
])
def test_answers_come_back_in_input_order_with_their_payload(rows):
    from tradeguard.engine.batch import _input_order

    ordered = _input_order(_answers(rows))
    assert ordered.column("__tradeguard_row").to_pylist() == list(range(9))
    assert ordered.column("payload").to_pylist() == [r * 10 for r in range(9)]


@pytest.mark.parametrize("rows", [[0, 1, 1, 3], [0, 2, 3, 4], [3, 2, 1, 1]])
def test_a_lost_or_doubled_row_is_an_error_not_a_misplaced_duty(rows):
    from tradeguard.engine.batch import _input_order

    with pytest.raises(RuntimeError, match="lost or doubled"):
        _input_order(_answers(rows))
