"""The server's side of work without a signal: the service worker and its precache list, the manifest,
a village's pages to download, a fresh CSRF token for the queue, the sign-out that empties the phone,
and a visit posted after the session ended that keeps its answers (issue 12)."""

from __future__ import annotations

import dataclasses
import gzip
import json
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import brotli
import pytest
from litestar.testing import AsyncTestClient

from server.app import create_app
from server.offline_parts import PAGE_HEADERS
from server.static import static_url
from server.worker import static_files
from surveys.core.clock import now
from surveys.core.settings import Settings
from surveys.reporting.offline import offline_grant, storage_key
from surveys.tables import AuthSession, ClassSession, Visit, Ward
from tests.conftest import BASE_URL, sign_in
from tests.factories import PASSWORD, World, make_user
from tests.server.helpers import encoded_page, form_values, soup


def worker_config(source: str) -> dict[str, Any]:
    found = re.search(r"^const CONFIG = (\{.*\});$", source, flags=re.M)
    assert found, "the worker's configuration is filled in"
    config: dict[str, Any] = json.loads(found.group(1))
    return config


async def test_service_worker_precaches_every_static_file_by_its_content_hash(
    client: AsyncTestClient[Any], world: World, settings: Settings
) -> None:
    response = await client.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["cache-control"] == "no-cache"
    config = worker_config(response.text)
    urls = {entry["url"] for entry in config["precache"]}
    assert {static_url(name) for name in static_files()} <= urls
    assert {static_url("app.css"), static_url("htmx.min.js"), static_url("offline.js")} <= urls
    assert {"/offline/saved", "/offline/missing?kind=household", "/queue"} <= urls
    assert config["offlineDays"] == settings.offline_days == 7
    for module in config["workbox"]:
        assert (await client.get(module)).status_code == 200


async def test_manifest_installs_phocap_in_vietnamese_with_its_icons(
    client: AsyncTestClient[Any], world: World
) -> None:
    response = await client.get("/manifest.webmanifest")
    manifest = response.json()
    assert response.headers["content-type"].startswith("application/manifest+json")
    assert manifest["name"] == "phocap: gia đình số và danh tính số"
    assert (manifest["display"], manifest["start_url"], manifest["scope"]) == ("standalone", "/", "/")
    sizes = {icon["sizes"]: icon for icon in manifest["icons"]}
    assert set(sizes) == {"any", "192x192", "512x512"}
    for icon in manifest["icons"]:
        image = await client.get(icon["src"])
        assert image.status_code == 200 and image.headers["content-type"] == icon["type"]
    page = soup(await client.get("/signin"))
    link = page.find("link", rel="manifest")
    assert link is not None and link["href"] == "/manifest.webmanifest"


async def _class_now(ward: int) -> int:
    row = await ClassSession.insert(
        ClassSession(ward=ward, starts_at=now() - timedelta(minutes=1), topics=["vneid"], audience="everyone")
    )
    return int(row[0]["id"])


async def test_volunteer_downloads_the_pages_of_their_village(
    client: AsyncTestClient[Any], world: World
) -> None:
    await sign_in(client, "volunteer1")
    village = world.villages["v1"]
    # This month's class of the ward (a minute ago: this month but in its first minute) and a
    # neighbour ward's: the phone keeps the first, with the village's people to add as attendees.
    ours = await _class_now(world.wards["pq"])
    await _class_now(world.wards["other"])
    urls = (await client.get(f"/villages/{village}/offline.json")).json()["urls"]
    tokens = [world.households["an"], world.households["dang"]]
    classes = "/wards/01849/classes"
    # The user's villages first (the header's link and the offline page lead there), then the list:
    # one page, every household on it.
    assert urls[:2] == ["/villages", f"/villages/{village}"]
    assert sorted(urls[2:]) == sorted(
        [f"/h/{t}" for t in tokens]
        + [f"/h/{t}/visit" for t in tokens]
        + [classes, f"{classes}/{ours}", f"{classes}/{ours}/roster?village={village}"]
    )
    for url in urls:
        assert (await client.get(url)).status_code == 200
    # The roster lists the village's people with the folded words the phone's search matches.
    roster = soup(await client.get(f"{classes}/{ours}/roster?village={village}"))
    people = {li["data-name"]: li["data-place"] for li in roster.select("ul.found li[data-name]")}
    assert people["nguyen van an"] == "pq-01-0001 xom tren, thon dong tam"
    assert "dang thi anh" in people and all(p.startswith("pq-01-") for p in people.values())
    assert roster.select_one("template#none-found") is not None


