"""Settings fail closed (issue 24 item 5): a yes/no phocap cannot read stops the start, naming its variable;
the secret key is made once, by one of several workers starting together, and is never readable by
others; the data folder is its owner's alone."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from server.cli import main
from surveys.core.settings import SettingsError, get_settings, load_settings


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize(
    ("raw", "meant"),
    [
        *[("true", True), ("TRUE", True), ("1", True), ("yes", True), ("On", True), (" on ", True)],
        *[("false", False), ("False", False), ("0", False), ("no", False), ("OFF", False)],
    ],
)
def test_a_yes_or_no_setting_takes_the_usual_spellings(raw: str, meant: bool) -> None:
    assert load_settings(environ={"COOKIE_SECURE": raw}).cookie_secure is meant


@pytest.mark.parametrize("raw", ["ture", "flase", "enabled", "2", "y"])
def test_an_operator_who_mistypes_cookie_secure_is_stopped_with_the_variable_named(raw: str) -> None:
    """`COOKIE_SECURE=ture` once read as false: no Secure cookies and no HSTS, without a word."""
    with pytest.raises(SettingsError) as refused:
        load_settings(environ={"COOKIE_SECURE": raw})
    assert "COOKIE_SECURE" in str(refused.value) and repr(raw) in str(refused.value)


def test_a_number_setting_that_is_no_number_names_its_variable() -> None:
    with pytest.raises(SettingsError, match="SESSION_IDLE_HOURS"):
        load_settings(environ={"SESSION_IDLE_HOURS": "a week"})


def test_phocap_serve_does_not_start_on_a_mistyped_yes_or_no(tmp_path: Path) -> None:
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            main, ["serve"], env={"COOKIE_SECURE": "ture", "PHOCAP_DATA_DIR": str(tmp_path / "data")}
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1, result.output
    assert "COOKIE_SECURE must be true or false" in result.output
    assert not (tmp_path / "data").exists()  # stopped before anything was made


def test_the_data_folder_is_made_for_its_owner_only_when_serve_comes_before_migrate(tmp_path: Path) -> None:
    """`phocap serve` reads the secret key before it opens the database: the folder it makes then holds
    the commune's data later, so it is 0700 from the start."""
    data = tmp_path / "new" / "data"
    load_settings(environ={}, data_dir=str(data)).with_secret()
    assert _mode(data) == 0o700
    assert _mode(data / "secret_key") == 0o600


def test_the_secret_key_is_created_private_not_made_private_afterwards(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every file made in the data folder is created at 0600 and only if new (O_EXCL), even with a
    umask that lets everyone read: no moment when another user could open the key."""
    made: list[tuple[str, int, int]] = []
    real_open = os.open

    def watched_open(path: Any, flags: int, mode: int = 0o777, **kwargs: Any) -> int:
        if str(path).startswith(str(tmp_path)) and flags & os.O_CREAT:
            made.append((str(path), flags, mode))
        return real_open(path, flags, mode, **kwargs)

    monkeypatch.setattr(os, "open", watched_open)
    before = os.umask(0)
    try:
        key = load_settings(environ={}, data_dir=str(tmp_path / "data")).with_secret().secret_key
    finally:
        os.umask(before)
    assert made, "the key file was not created through os.open with a mode of its own"
    assert all(flags & os.O_EXCL and mode == 0o600 for _, flags, mode in made), made
    assert (tmp_path / "data" / "secret_key").read_text() == key
    assert _mode(tmp_path / "data" / "secret_key") == 0o600
    assert _mode(tmp_path / "data") == 0o700
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["secret_key"]  # no leftovers


def test_workers_starting_together_end_with_one_secret_key(tmp_path: Path) -> None:
    """Two workers (`--workers 2`) starting at once once could each write a key and sign with their
    own: CSRF tokens made by one were refused by the other. Many rounds of eight at once, each on a
    fresh data folder: every worker ends with the key on disk."""
    for attempt in range(30):
        folder = tmp_path / f"data{attempt}"
        settings = load_settings(environ={}, data_dir=str(folder))
        start = threading.Barrier(8)
        keys: list[str] = []

        def worker(
            settings: Any = settings, start: threading.Barrier = start, keys: list[str] = keys
        ) -> None:
            start.wait()
            keys.append(settings.with_secret().secret_key)

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(keys) == 8 and set(keys) == {(folder / "secret_key").read_text()}, attempt


def test_an_empty_secret_key_file_stops_the_start(tmp_path: Path) -> None:
    """A key file left empty (by a crash of an older phocap) is no key: nothing would sign safely."""
    (tmp_path / "secret_key").write_text("")
    with pytest.raises(SettingsError, match="secret key file"):
        load_settings(environ={}, data_dir=str(tmp_path)).with_secret()
