"""Pieces every benchmark module shares."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]], *,
                numeric: Sequence[int] = (1, 2, 3), width: int = 220) -> None:
    """A result table: Rich when available, plain text otherwise."""
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # pragma: no cover - rich is a dependency
        print(title)
        for row in [header, *rows]:
            print(" | ".join(row))
        return
    table = Table(title=title, title_justify="left")
    for i, col in enumerate(header):
        table.add_column(col, justify="right" if i in numeric else "left")
    for row in rows:
        table.add_row(*row)
    Console(width=width).print(table)


def target(name: str, value: float, limit: float, *, at_most: bool = True,
           note: str = "") -> dict[str, Any]:
    """One ratio with its target, for ``bench/results/summary.json``: met or missed."""
    met = value <= limit if at_most else value >= limit
    return {"ratio": name, "value": round(value, 4),
            "target": f"{'<=' if at_most else '>='} {limit}", "met": met} | (
        {"note": note} if note else {})
