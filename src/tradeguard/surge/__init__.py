"""Surge detection and safeguard-investigation evidence (issue 7).

Python API (the CLI, the REST routes in ``api/routes/surges.py`` and the desk call only these;
the core returns data, the faces render it):

- :func:`scan` -- surge flags from canonical import records, on DuckDB or PySpark.
- :func:`evidence_pack` -- the Art. 4.2(a) indicators for a line and partners (data; the HTML
  is ``tradeguard.web.evidence.evidence_html``).
- :func:`check_measure` -- a proposed measure against the Agreement on Safeguards' limits.
- :func:`stream_comtrade`, :func:`fetch_comtrade` -- UN Comtrade bulk files and downloads.
- :func:`flags_as_json` -- the CLI/REST JSON shape of the flags.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DEFAULT_METHODS", "LABELS", "METHODS", "Proposal", "check_measure",
           "evidence_pack", "fetch_comtrade", "flags_as_json", "scan", "scan_notes",
           "stream_comtrade"]

_LAZY = {
    "scan": "tradeguard.surge.detect", "scan_notes": "tradeguard.surge.detect",
    "LABELS": "tradeguard.surge.detect", "flags_as_json": "tradeguard.surge.api",
    "METHODS": "tradeguard.surge.methods", "DEFAULT_METHODS": "tradeguard.surge.methods",
    "evidence_pack": "tradeguard.surge.evidence",
    "check_measure": "tradeguard.surge.measures", "Proposal": "tradeguard.surge.measures",
    "stream_comtrade": "tradeguard.surge.comtrade", "fetch_comtrade": "tradeguard.surge.comtrade",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'tradeguard.surge' has no attribute {name!r}")
