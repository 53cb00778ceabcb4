"""Which of Japan's agreements the rules cover, product group by product group.

One cell per agreement (``economic_partnerships.yaml``) and product group (beef, pork, dairy,
rice, sugar): its treatment as research found it (encoded, partly encoded, excluded, not
encoded, each with a note of what was found or searched), and how sure the rule values
behind it are, counted by status.  The treatment is data; the counts come from the tariff,
quota and safeguard rules of the agreement whose lines fall in the group.  A treatment
that the rules contradict (encoded without a rule, excluded with one) is an error.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import BaseModel

from tradeguard.errors import RuleValidationError, problem
from tradeguard.rules import schema as s
from tradeguard.rules.loader import RuleSet, _walk

GROUPS: tuple[str, ...] = ("beef", "pork", "dairy", "rice", "sugar")
STATUSES: tuple[str, ...] = ("confirmed", "secondary", "derived", "unconfirmed")
_WITH_RULES = {"encoded", "partly_encoded"}
_LABEL = {"encoded": "encoded", "partly_encoded": "partly encoded", "excluded": "excluded",
          "not_encoded": "not encoded"}


@dataclass(frozen=True)
class CoverageCell:
    """One agreement and one product group."""

    agreement: str
    short_name: str
    group: str
    treatment: str
    counts: dict[str, int]
    rules: list[str] = field(default_factory=list)
    status: str | None = None
    note: str | None = None
    citation: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _overlaps(prefixes: list[str], group_lines: list[str]) -> bool:
    """Whether two sets of line prefixes share a line (one is a prefix of the other)."""
    return any(a.startswith(b) or b.startswith(a) for a in prefixes for b in group_lines)


def _rule_lines(doc: BaseModel) -> list[str]:
    if isinstance(doc, s.Tariff):
        return [p for sch in doc.schedules for p in sch.lines]
    return list(getattr(doc, "lines", []))


def _values(doc: BaseModel) -> Counter[str]:
    """Cited values in a rule file, by status (as the rules quality report counts them)."""
    return Counter(m.status for _, m in _walk(doc)
                   if hasattr(m, "cite") and hasattr(m, "status") and m.status in STATUSES)


def _group_rules(rules: RuleSet, agreement: str | None, lines: list[str]) -> list[str]:
    if agreement is None:
        return []
    kinds = s.Tariff | s.TariffQuota | s.VolumeSafeguard
    return sorted(rid for rid, doc in rules.documents.items()
                  if isinstance(doc, kinds) and doc.agreement == agreement
                  and _overlaps(_rule_lines(doc), lines))


def _cell(rules: RuleSet, sources: dict[str, s.Source], key: str, epa: s.EconomicPartnership,
          group: str, lines: list[str]) -> CoverageCell:
    found = epa.products.get(group)  # type: ignore[call-overload]
    ids = _group_rules(rules, epa.encoded_as, lines)
    counts: Counter[str] = Counter()
    for rid in ids:
        counts.update(_values(rules.documents[rid]))
    if found is None:
        return CoverageCell(key, epa.short_name, group, "not_encoded",
                            {st: counts[st] for st in STATUSES}, ids,
                            note="no research finding recorded for this group")
    if found.treatment == "excluded":
        counts[found.status] += 1  # the exclusion is the cell's one value
    cited = sources.get(found.cite)
    return CoverageCell(key, epa.short_name, group, found.treatment,
                        {st: counts[st] for st in STATUSES}, ids, found.status, found.note,
                        cited.text() if cited else found.cite)


def _contradictions(cells: list[CoverageCell]) -> list[str]:
    out = []
    for c in cells:
        if c.treatment in _WITH_RULES and not c.rules:
            out.append(problem(f"{c.short_name} {c.group} is recorded as {_LABEL[c.treatment]} "
                               "but no rule of the agreement covers the group",
                               where=f"economic_partnerships.yaml, agreements.{c.agreement}."
                                     f"products.{c.group}",
                               fix="encode the rules, or record the treatment as not_encoded"))
        elif c.treatment not in _WITH_RULES and c.rules:
            out.append(problem(f"{c.short_name} {c.group} is recorded as {_LABEL[c.treatment]} "
                               f"but {', '.join(c.rules)} cover the group",
                               where=f"economic_partnerships.yaml, agreements.{c.agreement}."
                                     f"products.{c.group}",
                               fix="record the treatment as encoded or partly_encoded"))
    return out


def coverage(rules: RuleSet) -> list[CoverageCell]:
    """Every agreement x product group cell, agreements in entry-into-force order.

    Raises :class:`RuleValidationError` when a recorded treatment contradicts the rules.
    """
    doc = rules.documents.get("economic_partnerships")
    if not isinstance(doc, s.EconomicPartnerships):
        raise RuleValidationError([problem(
            "the rule library has no economic_partnerships.yaml",
            why="the coverage table lists the agreements that file holds",
            fix="add the file (see docs/rules-authoring.md)")])
    groups = dict(doc.product_groups)
    missing = [g for g in GROUPS if g not in groups]
    if missing:
        raise RuleValidationError([problem(
            f"no tariff lines for product group(s) {', '.join(missing)}",
            where="economic_partnerships.yaml, key `product_groups`",
            fix="list each group's line prefixes under `product_groups`")])
    ordered = sorted(doc.agreements.items(), key=lambda kv: (kv[1].entry_into_force, kv[0]))
    cells = [_cell(rules, doc.sources, key, epa, group, list(groups[group]))  # type: ignore[index]
             for key, epa in ordered for group in GROUPS]
    problems = _contradictions(cells)
    if problems:
        raise RuleValidationError(problems)
    return cells


def cell_text(cell: CoverageCell) -> str:
    """``partly encoded (3/5/10/0)``: the treatment and its values by status, in the order
    confirmed / secondary / derived / unconfirmed ([C]/[C2]/[D]/[U])."""
    return f"{_LABEL[cell.treatment]} ({'/'.join(str(cell.counts[st]) for st in STATUSES)})"


def markdown_table(cells: list[CoverageCell]) -> str:
    """The coverage table in Markdown: one row per agreement, one column per group."""
    rows: dict[str, dict[str, CoverageCell]] = {}
    for c in cells:
        rows.setdefault(c.short_name, {})[c.group] = c
    lines = ["| Agreement | " + " | ".join(g.capitalize() for g in GROUPS) + " |",
             "| --- |" + " --- |" * len(GROUPS)]
    for name, by_group in rows.items():
        lines.append(f"| {name} | " + " | ".join(cell_text(by_group[g]) for g in GROUPS) + " |")
    return "\n".join(lines)
