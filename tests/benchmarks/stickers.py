"""A 1,000-sticker sheet, as the printable page and as the server's PDF.

Run on demand: `python -m tests.benchmarks.stickers`. Times rendering 1,000 stickers (48 A4 pages)
through the app (HTML, in-process) and `stickers_pdf` directly, and prints seconds and sizes.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
import time
from pathlib import Path

from litestar.testing import AsyncTestClient

from server.app import create_app
from surveys.core.db import bind, engine_for_url, migrate
from surveys.core.settings import load_settings
from surveys.people.accounts import create_user
from surveys.register.admin_units import import_units
from surveys.register.stickers import Sticker, stickers_pdf
from surveys.tables import Ward
from tests.benchmarks.coverage import populate


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        bind(engine_for_url(url))
        await migrate()
        await import_units()
        ward = await Ward.select(Ward.id).where(Ward.code == "01849").first()
        assert ward is not None
        await create_user("ward", "benchmark-password", "ward_officer", "Cán bộ xã", ward_id=ward["id"])
        populate(url.removeprefix("sqlite:///"), 1000, villages=1)
        settings = load_settings(environ={}, data_dir=tmp, database_url=url, allowed_hosts="testserver.local")
        async with AsyncTestClient(create_app(settings), base_url="https://testserver.local") as client:
            page = await client.get("/signin")
            csrf = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
            await client.post(
                "/signin", data={"login": "ward", "password": "benchmark-password", "_csrf_token": csrf}
            )
            # As a village head prints: the sticker list (which starts the QR workers), a choice, then the sheet.
            await client.get("/villages/1/stickers")
            await asyncio.sleep(1)
            sheets = (
                ("HTML, first sheet after start", "/villages/1/stickers/sheet"),
                ("HTML, again", "/villages/1/stickers/sheet"),
                ("PDF", "/villages/1/stickers/stickers.pdf"),
            )
            for fmt, path in sheets:
                started = time.perf_counter()
                response = await client.post(path, data={"_csrf_token": csrf, "choice": "all"})
                elapsed = time.perf_counter() - started
                assert response.status_code == 200, response.status_code
                count = response.text.count('class="sticker"') if fmt.startswith("HTML") else 1000
                print(
                    f"{fmt:<38} {count:>5} stickers in {elapsed:5.2f} s, {len(response.content) / 1e6:.1f} MB"
                )
    stickers = [
        Sticker(n, f"https://phocap.example/h/{n:022d}", f"PQ-01-{n:04d}", "Thôn Đồng Tâm", "Xã Phong Quang")
        for n in range(1000)
    ]
    started = time.perf_counter()
    pdf = stickers_pdf(stickers, "Tình nguyện viên: quét mã này để ghi phiếu khảo sát.")
    print(f"PDF alone (stickers_pdf): {time.perf_counter() - started:.2f} s, {len(pdf) / 1e6:.1f} MB")


if __name__ == "__main__":
    asyncio.run(main())
