"""How ``make test`` shares its work between the two xdist workers (tests/conftest.py)."""

from __future__ import annotations

from types import SimpleNamespace

from tests.conftest import pytest_collection_modifyitems as order_and_group
from tests.conftest import pytest_collection_modifyitems_name_xdist_groups as name_groups

pytest_plugins = ["pytester"]

SOURCE = """
import pytest

@pytest.fixture
def browser():
    return None

@pytest.mark.xdist_group("spark")
def test_on_spark():
    pass

def test_in_chromium(browser):
    pass

def test_plain():
    pass

@pytest.mark.slow
def test_long():
    pass
"""


def _items(pytester):
    pytester.makeini("[pytest]\nmarkers =\n    slow: longer tests\n")
    return pytester.getitems(SOURCE)


def _names(items):
    return [item.nodeid.split("::")[1] for item in items]


def test_browser_tests_form_one_group_and_slow_tests_come_first(pytester):
    items = _items(pytester)
    order_and_group(items)
    assert _names(items) == ["test_long", "test_on_spark", "test_in_chromium", "test_plain"]
    groups = {name: [m.args[0] for m in item.iter_markers("xdist_group")]
              for name, item in zip(_names(items), items, strict=True)}
    assert groups == {"test_long": [], "test_on_spark": ["spark"],
                      "test_in_chromium": ["browser"], "test_plain": []}


def test_a_grouped_test_names_its_work_unit_under_loadgroup_only(pytester):
    items = _items(pytester)
    name_groups(SimpleNamespace(option=SimpleNamespace(loadgroup=False)), items)
    assert _names(items) == ["test_on_spark", "test_in_chromium", "test_plain", "test_long"]
    name_groups(SimpleNamespace(option=SimpleNamespace(loadgroup=True)), items)
    assert _names(items) == ["test_on_spark@spark", "test_in_chromium", "test_plain",
                             "test_long"]
    name_groups(SimpleNamespace(option=SimpleNamespace(loadgroup=True)), items)
    assert _names(items)[0] == "test_on_spark@spark"  # never suffixed twice
