"""The same scan on DuckDB and on PySpark (local mode) gives identical flags."""

from __future__ import annotations

import pyarrow.compute as pc
import pytest

from tests.surge.conftest import AS_OF

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("spark")]


KEYS = ["tariff_line", "partner", "period", "method", "label", "band", "new_regime", "timing"]
NUMBERS = ["quantity_t", "baseline_t", "threshold_t", "ratio", "z_score"]


def _rows(flags):
    return sorted(flags.select(KEYS + NUMBERS).to_pylist(), key=lambda r: tuple(
        str(r[k]) for k in KEYS))


def test_duckdb_and_spark_give_identical_flags(bundled, spark_con):
    from tradeguard.surge import scan

    beef = bundled.filter(pc.starts_with(bundled["tariff_line"], "020"))
    duck = scan(beef, as_of=AS_OF)
    spark = scan(beef, as_of=AS_OF, backend=spark_con)
    a, b = _rows(duck), _rows(spark)
    assert len(a) == len(b) > 1000
    assert [tuple(r[k] for k in KEYS) for r in a] == [tuple(r[k] for k in KEYS) for r in b]
    for x, y in zip(a, b, strict=True):
        for k in NUMBERS:
            if x[k] is None or y[k] is None:
                assert x[k] is None and y[k] is None
            else:
                assert x[k] == pytest.approx(y[k], rel=1e-9, abs=1e-9)
