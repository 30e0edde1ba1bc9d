"""Every route of the app against every role (ASVS 5.0 V8.2): each route names an access rule, and what
the server answers each role, for a record inside and one outside the role's area, is the exact status
a table written here by hand says, independent of `surveys.people.access`. A guard that starts to
answer otherwise (403 for 404, 200 for 303, …) fails. A new route with no rule stops the app from
starting; a route missing from the tables here, or a rule with no row, fails the suite.

The fixture's records: "here", household `an` in village v1 of ward 01849 (Phong Quang); "there",
household `v4` in village v4 of the neighbour ward 01852 (Đồng Hỷ), in the same province (19, Thái
Nguyên); "elsewhere", a household of a village of ward 00004 (Ba Đình) of another province (01, Hà Nội),
which only an admin reaches (and a national officer, whose reading of reports reaches every ward and
province, never a village, household, class or team). volunteer1 covers v1 and v2, volunteer2 only v3, head1 heads v1; `ward` is
Phong Quang's officer, `otherward` the neighbour's, `province` an officer of province 19, `national` a
national officer (read only, the whole country's reports).

Beyond the status, a data check: a body a GET answers never names a resident of a village the caller
may not see (`VISIBLE`), whatever the route. Each ward's team member mentors residents of its ward's
villages, and each ward's class has a resident among its attendees, so the pages that list people
(households, members, class attendees, mentors' learners) have names of several villages to show."""

from __future__ import annotations

import dataclasses
import re
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from litestar import Litestar, get
from litestar.exceptions import ImproperlyConfiguredException
from litestar.testing import AsyncTestClient

from server.app import check_access_rules, create_app
from server.auth import SESSION_COOKIE, access, access_guard, is_litestar_options
from surveys.core.clock import local_now, now
from surveys.core.settings import Settings, load_settings
from surveys.people.accounts import open_session
from surveys.register.imports import template_csv
from surveys.reporting.periods import latest_ended_quarter
from surveys.tables import (
    Attendance,
    ClassSession,
    Digest,
    ImportUpload,
    Member,
    Mentorship,
    ReportSubmission,
    TeamMember,
    Ward,
)
from tests.conftest import KEPT_FIXTURES, built_or_kept
from tests.factories import World, make_household, make_user, make_village, make_ward, make_world, person
from tests.writes import counted_writes

ANONYMOUS = "anonymous"
SIGNED_IN = {"volunteer1", "volunteer2", "head1", "ward", "otherward", "province", "national", "admin"}
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
    "ward.read": {"ward", "province", "national", "admin"},
    "ward.manage": {"ward", "admin"},
    "province.read": {"province", "national", "admin"},
    "province.manage": {"province", "admin"},
    "province.decide": {"province", "admin"},
    "country.read": {"national", "admin"},
    "class.read": {"volunteer1", "volunteer2", "head1", "ward", "province", "admin"},
    "class.attend": {"volunteer1", "volunteer2", "head1", "ward", "admin"},
    "class.manage": {"head1", "ward", "admin"},
    "team.manage": {"head1", "ward", "admin"},
}

# Who may take each action on a record of the neighbour ward (01852), by hand: no volunteer or village
# head of Phong Quang, nor its officer; the neighbour's officer, the province's and admins.
EXPECTED_THERE: dict[str, set[str]] = {
    "household.read": {"otherward", "province", "admin"},
    "household.visit": {"otherward", "admin"},
    "household.manage": {"otherward", "admin"},
    "household.personal_data": {"otherward", "admin"},
    "village.read": {"otherward", "province", "admin"},
    "village.add_household": {"otherward", "admin"},
    "village.report": {"otherward", "province", "admin"},
    "village.stickers": {"otherward", "admin"},
    "ward.read": {"otherward", "province", "national", "admin"},
    "ward.manage": {"otherward", "admin"},
    "class.read": {"otherward", "province", "admin"},
    "class.attend": {"otherward", "admin"},
    "class.manage": {"otherward", "admin"},
    "team.manage": {"otherward", "admin"},
}

# Who may take each action on a record of another province (01, Hà Nội): only an admin, and a national
# officer its reports.
EXPECTED_ELSEWHERE: dict[str, set[str]] = {
    action: {"admin", "national"} if action in ("ward.read", "province.read") else {"admin"}
    for action in EXPECTED
}

