"""The check that keeps personal data out of the logs finds it when it is there."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests import log_scan


def test_the_scan_knows_the_fixtures_names_in_every_form() -> None:
    strings = log_scan.personal_strings()
    assert {
        "Nguyễn Văn An",
        "nguyen van an",
        "Nguy%E1%BB%85n%20V%C4%83n%20An",
        "Xóm Trên, Thôn Đồng Tâm",
    } <= strings
    assert len(strings) > 40


def test_a_leak_is_found_and_an_ordinary_line_is_not() -> None:
    text = "GET /villages/1 200 3ms\nvisit by nguyen van an recorded\nGET /search?q=Tr%E1%BA%A7n+Th%E1%BB%8B+B%C3%ACnh"
    assert log_scan.leaks(text) == text.splitlines()[1:]


def test_records_of_the_run_reach_the_scanned_file() -> None:
    logging.getLogger("phocap.access").info("GET /log-scan-probe 200 0ms")
    for handler in logging.getLogger().handlers:
        handler.flush()
    assert "GET /log-scan-probe 200" in log_scan.LOG_FILE.read_text(encoding="utf-8")


def test_leak_probe() -> None:
    """Logs a fixture's name (run by the test below, in a run of its own) and checks the scan of the
    run's log file finds that very line; the run as a whole must then fail."""
    if not os.environ.get("PHOCAP_LOG_LEAK_PROBE"):
        pytest.skip("run only by test_a_name_in_the_logs_fails_the_whole_run, in a pytest of its own")
    logging.getLogger("phocap.access").info("visit recorded for Nguyễn Văn An")
    for handler in logging.getLogger().handlers:
        handler.flush()
    found = log_scan.leaks(log_scan.LOG_FILE.read_text(encoding="utf-8"))
    assert [line.split("phocap.access: ", 1)[-1] for line in found] == ["visit recorded for Nguyễn Văn An"]


@pytest.mark.parametrize("workers", [["-n", "1"], ["-n", "0"]], ids=["in-a-worker", "in-one-process"])
def test_a_name_in_the_logs_fails_the_whole_run(workers: list[str]) -> None:
    """As the suite runs (in pytest-xdist's workers, each with its log file, scanned by the process that
    started them: one worker shows it as well as two) and in one process."""
    # Not this run's worker: the run below starts workers of its own, or none.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *workers]
    run = subprocess.run(
        [*command, f"{__file__}::test_leak_probe"],
        env={**env, "PHOCAP_LOG_LEAK_PROBE": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 1, run.stdout
    assert "1 passed" in run.stdout and "Personal data in the logs" in run.stdout
    assert "visit recorded for Nguyễn Văn An" in run.stdout
    kept = re.findall(r"Personal data in the logs \((.+?)\):", run.stdout)
    assert len(kept) == 1, run.stdout  # the one process that ran the probe
    assert bool(re.search(r"-gw\d+\.log$", kept[0])) == (workers == ["-n", "1"]), kept
    Path(kept[0]).unlink()
