"""Build a design's measure from its document: one key parser and a table of override handlers.

A design file's ``overrides`` maps keys to values::

    counting_period: quarterly                       # a convenience element
    trigger: {basis: percent_of_prior_period, percent: 100}
    conditions.aggregate.trigger.volumes@2020-04-01: 500000   # a dated element
    safeguard_duty@2021-04-01..2022-03-31: "35%"     # a dated range

Every key goes through :func:`parse_key`; plain keys go to the handler named by their first
element (:data:`HANDLERS`), anything else sets the element of the measure it names; dated
keys are checked for overlaps and spliced into the element's dated list (:data:`SPLICERS`).
Every problem is collected and raised together as
:class:`~tradeguard.errors.RuleValidationError`; nothing runs.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import re
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from tradeguard.design.document import (
    DESIGN_CITE,
    DESIGN_STATUS,
    Design,
    DesignFile,
    Exemptions,
    mfn_percent,
    percent_of,
    regime_tariff,
)
from tradeguard.errors import RuleValidationError, TradeguardError, problem
from tradeguard.rules import schema as s
from tradeguard.rules.loader import RuleSet, shipped_rules

_ID = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")
_DATE = r"\d{4}-\d{2}-\d{2}"
_KEY = re.compile(rf"^(?P<path>[A-Za-z_][A-Za-z0-9_\-]*(\.[A-Za-z0-9_\-]+)*)"
                  rf"(@(?P<start>{_DATE})(\.\.(?P<end>{_DATE}))?)?$")
_CONDITION_PREFIX = re.compile(r"^conditions\.[^.]+\.")
_ELEMENTS_FIX = "see the element list in docs/design-lab.md"

#: Counting periods a design may name, and what the rules call them.
PERIODS = {"annual": "fiscal_year", "cumulative_quarters": "fiscal_quarters_cumulative",
           "quarterly": "fiscal_quarters_cumulative"}
#: Dated-list elements, which accept ``@date`` keys; value key in each entry.
DATED = {"safeguard_duty": "duty", "tariff": "duty", "trigger.volumes": "value",
         "trigger.percent": "value"}
#: Elements a design may not change.
FIXED_ELEMENTS = ("kind", "sources")


# --- keys -------------------------------------------------------------------------------


class BadKey(ValueError):
    """An override key that does not parse; ``args[0]`` is the problem text."""


@dataclass(frozen=True)
class OverrideKey:
    """``element``, ``element@FROM`` or ``element@FROM..TO``."""

    path: str
    start: dt.date | None = None
    end: dt.date | None = None

    @property
    def parts(self) -> list[str]:
        return self.path.split(".")

    @property
    def generic(self) -> str:
        """The element without its condition: ``conditions.x.trigger.volumes`` →
        ``trigger.volumes``."""
        return _CONDITION_PREFIX.sub("", self.path)


def parse_key(key: str, where: str) -> OverrideKey:
    """Parse an override key; raises :class:`BadKey` with the problem in the user's words."""
    m = _KEY.match(str(key))
    if m is None:
        raise BadKey(problem("the key is not `element`, `element@YYYY-MM-DD` or "
                             "`element@YYYY-MM-DD..YYYY-MM-DD`", where=where,
                             fix="see the key grammar in docs/design-lab.md"))
    if not m["start"]:
        return OverrideKey(m["path"])
    try:
        start = dt.date.fromisoformat(m["start"])
        end = dt.date.fromisoformat(m["end"]) if m["end"] else None
    except ValueError as exc:
        raise BadKey(problem(f"bad date: {exc}", where=where, fix="write YYYY-MM-DD")) from None
    if end is not None and end < start:
        raise BadKey(problem(f"the range ends ({end}) before it starts ({start})", where=where,
                             fix="swap the dates"))
    parsed = OverrideKey(m["path"], start, end)
    if parsed.generic not in DATED:
        raise BadKey(problem(f"`{parsed.path}` is not a dated element", where=where,
                             fix="dated keys are allowed on: " + ", ".join(sorted(DATED))
                             + " (per condition: conditions.<id>.trigger.volumes/percent)"))
    return parsed


