"""The shipped rule library: valid, cited, and every file tested across a boundary."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

from tradeguard.rules import schema as s
from tradeguard.rules.loader import LIBRARY, _walk, load_rules
from tradeguard.testing.rule_cases import case_dates

CASES = Path(__file__).parent / "rules"


def _cases_by_rule() -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for path in CASES.rglob("*.yaml"):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")):
            out.setdefault(case["rule"], []).append(case)
    return out


def _boundaries(doc: s.BaseModel) -> set[dt.date]:
    """Every date at which something in the rule starts (or an activation ends)."""
    days: set[dt.date] = set()
    for _, model in _walk(doc):
        for name in ("valid_from", "entry_into_force", "study_entry_into_force", "start"):
            day = getattr(model, name, None)
            if isinstance(day, dt.date):
                days.add(day)
        end = getattr(model, "end", None)
        if isinstance(model, s.Activation) and isinstance(end, dt.date):
            days.add(end + dt.timedelta(days=1))
    return days


def test_every_rule_file_has_a_case_crossing_a_valid_from_boundary():
    rules = load_rules()
    cases = _cases_by_rule()
    missing = []
    for rule_id, doc in rules.documents.items():
        days = sorted(d for c in cases.get(rule_id, []) for d in case_dates(c))
        boundaries = _boundaries(doc)
        if not boundaries:  # an undated rule (a formula template) needs a case, no crossing
            crossed = bool(cases.get(rule_id))
        else:
            crossed = any(days[0] < b <= days[-1] for b in boundaries) if days else False
        if not crossed:
            missing.append(rule_id)
    assert missing == [], f"rule files without a boundary-crossing case: {missing}"


def test_case_files_mirror_the_rule_library():
    rule_files = {p.relative_to(LIBRARY) for p in LIBRARY.rglob("*.yaml")}
    case_files = {p.relative_to(CASES) for p in CASES.rglob("*.yaml")}
    assert rule_files == case_files


def test_every_dated_value_has_a_status_and_a_resolvable_citation():
    rules = load_rules()
    seen = 0
    for doc in rules.documents.values():
        sources = getattr(doc, "sources", {})
        for _, model in _walk(doc):
            if hasattr(model, "cite") and not isinstance(model, s.Agreement):
                seen += 1
                assert model.status in {"confirmed", "secondary", "derived", "unconfirmed"}
                assert sources[model.cite].title
    assert seen > 100  # the beef library holds well over a hundred cited values


def test_statuses_cover_all_four_markers():
    rules = load_rules()
    statuses = {m.status for d in rules.documents.values() for _, m in _walk(d)
                if hasattr(m, "cite") and not isinstance(m, s.Agreement)}
    assert statuses == {"confirmed", "secondary", "derived", "unconfirmed"}


def test_each_shipped_volume_safeguard_states_its_cited_counting_basis():
    from tradeguard.rules.loader import shipped_rules

    rules = shipped_rules()
    missing = [f"{mid}#{c.id}" for mid, m in rules.safeguards.items() for c in m.conditions
               if c.counting.basis is None]
    assert missing == []
    usjta = rules.safeguards["usjta.beef_safeguard"].conditions[0].counting
    assert (usjta.regimes, usjta.basis.counts) == (["usjta"], "preference_claims")


def test_a_counting_basis_must_agree_with_the_regimes_counted():
    import pytest
    from pydantic import ValidationError

    from tradeguard.rules.schema import CountingScope

    with pytest.raises(ValidationError, match="does not match"):
        CountingScope(regimes="all", basis={"counts": "preference_claims", "wording": "x",
                                            "status": "confirmed", "cite": "x"})


def test_every_preferential_regime_of_the_import_data_names_one_economic_partnership():
    from tradeguard.data.regimes import REGIMES
    from tradeguard.rules.law import entry_into_force_by_regime

    rules = load_rules()
    named = [e.regime for e in rules.epas.values() if e.regime]
    assert sorted(named) == sorted(set(REGIMES) - {"mfn"})
    eif = entry_into_force_by_regime(rules)
    assert (eif["jsepa"], eif["jukcepa"], eif["rcep"]) == (
        dt.date(2002, 11, 30), dt.date(2021, 1, 1), dt.date(2022, 1, 1))
