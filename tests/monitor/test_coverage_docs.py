"""The example of the "Coverage" section of docs/semantics.md runs, and its assertions hold."""

from __future__ import annotations

import re
from pathlib import Path

SEMANTICS = Path(__file__).parents[2] / "docs" / "semantics.md"


def _coverage_examples() -> list[str]:
    section = SEMANTICS.read_text(encoding="utf-8").split("\n## Coverage\n", 1)[1]
    section = section.split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def test_the_coverage_section_example_runs_and_holds():
    examples = _coverage_examples()
    assert len(examples) == 1
    namespace: dict = {}
    exec(compile(examples[0], f"{SEMANTICS}:Coverage", "exec"), namespace)
    assert namespace["wto"]["coverage"] == "none"
    assert namespace["jaepa"]["crossing_date"] == "2015-03-31"