# The villages whose residents each role may see (where they live: the data check); admins see all.
VISIBLE: dict[str, set[str]] = {
    ANONYMOUS: set(),
    "volunteer1": {"v1", "v2"},
    "volunteer2": {"v3"},
    "head1": {"v1"},
    "ward": {"v1", "v2", "v3"},
    "otherward": {"v4"},
    "province": {"v1", "v2", "v3", "v4"},
    "national": set(),  # the numbers of every ward, the people of none
    "admin": {"v1", "v2", "v3", "v4", "hn"},
}

# The residents of the matrix's villages, by village: a household each (v1 has two in the world, one
# more is added for v2, and one for the village of another province).
RESIDENTS: dict[str, list[str]] = {
    "v1": ["Nguyễn Văn An", "Trần Thị Bình", "Nguyễn Minh Khôi", "Đặng Thị Ánh"],
    "v2": ["Hoàng Văn Khuôn"],
    "v3": ["Ma Văn Hùng"],
    "v4": ["Lý Thị Mai"],
    "hn": ["Vương Thị Xa"],
}

# Public routes whose handler shows more to those with access: who sees the record itself.
HANDLER_CHECKED = {"/h/{token:str}": "household.read"}

# What a caller who may use the route gets for this file's request (a GET with no parameters; a form
# POST with only its CSRF token, an API POST with `{}`): the handler's own answer. Refusals are not
# here: signed out, a page sends to sign-in (303, or 401 with the sign-in page for a form), the API
# answers 401; signed in but out of reach, 404, whatever the route.
ANSWERS: dict[tuple[str, str], int] = {
    ("DELETE", "/api/session"): 204,
    ("DELETE", "/api/wards/{code:str}/digital-team/{team_id:int}/learners/{learner_id:int}"): 204,
    ("GET", "/"): 302,
    ("GET", "/api/country/report"): 200,
    ("GET", "/api/households"): 422,
    ("GET", "/api/households/{token:str}"): 200,
    ("GET", "/api/households/{token:str}/help"): 200,
    ("GET", "/api/provinces/{code:str}/report"): 200,
    ("GET", "/api/provinces/{code:str}/reports"): 422,
    ("GET", "/api/provinces/{code:str}/targets"): 200,
    ("GET", "/api/provinces/{code:str}/official-figures/{period:str}"): 200,
    ("GET", "/api/provinces/{code:str}/report-schedule"): 200,
    ("GET", "/api/provinces/{code:str}/submissions"): 422,
    ("GET", "/api/villages"): 200,
    ("GET", "/api/villages/{village_id:int}/coverage"): 200,
    ("GET", "/api/wards/{code:str}/classes"): 200,
    ("GET", "/api/wards/{code:str}/classes/{class_id:int}"): 200,
    ("GET", "/api/wards/{code:str}/classes/{class_id:int}/attendance"): 200,
    ("GET", "/api/wards/{code:str}/digital-team"): 200,
    ("GET", "/api/wards/{code:str}/report"): 200,
    ("GET", "/api/wards/{code:str}/reports"): 422,
    ("GET", "/api/wards/{code:str}/reports/{period:str}/submission"): 200,
    ("GET", "/country"): 200,
    ("GET", "/csrf"): 200,
    ("GET", "/h/{token:str}"): 200,
    ("GET", "/h/{token:str}/edit"): 200,
    ("GET", "/h/{token:str}/qr.svg"): 200,
    ("GET", "/h/{token:str}/reissue"): 200,
    ("GET", "/h/{token:str}/visit"): 200,
    ("GET", "/h/{token:str}/visit/member"): 200,
    ("GET", "/healthz"): 200,
    ("GET", "/import"): 200,
    ("GET", "/import/template.csv"): 200,
    ("GET", "/manifest.webmanifest"): 200,
    ("GET", "/offline/missing"): 200,
    ("GET", "/offline/saved"): 200,
    ("GET", "/password"): 200,
    ("GET", "/profile"): 200,
    ("GET", "/provinces/{code:str}"): 200,
    ("GET", "/provinces/{code:str}/report.csv"): 200,
    ("GET", "/provinces/{code:str}/report.xlsx"): 200,
    ("GET", "/provinces/{code:str}/report-schedule"): 200,
    ("GET", "/provinces/{code:str}/reports"): 200,
    ("GET", "/provinces/{code:str}/reports.docx"): 422,
    ("GET", "/provinces/{code:str}/reports.xlsx"): 422,
    ("GET", "/provinces/{code:str}/targets"): 200,
    ("GET", "/provinces/{code:str}/official-figures"): 200,
    ("GET", "/provinces/{code:str}/official-figures.xlsx"): 422,  # no period: the form, named
    ("GET", "/provinces/{code:str}/submissions"): 200,
    ("GET", "/provinces/{code:str}/submissions.csv"): 200,
    ("GET", "/provinces/{code:str}/submissions.xlsx"): 200,
    ("GET", "/provinces/{code:str}/submissions/{ward:str}/{period:str}"): 200,
    ("GET", "/queue"): 200,
    ("GET", "/schema"): 200,
    ("GET", "/schema/openapi.json"): 200,
    ("GET", "/schema/{path:str}"): 200,
    ("GET", "/signin"): 200,
    ("GET", "/signout"): 200,
    ("GET", "/static/{file_path:path}"): 200,
    ("GET", "/sw.js"): 200,
    ("GET", "/villages"): 200,
    ("GET", "/villages/{village_id:int}"): 200,
    ("GET", "/villages/{village_id:int}/activity"): 200,
    ("GET", "/villages/{village_id:int}/archived"): 200,
    ("GET", "/villages/{village_id:int}/coverage.csv"): 200,
    ("GET", "/villages/{village_id:int}/coverage.xlsx"): 200,
    ("GET", "/villages/{village_id:int}/print"): 200,
    ("GET", "/villages/{village_id:int}/households/new"): 200,
    ("GET", "/villages/{village_id:int}/offline.json"): 200,
    ("GET", "/villages/{village_id:int}/offline/changes"): 422,
    ("GET", "/villages/{village_id:int}/offline/pages"): 200,
    ("GET", "/villages/{village_id:int}/stickers"): 200,
    ("GET", "/wards/{code:str}"): 200,
    ("GET", "/wards/{code:str}/activity"): 200,
    ("GET", "/wards/{code:str}/activity-month.csv"): 200,
    ("GET", "/wards/{code:str}/activity-month.xlsx"): 200,
    ("GET", "/wards/{code:str}/class-topics"): 200,
    ("GET", "/wards/{code:str}/classes"): 200,
    ("GET", "/wards/{code:str}/classes/new"): 200,
    ("GET", "/wards/{code:str}/classes/{class_id:int}"): 200,
    ("GET", "/wards/{code:str}/classes/{class_id:int}/edit"): 200,
    ("GET", "/wards/{code:str}/classes/{class_id:int}/roster"): 200,
    ("GET", "/wards/{code:str}/digest-settings"): 200,
    ("GET", "/wards/{code:str}/digests"): 200,
    ("GET", "/wards/{code:str}/digests/{digest_id:int}"): 200,
    ("GET", "/wards/{code:str}/digests/{digest_id:int}/email.html"): 200,
    ("GET", "/wards/{code:str}/digital-team"): 200,
    ("GET", "/wards/{code:str}/digital-team/{team_id:int}"): 200,
    ("GET", "/wards/{code:str}/official-figures"): 200,
    ("GET", "/wards/{code:str}/report-due"): 200,
    ("GET", "/wards/{code:str}/report.csv"): 200,
    ("GET", "/wards/{code:str}/report.xlsx"): 200,
    ("GET", "/wards/{code:str}/reports"): 200,
    ("GET", "/wards/{code:str}/reports.docx"): 422,
    ("GET", "/wards/{code:str}/reports.xlsx"): 422,
    ("GET", "/wards/{code:str}/reports/{period:str}/submissions/{version:int}/report.docx"): 200,
    ("GET", "/wards/{code:str}/rules"): 200,
    ("GET", "/wards/{code:str}/staff"): 200,
    ("GET", "/wards/{code:str}/staff/new"): 200,
    ("GET", "/wards/{code:str}/staff/{user_id:int}"): 200,
    ("GET", "/wards/{code:str}/targets"): 200,
    # The staff accounts' old address, kept for bookmarks: a permanent redirect to /staff.
    ("GET", "/wards/{code:str}/team"): 301,
    ("GET", "/wards/{code:str}/team/{user_id:int}"): 301,
    ("POST", "/api/households/{token:str}/help"): 422,
    ("POST", "/api/households/{token:str}/visits"): 422,
    ("POST", "/api/provinces/{code:str}/targets"): 422,
    ("POST", "/api/session"): 422,
    ("POST", "/api/provinces/{code:str}/report-schedule"): 200,
    ("POST", "/api/provinces/{code:str}/submissions/{ward:str}/{period:str}/decision"): 422,
    ("POST", "/api/wards/{code:str}/classes"): 422,
    ("POST", "/api/wards/{code:str}/classes/{class_id:int}"): 422,
    ("POST", "/api/wards/{code:str}/classes/{class_id:int}/attendance"): 422,
    ("POST", "/api/wards/{code:str}/digital-team"): 422,
    ("POST", "/api/wards/{code:str}/digital-team/{team_id:int}"): 422,
    ("POST", "/api/wards/{code:str}/digital-team/{team_id:int}/active"): 422,
    ("POST", "/api/wards/{code:str}/digital-team/{team_id:int}/learners"): 422,
    ("POST", "/api/wards/{code:str}/reports/{period:str}/submission"): 201,
    ("POST", "/h/{token:str}/archive"): 303,
    ("POST", "/h/{token:str}/edit"): 422,
    ("POST", "/h/{token:str}/erase"): 422,
    ("POST", "/h/{token:str}/export"): 200,
    ("POST", "/h/{token:str}/merge"): 422,
    ("POST", "/h/{token:str}/move-member"): 422,
    ("POST", "/h/{token:str}/reissue"): 200,  # the question first: the sticker changes on confirm=yes
    ("POST", "/h/{token:str}/visit"): 200,
    ("POST", "/h/{token:str}/visits"): 422,
    ("POST", "/import"): 422,
    ("POST", "/import/{token:str}"): 200,
    ("POST", "/language"): 303,
    ("POST", "/password"): 422,
    ("POST", "/profile"): 200,
    ("POST", "/provinces/{code:str}/targets"): 422,
    ("POST", "/provinces/{code:str}/official-figures"): 422,  # no period: the form again, named
    ("POST", "/provinces/{code:str}/official-figures/upload"): 422,
    ("PUT", "/api/provinces/{code:str}/official-figures/{period:str}"): 422,  # `{}`: `wards` required
    ("POST", "/provinces/{code:str}/report-schedule"): 422,
    ("POST", "/provinces/{code:str}/submissions/{ward:str}/{period:str}/decision"): 422,
    ("POST", "/signin"): 401,
    ("POST", "/signout"): 303,
    ("POST", "/villages/{village_id:int}"): 200,
    ("POST", "/villages/{village_id:int}/households/new"): 422,
    ("POST", "/villages/{village_id:int}/stickers/sheet"): 200,
    ("POST", "/villages/{village_id:int}/stickers/stickers.pdf"): 200,
    ("POST", "/wards/{code:str}/class-topics"): 422,
    ("POST", "/wards/{code:str}/class-topics/{key:str}/offered"): 303,
    ("POST", "/wards/{code:str}/classes/new"): 422,
    ("POST", "/wards/{code:str}/classes/{class_id:int}/attendance"): 422,
    ("POST", "/wards/{code:str}/classes/{class_id:int}/attendance/{attendance_id:int}/remove"): 303,
    ("POST", "/wards/{code:str}/classes/{class_id:int}/attendance/{attendance_id:int}/household"): 422,
    ("POST", "/wards/{code:str}/classes/{class_id:int}/attendance/{attendance_id:int}/household/search"): 200,
    ("POST", "/wards/{code:str}/classes/{class_id:int}/edit"): 422,
    ("POST", "/wards/{code:str}/classes/{class_id:int}/search"): 200,
    ("POST", "/wards/{code:str}/digest-settings"): 422,
    ("POST", "/wards/{code:str}/digests/send"): 303,
    ("POST", "/wards/{code:str}/digests/{digest_id:int}/resend"): 303,
    ("POST", "/wards/{code:str}/digital-team"): 422,
    ("POST", "/wards/{code:str}/digital-team/{team_id:int}"): 422,
    ("POST", "/wards/{code:str}/digital-team/{team_id:int}/active"): 303,
    ("POST", "/wards/{code:str}/digital-team/{team_id:int}/learners"): 422,
    ("POST", "/wards/{code:str}/digital-team/{team_id:int}/learners/{learner_id:int}/remove"): 303,
    ("POST", "/wards/{code:str}/digital-team/{team_id:int}/search"): 200,
    ("POST", "/wards/{code:str}/official-figures"): 422,
    ("POST", "/wards/{code:str}/official-figures/import"): 422,
    ("POST", "/wards/{code:str}/official-figures/import/{token:str}"): 422,
    ("POST", "/wards/{code:str}/report-due"): 303,
    (
        "POST",
        "/wards/{code:str}/reports/{period:str}/submission",
    ): 200,  # the question first: submitted on confirm=yes
    ("POST", "/wards/{code:str}/rules"): 422,
    ("POST", "/wards/{code:str}/staff/new"): 422,
    ("POST", "/wards/{code:str}/staff/{user_id:int}"): 422,
    ("POST", "/wards/{code:str}/staff/{user_id:int}/active"): 303,
    ("POST", "/wards/{code:str}/staff/{user_id:int}/password"): 200,
    ("POST", "/wards/{code:str}/targets"): 422,
    ("POST", "/wards/{code:str}/targets/inherit"): 303,
    ("POST", "/wards/{code:str}/village-word"): 422,
}
# A caller who may use the route but whose request the handler itself refuses, by hand.
ANSWER_EXCEPTIONS: dict[tuple[str, str, str], int] = {
    # otherward's own upload lists households of Phong Quang's villages, which it may not import.
    ("POST", "/import/{token:str}", "otherward"): 422,
    # The fixture's team member is the ward's own (no village): its office keeps them, not a village head.
    **{
        (method, template, "head1"): 403
        for method, template in (
            ("POST", "/api/wards/{code:str}/digital-team/{team_id:int}"),
            ("POST", "/api/wards/{code:str}/digital-team/{team_id:int}/active"),
            ("POST", "/api/wards/{code:str}/digital-team/{team_id:int}/learners"),
            ("DELETE", "/api/wards/{code:str}/digital-team/{team_id:int}/learners/{learner_id:int}"),
            ("POST", "/wards/{code:str}/digital-team/{team_id:int}"),
            ("POST", "/wards/{code:str}/digital-team/{team_id:int}/active"),
            ("POST", "/wards/{code:str}/digital-team/{team_id:int}/learners"),
            ("POST", "/wards/{code:str}/digital-team/{team_id:int}/learners/{learner_id:int}/remove"),
            ("POST", "/wards/{code:str}/digital-team/{team_id:int}/search"),
        )
    },
}


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
POSTS = [r for r in ROUTES if r[0] not in ("GET", "HEAD")]  # and the API's one DELETE and one PUT


