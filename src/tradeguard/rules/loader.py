"""Read, validate and assemble the rule library.

The loader collects every problem in every file before it fails, so an author
fixes a file in one pass.  Each problem names the file, the key path, what is
wrong and what to do.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from tradeguard.errors import RuleNotFoundError, RuleValidationError, problem
from tradeguard.rules import schema as s

LIBRARY = Path(__file__).parent / "library"

_RULE_FILE = TypeAdapter(s.RuleFile)
_ISO2 = re.compile(r"^[A-Z]{2}$")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_FIXES = {
    "extra_forbidden": "remove the key or correct its spelling",
    "missing": "add the key",
    "literal_error": "use one of the allowed values",
    "date_from_datetime_parsing": "write the date as YYYY-MM-DD",
    "date_parsing": "write the date as YYYY-MM-DD",
    "date_type": "write the date as YYYY-MM-DD",
    "union_tag_invalid": "set `kind` to agreement, partner_groups, tariff, volume_safeguard, "
                         "tariff_quota, price_safeguard, safeguard_template, activations, "
                         "economic_partnerships, customs_rounding, consumption_tax, "
                         "article5_levels, price_trigger_bands, surge_screens or "
                         "safeguards_agreement",
}


DERIVED_LIMIT = 65_536  # entries of RuleSet.derived: a few MB at most
_MISSING = object()


@dataclass(frozen=True)
class RuleSet:
    """The validated rule library, indexed by rule id."""

    root: Path
    agreements: dict[str, s.Agreement]
    groups: dict[str, list[s.Membership]]
    tariffs: dict[str, s.Tariff]
    safeguards: dict[str, s.VolumeSafeguard]
    quotas: dict[str, s.TariffQuota]
    price_safeguards: dict[str, s.PriceSafeguard]
    templates: dict[str, s.SafeguardTemplate]
    activations: tuple[s.Activation, ...]
    files: dict[str, Path] = field(repr=False)
    documents: dict[str, BaseModel] = field(repr=False)
    epas: dict[str, s.EconomicPartnership] = field(default_factory=dict, repr=False)
    unencoded_activations: tuple[s.UnencodedActivation, ...] = field(default=(), repr=False)
    _by_line: dict[str, list[tuple[str, s.Tariff]]] = field(
        default_factory=dict, repr=False, compare=False)
    _derived: dict[Hashable, Any] = field(default_factory=dict, repr=False, compare=False)

    def derived(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """``compute()``, memoised under ``key``: for what follows from these rules alone
        (a rule set never changes once loaded), e.g. the coverage notes of a line, an origin
        and a day.  Bounded: past ``DERIVED_LIMIT`` entries all are forgotten at once."""
        found = self._derived.get(key, _MISSING)
        if found is _MISSING:
            if len(self._derived) >= DERIVED_LIMIT:
                self._derived.clear()
            found = self._derived[key] = compute()
        return found

    def tariffs_for(self, line: str) -> list[tuple[str, s.Tariff]]:
        """The tariff rules whose lines cover ``line``, by rule id (memoised per line)."""
        found = self._by_line.get(line)
        if found is None:
            found = [(rid, t) for rid, t in sorted(self.tariffs.items())
                     if any(line.startswith(p) for sch in t.schedules for p in sch.lines)]
            self._by_line[line] = found
        return found

    def rule(self, rule_id: str) -> BaseModel:
        try:
            return self.documents[rule_id]
        except KeyError:
            raise RuleNotFoundError(problem(
                f"no rule `{rule_id}`", why="the id is not in the rule library",
                fix="run `tradeguard rules list` to see the ids")) from None

    def ids(self) -> list[str]:
        return sorted(self.documents)


def rule_id_for(path: Path, root: Path) -> str:
    return ".".join(path.relative_to(root).with_suffix("").parts)


def _key_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif "[" in str(part) or "function-" in str(part):
            continue  # pydantic's internal validator names add nothing for an author
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _pydantic_problems(rel: str, exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors():
        loc = err["loc"]
        # The first element of a discriminated union's path is the `kind` tag itself.
        if loc and loc[0] in {"agreement", "partner_groups", "tariff", "volume_safeguard",
                              "tariff_quota", "price_safeguard", "safeguard_template",
                              "activations", "economic_partnerships", "customs_rounding",
                              "consumption_tax", "article5_levels", "price_trigger_bands",
                              "surge_screens", "safeguards_agreement"}:
            loc = loc[1:]
        msg = err["msg"].removeprefix("Value error, ")
        out.append(problem(msg, where=f"{rel}, key `{_key_path(loc)}`",
                           fix=_FIXES.get(err["type"], "see docs/rules-authoring.md")))
    return out


def _walk(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Yield (key path, model) for every pydantic model inside ``node``."""
    if isinstance(node, BaseModel):
        yield path, node
        for name in type(node).model_fields:
            child = getattr(node, name)
            yield from _walk(child, f"{path}.{name}" if path else name)
    elif isinstance(node, list | tuple):
        for i, child in enumerate(node):
            yield from _walk(child, f"{path}[{i}]")
    elif isinstance(node, dict):
        for key, child in node.items():
            yield from _walk(child, f"{path}.{key}" if path else str(key))


