"""Quotas of agreements that never entered into force (the TPP-12 as signed) are not open."""

from __future__ import annotations

import datetime as dt

import pytest

from tradeguard.api.services import Services

AS_OF = dt.date(2019, 12, 31)


@pytest.fixture(scope="module")
def quotas(tmp_path_factory):
    return Services.over(tmp_path_factory.mktemp("quotas") / "no-store.duckdb").quotas


def test_quotas_of_an_agreement_never_in_force_are_not_listed_by_default(quotas):
    listed = {q["rule_id"]: q for q in quotas.balances(AS_OF)}
    assert "tpp.rice_us_quota" not in listed and "tpp.rice_au_quota" not in listed
    assert listed["cptpp.rice_au_quota"]["agreement_status"] == "in_force"
    # no store, so no declarations: its balance is unknown, never shown as open and full
    assert listed["cptpp.rice_au_quota"]["status"] == "no_data"


def test_with_include_signed_they_are_listed_as_studied_never_open(quotas):
    studied = {q["rule_id"]: q for q in quotas.balances(AS_OF, include_signed=True)
               if q["agreement"] == "tpp"}
    assert set(studied) == {"tpp.rice_us_quota", "tpp.rice_au_quota"}
    for quota in studied.values():
        assert quota["agreement_status"] == "signed"
        assert quota["status"] == "not_in_force"
        assert quota["note"] == ("TPP was signed, never in force: volumes as studied from "
                                 "2018-12-30")
