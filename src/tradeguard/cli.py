"""The `tradeguard` command: a thin layer over the Python API.

No business logic lives here: each command parses its options, calls the
library and prints.  Heavy modules are imported inside the commands that need
them so that `tradeguard duty ...` starts fast.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tradeguard.errors import TradeguardError

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="Agricultural import safeguards: rules, duty, monitoring.")
rules_app = typer.Typer(no_args_is_help=True, help="Validate and browse the rule library.")
app.add_typer(rules_app, name="rules")
formula_app = typer.Typer(no_args_is_help=True, help="The same safeguard formula across partners.")
app.add_typer(formula_app, name="formula")
design_app = typer.Typer(no_args_is_help=True, help="Safeguard design lab: compare, sweep, sensitivity.")
app.add_typer(design_app, name="design")
fetch_app = typer.Typer(no_args_is_help=True, help="Download data (needs a network and a key).")
app.add_typer(fetch_app, name="fetch")
lines_app = typer.Typer(no_args_is_help=True, help="Tariff lines in words: search and describe.")
app.add_typer(lines_app, name="lines")

# Piped output (make run, CI logs) gets a wide page instead of Rich's 80-column fallback.
out = Console() if sys.stdout.isatty() else Console(width=140)
err = Console(stderr=True)


def _fail(exc: TradeguardError) -> None:
    err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=1)


def _date(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        err.print(f"[bold red]error:[/] {option} `{text}` is not a date. Fix: write it as "
                  "YYYY-MM-DD, e.g. 2021-03-20")
        raise typer.Exit(code=1) from None


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


@rules_app.command("validate")
def rules_validate(
    path: Annotated[Path | None, typer.Option(help="Rule folder (default: shipped rules).")] = None,
) -> None:
    """Check every rule file; list every problem with file and key."""
    from tradeguard.rules.loader import load_rules

    try:
        rules = load_rules(path)
    except TradeguardError as exc:
        _fail(exc)
    out.print(f"[green]ok:[/] {len(rules.documents)} rule files valid in {rules.root}")


@rules_app.command("report")
def rules_report(
    path: Annotated[Path | None, typer.Option(help="Rule folder (default: shipped rules).")] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Date the horizon counts from (default: today)")] = None,
    horizon: Annotated[int, typer.Option(help="Years ahead for expiring values.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Rules quality: values by status, missing years, expiring values, overlaps.

    Exits 1 on a malformed rule or an unresolved overlap, so CI can run it.
    """
    from tradeguard.rules.quality import format_report, report_for_path

    # The interface picks today's date when none is given; the report itself takes it as input.
    known = _date(as_of, "--as-of") if as_of else dt.date.today()
    report = report_for_path(path, as_of=known, horizon_years=horizon)
    if as_json:
        _print_json(report.as_dict())
    else:
        out.print(format_report(report), markup=False, highlight=False)
    raise typer.Exit(code=0 if report.ok else 1)


