"""The ward office manages its staff accounts; everyone changes their own password."""

from __future__ import annotations

import secrets
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect

from server.auth import SESSION_COOKIE, access, client_address, routed_ward
from server.params import Flag, FormData
from server.views.render import page, ward_page
from surveys.core.audit import history
from surveys.core.messages import error_message
from surveys.core.settings import Settings
from surveys.core.validation import FieldError, InvalidInput
from surveys.people.accounts import Actor, SignInLimits, TooManyAttempts, sign_in
from surveys.people.passwords import password_problem
from surveys.people.schemas import AccountCreate, AccountUpdate
from surveys.people.staff import (
    OFFICER_ROLES,
    change_own_password,
    create_account,
    parse_account,
    reset_password,
    set_active,
    staff_account,
    update_account,
    ward_staff,
)
from surveys.register.places import province_name_of_ward, ward_villages


def _form(data: dict[str, Any], villages: list[Any]) -> dict[str, Any]:
    """The account form as posted: text fields and the ticked villages."""
    chosen = data.get("villages", [])
    chosen = chosen if isinstance(chosen, list) else [chosen]
    return {
        "login": str(data.get("login", "")),
        "display_name": str(data.get("display_name", "")),
        "role": str(data.get("role", "")),
        "password": str(data.get("password", "")),
        "villages": [int(v) for v in chosen if str(v).isdigit()],
    }


def _errors(errors: list[FieldError]) -> dict[str, str]:
    return {e.field.split(".")[0]: error_message(e.field.split(".")[0], e.code) for e in errors}


class StaffController(Controller):
    """`/wards/{code}/staff`: volunteers and village heads of the ward, for its officers."""

    include_in_schema = False  # a page, not the API: /schema documents the API only

    path = "/wards/{code:str}/staff"
    opt = access("ward.manage")  # the ward's own officers (and admins)

    async def _villages(self, ward_id: int) -> list[dict[str, Any]]:
        return await ward_villages(ward_id)

    async def _roles(self, request: Request[Actor, Any, Any], code: str) -> dict[str, Any]:
        """The roles the form offers: an admin also makes the ward's officers and its province's."""
        officers = request.user.role == "admin"
        roles = ["volunteer", "village_head", *(["ward_officer", "province_officer"] if officers else [])]
        return {"roles": roles, "province_name": await province_name_of_ward(code) if officers else ""}

    @get("/")
    async def index(self, request: Request[Actor, Any, Any], code: FromPath[str]) -> Any:
        """The staff accounts, with each account's villages and state."""
        ward_id = routed_ward(request)
        villages = {v["id"]: v["name"] for v in await self._villages(ward_id)}
        created = request.query_params.get("created") == "officer"
        return ward_page(
            request, "staff.html", staff=await ward_staff(ward_id), villages=villages, created=created
        )

    @get("/new")
    async def new(self, request: Request[Actor, Any, Any], code: FromPath[str]) -> Any:
        """The form for a new account, with a suggested first password."""
        ward_id = routed_ward(request)
        values = {
            "login": "",
            "display_name": "",
            "role": "volunteer",
            "password": secrets.token_urlsafe(9),
            "villages": [],
        }
        return ward_page(
            request,
            "account.html",
            member=None,
            values=values,
            villages=await self._villages(ward_id),
            **await self._roles(request, code),
        )

    @post("/new")
    async def create(self, request: Request[Actor, Any, Any], code: FromPath[str], data: FormData) -> Any:
        """Create the account; a bad field comes back with its message and everything as typed."""
        ward_id = routed_ward(request)
        villages = await self._villages(ward_id)
        values = _form(data, villages)
        roles = await self._roles(request, code)
        try:
            account = parse_account(values, AccountCreate)
            user_id = await create_account(
                ward_id,
                account,
                request.user.id,
                client_address(request),
                officers=request.user.role == "admin",
            )
        except InvalidInput as exc:
            return ward_page(request, "account.html", status_code=422, member=None, values=values,
                             errors=_errors(exc.errors), villages=villages, **roles)  # fmt: skip
        if account.role in OFFICER_ROLES:
            # Officers are not edited here (their page is the staff list): the list says it is made.
            return Redirect(f"/wards/{code}/staff?created=officer", status_code=303)
        return Redirect(f"/wards/{code}/staff/{user_id}?created=true", status_code=303)

    @get("/{user_id:int}")
    async def show(
        self,
        request: Request[Actor, Any, Any],
        code: FromPath[str],
        user_id: FromPath[int],
        created: Flag = "false",
    ) -> Any:
        """An account: its name, role and villages, password reset, deactivation, and its history."""
        ward_id = routed_ward(request)
        member = await staff_account(ward_id, user_id)
        if member is None:
            raise NotFoundException()
        values = {"display_name": member.display_name, "role": member.role, "villages": member.village_ids}
        entries = await history("user", user_id)
        return ward_page(request, "account.html", member=member, values=values, villages=await self._villages(ward_id),
                         history=entries, created=created == "true")  # fmt: skip

    @post("/{user_id:int}")
    async def update(
        self, request: Request[Actor, Any, Any], code: FromPath[str], user_id: FromPath[int], data: FormData
    ) -> Any:
        """Save name, role and villages."""
        ward_id = routed_ward(request)
        member = await staff_account(ward_id, user_id)
        if member is None:
            raise NotFoundException()
        villages = await self._villages(ward_id)
        values = _form(data, villages)
        try:
            update = parse_account(
                {k: values[k] for k in ("display_name", "role", "villages")}, AccountUpdate
            )
            await update_account(ward_id, user_id, update, request.user.id, client_address(request))
        except InvalidInput as exc:
            return ward_page(request, "account.html", status_code=422, member=member, values=values,
                             errors=_errors(exc.errors), villages=villages, history=[])  # fmt: skip
        return Redirect(f"/wards/{code}/staff", status_code=303)

    @post("/{user_id:int}/password")
    async def reset(
        self, request: Request[Actor, Any, Any], code: FromPath[str], user_id: FromPath[int]
    ) -> Any:
        """A new temporary password, shown once; the user changes it at next sign-in."""
        ward_id = routed_ward(request)
        member = await staff_account(ward_id, user_id)
        if member is None:
            raise NotFoundException()
        temporary = secrets.token_urlsafe(9)
        await reset_password(user_id, temporary, request.user.id, client_address(request))
        return ward_page(request, "password_reset.html", member=member, temporary=temporary)

    @post("/{user_id:int}/active")
    async def activate(
        self, request: Request[Actor, Any, Any], code: FromPath[str], user_id: FromPath[int], data: FormData
    ) -> Redirect:
        """Deactivate (sessions end at once) or reactivate."""
        ward_id = routed_ward(request)
        if await staff_account(ward_id, user_id) is None:
            raise NotFoundException()
        await set_active(user_id, data.get("active") == "true", request.user.id, client_address(request))
        return Redirect(f"/wards/{code}/staff/{user_id}", status_code=303)


