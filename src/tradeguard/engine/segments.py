"""Compile the rules into elementary date segments for the batch engine.

For each (tariff line, partner) that occurs in the data, the timeline is cut at
every date where any option's duty can change (rate steps, agreement entry into
force, group membership, safeguard activations) and at every fiscal-year start.
Each piece carries, per regime, the duty expression in force.  The batch engine
then needs one equality join on (line, partner, fiscal year) plus a date range
test, with one or two candidate pieces per declaration.

This is interval arithmetic over the rules, done once per distinct key; the
scalar path answers point questions from the same rules by a different route,
and the two are tested equal.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from tradeguard.engine import expressions as ex
from tradeguard.rules import schema as s
from tradeguard.rules.loader import RuleSet
from tradeguard.rules.lookup import covers, known_on, normalise_line
from tradeguard.rules.scope import END, Interval, coverage, intersect, subtract

DAY = dt.timedelta(days=1)


@dataclass
class Piece:
    """One regime's duty over an interval, with its safeguard flag."""

    start: dt.date
    end: dt.date  # exclusive
    expr: ex.DutyExpression
    safeguard: bool


@dataclass
class Catalogue:
    """Distinct duty expressions, numbered so a column can refer to them."""

    exprs: list[ex.DutyExpression] = field(default_factory=list)
    _index: dict[str, int] = field(default_factory=dict)

    def id_of(self, expr: ex.DutyExpression) -> int:
        key = expr.model_dump_json()
        if key not in self._index:
            self._index[key] = len(self.exprs)
            self.exprs.append(expr)
        return self._index[key]


def _rate_pieces(rates: Sequence[s.DatedDuty], as_of: dt.date) -> list[Piece]:
    known = [r for r in rates if known_on(r, as_of)]
    pieces = []
    for i, rate in enumerate(known):
        end = known[i + 1].valid_from if i + 1 < len(known) else END
        if rate.valid_to is not None:
            end = min(end, rate.valid_to + DAY)
        if rate.duty is not None and rate.valid_from < end:
            pieces.append(Piece(rate.valid_from, end, rate.duty, False))
    return pieces


def _clip(pieces: Iterable[Piece], allowed: list[Interval]) -> list[Piece]:
    return [Piece(start, end, p.expr, p.safeguard)
            for p in pieces for start, end in intersect([(p.start, p.end)], allowed)]


def _overlay(pieces: list[Piece], windows: list[tuple[Interval, ex.DutyExpression]]) -> list[Piece]:
    """Replace the duty by the safeguard duty inside each activation window."""
    for (w_start, w_end), sg_expr in windows:
        out = []
        for p in pieces:
            outside = subtract([(p.start, p.end)], [(w_start, w_end)])
            out += [Piece(a, b, p.expr, p.safeguard) for a, b in outside]
            inside = intersect([(p.start, p.end)], [(w_start, w_end)])
            out += [Piece(a, b, sg_expr, True) for a, b in inside]
        pieces = sorted(out, key=lambda p: p.start)
    return pieces


def _activation_windows(rules: RuleSet, ledger: Sequence[s.Activation], regime: str, line: str,
                        partner: str, as_of: dt.date) -> list[tuple[Interval, ex.DutyExpression]]:
    """Windows in ledger order; an earlier activation wins where two overlap."""
    windows: list[tuple[Interval, ex.DutyExpression]] = []
    taken: list[Interval] = []
    for act in ledger:
        if (regime not in act.regimes or not covers(act.lines, line)
                or (act.announced_on is not None and act.announced_on > as_of)):
            continue
        span = intersect([(act.start, act.end + DAY)], coverage(act.partners, partner, rules.groups))
        for start, end in subtract(span, taken):
            windows.append(((start, end), act.duty))
        taken = sorted(taken + span)
    return windows


def regime_pieces(rules: RuleSet, ledger: Sequence[s.Activation], line: str, partner: str,
                  as_of: dt.date, include_signed: bool = False) -> dict[str, list[Piece]]:
    """Every regime's duty pieces for one (line, partner)."""
    norm = normalise_line(line)
    out: dict[str, list[Piece]] = {}
    for _rid, tariff in sorted(rules.tariffs.items()):
        schedule = next((sch for sch in tariff.schedules if covers(sch.lines, norm)), None)
        if schedule is None:
            continue
        agreement = rules.agreements[tariff.agreement]
        if agreement.status == "signed" and not include_signed:
            continue
        in_force = ([(agreement.entry_into_force, END)] if agreement.entry_into_force
                    else [(dt.date.min, END)])
        allowed = intersect(in_force, coverage(tariff.partners, partner, rules.groups))
        pieces = _clip(_rate_pieces(schedule.rates, as_of), allowed)
        if not tariff.in_quota:  # in-quota goods never pay a safeguard duty (AoA Art. 5.2)
            pieces = _overlay(pieces, _activation_windows(rules, ledger, tariff.regime, norm,
                                                          partner, as_of))
        if pieces:
            out.setdefault(tariff.regime, []).extend(pieces)
    return out


def fiscal_year(day: dt.date, start_month: int = 4) -> int:
    return day.year - (1 if day.month < start_month else 0)


def fiscal_cuts(start: dt.date, end: dt.date) -> list[Interval]:
    """Split [start, end) at each 1 April."""
    out = []
    while start < end:
        next_fy = dt.date(fiscal_year(start) + 1, 4, 1)
        stop = min(end, next_fy)
        out.append((start, stop))
        start = stop
    return out


def elementary_rows(pieces: dict[str, list[Piece]], lo: dt.date, hi: dt.date,
                    catalogue: Catalogue) -> list[dict]:
    """Cut [lo, hi] into pieces where no regime's duty changes and no fiscal year ends.

    Each row: start, end (exclusive), fy, and per regime ``<regime>_expr`` (catalogue id
    or None) and ``<regime>_sg`` (bool).
    """
    cuts = {lo, hi + DAY}
    for plist in pieces.values():
        for p in plist:
            cuts.update(d for d in (p.start, p.end) if lo < d <= hi)
    bounds = sorted(cuts)
    rows = []
    for a, b in itertools.pairwise(bounds):
        for start, end in fiscal_cuts(a, b):
            row: dict = {"start": start, "end": end, "fy": fiscal_year(start)}
            for regime, plist in pieces.items():
                hit = next((p for p in plist if p.start <= start < p.end), None)
                row[f"{regime}_expr"] = None if hit is None else catalogue.id_of(hit.expr)
                row[f"{regime}_sg"] = bool(hit and hit.safeguard)
            rows.append(row)
    return rows
