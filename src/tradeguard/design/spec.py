"""Safeguard designs as data: a whole measure, or overrides of an encoded agreement.

A design file is YAML (grammar in docs/design-lab.md)::

    id: jaepa-frozen-quarterly-100
    title: "JAEPA frozen beef, but a quarterly trigger at 100% of the prior year's same quarter"
    base: jaepa.beef_frozen_safeguard
    overrides:
      counting_period: quarterly
      trigger: {basis: percent_of_prior_period, percent: 100}
      safeguard_duty@2021-04-01: "30%"

Overrides are validated all-or-nothing (:mod:`tradeguard.design.overrides`): every problem
(an unknown element, overlapping dated overrides, a snap-back above the MFN rate, a negative
trigger, a schema error) is collected and raised together as
:class:`~tradeguard.errors.RuleValidationError`; nothing runs.

Example designs ship inside the package (``tradeguard/design/examples/*.yaml``); wherever a
design file is asked for, an example's name (``beef-us-opening``) will do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from tradeguard.design.document import (
    DESIGN_CITE,
    DESIGN_STATUS,
    Design,
    DesignFile,
    Exemptions,
    TemplateRef,
    mfn_percent,
    percent_of,
    regime_tariff,
)
from tradeguard.design.overrides import DATED, PERIODS, build
from tradeguard.errors import InputError, RuleValidationError, problem
from tradeguard.rules.loader import RuleSet

__all__ = ["DATED", "DESIGN_CITE", "DESIGN_STATUS", "PERIODS", "Design", "DesignFile",
           "Exemptions", "TemplateRef", "baseline", "build", "example_names", "example_paths",
           "find_design_file", "load_design", "load_designs", "mfn_percent", "parse",
           "percent_of", "read_document", "regime_tariff"]


def parse(data: Mapping[str, Any], rules: RuleSet | None = None, *,
          source: str | None = None) -> Design:
    """A design from a mapping (parsed YAML or JSON)."""
    if not isinstance(data, Mapping):
        raise RuleValidationError([problem("a design must be a mapping",
                                           where=source or "design")])
    where = source or f"design `{data.get('id', '?')}`"
    try:
        doc = DesignFile.model_validate(dict(data))
    except ValidationError as exc:
        raise RuleValidationError([
            problem(("unknown element" if e["type"] == "extra_forbidden" else e["msg"]),
                    where=f"{where}, key `{'.'.join(map(str, e['loc']))}`",
                    fix=("remove it or correct its spelling" if e["type"] == "extra_forbidden"
                         else "see docs/design-lab.md"))
            for e in exc.errors()]) from None
    return build(doc, rules, source=source)


# --- files and the shipped examples -------------------------------------------------------


def example_paths() -> list[Path]:
    """The example design files shipped in the package (``tradeguard/design/examples``)."""
    folder = resources.files("tradeguard.design").joinpath("examples")
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(".yaml"))


def example_names() -> list[str]:
    return [p.stem for p in example_paths()]


def find_design_file(path: str | Path) -> Path:
    """A design (or sweep) file: the path itself if it exists, else the shipped example of
    that name (``beef-us-opening`` or ``beef-us-opening.yaml``)."""
    path = Path(path)
    if path.is_file():
        return path
    examples = {p.stem: p for p in example_paths()}
    name = path.name.removesuffix(".yaml")
    if path.parent == Path(".") and name in examples:
        return examples[name]
    raise InputError(problem("no such design file", where=str(path),
                             fix="check the path, or name a shipped example: "
                             + ", ".join(sorted(examples))))


def read_document(path: str | Path) -> tuple[Any, Path]:
    """The parsed YAML of a design or sweep file (a path or an example's name)."""
    found = find_design_file(path)
    try:
        return yaml.safe_load(found.read_text(encoding="utf-8")), found
    except yaml.YAMLError as exc:
        raise RuleValidationError([problem(f"YAML syntax error: {exc}",
                                           where=str(found))]) from None


def load_design(path: str | Path, rules: RuleSet | None = None) -> Design:
    """Read and validate one design file (a path or a shipped example's name)."""
    data, found = read_document(path)
    return parse(data or {}, rules, source=str(found))


def load_designs(paths: Sequence[str | Path], rules: RuleSet | None = None) -> list[Design]:
    """Validate every file; list every problem in every file before failing."""
    problems: list[str] = []
    out = []
    for p in paths:
        try:
            out.append(load_design(p, rules))
        except RuleValidationError as exc:
            problems += exc.problems
    ids = [d.id for d in out]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(problem(f"two designs have the id `{dup}`", fix="rename one"))
    if problems:
        raise RuleValidationError(problems)
    return out


def baseline(measure_id: str, rules: RuleSet | None = None) -> Design:
    """The design with no overrides: the encoded measure itself."""
    return parse({"id": measure_id.replace(".", "-").replace("_", "-"),
                  "title": f"Baseline: {measure_id}", "base": measure_id}, rules)
