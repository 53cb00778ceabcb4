"""Long runs are never silent (issue 14 item 4): the core's progress callback reaches stderr,
one line per stage off a terminal, and ``--json`` keeps stdout a clean JSON document."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest
from rich.console import Console
from typer.testing import CliRunner

from tradeguard.cli import app
from tradeguard.cli_progress import jvm_output_to, progress_bar

runner = CliRunner()


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    """The bundled data ingested by the CLI (no --json), and the run's result."""
    store = tmp_path_factory.mktemp("progress") / "store.duckdb"
    result = runner.invoke(app, ["ingest", "--bundled", "--store", str(store)])
    assert result.exit_code == 0, result.output
    return store, result


def test_ingest_reports_every_stage_on_stderr(ingested):
    _, result = ingested
    lines = [line for line in result.stderr.splitlines() if line.startswith("ingest: ")]
    assert lines == ["ingest: hash", "ingest: read", "ingest: check", "ingest: write"]
    assert "ingest: " not in result.stdout and "ingested" in result.stdout


def test_ingest_json_keeps_stdout_a_json_document_and_stderr_quiet(ingested):
    store, _ = ingested
    again = runner.invoke(app, ["ingest", "--bundled", "--store", str(store), "--json"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["status"] == "already ingested"
    assert "ingest: " not in again.stderr


def test_surges_report_the_read_and_the_scan_on_stderr(ingested):
    store, _ = ingested
    args = ["surges", "--store", str(store), "--method", "fao130", "--per-page", "1"]
    shown = runner.invoke(app, args)
    assert shown.exit_code == 0, shown.output
    assert [line for line in shown.stderr.splitlines() if line.startswith("surges")] == [
        "surges (duckdb): read", "surges (duckdb): scan"]
    assert "surge flags" in shown.stdout
    as_json = runner.invoke(app, [*args, "--json"])
    assert json.loads(as_json.stdout)["per_page"] == 1 and "surges (" not in as_json.stderr


def test_design_compare_reports_fit_simulation_and_back_tests(tmp_path):
    result = runner.invoke(app, ["design", "compare", "beef-us-opening", "--paths", "4",
                                 "--years", "1", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    stages = [line for line in result.stderr.splitlines() if line.startswith("design compare")]
    assert stages == ["design compare: fit", "design compare: simulate",
                      "design compare: back-test"]
    assert (tmp_path / "report.json").is_file()


def test_design_sensitivity_reports_its_simulation(tmp_path):
    result = runner.invoke(app, ["design", "sensitivity", "beef-us-opening", "--element",
                                 "trigger_scale", "--values", "1,1.1", "--paths", "4",
                                 "--years", "1", "--out", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["files"]["json"].endswith("sensitivity.json")
    assert "design sensitivity" not in result.stderr  # --json off a terminal: quiet


def test_on_a_terminal_the_bar_draws_on_the_given_console_only():
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=100)
    with progress_bar(console, "design sweep") as progress:
        progress("simulate", 1, 4)
        progress("simulate", 4, 4)
    assert "design sweep" in screen.getvalue()


def test_a_child_process_started_inside_writes_its_stderr_to_the_log(tmp_path, capfd):
    log = tmp_path / "logs" / "spark.log"
    with jvm_output_to(log):
        subprocess.run([sys.executable, "-c", "import sys; sys.stderr.write('WARN jvm\\n')"],
                       check=True)
    subprocess.run([sys.executable, "-c", "import sys; sys.stderr.write('after\\n')"],
                   check=True)
    assert log.read_text() == "WARN jvm\n"
    assert capfd.readouterr().err == "after\n"
