"""The `tradeguard` command: a thin layer over the Python API.

No business logic lives here: each command parses its options, calls the
library and prints.  Heavy modules are imported inside the commands that need
them so that `tradeguard duty ...` starts fast.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tradeguard.cli_progress import Progress, progress_bar, warnings_to
from tradeguard.cli_support import user_words
from tradeguard.errors import InputError, TradeguardError, problem

# Typer's completion: `tradeguard --install-completion` (bash, zsh, fish, PowerShell).
app = typer.Typer(no_args_is_help=True, add_completion=True,
                  help="Agricultural import safeguards: rules, duty, monitoring.")


def _sub_app(name: str, help_text: str) -> typer.Typer:
    """A command group ``tradeguard NAME ...`` (bare ``tradeguard NAME`` shows its help)."""
    group = typer.Typer(no_args_is_help=True, help=help_text)
    app.add_typer(group, name=name)
    return group


rules_app = _sub_app("rules", "Validate and browse the rule library.")
formula_app = _sub_app("formula", "The same safeguard formula across partners.")
design_app = _sub_app("design", "Safeguard design lab: compare, sweep, sensitivity.")
fetch_app = _sub_app("fetch", "Download data (needs a network and a key).")
lines_app = _sub_app("lines", "Tariff lines in words: search and describe.")
batches_app = _sub_app("batches", "The store's batches: list, remove (undo).")

# Options that several commands share, declared once (Typer copies each per command).
StoreOption = Annotated[Path | None, typer.Option(
    "--store", help="DuckDB store file (default: $TRADEGUARD_STORE or the user data folder).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
AsOfOption = Annotated[str | None, typer.Option("--as-of", help="Knowledge date")]
DataAsOfOption = Annotated[str | None, typer.Option(
    "--as-of", help="Knowledge date (default: the data's last day)")]
LINE_OR_PREFIX = typer.Option("--line", help="Tariff line or prefix, e.g. 0202")

# Piped output (make run, CI logs) gets a wide page instead of Rich's 80-column fallback.
out = Console() if sys.stdout.isatty() else Console(width=140)
err = Console(stderr=True)
T = TypeVar("T")


def _fail(exc: TradeguardError | str) -> NoReturn:
    """Print the error in the CLI's words (options, commands; no Python names) and exit 1."""
    err.print(f"[bold red]error:[/] {escape(user_words(str(exc)))}", highlight=False,
              soft_wrap=True, emoji=False)
    raise typer.Exit(code=1)


def _or_fail(call: Callable[[], T]) -> T:
    """``call()``; a library error instead ends the command in the CLI's words (exit 1)."""
    try:
        return call()
    except TradeguardError as exc:
        _fail(exc)


def _scenario(**fields: Any) -> Any:
    """The Monte Carlo scenario of a design command; a value out of its range is the user's
    error, named by its option (``--years 50``: at most 40), never a traceback."""
    from pydantic import ValidationError

    from tradeguard.design.simulate import Scenario

    try:
        return Scenario(**fields)
    except ValidationError as exc:
        wrong = "; ".join(f"--{'-'.join(map(str, e['loc']))} {e['input']}: {e['msg'].lower()}"
                          for e in exc.errors())
        _fail(InputError(problem(f"the simulation's options are out of range ({wrong})",
                                 fix="see `tradeguard design --help` for each option's range")))


def _with_progress(what: str, as_json: bool, work: Callable[[Progress], T]) -> T:
    """``work(progress)`` under a progress bar on stderr (none with --json: a program reads
    stdout); a library error instead ends the command, as ``_or_fail``."""
    def run() -> T:
        with progress_bar(err, what, quiet=as_json) as progress:
            return work(progress)

    return _or_fail(run)


def _version(show: bool) -> None:
    if show:
        from tradeguard import __version__

        sys.stdout.write(f"tradeguard {__version__}\n")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True,
        help="Print the version and exit.")] = False,
) -> None:
    """Agricultural import safeguards: rules, duty, monitoring."""


def _deprecated(old: str, new: str) -> None:
    """Say once, on stderr (stdout may be JSON), that a spelling still works but is going."""
    err.print(f"[yellow]note:[/] {old} is deprecated; use {new}", highlight=False)


def _date(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        _fail(f"{option} `{text}` is not a date. Fix: write it as YYYY-MM-DD, e.g. 2021-03-20")


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


@rules_app.command("validate")
def rules_validate(
    path: Annotated[Path | None, typer.Option(help="Rule folder (default: shipped rules).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON: ok, files, problems.")] = False,
) -> None:
    """Check every rule file; list every problem with file and key."""
    from tradeguard.errors import RuleValidationError
    from tradeguard.rules.loader import load_rules

    try:
        rules = load_rules(path)
    except RuleValidationError as exc:
        if not as_json:
            _fail(exc)
        _print_json({"ok": False, "path": None if path is None else str(path),
                     "rule_files": None,
                     "problems": [user_words(p) for p in exc.problems]})
        raise typer.Exit(code=1) from None
    except TradeguardError as exc:
        _fail(exc)
    if as_json:
        _print_json({"ok": True, "path": str(rules.root), "rule_files": len(rules.documents),
                     "problems": []})
        return
    out.print(f"[green]ok:[/] {len(rules.documents)} rule files valid in {rules.root}")


@rules_app.command("report")
def rules_report(
    path: Annotated[Path | None, typer.Option(help="Rule folder (default: shipped rules).")] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Date the horizon counts from (default: today)")] = None,
    horizon: Annotated[int, typer.Option(help="Years ahead for expiring values.")] = 5,
    as_json: JsonOption = False,
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
    as_json: JsonOption = False,
) -> None:
    """List rule ids with their kind and title."""
    from tradeguard.rules.loader import load_rules

    rules = _or_fail(lambda: load_rules(path))
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
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print JSON (the only output: a rule is shown as its data).")] = False,
) -> None:
    """Show one rule as validated data (JSON), with its citations and statuses."""
    from tradeguard.rules.loader import load_rules

    try:
        doc = load_rules(path).rule(rule_id)
    except TradeguardError as exc:
        _fail(exc)
    _print_json(doc.model_dump(mode="json", exclude_none=True))



