"""The Python API as a notebook user meets it: ``import tradeguard as tg``.

One function for each question, in the words of the CLI: ``duty``, ``duty_batch``, ``ingest``,
``status``, ``surges``, ``compare_designs``, ``rules``, ``lines``; a ``Store`` names the import
store they read.  Answers that are rows are :class:`~tradeguard.results.Results` (a one-line
repr, an HTML table, ``to_pandas()``, ``to_arrow()``); a duty answer is the engine's
``DutyResult`` with the same three.  Everything here calls the library's own functions: no
rule, no number and no computation lives in this module.  Like the CLI, ``ingest`` stamps its
provenance with the current time unless given one; nothing else reads the clock.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tradeguard.engine.duty import DutyResult
from tradeguard.engine.duty import duty as _engine_duty
from tradeguard.results import Results

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pandas as pd
    import pyarrow as pa

    from tradeguard.data.store import IngestReport
    from tradeguard.monitor.report import MonitorReport
    from tradeguard.rules.loader import RuleSet
    from tradeguard.surge.select import FlagPage

class DutyAnswer(DutyResult):
    """A :class:`~tradeguard.engine.duty.DutyResult` that shows itself in a line or a table."""

    def __repr__(self) -> str:
        chosen = self.chosen
        what = "no option" if chosen is None else (
            f"{chosen.regime} {chosen.duty}" + (", safeguard" if chosen.safeguard else ""))
        payable = "" if self.payable is None else f", payable {self.payable.total:,} JPY"
        warned = f", {len(self.warnings)} warning(s)" if self.warnings else ""
        return (f"<Duty on {self.tariff_line} from {self.origin} on {self.date}: "
                f"{what}{payable}{warned}>")

    def options_table(self) -> Results:
        """One row per option: regime, duty, safeguard, amount (exact, as text), chosen."""
        chosen = None if self.chosen is None else self.chosen.regime
        rows = [{"regime": o.regime, "agreement": o.agreement, "duty": o.duty,
                 "ad_valorem_percent": o.ad_valorem_percent, "safeguard": o.safeguard,
                 "in_quota": o.in_quota,
                 "duty_amount": None if o.duty_amount is None else str(o.duty_amount),
                 "chosen": o.regime == chosen} for o in self.options]
        notes = [f"warning [{w.code}]: {w.message}" for w in self.warnings]
        return Results.from_rows(rows, repr(self).strip("<>"), notes=[self.reason, *notes])

    def to_arrow(self) -> pa.Table:
        """The options as a ``pyarrow.Table`` (amounts as exact decimal text)."""
        return self.options_table().to_arrow()

    def to_pandas(self) -> pd.DataFrame:
        """The options as a ``pandas.DataFrame`` (amounts as exact decimal text)."""
        return self.options_table().to_pandas()

    def _repr_html_(self) -> str:
        return self.options_table()._repr_html_()


@functools.wraps(_engine_duty)
def duty(*args: Any, **kwargs: Any) -> DutyAnswer:
    result = _engine_duty(*args, **kwargs)
    return DutyAnswer.model_construct(result.model_fields_set, **dict(result))


class Store:
    """The import store: one DuckDB file (default ``$TRADEGUARD_STORE`` or the user data
    folder).  Pass it, or a path, as ``store=`` to ``ingest``, ``status`` and ``surges``."""

    def __init__(self, path: str | os.PathLike[str] | None = None):
        from tradeguard.data.store import default_store_path

        self.path = Path(path) if path is not None else default_store_path()

    def __fspath__(self) -> str:
        return str(self.path)

    def imports(self) -> ir.Table:
        """The imported rows as an Ibis table (read-only)."""
        from tradeguard.data.store import open_imports

        return open_imports(self.path)

    def batches(self) -> Results:
        """One row per ingested file: what it held and where it came from."""
        from tradeguard.data.store import open_batches

        table = open_batches(self.path)
        try:
            return Results(table.to_pyarrow(), f"Batches in {self.path.name}")
        finally:
            table.get_backend().disconnect()

    def __repr__(self) -> str:
        state = "" if self.path.is_file() else ", not created yet"
        return f"Store({str(self.path)!r}{state})"


def _store_path(store: Store | str | os.PathLike[str] | None) -> Path | None:
    return None if store is None else Path(store)


class IngestAnswer:
    """What :func:`ingest` did, in one line; ``status``, ``rows``, ``batch_id`` ... are those
    of the ``IngestReport`` behind it (``report``)."""

    def __init__(self, report: IngestReport):
        self.report = report

    def __getattr__(self, name: str) -> Any:
        report = self.__dict__.get("report")  # absent while copy or pickle rebuilds the object
        if report is None:
            raise AttributeError(name)
        return getattr(report, name)

    def __repr__(self) -> str:
        return f"<Ingest {self.report.summary().splitlines()[0]}>"

    def _repr_html_(self) -> str:
        import html

        return f"<pre>{html.escape(self.report.summary())}</pre>"


def ingest(path: str | os.PathLike[str] | None = None, store: Store | str | None = None, *,
           bundled: bool = False, format: str | None = None, chapters: str | None = None,
           dry_run: bool = False, ingested_at: dt.datetime | None = None) -> IngestAnswer:
    """Load one import file into the store: atomic, idempotent, with provenance.

    Give a ``path``, or ``bundled=True`` for the real Japan Customs extract shipped with
    tradeguard.  ``format`` (default: sniffed), ``chapters`` and ``dry_run`` are those of
    ``tradeguard ingest``; ``ingested_at`` (default: now, UTC) is recorded as provenance.
    Raises :class:`TradeguardError` with the rows at fault; the store is then unchanged.
    """
    from tradeguard.data.bundled import bundled_extract_path
    from tradeguard.data.store import ingest as store_ingest
    from tradeguard.errors import InputError, problem

    if bundled == (path is not None):
        raise InputError(problem("give a path or bundled=True (one of them)", where="ingest",
                                 fix='e.g. tg.ingest("imports.csv") or tg.ingest(bundled=True)'))
    source = bundled_extract_path() if bundled else Path(path)
    stamp = ingested_at or dt.datetime.now(dt.UTC)
    return IngestAnswer(store_ingest(source, _store_path(store), format=format,
                                     dry_run=dry_run, ingested_at=stamp, chapters=chapters))


class StatusAnswer(Results):
    """Each safeguard's open period (``tradeguard status``), with ``alerts()`` and the full
    ``report`` (timelines, activations) behind it."""

    def __init__(self, report: MonitorReport):
        rows = report.status()
        super().__init__(Results.from_rows(rows, "").to_arrow(),
                         f"Safeguard status as of {report.as_of}")
        self.report = report

    def alerts(self) -> Results:
        """The first day each period's share of its trigger reached each threshold."""
        rows = [a.row() for a in self.report.alerts()]
        return Results.from_rows(rows, "Alerts", columns=("date", "measure_id", "period",
                                                          "threshold", "share"))