def test_every_route_names_a_rule_this_table_knows() -> None:
    assert len(ROUTES) > 50
    assert {action for _, _, action in ROUTES} <= set(EXPECTED)
    assert all(method in ("GET", "HEAD", "POST", "PUT", "DELETE") for method, _, _ in ROUTES)


def test_every_route_of_the_app_has_its_answer_here() -> None:
    routes = {(method, template) for method, template, _ in ROUTES}
    assert routes - set(ANSWERS) == set(), "routes with no row in ANSWERS"
    assert set(ANSWERS) - routes == set(), "rows of ANSWERS for routes the app no longer has"
    assert {(m, t) for m, t, _ in ANSWER_EXCEPTIONS} <= routes


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
            body: dict[str, Any] = {"json": {}} if method in ("POST", "PUT") else {}
            return await self.client.request(method, path, headers=headers, follow_redirects=False, **body)
        if self.session:
            self.client.cookies.set(SESSION_COOKIE, self.session)
        if method == "POST":
            token = (await self.client.get("/csrf")).json()["token"]
            return await self.client.post(
                path, data={"_csrf_token": token}, headers=headers, follow_redirects=False
            )
        return await self.client.request(method, path, headers=headers, follow_redirects=False)


async def _another_province(world: World) -> None:
    """A ward of another province (Hà Nội's Ba Đình) with a village and a household, and a household of
    v2, so that every village of the matrix has a resident."""
    world.wards["hn"] = await make_ward("00004", "Phường Ba Đình", "01", "Thành phố Hà Nội")
    world.villages["hn"] = await make_village(world.wards["hn"], "01", "Tổ dân phố số 1")
    world.households["hn"] = await make_household(
        world.villages["hn"],
        "BD-01-0001",
        [person("Vương Thị Xa", 1985, sex="female")],
        address="Phố Đội Cấn",
    )
    world.households["v2"] = await make_household(
        world.villages["v2"], "PQ-02-0001", [person("Hoàng Văn Khuôn", 1978, sex="male")], address="Xóm Khe"
    )


