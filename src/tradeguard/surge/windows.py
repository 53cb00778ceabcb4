"""The four methods as window columns over the complete grid, in three shared window passes.

Each window clause a database sees is a sort of the whole grid (DuckDB sorts once per
distinct PARTITION BY / ORDER BY in a SELECT; window expressions with the same partition and
order share that sort, whatever their frames).  The methods therefore do not each add their
own windows one after the other (that was eight sorts of the grid for the four methods): their
window columns are gathered by stage, and every stage is one SELECT with one partition:

1. ``year`` -- per series and (fiscal) year, by period: the year-to-date sums and the year
   totals (Art. 5);
2. ``lag`` -- per series, by period: the moving averages and every lag (fao130's base, the
   z-score's year-ago quantity, the SSM's and Art. 5's year-ago year-to-date and totals);
3. ``lag2`` -- per series, by period, over columns the ``lag`` stage made: the z-score's
   quartiles of growth and the SSM's band one period back.

Between the stages, plain columns (``derive``) only.  The grid rows carry ``sid`` (series id),
``mi`` (period index), ``fy`` (fiscal year), ``fm`` (the period's index within its fiscal
year), ``since`` (periods since the data's first), ``q`` and, for the yearly methods, ``ytd``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tradeguard.surge import methods as m

STAGES = ("year", "lag", "derive", "lag2")


@dataclass(frozen=True)
class Context:
    per_year: int
    min_kg: float
    lo: int  # the data's first period
    first_full_year: int  # the first (fiscal) year that the data cover from its first period


def method_columns(g, chosen: Sequence[str], ctx: Context, amounts: Sequence[str] = ()):
    """``g`` with every stage's columns of the ``chosen`` methods, and each method's answer
    columns (``flag``, ``compared``, ``baseline``, ``threshold`` and extras) as
    ``{"<method>_<column>": expression}`` over the returned table.

    ``amounts``: further quantity columns (the "new under agreement" ones) whose
    year-to-date sums the yearly methods' labels read.
    """
    yearly = bool({"ssm", "art5"} & set(chosen))  # only the yearly methods read year-to-date
    for stage in STAGES:
        cols: dict[str, Any] = (_year_to_date(g, ["q", *amounts], ctx.per_year)
                                if stage == "year" and yearly else {})
        for name in chosen:
            step = _METHODS[name].get(stage)
            cols.update(step(g, ctx) if step else {})
        if cols:
            g = g.mutate(**cols)
    wide: dict[str, Any] = {}
    for name in chosen:
        wide.update({f"{name}_{k}": v for k, v in _METHODS[name]["final"](g, ctx).items()})
    return g, wide


def _year_to_date(g, columns: Sequence[str], per_year: int) -> dict[str, Any]:
    names = {k: "ytd" if k == "q" else f"{k}_ytd" for k in columns}
    if per_year != 12:
        return {names[k]: g[k] for k in columns}
    return {names[k]: g[k].sum().over(_year_window(rows=(None, 0))) for k in columns}


def _year_window(rows):
    """Per series and year, ordered by period: the ``year`` stage's sort."""
    import ibis

    return ibis.window(group_by=["sid", "fy"], order_by="mi", rows=rows)


def _before(preceding: int):
    """The ``preceding`` periods before the current one, per series (not the current one)."""
    import ibis

    return ibis.window(group_by="sid", order_by="mi", rows=(-preceding, -1))


def _series_window():
    import ibis

    return ibis.window(group_by="sid", order_by="mi")


def _columns(flag, compared, baseline, threshold, **extra) -> dict[str, Any]:
    return {"flag": flag.fill_null(False), "compared": compared.cast("float64"),
            "baseline": baseline.cast("float64"), "threshold": threshold.cast("float64"),
            **extra}


# --------------------------------------------------------------------------- fao130

def _fao130_lag(g, ctx: Context):
    return {"fao130_base": g.q.mean().over(_before(3 * ctx.per_year))}


def _fao130_final(g, ctx: Context):
    span = 3 * ctx.per_year
    threshold = m.FAO_RATIO * g.fao130_base
    flag = (g.since >= span) & (g.q >= ctx.min_kg) & (g.q > threshold)
    return _columns(flag, g.q, g.fao130_base, threshold)


# --------------------------------------------------------------------------- ssm

def _ssm_lag(g, ctx: Context):
    p = ctx.per_year
    return {f"ssm_l{k}": g.ytd.lag(k * p).over(_series_window()) for k in (1, 2, 3)}


