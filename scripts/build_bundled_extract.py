"""Rebuild src/tradeguard/data/bundled/jp_epa_imports_tpp_basket_2012_2019.csv.gz from ../shared.

Filter: rows of ``shared/data/jp-customs-epa-imports/jp_epa_imports_ag_monthly_2012_2019.csv``
whose ``hs4`` is one of BASKET (beef 0201/0202, offal 0206, pork 0203, dairy 0401-0406,
wheat 1001, rice 1006, sugar 1701/1702).  Nothing else changes: same 18 columns, same values,
same row order; the script checks that every output line is a line of the source, byte for
byte.  gzip is written with mtime 0 so that the same input gives the same bytes.

Usage: .venv/bin/python scripts/build_bundled_extract.py [--shared PATH]
"""

from __future__ import annotations

import argparse
import gzip
import io
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "src" / "tradeguard" / "data" / "bundled" / "jp_epa_imports_tpp_basket_2012_2019.csv.gz"
SOURCE = Path("data") / "jp-customs-epa-imports" / "jp_epa_imports_ag_monthly_2012_2019.csv"
BASKET = ("0201", "0202", "0206", "0203", "0401", "0402", "0403", "0404", "0405", "0406",
          "1001", "1006", "1701", "1702")


def build(source: Path) -> bytes:
    data = source.read_bytes()
    header = data.split(b"\n", 1)[0].decode("utf-8").split(",")
    table = pacsv.read_csv(io.BytesIO(data), convert_options=pacsv.ConvertOptions(
        column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=False))
    kept = table.filter(pc.is_in(table["hs4"], pa.array(BASKET)))
    out = io.BytesIO()
    # no quoting (the source has none) and the source's own header line
    pacsv.write_csv(kept, out, write_options=pacsv.WriteOptions(quoting_style="none",
                                                               include_header=False))
    text = data.split(b"\n", 1)[0] + b"\n" + out.getvalue().replace(b"\r\n", b"\n")
    source_lines = set(data.splitlines())
    foreign = [line for line in text.splitlines() if line not in source_lines]
    if foreign:
        raise SystemExit(f"{len(foreign)} output lines differ from the source, first: "
                         f"{foreign[0]!r}; the writer changed quoting or formatting")
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    args = parser.parse_args()
    text = build(args.shared / SOURCE)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(gzip.compress(text, compresslevel=9, mtime=0))
    rows = text.count(b"\n") - 1
    print(f"wrote {OUT.relative_to(REPO)}: {rows} rows, {OUT.stat().st_size:,} bytes gzipped "
          f"({len(text):,} bytes of CSV)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
