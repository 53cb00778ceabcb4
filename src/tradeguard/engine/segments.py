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
from tradeguard.periods import fiscal_year, fiscal_year_start
from tradeguard.rules import schema as s
from tradeguard.rules.loader import RuleSet
from tradeguard.rules.lookup import covers, known_on, normalise_line
from tradeguard.rules.scope import END, Interval, coverage, dated_intervals, intersect, subtract

DAY = dt.timedelta(days=1)


@dataclass
class Piece:
    """One regime's duty over an interval, with its safeguard flag and any Art. 5.1(b)
    trigger price (JPY/kg) that applies shipment by shipment."""

    start: dt.date
    end: dt.date  # exclusive
    expr: ex.DutyExpression
    safeguard: bool
    trigger_price: float | None = None


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


def _rate_pieces(rates: Sequence[s.DatedDuty], as_of: dt.date,
                 known_from: dt.date | None) -> list[Piece]:
    known = [r for r in rates if known_on(r, as_of, known_from)]
    return [Piece(start, end, rate.duty, False) for start, end, rate in dated_intervals(known)]


def _clip(pieces: Iterable[Piece], allowed: list[Interval]) -> list[Piece]:
    return [Piece(start, end, p.expr, p.safeguard)
            for p in pieces for start, end in intersect([(p.start, p.end)], allowed)]


Window = tuple[Interval, s.Activation]


def _overlay(pieces: list[Piece], windows: list[Window]) -> list[Piece]:
    """Inside each activation window, the safeguard duty replaces the duty or is added to it."""
    for (w_start, w_end), act in windows:
        out = []
        for p in pieces:
            outside = subtract([(p.start, p.end)], [(w_start, w_end)])
            out += [Piece(a, b, p.expr, p.safeguard) for a, b in outside]
            inside = intersect([(p.start, p.end)], [(w_start, w_end)])
            expr = ex.add_duty(p.expr, act.duty) if act.remedy == "add" else act.duty
            out += [Piece(a, b, expr, True) for a, b in inside]
        pieces = sorted(out, key=lambda p: p.start)
    return pieces


def _activation_windows(rules: RuleSet, ledger: Sequence[s.Activation], regime: str, line: str,
                        partner: str, as_of: dt.date) -> list[Window]:
    """Windows in ledger order; an earlier activation wins where two overlap."""
    windows: list[Window] = []
    taken: list[Interval] = []
    for act in ledger:
        if (regime not in act.regimes or not covers(act.lines, line)
                or (act.announced_on is not None and act.announced_on > as_of)):
            continue
        span = intersect([(act.start, act.end + DAY)], coverage(act.partners, partner, rules.groups))
        for start, end in subtract(span, taken):
            windows.append(((start, end), act))
        taken = sorted(taken + span)
    return windows


def _trigger_prices(rules: RuleSet, regime: str, line: str,
                    as_of: dt.date) -> list[tuple[dt.date, dt.date, float]]:
    """Art. 5.1(b) trigger prices for a regime and line, as [start, end) intervals."""
    for rule in sorted(rules.price_safeguards.values(), key=lambda r: r.title):
        if regime not in rule.regimes:
            continue
        for tp in rule.trigger_prices:
            if covers(tp.lines, line):
                rule_end = END if rule.valid_to is None else rule.valid_to + DAY
                signed = rules.agreements[rule.agreement].signed_on
                known = [v for v in tp.prices if known_on(v, as_of, signed)]
                clipped = [(max(a, rule.valid_from), min(b, rule_end), float(v.value))
                           for a, b, v in dated_intervals(known)]
                return [(a, b, price) for a, b, price in clipped if a < b]
    return []


def _with_trigger_prices(pieces: list[Piece],
                         prices: list[tuple[dt.date, dt.date, float]]) -> list[Piece]:
    """Mark the trigger price on pieces outside any volume safeguard (Art. 5.1: not both)."""
    for t_start, t_end, price in prices:
        out = []
        for p in pieces:
            if p.safeguard:
                out.append(p)
                continue
            out += [Piece(a, b, p.expr, False, p.trigger_price)
                    for a, b in subtract([(p.start, p.end)], [(t_start, t_end)])]
            out += [Piece(a, b, p.expr, False, price)
                    for a, b in intersect([(p.start, p.end)], [(t_start, t_end)])]
        pieces = sorted(out, key=lambda p: p.start)
    return pieces


def regime_pieces(rules: RuleSet, ledger: Sequence[s.Activation], line: str, partner: str,
                  as_of: dt.date, include_signed: bool = False,
                  quota_claims: Sequence[str] = ()) -> dict[str, list[Piece]]:
    """Every regime's duty pieces for one (line, partner)."""
    norm = normalise_line(line)
    # (regime, in quota, where it applies, its dated duties, the day they became known)
    offers: list[tuple[str, bool, list[Interval], Sequence[s.DatedDuty], dt.date | None]] = []
    for _rid, tariff in sorted(rules.tariffs.items()):
        schedule = next((sch for sch in tariff.schedules if covers(sch.lines, norm)), None)
        start = rules.agreements[tariff.agreement].in_force_from(include_signed)
        if schedule is not None and start is not None:
            allowed = intersect([(start, END)], coverage(tariff.partners, partner, rules.groups))
            offers.append((tariff.regime, tariff.in_quota, allowed, schedule.rates,
                           rules.agreements[tariff.agreement].signed_on))
    for _rid, quota in sorted(rules.quotas.items()):
        start = rules.agreements[quota.agreement].in_force_from(include_signed)
        if covers(quota.lines, norm) and start is not None and quota.offered(quota_claims):
            until = END if quota.valid_to is None else quota.valid_to + DAY
            allowed = intersect([(max(start, quota.valid_from), until)],
                                coverage(quota.partners, partner, rules.groups))
            offers.append((quota.regime, True, allowed, quota.in_quota_duty,
                           rules.agreements[quota.agreement].signed_on))
    out: dict[str, list[Piece]] = {}
    for regime, in_quota, allowed, rates, known_from in offers:
        pieces = _clip(_rate_pieces(rates, as_of, known_from), allowed)
        if not in_quota:  # in-quota goods never pay a safeguard duty (AoA Art. 5.2)
            pieces = _overlay(pieces, _activation_windows(rules, ledger, regime, norm,
                                                          partner, as_of))
            pieces = _with_trigger_prices(pieces, _trigger_prices(rules, regime, norm, as_of))
        if pieces:
            out.setdefault(regime, []).extend(pieces)
    return out


def fiscal_cuts(start: dt.date, end: dt.date) -> list[Interval]:
    """Split [start, end) at each 1 April."""
    out = []
    while start < end:
        next_fy = fiscal_year_start(fiscal_year(start) + 1)
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
                row[f"{regime}_tp"] = None if hit is None else hit.trigger_price
            rows.append(row)
    return rows