class StaffOldPathController(Controller):
    """`/wards/{code}/team`, the staff accounts' address before they had their own word: bookmarks of
    the list and of an account move permanently to `/wards/{code}/staff` (301), for the same officers."""

    include_in_schema = False

    path = "/wards/{code:str}/team"
    opt = access("ward.manage")

    @get("/", status_code=301)
    async def index(self, request: Request[Actor, Any, Any], code: FromPath[str]) -> Redirect:
        """The list's new address."""
        return _moved(request, f"/wards/{code}/staff")

    @get("/{user_id:int}", status_code=301)
    async def show(
        self, request: Request[Actor, Any, Any], code: FromPath[str], user_id: FromPath[int]
    ) -> Redirect:
        """An account's new address."""
        return _moved(request, f"/wards/{code}/staff/{user_id}")


def _moved(request: Request[Actor, Any, Any], path: str) -> Redirect:
    query = request.url.query
    return Redirect(f"{path}?{query}" if query else path, status_code=301)


class PasswordController(Controller):
    """`/password`: change one's own password (required after a reset)."""

    include_in_schema = False  # a page, not the API: /schema documents the API only

    path = "/password"
    opt = access("account")

    @get("/")
    async def form(self, request: Request[Actor, Any, Any]) -> Any:
        """The form."""
        return page(request, "password.html", errors={}, forced=request.user.must_change_password)

    @post("/")
    async def save(
        self, request: Request[Actor, Any, Any], settings: NamedDependency[Settings], data: FormData
    ) -> Any:
        """Check the current password (its failures count toward the sign-in limits: a session left open
        must not become a way to guess it), then set the new one."""
        current, new, again = (
            str(data.get(k, "")) for k in ("current_password", "new_password", "new_password_again")
        )
        errors: list[FieldError] = []
        try:
            if (
                await sign_in(request.user.login, current, client_address(request), SignInLimits.of(settings))
                != request.user.id
            ):
                errors.append(FieldError("current_password", "wrong"))
        except TooManyAttempts:
            errors.append(FieldError("current_password", "locked"))
        if problem := password_problem(new, request.user.login):
            errors.append(FieldError("new_password", problem))
        elif new != again:
            errors.append(FieldError("new_password", "mismatch"))
        if errors:
            return page(
                request,
                "password.html",
                status_code=422,
                errors=_errors(errors),
                forced=request.user.must_change_password,
            )
        await change_own_password(
            request.user.id,
            request.user.login,
            new,
            request.cookies.get(SESSION_COOKIE, ""),
            client_address(request),
        )
        return Redirect("/", status_code=303)
