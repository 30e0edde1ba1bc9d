"""Every route of the app against every role (ASVS 5.0 V8.2): each route names an access rule, and what
the server answers each role matches a table written here by hand, independent of `surveys.people.access`.
A new route with no rule stops the app from starting; a new rule with no row here fails the suite.

The fixture's records: household `an` in village v1 of ward 01849 (Phong Quang); volunteer1 covers
v1 and v2, volunteer2 only v3, head1 heads v1; `ward` is Phong Quang's officer, `otherward` the
neighbour's, `province` an officer of the province holding both wards."""

from __future__ import annotations

import re
import tempfile
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from litestar import Litestar, get
from litestar.exceptions import ImproperlyConfiguredException
from litestar.testing import AsyncTestClient

from server.app import check_access_rules, create_app
from server.auth import SESSION_COOKIE, is_litestar_options
from surveys.core.clock import now
from surveys.core.settings import Settings, load_settings
from surveys.people.accounts import open_session
from surveys.register.imports import template_csv
from surveys.tables import (
    ALL_TABLES,
    Attendance,
    AuthSession,
    ClassSession,
    Digest,
    ImportUpload,
    TeamMember,
    Ward,
)
from tests.conftest import csrf_token
from tests.factories import World, make_user

ANONYMOUS = "anonymous"
SIGNED_IN = {"volunteer1", "volunteer2", "head1", "ward", "otherward", "province", "admin"}
ROLES = sorted(SIGNED_IN | {ANONYMOUS})

# Who may take each action on the fixture's records, by hand.
EXPECTED: dict[str, set[str]] = {
    "public": SIGNED_IN | {ANONYMOUS},
    "account": SIGNED_IN,
    "household.read": {"volunteer1", "head1", "ward", "province", "admin"},
    "household.visit": {"volunteer1", "head1", "ward", "admin"},
    "household.manage": {"head1", "ward", "admin"},
    "household.personal_data": {"ward", "admin"},
    "village.read": {"volunteer1", "head1", "ward", "province", "admin"},
    "village.add_household": {"volunteer1", "head1", "ward", "admin"},
    "village.report": {"head1", "ward", "province", "admin"},
    "village.stickers": {"head1", "ward", "admin"},
    "register.import": {"head1", "ward", "otherward", "admin"},
    "ward.read": {"ward", "province", "admin"},
    "ward.manage": {"ward", "admin"},
    "province.read": {"province", "admin"},
    "class.read": {"volunteer1", "volunteer2", "head1", "ward", "province", "admin"},
    "class.attend": {"volunteer1", "volunteer2", "head1", "ward", "admin"},
    "class.manage": {"head1", "ward", "admin"},
}

# Public routes whose handler shows more to those with access: who sees the record itself.
HANDLER_CHECKED = {"/h/{token:str}": "household.read"}


def _routes() -> list[tuple[str, str, str]]:
    """(method, path template, action) of every route of the app."""
    # Read while tests are collected, before any tmp_path exists: a private folder of its own, removed
    # after (a fixed folder in the system temp dir would be shared with every other run on the machine).
    with tempfile.TemporaryDirectory(prefix="phocap-routes-") as data_dir:
        app = create_app(load_settings(environ={}, data_dir=data_dir, secret_key="x"))
    routes = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if is_litestar_options(handler):
                continue
            for method in sorted(handler.http_methods):
                routes.append((method, route.path, handler.opt["access"]))
    return sorted(set(routes))


ROUTES = _routes()
GETS = [r for r in ROUTES if r[0] in ("GET", "HEAD")]
POSTS = [r for r in ROUTES if r[0] not in ("GET", "HEAD")]  # and the API's one DELETE


def test_every_route_names_a_rule_this_table_knows() -> None:
    assert len(ROUTES) > 50
    assert {action for _, _, action in ROUTES} <= set(EXPECTED)
    assert all(method in ("GET", "HEAD", "POST", "DELETE") for method, _, _ in ROUTES)