# --- the measure being built ------------------------------------------------------------


@dataclass
class Draft:
    """A design's measure (as a dict) while its overrides are applied."""

    measure: dict
    rules: RuleSet
    period_mode: str
    exemptions: Exemptions
    valid_from: dt.date
    lines: list[str]
    tariffs: dict[str, list[tuple[dt.date, float]]]
    problems: list[str] = field(default_factory=list)
    set_duties: list[dt.date] = field(default_factory=list)

    @classmethod
    def of(cls, measure: dict, rules: RuleSet) -> Draft:
        valid_from = measure.get("valid_from")
        regime = (measure.get("hits_regimes") or [None])[0]
        lines = [str(x).replace(".", "") for x in measure.get("lines") or []]
        return cls(measure, rules,
                   "annual" if measure.get("period") == "fiscal_year" else "cumulative_quarters",
                   Exemptions(in_quota=bool(measure.get("exempt_in_quota", True))),
                   _as_date(valid_from) if valid_from is not None else dt.date(2000, 4, 1),
                   lines,
                   {ln: regime_tariff(rules, regime, ln) for ln in lines} if regime else {})

    @property
    def conditions(self) -> list[dict]:
        return self.measure.get("conditions", [])

    def condition_ids(self) -> list[str]:
        return [str(c.get("id")) for c in self.conditions if isinstance(c, dict)]


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def dated_entry(key: str, start: dt.date, value: Any, end: dt.date | None = None) -> dict:
    """One entry of a dated list, set by the design."""
    entry = {"valid_from": start, "status": DESIGN_STATUS, "cite": DESIGN_CITE,
             "note": "set by the design"}
    if DATED.get(key, "value") == "duty":
        entry["duty"] = f"{value}%" if isinstance(value, int | float) else value
    else:
        entry["value"] = value
    if end is not None:
        entry["valid_to"] = end
    return entry


def _duty_dates(value: Any) -> list[dt.date]:
    return [_as_date(e.get("valid_from")) for e in value
            if isinstance(e, dict) and e.get("valid_from")]


def _trigger_from_short(value: Any, valid_from: dt.date, where: str,
                        problems: list[str]) -> dict | None:
    if not isinstance(value, dict):
        problems.append(problem("`trigger` must be a mapping", where=where,
                                fix="write e.g. {basis: percent_of_prior_period, percent: 100}"))
        return None
    out = dict(value)
    out.setdefault("basis", "fixed" if "volumes" in out else "percent_of_prior_period")
    for name in ("percent", "volumes"):
        v = out.get(name)
        if isinstance(v, int | float):
            out[name] = [dated_entry("trigger." + name, valid_from, float(v))]
        elif isinstance(v, dict):  # {date: value}
            out[name] = [dated_entry("trigger." + name, _as_date(d), float(x))
                         for d, x in sorted(v.items(), key=lambda kv: str(kv[0]))]
    return out


# --- plain overrides: one handler per convenience element --------------------------------

Handler = Callable[[Draft, list[str], Any, str], None]


def _counting_period(draft: Draft, parts: list[str], value: Any, where: str) -> None:
    if value not in PERIODS:
        draft.problems.append(problem(f"unknown counting period `{value}`", where=where,
                                      fix="use annual, quarterly or cumulative_quarters"))
        return
    draft.measure["period"], draft.period_mode = PERIODS[value], value


def _trigger(draft: Draft, parts: list[str], value: Any, where: str) -> None:
    if len(parts) > 1:
        _trigger_element(draft, parts[1:], value, where)
        return
    trig = _trigger_from_short(value, draft.valid_from, where, draft.problems)
    if trig is not None:
        for cond in draft.conditions:
            cond["trigger"] = copy.deepcopy(trig)


