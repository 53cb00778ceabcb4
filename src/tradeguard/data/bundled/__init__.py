"""The real-data extract shipped with the package (see PROVENANCE.md beside this file)."""

from __future__ import annotations

from pathlib import Path

EXTRACT_NAME = "jp_epa_imports_tpp_basket_2012_2019.csv.gz"


def bundled_extract_path() -> Path:
    """Path of the gzipped tidy CSV: Japan's EPA-rate imports of the TPP basket, 2012-2019.

    Same columns as the source tidy CSV, so ``read_jp_epa_tidy`` (or ``read_any``) reads it.
    """
    return Path(__file__).with_name(EXTRACT_NAME)
