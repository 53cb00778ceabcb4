"""Safeguard designs as data: a whole measure, or overrides of an encoded agreement.

A design file is YAML (grammar in docs/design-lab.md)::

    id: jaepa-frozen-quarterly-100
    title: "JAEPA frozen beef, but a quarterly trigger at 100% of the prior year's same quarter"
    base: jaepa.beef_frozen_safeguard
    overrides:
      counting_period: quarterly
      trigger: {basis: percent_of_prior_period, percent: 100}
      safeguard_duty@2021-04-01: "30%"

Overrides are validated all-or-nothing: every problem (an unknown element, overlapping dated
overrides, a snap-back above the MFN rate, a negative trigger, a schema error) is collected
and raised together as :class:`~tradeguard.errors.RuleValidationError`; nothing runs.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tradeguard.engine import expressions as ex
from tradeguard.errors import InputError, RuleValidationError, problem
from tradeguard.rules import schema as s
from tradeguard.rules.loader import RuleSet, shipped_rules
from tradeguard.rules.lookup import covers

DESIGN_CITE = "design"
DESIGN_STATUS = "derived"
_ID = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")
_DATE = r"\d{4}-\d{2}-\d{2}"
_KEY = re.compile(rf"^(?P<path>[A-Za-z_][A-Za-z0-9_\-]*(\.[A-Za-z0-9_\-]+)*)"
                  rf"(@(?P<start>{_DATE})(\.\.(?P<end>{_DATE}))?)?$")

#: Counting periods a design may name, and what the rules call them.
PERIODS = {"annual": "fiscal_year", "cumulative_quarters": "fiscal_quarters_cumulative",
           "quarterly": "fiscal_quarters_cumulative"}
#: Dated-list elements, which accept ``@date`` keys; value key in each entry.
DATED = {"safeguard_duty": "duty", "tariff": "duty", "trigger.volumes": "value",
         "trigger.percent": "value"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TemplateRef(_Strict):
    """"The same formula": instantiate a safeguard template for some partners."""

    id: str = Field(description="A `safeguard_template` rule id, e.g. cptpp.beef_formula.")
    partners: list[str] = Field(min_length=1)
    share: float | None = Field(None, gt=0)
    offset_t: float | None = None
    regime: str
    agreement: str
    valid_from: dt.date


class Exemptions(_Strict):
    in_quota: bool = True
    en_route_days: int = Field(0, ge=0, le=120, description=(
        "Goods shipped before the safeguard started and still en route pay the normal rate: "
        "modelled as the first N days of each window being exempt for duty."))


class DesignFile(_Strict):
    """The YAML document of one design."""

    id: str
    title: str
    description: str | None = None
    position: str | None = Field(None, description="e.g. `Japan opening` - for sweeps' bands.")
    base: str | None = Field(None, description="An encoded volume safeguard rule id.")
    template: TemplateRef | None = None
    measure: dict[str, Any] | None = Field(None, description="A whole volume safeguard.")
    overrides: dict[str, Any] = Field(default_factory=dict)


@dataclass(frozen=True)
class Design:
    """A validated design: the measure it builds, its tariff path and its exemptions."""

    id: str
    title: str
    measure: s.VolumeSafeguard
    #: The hit regime's preferential tariff per line prefix: [(valid_from, percent)], sorted.
    tariff: dict[str, list[tuple[dt.date, float]]]
    period_mode: Literal["annual", "quarterly", "cumulative_quarters"] = "annual"
    exemptions: Exemptions = field(default_factory=Exemptions)
    base: str | None = None
    position: str | None = None
    description: str | None = None
    overrides: Mapping[str, Any] = field(default_factory=dict)
    source: str | None = None

    @property
    def measure_id(self) -> str:
        return f"design.{self.id}"

    def rules(self, rules: RuleSet | None = None) -> RuleSet:
        """The rule set with this design's measure added as ``design.<id>``."""
        rules = rules or shipped_rules()
        return dataclasses.replace(rules, safeguards={**rules.safeguards,
                                                       self.measure_id: self.measure})


# --- helpers -----------------------------------------------------------------------------


def _percent(duty: Any) -> float | None:
    if isinstance(duty, int | float):
        return float(duty)
    expr = s.parse_duty(duty) if isinstance(duty, str) else duty
    return ex.ad_valorem_percent(expr)


