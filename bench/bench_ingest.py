"""Peak memory of an ingest: large synthetic files of three formats.

- declarations CSV, plain and gzipped (summed per day: a small output);
- a Japan Customs tidy CSV with about one distinct record per row (the output grows with the
  file: this is the case that shows whether checks and INSERT are bounded too);
- a Japan Customs wide workbook (xlsx), 100,000 rows by default.

All files are **synthetic** (seeded numpy draws; the file names carry the seed): no customs
data.  Each ingest runs in a fresh Python process so that its peak resident memory is its own:
``VmHWM`` of that process, not ``ru_maxrss``, which on Linux survives ``exec`` and starts from
the parent's resident size at ``fork`` (inside a big benchmark process every case read 5.5 GB).

Sizes: 50 MB CSVs and a 100,000-row workbook by default (``make bench`` stays under 10
minutes), 4 MB and 5,000 rows with ``--quick``, and issue 11's own sizes, 200 MB CSVs and a
1 M-row workbook (about 8 minutes for the workbook alone on a quiet machine), with
``python -m bench.run --scale --only ingest`` (``run_scale()``).  Target (issue 11: peak memory
bounded, independent of file size): every case's peak at most 1.2 x the largest figure recorded
for issue 11 (680 MB, the 154 MB tidy CSV), the margin issue 10 allowed its recorded ratio.

Run: ``PYTHONPATH=src python -m bench.run --only ingest``, or one case:
``PYTHONPATH=src python -m bench.bench_ingest --memory tidy`` (``declarations``, ``tidy``,
``workbook``; add ``--quick`` or ``--scale``).
"""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from bench.common import load_average, machine_info, target, write_results

NAME = "ingest"
SEED = 20261130
LINES = ["020130010", "020130020", "020130090", "020230010", "020230020", "020230090"]
PARTNERS = ["AU", "US", "CA", "NZ", "MX"]
REGIMES = ["jaepa", "usjta", "cptpp", "cptpp", "jmepa"]

# Sizes of the synthetic files: CSV bytes and workbook rows, per mode.
SIZES = {"quick": (4_000_000, 5_000), "default": (50_000_000, 50_000),
         "scale": (200_000_000, 1_000_000)}
RECORDED_PEAK_MB = 680.0  # issue 11's largest recorded peak (154 MB tidy CSV), docs/benchmarks.md
PEAK_MARGIN = 1.2  # as issue 10 allowed 1.2x its recorded ratio

CHILD = """
import sys, time
from datetime import UTC, datetime
from bench.common import peak_rss_mb
from tradeguard.data.store import ingest
t, cpu = time.perf_counter(), time.process_time()
r = ingest(sys.argv[1], sys.argv[2], ingested_at=datetime(2026, 11, 30, tzinfo=UTC))
print(r.rows, time.perf_counter() - t, time.process_time() - cpu, peak_rss_mb())
"""


def synthetic_csv(path: Path, target_bytes: int, seed: int = SEED) -> Path:
    """Seeded synthetic declarations, about ``target_bytes`` long (about 60 bytes a row)."""
    rng = np.random.default_rng(seed)
    rows = target_bytes // 60
    days = rng.integers(0, 8 * 365, rows)
    who = rng.integers(0, len(PARTNERS), rows)
    dates = (np.datetime64("2012-01-01") + days.astype("timedelta64[D]")).astype(str)
    table = pa.table({
        "date": dates,
        "tariff_line": np.array(LINES)[rng.integers(0, len(LINES), rows)],
        "partner": np.array(PARTNERS)[who],
        "quantity": np.round(rng.lognormal(8, 1, rows), 1),
        "quantity_unit": np.full(rows, "kg"),
        "value": np.round(rng.lognormal(14, 1, rows)),
        "currency": np.full(rows, "JPY"),
        "regime": np.array(REGIMES)[who],
    })
    pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="none"))
    return path


TIDY_HEADER = ("year,month,reporter,flow,partner_code_jp,agreement_group_raw,epa_code,hs9,"
               "unit1,unit2,quantity1,quantity2,value_thousand_jpy")
