"""Canonical schema and validate_table (constructed rows; the numbers mean nothing)."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest

from tradeguard.data.problems import IngestProblemsError
from tradeguard.data.schema import CANONICAL_SCHEMA, COLUMNS, conform, validate_table
from tradeguard.errors import IngestError


def good_rows(n: int = 2) -> dict[str, list]:
    return {
        "period_start": [date(2019, 4, 1)] * n,
        "period_end": [date(2019, 4, 30)] * n,
        "granularity": ["month"] * n,
        "tariff_line": ["020130010"] * n,
        "partner": ["AU"] * n,
        "quantity": [1000.0] * n,
        "quantity_unit": ["kg"] * n,
        "value": [900000.0] * n,
        "currency": ["JPY"] * n,
        "regime": ["jaepa"] * n,
        "source": ["constructed"] * n,
        "batch_id": ["b1"] * n,
    }


def test_schema_columns_and_types():
    assert COLUMNS == ("period_start", "period_end", "granularity", "tariff_line", "partner",
                       "quantity", "quantity_unit", "value", "currency", "regime", "source",
                       "batch_id")
    assert CANONICAL_SCHEMA.field("period_start").type == pa.date32()
    assert CANONICAL_SCHEMA.field("quantity").type == pa.float64()
    assert CANONICAL_SCHEMA.field("regime").nullable
    assert not CANONICAL_SCHEMA.field("partner").nullable


def test_good_table_validates_and_conforms():
    table = pa.table(good_rows())
    report = validate_table(table)
    assert report.ok and report.total == 0 and report.rows == 2
    assert conform(table, "t").schema == CANONICAL_SCHEMA


def test_loose_types_are_cast_when_they_convert():
    rows = good_rows()
    rows["quantity"] = ["1000", "2.5e3"]
    rows["period_start"] = ["2019-04-01", "2019-04-01"]
    rows["regime"] = [None, "mfn"]
    out = conform(pa.table(rows), "t")
    assert out["quantity"].to_pylist() == [1000.0, 2500.0]
    assert out["period_start"].type == pa.date32()


@pytest.mark.parametrize(
    ("column", "bad", "reason"),
    [
        ("quantity", -1.0, "is negative"),
        ("quantity", float("nan"), "is not a finite number"),
        ("value", float("inf"), "is not a finite number"),
        ("quantity", "12 kg", "is not a number"),
        ("quantity_unit", "lb", "is not a known unit"),
        ("partner", "XX", "is not an ISO 3166 alpha-2"),
        ("partner", "au", "is not an ISO 3166 alpha-2"),
        ("currency", "EUR", "is not a known currency"),
        ("regime", "tpp12", "is not a known regime"),
        ("granularity", "week", "is not one of"),
        ("tariff_line", "0201.30", "is not a tariff line"),
        ("tariff_line", "201", "is not a tariff line"),
        ("period_end", date(2019, 4, 29), "a month must run from the 1st"),
        ("period_start", None, "is empty (required)"),
        ("source", "", "is empty (required)"),
    ],
)
def test_each_bad_value_is_a_row_problem(column, bad, reason):
    rows = good_rows(3)
    rows[column] = [rows[column][0], bad, rows[column][2]]
    if column == "quantity" and isinstance(bad, str):
        rows[column] = [str(v) for v in rows[column]]
    report = validate_table(pa.table(rows))
    assert not report.ok
    assert [(p.row, p.column) for p in report.problems] == [(2, column)]
    assert reason in report.problems[0].reason


def test_day_and_year_granularity_rules():
    rows = good_rows(3)
    rows["granularity"] = ["day", "day", "year"]
    rows["period_start"] = [date(2019, 4, 2), date(2019, 4, 2), date(2019, 1, 1)]
    rows["period_end"] = [date(2019, 4, 2), date(2019, 4, 3), date(2019, 12, 31)]
    report = validate_table(pa.table(rows))
    assert [(p.row, p.column) for p in report.problems] == [(2, "period_end")]


def test_missing_and_extra_columns_are_reported_not_raised():
    rows = good_rows()
    del rows["currency"]
    rows["flow"] = ["import", "import"]
    report = validate_table(pa.table(rows))
    reasons = " ".join(p.reason for p in report.problems)
    assert "missing column(s) currency" in reasons and "unexpected column(s) flow" in reasons
    with pytest.raises(IngestError):
        conform(pa.table(rows), "t")


def test_row_numbers_come_from_the_row_column_when_present():
    rows = good_rows()
    rows["partner"] = ["AU", "ZZ"]
    rows["_row"] = [10, 11]
    report = validate_table(pa.table(rows))
    assert report.problems[0].row == 11


def test_error_lists_rows_and_says_what_to_do():
    rows = good_rows(30)
    rows["quantity"] = [-1.0] * 30
    with pytest.raises(IngestProblemsError) as caught:
        conform(pa.table(rows), "somefile.csv")
    err = caught.value
    assert err.total == 30 and len(err.problems) == 30
    text = str(err)
    assert text.startswith("somefile.csv: 30 problems found; nothing was ingested")
    assert "row 2, column quantity" in text and "... and 10 more" in text and "Fix:" in text
