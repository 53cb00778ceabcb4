"""Tables of results for notebooks: a one-line repr, an HTML table, and pandas or Arrow out.

Every answer of :mod:`tradeguard.notebook` that is a list of rows (monitor status, alerts,
surge flags, design comparisons, rules, lines, batches) is a :class:`Results`.  It holds an
Arrow table, so ``to_arrow()`` is free and ``to_pandas()`` is Arrow's; the repr says what the
rows are and how many, never the whole page.  No Jinja and no web code: the HTML is a plain,
escaped table.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

HTML_ROWS = 20  # rows shown in a notebook cell; to_pandas() has them all


class Results:
    """Rows of one kind of answer, with a title that says what they are.

    ``len()``, iteration (dicts), ``rows`` (a list of dicts), ``to_arrow()``, ``to_pandas()``.
    """

    def __init__(self, table: pa.Table, title: str, *, notes: Sequence[str] = ()):
        self._table = table
        self.title = title
        self.notes = list(notes)

    @classmethod
    def from_rows(cls, rows: Sequence[dict[str, Any]], title: str, *,
                  columns: Sequence[str] | None = None, notes: Sequence[str] = ()) -> Results:
        """Rows as dicts; ``columns`` names (and orders) the columns of an empty answer."""
        import pyarrow as pa

        if not rows:
            empty = pa.table({c: pa.array([], pa.null()) for c in columns or ()})
            return cls(empty, title, notes=notes)
        table = pa.Table.from_pylist(list(rows))
        if columns:
            table = table.select(list(columns))
        return cls(table, title, notes=notes)

    @property
    def rows(self) -> list[dict[str, Any]]:
        return self._table.to_pylist()

    @property
    def columns(self) -> list[str]:
        return list(self._table.column_names)

    def __len__(self) -> int:
        return self._table.num_rows

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.rows)

    def to_arrow(self) -> pa.Table:
        """The rows as a ``pyarrow.Table``."""
        return self._table

    def to_pandas(self) -> pd.DataFrame:
        """The rows as a ``pandas.DataFrame`` (needs pandas installed)."""
        return self._table.to_pandas()

    def __repr__(self) -> str:
        count = len(self)
        return f"<{self.title}: {count:,} row{'' if count == 1 else 's'}>"

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(c)}</th>" for c in self.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row.values()) + "</tr>"
            for row in self._table.slice(0, HTML_ROWS).to_pylist())
        more = len(self) - HTML_ROWS
        foot = (f"<p>{more:,} more rows: <code>.to_pandas()</code> has them all.</p>"
                if more > 0 else "")
        notes = "".join(f"<p>{html.escape(n)}</p>" for n in self.notes)
        return (f"<div><strong>{html.escape(repr(self))}</strong><table><thead><tr>{head}"
                f"</tr></thead><tbody>{body}</tbody></table>{foot}{notes}</div>")


def _cell(value: Any) -> str:
    """A cell as a reader writes it: '-' for no value, lists joined, floats to 6 figures."""
    if value is None:
        return "-"
    if isinstance(value, list):
        return ", ".join(_cell(v) for v in value)
    if isinstance(value, float):
        return f"{value:,.6g}"
    return str(value)
