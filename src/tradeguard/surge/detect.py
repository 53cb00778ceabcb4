"""The surge scan: one Ibis expression over canonical import records, on DuckDB or PySpark.

``scan(imports, as_of=...)`` returns one row per flag (see :data:`FLAG_SCHEMA`).  Steps, all in
Ibis (``docs/surges.md`` has the definitions):

1. Keep records whose period ended by ``as_of``; count, never silently drop, records in a unit
   other than kg or of another granularity (``skipped`` in the notes).
2. Sum to line x partner x regime x period, and to the all-partner series ``*``.
3. A complete grid: every series x every period from the data's first to its last period
   (a cross join of the series keys with a period table), left-joined to the sums, so a month
   without imports is a zero, not a gap; lags and moving windows are then plain ROWS frames.
4. Each method (``methods.py``) as window expressions; the flagged rows of every method are
   unioned.
5. Labels from small rule-derived tables (``context.py``) joined in Ibis: ``tariff timing``
   (a tariff-step or safeguard window), ``new under agreement`` (the increase is carried by a
   regime newly used by that partner for that line), else ``surge``.

The notes (counts of rows read, used and skipped by reason) ride on the result's schema
metadata, as the readers do: :func:`tradeguard.data.frames.read_notes`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from typing import Any

import pyarrow as pa

from tradeguard.data.frames import notes_metadata, read_notes
from tradeguard.errors import InputError, problem
from tradeguard.surge import methods as m
from tradeguard.surge.backends import backend_for, register, to_arrow
from tradeguard.surge.context import ALL, eif_table, month_label, timing_table

LABEL_TIMING = "tariff timing"
LABEL_NEW = "new under agreement"
LABEL_SURGE = "surge"
LABELS = (LABEL_SURGE, LABEL_TIMING, LABEL_NEW)

FLAG_SCHEMA = pa.schema([
    ("tariff_line", pa.string()), ("partner", pa.string()), ("period", pa.string()),
    ("method", pa.string()), ("label", pa.string()), ("explanation", pa.string()),
    ("quantity_t", pa.float64()), ("baseline_t", pa.float64()), ("threshold_t", pa.float64()),
    ("increase_t", pa.float64()), ("ratio", pa.float64()), ("z_score", pa.float64()),
    ("band", pa.int64()), ("timing", pa.string()), ("new_regime", pa.string()),
    ("source", pa.string()),
])
_KEYS = ["tariff_line", "partner"]


def scan(imports: Any, *, as_of: dt.date, methods: Sequence[str] | str = m.DEFAULT_METHODS,
         rules: Any = None, backend: Any = None, frequency: str = "auto",
         activations: Iterable[Any] | None = None, all_partners: bool = True,
         min_quantity_kg: float = m.DEFAULT_MIN_QUANTITY_KG, year_start_month: int = 4,
         explain: bool = True) -> pa.Table:
    """Flag import surges in ``imports`` (canonical schema: Ibis table, Arrow or Polars).

    ``backend``: None (the Ibis table's own backend, or an in-memory DuckDB for Arrow),
    ``"duckdb"``, ``"spark"`` or an Ibis backend.  ``frequency``: ``month``, ``year`` or
    ``auto`` (monthly when any month/day record exists).  ``activations``: safeguard
    activations for the timing label (default: the rules' official ones; pass the monitor's
    ``report.activations`` to add computed ones).  ``min_quantity_kg``: the compared quantity
    must reach this (negligible trade is not a surge).  ``year_start_month``: the year of the
    year-to-date methods (4: Japan's fiscal year).  Returns :data:`FLAG_SCHEMA` rows ordered
    by line, partner, period, method; the notes are in the schema metadata.
    """
    import ibis

    from tradeguard.rules.loader import shipped_rules

    chosen = _methods(methods)
    if frequency not in ("auto", "month", "year"):
        raise InputError(problem(f"unknown frequency {frequency!r}", where="scan(frequency=...)",
                                 fix="use month, year or auto"))
    rules = rules if rules is not None else shipped_rules()
    con, t = _bind(imports, backend)
    ended = t.period_end <= ibis.literal(as_of)
    stats = to_arrow(con, t.aggregate(
        total=t.count(),
        rows=ended.sum(),
        monthly=(ended & (t.granularity != "year")).sum(),
        non_kg=(ended & (t.quantity_unit != "kg")).sum(),
        annual_kg=(ended & (t.quantity_unit == "kg") & (t.granularity == "year")).sum(),
    )).to_pylist()[0]
    known = t.filter(ended)
    total, n_known = int(stats["total"]), int(stats["rows"] or 0)
    notes: dict[str, Any] = {"rows": total, "skipped: period ends after as_of": total - n_known}
    if frequency == "auto":
        frequency = "month" if (stats["monthly"] or 0) > 0 else "year"
    per_year = 12 if frequency == "month" else 1
    usable = known.quantity_unit == "kg"
    notes["skipped: unit not kg"] = int(stats["non_kg"] or 0)
    if frequency == "month":
        notes["skipped: annual records in a monthly scan"] = int(stats["annual_kg"] or 0)
        usable = usable & (known.granularity != "year")
    rows = known.filter(usable)
    notes["rows used"] = n_known - sum(v for k, v in notes.items() if k.startswith("skipped")
                                       and k != "skipped: period ends after as_of")
    if not notes["rows used"]:
        return _finish(FLAG_SCHEMA.empty_table(), notes, chosen, frequency, as_of)
    pidx = (rows.period_start.year() * 12 + rows.period_start.month() - 1) if per_year == 12 \
        else rows.period_start.year()
    rows = rows.mutate(mi=pidx.cast("int64"))
    # One pass over the records: monthly sums per line, partner and regime, cached in the
    # backend (DuckDB or Spark); the span, the keys and the scan all read the sums.
    by_regime = (rows.mutate(regime_key=rows.regime.fill_null(""))
                 .group_by([*_KEYS, "regime_key", "mi"])
                 .aggregate(q=rows.quantity.sum())).cache()
    span = to_arrow(con, by_regime.aggregate(lo=by_regime.mi.min(),
                                             hi=by_regime.mi.max())).to_pylist()[0]
    # the last period is complete: every record kept ended by as_of
    lo, hi = int(span["lo"]), int(span["hi"])
    notes["periods"] = f"{_period(lo, per_year)} to {_period(hi, per_year)}"
    pairs = to_arrow(con, by_regime.select("tariff_line", "partner").distinct())
    lines = sorted(set(pairs["tariff_line"].to_pylist()))
    partners = sorted(set(pairs["partner"].to_pylist()))
    acts = list(rules.activations) if activations is None else list(activations)
    timing = timing_table(rules, lines, [*partners, ALL], as_of, acts)
    if per_year == 1:  # annual data: the step's year
        timing = _timing_years(timing)
    has_regimes = bool(to_arrow(con, by_regime.filter(by_regime.regime_key != "").limit(1)
                                .count().as_table()).column(0)[0].as_py())
    flags = _expression(con, by_regime, lo, hi, per_year, chosen,
                        year_start_month, min_quantity_kg, all_partners,
                        register(con, eif_table(rules)), register(con, timing), has_regimes)
    out = to_arrow(con, flags)
    return _finish(_present(out, per_year, explain), notes, chosen, frequency, as_of)


# --------------------------------------------------------------------------- the expression

def _expression(con, by_regime, lo: int, hi: int, per_year: int, chosen: Sequence[str],
                year_start_month: int, min_kg: float, all_partners: bool, eif, timing,
                has_regimes: bool = True):
    """The scan over ``by_regime``: monthly sums per line, partner, regime and period.

    Without any claimed regime in the data (e.g. UN Comtrade) nothing can be "new under
    agreement", and the sums already are the series: the regime passes are skipped.
    """
    import ibis
    from ibis import _

    lookbacks = sorted({m.METHODS[x].lookback_years for x in chosen})
    if not has_regimes:
        empty = {}
        for years in lookbacks:
            empty[f"new{years}"] = ibis.literal(0.0, "float64")
            empty[f"newreg{years}"] = ibis.null("string")
        series = by_regime.select(*_KEYS, "mi", "q", **empty)
        return _series_scan(con, series, list(empty), lo, hi, per_year, chosen,
                            year_start_month, min_kg, all_partners, timing)
    first = (by_regime.filter(_.q > 0).group_by([*_KEYS, "regime_key"])
             .aggregate(first_mi=_.mi.min()))
    eif_p = eif.mutate(eif_p=(eif.eif_mi if per_year == 12 else (eif.eif_mi / 12).floor())
                       .cast("int64"))
    first = first.join(eif_p, first.regime_key == eif_p.regime).select(
        *_KEYS, "regime_key", "first_mi", "eif_date", is_new_regime=_.first_mi >= _.eif_p)
    br = by_regime.left_join(first, [*_KEYS, "regime_key"]).select(
        *_KEYS, "regime_key", "mi", "q", "first_mi", is_new=_.is_new_regime.fill_null(False))
    cols = {}
    for years in lookbacks:
        new = br.is_new & (br.mi - br.first_mi < years * per_year)
        cols[f"new{years}"] = ibis.ifelse(new, br.q, 0.0)
        cols[f"newreg{years}"] = ibis.ifelse(new, br.regime_key, ibis.null("string"))
    br = br.mutate(**cols)
    aggs = {"q": br.q.sum()}
    for name in cols:
        aggs[name] = br[name].sum() if name.startswith("new") and "reg" not in name \
            else br[name].min()
    series = br.group_by([*_KEYS, "mi"]).aggregate(**aggs)
    return _series_scan(con, series, list(cols), lo, hi, per_year, chosen, year_start_month,
                        min_kg, all_partners, timing)


def _series_scan(con, series, cols: list[str], lo: int, hi: int, per_year: int,
                 chosen: Sequence[str], year_start_month: int, min_kg: float,
                 all_partners: bool, timing):
    """The methods over monthly series per line and partner (plus all partners)."""
    import ibis

    aggs = {"q": None, **dict.fromkeys(cols)}
    if all_partners:
        star_aggs = {k: (series[k].sum() if not k.startswith("newreg") else series[k].min())
                     for k in aggs}
        star = series.group_by(["tariff_line", "mi"]).aggregate(**star_aggs).mutate(
            partner=ibis.literal(ALL))
        series = series.union(star.select(series.columns))

    periods = register(con, pa.table({"mi": pa.array(range(lo, hi + 1), pa.int64())}))
    keys = series.select(*_KEYS).distinct()
    grid = keys.cross_join(periods)
    g = grid.left_join(series, [*_KEYS, "mi"]).select(
        *_KEYS, "mi", **{k: series[k] if k.startswith("newreg") else series[k].fill_null(0.0)
                         for k in aggs})
    w_all = ibis.window(group_by=_KEYS, order_by="mi")
    fy = ((g.mi - (year_start_month - 1)) / 12).floor().cast("int64") if per_year == 12 \
        else g.mi
    g = g.mutate(fy=fy, since=g.mi - lo)
    w_year = ibis.window(group_by=[*_KEYS, "fy"], order_by="mi")
    ytd = {"ytd": g.q.cumsum(group_by=[*_KEYS, "fy"], order_by="mi")} if per_year == 12 \
        else {"ytd": g.q}
    for name in aggs:
        if name.startswith("new") and "reg" not in name:
            ytd[f"{name}_ytd"] = (g[name].cumsum(group_by=[*_KEYS, "fy"], order_by="mi")
                                  if per_year == 12 else g[name])
    g = g.mutate(**ytd)
    parts = []
    for name in chosen:
        builder = {"fao130": _fao130, "ssm": _ssm, "zscore": _zscore, "art5": _art5}[name]
        parts.append(builder(g, per_year, w_all, w_year, min_kg, year_start_month, lo))
    flags = parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]
    labelled = flags.left_join(timing, [*_KEYS, "mi"])
    excess = labelled.compared - labelled.threshold
    is_new = (labelled.new_q > 0) & (labelled.new_q >= excess)
    return labelled.select(
        *_KEYS, "mi", "method", "compared", "baseline", "threshold", "ratio", "z", "band",
        "new_q", "timing_detail", new_regime=ibis.ifelse(is_new, labelled.new_regime,
                                                         ibis.null("string")),
        label=ibis.cases((labelled.timing_kind.notnull(), LABEL_TIMING), (is_new, LABEL_NEW),
                         else_=LABEL_SURGE),
    ).order_by([*_KEYS, "mi", "method"])


def _flag_select(t, method: str, cond, compared, baseline, threshold, *, z=None, band=None,
                 years: int, cumulative: bool):
    import ibis

    new_q = t[f"new{years}_ytd"] if cumulative else t[f"new{years}"]
    ratio = ibis.ifelse(baseline > 0, compared / baseline, ibis.null("float64"))
    # Materialise every (window) expression as a column first: a window expression used after
    # a filter would be evaluated again over the filtered rows only.
    cols = t.select(
        *_KEYS, "mi", method=ibis.literal(method), compared=compared.cast("float64"),
        baseline=baseline.cast("float64"), threshold=threshold.cast("float64"),
        ratio=ratio.cast("float64"),
        z=(z if z is not None else ibis.null("float64")).cast("float64"),
        band=(band if band is not None else ibis.null("int64")).cast("int64"),
        new_q=new_q.cast("float64"), new_regime=t[f"newreg{years}"],
        flagged=cond.fill_null(False))
    return cols.filter(cols.flagged).drop("flagged")


def _rows(w_all, preceding: int):
    import ibis

    # ROWS BETWEEN n PRECEDING AND 1 PRECEDING is not portable (DuckDB rejects a negative
    # FOLLOWING): callers lag the column by one period and use this n-row frame ending there.
    return ibis.window(group_by=_KEYS, order_by="mi", preceding=preceding - 1, following=0)


def _fao130(g, per_year, w_all, w_year, min_kg, ysm, lo):
    span = 3 * per_year
    g = g.mutate(q_prev=g.q.lag(1).over(w_all))
    base = g.q_prev.mean().over(_rows(w_all, span))
    return _flag_select(g, "fao130", (g.since >= span) & (g.q >= min_kg)
                        & (g.q > m.FAO_RATIO * base), g.q, base, m.FAO_RATIO * base,
                        years=3, cumulative=False)


def _ssm(g, per_year, w_all, w_year, min_kg, ysm, lo):
    import ibis

    lags = [g.ytd.lag(k * per_year).over(w_all) for k in (1, 2, 3)]
    base = (lags[0] + lags[1] + lags[2]) / 3
    band = ibis.cases(*((g.ytd > r * base, ibis.literal(b)) for r, b, _ in m.SSM_BANDS),
                      else_=ibis.literal(0))
    ok = (g.since >= 3 * per_year) & (base > 0) & (g.ytd >= min_kg)
    band = ibis.ifelse(ok, band, 0)
    t = g.mutate(band=band)
    prev = t.band.lag(1).over(w_year).fill_null(0) if per_year == 12 else ibis.literal(0)
    t = t.mutate(prev_band=prev)
    threshold = 1.10 * base
    return _flag_select(t, "ssm", (t.band > 0) & (t.band > t.prev_band), t.ytd, base,
                        threshold, band=t.band, years=3, cumulative=True)


def _zscore(g, per_year, w_all, w_year, min_kg, ysm, lo):
    import ibis

    window = m.Z_WINDOW[per_year]
    prev = g.q.lag(per_year).over(w_all)
    t = g.mutate(prev=prev,
                 gr=((g.q + m.Z_EPSILON_KG) / (prev.fill_null(0.0) + m.Z_EPSILON_KG)).ln())
    w = _rows(w_all, window)
    t = t.mutate(gr_prev=t.gr.lag(1).over(w_all))
    med = t.gr_prev.median().over(w)
    iqr = t.gr_prev.quantile(0.75).over(w) - t.gr_prev.quantile(0.25).over(w)
    scale = ibis.greatest(iqr / 1.349, ibis.literal(m.Z_MIN_SCALE))
    t = t.mutate(med=med, scale=scale)
    t = t.mutate(z=(t.gr - t.med) / t.scale)
    # the quantity at which z would reach the cut-off, for the explanation
    threshold = (t.prev + m.Z_EPSILON_KG) * (t.med + m.Z_CUTOFF * t.scale).exp() - m.Z_EPSILON_KG
    return _flag_select(t, "zscore", (t.since >= per_year + window) & (t.q >= min_kg)
                        & (t.z >= m.Z_CUTOFF) & (t.q > t.prev), t.q, t.prev, threshold,
                        z=t.z, years=4, cumulative=False)


def _art5(g, per_year, w_all, w_year, min_kg, ysm, lo):
    import ibis

    yearly = g.group_by([*_KEYS, "fy"]).aggregate(yt=g.q.sum(), n=g.mi.count(),
                                                  first=g.mi.min())
    wy = ibis.window(group_by=_KEYS, order_by="fy")
    lags = {f"y{k}": yearly.yt.lag(k).over(wy) for k in (1, 2, 3)}
    firsts = yearly.first.lag(3).over(wy)
    yearly = yearly.mutate(**lags, first3=firsts)
    yearly = yearly.select(*_KEYS, "fy", m3=(yearly.y1 + yearly.y2 + yearly.y3) / 3,
                           complete=(yearly.first3 >= lo) & yearly.first3.notnull())
    # the three preceding years must be complete years of data: the oldest starts at its
    # year's first period (the data may begin mid-year)
    t = g.join(yearly, [*_KEYS, "fy"])
    start_ok = ((t.mi - (ysm - 1)) % 12 == 0) if per_year == 12 else ibis.literal(True)
    t = t.mutate(first_of_year=start_ok)
    trigger = m.ART5_RATIO * t.m3
    prev_ytd = t.ytd - t.q
    oldest_complete = _oldest_complete(t, per_year, ysm, lo)
    cond = (t.complete & oldest_complete & (t.m3 > 0) & (t.ytd >= min_kg) & (t.ytd > trigger)
            & (prev_ytd <= trigger))
    return _flag_select(t, "art5", cond, t.ytd, t.m3, trigger, years=4, cumulative=True)


def _oldest_complete(t, per_year, ysm, lo):
    if per_year == 1:
        return t.fy - 3 >= lo
    first_full_fy = (lo - (ysm - 1) + 11) // 12  # the first fiscal year starting on/after lo
    return t.fy - 3 >= first_full_fy


# --------------------------------------------------------------------------- helpers

def _methods(methods: Sequence[str] | str) -> list[str]:
    if isinstance(methods, str):
        methods = [x.strip() for x in methods.split(",") if x.strip()]
    unknown = [x for x in methods if x not in m.METHODS]
    if unknown or not methods:
        raise InputError(problem(f"unknown surge method(s): {', '.join(unknown) or '(none)'}",
                                 where="methods=",
                                 fix=f"use one or more of: {', '.join(m.METHODS)}"))
    return list(dict.fromkeys(methods))


def _bind(imports: Any, backend: Any):
    import ibis

    if isinstance(imports, ibis.Table):
        con = imports.get_backend() if backend is None else backend_for(backend)
        if backend is not None and con is not imports.get_backend():
            raise InputError(problem("the imports table lives in another backend",
                                     where="scan(backend=...)",
                                     fix="pass Arrow data, or a table of that backend"))
        return con, imports
    if hasattr(imports, "to_arrow") and not isinstance(imports, pa.Table):
        imports = imports.to_arrow()  # Polars
    if not isinstance(imports, pa.Table):
        raise InputError(problem(f"cannot scan a {type(imports).__name__}", where="scan(imports)",
                                 fix="pass an Ibis table, a pyarrow Table or a Polars DataFrame "
                                     "in the canonical import schema"))
    con = backend_for(backend)
    return con, register(con, imports)


def _period(idx: int, per_year: int) -> str:
    return month_label(idx) if per_year == 12 else f"{idx:04d}"


def _timing_years(timing: pa.Table) -> pa.Table:
    import pyarrow.compute as pc

    years = pc.cast(pc.floor(pc.divide(pc.cast(timing["mi"], pa.float64()), 12.0)), pa.int64())
    t = timing.set_column(timing.schema.get_field_index("mi"), "mi", years)
    seen, keep = set(), []
    for i, key in enumerate(zip(t["tariff_line"].to_pylist(), t["partner"].to_pylist(),
                                t["mi"].to_pylist(), strict=True)):
        if key not in seen:
            seen.add(key)
            keep.append(i)
    return t.take(keep)


def _present(out: pa.Table, per_year: int, explain: bool) -> pa.Table:
    d = out.to_pydict()
    n = out.num_rows
    t = [None if v is None else v / 1000.0 for v in d["compared"]]
    base = [None if v is None else v / 1000.0 for v in d["baseline"]]
    thr = [None if v is None else v / 1000.0 for v in d["threshold"]]
    inc = [None if a is None or b is None else a - b for a, b in zip(t, base, strict=True)]
    periods = [_period(i, per_year) for i in d["mi"]]
    sources = [m.METHODS[x].source for x in d["method"]]
    expl = [_explain(d, i, periods[i], t[i], base[i], thr[i], inc[i]) if explain else ""
            for i in range(n)]
    return pa.table({
        "tariff_line": d["tariff_line"], "partner": d["partner"], "period": periods,
        "method": d["method"], "label": d["label"], "explanation": expl,
        "quantity_t": t, "baseline_t": base, "threshold_t": thr, "increase_t": inc,
        "ratio": d["ratio"], "z_score": d["z"], "band": d["band"],
        "timing": d["timing_detail"], "new_regime": d["new_regime"], "source": sources,
    }, FLAG_SCHEMA)


def _fmt_t(v: float | None) -> str:
    return "n/a" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:,.1f} t"


def _explain(d: dict, i: int, period: str, q, base, thr, inc) -> str:
    method = d["method"][i]
    who = "all partners" if d["partner"][i] == ALL else d["partner"][i]
    head = f"{d['tariff_line'][i]} from {who}, {period}: "
    ratio = d["ratio"][i]
    pct = "" if ratio is None else f" ({ratio:.0%} of it)"
    if method == "fao130":
        body = (f"{_fmt_t(q)} imported, {_fmt_t(inc)} above the three-year moving average of "
                f"{_fmt_t(base)} a period{pct}; the FAO screen flags more than 130% "
                f"({_fmt_t(thr)}).")
    elif method == "ssm":
        band = next(text for _r, b, text in m.SSM_BANDS if b == d["band"][i])
        body = (f"{_fmt_t(q)} imported so far this year against a pro-rated base of "
                f"{_fmt_t(base)} (the same months of the three preceding years){pct}: {band} "
                f"(Doha SSM draft, TN/AG/W/4/Rev.4; bands unconfirmed).")
    elif method == "zscore":
        body = (f"{_fmt_t(q)} imported against {_fmt_t(base)} a year earlier "
                f"(+{_fmt_t(inc)}); year-on-year growth is {d['z'][i]:.1f} robust standard "
                f"deviations above its median of the preceding periods (cut-off "
                f"{m.Z_CUTOFF}, reached at {_fmt_t(thr)}).")
    else:
        body = (f"{_fmt_t(q)} imported so far this year crosses the Art. 5 volume screen of "
                f"{_fmt_t(thr)} (125% of the three-year average of {_fmt_t(base)}; WTO AoA "
                f"Art. 5.1(a), 5.4, consumption not taken into account).")
    label = d["label"][i]
    if label == LABEL_TIMING:
        tail = (f" Labelled tariff timing: {d['timing_detail'][i]}; importers hold goods back "
                f"for a scheduled cut (or around a safeguard), so the spike is a shift in timing.")
    elif label == LABEL_NEW:
        tail = (f" Labelled new under agreement: the increase is carried by imports under "
                f"{d['new_regime'][i]}, newly used for this line and partner, whose comparison "
                f"base predates that use; not a surge.")
    else:
        tail = " No tariff step, safeguard window or new agreement explains it."
    return head + body + tail


def _finish(flags: pa.Table, notes: dict[str, Any], chosen, frequency, as_of) -> pa.Table:
    notes = {**notes, "methods": ",".join(chosen), "frequency": frequency,
             "as_of": as_of.isoformat(), "flags": flags.num_rows}
    return flags.replace_schema_metadata(notes_metadata(notes))


def scan_notes(flags: pa.Table) -> dict[str, Any]:
    """The counts attached by :func:`scan` (rows read, used, skipped by reason, periods ...)."""
    return read_notes(flags)
