"""No test can hang (STYLE.md 18, issue 24 item 2): a test that runs past its time fails and the run goes
on; browser tests get more time than the rest."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

HANGING = """
import time

import pytest


def test_hangs() -> None:
    time.sleep(30)


@pytest.mark.browser
def test_a_browser_test_that_takes_its_time() -> None:
    time.sleep(2)


def test_after_the_one_that_hung() -> None:
    pass
"""


def test_a_test_that_hangs_fails_and_the_run_goes_on_while_a_browser_test_gets_longer(
    tmp_path: Path,
) -> None:
    """A run with the browser tests' hook and a timeout of one second for the others: the hanging test
    fails after a second, the next one still runs, and the browser test may take its two seconds."""
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\ntimeout = 1\nmarkers =\n    browser: drives a real headless Chromium\n"
    )
    (tmp_path / "conftest.py").write_text(
        "from tests.browser.conftest import pytest_collection_modifyitems  # noqa: F401\n"
    )
    (tmp_path / "test_hanging.py").write_text(HANGING)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rA", str(tmp_path)],
        cwd=ROOT,  # `tests.browser.conftest` imports from here
        capture_output=True,
        text=True,
        timeout=100,
    )
    outcomes = {
        line.split(" ")[1].split("::")[-1]: line.split(" ")[0]
        for line in run.stdout.splitlines()
        if line.startswith(("PASSED ", "FAILED "))
    }
    assert outcomes == {
        "test_hangs": "FAILED",
        "test_a_browser_test_that_takes_its_time": "PASSED",
        "test_after_the_one_that_hung": "PASSED",
    }, run.stdout + run.stderr
    assert "Timeout" in run.stdout


def test_every_test_of_the_suite_has_a_timeout(pytestconfig: pytest.Config) -> None:
    assert float(pytestconfig.getini("timeout")) > 0
