"""Row-level problems found while reading or validating import data, and the error that carries them.

Row numbers are 1-based and count the header line as row 1, so "row 5" is what a spreadsheet
shows for the fifth line of a CSV or the fifth row of a worksheet.  For tables without a file
(a Parquet file, an in-memory table) "row N" is the N-th record, counting from 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tradeguard.errors import IngestError, problem

SHOWN_IN_MESSAGE = 20


@dataclass(frozen=True)
class RowProblem:
    """One thing wrong with one row (``row`` None: the whole file or table)."""

    row: int | None
    column: str | None
    value: str | None
    reason: str

    def __str__(self) -> str:
        where = "file" if self.row is None else f"row {self.row}"
        if self.column:
            where += f", column {self.column}"
        shown = "" if self.value is None else f" {self.value!r}:"
        return f"{where}:{shown} {self.reason}"


class IngestProblemsError(IngestError):
    """An :class:`IngestError` that lists every row-level problem found (``.problems``)."""

    def __init__(self, source: str, problems: Sequence[RowProblem], *, fix: str,
                 total: int | None = None):
        self.source = source
        self.problems = tuple(problems)
        self.total = len(self.problems) if total is None else total
        shown = [f"  - {p}" for p in self.problems[:SHOWN_IN_MESSAGE]]
        if self.total > len(shown):
            shown.append(f"  ... and {self.total - len(shown)} more (see .problems)")
        count = f"{self.total} problem{'s' if self.total != 1 else ''}"
        head = problem(f"{count} found; nothing was ingested", where=source, fix=fix)
        super().__init__("\n".join([head, *shown]))


def file_error(source: str, what: str, why: str, fix: str) -> IngestProblemsError:
    """A whole-file problem (empty, truncated, wrong columns ...) as a one-item problem list."""
    return IngestProblemsError(source, [RowProblem(None, None, None, f"{what} ({why})")], fix=fix)