def _trigger_element(draft: Draft, parts: list[str], value: Any, where: str) -> None:
    """``trigger.<field>``: set one field of every condition's trigger."""
    if not (len(parts) == 1 and parts[0] in s.Trigger.model_fields):
        draft.problems.append(problem(f"unknown element `trigger.{'.'.join(parts)}`",
                                      where=where, fix=_ELEMENTS_FIX))
        return
    for cond in draft.conditions:
        cond.setdefault("trigger", {})[parts[0]] = copy.deepcopy(value)


def _partners(draft: Draft, parts: list[str], value: Any, where: str) -> None:
    if not isinstance(value, list | str | dict):
        draft.problems.append(problem("`partners` must be a partner list", where=where))
        return
    draft.measure["hits"] = value
    for cond in draft.conditions:
        cond["counting"] = dict(cond.get("counting") or {}, partners=value)


def _snap_back(draft: Draft, parts: list[str], value: Any, where: str) -> None:
    if isinstance(value, int | float | str):
        draft.measure["safeguard_duty"] = [dated_entry("safeguard_duty", draft.valid_from,
                                                       value)]
        draft.set_duties.append(draft.valid_from)
    else:
        draft.measure["safeguard_duty"] = value
        draft.set_duties += _duty_dates(value)


def _tariff(draft: Draft, parts: list[str], value: Any, where: str) -> None:
    if not isinstance(value, int | float | str):
        draft.problems.append(problem("a whole `tariff` must be one rate; use tariff@DATE "
                                      "keys for a path", where=where))
        return
    try:
        pct = float(percent_of(value) or 0.0)
    except ValueError as exc:
        draft.problems.append(problem(f"bad tariff rate: {exc}", where=where))
        return
    draft.tariffs = {ln: [(draft.valid_from, pct)] for ln in draft.lines}


def _exemptions(draft: Draft, parts: list[str], value: Any, where: str) -> None:
    data = draft.exemptions.model_dump()
    try:
        if len(parts) == 1:
            data = dict(value)
        else:
            data[parts[1]] = value
        draft.exemptions = Exemptions.model_validate(data)
    except (ValidationError, TypeError, ValueError) as exc:  # not a mapping, or bad values
        draft.problems.append(problem(f"bad exemptions: {exc}", where=where))
        return
    draft.measure["exempt_in_quota"] = draft.exemptions.in_quota


def _trigger_scale(draft: Draft, parts: list[str], value: Any, where: str) -> None:
    if not isinstance(value, int | float) or value < 0:
        draft.problems.append(problem(f"`trigger_scale` must be a number, zero or more "
                                      f"(got {value!r})", where=where))
        return
    for cond in draft.conditions:
        trig = cond.get("trigger") or {}
        for entry in (trig.get("volumes") or []) + (trig.get("percent") or []):
            if isinstance(entry.get("value"), int | float):
                entry["value"] = float(entry["value"]) * value


def _late_crossing(draft: Draft, parts: list[str], value: Any, where: str) -> None:
    duration = draft.measure.setdefault("duration", {})
    if len(parts) != 2:  # the whole list
        duration["late_crossing"] = value
        return
    month = int(parts[1]) if parts[1].isdigit() else 0
    if not 1 <= month <= 12:
        draft.problems.append(problem(f"`{'.'.join(parts)}`: the month must be 1-12",
                                      where=where))
        return
    kept = [r for r in duration.get("late_crossing") or [] if r.get("month") != month]
    if value not in (None, 0):
        kept.append({"month": month, "days": value})
    duration["late_crossing"] = sorted(kept, key=lambda r: r["month"])


#: Plain overrides handled by name (first element of the key).  ``whole`` handlers take only
#: the bare name; a longer key with that name sets the measure's element like any other.
HANDLERS: dict[str, tuple[Handler, bool]] = {
    "counting_period": (_counting_period, True),
    "trigger": (_trigger, False),
    "partners": (_partners, True),
    "snap_back": (_snap_back, True),
    "safeguard_duty": (_snap_back, True),
    "tariff": (_tariff, True),
    "exemptions": (_exemptions, False),
    "trigger_scale": (_trigger_scale, True),
    "late_crossing": (_late_crossing, False),
}


