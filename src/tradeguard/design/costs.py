"""Cost limits and progress for the design lab's longer commands.

The core never renders: it reports ``progress(stage, done, total)`` through a callback (the
CLI draws a bar, the API may log), the same shape as the surge scan's Comtrade reader.  A
request whose size passes a limit is refused before any work, with the number to lower.
"""

from __future__ import annotations

from collections.abc import Callable

from tradeguard.errors import InputError, problem

Progress = Callable[[str, int, int], None]

# Forecast draws per validation case, and model runs per trade-off or between request:
# past these a single request would hold a worker for minutes.
MAX_DRAWS = 20_000
MAX_RUNS = 400
MAX_PATH_RUNS = 400_000  # runs x Monte Carlo paths


def no_progress(stage: str, done: int, total: int) -> None:
    """The default callback: report nothing."""


def check_limit(what: str, asked: int, limit: int, where: str, fix: str) -> None:
    """Refuse a request whose ``asked`` size passes ``limit``, before any work."""
    if asked < 1:
        raise InputError(problem(f"{what} must be at least 1 (got {asked})", where=where,
                                 fix=fix))
    if asked > limit:
        raise InputError(problem(f"{what} is {asked:,}, above the limit of {limit:,}",
                                 where=where, why="one request would hold the machine too long",
                                 fix=fix))
