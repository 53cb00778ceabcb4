"""Documentation covers what users can call: every CLI command and every rule kind."""

from __future__ import annotations

import typing
from pathlib import Path

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
    assert len(kinds) == 10
    authoring = (ROOT / "docs" / "rules-authoring.md").read_text(encoding="utf-8")
    assert [k for k in kinds if f"`{k}`" not in authoring] == []
