"""The CLI is a thin layer: JSON shape, exit codes, and error messages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from tradeguard.cli import app

runner = CliRunner()
BAD_RULES = Path(__file__).parent / "fixtures" / "bad_rules"


def test_duty_json_has_options_and_chosen():
    result = runner.invoke(app, ["duty", "--line", "0202.30", "--origin", "US", "--date",
                                 "2021-03-20", "--value", "1000000", "--quantity", "1000",
                                 "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {o["regime"] for o in data["options"]} == {"usjta", "mfn"}
    chosen = data["chosen"]
    assert chosen["regime"] == "usjta"
    assert chosen["ad_valorem_percent"] == 38.5
    assert chosen["specific"] is None
    assert chosen["safeguard"] is True
    assert chosen["duty_amount"] == "385000"  # exact decimals are strings, never floats
    payable = data["payable"]  # 38.5% of 1,000,000; 6.24% of 1,385,000; 22/78 of 86,400
    assert [payable[k] for k in ("customs_duty", "consumption_tax", "local_consumption_tax",
                                 "total")] == ["385000", "86400", "24300", "495700"]
    assert chosen["trace"][0]["rule_id"] == "usjta.beef_tariff"
    assert chosen["trace"][1]["citation"].startswith("MAFF press release 17 Mar 2021")


def test_duty_table_output_names_the_choice():
    result = runner.invoke(app, ["duty", "--line", "0202", "--origin", "AU", "--date",
                                 "2017-09-01"])
    assert result.exit_code == 0
    assert "Chosen: jaepa" in result.stdout
    assert "27.2%" in result.stdout


def test_duty_before_the_announcement_leaves_the_safeguard_out_and_says_why():
    result = runner.invoke(app, ["duty", "--line", "0202.30", "--origin", "US", "--date",
                                 "2021-03-18", "--as-of", "2021-03-01", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["chosen"]["ad_valorem_percent"], data["chosen"]["safeguard"]) == (25.8, False)
    assert [w["code"] for w in data["warnings"]] == ["safeguard_announced_after_as_of"]
    assert "announced on 2021-03-17, after as_of 2021-03-01" in data["warnings"][0]["message"]


def test_duty_table_warns_that_the_eu_agreement_is_not_encoded_for_potato_starch():
    result = runner.invoke(app, ["duty", "--line", "1108.13", "--origin", "FR", "--date",
                                 "2025-06-01"])
    assert result.exit_code == 0, result.output
    assert "warning [agreement_not_encoded]: the Japan-EU EPA" in result.stdout
    assert "applies to FR from 2019-02-01" in result.stdout


def test_french_frozen_beef_in_june_2020_answers_under_the_japan_eu_epa_with_citations():
    result = runner.invoke(app, ["duty", "--line", "0202.30", "--origin", "FR", "--date",
                                 "2020-06-01"])
    assert result.exit_code == 0, result.output
    assert "Chosen: jeuepa" in result.stdout and "25.8%" in result.stdout
    assert "jeuepa.beef_tariff schedules[0].rates[2] = 25.8% from 2020-04-01 [derived]" in (
        result.stdout.replace("\n", " "))
    assert "warning" not in result.stdout


def test_duty_table_prints_the_note_that_an_agreement_excludes_the_line():
    result = runner.invoke(app, ["duty", "--line", "1006", "--origin", "TH", "--date",
                                 "2023-06-01"])
    assert result.exit_code == 0, result.output
    assert "note: rice is excluded under the RCEP: line 1006, MFN applies" in result.stdout


def test_rules_validate_reports_all_three_mistakes_and_exits_non_zero():
    result = runner.invoke(app, ["rules", "validate", "--path", str(BAD_RULES)])
    assert result.exit_code == 1
    text = result.stderr
    assert "3 problems in the rules" in text
    assert "bad_rules/demo/beef_tariff.yaml, key `rate_unit`" in text
    assert "key `schedules[0].rates[1].valid_from`: two values start on 2020-01-01" in text
    assert "key `schedules[0].rates[2].cite`: cites `missing-source`" in text


def test_rules_validate_shipped_library_is_clean():
    result = runner.invoke(app, ["rules", "validate"])
    assert result.exit_code == 0
    assert "rule files valid" in result.stdout


def test_rules_list_and_show():
    listed = json.loads(runner.invoke(app, ["rules", "list", "--json"]).stdout)
    assert {"id": "usjta.beef_safeguard", "kind": "volume_safeguard",
            "title": listed[[r["id"] for r in listed].index("usjta.beef_safeguard")]["title"]} in listed
    shown = json.loads(runner.invoke(app, ["rules", "show", "cptpp.beef_safeguard"]).stdout)
    assert shown["conditions"][0]["trigger"]["volumes"][1]["value"] == 601800
    assert shown["conditions"][0]["trigger"]["volumes"][1]["status"] == "secondary"


def test_bad_input_prints_a_message_not_a_traceback():
    proc = subprocess.run([sys.executable, "-m", "tradeguard.cli", "duty", "--line", "0202",
                           "--origin", "ZZ", "--date", "2021-03-20"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 1
    assert "unknown partner `ZZ`" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_bad_date_option():
    result = runner.invoke(app, ["duty", "--line", "0202", "--origin", "US", "--date", "soon"])
    assert result.exit_code == 1
    assert "is not a date" in result.stderr
