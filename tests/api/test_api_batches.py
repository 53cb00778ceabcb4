"""Undo and revisions through the API: GET and DELETE /api/batches behind the token, and the
upload's ``replace`` / ``known_on`` (issue 11)."""

from __future__ import annotations

from pathlib import Path

from tests.api.conftest import TOKEN, digest
from tests.conftest import make_client

BAD = Path(__file__).resolve().parents[1] / "data" / "bad_inputs"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
# Constructed declarations (made-up figures): one day of Australian chilled beef loin.
FIRST = (b"date,tariff_line,partner,quantity,quantity_unit,value,currency,regime\n"
         b"2019-04-02,020130010,AU,1000,kg,1500000,JPY,jaepa\n")
REVISED = FIRST.replace(b",1000,kg,", b",1200,kg,")


def test_removing_a_batch_needs_the_token_and_leaves_the_store_unchanged_without_it(
        upload_client, store_copy):
    before = digest(store_copy)
    assert upload_client.delete("/api/batches/1").status_code == 401
    assert upload_client.delete("/api/batches/1", headers={"Authorization": "Bearer no"}
                         ).status_code == 403
    assert digest(store_copy) == before


def test_the_batch_list_names_uploaders_so_it_needs_the_token(upload_client, store_copy):
    assert upload_client.get("/api/batches").status_code == 401
    wrong = upload_client.get("/api/batches", headers={"Authorization": "Bearer no"})
    assert wrong.status_code == 403 and "names who uploaded which file" in wrong.json()["detail"]
    (batch,) = upload_client.get("/api/batches", headers=AUTH).json()
    assert (batch["batch_no"], batch["row_count"]) == (1, 6061)


def test_without_a_configured_token_the_batch_list_is_not_served_and_says_where_to_look(
        store_copy):
    from tradeguard.api.app import create_app

    open_desk = make_client(create_app(store_copy, token=None))
    r = open_desk.get("/api/batches", headers=AUTH)
    assert r.status_code == 403 and r.json()["title"] == "Batch list not served"
    assert "`tradeguard batches list`" in r.json()["detail"]


def test_an_unknown_batch_is_404_and_a_dry_run_changes_nothing(upload_client, store_copy):
    before = digest(store_copy)
    missing = upload_client.delete("/api/batches/9", headers=AUTH)
    assert missing.status_code == 404
    assert "the store holds no batch 9" in missing.json()["detail"]
    plan = upload_client.delete("/api/batches/1", params={"dry_run": True}, headers=AUTH)
    assert plan.status_code == 200 and plan.json()["status"] == "dry run"
    assert plan.json()["rows"] == 6061
    assert digest(store_copy) == before


def test_a_repeat_is_refused_a_replace_is_a_revision_and_removal_undoes_it(upload_client):
    r = upload_client.post("/api/ingest", params={"filename": "apr.csv", "known_on": "2019-05-31"},
                    content=FIRST, headers=AUTH)
    assert (r.status_code, r.json()["batch_no"], r.json()["known_on"]) == (200, 2, "2019-05-31")
    refused = upload_client.post("/api/ingest", params={"filename": "apr2.csv"}, content=REVISED,
                          headers=AUTH)
    assert refused.status_code == 422
    assert "1 with different ones" in refused.json()["detail"]
    revised = upload_client.post("/api/ingest", files={"file": ("apr2.csv", REVISED, "text/csv")},
                          data={"replace": "true"}, params={"known_on": "2019-06-30"},
                          headers=AUTH)
    assert revised.status_code == 200, revised.text
    assert (revised.json()["batch_no"], revised.json()["revision"]) == (3, True)
    listed = upload_client.get("/api/batches", headers=AUTH).json()
    assert [(b["batch_no"], b["revision"]) for b in listed] == [(1, False), (2, False),
                                                                (3, True)]
    gone = upload_client.delete("/api/batches/3", headers=AUTH)
    assert gone.status_code == 200
    assert (gone.json()["status"], gone.json()["reinstated"], gone.json()["removed_by"]) == (
        "removed", 1, "api token")
    assert [b["batch_no"] for b in upload_client.get("/api/batches", headers=AUTH).json()] == [1, 2]
