"""Back-test a design on historical import data.

Designs the monitor can express (annual, or cumulative quarters) are added to the rules as
``design.<id>`` and run through :func:`tradeguard.monitor.report.monitor` unchanged, so the
baseline design reproduces the monitor exactly.  Separate-quarter designs (each quarter
against the same quarter of earlier years), which the monitor has no rule for, run through
the design engine on the same monthly records.

Added per period: the checkpoints at which every condition was exceeded, the days under the
safeguard (the union of activation windows, counted in the fiscal year each day falls in),
the volumes hit (imports of hit partners and lines under the hit regimes, in proportion to
the days of each record's month inside a window) and the extra duty collected.

**Assumption (extra duty):** customs value × (safeguard rate − the regime's scheduled rate),
for the same share of each monthly record; imports are assumed not to respond (a back-test
replays what was imported).  Goods en route are exempt for the design's ``en_route_days``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pyarrow as pa

from tradeguard.design.engine import PE, Flow, Grid, compile_design, run
from tradeguard.design.spec import Design
from tradeguard.periods import (
    fiscal_month_index,
    fiscal_year,
    fiscal_year_end,
    fiscal_year_start,
)
from tradeguard.rules.loader import RuleSet, shipped_rules
from tradeguard.rules.lookup import covers
from tradeguard.rules.scope import covered_on

DAY = dt.timedelta(days=1)


@dataclass
class BacktestPeriod:
    fy: int
    period_start: dt.date
    period_end: dt.date
    triggered: bool
    crossing_date: dt.date | None
    triggered_checkpoints: list[dt.date]
    activation_start: dt.date | None
    activation_end: dt.date | None
    safeguard_rate: str | None
    days_under_safeguard: int
    volumes_hit_t: float
    extra_duty_jpy: float
    cumulative_t: float | None
    trigger_t: float | None
    notes: list[str] = field(default_factory=list)

    def row(self) -> dict[str, Any]:
        out = asdict(self)
        for k, v in out.items():
            if isinstance(v, dt.date):
                out[k] = v.isoformat()
        out["triggered_checkpoints"] = [d.isoformat() for d in self.triggered_checkpoints]
        out["period"] = f"FY{self.fy}"
        return out


@dataclass
class BacktestReport:
    design_id: str
    method: str  # "monitor" or "engine"
    as_of: dt.date
    periods: list[BacktestPeriod]
    monitor_report: Any = None

    def rows(self) -> list[dict[str, Any]]:
        return [p.row() for p in self.periods]

    def period(self, fy: int) -> BacktestPeriod:
        return next(p for p in self.periods if p.fy == fy)

    @property
    def triggered_quarters(self) -> list[dt.date]:
        return [d for p in self.periods for d in p.triggered_checkpoints]


@lru_cache(maxsize=1)
def bundled_imports() -> pa.Table:
    """The bundled real Japan Customs extract, read once per process."""
    from tradeguard.data.bundled import bundled_extract_path
    from tradeguard.data.readers import read_any

    return read_any(bundled_extract_path())


def _as_arrow(imports: Any) -> pa.Table:
    if imports is None:
        return bundled_imports()
    if isinstance(imports, pa.Table):
        return imports
    if hasattr(imports, "to_pyarrow"):
        return imports.to_pyarrow()
    return pa.table(imports) if isinstance(imports, dict) else pa.Table.from_pandas(imports)


def _union_days(windows: list[tuple[dt.date, dt.date]], fy: int) -> int:
    lo, hi = fiscal_year_start(fy), fiscal_year_end(fy)
    days: set[int] = set()
    for a, b in windows:
        a, b = max(a, lo), min(b, hi)
        days.update(range(a.toordinal(), b.toordinal() + 1))
    return len(days)


def _overlap(a: dt.date, b: dt.date, c: dt.date, d: dt.date) -> int:
    return max((min(b, d) - max(a, c)).days + 1, 0)


def backtest(design: Design, imports: Any = None, *, as_of: dt.date | None = None,
             rules: RuleSet | None = None, years: tuple[int, int] | None = None,
             ) -> BacktestReport:
    """Apply ``design`` to historical imports (default: the bundled real data).

    ``years`` limits the periods reported to fiscal years [first, last].
    """
    rules = rules or shipped_rules()
    table = _as_arrow(imports)
    if as_of is None:
        as_of = max(table.column("period_end").to_pylist())
    if design.period_mode == "quarterly":
        rep = _engine_backtest(design, table, as_of, rules)
    else:
        rep = _monitor_backtest(design, table, as_of, rules)
    if years is not None:
        rep.periods = [p for p in rep.periods if years[0] <= p.fy <= years[1]]
    return rep


def _monitor_backtest(design: Design, table: pa.Table, as_of: dt.date,
                      rules: RuleSet) -> BacktestReport:
    from tradeguard.monitor.report import monitor

    rules2 = design.rules(rules)
    mid = design.measure_id
    report = monitor(table, as_of=as_of, rules=rules2, measures=[mid], draws=200)
    m = design.measure
    windows = [(a.start, a.end) for a in report.activations]
    rates = [(a.start, a.end, a.duty) for a in report.activations]
    hit_v, extra = _hit_volumes(design, table, rates, rules2)
    periods = []
    for p in report.periods:
        latest = p.latest.binding if p.latest else None
        periods.append(BacktestPeriod(
            fy=p.fy, period_start=p.period_start, period_end=p.period_end,
            triggered=p.triggered, crossing_date=p.crossing_date,
            triggered_checkpoints=[cp.day for cp in p.checkpoints if cp.triggered],
            activation_start=p.activation.start if p.activation else None,
            activation_end=p.activation.end if p.activation else None,
            safeguard_rate=p.safeguard_rate,
            days_under_safeguard=_union_days(windows, p.fy),
            volumes_hit_t=round(hit_v.get(p.fy, 0.0), 6),
            extra_duty_jpy=round(extra.get(p.fy, 0.0), 2),
            cumulative_t=latest.cumulative_t if latest else None,
            trigger_t=latest.trigger_t if latest else None, notes=list(p.notes)))
    del m
    return BacktestReport(design.id, "monitor", as_of, periods, report)


def _hit_volumes(design: Design, table: pa.Table, rates: list[tuple[dt.date, dt.date, Any]],
                 rules: RuleSet) -> tuple[dict[int, float], dict[int, float]]:
    """Imports inside activation windows, and the extra duty on them, per fiscal year.

    Duties that are not ad valorem (a gate price, an out-of-quota compound rate) are taken
    at each record's own customs value per kg (:func:`tradeguard.design.rates.ave_percent`).
    """
    m = design.measure
    vol: dict[int, float] = {}
    extra: dict[int, float] = {}
    if not rates:
        return vol, extra
    from tradeguard.design.engine import month_average
    from tradeguard.design.rates import ave_percent
    from tradeguard.design.spec import regime_tariff

    en_route = design.exemptions.en_route_days
    cols = table.select(["period_start", "period_end", "tariff_line", "partner", "quantity",
                         "quantity_unit", "value", "regime"]).to_pylist()
    for r in cols:
        if r["quantity_unit"] != "kg" or r["regime"] not in m.hits_regimes:
            continue
        if not covers(m.lines, r["tariff_line"]):
            continue
        a, b = r["period_start"], r["period_end"]
        if not covered_on(m.hits, r["partner"], a, rules.groups):
            continue
        ndays = (b - a).days + 1
        unit_value = r["value"] / r["quantity"] if r["quantity"] > 0 else None
        for ws, we, duty in rates:
            days_in = _overlap(a, b, ws, we)
            if not days_in:
                continue
            pct = ave_percent(duty, unit_value) or 0.0
            duty_days = _overlap(a, b, ws + dt.timedelta(days=en_route), we)
            fy = fiscal_year(a)
            vol[fy] = vol.get(fy, 0.0) + r["quantity"] / 1000 * days_in / ndays
            # The scheduled rate is the hit regime's (a quota's in-quota duty for the data's
            # claims under its agreement), at the record's own unit value where not in percent.
            path = next((p for k, p in design.tariff.items()
                         if covers([k], r["tariff_line"])), []) or regime_tariff(
                rules, m.hits_regimes[0], r["tariff_line"], unit_value)
            grid = Grid(fiscal_year(a), 1)
            month_rate = month_average(path, grid)[fiscal_month_index(a)] \
                if path else 0.0
            month_rate = 0.0 if np.isnan(month_rate) else float(month_rate)
            add = pct if m.remedy == "add" else pct - month_rate
            extra[fy] = extra.get(fy, 0.0) + r["value"] * duty_days / ndays * add / 100
    return vol, extra


def history_flows(design: Design, table: pa.Table) -> tuple[list[Flow], np.ndarray, Grid]:
    """Monthly tonnes per (partner, regime, line) flow of the design's lines, on a grid."""
    m = design.measure
    lines = set(m.lines)
    for c in m.conditions:
        lines |= set(c.counting.lines or [])
    rows = [r for r in table.select(["period_start", "tariff_line", "partner", "quantity",
                                     "quantity_unit", "value", "regime", "granularity"]
                                    ).to_pylist()
            if r["quantity_unit"] == "kg" and covers(sorted(lines), r["tariff_line"])]
    if not rows:
        grid = Grid(fiscal_year(m.valid_from), 1)
        return [], np.zeros((1, 0, 12)), grid
    first = min(fiscal_year(r["period_start"]) for r in rows)
    last = max(fiscal_year(r["period_start"]) for r in rows)
    grid = Grid(first, last - first + 1)

    def prefix(line: str) -> str:
        return next(p for p in sorted(lines, key=len, reverse=True) if line.startswith(p))

    keys = sorted({(r["partner"], r["regime"] or "", prefix(r["tariff_line"])) for r in rows})
    index = {k: i for i, k in enumerate(keys)}
    q = np.zeros((1, len(keys), grid.months))
    value = np.zeros(len(keys))
    for r in rows:
        d = r["period_start"]
        t = 12 * (fiscal_year(d) - first) + fiscal_month_index(d)
        k = index[(r["partner"], r["regime"] or "", prefix(r["tariff_line"]))]
        q[0, k, t] += r["quantity"] / 1000
        value[k] += r["value"]
    flows = [Flow(p, reg or None, ln, float(value[i] / max(q[0, i].sum() * 1000, 1e-9)))
             for i, (p, reg, ln) in enumerate(keys)]
    return flows, q, grid