def _element(draft: Draft, parts: list[str], value: Any, where: str) -> None:
    """Any other key: set the element of the measure it names."""
    if parts[0] in FIXED_ELEMENTS:
        draft.problems.append(problem(f"`{parts[0]}` cannot be overridden", where=where))
        return
    if len(parts) == 3 and parts[0] == "conditions" and parts[2] == "trigger" \
            and isinstance(value, dict):
        value = _trigger_from_short(value, draft.valid_from, where, draft.problems)
        if value is None:
            return
    _set_path(draft, parts, copy.deepcopy(value), where)
    if parts[0] == "safeguard_duty" and isinstance(value, list):
        draft.set_duties += _duty_dates(value)


def apply_plain(draft: Draft, key: OverrideKey, value: Any, where: str) -> None:
    handler, whole = HANDLERS.get(key.parts[0], (None, False))
    if handler is not None and (len(key.parts) == 1 or not whole):
        handler(draft, key.parts, value, where)
    else:
        _element(draft, key.parts, value, where)


def _set_path(draft: Draft, parts: list[str], value: Any, where: str) -> None:
    """Set ``parts`` inside the measure dict; ``conditions.<id>`` selects a condition."""
    node: Any = draft.measure
    for i, part in enumerate(parts):
        trail = ".".join(parts[:i])
        if isinstance(node, list):  # conditions by id
            node = next((c for c in node if isinstance(c, dict) and c.get("id") == part), None)
            if node is None:
                draft.problems.append(problem(
                    f"unknown condition `{part}` in `{trail}`", where=where,
                    fix="use one of: " + ", ".join(draft.condition_ids())))
                return
        elif not isinstance(node, dict):
            draft.problems.append(problem(f"`{trail}` has no element `{part}`", where=where,
                                          fix=_ELEMENTS_FIX))
            return
        elif part not in node and not _known_field(parts[:i + 1]):
            draft.problems.append(problem(f"unknown element `{'.'.join(parts[:i + 1])}`",
                                          where=where, fix=_ELEMENTS_FIX))
            return
        elif i == len(parts) - 1:
            node[part] = value
            return
        else:
            if node.get(part) is None:
                node[part] = {}
            node = node[part]
    draft.problems.append(problem(f"`{'.'.join(parts)}` is a whole condition", where=where,
                                  fix="override its elements, e.g. "
                                  f"`{'.'.join(parts)}.trigger`"))


def _known_field(parts: list[str]) -> bool:
    model: Any = s.VolumeSafeguard
    for part in parts:
        if model is s.VolumeSafeguard and part == "conditions":
            model = list
        elif model is list:  # a condition id
            model = s.Condition
        else:
            fields = getattr(model, "model_fields", None)
            if not fields or part not in fields:
                return False
            model = _inner_model(fields[part].annotation)
    return True


def _inner_model(ann: Any) -> Any:
    candidates = [ann, *typing.get_args(ann)]
    candidates += [sub for arg in candidates for sub in typing.get_args(arg)]
    return next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)),
                None)


# --- dated overrides: splice into the element's dated list -------------------------------

Edit = tuple[dt.date, dt.date | None, Any]


def splice(entries: list[dict], edits: list[Edit], key: str) -> list[dict]:
    """Apply dated edits (sorted, non-overlapping) to a start-dated list of dicts."""
    out = [dict(e) for e in entries]
    for i, (start, end, value) in enumerate(edits):
        nxt = edits[i + 1][0] if i + 1 < len(edits) else None
        stop = end + dt.timedelta(days=1) if end is not None else nxt
        # The base value in force when an explicit range ends resumes the day after.
        resume = None
        if end is not None and (nxt is None or nxt > stop):
            before = [e for e in out if e["valid_from"] <= stop]
            if before:
                resume = dict(before[-1], valid_from=stop)
        out = [e for e in out if e["valid_from"] < start
               or (stop is not None and e["valid_from"] >= stop)]
        out.append(dated_entry(key, start, value))
        if resume is not None:
            out.append(resume)
        out.sort(key=lambda e: e["valid_from"])
    # Drop stated ends that now run into a later value.
    for a, b in itertools.pairwise(out):
        if a.get("valid_to") is not None and a["valid_to"] >= b["valid_from"]:
            a["valid_to"] = None
    return out


