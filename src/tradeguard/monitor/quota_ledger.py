"""The quota ledger kept in the store: what the declarations claimed against each quota.

The store's declaration records (granularity ``day``) are summed per first-come-first-served
quota, day and the day the batch became known, into the table ``quota_declarations``:

==============  =========================================================================
column          meaning
==============  =========================================================================
quota_id        the quota's rule id
day             the declaration day
known_on        the day the batch holding the declarations became known
declared_rows   declaration records on the quota's lines that day (any partner, regime)
claimed_t       tonnes declared under the quota's agreement by a partner it covers
==============  =========================================================================

A day with ``declared_rows`` but no claim is evidence that nobody used the quota that day; a
quota whose lines have no declaration record at all in a period has *no data*, never a
zero use.  The table is rebuilt when the store's batch set changes (``version``).

:func:`ledger_for` turns it, for one ``as_of``, into a :class:`QuotaLedger`: the claims known
by ``as_of`` are allocated first come, first served by ``engine.allocation.allocate``
against the volumes known by ``as_of``, and recorded as allocation events.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from tradeguard.monitor.quotas import QuotaEvent, QuotaLedger, quota_period, quota_volume
from tradeguard.rules import schema as s
from tradeguard.rules.loader import RuleSet
from tradeguard.rules.scope import coverage
from tradeguard.units import KG_PER_TONNE

TABLE = "quota_declarations"
LEDGER_SCHEMA = pa.schema([
    pa.field("quota_id", pa.string(), nullable=False),
    pa.field("day", pa.date32(), nullable=False),
    pa.field("known_on", pa.date32(), nullable=False),
    pa.field("declared_rows", pa.int64(), nullable=False),
    pa.field("claimed_t", pa.float64(), nullable=False),
])


def build_declarations(imports: Any, batches: Any, rules: RuleSet) -> pa.Table:
    """``quota_declarations`` from the store's ``imports`` and ``batches`` (Ibis tables)."""
    import ibis

    declared = imports.filter(imports.granularity == "day")
    declared = declared.join(batches.select("batch_id", "known_on"), "batch_id")
    parts = [_for_quota(declared, rid, quota, rules) for rid, quota in
             sorted(rules.quotas.items())]
    if not parts:
        return LEDGER_SCHEMA.empty_table()
    return ibis.union(*parts).to_pyarrow().cast(LEDGER_SCHEMA)


def _for_quota(declared: Any, rule_id: str, quota: s.TariffQuota, rules: RuleSet) -> Any:
    import ibis

    on_lines = declared.filter(ibis.or_(*[declared.tariff_line.startswith(line)
                                          for line in quota.lines]))
    partners = _partner_spans(quota, rules, on_lines)
    claims = on_lines.filter((on_lines.regime == quota.agreement)
                             & (on_lines.quantity_unit == "kg"))
    claims = claims.join(partners, [claims.partner == partners.partner,
                                    claims.period_start >= partners.start,
                                    claims.period_start < partners.end])
    keys = [on_lines.period_start.name("day"), on_lines.known_on.cast("date").name("known_on")]
    rows = on_lines.group_by(keys).aggregate(declared_rows=on_lines.count().cast("int64"))
    claimed = claims.group_by([claims.period_start.name("day"),
                               claims.known_on.cast("date").name("known_on")]).aggregate(
        claimed_t=(claims.quantity.sum() / KG_PER_TONNE).cast("float64"))
    out = rows.left_join(claimed, ["day", "known_on"]).select(
        quota_id=ibis.literal(rule_id), day=rows.day, known_on=rows.known_on,
        declared_rows=rows.declared_rows, claimed_t=claimed.claimed_t.fill_null(0.0))
    return out


