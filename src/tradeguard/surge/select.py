"""Which flags an analyst sees: filters, the materiality threshold, sorting by size, pages.

The CLI, the REST route and the desk all call :func:`select_flags`, so each face shows the same
flags, in the same order, with the same account of what was left out.  A flag is *immaterial*
when its increase over its baseline is under the rules' minimum tonnage or its quantity is
under the rules' minimum share of the line's imports from all partners over the same span
(``rules/library/screens/surge.yaml``, ``materiality``).  Immaterial flags are hidden unless
asked for (``include_immaterial``), and the answer counts them by reason: never silently.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from tradeguard.errors import InputError, problem

SORTS = ("size", "line", "period")
MAX_PER_PAGE = 1000


@dataclass(frozen=True)
class FlagPage:
    """One page of the chosen flags, with the counts that say what the page stands for."""

    flags: pa.Table
    total: int  # the flags that match the filters and are shown (material, or all if asked)
    page: int
    per_page: int | None  # None: every flag on one page (the Python API)
    left_out: dict[str, int] = field(default_factory=dict)  # immaterial flags by reason
    threshold: dict[str, Any] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        if self.per_page is None:
            return 1
        return max(1, math.ceil(self.total / self.per_page))

    def to_dict(self, rows: list[dict[str, Any]]) -> dict[str, Any]:
        return {"total": self.total, "page": self.page, "per_page": self.per_page,
                "pages": self.pages, "left_out": self.left_out,
                "materiality": self.threshold, "flags": rows}


def materiality_mask(flags: pa.Table, rules: Any = None) -> tuple[pa.Array, dict[str, int],
                                                                   dict[str, Any]]:
    """A boolean per flag (material or not), the immaterial counts by reason, and the
    threshold as data (its values, status and the citation's key)."""
    import pyarrow.compute as pc

    from tradeguard.rules.law import surge_materiality
    from tradeguard.rules.loader import shipped_rules

    law = surge_materiality(rules if rules is not None else shipped_rules())
    small = pc.fill_null(pc.less(flags["increase_t"], law.min_increase_t), False)
    minor = pc.fill_null(pc.less(flags["share"], law.min_share), False)
    material = pc.invert(pc.or_(small, minor))
    reasons = {f"increase under {law.min_increase_t:,.0f} t": _count(small),
               f"under {law.min_share:.0%} of the line's imports": _count(minor)}
    unknown = _count(pc.is_null(flags["share"]))
    if unknown:  # a scan without the all-partner series: the share could not be tested
        reasons["share not known (kept)"] = unknown
    threshold = {"min_increase_t": law.min_increase_t, "min_share": law.min_share,
                 "status": law.status, "source": "rules/library/screens/surge.yaml"}
    return material, reasons, threshold


def select_flags(flags: pa.Table, *, min_tonnes: float | None = None,
                 include_immaterial: bool = False, sort: str = "size", page: int = 1,
                 per_page: int | None = 50, rules: Any = None,
                 **filters: str | None) -> FlagPage:
    """The flags matching ``filters`` (those of :func:`tradeguard.surge.api.filter_flags`)
    whose increase is at least ``min_tonnes``, material unless ``include_immaterial``, sorted
    (``size``: largest increase first; ``line``; ``period``) and cut to one page
    (``per_page=None``: every chosen flag, page 1 only)."""
    import pyarrow.compute as pc

    from tradeguard.surge.api import filter_flags

    _check(sort, page, per_page, min_tonnes)
    _check_names(filters.get("label"), filters.get("method"))
    chosen = filter_flags(flags, **filters)
    if min_tonnes is not None:
        chosen = chosen.filter(pc.fill_null(
            pc.greater_equal(chosen["increase_t"], float(min_tonnes)), False))
    material, reasons, threshold = materiality_mask(chosen, rules)
    left_out = {k: v for k, v in reasons.items() if v}
    if not include_immaterial:
        left_out["left out"] = chosen.num_rows - _count(material)
        chosen = chosen.filter(material)
    else:
        left_out["left out"] = 0
    ordered = chosen.sort_by(_SORT_KEYS[sort])
    if per_page is not None:
        ordered = ordered.slice((page - 1) * per_page, per_page)
    return FlagPage(ordered, chosen.num_rows, page, per_page, left_out, threshold)


_SORT_KEYS = {
    "size": [("increase_t", "descending"), ("tariff_line", "ascending"),
             ("partner", "ascending"), ("period", "ascending"), ("method", "ascending")],
    "line": [("tariff_line", "ascending"), ("partner", "ascending"), ("period", "ascending"),
             ("method", "ascending")],
    "period": [("period", "ascending"), ("tariff_line", "ascending"),
               ("partner", "ascending"), ("method", "ascending")],
}


def _count(mask: pa.Array) -> int:
    import pyarrow.compute as pc

    return int(pc.sum(pc.cast(mask, pa.int64())).as_py() or 0)


def _check(sort: str, page: int, per_page: int | None, min_tonnes: float | None) -> None:
    if sort not in SORTS:
        raise InputError(problem(f"unknown sort `{sort}`", where="sort",
                                 fix=f"use one of: {', '.join(SORTS)}"))
    if per_page is None and page != 1:
        raise InputError(problem(f"page {page} of every flag is not a page", where="page",
                                 fix="use page 1 when every flag is asked for"))
    if page < 1 or (per_page is not None and not 1 <= per_page <= MAX_PER_PAGE):
        raise InputError(problem(f"page {page} of {per_page} flags is not a page",
                                 where="page, per_page",
                                 fix=f"use page 1 or more and 1 to {MAX_PER_PAGE} per page"))
    if min_tonnes is not None and (math.isnan(min_tonnes) or min_tonnes < 0):
        raise InputError(problem(f"minimum tonnes {min_tonnes} is not a size",
                                 where="min_tonnes", fix="use 0 or more tonnes, e.g. 100"))


def _check_names(label: str | None, method: str | None) -> None:
    from tradeguard.surge.detect import LABELS
    from tradeguard.surge.methods import DEFAULT_METHODS

    for what, value, known in (("label", label, LABELS), ("method", method, DEFAULT_METHODS)):
        if value and value not in known:
            raise InputError(problem(f"unknown {what} `{value}`", where=what,
                                     fix=f"use one of: {', '.join(known)}"))
