"""The rules quality report: how sure the library is, and where it has holes.

:func:`quality_report` reads a validated :class:`RuleSet` and lists

* ``by_status``: every dated or cited value counted by status, overall and per
  rule, with the list of ``unconfirmed`` values;
* ``missing_years``: fiscal years skipped inside a yearly path, and fiscal years in
  which an agreement in force has no tariff rate at all;
* ``expiring``: values and measures that end within the horizon, and paths whose
  last value starts within it on a derived or unconfirmed footing;
* ``overlaps``: tariff lines covered by two measures of the same regime, for the
  same partner on the same day, that nothing tells apart;
* ``problems``: the loader's problems when the folder does not load.

``ok`` is False when there are problems or overlaps; CI fails on it (see
docs/rules-quality.md).  :func:`report_for_path` loads a folder (or fails to) and
builds the report, so the CLI command is one call.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from tradeguard.errors import RuleValidationError
from tradeguard.periods import fiscal_year, period_key
from tradeguard.rules import schema as s
from tradeguard.rules.duties import format_duty
from tradeguard.rules.loader import RuleSet, _walk, load_rules
from tradeguard.rules.scope import END, Interval, coverage, dated_intervals, intersect, merge

STATUSES: tuple[str, ...] = ("confirmed", "secondary", "derived", "unconfirmed")
#: Last values on these statuses are flagged when they start within the horizon.
WEAK_STATUSES = frozenset({"derived", "unconfirmed"})
#: A path is yearly when at least this many of its values start in consecutive fiscal years.
MIN_YEARLY_RUN = 3
#: Stands for "every partner not named in either scope" in an overlap's partner list.
ANY_OTHER = "*"

_DAY = dt.timedelta(days=1)


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class ValueRef(_Out):
    """One cited value, located by rule id and key path."""

    rule_id: str
    key: str
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    value: float | str | None = None
    status: str
    cite: str
    citation: str | None = Field(None, description="The cited source's title.")
    note: str | None = None


class StatusCounts(_Out):
    total: int
    overall: dict[str, int]
    by_rule: dict[str, dict[str, int]]
    unconfirmed: list[ValueRef]


class MissingYears(_Out):
    """Fiscal years (April-March, named by the calendar year they start in) without a value.

    ``kind`` is ``skipped`` for a gap inside a yearly path, ``no_rate`` for fiscal years in
    which an agreement in force has no tariff rate for a schedule's lines.
    """

    kind: Literal["skipped", "no_rate"]
    rule_id: str
    key: str
    fiscal_years: list[int]
    detail: str


class Expiring(_Out):
    """Something that ends, or runs out on a weak footing, within the horizon.

    ``kind``: ``valid_to`` (a stated end), ``ended_by_null`` (a following ``null``
    value ends it), ``weak_last_value`` (a path's last value starts within the horizon
    and is derived or unconfirmed; it holds indefinitely).
    """

    kind: Literal["valid_to", "ended_by_null", "weak_last_value"]
    what: Literal["value", "measure", "condition", "other"]
    rule_id: str
    key: str
    date: dt.date = Field(description="Last day in force, or the weak value's first day.")
    status: str | None = None
    value: float | str | None = None
    detail: str


class Period(_Out):
    start: dt.date
    end: dt.date | None = Field(description="Inclusive last day; None when open.")


class Overlap(_Out):
    """Two measures of one kind and regime covering the same line, partner and day."""

    kind: Literal["tariff", "volume_safeguard", "tariff_quota"]
    rule_ids: tuple[str, str]
    regimes: list[str]
    lines: list[str] = Field(description="The narrower prefix of each overlapping pair.")
    partners: list[str] = Field(description=f"`{ANY_OTHER}`: every partner not named.")
    periods: list[Period]


class Resolved(_Out):
    """A same-regime pair that was checked and does not overlap, and why."""

    kind: Literal["tariff", "volume_safeguard", "tariff_quota"]
    rule_ids: tuple[str, str]
    regimes: list[str]
    reason: Literal["lines disjoint", "partners disjoint", "periods disjoint",
                    "partners covered at different times"]


class QualityReport(_Out):
    as_of: dt.date
    horizon_years: int
    horizon_end: dt.date
    root: str | None = None
    rule_count: int = 0
    by_status: StatusCounts
    missing_years: list[MissingYears] = Field(default_factory=list)
    expiring: list[Expiring] = Field(default_factory=list)
    overlaps: list[Overlap] = Field(default_factory=list)
    resolved: list[Resolved] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ok(self) -> bool:
        return not self.problems and not self.overlaps

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready data (dates as ISO text)."""
        return self.model_dump(mode="json")


