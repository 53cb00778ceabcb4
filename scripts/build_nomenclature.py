"""Rebuild src/tradeguard/data/reference/hs2022.csv.gz from ../shared.

Copies ``shared/data/hs-nomenclature/harmonized-system-hs2022.csv`` (HS 2022 at 2, 4 and 6
digits, ODC-PDDL-1.0, from the datahub "harmonized-system" package) unchanged apart
from dropping the ``parent`` column (a code's parent is its own prefix) and the ``TOTAL`` row.
gzip is written with mtime 0 so that the same input gives the same bytes.

Usage: .venv/bin/python scripts/build_nomenclature.py [--shared PATH]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "src" / "tradeguard" / "data" / "reference" / "hs2022.csv.gz"
SOURCE = Path("data") / "hs-nomenclature" / "harmonized-system-hs2022.csv"


def build(source: Path) -> bytes:
    rows = list(csv.DictReader(io.StringIO(source.read_text(encoding="utf-8-sig"))))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["hscode", "level", "section", "description"])
    for row in rows:
        if not row["hscode"].isdigit():  # the "TOTAL" row is no tariff line
            continue
        writer.writerow([row["hscode"], row["level"], row["section"], row["description"]])
    raw = io.BytesIO()
    with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
        gz.write(out.getvalue().encode("utf-8"))
    return raw.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    args = parser.parse_args()
    source = args.shared / SOURCE
    data = build(source)
    OUT.write_bytes(data)
    print(f"{OUT.relative_to(REPO)}: {len(data):,} bytes, source sha256 "
          f"{hashlib.sha256(source.read_bytes()).hexdigest()}")


if __name__ == "__main__":
    main()
