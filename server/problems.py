"""Errors as answers: RFC 9457 problem bodies for the API, friendly Vietnamese pages for people."""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import urlencode

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, PermissionDeniedException, ValidationException
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from server.auth import OtherUserRefused, PasswordChangeRequired, SignInRequired, safe_next, sign_in_url
from server.csrf import ForgeryRefused
from server.views.render import page
from surveys import schemas
from surveys.core.i18n import N_, gettext
from surveys.core.messages import error_message
from surveys.core.outages import RETRY_AFTER_SECONDS as OUTAGE_RETRY_SECONDS
from surveys.core.outages import database_unreachable, outages
from surveys.core.validation import ReusedClientId, error_code
from surveys.people.access import OutOfArea
from surveys.people.hashing import RETRY_AFTER_SECONDS, HashingBusy
from surveys.people.schemas import SignInForm

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"
# A route's `opt` key: its errors are problem JSON, as the API's (a route a script reads, not a page).
PROBLEM_JSON_OPT = "problem_json"


class InvalidInputProblem(HTTPException):
    """422: the input breaks the schema or a rule; names every bad field."""

    status_code = 422

    def __init__(self, errors: list[tuple[str, str]], detail: str = "The input has errors.") -> None:
        super().__init__(detail=detail)
        self.errors = errors


class UndecodableBodyProblem(InvalidInputProblem):
    """400: the body is not JSON at all (malformed, not UTF-8, nested too deep)."""

    status_code = 400

    def __init__(self) -> None:
        super().__init__([("$", "invalid")], detail="The request body is not valid JSON.")


class ConflictProblem(HTTPException):
    """409: the household (or a class) changed since the client read it; carries its current state."""

    status_code = 409

    def __init__(self, current: schemas.Household | Any, what: str = "household") -> None:
        super().__init__(detail=f"The {what} changed since you read it; nothing was overwritten.")
        self.current = current


_PAGE_TITLES = {
    400: N_("The request could not be understood."),
    401: N_("Please sign in."),
    403: N_("You do not have access to this page."),
    404: N_("This page does not exist, or you do not have access to it."),
    405: N_("This action is not allowed here."),
    413: N_("What you sent is too large."),
    429: N_("Too many attempts. Please wait a moment and try again."),
    503: N_("The service is busy or its database is not answering. Please try again in a moment."),
}


_FALLBACK_TITLE = N_("Something went wrong. Please try again.")


def _problem(exc: HTTPException, status: int) -> Response[Any]:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": exc.detail if status != HTTP_500_INTERNAL_SERVER_ERROR else "Internal server error",
        "status": status,
    }
    if isinstance(exc, InvalidInputProblem):
        body["errors"] = [{"field": f, "code": c, "message": error_message(f, c)} for f, c in exc.errors]
    elif isinstance(exc, ConflictProblem):
        body["current"] = msgspec.to_builtins(exc.current)
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=exc.headers)


def _wants_json(request: Request[Any, Any, Any]) -> bool:
    if request.url.path.startswith("/api/") or request.url.path in ("/healthz", "/schema"):
        return True
    handler = request.scope.get("route_handler")
    return bool(handler is not None and handler.opt.get(PROBLEM_JSON_OPT))


# Litestar's words for a required parameter that is missing (it names no field otherwise).
_MISSING = re.compile(r"Missing required \w+ parameter '([^']+)'")


def parameter_errors(exc: ValidationException) -> list[tuple[str, str]] | None:
    """The bad parameters (query, path, header) Litestar found, as (field, code) like a body's errors;
    None for a failure of another kind."""
    extra = exc.extra
    if isinstance(extra, list) and extra and all(isinstance(e, dict) and "key" in e for e in extra):
        return [(str(e["key"]), error_code(str(e.get("message", "")))) for e in extra]
    if found := _MISSING.search(exc.detail):
        return [(found.group(1), "required")]
    return None


