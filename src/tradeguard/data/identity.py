"""Record identity by content, and the import data as known on a date (ADR 0004).

**The natural key of a record** is what the record is about, never what it measures: its source
family, period (start, end, granularity), tariff line, partner, regime and the unit and currency
of its figures.  The measured ``quantity`` and ``value`` are not part of it.

- Japan Customs statistics: the tidy CSV and the wide workbook are one source family
  (``jp-customs-epa``), so the same figures read from either file have the same keys.  A record
  is already summed over the ``EPA Code`` column by the readers, so the key holds the agreement
  (``regime``) but not that code.
- Declarations: where the file gives a ``declaration_id``, each declaration is one record and
  its id is part of its key (``record_id`` in the store): a second file with other declarations
  of the same day is no repeat, and a declaration sent again is one (the same figures: already
  stored; others: refused, or a revision of that declaration with ``replace``).  Declarations
  without an id are summed per day, line, partner and regime, and the key is that day record
  (every field but the amounts): a second such file for the same day overlaps it.
- UN Comtrade and canonical Parquet: every canonical column but the amounts and ``batch_id``.

**A revision** is a batch ingested with ``replace=True`` whose records share keys with earlier
batches.  Every batch is kept with the date it became known (``known_on``).  The data as known on
``as_of`` (:func:`as_known_on`) takes, for each key, the records of the latest batch known by then
(latest ``known_on``, then the later batch number); earlier batches' records with that key are
superseded.  Where no batch holding a key is known by ``as_of``, the key's first figures count
(the monitor reads first figures as known from the end of their period, as it always has: a
store filled today still answers for 2017).  Nothing is deleted: asking about an earlier date
gives the earlier figures.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb
    import ibis.expr.types as ir

# Columns of the canonical schema that name a record (plus the source family below).
KEY_COLUMNS = ("period_start", "period_end", "granularity", "tariff_line", "partner", "regime",
               "quantity_unit", "currency")
# The record's own id in its source (a declaration id), null where the source gives none; in
# the store's ``imports`` and a staged batch, not in the canonical schema.
RECORD_ID = "record_id"
# Readers of one publisher's figures in different file formats share a source family.
FAMILY_PATTERN = "^jp-customs-epa-(tidy|xlsx)$"
FAMILY = "jp-customs-epa"
# Two sums of the same figures may differ in the last bits by the order of addition.
RELATIVE_TOLERANCE = 1e-9


def family_sql(column: str = "source") -> str:
    """The source family of ``column`` as a DuckDB SQL expression."""
    return f"regexp_replace({column}, '{FAMILY_PATTERN}', '{FAMILY}')"


def _key_sql(alias: str) -> str:
    return ", ".join([f"{family_sql(f'{alias}.source')} AS family",
                      *(f"{alias}.{c}" for c in (*KEY_COLUMNS, RECORD_ID))])


def record_key_sql(con: duckdb.DuckDBPyConnection) -> str:
    """The natural key over the store's ``imports`` as a SQL list (a store made before record
    ids has none: null)."""
    has_id = con.execute("SELECT count(*) FROM duckdb_columns() WHERE table_name = 'imports' "
                         f"AND column_name = '{RECORD_ID}'").fetchone()[0]
    return ", ".join([family_sql("source"), *KEY_COLUMNS,
                      RECORD_ID if has_id else f"NULL AS {RECORD_ID}"])


@dataclass(frozen=True)
class EarlierBatch:
    """A stored batch that holds some of the incoming keys."""

    batch_no: int | None
    batch_id: str
    source_name: str | None
    known_on: dt.date | None
    ingested_at: dt.datetime | None
    records: int  # how many incoming keys it holds

    def describe(self) -> str:
        number = f"#{self.batch_no} " if self.batch_no is not None else ""
        name = f"'{self.source_name}'" if self.source_name else "unnamed"
        when = f"known on {self.known_on}" if self.known_on else "known on its ingest date"
        stamp = f", ingested {self.ingested_at:%Y-%m-%d %H:%M} UTC" if self.ingested_at else ""
        return (f"batch {number}({self.batch_id[:12]}, {name}, {when}{stamp}): "
                f"{self.records:,} record{'s' if self.records != 1 else ''}")


@dataclass(frozen=True)
class Overlap:
    """How an incoming table's records meet the records the store holds now."""

    incoming: int  # distinct keys in the incoming table
    overlapping: int  # of them, keys the store already holds
    identical: int  # of those, with the same quantity and value
    earlier: tuple[EarlierBatch, ...] = field(default_factory=tuple)

    @property
    def nothing_new(self) -> bool:
        """Every incoming record is already stored with the same figures."""
        return self.incoming > 0 and self.identical == self.incoming

    def summary(self) -> str:
        differing = self.overlapping - self.identical
        return (f"{self.overlapping:,} of the file's {self.incoming:,} records are already in "
                f"the store (same source, period, tariff line, partner, regime and unit): "
                f"{self.identical:,} with the same figures, {differing:,} with different ones")