# --------------------------------------------------------------------------- helpers


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _is_cited_value(model: BaseModel) -> bool:
    """A model that carries a status and a citation (an agreement's status is not one)."""
    fields = type(model).model_fields
    return ("status" in fields and "cite" in fields and not isinstance(model, s.Agreement)
            and getattr(model, "status", None) in STATUSES)


def _payload(model: BaseModel) -> float | str | None:
    """The value a cited model states, as JSON-ready data."""
    if "duty" in type(model).model_fields:
        duty = model.duty  # type: ignore[attr-defined]
        return None if duty is None else format_duty(duty)
    if "value" in type(model).model_fields:
        value = model.value  # type: ignore[attr-defined]
        return value if value is None or isinstance(value, int | float | str) else str(value)
    if isinstance(model, s.Membership):
        return model.partner
    skip = {"status", "cite", "note", "valid_from", "valid_to", "published_on"}
    parts = [f"{k}={v}" for k, v in model.model_dump(mode="json", exclude_none=True).items()
             if k not in skip and v not in ([], {})]
    return ", ".join(parts) or None


def _citation(doc: BaseModel, cite: str) -> str | None:
    sources = getattr(doc, "sources", None) or {}
    source = sources.get(cite)
    return source.title if source is not None else None


def _value_ref(rule_id: str, key: str, model: Any, doc: BaseModel) -> ValueRef:
    return ValueRef(rule_id=rule_id, key=key, valid_from=getattr(model, "valid_from", None),
                    valid_to=getattr(model, "valid_to", None), value=_payload(model),
                    status=model.status, cite=model.cite, citation=_citation(doc, model.cite),
                    note=getattr(model, "note", None))


def _is_dated_value(model: Any) -> bool:
    if not isinstance(model, BaseModel):
        return False
    fields = type(model).model_fields
    return ("valid_from" in fields and "status" in fields
            and ("value" in fields or "duty" in fields))


def dated_paths(doc: BaseModel) -> Iterator[tuple[str, list[Any]]]:
    """Yield (key path, values) for every list of dated values (``Dated``, ``DatedDuty``)."""
    for path, model in _walk(doc):
        for name in type(model).model_fields:
            child = getattr(model, name)
            if isinstance(child, list) and child and all(_is_dated_value(v) for v in child):
                yield (f"{path}.{name}" if path else name), child


def _stated(model: Any) -> Any:
    return model.payload


def _intervals(values: Sequence[Any]) -> list[Interval]:
    """The days on which a dated path has a (non-null) value, as half-open intervals."""
    return merge((start, end) for start, end, _ in dated_intervals(values))


def _measure_interval(measure: Any) -> list[Interval]:
    end = END if measure.valid_to is None else measure.valid_to + _DAY
    return [(measure.valid_from, end)]


def _year_start_month(rules: RuleSet, doc: BaseModel) -> int:
    month = getattr(doc, "year_start_month", None)
    if isinstance(month, int):
        return month
    agreement = rules.agreements.get(getattr(doc, "agreement", ""))
    return agreement.year.start_month if agreement is not None else 4


# --------------------------------------------------------------------------- by status


