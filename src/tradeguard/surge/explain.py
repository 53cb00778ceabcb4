"""The flags as answers: periods, tonnes and one plain-language explanation per flag, built
as one Ibis query on an in-process DuckDB over the flags (no Python loop over them: a scan of
synthetic data may flag millions of cells), whichever backend ran the scan.

Numbers are formatted by DuckDB's ``format`` (the {fmt} library): the same text as Python's
format specs (``{:,.1f}``, ``{:.0f}``), correctly rounded.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from tradeguard.surge import methods as m
from tradeguard.surge.context import ALL
from tradeguard.units import KG_PER_TONNE

LABEL_TIMING = "tariff timing"
LABEL_NEW = "new under agreement"
LABEL_SURGE = "surge"


def _format(spec: str, value: Any):
    """DuckDB's ``format(spec, value)`` as an Ibis expression."""
    import ibis

    @ibis.udf.scalar.builtin(name="format")
    def fmt(spec: str, value: float) -> str: ...

    @ibis.udf.scalar.builtin(name="format")
    def fmt_int(spec: str, value: int) -> str: ...

    return (fmt_int if value.type().is_integer() else fmt)(spec, value)


def _tonnes(value):
    import ibis

    missing = value.isnull() | value.isnan()
    return ibis.ifelse(missing, "n/a", _format("{:,.1f} t", value))


def present(flags: pa.Table, per_year: int, explain: bool) -> dict[str, pa.Array]:
    """``period``, the tonnes columns and ``explanation`` (empty without ``explain``) for the
    flags (``tariff_line, partner, mi, method, label, compared, baseline, threshold, ratio, z,
    band, timing_detail, new_regime``), in the same row order."""
    import ibis

    con = ibis.duckdb.connect()
    try:
        t = con.create_table("flags", flags.select([c for c in flags.column_names]), temp=True)
        t = t.mutate(row_number=ibis.row_number())
        t = t.mutate(quantity_t=t.compared / KG_PER_TONNE, baseline_t=t.baseline / KG_PER_TONNE,
                     threshold_t=t.threshold / KG_PER_TONNE)
        year = (t.mi // 12 if per_year == 12 else t.mi).cast("int64")
        period = _format("{:04d}", year)
        if per_year == 12:
            period = period + "-" + _format("{:02d}", (t.mi % 12 + 1).cast("int64"))
        t = t.mutate(increase_t=t.quantity_t - t.baseline_t, period=period)
        t, text = _explanations(t) if explain else (t, ibis.literal(""))
        out = t.select("row_number", "period", "quantity_t", "baseline_t", "threshold_t",
                       "increase_t", explanation=text).order_by("row_number")
        got = con.to_pyarrow(out)
    finally:
        con.disconnect()
    return {k: got[k].combine_chunks() for k in got.column_names if k != "row_number"}


def _explanations(t):
    """One sentence per flag: the numbers, the rule, and why the label was given."""
    import ibis

    # each number is formatted once, as a column, then the sentences refer to the columns
    t = t.mutate(
        x_who=ibis.ifelse(t.partner == ALL, "all partners", t.partner),
        x_q=_tonnes(t.quantity_t), x_base=_tonnes(t.baseline_t),
        x_thr=_tonnes(t.threshold_t), x_inc=_tonnes(t.increase_t),
        x_pct=ibis.ifelse(t.ratio.isnull(), "",
                          " (" + _format("{:.0f}", t.ratio * 100.0) + "% of it)"),
        x_band=ibis.cases(*((t.band == b.band, b.text) for b in m.SSM_BANDS), else_=""),
        x_z=ibis.ifelse(t.z.isnull(), "n/a", _format("{:.1f}", t.z)))
    head = t.tariff_line + " from " + t.x_who + ", " + t.period + ": "
    q, base, thr, inc, pct, band, z = (t.x_q, t.x_base, t.x_thr, t.x_inc, t.x_pct, t.x_band,
                                       t.x_z)
    bodies = {
        "fao130": (q + " imported, " + inc + " above the three-year moving average of " + base
                   + " a period" + pct + "; the FAO screen flags more than "
                   + m.percent(m.FAO_RATIO) + " (" + thr + ")."),
        "ssm": (q + " imported so far this year against a pro-rated base of " + base
                + " (the same months of the three preceding years)" + pct + ": " + band
                + " (Doha SSM draft, TN/AG/W/4/Rev.4; bands unconfirmed)."),
        "zscore": (q + " imported against " + base + " a year earlier (+" + inc
                   + "); year-on-year growth is " + z + " robust standard deviations above its"
                   " median of the preceding periods (cut-off " + str(m.Z_CUTOFF)
                   + ", reached at " + thr + ")."),
        "art5": (q + " imported so far this year crosses the Art. 5 volume screen of " + thr
                 + " (" + m.percent(m.ART5_BASE_TRIGGER) + " of the three-year average of "
                 + base + "; WTO AoA Art. 5.1(a), 5.4, consumption not taken into account)."),
    }
    body = ibis.cases(*((t.method == name, text) for name, text in bodies.items()), else_="")
    timing = (" Labelled tariff timing: " + t.timing_detail.fill_null("")
              + "; importers hold goods back for a scheduled cut (or around a safeguard), "
              "so the spike is a shift in timing.")
    # a year-to-date flag may carry the new regime's earlier months only: the month itself
    # then names none
    new = (" Labelled new under agreement: the increase is carried by imports under "
           + t.new_regime.fill_null("an agreement") + ", newly used for this line and partner, "
           "whose comparison base predates that use; not a surge.")
    tail = ibis.cases((t.label == LABEL_TIMING, timing), (t.label == LABEL_NEW, new),
                      else_=" No tariff step, safeguard window or new agreement explains it.")
    return t, head + body + tail


def sources(method: pa.Array) -> pa.Array:
    import pyarrow.compute as pc

    names = list(m.METHODS)
    index = pc.index_in(method, value_set=pa.array(names, pa.string()))
    return pc.take(pa.array([m.METHODS[k].source for k in names], pa.string()), index)