def _engine_backtest(design: Design, table: pa.Table, as_of: dt.date,
                     rules: RuleSet) -> BacktestReport:
    table = table.filter(pa.compute.less_equal(table["period_end"], pa.scalar(as_of)))
    flows, q, grid = history_flows(design, table)
    comp = compile_design(design, rules, grid, flows, as_of)
    res = run([comp], q, grid, flows, PE(0, 0, 0, 0.64, 0.0), detail=True)
    det = res.detail
    assert det is not None
    m = design.measure
    periods = []
    windows = []
    for t in np.nonzero(det["cross"][0, 0])[0]:
        if comp.win_kind[t] == 1:
            windows.append((dt.date.fromordinal(int(comp.win_start[t])),
                            dt.date.fromordinal(int(comp.win_end[t])), float(comp.sg_rate[t])))
    for y, fy in enumerate(grid.fys):
        if not comp.active[:, y].any():
            continue
        months = range(12 * y, 12 * y + 12)
        last_t = max((t for t in months if grid.month_end(t) <= as_of), default=None)
        if last_t is None:
            continue
        cross_t = [t for t in months if det["cross"][0, 0, t]]
        checks = [grid.month_end(t) for t in months if det["exceeded"][0, 0, t]]
        act_w = None
        if cross_t and comp.win_kind[cross_t[0]] == 1:
            t0 = cross_t[0]
            act_w = (dt.date.fromordinal(int(comp.win_start[t0])),
                     dt.date.fromordinal(int(comp.win_end[t0])), float(comp.sg_rate[t0]))
        notes = ["separate quarters: computed by the design engine (the monitor has no rule "
                 "for them)"]
        if cross_t and comp.win_kind[cross_t[0]] == 2:
            notes.append("crossed late: no duty; the excess is counted into the next year")
        lv = det["level"][0, 0, :, last_t]
        cu = det["cum"][0, 0, :, last_t]
        binding = int(np.nanargmin(np.where(np.isnan(lv), np.inf, cu / np.where(lv > 0, lv,
                                                                                np.inf))))
        periods.append(BacktestPeriod(
            fy=fy, period_start=max(fiscal_year_start(fy), m.valid_from),
            period_end=fiscal_year_end(fy), triggered=bool(cross_t),
            crossing_date=grid.month_end(cross_t[0]) if cross_t else None,
            triggered_checkpoints=checks,
            activation_start=act_w[0] if act_w else None,
            activation_end=act_w[1] if act_w else None,
            safeguard_rate=f"{act_w[2]:g}%" if act_w else None,
            days_under_safeguard=round(det["days"][0, 0, list(months)].sum()),
            volumes_hit_t=float(det["hit_t"][0, 0, list(months)].sum()),
            extra_duty_jpy=float(det["extra"][0, 0, list(months)].sum()),
            cumulative_t=float(cu[binding]) if not np.isnan(lv[binding]) else float(cu[0]),
            trigger_t=None if np.isnan(lv[binding]) else float(lv[binding]), notes=notes))
    return BacktestReport(design.id, "engine", as_of, periods)
