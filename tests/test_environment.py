"""Settings from the environment are read one way: unset or blank, or a positive whole number."""

from __future__ import annotations

import pytest

from tradeguard.environment import env_whole_number
from tradeguard.errors import InputError

NAME = "TRADEGUARD_TEST_SETTING"


def test_a_setting_is_unset_blank_or_a_positive_whole_number(monkeypatch):
    monkeypatch.delenv(NAME, raising=False)
    assert env_whole_number(NAME, 10) is None
    monkeypatch.setenv(NAME, "  ")
    assert env_whole_number(NAME, 10) is None
    monkeypatch.setenv(NAME, "1_000")
    assert env_whole_number(NAME, 10) == 1000


@pytest.mark.parametrize("text", ["0", "-5", "lots", "2.5"])
def test_anything_else_names_the_variable_and_a_value_that_works(monkeypatch, text):
    monkeypatch.setenv(NAME, text)
    with pytest.raises(InputError, match=f"{NAME}='{text}' is not a positive whole number") as e:
        env_whole_number(NAME, 10)
    assert f"unset {NAME} or set it to e.g. 10" in str(e.value)


def test_the_servers_upload_limit_is_read_the_same_way_as_the_read_limits(monkeypatch, tmp_path):
    from tradeguard.api.settings import MAX_UPLOAD_ENV, load_settings

    monkeypatch.setenv("TRADEGUARD_API_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv(MAX_UPLOAD_ENV, "5_000")
    assert load_settings().max_upload_bytes == 5000
    monkeypatch.setenv(MAX_UPLOAD_ENV, "20MB")  # was a ValueError traceback
    with pytest.raises(InputError, match=f"{MAX_UPLOAD_ENV}='20MB' is not a positive whole"):
        load_settings()
