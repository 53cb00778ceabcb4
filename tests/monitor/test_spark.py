"""The monitor's counting runs unchanged on PySpark (local mode) and equals DuckDB's."""

from __future__ import annotations

import datetime as dt

import ibis
import pyarrow as pa
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("spark")]

AS_OF = dt.date(2019, 12, 31)  # the bundled extract's last month
KEYS = ["measure_id", "condition_id", "variant", "fy", "period_end"]


@pytest.fixture(scope="module")
def extract() -> pa.Table:
    from tradeguard.data.bundled import bundled_extract_path
    from tradeguard.data.readers import read_any

    return read_any(bundled_extract_path())


def _sorted(table: pa.Table) -> pa.Table:
    return table.sort_by([(k, "ascending") for k in KEYS])


def test_counting_every_measure_on_spark_equals_duckdb(extract, spark_con):
    from tradeguard.data.backends import register
    from tradeguard.monitor.counting import cumulative, specs_for
    from tradeguard.rules.loader import shipped_rules

    rules = shipped_rules()
    specs = [spec for mid in sorted(rules.safeguards) for spec in specs_for(rules, mid)]
    duck = _sorted(cumulative(ibis.memtable(extract), specs, rules, AS_OF).to_pyarrow())
    spark = _sorted(cumulative(register(spark_con, extract), specs, rules, AS_OF).to_pyarrow())
    assert duck.num_rows == spark.num_rows > 1000
    for key in KEYS:
        assert duck[key].equals(spark[key]), key
    # Sums of the same doubles in another order may differ in the last bits only.
    for a, b in zip(duck["cumulative_t"].to_pylist(), spark["cumulative_t"].to_pylist(),
                    strict=True):
        assert a == pytest.approx(b, rel=1e-12)


def test_the_whole_monitor_on_spark_gives_the_same_status(extract, spark_con):
    from tradeguard.data.backends import register
    from tradeguard.monitor.report import monitor

    measure = "jaepa.beef_chilled_safeguard"
    duck = monitor(ibis.memtable(extract), as_of=AS_OF, measures=[measure])
    spark = monitor(register(spark_con, extract), as_of=AS_OF, measures=[measure])
    rows = [p.row() for p in spark.periods]
    assert rows == [p.row() for p in duck.periods]
    fy2017 = next(r for r in rows if r["period"] == "FY2017")
    # Japan Customs' FY2017 JAEPA chilled beef: 119,866 t against the 135,000 t trigger.
    assert (fy2017["coverage"], fy2017["cumulative_t"], fy2017["trigger_t"]) == (
        "complete", 119866.293, 135000.0)
