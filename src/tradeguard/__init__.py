"""tradeguard: agricultural import safeguards as code.

The Python API is the product; the CLI, REST API and dashboard are thin layers
over these names.  Imports are lazy so that ``import tradeguard`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tradeguard.errors import TradeguardError

__all__ = ["TradeguardError", "duty", "duty_batch", "load_rules", "official_activations"]
__version__ = "0.1.0"

if TYPE_CHECKING:
    from tradeguard.engine.batch import duty_batch
    from tradeguard.engine.duty import duty, official_activations
    from tradeguard.rules.loader import load_rules

_LAZY = {
    "duty": "tradeguard.engine.duty",
    "official_activations": "tradeguard.engine.duty",
    "duty_batch": "tradeguard.engine.batch",
    "load_rules": "tradeguard.rules.loader",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'tradeguard' has no attribute {name!r}")