@rules_app.command("coverage")
def rules_coverage(
    path: Annotated[Path | None, typer.Option(help="Rule folder (default: shipped rules).")] = None,
    as_json: JsonOption = False,
    markdown: Annotated[bool, typer.Option(
        "--markdown", help="Print the Markdown table of docs/rules-coverage.md.")] = False,
) -> None:
    """Each agreement x product group: encoded, partly encoded, excluded or not encoded,
    with the rule values behind it counted by status (C, C2, D, U)."""
    from tradeguard.rules.coverage import GROUPS, cell_text, coverage, markdown_table
    from tradeguard.rules.loader import load_rules

    try:
        cells = coverage(load_rules(path))
    except TradeguardError as exc:
        _fail(exc)
    if as_json:
        _print_json([c.as_dict() for c in cells])
        return
    if markdown:
        sys.stdout.write(markdown_table(cells) + "\n")
        return
    table = Table("agreement", *GROUPS, title="Rules coverage: treatment (values confirmed/"
                  "secondary/derived/unconfirmed)")
    rows: dict[str, list[str]] = {}
    for cell in cells:
        rows.setdefault(cell.short_name, []).append(cell_text(cell))
    for name, texts in rows.items():
        table.add_row(name, *texts)
    out.print(table)
    for cell in cells:
        if cell.note:
            out.print(f"[dim]{escape(cell.short_name)} · {cell.group}:[/] {escape(cell.note)}",
                      highlight=False)


@lines_app.command("search")
def lines_search(
    query: Annotated[str, typer.Argument(help='Words or a code, e.g. "frozen beef" or 0202')],
    limit: Annotated[int, typer.Option(help="Most lines to list.")] = 20,
    as_json: JsonOption = False,
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
    as_json: JsonOption = False,
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
              f"({escape(user_words(result.reason))})")
    for warning in result.warnings:
        text = escape(f"[{warning.code}]: {warning.message}")
        out.print(f"[bold yellow]warning[/] {text}", highlight=False, soft_wrap=True)
    for note in result.notes:  # e.g. "rice is excluded under the RCEP ...; MFN applies"
        out.print(f"note: {escape(note)}", highlight=False, soft_wrap=True)
    _print_payable(result)
    for option in result.options:
        for entry in option.trace:
            text = (f"{entry.rule_id} {entry.key} = {entry.value} from {entry.valid_from} "
                    f"[{entry.status}] — {entry.citation}")
            out.print(f"  [dim]{option.regime}:[/] {escape(text)}", highlight=False)


