"""The CLI's conventions: --version, completion, --json wherever results are printed, one name
for each idea (--origin, --out as a folder), messages in the CLI's words, thresholds as shares
or percents."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import typer.main
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import tradeguard
from tradeguard.cli import app
from tradeguard.cli_support import parse_thresholds

ROOT = Path(__file__).parents[2]
runner = CliRunner()
# Commands that print no results: they serve, or only point to the files they write elsewhere.
WITHOUT_RESULTS = {"serve"}


# Typer 0.29 carries its own copy of Click, so commands and options are told apart by their
# attributes rather than by Click's classes.
def _commands() -> dict[str, Any]:
    """Every leaf command by its full name, e.g. `rules validate`."""
    found: dict[str, Any] = {}

    def walk(command: Any, prefix: str) -> None:
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                walk(sub, f"{prefix} {name}".strip())
        else:
            found[prefix] = command

    walk(typer.main.get_command(app), "")
    return found


def _options(command: Any) -> list[Any]:
    return [p for p in command.params if p.param_type_name == "option"]


def _visible_options(command: Any) -> set[str]:
    return {o for p in _options(command) if not p.hidden for o in p.opts}


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("store") / "store.duckdb"
    result = runner.invoke(app, ["ingest", "--bundled", "--store", str(path)])
    assert result.exit_code == 0, result.output
    return path


def test_version_prints_the_package_version_which_matches_pyproject():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert result.stdout == f"tradeguard {pyproject['project']['version']}\n"
    assert tradeguard.__version__ == pyproject["project"]["version"]


def test_shell_completion_completes_commands_and_subcommands(monkeypatch):
    # `--show-completion` alone detects the user's shell from the process tree, which a test
    # worker may not have (it failed so under xdist in CI); Typer's switch makes the shell an
    # explicit argument instead, as `tradeguard --show-completion bash` in a terminal.
    monkeypatch.setenv("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION", "1")

    def complete(words: str, index: int) -> str:
        env = {"_TRADEGUARD_COMPLETE": "complete_bash", "COMP_WORDS": words,
               "COMP_CWORD": str(index)}
        return runner.invoke(app, [], prog_name="tradeguard", env=env).output

    assert complete("tradeguard ru", 1).split() == ["rules"]
    assert complete("tradeguard rules va", 2).split() == ["validate"]
    script = runner.invoke(app, ["--show-completion", "bash"], prog_name="tradeguard")
    assert "_TRADEGUARD_COMPLETE=complete_bash" in script.output


def test_every_command_that_prints_results_takes_json():
    missing = [name for name, command in _commands().items()
               if name not in WITHOUT_RESULTS and "--json" not in _visible_options(command)]
    assert missing == []


def test_origin_is_the_one_name_for_where_goods_come_from():
    # `formula compare --partners` names the parties sharing a formula: a different idea.
    named = {name: sorted(o for o in _visible_options(c) if "partner" in o or "origin" in o)
             for name, c in _commands().items()}
    assert {n: opts for n, opts in named.items() if opts} == {
        "duty": ["--origin"], "evidence": ["--origin"], "formula compare": ["--partners"],
        "surges": ["--origin"]}


def test_out_is_a_folder_on_every_command():
    helps = {name: p.help for name, c in _commands().items() for p in _options(c)
             if "--out" in p.opts}
    assert set(helps) == {"timeline", "evidence", "fetch comtrade", "design compare",
                          "design sweep", "design sensitivity", "formula compare"}
    assert [n for n, h in helps.items() if not h.startswith("Folder")] == []


def test_timeline_writes_its_chart_into_the_out_folder_and_the_old_file_spelling_still_works(
        store, tmp_path):
    args = ["timeline", "cptpp.beef_safeguard", "--period", "FY2019", "--store", str(store)]
    new = runner.invoke(app, [*args, "--out", str(tmp_path / "charts"), "--json"])
    assert new.exit_code == 0, new.output
    chart = tmp_path / "charts" / "cptpp.beef_safeguard-FY2019.svg"
    assert json.loads(new.stdout)["chart"] == str(chart)
    assert chart.read_text(encoding="utf-8").startswith("<svg")
    old = runner.invoke(app, [*args, "--out", str(tmp_path / "old.svg"), "--json"])
    assert old.exit_code == 0, old.output
    assert (tmp_path / "old.svg").read_bytes() == chart.read_bytes()
    assert "--out FILE.svg is deprecated; use --out FOLDER" in old.stderr


def test_evidence_takes_origin_prints_a_table_and_writes_html_and_json_into_out(store, tmp_path):
    result = runner.invoke(app, ["evidence", "--line", "0201", "--origin", "AU", "--store",
                                 str(store), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "Imports of 0201 from AU, as of 2019-12-31" in result.stdout
    assert "Line 0201: Meat of bovine animals; fresh or chilled" in result.stdout
    assert "rate of increase: +2.2%" in result.stdout  # a percent, not 0.0215
    assert "amount of increase: 2,705.4 t" in result.stdout
    pack = json.loads((tmp_path / "evidence-0201.json").read_text(encoding="utf-8"))
    assert (pack["partners"], pack["indicators"]["period"]) == (["AU"], "2015 to 2018")
    assert (tmp_path / "evidence-0201.html").read_text(encoding="utf-8").lstrip().startswith(
        "<!")


def test_evidence_old_partners_spelling_gives_the_same_json_with_a_note(store):
    args = ["evidence", "--line", "0201", "--store", str(store), "--json"]
    new = runner.invoke(app, [*args, "--origin", "AU"])
    old = runner.invoke(app, [*args, "--partners", "AU"])
    assert new.exit_code == old.exit_code == 0
    assert json.loads(old.stdout) == json.loads(new.stdout)
    assert "--partners is deprecated; use --origin" in old.stderr


def test_rules_validate_json_lists_every_problem_and_exits_non_zero():
    bad = runner.invoke(app, ["rules", "validate", "--json", "--path",
                              str(ROOT / "tests" / "fixtures" / "bad_rules")])
    assert bad.exit_code == 1
    data = json.loads(bad.stdout)
    assert (data["ok"], len(data["problems"])) == (False, 3)
    assert any("key `rate_unit`" in p for p in data["problems"])
    good = json.loads(runner.invoke(app, ["rules", "validate", "--json"]).stdout)
    assert (good["ok"], good["problems"]) == (True, [])
    assert good["rule_files"] == len(list((ROOT / "src" / "tradeguard" / "rules" / "library")
                                          .rglob("*.yaml")))


def test_design_sensitivity_json_prints_the_report_it_wrote(tmp_path):
    result = runner.invoke(app, [
        "design", "sensitivity", "beef-us-opening", "--element", "trigger_scale",
        "--values", "0.9,1.1", "--paths", "8", "--years", "2", "--out", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["files"] == {"html": str(tmp_path / "sensitivity.html"),
                             "json": str(tmp_path / "sensitivity.json")}
    assert [r["value"] for r in data["report"]["rows"]] == [0.9, 1.1]


# --- messages in the CLI's words ------------------------------------------------------------

PYTHON_NAMES = re.compile(r"tradeguard\.\w+\.|customs_value|\w+= |datetime\.date")


@pytest.mark.parametrize(("args", "expected"), [
    (["duty", "--line", "0202", "--origin", "US", "--date", "2021-03-20", "--value", "-5"],
     "error: --value is -5.0 (it must be zero or more) Fix: give --value as zero or more"),
    (["duty", "--line", "0202", "--origin", "US", "--date", "2021-03-20", "--value", "nan"],
     "Fix: give --value as a finite number"),
    (["duty", "--line", "0202", "--origin", "US", "--date", "2021-03-20", "--quantity", "-1"],
     "error: --quantity is -1.0 (it must be zero or more) Fix: give --quantity as zero or more"),
    (["status", "--store", "{tmp}/none.duckdb"],
     "Fix: ingest a file first: `tradeguard ingest FILE` (or `tradeguard ingest --bundled`)"),
    (["surges", "--store", "{tmp}/none.duckdb"], "Fix: ingest a file first: `tradeguard ingest"),
    (["ingest", "{tmp}/odd.txt", "--store", "{tmp}/s.duckdb"], "Fix: give --format, one of:"),
    (["surges", "--method", "foo", "--store", "{store}"],
     "error: --method: unknown surge method(s): foo Fix: use one or more of: fao130"),
    (["surges", "--as-of", "2019-13-01", "--store", "{store}"],
     "error: --as-of `2019-13-01` is not a date. Fix: write it as YYYY-MM-DD, e.g. 2021-03-20"),
    (["surges", "--backend", "hadoop"],
     "Fix: use --backend duckdb (the default) or --backend spark"),
])
def test_errors_speak_in_options_and_commands_not_python_names(store, tmp_path, args, expected):
    (tmp_path / "odd.txt").write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    result = runner.invoke(app, [a.replace("{tmp}", str(tmp_path)).replace("{store}", str(store))
                                 for a in args])
    text = " ".join(result.stderr.split())
    assert result.exit_code == 1
    assert expected in text
    assert PYTHON_NAMES.findall(text) == []


def test_duty_explanations_name_the_options_to_give():
    result = runner.invoke(app, ["duty", "--line", "0203.19", "--origin", "CA", "--date",
                                 "2025-06-01", "--value", "40000"])
    assert result.exit_code == 0, result.output
    assert ("Chosen: none (the options are not all ad valorem: give --value and --quantity to "
            "compare duty amounts)") in " ".join(result.stdout.split())
    assert "customs_value" not in result.stdout


def test_error_text_is_printed_as_written_not_as_emoji(tmp_path):
    (tmp_path / "odd.txt").write_text("root:x:0:0:root\n", encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(tmp_path / "odd.txt"), "--store",
                                 str(tmp_path / "s.duckdb")])
    assert "root:x:0:0:root" in result.stderr and "❌" not in result.stderr


# --- alert thresholds: shares or percents -----------------------------------------------------


def test_alert_thresholds_as_percents_equal_the_same_shares(store):
    def alerts(levels: str) -> list[dict]:
        result = runner.invoke(app, ["alerts", "--store", str(store), "--thresholds", levels,
                                     "--json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    percents = alerts("80%,90%,100%")
    assert percents == alerts("0.8,0.9,1") == alerts("80%, 0.9 ,100%")
    assert {r["threshold"] for r in percents} == {0.8, 0.9, 1.0}
    assert {"measure_id": "jaepa.beef_chilled_safeguard", "period": "FY2015",
            "threshold": 0.9} in [{k: r[k] for k in ("measure_id", "period", "threshold")}
                                  for r in percents]


@pytest.mark.parametrize(("levels", "message"), [
    ("80,90", "--thresholds: threshold `80` is ambiguous (as a share it means 8,000% of the "
              "trigger; a percent needs the % sign) Fix: write 80% for a percent, or 0.8 for "
              "the same share"),
    ("high", "threshold `high` is not a number"),
    ("0.8,0", "threshold `0` is not above zero"),
    ("-10%", "threshold `-10%` is not above zero"),
    (" , ", "no threshold given"),
    ("inf%", "threshold `inf%` is not a number"),
])
def test_ambiguous_or_invalid_thresholds_are_refused_with_the_fix(store, levels, message):
    result = runner.invoke(app, ["alerts", "--store", str(store), "--thresholds", levels])
    text = " ".join(result.stderr.split())
    assert result.exit_code == 1
    assert message in text and "Fix: write" in text
    assert result.stdout == ""


# A loaded machine (2 shared cores) can make generation look slow; that is no failure here.
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(1, 200), min_size=1, max_size=5))
def test_percents_and_the_same_shares_give_the_same_sorted_levels(percents):
    as_percents = parse_thresholds(",".join(f"{k}%" for k in percents))
    as_shares = parse_thresholds(",".join(str(k / 100) for k in percents))
    assert as_percents == as_shares == tuple(sorted({k / 100 for k in percents}))


def test_a_simulation_option_out_of_range_is_named_not_a_traceback(tmp_path):
    result = runner.invoke(app, ["design", "compare", "beef-us-opening", "--years", "50",
                                 "--paths", "4", "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "--years 50: input should be less than or equal to 40" in result.output
    assert "Traceback" not in result.output and not list(tmp_path.iterdir())