@dataclasses.dataclass
class Matrix:
    """The fixture world with another province's ward, a province and a national officer, and a web
    session and an API token for each signed-in role."""

    world: World
    sessions: dict[str, tuple[str, str]]


async def _matrix() -> Matrix:
    world = await make_world()
    await _another_province(world)
    ward = await Ward.select(Ward.province).where(Ward.id == world.wards["pq"]).first()
    assert ward is not None
    world.users["province"] = await make_user("province", "province_officer", province_id=ward["province"])
    world.users["national"] = await make_user("national", "national_officer")
    sessions = {
        role: (
            await open_session(world.users[role], "web", timedelta(days=1)),
            await open_session(world.users[role], "api", timedelta(days=1)),
        )
        for role in SIGNED_IN
    }
    return Matrix(world, sessions)


# The matrix's records on SQLite are made once per worker and day and copied for each case (conftest.py).
KEPT_FIXTURES.insert(0, "matrix")


@pytest.fixture
async def matrix(database_url: str, request: pytest.FixtureRequest) -> Matrix:
    return await built_or_kept("matrix", request, database_url, _matrix)  # type: ignore[no-any-return]


def _callers(client: AsyncTestClient[Any], matrix: Matrix) -> dict[str, Caller]:
    callers = {ANONYMOUS: Caller(client, ANONYMOUS, "", "")}
    for role, (web, api) in matrix.sessions.items():
        callers[role] = Caller(client, role, web, api)
    return callers


