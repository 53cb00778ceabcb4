"""The allowed import directions of docs/architecture.md, checked on the source with ``ast``.

Each rule names a package of ``tradeguard`` and what it may not import.  The arrows that break a
rule today are listed in ``KNOWN_DEBT``, each with the move that removes it (issue "One home for
each idea").  The list may only shrink: a new forbidden arrow fails, and so does a listed arrow
that no longer exists, so that the list stays true.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parents[1] / "src" / "tradeguard"
CORE = ("rules", "engine", "data", "monitor", "design", "surge")
FACES = ("api", "web", "cli")
FACE_LIBRARIES = ("fastapi", "starlette", "jinja2", "rich", "uvicorn")

# (package, forbidden target, why).  A target is a project package or a third-party library.
RULES = [
    *[(core, face, "the core never imports a face") for core in CORE for face in FACES],
    *[(core, lib, "the core never imports a web or terminal library")
      for core in CORE for lib in FACE_LIBRARIES],
    *[("rules", other, "rules import only periods and errors")
      for other in ("engine", "data", "monitor", "design", "surge", "testing")],
    ("engine", "monitor", "the engine does not import the monitor"),
    *[("data", other, "data imports no safeguard logic")
      for other in ("engine", "monitor", "design", "surge")],
    *[(base, other, f"{base} sits at the base and imports nothing of the project")
      for base in ("periods", "units", "reference", "environment")
      for other in (*CORE, *FACES, "testing")],
]

# Arrows that break a rule today, as (module, imported name).  Remove an entry with its import.
KNOWN_DEBT: set[tuple[str, str]] = set()  # empty: the last arrows went with issue 12


def _imports() -> set[tuple[str, str]]:
    arrows = set()
    for path in PACKAGE.rglob("*.py"):
        module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                arrows |= {(module, alias.name) for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                arrows.add((module, node.module))
    return arrows


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if parts[0] == "tradeguard" and len(parts) > 1 else parts[0]


def _forbidden(arrows: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    found = {}
    for module, target in arrows:
        if not module.startswith("tradeguard."):
            continue
        for source, banned, why in RULES:
            if _package(module) == source and _package(target) == banned:
                found[(module, target)] = why
    return found


def test_no_new_forbidden_import():
    new = {arrow: why for arrow, why in _forbidden(_imports()).items()
           if arrow not in KNOWN_DEBT}
    assert new == {}


def test_known_debt_is_still_true():
    # An entry whose import is gone must leave the list, so the list never overstates the debt.
    assert KNOWN_DEBT - set(_forbidden(_imports())) == set()


def test_the_desk_calls_the_services_never_the_app():
    # web -> api/app.py and back was a cycle; the desk's pages call api/services/ instead
    targets = {target for module, target in _imports() if _package(module) == "web"}
    assert "tradeguard.api.services" in targets
    assert "tradeguard.api.app" not in targets


def test_the_checker_sees_a_forbidden_arrow():
    arrows = {("tradeguard.engine.duty", "tradeguard.monitor.report"),
              ("tradeguard.rules.schema", "tradeguard.errors"),
              ("tradeguard.api.app", "fastapi")}
    assert set(_forbidden(arrows)) == {("tradeguard.engine.duty", "tradeguard.monitor.report")}
