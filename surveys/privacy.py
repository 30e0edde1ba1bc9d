"""A household's rights over its data (Law 91/2025/QH15 on Personal Data Protection, Decree 356/2025):
the consent notice it agrees to, a copy of everything phocap holds about it, and erasure — on its
request, or by the retention job once it has been archived for `RETENTION_DAYS`.

Erasure removes every member (names, birth years, answers), the head's name, address, notes and
priority flags, the answers kept with each visit and the details of its audit entries. What stays is
anonymous: the household's code, its village, and each visit's date, outcome and derived counts (so the
ward's past weekly numbers do not change).
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import msgspec

from surveys.core.audit import audit, history
from surveys.core.changes import households_changed, households_changing
from surveys.core.clock import now
from surveys.core.db import write_transaction
from surveys.core.exports import Table, to_xlsx
from surveys.core.i18n import N_, gettext, use_locale
from surveys.core.messages import AUDIT_ACTIONS, OUTCOMES, SEX, SKILLS, VNEID, YES_NO_UNKNOWN, label
from surveys.learning.attendance import member_classes
from surveys.learning.topics import ward_topics
from surveys.learning.words import HELP_KINDS
from surveys.register.consent import CONSENT_NOTICE, NOTICE_VERSION, consent_current
from surveys.survey.help import member_help
from surveys.tables import Attendance, AuditEntry, Help, Household, Member, Mentorship, TeamMember, Visit

__all__ = ["CONSENT_NOTICE", "NOTICE_VERSION", "consent_current"]


async def household_data(household_id: int) -> dict[str, Any]:
    """Everything phocap holds about one household, for its copy: the household (with its village and
    ward), its members, its visits with the answers given, its history, and the classes its members
    attended and the help they were given."""
    household = (
        await Household.select(
            *Household.all_columns(exclude=[Household.search_key, Household.sort_key, Household.token]),
            Household.village._.name.as_alias("village_name"),
            Household.village._.ward._.name.as_alias("ward_name"),
        )
        .where(Household.id == household_id)
        .first()
    )
    members = (
        await Member.select(*Member.all_columns(exclude=[Member.sort_key, Member.household]))
        .where(Member.household == household_id)
        .order_by(Member.id)
    )
    visits = (
        await Visit.select(
            Visit.at,
            Visit.outcome,
            Visit.volunteer._.display_name.as_alias("volunteer"),
            Visit.answers,
        )
        .where(Visit.household == household_id)
        .order_by(Visit.at)
    )
    entries = await history("household", household_id, complete=True)
    for visit in visits:
        visit["answers"] = _json(visit["answers"])
    for entry in entries:
        entry["details"] = _json(entry["details"])
    ids = [m["id"] for m in members]
    classes = await member_classes(ids)
    helped = await member_help(ids)
    learning = {
        "classes": [
            {"member": m, "starts_at": c["starts_at"], "topics": c["topics"]}
            for m in ids
            for c in classes.get(m, [])
        ],
        "help": [
            {"member": m, "kind": h["kind"], "note": h["note"], "at": h["at"], "via": h["via"]}
            for m in ids
            for h in helped.get(m, [])
        ],
    }
    return {"household": household, "members": members, "visits": visits, "history": entries, **learning}


async def _topic_names(household_id: int) -> dict[str, str]:
    """The names, in Vietnamese, of the class topics of the household's ward (its own ones too)."""
    row = (
        await Household.select(Household.village._.ward.as_alias("ward"))
        .where(Household.id == household_id)
        .first()
    )
    if row is None:
        return {}
    with use_locale("vi"):
        return await ward_topics(row["ward"], offered_only=False)


def _json(value: Any) -> Any:
    return msgspec.json.decode(value) if isinstance(value, str | bytes) else value


async def export_household(household_id: int, fmt: str, user_id: int, client_addr: str = "") -> bytes:
    """The household's data as a file, the copy recorded in the audit log: `xlsx`, in Vietnamese to read
    and print for the family, or `json`, everything as stored, for another system."""
    data = await household_data(household_id)
    await audit("household.data_exported", "household", household_id, user_id, {"format": fmt}, client_addr)
    if fmt == "xlsx":
        return household_workbook(data, await _topic_names(household_id))
    return msgspec.json.format(msgspec.json.encode(data), indent=2)


def household_workbook(data: dict[str, Any], topic_names: dict[str, str] | None = None) -> bytes:
    """The household's copy as an Excel workbook in Vietnamese: the household, its members, its visits,
    its history, the classes its members attended and the help they were given, a sheet each;
    `topic_names` names the ward's class topics (by key)."""
    with use_locale("vi"):
        return to_xlsx(*_household_tables(data), *_learning_tables(data, topic_names or {}))


def _learning_tables(data: dict[str, Any], topic_names: dict[str, str]) -> list[Table]:
    title = [
        gettext(N_("The data phocap holds about household %(code)s")) % {"code": data["household"]["code"]}
    ]
    names = {m["id"]: m["full_name"] for m in data["members"]}
    via = {"visit": N_("At a visit"), "class": N_("At a class"), "other": N_("Other")}
    classes = [
        [names.get(c["member"], ""), c["starts_at"], ", ".join(topic_names.get(t, t) for t in c["topics"])]
        for c in data["classes"]
    ]
    helped = [
        [names.get(h["member"], ""), h["at"], label(HELP_KINDS, h["kind"]), h["note"], label(via, h["via"])]
        for h in data["help"]
    ]
    person, date = gettext(N_("Full name")), gettext(N_("Date"))
    return [
        Table(title, [person, date, gettext(N_("Topics"))], classes, sheet=gettext(N_("Classes attended"))),
        Table(
            title,
            [person, date, gettext(N_("Help given")), gettext(N_("Note")), gettext(N_("Where"))],
            helped,
            sheet=gettext(N_("Help given")),
        ),
    ]