async def test_the_pages_a_phone_downloads_come_in_brotli_smaller_than_gzip(
    client: AsyncTestClient[Any], world: World
) -> None:
    """A village taken offline is ~1,500 pages over 3G (tests/benchmarks/offline_download.py): the
    phone, which accepts brotli, gets it; a browser without it, gzip."""
    await sign_in(client, "volunteer1")
    token = world.households["an"]
    for path in (f"/villages/{world.villages['v1']}", f"/h/{token}", f"/h/{token}/visit"):
        encoding, body = await encoded_page(client, path, "gzip, deflate, br, zstd")
        assert encoding == "br", path
        page = brotli.decompress(body).decode()
        assert "PQ-01-0001" in page and 'data-user="' in page
        older, zipped = await encoded_page(client, path, "gzip")
        assert older == "gzip" and "PQ-01-0001" in gzip.decompress(zipped).decode()
        if path.endswith("/visit"):
            assert len(body) < 0.92 * len(zipped), (len(body), len(zipped))


async def test_volunteer_cannot_download_a_village_of_someone_else(
    client: AsyncTestClient[Any], world: World
) -> None:
    await sign_in(client, "volunteer1")
    response = await client.get(f"/villages/{world.villages['v3']}/offline.json")
    assert response.status_code == 404