def _walk_raw(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Yield (key path, mapping) for every mapping in parsed YAML.

    The date and citation checks read the raw YAML, not the validated model, so
    they still run (and report) when a file also has schema errors.
    """
    if isinstance(node, dict):
        yield path, node
        for key, child in node.items():
            yield from _walk_raw(child, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for i, child in enumerate(node):
            yield from _walk_raw(child, f"{path}[{i}]")


def _dated_lists(raw: Any) -> Iterator[tuple[str, list[dict]]]:
    for path, mapping in _walk_raw(raw):
        for key, value in mapping.items():
            if (isinstance(value, list) and value
                    and all(isinstance(v, dict) and isinstance(v.get("valid_from"), dt.date)
                            and "status" in v and "partner" not in v for v in value)):
                yield (f"{path}.{key}" if path else str(key)), value


def _check_dates(rel: str, raw: Any) -> list[str]:
    """Start-dated values must be in order, unique, and not overlap a stated end."""
    out = []
    for key, values in _dated_lists(raw):
        for i, (prev, cur) in enumerate(itertools.pairwise(values), start=1):
            where = f"{rel}, key `{key}[{i}].valid_from`"
            prev_to = prev.get("valid_to")
            if cur["valid_from"] == prev["valid_from"]:
                out.append(problem(f"two values start on {cur['valid_from']}", where=where,
                                   fix="remove one, or end the earlier value with `value: null`"))
            elif cur["valid_from"] < prev["valid_from"]:
                out.append(problem(f"{cur['valid_from']} comes before the previous "
                                   f"{prev['valid_from']}", where=where,
                                   fix="list dated values oldest first"))
            elif isinstance(prev_to, dt.date) and prev_to >= cur["valid_from"]:
                out.append(problem(
                    f"the value before runs to {prev_to}, overlapping this one from "
                    f"{cur['valid_from']}", where=where,
                    fix="end the earlier value the day before, or drop its `valid_to`"))
    for path, mapping in _walk_raw(raw):
        vt, vf = mapping.get("valid_to"), mapping.get("valid_from")
        if isinstance(vt, dt.date) and isinstance(vf, dt.date) and vt < vf:
            out.append(problem(f"`valid_to` {vt} is before `valid_from` {vf}",
                               where=f"{rel}, key `{path or '(top level)'}`",
                               fix="swap or correct the dates"))
    return out


def _check_citations(rel: str, raw: Any) -> list[str]:
    sources = raw.get("sources") if isinstance(raw, dict) else None
    sources = sources if isinstance(sources, dict) else {}
    out = []
    for path, mapping in _walk_raw(raw):
        for key in ("cite", "announced_cite"):
            cite = mapping.get(key)
            if isinstance(cite, str) and cite not in sources:
                out.append(problem(f"cites `{cite}`, which is not in `sources`",
                                   where=f"{rel}, key `{path + '.' if path else ''}{key}`",
                                   fix=f"add `{cite}` under `sources` or cite one of: "
                                       f"{', '.join(sorted(sources)) or '(none)'}"))
    return out


def _check_partners(rel: str, doc: BaseModel, groups: set[str]) -> list[str]:
    from tradeguard.reference import is_known_partner  # the ISO table, loaded once

    out = []
    for path, model in _walk(doc):
        refs: list[str] = []
        if isinstance(model, s.PartnerScope):
            refs = model.references()
        elif isinstance(model, s.Membership):
            refs = [model.partner]
        for ref in refs:
            where = f"{rel}, key `{path}`"
            if ref.startswith("group:"):
                if ref.removeprefix("group:") not in groups:
                    out.append(problem(f"unknown partner group `{ref}`", where=where,
                                       fix=f"define it in partner_groups.yaml or use one of: "
                                           f"{', '.join(sorted(groups))}"))
            elif not _ISO2.match(ref) or not is_known_partner(ref):
                out.append(problem(f"`{ref}` is not an ISO 3166 alpha-2 partner code",
                                   where=where, fix="write the partner as e.g. US, AU, CA"))
    return out


def _check_references(ruleset_docs: dict[str, BaseModel], files: dict[str, Path],
                      root: Path) -> list[str]:
    """Cross-file references: agreements, regimes, `same_as` and activation measures."""
    agreements = {rid.split(".")[0] for rid, d in ruleset_docs.items()
                  if isinstance(d, s.Agreement)}
    regimes = {d.regime for d in ruleset_docs.values() if isinstance(d, s.Tariff)}
    out = []
    for rid, doc in ruleset_docs.items():
        rel = str(files[rid].relative_to(root.parent))
        if (isinstance(doc, s.Tariff | s.VolumeSafeguard | s.TariffQuota | s.PriceSafeguard)
                and doc.agreement not in agreements):
            out.append(problem(f"agreement `{doc.agreement}` is not defined",
                               where=f"{rel}, key `agreement`",
                               fix=f"add {doc.agreement}/agreement.yaml or use one of: "
                                   f"{', '.join(sorted(agreements))}"))
        if isinstance(doc, s.VolumeSafeguard):
            out += _safeguard_references(rel, doc, regimes, ruleset_docs)
        if isinstance(doc, s.SafeguardTemplate):
            out += _template_references(rel, doc, ruleset_docs)
        if isinstance(doc, s.EconomicPartnerships):
            out += _encoded_as_references(rel, doc, agreements)
        if isinstance(doc, s.Activations):
            out += [problem(f"`{act.measure_id}` is not a safeguard measure",
                            where=f"{rel}, key `activations[{i}].measure_id`",
                            fix="name a volume_safeguard rule id")
                    for i, act in enumerate(doc.activations)
                    if not isinstance(ruleset_docs.get(act.measure_id), s.VolumeSafeguard)]
    return out


def _safeguard_references(rel: str, doc: s.VolumeSafeguard, regimes: set[str],
                          ruleset_docs: dict[str, BaseModel]) -> list[str]:
    out = [problem(f"regime `{regime}` has no tariff", where=f"{rel}, key `hits_regimes`",
                   fix="name a regime that a tariff defines")
           for regime in doc.hits_regimes if regime not in regimes]
    for i, cond in enumerate(doc.conditions):
        ref = cond.trigger.same_as
        if ref and not _names_condition(ruleset_docs, *ref.partition("#")[::2]):
            out.append(problem(f"`same_as: {ref}` names no safeguard condition",
                               where=f"{rel}, key `conditions[{i}].trigger.same_as`",
                               fix="write `<rule id>#<condition id>`"))
    return out


def _names_condition(ruleset_docs: dict[str, BaseModel], rule_id: str, cond_id: str) -> bool:
    target = ruleset_docs.get(rule_id)
    return isinstance(target, s.VolumeSafeguard) and cond_id in {c.id for c in target.conditions}


def _template_references(rel: str, doc: s.SafeguardTemplate,
                         ruleset_docs: dict[str, BaseModel]) -> list[str]:
    if _names_condition(ruleset_docs, doc.base, doc.base_condition):
        return []
    return [problem(f"`{doc.base}#{doc.base_condition}` names no safeguard condition",
                    where=f"{rel}, key `base`",
                    fix="name a volume_safeguard rule id and one of its conditions")]


def _encoded_as_references(rel: str, doc: s.EconomicPartnerships,
                           agreements: set[str]) -> list[str]:
    return [problem(f"`encoded_as: {epa.encoded_as}` is not an agreement of the library",
                    where=f"{rel}, key `agreements.{key}`",
                    fix=f"use one of: {', '.join(sorted(agreements))}")
            for key, epa in doc.agreements.items()
            if epa.encoded_as is not None and epa.encoded_as not in agreements]


def _parse(path: Path, rel: str) -> tuple[Any, list[str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, [problem("the file is not UTF-8 text", where=rel, why=str(exc),
                              fix="save it as UTF-8")]
    try:
        return yaml.load(text, Loader=_LOADER), []
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{rel}, line {mark.line + 1}" if mark else rel
        return None, [problem(f"YAML syntax error: {exc.problem}", where=where,
                              fix="check indentation and quoting near that line")]


@lru_cache(maxsize=1)
def shipped_rules() -> RuleSet:
    """The rule library shipped with tradeguard, loaded once per process."""
    return load_rules()


def load_rules(root: Path | str | None = None) -> RuleSet:
    """Load and validate every rule file under ``root`` (default: the shipped library).

    Raises :class:`RuleValidationError` listing every problem in every file.
    """
    root = Path(root) if root is not None else LIBRARY
    if not root.is_dir():
        raise RuleValidationError([problem("the rule folder does not exist", where=str(root),
                                           fix="pass the folder that holds the YAML rule files")])
    problems: list[str] = []
    docs: dict[str, BaseModel] = {}
    files: dict[str, Path] = {}
    for path in sorted(root.rglob("*.yaml")):
        rel = str(path.relative_to(root.parent))
        raw, errs = _parse(path, rel)
        problems += errs
        if errs:
            continue
        problems += _check_dates(rel, raw) + _check_citations(rel, raw)
        try:
            doc = _RULE_FILE.validate_python(raw)
        except ValidationError as exc:
            problems += _pydantic_problems(rel, exc)
            continue
        rid = rule_id_for(path, root)
        docs[rid], files[rid] = doc, path

    group_docs = [d for d in docs.values() if isinstance(d, s.PartnerGroups)]
    groups = {name: members for d in group_docs for name, members in d.groups.items()}
    for rid, doc in docs.items():
        problems += _check_partners(str(files[rid].relative_to(root.parent)), doc, set(groups))
    problems += _check_references(docs, files, root)
    if problems:
        raise RuleValidationError(problems)

    def of(kind: type) -> dict[str, Any]:
        return {rid: d for rid, d in docs.items() if isinstance(d, kind)}

    agreements = {rid.split(".")[0]: d for rid, d in of(s.Agreement).items()}
    activations = tuple(a for d in of(s.Activations).values() for a in d.activations)
    return RuleSet(root=root, agreements=agreements, groups=groups, tariffs=of(s.Tariff),
                   safeguards=of(s.VolumeSafeguard), quotas=of(s.TariffQuota),
                   price_safeguards=of(s.PriceSafeguard), templates=of(s.SafeguardTemplate),
                   activations=activations, files=files, documents=docs,
                   epas={k: e for d in of(s.EconomicPartnerships).values()
                         for k, e in d.agreements.items()},
                   unencoded_activations=tuple(u for d in of(s.Activations).values()
                                               for u in d.unencoded))
