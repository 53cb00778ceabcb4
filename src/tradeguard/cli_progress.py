"""Progress of the CLI's long runs, on stderr: stdout keeps the answer (and ``--json``) clean.

The core never renders: ingest, the surge scan, the design lab and the Comtrade reader call a
``progress(stage, done, total)`` callback.  :func:`progress_bar` turns it into a Rich bar
(stage, bar, percent, elapsed time) on a terminal, and into one line per stage anywhere else
(a pipe, a CI log), so a long run is never silent.  :func:`jvm_output_to` sends the console
noise of a Java process started inside it (Spark's JVM) into a log file instead.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

Progress = Callable[[str, int, int], None]


@contextmanager
def progress_bar(console: Any, what: str, *, quiet: bool = False) -> Iterator[Progress]:
    """A ``progress(stage, done, total)`` callback drawn on ``console`` (stderr) while inside.

    ``total`` 0 means "not known": the bar then spins.  Off a terminal each stage is one line,
    unless ``quiet`` (``--json``: a program reads the output, and the bar is for people).
    Safe to call from other threads (the ingest's read progress comes from Arrow's I/O thread).
    """
    if not console.is_terminal:
        yield (lambda stage, done, total: None) if quiet else _stage_lines(console, what)
        return
    from rich.progress import (
        BarColumn,
        SpinnerColumn,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.progress import Progress as Bar

    with Bar(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
             TaskProgressColumn(), TimeElapsedColumn(), console=console,
             transient=True) as bar:
        task = bar.add_task(what, total=None)

        def draw(stage: str, done: int, total: int) -> None:
            bar.update(task, description=f"{what}: {stage}", completed=done,
                       total=total or None)

        yield draw


def _stage_lines(console: Any, what: str) -> Progress:
    """One line per stage (``ingest: read``), for output that is not a terminal."""
    seen: set[str] = set()
    guard = threading.Lock()

    def line(stage: str, done: int, total: int) -> None:
        with guard:
            if stage in seen:
                return
            seen.add(stage)
        console.print(f"{what}: {stage}", highlight=False, markup=False)

    return line


@contextmanager
def jvm_output_to(log: Path) -> Iterator[Path]:
    """Inside, the process's stderr (file descriptor 2) writes to ``log``: a Java process
    started here (Spark's JVM, through Py4J) inherits it and keeps writing its warnings there
    for its whole life; Python's own stderr is restored on leaving."""
    log.parent.mkdir(parents=True, exist_ok=True)
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with log.open("ab") as sink:
            os.dup2(sink.fileno(), 2)
        yield log
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


@contextmanager
def warnings_to(log: Path | None) -> Iterator[None]:
    """Inside, Python's warnings (pandas' and PySpark's during a Spark scan) are appended to
    ``log`` instead of printed; without a log they print as usual."""
    if log is None:
        yield
        return
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            _append_warnings(log, caught)


def _append_warnings(log: Path, caught: list) -> None:
    import warnings

    if caught:
        with log.open("a", encoding="utf-8") as sink:
            for w in caught:
                sink.write(warnings.formatwarning(w.message, w.category, w.filename, w.lineno))


def spark_log_path() -> Path:
    """Where Spark's console output goes: ``$TRADEGUARD_SPARK_LOG``, else the user log folder."""
    env = os.environ.get("TRADEGUARD_SPARK_LOG")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_log_dir("tradeguard")) / "spark.log"