HERE, THERE, ELSEWHERE = "here", "there", "elsewhere"
# The fixture's records for each: its ward, village and household (keys of the World).
RECORDS = {HERE: ("pq", "v1", "an"), THERE: ("other", "v4", "v4"), ELSEWHERE: ("hn", "hn", "hn")}
WARD_CODES = {HERE: "01849", THERE: "01852", ELSEWHERE: "00004"}


def _has_record(template: str) -> bool:
    """Whether the path names a record of an area (a household, village, ward or province)."""
    return any(f"{{{name}" in template for name in ("token", "village_id", "code"))


def _wheres(template: str) -> list[str]:
    """The records a route is tried on: the fixture's, the neighbour ward's and another province's when
    the path names one (a province: the fixture's and the other one)."""
    upload = template.startswith("/import/{token") or "/official-figures/import/{token" in template
    if not _has_record(template) or upload:
        return [HERE]
    if template.startswith(("/provinces/", "/api/provinces/")):
        return [HERE, ELSEWHERE]
    return [HERE, THERE, ELSEWHERE]


async def _path(template: str, world: World, role: str, where: str = HERE) -> str:
    """The route's path for the fixture's records (an upload of the caller's own for an import)."""
    here = where == HERE
    ward_key, village_key, household_key = RECORDS[where]
    ward = world.wards[ward_key]
    values: dict[str, str] = {
        "token": world.households[household_key],
        "village_id": str(world.villages[village_key]),
        "code": WARD_CODES[where],
        "user_id": str(world.users["volunteer1"]),
        "file_path": "app.css",
        "path": "openapi.json",  # /schema/{path} answers 404 to any other: Litestar's own
        "key": "vneid",  # a class topic of the plans
    }
    if "{user_id" in template and not here:
        # A volunteer of that ward: one whose account its officer manages there.
        login = f"volunteer-{village_key}"
        if login not in world.users:
            world.users[login] = await make_user(
                login, "volunteer", ward_id=ward, village_ids=(world.villages[village_key],)
            )
        values["user_id"] = str(world.users[login])
    if "{team_id" in template:
        values["team_id"] = str(await _team_member(ward, world))
    if "{learner_id" in template:
        values["learner_id"] = str(await _member_of(world.households[household_key]))
    if "{class_id" in template:
        values["class_id"], values["attendance_id"] = (str(i) for i in await _class_with_attendee(ward))
    if template.startswith("/import/{token") or "/official-figures/import/{token" in template:
        values["token"] = f"upload-{role}"
        if role in world.users:
            await ImportUpload.insert(
                ImportUpload(
                    token=values["token"], user=world.users[role], filename="ds.csv", content=template_csv()
                )
            )
    if "{digest_id" in template:
        digest = await Digest.select(Digest.id).where(Digest.ward == ward).first()
        if digest is None:
            digest = (
                await Digest.insert(
                    Digest(ward=ward, week="2026-W40", subject="s", text_body="t", html_body="h")
                )
            )[0]
        values["digest_id"] = str(digest["id"])
    # A report period that has ended (the latest quarter) and, under a province, one of its wards.
    values["period"] = latest_ended_quarter(local_now().date()).name
    values["ward"] = WARD_CODES[ELSEWHERE if where == ELSEWHERE else HERE]
    if "{version" in template:
        values["version"] = str(await _submission(ward, values["period"]))
    if template.startswith(("/provinces/", "/api/provinces/")):
        values["code"] = "01" if where == ELSEWHERE else "19"  # 19: the province of both wards
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: values[m.group(1)], template)