def _by_status(rules: RuleSet) -> StatusCounts:
    overall = dict.fromkeys(STATUSES, 0)
    by_rule: dict[str, dict[str, int]] = {}
    unconfirmed: list[ValueRef] = []
    for rid, doc in sorted(rules.documents.items()):
        counts = dict.fromkeys(STATUSES, 0)
        for key, model in _walk(doc):
            if not _is_cited_value(model):
                continue
            counts[model.status] += 1
            if model.status == "unconfirmed":
                unconfirmed.append(_value_ref(rid, key, model, doc))
        if any(counts.values()):
            by_rule[rid] = counts
        for status, n in counts.items():
            overall[status] += n
    return StatusCounts(total=sum(overall.values()), overall=overall, by_rule=by_rule,
                        unconfirmed=unconfirmed)


# --------------------------------------------------------------------------- missing years


def _longest_run(years: Sequence[int]) -> int:
    best = run = 1 if years else 0
    for prev, cur in itertools.pairwise(years):
        run = run + 1 if cur == prev + 1 else 1
        best = max(best, run)
    return best


def _skipped_years(rid: str, key: str, values: Sequence[Any], month: int) -> MissingYears | None:
    """Gaps inside a yearly path: both neighbouring steps are one fiscal year apart."""
    if len(values) < MIN_YEARLY_RUN + 1:
        return None
    on_year_start = sum(1 for v in values if (v.valid_from.month, v.valid_from.day) == (month, 1))
    if on_year_start * 2 <= len(values):
        return None
    years = [fiscal_year(v.valid_from, month) for v in values]
    if _longest_run(years) < MIN_YEARLY_RUN:
        return None
    # Step i runs from value i to value i + 1; a null or a stated end breaks the path.
    steps: list[int | None] = [
        None if _stated(v) is None or v.valid_to is not None else b - a
        for v, (a, b) in zip(values, itertools.pairwise(years), strict=False)]
    missing: list[int] = []
    for i, step in enumerate(steps):
        if step is None or step <= 1:
            continue
        before = steps[i - 1] if i > 0 else None
        after = steps[i + 1] if i + 1 < len(steps) else None
        if before == 1 and after == 1:
            missing += range(years[i] + 1, years[i + 1])
    if not missing:
        return None
    return MissingYears(kind="skipped", rule_id=rid, key=key, fiscal_years=missing,
                        detail="the path steps every fiscal year around these years but has "
                               "no value starting in them")


def _no_rate_years(rules: RuleSet, as_of: dt.date) -> list[MissingYears]:
    out = []
    for rid, tariff in sorted(rules.tariffs.items()):
        agreement = rules.agreements.get(tariff.agreement)
        if agreement is None or agreement.status != "in_force" or not agreement.entry_into_force:
            continue
        eif, month = agreement.entry_into_force, agreement.year.start_month
        if eif > as_of:
            continue
        for i, schedule in enumerate(tariff.schedules):
            covered = _intervals(schedule.rates)
            missing = []
            for year in range(fiscal_year(eif, month), fiscal_year(as_of, month) + 1):
                start = max(dt.date(year, month, 1), eif)
                end = min(_add_years(dt.date(year, month, 1), 1), as_of + _DAY)
                if not intersect([(start, end)], covered):
                    missing.append(year)
            if missing:
                out.append(MissingYears(
                    kind="no_rate", rule_id=rid, key=f"schedules[{i}].rates",
                    fiscal_years=missing,
                    detail=f"{tariff.agreement} is in force from {eif}; lines "
                           f"{', '.join(schedule.lines)} have no rate in these fiscal years"))
    return out


def _missing_years(rules: RuleSet, as_of: dt.date) -> list[MissingYears]:
    out = []
    for rid, doc in sorted(rules.documents.items()):
        month = _year_start_month(rules, doc)
        for key, values in dated_paths(doc):
            found = _skipped_years(rid, key, values, month)
            if found is not None:
                out.append(found)
    return out + _no_rate_years(rules, as_of)


# --------------------------------------------------------------------------- expiring


def _what(key: str, model: BaseModel) -> Literal["value", "measure", "condition", "other"]:
    if key == "":
        return "measure"
    if isinstance(model, s.Condition):
        return "condition"
    return "value" if _is_cited_value(model) else "other"