def mfn_percent(rules: RuleSet, line: str, day: dt.date) -> float | None:
    """The MFN ad valorem rate on a line and day, as known on that day."""
    from tradeguard.monitor.activation import mfn_percent as known_mfn_percent

    return known_mfn_percent(rules, line, day, day)


def regime_tariff(rules: RuleSet, regime: str, line: str) -> list[tuple[dt.date, float]]:
    """A regime's ad valorem path on a line as [(valid_from, percent)]."""
    for tariff in rules.tariffs.values():
        if tariff.regime != regime:
            continue
        for schedule in tariff.schedules:
            if covers(schedule.lines, line) or any(covers([line], ln) for ln in schedule.lines):
                return [(r.valid_from, p) for r in schedule.rates
                        if r.duty is not None and (p := ex.ad_valorem_percent(r.duty)) is not None]
    return []


def _dated_entry(key: str, start: dt.date, value: Any, end: dt.date | None = None) -> dict:
    entry = {"valid_from": start, "status": DESIGN_STATUS, "cite": DESIGN_CITE,
             "note": "set by the design"}
    if DATED.get(key, "value") == "duty" or key == "safeguard_duty":
        entry["duty"] = f"{value}%" if isinstance(value, int | float) else value
    else:
        entry["value"] = value
    if end is not None:
        entry["valid_to"] = end
    return entry


def _splice(entries: list[dict], edits: list[tuple[dt.date, dt.date | None, Any]], key: str,
            vkey: str) -> list[dict]:
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
        out.append(_dated_entry(key, start, value))
        if resume is not None:
            out.append(resume)
        out.sort(key=lambda e: e["valid_from"])
    # Drop stated ends that now run into a later value.
    for a, b in itertools.pairwise(out):
        if a.get("valid_to") is not None and a["valid_to"] >= b["valid_from"]:
            a["valid_to"] = None
    del vkey
    return out


# --- building ---------------------------------------------------------------------------


def _base_dict(doc: DesignFile, rules: RuleSet, problems: list[str], where: str) -> dict | None:
    if sum(x is not None for x in (doc.base, doc.template, doc.measure)) != 1:
        problems.append(problem("give exactly one of `base`, `template` or `measure`",
                                where=where, fix="see docs/design-lab.md"))
        return None
    if doc.base is not None:
        found = rules.safeguards.get(doc.base)
        if found is None:
            problems.append(problem(f"`base: {doc.base}` is not a volume safeguard", where=where,
                                    fix="use one of: " + ", ".join(sorted(rules.safeguards))))
            return None
        return found.model_dump()
    if doc.template is not None:
        from tradeguard.rules.templates import instantiate

        t = doc.template
        try:
            return instantiate(rules, t.id, partners=t.partners, agreement=t.agreement,
                               regime=t.regime, valid_from=t.valid_from, share=t.share,
                               offset_t=t.offset_t).model_dump()
        except Exception as exc:
            problems.append(problem(f"template `{t.id}` could not be instantiated: {exc}",
                                    where=f"{where}, key `template`"))
            return None
    raw = dict(doc.measure or {})
    raw.setdefault("kind", "volume_safeguard")
    return raw


def _condition_ids(measure: dict) -> list[str]:
    return [c.get("id") for c in measure.get("conditions", []) if isinstance(c, dict)]


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
            out[name] = [_dated_entry("trigger." + name, valid_from, float(v))]
        elif isinstance(v, dict):  # {date: value}
            out[name] = [_dated_entry("trigger." + name, _as_date(d), float(x))
                         for d, x in sorted(v.items(), key=lambda kv: str(kv[0]))]
    return out


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _negative_triggers(measure: dict, where: str, problems: list[str]) -> None:
    for cond in measure.get("conditions", []):
        trig = cond.get("trigger") or {}
        for name in ("volumes", "percent"):
            for entry in trig.get(name) or []:
                v = entry.get("value") if isinstance(entry, dict) else None
                if isinstance(v, int | float) and v < 0:
                    problems.append(problem(
                        f"negative trigger {name[:-1] if name == 'volumes' else name} {v:g} "
                        f"from {entry.get('valid_from')}",
                        where=f"{where}, condition `{cond.get('id')}`",
                        fix="a trigger is a volume or a percentage, zero or more"))


