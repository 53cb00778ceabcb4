"""Forward simulation (Monte Carlo, seeded) of designs over an agreement's horizon.

Monthly import paths by partner come from a seasonal model fitted to history: each flow's
annual level grows at the scenario's rate with an AR(1) shock in logs (correlated across
partners through a common factor), and is spread over the months by the fitted season with
a multiplicative monthly shock.  Imports respond to each design's tariffs (scheduled cuts and
snap-backs) through a nested Armington partial-equilibrium model of the SMART family
(:func:`tradeguard.design.engine.response`), and are held back before a rate falls and
brought forward before it rises (front-loading, fitted from the March/April pattern in the
real data).  Every design sees the same random draws (common random numbers), so designs
differ only by their rules.

The parameters and their sources are listed in :data:`PARAMETER_SOURCES` and
docs/design-lab.md.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field

from tradeguard.design.costs import Progress, no_progress
from tradeguard.design.engine import (
    PE,
    Flow,
    Grid,
    RunResult,
    compile_design,
    flow_rates,
    prepare,
    run,
)
from tradeguard.design.flows import FlowSpec
from tradeguard.design.spec import Design
from tradeguard.periods import fiscal_month_index, fiscal_year
from tradeguard.rules.loader import RuleSet, shipped_rules
from tradeguard.rules.lookup import covers
from tradeguard.rules.scope import covered_on

DEFAULT_SEED = 20261127

#: Where each default parameter comes from.  "assumption" marks values without a source.
PARAMETER_SOURCES: dict[str, dict[str, Any]] = {
    "armington": {"value": 1.5, "source": "WITS/SMART default substitution elasticity between "
                  "origins (World Bank WITS SMART documentation; peer-systems.md §2.1)"},
    "demand": {"value": -0.6, "source": "assumption: own-price elasticity of Japan's total beef "
               "demand; published estimates for Japanese beef demand range from about -0.4 to "
               "-1.0 and we found no single source to cite here"},
    "domestic": {"value": 0.5, "source": "assumption: substitution between imported and "
                 "domestic (largely wagyu) beef, low because the products differ"},
    "import_share": {"value": 0.64, "source": "assumption based on Japan's beef self-"
                     "sufficiency of about 36% (weight basis) reported by MAFF around FY2019; "
                     "the value share of imports is lower"},
    "export_supply": {"value": "infinite", "source": "SMART default (99 = infinite): world "
                      "prices fixed, the whole tariff passes to Japanese buyers"},
    "front_loading": {"value": "fitted", "source": "fitted from the bundled Japan Customs data: "
                      "the March dip of JAEPA beef relative to February and May, released in "
                      "April after the annual 1 April cut"},
    "shocks": {"value": "fitted", "source": "fitted from the bundled data: spread of monthly "
               "log deviations from the season, and of annual log changes"},
    "persistence": {"value": 0.7, "source": "assumption: AR(1) coefficient of the annual shock"},
    "us_base_t": {"value": 255000, "source": "Jiji/Kyodo: US beef imports 1 Apr 2020 - 28 Feb "
                  "2021 were 233,112 t (domain-rules.md §4.3), about 255,000 t a year; the "
                  "bundled data hold no MFN imports, so the US level is a parameter"},
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Elasticities(_Strict):
    armington: float = Field(1.5, ge=0)
    domestic: float = Field(0.5, ge=0)
    demand: float = Field(-0.6, le=0)
    import_share: float = Field(0.64, gt=0, le=1)


class Scenario(_Strict):
    """The simulation's inputs; every field has a documented default."""

    first_fy: int = 2020
    years: int = Field(16, ge=1, le=40)
    warmup_years: int = Field(3, ge=1, le=5)
    paths: int = Field(2000, ge=1)
    seed: int = DEFAULT_SEED
    growth: float = Field(0.01, description="Annual growth of every flow's level.")
    annual_shock: float | Literal["fitted"] = "fitted"
    monthly_shock: float | Literal["fitted"] = "fitted"
    persistence: float = Field(0.7, ge=0, lt=1)
    correlation: float = Field(0.5, ge=0, le=1)
    front_loading: float | Literal["fitted"] = "fitted"
    elasticities: Elasticities = Elasticities()
    flows: list[FlowSpec] | None = Field(None, description="Default: each design's own "
                                         "market (`flows:`), or the beef market.")

    def zero(self) -> Scenario:
        """No shocks, no price response, no front-loading: one deterministic path."""
        return self.model_copy(update={
            "annual_shock": 0.0, "monthly_shock": 0.0, "front_loading": 0.0, "paths": 1,
            "elasticities": Elasticities(armington=0, domestic=0, demand=0)})


