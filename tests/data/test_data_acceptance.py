"""Acceptance: real numbers from the real data, through the readers and the store.

Expected values were computed independently with DuckDB straight from the source CSV
(``shared/data/jp-customs-epa-imports/jp_epa_imports_ag_monthly_2012_2019.csv``), not through
tradeguard, and hard-coded:

- Australian beef (hs4 0201 + 0202, partner 601, all agreements) in tonnes by Japanese fiscal year
  (April-March): ``SELECT CASE WHEN month >= 4 THEN year ELSE year - 1 END fy,
  sum(quantity2) / 1000 ... GROUP BY fy`` -> 288,347.968 (FY2015), 276,899.720 (FY2016),
  297,069.873 (FY2017), 309,518.473 (FY2018 = 264,603.118 JAEPA + 44,915.355 CPTPP), matching
  the figures in the data README (288,348 / 276,900 / 297,070 / 309,518 t).
- Whole tidy file: kg = sum(quantity2 for unit2 KG) + 1000 x sum(quantity2 for unit2 MT)
  = 34,313,256,604; litres 1,476,548,596; number (head) 65,230; value 7,865,553,893 thousand yen;
  4,450 (year, partner, hs4, canonical unit) groups.  By year, kg / thousand yen:
  2012 2,795,744,239 / 480,453,330 ... 2019 7,573,129,636 / 2,199,364,942.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from conftest import INGESTED_AT

from tradeguard.data.bundled import bundled_extract_path
from tradeguard.data.jp_customs import AGRICULTURAL_CHAPTERS
from tradeguard.data.readers import read_any

AU_BEEF_TONNES_BY_FY = {2015: 288_348, 2016: 276_900, 2017: 297_070, 2018: 309_518}
KG_BY_YEAR = {2012: 2_795_744_239, 2013: 2_696_435_974, 2014: 2_699_501_819,
              2015: 3_474_365_320, 2016: 4_575_174_715, 2017: 5_294_142_159,
              2018: 5_204_762_742, 2019: 7_573_129_636}
VALUE_KJPY_BY_YEAR = {2012: 480_453_330, 2013: 554_993_827, 2014: 616_983_726,
                      2015: 952_934_096, 2016: 925_163_307, 2017: 1_044_531_664,
                      2018: 1_091_129_001, 2019: 2_199_364_942}


def au_beef_by_fiscal_year(table: pa.Table) -> dict[int, int]:
    beef = table.filter(pc.and_(pc.equal(table["partner"], "AU"), pc.is_in(
        pc.utf8_slice_codeunits(table["tariff_line"], 0, 4), pa.array(["0201", "0202"]))))
    start = beef["period_start"]
    fiscal = pc.subtract(pc.year(start), pc.less(pc.month(start), 4).cast(pa.int64()))
    sums = pa.table({"fy": fiscal, "kg": beef["quantity"]}).group_by("fy").aggregate(
        [("kg", "sum")])
    return {fy: round(kg / 1000) for fy, kg in zip(sums["fy"].to_pylist(),
                                                   sums["kg_sum"].to_pylist(), strict=True)}


def test_australian_beef_by_fiscal_year_from_the_bundled_extract():
    got = au_beef_by_fiscal_year(read_any(bundled_extract_path()))
    assert {fy: got[fy] for fy in AU_BEEF_TONNES_BY_FY} == AU_BEEF_TONNES_BY_FY
    assert got[2014] == 48_208  # Jan-Mar 2015: JAEPA entered into force on 15 Jan 2015


def test_australian_beef_through_the_store_and_ibis(tmp_path):
    # The path the monitor will use: ingest, then an Ibis query on open_imports.
    import ibis

    from tradeguard.data.store import ingest, open_imports

    store = tmp_path / "store.duckdb"
    ingest(bundled_extract_path(), store, ingested_at=INGESTED_AT)
    t = open_imports(store)
    beef = t.filter((t.partner == "AU") & t.tariff_line.substr(0, 4).isin(["0201", "0202"]))
    fy = beef.period_start.year() - (beef.period_start.month() < 4).ifelse(1, 0)
    by = beef.group_by(fy=fy, regime=beef.regime).aggregate(kg=beef.quantity.sum())
    rows = by.filter(by.fy.between(2015, 2018)).order_by(["fy", "regime"]).to_pyarrow()
    got = {(r["fy"], r["regime"]): round(r["kg"] / 1000) for r in rows.to_pylist()}
    assert got == {(2015, "jaepa"): 288_348, (2016, "jaepa"): 276_900,
                   (2017, "jaepa"): 297_070, (2018, "jaepa"): 264_603,
                   (2018, "cptpp"): 44_915}
    assert isinstance(t, ibis.expr.types.Table)


def test_tidy_csv_totals(epa_dir):
    table = read_any(epa_dir / "jp_epa_imports_ag_monthly_2012_2019.csv")
    by_unit = dict(zip(*table.group_by("quantity_unit").aggregate([("quantity", "sum")])
                       .to_pydict().values(), strict=True))
    assert by_unit == {"kg": 34_313_256_604.0, "l": 1_476_548_596.0, "number": 65_230.0}
    assert pc.sum(table["value"]).as_py() == 7_865_553_893_000.0


# The first and the last of the eight raw workbooks (2012-2019 share one layout; the 2021
# layout has its own fixture): all eight cost about 50 CPU-seconds of openpyxl, a sixth of
# the suite's budget, for no reader path the two do not take.
RAW_YEARS = (2012, 2019)


@pytest.fixture(scope="module")
def raw_store(epa_dir, tmp_path_factory):
    """A store holding the raw workbooks of RAW_YEARS, ingested one batch per file."""
    from tradeguard.data.store import ingest

    store = tmp_path_factory.mktemp("raw") / "store.duckdb"
    reports = [ingest(epa_dir / "raw" / f"{year}_EPA.xlsx", store, ingested_at=INGESTED_AT)
               for year in RAW_YEARS]
    assert {r.status for r in reports} == {"ingested"}
    return store


@pytest.mark.slow  # openpyxl reads two workbooks of 6-16k rows x 47 columns
def test_raw_workbooks_ingest_to_the_tidy_csv_totals(raw_store, epa_dir):
    # Totals by year x partner x hs4 x unit for chapters 01, 02, 04-24: the ingested workbooks
    # against an independent DuckDB aggregation of the tidy CSV (same unit rule: MT x 1000).
    from tradeguard.data.partners import iso_from_jp_code
    from tradeguard.data.store import open_batches, open_imports

    tidy = duckdb.sql(f"""
        SELECT year, partner_code_jp::VARCHAR AS code, hs4,
               CASE unit2 WHEN 'KG' THEN 'kg' WHEN 'MT' THEN 'kg' WHEN 'L' THEN 'l'
                          WHEN 'NO' THEN 'number' END AS unit,
               sum(quantity2 * CASE unit2 WHEN 'MT' THEN 1000 ELSE 1 END)::DOUBLE AS quantity,
               sum(value_thousand_jpy * 1000)::DOUBLE AS value
        FROM read_csv('{epa_dir / "jp_epa_imports_ag_monthly_2012_2019.csv"}',
                      types={{'hs4': 'VARCHAR', 'unit2': 'VARCHAR'}})
        WHERE year IN {RAW_YEARS}
        GROUP BY ALL""").arrow().read_all()
    tidy = tidy.append_column("partner", iso_from_jp_code(tidy["code"])).drop_columns(["code"])
    t = open_imports(raw_store)
    ag = t.filter(t.tariff_line.substr(0, 2).isin(sorted(AGRICULTURAL_CHAPTERS)))
    raw = ag.group_by(year=ag.period_start.year(), partner=ag.partner,
                      hs4=ag.tariff_line.substr(0, 4), unit=ag.quantity_unit).aggregate(
        quantity=ag.quantity.sum(), value=ag.value.sum()).to_pyarrow()
    con = duckdb.connect()
    con.register("raw", raw)
    con.register("tidy", tidy)
    cols = "year, partner, hs4, unit, quantity, value"
    differ = con.sql(f"(SELECT {cols} FROM raw EXCEPT SELECT {cols} FROM tidy) UNION ALL "
                     f"(SELECT {cols} FROM tidy EXCEPT SELECT {cols} FROM raw)").fetchall()
    assert differ == []
    assert raw.num_rows == tidy.num_rows == 1757  # of 4,450 groups in all eight years
    by_year = con.sql("SELECT year, sum(quantity), sum(value) FROM raw WHERE unit = 'kg' "
                      "GROUP BY year ORDER BY year").fetchall()
    assert {y: q for y, q, _ in by_year} == {y: KG_BY_YEAR[y] for y in RAW_YEARS}
    values = con.sql("SELECT year, sum(value) FROM raw GROUP BY year").fetchall()
    assert {y: round(v / 1000) for y, v in values} == {y: VALUE_KJPY_BY_YEAR[y] for y in RAW_YEARS}
    batches = open_batches(raw_store).to_pyarrow()
    assert batches.num_rows == len(RAW_YEARS)
    assert sum(batches["row_count"].to_pylist()) == t.count().to_pyarrow().as_py()