def _expiring(rules: RuleSet, as_of: dt.date, horizon_end: dt.date) -> list[Expiring]:
    def within(day: dt.date) -> bool:
        return as_of <= day <= horizon_end

    out = []
    for rid, doc in sorted(rules.documents.items()):
        out += _stated_ends(rid, doc, within)
        for key, values in dated_paths(doc):
            out += _null_ends(rid, key, values, within) + _weak_last(rid, key, values, within)
    return sorted(out, key=lambda e: (e.date, e.rule_id, e.key))


def _stated_ends(rid: str, doc: BaseModel, within: Any) -> list[Expiring]:
    """Values and models whose stated ``valid_to`` falls in the horizon."""
    out = []
    for key, model in _walk(doc):
        valid_to = getattr(model, "valid_to", None)
        if not (isinstance(valid_to, dt.date) and within(valid_to)):
            continue
        what = _what(key, model)
        out.append(Expiring(
            kind="valid_to", what=what, rule_id=rid, key=key or "(top level)",
            date=valid_to, status=getattr(model, "status", None) if what == "value"
            else None, value=_payload(model) if what == "value" else None,
            detail=f"ends on {valid_to} (stated `valid_to`)"))
    return out


def _null_ends(rid: str, key: str, values: Sequence[Any], within: Any) -> list[Expiring]:
    """Values ended by a following null value, on a last day in the horizon."""
    out = []
    for i, (prev, cur) in enumerate(itertools.pairwise(values)):
        last = cur.valid_from - _DAY
        if (_stated(cur) is None and _stated(prev) is not None and prev.valid_to is None
                and within(last)):
            out.append(Expiring(
                kind="ended_by_null", what="value", rule_id=rid, key=f"{key}[{i}]",
                date=last, status=prev.status, value=_payload(prev),
                detail=f"ends on {last}: a null value follows on {cur.valid_from}"))
    return out


def _weak_last(rid: str, key: str, values: Sequence[Any], within: Any) -> list[Expiring]:
    """A path's last value, weakly sourced, starting in the horizon and holding on."""
    last_value = values[-1]
    if not (_stated(last_value) is not None and last_value.status in WEAK_STATUSES
            and within(last_value.valid_from)):
        return []
    return [Expiring(
        kind="weak_last_value", what="value", rule_id=rid,
        key=f"{key}[{len(values) - 1}]", date=last_value.valid_from,
        status=last_value.status, value=_payload(last_value),
        detail=f"the path's last value, from {last_value.valid_from}, is "
               f"{last_value.status} and holds with no later value")]


# --------------------------------------------------------------------------- overlaps


def _prefix_overlaps(a: Sequence[str], b: Sequence[str]) -> set[str]:
    """The narrower prefix of every pair where one prefix starts with the other."""
    return {max(p, q, key=len) for p in a for q in b if p.startswith(q) or q.startswith(p)}


def _candidates(scopes: Sequence[s.PartnerScope],
                groups: Mapping[str, list[s.Membership]]) -> list[str]:
    """Every partner the scopes could tell apart, plus ANY_OTHER when all include `all`."""
    named: set[str] = set()
    for scope in scopes:
        for ref in scope.references():
            if ref.startswith("group:"):
                named |= {m.partner for m in groups.get(ref.removeprefix("group:"), [])}
            else:
                named.add(ref)
    out = sorted(named)
    if all(scope.include == "all" for scope in scopes):
        out.append(ANY_OTHER)
    return out


class _Side:
    """One measure's part for the overlap test: lines, whom it covers, when."""

    def __init__(self, lines: Sequence[str], partners: s.PartnerScope,
                 when: list[Interval]):
        self.lines, self.partners, self.when = lines, partners, when


