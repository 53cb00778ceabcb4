"""The one error root and its specific kinds.

Every message answers four questions: what failed, where (file, key, row, date),
why, and what to do next.  Build messages with :func:`problem` so they all read
the same way.
"""

from __future__ import annotations


class TradeguardError(Exception):
    """Root of every error tradeguard raises on purpose."""


class RuleValidationError(TradeguardError):
    """One or more rule files are malformed; ``problems`` lists every one found."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the rules:"
        super().__init__("\n".join([head, *(f"  - {p}" for p in self.problems)]))


class RuleNotFoundError(TradeguardError):
    """A rule id, tariff line or partner that the rules do not know."""


class PeriodError(TradeguardError):
    """A date outside every rule's validity, or a period that is not defined."""


class InputError(TradeguardError):
    """A caller's argument is malformed (a negative value, a bad line code ...)."""


class IngestError(TradeguardError):
    """Import data could not be ingested; the store is left unchanged."""


def problem(what: str, where: str | None = None, why: str | None = None,
            fix: str | None = None) -> str:
    """Compose a message in the house order: what, where, why, what to do."""
    parts = [what if where is None else f"{where}: {what}"]
    if why:
        parts.append(f"({why})")
    if fix:
        parts.append(f"Fix: {fix}")
    return " ".join(parts)
