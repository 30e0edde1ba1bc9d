"""The visit form at the gate on a 360×740 phone: nobody home in two taps, a repeat visit in four, an
error summary whose links land on the field, and every tap target at least 44×44 CSS px."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from surveys.people.accounts import actor_by_id
from surveys.register.households import household_by_token
from surveys.survey.visits import parse_visit, record_visit
from surveys.tables import Member, Visit
from tests.browser.conftest import ARTIFACTS, browser_page, open_page, sign_in
from tests.browser.targets import small_targets
from tests.factories import ADULT_1, ADULT_2, ELDER, World, household_of_four

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}


async def first_visit(world: World, token: str) -> None:
    """The household's first visit, recorded earlier: the head has everything, the others no VNeID."""
    row = await household_by_token(token)
    actor = await actor_by_id(world.users["volunteer1"])
    assert row is not None and actor is not None
    members = {m["full_name"]: m["id"] for m in await Member.select().where(Member.household == row.id)}
    core = {"vneid": "level2", "bank_account": "yes", "skill_learned": True, "skill_understands": True,
            "skill_uses_services": True, "skill_guides_others": True}  # fmt: skip
    body = {
        "client_id": str(uuid.uuid4()), "outcome": "done", "household_version": row.version,
        "household": {"consent": True, "informed": True},
        "members": [
            {"id": members[ADULT_1], "full_name": ADULT_1, "birth_year": 1980, "is_head": True, **core},
            {"id": members[ELDER], "full_name": ELDER, "birth_year": 1952, "vneid": "not_installed"},
            {"id": members[ADULT_2], "full_name": ADULT_2, "birth_year": 1985, "vneid": "installed"},
        ],
    }  # fmt: skip
    await record_visit(row, parse_visit(body), actor)


async def test_nobody_home_is_saved_in_two_taps(live_server: str, phone: Any, world: World) -> None:
    token = await household_of_four(world.villages["v1"], "PQ-01-0100")
    await sign_in(phone, live_server, "volunteer1")
    await phone.goto(f"{live_server}/h/{token}/visit")
    members = phone.locator(".done-only")
    assert await members.is_visible()

    await phone.get_by_text("Không có ai ở nhà").click()  # tap 1
    assert not await members.is_visible()  # the member part is gone: Save is all that is left
    ARTIFACTS.mkdir(exist_ok=True)
    await phone.screenshot(path=str(ARTIFACTS / "visit-form-nobody-home-360x740.png"))
    await phone.get_by_role("button", name="Lưu lượt thăm").click()  # tap 2

    await phone.get_by_text("Đã lưu lượt thăm.").wait_for()
    visits = await Visit.select(Visit.outcome)
    assert visits == [{"outcome": "nobody_home"}]


async def test_nobody_home_without_javascript_hides_and_ignores_the_member_part(
    live_server: str, world: World
) -> None:
    token = await household_of_four(world.villages["v1"], "PQ-01-0100")
    async with browser_page(java_script_enabled=False, **PHONE) as page:
        await sign_in(page, live_server, "volunteer1")
        await page.goto(f"{live_server}/h/{token}/visit")
        await page.get_by_text("Không có ai ở nhà").click()
        assert not await page.locator(".done-only").is_visible()  # CSS alone hides it
        await page.get_by_role("button", name="Lưu lượt thăm").click()
        await page.get_by_text("Đã lưu lượt thăm.").wait_for()
    assert await Visit.select(Visit.outcome) == [{"outcome": "nobody_home"}]
    household = await household_by_token(token)
    assert household is not None
    assert await Member.count().where((Member.household == household.id) & (Member.vneid != "unknown")) == 0


def contrast(first: str, second: str) -> float:
    """WCAG 2.x contrast ratio of two computed colours (`rgb(r, g, b)`)."""

    def luminance(css: str) -> float:
        channels = [int(c) / 255 for c in css[css.index("(") + 1 : css.index(")")].split(",")[:3]]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


async def test_after_save_the_focus_is_on_the_saved_message(live_server: str, world: World) -> None:
    """With htmx (the form is swapped for the household page) and without JavaScript (a redirect)."""
    token = await household_of_four(world.villages["v1"], "PQ-01-0100")
    for javascript in (True, False):
        async with browser_page(java_script_enabled=javascript, **PHONE) as page:
            await sign_in(page, live_server, "volunteer1")
            await page.goto(f"{live_server}/h/{token}/visit")
            await page.get_by_text("Không có ai ở nhà").click()
            await page.get_by_role("button", name="Lưu lượt thăm").click()
            await page.get_by_text("Đã lưu lượt thăm.").wait_for()
            focused = await page.wait_for_function(
                "() => document.activeElement?.getAttribute('role') === 'status' && document.activeElement"
            )
            text = await focused.evaluate("e => e.textContent.trim()")
            assert text == "Đã lưu lượt thăm.", f"javascript={javascript}"