def _print_payable(result: Any) -> None:
    """The amount payable, step by step with each cut of the law, or why there is none."""
    if result.payable is None:
        out.print(f"Payable: not computed — {escape(user_words(result.payable_reason or ''))}",
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
    replace: Annotated[bool, typer.Option(
        "--replace", help="Store the file as a revision: its records supersede the stored "
        "records with the same keys (both are kept).")] = False,
    known_on: Annotated[str | None, typer.Option(
        "--known-on", help="Day the figures became known, YYYY-MM-DD (default: today, the "
        "ingest date).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Load import data into the store: atomic, idempotent by content, with provenance."""
    from tradeguard.data.bundled import bundled_extract_path
    from tradeguard.data.store import ingest

    if bundled == (path is not None):
        _fail("give a PATH or --bundled (one of them). Fix: e.g. `tradeguard ingest --bundled`")
    source = bundled_extract_path() if bundled else path
    # Provenance records when the batch was ingested: the interface reads the clock, the
    # engine only receives the time.
    now = dt.datetime.now(dt.UTC)
    with progress_bar(err, "ingest", quiet=as_json) as progress:
        try:
            report = ingest(source, store, format=fmt, dry_run=dry_run, ingested_at=now,
                            progress=progress, chapters=chapters, replace=replace,
                            known_on=_date(known_on, "--known-on") if known_on else None)
        except TradeguardError as exc:
            _fail(exc)
    if as_json:
        _print_json({k: v for k, v in report.__dict__.items()})
        return
    out.print(escape(report.summary()), highlight=False)


@batches_app.command("list")
def batches_list(
    store: StoreOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON: batches and removals.")
                       ] = False,
) -> None:
    """Every batch in the store, by number, with what it holds and when it became known."""
    from tradeguard.data.batches import list_batches

    found = _or_fail(lambda: list_batches(store))
    if as_json:
        _print_json(found)
        return
    table = Table("no", "batch", "file", "format", "rows", "periods", "known on", "ingested",
                  "revision", "by")
    for b in found["batches"]:
        span = f"{b['period_min']} to {b['period_max']}" if b["period_min"] else "-"
        table.add_row(str(b["batch_no"]), b["batch_id"][:12], escape(b.get("source_name") or
                      b["source_path"]), b["format"], f"{b['row_count']:,}", span,
                      str(b["known_on"]), str(b["ingested_at"])[:16].replace("T", " "),
                      "yes" if b.get("revision") else "", escape(b.get("uploaded_by") or ""))
    out.print(table)
    if found["removed"]:
        out.print(f"{len(found['removed'])} removal(s) recorded (see --json)")


@batches_app.command("remove")
def batches_remove(
    batch: Annotated[str, typer.Argument(help="Batch number (see `batches list`) or full id.")],
    store: StoreOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would go; change nothing.")
                       ] = False,
    as_json: JsonOption = False,
) -> None:
    """Remove one batch (atomic, recorded in the store's batch events)."""
    import getpass

    from tradeguard.data.batches import remove_batch

    # the interface reads the clock and the user; the engine only records them
    done = _or_fail(lambda: remove_batch(batch, store, removed_at=dt.datetime.now(dt.UTC),
                                         removed_by=getpass.getuser(), dry_run=dry_run))
    if as_json:
        _print_json(done.as_dict())
        return
    out.print(escape(done.summary()), highlight=False)


def _monitor(store: Path | None, as_of: str | None,
             thresholds: tuple[float, ...] | None = None) -> Any:
    from tradeguard.data.store import open_imports
    from tradeguard.monitor.report import DEFAULT_THRESHOLDS, monitor, monitor_latest

    levels = thresholds or DEFAULT_THRESHOLDS
    try:
        imports = open_imports(store, known_on=_date(as_of, "--as-of") if as_of else None)
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
    as_json: JsonOption = False,
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
    if row.get("forecast_prior") not in (None, "own_history"):
        forecast += f" (prior: {row['forecast_prior']})"  # the season was borrowed
    return [imports, trigger, share, state, in_force or "-", forecast]


@app.command("timeline")
def timeline_cmd(
    measure_id: Annotated[str, typer.Argument(help="Safeguard rule id, e.g. cptpp.beef_safeguard")],
    period: Annotated[str, typer.Option("--period", help="Fiscal year, e.g. FY2019")],
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="Folder for the chart <measure>-<period>.svg (default: the current "
        "folder)")] = None,
    as_of: AsOfOption = None,
    store: StoreOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the timeline as JSON.")] = False,
) -> None:
    """Cumulative imports against the trigger for one measure and period, with a chart."""
    from tradeguard.periods import parse_period_key, period_key
    from tradeguard.web.charts import timeline_svg

    try:
        fy = parse_period_key(period)
    except ValueError:
        _fail(f"--period `{period}` is not a fiscal year. Fix: write it like FY2019")
    report = _monitor(store, as_of)
    try:
        data = report.period(measure_id, fy).timeline()
    except TradeguardError as exc:
        _fail(exc)
    target = _out_path(out_dir, f"{measure_id}-{period_key(fy)}.svg", old_suffix=".svg")
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


def _out_path(out_dir: Path | None, name: str, *, old_suffix: str | None = None) -> Path:
    """DIR/name, the folder made if missing.  ``--out`` is a folder on every command; a value
    ending in ``old_suffix`` is the older file spelling, still honoured with a note."""
    if (old_suffix and out_dir is not None and out_dir.suffix.lower() == old_suffix
            and not out_dir.is_dir()):
        _deprecated(f"--out FILE{old_suffix}", "--out FOLDER (the file is named for you)")
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        return out_dir
    folder = out_dir or Path()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _fail(f"--out {folder}: cannot make the folder ({exc.strerror}). Fix: choose a "
              "folder you can write to")
    return folder / name


