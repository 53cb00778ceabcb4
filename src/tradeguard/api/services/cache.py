"""The answers computed from the store, cached per store version: bounded, single flight.

A monitor report takes a few hundred milliseconds, a surge scan longer, the cached answer
microseconds.  Concurrent requests for the same key wait for one computation (single flight),
and at most ``COMPUTE_SLOTS`` computations run at once.  No lock of this object is held during
store access or computation, so the event loop never waits on one
(docs/adr/0005-store-access-one-writer-many-readers.md).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Any

CACHE_SIZE = 32
# Computations (monitor, surge scan) at once: more would only share the cores and the GIL with
# the event loop, which must stay free to answer (e.g. /healthz); the rest wait their turn.
# One core is left to the loop (DuckDB still spreads each computation's queries over all).
COMPUTE_SLOTS = max(1, min(4, (os.cpu_count() or 1) - 1))


class SingleFlight:
    """A bounded cache whose misses are computed once, however many threads ask."""

    def __init__(self, size: int = CACHE_SIZE, slots: int = COMPUTE_SLOTS):
        self.size = size
        self._guard = threading.Lock()  # the dicts only: never held over I/O or work
        self._inflight: dict[Hashable, Future] = {}
        self._slots = threading.BoundedSemaphore(slots)
        self._answers: OrderedDict[Hashable, Any] = OrderedDict()

    def __len__(self) -> int:
        with self._guard:
            return len(self._answers)

    def peek(self, key: Hashable) -> Any:
        """The cached answer, or None; never waits."""
        with self._guard:
            return self._answers.get(key)

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The cached answer for ``key``; else compute it once, however many threads ask.
        ``key`` starts with the kind of answer and the store version (its batch set)."""
        with self._guard:
            hit = self._answers.get(key)
            if hit is not None:
                self._answers.move_to_end(key)
                return hit
            flight = self._inflight.get(key)
            owner = flight is None
            if owner:
                flight = self._inflight[key] = Future()
        if not owner:
            return flight.result()  # another thread computes it: wait for its answer
        return self._compute(key, compute, flight)

    def _compute(self, key: Hashable, compute: Callable[[], Any], flight: Future) -> Any:
        try:
            with self._slots:
                answer = compute()
        except BaseException as exc:
            with self._guard:
                self._inflight.pop(key, None)
            flight.set_exception(exc)
            raise
        with self._guard:
            self._answers[key] = answer
            while len(self._answers) > self.size:
                self._answers.popitem(last=False)
            self._inflight.pop(key, None)
        flight.set_result(answer)
        return answer