def _compare(kind: Any, ids: tuple[str, str], regimes: list[str],
             pairs: Sequence[tuple[_Side, _Side]],
             groups: Mapping[str, list[s.Membership]]) -> Overlap | Resolved:
    lines: set[str] = set()
    partners: set[str] = set()
    periods: list[Interval] = []
    saw_lines = saw_partners = saw_times = False
    for a, b in pairs:
        common = _prefix_overlaps(a.lines, b.lines)
        if not common:
            continue
        saw_lines = True
        for partner in _candidates([a.partners, b.partners], groups):
            ca = coverage(a.partners, partner, groups)
            cb = coverage(b.partners, partner, groups)
            if not (ca and cb):
                continue
            saw_partners = True
            if intersect(a.when, b.when):
                saw_times = True
            both = intersect(intersect(ca, a.when), intersect(cb, b.when))
            if both:
                lines |= common
                partners.add(partner)
                periods.extend(both)
    if partners:
        return Overlap(kind=kind, rule_ids=ids, regimes=regimes, lines=sorted(lines),
                       partners=sorted(partners, key=lambda p: (p == ANY_OTHER, p)),
                       periods=[Period(start=start, end=None if end >= END else end - _DAY)
                                for start, end in merge(periods)])
    reason = ("lines disjoint" if not saw_lines else "partners disjoint" if not saw_partners
              else "periods disjoint" if not saw_times else "partners covered at different times")
    return Resolved(kind=kind, rule_ids=ids, regimes=regimes, reason=reason)


def _overlaps(rules: RuleSet) -> list[Overlap | Resolved]:
    groups = rules.groups
    out: list[Overlap | Resolved] = []
    tariffs = sorted(rules.tariffs.items())
    for (ia, ta), (ib, tb) in itertools.combinations(tariffs, 2):
        if ta.regime != tb.regime:
            continue
        pairs = [(_Side(sa.lines, ta.partners, _intervals(sa.rates)),
                  _Side(sb.lines, tb.partners, _intervals(sb.rates)))
                 for sa in ta.schedules for sb in tb.schedules]
        out.append(_compare("tariff", (ia, ib), [ta.regime], pairs, groups))
    safeguards = sorted(rules.safeguards.items())
    for (ia, ga), (ib, gb) in itertools.combinations(safeguards, 2):
        regimes = sorted(set(ga.hits_regimes) & set(gb.hits_regimes))
        if not regimes:
            continue
        side_a = _Side(ga.lines, ga.hits,
                       intersect(_measure_interval(ga), _intervals(ga.safeguard_duty)))
        side_b = _Side(gb.lines, gb.hits,
                       intersect(_measure_interval(gb), _intervals(gb.safeguard_duty)))
        out.append(_compare("volume_safeguard", (ia, ib), regimes, [(side_a, side_b)], groups))
    quotas = sorted(rules.quotas.items())
    for (ia, qa), (ib, qb) in itertools.combinations(quotas, 2):
        if qa.regime != qb.regime:
            continue
        side_a = _Side(qa.lines, qa.partners, _measure_interval(qa))
        side_b = _Side(qb.lines, qb.partners, _measure_interval(qb))
        out.append(_compare("tariff_quota", (ia, ib), [qa.regime], [(side_a, side_b)], groups))
    return out


# --------------------------------------------------------------------------- public API


def _empty_counts() -> StatusCounts:
    return StatusCounts(total=0, overall=dict.fromkeys(STATUSES, 0), by_rule={}, unconfirmed=[])


def quality_report(rules: RuleSet, *, as_of: dt.date, horizon_years: int = 5) -> QualityReport:
    """The quality report of a loaded rule library as of ``as_of``."""
    if horizon_years < 0:
        raise ValueError("horizon_years must be zero or more")
    horizon_end = _add_years(as_of, horizon_years)
    compared = _overlaps(rules)
    return QualityReport(
        as_of=as_of, horizon_years=horizon_years, horizon_end=horizon_end,
        root=str(rules.root), rule_count=len(rules.documents),
        by_status=_by_status(rules),
        missing_years=_missing_years(rules, as_of),
        expiring=_expiring(rules, as_of, horizon_end),
        overlaps=[c for c in compared if isinstance(c, Overlap)],
        resolved=[c for c in compared if isinstance(c, Resolved)],
    )


