"""Issue 13 acceptance: no request without a token uses more than 10 CPU-seconds or 1 GiB.

Each case is an expensive endpoint asked, without the token, with the worst input its limits
allow (the most rows, paths, designs, flows, the widest line prefix, an as_of no cache holds).
The test measures the CPU-seconds of this whole process (every thread: the server's workers,
DuckDB's, the client) around one in-process call, and the growth of its peak resident memory
(the kernel's high-water mark, reset before the call where Linux allows it).  CPU-seconds and
memory are not wall time: a busy machine does not change them much.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import resource
from pathlib import Path

import pytest

from tests.api.conftest import make_client

CPU_LIMIT_S = 10.0
EXAMPLES = ("beef-us-opening", "beef-japan-opening", "cptpp-quarterly-110",
            "jaepa-frozen-quarterly-100", "usjta-same-formula")
MEMORY_LIMIT_BYTES = 1 << 30
LINES = ("0201.10", "0201.30", "0202.30", "0203.19", "040210229", "040510129", "1006.30",
         "170199200")
ORIGINS = ("US", "AU", "CA", "NZ", "MX", "FR", "GB", "TH")


@pytest.fixture(scope="module")
def open_client(bundled_store):
    """A client without the token, on an app of its own (its caches start empty)."""
    from tradeguard.api.app import create_app

    app = create_app(bundled_store, token="not-sent-by-this-client-0123", cors_origins=())
    with make_client(app, raise_server_exceptions=False) as client:
        yield client


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # forked simulation workers
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/self/status")


def _reset_peak() -> None:
    """Reset the peak resident memory to the current one (Linux >= 4.0), so the peak after
    the call is this call's; where that is refused the peak so far stands (an upper bound)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def measure(call):
    _reset_peak()
    rss_before = _status_kib("VmRSS")
    cpu_before = _cpu_seconds()
    response = call()
    cpu = _cpu_seconds() - cpu_before
    growth = (_status_kib("VmHWM") - rss_before) * 1024
    return response, cpu, growth


def _declarations(count: int) -> list[dict]:
    start = dt.date(2025, 4, 1)  # every line's rules reach back to FY2025
    return [{"tariff_line": LINES[i % len(LINES)], "origin": ORIGINS[(i // 8) % len(ORIGINS)],
             "date": (start + dt.timedelta(days=(7 * i) % 600)).isoformat(),
             "customs_value": 1000 + i, "quantity": 10 + i} for i in range(count)]


def _csv(count: int) -> bytes:
    rows = ["tariff_line,origin,date,customs_value,quantity"]
    rows += [",".join(str(d[k]) for k in ("tariff_line", "origin", "date", "customs_value",
                                          "quantity")) for d in _declarations(count)]
    return ("\n".join(rows) + "\n").encode()


def _designs(settings, count: int) -> list[dict]:
    return [{"id": f"worst-{i}", "title": f"trigger +{i}%", "base": "usjta.beef_safeguard",
             "overrides": {"trigger_scale": 1 + i / 100}} for i in range(count)]


def _most_flows_request(settings) -> dict:
    """One design, the most trade flows, the most paths and the most years the path-month
    limit lets through (memory grows with paths x flows x months)."""
    from tradeguard.design.simulate import BEEF_FLOWS

    flows = [f.model_dump() for f in BEEF_FLOWS]
    flows += [{"partner": p, "line": "0201", "regime": "cptpp"} for p in ("CA", "NZ", "MX")]
    paths = settings.max_design_paths
    years = min(40, settings.max_path_months // (paths * 12) - 3)
    return {"designs": _designs(settings, 1), "scenario": {
        "paths": paths, "years": years, "flows": flows[:settings.max_design_flows]}}


def _widest_design_request(settings) -> dict:
    """The most designs, with as many paths as the path-month limit lets through."""
    designs = 20
    paths = min(settings.max_design_paths, settings.max_path_months // (designs * 4 * 12))
    return {"designs": _designs(settings, designs), "scenario": {"paths": paths, "years": 1}}


CASES = {
    "duty batch, most rows, traced": lambda c, s: c.post(
        "/api/duty/batch", json={"as_of": "2026-11-27", "trace": True,
                                 "declarations": _declarations(s.max_batch_rows_open)}),
    "duty batch as CSV, most rows, traced": lambda c, s: c.post(
        "/api/duty/batch", params={"as_of": "2026-11-27", "trace": "true"},
        content=_csv(s.max_batch_rows_open), headers={"content-type": "text/csv"}),
    "duty batch over the open limit (refused)": lambda c, s: c.post(
        "/api/duty/batch", json={"as_of": "2026-11-27",
                                 "declarations": _declarations(100_000)}),
    "status at an as_of no cache holds": lambda c, s: c.get(
        "/api/status", params={"as_of": "2018-02-13"}),
    "quotas at an as_of no cache holds, signed too": lambda c, s: c.get(
        "/api/quotas", params={"as_of": "2019-07-09", "include_signed": "true"}),
    "surges, every method, an as_of no cache holds": lambda c, s: c.get(
        "/api/surges", params={"as_of": "2019-05-31", "include_immaterial": "true",
                               "per_page": 1000}),
    "evidence pack of every line, as HTML": lambda c, s: c.get(
        "/api/surges/evidence", params={"tariff_line": "0", "format": "html"}),
    "rules quality over 50 years": lambda c, s: c.get(
        "/api/rules-quality", params={"as_of": "2026-11-27", "horizon_years": 50}),
    "line search, long query, most lines": lambda c, s: c.get(
        "/api/lines", params={"q": " ".join(["beef"] * 40), "limit": 200}),
    "design lab, most flows, paths and years": lambda c, s: c.post(
        "/api/designs/compare", json=_most_flows_request(s)),
    "design lab, most designs": lambda c, s: c.post(
        "/api/designs/compare", json=_widest_design_request(s)),
    "desk design page, every example repeated": lambda c, s: c.get(
        "/designs", params=[("id", e) for e in EXAMPLES * 10] + [
            ("paths", min(2000, s.max_path_months // (len(EXAMPLES) * (16 + 3) * 12)))]),
    "desk surges page, everything on one page": lambda c, s: c.get(
        "/surges", params={"include_immaterial": "true", "per_page": 1000}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_no_request_without_a_token_passes_10_cpu_seconds_or_1_gib(open_client, case):
    settings = open_client.app.state.settings
    response, cpu, growth = measure(lambda: CASES[case](open_client, settings))
    assert response.status_code < 500, response.text[:500]
    assert cpu <= CPU_LIMIT_S, f"{case}: {cpu:.2f} CPU-seconds"
    assert growth < MEMORY_LIMIT_BYTES, f"{case}: peak grew {growth / 2**20:,.0f} MiB"