def test_a_route_without_a_rule_stops_the_app() -> None:
    @get("/forgotten", sync_to_thread=False)
    def forgotten() -> str:
        return "no rule"

    with pytest.raises(ImproperlyConfiguredException, match="/forgotten"):
        check_access_rules(Litestar(route_handlers=[forgotten], logging_config=None))


class Caller:
    """One role's client: a session cookie (pages) or bearer token (API), and a CSRF token."""

    def __init__(self, client: AsyncTestClient[Any], role: str, session: str, api_token: str) -> None:
        self.client, self.role, self.session, self.api_token = client, role, session, api_token

    async def request(self, method: str, path: str) -> Any:
        headers: dict[str, str] = {}
        self.client.cookies.clear()
        if path.startswith("/api/"):
            if self.api_token:
                headers["Authorization"] = f"Bearer {self.api_token}"
            body: dict[str, Any] = {"json": {}} if method == "POST" else {}
            return await self.client.request(method, path, headers=headers, follow_redirects=False, **body)
        if self.session:
            self.client.cookies.set(SESSION_COOKIE, self.session)
        if method == "POST":
            token = await csrf_token(self.client, "/signin")
            return await self.client.post(
                path, data={"_csrf_token": token}, headers=headers, follow_redirects=False
            )
        return await self.client.request(method, path, headers=headers, follow_redirects=False)


async def _callers(client: AsyncTestClient[Any], world: World) -> dict[str, Caller]:
    ward = await Ward.select(Ward.province).where(Ward.id == world.wards["pq"]).first()
    assert ward is not None
    world.users["province"] = await make_user("province", "province_officer", province_id=ward["province"])
    callers = {ANONYMOUS: Caller(client, ANONYMOUS, "", "")}
    for role in SIGNED_IN:
        web = await open_session(world.users[role], "web", timedelta(days=1))
        api = await open_session(world.users[role], "api", timedelta(days=1))
        callers[role] = Caller(client, role, web, api)
    return callers


async def _path(template: str, world: World, role: str) -> str:
    """The route's path for the fixture's records (an upload of the caller's own for an import)."""
    values: dict[str, str] = {
        "token": world.households["an"],
        "village_id": str(world.villages["v1"]),
        "code": "01849",
        "user_id": str(world.users["volunteer1"]),
        "file_path": "app.css",
        "path": "openapi.json",  # /schema/{path} answers 404 to any other: Litestar's own
        "key": "vneid",  # a class topic of the plans
    }
    if "{team_id" in template:
        values["team_id"] = str(await _team_member(world))
    if "{class_id" in template:
        values["class_id"], values["attendance_id"] = (str(i) for i in await _class_with_attendee(world))
    if template.startswith("/import/{token") or "/official-figures/import/{token" in template:
        values["token"] = f"upload-{role}"
        if role in world.users:
            await ImportUpload.insert(
                ImportUpload(
                    token=values["token"], user=world.users[role], filename="ds.csv", content=template_csv()
                )
            )
    if "{digest_id" in template:
        digest = await Digest.select(Digest.id).where(Digest.ward == world.wards["pq"]).first()
        if digest is None:
            digest = (
                await Digest.insert(
                    Digest(ward=world.wards["pq"], week="2026-W40", subject="s", text_body="t", html_body="h")
                )
            )[0]
        values["digest_id"] = str(digest["id"])
    if template.startswith(("/provinces/", "/api/provinces/")):
        values["code"] = "19"  # the province of both wards
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: values[m.group(1)], template)


async def _team_member(world: World) -> int:
    """A digital ambassador of Phong Quang's team."""
    found = await TeamMember.select(TeamMember.id).where(TeamMember.ward == world.wards["pq"]).first()
    if found is None:
        found = (
            await TeamMember.insert(TeamMember(ward=world.wards["pq"], name="Lò Văn Sáng", role="ambassador"))
        )[0]
    return int(found["id"])