def _ssm_derive(g, ctx: Context):
    import ibis

    p = ctx.per_year
    base = (g.ssm_l1 + g.ssm_l2 + g.ssm_l3) / 3
    band = ibis.cases(*((g.ytd > b.trigger_ratio * base, ibis.literal(b.band))
                        for b in m.SSM_BANDS), else_=ibis.literal(0))
    ok = (g.since >= 3 * p) & (base > 0) & (g.ytd >= ctx.min_kg)
    return {"ssm_base": base, "ssm_band": ibis.ifelse(ok, band, 0)}


def _ssm_lag2(g, ctx: Context):
    """The band one period back within the same year: on the complete grid, the previous row
    of the series, unless this is the year's first period (then no band yet)."""
    import ibis

    if ctx.per_year != 12:
        return {"ssm_prev_band": ibis.literal(0)}
    prev = g.ssm_band.lag(1).over(_series_window())
    return {"ssm_prev_band": ibis.ifelse(g.fm == 0, 0, prev.fill_null(0))}


def _ssm_final(g, ctx: Context):
    flag = (g.ssm_band > 0) & (g.ssm_band > g.ssm_prev_band)
    return _columns(flag, g.ytd, g.ssm_base, m.SSM_LOWEST.trigger_ratio * g.ssm_base,
                    band=g.ssm_band)


# --------------------------------------------------------------------------- zscore

def _zscore_lag(g, ctx: Context):
    return {"z_prev": g.q.lag(ctx.per_year).over(_series_window())}


def _zscore_derive(g, ctx: Context):
    return {"z_gr": ((g.q + m.Z_EPSILON_KG) / (g.z_prev.fill_null(0.0) + m.Z_EPSILON_KG)).ln()}


def _zscore_lag2(g, ctx: Context):
    # the three quartiles from one windowed aggregate (one sort of each frame, not three)
    return {"z_q": g.z_gr.quantile([0.25, 0.5, 0.75]).over(_before(m.Z_WINDOW[ctx.per_year]))}


def _zscore_final(g, ctx: Context):
    import ibis

    p = ctx.per_year
    med = g.z_q[1]
    scale = ibis.greatest((g.z_q[2] - g.z_q[0]) / 1.349, ibis.literal(m.Z_MIN_SCALE))
    z = (g.z_gr - med) / scale
    # the quantity at which z would reach the cut-off, for the explanation
    threshold = ((g.z_prev + m.Z_EPSILON_KG) * (med + m.Z_CUTOFF * scale).exp()
                 - m.Z_EPSILON_KG)
    flag = ((g.since >= p + m.Z_WINDOW[p]) & (g.q >= ctx.min_kg) & (z >= m.Z_CUTOFF)
            & (g.q > g.z_prev))
    return _columns(flag, g.q, g.z_prev, threshold, z=z.cast("float64"))


# --------------------------------------------------------------------------- art5

def _art5_year(g, ctx: Context):
    import ibis

    # no ORDER BY: DuckDB sums a whole partition faster unordered (same partition, same sort)
    return {"art5_year": g.q.sum().over(ibis.window(group_by=["sid", "fy"]))}


def _art5_lag(g, ctx: Context):
    """On the complete grid, the row one year back (``per_year`` rows) lies in the preceding
    year, so the preceding years' totals are lags of the year total: no yearly table to join."""
    p = ctx.per_year
    return {f"art5_l{k}": g.art5_year.lag(k * p).over(_series_window()) for k in (1, 2, 3)}


def _art5_final(g, ctx: Context):
    m3 = (g.art5_l1 + g.art5_l2 + g.art5_l3) / 3
    trigger = m.ART5_BASE_TRIGGER * m3
    # the three preceding years must be complete years of data: the oldest starts at its
    # year's first period (the data may begin mid-year)
    oldest_complete = g.fy - 3 >= ctx.first_full_year
    flag = (oldest_complete & (m3 > 0) & (g.ytd >= ctx.min_kg) & (g.ytd > trigger)
            & (g.ytd - g.q <= trigger))
    return _columns(flag, g.ytd, m3, trigger)


_METHODS: dict[str, dict[str, Callable[..., dict[str, Any]]]] = {
    "fao130": {"lag": _fao130_lag, "final": _fao130_final},
    "ssm": {"lag": _ssm_lag, "derive": _ssm_derive, "lag2": _ssm_lag2, "final": _ssm_final},
    "zscore": {"lag": _zscore_lag, "derive": _zscore_derive, "lag2": _zscore_lag2,
               "final": _zscore_final},
    "art5": {"year": _art5_year, "lag": _art5_lag, "final": _art5_final},
}
