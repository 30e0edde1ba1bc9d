"""A mentor's page on a phone (issue 14 item 4): the ward office sees a Đại sứ số's learners on a 360×740
screen and unassigns one with a tap."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import expect

from surveys.learning.digital_team import pairs
from surveys.tables import Member, Mentorship, TeamMember
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.factories import World

pytestmark = pytest.mark.browser


async def test_a_mentor_page_unassigns_a_learner_on_a_phone(
    live_server: str, phone: Any, world: World
) -> None:
    mentor = (
        await TeamMember.insert(
            TeamMember(
                ward=world.wards["pq"], village=world.villages["v1"], name="Lò Văn Sáng", role="ambassador"
            )
        )
    )[0]["id"]
    for name in ("Đặng Thị Ánh", "Trần Thị Bình"):
        learner = await Member.select(Member.id).where(Member.full_name == name).first()
        assert learner is not None
        await Mentorship.insert(Mentorship(mentor=mentor, learner=learner["id"]))
    await sign_in(phone, live_server, "ward")
    await phone.goto(f"{live_server}/wards/01849/digital-team/{mentor}")
    learners = phone.locator("ul.list > li")
    await expect(learners).to_have_count(2)
    ARTIFACTS.mkdir(exist_ok=True)
    await phone.screenshot(path=str(ARTIFACTS / "mentor-page.png"), full_page=True)
    button = phone.get_by_role("button", name="Bỏ giao Đặng Thị Ánh")
    box = await button.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 360  # on the screen, no sideways scrolling
    await button.click()
    await expect(learners).to_have_count(1)
    assert "Trần Thị Bình" in await learners.first.inner_text()
    assert await Mentorship.count().where(pairs()) == 1  # Ánh's pair ended, kept for the reports
