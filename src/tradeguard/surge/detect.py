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
from collections.abc import Iterable, Sequence
from typing import Any

import pyarrow as pa

from tradeguard.data.backends import backend_for, register, to_arrow
from tradeguard.data.frames import notes_metadata, read_notes
from tradeguard.errors import InputError, problem
from tradeguard.periods import fiscal_month_index, fiscal_year
from tradeguard.surge import methods as m
from tradeguard.surge.context import ALL, eif_table, month_label, month_start, timing_table
from tradeguard.surge.explain import LABEL_NEW, LABEL_SURGE, LABEL_TIMING
from tradeguard.surge.windows import Context, method_columns

LABELS = (LABEL_SURGE, LABEL_TIMING, LABEL_NEW)

FLAG_SCHEMA = pa.schema([
    ("tariff_line", pa.string()), ("partner", pa.string()), ("period", pa.string()),
    ("method", pa.string()), ("label", pa.string()), ("explanation", pa.string()),
    ("quantity_t", pa.float64()), ("baseline_t", pa.float64()), ("threshold_t", pa.float64()),
    ("increase_t", pa.float64()), ("ratio", pa.float64()), ("z_score", pa.float64()),
    ("band", pa.int64()), ("timing", pa.string()), ("new_regime", pa.string()),
    ("source", pa.string()), ("share", pa.float64()),
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
    from tradeguard.rules.loader import shipped_rules

    chosen = _methods(methods)
    if frequency not in ("auto", "month", "year"):
        raise InputError(problem(f"unknown frequency {frequency!r}", where="scan(frequency=...)",
                                 fix="use month, year or auto"))
    rules = rules if rules is not None else shipped_rules()
    con, t = _bind(imports, backend)
    # One pass over the records: sums per line, partner, regime and month, with the counts the
    # notes need, cached in the backend (DuckDB or Spark); the notes, the span, the keys and
    # the scan all read these sums, not the records again.
    sums = _sums(t, as_of)
    c = sums.n
    stats = to_arrow(con, sums.aggregate(
        total=c.sum(),
        rows=c.sum(where=sums.ended),
        monthly=c.sum(where=sums.ended & ~sums.annual),
        non_kg=c.sum(where=sums.ended & ~sums.kg),
        annual_kg=c.sum(where=sums.ended & sums.kg & sums.annual),
    )).to_pylist()[0]
    total, n_known = int(stats["total"] or 0), int(stats["rows"] or 0)
    notes: dict[str, Any] = {"rows": total, "skipped: period ends after as_of": total - n_known}
    if frequency == "auto":
        frequency = "month" if (stats["monthly"] or 0) > 0 else "year"
    per_year = 12 if frequency == "month" else 1
    usable = sums.ended & sums.kg
    notes["skipped: unit not kg"] = int(stats["non_kg"] or 0)
    if frequency == "month":
        notes["skipped: annual records in a monthly scan"] = int(stats["annual_kg"] or 0)
        usable = usable & ~sums.annual
    notes["rows used"] = n_known - sum(v for k, v in notes.items() if k.startswith("skipped")
                                       and k != "skipped: period ends after as_of")
    if not notes["rows used"]:
        return _finish(FLAG_SCHEMA.empty_table(), notes, chosen, frequency, as_of)
    # a monthly scan's usable sums are one row per month already; an annual scan sums years
    by_regime = _by_regime(sums.filter(usable), per_year)
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
    series_keys = register(con, _series_keys(pairs, all_partners))
    flags = _expression(con, by_regime, lo, hi, per_year, chosen,
                        year_start_month, min_quantity_kg, all_partners,
                        register(con, eif_table(rules)), register(con, timing), series_keys,
                        has_regimes)
    out = to_arrow(con, flags)
    return _finish(_present(out, per_year, explain), notes, chosen, frequency, as_of)


def _sums(t, as_of: dt.date):
    """Quantities and record counts per line, partner, regime and month, split by whether
    the period ended by ``as_of``, the unit is kg and the record is annual: one cached pass."""
    import ibis

    mi = (t.period_start.year() * 12 + t.period_start.month() - 1).cast("int64")
    keyed = t.mutate(regime_key=t.regime.fill_null(""), mi=mi,
                     ended=t.period_end <= ibis.literal(as_of), kg=t.quantity_unit == "kg",
                     annual=t.granularity == "year")
    return (keyed.group_by([*_KEYS, "regime_key", "mi", "ended", "kg", "annual"])
            .aggregate(q=keyed.quantity.sum(), n=keyed.count())).cache()


def _by_regime(usable, per_year: int):
    """The usable sums per line, partner, regime and period (month, or year for annual scans).

    In a monthly scan the usable sums share their ``ended``, ``kg`` and ``annual`` keys, so
    each (line, partner, regime, month) is one row already; an annual scan sums the months
    (and annual records) of each year.
    """
    if per_year == 12:
        return usable.select(*_KEYS, "regime_key", "mi", "q")
    keyed = usable.mutate(mi=(usable.mi // 12).cast("int64"))
    return (keyed.group_by([*_KEYS, "regime_key", "mi"]).aggregate(q=keyed.q.sum())).cache()


# --------------------------------------------------------------------------- the expression

def _expression(con, by_regime, lo: int, hi: int, per_year: int, chosen: Sequence[str],
                year_start_month: int, min_kg: float, all_partners: bool, eif, timing,
                series_keys, has_regimes: bool = True):
    """The scan over ``by_regime``: monthly sums per line, partner, regime and period.

    Without any claimed regime in the data (e.g. UN Comtrade) nothing can be "new under
    agreement", and the sums already are the series: the regime passes are skipped.
    """
    import ibis
    from ibis import _

    lookbacks = sorted({m.METHODS[x].lookback_years for x in chosen})
    if not has_regimes:  # no "new" columns: the windows carry only the quantities
        series = by_regime.select(*_KEYS, "mi", "q")
        return _series_scan(con, series, [], lo, hi, per_year, chosen,
                            year_start_month, min_kg, all_partners, timing, series_keys)
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
                        min_kg, all_partners, timing, series_keys)


def _series_scan(con, series, cols: list[str], lo: int, hi: int, per_year: int,
                 chosen: Sequence[str], year_start_month: int, min_kg: float,
                 all_partners: bool, timing, series_keys):
    """The methods over monthly series per line and partner (plus all partners), in one pass.

    One query computes every chosen method's columns side by side on the complete grid and
    keeps the rows that any method flags (a few per cent of the grid); a second, small query
    over those rows turns them into one row per (cell, method) and labels them.  Running the
    methods as a union of separate queries would build the grid and its windows once per
    method.  The windows sort by an integer series id (``series_keys``) and carry numbers
    only; the names and the regimes join back on the flagged rows.
    """
    import ibis

    if all_partners:
        star_aggs = {k: (series[k].sum() if not k.startswith("newreg") else series[k].min())
                     for k in ["q", *cols]}
        star = series.group_by(["tariff_line", "mi"]).aggregate(**star_aggs).mutate(
            partner=ibis.literal(ALL))
        series = series.union(star.select(series.columns))
    amounts = [c for c in cols if not c.startswith("newreg")]
    numbered = series.join(series_keys, _KEYS).select("sid", "mi", "q", *amounts)
    periods = register(con, _period_table(lo, hi, per_year, year_start_month))
    grid = series_keys.select("sid").cross_join(periods)
    g = grid.left_join(numbered, ["sid", "mi"]).select(
        "sid", "mi", "fy", "fm", since=grid.mi - lo,
        **{k: numbered[k].fill_null(0.0) for k in ["q", *amounts]})
    ctx = Context(per_year, min_kg, lo, _first_full_year(lo, per_year, year_start_month))
    g, wide = method_columns(g, chosen, ctx, amounts)
    # Materialise every (window) expression as a column first: a window expression used after
    # a filter would be evaluated again over the filtered rows only.
    t = g.select("sid", "mi", *[c for c in g.columns if c.startswith("new")], **wide)
    t = t.filter(ibis.or_(*[t[f"{name}_flag"] for name in chosen]))
    named = t.join(series_keys, "sid")
    line_cols = [c for c in ("q", "ytd") if c in g.columns]
    if all_partners:  # the line's imports from all partners: the base of a flag's share
        stars = series_keys.filter(series_keys.partner == ALL).select("sid", "tariff_line")
        totals = g.select("sid", "mi", *line_cols).join(stars, "sid").select(
            "tariff_line", "mi", **{f"line_{c}": c for c in line_cols})
        named = named.left_join(totals, ["tariff_line", "mi"])
    regimes = [c for c in cols if c.startswith("newreg")]
    if regimes:
        named = named.left_join(series.select(*_KEYS, "mi", *regimes), [*_KEYS, "mi"])
    lines = [f"line_{c}" for c in line_cols] if all_partners else []
    flagged = register(con, to_arrow(con, named.select(
        *_KEYS, "mi", *[c for c in t.columns if c not in ("sid", "mi")], *regimes, *lines)))
    parts = [_method_rows(flagged, name) for name in chosen]
    flags = parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]
    labelled = flags.left_join(timing, [*_KEYS, "mi"])
    excess = labelled.compared - labelled.threshold
    is_new = (labelled.new_q > 0) & (labelled.new_q >= excess)
    return labelled.select(
        *_KEYS, "mi", "method", "compared", "baseline", "threshold", "ratio", "z", "band",
        "new_q", "timing_detail", "line_total", new_regime=ibis.ifelse(is_new, labelled.new_regime,
                                                         ibis.null("string")),
        label=ibis.cases((labelled.timing_kind.notnull(), LABEL_TIMING), (is_new, LABEL_NEW),
                         else_=LABEL_SURGE),
    ).order_by([*_KEYS, "mi", "method"])


def _series_keys(pairs: pa.Table, all_partners: bool) -> pa.Table:
    """Each series (line, partner, and line x ``*`` for all partners) with an integer id."""
    import pyarrow.compute as pc

    keys = pairs.select(_KEYS).cast(pa.schema([(k, pa.string()) for k in _KEYS]))
    if all_partners:
        lines = pc.unique(keys["tariff_line"])
        keys = pa.concat_tables([keys, pa.table({
            "tariff_line": lines, "partner": pa.array([ALL] * len(lines), pa.string())})])
    return keys.append_column("sid", pa.array(range(keys.num_rows), pa.int64()))


# (years of look-back for the "new under agreement" label, year-to-date comparison?)
_NEW_BASIS = {"fao130": (3, False), "ssm": (3, True), "zscore": (4, False), "art5": (4, True)}


def _method_rows(flagged, name: str):
    """One row per cell that ``name`` flags, in the shape the labels and answers read."""
    import ibis

    years, cumulative = _NEW_BASIS[name]
    new = f"new{years}_ytd" if cumulative else f"new{years}"
    c = {k: flagged[f"{name}_{k}"] for k in ("flag", "compared", "baseline", "threshold")}
    rows = flagged.filter(c["flag"])
    cols = flagged.columns
    line = "line_ytd" if cumulative else "line_q"
    return rows.select(
        *_KEYS, "mi", method=ibis.literal(name), compared=c["compared"], baseline=c["baseline"],
        threshold=c["threshold"],
        ratio=ibis.ifelse(c["baseline"] > 0, c["compared"] / c["baseline"],
                          ibis.null("float64")).cast("float64"),
        z=(flagged[f"{name}_z"] if f"{name}_z" in cols else ibis.null("float64")).cast("float64"),
        band=(flagged[f"{name}_band"] if f"{name}_band" in cols
              else ibis.null("int64")).cast("int64"),
        new_q=(flagged[new] if new in cols else ibis.literal(0.0)).cast("float64"),
        new_regime=(flagged[f"newreg{years}"] if f"newreg{years}" in cols
                    else ibis.null("string")),
        line_total=(flagged[line] if line in cols else ibis.null("float64")).cast("float64"))


def _period_table(lo: int, hi: int, per_year: int, year_start_month: int) -> pa.Table:
    """Every period of the data's span with its (fiscal) year and its index within that year
    (``fm``, 0 for the year's first period), from :mod:`tradeguard.periods`."""
    span = range(lo, hi + 1)
    if per_year == 1:
        return pa.table({"mi": pa.array(span, pa.int64()), "fy": pa.array(span, pa.int64()),
                         "fm": pa.array([0] * len(span), pa.int64())})
    starts = [month_start(mi) for mi in span]
    return pa.table({
        "mi": pa.array(span, pa.int64()),
        "fy": pa.array([fiscal_year(d, year_start_month) for d in starts], pa.int64()),
        "fm": pa.array([fiscal_month_index(d, year_start_month) for d in starts], pa.int64())})


def _first_full_year(lo: int, per_year: int, year_start_month: int) -> int:
    """The first (fiscal) year whose first period is in the data (the data may begin
    mid-year)."""
    if per_year == 1:
        return lo
    first = month_start(lo)
    year = fiscal_year(first, year_start_month)
    return year if fiscal_month_index(first, year_start_month) == 0 else year + 1


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
    """The flags in answer units (tonnes, period labels) with their explanations."""
    from tradeguard.surge import explain as x

    shown = x.present(out, per_year, explain)
    cols = {k: out[k].combine_chunks() for k in out.column_names}
    return pa.table({
        "tariff_line": cols["tariff_line"], "partner": cols["partner"],
        "period": shown["period"], "method": cols["method"], "label": cols["label"],
        "explanation": shown["explanation"], "quantity_t": shown["quantity_t"],
        "baseline_t": shown["baseline_t"], "threshold_t": shown["threshold_t"],
        "increase_t": shown["increase_t"], "ratio": cols["ratio"], "z_score": cols["z"],
        "band": cols["band"], "timing": cols["timing_detail"],
        "new_regime": cols["new_regime"], "source": x.sources(cols["method"]),
        "share": _share(cols["compared"], cols["line_total"]),
    }, FLAG_SCHEMA)


def _share(compared: pa.Array, line_total: pa.Array) -> pa.Array:
    """The flagged quantity's share of the line's imports from all partners over the same
    span (null when the scan ran without the all-partner series)."""
    import pyarrow.compute as pc

    total = pc.if_else(pc.greater(line_total, 0.0), line_total, None)
    return pc.cast(pc.divide(compared, total), pa.float64())


def _finish(flags: pa.Table, notes: dict[str, Any], chosen, frequency, as_of) -> pa.Table:
    notes = {**notes, "methods": ",".join(chosen), "frequency": frequency,
             "as_of": as_of.isoformat(), "flags": flags.num_rows}
    return flags.replace_schema_metadata(notes_metadata(notes))


def scan_notes(flags: pa.Table) -> dict[str, Any]:
    """The counts attached by :func:`scan` (rows read, used, skipped by reason, periods ...)."""
    return read_notes(flags)
