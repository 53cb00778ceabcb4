"""The CLI's design commands take a shipped example's name as well as a path."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from tradeguard.cli import app


def test_design_sensitivity_accepts_an_example_name(tmp_path):
    result = CliRunner().invoke(app, [
        "design", "sensitivity", "beef-us-opening", "--element", "trigger_scale",
        "--values", "0.9,1.1", "--paths", "8", "--years", "2", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "sensitivity.json").read_text())
    assert [r["value"] for r in data["rows"]] == [0.9, 1.1]


def test_an_unknown_design_name_is_a_clear_error_not_a_traceback(tmp_path):
    result = CliRunner().invoke(app, ["design", "compare", "no-such-design", "--out",
                                      str(tmp_path)])
    assert result.exit_code != 0
    assert "no such design file" in result.output and "beef-us-opening" in result.output
    assert "Traceback" not in result.output
