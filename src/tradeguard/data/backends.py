"""Where the engines run: DuckDB (default, in process) or PySpark (local or a cluster).

The surge scan, the monitor's counting and the duty batch are Ibis expressions; these helpers
only move Arrow tables in and out of a backend.  For PySpark they bypass Ibis' own in-memory
path (which converts through pandas): Arrow goes in with
``SparkSession.createDataFrame(pyarrow.Table)`` and results come out with
``DataFrame.toArrow()`` (both PySpark 4).  (The monitor's small lookup tables still go in
through Ibis, and so through pandas.)

Pointing at a cluster: build the ``SparkSession`` yourself (``SparkSession.builder.remote(...)``
for Spark Connect, or ``.master("spark://host:7077")`` / ``yarn``) and pass it to
:func:`spark_backend`; or set ``TRADEGUARD_SPARK_MASTER``.  Parquet on shared storage is read
by Spark itself: :func:`read_parquet` registers the path (``s3a://``, ``abfss://``, ``hdfs://``,
or a local directory) without loading it into the driver.
"""

from __future__ import annotations

import itertools
import os
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from tradeguard.errors import InputError, problem

if TYPE_CHECKING:
    import ibis
    import ibis.expr.types as ir

SPARK_MASTER_ENV = "TRADEGUARD_SPARK_MASTER"
_names = itertools.count()


def is_spark(con: Any) -> bool:
    return getattr(con, "name", "") == "pyspark"


def duckdb_backend() -> ibis.BaseBackend:
    import ibis

    return ibis.duckdb.connect()


def local_spark_session(master: str | None = None, *, shuffle_partitions: int = 4,
                        app_name: str = "tradeguard"):
    """A SparkSession: ``master`` (default ``$TRADEGUARD_SPARK_MASTER`` or ``local[2]``), the
    web UI off, few shuffle partitions (the right setting for one machine), UTC session time."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on the optional extra
        raise InputError(problem("PySpark is not installed", where="--backend spark",
                                 fix="pip install 'tradeguard[spark]' (needs Java 17)")) from exc
    master = master or os.environ.get(SPARK_MASTER_ENV) or "local[2]"
    return (SparkSession.builder.master(master).appName(app_name)
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.driver.memory", os.environ.get("TRADEGUARD_SPARK_DRIVER_MEMORY", "2g"))
            .getOrCreate())


def spark_backend(session=None) -> ibis.BaseBackend:
    """An Ibis PySpark backend over ``session`` (default: :func:`local_spark_session`)."""
    import ibis

    return ibis.pyspark.connect(session if session is not None else local_spark_session())


def backend_for(backend: Any) -> ibis.BaseBackend:
    """``None``/``"duckdb"`` -> in-memory DuckDB; ``"spark"`` -> local Spark; or an Ibis backend."""
    if backend is None or backend == "duckdb":
        return duckdb_backend()
    if backend in ("spark", "pyspark"):
        return spark_backend()
    if hasattr(backend, "table") and hasattr(backend, "name"):
        return backend
    raise InputError(problem(f"unknown backend {backend!r}", where="backend=",
                             fix="use 'duckdb', 'spark' or an Ibis backend object"))


def register(con: ibis.BaseBackend, table: pa.Table, name: str | None = None) -> ir.Table:
    """Make an Arrow table available in ``con`` and return it as an Ibis table."""
    name = name or f"tg_table_{os.getpid()}_{next(_names)}"
    if is_spark(con):
        session = con._session
        df = session.createDataFrame(table) if table.num_rows else session.createDataFrame(
            [], schema=_spark_schema(table.schema))
        df.createOrReplaceTempView(name)
        return con.table(name)
    con.con.register(name, table)
    return con.table(name)


def read_parquet(con: ibis.BaseBackend, path: str, name: str | None = None) -> ir.Table:
    """Register Parquet (a file, a directory or a glob; local or shared storage) in ``con``."""
    name = name or f"tg_parquet_{next(_names)}"
    if is_spark(con):
        con._session.read.parquet(path).createOrReplaceTempView(name)
        return con.table(name)
    return con.read_parquet(path, table_name=name)


def to_arrow(con: ibis.BaseBackend, expr: ir.Table) -> pa.Table:
    """Execute ``expr`` in ``con`` and return Arrow (no pandas on the Spark path)."""
    if is_spark(con):
        sql = str(con.compile(expr))
        out = con._session.sql(sql).toArrow()
        return out.cast(expr.schema().to_pyarrow()) if out.num_rows else \
            expr.schema().to_pyarrow().empty_table()
    return con.to_pyarrow(expr)


def _spark_schema(schema: pa.Schema):
    from pyspark.sql import types as T

    kinds = {pa.string(): T.StringType(), pa.large_string(): T.StringType(),
             pa.float64(): T.DoubleType(), pa.int64(): T.LongType(), pa.int32(): T.IntegerType(),
             pa.date32(): T.DateType(), pa.bool_(): T.BooleanType()}
    return T.StructType([T.StructField(f.name, kinds[f.type], True) for f in schema])
