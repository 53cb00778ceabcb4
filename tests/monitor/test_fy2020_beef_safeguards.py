"""FY2020: Japan ran three beef safeguards at once (CPTPP, Japan-EU EPA, USJTA), issue 16.

The import data here are constructed (made-up tonnages, labelled so by the file names) in the
Japan Customs EPA-utilisation layouts of the withheld years: the 2020 workbook with the old
third column (`600` = CPTPP, blank = the partner's bilateral agreement) and the 2021 workbook
with two-letter agreement codes.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from tests.data.conftest import workbook_row, write_workbook
from tradeguard.data.readers import read_jp_customs_workbook
from tradeguard.monitor.report import monitor

BEEF = ["cptpp.beef_safeguard", "jeuepa.beef_safeguard", "jukcepa.beef_safeguard",
        "usjta.beef_safeguard"]
FRANCE, AUSTRALIA, USA, UK = 210, 601, 304, 205


def _fy2020(tmp_path) -> pa.Table:
    apr_dec = {m: (1_000_000, 900_000) for m in range(4, 13)}  # 1,000 t a month
    jan_mar = {m: (1_000_000, 900_000) for m in range(1, 4)}
    old = write_workbook(tmp_path / "constructed_2020_EPA.xlsx", [
        workbook_row(2020, "C", "600", AUSTRALIA, "020230090", 9, "KG", apr_dec),
        workbook_row(2020, "K", "   ", FRANCE, "020130010", 5, "KG", apr_dec),
        workbook_row(2020, "K", "   ", USA, "020230090", 1, "KG", apr_dec),
    ])
    new = write_workbook(tmp_path / "constructed_2021_EPA.xlsx", [
        workbook_row(2021, "C", "TP", AUSTRALIA, "020230090", 9, "KG", jan_mar),
        workbook_row(2021, "K", "EU", FRANCE, "020130010", 5, "KG", jan_mar),
        workbook_row(2021, "K", "GB", UK, "020130010", 5, "KG", jan_mar),
        workbook_row(2021, "K", "US", USA, "020230090", 1, "KG", jan_mar),
    ], layout="epa")
    return pa.concat_tables([read_jp_customs_workbook(old), read_jp_customs_workbook(new)])


def test_the_fy2020_beef_status_lists_the_cptpp_eu_and_usjta_safeguards_with_coverage(tmp_path):
    report = monitor(_fy2020(tmp_path), as_of=dt.date(2021, 3, 31), measures=BEEF)
    rows = {r["measure_id"]: r for r in report.status() if r["period"] == "FY2020"}
    assert set(rows) == set(BEEF)
    got = {m: (r["coverage"], r["cumulative_t"], r["trigger_t"], r["triggered"])
           for m, r in rows.items()}
    assert got == {
        "cptpp.beef_safeguard": ("complete", 12_000.0, 613_600.0, False),
        "jeuepa.beef_safeguard": ("complete", 12_000.0, 45_056.0, False),
        "usjta.beef_safeguard": ("complete", 12_000.0, 242_000.0, False),
        # the UK counts EU and UK imports together against the EU trigger, from 1 Jan 2021
        "jukcepa.beef_safeguard": ("complete", 6_000.0, 45_056.0, False),
    }
    assert all(r["coverage_reason"] for r in rows.values())
    assert rows["jeuepa.beef_safeguard"]["trigger_status"] == "secondary"


def test_a_year_whose_eu_trigger_was_not_found_shows_the_count_and_no_trigger(tmp_path):
    april = write_workbook(tmp_path / "constructed_2021_EPA.xlsx", [
        workbook_row(2021, "K", "EU", FRANCE, "020130010", 5, "KG", {4: (2_000_000, 1)}),
    ], layout="epa")
    report = monitor(read_jp_customs_workbook(april), as_of=dt.date(2021, 4, 30),
                     measures=["jeuepa.beef_safeguard"])
    row = report.status()[0]
    assert (row["period"], row["coverage"], row["cumulative_t"]) == ("FY2021", "complete", 2_000.0)
    assert (row["trigger_t"], row["share"], row["triggered"]) == (None, None, False)
    assert row["trigger_reason"].startswith(
        "jeuepa.beef_safeguard, condition `eu`, FY2021: no trigger volume in force on 2021-04-01")