def report_for_path(path: Path | str | None, *, as_of: dt.date,
                    horizon_years: int = 5) -> QualityReport:
    """Load ``path`` (default: the shipped library) and report on it.

    A folder that does not load gives a report whose ``problems`` list every loader
    problem, with ``ok`` False, instead of raising.
    """
    try:
        rules = load_rules(path)
    except RuleValidationError as exc:
        return QualityReport(as_of=as_of, horizon_years=horizon_years,
                             horizon_end=_add_years(as_of, horizon_years),
                             root=None if path is None else str(path),
                             by_status=_empty_counts(), problems=exc.problems)
    return quality_report(rules, as_of=as_of, horizon_years=horizon_years)


def _fy_list(years: Sequence[int]) -> str:
    """FY2028, FY2030-FY2032 (runs collapsed)."""
    parts = []
    for _, run in itertools.groupby(enumerate(years), key=lambda iv: iv[1] - iv[0]):
        ys = [y for _, y in run]
        parts.append(period_key(ys[0]) if len(ys) == 1
                     else f"{period_key(ys[0])}-{period_key(ys[-1])}")
    return ", ".join(parts)


def _text(value: float | str | None) -> str:
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    return str(value)


def format_report(report: QualityReport) -> str:
    """The report as plain text, one section per check.

    Square brackets never appear in it except in key paths such as ``rates[3]``, which
    Rich leaves alone; still, print it with ``markup=False`` to be safe.
    """
    lines = [f"Rules quality report for {report.root or 'the shipped library'}, as of "
             f"{report.as_of}, horizon {report.horizon_years} years (to {report.horizon_end})",
             f"Result: {'ok' if report.ok else 'FAILED'}", ""]
    if report.problems:
        lines.append(f"Problems ({len(report.problems)}): the rules do not load")
        lines += [f"  - {p}" for p in report.problems]
        return "\n".join(lines)

    counts = report.by_status
    lines.append(f"Values by status ({counts.total} in {report.rule_count} rule files)")
    lines.append("  " + ", ".join(f"{st} {counts.overall[st]}" for st in STATUSES))
    width = max((len(rid) for rid in counts.by_rule), default=0)
    lines.append(f"  {'rule':<{width}}  " + "  ".join(f"{st:>11}" for st in STATUSES))
    for rid, per in counts.by_rule.items():
        lines.append(f"  {rid:<{width}}  " + "  ".join(f"{per[st]:>11}" for st in STATUSES))
    lines.append(f"Unconfirmed values ({len(counts.unconfirmed)})")
    for ref in counts.unconfirmed:
        since = f" from {ref.valid_from}" if ref.valid_from else ""
        lines.append(f"  - {ref.rule_id} {ref.key}{since}: {_text(ref.value)} (cited: {ref.citation})")

    lines += ["", f"Missing years ({len(report.missing_years)})"]
    for gap in report.missing_years:
        lines.append(f"  - {gap.rule_id} {gap.key}: {_fy_list(gap.fiscal_years)} ({gap.detail})")
    if not report.missing_years:
        lines.append("  none")

    lines += ["", f"Expiring within {report.horizon_years} years ({len(report.expiring)})"]
    for item in report.expiring:
        status = f" ({item.status})" if item.status else ""
        value = f" {_text(item.value)}" if item.value is not None else ""
        lines.append(f"  - {item.date} {item.rule_id} {item.key}{value}{status}: {item.detail}")
    if not report.expiring:
        lines.append("  none")

    lines += ["", f"Unresolved overlaps ({len(report.overlaps)})"]
    for ov in report.overlaps:
        periods = ", ".join(f"{p.start} to {p.end or 'open'}" for p in ov.periods)
        partners = ", ".join("any other partner" if p == ANY_OTHER else p for p in ov.partners)
        lines.append(f"  - {ov.kind} {ov.rule_ids[0]} and {ov.rule_ids[1]} "
                     f"(regime {', '.join(ov.regimes)}): lines {', '.join(ov.lines)}; "
                     f"partners {partners}; {periods}")
    if not report.overlaps:
        lines.append("  none")
    if report.resolved:
        lines.append(f"Same-regime pairs that do not overlap ({len(report.resolved)})")
        lines += [f"  - {r.kind} {r.rule_ids[0]} and {r.rule_ids[1]}: {r.reason}"
                  for r in report.resolved]
    return "\n".join(lines)
