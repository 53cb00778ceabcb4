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

out = Console()
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
    for option in result.options:
        for entry in option.trace:
            text = (f"{entry.rule_id} {entry.key} = {entry.value} from {entry.valid_from} "
                    f"[{entry.status}] — {entry.citation}")
            out.print(f"  [dim]{option.regime}:[/] {escape(text)}", highlight=False)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