@app.command("alerts")
def alerts_cmd(
    as_of: AsOfOption = None,
    thresholds: Annotated[str, typer.Option(
        "--thresholds", help="Levels of the trigger, comma-separated: shares (0.8,0.9,1) or "
        "percents (80%,90%,100%)")] = "0.8,0.9,1.0",
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Threshold alerts (default 80%, 90%, 100% of the trigger): what crossed which, and when."""
    from tradeguard.cli_support import parse_thresholds

    try:
        levels = parse_thresholds(thresholds)
    except TradeguardError as exc:
        _fail(exc)
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
    template_id: Annotated[str | None, typer.Argument(
        help="Template rule id, e.g. cptpp.beef_formula (leave out with --group)")] = None,
    partners: Annotated[str | None, typer.Option(
        help="Comma-separated ISO codes, e.g. US,AU,CA (with a template)")] = None,
    shares: Annotated[str | None, typer.Option(
        help="Shares, e.g. US=242/590,AU=0.5; partners without one get their share of the "
             "listed partners' imports in --share-year from the store")] = None,
    share_year: Annotated[int | None, typer.Option(
        help="Fiscal year whose imports set the missing shares")] = None,
    offset: Annotated[float | None, typer.Option(help="Tonnes taken off the path first")] = None,
    start: Annotated[str, typer.Option("--from", help="Instance start date")] = "2020-04-01",
    store: StoreOption = None,
    group: Annotated[str | None, typer.Option(
        "--group", help="beef or pork: every encoded agreement's safeguard side by side "
        "(no template)")] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Knowledge date for --group (default: each year as known then)")] = None,
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="Folder for the --group chart formula-<group>.svg (default: the "
        "current folder)")] = None,
    as_json: JsonOption = False,
) -> None:
    """Year by year, the trigger each partner gets under the same formula; with --group,
    every encoded agreement's safeguard on beef or pork side by side, with a chart."""
    if group is not None:
        _formula_partners(group, as_of, out_dir, as_json)
        return
    if template_id is None or partners is None:
        _fail("give a template and --partners (e.g. cptpp.beef_formula --partners US,AU), or "
              "--group beef to compare every agreement's safeguard")
    _formula_template(template_id, partners, shares, share_year, offset, start, store, as_json)


def _formula_template(template_id: str, partners: str, shares: str | None,
                      share_year: int | None, offset: float | None, start: str,
                      store: Path | None, as_json: bool) -> None:
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
                _fail(f"share `{item}` is not PARTNER=number. Fix: write e.g. US=242/590")
    rules = shipped_rules()
    try:
        missing = [p for p in names if p not in given]
        if missing:
            if share_year is None:
                _fail(f"no share for {', '.join(missing)}. Fix: give --shares, or --share-year "
                      "to compute them from data")
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


def _formula_partners(group: str, as_of: str | None, out_dir: Path | None,
                      as_json: bool) -> None:
    from tradeguard.rules.loader import shipped_rules
    from tradeguard.rules.partner_compare import compare_partners
    from tradeguard.web.partner_chart import partner_triggers_svg

    try:
        data = compare_partners(shipped_rules(), group.strip().lower(),
                                as_of=_date(as_of, "--as-of") if as_of else None)
    except TradeguardError as exc:
        _fail(exc)
    target = _out_path(out_dir, f"formula-{data['group']}.svg")
    target.write_text(partner_triggers_svg(data), encoding="utf-8")
    if as_json:
        _print_json({**data, "chart": str(target)})
        return
    terms = Table("measure", "agreement", "hits", "counts", "first condition's trigger",
                  "a duty runs", title=f"{group}: every encoded agreement's safeguard")
    for m in data["measures"]:
        first = m["conditions"][0]
        duration = m["duration"] or {}
        runs = "; ".join([duration.get("until", "-"), *duration.get("late_crossing", [])])
        basis = m["years"][-1]["trigger_basis"] if m["years"] else "-"
        terms.add_row(_short_measure(m["measure_id"]), m["agreement_name"], ", ".join(m["hits"]),
                      f"{first['counts'] or '-'} ({first['status'] or '-'})", escape(basis), runs)
    out.print(terms)
    out.print(_partner_years_table(data))
    out.print(f"chart written to {target}")


def _partner_years_table(data: dict[str, Any]) -> Table:
    """Fiscal years down, measures across: trigger (t), growth and the safeguard duty."""
    from tradeguard.periods import period_key

    table = Table("FY", *[_short_measure(m["measure_id"]) for m in data["measures"]],
                  title=escape("trigger t [status] (growth) · safeguard duty; '-' not in force, "
                               "'not found' where the research found no figure"))
    cells = {m["measure_id"]: {y["fy"]: y for y in m["years"]} for m in data["measures"]}
    for fy in data["fiscal_years"]:
        row = [period_key(fy)]
        for m in data["measures"]:
            y = cells[m["measure_id"]].get(fy)
            row.append("-" if y is None else _partner_cell(y))
        table.add_row(*row)
    return table


def _partner_cell(y: dict[str, Any]) -> str:
    if y["trigger_t"] is not None:
        trigger = f"{y['trigger_t']:,.0f} [{y['trigger_status']}]"
    elif y["trigger_kind"] in ("fixed", "same_as"):
        trigger = "not found"
    else:  # a percentage of past imports: set from the data, not a figure in the rules
        trigger = f"from imports: {y['trigger_basis']}"
    if y["partial_year"]:
        trigger += " (part year)"
    elif y["growth_pct"] is not None:
        trigger += f" ({y['growth_pct']:+.2f}%)"
    return escape(f"{trigger} · {y['safeguard_duty'] or 'duty not found'}")


def _short_measure(measure_id: str) -> str:
    """cptpp.beef_safeguard -> cptpp.beef: the table's columns stay readable."""
    return measure_id.removesuffix("_safeguard")


@app.command("surges")
def surges_cmd(
    store: StoreOption = None,
    backend: Annotated[str, typer.Option("--backend", help="duckdb or spark")] = "duckdb",
    method: Annotated[list[str] | None, typer.Option(
        "--method", help="fao130, ssm, zscore, art5 (repeat; default: all)")] = None,
    as_of: DataAsOfOption = None,
    line: Annotated[str | None, LINE_OR_PREFIX] = None,
    origin: Annotated[str | None, typer.Option("--origin", help="Partner, e.g. AU")] = None,
    label: Annotated[str | None, typer.Option(
        "--label", help="surge, tariff timing or new under agreement")] = None,
    min_tonnes: Annotated[float | None, typer.Option(
        "--min-tonnes", help="Smallest increase over the baseline, in tonnes")] = None,
    period: Annotated[str | None, typer.Option(
        "--period", help="YYYY-MM, or a range YYYY-MM:YYYY-MM")] = None,
    include_immaterial: Annotated[bool, typer.Option(
        "--include-immaterial", help="Also show flags under the materiality threshold")] = False,
    sort: Annotated[str, typer.Option("--sort", help="size, line or period")] = "size",
    page: Annotated[int, typer.Option("--page", help="Page number, from 1")] = 1,
    per_page: Annotated[int, typer.Option("--per-page", help="Flags per page")] = 50,
    as_json: JsonOption = False,
) -> None:
    """Scan every line and partner for import surges, each flag labelled and explained;
    material flags only (see docs/surges.md), largest first, one page at a time."""
    from tradeguard.surge.api import flags_as_json, scan_store
    from tradeguard.surge.select import select_flags

    if backend not in ("duckdb", "spark"):
        _fail(f"--backend `{backend}` is not duckdb or spark. Fix: use --backend duckdb (the "
              "default) or --backend spark")
    first, _, last = (period or "").partition(":")
    try:
        with progress_bar(err, f"surges ({backend})", quiet=as_json) as progress:
            log = _start_spark_quietly(progress) if backend == "spark" else None
            with warnings_to(log):
                flags = scan_store(store, as_of=_date(as_of, "--as-of") if as_of else None,
                                   backend=backend, methods=method or None, progress=progress)
        chosen = select_flags(
            flags, tariff_line=line, partner=(origin or "").upper() or None, label=label,
            period_from=first or None, period_to=(last or first) or None,
            min_tonnes=min_tonnes, include_immaterial=include_immaterial, sort=sort,
            page=page, per_page=per_page)
    except TradeguardError as exc:
        _fail(exc)
    rows = flags_as_json(chosen.flags, sizes=True)
    if as_json:
        _print_json(chosen.to_dict(rows))
        return
    _print_surges(chosen, rows)


def _start_spark_quietly(progress: Any) -> Path:
    """Start the local Spark session with the JVM's console output in a log file (it would
    bury the answer under warnings), say where that log is, and return it."""
    from tradeguard.cli_progress import jvm_output_to, spark_log_path
    from tradeguard.data.backends import local_spark_session

    progress("start Spark", 0, 1)
    with jvm_output_to(spark_log_path()) as log:
        session = local_spark_session()
    session.sparkContext.setLogLevel("ERROR")
    err.print(f"[dim]Spark's console output goes to {escape(str(log))}[/]", highlight=False)
    return log


def _print_surges(chosen: Any, rows: list[dict[str, Any]]) -> None:
    title = (f"{chosen.total:,} surge flags, page {chosen.page} of {chosen.pages} "
             if rows else f"{chosen.total:,} surge flags")
    table = Table("period", "line", "partner", "method", "label", "increase (t)", "share",
                  "explanation", title=title)
    for r in rows:
        share = "-" if r["share"] is None else f"{r['share']:.1%}"
        table.add_row(r["period"], r["tariff_line"], r["partner"], r["method"], r["label"],
                      f"{r['increase_t']:,.1f}", share, escape(r["explanation"]))
    out.print(table)
    hidden = chosen.left_out.get("left out", 0)
    if hidden:
        why = "; ".join(f"{k}: {v:,}" for k, v in chosen.left_out.items() if k != "left out")
        out.print(f"{hidden:,} immaterial flags left out ({why}; a flag may fail both). "
                  "Show them with --include-immaterial.")


@app.command("evidence")
def evidence_cmd(
    line: Annotated[str, LINE_OR_PREFIX],
    origin: Annotated[str | None, typer.Option(
        "--origin", help="Origins, comma-separated ISO codes, e.g. AU,US (default: all)")] = None,
    as_of: DataAsOfOption = None,
    domestic: Annotated[Path | None, typer.Option(
        "--domestic", help="JSON file of domestic series: {series: {year: value}}")] = None,
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="Folder for evidence-<line>.html and evidence-<line>.json")] = None,
    store: StoreOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the pack as JSON.")] = False,
    partners: Annotated[str | None, typer.Option(
        "--partners", hidden=True, help="Deprecated spelling of --origin.")] = None,
    html: Annotated[Path | None, typer.Option(
        "--html", hidden=True, help="Deprecated: write the HTML report to this file.")] = None,
) -> None:
    """The WTO Agreement on Safeguards Art. 4.2(a) evidence pack for a line and origins."""
    if partners is not None:
        _deprecated("--partners", "--origin")
    pack = _evidence_pack(line, origin or partners, domestic, as_of, store)
    written = _write_evidence(pack, out_dir, html)
    if as_json:
        sys.stdout.write(pack.to_json() + "\n")
        return
    _print_evidence(pack.to_dict(), written)