def status(store: Store | str | None = None, *, as_of: dt.date | None = None,
           thresholds: Sequence[float] = (0.8, 0.9, 1.0)) -> StatusAnswer:
    """Every safeguard's open period: imports against the trigger, crossing, what is in force.

    Without ``as_of``, each measure is judged as of the last day the data covers what it
    counts (as ``tradeguard status``).  ``thresholds`` are shares of the trigger for
    ``.alerts()``.  Where the data cannot say, ``cumulative_t`` is None with the reason.
    """
    from tradeguard.data.store import open_imports
    from tradeguard.monitor.report import monitor, monitor_latest

    imports = open_imports(_store_path(store))
    levels = tuple(thresholds)
    if as_of is None:
        return StatusAnswer(monitor_latest(imports, thresholds=levels))
    return StatusAnswer(monitor(imports, as_of=as_of, thresholds=levels))


class SurgeFlags(Results):
    """The surge flags an analyst sees (``tradeguard surges``): filtered, material unless asked
    otherwise, largest increase first.  ``left_out`` counts the immaterial flags hidden, by
    reason (never silently); ``materiality`` is the threshold applied, as rule data."""

    def __init__(self, chosen: FlagPage):
        hidden = chosen.left_out.get("left out", 0)
        reasons = "; ".join(f"{k}: {v:,}" for k, v in chosen.left_out.items()
                            if k != "left out")
        notes = [f"{hidden:,} immaterial flags left out ({reasons}); "
                 "include_immaterial=True shows them"] if hidden else []
        super().__init__(chosen.flags, "Surge flags", notes=notes)
        self.left_out = dict(chosen.left_out)
        self.materiality = dict(chosen.threshold)


