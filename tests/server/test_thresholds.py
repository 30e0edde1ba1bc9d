"""The ward office sets what counts in its commune: it sees how many households would change status
before saving, a bad value comes back with its message, and the change is audited."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner
from litestar.testing import AsyncTestClient

from surveys.core.settings import Settings
from surveys.reporting.reports import ward_report
from surveys.survey.criteria import CoverageRules, member_sql
from surveys.tables import AuditEntry, Ward
from tests.conftest import sign_in
from tests.factories import World
from tests.server.helpers import field_errors, form_values, soup
from tests.surveys.test_reports import visit_an


async def _ward() -> dict[str, Any]:
    row = await Ward.select().where(Ward.code == "01849").first()
    assert row is not None
    return row


async def test_preview_says_how_many_households_change_then_save_applies(
    client: AsyncTestClient[Any], world: World
) -> None:
    # An's household is covered: An has VNeID level 1, Bình level 2. Level 2 only would uncover it.
    await visit_an(world)
    csrf = await sign_in(client, "ward")
    page = soup(await client.get("/wards/01849/rules"))
    form = page.select("form[action='/wards/01849/rules']")[-1]
    values = form_values(form)
    assert {k: values[k] for k in ("identity_age", "adult_age", "identity_min_level", "step")} == {
        "identity_age": "16", "adult_age": "18", "identity_min_level": "1", "step": "preview",
    }  # fmt: skip
    assert [i["value"] for i in form.select("input[name=family_criteria][checked]")] == [
        "learned", "understands", "uses_services", "guides_others",
    ]  # fmt: skip
    response = await client.post(
        "/wards/01849/rules",
        data={**values, "identity_min_level": "2", "family_criteria": ["learned", "understands",
              "uses_services", "guides_others"], "_csrf_token": csrf},
    )  # fmt: skip
    assert response.status_code == 200
    preview = soup(response)
    shown = preview.select_one("#preview")
    assert shown is not None
    assert shown.p is not None and shown.p.text == "Với các ngưỡng này, 1 hộ sẽ đổi trạng thái:"
    assert [li.text for li in shown.select("li")][:2] == ["mới đạt: 0", "không còn đạt: 1"]
    # Nothing saved yet.
    assert (await _ward())["identity_min_level"] == 1
    assert await AuditEntry.count().where(AuditEntry.action == "ward.thresholds_saved") == 0
    save = preview.select("form[action='/wards/01849/rules']")[0]
    saved = await client.post(
        "/wards/01849/rules",
        data={
            **form_values(save),
            "family_criteria": [str(i["value"]) for i in save.select("input[name=family_criteria]")],
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/wards/01849/rules?saved=true"
    ward = await _ward()
    assert (ward["identity_min_level"], ward["identity_age"], ward["adult_age"]) == (2, 16, 18)
    assert ward["family_criteria"] == "learned,understands,uses_services,guides_others"
    entry = await AuditEntry.select().where(AuditEntry.action == "ward.thresholds_saved").first()
    assert entry is not None and entry["user"] == world.users["ward"]
    details = json.loads(entry["details"]) if isinstance(entry["details"], str) else entry["details"]
    assert (details["before"]["identity_min_level"], details["after"]["identity_min_level"]) == (1, 2)
    # From now on: VNeID counts level 2 only (Bình and Hùng).
    assert (await ward_report(world.wards["pq"])).total.vneid == 2
    again = soup(await client.get("/wards/01849/rules?saved=true"))
    assert again.select_one(".notice") is not None


async def test_bad_thresholds_come_back_with_messages_and_change_nothing(
    client: AsyncTestClient[Any], world: World
) -> None:
    csrf = await sign_in(client, "ward")
    response = await client.post(
        "/wards/01849/rules",
        data={"identity_age": "mười sáu", "adult_age": "5", "identity_min_level": "3", "step": "save",
              "_csrf_token": csrf},
    )  # fmt: skip
    assert response.status_code == 422
    page = soup(response)
    assert set(field_errors(page)) == {
        "Hãy nhập tuổi từ 6 đến 100.",
        "Hãy nhập tuổi từ 14 đến 100.",
        "VNeID chỉ có mức 1 và mức 2: hãy chọn một trong hai.",
        "Hãy chọn ít nhất một tiêu chí kỹ năng số.",
    }
    assert page.find("input", attrs={"name": "identity_age"})["value"] == "mười sáu"  # type: ignore[index]
    assert (await _ward())["identity_age"] == 16
    assert await AuditEntry.count().where(AuditEntry.action == "ward.thresholds_saved") == 0


async def test_only_the_wards_own_officers_set_its_thresholds(
    client: AsyncTestClient[Any], world: World
) -> None:
    # The access matrix covers every role on every route; these are the ones nearest to it.
    for login in ("otherward", "head1"):
        await sign_in(client, login)
        assert (await client.get("/wards/01849/rules")).status_code == 404, login


def test_a_minimum_vneid_level_other_than_1_or_2_is_refused_not_turned_into_sql() -> None:
    assert "IN ('level2')" in member_sql(CoverageRules(identity_min_level=2), 2026)["vneid"]
    for level in (0, 3):
        with pytest.raises(ValueError, match="1 or 2"):
            CoverageRules(identity_min_level=level)
    with pytest.raises(ValueError):
        CoverageRules(family_criteria=())


def test_cli_shows_previews_and_saves_thresholds(settings: Settings, world: World, monkeypatch: Any) -> None:
    from server.cli import main
    from surveys.core.settings import get_settings

    monkeypatch.setenv("DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("PHOCAP_DATA_DIR", settings.data_dir)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        shown = runner.invoke(main, ["ward", "rules", "--ward", "01849"])
        assert shown.exit_code == 0, shown.output
        assert "identity_min_level: 1" in shown.output and "adult_age: 18" in shown.output
        level3 = runner.invoke(main, ["ward", "rules", "--ward", "01849", "--min-vneid-level", "3"])
        assert level3.exit_code == 2 and "'3' is not one of '1', '2'" in level3.output
        too_old = runner.invoke(main, ["ward", "rules", "--ward", "01849", "--identity-age", "200"])
        assert too_old.exit_code == 2 and "--identity-age" in too_old.output
        no_criteria = runner.invoke(
            main, ["ward", "rules", "--ward", "01849", "--family-criteria", "dancing"]
        )
        assert no_criteria.exit_code == 2 and "--family-criteria" in no_criteria.output
        dry = runner.invoke(main, ["ward", "rules", "--ward", "01849", "--adult-age", "20", "--dry-run"])
        assert dry.exit_code == 0 and "would change status" in dry.output and "Nothing saved" in dry.output
        assert "adult_age: 18" in runner.invoke(main, ["ward", "rules", "--ward", "01849"]).output
        done = runner.invoke(
            main, ["ward", "rules", "--ward", "01849", "--adult-age", "20", "--bank-required",
                   "--family-criteria", "learned,uses_services"],
        )  # fmt: skip
        assert done.exit_code == 0 and "Saved" in done.output, done.output
        after = runner.invoke(main, ["ward", "rules", "--ward", "01849"]).output
        assert "adult_age: 20" in after and "identity_requires_bank: True" in after
        assert "family_criteria: ('learned', 'uses_services')" in after
    finally:
        get_settings.cache_clear()
