"""Documentation covers what users can call: every CLI command and every rule kind."""

from __future__ import annotations

import doctest
import typing
from pathlib import Path

import pytest
import typer.main

from tradeguard.cli import app
from tradeguard.rules import schema as s

ROOT = Path(__file__).parents[1]
DOCS = "\n".join(p.read_text(encoding="utf-8")
                 for p in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))])


def _commands(group: typer.Typer, prefix: str = "") -> list[str]:
    out = [f"{prefix}{c.name or c.callback.__name__}".strip() for c in group.registered_commands]
    for sub in group.registered_groups:
        out += _commands(sub.typer_instance, f"{prefix}{sub.name} ")
    return out


def test_every_cli_command_is_documented():
    commands = _commands(app)
    assert {"duty", "ingest", "status", "timeline", "alerts", "rules validate", "rules report",
            "formula compare"} <= set(commands)
    missing = [c for c in commands if f"tradeguard {c}" not in DOCS]
    assert missing == []


def test_every_rule_kind_is_documented():
    kinds = [typing.get_args(m.model_fields["kind"].annotation)[0]
             for m in typing.get_args(typing.get_args(s.RuleFile)[0])]
    assert len(kinds) == 15
    authoring = (ROOT / "docs" / "rules-authoring.md").read_text(encoding="utf-8")
    assert [k for k in kinds if f"`{k}`" not in authoring] == []


# Examples in the docs are run: a fenced block marked ```pycon is a doctest session, and all the
# blocks of one document share a namespace, the way a reader types them into one interpreter.
FENCED_PYCON = "```pycon\n"


def _doc_sessions() -> list[Path]:
    return [p for p in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
            if FENCED_PYCON in p.read_text(encoding="utf-8")]


def _pycon_blocks(text: str) -> str:
    blocks, rest = [], text
    while FENCED_PYCON in rest:
        _, _, after = rest.partition(FENCED_PYCON)
        block, _, rest = after.partition("```")
        blocks.append(block)
    return "\n".join(blocks)


@pytest.mark.parametrize("doc", _doc_sessions(), ids=lambda p: str(p.relative_to(ROOT)))
def test_docs_examples_run(doc: Path):
    parser = doctest.DocTestParser()
    test = parser.get_doctest(_pycon_blocks(doc.read_text(encoding="utf-8")), {}, doc.name,
                              str(doc), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    out: list[str] = []
    result = runner.run(test, out=out.append)
    assert result.failed == 0, "".join(out)


def test_docs_have_examples_that_run():
    # The semantics document states its rules with examples; at least one session must exist.
    assert ROOT / "docs" / "semantics.md" in _doc_sessions()