def _snap_back_above_mfn(rules: RuleSet, measure: dict, dated: list[dt.date] | None,
                         where: str, problems: list[str]) -> None:
    """Every snap-back rate the design sets must be at most the MFN rate in force then."""
    if measure.get("remedy", "replace") != "replace":
        return
    lines = measure.get("lines") or []
    line = str(lines[0]).replace(".", "") if lines else ""
    for entry in measure.get("safeguard_duty") or []:
        if dated is not None and entry.get("valid_from") not in dated:
            continue
        try:
            pct = _percent(entry.get("duty"))
        except Exception:
            continue  # the schema check reports a bad expression
        day = entry.get("valid_from")
        mfn = mfn_percent(rules, line, day) if isinstance(day, dt.date) else None
        if pct is not None and mfn is not None and pct > mfn + 1e-9:
            problems.append(problem(
                f"snap-back rate {pct:g}% from {day} is above the MFN rate of {mfn:g}%",
                where=f"{where}, key `safeguard_duty`",
                why="a snap-back may not exceed the MFN applied rate (CPTPP Appendix B-1 A)",
                fix=f"set it to at most {mfn:g}%"))


def _set_path(target: dict, parts: list[str], value: Any, measure: dict, where: str,
              problems: list[str]) -> None:
    """Set ``parts`` inside the measure dict; ``conditions.<id>`` selects a condition."""
    node: Any = target
    trail: list[str] = []
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list):  # conditions by id
            match = next((c for c in node if isinstance(c, dict) and c.get("id") == part), None)
            if match is None:
                problems.append(problem(
                    f"unknown condition `{part}` in `{'.'.join(trail)}`", where=where,
                    fix="use one of: " + ", ".join(map(str, _condition_ids(measure)))))
                return
            node = match
        elif isinstance(node, dict):
            if part not in node and not _known_field([*trail, part]):
                problems.append(problem(
                    f"unknown element `{'.'.join([*trail, part])}`", where=where,
                    fix="see the element list in docs/design-lab.md"))
                return
            if last:
                node[part] = value
                return
            if node.get(part) is None:
                node[part] = {}
            node = node[part]
        else:
            problems.append(problem(f"`{'.'.join(trail)}` has no element `{part}`", where=where,
                                    fix="see the element list in docs/design-lab.md"))
            return
        trail.append(part)
    if isinstance(node, dict) and parts:
        return
    problems.append(problem("an override must name an element", where=where))


def _known_field(parts: list[str]) -> bool:
    model: Any = s.VolumeSafeguard
    for part in parts:
        if model is s.VolumeSafeguard and part == "conditions":
            model = list
            continue
        if model is list:  # a condition id
            model = s.Condition
            continue
        fields = getattr(model, "model_fields", None)
        if not fields or part not in fields:
            return False
        ann = fields[part].annotation
        model = _inner_model(ann)
    return True


def _inner_model(ann: Any) -> Any:
    import typing

    for arg in (ann, *typing.get_args(ann)):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
        for sub in typing.get_args(arg):
            if isinstance(sub, type) and issubclass(sub, BaseModel):
                return sub
    return None