def _household_tables(data: dict[str, Any]) -> list[Table]:
    h = data["household"]
    title = [gettext(N_("The data phocap holds about household %(code)s")) % {"code": h["code"]}]
    yes_no = {True: gettext(N_("Yes")), False: gettext(N_("No"))}
    household = [
        (gettext(N_("Household code")), h["code"]),
        (gettext(N_("Village")), f"{h['village_name']}, {h['ward_name']}"),
        (gettext(N_("Address")), h["address"]),
        (gettext(N_("Head of household")), h["head_name"]),
        (gettext(N_("Informed of the purpose of the movement")), h["informed_at"]),
        (gettext(N_("Consent recorded on")), h["consent_at"]),
        (gettext(N_("Consent notice version")), h["consent_notice"]),
        (gettext(N_("Elderly person living alone")), yes_no[bool(h["priority_elderly_alone"])]),
        (gettext(N_("Poor or near-poor household")), yes_no[bool(h["priority_poor"])]),
        (gettext(N_("Other hardship")), yes_no[bool(h["priority_other"])]),
        (gettext(N_("Notes")), h["notes"]),
        (gettext(N_("Moved away on")), h["archived_at"]),
    ]
    members = [
        [
            m["full_name"],
            m["birth_year"],
            label(SEX, m["sex"]),
            yes_no[bool(m["is_head"])],
            label(VNEID, m["vneid"]),
            label(YES_NO_UNKNOWN, m["bank_account"]),
            label(YES_NO_UNKNOWN, m["smartphone"]),
            *(yes_no[bool(m[f"skill_{skill}"])] for skill in SKILLS),
            gettext(N_("No longer lives here")) if m["removed"] else "",
        ]
        for m in data["members"]
    ]
    member_headers = [
        gettext(N_("Full name")),
        gettext(N_("Birth year")),
        gettext(N_("Sex")),
        gettext(N_("Head")),
        gettext(N_("VNeID")),
        gettext(N_("Digital bank account")),
        gettext(N_("Smartphone")),
        *(label(SKILLS, skill) for skill in SKILLS),
        gettext(N_("Note")),
    ]
    visits = [[v["at"], label(OUTCOMES, v["outcome"]), v["volunteer"] or ""] for v in data["visits"]]
    history = [[e["at"], label(AUDIT_ACTIONS, e["action"]), e["by"] or ""] for e in data["history"]]
    date, by = gettext(N_("Date")), gettext(N_("By"))
    return [
        Table(title, [gettext(N_("Item")), gettext(N_("Value"))], household, sheet=gettext(N_("Household"))),
        Table(title, member_headers, members, sheet=gettext(N_("Members"))),
        Table(
            title,
            [date, gettext(N_("Outcome")), gettext(N_("Volunteer"))],
            visits,
            sheet=gettext(N_("Visits")),
        ),
        Table(title, [date, gettext(N_("Change")), by], history, sheet=gettext(N_("History"))),
    ]


async def erase_household(household_id: int, user_id: int | None, reason: str, client_addr: str = "") -> None:
    """Erase the household's personal data (see the module's docstring); it leaves every list. The
    sticker's token is replaced, so the old sticker opens nothing."""
    at = now()
    async with write_transaction():
        held = await households_changing([household_id])
        # The members' class attendance and the help they were given go with them (docs/design.md §7).
        members = Member.select(Member.id).where(Member.household == household_id)
        await Help.delete().where(Help.member.is_in(members))
        await Attendance.delete().where(Attendance.member.is_in(members))
        await Mentorship.delete().where(Mentorship.learner.is_in(members))
        await TeamMember.update({TeamMember.member: None}).where(TeamMember.member.is_in(members))
        await Member.delete().where(Member.household == household_id)
        await Visit.update({Visit.answers: "{}"}).where(Visit.household == household_id)
        await AuditEntry.update({AuditEntry.details: "{}"}).where(
            (AuditEntry.entity == "household") & (AuditEntry.entity_id == household_id)
        )
        row = (
            await Household.select(Household.code, Household.archived_at)
            .where(Household.id == household_id)
            .first()
        )
        if row is None:
            return
        await Household.update(
            {
                Household.token: secrets.token_urlsafe(16),
                Household.head_name: "",
                Household.address: "",
                Household.notes: "",
                Household.search_key: row["code"].lower(),
                Household.sort_key: "9",
                Household.priority_elderly_alone: False,
                Household.priority_poor: False,
                Household.priority_other: False,
                Household.archived: True,
                Household.archived_at: row["archived_at"] or at,
                Household.erased_at: at,
                Household.version: Household.version + 1,
                Household.updated_at: at,
            }
        ).where(Household.id == household_id)
        await households_changed([household_id], before=held)
        await audit("household.erased", "household", household_id, user_id, {"reason": reason}, client_addr)


async def erase_expired(retention_days: int) -> int:
    """Erase households archived more than `retention_days` ago (0: keep them); returns how many."""
    if retention_days <= 0:
        return 0
    due = await Household.select(Household.id).where(
        Household.archived.eq(True)
        & Household.erased_at.is_null()
        & (Household.archived_at < now() - timedelta(days=retention_days))
    )
    for row in due:
        await erase_household(int(row["id"]), None, "retention")
    return len(due)