def _splice_tariff(draft: Draft, key: OverrideKey, edits: list[Edit], where: str) -> None:
    current = [{"valid_from": d, "duty": f"{p}%"}
               for d, p in next(iter(draft.tariffs.values()), [])]
    try:
        path = [(e["valid_from"], float(percent_of(e["duty"]) or 0.0))
                for e in splice(current, edits, "tariff")]
    except ValueError as exc:
        draft.problems.append(problem(f"bad tariff rate: {exc}", where=where))
        return
    draft.tariffs = {ln: list(path) for ln in draft.lines}


def _splice_duty(draft: Draft, key: OverrideKey, edits: list[Edit], where: str) -> None:
    draft.measure["safeguard_duty"] = splice(draft.measure.get("safeguard_duty") or [], edits,
                                             "safeguard_duty")
    draft.set_duties += [e[0] for e in edits]


def _splice_trigger(draft: Draft, key: OverrideKey, edits: list[Edit], where: str) -> None:
    name = key.generic.split(".")[1]  # volumes | percent
    conds = draft.conditions
    if key.path.startswith("conditions."):
        cid = key.parts[1]
        conds = [c for c in conds if c.get("id") == cid]
        if not conds:
            draft.problems.append(problem(f"unknown condition `{cid}`", where=where,
                                          fix="use one of: " + ", ".join(draft.condition_ids())))
            return
    for cond in conds:
        trig = cond.setdefault("trigger", {})
        trig[name] = splice(trig.get(name) or [], edits, "trigger." + name)


#: Dated elements and how their edits are spliced in.
SPLICERS = {"tariff": _splice_tariff, "safeguard_duty": _splice_duty,
            "trigger.volumes": _splice_trigger, "trigger.percent": _splice_trigger}


def apply_dated(draft: Draft, key: OverrideKey, edits: list[tuple[Edit, str]]) -> None:
    """All dated edits of one element: refuse overlaps, then splice."""
    edits = sorted(edits, key=lambda e: e[0][0])
    clash = False
    for (a, _), (b, where) in itertools.pairwise(edits):
        if a[0] == b[0] or (a[1] is not None and a[1] >= b[0]):
            span = f"{a[0]}..{a[1]}" if a[1] else f"{a[0]}"
            draft.problems.append(problem(
                f"dated overrides of `{key.path}` overlap: {span} and {b[0]}", where=where,
                fix="make the ranges disjoint: a plain @FROM runs until the next override"))
            clash = True
    if clash:
        return
    where = edits[0][1]
    if key.generic in ("tariff", "safeguard_duty") and key.path != key.generic:
        draft.problems.append(problem(f"`{key.path}` is not a dated element", where=where,
                                      fix="per condition only trigger.volumes and "
                                      "trigger.percent are dated"))
        return
    SPLICERS[key.generic](draft, key, [e for e, _ in edits], where)


# --- checks -----------------------------------------------------------------------------


def _negative_triggers(draft: Draft, where: str) -> None:
    for cond in draft.conditions:
        trig = cond.get("trigger") or {}
        for name in ("volumes", "percent"):
            for entry in trig.get(name) or []:
                v = entry.get("value") if isinstance(entry, dict) else None
                if isinstance(v, int | float) and v < 0:
                    draft.problems.append(problem(
                        f"negative trigger {name[:-1] if name == 'volumes' else name} {v:g} "
                        f"from {entry.get('valid_from')}",
                        where=f"{where}, condition `{cond.get('id')}`",
                        fix="a trigger is a volume or a percentage, zero or more"))


