"""The dashboard in real headless Chromium (Debian's, driven by Playwright).

The committed screenshots in docs/screenshots/ come from `make screenshots`
(scripts/screenshots.py), not from these tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.conftest import TOKEN

expect = pytest.importorskip("playwright.sync_api").expect

BAD = Path(__file__).resolve().parents[1] / "data" / "bad_inputs"
BUNDLED_MEASURES = {"cptpp.beef_safeguard", "jaepa.beef_chilled_safeguard",
                    "jaepa.beef_frozen_safeguard", "jeuepa.beef_safeguard",
                    "jeuepa.pork_safeguard", "wto.beef_chilled_emergency",
                    "wto.beef_frozen_emergency", "wto.pork_emergency"}


def test_overview_lists_the_bundled_measures(page):
    page.goto("/")
    cards = page.locator("#cards li.card")
    assert {cards.nth(i).get_attribute("data-measure") for i in range(cards.count())} \
        == BUNDLED_MEASURES
    assert "Safeguards as of 2019-12-31" in page.locator("h1").inner_text()
    # Filter by product from the keyboard: focus the select, choose, submit.
    page.focus("#product")
    page.select_option("#product", "pork")
    page.locator("main button[type=submit]").press("Enter")
    page.wait_for_url("**/?*product=pork*")
    cards = page.locator("#cards li.card")
    assert {cards.nth(i).get_attribute("data-measure") for i in range(cards.count())} == {
        "jeuepa.pork_safeguard", "wto.pork_emergency"}


def test_measure_chart_shows_a_points_value_on_hover(page):
    page.goto("/measures/cptpp.beef_safeguard?period=FY2019")
    page.wait_for_selector("#measure-chart[data-rendered=true]")
    chart = page.locator("#measure-chart svg.marks")
    box = chart.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 100
    points = page.locator("#measure-chart .checkpoints_marks path")
    assert points.count() >= 9  # one per month of data, and the trigger's
    first_row = page.locator("#points tbody tr").first.locator("td")
    day, cumulative = first_row.nth(0).inner_text(), first_row.nth(2).inner_text()
    points.first.hover(force=True)  # the first checkpoint of FY2019's imports
    tip = page.locator("#vg-tooltip-element.visible")
    tip.wait_for()
    text = tip.inner_text()
    assert "FY2019 imports" in text and day in text and f"{cumulative} t" in text
    assert "citation" in page.locator("table.values").inner_text()


def test_measure_chart_zooms_toggles_a_series_from_its_legend_and_offers_png_and_svg(page):
    page.goto("/measures/cptpp.beef_safeguard?period=FY2019")
    page.wait_for_selector("#measure-chart[data-rendered=true]")
    chart = page.locator("#measure-chart")
    months = chart.locator(".role-axis-label text")
    assert months.first.text_content() == "Apr 2019"  # April's total under the April tick
    points = chart.locator(".checkpoints_marks path")
    chart.locator(".role-legend-label text", has_text="FY2019 trigger").click(force=True)
    expect(points.first).to_have_attribute("opacity", "0.12")  # imports faded
    trigger = chart.locator('.checkpoints_marks path[aria-label*="series: FY2019 trigger"]')
    expect(trigger.first).to_have_attribute("opacity", "1")  # the trigger shown
    box = chart.locator("svg.marks").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -600)  # zoom in: April leaves the axis
    expect(months.first).not_to_have_text("Apr 2019")
    chart.locator("details summary").click()
    assert chart.locator(".vega-actions a").all_inner_texts() == ["Save as SVG", "Save as PNG"]


def test_overview_chart_has_a_bar_per_measure_with_a_share(page):
    page.goto("/")
    page.wait_for_selector("#overview-chart[data-rendered=true]")
    known = page.locator("#cards dd[data-field=share]:not([data-value=None])").count()
    assert page.locator("#overview-chart .mark-rect path").count() == known


def test_duty_calculator_answers_frozen_us_beef(page):
    page.goto("/duty")
    page.fill("#line", "0202.30")
    page.fill("#origin", "US")
    page.fill("#date", "2021-03-20")
    page.locator("#date").press("Enter")
    page.wait_for_selector("#chosen")
    chosen = page.locator("#chosen").inner_text()
    assert "usjta" in chosen and "38.5%" in chosen and "safeguard" in chosen
    trace = page.locator("#trace tbody tr")
    assert trace.count() >= 2
    assert "usjta.beef_safeguard" in page.locator("#trace").inner_text()


def test_rules_browser_and_quotas(page):
    page.goto("/rules")
    assert page.locator("#measures").get_by_text("usjta.beef_safeguard").count() >= 1
    assert page.locator(".badge.s-confirmed").count() > 0
    page.goto("/quotas")
    # The two TPP-12 rice quotas (signed, never in force) are listed only on request; the
    # 11 in force: CPTPP 4, Japan-EU EPA 2, Japan-Mexico EPA 3, Japan-Chile EPA 2.
    assert page.locator("#quotas tbody tr").count() == 11
    page.goto("/quotas?include_signed=true")
    assert page.locator("#quotas tbody tr").count() == 13
    assert page.locator("#quotas .st-not_in_force").count() == 2


def test_upload_of_a_bad_file_shows_the_row_level_errors(page):
    page.goto("/data")
    assert page.locator("#batches tbody tr").count() == 1
    page.set_input_files("#file", str(BAD / "negative_quantity.csv"))
    page.fill("#token", TOKEN)
    page.click("main button[type=submit]")
    page.wait_for_selector("#rejected")
    table = page.locator("#row-problems tbody tr")
    assert table.count() == 1
    cells = table.first.locator("td")
    assert [cells.nth(i).inner_text() for i in range(4)] == ["3", "quantity", "-800.0",
                                                             "is negative"]
    assert page.locator("#batches tbody tr").count() == 1  # nothing stored


def test_pages_have_labels_and_a_skip_link(page):
    page.goto("/duty")
    for field in ("line", "origin", "date", "value", "quantity", "as_of"):
        assert page.locator(f"label[for={field}]").count() == 1
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.set_viewport_size({"width": 380, "height": 800})  # responsive: no horizontal scroll
    page.goto("/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400


def test_header_search_for_frozen_beef_reaches_line_0202(page):
    page.goto("/rules")
    page.fill("#site-search", "frozen beef")
    page.locator("#site-search").press("Enter")
    page.wait_for_selector("#lines")
    first = page.locator("#lines tbody tr").first
    assert first.get_attribute("data-code") == "0202"
    assert "Meat of bovine animals; frozen" in first.inner_text()
    first.get_by_role("link", name="0202").click()
    page.wait_for_url("**/lines?q=0202")
    assert page.locator("#lines tbody tr").first.get_attribute("data-code") == "0202"
    page.locator('#lines tr[data-code="020230"]').get_by_role("link",
                                                             name="duty calculator").click()
    page.wait_for_url("**/duty?line=0202.30")
    assert page.input_value("#line") == "0202.30"


def test_duty_calculator_keeps_its_inputs_and_shows_a_bad_origin_beside_the_field(page):
    page.goto("/duty")
    page.fill("#line", "0202.30")
    page.fill("#origin", "XX")
    page.fill("#date", "2021-03-20")
    page.fill("#value", "1000000")
    page.locator("#date").press("Enter")
    page.wait_for_selector("#origin-error")
    assert "unknown origin `XX`" in page.locator("#origin-error").inner_text()
    assert page.get_attribute("#origin", "aria-invalid") == "true"
    assert [page.input_value(f"#{f}") for f in ("line", "origin", "date", "value")] \
        == ["0202.30", "XX", "2021-03-20", "1000000"]
    assert page.locator("#problem").count() == 0  # the form, not an error page
    page.fill("#origin", "US")
    page.locator("#origin").press("Enter")
    page.wait_for_selector("#chosen")
    assert "usjta" in page.locator("#chosen").inner_text()


def test_pages_load_without_a_failed_request(page):
    # Headless Chromium asks for no favicon; test_no_favicon_404 covers that one.
    failed = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    for path in ("/", "/rules/cptpp.beef_safeguard", "/lines?q=frozen+beef"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
    assert failed == []
