"""The REST API (FastAPI): ``create_app(store_path)`` and ``serve(host, port, store)``.

Imported lazily: FastAPI is only loaded by the code that serves.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app", "serve"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from tradeguard.api import app

        return getattr(app, name)
    raise AttributeError(f"module 'tradeguard.api' has no attribute {name!r}")
