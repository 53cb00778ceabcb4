"""The design lab service: the example designs shipped in the package, and comparisons."""

from __future__ import annotations

from typing import Any

from tradeguard.errors import InputError, problem


class DesignService:
    """Example designs and ``compare`` (back-test and seeded simulation)."""

    def examples(self) -> list[dict[str, Any]]:
        """The example designs (not the sweep specifications), as documents: id, file,
        title, position, base (one list, read once, in ``api/lab.py``)."""
        from tradeguard.api.lab import examples

        return [e | {"file": f"{e['file']}.yaml"} for e in examples()]

    def load_examples(self, ids: list[str]) -> list[Any]:
        """The example designs with these ids, loaded; an unknown id is an input error."""
        from tradeguard.design.spec import example_paths, load_design

        by_file = {p.name: p for p in example_paths()}
        by_id = {e["id"]: by_file[e["file"]] for e in self.examples()}
        unknown = [i for i in ids if i not in by_id]
        if unknown:
            raise InputError(problem(f"unknown design(s) {', '.join(unknown)}",
                                     fix="choose from the listed example designs"))
        return [load_design(by_id[i]) for i in ids]

    def compare(self, designs: list[Any], scenario: Any,
                backtest_years: tuple[int, int] | None = (2015, 2019),
                progress: Any = None) -> dict[str, Any]:
        """``compare`` of the design lab; ``progress`` receives its stages (e.g. a CPU budget
        that stops the run between them)."""
        from tradeguard.design.compare import compare

        return compare(designs, scenario, backtest_years=backtest_years, progress=progress)