JP_PARTNERS = np.array(["601", "304", "302", "305"])  # Australia, US, Canada, Mexico


def synthetic_tidy(path: Path, target_bytes: int, seed: int = SEED) -> Path:
    """Seeded synthetic Japan Customs tidy rows (chapters 01-24, random 9-digit lines, so
    nearly every row is its own record), about ``target_bytes`` long (about 70 bytes a row)."""
    rng = np.random.default_rng(seed)
    rows = target_bytes // 70
    lines = _random_lines(rng, rows)
    table = pa.table({
        "year": rng.integers(2012, 2020, rows), "month": rng.integers(1, 13, rows),
        "reporter": np.full(rows, "JPN"), "flow": np.full(rows, "import"),
        "partner_code_jp": JP_PARTNERS[rng.integers(0, len(JP_PARTNERS), rows)],
        "agreement_group_raw": np.full(rows, ""), "epa_code": rng.integers(1, 10, rows),
        "hs9": lines, "unit1": np.full(rows, ""), "unit2": np.full(rows, "KG"),
        "quantity1": np.zeros(rows, dtype=np.int64),
        "quantity2": rng.integers(1, 500_000, rows), "value_thousand_jpy": rng.integers(1, 90_000, rows),
    })
    pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="none"))
    return path


def _random_lines(rng: np.random.Generator, rows: int) -> np.ndarray:
    """Random 9-digit lines of chapters 01-24 (synthetic codes, not a nomenclature)."""
    chapters = rng.integers(1, 25, rows)
    return np.char.add(np.char.zfill(chapters.astype(str), 2),
                       np.char.zfill(rng.integers(0, 10_000_000, rows).astype(str), 7))


def synthetic_workbook(path: Path, rows: int, seed: int = SEED) -> Path:
    """Seeded synthetic Japan Customs wide workbook (2019, ``Region`` layout) of ``rows``
    rows with random lines, one month filled per row; written as sheet XML directly (openpyxl's writer would
    take many minutes for 1 M rows)."""
    import zipfile

    from tradeguard.data.workbook import HEADER

    rng = np.random.default_rng(seed)
    partners = JP_PARTNERS[rng.integers(0, len(JP_PARTNERS), rows)]
    lines = _random_lines(rng, rows)  # nearly one record per row: the output grows too
    months, codes = rng.integers(0, 12, rows), rng.integers(1, 10, rows)
    qty, val = rng.integers(1, 500_000, rows), rng.integers(1, 90_000, rows)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        for name, text in _WORKBOOK_PARTS.items():
            book.writestr(name, text)
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns='
                        b'"http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                        b"<sheetData>" + _xml_row([_text(h) for h in HEADER]))
            for i in range(rows):
                cells = ["<c><v>2019</v></c>", _text("K"), _text(""), f"<c><v>{partners[i]}</v></c>",
                         _text("'" + lines[i]), f"<c><v>{codes[i]}</v></c>", _text(""),
                         _text("KG"), "<c><v>0</v></c>", f"<c><v>{qty[i]}</v></c>",
                         f"<c><v>{val[i]}</v></c>"]
                for m in range(12):
                    hit = m == months[i]
                    cells += ["<c><v>0</v></c>", f"<c><v>{qty[i] if hit else 0}</v></c>",
                              f"<c><v>{val[i] if hit else 0}</v></c>"]
                sheet.write(_xml_row(cells))
            sheet.write(b"</sheetData></worksheet>")
    return path


def _text(value: str) -> str:
    return f'<c t="inlineStr"><is><t>{value}</t></is></c>'


def _xml_row(cells: list[str]) -> bytes:
    return ("<row>" + "".join(cells) + "</row>").encode()


_WORKBOOK_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types"><Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
        '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
        '"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.worksheet+xml"/></Types>'),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
        'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.'
        'org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships"><sheets><sheet name="synthetic" sheetId="1" '
        'r:id="rId1"/></sheets></workbook>'),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
        'schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
        'Target="worksheets/sheet1.xml"/></Relationships>'),
}


