"""Partner table: Japan Customs codes <-> ISO 3166, shipped CSV, cold-start cost."""

from __future__ import annotations

import subprocess
import sys

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from tradeguard.data import partners


def test_data_readme_partner_codes_map_to_iso():
    # The five codes named in the data README: 304 USA, 601 Australia, 302 Canada,
    # 606 New Zealand, 305 Mexico.
    got = partners.iso_from_jp_code(["304", "601", "302", "606", "305"])
    assert got.to_pylist() == ["US", "AU", "CA", "NZ", "MX"]


def test_lookup_is_vectorised_and_accepts_ints_arrays_and_padding():
    got = partners.iso_from_jp_code(pa.array([601, 110, 205, 550, 999, None]))
    assert got.to_pylist() == ["AU", "VN", "GB", "NA", None, None]
    chunked = pa.chunked_array([["601"], [" 304 "]])
    assert partners.iso_from_jp_code(chunked).to_pylist() == ["AU", "US"]
    assert partners.iso_from_jp_code(pa.array(["52"], pa.string())).to_pylist() == [None]


def test_codes_without_iso_code_are_null_but_named():
    assert partners.iso_from_jp_code(["702", "326", "248"]).null_count == 3
    assert partners.jp_code_name("702") == "Unknown"
    assert partners.jp_code_name("326") == "Netherlands Antilles"


def test_parts_of_countries_fold_into_the_country():
    assert partners.iso_from_jp_code(["216", "217", "523", "502"]).to_pylist() == [
        "PT", "PT", "ES", "ES"]


def test_known_partner_and_name():
    assert partners.is_known_partner("AU")
    assert partners.is_known_partner("NA")  # Namibia, not a missing value
    assert not partners.is_known_partner("XX")
    assert not partners.is_known_partner("au")
    assert not partners.is_known_partner("")
    assert not partners.is_known_partner(None)
    assert partners.partner_name("AU") == "Australia"
    assert partners.partner_name("JP") == "Japan"
    assert partners.iso2_from_iso3("UKR") == "UA"
    with pytest.raises(KeyError, match="XX"):
        partners.partner_name("XX")


def test_every_partner_code_in_the_real_data_maps(shared_dir):
    # Codes used in the tidy CSV, and every code in the eight raw workbooks 2012-2019 (all
    # chapters; listed once with openpyxl + DuckDB while writing this test, hard-coded here
    # because reading the workbooks takes seconds): all must map, none may fail ingest.
    import pyarrow.csv as pacsv

    tidy = pacsv.read_csv(
        shared_dir / "data/jp-customs-epa-imports/jp_epa_imports_ag_monthly_2012_2019.csv",
        convert_options=pacsv.ConvertOptions(column_types={"partner_code_jp": pa.string()}))
    codes = pc.unique(tidy["partner_code_jp"])
    raw_only = pa.array([
        103, 105, 106, 107, 110, 111, 112, 113, 116, 117, 118, 120, 121, 122, 123, 125, 157, 201,
        202, 203, 204, 205, 206, 207, 208, 209, 210, 211, 213, 215, 217, 218, 220, 221, 222, 223,
        224, 225, 227, 230, 231, 232, 233, 234, 235, 236, 237, 241, 242, 245, 246, 249, 301, 302,
        304, 305, 306, 401, 402, 407, 409, 410, 412, 413, 414, 538, 548, 551, 601, 606, 607
    ])
    assert partners.iso_from_jp_code(codes).null_count == 0
    assert partners.iso_from_jp_code(raw_only).null_count == 0


def test_shipped_table_is_what_the_build_script_makes(shared_dir):
    sys.path.insert(0, str(partners.PARTNERS_CSV.parents[4] / "scripts"))
    try:
        import build_partner_table
    finally:
        sys.path.pop(0)
    rows, undecided = build_partner_table.build(shared_dir)
    assert undecided == []
    import csv

    with partners.PARTNERS_CSV.open(encoding="utf-8", newline="") as handle:
        shipped = list(csv.DictReader(handle))
    assert shipped == rows


def test_cold_import_does_not_pull_in_ibis_pyarrow_or_pandas():
    # Kept cheap by what it imports, not by a clock: tests are never timed (the cold start is
    # measured in bench/).
    code = ("import sys;"
            "import tradeguard.data.partners as p;"
            "assert p.is_known_partner('AU') and p.partner_name('NZ') == 'New Zealand';"
            "print(*(m in sys.modules for m in ('ibis', 'pyarrow', 'pandas', 'duckdb')))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout.split()
    assert out == ["False", "False", "False", "False"]
