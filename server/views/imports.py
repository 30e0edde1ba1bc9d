"""Importing a household list: upload, preview every row's problems, then import all or nothing."""

from __future__ import annotations

import secrets
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.concurrency import sync_to_thread
from litestar.datastructures import UploadFile
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from server.auth import access, client_address
from server.params import Upload
from server.views.render import page
from surveys.core.i18n import N_, gettext
from surveys.people.access import visible_village_ids
from surveys.people.accounts import Actor
from surveys.register.imports import (
    MAX_BYTES,
    ImportFileError,
    import_households,
    preview,
    read_rows,
    template_csv,
)
from surveys.register.uploads import drop_upload, keep_upload, kept_upload

FILE_ERRORS = {
    "too_large": N_("The file is larger than 5 MB. Split it by village and import each part."),
    "file_type": N_(
        "Upload the list as a .csv or .xlsx file (Excel: File › Save as › Excel workbook or CSV UTF-8)."
    ),
    "formulas": N_(
        "The sheet has formulas (first at %(detail)s). Copy the cells and paste them as values, then upload again."
    ),
    "merged_cells": N_(
        "The sheet has merged cells (%(detail)s). Unmerge them so each row has its own values."
    ),
    "columns": N_("These columns are missing: %(detail)s. Start from the template."),
    "encoding": N_("The CSV file is not in UTF-8. In Excel, save it as \u201cCSV UTF-8\u201d."),
    "empty": N_("The file has no rows below its header."),
    "too_many_rows": N_("The file has more than 100,000 rows. Split it by village."),
}
ROW_PROBLEMS = {
    "unknown_village": N_("Unknown village (or not one of yours)"),
    "missing_name": N_("Name missing"),
    "name_too_long": N_("Name longer than 100 characters"),
    "bad_year": N_("Birth year missing or not a year"),
    "bad_sex": N_("Sex should be Nam, Nữ or Khác"),
    "two_heads": N_("More than one head of household"),
    "missing_address": N_("Address missing"),
}


class ImportController(Controller):
    """`/import`: for village heads (their villages) and the ward office (its villages)."""

    include_in_schema = False  # a page, not the API: /schema documents the API only

    path = "/import"
    opt = access("register.import")

    @get("/")
    async def form(self, request: Request[Actor, Any, Any]) -> Any:
        """The upload form and the template."""
        return page(request, "import.html", error=None, result=None, upload=None)

    @get("/template.csv", media_type="text/csv")
    async def template(self) -> Response[bytes]:
        """The template to fill in, with its columns and an example."""
        headers = {"Content-Disposition": 'attachment; filename="phocap-mau-danh-sach-ho.csv"'}
        return Response(template_csv(), media_type="text/csv; charset=utf-8", headers=headers)

    @post("/", request_max_body_size=2 * MAX_BYTES, status_code=200)
    async def upload(self, request: Request[Actor, Any, Any], data: Upload) -> Any:
        """Read the file and show what importing it would do, row by row."""
        villages = await visible_village_ids(request.user)
        file = data.get("file")
        if not isinstance(file, UploadFile) or not file.filename:
            return page(
                request,
                "import.html",
                status_code=422,
                error=_file_error(ImportFileError("file_type")),
                result=None,
                upload=None,
            )
        content = await file.read()
        try:
            rows = await sync_to_thread(read_rows, file.filename, content)
        except ImportFileError as exc:
            return page(
                request, "import.html", status_code=422, error=_file_error(exc), result=None, upload=None
            )
        result = await preview(rows, villages)
        token = secrets.token_urlsafe(16)
        await keep_upload(token, request.user.id, file.filename, content)
        status = 422 if result.errors else 200
        return page(
            request,
            "import.html",
            status_code=status,
            error=None,
            result=result,
            upload=token,
            problems=ROW_PROBLEMS,
        )

    @post("/{token:str}", status_code=200)
    async def confirm(self, request: Request[Actor, Any, Any], token: FromPath[str]) -> Any:
        """Import the previewed file: all its new households, or none if anything is wrong."""
        villages = await visible_village_ids(request.user)
        stored = await kept_upload(token, request.user.id)
        if stored is None:
            raise NotFoundException()
        rows = await sync_to_thread(read_rows, stored["filename"], bytes(stored["content"]))
        result = await preview(rows, villages)  # again: the register may have changed since
        if result.errors:
            return page(
                request,
                "import.html",
                status_code=422,
                error=None,
                result=result,
                upload=token,
                problems=ROW_PROBLEMS,
            )
        created = await import_households(result, request.user.id, client_address(request))
        await drop_upload(token)
        return page(
            request,
            "import.html",
            error=None,
            result=None,
            upload=None,
            imported=created,
            skipped=len(result.duplicates),
        )


def _file_error(exc: ImportFileError) -> str:
    message = gettext(FILE_ERRORS[exc.code])
    return message % {"detail": exc.detail} if "%(detail)s" in message else message
