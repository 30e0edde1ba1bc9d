"""Signing in and out, and choosing the interface language."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import parse_qsl

from litestar import Controller, Request, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Redirect

from server.auth import LOCALE_COOKIE, SESSION_COOKIE, access, client_address, safe_next
from server.csrf import bind_to_new_session
from server.views.render import page
from surveys.core.audit import audit
from surveys.core.i18n import LOCALES, N_, gettext, ngettext, set_locale
from surveys.core.settings import Settings
from surveys.core.text import clean
from surveys.people.accounts import (
    Actor,
    SignInLimits,
    TooManyAttempts,
    close_session,
    minutes_to_wait,
    open_session,
    sign_in,
)
from surveys.people.accounts import set_locale as remember_locale
from surveys.people.schemas import LanguageForm, SignInForm, SignOutForm
from surveys.register.places import province_code

Form = Body(media_type=RequestEncodingType.URL_ENCODED)
# Not "cookies": the CSRF cookie stays valid for the sign-in page that follows.
CLEAR_SITE_DATA = '"cache", "storage"'
# With work waiting on the phone: "storage" would delete the queue too (the phone's worker deletes the
# user's stored pages itself).
CLEAR_CACHE_ONLY = '"cache"'


def resume_page(request: Request[Any, Any, Any], form: SignInForm, cookie: Cookie, secret: str) -> Any:
    """After signing in again: the form posted when the session had ended, ready to go again, with a
    CSRF token of the session just opened."""
    bind_to_new_session(request.scope, secret, cookie.value or "")
    action = safe_next(form.next)
    fields = parse_qsl(form.carry, keep_blank_values=True)
    # A visit can also go back to its form, filled in, to be checked before saving.
    review = action.removesuffix("s") if action.startswith("/h/") and action.endswith("/visits") else None
    response = page(request, "resume.html", action=action, review=review, fields=fields)
    response.set_cookie(cookie)
    return response


def _session_cookie(settings: NamedDependency[Settings], value: str, max_age: int) -> Cookie:
    return Cookie(
        key=SESSION_COOKIE,
        value=value,
        max_age=max_age,
        httponly=True,
        secure=settings.cookie_secure,
        samesite="lax",
        path="/",
    )


class AuthController(Controller):
    """Sign-in, sign-out, language."""

    include_in_schema = False  # a page, not the API: /schema documents the API only

    @get("/", opt=access("public"))
    async def home(self, request: Request[Actor | None, Any, Any]) -> Redirect:
        """Ward officers start at their dashboard, province officers at their province's, national
        officers at the national view, other signed-in users at their villages; others at sign-in."""
        if request.user and request.user.role == "ward_officer" and request.user.ward_code:
            return Redirect(f"/wards/{request.user.ward_code}")
        if request.user and request.user.role == "national_officer":
            return Redirect("/country")
        if request.user and request.user.role == "province_officer" and request.user.province_id:
            code = await province_code(request.user.province_id)
            if code:
                return Redirect(f"/provinces/{code}")
        return Redirect("/villages" if request.user else "/signin")

    @get("/signin", sync_to_thread=False, opt=access("public"))
    def signin_page(self, request: Request[Actor | None, Any, Any], next: FromQuery[str] = "/") -> Any:
        """The sign-in form."""
        return page(request, "signin.html", form=SignInForm(next=safe_next(next)), error=None)

    @post("/signin", opt=access("public"))
    async def signin(
        self,
        request: Request[Actor | None, Any, Any],
        settings: NamedDependency[Settings],
        data: Annotated[SignInForm, Form],
    ) -> Any:
        """Check the password; on success a new session (a new id at every sign-in)."""
        login = clean(data.login).lower()
        form = SignInForm(login=login, next=safe_next(data.next), carry=data.carry)
        try:
            user_id = (
                await sign_in(login, data.password, client_address(request), SignInLimits.of(settings))
                if login and data.password
                else None
            )
        except TooManyAttempts as exc:
            minutes = minutes_to_wait(exc.retry_after)
            error = ngettext(
                "Too many failed sign-ins. Try again in %(num)d minute.",
                "Too many failed sign-ins. Try again in %(num)d minutes.",
                minutes,
            ) % {"num": minutes}
            headers = {"Retry-After": str(minutes * 60)}
            return page(request, "signin.html", status_code=429, headers=headers, form=form, error=error)
        if user_id is None:
            error = gettext(N_("Wrong login or password."))
            return page(request, "signin.html", status_code=401, form=form, error=error)
        if old := request.cookies.get(SESSION_COOKIE):
            await close_session(old)
        lifetime = timedelta(hours=settings.session_max_hours)
        token = await open_session(user_id, "web", lifetime)
        await audit("session.signed_in", "user", user_id, user_id, {"kind": "web"}, client_address(request))
        cookie = _session_cookie(settings, token, int(lifetime.total_seconds()))
        if data.carry:
            return resume_page(request, form, cookie, settings.secret_key)
        return Redirect(safe_next(data.next), status_code=303, cookies=[cookie])

    @get("/signout", sync_to_thread=False, opt=access("public"))
    def signout_page(self, request: Request[Actor | None, Any, Any]) -> Any:
        """Signing out of a phone that holds work or pages: what waits on it (listed by the page
        script) and what signing out does to them; kept on the phone (app shell) for use offline."""
        return page(request, "signout.html")

    @post("/signout", opt=access("public"))
    async def signout(
        self,
        request: Request[Actor | None, Any, Any],
        settings: NamedDependency[Settings],
        data: Annotated[SignOutForm, Form],
    ) -> Redirect:
        """End the session on the server and forget the cookie; the browser deletes what this site
        stored (the pages kept for work offline, the queue), ASVS 14.3.1, except a queue still
        holding work (`keep`): that stays until sent."""
        if token := request.cookies.get(SESSION_COOKIE):
            await close_session(token)
        return Redirect(
            "/signin",
            status_code=303,
            cookies=[_session_cookie(settings, "", 0)],
            headers={"Clear-Site-Data": CLEAR_CACHE_ONLY if data.keep else CLEAR_SITE_DATA},
        )

    @post("/language", opt=access("public"))
    async def language(
        self,
        request: Request[Actor | None, Any, Any],
        settings: NamedDependency[Settings],
        data: Annotated[LanguageForm, Form],
    ) -> Redirect:
        """Switch the interface language, remembered for the user and in a cookie."""
        locale = data.locale if data.locale in LOCALES else LOCALES[0]
        set_locale(locale)
        if request.user:
            await remember_locale(request.user.id, locale)
        cookie = Cookie(
            key=LOCALE_COOKIE,
            value=locale,
            max_age=365 * 24 * 3600,
            secure=settings.cookie_secure,
            httponly=True,
            samesite="lax",
        )
        return Redirect(safe_next(data.next), status_code=303, cookies=[cookie])
