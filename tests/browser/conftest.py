"""A live phocap server in a thread and a real headless Chromium (Debian's), driven by Playwright."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from tests.factories import PASSWORD

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


# Seconds a browser test may run, its phocap process and Chromium started and stopped included, before
# it fails (pyproject.toml's `timeout` is the other tests'). A browser test marked `timeout` keeps its own.
BROWSER_TEST_TIMEOUT = 300


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests get BROWSER_TEST_TIMEOUT: no test can hang, and a browser test takes longer."""
    for item in items:
        if item.get_closest_marker("browser") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(BROWSER_TEST_TIMEOUT))


def chromium_path() -> str:
    """Debian's Chromium; under CI its absence is a failure, on a laptop a skip."""
    path = os.environ.get("PHOCAP_CHROMIUM") or shutil.which("chromium") or ""
    if not path:
        if os.environ.get("CI"):
            pytest.fail("Chromium is required in CI (apt-get install chromium)")
        pytest.skip("no Chromium on this machine (apt-get install chromium)")
    return path


# The worker's Playwright and Chromium, started by its first browser test and kept until the run ends:
# starting Playwright's driver and Chromium cost 1.5-4 s a test. Each test still gets a browser context
# of its own: an empty profile (cookies, storage, caches, service workers, network), as a new browser has.
_shared: dict[str, Any] = {}


async def _chromium() -> Any:
    """The worker's Chromium, started on first use (again if it crashed), on the run's event loop."""
    from playwright.async_api import async_playwright

    loop = asyncio.get_running_loop()
    browser = _shared.get("browser")
    if _shared.get("loop") is loop and browser is not None and browser.is_connected():
        return browser
    executable = chromium_path()
    if _shared.get("loop") is not loop:
        _shared.clear()
        _shared.update(loop=loop, playwright=await async_playwright().start())
    _shared["browser"] = await _shared["playwright"].chromium.launch(
        executable_path=executable, args=CHROMIUM_FLAGS
    )
    return _shared["browser"]


@pytest.fixture(scope="session", autouse=True)
async def _chromium_stopped_at_the_end() -> AsyncIterator[None]:
    """Stop the worker's Chromium and Playwright once its tests are done."""
    yield
    if browser := _shared.get("browser"):
        await browser.close()
    if playwright := _shared.get("playwright"):
        await playwright.stop()
    _shared.clear()


@asynccontextmanager
async def browser_page(**context_options: Any) -> AsyncIterator[Any]:
    """A page in a fresh browser context of the worker's headless Chromium (an empty profile of its own)."""
    browser = await _chromium()
    context = await browser.new_context(locale="vi-VN", accept_downloads=True, **context_options)
    try:
        yield await context.new_page()
    finally:
        await context.close()


@pytest.fixture
async def phone() -> AsyncIterator[Any]:
    """A phone: small viewport, touch."""
    phone_size = {"width": 360, "height": 740}
    async with browser_page(
        viewport=phone_size, device_scale_factor=2, is_mobile=True, has_touch=True
    ) as page:
        yield page


@pytest.fixture
async def desktop() -> AsyncIterator[Any]:
    """An office PC's browser window."""
    async with browser_page(viewport={"width": 1366, "height": 900}) as page:
        yield page


async def send_sign_in(page: Any, login: str, password: str = PASSWORD) -> None:
    """Fill in and send the sign-in form the page shows."""
    await page.get_by_label("Tên đăng nhập").fill(login)
    await page.get_by_label("Mật khẩu").fill(password)
    await page.get_by_role("button", name="Đăng nhập").click()


async def sign_in(page: Any, base: str, login: str, password: str = PASSWORD, next_url: str = "") -> None:
    """Sign in at `base` (then go to `next_url`, when given) and wait until signed in."""
    await page.goto(f"{base}/signin" + (f"?next={next_url}" if next_url else ""))
    await send_sign_in(page, login, password)
    # The click only sends the form: the session cookie comes with the answer. Going to another page
    # before it has come would cancel the sign-in.
    await page.wait_for_url(lambda url: "/signin" not in url)


async def open_page(page: Any, url: str) -> None:
    """Go to `url` and wait until the page is done starting: a village's list (and the list of
    villages) shows its "download to work without a signal" box only once the service worker answers,
    after the page has loaded (offline.js). What is measured before then misses the box."""
    await page.goto(url)
    boxes = page.locator(".offline-download")
    if await boxes.count():  # in the page as sent, hidden: counted once the page has loaded
        await expect(boxes.first).to_be_visible()
