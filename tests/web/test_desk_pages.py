"""The desk's search, JSON twin and duty form, through the app (no browser)."""

from __future__ import annotations

import html


def test_every_page_header_has_the_line_search_form(client):
    for path in ("/", "/duty", "/rules", "/quotas", "/data"):
        page = client.get(path).text
        assert '<form class="search" role="search" method="get" action="/lines">' in page, path


def test_the_lines_page_lists_frozen_beef_with_links_to_its_line_and_the_duty_calculator(client):
    page = client.get("/lines?q=frozen+beef").text
    row = page.split('<tr data-code="0202">')[1].split("</tr>")[0]
    assert '<a href="/lines?q=0202">0202</a>' in row
    assert "Meat of bovine animals; frozen" in row
    assert '<a href="/duty?line=0202">duty calculator</a>' in page
    assert '<a href="/duty?line=0202.30">duty calculator</a>' in page


def test_the_lines_page_says_when_nothing_matches(client):
    response = client.get("/lines?q=zzzqqq")
    assert response.status_code == 200 and 'id="no-lines"' in response.text


def test_the_lines_twin_holds_the_same_lines_as_the_api(client):
    twin = client.get("/lines?q=skimmed+milk+powder&format=json").json()
    api = client.get("/api/lines?q=skimmed+milk+powder&limit=50").json()
    assert [r["code"] for r in twin["lines"]] == [r["code"] for r in api]


def test_the_json_twin_link_keeps_the_query_of_a_duty_result(client):
    page = client.get("/duty?line=0202.30&origin=US&date=2021-03-20").text
    href = html.unescape(page.split('id="json-twin" href="')[1].split('"')[0])
    assert href == "/duty?line=0202.30&origin=US&date=2021-03-20&format=json"
    twin = client.get(href).json()
    assert twin["result"]["chosen"]["regime"] == "usjta"


def test_a_bad_origin_keeps_the_inputs_and_shows_the_error_beside_the_origin(client):
    response = client.get("/duty?line=0202.30&origin=XX&date=2021-03-20&value=1000")
    assert response.status_code == 422
    page = response.text
    assert '<input id="line" name="line" value="0202.30"' in page
    assert '<input id="value" name="value" value="1000"' in page
    origin = page.split('<input id="origin"')[1].split("</div>")[0]
    assert 'aria-invalid="true"' in origin and "unknown origin `XX`" in origin
    assert 'id="line-error"' not in page


def test_a_bad_origin_twin_is_a_problem_naming_the_field(client):
    response = client.get("/duty?line=0202.30&origin=XX&date=2021-03-20&format=json")
    assert response.status_code == 422
    assert response.json()["detail"].startswith("origin: unknown origin `XX`")


def test_a_line_no_rule_covers_is_an_error_beside_the_line(client):
    page = client.get("/duty?line=9999.99&origin=US&date=2021-03-20").text
    assert "no rule covers tariff line 9999.99" in page.split('id="line-error"')[1]


def test_no_favicon_404(client):
    assert client.get("/favicon.ico").status_code == 204
    assert '<link rel="icon" href="data:,">' in client.get("/").text


def test_rule_pages_show_trigger_volumes_as_formatted_tonnes(client):
    page = client.get("/rules/cptpp.beef_safeguard").text
    row = page.split("<td>conditions[0].trigger.volumes[0]</td>")[1].split("</tr>")[0]
    assert ">147,500 t</td>" in row and "147500.0<" not in row


def test_rule_values_carry_units_from_their_keys(client):
    page = client.get("/rules/japan.customs_rounding").text
    row = page.split("<td>exempt_value_up_to_jpy[0]</td>")[1].split("</tr>")[0]
    assert ">10,000 JPY</td>" in row


def test_pages_that_show_lines_show_their_descriptions(client):
    frozen = "Meat of bovine animals; frozen"
    assert frozen in client.get("/rules").text.split('id="measures"')[1]
    assert frozen in client.get("/measures/cptpp.beef_safeguard?period=FY2019").text
    butter = client.get("/quotas?as_of=2021-01-01").text.split('data-code="040510129"')[1]
    assert '0405.10.129</a> <span class="muted">Dairy produce; derived from milk, butter' in butter
    duty = client.get("/duty?line=0202.30&origin=US&date=2021-03-20").text
    assert "(Meat; of bovine animals, boneless cuts, frozen)" in duty


def test_date_inputs_take_iso_dates_as_text(client):
    for path in ("/duty", "/", "/measures/cptpp.beef_safeguard"):
        page = client.get(path).text
        assert 'type="date"' not in page, path
        assert 'pattern="[0-9]{4}-[0-9]{2}-[0-9]{2}"' in page, path