async def _class_with_attendee(world: World) -> tuple[int, int]:
    """A class of Phong Quang held yesterday, with one walk-in."""
    found = await ClassSession.select(ClassSession.id).where(ClassSession.ward == world.wards["pq"]).first()
    if found is None:
        found = (
            await ClassSession.insert(
                ClassSession(
                    ward=world.wards["pq"],
                    starts_at=now() - timedelta(days=1),
                    topics=["vneid"],
                    client_id=uuid.uuid4(),
                )
            )
        )[0]
        await Attendance.insert(Attendance(session=found["id"], age_group="60_plus", client_id=uuid.uuid4()))
    attendance = await Attendance.select(Attendance.id).where(Attendance.session == found["id"]).first()
    assert attendance is not None
    return int(found["id"]), int(attendance["id"])


def _refused(response: Any, path: str, role: str) -> bool:
    if role == ANONYMOUS:
        if path.startswith("/api/"):
            return bool(response.status_code == 401)
        if response.status_code == 401:  # a form posted without a session: sign-in, its fields kept
            signin = BeautifulSoup(response.text, "html.parser").find("form", action="/signin")
            next_field = signin.find("input", attrs={"name": "next"}) if signin else None
            return next_field is not None and next_field["value"] == path
        return response.status_code == 303 and response.headers["location"].startswith("/signin?next=")
    return bool(response.status_code == 404)


def _expected(method: str, template: str, action: str, role: str) -> bool:
    if template in HANDLER_CHECKED and role != ANONYMOUS:
        return role in EXPECTED[HANDLER_CHECKED[template]]
    return role in EXPECTED[action]


async def _fingerprint() -> list[Any]:
    """Everything in the database but the sessions' last-seen times."""
    rows = []
    for table in ALL_TABLES:
        exclude = [AuthSession.last_seen_at] if table is AuthSession else []
        rows.append(await table.select(*table.all_columns(exclude=exclude)).order_by(table._meta.primary_key))
    return rows


@pytest.mark.parametrize(("method", "template", "action"), GETS, ids=[f"{m} {p}" for m, p, _ in GETS])
async def test_get_routes_answer_each_role_as_the_table_says_and_change_nothing(
    client: AsyncTestClient[Any], world: World, method: str, template: str, action: str
) -> None:
    callers = await _callers(client, world)
    paths = {role: await _path(template, world, role) for role in ROLES}
    before = await _fingerprint()
    for role in ROLES:
        response = await callers[role].request(method, paths[role])
        assert response.status_code < 500, (role, paths[role], response.text[:300])
        allowed = _expected(method, template, action, role)
        assert _refused(response, paths[role], role) != allowed, (
            f"{role} {'refused' if allowed else 'let in'}: {method} {paths[role]} → {response.status_code}"
        )
    assert await _fingerprint() == before, f"GET {template} changed the database"


@pytest.mark.parametrize(
    ("method", "template", "action", "role"),
    [(m, p, a, r) for m, p, a in POSTS for r in ROLES],
    ids=[f"{m} {p} {r}" for m, p, _ in POSTS for r in ROLES],
)
async def test_post_routes_answer_each_role_as_the_table_says(
    client: AsyncTestClient[Any], world: World, method: str, template: str, action: str, role: str
) -> None:
    caller = (await _callers(client, world))[role]
    path = await _path(template, world, role)
    before = await _fingerprint()
    response = await caller.request(method, path)
    assert response.status_code < 500, (role, path, response.text[:300])
    allowed = _expected(method, template, action, role)
    assert _refused(response, path, role) != allowed, (
        f"{role} {'refused' if allowed else 'let in'}: {method} {path} → {response.status_code}"
    )
    if not allowed and action != "public":
        assert await _fingerprint() == before, f"a refused {method} {template} changed the database"


def test_settings_for_the_routes_are_the_defaults(settings: Settings, tmp_path: Path) -> None:
    # The route list above is read from an app built with the defaults: the same routes as the tests'.
    assert {r.path for r in create_app(settings).routes} == {
        r.path for r in create_app(load_settings(environ={}, data_dir=str(tmp_path), secret_key="x")).routes
    }