@rules_app.command("list")
def rules_list(
    path: Annotated[Path | None, typer.Option(help="Rule folder.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List rule ids with their kind and title."""
    from tradeguard.rules.loader import load_rules

    try:
        rules = load_rules(path)
    except TradeguardError as exc:
        _fail(exc)
    rows = [{"id": rid, "kind": doc.kind, "title": getattr(doc, "title", "")}
            for rid, doc in sorted(rules.documents.items())]
    if as_json:
        _print_json(rows)
        return
    table = Table("id", "kind", "title", title="Rules")
    for row in rows:
        table.add_row(row["id"], row["kind"], row["title"])
    out.print(table)


@rules_app.command("show")
def rules_show(
    rule_id: Annotated[str, typer.Argument(help="Dotted rule id, e.g. usjta.beef_safeguard")],
    path: Annotated[Path | None, typer.Option(help="Rule folder.")] = None,
) -> None:
    """Show one rule as validated data, with its citations and statuses."""
    from tradeguard.rules.loader import load_rules

    try:
        doc = load_rules(path).rule(rule_id)
    except TradeguardError as exc:
        _fail(exc)
    _print_json(doc.model_dump(mode="json", exclude_none=True))



@lines_app.command("search")
def lines_search(
    query: Annotated[str, typer.Argument(help='Words or a code, e.g. "frozen beef" or 0202')],
    limit: Annotated[int, typer.Option(help="Most lines to list.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Find tariff lines by product words or by code (HS 2022 descriptions)."""
    from tradeguard.data.nomenclature import search

    try:
        hits = search(query, limit)
    except TradeguardError as exc:
        _fail(exc)
    if as_json:
        _print_json([line.row() for line in hits])
        return
    if not hits:
        out.print(f"no tariff line matches `{escape(query)}`. Try fewer words, or a code.")
        return
    table = Table("line", "description", "trade names", title=f"Lines matching “{query}”")
    for line in hits:
        table.add_row(line.code, line.description, ", ".join(line.names))
    out.print(table)

@app.command("duty")
def duty_cmd(
    line: Annotated[str, typer.Option("--line", help="Tariff line, e.g. 0202.30")],
    origin: Annotated[str, typer.Option("--origin", help="Origin, ISO alpha-2, e.g. US")],
    date: Annotated[str, typer.Option("--date", help="Import date, YYYY-MM-DD")],
    value: Annotated[float | None, typer.Option("--value", help="Customs value, JPY")] = None,
    quantity: Annotated[float | None, typer.Option("--quantity", help="Quantity, kg")] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Knowledge date (default: the import date)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Which duty applies to a shipment on a date, every option, and why."""
    from tradeguard.engine.duty import duty

    day = _date(date, "--date")
    known = _date(as_of, "--as-of") if as_of else day
    try:
        result = duty(line, origin, day, customs_value=value, quantity=quantity, as_of=known)
    except TradeguardError as exc:
        _fail(exc)
    if as_json:
        _print_json(result.model_dump(mode="json"))
        return
    _print_duty(result)


def _print_duty(result: Any) -> None:
    table = Table("", "regime", "duty", "safeguard", "amount (JPY)",
                  title=f"Line {result.tariff_line}, origin {result.origin}, {result.date}")
    for option in result.options:
        chosen = result.chosen is not None and option.regime == result.chosen.regime
        amount = "" if option.duty_amount is None else f"{option.duty_amount:,.2f}"
        table.add_row("→" if chosen else "", option.regime, option.duty,
                      "yes" if option.safeguard else "", amount)
    out.print(table)
    out.print(f"Chosen: [bold]{result.chosen.regime if result.chosen else 'none'}[/] "
              f"({result.reason})")
    for warning in result.warnings:
        text = escape(f"[{warning.code}]: {warning.message}")
        out.print(f"[bold yellow]warning[/] {text}", highlight=False, soft_wrap=True)
    _print_payable(result)
    for option in result.options:
        for entry in option.trace:
            text = (f"{entry.rule_id} {entry.key} = {entry.value} from {entry.valid_from} "
                    f"[{entry.status}] — {entry.citation}")
            out.print(f"  [dim]{option.regime}:[/] {escape(text)}", highlight=False)


def _print_payable(result: Any) -> None:
    """The amount payable, step by step with each cut of the law, or why there is none."""
    if result.payable is None:
        out.print(f"Payable: not computed — {escape(result.payable_reason or '')}",
                  highlight=False)
        return
    out.print("Payable (JPY, after the law's rounding):")
    for step in result.payable.steps:
        before = "" if step.before is None else f" (from {step.before:,})"
        status = f" [{step.status}, {step.rule_id}.{step.key}]" if step.status else ""
        out.print(f"  {step.step:<28} {step.amount:>14,}{before} — {escape(step.how)}"
                  f"{escape(status)}", highlight=False)
    for note in result.payable.notes:
        out.print(f"  [dim]{escape(note)}[/]", highlight=False)


StoreOption = Annotated[Path | None, typer.Option(
    "--store", help="DuckDB store file (default: $TRADEGUARD_STORE or the user data folder).")]


@app.command("ingest")
def ingest_cmd(
    path: Annotated[Path | None, typer.Argument(help="File to ingest.")] = None,
    store: StoreOption = None,
    fmt: Annotated[str | None, typer.Option("--format", help="Reader; default: sniffed.")] = None,
    bundled: Annotated[bool, typer.Option(
        "--bundled", help="Ingest the real Japan Customs extract shipped with tradeguard.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate only; write nothing.")] = False,
    chapters: Annotated[str | None, typer.Option(
        "--chapters", help="HS chapters to keep from Japan Customs files, e.g. 01-24 (the "
        "default) or 01,02,04-24; `all` keeps every chapter. Rows outside are skipped and "
        "counted.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Load import data into the store: atomic, idempotent, with provenance."""
    from rich.progress import Progress

    from tradeguard.data.bundled import bundled_extract_path
    from tradeguard.data.store import ingest

    if bundled == (path is not None):
        err.print("[bold red]error:[/] give a PATH or --bundled (one of them). "
                  "Fix: e.g. `tradeguard ingest --bundled`")
        raise typer.Exit(code=1)
    source = bundled_extract_path() if bundled else path
    # Provenance records when the batch was ingested: the interface reads the clock, the
    # engine only receives the time.
    now = dt.datetime.now(dt.UTC)
    with Progress(console=err, transient=True, disable=as_json) as bar:
        task = bar.add_task("ingest", total=None)

        def progress(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total or None)

        try:
            report = ingest(source, store, format=fmt, dry_run=dry_run, ingested_at=now,
                            progress=progress, chapters=chapters)
        except TradeguardError as exc:
            _fail(exc)
    if as_json:
        _print_json({k: v for k, v in report.__dict__.items()})
        return
    out.print(escape(report.summary()), highlight=False)


def _monitor(store: Path | None, as_of: str | None,
             thresholds: tuple[float, ...] | None = None) -> Any:
    from tradeguard.data.store import open_imports
    from tradeguard.monitor.report import DEFAULT_THRESHOLDS, monitor, monitor_latest

    levels = thresholds or DEFAULT_THRESHOLDS
    try:
        imports = open_imports(store)
        if as_of is None:
            # Default: each measure as of the last day the data covers what it counts, so the
            # answer depends on the data (never the clock, nor one stray row).
            return monitor_latest(imports, thresholds=levels)
        return monitor(imports, as_of=_date(as_of, "--as-of"), thresholds=levels)
    except TradeguardError as exc:
        _fail(exc)


@app.command("status")
def status_cmd(
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Knowledge date (default: per measure, the last day the data covers "
                        "what it counts)")] = None,
    store: StoreOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Every safeguard's open period: imports against the trigger, crossing, what is in force."""
    report = _monitor(store, as_of)
    rows = report.status()
    if as_json:
        _print_json(rows)
        return
    table = Table("measure", "period", "as of", "data to", "coverage", "imports (t)",
                  "trigger (t)", "share", "state", "in force", "forecast",
                  title=f"Safeguards as of {report.as_of}")
    for row in rows:
        table.add_row(row["measure_id"], row["period"], row["as_of"], row["data_through"] or "-",
                      row["coverage"], *_status_cells(row))
    out.print(table)
    for row in rows:
        for note in [row["coverage_reason"], *row["notes"]]:
            out.print(f"[dim]{row['measure_id']}:[/] {escape(note)}", highlight=False)


def _status_cells(row: dict[str, Any]) -> list[str]:
    """imports, trigger, share, state, in force, forecast: 'no data' where not computable."""
    if row["cumulative_t"] is None:
        imports, state = "no data", "not computable"
    else:
        imports = f"{row['cumulative_t']:,.0f}"
        state = ("[bold red]triggered[/] " + (row["activation_start"] or "")
                 if row["triggered"] else "open")
    trigger = ("-" if row["trigger_t"] is None
               else escape(f"{row['trigger_t']:,.0f} [{row['trigger_status']}]"))
    if row["cumulative_t"] is not None and row["trigger_t"] is None:
        trigger = "unknown"
    share = "-" if row["share"] is None else f"{row['share']:.1%}"
    in_force = row["safeguard_rate_in_force"] if row["safeguard_in_force"] else "-"
    forecast = ("-" if row["forecast_probability"] is None
                else f"P={row['forecast_probability']:.0%}, "
                     f"{row['forecast_projected_t']:,.0f} t")
    return [imports, trigger, share, state, in_force or "-", forecast]


@app.command("timeline")
def timeline_cmd(
    measure_id: Annotated[str, typer.Argument(help="Safeguard rule id, e.g. cptpp.beef_safeguard")],
    period: Annotated[str, typer.Option("--period", help="Fiscal year, e.g. FY2019")],
    out_file: Annotated[Path | None, typer.Option(
        "--out", help="Chart file to write (.svg); default: <measure>-<period>.svg")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Knowledge date")] = None,
    store: StoreOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the timeline as JSON.")] = False,
) -> None:
    """Cumulative imports against the trigger for one measure and period, with a chart."""
    from tradeguard.periods import parse_period_key, period_key
    from tradeguard.web.charts import timeline_svg

    try:
        fy = parse_period_key(period)
    except ValueError:
        err.print(f"[bold red]error:[/] --period `{period}` is not a fiscal year. "
                  "Fix: write it like FY2019")
        raise typer.Exit(code=1) from None
    report = _monitor(store, as_of)
    try:
        data = report.period(measure_id, fy).timeline()
    except TradeguardError as exc:
        _fail(exc)
    target = out_file or Path(f"{measure_id}-{period_key(fy)}.svg")
    target.write_text(timeline_svg(data), encoding="utf-8")
    if as_json:
        _print_json({**data, "chart": str(target)})
        return
    out.print(f"coverage: {data['coverage']} ({escape(data['coverage_reason'])})",
              highlight=False)
    for cond in data["conditions"]:
        table = Table("date", "cumulative (t)", "trigger (t)",
                      title=f"{measure_id} {period_key(fy)} · {cond['condition_id']}")
        for p in cond["points"]:
            trigger = "unknown" if p["trigger_t"] is None else f"{p['trigger_t']:,.1f}"
            table.add_row(p["date"], f"{p['cumulative_t']:,.1f}", trigger)
        out.print(table)
    out.print(f"chart written to {target}")


@app.command("alerts")
def alerts_cmd(
    as_of: Annotated[str | None, typer.Option("--as-of", help="Knowledge date")] = None,
    thresholds: Annotated[str, typer.Option(
        "--thresholds", help="Shares of the trigger, comma-separated")] = "0.8,0.9,1.0",
    store: StoreOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Threshold alerts (default 80%, 90%, 100% of the trigger): what crossed which, and when."""
    try:
        levels = tuple(sorted(float(t) for t in thresholds.split(",") if t.strip()))
    except ValueError:
        err.print(f"[bold red]error:[/] --thresholds `{escape(thresholds)}` is not a list of "
                  "numbers. Fix: write e.g. 0.75,0.9,1")
        raise typer.Exit(code=1) from None
    rows = [a.row() for a in _monitor(store, as_of, levels).alerts()]
    if as_json:
        _print_json(rows)
        return
    table = Table("date", "measure", "period", "threshold", "share", title="Alerts")
    for row in rows:
        share = "-" if row["share"] is None else f"{row['share']:.1%}"
        table.add_row(row["date"], row["measure_id"], row["period"],
                      f"{row['threshold']:.0%}", share)
    out.print(table)


@formula_app.command("compare")
def formula_compare(
    template_id: Annotated[str, typer.Argument(help="Template rule id, e.g. cptpp.beef_formula")],
    partners: Annotated[str, typer.Option(help="Comma-separated ISO codes, e.g. US,AU,CA")],
    shares: Annotated[str | None, typer.Option(
        help="Shares, e.g. US=242/590,AU=0.5; partners without one get their share of the "
             "listed partners' imports in --share-year from the store")] = None,
    share_year: Annotated[int | None, typer.Option(
        help="Fiscal year whose imports set the missing shares")] = None,
    offset: Annotated[float | None, typer.Option(help="Tonnes taken off the path first")] = None,
    start: Annotated[str, typer.Option("--from", help="Instance start date")] = "2020-04-01",
    store: StoreOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Year by year, the trigger each partner gets under the same formula."""
    from tradeguard.rules.loader import shipped_rules
    from tradeguard.rules.schema import _fraction
    from tradeguard.rules.templates import compare, shares_from_imports

    names = [p.strip().upper() for p in partners.split(",") if p.strip()]
    given: dict[str, float] = {}
    for item in (shares or "").split(","):
        if item.strip():
            partner, _, value = item.partition("=")
            try:
                given[partner.strip().upper()] = float(_fraction(value.strip()))
            except (TypeError, ValueError):
                err.print(f"[bold red]error:[/] share `{escape(item)}` is not PARTNER=number. "
                          "Fix: write e.g. US=242/590")
                raise typer.Exit(code=1) from None
    rules = shipped_rules()
    try:
        missing = [p for p in names if p not in given]
        if missing:
            if share_year is None:
                err.print("[bold red]error:[/] no share for " + ", ".join(missing)
                          + ". Fix: give --shares, or --share-year to compute them from data")
                raise typer.Exit(code=1)
            from tradeguard.data.store import open_imports

            computed = shares_from_imports(open_imports(store), rules, template_id, names,
                                           share_year)
            given.update({p: computed[p] for p in missing})
        rows = compare(rules, template_id, {p: given[p] for p in names},
                       valid_from=_date(start, "--from"), offset_t=offset)
    except TradeguardError as exc:
        _fail(exc)
    if as_json:
        _print_json({"template": template_id, "shares": given, "years": rows})
        return
    table = Table("from", "safeguard duty", *[f"{p} ({given[p]:.3f})" for p in names],
                  title=f"{template_id} (lines {', '.join(rules.safeguards[rules.templates[template_id].base].lines)}): trigger (t) by partner")
    for row in rows:
        table.add_row(row["from"], row["safeguard_duty"] or "-",
                      *["-" if row[p] is None else f"{row[p]:,.0f}" for p in names])
    out.print(table)


@app.command("surges")
def surges_cmd(
    store: StoreOption = None,
    backend: Annotated[str, typer.Option("--backend", help="duckdb or spark")] = "duckdb",
    method: Annotated[list[str] | None, typer.Option(
        "--method", help="fao130, ssm, zscore, art5 (repeat; default: all)")] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Knowledge date (default: the data's last day)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Scan every line and partner for import surges, each flag labelled and explained."""
    from tradeguard.surge.api import flags_as_json, scan_store

    if backend not in ("duckdb", "spark"):
        err.print(f"[bold red]error:[/] --backend `{escape(backend)}` is not duckdb or spark")
        raise typer.Exit(code=1)
    try:
        flags = scan_store(store, as_of=_date(as_of, "--as-of") if as_of else None,
                           backend=backend, methods=method or None)
    except TradeguardError as exc:
        _fail(exc)
    rows = flags_as_json(flags)
    if as_json:
        _print_json(rows)
        return
    table = Table("period", "line", "partner", "method", "label", "explanation",
                  title=f"{len(rows):,} surge flags")
    for r in rows:
        table.add_row(r["period"], r["tariff_line"], r["partner"], r["method"], r["label"],
                      escape(r["explanation"]))
    out.print(table)


@app.command("evidence")
def evidence_cmd(
    line: Annotated[str, typer.Option("--line", help="Tariff line or prefix, e.g. 0201")],
    partners: Annotated[str | None, typer.Option(
        "--partners", help="Comma-separated ISO codes (default: all)")] = None,
    domestic: Annotated[Path | None, typer.Option(
        "--domestic", help="JSON file of domestic series: {series: {year: value}}")] = None,
    html: Annotated[Path | None, typer.Option("--html", help="Write the HTML report here")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Knowledge date")] = None,
    store: StoreOption = None,
) -> None:
    """The WTO Agreement on Safeguards Art. 4.2(a) evidence pack for a line and partners."""
    from tradeguard.data.store import open_imports
    from tradeguard.surge import evidence_pack
    from tradeguard.surge.api import last_day

    try:
        imports = open_imports(store)
        try:
            pack = evidence_pack(
                imports, tariff_line=line,
                partners=[p.strip().upper() for p in partners.split(",")] if partners else None,
                as_of=_date(as_of, "--as-of") if as_of else last_day(imports),
                domestic=json.loads(domestic.read_text(encoding="utf-8")) if domestic else None)
        finally:
            imports.get_backend().disconnect()
    except TradeguardError as exc:
        _fail(exc)
    if html:
        from tradeguard.web.evidence import evidence_html

        html.write_text(evidence_html(pack), encoding="utf-8")
    sys.stdout.write(pack.to_json() + "\n")


@fetch_app.command("comtrade")
def fetch_comtrade_cmd(
    period: Annotated[str, typer.Option("--period", help="e.g. 2023 or 202301")],
    commodities: Annotated[str, typer.Option("--commodities", help="HS codes, comma-separated")],
    out_file: Annotated[Path, typer.Option("--out", help="CSV file to write")],
    reporter: Annotated[str, typer.Option("--reporter", help="M49 reporter code")] = "392",
    key: Annotated[str | None, typer.Option("--key", envvar="COMTRADE_API_KEY",
                                            help="UN Comtrade API key")] = None,
    parquet: Annotated[Path | None, typer.Option(
        "--parquet", help="Also stream the download to canonical Parquet")] = None,
) -> None:
    """Download UN Comtrade data with the official comtradeapicall client (optional)."""
    from tradeguard.surge import fetch_comtrade, stream_comtrade

    try:
        path = fetch_comtrade(out_file, reporter=reporter, period=period,
                              commodities=commodities, api_key=key)
        if parquet:
            from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

            with Progress("[progress.description]{task.description}", BarColumn(),
                          DownloadColumn(), TimeRemainingColumn(), console=err,
                          transient=True) as bar:
                task = bar.add_task("reading Comtrade file", total=None)

                def progress(stage: str, done: int, total: int) -> None:
                    bar.update(task, completed=done, total=total or None)

                _, report = stream_comtrade(path, out=parquet, progress=progress)
            out.print(report.summary())
    except TradeguardError as exc:
        _fail(exc)
    out.print(f"wrote {path}")


PathsOption = Annotated[int, typer.Option("--paths", help="Monte Carlo paths (seeded).")]
YearsOption = Annotated[int, typer.Option("--years", help="Years simulated ahead.")]
SeedOption = Annotated[int, typer.Option("--seed", help="Random seed.")]


@design_app.command("compare")
def design_compare(
    files: Annotated[list[Path], typer.Argument(
        help="Design files (YAML), or shipped examples by name (e.g. beef-us-opening)")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for report.html and report.json")],
    paths: PathsOption = 2000, years: YearsOption = 16, seed: SeedOption = 20261127,
    first_fy: Annotated[int, typer.Option("--first-fy", help="First simulated year")] = 2020,
) -> None:
    """Back-test and simulate designs side by side; write DIR/report.html and DIR/report.json."""
    from tradeguard.design.compare import compare, write_report
    from tradeguard.design.simulate import Scenario
    from tradeguard.design.spec import load_designs

    try:
        designs = load_designs(files)
        scenario = Scenario(paths=paths, years=years, seed=seed, first_fy=first_fy)
        json_path, html_path = write_report(compare(designs, scenario), out_dir)
    except TradeguardError as exc:
        _fail(exc)
    out.print(f"wrote {html_path} and {json_path}")


@design_app.command("sweep")
def design_sweep(
    spec: Annotated[Path, typer.Argument(
        help="Sweep specification (YAML): base, vary, positions; or an example's name")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for sweep.html and sweep.json")],
    paths: PathsOption = 2000, years: YearsOption = 16, seed: SeedOption = 20261127,
    workers: Annotated[int, typer.Option("--workers", help="Worker processes")] = 2,
) -> None:
    """Vary design elements over a grid; draw the protection / market-access frontier."""
    from tradeguard.design.compare import load_sweep, sweep, write_sweep
    from tradeguard.design.simulate import Scenario

    try:
        base, vary, positions = load_sweep(spec)
        result = sweep(base, vary, Scenario(paths=paths, years=years, seed=seed),
                       positions=positions, workers=workers)
        json_path, html_path = write_sweep(result, out_dir)
    except TradeguardError as exc:
        _fail(exc)
    out.print(f"wrote {html_path} and {json_path}")


@design_app.command("sensitivity")
def design_sensitivity(
    design: Annotated[Path, typer.Argument(help="Design file (YAML) or an example's name")],
    element: Annotated[str, typer.Option("--element", help="Element to move, e.g. trigger_scale")],
    values: Annotated[str, typer.Option("--values", help="Comma-separated values")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for sensitivity.html/.json")],
    paths: PathsOption = 2000, years: YearsOption = 16,
) -> None:
    """Move one element and show the effect on every output."""
    import yaml

    from tradeguard.design.compare import sensitivity, sensitivity_html
    from tradeguard.design.simulate import Scenario
    from tradeguard.design.spec import read_document

    try:
        doc, _ = read_document(design)
        result = sensitivity(doc, element, [yaml.safe_load(v) for v in values.split(",")],
                             Scenario(paths=paths, years=years))
    except TradeguardError as exc:
        _fail(exc)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "sensitivity.json").write_text(json.dumps(result, indent=1, default=str),
                                              encoding="utf-8")
    (out_dir / "sensitivity.html").write_text(sensitivity_html(result), encoding="utf-8")
    out.print(f"wrote {out_dir / 'sensitivity.html'} and {out_dir / 'sensitivity.json'}")


@app.command("serve")
def serve_cmd(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    store: StoreOption = None,
) -> None:
    """Serve the dashboard and the REST API (docs at /docs); uploads need TRADEGUARD_API_TOKEN."""
    from tradeguard.api.app import serve

    try:
        serve(host, port, store)
    except TradeguardError as exc:
        _fail(exc)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
