"""Reading pages as a user would: parsed HTML, forms as the browser would post them, QR codes as a
phone camera would see them."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

from bs4 import BeautifulSoup, Tag
from litestar.testing import AsyncTestClient
from PIL import Image, ImageDraw

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")

# A moment, and the quarter a report page's period chooser opens on then (the latest ended one), for the
# ward's and the province's report pages alike.
LATEST_ENDED_QUARTER = [
    (datetime(2026, 12, 6, 10, 0, tzinfo=VIETNAM), "2026-Q3"),
    (datetime(2027, 1, 1, 0, 30, tzinfo=VIETNAM), "2026-Q4"),
    (datetime(2026, 3, 31, 23, 59, tzinfo=VIETNAM), "2025-Q4"),
]


def visit_body(detail: dict[str, Any], outcome: str) -> dict[str, Any]:
    """The API body of a visit of the household as `detail` (its `GET /api/households/{token}`) stands;
    a "done" one with consent and every member at VNeID level 2."""
    body: dict[str, Any] = {
        "client_id": str(uuid.uuid4()),
        "outcome": outcome,
        "household_version": detail["version"],
    }
    if outcome == "done":
        body["household"] = {"consent": True, "informed": True}
        body["members"] = [{k: m[k] for k in ("id", "full_name", "birth_year")} | {"vneid": "level2"}
                           for m in detail["members"]]  # fmt: skip
    return body


def soup(response: Any) -> BeautifulSoup:
    """The response's HTML, parsed."""
    return BeautifulSoup(response.text, "html.parser")


def form_values(form: Tag) -> dict[str, str]:
    """What a browser would submit for this form without any change."""
    values: dict[str, str] = {}
    for field in form.find_all(["input", "select", "textarea"]):
        name = field.get("name")
        if not name or field.name == "button":
            continue
        kind = field.get("type", "text")
        if field.name == "select":
            chosen = field.find("option", selected=True) or field.find("option")
            values[str(name)] = str(chosen.get("value", "")) if chosen else ""
        elif field.name == "textarea":
            values[str(name)] = field.text
        elif kind in ("checkbox", "radio"):
            if field.has_attr("checked"):
                values[str(name)] = str(field.get("value", "on"))
        else:
            values[str(name)] = str(field.get("value", ""))
    return values


def field_errors(page: BeautifulSoup) -> list[str]:
    """The error messages shown next to fields."""
    return [p.text.strip() for p in page.select(".field-error")]


SVG = "{http://www.w3.org/2000/svg}"
PIXELS_PER_MODULE = 4


def qr_svg_image(svg: str) -> Image.Image:
    """Draw the QR code of a segno SVG as black and white pixels: its dark modules are one `<path>` of
    horizontal runs (`M`/`m` to a row's middle line, `h` along it, stroke width 1), inside a viewBox
    scaled by `<g transform="scale(n)">`. Anything else raises, so a change of format cannot pass as
    an empty or wrong code."""
    root = ElementTree.fromstring(svg)  # noqa: S314 - the app's own answer in a test, not untrusted input
    group = root.find(f"{SVG}g")
    assert group is not None, "no <g> in the SVG"
    scale = re.fullmatch(r"scale\((\d+)\)", group.get("transform", ""))
    assert scale is not None, group.get("transform")
    width, height = (int(v) // int(scale[1]) for v in root.get("viewBox", "").split()[2:])
    [dark] = [p for p in group.findall(f"{SVG}path") if p.get("stroke")]
    assert dark.get("stroke-width", "1") == "1", dark.get("stroke-width")
    image = Image.new("L", (width * PIXELS_PER_MODULE, height * PIXELS_PER_MODULE), 255)
    draw = ImageDraw.Draw(image)
    x = y = 0.0
    tokens = re.findall(r"[A-Za-z]|-?\d+(?:\.\d+)?", dark.get("d", ""))
    while tokens:
        command = tokens.pop(0)
        if command in "Mm":
            dx, dy = float(tokens.pop(0)), float(tokens.pop(0))
            x, y = (dx, dy) if command == "M" else (x + dx, y + dy)
        elif command == "h":
            run = float(tokens.pop(0))
            left, right, row = min(x, x + run), max(x, x + run), y - 0.5
            assert left.is_integer() and right.is_integer() and row.is_integer(), (x, y, run)
            draw.rectangle(
                (left * PIXELS_PER_MODULE, row * PIXELS_PER_MODULE,
                 right * PIXELS_PER_MODULE - 1, (row + 1) * PIXELS_PER_MODULE - 1),
                fill=0,
            )  # fmt: skip
            x += run
        else:
            raise AssertionError(f"path command {command!r} not drawn by this reader")
    return image


async def raw_get(client: AsyncTestClient[Any], path: str, accept: str) -> tuple[Any, bytes]:
    """The answer to a GET sent with `Accept-Encoding: accept`, and its body exactly as sent (not decoded
    by the client)."""
    async with client.stream("GET", path, headers={"Accept-Encoding": accept}) as response:
        body = b"".join([chunk async for chunk in response.aiter_raw()])
    return response, body


async def encoded_page(client: AsyncTestClient[Any], path: str, accept: str) -> tuple[str, bytes]:
    """A page answered 200 (`raw_get`): its Content-Encoding and its body exactly as sent."""
    response, body = await raw_get(client, path, accept)
    assert response.status_code == 200
    return response.headers.get("content-encoding", ""), body
