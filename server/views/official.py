"""Official figures a ward received from outside phocap: typed in one by one, or imported from a CSV
(preview, then all or nothing, as the household import); reports set them beside phocap's counts."""

from __future__ import annotations

import secrets
from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect

from server.auth import access, client_address, routed_ward
from server.params import FormData, Upload
from server.views.render import page
from surveys.core.i18n import N_, gettext
from surveys.core.messages import error_message
from surveys.core.validation import InvalidInput, parse
from surveys.people.accounts import Actor
from surveys.register.uploads import drop_upload, keep_upload, kept_upload
from surveys.reporting.documents import NAMES, SHORT_NAMES
from surveys.reporting.official import (
    CSV_COLUMNS,
    OFFICIAL_INDICATORS,
    ImportPreview,
    LineError,
    OfficialLocked,
    read_import,
    save_figure,
    save_figures,
    typed_count,
    ward_figures,
    with_replacements,
)
from surveys.reporting.schemas import OfficialFigureIn

MAX_BYTES = 1024 * 1024
FIELDS = ("indicator", "period_end", "value", "source")
LINE_ERRORS = {
    "encoding": N_("The file is not in UTF-8. In Excel, save it as \u201cCSV UTF-8\u201d."),
    "header": N_("The first line must name the columns: %(detail)s."),
    "too_many_lines": N_("The file has more than %(detail)s lines."),
    "empty": N_("The file has no lines below its header."),
    "columns": N_("5 values expected, %(detail)s found."),
    "other_ward": N_("Ward code %(detail)s is not this ward's."),
    "indicator": N_("Unknown indicator \u201c%(detail)s\u201d."),
    "date": N_("Period end \u201c%(detail)s\u201d is not a date as year-month-day."),
    "value": N_("Value \u201c%(detail)s\u201d is not a whole number from 0."),
    "source": N_("The source has more than 200 characters."),
    "duplicate": N_("Same indicator and period end as line %(detail)s."),
    "file": N_("Choose a .csv file to upload."),
    "locked": N_(
        "The province accepted the ward's report on a period holding one of these days: its figures are "
        "locked until the report is reopened. Nothing has been saved."
    ),
}
LOCKED = LINE_ERRORS["locked"]


def line_message(error: LineError) -> str:
    """A malformed line's message, with its number when it has one."""
    message = gettext(LINE_ERRORS[error.code]) % {"detail": error.detail}
    return (
        gettext("Line %(line)d: %(message)s") % {"line": error.line, "message": message}
        if error.line
        else message
    )


def indicator_names() -> dict[str, str]:
    """The indicators an official figure may be about, with their names."""
    return {name: gettext(NAMES.get(name) or SHORT_NAMES[name]) for name in OFFICIAL_INDICATORS}


class OfficialController(Controller):
    """`/wards/{code}/official-figures`: the ward's own officers (and admins)."""

    include_in_schema = False
    path = "/wards/{code:str}/official-figures"
    opt = access("ward.manage")

    async def _page(
        self, request: Request[Actor, Any, Any], code: str, status_code: int = 200, **context: Any
    ) -> Any:
        context.setdefault("values", dict.fromkeys(FIELDS, ""))
        context.setdefault("errors", {})
        context.setdefault("preview", None)
        context.setdefault("file_errors", [])
        return page(request, "official.html", status_code=status_code, code=code, names=indicator_names(),
                    figures=await ward_figures(routed_ward(request)), columns=",".join(CSV_COLUMNS),
                    line_message=line_message, **context)  # fmt: skip

    @get("/")
    async def list_figures(self, request: Request[Actor, Any, Any], code: FromPath[str]) -> Any:
        """The figures recorded, the form to type one, and the import."""
        return await self._page(request, code)

    @post("/", status_code=200)
    async def add(self, request: Request[Actor, Any, Any], code: FromPath[str], data: FormData) -> Any:
        """Record a typed figure; a bad value comes back next to its field with everything as typed."""
        values = {name: str(data.get(name, "")).strip() for name in FIELDS}
        try:
            typed = {**values, "value": typed_count(values["value"])}
            figure = parse({k: v for k, v in typed.items() if v != "" or k == "source"}, OfficialFigureIn)
        except InvalidInput as exc:
            errors = {e.field: error_message(_message_field(e.field), e.code) for e in exc.errors}
            return await self._page(request, code, 422, values=values, errors=errors)
        try:
            await save_figure(routed_ward(request), figure, request.user.id, client_address(request))
        except OfficialLocked:
            return await self._page(request, code, 409, values=values, errors={"period_end": gettext(LOCKED)})
        return Redirect(f"/wards/{code}/official-figures", status_code=303)

    @post("/import", request_max_body_size=2 * MAX_BYTES, status_code=200)
    async def upload(self, request: Request[Actor, Any, Any], code: FromPath[str], data: Upload) -> Any:
        """Read the file and show every figure it holds and every malformed line, before importing."""
        file = data.get("file")
        if not isinstance(file, UploadFile) or not file.filename:
            return await self._page(request, code, 422, file_errors=[LineError(0, "file")])
        content = await file.read()
        preview = await with_replacements(routed_ward(request), read_import(content[:MAX_BYTES], code))
        token = ""
        if not preview.errors:
            token = secrets.token_urlsafe(16)
            await keep_upload(token, request.user.id, file.filename, content)
        return await self._page(request, code, 422 if preview.errors else 200, preview=preview, upload=token)

    @post("/import/{token:str}", status_code=200)
    async def confirm(
        self, request: Request[Actor, Any, Any], code: FromPath[str], token: FromPath[str]
    ) -> Any:
        """Import the previewed file: every figure, or none."""
        stored = await kept_upload(token, request.user.id)
        if stored is None:
            raise NotFoundException()
        preview: ImportPreview = read_import(bytes(stored["content"]), code)
        if preview.errors:
            return await self._page(request, code, 422, preview=preview, upload="")
        try:
            await save_figures(
                routed_ward(request), preview.figures, request.user.id, client_address(request)
            )
        except OfficialLocked:
            return await self._page(request, code, 409, file_errors=[LineError(0, "locked")])
        await drop_upload(token)
        return Redirect(f"/wards/{code}/official-figures", status_code=303)


def _message_field(field: str) -> str:
    # The value is a count, not a percent or a year: its own message.
    return {"value": "official_value", "period_end": "period_end"}.get(field, field)