async def test_village_download_needs_sign_in(client: AsyncTestClient[Any], world: World) -> None:
    response = await client.get(f"/villages/{world.villages['v1']}/offline.json", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/signin?next=")


async def test_the_stored_pages_name_their_user_by_a_key_that_is_not_personal_data(
    client: AsyncTestClient[Any], world: World
) -> None:
    csrf = await sign_in(client, "volunteer1")
    first = soup(await client.get("/villages")).body
    assert first is not None
    key = str(first["data-user"])
    assert len(key) == 20 and "volunteer1" not in key and str(world.users["volunteer1"]) != key
    # The shell pages name the user too (the worker learns from them who signed in), the sign-in page no one.
    for path in ("/queue", "/signout", "/offline/saved", "/offline/missing?kind=signedout"):
        shell = soup(await client.get(path)).body
        assert shell is not None and shell["data-user"] == key, path
    signin = soup(await client.get("/signin?next=/queue")).body
    assert signin is not None and signin["data-user"] == ""
    await client.post("/signout", data={"_csrf_token": csrf})
    # Drawn for nobody (as the worker precaches them), they name no one.
    shell = soup(await client.get("/queue")).body
    assert shell is not None and shell["data-user"] == ""
    await sign_in(client, "volunteer2")
    other = soup(await client.get("/villages")).body
    assert other is not None and other["data-user"] not in ("", key)


async def test_a_fresh_csrf_token_lets_the_queue_send_a_visit_kept_for_days(
    client: AsyncTestClient[Any], world: World
) -> None:
    await sign_in(client, "volunteer1")
    token = world.households["dang"]
    form = soup(await client.get(f"/h/{token}/visit")).find("form", class_="visit")
    assert form is not None
    values = {**form_values(form), "outcome": "nobody_home", "_csrf_token": "stale"}
    fresh = (await client.get("/csrf")).json()["token"]
    response = await client.post(
        f"/h/{token}/visits", data=values, headers={"x-csrftoken": fresh}, follow_redirects=False
    )
    assert response.status_code == 303
    assert await Visit.count() == 1


async def test_a_visit_kept_on_the_phone_for_one_user_is_never_recorded_under_another(
    client: AsyncTestClient[Any], world: World, settings: Settings
) -> None:
    """The phone's queue sends each item with its user's key: with another user signed in (a shared
    phone) the server refuses it with a problem body and records nothing."""
    await sign_in(client, "head1")
    token = world.households["dang"]
    form = soup(await client.get(f"/h/{token}/visit")).find("form", class_="visit")
    assert form is not None
    values = {**form_values(form), "outcome": "nobody_home"}
    fresh = (await client.get("/csrf")).json()["token"]
    volunteer1 = storage_key(world.users["volunteer1"], settings.secret_key)
    headers = {"x-csrftoken": fresh, "x-phocap-user": volunteer1}
    response = await client.post(f"/h/{token}/visits", data=values, headers=headers, follow_redirects=False)
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 403 and "another account" in response.json()["title"]
    assert await Visit.count() == 0
    # The signed-in user's own key: recorded.
    headers["x-phocap-user"] = storage_key(world.users["head1"], settings.secret_key)
    response = await client.post(f"/h/{token}/visits", data=values, headers=headers, follow_redirects=False)
    assert response.status_code == 303
    assert await Visit.count() == 1


async def test_each_signed_in_page_lets_the_phone_show_stored_pages_for_offline_days_and_no_other_does(
    client: AsyncTestClient[Any], world: World, settings: Settings, clock_at: Callable[[datetime], None]
) -> None:
    at = datetime(2026, 12, 3, 20, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    clock_at(at)
    await sign_in(client, "volunteer1")
    body = soup(await client.get("/villages")).body
    assert body is not None
    key, expires, signature = str(body["data-grant"]).split(".")
    assert key == body["data-user"] and len(signature) == 32
    end = at + timedelta(days=settings.offline_days)
    assert end <= datetime.fromtimestamp(int(expires) / 1000, UTC) < end + timedelta(minutes=1)
    # Signed with the app's secret: another secret makes another grant.
    other = dataclasses.replace(settings, secret_key="another-secret")
    assert offline_grant(world.users["volunteer1"], other.secret_key, 7, at).split(".")[2] != signature
    # The sign-in page and a page seen without a session grant nothing.
    signin = soup(await client.get("/signin?next=/queue")).body
    assert signin is not None and signin["data-grant"] == ""
    await AuthSession.delete(force=True)
    public = soup(await client.get(f"/h/{world.households['dang']}")).body
    assert public is not None and public["data-user"] == "" and public["data-grant"] == ""


async def test_sign_out_asks_the_browser_to_delete_what_it_stored(
    client: AsyncTestClient[Any], world: World
) -> None:
    csrf = await sign_in(client, "volunteer1")
    response = await client.post("/signout", data={"_csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["clear-site-data"] == '"cache", "storage"'


async def test_the_sign_out_page_offers_a_way_back_to_a_volunteer_who_tapped_it_by_mistake(
    client: AsyncTestClient[Any], world: World
) -> None:
    await sign_in(client, "volunteer1")
    page = soup(await client.get("/signout"))
    back = page.find("a", string="Ở lại, không đăng xuất")
    assert back is not None and back["href"] == "/"
    assert await AuthSession.count() == 1  # opening the page signs no one out


async def test_sign_out_keeps_the_phones_waiting_work_when_asked(
    client: AsyncTestClient[Any], world: World
) -> None:
    """With visits waiting on the phone (`keep`), the browser is told to delete its cache, not its
    storage (the queue); the session ends all the same."""
    csrf = await sign_in(client, "volunteer1")
    data = {"_csrf_token": csrf, "keep": "1"}
    response = await client.post("/signout", data=data, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["clear-site-data"] == '"cache"'
    assert await AuthSession.count() == 0


async def test_a_sign_out_sent_late_by_the_phone_never_ends_another_users_session(
    client: AsyncTestClient[Any], world: World, settings: Settings
) -> None:
    """A sign-out made without a signal reaches the server later, naming its user: if someone else has
    signed in on the phone since, their session stays."""
    await sign_in(client, "head1")
    fresh = (await client.get("/csrf")).json()["token"]
    headers = {
        "x-csrftoken": fresh,
        "x-phocap-user": storage_key(world.users["volunteer1"], settings.secret_key),
    }
    response = await client.post("/signout", data={"keep": "1"}, headers=headers, follow_redirects=False)
    assert response.status_code == 403
    assert await AuthSession.count() == 1
    assert (await client.get("/villages")).status_code == 200


async def visit_form_then_session_ends(client: AsyncTestClient[Any], token: str) -> dict[str, str]:
    """volunteer1 fills in the visit form; the session ends before Save."""
    await sign_in(client, "volunteer1")
    form = soup(await client.get(f"/h/{token}/visit")).find("form", class_="visit")
    assert form is not None
    values = {**form_values(form), "outcome": "done", "consent": "on", "notes": "Hẹn chiều quay lại"}
    await AuthSession.delete(force=True)
    return values


async def test_a_visit_posted_after_the_session_ended_is_kept_through_sign_in(
    client: AsyncTestClient[Any], world: World
) -> None:
    token = world.households["dang"]
    values = await visit_form_then_session_ends(client, token)

    answer = await client.post(f"/h/{token}/visits", data=values, follow_redirects=False)
    assert answer.status_code == 401
    page = soup(answer)
    alert = page.find(role="alert")
    assert alert is not None and "các câu trả lời bạn đã nhập vẫn được giữ" in alert.text
    signin = page.find("form", action="/signin")
    assert signin is not None
    carried = form_values(signin)
    assert carried["next"] == f"/h/{token}/visits"

    resumed = await client.post(
        "/signin", data={**carried, "login": "volunteer1", "password": PASSWORD}, follow_redirects=False
    )
    assert resumed.status_code == 200
    resume = soup(resumed).find("form", action=f"/h/{token}/visits")
    assert resume is not None
    again = form_values(resume)
    assert again["notes"] == "Hẹn chiều quay lại" and again["client_id"] == values["client_id"]
    assert again["_csrf_token"]

    saved = await client.post(f"/h/{token}/visits", data=again, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == f"/h/{token}?saved=true"
    assert await Visit.count() == 1


async def test_after_sign_in_the_kept_answers_open_in_the_visit_form(
    client: AsyncTestClient[Any], world: World
) -> None:
    token = world.households["an"]
    values = await visit_form_then_session_ends(client, token)
    signin = soup(await client.post(f"/h/{token}/visits", data=values)).find("form", action="/signin")
    assert signin is not None
    resumed = await client.post(
        "/signin", data={**form_values(signin), "login": "volunteer1", "password": PASSWORD}
    )
    review = soup(resumed).find("button", attrs={"name": "resume"})
    assert review is not None and review["formaction"] == f"/h/{token}/visit"
    resume = soup(resumed).find("form", action=f"/h/{token}/visits")
    assert resume is not None

    refilled = await client.post(f"/h/{token}/visit", data={**form_values(resume), "resume": "1"})
    form = soup(refilled).find("form", class_="visit")
    assert form is not None
    shown = form_values(form)
    assert shown["notes"] == "Hẹn chiều quay lại" and shown["outcome"] == "done" and shown["consent"] == "on"
    # The three members as they were: no empty row added.
    assert {k for k in values if k.endswith("full_name")} == {k for k in shown if k.endswith("full_name")}
    assert await Visit.count() == 0


async def test_an_htmx_save_after_the_session_ended_swaps_in_sign_in_with_the_answers(
    client: AsyncTestClient[Any], world: World
) -> None:
    token = world.households["dang"]
    values = await visit_form_then_session_ends(client, token)
    answer = await client.post(f"/h/{token}/visits", data=values, headers={"HX-Request": "true"})
    assert answer.status_code == 401
    assert answer.headers["hx-retarget"] == "#main"
    fragment = soup(answer)
    assert fragment.find("html") is None
    signin = fragment.find("form", action="/signin")
    assert signin is not None
    assert parse_qs(form_values(signin)["carry"])["notes"] == ["Hẹn chiều quay lại"]


# ---- A village's pages many to an answer (server/offline_parts.py) ------------------------------


def split_part(body: bytes) -> list[tuple[dict[str, Any], bytes]]:
    """A part's pages as the worker splits them: a JSON line, then exactly `length` bytes of page."""
    pages = []
    while body:
        line, _, body = body.partition(b"\n")
        header = json.loads(line)
        pages.append((header, body[: header["length"]]))
        assert len(body) >= header["length"], "a page is cut short"
        body = body[header["length"] :]
    return pages


async def download_parts(client: AsyncTestClient[Any], village: int) -> list[tuple[dict[str, Any], bytes]]:
    """Every page of the village's parts, in order, as the phone gets them."""
    listed = (await client.get(f"/villages/{village}/offline.json")).json()
    pages = []
    for part in listed["parts"]:
        response = await client.get(part)
        assert response.status_code == 200, part
        assert response.headers["content-type"] == "application/vnd.phocap.pages"
        pages += split_part(response.content)
    return pages


CSRF_TOKEN = re.compile(rb"\b[0-9a-f]{96}\b")  # a fresh nonce and its HMAC (server/csrf.py)


def without_fresh_ids(body: bytes) -> bytes:
    """A page without what each drawing of it makes afresh: its forms' client_id, its CSRF tokens
    (a new nonce each time, so that no two compressed pages carry the same text: BREACH) and its
    offline grant (OFFLINE_DAYS from the moment it was drawn)."""
    assert CSRF_TOKEN.search(body), "a signed-in page carries CSRF tokens"
    body = re.sub(rb'(name="client_id" value=")[^"]*"', rb'\1"', body)
    body = re.sub(rb'( data-grant=")[^"]+"', rb'\1"', body)
    return CSRF_TOKEN.sub(b"CSRF", body)


async def test_a_part_holds_each_page_exactly_as_its_own_get_answers_it(
    client: AsyncTestClient[Any], world: World
) -> None:
    await sign_in(client, "volunteer1")
    village = world.villages["v1"]
    ours = await _class_now(world.wards["pq"])
    pages = await download_parts(client, village)
    token = world.households["an"]
    kinds = {f"/villages/{village}", f"/h/{token}", f"/h/{token}/visit"}
    kinds.add(f"/wards/01849/classes/{ours}/roster?village={village}")
    assert kinds <= {header["url"] for header, _ in pages}
    for header, body in pages:
        own = await client.get(header["url"])
        assert header["status"] == own.status_code == 200, header["url"]
        assert without_fresh_ids(body) == without_fresh_ids(own.content), header["url"]
        kept = {name: own.headers[name] for name in PAGE_HEADERS if name in own.headers}
        assert header["headers"] == kept and "content-type" in kept, header["url"]


async def test_the_parts_bring_every_page_of_the_list_exactly_once(settings: Settings, world: World) -> None:
    small = dataclasses.replace(settings, offline_part_pages=2)
    async with AsyncTestClient(app=create_app(small), base_url=BASE_URL) as client:
        await sign_in(client, "volunteer1")
        await _class_now(world.wards["pq"])
        listed = (await client.get(f"/villages/{world.villages['v1']}/offline.json")).json()
        assert len(listed["parts"]) == -(-len(listed["urls"]) // 2) >= 4
        pages = await download_parts(client, world.villages["v1"])
    assert [header["url"] for header, _ in pages] == listed["urls"]


async def test_a_part_comes_in_one_brotli_stream(client: AsyncTestClient[Any], world: World) -> None:
    """The pages are nearly all one template: in one stream each after the first costs little."""
    await sign_in(client, "volunteer1")
    village = world.villages["v1"]
    encoding, body = await encoded_page(client, f"/villages/{village}/offline/pages?part=1", "gzip, br")
    assert encoding == "br"
    pages = split_part(brotli.decompress(body))
    urls = (await client.get(f"/villages/{village}/offline.json")).json()["urls"]
    assert [header["url"] for header, _ in pages] == urls
    alone = [len((await encoded_page(client, url, "gzip, br"))[1]) for url in urls]
    assert len(body) < 0.6 * sum(alone), (len(body), alone)


async def test_nobody_gets_a_part_of_a_village_out_of_their_reach(
    client: AsyncTestClient[Any], world: World
) -> None:
    part = f"/villages/{world.villages['v1']}/offline/pages?part=1"
    signed_out = await client.get(part, follow_redirects=False)
    assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/signin?next=")
    await sign_in(client, "volunteer2")  # covers v3 only
    refused = await client.get(part)
    assert refused.status_code == 404
    assert refused.headers["content-type"] == "application/problem+json"
    await sign_in(client, "volunteer1")
    assert (await client.get(f"/villages/{world.villages['v3']}/offline/pages?part=1")).status_code == 404


async def test_a_part_holds_only_the_pages_its_user_may_keep(
    client: AsyncTestClient[Any], world: World
) -> None:
    """The province's officer reads the village but records no visits: no visit form comes, and no
    parameter reaches any other page than the list's."""
    ward = await Ward.select(Ward.province).where(Ward.id == world.wards["pq"]).first()
    assert ward is not None
    await make_user("province", "province_officer", province_id=ward["province"])
    await sign_in(client, "province")
    village = world.villages["v1"]
    response = await client.get(
        f"/villages/{village}/offline/pages?part=1&url=/admin&path=/h/x/edit", headers={"HX-Request": "true"}
    )
    pages = split_part(response.content)
    assert all(page.startswith(b"<!doctype html>") for _, page in pages), "whole pages, not htmx fragments"
    urls = [header["url"] for header, _ in pages]
    assert urls == (await client.get(f"/villages/{village}/offline.json")).json()["urls"]
    assert f"/villages/{village}" in urls and not [u for u in urls if u.endswith(("/visit", "/edit"))]


async def test_a_bad_part_number_is_a_problem_json(client: AsyncTestClient[Any], world: World) -> None:
    await sign_in(client, "volunteer1")
    base = f"/villages/{world.villages['v1']}/offline/pages"
    for bad in ("0", "-1", "abc", "1.5", "2", "99999999999999999999"):
        response = await client.get(f"{base}?part={bad}")
        assert response.status_code in (400, 422), bad
        assert response.headers["content-type"] == "application/problem+json", bad
        assert response.json()["status"] == response.status_code


async def test_the_access_log_says_each_page_of_a_part_and_within_which(
    client: AsyncTestClient[Any], world: World, caplog: pytest.LogCaptureFixture
) -> None:
    await sign_in(client, "volunteer1")
    village = world.villages["v1"]
    urls = (await client.get(f"/villages/{village}/offline.json")).json()["urls"]
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="phocap.access"):
        await client.get(f"/villages/{village}/offline/pages?part=1")
    lines = [r.getMessage() for r in caplog.records if r.name == "phocap.access"]
    within = f"(within /villages/{village}/offline/pages)"
    assert [line.split(" ")[1] for line in lines if line.endswith(within)] == [u.split("?")[0] for u in urls]
    outer = [line for line in lines if not line.endswith(within)]
    assert len(outer) == 1 and outer[0].startswith(f"GET /villages/{village}/offline/pages 200 ")
