"""Running an example design from the desk, in real headless Chromium (issue 14's acceptance):
open the lab, edit a copy of an example, run it, read the report and its limitations.
Skipped without Debian's chromium or Python Playwright (tests/web/conftest)."""

from __future__ import annotations


def test_running_an_edited_copy_of_an_example_design_from_the_desk(page):
    page.goto("/designs")
    page.locator("#lab-links").get_by_role("link", name="Edit a copy of an example").click()
    page.wait_for_url("**/designs/edit")
    page.locator("#examples").get_by_role("link", name="beef-us-opening").click()
    page.wait_for_url("**/designs/edit?example=beef-us-opening")
    assert page.input_value("#trigger_scale") == "1.15"
    page.fill("#id", "us-softer")
    page.fill("#trigger_scale", "1.1")
    page.fill("#paths", "8")  # small: the run is the point, not its precision
    page.fill("#years", "2")
    page.click("#run")
    page.wait_for_selector("#limitations")
    assert "run=1" in page.url and "trigger_scale=1.1" in page.url  # the run is a link
    assert "Tariff-rate quotas are simulated at a month's resolution" in page.locator("#limitations").inner_text()
    rows = page.locator("#totals tbody tr")
    assert [rows.nth(i).get_attribute("data-design") for i in range(rows.count())] \
        == ["us-softer", "beef-us-opening"]
    assert "trigger_scale: 1.1" in page.locator("#document").inner_text()
    assert page.input_value("#trigger_scale") == "1.1"  # the form keeps what was run
