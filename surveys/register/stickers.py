"""Door stickers: the household's QR code (only `BASE_URL/h/<token>`), its code in large type, the
village and ward, one line for volunteers. As an A4 sheet for the browser to print and as a PDF drawn
on the server (reportlab, DejaVu fonts shipped in `surveys/register/fonts`), with the same layout."""

from __future__ import annotations

import io
import multiprocessing
import secrets
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import segno
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from surveys.core.audit import audit
from surveys.core.clock import now
from surveys.core.cores import usable_cores
from surveys.core.db import write_transaction
from surveys.core.text import xml_safe
from surveys.tables import Household

FONTS = Path(__file__).resolve().parent / "fonts"
# An A4 sheet of 3 x 7 stickers of 70 x 42.4 mm (the common label sheet); the QR is 30 mm wide with its
# quiet zone, enough for a cheap phone's camera at arm's length.
COLUMNS, ROWS = 3, 7
STICKER_W, STICKER_H = 70.0, 42.4
QR_MM = 30.0
QUIET_ZONE = 4  # modules, as the QR standard asks


@dataclass(frozen=True)
class Sticker:
    """What one sticker shows."""

    household_id: int
    url: str
    code: str
    village: str
    ward: str


def qr_code(url: str) -> segno.QRCode:
    """A regular QR code (never Micro QR: many phone scanners cannot read it), error correction M or
    better (segno raises it when the size allows)."""
    return segno.make_qr(url, error="m", boost_error=True)


def qr_svg(url: str, standalone: bool = False) -> str:
    """The QR code as SVG, quiet zone kept: inline in a page, or `standalone` as a file of its own (an
    `<img>` source needs the SVG namespace, which inline markup leaves out)."""
    options: dict[str, Any] = {
        "scale": 4,
        "border": QUIET_ZONE,
        "dark": "#000",
        "light": "#fff",
        "omitsize": True,
    }
    if not standalone:
        return qr_code(url).svg_inline(**options)
    out = io.BytesIO()
    qr_code(url).save(out, kind="svg", xmldecl=False, svgns=True, **options)
    return out.getvalue().decode()


