"""The benchmark runner (``bench.run``): each module in its own child process, and a
summary that merges runs instead of overwriting them.  Fake tiny modules, no benchmark."""

from __future__ import annotations

import importlib
import json
import os
import textwrap

import pytest

FAKE_MODULES = {
    # Holds 300 MB while it runs, and marks the state of the process it runs in.
    "fake_bench_big": """
        import os, sys
        from bench.common import target
        def run(*, quick):
            blob = bytearray(300 * 2**20)
            blob[::4096] = b"x" * len(blob[::4096])
            sys.fake_bench_marker = "left by big"
            return {"targets_judged": [target("big ratio", 1.5, 2.0),
                                       target("big floor", 1.5, 1.0, at_most=False)],
                    "pid": os.getpid()}
        """,
    # Reports whether it sees the state the other module left behind.
    "fake_bench_small": """
        import sys
        from bench.common import target
        def run(*, quick):
            leaked = hasattr(sys, "fake_bench_marker")
            return {"targets_judged": [target("small leaked", float(leaked), 0.0)]}
        """,
    "fake_bench_broken": """
        def run(*, quick):
            raise ValueError("fake failure")
        """,
    "fake_bench_scaled": """
        from bench.common import target
        def run(*, quick):
            return {"targets_judged": [target("scaled quick", 1.0 if quick else 2.0, 1.0)]}
        def run_scale():
            return {"targets_judged": [target("scaled 100M", 3.0, 4.0)]}
        """,
}


@pytest.fixture
def runner(tmp_path, monkeypatch):
    """``bench.run`` writing to a temporary results folder, with the fake modules importable."""
    for name, source in FAKE_MODULES.items():
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("TRADEGUARD_BENCH_RESULTS", str(tmp_path / "results"))
    import bench.common
    import bench.run

    importlib.reload(bench.common)
    yield importlib.reload(bench.run)
    monkeypatch.delenv("TRADEGUARD_BENCH_RESULTS")
    importlib.reload(bench.common)
    importlib.reload(bench.run)


def _summary(tmp_path) -> dict:
    return json.loads((tmp_path / "results" / "summary.json").read_text())


def test_each_module_runs_in_its_own_process_with_its_own_peak_memory(runner, tmp_path):
    _, entries = runner.run_all({"big": "fake_bench_big", "small": "fake_bench_small"})
    assert entries["big"]["status"] == "ok"
    assert entries["big"]["peak_rss_mb"] >= 300
    # The small module ran after the big one, in a fresh process: neither its memory nor the
    # marker the big one left behind reach it.
    assert entries["small"]["peak_rss_mb"] < 200
    assert entries["small"]["targets"][0]["value"] == 0.0
    assert not hasattr(__import__("sys"), "fake_bench_marker")


def test_a_run_of_one_module_merges_into_the_summary(runner, tmp_path):
    runner.run_all({"big": "fake_bench_big", "small": "fake_bench_small"})
    first = _summary(tmp_path)
    runner.run_all({"scaled": "fake_bench_scaled"}, quick=True)
    merged = _summary(tmp_path)
    assert sorted(merged["benchmarks"]) == ["big", "scaled", "small"]
    assert merged["benchmarks"]["big"] == first["benchmarks"]["big"]
    assert merged["benchmarks"]["scaled"]["quick"] is True
    assert merged["benchmarks"]["big"]["quick"] is False
    assert merged["targets"] == {"met": 4, "missed": 0, "judged": 4,
                                 "modules_without_targets": []}
    for entry in merged["benchmarks"].values():
        assert merged["runs"][entry["run_at"]]["machine"]["cores"] == os.cpu_count()


def test_a_rerun_replaces_the_module_entry_and_counts_missed_targets(runner, tmp_path):
    runner.run_all({"scaled": "fake_bench_scaled"}, quick=True)
    runner.run_all({"scaled": "fake_bench_scaled"})
    merged = _summary(tmp_path)
    assert merged["benchmarks"]["scaled"]["quick"] is False
    assert merged["benchmarks"]["scaled"]["targets"][0]["met"] is False
    assert merged["targets"]["missed"] == 1
    assert len(merged["runs"]) == 1  # the replaced run is no longer referenced


def test_a_failing_module_is_recorded_and_the_others_still_run(runner, tmp_path):
    _, entries = runner.run_all({"broken": "fake_bench_broken", "small": "fake_bench_small"})
    assert entries["broken"]["status"] == "failed"
    assert entries["broken"]["error"] == "ValueError: fake failure"
    assert entries["small"]["status"] == "ok"


def test_scale_runs_the_hook_or_skips_with_a_note(runner, tmp_path):
    _, entries = runner.run_all({"scaled": "fake_bench_scaled", "small": "fake_bench_small"},
                                scale=True)
    assert entries["scaled:scale"]["targets"][0]["ratio"] == "scaled 100M"
    assert entries["small:scale"]["status"] == "skipped"
    assert entries["small:scale"]["note"] == "fake_bench_small defines no run_scale()"


def test_every_benchmark_module_is_found_by_its_file_name(runner):
    found = runner.discover()
    assert {"duty", "ingest", "quota", "desk_load", "spark", "surge"} <= set(found)
    assert found["desk_load"] == "bench.bench_desk_load"


def test_a_child_reports_its_own_peak_memory_not_its_big_parents():
    # ru_maxrss would report the parent's peak here (it survives exec on Linux); VmHWM does not.
    import subprocess
    import sys
    from pathlib import Path

    blob = bytearray(400 * 2**20)
    blob[::4096] = b"x" * len(blob[::4096])
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c",
                          "from bench.common import peak_rss_mb; print(peak_rss_mb())"],
                         cwd=root, capture_output=True, text=True, check=True).stdout
    del blob
    assert float(out) < 100


def test_ingest_judges_every_case_against_its_recorded_peak_with_a_margin():
    from bench.bench_ingest import judged

    cases = [{"case": "tidy", "file": "a.csv", "file_mb": 50.0, "peak_rss_mb": 700.0},
             {"case": "workbook", "file": "b.xlsx", "file_mb": 3.0, "peak_rss_mb": 900.0}]
    assert [(t["target"], t["met"]) for t in judged(cases)] == [("<= 816", True),
                                                                 ("<= 816", False)]


def test_a_desk_run_without_answers_misses_both_targets():
    from bench.bench_desk_load import judged

    nothing = {"healthz_p99_ms": float("nan"), "status_rps": 0.0}
    healthz, uploads = judged(nothing, nothing)
    assert (healthz["value"], healthz["met"], uploads["met"]) == (None, False, False)