def _evidence_pack(line: str, origins: str | None, domestic: Path | None, as_of: str | None,
                   store: Path | None) -> Any:
    from tradeguard.data.store import open_imports
    from tradeguard.surge import evidence_pack
    from tradeguard.surge.api import last_day

    try:
        imports = open_imports(store, known_on=_date(as_of, "--as-of") if as_of else None)
        try:
            return evidence_pack(
                imports, tariff_line=line,
                partners=[p.strip().upper() for p in origins.split(",")] if origins else None,
                as_of=_date(as_of, "--as-of") if as_of else last_day(imports),
                domestic=json.loads(domestic.read_text(encoding="utf-8")) if domestic else None)
        finally:
            imports.get_backend().disconnect()
    except TradeguardError as exc:
        _fail(exc)


def _write_evidence(pack: Any, out_dir: Path | None, html: Path | None) -> list[Path]:
    from tradeguard.web.evidence import evidence_html

    written = []
    if html is not None:
        _deprecated("--html FILE", "--out FOLDER")
        html.write_text(evidence_html(pack), encoding="utf-8")
        written.append(html)
    if out_dir is not None:
        stem = f"evidence-{pack.tariff_line.replace('.', '')}"
        page = _out_path(out_dir, f"{stem}.html", old_suffix=".html")
        page.write_text(evidence_html(pack), encoding="utf-8")
        data = page.with_suffix(".json")
        data.write_text(pack.to_json() + "\n", encoding="utf-8")
        written += [page, data]
    return written


