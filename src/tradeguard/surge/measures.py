"""Check a proposed safeguard measure against the WTO Agreement on Safeguards' time limits.

The limits are rules' data (``rules/library/wto/safeguards_agreement.yaml``, each dated, with
its article, citation and status);
:func:`check_measure` returns every problem found, each citing its article, and never raises
for a non-conforming proposal (only for a malformed one).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

from tradeguard.errors import InputError, problem

YEAR_DAYS = 365.25


@dataclass(frozen=True)
class Limit:
    name: str
    value: float
    article: str
    status: str
    text: str


@lru_cache(maxsize=1)
def limits() -> dict[str, Limit]:
    """The Agreement's limits by name, as the shipped rule library holds them last."""
    from tradeguard.rules.law import safeguard_limits
    from tradeguard.rules.loader import shipped_rules

    return {k: Limit(k, float(value.value), limit.article, value.status, limit.text.strip())
            for k, (limit, value) in safeguard_limits(shipped_rules()).items()}


@dataclass(frozen=True)
class PreviousMeasure:
    start: dt.date
    end: dt.date  # inclusive


@dataclass(frozen=True)
class Proposal:
    """A proposed safeguard measure on one product.

    ``provisional_days``: a provisional measure before the definitive one (0: none).
    ``initial_years`` and ``extension_years``: the definitive measure.  ``liberalisation``:
    the scheduled levels (e.g. additional duty in percent, or quota volume as negative numbers
    are not allowed) by date, which must ease at regular intervals when the measure lasts more
    than a year.  ``previous``: earlier safeguard measures on the same product.
    ``import_shares``: partner -> share of the importing Member's imports (0-1), with
    ``developing_partners`` naming the developing-country Members and ``exempted`` those the
    measure leaves out.  ``developing_member``: the applying Member is a developing country.
    """

    product: str
    start: dt.date
    initial_years: float
    provisional_days: int = 0
    extension_years: float = 0.0
    liberalisation: Sequence[tuple[dt.date, float]] = ()
    previous: Sequence[PreviousMeasure] = ()
    import_shares: Mapping[str, float] = field(default_factory=dict)
    developing_partners: Sequence[str] = ()
    exempted: Sequence[str] = ()
    developing_member: bool = False

    @property
    def total_days(self) -> float:
        return self.provisional_days + (self.initial_years + self.extension_years) * YEAR_DAYS

    @property
    def end(self) -> dt.date:
        return self.start + dt.timedelta(days=round(self.total_days) - 1)


@dataclass(frozen=True)
class MeasureProblem:
    code: str
    article: str
    status: str
    message: str

    def __str__(self) -> str:
        return f"{self.article}: {self.message}"


def _proposal(value: Proposal | Mapping[str, Any]) -> Proposal:
    if isinstance(value, Proposal):
        return value
    try:
        data = dict(value)
        data["start"] = _date(data["start"])
        data["previous"] = tuple(PreviousMeasure(_date(p["start"]), _date(p["end"]))
                                 if isinstance(p, Mapping) else p
                                 for p in data.get("previous", ()))
        data["liberalisation"] = tuple((_date(d), float(v))
                                       for d, v in data.get("liberalisation", ()))
        return Proposal(**data)
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(problem("malformed safeguard proposal", where="check_measure",
                                 why=str(exc),
                                 fix="give product, start (YYYY-MM-DD), initial_years and "
                                     "optionally provisional_days, extension_years, "
                                     "liberalisation, previous, import_shares, "
                                     "developing_partners, exempted, developing_member")) from exc


def _date(v: Any) -> dt.date:
    return v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v))