def surges(store: Store | str | None = None, *, as_of: dt.date | None = None,
           methods: Sequence[str] | None = None, backend: str = "duckdb",
           line: str | None = None, origin: str | None = None, label: str | None = None,
           min_tonnes: float | None = None, period: str | None = None,
           include_immaterial: bool = False, sort: str = "size") -> SurgeFlags:
    """Every line and partner scanned for import surges, each flag labelled and explained
    (``tradeguard surges``); ``as_of`` defaults to the data's last day.

    The flags are chosen as the CLI, the API and the desk choose them
    (:func:`tradeguard.surge.select.select_flags`): ``line`` (a prefix), ``origin``,
    ``label``, ``min_tonnes`` (the smallest increase over the baseline) and ``period``
    (``YYYY-MM`` or ``YYYY-MM:YYYY-MM``) filter; flags under the materiality threshold (rule
    data) are left out unless ``include_immaterial``, and counted in ``.left_out``; ``sort``
    is ``size`` (largest increase first), ``line`` or ``period``.  Every chosen flag is
    returned (no pages).
    """
    from tradeguard.surge.api import scan_store
    from tradeguard.surge.select import select_flags

    flags = scan_store(_store_path(store), as_of=as_of, backend=backend, methods=methods)
    first, _, last = (period or "").partition(":")
    chosen = select_flags(flags, tariff_line=line, partner=(origin or "").upper() or None,
                          label=label, period_from=first or None,
                          period_to=(last or first) or None, min_tonnes=min_tonnes,
                          include_immaterial=include_immaterial, sort=sort, per_page=None)
    return SurgeFlags(chosen)


class DesignComparison(Results):
    """One row per design (its totals over the simulated years); ``years()`` year by year,
    ``report`` the whole comparison, ``write(folder)`` the HTML and JSON report."""

    def __init__(self, report: dict[str, Any]):
        rows = [{"id": d["id"], "title": d["title"], **d["totals"]} for d in report["designs"]]
        super().__init__(Results.from_rows(rows, "").to_arrow(), "Design comparison",
                         notes=report["notes"])
        self.report = report

    def years(self) -> Results:
        """One row per design and simulated year."""
        rows = [{"id": d["id"], **y} for d in self.report["designs"] for y in d["years"]]
        return Results.from_rows(rows, "Design comparison by year")

    def write(self, folder: str | os.PathLike[str]) -> tuple[Path, Path]:
        """Write FOLDER/report.html and FOLDER/report.json; return (json, html)."""
        from tradeguard.web.design_report import write_report

        return write_report(self.report, folder)


def compare_designs(designs: Sequence[str | os.PathLike[str]], *, paths: int = 2000,
                    years: int = 16, seed: int | None = None,
                    first_fy: int = 2020) -> DesignComparison:
    """Back-test and simulate safeguard designs side by side (``tradeguard design compare``).

    ``designs`` are shipped examples by name (``"beef-us-opening"``) or paths to design YAML;
    the simulation is seeded Monte Carlo with ``paths`` paths over ``years`` years.
    """
    from tradeguard.design.compare import compare
    from tradeguard.design.simulate import Scenario
    from tradeguard.design.spec import load_designs

    scenario = Scenario(paths=paths, years=years, first_fy=first_fy,
                        **({} if seed is None else {"seed": seed}))
    return DesignComparison(compare(load_designs(list(designs)), scenario))


class RuleBook(Results):
    """The rule library: one row per rule (id, kind, title); ``rule(id)`` one validated rule,
    ``ruleset`` what ``duty(..., rules=...)`` and ``duty_batch`` take."""

    def __init__(self, ruleset: RuleSet):
        rows = [{"id": rid, "kind": doc.kind, "title": getattr(doc, "title", "")}
                for rid, doc in sorted(ruleset.documents.items())]
        super().__init__(Results.from_rows(rows, "").to_arrow(), "Rules")
        self.ruleset = ruleset

    def rule(self, rule_id: str) -> Any:
        """One rule as validated data, with its citations and statuses."""
        return self.ruleset.rule(rule_id)


def rules(path: str | os.PathLike[str] | None = None) -> RuleBook:
    """The rule library (default: the shipped rules), validated: every problem is raised at
    once as a ``RuleValidationError`` (a :class:`TradeguardError`)."""
    from tradeguard.rules.loader import load_rules

    return RuleBook(load_rules(path))


def lines(query: str, limit: int = 20) -> Results:
    """Tariff lines by product words or by code (``"frozen beef"``, ``"0202"``), with their
    HS 2022 descriptions and trade names."""
    from tradeguard.data.nomenclature import search

    return Results.from_rows([line.row() for line in search(query, limit)],
                             f"Lines matching {query!r}",
                             columns=("code", "level", "description", "names"))
