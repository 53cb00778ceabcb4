"""The Surges page in real headless Chromium: filter to Australian beef, page through it, open
a flag's chart.  Skipped without Debian's chromium or Python Playwright (tests/web/conftest)."""

from __future__ import annotations


def test_paging_through_australian_beef_surges_and_opening_a_chart(page):
    page.goto("/surges")
    page.fill("#f-line", "02")
    page.fill("#f-partner", "AU")
    page.fill("#f-per", "10")
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_url("**/surges?*partner=AU*")
    pages = int(page.locator("#page-count").inner_text())
    assert page.locator("#page-no").inner_text() == "1" and pages >= 2
    first = page.locator("#surges tbody tr").all_inner_texts()
    assert len(first) == 10 and all("\tAU\t" in row for row in first)
    page.locator("a[rel=next]").click()
    page.wait_for_url("**/surges?*page=2*")
    assert page.locator("#page-no").inner_text() == "2"
    second = page.locator("#surges tbody tr").all_inner_texts()
    assert second and not set(second) & set(first)
    assert page.input_value("#f-partner") == "AU" and page.input_value("#f-line") == "02"
    assert "immaterial flags left out" in page.locator("#surge-count").inner_text()
    page.locator("#surges tbody tr").first.locator("a", has_text="chart").click()
    page.wait_for_url("**/surges/series?*")
    page.wait_for_selector("#series-chart[data-rendered=true]")
    assert page.locator("#series-chart svg.marks").count() == 1
    assert page.locator("#series-chart .mark-rect path").count() == 1  # the flagged month
    assert page.locator("#series tr.flagged").count() == 1