def measure(path: Path, folder: Path) -> dict:
    store = folder / f"store-{path.name}.duckdb"
    out = subprocess.run([sys.executable, "-c", CHILD, str(path), str(store)], check=True,
                         capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[1]).stdout.split()
    rows, seconds, cpu, peak = int(out[-4]), float(out[-3]), float(out[-2]), float(out[-1])
    store.unlink(missing_ok=True)
    return {"file": path.name, "file_mb": round(path.stat().st_size / 1e6, 1),
            "rows_stored": rows, "seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1),
            "peak_rss_mb": peak}


CASES = ("declarations", "tidy", "workbook")


def files(case: str, folder: Path, size: str) -> list[Path]:
    """The synthetic input files of one case (written into ``folder``), of ``SIZES[size]``."""
    csv_bytes, workbook_rows = SIZES[size]
    if case == "declarations":
        plain = synthetic_csv(folder / f"synthetic_declarations_seed{SEED}.csv", csv_bytes)
        if size == "quick":  # the gzipped copy takes the same road: not in the 2-minute run
            return [plain]
        packed = folder / (plain.name + ".gz")
        with plain.open("rb") as src, gzip.open(packed, "wb", compresslevel=6) as dst:
            shutil.copyfileobj(src, dst)
        return [plain, packed]
    if case == "tidy":
        return [synthetic_tidy(folder / f"synthetic_jp_epa_tidy_seed{SEED}.csv", csv_bytes)]
    return [synthetic_workbook(folder / f"synthetic_2019_EPA_seed{SEED}.xlsx", workbook_rows)]


def judged(results: list[dict]) -> list[dict]:
    """Issue 11's target per case: peak memory bounded near the recorded figures."""
    limit = round(RECORDED_PEAK_MB * PEAK_MARGIN)
    return [target(f"ingest peak MB, {r['case']}: {r['file_mb']} MB {Path(r['file']).suffix}",
                   r["peak_rss_mb"], limit,
                   note=f"issue 11: bounded, independent of file size; recorded "
                        f"{RECORDED_PEAK_MB:.0f} MB x {PEAK_MARGIN}") for r in results]


def run(*, quick: bool, cases: tuple[str, ...] = CASES, size: str | None = None) -> dict:
    size = size or ("quick" if quick else "default")
    results, load_before = [], load_average()
    with tempfile.TemporaryDirectory(prefix="tradeguard-bench-ingest-") as tmp:
        folder = Path(tmp)
        for case in cases:
            for path in files(case, folder, size):
                results.append({"case": case, **measure(path, folder)})
                path.unlink()
    print(f"ingest peak memory (synthetic files, seed {SEED}, sizes '{size}'; "
          f"{time.strftime('%Y-%m-%d')}):")
    for r in results:
        print(f"  {r['file']:<45} {r['file_mb']:>7} MB  {r['rows_stored']:>10,} rows stored  "
              f"{r['seconds']:>6} s ({r['cpu_seconds']:>6} CPU-s)  peak RSS "
              f"{r['peak_rss_mb']:>7} MB", flush=True)
    out = {"benchmark": NAME, "label": f"synthetic (seed {SEED})", "size": size,
           "machine": machine_info(), "load_average": {"before": load_before,
                                                       "after": load_average()},
           "results": results, "targets_judged": judged(results)}
    write_results(NAME if size != "scale" else f"{NAME}-scale", out)
    return out


def run_scale() -> dict:
    """Issue 11's sizes: 200 MB CSVs and a 1 M-row workbook (``python -m bench.run --scale``)."""
    return run(quick=False, size="scale")


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bench.bench_ingest")
    parser.add_argument("--memory", nargs="+", choices=CASES, default=list(CASES),
                        help="the cases to measure (default: all)")
    parser.add_argument("--quick", action="store_true", help="small files")
    parser.add_argument("--scale", action="store_true", help="issue 11's sizes (long)")
    args = parser.parse_args()
    run(quick=args.quick, cases=tuple(args.memory), size="scale" if args.scale else None)
