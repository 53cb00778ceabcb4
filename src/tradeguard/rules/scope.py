"""Partner scopes: who a rule covers on a date, as a point test and as intervals.

The duty engine's scalar path asks "is this partner covered on this day?";
the batch path needs the same answer as date intervals so that it can join.
Both read the same dated group memberships.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from tradeguard.rules.schema import EconomicPartnership, Membership, PartnerScope

#: Open ends of an interval; far enough from every rule date.
BEGINNING = dt.date(1900, 1, 1)
END = dt.date(9999, 12, 31)

Interval = tuple[dt.date, dt.date]  # [start, end): half-open
_DAY = dt.timedelta(days=1)


def dated_intervals(values: Sequence[Any]) -> list[tuple[dt.date, dt.date, Any]]:
    """Each dated value that states something, with the half-open interval it holds:
    ``[valid_from, next valid_from)``, cut at its own ``valid_to``; a null value holds none."""
    out = []
    for i, entry in enumerate(values):
        end = values[i + 1].valid_from if i + 1 < len(values) else END
        if entry.valid_to is not None:
            end = min(end, entry.valid_to + _DAY)
        if entry.payload is not None and entry.valid_from < end:
            out.append((entry.valid_from, end, entry))
    return out


def _member_intervals(ref: str, partner: str,
                      groups: Mapping[str, list[Membership]]) -> list[Interval]:
    if not ref.startswith("group:"):
        return [(BEGINNING, END)] if ref == partner else []
    out = []
    for m in groups[ref.removeprefix("group:")]:
        if m.partner == partner:
            end = END if m.valid_to is None else m.valid_to + dt.timedelta(days=1)
            out.append((m.valid_from, end))
    return out


def covered_on(scope: PartnerScope, partner: str, day: dt.date,
               groups: Mapping[str, list[Membership]]) -> bool:
    """Point test: is ``partner`` within ``scope`` on ``day``?"""

    def member(ref: str) -> bool:
        return any(start <= day < end for start, end in _member_intervals(ref, partner, groups))

    included = scope.include == "all" or any(member(ref) for ref in scope.include)
    return included and not any(member(ref) for ref in scope.exclude)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def subtract(base: list[Interval], holes: list[Interval]) -> list[Interval]:
    out = []
    for start, end in base:
        pieces = [(start, end)]
        for h_start, h_end in holes:
            pieces = [p for s, e in pieces
                      for p in ((s, min(e, h_start)), (max(s, h_end), e)) if p[0] < p[1]]
        out.extend(pieces)
    return merge(out)


def intersect(a: list[Interval], b: list[Interval]) -> list[Interval]:
    out = [(max(s1, s2), min(e1, e2)) for s1, e1 in a for s2, e2 in b]
    return merge((s, e) for s, e in out if s < e)


def coverage(scope: PartnerScope, partner: str,
             groups: Mapping[str, list[Membership]]) -> list[Interval]:
    """Interval form of :func:`covered_on`: the days on which ``partner`` is covered."""
    if scope.include == "all":
        included = [(BEGINNING, END)]
    else:
        included = merge(i for ref in scope.include
                         for i in _member_intervals(ref, partner, groups))
    excluded = merge(i for ref in scope.exclude for i in _member_intervals(ref, partner, groups))
    return subtract(included, excluded)


def partnership_since(epa: EconomicPartnership, partner: str, day: dt.date,
                      groups: Mapping[str, list[Membership]]) -> dt.date | None:
    """The day from which ``epa`` applies to ``partner`` without a break up to ``day``;
    None when it does not apply on ``day``."""
    if epa.parties is not None:
        spans = coverage(epa.parties, partner, groups)
    else:
        spans = merge(_member_intervals("group:epa", partner, {"epa": epa.members}))
    start = max(epa.entry_into_force, BEGINNING)
    return next((max(s, start) for s, e in spans if s <= day < e and start <= day), None)