def _snap_back_above_mfn(draft: Draft, dated: list[dt.date] | None, where: str) -> None:
    """Every snap-back rate the design sets must be at most the MFN rate in force then."""
    measure = draft.measure
    if measure.get("remedy", "replace") != "replace":
        return
    lines = measure.get("lines") or []
    line = str(lines[0]).replace(".", "") if lines else ""
    for entry in measure.get("safeguard_duty") or []:
        day = entry.get("valid_from")
        if (dated is not None and day not in dated) or not isinstance(day, dt.date):
            continue
        try:
            pct = percent_of(entry.get("duty"))
        except ValueError:
            continue  # the schema check reports a bad expression
        mfn = mfn_percent(draft.rules, line, day)
        if pct is not None and mfn is not None and pct > mfn + 1e-9:
            draft.problems.append(problem(
                f"snap-back rate {pct:g}% from {day} is above the MFN rate of {mfn:g}%",
                where=f"{where}, key `safeguard_duty`",
                why="a snap-back may not exceed the MFN applied rate (CPTPP Appendix B-1 A)",
                fix=f"set it to at most {mfn:g}%"))


def _negative_tariffs(draft: Draft, where: str) -> None:
    for ln, path in draft.tariffs.items():
        for day, pct in path:
            if pct < 0:
                draft.problems.append(problem(f"negative tariff {pct:g}% from {day} on {ln}",
                                              where=where))


def _validated(draft: Draft, where: str) -> s.VolumeSafeguard | None:
    try:
        built = s.VolumeSafeguard.model_validate(draft.measure)
    except ValidationError as exc:
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"] if "function-" not in str(p))
            draft.problems.append(problem(err["msg"].removeprefix("Value error, "),
                                          where=f"{where}, element `{loc or '(top level)'}`",
                                          fix="correct or drop the override"))
        return None
    draft.problems += _reference_problems(built, draft.rules, where)
    separate = ("fixed", "percent_of_prior_period", "percent_of_average", "percent_of_largest")
    if draft.period_mode == "quarterly" and any(c.trigger.basis not in separate
                                                for c in built.conditions):
        draft.problems.append(problem("a separate-quarter trigger needs a fixed or percentage "
                                      "basis", where=where))
    return built


def _reference_problems(m: s.VolumeSafeguard, rules: RuleSet, where: str) -> list[str]:
    from tradeguard.data.partners import is_known_partner

    out = []
    # A quota's claims go by its own regime, or by its agreement's in the import data.
    regimes = ({t.regime for t in rules.tariffs.values()}
               | {r for q in rules.quotas.values() for r in (q.regime, q.agreement)})
    out += [problem(f"regime `{r}` has no tariff or quota", where=f"{where}, `hits_regimes`")
            for r in m.hits_regimes if r not in regimes]
    scopes = [("hits", m.hits)] + [(f"conditions.{c.id}.counting.partners", c.counting.partners)
                                   for c in m.conditions]
    for key, scope in scopes:
        for ref in scope.references():
            if ref.startswith("group:") and ref.removeprefix("group:") not in rules.groups:
                out.append(problem(f"unknown partner group `{ref}`", where=f"{where}, `{key}`"))
            elif not ref.startswith("group:") and not is_known_partner(ref):
                out.append(problem(f"`{ref}` is not a partner code", where=f"{where}, `{key}`",
                                   fix="write ISO codes such as US, AU"))
    for c in m.conditions:
        target, _, cid = (c.trigger.same_as or "").partition("#")
        other = rules.safeguards.get(target) if target else None
        if c.trigger.same_as and (other is None or cid not in {x.id for x in other.conditions}):
            out.append(problem(f"`same_as: {c.trigger.same_as}` names no safeguard condition",
                               where=f"{where}, condition `{c.id}`"))
    return out


# --- building ---------------------------------------------------------------------------