_US_BEEF = ("assumption from Jiji/Kyodo: US beef imports 1 Apr 2020 - 28 Feb 2021 were "
            "233,112 t (domain-rules.md §4.3), about 255,000 t a year, split 45/55 chilled/"
            "frozen; unit values assumed")

BEEF_FLOWS = [
    FlowSpec(partner="AU", line="0201", regime="cptpp"),
    FlowSpec(partner="AU", line="0202", regime="cptpp"),
    FlowSpec(partner="US", line="0201", regime="usjta", base_t=255000 * 0.45, unit_value=750,
             source=_US_BEEF),
    FlowSpec(partner="US", line="0202", regime="usjta", base_t=255000 * 0.55, unit_value=650,
             source=_US_BEEF),
    FlowSpec(partner="CA", line="0202", regime="cptpp"),
    FlowSpec(partner="NZ", line="0202", regime="cptpp"),
    FlowSpec(partner="MX", line="0202", regime="cptpp"),
]


@dataclass
class Fitted:
    flows: list[Flow]
    base_t: np.ndarray          # (F,)
    season: np.ndarray          # (F, 12) shares, front-loading removed
    annual_sigma: float
    monthly_sigma: float
    front_loading: float
    notes: list[str]
    specs: list[FlowSpec] = field(default_factory=list)


class _History:
    """The history table's columns, read once; each flow's rows found by arrow compute.

    The readers below loop only over a flow's own rows (in table order, so every sum is
    the same as a loop over the whole table), not over every row once per flow."""

    COLUMNS = ("period_start", "tariff_line", "partner", "quantity", "value", "quantity_unit")

    def __init__(self, table: pa.Table):
        import pyarrow.compute as pc

        self._pc = pc
        self.table = table.select(list(self.COLUMNS))
        self.cols = self.table.to_pydict()
        self._kg = pc.equal(self.table.column("quantity_unit"), "kg")

    def rows(self, partner: str | None, line: str) -> np.ndarray:
        """Indices of the kg rows of ``line`` (a prefix) and ``partner`` (None: any)."""
        pc = self._pc
        mask = pc.and_(self._kg, pc.starts_with(self.table.column("tariff_line"), line))
        if partner is not None:
            mask = pc.and_(mask, pc.equal(self.table.column("partner"), partner))
        return np.flatnonzero(pc.fill_null(mask, False).to_numpy())


def _monthly_by_fy(history: _History, partner: str | None, line: str
                   ) -> dict[int, np.ndarray]:
    out: dict[int, np.ndarray] = {}
    day, qty = history.cols["period_start"], history.cols["quantity"]
    for i in history.rows(partner, line):
        fy = fiscal_year(day[i])
        out.setdefault(fy, np.zeros(12))[fiscal_month_index(day[i])] += qty[i] / 1000
    return out


def _usable(years: dict[int, np.ndarray]) -> dict[int, np.ndarray]:
    return {y: v for y, v in years.items()
            if v.sum() > 0 and np.all(v > 0.1 * v.sum() / 12)}


def market_of(designs: Sequence[Design]) -> list[FlowSpec]:
    """The flows the designs state (in order, each partner and line once); the beef market
    (:data:`BEEF_FLOWS`) for a design that states none."""
    out: list[FlowSpec] = []
    seen: set[tuple[str, str]] = set()
    for d in designs:
        for f in (d.flows or BEEF_FLOWS):
            if (f.partner, f.line) not in seen:
                seen.add((f.partner, f.line))
                out.append(f)
    return out


