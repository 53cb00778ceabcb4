"""tradeguard: agricultural import safeguards as code.

``import tradeguard as tg`` gives one function for each question (see docs/python-api.md):

- ``tg.duty(line, origin, date, ..., as_of=)``: which duty applies to a shipment, and why;
- ``tg.duty_batch(declarations, as_of=)``: the same for a table of declarations (Arrow out);
- ``tg.duty_batch_parquet(source, dest, as_of=)``: the same from Parquet to Parquet, streaming;
- ``tg.ingest(path, store)`` and ``tg.Store(path)``: the import store;
- ``tg.status(store)``: every safeguard against its trigger (``.alerts()``);
- ``tg.surges(store)``: import surges, labelled and explained;
- ``tg.compare_designs([...])``: safeguard designs back-tested and simulated;
- ``tg.rules()`` and ``tg.lines("frozen beef")``: the rule library and the tariff lines;
- ``tg.TradeguardError``: the root of every error raised on purpose.

Answers show themselves in one line, as an HTML table in a notebook, and convert with
``to_pandas()`` / ``to_arrow()``.  Imports are lazy, so ``import tradeguard`` stays cheap and
the CLI starts fast.  (``load_rules`` and ``official_activations`` remain importable for older
code; ``tg.rules().ruleset`` and ``tradeguard.engine.duty.official_activations`` are their
homes.)
"""

from __future__ import annotations

import importlib
import types
from typing import TYPE_CHECKING, Any

from tradeguard.errors import TradeguardError

__all__ = ["Store", "TradeguardError", "compare_designs", "duty", "duty_batch",
           "duty_batch_parquet", "ingest",
           "lines", "rules", "status", "surges"]
__version__ = "0.2.0.dev0"

if TYPE_CHECKING:
    from tradeguard.engine.batch import duty_batch
    from tradeguard.engine.batch_stream import duty_batch_parquet
    from tradeguard.engine.duty import official_activations as official_activations
    from tradeguard.notebook import (
        Store,
        compare_designs,
        duty,
        ingest,
        lines,
        status,
        surges,
    )
    from tradeguard.notebook import rules as rules  # the package, callable at run time
    from tradeguard.rules.loader import load_rules as load_rules

_NOTEBOOK = "tradeguard.notebook"
_LAZY = {
    **{name: _NOTEBOOK for name in ("duty", "ingest", "Store", "status", "surges",
                                    "compare_designs", "lines")},
    "duty_batch": "tradeguard.engine.batch",
    "duty_batch_parquet": "tradeguard.engine.batch_stream",
    "official_activations": "tradeguard.engine.duty",
    "load_rules": "tradeguard.rules.loader",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'tradeguard' has no attribute {name!r}")


class _RulesPackage(types.ModuleType):
    """The package ``tradeguard.rules``, callable: ``tg.rules()`` is the rule library.

    The name is both the package (``tradeguard.rules.loader`` ...) and the notebook's function;
    a package attribute cannot be shadowed once the package is imported, so the package itself
    answers the call.
    """

    def __call__(self, path: Any = None) -> Any:
        from tradeguard.notebook import rules

        return rules(path)


def _make_rules_callable() -> None:
    package = importlib.import_module("tradeguard.rules")  # a namespace: nothing runs
    package.__class__ = _RulesPackage
    if package.__doc__ is None:
        package.__doc__ = ("The rule library: call tg.rules(path=None) for the validated rules "
                           "(a RuleBook: one row per rule, .rule(id), .ruleset).")


_make_rules_callable()


def __dir__() -> list[str]:
    return sorted([*__all__, "__version__"])