def build(doc: DesignFile, rules: RuleSet | None = None, *, source: str | None = None) -> Design:
    """Validate a design document and build its measure; every problem is listed at once."""
    rules = rules or shipped_rules()
    where = source or f"design `{doc.id}`"
    problems: list[str] = []
    if not _ID.match(doc.id):
        problems.append(problem(f"id `{doc.id}` must be lower-case letters, digits, - or _",
                                where=where, fix="rename the design"))
    base = _base_dict(doc, rules, problems, where)
    if base is None:
        raise RuleValidationError(problems)
    measure = copy.deepcopy(base)
    measure.setdefault("sources", {})
    measure["sources"] = dict(measure["sources"] or {})
    measure["sources"][DESIGN_CITE] = {"title": f"tradeguard design `{doc.id}`: {doc.title}"}
    period_mode = "annual" if measure.get("period") == "fiscal_year" else "cumulative_quarters"
    exemptions = Exemptions(in_quota=bool(measure.get("exempt_in_quota", True)))
    valid_from = measure.get("valid_from")
    valid_from = _as_date(valid_from) if valid_from is not None else dt.date(2000, 4, 1)
    line0 = str((measure.get("lines") or ["0"])[0]).replace(".", "")
    regime = (measure.get("hits_regimes") or [None])[0]
    lines = [str(x).replace(".", "") for x in measure.get("lines") or []]
    tariffs = {ln: [(d, p) for d, p in regime_tariff(rules, regime, ln)] for ln in lines} \
        if regime else {}
    dated: dict[str, list[tuple[dt.date, dt.date | None, Any, str]]] = {}
    set_duties: list[dt.date] = []
    plain: list[tuple[str, list[str], Any]] = []
    for key, value in (doc.overrides or {}).items():
        kw = f"{where}, override `{key}`"
        m = _KEY.match(str(key))
        if m is None:
            problems.append(problem("the key is not `element`, `element@YYYY-MM-DD` or "
                                    "`element@YYYY-MM-DD..YYYY-MM-DD`", where=kw,
                                    fix="see the key grammar in docs/design-lab.md"))
            continue
        path = m["path"]
        if m["start"]:
            try:
                start = dt.date.fromisoformat(m["start"])
                end = dt.date.fromisoformat(m["end"]) if m["end"] else None
            except ValueError as exc:
                problems.append(problem(f"bad date: {exc}", where=kw, fix="write YYYY-MM-DD"))
                continue
            if end is not None and end < start:
                problems.append(problem(f"the range ends ({end}) before it starts ({start})",
                                        where=kw, fix="swap the dates"))
                continue
            generic = re.sub(r"^conditions\.[^.]+\.", "", path)
            if generic not in DATED:
                problems.append(problem(f"`{path}` is not a dated element",
                                        where=kw, fix="dated keys are allowed on: "
                                        + ", ".join(sorted(DATED)) + " (per condition: "
                                        "conditions.<id>.trigger.volumes/percent)"))
                continue
            dated.setdefault(path, []).append((start, end, value, kw))
            continue
        plain.append((kw, path.split("."), value))

    # Convenience and plain element overrides, in file order.
    for kw, parts, value in plain:
        head = parts[0]
        if parts == ["counting_period"]:
            if value not in PERIODS:
                problems.append(problem(f"unknown counting period `{value}`", where=kw,
                                        fix="use annual, quarterly or cumulative_quarters"))
                continue
            measure["period"], period_mode = PERIODS[value], value
        elif parts == ["trigger"]:
            trig = _trigger_from_short(value, valid_from, kw, problems)
            if trig is not None:
                for cond in measure.get("conditions", []):
                    cond["trigger"] = copy.deepcopy(trig)
        elif parts == ["partners"]:
            scope = value if isinstance(value, list | str | dict) else None
            if scope is None:
                problems.append(problem("`partners` must be a partner list", where=kw))
                continue
            measure["hits"] = scope
            for cond in measure.get("conditions", []):
                cond["counting"] = dict(cond.get("counting") or {}, partners=scope)
        elif parts == ["snap_back"] or parts == ["safeguard_duty"]:
            if isinstance(value, int | float | str):
                measure["safeguard_duty"] = [_dated_entry("safeguard_duty", valid_from, value)]
                set_duties.append(valid_from)
            else:
                measure["safeguard_duty"] = value
                set_duties += [_as_date(e.get("valid_from")) for e in value
                               if isinstance(e, dict) and e.get("valid_from")]
        elif parts == ["tariff"]:
            if isinstance(value, int | float | str):
                tariffs = {ln: [(valid_from, float(_percent(value) or 0.0))] for ln in lines}
            else:
                problems.append(problem("a whole `tariff` must be one rate; use tariff@DATE "
                                        "keys for a path", where=kw))
        elif head == "exemptions":
            try:
                data = exemptions.model_dump()
                if len(parts) == 1:
                    data = dict(value)
                else:
                    data[parts[1]] = value
                exemptions = Exemptions.model_validate(data)
                measure["exempt_in_quota"] = exemptions.in_quota
            except (ValidationError, TypeError, ValueError) as exc:
                problems.append(problem(f"bad exemptions: {exc}", where=kw))
        elif parts == ["trigger_scale"]:
            if not isinstance(value, int | float) or value < 0:
                problems.append(problem(f"`trigger_scale` must be a number, zero or more "
                                        f"(got {value!r})", where=kw))
                continue
            for cond in measure.get("conditions", []):
                trig = cond.get("trigger") or {}
                for name in ("volumes", "percent"):
                    for entry in trig.get(name) or []:
                        if isinstance(entry.get("value"), int | float):
                            entry["value"] = float(entry["value"]) * value
        elif head == "late_crossing" and len(parts) == 2:
            try:
                month = int(parts[1])
                if not 1 <= month <= 12:
                    raise ValueError
            except ValueError:
                problems.append(problem(f"`{'.'.join(parts)}`: the month must be 1-12", where=kw))
                continue
            dur = measure.setdefault("duration", {})
            rules_ = [r for r in dur.get("late_crossing") or [] if r.get("month") != month]
            if value not in (None, 0):
                rules_.append({"month": month, "days": value})
            dur["late_crossing"] = sorted(rules_, key=lambda r: r["month"])
        elif head == "late_crossing":
            measure.setdefault("duration", {})["late_crossing"] = value
        elif len(parts) >= 2 and parts[0] == "trigger":
            for cond in measure.get("conditions", []):
                _set_path(cond.setdefault("trigger", {}), parts[1:], copy.deepcopy(value),
                          measure, kw, problems) if _known_trigger(parts[1:]) else None
            if not _known_trigger(parts[1:]):
                problems.append(problem(f"unknown element `{'.'.join(parts)}`", where=kw,
                                        fix="see the element list in docs/design-lab.md"))
        else:
            if parts[0] in ("kind", "sources"):
                problems.append(problem(f"`{parts[0]}` cannot be overridden", where=kw))
                continue
            if (len(parts) >= 3 and parts[0] == "conditions" and parts[2] == "trigger"
                    and isinstance(value, dict) and len(parts) == 3):
                value = _trigger_from_short(value, valid_from, kw, problems)
                if value is None:
                    continue
            _set_path(measure, parts, copy.deepcopy(value), measure, kw, problems)
            if parts[0] == "safeguard_duty" and isinstance(value, list):
                set_duties += [_as_date(e.get("valid_from")) for e in value
                               if isinstance(e, dict) and e.get("valid_from")]

    # Dated overrides: check overlaps per element, then splice.
    for path, edits in dated.items():
        edits.sort(key=lambda e: e[0])
        bad = False
        for a, b in itertools.pairwise(edits):
            if a[0] == b[0] or (a[1] is not None and a[1] >= b[0]):
                span = f"{a[0]}..{a[1]}" if a[1] else f"{a[0]}"
                problems.append(problem(
                    f"dated overrides of `{path}` overlap: {span} and {b[0]}", where=b[3],
                    fix="make the ranges disjoint: a plain @FROM runs until the next override"))
                bad = True
        if bad:
            continue
        plain_edits = [(a, b, v) for a, b, v, _ in edits]
        generic = re.sub(r"^conditions\.[^.]+\.", "", path)
        if path == "tariff":
            new = [{"valid_from": d, "duty": f"{p}%"} for d, p in next(iter(tariffs.values()), [])]
            spliced = _splice(new, plain_edits, "tariff", "duty")
            try:
                path_pct = [(e["valid_from"], float(_percent(e["duty"]) or 0.0)) for e in spliced]
            except Exception as exc:
                problems.append(problem(f"bad tariff rate: {exc}", where=edits[0][3]))
                continue
            tariffs = {ln: list(path_pct) for ln in lines}
            continue
        if path == "safeguard_duty":
            measure["safeguard_duty"] = _splice(measure.get("safeguard_duty") or [],
                                                plain_edits, path, "duty")
            set_duties += [e[0] for e in plain_edits]
            continue
        name = generic.split(".")[1]  # volumes | percent
        conds = measure.get("conditions", [])
        if path.startswith("conditions."):
            cid = path.split(".")[1]
            conds = [c for c in conds if c.get("id") == cid]
            if not conds:
                problems.append(problem(f"unknown condition `{cid}`", where=edits[0][3],
                                        fix="use one of: " + ", ".join(map(str,
                                                                           _condition_ids(measure)))))
                continue
        for cond in conds:
            trig = cond.setdefault("trigger", {})
            trig[name] = _splice(trig.get(name) or [], plain_edits, "trigger." + name, "value")

    _negative_triggers(measure, where, problems)
    whole = doc.measure is not None
    _snap_back_above_mfn(rules, measure, None if whole else set_duties, where, problems)
    for ln, path_ in tariffs.items():
        for day, pct in path_:
            if pct < 0:
                problems.append(problem(f"negative tariff {pct:g}% from {day} on {ln}",
                                        where=where))
    built = None
    try:
        built = s.VolumeSafeguard.model_validate(measure)
    except ValidationError as exc:
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"] if "function-" not in str(p))
            problems.append(problem(err["msg"].removeprefix("Value error, "),
                                    where=f"{where}, element `{loc or '(top level)'}`",
                                    fix="correct or drop the override"))
    if built is not None:
        problems += _reference_problems(built, rules, where)
        if period_mode == "quarterly" and any(
                c.trigger.basis not in ("fixed", "percent_of_prior_period", "percent_of_average",
                                        "percent_of_largest") for c in built.conditions):
            problems.append(problem("a separate-quarter trigger needs a fixed or percentage "
                                    "basis", where=where))
    if problems:
        raise RuleValidationError(problems)
    assert built is not None
    del line0
    return Design(id=doc.id, title=doc.title, measure=built,
                  tariff={k: sorted(v) for k, v in tariffs.items()}, period_mode=period_mode,
                  exemptions=exemptions, base=doc.base or (doc.template.id if doc.template
                                                           else None),
                  position=doc.position, description=doc.description,
                  overrides=dict(doc.overrides), source=source)


