"""`/provinces/{code}/official-figures?period=`: the province's officers enter the official figures of
each of its wards for a period (surveys/reporting/province_official.py holds the rules); the province's
report sets them beside phocap's counts."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect

from server.auth import access, client_address, routed_province
from server.params import FormData, Upload
from server.views.render import download, page
from surveys.core.clock import local_now
from surveys.core.i18n import N_, gettext
from surveys.core.messages import error_message
from surveys.core.validation import InvalidInput
from surveys.people.accounts import Actor
from surveys.register.imports import ImportFileError
from surveys.reporting.documents import SHORT_NAMES
from surveys.reporting.official import OfficialLocked, typed_count
from surveys.reporting.official_workbook import MAX_BYTES, WorkbookEntry, province_workbook, read_workbook
from surveys.reporting.periods import Period, latest_ended_quarter, named_period, period_choices
from surveys.reporting.province_official import (
    WardOfficial,
    parse_entry,
    province_official,
    province_ward_codes,
    save_province_official,
)
from surveys.reporting.schemas import MAX_WARDS, PROVINCE_OFFICIAL

Named = Annotated[str | None, QueryParameter(name="period", max_length=10)]
FIELDS = (*PROVINCE_OFFICIAL, "source")


def _typed(wards: list[WardOfficial]) -> dict[str, str]:
    """The form's values as recorded: `{ward code}.{field}`."""
    values: dict[str, str] = {}
    for w in wards:
        for name in PROVINCE_OFFICIAL:
            value = w.values[name]
            values[f"{w.code}.{name}"] = "" if value is None else str(value)
        values[f"{w.code}.source"] = w.source
    return values


def _entry(data: dict[str, Any], wards: list[WardOfficial]) -> tuple[dict[str, Any], list[str]]:
    """The form as the API's body (the wards whose fields came: a locked ward's are not sent), and the
    ward code of each entry in it."""
    entries, codes = [], []
    for w in wards:
        if not any(f"{w.code}.{name}" in data for name in FIELDS):
            continue
        entry: dict[str, Any] = {"ward": w.code, "source": str(data.get(f"{w.code}.source", "")).strip()}
        for name in PROVINCE_OFFICIAL:
            typed = typed_count(str(data.get(f"{w.code}.{name}", "")))
            if typed:  # empty: not declared
                entry[name] = typed
        entries.append(entry)
        codes.append(w.code)
    return {"wards": entries}, codes


def _form_errors(exc: InvalidInput, codes: list[str]) -> dict[str, str]:
    """Each bad value's message under its form field (`wards.3.bank` → `{code of the 4th}.bank`)."""
    errors: dict[str, str] = {}
    for e in exc.errors:
        parts = e.field.split(".")
        if len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(codes):
            name = parts[2]
            key = "official_value" if name in PROVINCE_OFFICIAL else name
            errors[f"{codes[int(parts[1])]}.{name}"] = error_message(key, e.code)
    return errors