def fit(table: pa.Table | None, scenario: Scenario, rules: RuleSet | None = None,
        specs: Sequence[FlowSpec] | None = None) -> Fitted:
    """Fit seasons, shock sizes, front-loading and base levels from history (flows:
    ``specs``, else the scenario's, else the beef market)."""
    from tradeguard.design.backtest import _as_arrow

    table = _as_arrow(table)
    history = _History(table)
    specs = list(specs or scenario.flows or BEEF_FLOWS)
    notes: list[str] = []
    pooled: list[np.ndarray] = []
    per_flow: list[dict[int, np.ndarray]] = []
    for f in specs:
        years = _usable(_monthly_by_fy(history, f.partner, f.line))
        per_flow.append(years)
        pooled += [v / v.sum() for v in years.values()]
    pooled_season = np.mean(pooled, 0) if pooled else np.full(12, 1 / 12)
    # Front-loading: March held back and released in April (the 1 April cuts in the data).
    neutral = (pooled_season[10] + pooled_season[1]) / 2  # February (index 10) and May (1)
    phi_fit = float(np.clip(1 - pooled_season[11] / neutral, 0, 0.6)) if neutral > 0 else 0.0
    phi = phi_fit if scenario.front_loading == "fitted" else float(scenario.front_loading)
    resid, growths = [], []
    seasons, base, flows = [], [], []
    last_day = max(table.column("period_end").to_pylist())
    for f, years in zip(specs, per_flow, strict=True):
        if years:
            season = np.mean([v / v.sum() for v in years.values()], 0)
            for v in years.values():
                resid += list(np.log(v / (v.sum() * season)))
            tot = [years[y].sum() for y in sorted(years)]
            growths += list(np.diff(np.log(tot)))
        else:
            season = pooled_season
            notes.append(f"{f.partner} {f.line}: no usable history; the pooled season is used")
        # Remove the fitted March hold-back from the season; the engine re-applies it.
        season = season.copy()
        if phi_fit > 0:
            underlying = season[11] / (1 - phi_fit)
            season[1 - 1] -= underlying - season[11]  # April (index 0) gave back the release
            season[11] = underlying
            season = np.clip(season, 1e-6, None)
            season /= season.sum()
        seasons.append(season)
        if f.base_t is not None:
            level = f.base_t
        else:
            level = _last_12_months(history, f.partner, f.line, last_day)
            if level <= 0:
                notes.append(f"{f.partner} {f.line}: no imports in the data; base set to 0")
        base.append(level)
        uv = f.unit_value or _unit_value(history, f.partner, f.line) or 600.0
        flows.append(Flow(f.partner, f.regime, f.line, uv))
    a_sig = (float(np.std(growths)) if len(growths) >= 3 else 0.08) \
        if scenario.annual_shock == "fitted" else float(scenario.annual_shock)
    m_sig = (float(np.std(resid)) if len(resid) >= 12 else 0.15) \
        if scenario.monthly_shock == "fitted" else float(scenario.monthly_shock)
    return Fitted(flows, np.array(base, float), np.array(seasons), a_sig, m_sig, phi, notes,
                  specs)


def _last_12_months(history: _History, partner: str, line: str, last_day: dt.date) -> float:
    day, qty = history.cols["period_start"], history.cols["quantity"]
    lo = dt.date(last_day.year - 1, last_day.month, 1)
    total = 0.0
    for i in history.rows(partner, line):
        if day[i] > lo:
            total += qty[i] / 1000
    return total


def _unit_value(history: _History, partner: str, line: str) -> float | None:
    qty, val = history.cols["quantity"], history.cols["value"]
    q = v = 0.0
    for i in history.rows(partner, line):
        q, v = q + qty[i], v + val[i]
    return v / q if q > 0 else None


def paths(fitted: Fitted, scenario: Scenario) -> np.ndarray:
    """Baseline monthly tonnes (paths, flows, months) over warm-up + horizon years."""
    rng = np.random.default_rng(scenario.seed)
    P, F = scenario.paths, len(fitted.flows)
    Y = scenario.warmup_years + scenario.years
    rho, corr = scenario.persistence, scenario.correlation
    sig_a = fitted.annual_sigma * math.sqrt(1 - rho ** 2)  # innovations: stationary sd = fitted
    z = np.zeros((P, F))
    levels = np.empty((P, F, Y))
    for y in range(Y):
        common = rng.standard_normal((P, 1))
        own = rng.standard_normal((P, F))
        eps = math.sqrt(corr) * common + math.sqrt(1 - corr) * own
        z = rho * z + sig_a * eps if y else fitted.annual_sigma * eps
        trend = (1 + scenario.growth) ** (y - scenario.warmup_years)
        levels[:, :, y] = fitted.base_t[None, :] * trend * np.exp(z - fitted.annual_sigma ** 2 / 2)
    # Each year's level times the season's twelve shares (the same products as repeating
    # the levels twelve times, without numpy's slow repeat along a short last axis).
    month = (levels[:, :, :, None] * fitted.season[None, :, None, :]).reshape(P, F, 12 * Y)
    s_m = fitted.monthly_sigma
    if s_m > 0:  # in place: one temporary of the paths' size, not four
        shock = rng.standard_normal(month.shape)
        shock *= s_m
        shock -= s_m ** 2 / 2
        month *= np.exp(shock, out=shock)
    return month