def check_measure(proposal: Proposal | Mapping[str, Any]) -> list[MeasureProblem]:
    """Every way ``proposal`` breaks the Agreement on Safeguards' limits (empty: none found)."""
    p = _proposal(proposal)
    lim = limits()
    out: list[MeasureProblem] = []

    def add(code: str, limit: Limit, message: str) -> None:
        out.append(MeasureProblem(code, limit.article, limit.status, message))

    prov = lim["provisional_max_days"]
    if p.provisional_days > prov.value:
        add("provisional_too_long", prov,
            f"a provisional measure of {p.provisional_days} days exceeds {prov.value:.0f} days")
    init = lim["initial_max_years"]
    if p.initial_years > init.value:
        add("initial_too_long", init,
            f"an initial period of {p.initial_years:g} years exceeds {init.value:.0f} years "
            f"(extension is possible only after a new finding, Art. 7.2)")
    total_lim = lim["developing_total_max_years"] if p.developing_member \
        else lim["total_max_years"]
    total_years = p.total_days / YEAR_DAYS
    if total_years > total_lim.value + 1e-9:
        add("total_too_long", total_lim,
            f"the total period (provisional {p.provisional_days} days + initial "
            f"{p.initial_years:g} + extension {p.extension_years:g} years = "
            f"{total_years:.2f} years) exceeds {total_lim.value:.0f} years")
    lib = lim["liberalisation_after_years"]
    if total_years > lib.value and not _liberalises(p):
        add("no_liberalisation", lib,
            f"a measure of {total_years:.2f} years (more than {lib.value:.0f}) needs a schedule "
            "that eases it progressively at regular intervals; "
            + ("none was given" if not p.liberalisation else
               "the schedule given does not ease at each step"))
    out += _reapplication(p, lim)
    out += _de_minimis(p, lim)
    return out


def _liberalises(p: Proposal) -> bool:
    steps = sorted(p.liberalisation)
    return len(steps) >= 2 and all(b[1] < a[1] for a, b in itertools.pairwise(steps))


def _reapplication(p: Proposal, lim: dict[str, Limit]) -> list[MeasureProblem]:
    out = []
    wait_lim = lim["reapplication_min_years"]
    short = lim["short_measure_max_days"]
    for prev in p.previous:
        if prev.end >= p.start:
            continue
        prev_days = (prev.end - prev.start).days + 1
        wait_days = max(prev_days, wait_lim.value * YEAR_DAYS)
        if p.developing_member:  # Art. 9.2: half the previous period, at least two years
            wait_days = max(prev_days / 2, wait_lim.value * YEAR_DAYS)
        earliest = prev.end + dt.timedelta(days=round(wait_days))
        if p.start >= earliest:
            continue
        # Art. 7.6: a measure of 180 days or less may come back after one year ...
        if p.total_days <= short.value:
            one_year = prev.end + dt.timedelta(days=round(lim["short_measure_wait_years"].value
                                                          * YEAR_DAYS))
            five_years_ago = p.start - dt.timedelta(days=round(5 * YEAR_DAYS))
            recent = sum(1 for q in p.previous if q.start >= five_years_ago)
            if p.start >= one_year and recent <= lim["short_measure_max_in_5_years"].value:
                continue
        out.append(MeasureProblem(
            "reapplied_too_soon", wait_lim.article if not p.developing_member else "Art. 9.2",
            wait_lim.status,
            f"re-applied on {p.start} to {p.product}, which was under a safeguard from "
            f"{prev.start} to {prev.end} ({prev_days} days); the earliest re-application is "
            f"{earliest} (a period equal to the previous measure's duration, at least "
            f"{wait_lim.value:.0f} years)"))
    return out


def _de_minimis(p: Proposal, lim: dict[str, Limit]) -> list[MeasureProblem]:
    one, together = lim["developing_individual_share_max"], lim["developing_collective_share_max"]
    small = {k: v for k, v in p.import_shares.items()
             if k in set(p.developing_partners) and v <= one.value}
    if not small or sum(small.values()) > together.value:
        return []
    hit = sorted(k for k in small if k not in set(p.exempted))
    if not hit:
        return []
    return [MeasureProblem(
        "de_minimis_not_exempted", one.article, one.status,
        f"developing-country Members {', '.join(hit)} each supply at most "
        f"{one.value:.0%} of imports (together {sum(small.values()):.1%}, not above "
        f"{together.value:.0%}) and must be exempted")]


def problems_as_dicts(found: Sequence[MeasureProblem]) -> list[dict[str, str]]:
    return [asdict(x) for x in found]
