"""The rules service: the rule set, loaded once, and its documents as JSON-ready data."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from tradeguard.api.products import products_for
from tradeguard.api.services.common import iso

if TYPE_CHECKING:
    from tradeguard.rules.loader import RuleSet

# Documents that are reference tables, not measures (left out of the rules browser).
_NOT_MEASURES = ("agreement", "partner_groups", "activations")


class RuleService:
    """The rule set (the shipped library unless given) and its browser views."""

    def __init__(self, rules: RuleSet | None = None):
        self._rules = rules

    @property
    def rules(self) -> RuleSet:
        if self._rules is None:
            from tradeguard.rules.loader import shipped_rules

            self._rules = shipped_rules()
        return self._rules

    def listing(self) -> list[dict[str, str]]:
        return [{"id": rid, "kind": doc.kind, "title": getattr(doc, "title", "")}
                for rid, doc in sorted(self.rules.documents.items())]

    def rule(self, rule_id: str) -> dict[str, Any]:
        """One rule as validated data, with its dated values, statuses and citations."""
        doc = self.rules.rule(rule_id)
        return {"id": rule_id, "kind": doc.kind, "title": getattr(doc, "title", ""),
                "document": doc.model_dump(mode="json", exclude_none=True),
                "values": dated_values(doc)}

    def overview(self) -> dict[str, Any]:
        """Agreements and measures with their dated values (the rules browser)."""
        rules = self.rules
        agreements = [{"id": aid, "title": a.title, "short_name": a.short_name,
                       "status": a.status, "signed_on": iso(a.signed_on),
                       "entry_into_force": iso(a.entry_into_force)}
                      for aid, a in sorted(rules.agreements.items())]
        measures = [_measure(rid, doc) for rid, doc in sorted(rules.documents.items())
                    if doc.kind not in _NOT_MEASURES]
        return {"agreements": agreements, "measures": measures}

    def quality(self, as_of: dt.date, horizon_years: int) -> dict[str, Any]:
        from tradeguard.rules.quality import quality_report

        return quality_report(self.rules, as_of=as_of,
                              horizon_years=horizon_years).model_dump(mode="json")


def _measure(rule_id: str, doc: Any) -> dict[str, Any]:
    values = dated_values(doc)
    counts: dict[str, int] = {}
    for v in values:
        counts[v["status"]] = counts.get(v["status"], 0) + 1
    lines = list(getattr(doc, "lines", None) or [])
    return {"id": rule_id, "kind": doc.kind, "title": getattr(doc, "title", ""),
            "agreement": getattr(doc, "agreement", None), "lines": lines,
            "products": products_for(lines), "statuses": counts, "values": values}


def dated_values(doc: Any) -> list[dict[str, Any]]:
    """Every dated value of a rule document, with its status and citation."""
    from tradeguard.engine.expressions import format_duty
    from tradeguard.rules.quality import dated_paths

    sources = getattr(doc, "sources", None) or {}
    out = []
    for key, values in dated_paths(doc):
        for i, v in enumerate(values):
            stated = v.payload
            if stated is not None and not isinstance(stated, int | float | str):
                stated = format_duty(stated)
            source = sources.get(v.cite)
            out.append({"key": f"{key}[{i}]", "valid_from": iso(v.valid_from),
                        "valid_to": iso(v.valid_to), "value": stated, "status": v.status,
                        "cite": v.cite,
                        "citation": source.text() if source is not None else v.cite,
                        "note": v.note})
    return out