def resolve_flows(design: Design, flows: list[Flow], rules: RuleSet, day: dt.date) -> list[Flow]:
    """A partner hit by the design imports under the design's regime (when eligible)."""
    m = design.measure
    regime = m.hits_regimes[0] if m.hits_regimes else None
    out = []
    for f in flows:
        if (regime and covers(m.lines, f.line)
                and covered_on(m.hits, f.partner, max(day, m.valid_from), rules.groups)):
            out.append(Flow(f.partner, regime, f.line, f.unit_value))
        else:
            out.append(f)
    return out


# --- results ------------------------------------------------------------------------------


OUTPUTS = ("trigger_probability", "expected_days", "imports_t", "hit_imports_t",
           "tariff_revenue_jpy", "protection_percent", "safeguard_protection_points",
           "loss_of_access_t", "loss_of_access_jpy", "consumer_cost_jpy", "extra_duty_jpy",
           "volumes_hit_t")


def summarise(res: RunResult, d: int, flows_per_design: list[list[Flow]], first_fy: int,
              hit_flows: np.ndarray) -> dict[str, Any]:
    """Per-year outputs (means over paths) for design ``d``."""
    P = res.paths
    flows = flows_per_design[d]
    years = []
    for y, fy in enumerate(res.fys):
        if fy < first_fy:
            continue
        imp = res.imports[d, y] / P
        imp_s = res.imports_sched[d, y] / P
        by_partner: dict[str, float] = {}
        for f, flow in enumerate(flows):
            by_partner[flow.partner] = by_partner.get(flow.partner, 0.0) + float(imp[f])
        hit = hit_flows[d]
        den = res.protection_den[y] or 1.0
        prot = 100 * res.protection_num[d, y] / den
        sched = 100 * res.sched_num[d, y] / den
        loss = float(res.loss[d, y] / P)
        years.append({
            "year": fy,
            "trigger_probability": float(res.crossed[d, y] / P),
            "expected_days": float(res.days[d, y] / P),
            "imports_t": float(imp.sum()),
            "imports_by_partner_t": {k: round(v, 3) for k, v in sorted(by_partner.items())},
            "hit_imports_t": float((imp * hit).sum()),
            "tariff_revenue_jpy": float(res.revenue[d, y] / P),
            "protection_percent": float(prot),
            "safeguard_protection_points": float(prot - sched),
            "loss_of_access_t": loss,
            "loss_of_access_jpy": float(res.loss_value[d, y] / P),
            "hit_imports_scheduled_t": float((imp_s * hit).sum()),
            "consumer_cost_jpy": float(res.consumer_cost[d, y] / P),
            "extra_duty_jpy": float(res.extra_duty[d, y] / P),
            "volumes_hit_t": float(res.volumes_hit[d, y] / P),
        })
    return {"id": res.design_ids[d], "years": years,
            "trigger_probability_any": float(res.ever[d] / P)}


@dataclass
class SimulationResult:
    scenario: Scenario
    designs: list[dict[str, Any]]
    fitted: dict[str, Any]
    _by_id: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False, compare=False)

    def design(self, design_id: str) -> dict[str, Any]:
        if design_id not in self._by_id:  # indexed once: a sweep asks 2,000 times
            for d in self.designs:
                self._by_id.setdefault(d["id"], d)
        return self._by_id[design_id]

    def totals(self, design_id: str) -> dict[str, float]:
        """Horizon totals (sums over years; probabilities and percents averaged)."""
        ys = self.design(design_id)["years"]
        out = {}
        for k in OUTPUTS:
            vals = [y[k] for y in ys]
            out[k] = float(np.mean(vals) if k in ("trigger_probability", "protection_percent",
                                                  "safeguard_protection_points")
                           else np.sum(vals))
        out["trigger_probability_any"] = self.design(design_id)["trigger_probability_any"]
        return out


