"""Evidence pack, Comtrade streaming with bad input, the REST router."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.surge.conftest import AS_OF
from tradeguard.data.problems import IngestProblemsError

BAD = Path(__file__).resolve().parents[1] / "data" / "bad_inputs"


def test_evidence_pack_for_australian_chilled_beef(bundled, flags):
    from tradeguard.surge import evidence_pack

    domestic = {"production": {2015: 475_000, 2016: 463_000, 2017: 471_000, 2018: 476_000},
                "employment": {2015: 100, 2016: 97, 2017: 95, 2018: 92}}
    pack = evidence_pack(bundled, tariff_line="0201", partners=["AU"], as_of=AS_OF,
                         domestic=domestic, flags=flags,
                         proposal={"product": "0201", "start": "2020-04-01",
                                   "initial_years": 9})
    d = json.loads(pack.to_json())
    years = {r["year"]: r for r in d["yearly"]}
    assert years[2015]["complete"] and not years[2014]["complete"]
    assert years[2015]["months"] == 12
    ind = d["indicators"]
    assert ind["period"] == "2015 to 2018"
    assert ind["amount_of_increase_t"] == pytest.approx(
        years[2018]["quantity_t"] - years[2015]["quantity_t"])
    assert 0 < years[2018]["market_share"] < 1
    assert d["trends"]["employment"]["direction"] == "down"
    assert {p["article"] for p in d["measure_check"]} >= {"Art. 7.1", "Art. 7.3"}
    assert all(f["partner"] == "AU" for f in d["surge_flags"]) and d["surge_flags"]
    from tradeguard.web.evidence import evidence_html

    html = evidence_html(pack)
    assert html.count("<svg") >= 3 and "Art. 4.2(a)" in html
    assert not hasattr(pack, "to_html")  # the core returns data; the face renders it


def test_stream_comtrade_reports_mixed_classifications():
    from tradeguard.surge import stream_comtrade

    with pytest.raises(IngestProblemsError) as err:
        stream_comtrade(BAD / "comtrade_mixed_classification.csv")
    text = str(err.value)
    assert "classification" in text and "HS revisions" in text


def test_stream_comtrade_missing_weight_and_non_numeric(tmp_path):
    from tradeguard.surge import stream_comtrade

    src = BAD / "comtrade_missing_weight.csv"
    with pytest.raises(IngestProblemsError) as err:
        stream_comtrade(src)
    assert "net weight is missing" in str(err.value) and "is not a number" in str(err.value)
    out = tmp_path / "kept.parquet"
    table, report = stream_comtrade(src, out=out, on_problem="skip", chunk_bytes=1 << 10)
    assert table is None
    kept = pq.read_table(out)
    assert kept.num_rows == report.kept
    assert report.kept + sum(report.skipped.values()) == report.rows
    assert any(k.startswith("bad row: net weight is missing") for k in report.skipped)
    assert "problem" in report.summary()


def test_stream_comtrade_matches_the_whole_file_reader(tmp_path):
    from tradeguard.data.readers import read_comtrade
    from tradeguard.surge import stream_comtrade

    src = tmp_path / "c.csv"
    header = (BAD / "comtrade_missing_weight.csv").read_text().splitlines()[0]
    cols = header.split(",")
    rows = []
    for month in range(1, 13):
        for partner, iso in (("36", "AUS"), ("124", "CAN"), ("0", "W00")):
            row = dict.fromkeys(cols, "")
            row.update(typeCode="C", freqCode="M", period=f"2019{month:02d}", reporterCode="392",
                       reporterISO="JPN", flowCode="M", partnerCode=partner, partnerISO=iso,
                       classificationCode="H5", cmdCode="0201", customsCode="C00", motCode="0",
                       partner2Code="0", netWgt=str(1000 * month), primaryValue=str(5000 * month))
            rows.append(",".join(row[c] for c in cols))
    src.write_text("\n".join([header, *rows]) + "\n")
    seen = []
    table, report = stream_comtrade(src, chunk_bytes=1 << 10,
                                    progress=lambda stage, d, t: seen.append((stage, d, t)))
    whole = read_comtrade(src)
    size = src.stat().st_size
    assert report.chunks > 1 and seen[-1] == ("read", size, size)
    assert {stage for stage, _, _ in seen} == {"read"}
    assert report.skipped == {"World partner total": 12}
    cols_cmp = ["period_start", "partner", "quantity", "value"]
    assert sorted(table.select(cols_cmp).to_pylist(), key=str) == sorted(
        whole.select(cols_cmp).to_pylist(), key=str)


def test_scan_counts_what_it_skips(bundled):
    import pyarrow as pa

    from tradeguard.surge import scan, scan_notes

    extra = bundled.slice(0, 3)
    extra = extra.set_column(extra.schema.get_field_index("quantity_unit"), "quantity_unit",
                             pa.array(["l"] * 3)).cast(bundled.schema)
    late = bundled.slice(3, 2)
    data = pa.concat_tables([bundled.slice(5), extra, late])
    notes = scan_notes(scan(data, as_of=dt.date(2019, 11, 30), methods="fao130"))
    assert notes["skipped: unit not kg"] == 3
    assert notes["skipped: period ends after as_of"] > 0
    assert notes["rows used"] + notes["skipped: unit not kg"] + \
        notes["skipped: period ends after as_of"] == notes["rows"]


def test_unknown_method_is_a_clear_error(bundled):
    from tradeguard.errors import InputError
    from tradeguard.surge import scan

    with pytest.raises(InputError, match="unknown surge method"):
        scan(bundled, as_of=AS_OF, methods=["fao131"])


def test_router(store_copy):
    """The surge endpoints, mounted in the tradeguard app over its own store."""
    from fastapi.testclient import TestClient

    from tradeguard.api.app import create_app

    client = TestClient(create_app(store_copy))
    got = client.get("/api/surges", params={"partner": "AU", "tariff_line": "0202",
                                            "label": "tariff timing",
                                            "methods": "fao130"}).json()
    assert any(r["period"] == "2018-04" and r["tariff_line"] == "020230020"
               for r in got["flags"])
    url = got["flags"][0]["evidence_url"]
    assert url.startswith("/api/surges/evidence?")
    pack = client.get(url).json()
    assert pack["partners"] == ["AU"]
    html = client.get(f"{url}&format=html")
    assert html.status_code == 200 and "<svg" in html.text
    # A path in the query is not a parameter: it never selects a file.
    other = client.get("/api/surges", params={"store": "/etc/passwd", "partner": "AU",
                                              "methods": "fao130", "tariff_line": "0202",
                                              "label": "tariff timing"}).json()
    assert other == got


def test_data_without_regimes_skips_the_regime_passes_with_the_same_flags(bundled,
                                                                         monkeypatch):
    """Without claimed regimes (UN Comtrade) the scan takes a shorter path; on the same data
    with the regimes blanked out, it must flag exactly what the full path flags."""
    import pyarrow as pa

    import tradeguard.surge.detect as detect
    from tradeguard.surge import scan

    blank = bundled.set_column(bundled.schema.get_field_index("regime"), "regime",
                               pa.nulls(bundled.num_rows, pa.string()))
    methods = ["fao130", "zscore"]
    short = scan(blank, as_of=AS_OF, methods=methods)
    full_path = detect._expression

    def always_full(*args):
        return full_path(*args[:-1], True)  # the last argument is has_regimes

    monkeypatch.setattr(detect, "_expression", always_full)
    full = scan(blank, as_of=AS_OF, methods=methods)
    keys = ["tariff_line", "partner", "period", "method", "label"]
    assert short.num_rows > 0
    assert short.select(keys).to_pylist() == full.select(keys).to_pylist()
    assert "new under agreement" not in set(short.column("label").to_pylist())


def test_the_evidence_page_gives_every_value_its_unit_rates_as_percents_and_line_words(bundled):
    from tradeguard.surge import evidence_pack
    from tradeguard.web.evidence import evidence_html

    pack = evidence_pack(bundled, tariff_line="0201", partners=["AU"], as_of=AS_OF,
                         domestic={"production": {2015: 475_000, 2016: 463_000,
                                                  2017: 471_000, 2018: 476_000}})
    html = evidence_html(pack)
    ind = pack.indicators
    assert "Line 0201: Meat of bovine animals; fresh or chilled (HS 2022)" in html
    assert f"<td>{100 * ind['rate_of_increase']:+,.1f}%</td>" in html
    assert f"<td>{ind['amount_of_increase_t']:,.1f} t</td>" in html
    assert f"<td>{100 * ind['market_share_last']:,.1f}%</td>" in html
    assert f"<td>{100 * ind['market_share_change']:+,.1f} points</td>" in html
    year = next(r for r in pack.yearly if r["year"] == 2016)
    assert f"<td>{year['value']:,.0f} JPY</td>" in html
    assert f"<td>{100 * year['market_share']:,.1f}%</td>" in html
    for fraction in (ind["rate_of_increase"], ind["market_share_last"], year["market_share"]):
        assert f"{fraction:,.4f}" not in html  # never a bare 0.0215
    assert "<th>production</th><td>t</td>" in html