def http_exception_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """Problem JSON for the API, an error page for people; never a stack trace. A bad parameter of the
    API is a 422 naming each bad field, the same shape as a bad body's."""
    status = exc.status_code
    # The phone's worker reads the refusal of a post it kept for another user, not a person.
    if _wants_json(request) or isinstance(exc, OtherUserRefused):
        if isinstance(exc, ValidationException) and (errors := parameter_errors(exc)) is not None:
            return _problem(InvalidInputProblem(errors, detail="A parameter is not valid."), 422)
        return _problem(exc, status)
    message = gettext(
        exc.message if isinstance(exc, ForgeryRefused) else _PAGE_TITLES.get(status, _FALLBACK_TITLE)
    )
    return Template(
        "error.html", context={"status": status, "message": message}, status_code=status, headers=exc.headers
    )


def sign_in_handler(request: Request[Any, Any, Any], exc: SignInRequired) -> Response[Any]:
    """Send the visitor to sign in, coming back here afterwards. A form posted after the session
    ended gets the sign-in page at once (401), carrying its answers: nothing typed is lost."""
    if exc.carried is not None and not _wants_json(request):
        return signin_carrying(request, exc.next_path, exc.carried)
    if getattr(request, "htmx", False):
        # An HTMX call would swap the sign-in page into a fragment: ask for a full navigation instead.
        return Response("", status_code=200, headers={"HX-Redirect": sign_in_url(exc.next_path)})
    return Redirect(sign_in_url(exc.next_path), status_code=303)


def signin_carrying(
    request: Request[Any, Any, Any], action: str, carried: list[tuple[str, str]]
) -> Response[Any]:
    """The sign-in page holding a posted form's fields; after sign-in they go to `action` again."""
    headers = {"HX-Retarget": "#main", "HX-Reswap": "innerHTML show:window:top"}
    return page(
        request,
        "signin.html",
        status_code=401,
        headers=headers if getattr(request, "htmx", False) else None,
        form=SignInForm(next=safe_next(action), carry=urlencode(carried)),
        error=gettext(N_("Your session has ended. Sign in again: the answers you typed are kept.")),
    )


def password_change_handler(request: Request[Any, Any, Any], exc: PasswordChangeRequired) -> Response[Any]:
    """Send the user to choose their own password."""
    if getattr(request, "htmx", False):
        return Response("", status_code=200, headers={"HX-Redirect": "/password"})
    return Redirect("/password", status_code=303)


def busy_handler(request: Request[Any, Any, Any], exc: HashingBusy) -> Response[Any]:
    """Too many passwords being checked at once: 503 with `Retry-After`, nothing counted or changed."""
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return http_exception_handler(
        request,
        HTTPException(
            status_code=503, detail="Too many sign-ins at once; try again shortly.", headers=headers
        ),
    )


def out_of_area_handler(request: Request[Any, Any, Any], exc: OutOfArea) -> Response[Any]:
    """A record of the ward outside the caller's own villages (a village head's): 403, nothing changed."""
    return http_exception_handler(
        request, PermissionDeniedException("This record is outside your villages; nothing was changed.")
    )


def reused_client_id_handler(request: Request[Any, Any, Any], exc: ReusedClientId) -> Response[Any]:
    """A `client_id` recorded before with other answers: 409, nothing recorded (a retry sends the same
    body; this is another submission, or a phone's bug, and goes to its 'to review' list)."""
    return http_exception_handler(
        request,
        HTTPException(
            status_code=409,
            detail="This client_id was recorded before with a different submission; nothing was recorded.",
        ),
    )


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Log the failure; answer without any detail of it. The database being down is no bug: 503 with
    `Retry-After`, and one log line per minute for the whole outage."""
    if database_unreachable(exc):
        outages.report(exc)
        headers = {"Retry-After": str(OUTAGE_RETRY_SECONDS)}
        return http_exception_handler(
            request,
            HTTPException(
                status_code=503, detail="The database is not answering; try again shortly.", headers=headers
            ),
        )
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return http_exception_handler(request, HTTPException(status_code=HTTP_500_INTERNAL_SERVER_ERROR))