def _run_chunk(args: tuple) -> list[dict[str, Any]]:
    designs, fitted, scenario, q0, rules, tau_ref, memo = args
    grid = Grid(scenario.first_fy - scenario.warmup_years,
                scenario.warmup_years + scenario.years)
    day = grid.month_start(0)
    flows_per = [resolve_flows(d, fitted.flows, rules, day) for d in designs]
    comps = [compile_design(d, rules, grid, fl, memo=memo)
             for d, fl in zip(designs, flows_per, strict=True)]
    e = scenario.elasticities
    pe = PE(e.armington, e.domestic, e.demand, e.import_share, fitted.front_loading)
    # The warm-up years only build history: their outputs are never reported.
    res = run(comps, q0, grid, fitted.flows, pe, tau_ref=tau_ref,
              record_from=scenario.warmup_years)
    hit = np.stack([c.hit.any(-1).astype(float) for c in comps])
    return [summarise(res, i, flows_per, scenario.first_fy, hit) for i in range(len(designs))]


_JOBS: list = []


def _run_job(i: int) -> list[dict[str, Any]]:
    return _run_chunk(_JOBS[i])


def balanced_chunks(items: Sequence[Any], most: int, workers: int) -> list[list[Any]]:
    """Split ``items`` into chunks of at most ``most``, as even as can be and a multiple of
    ``workers`` in number, so every worker gets the same share to the end."""
    if not items:
        return []
    count = math.ceil(len(items) / most)
    count = min(len(items), math.ceil(count / workers) * workers)
    size, extra = divmod(len(items), count)
    bounds = np.cumsum([0] + [size + (i < extra) for i in range(count)])
    return [list(items[a:b]) for a, b in itertools.pairwise(bounds)]


def _in_parallel(jobs: list, workers: int,
                 progress: Progress = no_progress) -> list[list[dict[str, Any]]]:
    """Every chunk's summaries, in order; ``progress("simulate", chunks done, chunks)``."""
    progress("simulate", 0, len(jobs))
    if workers <= 1 or len(jobs) <= 1:
        done = []
        for job in jobs:
            done.append(_run_chunk(job))
            progress("simulate", len(done), len(jobs))
        return done
    import multiprocessing

    # Designs hold generic pydantic models that do not pickle, and the paths are large:
    # forked workers inherit the jobs instead of receiving them, and return plain dicts.
    global _JOBS
    _JOBS = jobs
    try:
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(min(workers, len(jobs)), mp_context=ctx) as pool:
            done = []
            for part in pool.map(_run_job, range(len(jobs))):  # in order, as they finish
                done.append(part)
                progress("simulate", len(done), len(jobs))
            return done
    finally:
        _JOBS = []


