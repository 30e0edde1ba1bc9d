"""`phocap scheduler` as a process manager runs it: stopped by SIGTERM (or Ctrl-C), it stops its jobs
and exits with status 0, so a deploy or a restart is not reported as a crash."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _environ(folder: Path) -> dict[str, str]:
    environ = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'phocap.sqlite'}",
        "PHOCAP_DATA_DIR": str(folder),
        "SECRET_KEY": "scheduler-process-test-key",
    }
    environ.pop("PHOCAP_TEST_DATABASE_URL", None)
    return environ


def _start(folder: Path, migrated: str) -> subprocess.Popen[str]:
    """`phocap scheduler` on a migrated SQLite database: a copy of the run's migrated one when the run is
    on SQLite (a `phocap migrate` process costs seconds), else one `phocap migrate` makes."""
    environ = _environ(folder)
    if migrated.startswith("sqlite:///"):
        shutil.copyfile(migrated.removeprefix("sqlite:///"), folder / "phocap.sqlite")
    else:
        migrate = [sys.executable, "-c", "from server.cli import main; main(['migrate'])"]
        subprocess.run(migrate, cwd=ROOT, env=environ, check=True, capture_output=True, timeout=120)
    return subprocess.Popen(
        [sys.executable, "-c", "from server.cli import main; main(['scheduler'])"],
        cwd=ROOT,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_for(process: subprocess.Popen[str], text: str, seconds: float = 60) -> str:
    """The process's output up to the line holding `text`."""
    assert process.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        seen.append(line)
        if text in line:
            return "".join(seen)
    process.kill()
    raise AssertionError(f"no {text!r} from the scheduler:\n{''.join(seen)}")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_the_scheduler_process_stops_cleanly_on_a_signal(
    tmp_path: Path, migrated_template: str, signum: int
) -> None:
    process = _start(tmp_path, migrated_template)
    _wait_for(process, "scheduler started")
    process.send_signal(signum)
    try:
        out, _ = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0, out
    assert "scheduler stopped" in out
    assert "Traceback" not in out and "Aborted" not in out
