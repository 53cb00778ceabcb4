"""Shared fixtures: the bundled real data (Japan Customs EPA imports 2012-2019) and its scan."""

from __future__ import annotations

import datetime as dt

import pytest

AS_OF = dt.date(2019, 12, 31)


@pytest.fixture(scope="session")
def bundled():
    from tradeguard.data.bundled import bundled_extract_path
    from tradeguard.data.readers import read_any

    return read_any(bundled_extract_path())


@pytest.fixture(scope="session")
def flags(bundled):
    from tradeguard.surge import scan

    return scan(bundled, as_of=AS_OF)


def find(flags, line, partner, period, method=None):
    return [r for r in flags.to_pylist()
            if (r["tariff_line"], r["partner"], r["period"]) == (line, partner, period)
            and (method is None or r["method"] == method)]
