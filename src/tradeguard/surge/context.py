"""Small rule-derived tables that label surge flags: tariff steps, safeguard windows, and
agreement entry into force.  Built in Python from the rules (a few hundred rows at most) and
joined to the flags in Ibis.

Definitions (also in ``docs/surges.md``):

* **Tariff step**: the ``valid_from`` of every scheduled rate of a tariff rule *after its
  first* (the first value is the entry into force, which the "new under agreement" label
  covers), for each tariff line the schedule covers and each partner the tariff covers on that
  date.  Its *timing window* is the month containing the step and the month after it (a cut on
  1 April: April and May; importers hold goods back in March and clear them in April).
* **Safeguard window**: for each activation (official in the rules, or computed by the monitor),
  the month before its start, the month of its start, the month of its end and the month after
  it ("just before or after" an activation: shipments rushed in ahead of the snap-back, or held
  back until it ends).
* **Entry into force** of a regime: the agreement's ``entry_into_force`` in the rules (via any
  tariff rule with that regime), else the ``entry_into_force`` of the economic partnership
  whose ``regime`` it is (``rules/library/economic_partnerships.yaml``; the names are
  ``tradeguard.data.regimes``).  ``mfn`` and unknown regimes are never new.

Months are integers ``year * 12 + month - 1`` (``month_index``).  The partner ``*`` stands for
the all-partner series; it receives the steps and windows of every partner.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Sequence

import pyarrow as pa

from tradeguard.rules import schema as s
from tradeguard.rules.law import entry_into_force_by_regime
from tradeguard.rules.loader import RuleSet
from tradeguard.rules.lookup import covers, known_on, normalise_line
from tradeguard.rules.scope import coverage

ALL = "*"

TIMING_SCHEMA = pa.schema([("tariff_line", pa.string()), ("partner", pa.string()),
                           ("mi", pa.int64()), ("timing_kind", pa.string()),
                           ("timing_detail", pa.string())])
EIF_SCHEMA = pa.schema([("regime", pa.string()), ("eif_mi", pa.int64()),
                        ("eif_date", pa.string())])


def month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def month_label(mi: int) -> str:
    return f"{mi // 12:04d}-{mi % 12 + 1:02d}"


def month_start(mi: int) -> dt.date:
    """The first day of month index ``mi`` (the inverse of :func:`month_index`)."""
    return dt.date(mi // 12, mi % 12 + 1, 1)


def regime_entry_into_force(rules: RuleSet) -> dict[str, dt.date]:
    out = entry_into_force_by_regime(rules)
    for tariff in rules.tariffs.values():
        agreement = rules.agreements.get(tariff.agreement)
        if tariff.regime != "mfn" and agreement and agreement.entry_into_force:
            out[tariff.regime] = agreement.entry_into_force
    return out


def eif_table(rules: RuleSet) -> pa.Table:
    eif = regime_entry_into_force(rules)
    return pa.Table.from_pylist([{"regime": r, "eif_mi": month_index(d), "eif_date": d.isoformat()}
                                 for r, d in sorted(eif.items())], EIF_SCHEMA)


def _duty_text(rate: s.DatedDuty) -> str:
    return "none" if rate.duty is None else str(getattr(rate.duty, "text", None) or rate.duty)


def _partners_on(scope: s.PartnerScope, partners: Iterable[str], day: dt.date,
                 rules: RuleSet) -> list[str]:
    return [p for p in partners
            if any(a <= day < b for a, b in coverage(scope, p, rules.groups))]


_Cells = dict[tuple[str, str, int], tuple[str, str]]


def _add_cells(rows: _Cells, covered: Sequence[str], who: Sequence[str], months: Iterable[int],
               kind: str, detail: str) -> None:
    """Label every (line, partner, month) cell, and the all-partner series' cells."""
    for mi in months:
        for line in covered:
            for partner in [*who, ALL]:
                key = (line, partner, mi)
                # one reason per cell, deterministic: the earliest-sorting detail wins
                if key not in rows or (kind, detail) < rows[key]:
                    rows[key] = (kind, detail)


def _tariff_steps(rows: _Cells, rules: RuleSet, lines: Sequence[str],
                  partners: Sequence[str], as_of: dt.date) -> None:
    for rule_id, tariff in sorted(rules.tariffs.items()):
        for sched in tariff.schedules:
            prefixes = [normalise_line(x) for x in sched.lines]
            covered = [ln for ln in lines if covers(prefixes, ln)]
            steps = [(prev, rate) for prev, rate in itertools.pairwise(sched.rates)
                     if known_on(rate, as_of) and rate.valid_from <= as_of]
            for prev, rate in steps if covered else ():
                day = rate.valid_from
                detail = (f"{tariff.regime} tariff step on {day.isoformat()} "
                          f"({_duty_text(prev)} -> {_duty_text(rate)}; {rule_id})")
                _add_cells(rows, covered, _partners_on(tariff.partners, partners, day, rules),
                           (month_index(day), month_index(day) + 1), "tariff step", detail)


def _safeguard_windows(rows: _Cells, rules: RuleSet, lines: Sequence[str],
                       partners: Sequence[str], as_of: dt.date,
                       activations: Sequence[s.Activation]) -> None:
    for act in activations:
        if act.announced_on is not None and act.announced_on > as_of:
            continue
        prefixes = [normalise_line(x) for x in act.lines]
        covered = [ln for ln in lines if covers(prefixes, ln)]
        detail = (f"{act.measure_id} safeguard {act.start.isoformat()} to "
                  f"{act.end.isoformat()} ({act.origin})")
        start, end = month_index(act.start), month_index(act.end)
        _add_cells(rows, covered, _partners_on(act.partners, partners, act.start, rules),
                   sorted({start - 1, start, end, end + 1}), "safeguard window", detail)


def timing_table(rules: RuleSet, lines: Sequence[str], partners: Sequence[str],
                 as_of: dt.date, activations: Sequence[s.Activation] = ()) -> pa.Table:
    """(tariff_line, partner, mi, timing_kind, timing_detail): every month in a tariff-step or
    safeguard window, for the lines and partners present in the data (and partner ``*``)."""
    rows: _Cells = {}
    real_partners = [p for p in partners if p != ALL]
    _tariff_steps(rows, rules, lines, real_partners, as_of)
    _safeguard_windows(rows, rules, lines, real_partners, as_of, activations)
    out = [{"tariff_line": ln, "partner": p, "mi": mi, "timing_kind": k, "timing_detail": d}
           for (ln, p, mi), (k, d) in sorted(rows.items())]
    return pa.Table.from_pylist(out, TIMING_SCHEMA)
