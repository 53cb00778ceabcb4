"""Readers, on real files where they exist and on constructed format fixtures otherwise.

Expected numbers for real files were computed independently with DuckDB straight from the CSVs
(``SELECT count(*), sum(quantity2), sum(value_thousand_jpy) FROM read_csv(...)``) and are
hard-coded here.  Constructed fixtures (workbooks, Comtrade rows, Parquet) have made-up numbers.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from conftest import BAD_INPUTS, workbook_header, workbook_row, write_workbook

from tradeguard.data.bundled import bundled_extract_path
from tradeguard.data.frames import read_notes
from tradeguard.data.problems import IngestProblemsError
from tradeguard.data.readers import (
    read_any,
    read_comtrade,
    read_declarations,
    read_jp_customs_workbook,
    read_jp_epa_tidy,
    read_parquet,
    sniff_format,
)
from tradeguard.data.schema import CANONICAL_SCHEMA
from tradeguard.data.textfile import file_sha256
from tradeguard.errors import IngestError


def totals(table: pa.Table) -> tuple[int, float, float]:
    return (table.num_rows, pc.sum(table["quantity"]).as_py(), pc.sum(table["value"]).as_py())


# --- Japan Customs tidy CSV -----------------------------------------------------------------

def test_tidy_beef_sample_2017(epa_dir):
    # DuckDB on sample_beef_0201_0202_2017.csv: 326 rows, sum(quantity2) 296,310,151 kg (all
    # unit2 = KG), sum(value_thousand_jpy) 178,353,421; 220 distinct (period, partner, hs9,
    # agreement, unit) = rows after summing over epa_code.
    table = read_jp_epa_tidy(epa_dir / "sample_beef_0201_0202_2017.csv")
    assert table.schema == CANONICAL_SCHEMA
    assert totals(table) == (220, 296_310_151.0, 178_353_421_000.0)
    by_partner = table.group_by("partner").aggregate([("quantity", "sum")]).to_pydict()
    assert dict(zip(by_partner["partner"], by_partner["quantity_sum"], strict=True)) == {
        "AU": 287_424_010.0, "MX": 8_876_867.0, "CL": 9_274.0}
    assert set(table["regime"].to_pylist()) == {"jaepa", "jmepa", "jcepa"}
    assert set(table["currency"].to_pylist()) == {"JPY"}
    assert table["batch_id"][0].as_py() == file_sha256(epa_dir / "sample_beef_0201_0202_2017.csv")


def test_bundled_extract_reads_with_units_converted():
    # DuckDB on the extract: 6,904 rows, 6,061 distinct (period, partner, hs9, agreement, unit);
    # kg = sum(quantity2 where unit2 = KG) 3,346,030,205 + MT lines (1001 wheat 266,722 t,
    # 1006 rice 1,466 t, 1701 sugar 3,422,902 t) x 1000 = 7,037,120,205 kg; value
    # 2,071,921,647 thousand yen.
    table = read_any(bundled_extract_path())
    assert totals(table) == (6061, 7_037_120_205.0, 2_071_921_647_000.0)
    assert set(table["quantity_unit"].to_pylist()) == {"kg"}
    rice = table.filter(pc.starts_with(table["tariff_line"], "1006"))
    assert pc.sum(rice["quantity"]).as_py() == 1_466_000.0
    # The one row with an unknown regime: Canada pork with a blank agreement column, 2019-12
    # (Canada had no bilateral agreement with Japan).
    assert read_notes(table) == {"rows with unknown regime": 1, "skipped: outside chapters": 0}
    unknown = table.filter(pc.is_null(table["regime"]))
    assert unknown["partner"].to_pylist() == ["CA"]


# --- Japan Customs wide workbook (constructed fixtures) ---------------------------------------

def test_workbook_region_layout(tmp_path):
    # Constructed format fixture (made-up numbers) in the 2012-2020 layout.
    path = write_workbook(tmp_path / "2019_EPA.xlsx", [
        workbook_row(2019, "K", "   ", 601, "020130010", 1, "KG", {4: (1000, 900)}),
        workbook_row(2019, "K", "   ", 601, "020130010", 5, "KG", {4: (500, 450), 5: (10, 9)}),
        workbook_row(2019, "C", 600, 601, "020130010", 9, "KG", {4: (7, 6)}),
        workbook_row(2019, "C", 300, 110, "100630099", 3, "MT", {1: (2, 180)}),
        workbook_row(2019, "K", "   ", 203, "220421010", 5, " L", {2: (30, 40)}),
        workbook_row(2019, "K", "   ", 302, "010290000", 1, "NO", {3: (4, 1000)}),
        workbook_row(2019, "K", "   ", 304, "870322000", 1, "NO", {3: (1, 3000)}),
    ])
    table = read_jp_customs_workbook(path, chapters=[f"{c:02d}" for c in range(1, 25)])
    rows = {(r["period_start"].month, r["partner"], r["regime"]): r for r in table.to_pylist()}
    assert rows[(4, "AU", "jaepa")]["quantity"] == 1500.0  # summed over EPA code 1 and 5
    assert rows[(4, "AU", "jaepa")]["value"] == 1_350_000.0  # thousand yen -> yen
    assert rows[(4, "AU", "cptpp")]["quantity"] == 7.0
    assert rows[(1, "VN", "ajcep")]["quantity"] == 2000.0  # MT -> kg
    assert rows[(2, "SE", "jeuepa")]["quantity_unit"] == "l"
    assert rows[(3, "CA", None)]["quantity_unit"] == "number"  # blank + no bilateral: unknown
    assert rows[(4, "AU", "jaepa")]["period_end"] == date(2019, 4, 30)
    assert table.num_rows == 6  # the car line (chapter 87) is outside chapters 01-24
    notes = read_notes(table)
    assert notes["skipped: outside chapters"] == 1
    assert notes["empty months dropped"] == 6 * 12 - 7
    assert notes["layout_epa_codes"] == 0


def test_workbook_2021_epa_code_layout(tmp_path):
    # Constructed format fixture for the documented 2021 header change: the third column is
    # "EPA" and holds two-letter agreement codes.  China (105) under "EU" is a real pattern in
    # the source's key list: the claim is the EU agreement, the origin country is China.
    path = write_workbook(tmp_path / "2021_EPA.xlsx", [
        workbook_row(2021, "K", "AU", 601, "020230090", 1, "KG", {4: (100, 50)}),
        workbook_row(2021, "C", "TP", 601, "020230090", 9, "KG", {4: (30, 15)}),
        workbook_row(2021, "K", "US", 304, "020230090", 1, "KG", {4: (80, 40)}),
        workbook_row(2021, "K", "GB", 205, "040690090", 5, "KG", {1: (5, 9)}),
        workbook_row(2021, "K", "EU", 105, "090230000", 5, "KG", {6: (2, 3)}),
        workbook_row(2021, "C", "AS", 111, "160232000", 3, "KG", {6: (8, 9)}),
        workbook_row(2021, "K", "MX", 305, "020130010", 1, "KG", {7: (1, 2)}),
        # a blank code should not occur in this layout; if it does, the UK's agreement is
        # now the Japan-UK CEPA, not the EU's
        workbook_row(2021, "K", "  ", 205, "040690090", 1, "KG", {8: (1, 2)}),
    ], layout="epa")
    table = read_jp_customs_workbook(path)
    got = sorted((r["period_start"].month, r["partner"], r["regime"]) for r in table.to_pylist())
    assert got == [(1, "GB", "jukcepa"), (4, "AU", "cptpp"), (4, "AU", "jaepa"),
                   (4, "US", "usjta"), (6, "CN", "jeuepa"), (6, "TH", "ajcep"),
                   (7, "MX", "jmepa"), (8, "GB", "jukcepa")]
    assert read_notes(table)["layout_epa_codes"] == 1


def test_workbook_unknown_agreement_code_names_row_and_value(tmp_path):
    path = write_workbook(tmp_path / "2021_EPA.xlsx", [
        workbook_row(2021, "K", "AU", 601, "020230090", 1, "KG", {4: (100, 50)}),
        workbook_row(2021, "K", "ZZ", 601, "020230090", 1, "KG", {4: (100, 50), 5: (1, 1)}),
    ], layout="epa")
    with pytest.raises(IngestProblemsError) as caught:
        read_jp_customs_workbook(path)
    assert [(p.row, p.column, p.value) for p in caught.value.problems] == [(3, "agreement", "ZZ")]
    assert "AGREEMENT_CODES" in str(caught.value)


def test_workbook_problems_name_the_cell(tmp_path):
    bad_total = workbook_row(2019, "K", "   ", 601, "020130010", 1, "KG", {4: (10, 9)})
    bad_total[9] = 11  # Quantity2-Year no longer equals the sum of the months
    negative = workbook_row(2019, "K", "   ", 601, "020130010", 1, "KG", {3: (-5, 9)})
    unknown = workbook_row(2019, "K", "   ", 999, "020130010", 1, "KG", {3: (5, 9)})
    path = write_workbook(tmp_path / "2019_EPA.xlsx", [bad_total])
    with pytest.raises(IngestProblemsError, match="differs from the sum of the twelve months"):
        read_jp_customs_workbook(path)
    path = write_workbook(tmp_path / "2019b_EPA.xlsx", [negative, unknown])
    with pytest.raises(IngestProblemsError) as caught:
        read_jp_customs_workbook(path)
    found = {(p.row, p.column): p.reason for p in caught.value.problems}
    assert found[(2, "Quantity2-Mar")] == "is negative"
    assert "is not a Japan Customs country code" in found[(3, "partner_code")]


def test_workbook_wrong_header_and_truncated_file(tmp_path):
    header = workbook_header()
    header[4] = "HS9"
    path = write_workbook(tmp_path / "x.xlsx", [], header=header)
    with pytest.raises(IngestError, match="column 5: 'HS9' instead of 'HS'"):
        read_jp_customs_workbook(path)
    good = write_workbook(tmp_path / "good.xlsx", [
        workbook_row(2019, "K", "   ", 601, "020130010", 1, "KG", {4: (1, 1)})])
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(IngestError, match=r"not a readable \.xlsx workbook"):
        read_jp_customs_workbook(cut)


# --- UN Comtrade ------------------------------------------------------------------------------

def test_comtrade_legacy_sample(shared_dir):
    # The real legacy file holds EU-28 exports to Ukraine (21 annual rows, 2000-2020); DuckDB:
    # sum("Netweight (kg)") 2,721,012, sum("Trade Value (US$)") 10,104,435.
    path = shared_dir / "data/comtrade-sample/ukraine_sorghum_exports_to_eu28_comtrade_legacy.csv"
    with pytest.raises(IngestError, match=r"no import rows to ingest .*21 \(flow export\)"):
        read_comtrade(path)
    table = read_comtrade(path, flow="export")
    assert totals(table) == (21, 2_721_012.0, 10_104_435.0)
    first = table.to_pylist()[0]
    assert first["period_start"] == date(2017, 1, 1) and first["period_end"] == date(2017, 12, 31)
    assert (first["granularity"], first["partner"], first["tariff_line"]) == ("year", "UA", "1007")
    assert (first["quantity"], first["currency"], first["regime"]) == (168625.0, "USD", None)
    assert first["source"] == "un-comtrade:EU2:export"
    assert sniff_format(path) == "comtrade"


CURRENT_HEADER = (
    "typeCode,freqCode,refPeriodId,refYear,refMonth,period,reporterCode,reporterISO,reporterDesc,"
    "flowCode,flowDesc,partnerCode,partnerISO,partnerDesc,partner2Code,partner2ISO,partner2Desc,"
    "classificationCode,classificationSearchCode,isOriginalClassification,cmdCode,cmdDesc,"
    "aggrLevel,isLeaf,customsCode,customsDesc,mosCode,motCode,motDesc,qtyUnitCode,qtyUnitAbbr,"
    "qty,isQtyEstimated,altQtyUnitCode,altQtyUnitAbbr,altQty,isAltQtyEstimated,netWgt,"
    "isNetWgtEstimated,grossWgt,isGrossWgtEstimated,cifvalue,fobvalue,primaryValue,"
    "legacyEstimationFlag,isReported,isAggregate")


def current_row(period, flow, partner_code, partner_iso, cmd, mot, weight, value):
    return (f"C,M,{period}01,{period[:4]},{period[4:]},{period},392,JPN,Japan,{flow},x,"
            f"{partner_code},{partner_iso},x,0,W00,World,H5,HS,True,{cmd},x,4,False,C00,x,0,"
            f"{mot},x,8,kg,{weight},False,-1,N/A,,False,{weight},False,,False,{value},,{value},"
            "0,True,False")


def test_comtrade_current_api_names_and_skips_are_counted(tmp_path):
    # Constructed rows in the current API column layout (made-up numbers).
    path = tmp_path / "comtrade_current.csv"
    path.write_text("\n".join([
        CURRENT_HEADER,
        current_row("201904", "M", 36, "AUS", "0201", 0, 1000, 5000),
        current_row("201904", "M", 36, "AUS", "0202", 0, 2000, 6000),
        current_row("201904", "M", 0, "W00", "0201", 0, 9000, 9000),  # World total
        current_row("201904", "M", 36, "AUS", "0201", 2100, 400, 2000),  # transport breakdown
        current_row("201904", "X", 36, "AUS", "0201", 0, 5, 5),  # export
        current_row("201904", "M", 36, "AUS", "TOTAL", 0, 3000, 11000),
    ]) + "\n", encoding="utf-8")
    table = read_any(path)
    assert totals(table) == (2, 3000.0, 11000.0)
    assert table["period_end"].to_pylist() == [date(2019, 4, 30)] * 2
    assert read_notes(table) == {
        "skipped: World partner total": 1, "skipped: TOTAL commodity": 1, "skipped: flow export": 1,
        "skipped: breakdown by 2nd partner, customs procedure or transport": 1}


# --- declarations and Parquet -----------------------------------------------------------------

def test_declarations_are_summed_per_day_and_converted():
    table = read_declarations(BAD_INPUTS / "valid_declarations.csv")
    rows = [(r["period_start"], r["partner"], r["quantity"], r["value"], r["regime"])
            for r in table.to_pylist()]
    assert rows == [
        (date(2019, 4, 1), "AU", 2000.5, 3_060_000.0, "jaepa"),  # two declarations summed
        (date(2019, 4, 2), "NZ", 2500.0, 2_100_000.0, "cptpp"),  # 2.5 t -> kg
        (date(2019, 4, 2), "US", 1500.0, 1_300_000.0, "mfn"),
        (date(2019, 4, 3), "FR", 300.0, 420_000.0, None),  # blank regime = unknown
    ]
    assert set(table["granularity"].to_pylist()) == {"day"}


def test_parquet_round_trip_resets_batch_id(tmp_path):
    original = read_declarations(BAD_INPUTS / "valid_declarations.csv")
    path = tmp_path / "canonical.parquet"
    pq.write_table(original, path)
    back = read_any(path)
    assert back.drop_columns(["batch_id"]).equals(original.drop_columns(["batch_id"]))
    assert set(back["batch_id"].to_pylist()) == {file_sha256(path)}


def test_parquet_with_bad_values_and_truncation(tmp_path):
    rows = read_declarations(BAD_INPUTS / "valid_declarations.csv").to_pydict()
    rows["quantity"] = ["1", "x", "3", "4"]
    path = tmp_path / "bad.parquet"
    pq.write_table(pa.table(rows), path)
    with pytest.raises(IngestProblemsError) as caught:
        read_parquet(path)
    assert [(p.row, p.column, p.value) for p in caught.value.problems] == [(2, "quantity", "x")]
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(path.read_bytes()[:100])
    with pytest.raises(IngestError, match="not a readable Parquet file"):
        read_parquet(cut)


@pytest.mark.parametrize(("name", "fmt"), [
    ("valid_declarations.csv", "declarations"),
    ("truncated.csv", "jp-epa-tidy"),
    ("comtrade_missing_weight.csv", "comtrade"),
    ("comtrade_mixed_classification.csv", "comtrade"),
])
def test_sniffing(name, fmt):
    assert sniff_format(BAD_INPUTS / name) == fmt


def test_unknown_format_is_explained(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(IngestError, match="cannot tell which format"):
        read_any(path)
    with pytest.raises(Exception, match="unknown format 'xml'"):
        read_any(path, format="xml")


def test_gzipped_csv_and_bom_are_read(tmp_path):
    import gzip

    text = (BAD_INPUTS / "valid_declarations.csv").read_bytes()
    path = tmp_path / "decl.csv.gz"
    path.write_bytes(gzip.compress(b"\xef\xbb\xbf" + text))
    assert read_any(path).num_rows == 4
    broken = tmp_path / "broken.csv.gz"
    broken.write_bytes(path.read_bytes()[:-12])
    with pytest.raises(IngestError, match="gzip stream is truncated"):
        read_any(broken, format="declarations")


def test_readers_work_without_pandas():
    # pandas is only a dev dependency; the data layer must not need it at run time.
    import subprocess
    import sys

    code = io.StringIO()
    code.write("import sys, importlib.abc\n"
               "class Block(importlib.abc.MetaPathFinder):\n"
               "    def find_spec(self, name, path=None, target=None):\n"
               "        if name.split('.')[0] == 'pandas':\n"
               "            raise ModuleNotFoundError(name)\n"
               "sys.meta_path.insert(0, Block())\n"
               "from tradeguard.data.readers import read_any\n"
               f"t = read_any({str(BAD_INPUTS / 'valid_declarations.csv')!r})\n"
               "print(t.num_rows, 'pandas' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code.getvalue()], capture_output=True,
                         text=True, check=True)
    assert out.stdout.split() == ["4", "False"]


def test_missing_file(tmp_path):
    with pytest.raises(IngestError, match="cannot read the file"):
        read_declarations(Path(tmp_path / "nope.csv"))
