"""The duty batch runs unchanged on PySpark (local mode) and equals DuckDB's, column by column."""

from __future__ import annotations

import datetime as dt

import pytest
from bench.synthetic import declarations, source_label

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("spark")]


def test_duty_batch_on_spark_equals_duckdb_on_synthetic_declarations(spark_con):
    from tradeguard.data.backends import register
    from tradeguard.engine.batch import duty_batch

    synthetic = declarations(2_000, seed=7)  # seeded synthetic beef declarations, not real data
    as_of = dt.date(2025, 3, 31)
    duck = duty_batch(synthetic, as_of=as_of).sort_by("declaration_id")
    spark = duty_batch(register(spark_con, synthetic), as_of=as_of).sort_by("declaration_id")
    assert spark.schema == duck.schema
    assert spark["source"][0].as_py() == source_label(7)
    for column in duck.column_names:
        assert spark[column].equals(duck[column]), column
    # Not a vacuous equality: the batch chose several regimes and some safeguard duty.
    assert set(duck["chosen_regime"].to_pylist()) == {"mfn", "cptpp", "jaepa", "usjta",
                                                       "jeuepa", "jukcepa"}  # GB: EU, then UK
    assert sum(duck["safeguard"].to_pylist()) == 58