async def _submission(ward: int, period: str) -> int:
    """The version of the ward's report on the period that it submitted (one, made here)."""
    found = (
        await ReportSubmission.select(ReportSubmission.version)
        .where((ReportSubmission.ward == ward) & (ReportSubmission.period == period))
        .first()
    )
    if found is None:
        await ReportSubmission.insert(
            ReportSubmission(
                ward=ward, period=period, version=1, submitted_at=now(), report="{}", document=b"PK"
            )
        )
        return 1
    return int(found["version"])


async def _team_member(ward: int, world: World) -> int:
    """A digital ambassador of the ward's team (the ward's own, of no village), mentoring one resident
    of each of the ward's villages."""
    found = await TeamMember.select(TeamMember.id).where(TeamMember.ward == ward).first()
    if found is None:
        found = (await TeamMember.insert(TeamMember(ward=ward, name="Lò Văn Sáng", role="ambassador")))[0]
        learners = await _residents_of(ward)
        await Mentorship.insert(*(Mentorship(mentor=found["id"], learner=m) for m in learners))
    return int(found["id"])


async def _residents_of(ward: int) -> list[int]:
    """The members of the ward's households (the matrix gives each ward at least one)."""
    rows = await Member.select(Member.id).where(Member.household._.village._.ward == ward)
    assert rows, "a ward of the matrix without residents"
    return [int(r["id"]) for r in rows]