def _partner_spans(quota: s.TariffQuota, rules: RuleSet, on_lines: Any) -> Any:
    """(partner, start, end): the half-open spans in which the quota covers each partner
    seen in the data (a handful: one Python step per partner, never per record)."""
    import ibis

    seen = on_lines.select("partner").distinct().to_pyarrow()["partner"].to_pylist()
    spans = [(p, a, b) for p in seen for a, b in coverage(quota.partners, p, rules.groups)]
    return ibis.memtable(pa.table({"partner": pa.array([x[0] for x in spans], pa.string()),
                                   "start": pa.array([x[1] for x in spans], pa.date32()),
                                   "end": pa.array([x[2] for x in spans], pa.date32())}))


@dataclass(frozen=True)
class StoreLedger:
    """The quota ledger for one ``as_of``, and which quotas the declarations reach."""

    ledger: QuotaLedger
    covered: frozenset[tuple[str, int]]  # (quota rule id, quota year) with declaration data
    data_through: dict[str, dt.date]     # quota rule id -> last declaration day known

    def has_data(self, rule_id: str, day: dt.date) -> bool:
        quota = self.ledger.rules.quotas[rule_id]
        return (rule_id, quota_period(quota, day)[0]) in self.covered


def ledger_for(declarations: pa.Table, rules: RuleSet, as_of: dt.date) -> StoreLedger:
    """The ledger of the claims known by ``as_of``, allocated first come, first served."""
    from tradeguard.engine.allocation import allocate

    known = [r for r in declarations.to_pylist()
             if r["known_on"] <= as_of and r["day"] <= as_of and r["quota_id"] in rules.quotas]
    covered, through = set(), {}
    requests: list[dict[str, Any]] = []
    for r in known:  # one row per quota and day: small, not a hot path
        quota = rules.quotas[r["quota_id"]]
        year = quota_period(quota, r["day"])[0]
        covered.add((r["quota_id"], year))
        through[r["quota_id"]] = max(through.get(r["quota_id"], r["day"]), r["day"])
        if r["claimed_t"] > 0:
            requests.append({"quota_id": r["quota_id"], "period": year, "day": r["day"],
                             "request_t": r["claimed_t"]})
    ledger = QuotaLedger(rules)
    if requests:
        allocated = allocate(pa.Table.from_pylist(requests),
                             _volumes(requests, rules, as_of)).to_pylist()
        # events under the order id, which every ledger lookup (by rule or order id) matches
        events = [QuotaEvent(rules.quotas[a["quota_id"]].order_id, a["day"], "allocation",
                             a["allocated_t"])
                  for a in allocated if a["allocated_t"] > 0]
        ledger = ledger.record(events, as_of)
    return StoreLedger(ledger, frozenset(covered), through)


def _volumes(requests: list[dict[str, Any]], rules: RuleSet, as_of: dt.date) -> pa.Table:
    first = {}
    for r in requests:
        key = (r["quota_id"], r["period"])
        first[key] = min(first.get(key, r["day"]), r["day"])
    rows = [{"quota_id": q, "period": y,
             "volume_t": quota_volume(rules.quotas[q], day, as_of)[0]}
            for (q, y), day in first.items()]
    return pa.Table.from_pylist(rows)


def ledger_version(batch_ids: frozenset[str], rules: RuleSet) -> str:
    """The store version the table belongs to: its batch set and the quotas' rules."""
    import hashlib

    digest = hashlib.sha256()
    for batch_id in sorted(batch_ids):
        digest.update(batch_id.encode())
    for rid, quota in sorted(rules.quotas.items()):
        digest.update(rid.encode() + quota.model_dump_json().encode())
    return digest.hexdigest()


def refresh(store: Path, rules: RuleSet, version: str) -> pa.Table:
    """The persisted ``quota_declarations``, rebuilt and written when ``version`` changed."""
    from tradeguard.data.derived import read_derived, write_derived
    from tradeguard.data.store import open_imports

    stored = read_derived(store, TABLE, version)
    if stored is not None:
        return stored.cast(LEDGER_SCHEMA)
    imports = open_imports(store)
    try:
        batches = imports.get_backend().table("batches")
        table = build_declarations(imports, batches, rules)
    finally:
        imports.get_backend().disconnect()
    write_derived(store, TABLE, table, version)
    return table
