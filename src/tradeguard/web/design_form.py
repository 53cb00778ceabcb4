"""The desk's design form: an example design as form fields, the fields back as a design
document, and each validation problem placed beside the field it concerns.

The fields cover the elements a negotiator changes most (trigger level and basis, counting
period, snap-back rate, partners, the late-crossing windows, goods en route); every other
override of the example stays, as YAML, in the "Other overrides" field, so a copy loses
nothing.  A design built from a template or a whole measure keeps it as the example has it.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from tradeguard.design.simulate import DEFAULT_SEED


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    hint: str = ""
    key: str | None = None  # the override key the field sets


DESIGN_FIELDS = (
    Field("id", "Id of the copy", "lower-case letters, digits, - and _"),
    Field("title", "Title"),
    Field("base", "Base rule", "an encoded volume safeguard"),
    Field("counting_period", "Counting period", "blank: as the base", "counting_period"),
    Field("trigger_basis", "Trigger basis", "blank: as the base", "trigger"),
    Field("trigger_value", "Trigger value", "% of the base period, or t for a fixed trigger",
          "trigger"),
    Field("average_years", "Years averaged", "for a % of the average; default 3", "trigger"),
    Field("trigger_scale", "Trigger level (x the trigger)", "1.15 = 15% higher; blank: 1",
          "trigger_scale"),
    Field("snap_back", "Snap-back rate", "one rate throughout, e.g. 30%; blank: as the base",
          "snap_back"),
    Field("partners", "Partners counted and hit", "ISO codes, e.g. US or AU, NZ; blank: as "
          "the base", "partners"),
    Field("late_february_days", "February crossing: days", "blank: as the base",
          "late_crossing.2"),
    Field("late_march_days", "March crossing: days", "blank: as the base", "late_crossing.3"),
    Field("en_route_days", "Goods en route: exempt days", "blank: 0",
          "exemptions.en_route_days"),
    Field("other", "Other overrides (YAML)", "every other override key of "
          "docs/design-lab.md, e.g. safeguard_duty@2028-04-01: 20%"),
)
RUN_FIELDS = (
    Field("paths", "Monte Carlo paths"),
    Field("years", "Years simulated"),
    Field("seed", "Seed"),
)
TRIGGER_BASES = ("percent_of_prior_period", "percent_of_average", "fixed")
COUNTING_PERIODS = ("annual", "quarterly", "cumulative_quarters")
DEFAULT_PATHS, DEFAULT_YEARS, MAX_YEARS = 100, 4, 16
#: The top-level keys of a design the form writes; every other key of the example is kept.
FORM_KEYS = frozenset({"id", "title", "base", "overrides"})
SOURCE = "the form"  # where the validator's messages say the design came from


def form_from_document(doc: Mapping[str, Any]) -> dict[str, str]:
    """A copy of an example as the form's text fields."""
    over = dict(doc.get("overrides") or {})
    form = {f.name: "" for f in (*DESIGN_FIELDS, *RUN_FIELDS)}
    form.update(id=f"{doc['id']}-copy", title=f"Copy of {doc.get('title') or doc['id']}",
                base=str(doc.get("base") or ""), paths=str(DEFAULT_PATHS),
                years=str(DEFAULT_YEARS), seed=str(DEFAULT_SEED))
    for name in ("counting_period", "trigger_scale"):
        if isinstance(over.get(name), str | int | float):
            form[name] = str(over.pop(name))
    _trigger_fields(over, form)
    for name in ("snap_back", "safeguard_duty"):
        if isinstance(over.get(name), str | int | float):
            form["snap_back"] = str(over.pop(name))
    partners = over.get("partners")
    if isinstance(partners, list) and all(isinstance(p, str) for p in partners):
        form["partners"] = ", ".join(over.pop("partners"))
    _late_crossing_fields(over, form)
    exemptions = over.get("exemptions")
    if isinstance(exemptions, dict) and set(exemptions) == {"en_route_days"}:
        form["en_route_days"] = str(over.pop("exemptions")["en_route_days"])
    form["other"] = yaml.safe_dump(over, sort_keys=False).strip() if over else ""
    return form


