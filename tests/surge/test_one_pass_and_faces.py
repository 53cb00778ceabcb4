"""The one-pass scan, the law written once, explanations as Python would format them, and the
surge routes reading the store under the desk's lock."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.surge.conftest import AS_OF

SURGE = Path(__file__).resolve().parents[2] / "src" / "tradeguard" / "surge"


def test_the_one_pass_scan_flags_what_each_method_flags_alone(bundled, flags):
    from tradeguard.surge import METHODS, scan

    keys = ["tariff_line", "partner", "period", "method", "label", "explanation",
            "quantity_t", "baseline_t", "threshold_t", "ratio", "z_score", "band"]
    together = flags.select(keys).to_pylist()
    alone = []
    for name in METHODS:
        alone += scan(bundled, as_of=AS_OF, methods=[name]).select(keys).to_pylist()
    order = ("tariff_line", "partner", "period", "method")
    assert sorted(alone, key=lambda r: tuple(r[k] for k in order)) == together
    assert {r["method"] for r in together} == set(METHODS)


def test_the_ssm_bands_and_screen_ratios_are_written_once():
    from tradeguard.surge import methods as m

    assert [b.trigger_ratio for b in m.SSM_BANDS] == [1.35, 1.15, 1.10]
    assert m.SSM_BANDS[0].text == "above 135% of base: remedy up to 50% of the bound duty"
    assert "130%" in m.METHODS["fao130"].title and "125%" in m.METHODS["art5"].title
    assert "110%/115%/135%" in m.METHODS["ssm"].title
    # no percentage or ratio of the law is typed again elsewhere in the surge code
    law = re.compile(r"\b1[23]\d%|\b1\.(?:10|15|25|30|35)\b")
    again = {p.name: law.findall(p.read_text(encoding="utf-8")) for p in SURGE.glob("*.py")
             if p.name != "methods.py"}
    assert {name: found for name, found in again.items() if found} == {}


def test_every_explanation_names_the_band_from_the_band_table(flags):
    from tradeguard.surge import methods as m

    texts = {b.band: b.text for b in m.SSM_BANDS}
    ssm = [r for r in flags.to_pylist() if r["method"] == "ssm"]
    assert ssm and all(texts[r["band"]] in r["explanation"] for r in ssm)


@pytest.mark.slow  # each example is one DuckDB query; lists of up to 30 values each
@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False),
                          st.integers(0, 10**9).map(lambda k: k / 1000.0),
                          st.integers(0, 10**6).map(lambda k: k / 100.0)),
                min_size=1, max_size=30))
def test_tonnes_in_explanations_read_as_pythons_format(values):
    from tradeguard.surge.explain import present

    n = len(values)
    flags = pa.table({
        "tariff_line": ["020130010"] * n, "partner": ["AU"] * n, "mi": [24000] * n,
        "method": ["fao130"] * n, "label": ["surge"] * n,
        "compared": [v * 1000.0 for v in values], "baseline": pa.nulls(n, pa.float64()),
        "threshold": [1000.0] * n, "ratio": values, "z": pa.nulls(n, pa.float64()),
        "band": pa.nulls(n, pa.int64()), "timing_detail": pa.nulls(n, pa.string()),
        "new_regime": pa.nulls(n, pa.string())})
    shown = present(flags, 12, explain=True)
    assert shown["period"].to_pylist() == ["2000-01"] * n
    for v, q, text in zip(values, shown["quantity_t"].to_pylist(),
                          shown["explanation"].to_pylist(), strict=True):
        assert text.startswith(f"020130010 from AU, 2000-01: {q:,.1f} t imported, n/a above")
        assert f"({v:.0%} of it)" in text  # a gap reads n/a, never zero


def test_explanations_round_as_python_does(flags):
    rows = [r for r in flags.to_pylist() if r["method"] == "fao130" and r["ratio"] is not None]
    assert len(rows) > 100
    for r in rows[:200]:
        assert f"{r['quantity_t']:,.1f} t imported, {r['increase_t']:,.1f} t above" in \
            r["explanation"]
        assert f"({r['ratio']:.0%} of it)" in r["explanation"]


def test_surge_routes_read_the_store_under_its_reader_lock(store_copy, monkeypatch):
    # The routes no longer hold a lock of the server's own: every open of the store takes the
    # store's reader lock (tradeguard.data.access), which a writer in any process respects.
    from fastapi.testclient import TestClient

    import tradeguard.data.access as access
    from tradeguard.api.app import create_app

    store = store_copy
    roles: list[str] = []
    real = access.acquire
    monkeypatch.setattr(access, "acquire", lambda s, role, w: roles.append(role) or
                        real(s, role, w))
    app = create_app(store)
    client = TestClient(app)
    got = client.get("/api/surges", params={"methods": "fao130", "partner": "AU"})
    assert got.status_code == 200 and roles and set(roles) == {"read"}
    seen = len(roles)
    pack = client.get("/api/surges/evidence", params={"tariff_line": "0201", "partners": "AU",
                                                      "format": "html"})
    assert pack.status_code == 200 and "<svg" in pack.text and len(roles) > seen
    seen = len(roles)
    page = client.get("/surges", params={"partner": "AU"})
    assert page.status_code == 200 and len(roles) > seen and set(roles) == {"read"}
    bad = client.get("/api/surges", params={"methods": "fao131"})
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")


def test_the_evidence_page_escapes_what_it_shows(bundled):
    from tradeguard.surge import evidence_pack
    from tradeguard.web.evidence import evidence_html

    pack = evidence_pack(bundled, tariff_line="0201", partners=["AU"], as_of=AS_OF,
                         domestic={"<b>sales</b>": {2016: 1.0}})
    html = evidence_html(pack)
    assert "&lt;b&gt;sales&lt;/b&gt;" in html and "<b>sales</b>" not in html