async def _member_of(token: str) -> int:
    """A member of the household with this token (a learner to unpair)."""
    found = await Member.select(Member.id).where(Member.household._.token == token).first()
    assert found is not None
    return int(found["id"])


async def _class_with_attendee(ward: int) -> tuple[int, int]:
    """A class of the ward held yesterday, with one walk-in (its attendance returned) and the residents
    of the ward's villages."""
    found = await ClassSession.select(ClassSession.id).where(ClassSession.ward == ward).first()
    if found is None:
        found = (
            await ClassSession.insert(
                ClassSession(
                    ward=ward,
                    starts_at=now() - timedelta(days=1),
                    topics=["vneid"],
                    client_id=uuid.uuid4(),
                )
            )
        )[0]
        await Attendance.insert(Attendance(session=found["id"], age_group="60_plus", client_id=uuid.uuid4()))
        residents = await _residents_of(ward)
        await Attendance.insert(
            *(Attendance(session=found["id"], member=m, client_id=uuid.uuid4()) for m in residents)
        )
    attendance = (
        await Attendance.select(Attendance.id)
        .where((Attendance.session == found["id"]) & Attendance.member.is_null())
        .first()
    )
    assert attendance is not None
    return int(found["id"]), int(attendance["id"])


def _allowed(template: str, action: str, role: str, where: str) -> bool:
    if template in HANDLER_CHECKED and role != ANONYMOUS:
        action = HANDLER_CHECKED[template]
    elif action in ("public", "account") or not _has_record(template):
        return role in EXPECTED[action]
    return role in {HERE: EXPECTED, THERE: EXPECTED_THERE, ELSEWHERE: EXPECTED_ELSEWHERE}[where][action]


def expected_status(method: str, template: str, action: str, role: str, where: str = HERE) -> int:
    """The exact status the table says `role` gets."""
    if _allowed(template, action, role, where):
        return ANSWER_EXCEPTIONS.get((method, template, role), ANSWERS[(method, template)])
    if role != ANONYMOUS:
        return 404  # out of reach and unknown look alike
    if template.startswith("/api/"):
        return 401
    return 303 if method == "GET" else 401


def _check(response: Any, method: str, template: str, action: str, role: str, where: str, path: str) -> None:
    expected = expected_status(method, template, action, role, where)
    assert response.status_code == expected, (
        f"{role} {method} {path} ({where}): {response.status_code}, the table says {expected}"
    )
    if role == ANONYMOUS and not _allowed(template, action, role, where) and not path.startswith("/api/"):
        if method == "GET":  # to sign in, and back here after
            assert response.headers["location"] == f"/signin?next={path}"
        else:  # a form posted without a session: the sign-in page, its fields kept for after
            signin = BeautifulSoup(response.text, "html.parser").find("form", action="/signin")
            next_field = signin.find("input", attrs={"name": "next"}) if signin else None
            assert next_field is not None and next_field["value"] == path


