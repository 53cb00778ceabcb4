"""The flags as answers: periods, tonnes and one plain-language explanation per flag, built
column by column with Arrow (no Python loop over the flags: a scan of synthetic data may flag
millions of cells).

Numbers read as Python's format specs would write them (``{:,.1f}``, ``{:.0%}``): rounded half
to even on the value itself.  Scaling by ten in floating point can land a value exactly on a
half that its decimal expansion does not reach; those few values are formatted by Python, so
the text is the same as a per-row ``format`` would give.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tradeguard.surge import methods as m
from tradeguard.surge.context import ALL

LABEL_TIMING = "tariff timing"
LABEL_NEW = "new under agreement"
LABEL_SURGE = "surge"


def fixed(values: Any, digits: int = 1, *, grouping: bool = True) -> pa.Array:
    """``format(v, ",.1f")`` (or ``.{digits}f``, without ``,``) for each value; null for a
    null or NaN."""
    v = np.asarray(pa.array(values, pa.float64()).to_numpy(zero_copy_only=False), np.float64)
    valid = np.isfinite(v)
    safe = np.where(valid, v, 0.0)
    scaled = safe * 10.0 ** digits
    whole = np.abs(np.rint(scaled)).astype(np.int64)
    head, tail = whole // 10 ** digits, whole % 10 ** digits
    text = _grouped(head) if grouping else pc.cast(pa.array(head), pa.string())
    if digits:
        frac = pc.utf8_lpad(pc.cast(pa.array(tail), pa.string()), digits, "0")
        text = pc.binary_join_element_wise(text, frac, ".")
    sign = pa.array(np.where(np.signbit(safe), "-", ""), pa.string())
    text = pc.binary_join_element_wise(sign, text, "")
    ties = np.flatnonzero(valid & (np.abs(scaled - np.trunc(scaled)) == 0.5))
    if ties.size:  # the few exact halves after scaling: Python's correctly rounded format
        spec = f"{',' if grouping else ''}.{digits}f"
        text = text.to_numpy(zero_copy_only=False).astype(object)
        text[ties] = [format(float(x), spec) for x in v[ties]]
        text = pa.array(text, pa.string())
    return pc.if_else(pa.array(valid), text, pa.nulls(len(v), pa.string()))


def _grouped(whole: np.ndarray) -> pa.Array:
    """Non-negative integers with a comma every three digits."""
    text = pc.cast(pa.array(whole % 1000), pa.string())
    rest = whole // 1000
    while rest.any():
        more = rest > 0
        padded = pc.if_else(pa.array(more), pc.utf8_lpad(text, 3, "0"), text)
        top = pc.cast(pa.array(rest % 1000), pa.string())
        text = pc.if_else(pa.array(more), pc.binary_join_element_wise(top, padded, ","), text)
        rest = rest // 1000
    return text


def tonnes(values: Any) -> pa.Array:
    """``12,345.6 t``, or ``n/a`` where the value is missing."""
    return pc.fill_null(pc.binary_join_element_wise(fixed(values), " t", ""), "n/a")


def period_labels(mi: pa.Array, per_year: int) -> pa.Array:
    """``2018-04`` for a month index (monthly data), ``2018`` for a year (annual data)."""
    idx = np.asarray(mi.to_numpy(zero_copy_only=False), np.int64)
    if per_year != 12:
        return pc.utf8_lpad(pc.cast(pa.array(idx), pa.string()), 4, "0")
    year = pc.utf8_lpad(pc.cast(pa.array(idx // 12), pa.string()), 4, "0")
    month = pc.utf8_lpad(pc.cast(pa.array(idx % 12 + 1), pa.string()), 2, "0")
    return pc.binary_join_element_wise(year, month, "-")


def _join(*parts: Any) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _lookup(keys: pa.Array, table: dict[Any, str], key_type: pa.DataType) -> pa.Array:
    names = list(table)
    index = pc.index_in(keys, value_set=pa.array(names, key_type))
    return pc.take(pa.array([table[k] for k in names], pa.string()), index)


def explanations(d: dict[str, pa.Array], period: pa.Array) -> pa.Array:
    """One sentence per flag: the numbers, the rule, and why the label was given.

    ``d``: the flag columns (``tariff_line, partner, method, label, compared_t, baseline_t,
    threshold_t, increase_t, ratio, z, band, timing_detail, new_regime``)."""
    who = pc.if_else(pc.equal(d["partner"], ALL), "all partners", d["partner"])
    head = _join(d["tariff_line"], " from ", who, ", ", period, ": ")
    q, base, thr, inc = (tonnes(d[k]) for k in ("compared_t", "baseline_t", "threshold_t",
                                                "increase_t"))
    pct = pc.fill_null(_join(" (", fixed(pc.multiply(d["ratio"], 100.0), 0, grouping=False),
                             "% of it)"), "")
    bands = pc.fill_null(_lookup(pc.fill_null(d["band"], 0),
                                 {b.band: b.text for b in m.SSM_BANDS}, pa.int64()), "")
    z = pc.fill_null(fixed(d["z"], 1, grouping=False), "n/a")
    bodies = {
        "fao130": _join(q, " imported, ", inc, " above the three-year moving average of ", base,
                        " a period", pct, "; the FAO screen flags more than ",
                        m.percent(m.FAO_RATIO), " (", thr, ")."),
        "ssm": _join(q, " imported so far this year against a pro-rated base of ", base,
                     " (the same months of the three preceding years)", pct, ": ", bands,
                     " (Doha SSM draft, TN/AG/W/4/Rev.4; bands unconfirmed)."),
        "zscore": _join(q, " imported against ", base, " a year earlier (+", inc,
                        "); year-on-year growth is ", z, " robust standard deviations above its"
                        " median of the preceding periods (cut-off ", str(m.Z_CUTOFF),
                        ", reached at ", thr, ")."),
        "art5": _join(q, " imported so far this year crosses the Art. 5 volume screen of ", thr,
                      " (", m.percent(m.ART5_BASE_TRIGGER), " of the three-year average of ",
                      base, "; WTO AoA Art. 5.1(a), 5.4, consumption not taken into account)."),
    }
    body = bodies["art5"]
    for name in ("zscore", "ssm", "fao130"):
        body = pc.if_else(pc.equal(d["method"], name), bodies[name], body)
    timing = _join(" Labelled tariff timing: ", pc.fill_null(d["timing_detail"], ""),
                   "; importers hold goods back for a scheduled cut (or around a safeguard), "
                   "so the spike is a shift in timing.")
    new = _join(" Labelled new under agreement: the increase is carried by imports under ",
                # a year-to-date flag may carry the new regime's earlier months only: the
                # month itself then names none
                pc.fill_null(d["new_regime"], "an agreement"), ", newly used for this line and partner, "
                "whose comparison base predates that use; not a surge.")
    tail = pc.if_else(pc.equal(d["label"], LABEL_TIMING), timing, pc.if_else(
        pc.equal(d["label"], LABEL_NEW), new,
        " No tariff step, safeguard window or new agreement explains it."))
    return _join(head, body, tail)


def sources(method: pa.Array) -> pa.Array:
    return _lookup(method, {k: v.source for k, v in m.METHODS.items()}, pa.string())
