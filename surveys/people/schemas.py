"""The shapes of what people send about accounts and sessions: sign-in, language, a ward's accounts,
the CSRF token a queued form fetches. Validation constraints sit on the types."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, Struct

from surveys.people.passwords import MAX_LENGTH, MIN_LENGTH

Login = Annotated[str, Meta(min_length=3, max_length=50, pattern=r"^[a-z0-9][a-z0-9._-]*$")]
Password = Annotated[str, Meta(min_length=MIN_LENGTH, max_length=MAX_LENGTH)]
DisplayName = Annotated[str, Meta(min_length=1, max_length=100)]
TeamRole = Literal["volunteer", "village_head"]
# Officers are created by an admin only (`create_account(..., officers=True)`): a ward officer of this
# ward, or a province officer of the ward's province.
AccountRole = Literal["volunteer", "village_head", "ward_officer", "province_officer"]


class AccountCreate(Struct, kw_only=True):
    """A new volunteer or village head (or, made by an admin, an officer)."""

    login: Login
    display_name: DisplayName
    role: AccountRole
    password: Password
    villages: list[int] = []


class AccountUpdate(Struct, kw_only=True):
    """Name, role and villages of an account."""

    display_name: DisplayName
    role: TeamRole
    villages: list[int] = []


class CsrfToken(Struct):
    """A CSRF token for a form sent later (the phone's queue)."""

    token: str


class SignInForm(Struct):
    """The sign-in form as posted."""

    login: str = ""
    password: str = ""
    next: str = "/"
    # A form posted after the session ended, URL-encoded: it is posted again after sign-in.
    carry: str = ""


class SignOutForm(Struct):
    """The sign-out form as posted: `keep` when visits or attendance wait on the phone (its own user's,
    kept until sent, or another account's), so the browser is not told to delete its storage."""

    keep: str = ""


class LanguageForm(Struct):
    """The language switch as posted."""

    locale: str = "vi"
    next: str = "/"