class ProvinceOfficialController(Controller):
    """The entry form: a period, and a table of the province's wards with their figures; the same as a
    workbook to download and upload back."""

    include_in_schema = False  # pages and files; the API's twin is server.api_province_official
    path = "/provinces/{code:str}"
    opt = access("province.manage")

    async def _form(self, request: Request[Actor, Any, Any], period: Period, status_code: int = 200,
                    **context: Any) -> Any:  # fmt: skip
        wards = await province_official(routed_province(request), period)
        context.setdefault("values", _typed(wards))
        context.setdefault("errors", {})
        context.setdefault("saved", request.query_params.get("saved") == "1")
        return page(request, "province_official.html", status_code=status_code, code=request.path_params["code"],
                    period=period, wards=wards, indicators=PROVINCE_OFFICIAL, names=SHORT_NAMES,
                    choices=period_choices(local_now().date()), **context)  # fmt: skip

    async def _bad_period(self, request: Request[Actor, Any, Any]) -> Any:
        return await self._form(request, latest_ended_quarter(local_now().date()), 422,
                                period_error=error_message("period", "invalid"))  # fmt: skip

    @get("/official-figures")
    async def form(self, request: Request[Actor, Any, Any], code: FromPath[str], period: Named = None) -> Any:
        """The figures of the period chosen (the latest ended quarter unless chosen), editable."""
        try:
            chosen = named_period(period) if period else latest_ended_quarter(local_now().date())
        except InvalidInput:
            return await self._bad_period(request)
        return await self._form(request, chosen)

    @post("/official-figures", status_code=200)
    async def save(self, request: Request[Actor, Any, Any], code: FromPath[str], data: FormData) -> Any:
        """Save them: a bad value comes back next to its field, everything as typed, nothing saved (422); a
        ward whose report on the period was accepted meanwhile, the same with its name (409)."""
        try:
            period = named_period(str(data.get("period", "")))
        except InvalidInput:
            return await self._bad_period(request)
        province = routed_province(request)
        wards = await province_official(province, period)
        raw, codes = _entry(data, wards)
        typed = {**_typed(wards), **{k: str(v) for k, v in data.items() if k != "_csrf_token"}}
        try:
            entry = parse_entry(raw, {w.code for w in wards})
            await save_province_official(province, period, entry, request.user.id, client_address(request))
        except InvalidInput as exc:
            return await self._form(request, period, 422, values=typed, errors=_form_errors(exc, codes))
        except OfficialLocked as exc:
            locked = [w.name for w in wards if w.id in exc.wards]
            return await self._form(request, period, 409, values=typed, locked_names=locked)
        return Redirect(f"/provinces/{code}/official-figures?period={period.name}&saved=1", status_code=303)

    @get("/official-figures.xlsx")
    async def workbook(
        self, request: Request[Actor, Any, Any], code: FromPath[str], period: Named = None
    ) -> Response[bytes] | Any:
        """Every ward with its figures for the period, as a workbook to fill and upload back."""
        try:
            chosen = named_period(period or "")
        except InvalidInput:
            return await self._bad_period(request)
        content = await province_workbook(routed_province(request), chosen)
        return download(content, f"phocap-province-{code}-official-figures-{chosen.name}", "xlsx")

    @post("/official-figures/upload", request_max_body_size=2 * MAX_BYTES, status_code=200)
    async def upload(self, request: Request[Actor, Any, Any], code: FromPath[str], data: Upload) -> Any:
        """Save the figures of an uploaded workbook: every row, or none (each bad cell named by its row)."""
        try:
            period = named_period(str(data.get("period", "")))
        except InvalidInput:
            return await self._bad_period(request)
        file = data.get("file")
        if not isinstance(file, UploadFile) or not file.filename:
            return await self._form(
                request, period, 422, file_errors=[file_error(ImportFileError("file_type"))]
            )
        province = routed_province(request)
        try:
            sheet = read_workbook(await file.read())
            entry = parse_entry(sheet.raw, await province_ward_codes(province))
            await save_province_official(province, period, entry, request.user.id, client_address(request))
        except ImportFileError as exc:
            return await self._form(request, period, 422, file_errors=[file_error(exc)])
        except InvalidInput as exc:
            return await self._form(request, period, 422, file_errors=row_errors(exc, sheet))
        except OfficialLocked as exc:
            wards = await province_official(province, period)
            locked = [w.name for w in wards if w.id in exc.wards]
            return await self._form(request, period, 409, locked_names=locked)
        return Redirect(f"/provinces/{code}/official-figures?period={period.name}&saved=1", status_code=303)


FILE_ERRORS = {
    "too_large": N_("The file is larger than 1 MB."),
    "file_type": N_("Upload the figures as an .xlsx workbook: start from the one downloaded here."),
    "formulas": N_(
        "The sheet has formulas (first at %(detail)s). Copy the cells and paste them as values, then upload again."
    ),
    "merged_cells": N_(
        "The sheet has merged cells (%(detail)s). Unmerge them so each row has its own values."
    ),
    "columns": N_("These columns are missing: %(detail)s. Start from the template."),
    "empty": N_("The file has no rows below its header."),
    "too_many_rows": N_("The file has more than %(detail)s lines."),
}


def file_error(exc: ImportFileError) -> str:
    """Why the workbook cannot be read at all."""
    text = FILE_ERRORS[exc.code] if exc.code in FILE_ERRORS else FILE_ERRORS["file_type"]
    message = gettext(text)
    return message % {"detail": exc.detail or str(MAX_WARDS)} if "%(detail)s" in message else message


def row_errors(exc: InvalidInput, sheet: WorkbookEntry) -> list[str]:
    """Each bad cell's message, with its row and column."""
    messages = []
    for e in exc.errors:
        where = sheet.row_of(e.field)
        leaf = e.field.rsplit(".", 1)[-1]
        message = error_message("official_value" if leaf in PROVINCE_OFFICIAL else e.field, e.code)
        if where is None:
            messages.append(message)
        else:
            messages.append(gettext("Row %(row)d, column %(column)s: %(message)s")
                            % {"row": where[0], "column": where[1], "message": message})  # fmt: skip
    return messages
