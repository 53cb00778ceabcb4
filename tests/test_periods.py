"""Time in one place: each period idea, and its Ibis form equal to its scalar form."""

from __future__ import annotations

import datetime as dt

import ibis
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradeguard import periods as p


def test_fiscal_year_is_named_by_the_year_it_starts_in():
    assert p.fiscal_year(dt.date(2021, 3, 31)) == 2020
    assert p.fiscal_year(dt.date(2021, 4, 1)) == 2021
    assert p.fiscal_year(dt.date(2021, 9, 30), start_month=10) == 2020
    assert (p.fiscal_year_start(2020), p.fiscal_year_end(2020)) == (dt.date(2020, 4, 1),
                                                                    dt.date(2021, 3, 31))
    assert p.fiscal_year_days(2019) == 366  # FY2019 holds 29 February 2020


def test_period_keys_are_written_and_read_one_way():
    assert p.period_key(2019) == "FY2019"
    assert [p.parse_period_key(t) for t in ("FY2019", "fy2019", " 2019 ")] == [2019] * 3
    with pytest.raises(ValueError, match="FY2019"):
        p.parse_period_key("FY19")


def test_quarters_of_japans_fiscal_year():
    assert p.quarter_ends(2020) == [dt.date(2020, 6, 30), dt.date(2020, 9, 30),
                                    dt.date(2020, 12, 31), dt.date(2021, 3, 31)]
    assert [p.fiscal_quarter(dt.date(2021, m, 1)) for m in (4, 7, 10, 1)] == [1, 2, 3, 4]


def test_ten_day_periods_of_the_customs_statistics():
    assert p.ten_day_period_end(dt.date(2021, 3, 10)) == dt.date(2021, 3, 10)
    assert p.ten_day_period_end(dt.date(2021, 3, 11)) == dt.date(2021, 3, 20)
    assert p.ten_day_period_end(dt.date(2021, 2, 21)) == dt.date(2021, 2, 28)
    assert p.ten_day_period_start(dt.date(2021, 2, 28)) == dt.date(2021, 2, 21)


def test_the_march_2021_safeguard_starts_the_day_after_the_fifth_working_day():
    # MAFF 17 Mar 2021: data to 10 March; the 5th working day after is 17 March.
    assert p.add_working_days(dt.date(2021, 3, 10), 5) == dt.date(2021, 3, 17)
    assert not p.is_working_day(dt.date(2021, 1, 3))  # the year-end closure


def test_partial_first_years():
    assert p.partial_year_fraction(dt.date(2018, 12, 30), 2018, "fixed_fraction", 0.25) == 0.25
    assert p.partial_year_fraction(dt.date(2020, 1, 1), 2019, "day_count") == 91 / 366
    with pytest.raises(ValueError, match="fraction"):
        p.partial_year_fraction(dt.date(2020, 1, 1), 2019, "fixed_fraction")


days = st.dates(min_value=dt.date(1995, 1, 1), max_value=dt.date(2060, 12, 31))


@settings(max_examples=25, deadline=None)
@given(st.lists(days, min_size=1, max_size=40), st.sampled_from([1, 4, 10]))
def test_ibis_forms_equal_the_scalar_forms(sample, start_month):
    table = ibis.memtable(pa.table({"d": pa.array(sample, pa.date32())}))
    out = table.select(
        fy=p.fiscal_year_expr(table.d, start_month),
        mi=p.fiscal_month_index_expr(table.d, start_month),
        tde=p.ten_day_period_end_expr(table.d),
    ).to_pyarrow().to_pylist()
    assert out == [{"fy": p.fiscal_year(d, start_month),
                    "mi": p.fiscal_month_index(d, start_month),
                    "tde": p.ten_day_period_end(d)} for d in sample]