async def test_the_focus_ring_on_the_dark_save_button_stands_out(live_server: str, world: World) -> None:
    """The ring is set off by a white gap (3:1 at least against the green button) and is itself 3:1 at
    least against that gap and the save bar around it (WCAG 2.4.13, 1.4.11)."""
    token = await household_of_four(world.villages["v1"], "PQ-01-0100")
    async with browser_page(**PHONE) as page:
        await sign_in(page, live_server, "volunteer1")
        await page.goto(f"{live_server}/h/{token}/visit")
        save = page.get_by_role("button", name="Lưu lượt thăm")
        await page.keyboard.press("Tab")  # the keyboard's way of moving: focus is shown
        await save.focus()
        style = await save.evaluate(
            """b => { const s = getComputedStyle(b), bar = getComputedStyle(b.closest('.savebar'));
            return {visible: b.matches(':focus-visible'), ring: s.outlineColor, style: s.outlineStyle,
                    width: parseFloat(s.outlineWidth), offset: parseFloat(s.outlineOffset),
                    shadow: s.boxShadow, button: s.backgroundColor, bar: bar.backgroundColor}; }"""
        )
    assert style["visible"] and style["style"] == "solid" and style["width"] >= 2
    gap = style["shadow"][: style["shadow"].index(")") + 1]  # the white spread that fills the offset
    assert style["offset"] >= 2 and style["shadow"].endswith("0px 0px 0px 2px")
    assert contrast(gap, style["button"]) >= 3
    assert contrast(style["ring"], gap) >= 3 and contrast(style["ring"], style["bar"]) >= 3


async def test_a_repeat_visit_where_one_adult_activated_vneid_takes_four_taps(
    live_server: str, phone: Any, world: World
) -> None:
    token = await household_of_four(world.villages["v1"], "PQ-01-0100")
    await first_visit(world, token)
    await sign_in(phone, live_server, "volunteer1")
    await phone.goto(f"{live_server}/h/{token}")

    await phone.get_by_role("link", name="Ghi lượt thăm").click()  # tap 1
    await phone.wait_for_url(f"{live_server}/h/{token}/visit")
    # Save is on the first screen, and stays there.
    save = phone.get_by_role("button", name="Lưu lượt thăm")
    assert await save.is_visible() and (await save.bounding_box())["y"] < 740
    await phone.get_by_text("Đã khảo sát").click()  # tap 2
    hoa = phone.locator("fieldset.member-card", has_text=ADULT_2)
    # Her card is open on the questions (she has no VNeID yet); the head's, complete, is not.
    assert await hoa.get_by_text("Mức 2", exact=True).is_visible()
    head = phone.locator("fieldset.member-card", has_text=ADULT_1)
    assert not await head.get_by_text("Mức 2", exact=True).is_visible()
    await hoa.get_by_text("Mức 2", exact=True).click()  # tap 3
    await phone.screenshot(path=str(ARTIFACTS / "visit-form-repeat-360x740.png"))
    assert await save.is_visible() and (await save.bounding_box())["y"] < 740
    await save.click()  # tap 4

    await phone.get_by_text("Đã lưu lượt thăm.").wait_for()
    hoa_row = await Member.select(Member.vneid).where(Member.full_name == ADULT_2).first()
    assert hoa_row == {"vneid": "level2"}
    head_row = await Member.select(Member.vneid, Member.skill_guides_others).where(
        Member.full_name == ADULT_1
    )
    assert head_row == [{"vneid": "level2", "skill_guides_others": True}]  # kept from the first visit
    assert await Visit.count() == 2


async def test_an_error_summary_link_puts_the_thumb_on_the_field(
    live_server: str, phone: Any, world: World
) -> None:
    token = await household_of_four(world.villages["v1"], "PQ-01-0100")
    await sign_in(phone, live_server, "volunteer1")
    await phone.goto(f"{live_server}/h/{token}/visit")
    await phone.get_by_text("Đã khảo sát").click()
    await phone.get_by_role("button", name="Lưu lượt thăm").click()  # consent not ticked

    summary = phone.locator("#error-summary")
    await summary.wait_for()
    assert await summary.is_visible()
    await summary.get_by_role("link").click()
    focused = await phone.evaluate("document.activeElement.id")
    assert focused == "consent"
    assert await phone.locator("#consent").evaluate("e => e.getAttribute('aria-invalid')") == "true"
    assert await Visit.count() == 0


async def test_every_tap_target_is_at_least_44_px(live_server: str, phone: Any, world: World) -> None:
    token = await household_of_four(world.villages["v1"], "PQ-01-0100")
    await sign_in(phone, live_server, "volunteer1")
    for path in ("/villages", f"/villages/{world.villages['v1']}", f"/h/{token}", f"/h/{token}/visit"):
        await open_page(phone, f"{live_server}{path}")
        small = await small_targets(phone)
        assert small == [], (path, small)