def _trigger_fields(over: dict[str, Any], form: dict[str, str]) -> None:
    trig = over.get("trigger")
    if not (isinstance(trig, dict) and trig.get("basis") in TRIGGER_BASES):
        return
    value = trig.get("volumes" if trig["basis"] == "fixed" else "percent")
    if not isinstance(value, int | float) or set(trig) - {"basis", "percent", "volumes",
                                                           "average_years"}:
        return
    over.pop("trigger")
    form.update(trigger_basis=trig["basis"], trigger_value=f"{value:g}",
                average_years=str(trig.get("average_years") or ""))


def _late_crossing_fields(over: dict[str, Any], form: dict[str, str]) -> None:
    names = {2: "late_february_days", 3: "late_march_days"}
    whole = over.get("late_crossing")
    if isinstance(whole, list) and all(isinstance(r, dict) and r.get("month") in names
                                       and set(r) == {"month", "days"} for r in whole):
        rows = {row["month"]: row["days"] for row in over.pop("late_crossing")}
        for month, name in names.items():  # the whole list: a month it leaves out has none
            form[name] = str(rows.get(month) or 0)
    for month, name in names.items():
        if isinstance(over.get(f"late_crossing.{month}"), int | float):
            form[name] = str(over.pop(f"late_crossing.{month}"))


# --- the form back as a document ----------------------------------------------------------


def document_from_form(form: Mapping[str, str], example: Mapping[str, Any]
                       ) -> tuple[dict[str, Any], dict[str, str]]:
    """The design document the form describes, and a message per field that is wrong."""
    errors: dict[str, str] = {}
    doc: dict[str, Any] = {"id": form["id"].strip(), "title": form["title"].strip()}
    for name in ("id", "title"):
        if not doc[name]:
            errors[name] = f"{_label(name)} is needed"
    if example.get("base") is not None:
        doc["base"] = form["base"].strip() or example["base"]
    elif form["base"].strip():
        errors["base"] = ("this example is built from a template or a whole measure, which "
                          "the form keeps as it is. Fix: leave the base blank")
    for kept, value in example.items():  # what the form does not edit (a template, a whole
        if kept not in FORM_KEYS and value is not None:  # measure, a quota, flows, a price
            doc[kept] = copy.deepcopy(value)  # trigger ...): kept as the example has it
    overrides = _other(form["other"], errors)
    for key, value in _field_overrides(form, errors).items():
        if key in overrides:
            errors["other"] = (f"`{key}` is set both here and in its own field. Fix: set it "
                               "in one place")
        overrides[key] = value
    if overrides:
        doc["overrides"] = overrides
    return doc, errors


def _other(text: str, errors: dict[str, str]) -> dict[str, Any]:
    if not text.strip():
        return {}
    try:
        found = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else "bad YAML"
        errors["other"] = f"not YAML ({first}). Fix: write one `key: value` a line"
        return {}
    if not isinstance(found, dict):
        errors["other"] = "must be `key: value` lines. Fix: write one override a line"
        return {}
    return {str(k): v for k, v in found.items()}


