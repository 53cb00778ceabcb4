"""Fixtures for the data-layer tests.

``shared_dir`` locates the real data (``../shared`` beside the repository, or
``$TRADEGUARD_SHARED``) and skips the test with a reason when it is absent.  ``write_workbook``
writes *constructed format fixtures* (made-up numbers) in the Japan Customs wide layout.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BAD_INPUTS = Path(__file__).resolve().parent / "bad_inputs"
INGESTED_AT = datetime(2026, 1, 1, 9, 30, tzinfo=UTC)  # fixed: the engine takes time as input


def _shared_path() -> Path:
    env = os.environ.get("TRADEGUARD_SHARED")
    return Path(env) if env else (REPO / ".." / "shared").resolve()


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    path = _shared_path()
    if not (path / "data" / "README.md").is_file():
        pytest.skip(f"real data not present at {path} (set TRADEGUARD_SHARED to its location)")
    return path


@pytest.fixture(scope="session")
def epa_dir(shared_dir: Path) -> Path:
    return shared_dir / "data" / "jp-customs-epa-imports"


@pytest.fixture
def bad_inputs() -> Path:
    return BAD_INPUTS


def workbook_header(layout: str = "region") -> list[str]:
    from tradeguard.data.workbook import HEADER

    header = list(HEADER)
    if layout == "epa":
        header[2] = "EPA"
    return header


def workbook_row(year: int, scope: str, agreement, country: int, hs: str, epa_code,
                 unit2: str, months: dict[int, tuple[float, float]]) -> list:
    """One wide row; ``months`` maps month -> (quantity2, value in thousand yen)."""
    row = [year, scope, agreement, country, f"'{hs}", epa_code, "  ", unit2]
    q2 = [months.get(m, (0, 0))[0] for m in range(1, 13)]
    v = [months.get(m, (0, 0))[1] for m in range(1, 13)]
    row += [0, sum(q2), sum(v)]
    for m in range(12):
        row += [0, q2[m], v[m]]
    return row


def write_workbook(path: Path, rows: Sequence[Sequence], layout: str = "region",
                   header: Sequence[str] | None = None) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "constructed_fixture"
    sheet.append(list(header) if header is not None else workbook_header(layout))
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path


def pytest_collection_modifyitems(items):
    """Tests that read ../shared carry the ``shared`` marker (``-m "not shared"`` skips them)."""
    for item in items:
        if {"shared_dir", "epa_dir"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.shared)
