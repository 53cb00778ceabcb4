"""Safeguard-rule checks: each non-conforming proposal is rejected with its article cited."""

from __future__ import annotations

import datetime as dt

from tradeguard.surge import Proposal, check_measure
from tradeguard.surge.measures import PreviousMeasure, limits

LIBERAL = [(dt.date(2027, 1, 1), 30.0), (dt.date(2028, 1, 1), 25.0),
           (dt.date(2029, 1, 1), 20.0), (dt.date(2030, 1, 1), 15.0)]


def _codes(problems):
    return {(p.code, p.article) for p in problems}


def test_limits_are_data_with_articles():
    lim = limits()
    assert (lim["provisional_max_days"].value, lim["provisional_max_days"].article) == (200, "Art. 6")
    assert lim["total_max_years"].value == 8 and lim["total_max_years"].article == "Art. 7.3"
    assert lim["developing_individual_share_max"].value == 0.03
    assert lim["developing_collective_share_max"].value == 0.09


def test_a_conforming_measure_passes():
    ok = Proposal("0201", dt.date(2027, 1, 1), initial_years=4, provisional_days=150,
                  liberalisation=LIBERAL)
    assert check_measure(ok) == []


def test_nine_years_is_rejected_with_article_7_3():
    found = check_measure(Proposal("0201", dt.date(2027, 1, 1), initial_years=4,
                                   extension_years=5, liberalisation=LIBERAL))
    assert ("total_too_long", "Art. 7.3") in _codes(found)
    assert any("9.00 years" in str(p) and "Art. 7.3" in str(p) for p in found)


def test_nine_years_as_one_period_also_breaks_article_7_1():
    found = check_measure({"product": "0201", "start": "2027-01-01", "initial_years": 9,
                           "liberalisation": [("2027-01-01", 30), ("2028-01-01", 20)]})
    assert {("initial_too_long", "Art. 7.1"), ("total_too_long", "Art. 7.3")} <= _codes(found)


def test_a_developing_member_may_go_to_ten_years():
    p = Proposal("0201", dt.date(2027, 1, 1), initial_years=4, extension_years=5,
                 liberalisation=LIBERAL, developing_member=True)
    assert "total_too_long" not in {x.code for x in check_measure(p)}


def test_a_250_day_provisional_measure_is_rejected_with_article_6():
    found = check_measure(Proposal("0201", dt.date(2027, 1, 1), initial_years=3,
                                   provisional_days=250, liberalisation=LIBERAL))
    assert ("provisional_too_long", "Art. 6") in _codes(found)


def test_reapplication_too_soon_is_rejected_with_article_7_5():
    prev = PreviousMeasure(dt.date(2020, 1, 1), dt.date(2022, 12, 31))  # three years
    found = check_measure(Proposal("0201", dt.date(2024, 6, 1), initial_years=2,
                                   liberalisation=LIBERAL, previous=[prev]))
    (p,) = [x for x in found if x.code == "reapplied_too_soon"]
    assert p.article == "Art. 7.5" and "2025-12-31" in p.message
    later = Proposal("0201", dt.date(2026, 1, 1), initial_years=2, liberalisation=LIBERAL,
                     previous=[prev])
    assert check_measure(later) == []


def test_a_short_measure_may_come_back_after_a_year_article_7_6():
    prev = PreviousMeasure(dt.date(2024, 1, 1), dt.date(2024, 5, 31))
    short = Proposal("0201", dt.date(2025, 7, 1), initial_years=0.4, previous=[prev])
    assert check_measure(short) == []


def test_no_progressive_liberalisation_article_7_4():
    found = check_measure(Proposal("0201", dt.date(2027, 1, 1), initial_years=3))
    assert ("no_liberalisation", "Art. 7.4") in _codes(found)


def test_developing_country_de_minimis_article_9_1():
    base = {"product": "0201", "start": "2027-01-01", "initial_years": 1,
            "import_shares": {"AR": 0.02, "UY": 0.025, "US": 0.4, "AU": 0.5},
            "developing_partners": ["AR", "UY"]}
    found = check_measure(base)
    assert ("de_minimis_not_exempted", "Art. 9.1") in _codes(found)
    assert check_measure({**base, "exempted": ["AR", "UY"]}) == []
    # above 9% together, the exemption does not apply
    crowded = {**base, "import_shares": {"AR": 0.03, "UY": 0.03, "PY": 0.03, "BR": 0.03},
               "developing_partners": ["AR", "UY", "PY", "BR"]}
    assert check_measure(crowded) == []