def simulate(designs: Sequence[Design], scenario: Scenario | None = None, *,
             imports: Any = None, rules: RuleSet | None = None, chunk: int = 25,
             workers: int | None = None, progress: Progress = no_progress) -> SimulationResult:
    """Simulate every design on the same seeded paths; designs run in chunks of at most
    ``chunk`` (and, with ``workers`` > 1, in parallel processes), so memory stays bounded
    for large sweeps.  ``progress(stage, done, total)`` hears ``fit``, then ``simulate``
    with the chunks done."""
    scenario = scenario or Scenario()
    rules_ = rules or shipped_rules()
    groups = markets(designs) if scenario.flows is None else [(None, list(designs))]
    if len(groups) > 1:  # goods apart: each market is simulated on its own
        parts = [simulate(ds, scenario.model_copy(update={"flows": specs or BEEF_FLOWS}),
                          imports=imports, rules=rules_, chunk=chunk, workers=workers,
                          progress=progress)
                 for specs, ds in groups]
        return _merged(parts, scenario)
    progress("fit", 0, 1)
    fitted = fit(imports, scenario, rules_, scenario.flows or market_of(designs))
    if scenario.elasticities.armington == scenario.elasticities.domestic == 0 and \
            scenario.elasticities.demand == 0 and scenario.front_loading == 0:
        fitted.front_loading = 0.0
    # Laid out once with the path axis contiguous, as the engine reads it (a view keeps the
    # (paths, flows, months) shape), so no worker copies it.
    q0 = np.ascontiguousarray(paths(fitted, scenario).transpose(2, 1, 0)).transpose(2, 1, 0)
    grid = Grid(scenario.first_fy - scenario.warmup_years,
                scenario.warmup_years + scenario.years)
    memo = prepare(list(designs), rules_, grid, fitted.flows)
    # The reference rate is the one at which a flow's level was seen: for a market the
    # designs state, the first simulated year's (levels are set there, from the last data
    # year); the beef market keeps the warm-up's first month, as its seeded results always had.
    ref = scenario.warmup_years * 12 if any(d.flows for d in designs) else 0
    tau_ref = np.array([flow_rates(None, rules_, f, grid, memo)[ref] for f in fitted.flows])
    if workers is None:
        workers = min(2, os.cpu_count() or 1) if len(designs) > chunk else 1
    jobs = [(c, fitted, scenario, q0, rules_, tau_ref, memo)
            for c in balanced_chunks(designs, chunk, max(workers, 1))]
    out = [d for part in _in_parallel(jobs, workers, progress) for d in part]
    info = {"annual_sigma": fitted.annual_sigma, "monthly_sigma": fitted.monthly_sigma,
            "front_loading": fitted.front_loading, "notes": fitted.notes,
            "flows": [{"partner": f.partner, "line": f.line, "regime": f.regime,
                       "unit_value_jpy_kg": round(f.unit_value, 2), "base_t": round(b, 1),
                       "source": spec.source or "fitted to the bundled data"}
                      for f, b, spec in zip(fitted.flows, fitted.base_t, fitted.specs,
                                            strict=True)],
            "parameters": PARAMETER_SOURCES}
    return SimulationResult(scenario, out, info)


def markets(designs: Sequence[Design]) -> list[tuple[list[FlowSpec] | None, list[Design]]]:
    """The designs grouped by the market they state (None: the beef market), in order.

    Designs of different goods are simulated apart: one import-price index over pork and
    sugar would let a pork safeguard move sugar imports."""
    out: dict[tuple[FlowSpec, ...] | None, list[Design]] = {}
    for d in designs:
        out.setdefault(d.flows, []).append(d)
    return [(list(k) if k else None, v) for k, v in out.items()]


def _merged(parts: list[SimulationResult], scenario: Scenario) -> SimulationResult:
    fitted = dict(parts[0].fitted)
    fitted["flows"] = [f for p in parts for f in p.fitted["flows"]]
    fitted["notes"] = [n for p in parts for n in p.fitted["notes"]]
    fitted["markets"] = [{k: p.fitted[k] for k in ("annual_sigma", "monthly_sigma",
                                                    "front_loading", "flows")} for p in parts]
    return SimulationResult(scenario, [d for p in parts for d in p.designs], fitted)


def zero_path_records(fitted: Fitted, scenario: Scenario, design: Design,
                      rules: RuleSet | None = None) -> tuple[pa.Table, np.ndarray]:
    """The deterministic (zero-shock) path as canonical monthly import records, so that the
    back-test can replay exactly what the simulation saw."""
    from tradeguard.data.schema import CANONICAL_SCHEMA

    rules = rules or shipped_rules()
    q0 = paths(fitted, scenario.zero())
    grid = Grid(scenario.first_fy - scenario.warmup_years,
                scenario.warmup_years + scenario.years)
    flows = resolve_flows(design, fitted.flows, rules, grid.month_start(0))
    rows = []
    for f, flow in enumerate(flows):
        for t in range(grid.months):
            q = float(q0[0, f, t])
            rows.append({"period_start": grid.month_start(t), "period_end": grid.month_end(t),
                         "granularity": "month", "tariff_line": flow.line,
                         "partner": flow.partner, "quantity": q * 1000, "quantity_unit": "kg",
                         "value": q * 1000 * flow.unit_value, "currency": "JPY",
                         "regime": flow.regime, "source": "simulated (zero shocks)",
                         "batch_id": "design-lab"})
    return pa.Table.from_pylist(rows, schema=CANONICAL_SCHEMA), q0