def _known_trigger(parts: Sequence[str]) -> bool:
    return len(parts) == 1 and parts[0] in s.Trigger.model_fields


def _reference_problems(m: s.VolumeSafeguard, rules: RuleSet, where: str) -> list[str]:
    from tradeguard.data.partners import is_known_partner

    out = []
    regimes = {t.regime for t in rules.tariffs.values()}
    for r in m.hits_regimes:
        if r not in regimes:
            out.append(problem(f"regime `{r}` has no tariff", where=f"{where}, `hits_regimes`"))
    scopes = [("hits", m.hits)] + [(f"conditions.{c.id}.counting.partners", c.counting.partners)
                                   for c in m.conditions]
    for key, scope in scopes:
        for ref in scope.references():
            if ref.startswith("group:"):
                if ref.removeprefix("group:") not in rules.groups:
                    out.append(problem(f"unknown partner group `{ref}`", where=f"{where}, `{key}`"))
            elif not is_known_partner(ref):
                out.append(problem(f"`{ref}` is not a partner code", where=f"{where}, `{key}`",
                                   fix="write ISO codes such as US, AU"))
    for c in m.conditions:
        ref = c.trigger.same_as
        if ref:
            target, _, cid = ref.partition("#")
            other = rules.safeguards.get(target)
            if other is None or cid not in {x.id for x in other.conditions}:
                out.append(problem(f"`same_as: {ref}` names no safeguard condition",
                                   where=f"{where}, condition `{c.id}`"))
    return out


# --- loading ----------------------------------------------------------------------------


def parse(data: Mapping[str, Any], rules: RuleSet | None = None, *,
          source: str | None = None) -> Design:
    """A design from a mapping (parsed YAML or JSON)."""
    where = source or f"design `{data.get('id', '?')}`" if isinstance(data, Mapping) else "design"
    if not isinstance(data, Mapping):
        raise RuleValidationError([problem("a design must be a mapping", where=where)])
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


def load_design(path: str | Path, rules: RuleSet | None = None) -> Design:
    """Read and validate one design file."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(problem("no such design file", where=str(path),
                                 fix="check the path")) from None
    except yaml.YAMLError as exc:
        raise RuleValidationError([problem(f"YAML syntax error: {exc}", where=str(path))]) from None
    return parse(data or {}, rules, source=str(path))


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


EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "designs"


def example_paths() -> list[Path]:
    """The shipped example design files (examples/designs/*.yaml)."""
    return sorted(EXAMPLES.glob("*.yaml")) if EXAMPLES.is_dir() else []