def _print_evidence(pack: dict[str, Any], written: list[Path]) -> None:
    from tradeguard.data.nomenclature import describe
    from tradeguard.web.evidence import indicator_rows

    origins = pack["partners"] if pack["partners"] == "all" else ", ".join(pack["partners"])
    words = describe(pack["tariff_line"]) or "no HS description known for this code"
    out.print(f"Line {pack['tariff_line']}: {escape(words)}", highlight=False)
    table = Table("year", "imports (t)", "value (JPY)", "months", "complete",
                  title=f"Imports of {pack['tariff_line']} from {origins}, as of {pack['as_of']}")
    for row in pack["yearly"]:
        table.add_row(str(row["year"]), f"{row['quantity_t']:,.1f}", f"{row['value']:,.0f}",
                      str(row["months"]), "yes" if row["complete"] else "no")
    out.print(table)
    for words_, value in indicator_rows(pack["indicators"]):
        out.print(f"  {escape(words_)}: {escape(value)}", highlight=False)
    out.print(f"{len(pack['surge_flags'])} surge flags; domestic series: "
              f"{', '.join(pack['domestic']) or 'none given (--domestic FILE)'}", highlight=False)
    for note in pack["notes"]:
        out.print(f"[dim]note:[/] {escape(note)}", highlight=False)
    for path in written:
        out.print(f"wrote {path}")


