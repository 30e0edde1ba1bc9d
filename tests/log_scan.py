"""Personal data never in logs (docs/architecture.md §6, Law 91/2025): every log record phocap writes during
the test run goes to `test-artifacts/test-run-<pid>.log` (one file per run, so two runs at once do not
mix; deleted when clean; under pytest-xdist one more per worker, `test-run-<pid>-gw0.log` …, scanned by
the process that started the workers, tests/conftest.py), and the run fails if any of the fixtures'
names or addresses appears in one, as typed, without accents, or encoded in a URL.

Records of the test client itself (httpx, httpcore: the "browser" side) are left out; phocap's own
loggers, Litestar's, uvicorn's and Piccolo's are all in, at INFO, the production default."""

from __future__ import annotations

import logging
import os
import re
from functools import cache
from pathlib import Path
from urllib.parse import quote, quote_plus

from surveys.core.text import fold

# This process's log file (a worker's is the one `start` is given).
LOG_FILE = Path(__file__).parent.parent / "test-artifacts" / f"test-run-{os.getpid()}.log"
CLIENT_LOGGERS = ("httpx", "httpcore")
ADDRESSES = ("Xóm Trên, Thôn Đồng Tâm", "Xóm Dưới", "Xóm Suối", "Xóm Giữa")
_FULL_NAME = re.compile(
    r'"((?:Nguyễn|Trần|Lê|Phạm|Đặng|Ma|Lý|Lò|Hoàng|Vũ|Bùi|Đỗ|Ngô|Đinh|Hà|Triệu) [^"\d{}]{2,40})"'
)


@cache
def personal_strings() -> frozenset[str]:
    """Every person's name the tests type (read from their sources) and the fixtures' addresses, in each
    form they could leak in."""
    sources = Path(__file__).parent.rglob("*.py")
    names = {m for p in sources for m in _FULL_NAME.findall(p.read_text(encoding="utf-8"))}
    forms: set[str] = set()
    for text in names | set(ADDRESSES):
        forms.update({text, quote(text), quote_plus(text)})
        if len(text.split()) >= 3:  # folded short names ("le bao") could match unrelated words
            forms.add(fold(text))
    return frozenset(forms)


def leaks(text: str) -> list[str]:
    """The lines of `text` holding personal data."""
    strings = personal_strings()
    return [line for line in text.splitlines() if any(s in line for s in strings)]


class _NotTheClient(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not record.name.startswith(CLIENT_LOGGERS)


def start(log_file: Path | None = None) -> logging.Handler:
    """Send every INFO and above record of the run to LOG_FILE (`log_file` from then on, when given)."""
    global LOG_FILE
    LOG_FILE = log_file or LOG_FILE
    LOG_FILE.parent.mkdir(exist_ok=True)
    LOG_FILE.write_text("")
    # Appending: a `logging.config.dictConfig` call (uvicorn makes one) closes every handler, and a
    # closed file handler reopens its file at the next record.
    handler = logging.FileHandler(LOG_FILE, mode="a", encoding="utf-8")
    handler.setLevel(logging.INFO)
    handler.addFilter(_NotTheClient())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(handler)
    return handler