def find_overlap(con: duckdb.DuckDBPyConnection, incoming: str) -> Overlap:
    """Compare the registered table ``incoming`` with the store's current records.

    "Current" is the data as known at the latest date (:func:`current_sql`): a key superseded by
    a revision is compared with its revision.  Quantities and values are compared per key as sums
    (a key may hold several rows of one batch).
    """
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    if not {"imports", "batches"} <= tables:
        count = con.execute(f"SELECT count(*) FROM (SELECT DISTINCT {_key_sql('i')} "
                            f"FROM {incoming} i)").fetchone()[0]
        return Overlap(count, 0, 0)
    keys = ", ".join(["family", *KEY_COLUMNS, RECORD_ID])
    joined = " AND ".join(f"n.{c} IS NOT DISTINCT FROM s.{c}"
                          for c in ["family", *KEY_COLUMNS, RECORD_ID])
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _overlap AS
        WITH n AS (SELECT {_key_sql('i')}, i.quantity, i.value FROM {incoming} i),
             n_sum AS (SELECT {keys}, sum(quantity) AS q, sum(value) AS v FROM n GROUP BY ALL),
             s AS (SELECT {_key_sql('c')}, c.quantity, c.value, c.batch_id
                   FROM ({current_sql(con)}) c),
             s_sum AS (SELECT {keys}, sum(quantity) AS q, sum(value) AS v,
                              any_value(batch_id) AS batch_id FROM s GROUP BY ALL)
        SELECT s.batch_id, {_same('n.q', 's.q')} AND {_same('n.v', 's.v')} AS same
        FROM n_sum n JOIN s_sum s ON {joined}""")
    incoming_keys = con.execute(f"SELECT count(*) FROM (SELECT DISTINCT {keys} FROM "
                                f"(SELECT {_key_sql('i')} FROM {incoming} i))").fetchone()[0]
    overlapping, identical = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE same) FROM _overlap").fetchone()
    earlier = _earlier_batches(con) if overlapping else ()
    con.execute("DROP TABLE _overlap")
    return Overlap(incoming_keys, overlapping, identical, earlier)


def _same(a: str, b: str) -> str:
    return f"(abs({a} - {b}) <= {RELATIVE_TOLERANCE} * greatest(abs({a}), abs({b}), 1.0))"


def _earlier_batches(con: duckdb.DuckDBPyConnection) -> tuple[EarlierBatch, ...]:
    cols = _batch_columns(con)
    number = "b.batch_no" if "batch_no" in cols else "NULL"
    known = "b.known_on" if "known_on" in cols else "NULL"
    rows = con.execute(f"""
        SELECT {number}, b.batch_id, {'b.source_name' if 'source_name' in cols else 'NULL'},
               {known}, b.ingested_at, count(*) AS n
        FROM _overlap o JOIN batches b USING (batch_id)
        GROUP BY ALL ORDER BY n DESC, b.ingested_at""").fetchall()
    return tuple(EarlierBatch(*row) for row in rows)


def _batch_columns(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = 'batches'").fetchall()}


def current_sql(con: duckdb.DuckDBPyConnection, as_of: dt.date | None = None) -> str:
    """:func:`as_known_on` over the store open on ``con``, as DuckDB SQL."""
    import ibis

    backend = ibis.duckdb.from_connection(con)
    view = as_known_on(backend.table("imports"), backend.table("batches"), as_of,
                       record_ids=True)
    return ibis.to_sql(view, dialect="duckdb")


def as_known_on(imports: ir.Table, batches: ir.Table, as_of: dt.date | None, *,
                record_ids: bool = False) -> ir.Table:
    """The import records as known on ``as_of``: the one place every reader goes through.

    Per natural key, the records of the latest batch known on ``as_of`` (``known_on <= as_of``;
    None: every batch); where no batch holding the key is known by then, the records of the
    first batch that holds it (the first figures, read as the monitor always has: known from
    the end of their period).  Canonical columns.  A store without revisions (nor batches from
    before revisions, where repeats are possible) has one batch per key, and its records are
    returned as they are, so the common case costs nothing.  ``record_ids`` adds the column
    ``record_id`` (null in a store made before record ids).
    """
    import ibis

    from tradeguard.data.schema import COLUMNS

    if RECORD_ID not in imports.columns:
        imports = imports.mutate(**{RECORD_ID: ibis.null("string")})
    out = [*COLUMNS, RECORD_ID] if record_ids else list(COLUMNS)

    cols = set(batches.columns)
    known = (batches.known_on.fill_null(batches.ingested_at.cast("date"))
             if "known_on" in cols else batches.ingested_at.cast("date"))
    number = batches.batch_no if "batch_no" in cols else ibis.null("int64")
    revised = batches.revision.fill_null(True) if "revision" in cols else ibis.literal(True)
    b = batches.select("batch_id", "ingested_at", _known=known, _no=number, _revised=revised)
    facts = b.aggregate(n=b.count(), revised=b._revised.cast("int64").sum()
                        ).to_pyarrow().to_pylist()[0]
    if facts["n"] <= 1 or not facts["revised"]:
        return imports.select(*out)
    ordered = b.mutate(_ord=ibis.row_number().over(
        order_by=[b._known, b._no.asc(nulls_first=True), b.ingested_at, b.batch_id]))
    known_by = ibis.literal(True) if as_of is None else ordered._known <= as_of
    ordered = ordered.mutate(_known_ord=known_by.ifelse(ordered._ord, ibis.null("int64")))
    t = imports.inner_join(ordered.select("batch_id", "_ord", "_known_ord"), "batch_id")
    key = [t.source.re_replace(FAMILY_PATTERN, FAMILY),
           *(t[c] for c in (*KEY_COLUMNS, RECORD_ID))]
    t = t.mutate(_pick=t._known_ord.max().over(group_by=key).fill_null(
        t._ord.min().over(group_by=key)))
    return t.filter(t._ord == t._pick).select(*out)


def overlap_refusal(overlap: Overlap, where: str, known_on: dt.date | None) -> Any:
    """The ``IngestError`` for records already stored, counting them and naming the batches."""
    from tradeguard.errors import IngestError, problem

    named = "; ".join(b.describe() for b in overlap.earlier[:3])
    if len(overlap.earlier) > 3:
        named += f"; and {len(overlap.earlier) - 3} more batches"
    first = overlap.earlier[0] if overlap.earlier else None
    remove = (f"`tradeguard batches remove {first.batch_no}`" if first and first.batch_no
              else "`tradeguard batches remove N`")
    when = f" (known on {known_on})" if known_on else ""
    return IngestError(problem(
        "the file repeats records already in the store; nothing was ingested", where=where,
        why=f"{overlap.summary()}; earlier {named}. Adding them again would count them twice",
        fix=f"if these are revised figures{when}, ingest again with --replace (replace=True) "
            "and --known-on the date they were published: they supersede the earlier records "
            f"from that date, and both stay in the store; if the earlier batch was wrong, "
            f"remove it first with {remove}; otherwise leave the repeated rows out of the "
            "file"))