def qr_svgs(urls: list[str]) -> list[str]:
    """Many QR codes at once, on every core: choosing each code's mask (as the QR standard asks) is
    most of the work of a sheet, and it is independent per code."""
    if len(urls) < PARALLEL_FROM:
        return [qr_svg(u) for u in urls]
    workers = pool_size()
    return list(_pool().map(qr_svg, urls, chunksize=max(1, len(urls) // (4 * workers))))


def warm_up() -> None:
    """Start the worker processes now (a sheet is printed from the page that lists the stickers:
    opening it starts them, so the sheet itself does not wait for them)."""
    workers = pool_size()
    if workers > 1:
        # A real (tiny) code per worker, so each has imported segno and this module before the sheet.
        for n in range(workers):
            _pool().submit(qr_svg, f"https://phocap/{n}")


# The most sticker processes: each holds segno and this module (~30 MB), and a sheet of a village's
# stickers is done in well under a second on four.
MOST_WORKERS = 4


def pool_size() -> int:
    """Processes of the sticker pool: one per core this process may use, at most `MOST_WORKERS`."""
    return min(MOST_WORKERS, usable_cores())


@cache
def _pool() -> ProcessPoolExecutor:
    # forkserver: the server process has threads and an event loop, which a plain fork must not copy.
    return ProcessPoolExecutor(max_workers=pool_size(), mp_context=multiprocessing.get_context("forkserver"))


def close_pool() -> None:
    """Stop the QR worker processes, if any were started (at the web process's shutdown)."""
    if _pool.cache_info().currsize:
        _pool().shutdown(cancel_futures=True)
        _pool.cache_clear()


# Below this many codes a sheet is faster made in the request's own process.
PARALLEL_FROM = 100


async def sticker_households(village_id: int) -> list[dict[str, Any]]:
    """The village's households to choose stickers from (`token`, `code`, `head_name`, `printed_at`), by code."""
    return list(
        await Household.select(Household.token, Household.code, Household.head_name, Household.printed_at)
        .where((Household.village == village_id) & Household.archived.eq(False))
        .order_by(Household.code)
    )


async def stickers_for(
    village_id: int, base_url: str, choice: str = "all", tokens: list[str] | None = None
) -> list[Sticker]:
    """The village's stickers: all households, those never printed, or the chosen ones; by code."""
    where = (Household.village == village_id) & Household.archived.eq(False)
    if choice == "unprinted":
        where &= Household.printed_at.is_null()
    elif choice == "selected":
        where &= Household.token.is_in(list(tokens or []) or [""])
    rows = (
        await Household.select(
            Household.id,
            Household.token,
            Household.code,
            Household.village._.name.as_alias("village"),
            Household.village._.ward._.name.as_alias("ward"),
        )
        .where(where)
        .order_by(Household.code)
    )
    base = base_url.rstrip("/")
    return [Sticker(r["id"], f"{base}/h/{r['token']}", r["code"], r["village"], r["ward"]) for r in rows]


async def mark_printed(stickers: list[Sticker], at: datetime | None = None) -> None:
    """Record that these stickers were printed."""
    ids = [s.household_id for s in stickers]
    for start in range(0, len(ids), 500):
        await Household.update({Household.printed_at: at or now()}).where(
            Household.id.is_in(ids[start : start + 500])
        )


async def reissue_token(household_id: int, user_id: int, client_addr: str = "") -> str:
    """A new sticker token for a lost or copied sticker: the old link stops working at once."""
    token = secrets.token_urlsafe(16)
    async with write_transaction():
        await Household.update(
            {
                Household.token: token,
                Household.printed_at: None,
                Household.version: Household.version + 1,
                Household.updated_at: now(),
            }
        ).where(Household.id == household_id)
        await audit("household.token_reissued", "household", household_id, user_id, {}, client_addr)
    return token


@cache
def _fonts() -> tuple[str, str]:
    pdfmetrics.registerFont(TTFont("DejaVuSans", str(FONTS / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(FONTS / "DejaVuSans-Bold.ttf")))
    return "DejaVuSans", "DejaVuSans-Bold"


def stickers_pdf(stickers: list[Sticker], instruction: str) -> bytes:
    """The stickers as an A4 PDF, vector QR codes, the same layout as the printable page."""
    regular, bold = _fonts()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, pageCompression=1)
    canvas.setTitle("phocap")
    page_w, page_h = A4
    left = (page_w - COLUMNS * STICKER_W * mm) / 2
    top = page_h - (page_h - ROWS * STICKER_H * mm) / 2
    per_page = COLUMNS * ROWS
    for index, sticker in enumerate(stickers):
        if index and index % per_page == 0:
            canvas.showPage()
        slot = index % per_page
        x = left + (slot % COLUMNS) * STICKER_W * mm
        y = top - (slot // COLUMNS + 1) * STICKER_H * mm
        _draw_qr(canvas, sticker.url, x + 2 * mm, y + (STICKER_H - QR_MM) / 2 * mm)
        text_x = x + (QR_MM + 3) * mm
        width = (STICKER_W - QR_MM - 5) * mm
        canvas.setFont(bold, 12)
        canvas.drawString(text_x, y + 29 * mm, xml_safe(sticker.code))
        canvas.setFont(regular, 7)
        canvas.drawString(text_x, y + 24 * mm, simpleSplit(xml_safe(sticker.village), regular, 7, width)[0])
        canvas.drawString(text_x, y + 20.8 * mm, simpleSplit(xml_safe(sticker.ward), regular, 7, width)[0])
        canvas.setFont(regular, 6.2)
        for n, line in enumerate(simpleSplit(instruction, regular, 6.2, width)[:4]):
            canvas.drawString(text_x, y + (15 - 2.7 * n) * mm, line)
    canvas.save()
    return out.getvalue()


def _draw_qr(canvas: Canvas, url: str, x: float, y: float) -> None:
    matrix = [list(row) for row in qr_code(url).matrix]
    size = len(matrix) + 2 * QUIET_ZONE
    module = QR_MM * mm / size
    canvas.setFillColorRGB(1, 1, 1)
    canvas.rect(x, y, QR_MM * mm, QR_MM * mm, stroke=0, fill=1)
    canvas.setFillColorRGB(0, 0, 0)
    for r, row in enumerate(matrix):
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                # One rectangle per run of dark modules keeps a 1,000-sticker PDF small and fast.
                canvas.rect(x + (start + QUIET_ZONE) * module, y + (size - QUIET_ZONE - r - 1) * module,
                            (c - start) * module, module, stroke=0, fill=1)  # fmt: skip
            else:
                c += 1
