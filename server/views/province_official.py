"""`/provinces/{code}/official-figures?period=`: the province's officers enter the official figures of
each of its wards for a period (surveys/reporting/province_official.py holds the rules); the province's
report sets them beside phocap's counts."""

from __future__ import annotations

import re
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, QueryParameter
from litestar.response import Redirect

from server.auth import access, client_address, routed_province
from server.views.render import page
from surveys.core.clock import local_now
from surveys.core.messages import error_message
from surveys.core.validation import InvalidInput
from surveys.people.accounts import Actor
from surveys.reporting.documents import SHORT_NAMES
from surveys.reporting.official import OfficialLocked
from surveys.reporting.periods import Period, latest_ended_quarter, named_period, period_choices
from surveys.reporting.province_official import (
    WardOfficial,
    parse_entry,
    province_official,
    save_province_official,
)
from surveys.reporting.schemas import PROVINCE_OFFICIAL

FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
Named = Annotated[str | None, QueryParameter(name="period", max_length=10)]
FIELDS = (*PROVINCE_OFFICIAL, "source")
# 1.234 or 1 234: thousands as Vietnamese write them (a count has no decimals).
THOUSANDS = re.compile(r"^\d{1,3}([. ]\d{3})+$")


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
            typed = str(data.get(f"{w.code}.{name}", "")).strip()
            if THOUSANDS.match(typed):
                typed = typed.replace(".", "").replace(" ", "")
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
    """The entry form: a period, and a table of the province's wards with their figures."""

    include_in_schema = False  # a page; the API's twin is server.api_province_official
    path = "/provinces/{code:str}/official-figures"
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

    @get("/")
    async def form(self, request: Request[Actor, Any, Any], code: FromPath[str], period: Named = None) -> Any:
        """The figures of the period chosen (the latest ended quarter unless chosen), editable."""
        try:
            chosen = named_period(period) if period else latest_ended_quarter(local_now().date())
        except InvalidInput:
            chosen = latest_ended_quarter(local_now().date())
            return await self._form(request, chosen, 422, period_error=error_message("period", "invalid"))
        return await self._form(request, chosen)

    @post("/", status_code=200)
    async def save(self, request: Request[Actor, Any, Any], code: FromPath[str], data: FormData) -> Any:
        """Save them: a bad value comes back next to its field, everything as typed, nothing saved (422); a
        ward whose report on the period was accepted meanwhile, the same with its name (409)."""
        try:
            period = named_period(str(data.get("period", "")))
        except InvalidInput:
            return await self._form(request, latest_ended_quarter(local_now().date()), 422,
                                    period_error=error_message("period", "invalid"))  # fmt: skip
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
