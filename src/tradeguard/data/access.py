"""Store access for one writer and many readers (docs/adr/0005-store-access-one-writer-many-readers.md).

DuckDB lets one process write a file, or any number read it, and refuses a second opener at
once ("Could not set lock").  This module puts a small, fair lock in front of DuckDB's, so that
tradeguard's own processes (the server, CLI ingests, scripts) wait for each other instead:

- ``<store>.lock``: held shared by every open reader connection and exclusive by the writer,
  for exactly the life of the connection (a reader's connection lives one request or one
  command; the writer's one transaction).
- ``<store>.intent``: the writer's turnstile.  A writer takes it exclusive first, so new
  readers queue behind it while the readers already in finish: a stream of readers cannot
  starve a writer.  While the writer holds it, the file names who holds it (pid, program, since).

Both waits are bounded (:class:`AccessPolicy`, from ``TRADEGUARD_STORE_READ_WAIT`` and
``TRADEGUARD_STORE_WRITE_WAIT``, in seconds).  A wait longer than a moment is logged as a
warning (``tradeguard.data.access``), which the CLI shows on stderr; at the end of the wait the
caller gets a :class:`StoreBusyError` that names the holder.  A program outside tradeguard (the
``duckdb`` shell, say) does not know these files: DuckDB's own lock error is then retried within
the same bound, and its message (which names the holding PID) goes into the error.

Locks are ``flock`` locks: per open file, so two threads of one process exclude each other like
two processes, and the kernel drops them when a process dies (a killed ingest leaves no stale
lock).  Where ``flock`` is missing (Windows) or the folder is read-only, only the retry remains.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tradeguard.errors import IngestError, problem

try:  # POSIX only; elsewhere the DuckDB retry alone bounds the wait
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

READ_WAIT_ENV = "TRADEGUARD_STORE_READ_WAIT"
WRITE_WAIT_ENV = "TRADEGUARD_STORE_WRITE_WAIT"
DEFAULT_READ_WAIT_S = 30.0
DEFAULT_WRITE_WAIT_S = 120.0
_FIRST_NOTICE_S = 1.0  # a wait shorter than this is not worth a message
_NOTICE_EVERY_S = 10.0
_LOCK_MESSAGES = ("could not set lock", "conflicting lock", "different configuration")


class StoreBusyError(IngestError):
    """Another program held the store for longer than the configured wait."""


@dataclass(frozen=True)
class AccessPolicy:
    """How long a reader and a writer wait for the store, and how often they look again."""

    read_wait_s: float = DEFAULT_READ_WAIT_S
    write_wait_s: float = DEFAULT_WRITE_WAIT_S
    poll_s: float = 0.05


def policy_from_env() -> AccessPolicy:
    """The waits from the environment (seconds), else the defaults."""
    return AccessPolicy(read_wait_s=_seconds(READ_WAIT_ENV, DEFAULT_READ_WAIT_S),
                        write_wait_s=_seconds(WRITE_WAIT_ENV, DEFAULT_WRITE_WAIT_S))


def _seconds(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 86_400:
        raise IngestError(problem(f"${name} must be a number of seconds from 0 to 86400",
                                  why=f"it is {raw!r}", fix=f"set {name}=60, or unset it"))
    return value


# ---------------------------------------------------------------- the lock files

_held = threading.local()  # per thread: {store path: number of reader leases held}


def _reader_depth(store: Path) -> dict[str, int]:
    depth = getattr(_held, "depth", None)
    if depth is None:
        depth = _held.depth = {}
    return depth


class _Waiter:
    """One bounded wait: its deadline, its notices, and what it learnt of the holder."""

    def __init__(self, store: Path, role: str, budget_s: float, poll_s: float):
        self.store, self.role, self.poll_s = store, role, poll_s
        self.start = time.monotonic()
        self.deadline = self.start + budget_s
        self.budget_s = budget_s
        self.next_notice = self.start + _FIRST_NOTICE_S
        self.last_reason: str | None = None
        self.paused = False  # whether it ever had to wait (not just a slow open)

    def waited(self) -> float:
        return time.monotonic() - self.start

    def pause(self, holder: Callable[[], str]) -> None:
        """Sleep one poll, or raise StoreBusyError once the budget is spent."""
        now = time.monotonic()
        self.paused = True
        if now >= self.deadline:
            raise self.busy(holder())
        if now >= self.next_notice:
            log.warning("waiting for the store %s (%s): %s; waited %.0f s of at most %.0f s",
                        self.store, self.role, holder(), now - self.start, self.budget_s)
            self.next_notice = now + _NOTICE_EVERY_S
        time.sleep(min(self.poll_s, max(self.deadline - now, 0.0)))

    def busy(self, holder: str) -> StoreBusyError:
        env = READ_WAIT_ENV if self.role == "read" else WRITE_WAIT_ENV
        return StoreBusyError(problem(
            f"the store is in use by another program: {holder}", where=str(self.store),
            why=f"waited {self.waited():.0f} s for it to {self.role}"
                + (f"; DuckDB said: {self.last_reason}" if self.last_reason else ""),
            fix=f"wait for that program to finish (or stop it) and try again, or allow a longer "
                f"wait with ${env} (seconds)"))


def _lock_file(path: Path) -> Any | None:
    """The lock file opened for locking, or None where locking is unavailable."""
    if fcntl is None:
        return None
    try:
        return open(path, "a+b")
    except OSError:  # a read-only folder: nobody can write there anyway
        return None


def _try(fh: Any, exclusive: bool) -> bool:
    try:
        fcntl.flock(fh.fileno(), (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _acquire(fh: Any, exclusive: bool, waiter: _Waiter, holder: Callable[[], str]) -> None:
    while not _try(fh, exclusive):
        waiter.pause(holder)


def _release(fh: Any | None) -> None:
    if fh is not None:
        with contextlib.suppress(OSError, ValueError):
            fh.close()  # closing the file drops its flock


def lock_paths(store: Path) -> tuple[Path, Path]:
    """The two lock files next to a store: (readers/writer lock, writer turnstile)."""
    return (store.with_name(store.name + ".lock"), store.with_name(store.name + ".intent"))


def holder_of(store: Path) -> str:
    """Who holds the store, in words: the writer's own note, else the processes holding the
    lock files (from ``/proc/locks`` on Linux), else that nobody is known to."""
    _, intent = lock_paths(store)
    with contextlib.suppress(OSError, ValueError):
        note = json.loads(intent.read_text(encoding="utf-8") or "null")
        if note and note["pid"] != os.getpid():  # our own note: a writer waits for readers
            return (f"being written by pid {note['pid']} ({note['program']}) since "
                    f"{note['since']}")
    pids = _lock_holders(store)
    if pids:
        return "open in " + ", ".join(f"pid {pid} ({_program(pid)})" for pid in pids)
    return "still open in another reader or program (it does not say which)"


def _lock_holders(store: Path) -> list[int]:
    """Processes holding the readers/writer lock file (not the turnstile: a waiting writer,
    perhaps this very process, holds that one)."""
    inodes = set()
    with contextlib.suppress(OSError):
        inodes.add(lock_paths(store)[0].stat().st_ino)
    try:
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return []
    pids = set()
    for line in lines:
        fields = line.split()
        if "->" in fields or len(fields) < 6:
            continue
        with contextlib.suppress(ValueError, IndexError):
            if int(fields[5].rsplit(":", 1)[1]) in inodes:
                pids.add(int(fields[4]))
    return sorted(pids)


def _program(pid: int) -> str:
    if pid == os.getpid():
        return "this process: its other requests or threads"
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "unknown program"
    words = [w.decode(errors="replace").strip().splitlines()[0][:40]
             for w in raw.split(b"\0") if w.strip()]
    return " ".join([Path(words[0]).name, *words[1:3]]) if words else "unknown program"


def _note_writer(fh: Any) -> None:
    """Say in the turnstile file who writes (read by waiting programs for their messages)."""
    program = " ".join([Path(sys.argv[0]).name, *sys.argv[1:3]]) if sys.argv else "python"
    note = {"pid": os.getpid(), "program": program[:120],
            "since": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")}
    with contextlib.suppress(OSError):
        fh.seek(0)
        fh.truncate()
        fh.write(json.dumps(note).encode())
        fh.flush()


def _clear_note(fh: Any) -> None:
    with contextlib.suppress(OSError, ValueError):
        fh.truncate(0)
        fh.flush()


# ---------------------------------------------------------------- leases

class Lease:
    """A held reader or writer lock; :meth:`release` is idempotent."""

    def __init__(self, store: Path, role: str, files: list[Any]):
        self.store, self.role, self._files = store, role, files
        self._released = False

    def release(self) -> None:
        if self._released:
            return
        self._released = True
        if self.role == "read":
            depth = _reader_depth(self.store)
            depth[str(self.store)] = max(depth.get(str(self.store), 1) - 1, 0)
        for fh in reversed(self._files):
            if self.role == "write" and fh is self._files[0]:
                _clear_note(fh)
            _release(fh)


def acquire(store: Path, role: str, waiter: _Waiter) -> Lease:
    """Take the reader (``read``) or writer (``write``) lock on a store, waiting boundedly."""
    holder = lambda: holder_of(store)  # noqa: E731 - evaluated only when a message is needed
    if role == "write":
        return _acquire_writer(store, waiter, holder)
    return _acquire_reader(store, waiter, holder)


def _acquire_writer(store: Path, waiter: _Waiter, holder: Callable[[], str]) -> Lease:
    lock_path, intent_path = lock_paths(store)
    intent = _lock_file(intent_path)
    if intent is None:
        return Lease(store, "write", [])
    noted, lock = False, None
    try:
        _acquire(intent, True, waiter, holder)
        _note_writer(intent)
        noted = True
        lock = _lock_file(lock_path)
        if lock is not None:
            _acquire(lock, True, waiter, holder)  # the readers already in finish first
    except BaseException:
        _release(lock)
        if noted:
            _clear_note(intent)
        _release(intent)
        raise
    return Lease(store, "write", [intent, lock])


def _acquire_reader(store: Path, waiter: _Waiter, holder: Callable[[], str]) -> Lease:
    lock_path, intent_path = lock_paths(store)
    depth = _reader_depth(store)
    nested = depth.get(str(store), 0) > 0
    lock = _lock_file(lock_path)
    if lock is None:
        return Lease(store, "read", [])
    try:
        if not nested:  # queue behind a waiting writer (a nested read would deadlock with it)
            intent = _lock_file(intent_path)
            if intent is not None:
                _acquire(intent, False, waiter, holder)
                _release(intent)
        _acquire(lock, False, waiter, holder)
    except BaseException:
        _release(lock)
        raise
    depth[str(store)] = depth.get(str(store), 0) + 1
    return Lease(store, "read", [lock])


def is_lock_conflict(exc: BaseException) -> bool:
    """A DuckDB error that says another connection holds the file."""
    text = str(exc).lower()
    return any(m in text for m in _LOCK_MESSAGES)


def open_locked(store: Path, *, read_only: bool, opener: Callable[[], Any],
                policy: AccessPolicy | None = None) -> tuple[Any, Lease]:
    """``opener()`` (a DuckDB connect) under the store's reader or writer lock.

    Waits, bounded by the policy, for the lock and then for DuckDB's own lock (held by a
    program outside tradeguard); returns the connection and the lease, which the caller
    releases when it closes the connection.  Errors other than a lock conflict pass through.
    """
    policy = policy or policy_from_env()
    role = "read" if read_only else "write"
    waiter = _Waiter(store, role, policy.read_wait_s if read_only else policy.write_wait_s,
                     policy.poll_s)
    lease = acquire(store, role, waiter)
    try:
        while True:
            try:
                con = opener()
            except Exception as exc:
                if not is_lock_conflict(exc):
                    raise
                waiter.last_reason = str(exc).splitlines()[0][:300]
                waiter.pause(lambda: holder_of(store))
                continue
            if waiter.paused and waiter.waited() >= _FIRST_NOTICE_S:
                log.warning("the store %s is free again after %.1f s; going on", store,
                            waiter.waited())
            return con, lease
    except BaseException:
        lease.release()
        raise


@contextlib.contextmanager
def holding(store: Path, role: str, policy: AccessPolicy | None = None) -> Iterator[Lease]:
    """The reader or writer lock for a block that opens no DuckDB connection itself."""
    policy = policy or policy_from_env()
    budget = policy.read_wait_s if role == "read" else policy.write_wait_s
    lease = acquire(store, role, _Waiter(store, role, budget, policy.poll_s))
    try:
        yield lease
    finally:
        lease.release()


class LockedConnection:
    """A DuckDB connection that releases its store lease when it is closed."""

    def __init__(self, con: Any, lease: Lease):
        self._con, self._lease = con, lease

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)

    def close(self) -> None:
        try:
            self._con.close()
        finally:
            self._lease.release()

    def __enter__(self) -> LockedConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
