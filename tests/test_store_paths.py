"""Where the data lives: the flag, then HINGECOACH_DATA_DIR, then XDG, then ~/.local/share."""

from __future__ import annotations

from pathlib import Path

from hingecoach.store.paths import data_dir, db_path


def test_the_flag_wins() -> None:
    env = {"HINGECOACH_DATA_DIR": "/env", "XDG_DATA_HOME": "/xdg", "HOME": "/home/u"}
    assert data_dir("/flag", env) == Path("/flag")


def test_the_environment_override_comes_next() -> None:
    env = {"HINGECOACH_DATA_DIR": "/env", "XDG_DATA_HOME": "/xdg", "HOME": "/home/u"}
    assert data_dir(None, env) == Path("/env")


def test_then_the_xdg_data_home() -> None:
    assert data_dir(None, {"XDG_DATA_HOME": "/xdg", "HOME": "/home/u"}) == Path("/xdg/hingecoach")


def test_a_relative_xdg_data_home_is_ignored_as_the_spec_says() -> None:
    env = {"XDG_DATA_HOME": "rel", "HOME": "/home/u"}
    assert data_dir(None, env) == Path("/home/u/.local/share/hingecoach")


def test_the_default_is_under_the_home_directory() -> None:
    assert db_path(None, {"HOME": "/home/u"}) == Path("/home/u/.local/share/hingecoach/hingecoach.db")
