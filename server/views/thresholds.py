"""The ward's thresholds page: what counts as covered in this commune, with a preview of how many
households change status before anything is saved."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from server.auth import access, client_address, routed_ward
from server.params import Flag, FormData
from server.views.render import page
from surveys.core.messages import SKILLS, error_message
from surveys.core.validation import InvalidInput
from surveys.people.accounts import Actor
from surveys.reporting.thresholds import (
    Thresholds,
    parse_thresholds,
    preview_thresholds,
    save_thresholds,
    ward_thresholds,
)
from surveys.survey.criteria import SKILL_CRITERIA

NUMBERS = ("identity_age", "adult_age", "identity_min_level")


def _values(thresholds: Thresholds) -> dict[str, Any]:
    return {
        "identity_age": str(thresholds.identity_age),
        "adult_age": str(thresholds.adult_age),
        "identity_min_level": str(thresholds.identity_min_level),
        "identity_requires_bank": thresholds.identity_requires_bank,
        "family_criteria": list(thresholds.family_criteria),
    }


def _posted(data: dict[str, Any]) -> dict[str, Any]:
    """The form as typed: numbers as text (they come back as typed), the boxes ticked."""
    chosen = data.get("family_criteria", [])
    return {
        **{name: str(data.get(name, "")).strip() for name in NUMBERS},
        "identity_requires_bank": data.get("identity_requires_bank") == "true",
        "family_criteria": [str(c) for c in (chosen if isinstance(chosen, list) else [chosen])],
    }


class ThresholdsController(Controller):
    """`/wards/{code}/rules`: the ward's own officers (and admins)."""

    include_in_schema = False  # a page, not the API: /schema documents the API only

    path = "/wards/{code:str}/rules"
    opt = access("ward.manage")

    @get("/")
    async def form(
        self, request: Request[Actor, Any, Any], code: FromPath[str], saved: Flag = "false"
    ) -> Any:
        """The thresholds as they are."""
        values = _values(await ward_thresholds(routed_ward(request)))
        return page(request, "thresholds.html", code=code, values=values, errors={}, preview=None, saved=saved == "true",
                    criteria=SKILL_CRITERIA, skills=SKILLS)  # fmt: skip

    @post("/", status_code=200)
    async def submit(self, request: Request[Actor, Any, Any], code: FromPath[str], data: FormData) -> Any:
        """`step=preview` (the form's button): how many households would change status, and a button to
        save exactly these values; `step=save`: store them (audited) and come back to the page."""
        ward_id = routed_ward(request)
        values = _posted(data)
        try:
            update = parse_thresholds({k: v for k, v in values.items() if v != ""})
        except InvalidInput as exc:
            errors = {e.field.split(".")[0]: error_message(e.field.split(".")[0], e.code) for e in exc.errors}
            return page(request, "thresholds.html", status_code=422, code=code, values=values, errors=errors,
                        preview=None, saved=False, criteria=SKILL_CRITERIA, skills=SKILLS)  # fmt: skip
        if data.get("step") == "save":
            await save_thresholds(ward_id, update, request.user.id, client_address(request))
            return Redirect(f"/wards/{code}/rules?saved=true", status_code=303)
        preview = await preview_thresholds(ward_id, update)
        return page(request, "thresholds.html", code=code, values=_values(Thresholds.of(update)), errors={},
                    preview=preview, saved=False, criteria=SKILL_CRITERIA, skills=SKILLS)  # fmt: skip
