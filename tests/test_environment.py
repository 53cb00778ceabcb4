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


def test_a_settings_field_comes_from_its_variable_then_the_file_then_its_default(monkeypatch):
    from dataclasses import dataclass

    from tradeguard.environment import environment_variable, number, read_settings, text, texts

    @dataclass(frozen=True)
    class Knobs:
        size: int = number(10, env=NAME)
        ratio: float = number(2.5)
        label: str | None = text(None)
        origins: tuple[str, ...] = texts()

    monkeypatch.delenv(NAME, raising=False)
    assert read_settings(Knobs) == Knobs(10, 2.5, None, ())
    file = {"size": 7, "ratio": 3, "label": "", "origins": ["a", 1]}
    assert read_settings(Knobs, file) == Knobs(7, 3.0, None, ("a", "1"))
    assert isinstance(read_settings(Knobs, file).ratio, float)
    monkeypatch.setenv(NAME, "40")
    assert read_settings(Knobs, file).size == 40
    assert environment_variable(Knobs, "size") == NAME
    assert environment_variable(Knobs, "ratio") is None


@pytest.mark.parametrize("value", [0, -1, "7", True])
def test_a_file_number_that_is_not_positive_is_refused_by_name_and_place(value):
    from dataclasses import dataclass

    from tradeguard.environment import number, read_settings

    @dataclass(frozen=True)
    class Knobs:
        size: int = number(10)

    with pytest.raises(InputError, match="`size` must be a positive number") as e:
        read_settings(Knobs, {"size": value}, where="knobs.toml")
    assert "knobs.toml" in str(e.value) and "size = 100" in str(e.value)