@fetch_app.command("comtrade")
def fetch_comtrade_cmd(
    period: Annotated[str, typer.Option("--period", help="e.g. 2023 or 202301")],
    commodities: Annotated[str, typer.Option("--commodities", help="HS codes, comma-separated")],
    out_dir: Annotated[Path, typer.Option(
        "--out", help="Folder for comtrade-<reporter>-<period>.csv")],
    reporter: Annotated[str, typer.Option("--reporter", help="M49 reporter code")] = "392",
    key: Annotated[str | None, typer.Option("--key", envvar="COMTRADE_API_KEY",
                                            help="UN Comtrade API key")] = None,
    parquet: Annotated[Path | None, typer.Option(
        "--parquet", help="Also stream the download to canonical Parquet")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON: the files written.")] = False,
) -> None:
    """Download UN Comtrade data with the official comtradeapicall client (optional)."""
    from tradeguard.surge import fetch_comtrade, stream_comtrade

    target = _out_path(out_dir, f"comtrade-{reporter}-{period}.csv", old_suffix=".csv")
    report = None
    try:
        with progress_bar(err, "fetch comtrade", quiet=as_json) as progress:
            path = fetch_comtrade(target, reporter=reporter, period=period,
                                  commodities=commodities, api_key=key, progress=progress)
            if parquet:
                _, report = stream_comtrade(path, out=parquet, progress=progress)
    except TradeguardError as exc:
        _fail(exc)
    if as_json:
        _print_json({"csv": str(path), "parquet": None if parquet is None else str(parquet),
                     "parquet_summary": None if report is None else report.summary()})
        return
    if report is not None:
        out.print(report.summary())
    out.print(f"wrote {path}")


PathsOption = Annotated[int, typer.Option("--paths", help="Monte Carlo paths (seeded).")]
YearsOption = Annotated[int, typer.Option("--years", help="Years simulated ahead.")]
SeedOption = Annotated[int, typer.Option("--seed", help="Random seed.")]
FirstFyOption = Annotated[int, typer.Option("--first-fy", help="First simulated year")]
ReportJsonOption = Annotated[bool, typer.Option(
    "--json", help="Print JSON: the files written and the report they hold.")]


def _simulate(what: str, as_json: bool, run: Callable[[Any, Progress], T], **scenario: Any) -> T:
    """``run(scenario, progress)`` on the Monte Carlo scenario of these options, under a
    progress bar (see ``_scenario`` and ``_with_progress``)."""
    built = _scenario(**scenario)
    return _with_progress(what, as_json, lambda progress: run(built, progress))


def _print_written(written: tuple[Path, Path], as_json: bool) -> None:
    """`wrote ...` for the (json, html) files, or with --json the report itself (read back:
    the file and stdout agree)."""
    json_path, html_path = written
    if not as_json:
        out.print(f"wrote {html_path} and {json_path}")
        return
    _print_json({"files": {"html": str(html_path), "json": str(json_path)},
                 "report": json.loads(json_path.read_text(encoding="utf-8"))})


@design_app.command("compare")
def design_compare(
    files: Annotated[list[Path], typer.Argument(
        help="Design files (YAML), or shipped examples by name (e.g. beef-us-opening)")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for report.html and report.json")],
    paths: PathsOption = 2000, years: YearsOption = 16, seed: SeedOption = 20261127,
    first_fy: FirstFyOption = 2020,
    as_json: ReportJsonOption = False,
) -> None:
    """Back-test and simulate designs side by side; write DIR/report.html and DIR/report.json."""
    from tradeguard.design.compare import compare
    from tradeguard.design.spec import load_designs
    from tradeguard.web.design_report import write_report

    designs = _or_fail(lambda: load_designs(files))
    report = _simulate("design compare", as_json,
                       lambda scenario, progress: compare(designs, scenario, progress=progress),
                       paths=paths, years=years, seed=seed, first_fy=first_fy)
    _print_written(_or_fail(lambda: write_report(report, out_dir)), as_json)


@design_app.command("sweep")
def design_sweep(
    spec: Annotated[Path, typer.Argument(
        help="Sweep specification (YAML): base, vary, positions; or an example's name")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for sweep.html and sweep.json")],
    paths: PathsOption = 2000, years: YearsOption = 16, seed: SeedOption = 20261127,
    workers: Annotated[int, typer.Option("--workers", help="Worker processes")] = 2,
    as_json: ReportJsonOption = False,
) -> None:
    """Vary design elements over a grid; draw the protection / market-access frontier."""
    from tradeguard.design.compare import load_sweep, sweep
    from tradeguard.web.design_report import write_sweep

    base, vary, positions = _or_fail(lambda: load_sweep(spec))
    result = _simulate("design sweep", as_json, lambda scenario, progress: sweep(
        base, vary, scenario, positions=positions, workers=workers, progress=progress),
        paths=paths, years=years, seed=seed)
    _print_written(_or_fail(lambda: write_sweep(result, out_dir)), as_json)


@design_app.command("sensitivity")
def design_sensitivity(
    design: Annotated[Path, typer.Argument(help="Design file (YAML) or an example's name")],
    element: Annotated[str, typer.Option("--element", help="Element to move, e.g. trigger_scale")],
    values: Annotated[str, typer.Option("--values", help="Comma-separated values")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for sensitivity.html/.json")],
    paths: PathsOption = 2000, years: YearsOption = 16,
    as_json: ReportJsonOption = False,
) -> None:
    """Move one element and show the effect on every output."""
    import yaml

    from tradeguard.design.compare import sensitivity
    from tradeguard.design.spec import read_document
    from tradeguard.web.design_report import sensitivity_html

    doc, _ = _or_fail(lambda: read_document(design))
    moves = [yaml.safe_load(v) for v in values.split(",")]
    result = _simulate("design sensitivity", as_json, lambda scenario, progress: sensitivity(
        doc, element, moves, scenario, progress=progress), paths=paths, years=years)
    json_path = _out_path(out_dir, "sensitivity.json")
    html_path = json_path.with_name("sensitivity.html")
    json_path.write_text(json.dumps(result, indent=1, default=str), encoding="utf-8")
    html_path.write_text(sensitivity_html(result), encoding="utf-8")
    _print_written((json_path, html_path), as_json)


@design_app.command("validate")
def design_validate(
    draws: Annotated[int, typer.Option("--draws", help="Forecast draws per case (seeded).")] = 500,
    seed: SeedOption = 20261127,
    data: Annotated[Path | None, typer.Option("--data", help="Import data file (any format "
                                              "`ingest` reads); default: the bundled history")
                    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (scores and cases).")] = False,
) -> None:
    """Score the monitor's forecast out of sample on the bundled history, beside naive baselines."""
    from tradeguard.data.readers import read_any
    from tradeguard.design.validate import validate

    imports = _or_fail(lambda: read_any(data)) if data is not None else None
    result = _with_progress("design validate", as_json, lambda progress: validate(
        imports, draws=draws, seed=seed, progress=progress))
    if as_json:
        _print_json(result.to_dict())
        return
    _print_validation(result.scores, len(result.skipped))


def _print_validation(sc: dict[str, Any], skipped: int) -> None:
    if not sc.get("cases"):
        out.print("no year could be scored: see --json for the reasons")
        return
    table = Table("score", "model", "naive baseline", "cases",
                  title=f"Rolling-origin validation: {sc['cases']} forecasts, "
                        f"{sc['years']} measure-years, {sc['crossed']} crossed")
    table.add_row("Brier (trigger probability)", f"{sc['brier_model_on_those']:.4f}",
                  f"{sc['brier_baseline_last_year_outcome']:.4f} (last year's outcome)",
                  str(sc["brier_cases_with_baseline"]))
    table.add_row("median |error| of year-end imports",
                  f"{sc['median_abs_error_model_on_those']:.1%}",
                  f"{sc['median_abs_error_naive_growth']:.1%} (last year's growth)",
                  str(sc["median_abs_error_cases_with_naive"]))
    table.add_row("50% band coverage", f"{sc['coverage_50']:.0%}", "-", str(sc["cases"]))
    table.add_row("90% band coverage", f"{sc['coverage_90']:.0%}", "-", str(sc["cases"]))
    pooled = sc["pooled_prior"]
    if pooled["cases"]:
        table.add_row("pooled prior: Brier / median |error|",
                      f"{pooled['brier']:.4f} / {pooled['median_abs_error']:.1%}", "-",
                      str(pooled["cases"]))
    out.print(table)
    rel = Table("forecast probability", "cases", "mean forecast", "observed",
                title="Reliability")
    for row in sc["reliability"]:
        if row["cases"]:
            rel.add_row(row["bin"], str(row["cases"]), f"{row['mean_probability']:.3f}",
                        f"{row['observed_frequency']:.3f}")
    out.print(rel)
    out.print(f"{skipped} measure-years not scored (not computable, incomplete or a partial "
              "first year): --json lists each with its reason", highlight=False)


def _number_list(text: str | None, option: str) -> list[float] | None:
    if text is None:
        return None
    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        _fail(TradeguardError(f"{option}: {text!r} is not a comma-separated list of numbers. "
                              f"Fix: e.g. {option} -10,0,10"))
        raise  # unreachable: _fail exits


@design_app.command("trade-off")
def design_trade_off(
    base: Annotated[Path, typer.Argument(help="Design file (YAML) or an example's name")],
    hold: Annotated[str, typer.Option("--hold", help="Output kept constant: protection, "
                                      "days or access")] = "protection",
    vary: Annotated[str, typer.Option("--vary", help="Two elements, x,y: trigger_growth, "
                                      "safeguard_rate, late_february_days, late_march_days")
                    ] = "trigger_growth,safeguard_rate",
    x_values: Annotated[str | None, typer.Option("--x-values", help="x values, e.g. -10,0,10")
                        ] = None,
    y_values: Annotated[str | None, typer.Option("--y-values", help="y values, e.g. 26,30,38.5")
                        ] = None,
    paths: PathsOption = 500, years: YearsOption = 8, seed: SeedOption = 20261127,
    as_json: JsonOption = False,
) -> None:
    """Iso-output curve: for each x, the y that keeps the held output at the base design's."""
    from tradeguard.design.negotiate import trade_off
    from tradeguard.design.spec import read_document

    names = [v.strip() for v in vary.split(",")]
    values = {n: v for n, v in zip(names, (_number_list(x_values, "--x-values"),
                                           _number_list(y_values, "--y-values")), strict=False)
              if v is not None}
    doc, _ = _or_fail(lambda: read_document(base))
    result = _simulate("design trade-off", as_json, lambda scenario, progress: trade_off(
        doc, hold, names, values, scenario, progress=progress), paths=paths, years=years,
        seed=seed)
    if as_json:
        _print_json(result)
        return
    x, y = result["x"], result["y"]
    table = Table(f"{x['element']} ({x['unit']})", f"{y['element']} ({y['unit']})", "note",
                  title=f"Same {result['hold']} as {result['base']} "
                        f"({result['held_output']} = {result['target']:.4g})")
    for p in result["curve"]:
        table.add_row(f"{p['x']:g}", "-" if p["y"] is None else f"{p['y']:.2f}",
                      escape(p["note"] or ""))
    out.print(table)
    for note in result["notes"]:
        out.print(f"note: {escape(note)}", highlight=False)


@design_app.command("between")
def design_between(
    position_a: Annotated[Path, typer.Argument(help="First position (design file or example)")],
    position_b: Annotated[Path, typer.Argument(help="Second position (design file or example)")],
    vary: Annotated[str | None, typer.Option("--vary", help="element=from:to,... (default: "
                                             "the elements the positions set differently)")
                    ] = None,
    steps: Annotated[int, typer.Option("--steps", help="Values per element")] = 3,
    paths: PathsOption = 500, years: YearsOption = 8, seed: SeedOption = 20261127,
    as_json: JsonOption = False,
) -> None:
    """The packages between two positions on the protection / market-access frontier."""
    from tradeguard.design.negotiate import between, parse_ranges
    from tradeguard.design.spec import load_designs

    a, b = _or_fail(lambda: load_designs([position_a, position_b]))
    ranges = _or_fail(lambda: parse_ranges(vary))
    result = _simulate("design between", as_json, lambda scenario, progress: between(
        a, b, ranges, steps, scenario, progress=progress), paths=paths, years=years, seed=seed)
    if as_json:
        _print_json(result)
        return
    table = Table(*result["elements"], "protection (points)", "access (t/yr)", "days/yr",
                  "P(any)", title=f"{result['on_frontier_between']} of "
                  f"{result['packages_simulated']} packages on the frontier between "
                  + " and ".join(p["position"] for p in result["positions"]))
    for row in result["packages"]:
        table.add_row(*(f"{row[e]:g}" for e in result["elements"]),
                      f"{row['protection_points']:.3f}", f"{row['access_t_a_year']:,.0f}",
                      f"{row['expected_days_a_year']:.1f}",
                      f"{row['trigger_probability_any']:.2f}")
    out.print(table)
    for p in result["positions"]:
        out.print(f"{p['position']}: protection {p['protection_points']:.3f} points, access "
                  f"{p['access_t_a_year']:,.0f} t a year", highlight=False)


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
