"""A pytest plugin that runs rule test cases written in YAML.

Cases live in ``tests/rules/**/*.yaml``, mirroring the rule library, and are
meant to be read by a trade lawyer.  A file is a list of cases; each case has a
``name``, the ``rule`` it tests, one question, and what to ``expect``:

``duty``
    A shipment: ``tariff_line``, ``origin``, ``date`` and optionally
    ``customs_value`` (JPY), ``quantity`` (kg) and ``as_of``.  Expect any of
    ``chosen`` (regime), ``ad_valorem_percent``, ``duty_amount``, ``safeguard``,
    ``options`` (the regimes offered), ``warnings`` (the warning codes, in order;
    ``[]`` for none), ``payable`` (any of the amount-payable fields, e.g.
    ``{customs_duty: 234400, total: 301800}``, or ``null``), ``payable_reason`` or
    ``error`` (the error kind).
``value``
    A dated value: ``path`` into the rule (dots; a list item by its ``id`` or
    index, a mapping's entry by its key) and the ``date`` on which to read it.
    Expect the number, the duty text, or ``null`` when nothing is in force.
``member``
    ``group``, ``partner`` and ``date``.  Expect ``true`` or ``false``.
``formula``
    A safeguard template's trigger for a partner: ``share`` (a number or ``"242/590"``),
    ``offset_t``, the instance's ``valid_from`` and the ``date`` to read.  Expect tonnes.

Numbers compare within ``absolute_error_margin`` (default 1e-9).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

_CASE_KEYS = {"name", "rule", "duty", "value", "member", "formula", "expect",
              "absolute_error_margin", "note"}
_QUESTIONS = ("duty", "value", "member", "formula")


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.File | None:
    if file_path.suffix == ".yaml" and "rules" in file_path.parts and "tests" in file_path.parts:
        return RuleCaseFile.from_parent(parent, path=file_path)
    return None


class RuleCaseFile(pytest.File):
    def collect(self):
        cases = yaml.load(self.path.read_text(encoding="utf-8"),
                          Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        if not isinstance(cases, list):
            raise pytest.UsageError(f"{self.path}: a rule case file is a list of cases")
        for i, case in enumerate(cases):
            yield RuleCase.from_parent(self, name=case.get("name", f"case {i}"), case=case)


class RuleCaseError(Exception):
    pass


class RuleCase(pytest.Item):
    def __init__(self, *, case: dict[str, Any], **kwargs: Any):
        super().__init__(**kwargs)
        self.case = case

    def runtest(self) -> None:
        unknown = set(self.case) - _CASE_KEYS
        if unknown:
            raise RuleCaseError(f"unknown key(s) {sorted(unknown)}; allowed: {sorted(_CASE_KEYS)}")
        questions = [k for k in _QUESTIONS if k in self.case]
        if len(questions) != 1 or "expect" not in self.case or "rule" not in self.case:
            raise RuleCaseError("a case needs `rule`, exactly one of duty/value/member/formula, "
                                "and `expect`")
        margin = float(self.case.get("absolute_error_margin", 1e-9))
        getattr(self, f"_run_{questions[0]}")(self.case[questions[0]], self.case["expect"], margin)

    # --- the three kinds of question -------------------------------------------------

    def _run_duty(self, question: dict[str, Any], expect: dict[str, Any], margin: float) -> None:
        from tradeguard.engine.duty import duty
        from tradeguard.errors import TradeguardError

        args = dict(question)
        as_of = args.pop("as_of", args["date"])
        try:
            result = duty(args.pop("tariff_line"), args.pop("origin"), args.pop("date"),
                          as_of=as_of, **args)
        except TradeguardError as exc:
            if "error" in expect:
                _check("error", type(exc).__name__, expect["error"], margin)
                return
            raise
        if "error" in expect:
            raise AssertionError(f"expected {expect['error']}, got an answer: {result.chosen}")
        chosen = result.chosen
        actual = {
            "chosen": chosen.regime if chosen else None,
            "ad_valorem_percent": chosen.ad_valorem_percent if chosen else None,
            "duty_amount": chosen.duty_amount if chosen else None,
            "safeguard": chosen.safeguard if chosen else None,
            "options": sorted(o.regime for o in result.options),
            "warnings": [w.code for w in result.warnings],
            "payable": (result.payable.model_dump(exclude={"steps", "notes"})
                        if result.payable else None),
            "payable_reason": result.payable_reason,
        }
        for key, want in expect.items():
            if key not in actual:
                raise RuleCaseError(f"cannot expect `{key}`; use one of {sorted(actual)}")
            _check(key, actual[key], sorted(want) if key == "options" else want, margin)

    def _run_value(self, question: dict[str, Any], expect: Any, margin: float) -> None:
        from tradeguard.engine.expressions import format_duty, parse_duty
        from tradeguard.rules.lookup import value_on

        node: Any = _rules().rule(self.case["rule"])
        for token in str(question["path"]).split("."):
            node = _step(node, token)
        found = value_on(node, question["date"], question.get("as_of", question["date"]))
        if found is None:
            actual = None
        else:
            entry = found[1]
            actual = format_duty(entry.duty) if hasattr(entry, "duty") else entry.value
            if hasattr(entry, "duty") and isinstance(expect, str):
                expect = format_duty(parse_duty(expect))
        _check(str(question["path"]), actual, expect, margin)

    def _run_member(self, question: dict[str, Any], expect: Any, margin: float) -> None:
        from tradeguard.rules.schema import PartnerScope
        from tradeguard.rules.scope import covered_on

        scope = PartnerScope(include=[f"group:{question['group']}"])
        actual = covered_on(scope, question["partner"], question["date"], _rules().groups)
        _check("member", actual, expect, margin)

    def _run_formula(self, question: dict[str, Any], expect: Any, margin: float) -> None:
        from tradeguard.rules.lookup import value_on
        from tradeguard.rules.schema import _fraction
        from tradeguard.rules.templates import trigger_path

        path = trigger_path(_rules(), self.case["rule"], valid_from=question["valid_from"],
                            share=_fraction(question.get("share")),
                            offset_t=question.get("offset_t"))
        found = value_on(path, question["date"], question["date"])
        _check("formula", None if found is None else found[1].value, expect, margin)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, AssertionError | RuleCaseError):
            return f"{self.path.name} :: {self.name}\n  {excinfo.value}"
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"rule case: {self.name}"


def _rules() -> Any:
    from tradeguard.rules.loader import shipped_rules

    return shipped_rules()


def _step(node: Any, token: str) -> Any:
    if isinstance(node, dict):
        if token not in node:
            raise RuleCaseError(f"no key `{token}`; use one of {sorted(node)}")
        return node[token]
    if isinstance(node, list):
        if token.isdigit():
            return node[int(token)]
        for item in node:
            if getattr(item, "id", None) == token:
                return item
        raise RuleCaseError(f"no list item with id `{token}`")
    if not hasattr(node, token):
        raise RuleCaseError(f"no key `{token}` in {type(node).__name__}")
    return getattr(node, token)


def _check(what: str, actual: Any, expected: Any, margin: float) -> None:
    if isinstance(actual, Decimal) and not isinstance(expected, bool | str | None):
        actual = float(actual)  # amounts are exact decimals; cases write plain numbers
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key, want in expected.items():
            if key not in actual:
                raise RuleCaseError(f"cannot expect `{what}.{key}`; use one of {sorted(actual)}")
            _check(f"{what}.{key}", actual[key], want, margin)
        return
    if (isinstance(expected, int | float) and not isinstance(expected, bool)
            and isinstance(actual, int | float)):
        if abs(actual - expected) > margin:
            raise AssertionError(f"{what}: expected {expected}, got {actual}")
    elif actual != expected:
        raise AssertionError(f"{what}: expected {expected!r}, got {actual!r}")


def case_dates(case: dict[str, Any]) -> list[dt.date]:
    """The days a case asks about (used by the boundary-coverage test)."""
    question = next((case[k] for k in _QUESTIONS if k in case), {})
    day = question.get("date")
    return [day] if isinstance(day, dt.date) else []
