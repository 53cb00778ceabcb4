"""`import tradeguard as tg` for notebooks: the names, lazy imports, short reprs, HTML tables,
pandas and Arrow out, and answers equal to the library's own."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest

import tradeguard as tg
from tradeguard.engine.duty import DutyResult
from tradeguard.engine.duty import duty as engine_duty
from tradeguard.results import HTML_ROWS, Results

AS_OF = dt.date(2026, 11, 27)
NOTEBOOK_NAMES = ["Store", "TradeguardError", "compare_designs", "duty", "duty_batch",
                  "duty_batch_parquet", "ingest", "lines", "rules", "status", "surges"]


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> tg.Store:
    handle = tg.Store(tmp_path_factory.mktemp("nb") / "store.duckdb")
    first = tg.ingest(bundled=True, store=handle,
                      ingested_at=dt.datetime(2026, 11, 27, 9, tzinfo=dt.UTC))
    assert (first.status, first.rows) == ("ingested", 6061)
    return handle


def test_the_notebook_names_are_exported_and_each_has_a_docstring():
    assert sorted(tg.__all__) == NOTEBOOK_NAMES
    undocumented = [n for n in NOTEBOOK_NAMES if len(getattr(tg, n).__doc__ or "") < 40]
    assert undocumented == []


def test_import_tradeguard_loads_no_heavy_library():
    code = ("import sys, tradeguard; heavy = ('pandas', 'pyarrow', 'ibis', 'duckdb', "
            "'pydantic', 'tradeguard.engine', 'tradeguard.notebook'); "
            "print(sorted(m for m in heavy if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert proc.stdout.strip() == "[]"


def test_duty_answer_is_the_engines_answer_with_a_one_line_repr():
    args = ("0202.30", "US", dt.date(2021, 3, 20))
    answer = tg.duty(*args, customs_value=1e6, quantity=1000, as_of=AS_OF)
    assert isinstance(answer, DutyResult)
    plain = engine_duty(*args, customs_value=1e6, quantity=1000, as_of=AS_OF)
    assert answer.model_dump(mode="json") == plain.model_dump(mode="json")
    assert repr(answer) == ("<Duty on 020230 from US on 2021-03-20: usjta 38.5%, safeguard, "
                            "payable 495,700 JPY>")
    assert tg.duty.__doc__ == engine_duty.__doc__


def test_duty_answer_as_a_table_keeps_exact_amounts_and_marks_the_choice():
    answer = tg.duty("0202.30", "US", dt.date(2021, 3, 20), customs_value=609458,
                     quantity=100, as_of=AS_OF)
    frame = answer.to_pandas()
    assert list(frame["regime"]) == ["usjta", "mfn"]
    assert list(frame["chosen"]) == [True, False]
    assert list(frame["duty_amount"]) == ["234641.33", "234641.33"]  # text: exact decimals
    html = answer._repr_html_()
    assert "<th>regime</th>" in html and "<td>234641.33</td>" in html
    assert answer.to_arrow().num_rows == 2


def test_duty_answer_repr_names_its_warnings():
    # Potato starch from France: the Japan-EU EPA applies and its schedule is not encoded.
    answer = tg.duty("1108.13", "FR", dt.date(2025, 6, 1), as_of=AS_OF,
                     customs_value=1_000_000, quantity=1_000)
    assert repr(answer) == ("<Duty on 110813 from FR on 2025-06-01: mfn 119 JPY/kg, "
                            "payable 208,400 JPY, 1 warning(s)>")
    assert "warning [agreement_not_encoded]" in answer._repr_html_()


def test_rules_is_callable_and_still_the_rules_package():
    book = tg.rules()
    assert repr(book).startswith("<Rules: ") and len(book) >= 38
    assert book.rule("usjta.beef_safeguard").kind == "volume_safeguard"
    assert {"id": "cptpp.beef_safeguard", "kind": "volume_safeguard"}.items() <= next(
        r for r in book if r["id"] == "cptpp.beef_safeguard").items()
    from tradeguard.rules.loader import load_rules  # the package still imports as before

    assert load_rules is tg.load_rules


def test_lines_finds_frozen_beef_as_0202():
    found = tg.lines("frozen beef")
    assert found.rows[0] == {"code": "0202", "level": 4,
                             "description": "Meat of bovine animals; frozen",
                             "names": ["frozen beef", "beef"]}
    assert repr(found) == f"<Lines matching 'frozen beef': {len(found)} rows>"
    assert tg.lines("no such product").columns == ["code", "level", "description", "names"]


def test_store_ingest_again_is_a_no_op_with_a_one_line_repr(store):
    again = tg.ingest(bundled=True, store=store)
    assert again.status == "already ingested"
    assert repr(again).startswith("<Ingest already ingested: ") and "\n" not in repr(again)
    assert repr(store) == f"Store({str(store.path)!r})"
    assert store.batches().rows[0]["row_count"] == 6061
    assert store.imports().count().to_pyarrow().as_py() == 6061


def test_ingest_needs_a_path_or_bundled():
    with pytest.raises(tg.TradeguardError, match=r"give a path or bundled=True"):
        tg.ingest()


def test_status_rows_equal_the_monitor_and_convert_to_pandas(store):
    status = tg.status(store)
    # 8 open measures: the Japan-EU EPA beef and pork safeguards (issue 16) joined the six.
    assert repr(status) == "<Safeguard status as of 2019-12-31: 8 rows>"
    assert "jeuepa.beef_safeguard" in {r["measure_id"] for r in status}
    rows = {r["measure_id"]: r for r in status}
    assert rows["cptpp.beef_safeguard"]["cumulative_t"] == pytest.approx(290_148.676)
    assert rows["wto.beef_chilled_emergency"]["cumulative_t"] is None  # a gap, never zero
    frame = status.to_pandas().set_index("measure_id")
    assert frame.loc["cptpp.beef_safeguard", "trigger_t"] == 601_800
    alerts = status.alerts()
    assert {"measure_id": "jaepa.beef_chilled_safeguard", "period": "FY2015",
            "threshold": 0.9}.items() <= next(
        a for a in alerts if a["period"] == "FY2015" and a["threshold"] == 0.9).items()


def test_status_as_of_a_day_matches_the_cli_date(store):
    assert tg.status(store, as_of=dt.date(2019, 3, 31)).report.as_of == dt.date(2019, 3, 31)


def test_surges_are_results_with_arrow_and_labels(store):
    flags = tg.surges(store, methods=["fao130"], include_immaterial=True)
    assert repr(flags) == f"<Surge flags: {len(flags):,} rows>"
    assert set(flags.to_arrow().column("method").to_pylist()) == {"fao130"}
    assert {"surge", "tariff timing"} <= set(flags.to_pandas()["label"])


def test_surges_leave_out_immaterial_flags_as_the_cli_does_and_count_them(store):
    import json

    from typer.testing import CliRunner

    from tradeguard.cli import app

    every = tg.surges(store, methods=["fao130"], origin="au", include_immaterial=True)
    shown = tg.surges(store, methods=["fao130"], origin="au")
    assert shown.materiality["min_increase_t"] == 100.0 and shown.materiality["min_share"] == 0.03
    assert shown.left_out["left out"] > 0
    assert len(shown) + shown.left_out["left out"] == len(every)
    assert min(r["increase_t"] for r in shown) >= 100.0
    sizes = [r["increase_t"] for r in shown]
    assert sizes == sorted(sizes, reverse=True)
    assert any("immaterial flags left out" in n for n in shown.notes)
    cli = CliRunner().invoke(app, ["surges", "--store", str(store.path), "--method", "fao130",
                                   "--origin", "AU", "--per-page", "1000", "--json"])
    page = json.loads(cli.stdout)
    key = ("tariff_line", "partner", "period", "method")
    assert [tuple(r[k] for k in key) for r in shown] == [tuple(r[k] for k in key)
                                                        for r in page["flags"]]
    assert page["left_out"] == shown.left_out


def test_surges_filter_by_line_period_and_size(store):
    got = tg.surges(store, methods=["fao130"], line="0202", origin="AU", min_tonnes=1000,
                    period="2018-04:2018-06")
    assert len(got) > 0
    assert all(r["tariff_line"].startswith("0202") and r["partner"] == "AU"
               and "2018-04" <= r["period"] <= "2018-06" and r["increase_t"] >= 1000
               for r in got)


def test_compare_designs_gives_one_row_per_design_and_writes_the_report(tmp_path):
    result = tg.compare_designs(["beef-us-opening", "beef-japan-opening"], paths=8, years=2)
    assert [r["id"] for r in result] == ["beef-us-opening", "beef-japan-opening"]
    assert repr(result) == "<Design comparison: 2 rows>"
    assert len(result.years()) == 4  # two designs, two years
    json_path, html_path = result.write(tmp_path)
    assert json_path.name == "report.json" and html_path.read_text().lstrip().startswith("<")


def test_results_html_shows_the_first_rows_escaped_and_says_how_many_more():
    rows = [{"n": i, "text": "<b>&</b>", "missing": None} for i in range(HTML_ROWS + 5)]
    html = Results.from_rows(rows, "Demo")._repr_html_()
    assert html.count("<tr>") == HTML_ROWS + 1  # the header and the first rows
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in html and "<td>-</td>" in html
    assert "5 more rows: <code>.to_pandas()</code> has them all." in html
    assert repr(Results.from_rows([], "Nothing")) == "<Nothing: 0 rows>"