# Routes whose bodies name made-up people: the import template's example rows (named like the fixture's).
EXAMPLE_NAMES = {"/import/template.csv"}


def _check_names(response: Any, role: str, where: str, path: str) -> None:
    """The body (its markup and attributes too) names no resident of a village the role may not see."""
    if path in EXAMPLE_NAMES:
        return
    hidden = [name for village, names in RESIDENTS.items() if village not in VISIBLE[role] for name in names]
    shown = [name for name in hidden if name in response.text]
    assert shown == [], f"{role} GET {path} ({where}) names residents out of the role's reach: {shown}"


@pytest.fixture
async def writes(database_url: str, matrix: Matrix) -> AsyncIterator[Callable[[], Awaitable[int]]]:
    """The rows written to the test's database so far (tests/writes.py): a refused request writes none.
    (A session's last-seen time does not count: any signed-in request may touch it.)"""
    async with counted_writes(database_url) as count:
        yield count


# Known holes, each failing its case until its fix is merged (strict: the fix turns the case into a failure
# that says to remove the mark).
KNOWN_HOLES: dict[tuple[str, str], str] = {}


def _get_case(method: str, template: str, action: str) -> Any:
    hole = KNOWN_HOLES.get((method, template))
    marks = [pytest.mark.xfail(strict=True, reason=hole)] if hole else []
    return pytest.param(method, template, action, id=f"{method} {template}", marks=marks)


@pytest.mark.parametrize(("method", "template", "action"), [_get_case(*r) for r in GETS])
async def test_get_routes_answer_each_role_as_the_table_says_and_change_nothing(
    client: AsyncTestClient[Any],
    matrix: Matrix,
    writes: Callable[[], Awaitable[int]],
    method: str,
    template: str,
    action: str,
) -> None:
    world = matrix.world
    callers = _callers(client, matrix)
    paths = {
        (role, where): await _path(template, world, role, where)
        for role in ROLES
        for where in _wheres(template)
    }
    before = await writes()
    for (role, where), path in paths.items():
        response = await callers[role].request(method, path)
        _check(response, method, template, action, role, where, path)
        _check_names(response, role, where, path)
    assert await writes() == before, f"GET {template} changed the database"


@pytest.mark.parametrize(
    ("method", "template", "action", "role"),
    [(m, p, a, r) for m, p, a in POSTS for r in ROLES],
    ids=[f"{m} {p} {r}" for m, p, _ in POSTS for r in ROLES],
)
async def test_post_routes_answer_each_role_as_the_table_says(
    client: AsyncTestClient[Any],
    matrix: Matrix,
    writes: Callable[[], Awaitable[int]],
    method: str,
    template: str,
    action: str,
    role: str,
) -> None:
    world = matrix.world
    caller = _callers(client, matrix)[role]
    for where in _wheres(template):
        path = await _path(template, world, role, where)
        before = await writes()
        response = await caller.request(method, path)
        _check(response, method, template, action, role, where, path)
        if not _allowed(template, action, role, where) and action != "public":
            assert await writes() == before, f"a refused {method} {template} changed the database"


def test_settings_for_the_routes_are_the_defaults(settings: Settings, tmp_path: Path) -> None:
    # The route list above is read from an app built with the defaults: the same routes as the tests'.
    assert {r.path for r in create_app(settings).routes} == {
        r.path for r in create_app(load_settings(environ={}, data_dir=str(tmp_path), secret_key="x")).routes
    }


def test_a_route_with_a_hook_of_its_own_before_its_handler_stops_the_app() -> None:
    # The access check is the app's before-request hook: a route's own hook would take its place.
    async def own_hook(request: Any) -> None:
        return None

    @get("/hooked", sync_to_thread=False, opt=access("public"), before_request=own_hook)
    def hooked() -> str:
        return "hooked"

    @get("/plain", sync_to_thread=False, opt=access("public"))
    def plain() -> str:
        return "plain"

    def app(*handlers: Any) -> Litestar:
        return Litestar(list(handlers), before_request=access_guard, openapi_config=None, logging_config=None)

    check_access_rules(app(plain))
    with pytest.raises(ImproperlyConfiguredException, match="/hooked"):
        check_access_rules(app(plain, hooked))
