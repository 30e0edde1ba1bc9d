"""The digest archive of a ward (every digest as it was sent, its delivery, send now and resend), the
ward's digest settings, and a user's own profile (a village head's digest)."""

from __future__ import annotations

import re
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect

from server.auth import access, client_address, routed_ward
from server.params import FormData
from server.views.render import page
from surveys.core.audit import audit
from surveys.core.clock import now, week_label, week_start
from surveys.core.i18n import N_, gettext
from surveys.core.settings import Settings
from surveys.people.accounts import Actor
from surveys.people.profile import profile, save_profile
from surveys.register.places import ward_row
from surveys.reporting.digest_archive import save_digest_settings, ward_digest, ward_digests
from surveys.reporting.digests import WARD, make_digest, ward_recipients
from surveys.reporting.outbox import deliver_due, resend

EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")
WEEKDAYS = [
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
]
# Only the email of a digest is shown inside the archive page, in a frame of its own: it has the inline
# styles mail clients need, which the app's own policy forbids.
EMAIL_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; base-uri 'none'"
)


def split_emails(raw: str) -> list[str]:
    """Addresses typed one per line (or separated by commas)."""
    return [a.strip() for a in re.split(r"[\n,;]+", raw) if a.strip()]


class DigestController(Controller):
    """`/wards/{code}/digests` and the digest settings, for the ward's officers (and admins)."""

    include_in_schema = False  # a page, not the API: /schema documents the API only

    path = "/wards/{code:str}"
    opt = access("ward.manage")  # the ward's own officers run its digest

    @get("/digests")
    async def archive(self, request: Request[Actor, Any, Any], code: FromPath[str]) -> Any:
        """Every digest of the ward, newest first, with its delivery."""
        ward_id = routed_ward(request)
        digests = await ward_digests(ward_id)
        recipients = ward_recipients(await ward_row(ward_id))
        return page(request, "digests.html", code=code, digests=digests, recipients=recipients)

    @get("/digests/{digest_id:int}")
    async def show(
        self, request: Request[Actor, Any, Any], code: FromPath[str], digest_id: FromPath[int]
    ) -> Any:
        """One digest as it was sent, with its short summary to copy."""
        digest = await _digest(routed_ward(request), digest_id)
        return page(request, "digest.html", code=code, d=digest)

    @get("/digests/{digest_id:int}/email.html")
    async def email(
        self, request: Request[Actor, Any, Any], code: FromPath[str], digest_id: FromPath[int]
    ) -> Response[str]:
        """The HTML email itself, for the archive page's frame."""
        digest = await _digest(routed_ward(request), digest_id)
        return Response(digest["html_body"], media_type="text/html", headers={"Content-Security-Policy": EMAIL_CSP,
                        "X-Frame-Options": "SAMEORIGIN"})  # fmt: skip

    @post("/digests/send")
    async def send_now(
        self, request: Request[Actor, Any, Any], settings: NamedDependency[Settings], code: FromPath[str]
    ) -> Redirect:
        """Make this week's digest now (if it is not made yet) and send the outbox."""
        ward_id = routed_ward(request)
        digest_id, created = await make_digest(ward_id, week_label(week_start(now())), WARD, settings)
        if created:
            await audit("digest.send_now", "digest", digest_id, request.user.id, {}, client_address(request))
        await deliver_due(settings)
        return Redirect(f"/wards/{code}/digests/{digest_id}", status_code=303)

    @post("/digests/{digest_id:int}/resend")
    async def resend(
        self,
        request: Request[Actor, Any, Any],
        settings: NamedDependency[Settings],
        code: FromPath[str],
        digest_id: FromPath[int],
    ) -> Redirect:
        """Send a digest again, as it was (explicit, and audited)."""
        await _digest(routed_ward(request), digest_id)
        if await resend(digest_id, request.user.id, client_address(request)):
            await deliver_due(settings)
        return Redirect(f"/wards/{code}/digests/{digest_id}", status_code=303)

    @get("/digest-settings")
    async def settings_form(self, request: Request[Actor, Any, Any], code: FromPath[str]) -> Any:
        """Who receives the ward's digest, and when."""
        ward_id = routed_ward(request)
        ward = await ward_row(ward_id)
        values = {"emails": "\n".join(ward_recipients(ward)), "weekday": str(ward.get("digest_weekday", 1)),
                  "hour": str(ward.get("digest_hour", 7))}  # fmt: skip
        return page(request, "digest_settings.html", code=code, values=values, errors={}, weekdays=WEEKDAYS)

    @post("/digest-settings")
    async def save_settings(
        self, request: Request[Actor, Any, Any], code: FromPath[str], data: FormData
    ) -> Any:
        """Save them; bad addresses or times come back with their message and everything as typed."""
        ward_id = routed_ward(request)
        values = {k: str(data.get(k, "")).strip() for k in ("emails", "weekday", "hour")}
        emails = split_emails(values["emails"])
        errors = {}
        if bad := [e for e in emails if not EMAIL.match(e) or len(e) > 200]:
            errors["emails"] = gettext(N_("These are not email addresses: %(bad)s")) % {"bad": ", ".join(bad)}
        if not values["weekday"].isdigit() or not 1 <= int(values["weekday"]) <= 7:
            errors["weekday"] = gettext(N_("Choose a day of the week."))
        if not values["hour"].isdigit() or not 0 <= int(values["hour"]) <= 23:
            errors["hour"] = gettext(N_("Enter an hour from 0 to 23."))
        if errors:
            return page(
                request,
                "digest_settings.html",
                status_code=422,
                code=code,
                values=values,
                errors=errors,
                weekdays=WEEKDAYS,
            )
        await save_digest_settings(
            ward_id,
            emails,
            int(values["weekday"]),
            int(values["hour"]),
            request.user.id,
            client_address(request),
        )
        return Redirect(f"/wards/{code}/digests", status_code=303)


async def _digest(ward_id: int, digest_id: int) -> dict[str, Any]:
    digest = await ward_digest(ward_id, digest_id)
    if digest is None:
        raise NotFoundException()
    return digest


class ProfileController(Controller):
    """`/profile`: a user's own email and, for village heads and province officers, their weekly mail."""

    include_in_schema = False  # a page, not the API: /schema documents the API only

    path = "/profile"
    opt = access("account")

    @get("/")
    async def form(self, request: Request[Actor, Any, Any]) -> Any:
        """The profile form."""
        values = await profile(request.user.id)
        return page(request, "profile.html", values=values, errors={}, saved=False)

    @post("/")
    async def save(self, request: Request[Actor, Any, Any], data: FormData) -> Any:
        """Save the email and the digest choice."""
        values = {"email": str(data.get("email", "")).strip(), "wants_digest": "wants_digest" in data}
        errors = {}
        if values["email"] and (not EMAIL.match(str(values["email"])) or len(str(values["email"])) > 200):
            errors["email"] = gettext(N_("This is not an email address."))
        if values["wants_digest"] and not values["email"]:
            errors["email"] = gettext(N_("Enter the email address the digest goes to."))
        if errors:
            return page(request, "profile.html", status_code=422, values=values, errors=errors, saved=False)
        wants = await save_profile(
            request.user.id, request.user.role, str(values["email"]), bool(values["wants_digest"])
        )
        return page(request, "profile.html", values={**values, "wants_digest": wants}, errors={}, saved=True)