def _field_overrides(form: Mapping[str, str], errors: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    text = {name: form[name].strip() for name in form}
    if text["counting_period"]:
        if text["counting_period"] not in COUNTING_PERIODS:
            errors["counting_period"] = ("choose " + ", ".join(COUNTING_PERIODS)
                                         + " or blank")
        out["counting_period"] = text["counting_period"]
    trigger = _trigger_override(text, errors)
    if trigger is not None:
        out["trigger"] = trigger
    scale = number(text, "trigger_scale", errors, minimum=0)
    if scale is not None:
        out["trigger_scale"] = scale
    if text["snap_back"]:
        rate = text["snap_back"]
        out["snap_back"] = rate if rate.endswith("%") else f"{rate}%"
    if text["partners"]:
        out["partners"] = [p.strip().upper() if not p.strip().startswith("group:")
                           else p.strip() for p in text["partners"].split(",") if p.strip()]
    for name, key in (("late_february_days", "late_crossing.2"),
                      ("late_march_days", "late_crossing.3"),
                      ("en_route_days", "exemptions.en_route_days")):
        days = number(text, name, errors, minimum=0, whole=True, maximum=120)
        if days is not None:
            out[key] = int(days)
    return out


def _trigger_override(text: Mapping[str, str], errors: dict[str, str]) -> dict | None:
    basis = text["trigger_basis"]
    value = number(text, "trigger_value", errors, minimum=0)
    if not basis:
        if value is not None:
            errors["trigger_basis"] = "choose the basis the trigger value is on"
        return None
    if basis not in TRIGGER_BASES:
        errors["trigger_basis"] = "choose " + ", ".join(TRIGGER_BASES) + " or blank"
        return None
    if value is None:
        if "trigger_value" not in errors:
            errors["trigger_value"] = f"a trigger on `{basis}` needs a value"
        return None
    if basis == "fixed":
        return {"basis": basis, "volumes": value}
    out: dict[str, Any] = {"basis": basis, "percent": value}
    if basis == "percent_of_average":
        years = number(text, "average_years", errors, minimum=1, whole=True, maximum=10)
        out["average_years"] = int(years or 3)
    return out


def number(text: Mapping[str, str], name: str, errors: dict[str, str], *, minimum: float,
           maximum: float | None = None, whole: bool = False) -> float | None:
    """A field's number (None when blank); a message beside the field when it is not one."""
    raw = text[name].replace(",", "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        errors[name] = f"`{text[name]}` is not a number. Fix: write digits, e.g. 1.1"
        return None
    if value != value or (whole and not value.is_integer()):
        errors[name] = f"`{text[name]}` is not a whole number"
        return None
    if value < minimum or (maximum is not None and value > maximum):
        top = f" to {maximum:g}" if maximum is not None else " or more"
        errors[name] = f"{value:g} is out of range. Fix: give {minimum:g}{top}"
        return None
    return value


def _label(name: str) -> str:
    return next(f.label for f in (*DESIGN_FIELDS, *RUN_FIELDS) if f.name == name)


# --- problems beside their fields --------------------------------------------------------

# What a validation problem names (see design/overrides.py), and the field it belongs to.
_MARKERS = (
    ("late_crossing.2", "late_february_days"), ("late_crossing.3", "late_march_days"),
    ("override `trigger_scale`", "trigger_scale"), ("override `trigger", "trigger_value"),
    ("negative trigger", "trigger_value"), ("trigger.", "trigger_value"),
    ("separate-quarter", "counting_period"), ("override `counting_period`", "counting_period"),
    ("override `snap_back`", "snap_back"), ("key `safeguard_duty`", "snap_back"),
    ("override `partners`", "partners"), ("`hits`", "partners"),
    ("counting.partners", "partners"), ("override `exemptions", "en_route_days"),
    ("`base: ", "base"), ("key `id`", "id"), ("id `", "id"), ("key `title`", "title"),
)


def problems_by_field(problems: list[str], form: Mapping[str, str]) -> dict[str, str]:
    """Each problem beside the field it concerns: a field the user filled in, else "Other
    overrides" (which set everything else), else the form as a whole (``form``)."""
    out: dict[str, list[str]] = {}
    for text in problems:
        field = next((f for marker, f in _MARKERS if marker in text and form.get(f, "").strip()),
                     "other" if form.get("other", "").strip() else "form")
        out.setdefault(field, []).append(text.removeprefix(f"{SOURCE}, ")
                                         .removeprefix(f"{SOURCE}: "))
    return {k: " ".join(v) for k, v in out.items()}