def _base_measure(doc: DesignFile, rules: RuleSet, where: str) -> dict:
    """The measure the overrides start from, as a dict the builder may change."""
    if sum(x is not None for x in (doc.base, doc.template, doc.measure, doc.quota)) != 1:
        raise RuleValidationError([problem("give exactly one of `base`, `template`, `measure` "
                                           "or `quota`", where=where,
                                           fix="see docs/design-lab.md")])
    if doc.quota is not None:
        from tradeguard.design.quota import quota_measure

        return quota_measure(doc.quota, rules, where)
    if doc.base is not None:
        found = rules.safeguards.get(doc.base)
        if found is None:
            raise RuleValidationError([problem(
                f"`base: {doc.base}` is not a volume safeguard", where=where,
                fix="use one of: " + ", ".join(sorted(rules.safeguards)))])
        return found.model_dump()  # a fresh dict: no copy needed
    if doc.template is not None:
        return _template_measure(doc.template, rules, where)
    measure = copy.deepcopy(dict(doc.measure or {}))  # the document's own dicts stay as read
    measure.setdefault("kind", "volume_safeguard")
    return measure


def _template_measure(t, rules: RuleSet, where: str) -> dict:
    from tradeguard.rules.templates import instantiate

    try:
        return instantiate(rules, t.id, partners=t.partners, agreement=t.agreement,
                           regime=t.regime, valid_from=t.valid_from, share=t.share,
                           offset_t=t.offset_t).model_dump()
    except TradeguardError as exc:
        raise RuleValidationError([problem(f"template `{t.id}` could not be instantiated: "
                                           f"{exc}", where=f"{where}, key `template`")]) from None


def _read_keys(doc: DesignFile, where: str, problems: list[str]):
    """Parse every key: (plain keys with their values, dated edits by element)."""
    plain: list[tuple[OverrideKey, Any, str]] = []
    dated: dict[str, tuple[OverrideKey, list]] = {}
    for key, value in (doc.overrides or {}).items():
        kw = f"{where}, override `{key}`"
        try:
            parsed = parse_key(key, kw)
        except BadKey as exc:
            problems.append(exc.args[0])
            continue
        if parsed.start is None:
            plain.append((parsed, value, kw))
        else:
            dated.setdefault(parsed.path, (parsed, []))[1].append(
                ((parsed.start, parsed.end, value), kw))
    return plain, dated


def build(doc: DesignFile, rules: RuleSet | None = None, *, source: str | None = None) -> Design:
    """Validate a design document and build its measure; every problem is listed at once."""
    rules = rules or shipped_rules()
    where = source or f"design `{doc.id}`"
    problems: list[str] = []
    if not _ID.match(doc.id):
        problems.append(problem(f"id `{doc.id}` must be lower-case letters, digits, - or _",
                                where=where, fix="rename the design"))
    try:
        measure = _base_measure(doc, rules, where)
    except RuleValidationError as exc:
        raise RuleValidationError(problems + exc.problems) from None
    measure["sources"] = dict(measure.get("sources") or {})
    measure["sources"][DESIGN_CITE] = {"title": f"tradeguard design `{doc.id}`: {doc.title}"}
    draft = Draft.of(measure, rules)
    draft.problems = problems
    plain, dated = _read_keys(doc, where, draft.problems)
    for key, value, kw in plain:  # convenience and plain element overrides, in file order
        apply_plain(draft, key, value, kw)
    for key, edits in dated.values():
        apply_dated(draft, key, edits)
    _negative_triggers(draft, where)
    _snap_back_above_mfn(draft, None if doc.measure is not None else draft.set_duties, where)
    _negative_tariffs(draft, where)
    built = _validated(draft, where)
    if draft.problems or built is None:
        raise RuleValidationError(draft.problems)
    return Design(id=doc.id, title=doc.title, measure=built,
                  tariff={k: sorted(v) for k, v in draft.tariffs.items()},
                  period_mode=draft.period_mode,  # type: ignore[arg-type]
                  exemptions=draft.exemptions,
                  base=doc.base or doc.quota or (doc.template.id if doc.template else None),
                  position=doc.position, description=doc.description,
                  overrides=dict(doc.overrides), source=source,
                  flows=tuple(doc.flows) if doc.flows else None, quota=doc.quota,
                  price_trigger=doc.price_trigger)


__all__ = ["DATED", "PERIODS", "BadKey", "OverrideKey", "build", "parse_key", "splice"]
